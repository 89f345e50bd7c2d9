package controlplane

// addKubernetesRunners adds the runners of the Kubernetes provider: the
// controllers that publish resource snapshots, the status writer and the
// infra manager. Not wired yet: the Kubernetes provider is being built (issue 6).
func (c *ControlPlane) addKubernetesRunners() error {
	c.log.Info("the Kubernetes provider is not implemented yet: serving the admin listener only")
	return nil
}

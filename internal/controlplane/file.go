package controlplane

// addFileRunners adds the runners of the File provider: the file watcher that
// publishes resource snapshots and the host infrastructure (Envoy bootstraps
// and processes). Not wired yet: the File provider is being built (issue 5).
func (c *ControlPlane) addFileRunners() error {
	c.log.Info("the File provider is not implemented yet: serving the admin listener only")
	return nil
}

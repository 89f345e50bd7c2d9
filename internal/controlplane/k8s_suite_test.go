package controlplane_test

import (
	"context"
	"os"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/envoygw/envoy-gateway/controllers"
	"github.com/envoygw/envoy-gateway/internal/testenv"
)

var (
	ctx       context.Context
	cancel    context.CancelFunc
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8sClient client.Client
	scheme    *runtime.Scheme
	// apiServerCertDir keeps the kube-apiserver's certificates across a restart.
	apiServerCertDir string
)

func TestKubernetes(t *testing.T) {
	RegisterFailHandler(Fail)
	SetDefaultEventuallyTimeout(30 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "Control plane on Kubernetes Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	ctx, cancel = context.WithCancel(context.TODO())

	var err error
	scheme, err = controllers.Scheme()
	Expect(err).NotTo(HaveOccurred())

	testEnv, err = testenv.NewEnvironment()
	Expect(err).NotTo(HaveOccurred())
	// The outage spec stops and restarts the kube-apiserver.
	apiServerCertDir, err = os.MkdirTemp("", "eg-apiserver-")
	Expect(err).NotTo(HaveOccurred())
	testenv.KeepAPIServerCerts(testEnv, apiServerCertDir)
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	Expect(cfg).NotTo(BeNil())

	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	cancel()
	Expect(testEnv.Stop()).To(Succeed())
	Expect(os.RemoveAll(apiServerCertDir)).To(Succeed())
})

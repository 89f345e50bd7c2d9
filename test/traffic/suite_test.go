package traffic

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

var (
	w      *world
	ctx    context.Context
	cancel context.CancelFunc
)

func TestTraffic(t *testing.T) {
	RegisterFailHandler(Fail)
	// Generous bounds: the machine is shared and loaded; nothing here is timed.
	SetDefaultEventuallyTimeout(60 * time.Second)
	SetDefaultEventuallyPollingInterval(100 * time.Millisecond)
	RunSpecs(t, "Traffic Suite")
}

var _ = BeforeSuite(func() {
	ctx, cancel = context.WithCancel(context.Background())
	var err error
	w, err = startWorld(ctx, "suite")
	Expect(err).NotTo(HaveOccurred())
	Expect(w.backend(ctx, "backend-a", 2)).To(Succeed())
	Expect(w.backend(ctx, "backend-b", 1)).To(Succeed())
})

var _ = AfterSuite(func() {
	if w != nil {
		Expect(w.stop()).To(Succeed())
	}
	cancel()
})

package traffic

import (
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// servedBy matches an answer with status 200 from a Pod of the backend,
// for the path.
func servedBy(backend, path string) OmegaMatcher {
	return And(
		HaveField("Status", 200),
		HaveField("Path", path),
		WithTransform(func(a answer) bool { return strings.HasPrefix(a.Pod, backend+"-") }, BeTrue()),
	)
}

var _ = Describe("Requests through the data plane", Ordered, func() {
	get := func(path string) func() (answer, error) {
		return func() (answer, error) { return w.get(ctx, path) }
	}

	It("reach the backend of an HTTPRoute once it is created", func() {
		Expect(w.c.Create(ctx, route("r1", "/one", "backend-a"))).To(Succeed())
		Eventually(get("/one")).Should(servedBy("backend-a", "/one"))
		Consistently(get("/one"), "2s").Should(servedBy("backend-a", "/one"))
	})

	It("follow a change of the HTTPRoute's backend", func() {
		var r gwapiv1.HTTPRoute
		Expect(w.c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "r1"}, &r)).To(Succeed())
		r.Spec.Rules[0].BackendRefs[0].Name = "backend-b"
		Expect(w.c.Update(ctx, &r)).To(Succeed())
		Eventually(get("/one")).Should(servedBy("backend-b", "/one"))
		Consistently(get("/one"), "2s").Should(servedBy("backend-b", "/one"))
	})

	It("get 404 once the HTTPRoute is deleted", func() {
		Expect(w.c.Delete(ctx, route("r1", "/one", "backend-b"))).To(Succeed())
		Eventually(get("/one")).Should(HaveField("Status", 404))
		Consistently(get("/one"), "2s").Should(HaveField("Status", 404))
	})

	It("stop going to an endpoint once it is removed", func() {
		Expect(w.c.Create(ctx, route("r2", "/two", "backend-a"))).To(Succeed())
		pods := map[string]bool{}
		Eventually(func(g Gomega) {
			a, err := w.get(ctx, "/two")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(a).To(servedBy("backend-a", "/two"))
			pods[a.Pod] = true
			g.Expect(pods).To(HaveLen(2), "both replicas answer")
		}).Should(Succeed())
		Expect(w.scale(ctx, "backend-a", 1)).To(Succeed())
		var kept string
		// Round robin over two endpoints never sends ten requests in a row
		// to one: ten in a row mean the data plane dropped the other.
		Eventually(func(g Gomega) {
			for range 10 {
				a, err := w.get(ctx, "/two")
				g.Expect(err).NotTo(HaveOccurred())
				g.Expect(a).To(servedBy("backend-a", "/two"))
				g.Expect(a.Pod).To(HaveSuffix("-0"), "the replica left is index 0")
				kept = a.Pod
			}
		}).Should(Succeed())
		// Every request from now on succeeds, on the endpoint that is left.
		Consistently(get("/two"), "3s").Should(And(servedBy("backend-a", "/two"), HaveField("Pod", kept)))
	})
})

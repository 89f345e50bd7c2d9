package controlplane_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"

	. "github.com/onsi/gomega"
)

// adminMetric returns the value of one series (name and labels as the text
// exposition format prints them, e.g. `x_total{kind="a"}`) served by a
// control plane's admin /metrics, 0 when absent.
func adminMetric(admin, series string) float64 {
	resp, err := http.Get("http://" + admin + "/metrics")
	Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	Expect(resp.StatusCode).To(Equal(http.StatusOK))
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if value, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
			Expect(err).NotTo(HaveOccurred())
			return v
		}
	}
	Expect(sc.Err()).NotTo(HaveOccurred())
	return 0
}

// Series of the provider's and the translator's work.
const (
	resourceSnapshots = `envoy_gateway_provider_snapshots_total{snapshot="resources"}`
	endpointSnapshots = `envoy_gateway_provider_snapshots_total{snapshot="endpoints"}`
	translations      = `envoy_gateway_translate_duration_seconds_count`
	xdsTranslations   = `envoy_gateway_xds_translation_duration_seconds_count`
)

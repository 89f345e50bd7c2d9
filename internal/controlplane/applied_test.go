package controlplane

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	resourcev3 "github.com/envoyproxy/go-control-plane/pkg/resource/v3"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/envoygw/envoy-gateway/internal/applied"
	"github.com/envoygw/envoy-gateway/internal/provider/file"
)

// fleetOf returns the fleet of report named name, or a zero FleetStatus.
func fleetOf(report file.StatusReport, name string) file.FleetStatus {
	for _, f := range report.Fleets {
		if f.Name == name {
			return f
		}
	}
	return file.FleetStatus{}
}

// gatewayApplied returns the Applied condition of Gateway default/eg in report, as JSON.
func gatewayApplied(report file.StatusReport) string {
	for _, r := range report.Resources {
		if r.Kind != "Gateway" || r.Name != "eg" {
			continue
		}
		b, _ := json.Marshal(r.Status)
		var st struct{ Conditions []metav1.Condition }
		_ = json.Unmarshal(b, &st)
		for _, c := range st.Conditions {
			if c.Type == applied.ConditionType {
				return string(c.Status) + "/" + c.Reason
			}
		}
	}
	return ""
}

func TestFileProviderReportsAppliedPerFleet(t *testing.T) {
	f := startFileControlPlane(t)
	var report file.StatusReport
	f.waitFor("Applied in /api/status", func() bool {
		report = f.status()
		fs := fleetOf(report, "default/eg")
		return fs.Applied != nil && fs.Applied.Reason == applied.ReasonApplied && gatewayApplied(report) == "True/Applied"
	})
	fs := fleetOf(report, "default/eg")
	if fs.Proxies == nil || len(fs.Proxies.Proxies) != 1 || fs.Proxies.Proxies[0].Node != "xdstest-default/eg" ||
		fs.Proxies.LastPropagationSeconds <= 0 {
		t.Errorf("fleet proxies = %+v", fs.Proxies)
	}

	f.envoy.SetReject(func(typeURL string, _ map[string]proto.Message) error {
		if typeURL == resourcev3.RouteType {
			return errors.New("routes refused by the test proxy")
		}
		return nil
	})
	f.write(strings.Replace(fileResources, "www.example.com", "api.example.com", 1))
	f.waitFor("Rejected in /api/status", func() bool {
		report = f.status()
		fs = fleetOf(report, "default/eg")
		return fs.Applied != nil && fs.Applied.Reason == applied.ReasonRejected && gatewayApplied(report) == "False/Rejected"
	})
	if !strings.Contains(fs.Applied.Message, "routes refused by the test proxy") || fs.Proxies.Nacks[resourcev3.RouteType] < 1 {
		t.Errorf("rejected fleet: applied %+v, nacks %v", fs.Applied, fs.Proxies.Nacks)
	}
	f.envoy.SetReject(nil)
	f.write(fileResources) // the fix: the rejected version is not sent again
	f.waitFor("Applied again", func() bool { return gatewayApplied(f.status()) == "True/Applied" })
}

package dataplane

import (
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    commandLine
		wantErr string
	}{
		{"renderer", []string{"--config-path", "/etc/envoy/envoy.yaml", "--log-level", "info", "--service-node", "pod-1"},
			commandLine{configPath: "/etc/envoy/envoy.yaml", logLevel: "info", serviceNode: "pod-1", drainTime: defaultDrainTime}, ""},
		{"host manager", []string{"-c", "/s/bootstrap.yaml", "--use-dynamic-base-id", "--admin-address-path", "/s/admin-address",
			"--log-level", "warning"},
			commandLine{configPath: "/s/bootstrap.yaml", adminAddressPath: "/s/admin-address", logLevel: "warning",
				drainTime: defaultDrainTime}, ""},
		{"equals form and the rest", []string{"--config-yaml=admin: {}", "--service-cluster=c", "--drain-time-s=5", "-l", "debug"},
			commandLine{configYAML: "admin: {}", serviceCluster: "c", drainTime: 5 * time.Second, logLevel: "debug"}, ""},
		{"unknown flag", []string{"-c", "x", "--concurrency", "2"}, commandLine{}, `unknown flag "--concurrency"`},
		{"missing value", []string{"-c"}, commandLine{}, "flag -c needs a value"},
		{"bad level", []string{"-c", "x", "--log-level", "loud"}, commandLine{}, `invalid level "loud"`},
		{"bad drain time", []string{"-c", "x", "--drain-time-s", "-1"}, commandLine{}, "--drain-time-s: invalid value"},
		{"no configuration", []string{"--log-level", "info"}, commandLine{}, "at least one of --config-path or --config-yaml"},
		{"value on a switch", []string{"-c", "x", "--use-dynamic-base-id=1"}, commandLine{}, "takes no value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseArgs(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

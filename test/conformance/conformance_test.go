package conformance

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoygw/envoy-gateway/internal/testenv"
)

// Environment variables of TestConformance.
const (
	// envRun must be "1" for TestConformance to run (make conformance sets it).
	envRun = "EG_CONFORMANCE"
	// envReport is where to write the ConformanceReport; default: a temporary file.
	envReport = "EG_CONFORMANCE_REPORT"
	// envLog is where the control plane logs go; default: bin/conformance/controlplane.log.
	envLog = "EG_CONFORMANCE_LOG"
	// envVersion is the implementation version in the report; default: internal/version.
	envVersion = "EG_CONFORMANCE_VERSION"
	// envResults is where to write every test's outcome as Markdown; default: nowhere.
	envResults = "EG_CONFORMANCE_RESULTS"
	// envRunTest runs only the named test (the suite's RunTest), or the
	// tests of a comma-separated list, for working on a few tests.
	envRunTest = "EG_CONFORMANCE_RUN_TEST"
)

// TestConformance runs the upstream Gateway API conformance suite (profiles
// GATEWAY-HTTP, GATEWAY-TLS and GATEWAY-GRPC; status and traffic tests) against our
// control plane on envtest, with the simulated cluster running the
// backends and the test data plane. Lines starting with "CONFORMANCE:" are
// the summary.
func TestConformance(t *testing.T) {
	if os.Getenv(envRun) != "1" {
		t.Skipf("set %s=1 to run the Gateway API conformance suite (make conformance)", envRun)
	}
	logFile := openLog(t)
	h, err := StartHarness(t.Context(), HarnessOptions{Log: logFile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Logf("stopping the harness: %v", err)
		}
	})
	reportPath := os.Getenv(envReport)
	if reportPath == "" {
		reportPath = filepath.Join(t.TempDir(), "report.yaml")
	}
	summary, err := Run(t, h, RunOptions{
		ReportPath: reportPath, Version: os.Getenv(envVersion), RunTest: os.Getenv(envRunTest),
	})
	if err != nil {
		t.Fatal(err)
	}
	printSummary(summary, reportPath, logFile.Name())
	if path := os.Getenv(envResults); path != "" {
		if err := os.WriteFile(path, []byte(summary.Markdown()), 0o644); err != nil {
			t.Error(err)
		}
	}
	if n := summary.Count(Failed); n > 0 {
		t.Errorf("%d conformance tests failed", n)
	}
	for _, p := range h.Cluster.Problems() {
		t.Errorf("the simulated cluster could not do its part: %v", p)
	}
}

// openLog creates the control plane's log file.
func openLog(t *testing.T) *os.File {
	path := os.Getenv(envLog)
	if path == "" {
		path = filepath.Join(testenv.RepoRoot(), "bin", "conformance", "controlplane.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return f
}

// printSummary prints the counts, the failed tests and the skipped ones with
// their reasons, each line prefixed with "CONFORMANCE:".
func printSummary(s *Summary, reportPath, logPath string) {
	lines := []string{s.String(), "report: " + reportPath, "control plane log: " + logPath}
	for _, o := range s.Outcomes {
		switch o.Result {
		case Failed:
			lines = append(lines, "FAILED  "+o.Name)
		case Skipped:
			lines = append(lines, fmt.Sprintf("skipped %s: %s", o.Name, o.Reason))
		case Passed:
			lines = append(lines, "passed  "+o.Name)
		}
	}
	fmt.Println("CONFORMANCE: " + strings.Join(lines, "\nCONFORMANCE: "))
}

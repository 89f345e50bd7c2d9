package conformance

import (
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	upstream "sigs.k8s.io/gateway-api/conformance"
	confv1 "sigs.k8s.io/gateway-api/conformance/apis/v1"
	"sigs.k8s.io/gateway-api/conformance/tests"
	"sigs.k8s.io/gateway-api/conformance/utils/config"
	"sigs.k8s.io/gateway-api/conformance/utils/suite"
	"sigs.k8s.io/yaml"

	"github.com/envoygw/envoy-gateway/internal/version"
)

// Profiles are the conformance profiles the run reports on.
var Profiles = []suite.ConformanceProfileName{
	suite.GatewayHTTPConformanceProfileName,
	suite.GatewayTLSConformanceProfileName,
	suite.GatewayGRPCConformanceProfileName,
	suite.GatewayTCPConformanceProfileName,
}

// RunOptions configure Run.
type RunOptions struct {
	// ReportPath is where the ConformanceReport YAML is written.
	ReportPath string
	// Version is the implementation version in the report; empty means
	// internal/version.Version.
	Version string
	// RunTest, when set, runs only that test, or those tests when it is a
	// comma-separated list of names.
	RunTest string
}

// Result is what a test came to.
type Result string

// Results of a test.
const (
	Passed  Result = "passed"
	Failed  Result = "failed"
	Skipped Result = "skipped"
)

// Outcome is the result of one upstream test.
type Outcome struct {
	Name   string
	Result Result
	// Reason says why a skipped test did not run.
	Reason string
}

// Summary is the outcome of every upstream test, in the suite's order.
type Summary struct {
	Outcomes []Outcome
}

// Count returns how many tests came to r.
func (s *Summary) Count(r Result) int {
	n := 0
	for _, o := range s.Outcomes {
		if o.Result == r {
			n++
		}
	}
	return n
}

// String is the one-line summary the run prints.
func (s *Summary) String() string {
	run := len(s.Outcomes) - s.Count(Skipped)
	return fmt.Sprintf("Gateway API conformance v1.6.3: %d tests run: %d passed, %d failed; %d skipped",
		run, s.Count(Passed), s.Count(Failed), s.Count(Skipped))
}

// recorder collects the outcome of each test from the suite's hook, which
// runs when a test ends (tests may run in parallel).
type recorder struct {
	mu       sync.Mutex
	outcomes map[string]Outcome
	// runTest is the one test selected, if any.
	runTest string
}

func (r *recorder) hook(t *testing.T, test suite.ConformanceTest, s *suite.ConformanceTestSuite) {
	o := Outcome{Name: test.ShortName, Result: Passed}
	switch {
	case t.Failed():
		o.Result = Failed
	case t.Skipped():
		o.Result, o.Reason = Skipped, SkipReason(test, s.SupportedFeatures)
		if r.runTest != "" && !slices.Contains(strings.Split(r.runTest, ","), test.ShortName) {
			o.Reason = "not selected (EG_CONFORMANCE_RUN_TEST)"
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes[test.ShortName] = o
}

// summary lists the outcomes in the suite's order.
func (r *recorder) summary() *Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := &Summary{}
	for _, test := range tests.ConformanceTests {
		if o, ok := r.outcomes[test.ShortName]; ok {
			s.Outcomes = append(s.Outcomes, o)
		}
	}
	return s
}

// Run runs the upstream suite against the harness, in a subtest "suite" of
// t, skipping the tests the harness cannot run (harnessSkips), and writes the report. The
// supported features come from the GatewayClass status.
func Run(t *testing.T, h *Harness, opts RunOptions) (*Summary, error) {
	clientset, err := kubernetes.NewForConfig(h.RestConfig)
	if err != nil {
		return nil, err
	}
	rec := &recorder{outcomes: map[string]Outcome{}, runTest: opts.RunTest}
	runTest, skip := selectTests(opts.RunTest, tests.ConformanceTests)
	cs, err := suite.NewConformanceTestSuite(suite.ConformanceOptions{
		ConfigurableOptions: suite.ConfigurableOptions{
			GatewayClassName:     GatewayClassName,
			CleanupBaseResources: true,
			CleanupTestResources: true,
			TimeoutConfig:        config.DefaultTimeoutConfig(),
			SkipTests:            skip,
			Mode:                 "default",
			Implementation:       implementation(opts.Version),
			ConformanceProfiles:  Profiles,
			RunTest:              runTest,
			// GatewayStaticAddresses: the simulated load balancer assigns
			// its static addresses to the Services requesting them, and no
			// address outside its Network.
			UsableNetworkAddresses:   []gwapiv1.GatewaySpecAddress{ipAddress(h.Network.StaticLoadBalancerIPs()[0].String())},
			UnusableNetworkAddresses: []gwapiv1.GatewaySpecAddress{ipAddress(unusableAddress)},
		},
		Client:        h.Client,
		ClientOptions: client.Options{Scheme: h.Client.Scheme()},
		Clientset:     clientset,
		RestConfig:    rest.CopyConfig(h.RestConfig),
		ManifestFS:    []fs.FS{&upstream.Manifests},
		Hook:          rec.hook,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the conformance suite: %w", err)
	}
	t.Run("suite", func(t *testing.T) {
		cs.Setup(t, tests.ConformanceTests)
		if err := cs.Run(t, tests.ConformanceTests); err != nil {
			t.Fatal(err)
		}
	})
	report, err := cs.Report()
	if err != nil {
		return nil, err
	}
	return rec.summary(), writeReport(report, opts.ReportPath)
}

// selectTests turns RunOptions.RunTest into the suite's RunTest and
// SkipTests: one name is the suite's RunTest; a comma-separated list skips
// every other test of all.
func selectTests(runTest string, all []suite.ConformanceTest) (string, []string) {
	skip := SkipTests()
	if !strings.Contains(runTest, ",") {
		return runTest, skip
	}
	selected := strings.Split(runTest, ",")
	for _, test := range all {
		if !slices.Contains(selected, test.ShortName) && !slices.Contains(skip, test.ShortName) {
			skip = append(skip, test.ShortName)
		}
	}
	return "", skip
}

// unusableAddress is an IP address no simulated load balancer assigns:
// 192.0.2.0/24 is TEST-NET-1 (RFC 5737), outside every Network.
const unusableAddress = "192.0.2.1"

func ipAddress(v string) gwapiv1.GatewaySpecAddress {
	return gwapiv1.GatewaySpecAddress{Type: new(gwapiv1.IPAddressType), Value: v}
}

// implementation identifies this project in the report.
func implementation(v string) confv1.Implementation {
	if v == "" {
		v = version.Version
	}
	return confv1.Implementation{
		Organization: "envoygw",
		Project:      "envoy-gateway",
		URL:          "https://github.com/envoygw/envoy-gateway",
		Version:      v,
		Contact:      []string{"@envoygw/maintainers"},
	}
}

// writeReport writes the report as YAML, with profiles sorted by name so
// that runs compare line by line.
func writeReport(report *confv1.ConformanceReport, path string) error {
	slices.SortFunc(report.ProfileReports, func(a, b confv1.ProfileReport) int {
		return strings.Compare(a.Name, b.Name)
	})
	data, err := yaml.Marshal(report)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}

// Markdown renders every test's outcome as a Markdown document: the
// summary line, then a table of test, what it checks (status only, or the
// traffic it sends), result and, for a skipped test, why.
func (s *Summary) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Gateway API conformance results\n\n%s (written by `make conformance`).\n\n", s)
	b.WriteString("| test | checks | result | why it is skipped |\n|---|---|---|---|\n")
	for _, o := range s.Outcomes {
		checks := "mesh (not classified)"
		if kind, ok := trafficTests[o.Name]; ok {
			checks = kind
		} else if slices.Contains(statusOnlyTests, o.Name) {
			checks = "status"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", o.Name, checks, o.Result, o.Reason)
	}
	return b.String()
}

// Command benche2e measures what users of the control plane feel, end to
// end: it runs the envoy-gateway binary (File provider over a folder, or
// Kubernetes provider on an envtest API server) on a generated workload of
// N HTTPRoutes (workload.go), connects a state-of-the-world and a delta ADS
// client as Envoy would, and measures the time to the first full
// configuration, the latency of route, EndpointSlice and Secret changes up
// to the clients (with the batching delay the server reports, from its
// envoy_gateway_provider_batch_delay_seconds histogram, kept apart), and the
// server's memory and CPU. `make bench-e2e` runs it; docs/performance.md
// explains the figures.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

func main() {
	binary := flag.String("binary", "bin/envoy-gateway", "the envoy-gateway binary to run")
	routes := flag.String("routes", "1000,10000", "comma-separated workload sizes (HTTPRoutes)")
	providers := flag.String("providers", "file,kubernetes", "comma-separated providers: file, kubernetes")
	changes := flag.Int("changes", 50, "changes of each kind per run")
	warmup := flag.Int("warmup", 20, "changes of each kind made before the measured ones, reported apart")
	gap := flag.Duration("gap", 300*time.Millisecond, "pause between two changes")
	out := flag.String("out", "bin/bench-e2e", "folder for results.json, results.md and the runs' server logs")
	label := flag.String("label", "", "label of this set of runs in the results (before, after, ...)")
	batchDelay := flag.Duration("batch-delay", 0, "the server's provider.batchDelay; 0 leaves its default")
	pprof := flag.Bool("pprof", true,
		"enable /debug/pprof/ on the server's admin listener (false for binaries without admin.enablePprof)")
	profiles := flag.String("profiles", "", "folder for the server's pprof profiles of each run "+
		"(heap after load and after changes, CPU during each kind of change); empty saves none")
	trace := flag.Bool("trace", false,
		"with -profiles, also save an execution trace of the server during each kind of change (go tool trace)")
	gogc := flag.Int("gogc", 400, "the harness's own GOGC: its two clients hold decoded copies of the whole "+
		"configuration (about 300 MB at 10,000 routes) and, at the default 100, collect every change or two, "+
		"taking CPU from the server on a small machine; the server keeps the caller's environment")
	var serverEnv []string
	flag.Func("server-env", "a KEY=VALUE setting added to the server's environment only (GODEBUG=gctrace=1,scavtrace=1, "+
		"GOGC=200); may be repeated; the server otherwise keeps the caller's", func(kv string) error {
		if !strings.Contains(kv, "=") {
			return fmt.Errorf("%q is not KEY=VALUE", kv)
		}
		serverEnv = append(serverEnv, kv)
		return nil
	})
	clusterMetadata := flag.Bool("cluster-metadata", false, "Kubernetes provider: the objects carry what a cluster's do "+
		"beyond the workload's (kubectl's last-applied-configuration annotation on the Gateway API objects and "+
		"Services, EndpointSlices as the EndpointSlice controller writes them: see withClusterMetadata)")
	flag.Parse()
	debug.SetGCPercent(*gogc)
	base := runOptions{changes: *changes, warmup: *warmup, gap: *gap, batchDelay: *batchDelay, noPprof: !*pprof,
		profiles: *profiles, trace: *trace, serverEnv: serverEnv, clusterMetadata: *clusterMetadata}
	if err := mainErr(*binary, *routes, *providers, base, *out, *label); err != nil {
		log.Fatal(err)
	}
}

// report is the results file.
type report struct {
	Label   string       `json:"label"`
	Date    time.Time    `json:"date"`
	Machine string       `json:"machine"`
	Runs    []*runResult `json:"runs"`
}

// mainErr runs each provider at each size with the settings of base.
func mainErr(binary, routes, providers string, base runOptions, out, label string) error {
	sizes, err := parseSizes(routes)
	if err != nil {
		return err
	}
	binary, err = filepath.Abs(binary)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if base.profiles != "" {
		if err := os.MkdirAll(base.profiles, 0o755); err != nil {
			return err
		}
	}
	rep := &report{Label: label, Date: time.Now().UTC(), Machine: machine()}
	for provider := range strings.SplitSeq(providers, ",") {
		for _, n := range sizes {
			dir, err := os.MkdirTemp("", "bench-e2e-")
			if err != nil {
				return err
			}
			o := base
			o.binary, o.provider, o.routes, o.dir = binary, provider, n, dir
			res, err := run(o)
			keepLog(dir, out, provider, n)
			_ = os.RemoveAll(dir)
			if err != nil {
				return fmt.Errorf("%s, %d routes: %w", provider, n, err)
			}
			rep.Runs = append(rep.Runs, res)
			if err := write(out, rep); err != nil {
				return err
			}
		}
	}
	fmt.Print(markdown(rep))
	return nil
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-routes: %q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// keepLog copies the server log of a run into out.
func keepLog(dir, out, provider string, n int) {
	b, err := os.ReadFile(filepath.Join(dir, "server.log"))
	if err != nil {
		return
	}
	_ = os.WriteFile(filepath.Join(out, fmt.Sprintf("server-%s-%d.log", provider, n)), b, 0o644)
}

func write(out string, rep *report) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "results.json"), b, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "results.md"), []byte(markdown(rep)), 0o644)
}

// machine describes the CPU and core count.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s", model, runtime.NumCPU(), runtime.Version())
}

// markdown renders the report as tables: one row per run for load, memory
// and CPU, one per run and change kind for latencies.
func markdown(rep *report) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Runs %q on %s, %s.\n\n", rep.Label, rep.Machine, rep.Date.Format(time.RFC3339))
	b.WriteString("| provider | routes | first config sotw / delta (s) | RSS after load / after changes / peak (MiB) " +
		"| CPU load / changes (s) | load avg start / end |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Runs {
		fmt.Fprintf(&b, "| %s | %d | %.2f / %.2f | %.0f / %.0f / %.0f | %.1f / %.1f | %.1f / %.1f |\n",
			r.providerLabel(), r.Routes, r.FirstConfigSeconds["sotw"], r.FirstConfigSeconds["delta"],
			r.RSSAfterLoadMB, r.RSSAfterChangesMB, r.PeakRSSMB, r.CPULoadSeconds, r.CPUChangesSeconds,
			r.LoadAverage[0], r.LoadAverage[1])
	}
	b.WriteString("\n| provider | routes | at rest | RSS (MiB) | from files | heap spans in use " +
		"| heap free, not returned | heap objects |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Runs {
		for _, x := range []struct {
			when string
			rss  float64
			m    memoryReading
		}{{"after load", r.RSSAfterLoadMB, r.AfterLoad}, {"after changes", r.RSSAfterChangesMB, r.AfterChanges}} {
			fmt.Fprintf(&b, "| %s | %d | %s | %.0f | %.0f | %.0f | %.0f | %.0f |\n", r.providerLabel(), r.Routes, x.when,
				x.rss, x.m.FileMB, x.m.HeapInuseMB, x.m.HeapFreeMB, x.m.HeapObjectMB)
		}
	}
	b.WriteString("\n| provider | routes | change | n | sotw p50 / p99 / max (ms) | delta p50 / p99 / max (ms) " +
		"| batching p50 (ms) | processing sotw p50 / p99 (ms) | processing delta p50 / p99 (ms) " +
		"| API server delivery p50 / p99 (ms) | processing after delivery, sotw p50 / p99 (ms) " +
		"| page faults a change | warm-up: n, sotw p50 / max (ms), page faults a change |\n")
	b.WriteString("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rep.Runs {
		for _, kind := range changeKinds {
			c := r.Changes[kind]
			if c == nil {
				continue
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %d | %s | %s | %.0f | %s | %s | %s | %s | %d | %s |\n",
				r.providerLabel(), r.Routes, kind, len(c.EndToEnd["sotw"]),
				triple(c.EndToEnd["sotw"]), triple(c.EndToEnd["delta"]), msf(c.Batch.quantile(0.5)),
				pair(c.Processing["sotw"]), pair(c.Processing["delta"]),
				pairOrNone(c.Delivery), pairOrNone(c.ServerProcessing["sotw"]),
				perChange(c.MinorFaults, len(c.EndToEnd["sotw"])), warmupCell(c))
		}
	}
	return b.String()
}

// pairOrNone is pair(d), or "-" for no samples (a provider without a
// delivery step).
func pairOrNone(d durations) string {
	if len(d) == 0 {
		return "-"
	}
	return pair(d)
}

// perChange is n divided by changes (0 for none).
func perChange(n int64, changes int) int64 {
	if changes == 0 {
		return 0
	}
	return n / int64(changes)
}

// warmupCell sums up the warm-up changes of c ("-" for none).
func warmupCell(c *changeStats) string {
	w := c.WarmupEndToEnd["sotw"]
	if len(w) == 0 {
		return "-"
	}
	return fmt.Sprintf("%d, %.0f / %.0f, %d", len(w), msf(w.quantile(0.5)), msf(w.quantile(1)),
		perChange(c.WarmupMinorFaults, len(w)))
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func triple(d durations) string {
	return fmt.Sprintf("%.0f / %.0f / %.0f", msf(d.quantile(0.5)), msf(d.quantile(0.99)), msf(d.quantile(1)))
}

func pair(d durations) string {
	return fmt.Sprintf("%.0f / %.0f", msf(d.quantile(0.5)), msf(d.quantile(0.99)))
}

// providerLabel is the run's provider as the tables name it: with
// "+cluster metadata" when the objects carried it.
func (r *runResult) providerLabel() string {
	if r.ClusterMetadata {
		return r.Provider + " +cluster metadata"
	}
	return r.Provider
}

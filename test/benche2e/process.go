package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// serverProcess is the control plane binary running as a child process.
type serverProcess struct {
	cmd     *exec.Cmd
	started time.Time
	xds     string
	admin   string
	// exited is closed when the process has exited, with exitErr set.
	exited  chan struct{}
	exitErr error
}

// serverConfig is what the static configuration of a run says.
type serverConfig struct {
	// provider is "File" or "Kubernetes".
	provider string
	// paths are the File provider's folders.
	paths []string
	// batchDelay is provider.batchDelay; 0 leaves the default.
	batchDelay time.Duration
	// noPprof leaves admin.enablePprof out.
	noPprof bool
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// writeConfig writes the static configuration into dir and returns its
// path and the xDS and admin addresses.
func writeConfig(dir string, c serverConfig) (path, xds, admin string, err error) {
	xdsPort, err := freePort()
	if err != nil {
		return "", "", "", err
	}
	adminPort, err := freePort()
	if err != nil {
		return "", "", "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyGateway\nprovider:\n  type: %s\n", c.provider)
	if c.batchDelay > 0 {
		fmt.Fprintf(&b, "  batchDelay: %s\n", c.batchDelay)
	}
	switch c.provider {
	case "File":
		fmt.Fprintf(&b, "  file:\n    stateDir: %s\n    paths:\n", filepath.Join(dir, "state"))
		for _, p := range c.paths {
			fmt.Fprintf(&b, "    - %s\n", p)
		}
	case "Kubernetes":
		b.WriteString("  kubernetes:\n    leaderElection: {disable: true}\n")
	}
	fmt.Fprintf(&b, "xdsServer: {address: 127.0.0.1, port: %d, plaintext: true}\n", xdsPort)
	pprof := ", enablePprof: true"
	if c.noPprof {
		pprof = ""
	}
	fmt.Fprintf(&b, "admin: {address: \"127.0.0.1:%d\"%s}\nlogging: {level: info}\n", adminPort, pprof)
	path = filepath.Join(dir, "envoy-gateway.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return "", "", "", err
	}
	return path, fmt.Sprintf("127.0.0.1:%d", xdsPort), fmt.Sprintf("127.0.0.1:%d", adminPort), nil
}

// startServer runs binary with the configuration, its output in logPath.
func startServer(binary, dir string, c serverConfig, env []string, logPath string) (*serverProcess, error) {
	cfg, xds, admin, err := writeConfig(dir, c)
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "server", "--config-path", cfg)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// No envoy binary: the server serves xDS and writes bootstraps only.
	cmd.Env = append(os.Environ(), "PATH="+dir)
	cmd.Env = append(cmd.Env, env...)
	p := &serverProcess{cmd: cmd, xds: xds, admin: admin, exited: make(chan struct{})}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, err
	}
	go func() {
		p.exitErr = cmd.Wait()
		_ = logFile.Close()
		close(p.exited)
	}()
	return p, nil
}

// stop sends SIGTERM and waits up to 30 s, then kills.
func (p *serverProcess) stop() error {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return p.exitErr
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return errors.New("server did not stop within 30 s after SIGTERM; killed")
	}
}

// procStats are a process's memory and CPU use from /proc.
type procStats struct {
	// rssMB and peakMB are VmRSS and VmHWM in MiB; rssFileMB is the part
	// of VmRSS mapped from files (RssFile: the binary's pages).
	rssMB, peakMB, rssFileMB float64
	// cpuSeconds is user + system time.
	cpuSeconds float64
	// minorFaults are the page faults served without I/O (first touches
	// of memory the process got from the kernel, or gave back).
	minorFaults int64
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

func (p *serverProcess) stats() (procStats, error) {
	var s procStats
	pid := p.cmd.Process.Pid
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			s.rssMB = kb / 1024
		case "VmHWM:":
			s.peakMB = kb / 1024
		case "RssFile:":
			s.rssFileMB = kb / 1024
		}
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name (which may hold spaces) in parentheses.
	rest := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+2:]))
	if len(rest) < 13 {
		return s, fmt.Errorf("short /proc/%d/stat", pid)
	}
	s.minorFaults, _ = strconv.ParseInt(rest[7], 10, 64)
	utime, _ := strconv.ParseFloat(rest[11], 64)
	stime, _ := strconv.ParseFloat(rest[12], 64)
	s.cpuSeconds = (utime + stime) / clockTicks
	return s, nil
}

// metrics are the sums and counts of the server's histograms, its
// counters and its gauges, by metric name (labels summed).
type metrics struct {
	sum, count, gauge map[string]float64
}

// scrape reads the admin listener's /metrics.
func (p *serverProcess) scrape() (metrics, error) {
	m := metrics{sum: map[string]float64{}, count: map[string]float64{}, gauge: map[string]float64{}}
	req, err := http.NewRequest(http.MethodGet, "http://"+p.admin+"/metrics", nil)
	if err != nil {
		return m, err
	}
	// Uncompressed: gzip would be the harness's work done in the server,
	// counted in its CPU (about 0.2 s over a run's changes).
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return m, fmt.Errorf("/metrics: %s: %s", resp.Status, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bufio.NewReader(resp.Body))
	if err != nil {
		return m, err
	}
	for name, f := range families {
		for _, s := range f.GetMetric() {
			if h := s.GetHistogram(); h != nil {
				m.sum[name] += h.GetSampleSum()
				m.count[name] += float64(h.GetSampleCount())
			}
			if sm := s.GetSummary(); sm != nil {
				m.sum[name] += sm.GetSampleSum()
				m.count[name] += float64(sm.GetSampleCount())
			}
			if g := s.GetGauge(); g != nil {
				m.gauge[name] += g.GetValue()
			}
			if c := s.GetCounter(); c != nil {
				m.count[name] += c.GetValue()
				m.count[name+labelsOf(s)] += c.GetValue()
			}
		}
	}
	return m, nil
}

// labelsOf is a sample's labels as in the text format, {a="x",b="y"}, or
// "" when it has none.
func labelsOf(s *dto.Metric) string {
	if len(s.GetLabel()) == 0 {
		return ""
	}
	parts := make([]string, 0, len(s.GetLabel()))
	for _, l := range s.GetLabel() {
		parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// delta is the mean of a histogram's observations between two scrapes and
// how many there were.
func delta(before, after metrics, name string) (mean float64, n int) {
	n = int(after.count[name] - before.count[name])
	if n <= 0 {
		return 0, 0
	}
	return (after.sum[name] - before.sum[name]) / float64(n), n
}

package main

import (
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"google.golang.org/grpc/credentials/insecure"

	"github.com/envoygw/envoy-gateway/internal/xds/xdstest"
)

// Metric names the harness reads from the server.
const (
	batchDelayMetric   = "envoy_gateway_provider_batch_delay_seconds"
	translationsMetric = "envoy_gateway_translations_total"
	translateMetric    = "envoy_gateway_translate_duration_seconds"
	xdsTranslateMetric = "envoy_gateway_xds_translation_duration_seconds"
	// serverGCMetric is the Go collector's summary of GC pauses, one
	// observation per cycle.
	serverGCMetric = "go_gc_duration_seconds"
)

// clientNames are the two ADS clients of a run.
var clientNames = []string{"sotw", "delta"}

// maxMessageBytes bounds one xDS response at the clients.
const maxMessageBytes = 1 << 30

// follower is what the harness needs of an ADS client.
type follower interface {
	Await(typeURL string, pred xdstest.Predicate) <-chan time.Time
	Err() error
	Close()
}

// runOptions are one run's settings.
type runOptions struct {
	binary   string
	provider string
	routes   int
	changes  int
	// warmup are the changes of each kind made, and reported apart,
	// before the measured ones.
	warmup int
	dir    string
	// gap separates two changes, so that they are batched apart.
	gap time.Duration
	// batchDelay is the server's provider.batchDelay; 0 leaves the default.
	batchDelay time.Duration
	// noPprof leaves admin.enablePprof out of the static configuration
	// (for binaries that predate it).
	noPprof bool
	// profiles is the folder for the server's profiles; "" saves none.
	profiles string
	// trace adds an execution trace of each kind of change to the profiles.
	trace bool
	// serverEnv are KEY=VALUE settings added to the server's environment
	// only (not the harness's, nor the API server's).
	serverEnv []string
	// clusterMetadata gives the Kubernetes provider's objects what a
	// cluster's carry (withClusterMetadata).
	clusterMetadata bool
}

// runResult is what one run measured.
type runResult struct {
	Provider string `json:"provider"`
	// ClusterMetadata says the objects carried what a cluster's do.
	ClusterMetadata bool `json:"clusterMetadata,omitempty"`
	Routes          int  `json:"routes"`
	// CreateSeconds is how long writing the workload took (not the server's).
	CreateSeconds float64 `json:"createSeconds"`
	// FirstConfigSeconds is from the server's start to each client holding
	// the whole configuration.
	FirstConfigSeconds map[string]float64 `json:"firstConfigSeconds"`
	// Memory (MiB) and CPU of the server process.
	RSSAfterLoadMB    float64 `json:"rssAfterLoadMB"`
	RSSAfterChangesMB float64 `json:"rssAfterChangesMB"`
	PeakRSSMB         float64 `json:"peakRSSMB"`
	// AfterLoad and AfterChanges say what the RSS readings were made of.
	AfterLoad         memoryReading `json:"afterLoad"`
	AfterChanges      memoryReading `json:"afterChanges"`
	CPULoadSeconds    float64       `json:"cpuLoadSeconds"`
	CPUChangesSeconds float64       `json:"cpuChangesSeconds"`
	// Changes are the latencies by change kind.
	Changes map[string]*changeStats `json:"changes"`
	// LoadAverage is the machine's 1-minute load average at the start and end.
	LoadAverage [2]float64 `json:"loadAverage"`
}

// changeStats are the latencies of the changes of one kind.
type changeStats struct {
	// EndToEnd are, per client, from the write to the client holding the change.
	EndToEnd map[string]durations `json:"endToEnd"`
	// Batch are the batching delays the server reported for each change.
	Batch durations `json:"batch"`
	// Processing are, per client, EndToEnd minus Batch.
	Processing map[string]durations `json:"processing"`
	// Delivery are, with the Kubernetes provider, the times from the write
	// to a watcher's event of it (the API server's part, which Processing
	// includes), and ServerProcessing, per client, Processing minus
	// Delivery: what the control plane takes after the batching delay.
	Delivery         durations            `json:"delivery,omitempty"`
	ServerProcessing map[string]durations `json:"serverProcessing,omitempty"`
	// Unbatched counts the changes the server did not report a batch for
	// (no Batch and Processing sample).
	Unbatched int `json:"unbatched"`
	// Translations counts the resource translations the changes caused,
	// by mode (the server's envoy_gateway_translations_total: "patch" or
	// "full").
	Translations map[string]int `json:"translations"`
	// MinorFaults are the server's minor page faults over the changes (and
	// the pauses between them).
	MinorFaults int64 `json:"minorFaults"`
	// WarmupEndToEnd and WarmupMinorFaults are those of the warm-up
	// changes, made before the measured ones (see measureChanges).
	WarmupEndToEnd    map[string]durations `json:"warmupEndToEnd,omitempty"`
	WarmupMinorFaults int64                `json:"warmupMinorFaults,omitempty"`
	// Per measured change, in order, from the write to both clients
	// holding the change: the CPU the harness used (its clients' decoding,
	// its collector, its API client) and the GC cycles it completed, and
	// the server's CPU (in clock ticks of 10 ms). ServerGC are the server's
	// GC cycles between the scrapes of its metrics before and after.
	HarnessCPU []time.Duration `json:"harnessCPU,omitempty"`
	HarnessGC  []int           `json:"harnessGC,omitempty"`
	ServerCPU  []time.Duration `json:"serverCPU,omitempty"`
	ServerGC   []int           `json:"serverGC,omitempty"`
	// ServerFaults are the server's minor page faults in each change.
	ServerFaults []int64 `json:"serverFaults,omitempty"`
	// Translate and XdsTranslate are, per measured change, the time the
	// server spent in its resource translation and in its xDS
	// translations between the scrapes before and after it (its
	// envoy_gateway_translate_duration_seconds and
	// envoy_gateway_xds_translation_duration_seconds): the processing
	// they leave is the snapshot's building, the push and any waiting.
	Translate    []time.Duration `json:"translate,omitempty"`
	XdsTranslate []time.Duration `json:"xdsTranslate,omitempty"`
	// WrittenAt are, per measured change, the seconds from the server's
	// start to the change's write (to line its log, e.g. the runtime's
	// gctrace, up with the changes).
	WrittenAt []float64 `json:"writtenAt,omitempty"`
	// HarnessCollections counts the harness's own garbage collections
	// made between the measured changes (collectOwnGarbage).
	HarnessCollections int `json:"harnessCollections"`
}

// run measures one provider at one size.
func run(o runOptions) (*runResult, error) {
	res := &runResult{
		Provider: o.provider, Routes: o.routes, FirstConfigSeconds: map[string]float64{},
		ClusterMetadata: o.clusterMetadata && o.provider == "kubernetes",
		Changes:         map[string]*changeStats{},
	}
	res.LoadAverage[0] = loadAverage()
	w, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	defer w.close()
	objs, err := workload{n: o.routes}.objects()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := w.create(objs); err != nil {
		return nil, fmt.Errorf("creating the workload: %w", err)
	}
	res.CreateSeconds = time.Since(start).Seconds()
	log.Printf("%s/%d: %d objects written in %.1fs", o.provider, o.routes, len(objs), res.CreateSeconds)

	cfg, env := w.server()
	cfg.batchDelay, cfg.noPprof = o.batchDelay, o.noPprof
	proc, err := startServer(o.binary, o.dir, cfg, append(env, o.serverEnv...), filepath.Join(o.dir, "server.log"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if err := proc.stop(); err != nil {
			log.Printf("stopping the server: %v", err)
		}
	}()
	clients, err := dialClients(proc)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	if err := measureFirstConfig(o, proc, clients, res); err != nil {
		return nil, err
	}
	prof := newProfiler(o.profiles, o, proc)
	prof.heap("after-load")
	if err := measureChanges(o, w, proc, clients, res, prof); err != nil {
		return nil, err
	}
	prof.heap("after-changes")
	res.LoadAverage[1] = loadAverage()
	return res, nil
}

func newWorld(o runOptions) (world, error) {
	switch o.provider {
	case "file":
		return newFileWorld(o.dir), nil
	case "kubernetes":
		return newKubeWorld(o.dir, o.clusterMetadata)
	}
	return nil, fmt.Errorf("unknown provider %q (file or kubernetes)", o.provider)
}

// dialClients connects a state-of-the-world and a delta client, as Envoy
// (user agent "envoy"), retrying until the server listens (60 s).
func dialClients(p *serverProcess) (map[string]follower, error) {
	opts := xdstest.Options{
		Fleet: fleet, Creds: insecure.NewCredentials(), UserAgent: "envoy", MaxMessageBytes: maxMessageBytes,
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		sotw, err := xdstest.DialWith(p.xds, opts)
		if err == nil {
			delta, err := xdstest.DialDelta(p.xds, opts)
			if err != nil {
				sotw.Close()
				return nil, err
			}
			return map[string]follower{"sotw": sotw, "delta": delta}, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("connecting to the xDS server: %w", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// firstConfigTimeout bounds the wait for the whole configuration.
const firstConfigTimeout = 15 * time.Minute

// measureFirstConfig waits for each client to hold the whole configuration,
// then for the server to be idle, and records memory and CPU.
func measureFirstConfig(o runOptions, p *serverProcess, clients map[string]follower, res *runResult) error {
	full := fullConfig(o.routes)
	waits := map[string]map[string]<-chan time.Time{}
	for _, name := range clientNames {
		waits[name] = map[string]<-chan time.Time{}
		for typeURL, pred := range full {
			waits[name][typeURL] = clients[name].Await(typeURL, pred)
		}
	}
	timeout := time.After(firstConfigTimeout)
	for _, name := range clientNames {
		var last time.Time
		for typeURL, wait := range waits[name] {
			select {
			case at := <-wait:
				last = maxTime(last, at)
			case <-timeout:
				return fmt.Errorf("%s client: no full %s within %s (client error: %v)",
					name, typeURL, firstConfigTimeout, clients[name].Err())
			case <-p.exited:
				return fmt.Errorf("the server exited: %v", p.exitErr)
			}
		}
		res.FirstConfigSeconds[name] = last.Sub(p.started).Seconds()
	}
	log.Printf("%s/%d: full configuration after %.2fs (sotw) %.2fs (delta)", o.provider, o.routes,
		res.FirstConfigSeconds["sotw"], res.FirstConfigSeconds["delta"])
	st, err := waitIdle(p)
	if err != nil {
		return err
	}
	res.RSSAfterLoadMB, res.CPULoadSeconds = st.rssMB, st.cpuSeconds
	res.AfterLoad, err = readMemory(p, st)
	return err
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// waitIdle waits (up to 10 minutes) until the server used less than 2% of
// a core over two seconds, and returns its stats then.
func waitIdle(p *serverProcess) (procStats, error) {
	prev, err := p.stats()
	if err != nil {
		return prev, err
	}
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		time.Sleep(2 * time.Second)
		cur, err := p.stats()
		if err != nil {
			return cur, err
		}
		if cur.cpuSeconds-prev.cpuSeconds < 0.04 {
			return cur, nil
		}
		prev = cur
	}
	return prev, fmt.Errorf("the server was still busy after 10 minutes")
}

// changeTimeout bounds the wait for one change to reach both clients.
const changeTimeout = 2 * time.Minute

// measureChanges applies o.changes changes of each kind, one at a time,
// and records their latencies, then memory and CPU.
func measureChanges(
	o runOptions, w world, p *serverProcess, clients map[string]follower, res *runResult, prof *profiler,
) error {
	before, err := p.stats()
	if err != nil {
		return err
	}
	for _, kind := range changeKinds {
		st := &changeStats{
			EndToEnd: map[string]durations{}, Processing: map[string]durations{}, Translations: map[string]int{},
		}
		res.Changes[kind] = st
		warmStart := time.Now()
		if err := warmUp(o, w, p, clients, kind, st); err != nil {
			return err
		}
		profiled := prof.cpu(kind, profileLength(o, time.Since(warmStart)))
		start, err := p.stats()
		if err != nil {
			return err
		}
		for k := o.warmup + 1; k <= o.warmup+o.changes; k++ {
			if err := measureChange(o, w, p, clients, kind, k, st); err != nil {
				return fmt.Errorf("%s change %d: %w", kind, k, err)
			}
			if collectOwnGarbage() {
				st.HarnessCollections++
			}
			time.Sleep(o.gap)
		}
		profiled()
		end, err := p.stats()
		if err != nil {
			return err
		}
		st.MinorFaults = end.minorFaults - start.minorFaults
		log.Printf("%s/%d: %s changes: sotw p50 %s p99 %s, batch p50 %s, translations %v, %d minor faults a change",
			o.provider, o.routes, kind, ms(st.EndToEnd["sotw"].quantile(0.5)), ms(st.EndToEnd["sotw"].quantile(0.99)),
			ms(st.Batch.quantile(0.5)), st.Translations, st.MinorFaults/int64(o.changes))
	}
	after, err := waitIdle(p)
	if err != nil {
		return err
	}
	res.RSSAfterChangesMB, res.PeakRSSMB = after.rssMB, after.peakMB
	res.CPUChangesSeconds = after.cpuSeconds - before.cpuSeconds
	res.AfterChanges, err = readMemory(p, after)
	return err
}

// memoryReading is what an RSS reading at rest is made of (MiB): the
// pages mapped from files (the binary's), and the Go heap as the server's
// runtime reports it right after: the pages of its spans in use, the free
// pages it holds without having returned them to the system, and the
// live objects.
type memoryReading struct {
	FileMB       float64 `json:"fileMB"`
	HeapInuseMB  float64 `json:"heapInuseMB"`
	HeapFreeMB   float64 `json:"heapFreeMB"`
	HeapObjectMB float64 `json:"heapObjectMB"`
}

// readMemory completes the reading st with the server's heap metrics.
func readMemory(p *serverProcess, st procStats) (memoryReading, error) {
	m, err := p.scrape()
	if err != nil {
		return memoryReading{}, err
	}
	for _, name := range []string{"go_memstats_heap_inuse_bytes", "go_memstats_heap_idle_bytes",
		"go_memstats_heap_released_bytes", "go_memstats_heap_alloc_bytes"} {
		if _, ok := m.gauge[name]; !ok {
			return memoryReading{}, fmt.Errorf("/metrics has no %s", name)
		}
	}
	const mib = 1 << 20
	return memoryReading{
		FileMB:       st.rssFileMB,
		HeapInuseMB:  m.gauge["go_memstats_heap_inuse_bytes"] / mib,
		HeapFreeMB:   (m.gauge["go_memstats_heap_idle_bytes"] - m.gauge["go_memstats_heap_released_bytes"]) / mib,
		HeapObjectMB: m.gauge["go_memstats_heap_alloc_bytes"] / mib,
	}, nil
}

// profileLength is how long the profiles of a kind's measured changes
// last: as long as the warm-up changes took, scaled to the number of
// measured changes, plus a second (the profiles then cover them all;
// the next kind waits for them to end); without warm-up, the pauses
// alone (the profiles then end before the last changes).
func profileLength(o runOptions, warmUp time.Duration) time.Duration {
	if o.warmup == 0 {
		return time.Duration(o.changes) * o.gap
	}
	return warmUp*time.Duration(o.changes)/time.Duration(o.warmup) + time.Second
}

// warmUp makes the first o.warmup changes of a kind, recording their
// latencies and the server's page faults apart from the measured changes'.
// After the load, the server's heap grows to the size its garbage
// collector settles at over the first changes, each then paying the
// first touches of fresh memory (about 800 page faults a route change at
// 10,000 routes): what a server started moments before pays once, not the
// cost of a change in a server that runs. The warm-up changes show it.
func warmUp(o runOptions, w world, p *serverProcess, clients map[string]follower, kind string, st *changeStats) error {
	if o.warmup == 0 {
		return nil
	}
	warm := &changeStats{
		EndToEnd: map[string]durations{}, Processing: map[string]durations{}, Translations: map[string]int{},
	}
	start, err := p.stats()
	if err != nil {
		return err
	}
	for k := 1; k <= o.warmup; k++ {
		if err := measureChange(o, w, p, clients, kind, k, warm); err != nil {
			return fmt.Errorf("%s warm-up change %d: %w", kind, k, err)
		}
		collectOwnGarbage()
		time.Sleep(o.gap)
	}
	end, err := p.stats()
	if err != nil {
		return err
	}
	st.WarmupEndToEnd, st.WarmupMinorFaults = warm.EndToEnd, end.minorFaults-start.minorFaults
	log.Printf("%s/%d: %s warm-up: sotw p50 %s max %s, %d minor faults a change", o.provider, o.routes, kind,
		ms(warm.EndToEnd["sotw"].quantile(0.5)), ms(warm.EndToEnd["sotw"].quantile(1)),
		st.WarmupMinorFaults/int64(o.warmup))
	return nil
}

// measureChange applies the k-th change of a kind and waits for both clients.
func measureChange(
	o runOptions, w world, p *serverProcess, clients map[string]follower, kind string, k int, st *changeStats,
) error {
	c, err := newChange(o.routes, kind, k)
	if err != nil {
		return err
	}
	update, err := w.prepare(c.object)
	if err != nil {
		return err
	}
	waits := map[string]<-chan time.Time{}
	for _, name := range clientNames {
		waits[name] = clients[name].Await(c.typeURL, c.done)
	}
	m0, err := p.scrape()
	if err != nil {
		return err
	}
	own0, server0, err := sampleBoth(p)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := update.apply(); err != nil {
		return err
	}
	latency, err := awaitClients(p, clients, waits, t0)
	if err != nil {
		return err
	}
	own1, server1, err := sampleBoth(p)
	if err != nil {
		return err
	}
	// The delivery's watch stops here, whatever is measured next.
	var delivery time.Duration
	if update.delivered != nil {
		at, err := update.delivered()
		if err != nil {
			return err
		}
		delivery = at.Sub(t0)
	}
	m1, err := p.scrape()
	if err != nil {
		return err
	}
	st.WrittenAt = append(st.WrittenAt, t0.Sub(p.started).Seconds())
	st.recordCosts(own0, own1, server0, server1, m0, m1)
	st.recordLatency(latency, m0, m1, delivery, update.delivered != nil)
	return nil
}

// recordLatency records one change's latency at each client and, when the
// server reported a batch for it, its batching delay and the processing
// (end to end minus the batching delay, and minus the API server's
// delivery when it was watched).
func (st *changeStats) recordLatency(
	latency map[string]time.Duration, m0, m1 metrics, delivery time.Duration, delivered bool,
) {
	for name, l := range latency {
		st.EndToEnd[name] = append(st.EndToEnd[name], l)
	}
	batch, batches := delta(m0, m1, batchDelayMetric)
	if batches == 0 {
		// Picked up by something else than a batch of events (the File
		// provider's periodic re-read): no batching delay to take off.
		st.Unbatched++
		return
	}
	st.Batch = append(st.Batch, secs(batch))
	for name, l := range latency {
		st.Processing[name] = append(st.Processing[name], l-secs(batch))
	}
	if !delivered {
		return
	}
	st.Delivery = append(st.Delivery, delivery)
	if st.ServerProcessing == nil {
		st.ServerProcessing = map[string]durations{}
	}
	for name, l := range latency {
		st.ServerProcessing[name] = append(st.ServerProcessing[name], l-secs(batch)-delivery)
	}
}

// awaitClients waits for each client to hold the change written at t0 and
// returns each one's latency.
func awaitClients(
	p *serverProcess, clients map[string]follower, waits map[string]<-chan time.Time, t0 time.Time,
) (map[string]time.Duration, error) {
	latency := map[string]time.Duration{}
	for _, name := range clientNames {
		select {
		case at := <-waits[name]:
			latency[name] = at.Sub(t0)
		case <-time.After(changeTimeout):
			return nil, fmt.Errorf("%s client did not get it within %s (client error: %v)",
				name, changeTimeout, clients[name].Err())
		case <-p.exited:
			return nil, fmt.Errorf("the server exited: %v", p.exitErr)
		}
	}
	return latency, nil
}

// recordCosts records what one change cost the harness and the server,
// from the samples and scrapes taken before and after it, and the
// translations it caused.
func (st *changeStats) recordCosts(own0, own1 ownSample, server0, server1 procStats, m0, m1 metrics) {
	st.HarnessCPU = append(st.HarnessCPU, own1.cpu-own0.cpu)
	st.HarnessGC = append(st.HarnessGC, int(own1.gcCycles-own0.gcCycles))
	st.ServerCPU = append(st.ServerCPU, secs(server1.cpuSeconds-server0.cpuSeconds))
	st.ServerGC = append(st.ServerGC, int(m1.count[serverGCMetric]-m0.count[serverGCMetric]))
	st.ServerFaults = append(st.ServerFaults, server1.minorFaults-server0.minorFaults)
	st.Translate = append(st.Translate, secs(m1.sum[translateMetric]-m0.sum[translateMetric]))
	st.XdsTranslate = append(st.XdsTranslate, secs(m1.sum[xdsTranslateMetric]-m0.sum[xdsTranslateMetric]))
	for _, mode := range []string{"patch", "full"} {
		name := translationsMetric + `{mode="` + mode + `"}`
		if n := int(m1.count[name] - m0.count[name]); n > 0 {
			st.Translations[mode] += n
		}
	}
}

// sampleBoth samples the harness and the server process.
func sampleBoth(p *serverProcess) (ownSample, procStats, error) {
	own := sampleOwn()
	server, err := p.stats()
	return own, server, err
}

func newChange(n int, kind string, k int) (change, error) {
	switch kind {
	case kindRoute:
		return routeChange(n, k), nil
	case kindEndpoints:
		return endpointsChange(n, k), nil
	case kindSecret:
		cert, err := newCertificate(int64(k))
		if err != nil {
			return change{}, err
		}
		return secretChange(cert), nil
	}
	return change{}, fmt.Errorf("unknown change kind %q", kind)
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// durations are measured latencies.
type durations []time.Duration

// quantile returns the nearest-rank q-quantile (0 for no sample).
func (d durations) quantile(q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(math.Ceil(q*float64(len(s)))) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0fms", float64(d)/float64(time.Millisecond)) }

// loadAverage is the 1-minute load average (0 when unknown).
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	_, _ = fmt.Sscanf(string(b), "%f", &l)
	return l
}

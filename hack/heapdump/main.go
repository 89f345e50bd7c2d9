// Command heapdump reads a Go heap dump (runtime/debug.WriteHeapDump; the
// server writes one when built with -tags heapdump, see
// cmd/envoy-gateway/heapdump.go) and reports where the heap's pages hold
// room no object uses:
//
//   - per size class, the spans' bytes, their objects' bytes and the room
//     left (the waste), largest first;
//   - per allocation site sampled by the memory profiler (run the server
//     with GODEBUG=memprofilerate=65536 for enough samples), the occupancy
//     of the spans holding its objects and the waste they account for;
//   - the same waste by package of this module (the deepest frame of the
//     module in the site's stack).
//
// A long-lived object allocated between short-lived ones of its size
// class shares their span; once they are collected, the span stays in
// use for it, mostly empty, and the runtime cannot return its pages.
//
// Usage: go run ./hack/heapdump [-depth 4] [-rate 65536] DUMP
package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	depth := flag.Int("depth", 4, "frames of a site's stack shown")
	rate := flag.Float64("rate", 65536, "the server's runtime.MemProfileRate: the bytes a sample stands for")
	sites := flag.Int("sites", 40, "sites listed by live bytes")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: heapdump [-depth N] [-rate BYTES] DUMP")
		os.Exit(2)
	}
	d, err := readDump(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "heapdump:", err)
		os.Exit(1)
	}
	pages, err := spanBytesBySize()
	if err != nil {
		fmt.Fprintln(os.Stderr, "heapdump:", err)
		os.Exit(1)
	}
	spans, spanOf := groupSpans(d.objects, pages)
	reportClasses(d, spans)
	reportSites(d, spanOf, *depth, *rate)
	reportLive(d, spanOf, *depth, *rate, *sites)
}

// span is a span rebuilt from its objects: those of one size, consecutive
// in the dump (which lists each span's objects in address order), within
// one span's extent of the first one's page.
type span struct {
	base, bytes, used, size uint64
}

// groupSpans rebuilds the spans of objects; pages gives the span bytes of
// each small size class (a larger object is a span of its own).
func groupSpans(objects []object, pages map[uint64]uint64) ([]*span, map[uint64]*span) {
	var spans []*span
	spanOf := make(map[uint64]*span, len(objects))
	var cur *span
	for _, o := range objects {
		bytes, small := pages[o.size]
		if !small {
			bytes = (o.size + pageSize - 1) &^ (pageSize - 1)
		}
		if cur == nil || cur.size != o.size || o.addr < cur.base || o.addr+o.size > cur.base+cur.bytes {
			cur = &span{base: o.addr &^ (pageSize - 1), bytes: bytes, size: o.size}
			spans = append(spans, cur)
		}
		cur.used += o.size
		spanOf[o.addr] = cur
	}
	return spans, spanOf
}

const pageSize = 8192

// reportClasses prints the waste of each size class, largest first.
func reportClasses(d *dump, spans []*span) {
	type class struct{ spans, bytes, used uint64 }
	bySize := map[uint64]*class{}
	var total class
	for _, s := range spans {
		c := bySize[s.size]
		if c == nil {
			c = &class{}
			bySize[s.size] = c
		}
		c.spans++
		c.bytes += s.bytes
		c.used += s.used
		total.bytes += s.bytes
		total.used += s.used
	}
	fmt.Printf("objects %d in %d spans: spans %.1f MB, objects %.1f MB, waste %.1f MB\n",
		len(d.objects), len(spans), mb(total.bytes), mb(total.used), mb(total.bytes-total.used))
	if d.memStats != nil {
		fmt.Printf("MemStats: HeapAlloc %.1f MB, HeapInuse %.1f MB\n", mb(d.memStats[6]), mb(d.memStats[9]))
	}
	sizes := make([]uint64, 0, len(bySize))
	for s := range bySize {
		sizes = append(sizes, s)
	}
	waste := func(s uint64) uint64 { return bySize[s].bytes - bySize[s].used }
	slices.SortFunc(sizes, func(a, b uint64) int { return cmp.Compare(waste(b), waste(a)) })
	fmt.Println("\n  size  spans  span MB  object MB  waste MB  occupancy")
	for _, s := range sizes[:min(20, len(sizes))] {
		c := bySize[s]
		fmt.Printf("%6d %6d %8.1f %10.1f %9.1f %9.0f%%\n",
			s, c.spans, mb(c.bytes), mb(c.used), mb(waste(s)), 100*float64(c.used)/float64(c.bytes))
	}
}

// site is what the samples of one allocation site (and object size) say.
type site struct {
	samples          int
	occupancy, waste float64
}

// reportSites prints, per sampled site of small objects, the mean
// occupancy of its objects' spans and the waste they stand for (each
// sample standing for rate bytes of the site's objects), then that waste
// by package of this module.
func reportSites(d *dump, spanOf map[uint64]*span, depth int, rate float64) {
	sites := map[string]*site{}
	byPackage := map[string]float64{}
	for addr, bucket := range d.samples {
		s := spanOf[addr]
		if s == nil || s.size > 32768 {
			continue
		}
		stack := d.stacks[bucket]
		key := fmt.Sprintf("%6d  %s", s.size, siteName(stack, depth))
		x := sites[key]
		if x == nil {
			x = &site{}
			sites[key] = x
		}
		occupancy := float64(s.used) / float64(s.bytes)
		waste := max(rate, float64(s.size)) * (1/occupancy - 1)
		x.samples++
		x.occupancy += occupancy
		x.waste += waste
		byPackage[packageOf(stack)] += waste
	}
	keys := make([]string, 0, len(sites))
	for k := range sites {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(sites[b].waste, sites[a].waste) })
	fmt.Println("\nsamples  occupancy  waste MB    size  site")
	for _, k := range keys[:min(30, len(keys))] {
		x := sites[k]
		fmt.Printf("%7d %9.0f%% %9.1f  %s\n", x.samples, 100*x.occupancy/float64(x.samples), x.waste/1e6, k)
	}
	pkgs := make([]string, 0, len(byPackage))
	for p := range byPackage {
		pkgs = append(pkgs, p)
	}
	slices.SortFunc(pkgs, func(a, b string) int { return cmp.Compare(byPackage[b], byPackage[a]) })
	fmt.Println("\nwaste MB  package")
	for _, p := range pkgs {
		fmt.Printf("%8.1f  %s\n", byPackage[p]/1e6, p)
	}
}

// reportLive prints the live bytes the samples stand for (an object of
// size s sampled at rate r stands for s / (1 - e^(-s/r)) bytes, as pprof
// counts it), per site, per function of this module (the deepest in the
// site's stack) and per package of this module.
func reportLive(d *dump, spanOf map[uint64]*span, depth int, rate float64, top int) {
	sites := map[string]float64{}
	byFunction := map[string]float64{}
	byPackage := map[string]float64{}
	for addr, bucket := range d.samples {
		s := spanOf[addr]
		if s == nil {
			continue
		}
		size := float64(s.size)
		live := size / (1 - math.Exp(-size/rate))
		stack := d.stacks[bucket]
		sites[siteName(stack, depth)] += live
		byFunction[functionOf(stack)] += live
		byPackage[packageOf(stack)] += live
	}
	printLargest("live MB  site", sites, top)
	printLargest("live MB  function of this module (the deepest in the site's stack)", byFunction, 60)
	printLargest("live MB  package", byPackage, len(byPackage))
}

// printLargest prints the n largest entries of m, in MB, under title.
func printLargest(title string, m map[string]float64, n int) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Compare(m[b], m[a]) })
	fmt.Println("\n" + title)
	for _, k := range keys[:min(n, len(keys))] {
		fmt.Printf("%7.1f  %s\n", m[k]/1e6, k)
	}
}

const module = "github.com/envoygw/envoy-gateway/"

// siteName is the first depth frames of stack outside the runtime and
// reflection, shortened.
func siteName(stack []string, depth int) string {
	var frames []string
	for _, fn := range stack {
		if strings.HasPrefix(fn, "runtime.") || strings.HasPrefix(fn, "reflect.") || strings.HasPrefix(fn, "internal/") {
			continue
		}
		frames = append(frames, strings.TrimPrefix(strings.TrimPrefix(fn, module), "internal/"))
		if len(frames) == depth {
			break
		}
	}
	return strings.Join(frames, " < ")
}

// functionOf is the deepest function of this module in stack, or "other".
func functionOf(stack []string) string {
	for _, fn := range stack {
		if rest, ok := strings.CutPrefix(fn, module); ok {
			return rest
		}
	}
	return "other"
}

// packageOf is the package of the deepest frame of this module in stack,
// or "other".
func packageOf(stack []string) string {
	for _, fn := range stack {
		if rest, ok := strings.CutPrefix(fn, module); ok {
			if i := strings.Index(rest, "."); i > 0 {
				return rest[:i]
			}
			return rest
		}
	}
	return "other"
}

// spanBytesBySize reads the bytes of a span of each small size class from
// the size class table of the Go installation on PATH (the server's, when
// built here).
func spanBytesBySize() (map[uint64]uint64, error) {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOROOT: %w", err)
	}
	src, err := os.ReadFile(strings.TrimSpace(string(goroot)) + "/src/internal/runtime/gc/sizeclasses.go")
	if err != nil {
		return nil, err
	}
	out := map[uint64]uint64{}
	row := regexp.MustCompile(`(?m)^//\s+\d+\s+(\d+)\s+(\d+)\s+\d+`)
	for _, m := range row.FindAllStringSubmatch(string(src), -1) {
		size, _ := strconv.ParseUint(m[1], 10, 64)
		bytes, _ := strconv.ParseUint(m[2], 10, 64)
		out[size] = bytes
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no size classes in %s", src)
	}
	return out, nil
}

func mb(b uint64) float64 { return float64(b) / 1e6 }

// newReader opens path for readDump.
func newReader(path string) (*reader, *os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	return &reader{r: bufio.NewReaderSize(f, 1<<20)}, f, nil
}

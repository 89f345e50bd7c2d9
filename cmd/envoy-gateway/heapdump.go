//go:build heapdump

// A diagnostic build (go build -tags heapdump): on SIGUSR1 the server
// collects its garbage and writes a heap dump (runtime/debug.WriteHeapDump)
// to $EG_HEAPDUMP.<n>, for hack/heapdump to read. A heap dump holds every
// object's bytes, secrets included: this file is not in the default build.

package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
)

func init() {
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGUSR1)
	go func() {
		n := 0
		for range signals {
			n++
			if err := writeHeapDump(fmt.Sprintf("%s.%d", os.Getenv("EG_HEAPDUMP"), n)); err != nil {
				fmt.Fprintln(os.Stderr, "heap dump:", err)
			}
		}
	}()
}

func writeHeapDump(path string) error {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	debug.WriteHeapDump(f.Fd())
	return f.Close()
}

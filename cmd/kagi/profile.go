package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startCPUProfile starts a CPU profile written to path (KAGI_CPUPROFILE of
// kagi serve, for `go tool pprof`); "" starts none. The returned function
// ends the profile; kagi serve calls it after its graceful shutdown, so the
// file is complete once the process has exited on SIGTERM. A profile holds
// function names and sample counts, never request or key data.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("KAGI_CPUPROFILE: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("KAGI_CPUPROFILE: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// result is one operation on one server at one client count.
type result struct {
	Requests int           `json:"requests"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	Rate     float64       `json:"requests_per_s"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
	// CPU is the server process's CPU time (user + system) per request,
	// from /proc: what the server itself spends, whoever saturates the
	// machine. 0 when unknown.
	CPU time.Duration `json:"server_cpu_per_request_ns"`
}

// measure runs one op per client in a loop for d, each client on its own
// goroutine, and records the latency of every request. Each op runs once
// before the clock starts (connection set-up, and a case that fails fails
// at once); the first error ends the case. The clock stops when the last
// request in flight at d has finished.
func measure(ctx context.Context, ops []op, d time.Duration, pid int) (*result, error) {
	for _, o := range ops {
		if err := o(ctx); err != nil {
			return nil, err
		}
	}
	var (
		stop  atomic.Bool
		start = make(chan struct{})
		lats  = make([][]time.Duration, len(ops))
		wg    sync.WaitGroup
		errMu sync.Mutex
		first error
	)
	for i, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := make([]time.Duration, 0, 4096)
			<-start
			for !stop.Load() {
				t0 := time.Now()
				err := o(ctx)
				l = append(l, time.Since(t0))
				if err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
					stop.Store(true)
				}
			}
			lats[i] = l
		}()
	}
	cpu0, cpuErr := processCPU(pid)
	t0 := time.Now()
	close(start)
	select {
	case <-time.After(d):
	case <-ctx.Done():
	}
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	cpu1, cpuErr1 := processCPU(pid)
	if first != nil {
		return nil, first
	}
	all := slices.Concat(lats...)
	if len(all) == 0 {
		return nil, errors.New("no request finished in the measuring time")
	}
	slices.Sort(all)
	var cpu time.Duration
	if cpuErr == nil && cpuErr1 == nil {
		cpu = (cpu1 - cpu0) / time.Duration(len(all))
	}
	return &result{
		CPU:      cpu,
		Requests: len(all),
		Elapsed:  elapsed,
		Rate:     float64(len(all)) / elapsed.Seconds(),
		P50:      percentile(all, 0.50),
		P99:      percentile(all, 0.99),
	}, nil
}

// percentile is the nearest-rank percentile of sorted latencies.
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// processCPU is the user and system CPU time of process pid so far
// (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s on Linux).
func processCPU(pid int) (time.Duration, error) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields count from its ')'.
	i := bytes.LastIndexByte(raw, ')')
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(string(raw[i+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("unreadable /proc stat times")
	}
	const tick = 10 * time.Millisecond // USER_HZ is 100 on every Linux ABI Go supports
	return time.Duration(utime+stime) * tick, nil
}

package main

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// op is one operation of a benchmark case, as a user would do it.
type op func() error

// worker prepares one thread's op (for PKCS#11: opens its own session) and
// returns it with a cleanup function.
type worker func(i int) (op, func(), error)

// measure runs threads workers for d, each calling its op in a loop, and
// returns the total rate in operations per second. Every op is run once
// before the clock starts, so a case that does not work fails at once; the
// first error stops the case. Each worker finishes at least one timed op,
// and the clock stops when the last one is done.
func measure(threads int, d time.Duration, newWorker worker) (float64, error) {
	ops := make([]op, threads)
	for i := range threads {
		o, cleanup, err := newWorker(i)
		if err != nil {
			return 0, err
		}
		defer cleanup()
		if err := o(); err != nil {
			return 0, err
		}
		ops[i] = o
	}

	var (
		stop   atomic.Bool
		start  = make(chan struct{})
		counts = make([]int64, threads)
		wg     sync.WaitGroup
		errMu  sync.Mutex
		first  error
	)
	for i, o := range ops {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// At least one timed op per worker, however slow it is.
			n := int64(0)
			for {
				if err := o(); err != nil {
					errMu.Lock()
					if first == nil {
						first = err
					}
					errMu.Unlock()
					stop.Store(true)
					break
				}
				n++
				if stop.Load() {
					break
				}
			}
			counts[i] = n
		}()
	}
	t0 := time.Now()
	close(start)
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	if first != nil {
		return 0, first
	}
	total := int64(0)
	for _, n := range counts {
		total += n
	}
	if total == 0 {
		return 0, errors.New("no operation finished in the measuring time")
	}
	return float64(total) / elapsed.Seconds(), nil
}

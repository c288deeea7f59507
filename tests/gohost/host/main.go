// Command host is a Go program that loads libkagi.so through miekg/pkcs11,
// as every crypto11 or miekg/pkcs11 user does, and checks that its own Go
// runtime keeps working with a second Go runtime (the module's) in the
// process (issue 3, "Go programs as hosts").
//
// A c-shared Go library installs its own handler for SIGURG, the signal the
// host's runtime uses to preempt goroutines, and does not forward it. Unless
// the module hands SIGURG back, goroutines that spin without calling a
// function can no longer be preempted: with GOMAXPROCS=2 and four of them,
// the goroutines calling the module never get a P back and the program hangs.
// So the first check is simply that this program finishes.
//
// Then, with the spinners still running: SIGPIPE behaves as Go's default
// (a write to a closed pipe returns EPIPE, the process lives), os/exec works
// (it needs SIGCHLD), and signal.Notify receives self-sent SIGTERM and SIGINT.
//
// Usage: host -module path/to/libkagi.so [-duration 3s]
// The module's database comes from $KAGI_DB (a fresh file gives a free slot).
// Prints one line per check and exits 1 if any failed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/pkcs11"
)

const (
	spinners = 4
	callers  = 8
	soPIN    = "12345678"
	label    = "gohost"
)

var failures int

func check(ok bool, format string, args ...any) {
	status := "ok  "
	if !ok {
		status = "FAIL"
		failures++
	}
	fmt.Printf("%s %s\n", status, fmt.Sprintf(format, args...))
}

func main() {
	module := flag.String("module", "", "path of the PKCS#11 module")
	duration := flag.Duration("duration", 3*time.Second, "how long the callers run")
	flag.Parse()
	if *module == "" {
		fmt.Fprintln(os.Stderr, "usage: host -module path/to/libkagi.so [-duration 3s]")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(2)

	// Never ctx.Destroy(): a Go c-shared library must not be unloaded.
	ctx := pkcs11.New(*module)
	if ctx == nil {
		fmt.Printf("FAIL cannot load %s\n", *module)
		os.Exit(1)
	}
	if err := ctx.Initialize(); err != nil {
		fmt.Printf("FAIL C_Initialize: %v\n", err)
		os.Exit(1)
	}
	slot, err := initToken(ctx)
	if err != nil {
		fmt.Printf("FAIL setting up a token: %v\n", err)
		os.Exit(1)
	}

	// Spinners: no function call in the loop, so only an asynchronous
	// preemption (SIGURG) can take their P away. The atomic load compiles
	// to a plain load, not a call.
	var spinStop atomic.Bool
	var spinCount [spinners]uint64
	var spinWG sync.WaitGroup
	for i := range spinners {
		spinWG.Add(1)
		go func() {
			defer spinWG.Done()
			x := uint64(0)
			for {
				x++
				if x&0xffff == 0 && spinStop.Load() {
					spinCount[i] = x
					return
				}
			}
		}()
	}

	// Callers: each has its own session and calls the module in a loop.
	var stop atomic.Bool
	var calls [callers]int64
	errs := make(chan error, callers)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
			if err != nil {
				errs <- fmt.Errorf("caller %d: C_OpenSession: %w", i, err)
				return
			}
			defer ctx.CloseSession(s)
			for !stop.Load() {
				if _, err := ctx.GenerateRandom(s, 32); err != nil {
					errs <- fmt.Errorf("caller %d: C_GenerateRandom: %w", i, err)
					return
				}
				if _, err := ctx.GetSlotList(true); err != nil {
					errs <- fmt.Errorf("caller %d: C_GetSlotList: %w", i, err)
					return
				}
				if _, err := ctx.GetSessionInfo(s); err != nil {
					errs <- fmt.Errorf("caller %d: C_GetSessionInfo: %w", i, err)
					return
				}
				calls[i]++
			}
		}()
	}
	time.Sleep(*duration)
	stop.Store(true)
	wg.Wait()
	close(errs)
	elapsed := time.Since(start)
	for err := range errs {
		check(false, "%v", err)
	}
	total := int64(0)
	idle := 0
	for _, n := range calls {
		total += n
		if n == 0 {
			idle++
		}
	}
	check(idle == 0, "%d callers with %d spinning goroutines at GOMAXPROCS=%d finished after %.1fs: %d loops (%v per caller), %d callers made no progress",
		callers, spinners, runtime.GOMAXPROCS(0), elapsed.Seconds(), total, calls, idle)

	// The host's signals, with the module initialised and the spinners on.
	checkSIGPIPE()
	checkExec()
	checkNotify(syscall.SIGTERM)
	checkNotify(syscall.SIGINT)

	spinStop.Store(true)
	spinWG.Wait()
	check(true, "spinners stopped (%v iterations)", spinCount)

	if err := ctx.Finalize(); err != nil {
		check(false, "C_Finalize: %v", err)
	}
	if failures > 0 {
		fmt.Printf("FAIL: %d check(s) failed\n", failures)
		os.Exit(1)
	}
	fmt.Println("PASS")
}

// initToken initialises the token in the free slot and returns its slot.
func initToken(ctx *pkcs11.Ctx) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	free, found := uint(0), false
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			return 0, fmt.Errorf("C_GetTokenInfo(%d): %w", s, err)
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			free, found = s, true
			break
		}
	}
	if !found {
		return 0, errors.New("no slot with an uninitialised token")
	}
	if err := ctx.InitToken(free, soPIN, label); err != nil {
		return 0, fmt.Errorf("C_InitToken(%d): %w", free, err)
	}
	slots, err = ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err == nil && ti.Label == label && ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
			return s, nil
		}
	}
	return 0, errors.New("the new token is not in the slot list")
}

// checkSIGPIPE: Go's default for a write to a broken pipe that is not
// stdout or stderr is an EPIPE error, not death by SIGPIPE.
func checkSIGPIPE() {
	r, w, err := os.Pipe()
	if err != nil {
		check(false, "os.Pipe: %v", err)
		return
	}
	r.Close()
	_, err = w.Write([]byte("x"))
	w.Close()
	check(errors.Is(err, syscall.EPIPE), "SIGPIPE: write to a closed pipe returned %v (want EPIPE) and the process lives", err)
}

// checkExec: os/exec waits for its child through SIGCHLD/wait4.
func checkExec() {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(c, "true")
	err := cmd.Run()
	check(err == nil && c.Err() == nil, "os/exec: `true` ran: err=%v", err)
	out, err := exec.CommandContext(c, "sh", "-c", "echo hi").Output()
	check(err == nil && string(out) == "hi\n", "os/exec: `sh -c 'echo hi'` printed %q, err=%v", out, err)
}

// checkNotify: a handler registered with signal.Notify receives a signal
// the process sends itself.
func checkNotify(sig syscall.Signal) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(ch)
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		check(false, "kill(self, %v): %v", sig, err)
		return
	}
	select {
	case got := <-ch:
		check(got == sig, "signal.Notify received %v (sent %v)", got, sig)
	case <-time.After(5 * time.Second):
		check(false, "signal.Notify did not receive %v within 5s", sig)
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/pkcs11"
)

// startup is one cold start of a module in a fresh process: load (dlopen and
// C_GetFunctionList), C_Initialize, slot lookup and C_OpenSession, C_Login,
// and the first find by label among the token's objects; and the process's
// peak resident memory after that.
type startup struct {
	LoadMS  float64 `json:"load_ms"`
	InitMS  float64 `json:"initialize_ms"`
	OpenMS  float64 `json:"open_session_ms"`
	LoginMS float64 `json:"login_ms"`
	FindMS  float64 `json:"first_find_ms"`
	// TotalMS is C_Initialize + C_OpenSession + C_Login + first find: the
	// figure of the start-up target. Loading is reported apart.
	TotalMS float64 `json:"total_ms"`
	Found   int     `json:"found"`
	// MaxRSSKB is the child's peak resident set (VmHWM) after the find;
	// BaseRSSKB the same before the module was loaded.
	MaxRSSKB  int64 `json:"max_rss_kb"`
	BaseRSSKB int64 `json:"base_rss_kb"`
}

// peakRSSKB is the peak resident set of this process image, VmHWM from
// /proc/self/status, in KiB. (getrusage's ru_maxrss would not do: Linux
// carries it over exec from the parent's address space, so a child started
// by a big parent reports the parent's peak.)
func peakRSSKB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return -1
			}
			return kb
		}
	}
	return -1
}

// startupChild is the re-executed bench in -startup-child mode: it measures
// one cold start and prints it as JSON. The module's environment (KAGI_DB,
// SOFTHSM2_CONF) is inherited from the parent.
func startupChild(lib, label string) error {
	var r startup
	r.BaseRSSKB = peakRSSKB()
	ms := func(since time.Time) float64 { return float64(time.Since(since).Nanoseconds()) / 1e6 }

	t := time.Now()
	ctx := pkcs11.New(lib) // never Destroy: the process just exits
	if ctx == nil {
		return fmt.Errorf("cannot load %s", lib)
	}
	r.LoadMS = ms(t)

	t = time.Now()
	if err := ctx.Initialize(); err != nil {
		return fmt.Errorf("C_Initialize: %w", err)
	}
	r.InitMS = ms(t)

	t = time.Now()
	slot, err := findToken(ctx, tokenLabel)
	if err != nil {
		return err
	}
	s, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return fmt.Errorf("C_OpenSession: %w", err)
	}
	r.OpenMS = ms(t)

	t = time.Now()
	if err := ctx.Login(s, pkcs11.CKU_USER, userPIN); err != nil {
		return fmt.Errorf("C_Login: %w", err)
	}
	r.LoginMS = ms(t)

	t = time.Now()
	if err := ctx.FindObjectsInit(s, findTemplate(label)); err != nil {
		return fmt.Errorf("C_FindObjectsInit: %w", err)
	}
	found, _, err := ctx.FindObjects(s, 2)
	if err != nil {
		return fmt.Errorf("C_FindObjects: %w", err)
	}
	if err := ctx.FindObjectsFinal(s); err != nil {
		return fmt.Errorf("C_FindObjectsFinal: %w", err)
	}
	r.FindMS = ms(t)
	r.Found = len(found)
	r.TotalMS = r.InitMS + r.OpenMS + r.LoginMS + r.FindMS
	r.MaxRSSKB = peakRSSKB()
	return json.NewEncoder(os.Stdout).Encode(r)
}

// measureStartup runs runs cold starts of lib, each in a fresh child, and
// returns the run with the median total time (and the median peak memory).
func measureStartup(lib, label string, runs int) (*startup, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var all []startup
	for range runs {
		cmd := exec.Command(self, "-startup-child", "-lib", lib, "-find-label", label)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("start-up child: %v: %s", err, bytes.TrimSpace(errOut.Bytes()))
		}
		var r startup
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("start-up child printed %q: %v", out.String(), err)
		}
		if r.Found != 1 {
			return nil, fmt.Errorf("start-up child found %d objects labelled %q, want 1", r.Found, label)
		}
		all = append(all, r)
	}
	slices.SortFunc(all, func(a, b startup) int { return cmpFloat(a.TotalMS, b.TotalMS) })
	med := all[len(all)/2]
	rss := make([]int64, len(all))
	for i, r := range all {
		rss[i] = r.MaxRSSKB
	}
	slices.Sort(rss)
	med.MaxRSSKB = rss[len(rss)/2]
	return &med, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

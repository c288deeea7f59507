package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/miekg/pkcs11"
)

// The client floor: the bench's own PKCS#11 workers measured against
// nullmod/nullmod.c, a module in C that does no cryptography and answers
// each call with output of the right length. What it reaches is the best
// rate any module can reach through miekg/pkcs11 (its cgo calls, C
// allocations, Go copies and two-call length convention) on this machine.
// A module that also does the standard library's work, and nothing more,
// reaches at best floor/(stdlib+floor) of the standard library's rate (the
// client bound), so a bound below a target's ratio means the target is out
// of reach of every module through that client path. It is information: it
// takes part in no PASS/MISS.

// floorName is the floor module's name in progress lines and errors.
const floorName = "floor"

// What nullmod.c's C_GetInfo reports. setUpFloor insists on it, and setUp
// refuses a module that reports it, so the null module, whose outputs are
// not checked, can never stand in for kagi or SoftHSMv2.
const (
	nullmodManufacturer = "kagi bench"
	nullmodDescription  = "null module: no cryptography"
)

// errNoCC is buildNullModule's error when there is no C compiler.
var errNoCC = errors.New("no C compiler (cc, or $CC) found")

// nullmodSource finds nullmod.c: beside this file when it was compiled
// with its path (go run, go test), else from the repository root or the
// package directory.
func nullmodSource() (string, error) {
	var candidates []string
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		candidates = append(candidates, filepath.Join(filepath.Dir(file), "nullmod", "nullmod.c"))
	}
	candidates = append(candidates, filepath.Join("tests", "bench", "nullmod", "nullmod.c"), filepath.Join("nullmod", "nullmod.c"))
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("nullmod.c not found (looked at %s)", strings.Join(candidates, ", "))
}

// buildNullModule compiles nullmod.c into dir/libnullmod.so and returns
// its path. It uses $CC if set, else cc; errNoCC if there is none.
func buildNullModule(dir string) (string, error) {
	cc := strings.Fields(os.Getenv("CC"))
	if len(cc) == 0 {
		cc = []string{"cc"}
	}
	if _, err := exec.LookPath(cc[0]); err != nil {
		return "", fmt.Errorf("%w: %v", errNoCC, err)
	}
	src, err := nullmodSource()
	if err != nil {
		return "", err
	}
	lib := filepath.Join(dir, "libnullmod.so")
	args := append(cc[1:], "-O2", "-shared", "-fPIC", "-fvisibility=hidden", "-pthread", "-Wall", "-o", lib, src)
	cmd := exec.Command(cc[0], args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v\n%s", cc[0], strings.Join(args, " "), err, out.Bytes())
	}
	return lib, nil
}

// isNullModule reports whether the loaded module is nullmod.c.
func isNullModule(ctx *pkcs11.Ctx) bool {
	info, err := ctx.GetInfo()
	return err == nil && info.ManufacturerID == nullmodManufacturer && info.LibraryDescription == nullmodDescription
}

// setUpFloor loads the null module built by buildNullModule and makes the
// keys of the crypto cases on it exactly as setUp does on kagi and
// SoftHSMv2 (the same code, so the same templates and handles).
//
// It is the one place where the output checks (checkOutputs,
// checkOutputs4) are skipped: the null module makes no real signatures or
// ciphertexts, only outputs of the right length, which the workers check.
// setUp, the set-up of kagi and SoftHSMv2, always checks; it does not call
// this and refuses the null module (isNullModule).
func setUpFloor(path string, std *stdlib) (*module, error) {
	progress("%s: loading %s", floorName, path)
	m, err := loadModule(floorName, path)
	if err != nil {
		return nil, err
	}
	if !isNullModule(m.ctx) {
		return nil, fmt.Errorf("%s is not the bench's null module (C_GetInfo)", path)
	}
	m.std = std
	if err := m.setUpKeys(std); err != nil {
		return nil, err
	}
	// Every key must be made: a case missing on the floor would look like
	// a case the client path cannot do.
	var errs []error
	for what, err := range m.setUpKeys4(std) {
		errs = append(errs, fmt.Errorf("%s: %w", what, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	m.wrong = map[string]error{}
	// What checkKWP would have found: the null module has the PKCS#11 3.0
	// mechanism.
	m.x.kwpMech = ckmAESKeyWrapKWP
	return m, nil
}

// clientBound is floor/(stdlib+floor): the kagi/stdlib ratio of a module
// whose calls cost the standard library's time for the work plus the null
// module's time for the client path, nil without both figures.
func clientBound(floor, stdlib *float64) *float64 {
	if floor == nil || stdlib == nil || *floor <= 0 || *stdlib <= 0 {
		return nil
	}
	b := *floor / (*stdlib + *floor)
	return &b
}

// floorVerdict is the summary's line for a missed ">= 0.9x stdlib" target:
// the best ratio the client path leaves and what it means.
func floorVerdict(r row) string {
	if r.ClientBound == nil {
		return ""
	}
	s := "client bound " + fmtRatio(r.ClientBound) + " stdlib (floor " + fmtRatio(r.FloorVsStdlib) + " stdlib): "
	if *r.ClientBound < stdlibTarget {
		s += "unreachable through miekg/pkcs11"
	} else {
		s += "not ruled out by the client path"
	}
	if k := ratio(r.Kagi, r.Floor); k != nil {
		s += " (kagi " + fmtRatio(k) + " the floor"
		if *k > 1 {
			// Nothing beats the floor but noise: other load on the
			// machine hit the floor's rounds harder.
			s += ": above it, so these figures are noise"
		}
		s += ")"
	}
	return s
}

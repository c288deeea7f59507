// Package conformance is a SoftHSM-style conformance suite: the same PKCS#11
// cases, organised by area the way SoftHSMv2's own test suite is (Init,
// Token, Session, User, Object, Find, Attribute, Random, Digest, SignVerify,
// Symmetric, AsymEncrypt, Wrap, Derive, Fork), run through miekg/pkcs11
// against every module under test: kagi (build/libkagi.so) and SoftHSMv2
// (Debian softhsm2). One `go test ./tests/conformance/` runs the whole suite
// once per module, as subtests TestConformance/<module>/<Area>/<Case>.
//
// Each case checks what PKCS#11 3.0 says. Where a module does something
// else on purpose, the case's check is listed in deviations (deviations.go)
// with the result each module gives, and DEVIATIONS.md explains it; the
// suite then passes against both modules and any change of behaviour fails.
//
// Environment:
//
//	CONFORMANCE_MODULE    one module to test instead of both (a path)
//	CONFORMANCE_NAME      the profile of CONFORMANCE_MODULE: kagi, softhsm or
//	                      any other name (no deviations: the spec's results)
//	CONFORMANCE_SO_PIN    the SO PIN of the tokens the suite initialises
//	CONFORMANCE_USER_PIN  the user PIN
//	KAGI_MODULE           the kagi module (default: a fresh build of ./cmodule)
//	CONFORMANCE_SOFTHSM   the SoftHSMv2 module (default /usr/lib/softhsm/libsofthsm2.so)
//
// Every token lives in a fresh temporary store: kagi gets a KAGI_CONF whose
// database is a new file, SoftHSMv2 a SOFTHSM2_CONF whose tokendir is a new
// directory; the suite rewrites those files before each C_Initialize that
// needs a new store. A missing SoftHSMv2 skips its run, or fails it when CI
// is set.
package conformance

import (
	"fmt"
	"github.com/kagi-hsm/kagi/tests/conformance/internal/craw"
	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

const softhsmDefault = "/usr/lib/softhsm/libsofthsm2.so"

var (
	soPIN   = envOr("CONFORMANCE_SO_PIN", "conf-so-pin-1")
	userPIN = envOr("CONFORMANCE_USER_PIN", "conf-user-pin-1")
	// scratch holds every store and configuration file of this run.
	scratch string
	// modules are the modules under test, in order.
	modules []*module
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// ciSet reports whether we run under CI, where a missing module fails.
func ciSet() bool { v := os.Getenv("CI"); return v != "" && v != "false" }

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	var err error
	scratch, err = os.MkdirTemp("", "kagi-conformance-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(scratch)
	// The configuration variables are set before any module is loaded, so
	// that a module that reads them at load time sees them too, and point
	// at files the suite rewrites for each new store: no module ever sees
	// the user's own store.
	os.Setenv("KAGI_CONF", filepath.Join(scratch, "kagi.json"))
	os.Unsetenv("KAGI_DB") // it would override the database of KAGI_CONF
	os.Setenv("SOFTHSM2_CONF", filepath.Join(scratch, "softhsm2.conf"))
	os.Setenv("XDG_DATA_HOME", filepath.Join(scratch, "xdg"))

	if one := os.Getenv("CONFORMANCE_MODULE"); one != "" {
		name := os.Getenv("CONFORMANCE_NAME")
		if name == "" {
			name = "other"
			base := filepath.Base(one)
			if strings.Contains(base, "kagi") {
				name = "kagi"
			} else if strings.Contains(base, "softhsm") {
				name = "softhsm"
			}
		}
		modules = append(modules, &module{name: name, path: one})
	} else {
		kagi, err := testmodule.Path(scratch)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		modules = append(modules,
			&module{name: "kagi", path: kagi},
			&module{name: "softhsm", path: envOr("CONFORMANCE_SOFTHSM", softhsmDefault)})
	}
	return m.Run()
}

// module is one PKCS#11 module under test. It is loaded once and never
// unloaded (dlclose of a Go c-shared library is unsafe).
type module struct {
	name, path string
	p          *pkcs11.Ctx
	raw        *craw.Module // the same module's raw function list, once a case needs it
	loadErr    error
	stores     int
	// slot is the slot of the suite's ready token (initialised, user PIN
	// set) in the current store; label is its label.
	slot  uint
	label string
	// dirty: the next case that shares the ready token must make a new one.
	dirty bool
}

// load loads the module once.
func (m *module) load() error {
	if m.p != nil || m.loadErr != nil {
		return m.loadErr
	}
	if _, err := os.Stat(m.path); err != nil {
		m.loadErr = err
		return err
	}
	m.p = pkcs11.New(m.path)
	if m.p == nil {
		m.loadErr = fmt.Errorf("cannot load %s", m.path)
	}
	return m.loadErr
}

// newStore finalises the module, points its configuration at a new empty
// store and initialises it again.
func (m *module) newStore() error {
	_ = m.p.Finalize()
	m.stores++
	dir := filepath.Join(scratch, fmt.Sprintf("%s-%d", m.name, m.stores))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var err error
	switch m.name {
	case "softhsm":
		err = os.WriteFile(os.Getenv("SOFTHSM2_CONF"), []byte(fmt.Sprintf(
			"directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", dir)), 0o600)
	default:
		err = os.WriteFile(os.Getenv("KAGI_CONF"), []byte(fmt.Sprintf(
			`{"db": %q, "pbkdf2_iterations": 1000, "max_pin_failures": %d}`, filepath.Join(dir, "kagi.db"), maxPINFailures)), 0o600)
	}
	if err != nil {
		return err
	}
	m.label = ""
	return m.p.Initialize()
}

// maxPINFailures is kagi's lockout threshold in this suite.
const maxPINFailures = 5

// readyToken makes a new store with one initialised token whose user PIN is
// set, nobody logged in and no session open.
func (m *module) readyToken() error {
	if err := m.newStore(); err != nil {
		return fmt.Errorf("C_Initialize: %w", err)
	}
	slot, err := freeSlot(m.p)
	if err != nil {
		return err
	}
	if err := m.p.InitToken(slot, soPIN, "conformance"); err != nil {
		return fmt.Errorf("C_InitToken: %w", err)
	}
	m.label = "conformance"
	if slot, err = m.findSlot(); err != nil {
		return err
	}
	sh, err := m.p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return fmt.Errorf("C_OpenSession: %w", err)
	}
	defer m.p.CloseSession(sh)
	if err := m.p.Login(sh, pkcs11.CKU_SO, soPIN); err != nil {
		return fmt.Errorf("C_Login(SO): %w", err)
	}
	if err := m.p.InitPIN(sh, userPIN); err != nil {
		return fmt.Errorf("C_InitPIN: %w", err)
	}
	return m.p.Logout(sh)
}

// findSlot finds the slot of the ready token by its label and remembers it.
// (SoftHSMv2 gives an initialised token a new slot id at C_Initialize.)
func (m *module) findSlot() (uint, error) {
	slots, err := m.p.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	for _, s := range slots {
		ti, err := m.p.GetTokenInfo(s)
		if err != nil {
			return 0, fmt.Errorf("C_GetTokenInfo: %w", err)
		}
		if ti.Label == m.label && ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
			m.slot = s
			return s, nil
		}
	}
	return 0, fmt.Errorf("no token labelled %q", m.label)
}

// freeSlot returns the one slot whose token is not initialised.
func freeSlot(p *pkcs11.Ctx) (uint, error) {
	slots, err := p.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	for _, s := range slots {
		ti, err := p.GetTokenInfo(s)
		if err != nil {
			return 0, fmt.Errorf("C_GetTokenInfo: %w", err)
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			return s, nil
		}
	}
	return 0, fmt.Errorf("no slot with an uninitialised token among %v", slots)
}

// TestConformance runs every area against every module.
func TestConformance(t *testing.T) {
	for _, m := range modules {
		t.Run(m.name, func(t *testing.T) {
			if err := m.load(); err != nil {
				if ciSet() || m.name == "kagi" {
					t.Fatalf("module %s: %v", m.name, err)
				}
				t.Skipf("module %s not available (%v; Debian package softhsm2); under CI=true this is a failure", m.name, err)
			}
			defer m.p.Finalize()
			for _, a := range areas {
				t.Run(a.name, func(t *testing.T) { runArea(t, m, a) })
			}
			checkDeviationsUsed(t, m)
		})
	}
}

// runArea gives the area a ready token and runs its cases in order.
func runArea(t *testing.T, m *module, a area) {
	m.dirty = true
	for _, c := range a.cases {
		t.Run(c.name, func(t *testing.T) {
			x := &X{T: t, m: m, p: m.p, name: a.name + "/" + c.name}
			switch {
			case c.fresh:
				if err := m.newStore(); err != nil {
					t.Fatalf("new store: %v", err)
				}
				var err error
				if x.slot, err = freeSlot(m.p); err != nil {
					t.Fatal(err)
				}
			case c.own || m.dirty:
				if err := m.readyToken(); err != nil {
					t.Fatalf("setting up the token: %v", err)
				}
				x.slot = m.slot
			default:
				x.slot = m.slot
			}
			m.dirty = c.fresh || c.own
			defer x.restore()
			c.run(x)
		})
	}
}

// area is one group of cases, like one SoftHSMv2 test class.
type area struct {
	name  string
	cases []tcase
}

// tcase is one case. A fresh case starts on a new store with one
// uninitialised token (x.slot); an own case gets a new ready token of its
// own (it may change PINs or lock them); the others share the area's ready
// token and must leave it as they found it, bar objects.
type tcase struct {
	name  string
	fresh bool
	own   bool
	run   func(x *X)
}

// restore leaves the module initialised, with no session open on the ready
// token, for the next case.
func (x *X) restore() {
	if x.m.dirty {
		return // the next case makes a new token
	}
	if err := x.p.Initialize(); err != nil && rvOf(err) != pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED {
		x.Fatalf("C_Initialize after the case: %v", err)
	}
	slot, err := x.m.findSlot()
	if err != nil {
		x.Fatalf("after the case: %v", err)
	}
	if err := x.p.CloseAllSessions(slot); err != nil {
		x.Errorf("C_CloseAllSessions after the case: %v", err)
	}
}

// Package integration loads libkagi.so through miekg/pkcs11, the way a Go
// application does, and checks each paragraph of issue 3 with exact CK_RV
// codes: initialisation, slots and tokens, PINs and login, sessions, objects
// and attributes, search, the first mechanism set, bad input and persistence
// (across C_Finalize/C_Initialize and across processes).
//
// The module is $KAGI_MODULE if set, else a fresh build of ./cmodule from the
// repository root. It is loaded ONCE per process and never unloaded
// (dlclose of a Go c-shared library is unsafe), so the tests share one module
// instance: none of them may run in parallel. Each test that needs a database
// gets its own under t.TempDir() through KAGI_DB and KAGI_CONF.
//
// Some tests re-execute the test binary as a second process
// (TestHelperProcess) to check what another process sees in the same
// database.
package integration

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

// PINs used throughout. Every PIN length is within the token's 4..255.
const (
	soPIN   = "so-secret-1"
	userPIN = "user-secret-1"
)

// pbkdf2Iterations keeps logins fast in tests; the production default is far
// higher.
const pbkdf2Iterations = 1000

// maxPINFailures is the lockout threshold written to KAGI_CONF (also the
// default).
const maxPINFailures = 10

// p11 is the one loaded module; modulePath is where it lives.
var (
	p11        *pkcs11.Ctx
	modulePath string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	path := os.Getenv("KAGI_MODULE")
	if path == "" {
		dir, err := os.MkdirTemp("", "kagi-integration-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "integration:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		path, err = testmodule.Path(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "integration: building the module:", err)
			return 1
		}
	} else if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}

	// A Go c-shared library sees the environment of the process as it was
	// at exec, not later os.Setenv calls. So that a module that reads its
	// configuration at load time can never reach the user's default
	// database ($XDG_DATA_HOME/kagi/kagi.db), the tests run in a copy of
	// this binary started with a scratch database in its environment. (The
	// helper process already has its parent's database.)
	if os.Getenv("KAGI_HELPER") == "" && os.Getenv("KAGI_INTEGRATION_SCRATCH") == "" {
		return reexec(path)
	}

	modulePath = path
	p11 = pkcs11.New(path)
	if p11 == nil {
		fmt.Fprintf(os.Stderr, "integration: cannot load %s (dlopen or C_GetFunctionList failed)\n", path)
		return 1
	}
	// Never p11.Destroy(): see the package comment.
	return m.Run()
}

// reexec runs this test binary again with the module path and a scratch
// database in its environment from the start, and returns its exit code.
func reexec(module string) int {
	scratch, err := os.MkdirTemp("", "kagi-integration-scratch-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(scratch)
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KAGI_CONF=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"KAGI_INTEGRATION_SCRATCH="+scratch,
		"KAGI_MODULE="+module,
		"XDG_DATA_HOME="+scratch,
		"KAGI_DB="+filepath.Join(scratch, "load-time.db"),
	)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() > 0 {
			return exit.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "integration: running the tests:", err)
		return 1
	}
	return 0
}

// useDB points KAGI_DB and KAGI_CONF at a new database in dir (the
// variables are restored when the test ends) and returns its path.
func useDB(t *testing.T, dir string) string {
	t.Helper()
	db := filepath.Join(dir, "kagi.db")
	conf := filepath.Join(dir, "kagi.json")
	raw, err := json.Marshal(map[string]any{
		"db":                db,
		"pbkdf2_iterations": pbkdf2Iterations,
		"max_pin_failures":  maxPINFailures,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAGI_DB", db)
	t.Setenv("KAGI_CONF", conf)
	return db
}

// fresh initialises the module on a new, empty database and finalises it
// when the test ends.
func fresh(t *testing.T) *pkcs11.Ctx {
	t.Helper()
	useDB(t, t.TempDir())
	initialize(t)
	return p11
}

// initialize calls C_Initialize and registers C_Finalize for the end of the
// test (tolerating that the test finalised already).
func initialize(t *testing.T) {
	t.Helper()
	if err := p11.Initialize(); err != nil {
		t.Fatalf("C_Initialize: %v", err)
	}
	t.Cleanup(func() { _ = p11.Finalize() })
}

// reinit finalises and initialises the module again on the same database.
func reinit(t *testing.T) {
	t.Helper()
	if err := p11.Finalize(); err != nil {
		t.Fatalf("C_Finalize: %v", err)
	}
	if err := p11.Initialize(); err != nil {
		t.Fatalf("C_Initialize after C_Finalize: %v", err)
	}
}

// rvOf returns the CK_RV carried by err (CKR_OK for nil).
func rvOf(err error) uint {
	if err == nil {
		return pkcs11.CKR_OK
	}
	var e pkcs11.Error
	if errors.As(err, &e) {
		return uint(e)
	}
	return ^uint(0)
}

// rvName names a CK_RV.
func rvName(rv uint) string {
	if rv == pkcs11.CKR_OK {
		return "CKR_OK"
	}
	if rv == ^uint(0) {
		return "a non-PKCS#11 error"
	}
	return strings.TrimPrefix(pkcs11.Error(rv).Error(), "pkcs11: ")
}

// wantRV fails the test unless err carries want.
func wantRV(t *testing.T, what string, err error, want uint) {
	t.Helper()
	if got := rvOf(err); got != want {
		t.Errorf("%s: got %s (%v), want %s", what, rvName(got), err, rvName(want))
	}
}

// must fails the test at once on an error.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// freeSlot returns the slot whose token is not initialised.
func freeSlot(t *testing.T) uint {
	t.Helper()
	slots, err := p11.GetSlotList(true)
	must(t, "C_GetSlotList", err)
	var free []uint
	for _, s := range slots {
		ti, err := p11.GetTokenInfo(s)
		must(t, "C_GetTokenInfo", err)
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			free = append(free, s)
		}
	}
	if len(free) != 1 {
		t.Fatalf("want exactly one slot with an uninitialised token, got %d (slots %v)", len(free), slots)
	}
	return free[0]
}

// initToken initialises the free token with the SO PIN and label and returns
// its slot id (the slot keeps its id once its token is initialised).
func initToken(t *testing.T, so, label string) uint {
	t.Helper()
	slot := freeSlot(t)
	must(t, "C_InitToken", p11.InitToken(slot, so, label))
	return slot
}

// newToken initialises a token with soPIN and sets the user PIN to userPIN,
// leaving no session open and nobody logged in. It returns the slot.
func newToken(t *testing.T, label string) uint {
	t.Helper()
	slot := initToken(t, soPIN, label)
	sh := openRW(t, slot)
	must(t, "C_Login(SO)", p11.Login(sh, pkcs11.CKU_SO, soPIN))
	must(t, "C_InitPIN", p11.InitPIN(sh, userPIN))
	must(t, "C_Logout", p11.Logout(sh))
	must(t, "C_CloseSession", p11.CloseSession(sh))
	return slot
}

// userSession returns a fresh database with one token whose user is logged
// in on the returned R/W session.
func userSession(t *testing.T) (uint, pkcs11.SessionHandle) {
	t.Helper()
	fresh(t)
	slot := newToken(t, "test")
	sh := openRW(t, slot)
	login(t, sh, pkcs11.CKU_USER, userPIN)
	return slot, sh
}

func openRW(t *testing.T, slot uint) pkcs11.SessionHandle {
	t.Helper()
	sh, err := p11.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	must(t, "C_OpenSession(R/W)", err)
	return sh
}

func openRO(t *testing.T, slot uint) pkcs11.SessionHandle {
	t.Helper()
	sh, err := p11.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	must(t, "C_OpenSession(R/O)", err)
	return sh
}

func login(t *testing.T, sh pkcs11.SessionHandle, userType uint, pin string) {
	t.Helper()
	must(t, fmt.Sprintf("C_Login(%d)", userType), p11.Login(sh, userType, pin))
}

// slotByLabel returns the slot whose token has the label.
func slotByLabel(t *testing.T, label string) uint {
	t.Helper()
	slots, err := p11.GetSlotList(true)
	must(t, "C_GetSlotList", err)
	for _, s := range slots {
		ti, err := p11.GetTokenInfo(s)
		must(t, "C_GetTokenInfo", err)
		if ti.Label == label {
			return s
		}
	}
	t.Fatalf("no token labelled %q in slots %v", label, slots)
	return 0
}

// Attribute helpers.

func attr(typ uint, v any) *pkcs11.Attribute { return pkcs11.NewAttribute(typ, v) }

func ulongBytes(v uint) []byte {
	b := make([]byte, 8)
	binary.NativeEndian.PutUint64(b, uint64(v))
	return b
}

func bytesULong(t *testing.T, b []byte) uint {
	t.Helper()
	if len(b) != 8 {
		t.Fatalf("CK_ULONG attribute has %d bytes, want 8", len(b))
	}
	return uint(binary.NativeEndian.Uint64(b))
}

func bytesBool(t *testing.T, b []byte) bool {
	t.Helper()
	if len(b) != 1 {
		t.Fatalf("CK_BBOOL attribute has %d bytes, want 1", len(b))
	}
	return b[0] != 0
}

// getAttr reads one attribute, failing the test on an error.
func getAttr(t *testing.T, sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) []byte {
	t.Helper()
	got, err := p11.GetAttributeValue(sh, o, []*pkcs11.Attribute{attr(typ, nil)})
	if err != nil {
		t.Fatalf("C_GetAttributeValue(0x%x): %v", typ, err)
	}
	return got[0].Value
}

func getBool(t *testing.T, sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) bool {
	t.Helper()
	return bytesBool(t, getAttr(t, sh, o, typ))
}

func getULong(t *testing.T, sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) uint {
	t.Helper()
	return bytesULong(t, getAttr(t, sh, o, typ))
}

// findAll runs a complete search with the template and returns the handles.
func findAll(t *testing.T, sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) []pkcs11.ObjectHandle {
	t.Helper()
	must(t, "C_FindObjectsInit", p11.FindObjectsInit(sh, tmpl))
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := p11.FindObjects(sh, 100)
		if err != nil {
			_ = p11.FindObjectsFinal(sh)
			t.Fatalf("C_FindObjects: %v", err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	must(t, "C_FindObjectsFinal", p11.FindObjectsFinal(sh))
	return all
}

// findOne finds exactly one object with the template.
func findOne(t *testing.T, sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) pkcs11.ObjectHandle {
	t.Helper()
	hs := findAll(t, sh, tmpl)
	if len(hs) != 1 {
		t.Fatalf("want exactly one object, found %d", len(hs))
	}
	return hs[0]
}

func mech(m uint) []*pkcs11.Mechanism { return []*pkcs11.Mechanism{pkcs11.NewMechanism(m, nil)} }

// Handles no kagi call ever returned.
const (
	badSlot    = uint(0x7eadbeef)
	badSession = pkcs11.SessionHandle(0x7eadbeef)
	badObject  = pkcs11.ObjectHandle(0x7eadbeef)
)

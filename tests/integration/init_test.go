package integration

import (
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"github.com/miekg/pkcs11"
)

// notInitializedCalls is a representative set of calls made through miekg,
// each of which must fail with CKR_CRYPTOKI_NOT_INITIALIZED while the module
// is not initialised (PKCS#11 3.0 section 5.4: every function but
// C_Initialize, C_GetFunctionList, C_GetInterfaceList and C_GetInterface).
var notInitializedCalls = []struct {
	name string
	call func() error
}{
	{"C_Finalize", func() error { return p11.Finalize() }},
	{"C_GetInfo", func() error { _, err := p11.GetInfo(); return err }},
	{"C_GetSlotList(true)", func() error { _, err := p11.GetSlotList(true); return err }},
	{"C_GetSlotList(false)", func() error { _, err := p11.GetSlotList(false); return err }},
	{"C_GetSlotInfo", func() error { _, err := p11.GetSlotInfo(0); return err }},
	{"C_GetTokenInfo", func() error { _, err := p11.GetTokenInfo(0); return err }},
	{"C_GetMechanismList", func() error { _, err := p11.GetMechanismList(0); return err }},
	{"C_GetMechanismInfo", func() error {
		_, err := p11.GetMechanismInfo(0, mech(pkcs11.CKM_SHA256))
		return err
	}},
	{"C_InitToken", func() error { return p11.InitToken(0, soPIN, "x") }},
	{"C_OpenSession", func() error {
		_, err := p11.OpenSession(0, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		return err
	}},
	{"C_CloseSession", func() error { return p11.CloseSession(1) }},
	{"C_CloseAllSessions", func() error { return p11.CloseAllSessions(0) }},
	{"C_GetSessionInfo", func() error { _, err := p11.GetSessionInfo(1); return err }},
	{"C_Login", func() error { return p11.Login(1, pkcs11.CKU_USER, userPIN) }},
	{"C_Logout", func() error { return p11.Logout(1) }},
	{"C_InitPIN", func() error { return p11.InitPIN(1, userPIN) }},
	{"C_SetPIN", func() error { return p11.SetPIN(1, userPIN, "other-pin") }},
	{"C_CreateObject", func() error {
		_, err := p11.CreateObject(1, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA)})
		return err
	}},
	{"C_DestroyObject", func() error { return p11.DestroyObject(1, 1) }},
	{"C_GetAttributeValue", func() error {
		_, err := p11.GetAttributeValue(1, 1, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, nil)})
		return err
	}},
	{"C_FindObjectsInit", func() error { return p11.FindObjectsInit(1, nil) }},
	{"C_FindObjects", func() error { _, _, err := p11.FindObjects(1, 1); return err }},
	{"C_FindObjectsFinal", func() error { return p11.FindObjectsFinal(1) }},
	{"C_DigestInit", func() error { return p11.DigestInit(1, mech(pkcs11.CKM_SHA256)) }},
	{"C_SignInit", func() error { return p11.SignInit(1, mech(pkcs11.CKM_ECDSA), 1) }},
	{"C_GenerateRandom", func() error { _, err := p11.GenerateRandom(1, 16); return err }},
	{"C_SeedRandom", func() error { return p11.SeedRandom(1, []byte("seed")) }},
	{"C_GenerateKey", func() error {
		_, err := p11.GenerateKey(1, mech(pkcs11.CKM_AES_KEY_GEN),
			[]*pkcs11.Attribute{attr(pkcs11.CKA_VALUE_LEN, 32)})
		return err
	}},
}

func TestCallsBeforeInitialize(t *testing.T) {
	useDB(t, t.TempDir())
	for _, c := range notInitializedCalls {
		wantRV(t, c.name+" before C_Initialize", c.call(), pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED)
	}
}

func TestCallsAfterFinalize(t *testing.T) {
	fresh(t)
	slot := newToken(t, "fin")
	sh := openRW(t, slot)
	login(t, sh, pkcs11.CKU_USER, userPIN)
	must(t, "C_Finalize", p11.Finalize())
	for _, c := range notInitializedCalls {
		wantRV(t, c.name+" after C_Finalize", c.call(), pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED)
	}
	// The session of before C_Finalize is gone for good.
	must(t, "C_Initialize again", p11.Initialize())
	_, err := p11.GetSessionInfo(sh)
	wantRV(t, "C_GetSessionInfo(session from before C_Finalize)", err, pkcs11.CKR_SESSION_HANDLE_INVALID)
}

func TestInitializeTwice(t *testing.T) {
	fresh(t)
	wantRV(t, "second C_Initialize", p11.Initialize(), pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)
	// Still initialised and working.
	_, err := p11.GetInfo()
	must(t, "C_GetInfo after the refused C_Initialize", err)
}

func TestInitializeFinalizeCycles(t *testing.T) {
	useDB(t, t.TempDir())
	for i := 0; i < 3; i++ {
		must(t, "C_Initialize", p11.Initialize())
		if _, err := p11.GetSlotList(true); err != nil {
			t.Fatalf("cycle %d: C_GetSlotList: %v", i, err)
		}
		must(t, "C_Finalize", p11.Finalize())
		wantRV(t, "C_Finalize twice", p11.Finalize(), pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED)
	}
}

func TestInitializeArgs(t *testing.T) {
	useDB(t, t.TempDir())

	// pReserved must be NULL (PKCS#11 3.0 section 5.4, C_Initialize).
	var reserved [8]byte
	wantRV(t, "C_Initialize with pReserved non-NULL",
		p11.Initialize(pkcs11.InitializeWithReserved(unsafe.Pointer(&reserved[0]))), pkcs11.CKR_ARGUMENTS_BAD)
	_, err := p11.GetInfo()
	wantRV(t, "C_GetInfo after the refused C_Initialize", err, pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED)

	// flags 0 and no mutex callbacks: the application will not use threads.
	must(t, "C_Initialize with flags 0", p11.Initialize(pkcs11.InitializeWithFlags(0)))
	must(t, "C_Finalize", p11.Finalize())

	// miekg's default: CKF_OS_LOCKING_OK.
	must(t, "C_Initialize with CKF_OS_LOCKING_OK", p11.Initialize())
	must(t, "C_Finalize", p11.Finalize())
}

func TestGetInfo(t *testing.T) {
	fresh(t)
	info, err := p11.GetInfo()
	must(t, "C_GetInfo", err)
	if info.CryptokiVersion.Major != 3 || info.CryptokiVersion.Minor != 0 {
		t.Errorf("cryptokiVersion = %d.%d, want 3.0", info.CryptokiVersion.Major, info.CryptokiVersion.Minor)
	}
	// miekg trims trailing blanks only: any NUL padding would show here.
	if info.ManufacturerID != "kagi" {
		t.Errorf("manufacturerID = %q, want \"kagi\" padded with blanks", info.ManufacturerID)
	}
	if info.Flags != 0 {
		t.Errorf("flags = 0x%x, want 0 (the spec defines none)", info.Flags)
	}
	if info.LibraryDescription == "" {
		t.Errorf("libraryDescription is blank")
	}
	for _, s := range []string{info.ManufacturerID, info.LibraryDescription} {
		for _, c := range []byte(s) {
			if c < 0x20 || c > 0x7e {
				t.Errorf("CK_INFO string %q has a non-printable byte 0x%02x", s, c)
				break
			}
		}
	}
}

// TestWaitForSlotEventDontBlock: miekg's WaitForSlotEvent drops the CK_RV
// (the C test checks CKR_NO_EVENT exactly); here the non-blocking call must
// at least return at once.
func TestWaitForSlotEventDontBlock(t *testing.T) {
	fresh(t)
	select {
	case <-p11.WaitForSlotEvent(pkcs11.CKF_DONT_BLOCK):
	case <-time.After(10 * time.Second):
		t.Fatal("C_WaitForSlotEvent(CKF_DONT_BLOCK) did not return within 10 s")
	}
}

// C_GetFunctionStatus and C_CancelFunction (CKR_FUNCTION_NOT_PARALLEL) are
// not exposed by miekg/pkcs11; the C tests call them.

// The configuration is read at C_Initialize, not when the module is loaded:
// an application may set KAGI_DB / KAGI_CONF between dlopen and
// C_Initialize, and each C_Initialize reads them again (as SoftHSMv2 reads
// SOFTHSM2_CONF). Every other test here relies on it for a fresh database.
func TestConfigReadAtInitialize(t *testing.T) {
	for i := 0; i < 2; i++ {
		dir := t.TempDir()
		db := useDB(t, dir)
		must(t, "C_Initialize", p11.Initialize())
		_, statErr := os.Stat(db)
		slots, err := p11.GetSlotList(true)
		must(t, "C_GetSlotList", err)
		must(t, "C_Finalize", p11.Finalize())
		if statErr != nil {
			t.Fatalf("C_Initialize with KAGI_DB=%s (set after the module was loaded) did not create that database: %v", db, statErr)
		}
		if len(slots) != 1 {
			t.Errorf("database %d: %d slots, want 1 (a fresh database)", i, len(slots))
		}
	}

	// KAGI_DB takes precedence over KAGI_CONF's db.
	dir := t.TempDir()
	useDB(t, dir)
	other := filepath.Join(dir, "from-env.db")
	t.Setenv("KAGI_DB", other)
	must(t, "C_Initialize", p11.Initialize())
	must(t, "C_Finalize", p11.Finalize())
	if _, err := os.Stat(other); err != nil {
		t.Errorf("KAGI_DB=%s did not take precedence over KAGI_CONF's db: %v", other, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "kagi.db")); err == nil {
		t.Errorf("KAGI_CONF's db was created although KAGI_DB was set")
	}
}

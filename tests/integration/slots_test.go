package integration

import (
	"slices"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestFreshDatabaseHasOneFreeSlot(t *testing.T) {
	fresh(t)
	for _, present := range []bool{true, false} {
		slots, err := p11.GetSlotList(present)
		must(t, "C_GetSlotList", err)
		if len(slots) != 1 {
			t.Fatalf("C_GetSlotList(%v) on a fresh database: %d slots, want 1", present, len(slots))
		}
	}
	slots, _ := p11.GetSlotList(true)
	si, err := p11.GetSlotInfo(slots[0])
	must(t, "C_GetSlotInfo", err)
	if si.Flags&pkcs11.CKF_TOKEN_PRESENT == 0 {
		t.Errorf("slot flags 0x%x lack CKF_TOKEN_PRESENT", si.Flags)
	}
	if si.Flags&pkcs11.CKF_REMOVABLE_DEVICE != 0 {
		t.Errorf("slot flags 0x%x have CKF_REMOVABLE_DEVICE; kagi's slots are not removable", si.Flags)
	}
	if si.ManufacturerID != "kagi" {
		t.Errorf("slot manufacturerID = %q, want \"kagi\"", si.ManufacturerID)
	}
	ti, err := p11.GetTokenInfo(slots[0])
	must(t, "C_GetTokenInfo", err)
	if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
		t.Errorf("the free token has CKF_TOKEN_INITIALIZED (flags 0x%x)", ti.Flags)
	}
}

func TestInitTokenAddsFreeSlot(t *testing.T) {
	fresh(t)
	free := freeSlot(t)
	must(t, "C_InitToken", p11.InitToken(free, soPIN, "first"))

	slots, err := p11.GetSlotList(true)
	must(t, "C_GetSlotList", err)
	if len(slots) != 2 {
		t.Fatalf("after C_InitToken: %d slots, want 2 (the token and a new free one)", len(slots))
	}
	if !slices.Contains(slots, free) {
		t.Fatalf("the initialised token's slot %d is gone from %v", free, slots)
	}
	ti, err := p11.GetTokenInfo(free)
	must(t, "C_GetTokenInfo", err)
	if ti.Label != "first" || ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
		t.Errorf("slot %d: label %q flags 0x%x, want the initialised token \"first\"", free, ti.Label, ti.Flags)
	}
	next := freeSlot(t)
	if next == free {
		t.Fatalf("the new free slot has the initialised token's id %d", free)
	}

	// A second token on the new free slot: three slots now.
	must(t, "C_InitToken(second)", p11.InitToken(next, soPIN, "second"))
	slots, err = p11.GetSlotList(false)
	must(t, "C_GetSlotList", err)
	if len(slots) != 3 {
		t.Fatalf("after two C_InitToken: %d slots, want 3", len(slots))
	}
	if got := slotByLabel(t, "first"); got != free {
		t.Errorf("token \"first\" moved from slot %d to %d", free, got)
	}
	if got := slotByLabel(t, "second"); got != next {
		t.Errorf("token \"second\" is in slot %d, want %d", got, next)
	}
}

func TestTokenInfo(t *testing.T) {
	fresh(t)
	slot := initToken(t, soPIN, "info-token")

	ti, err := p11.GetTokenInfo(slot)
	must(t, "C_GetTokenInfo", err)
	if ti.Label != "info-token" {
		t.Errorf("label = %q, want \"info-token\" (padded with blanks to 32)", ti.Label)
	}
	if ti.ManufacturerID != "kagi" {
		t.Errorf("manufacturerID = %q, want \"kagi\"", ti.ManufacturerID)
	}
	if len(ti.SerialNumber) != 16 || strings.ContainsAny(ti.SerialNumber, " \x00") {
		t.Errorf("serialNumber = %q, want 16 significant characters", ti.SerialNumber)
	}
	if ti.Model == "" {
		t.Errorf("model is blank")
	}
	want := uint(pkcs11.CKF_RNG | pkcs11.CKF_LOGIN_REQUIRED | pkcs11.CKF_TOKEN_INITIALIZED | pkcs11.CKF_RESTORE_KEY_NOT_NEEDED)
	if ti.Flags&want != want {
		t.Errorf("flags = 0x%x, want at least 0x%x (RNG, LOGIN_REQUIRED, TOKEN_INITIALIZED, RESTORE_KEY_NOT_NEEDED)", ti.Flags, want)
	}
	if ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED != 0 {
		t.Errorf("CKF_USER_PIN_INITIALIZED set before C_InitPIN (flags 0x%x)", ti.Flags)
	}
	if ti.Flags&pkcs11.CKF_WRITE_PROTECTED != 0 {
		t.Errorf("CKF_WRITE_PROTECTED set (flags 0x%x)", ti.Flags)
	}
	if ti.MinPinLen != 4 || ti.MaxPinLen != 255 {
		t.Errorf("PIN length range = %d..%d, want 4..255", ti.MinPinLen, ti.MaxPinLen)
	}
	if ti.SessionCount != 0 || ti.RwSessionCount != 0 {
		t.Errorf("session counts = %d/%d with no session open, want 0/0", ti.SessionCount, ti.RwSessionCount)
	}
	if len(ti.UTCTime) != 16 {
		t.Errorf("utcTime = %q, want 16 characters", ti.UTCTime)
	} else if ti.Flags&pkcs11.CKF_CLOCK_ON_TOKEN != 0 {
		for _, c := range ti.UTCTime[:14] {
			if c < '0' || c > '9' {
				t.Errorf("utcTime = %q, want YYYYMMDDhhmmss00", ti.UTCTime)
				break
			}
		}
	}

	// Session counts follow the sessions.
	ro := openRO(t, slot)
	rw := openRW(t, slot)
	ti, err = p11.GetTokenInfo(slot)
	must(t, "C_GetTokenInfo", err)
	if ti.SessionCount != 2 || ti.RwSessionCount != 1 {
		t.Errorf("session counts = %d/%d with one R/O and one R/W session, want 2/1", ti.SessionCount, ti.RwSessionCount)
	}
	must(t, "C_CloseSession", p11.CloseSession(ro))

	// CKF_USER_PIN_INITIALIZED only after C_InitPIN.
	login(t, rw, pkcs11.CKU_SO, soPIN)
	must(t, "C_InitPIN", p11.InitPIN(rw, userPIN))
	ti, err = p11.GetTokenInfo(slot)
	must(t, "C_GetTokenInfo", err)
	if ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED == 0 {
		t.Errorf("CKF_USER_PIN_INITIALIZED not set after C_InitPIN (flags 0x%x)", ti.Flags)
	}
	if ti.SessionCount != 1 || ti.RwSessionCount != 1 {
		t.Errorf("session counts = %d/%d with one R/W session, want 1/1", ti.SessionCount, ti.RwSessionCount)
	}
}

func TestInitTokenErrors(t *testing.T) {
	fresh(t)
	free := freeSlot(t)

	// A new SO PIN outside 4..255 (the token's ulMinPinLen/ulMaxPinLen).
	wantRV(t, "C_InitToken with a 3-byte SO PIN", p11.InitToken(free, "123", "x"), pkcs11.CKR_PIN_LEN_RANGE)
	wantRV(t, "C_InitToken with a 256-byte SO PIN", p11.InitToken(free, strings.Repeat("p", 256), "x"), pkcs11.CKR_PIN_LEN_RANGE)
	if got := freeSlot(t); got != free {
		t.Fatalf("refused C_InitToken changed the free slot from %d to %d", free, got)
	}
	must(t, "C_InitToken with a 4-byte SO PIN", p11.InitToken(free, "1234", "edge"))
	next := freeSlot(t)
	must(t, "C_InitToken with a 255-byte SO PIN", p11.InitToken(next, strings.Repeat("p", 255), "edge2"))

	// Re-initialising needs the current SO PIN and no open session.
	wantRV(t, "C_InitToken with the wrong SO PIN", p11.InitToken(free, "4321", "edge"), pkcs11.CKR_PIN_INCORRECT)
	sh := openRO(t, free)
	wantRV(t, "C_InitToken with a session open", p11.InitToken(free, "1234", "edge"), pkcs11.CKR_SESSION_EXISTS)
	must(t, "C_CloseSession", p11.CloseSession(sh))
	must(t, "C_InitToken with the right SO PIN", p11.InitToken(free, "1234", "edge"))

	wantRV(t, "C_InitToken on an invalid slot", p11.InitToken(badSlot, soPIN, "x"), pkcs11.CKR_SLOT_ID_INVALID)
}

func TestReinitToken(t *testing.T) {
	fresh(t)
	slot := newToken(t, "before")
	before, err := p11.GetTokenInfo(slot)
	must(t, "C_GetTokenInfo", err)

	sh := openRW(t, slot)
	login(t, sh, pkcs11.CKU_USER, userPIN)
	_, err = p11.CreateObject(sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
		attr(pkcs11.CKA_TOKEN, true),
		attr(pkcs11.CKA_PRIVATE, false),
		attr(pkcs11.CKA_LABEL, "survivor?"),
	})
	must(t, "C_CreateObject", err)
	must(t, "C_CloseSession", p11.CloseSession(sh))

	must(t, "C_InitToken (re-initialise)", p11.InitToken(slot, soPIN, "after"))
	after, err := p11.GetTokenInfo(slot)
	must(t, "C_GetTokenInfo", err)
	if after.Label != "after" {
		t.Errorf("label after re-init = %q, want \"after\"", after.Label)
	}
	if after.SerialNumber != before.SerialNumber {
		t.Errorf("serial number changed on re-init: %q -> %q", before.SerialNumber, after.SerialNumber)
	}
	if after.Flags&pkcs11.CKF_USER_PIN_INITIALIZED != 0 {
		t.Errorf("CKF_USER_PIN_INITIALIZED still set after re-init (flags 0x%x)", after.Flags)
	}
	slots, err := p11.GetSlotList(true)
	must(t, "C_GetSlotList", err)
	if len(slots) != 2 {
		t.Errorf("re-init changed the slot count to %d, want 2", len(slots))
	}

	sh = openRW(t, slot)
	wantRV(t, "C_Login(user) after re-init", p11.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_PIN_NOT_INITIALIZED)
	if hs := findAll(t, sh, nil); len(hs) != 0 {
		t.Errorf("re-init left %d objects visible", len(hs))
	}
	login(t, sh, pkcs11.CKU_SO, soPIN)
	if hs := findAll(t, sh, nil); len(hs) != 0 {
		t.Errorf("re-init left %d objects visible to the SO", len(hs))
	}
}

func TestSlotErrors(t *testing.T) {
	fresh(t)
	_, err := p11.GetSlotInfo(badSlot)
	wantRV(t, "C_GetSlotInfo(invalid)", err, pkcs11.CKR_SLOT_ID_INVALID)
	_, err = p11.GetTokenInfo(badSlot)
	wantRV(t, "C_GetTokenInfo(invalid)", err, pkcs11.CKR_SLOT_ID_INVALID)
	_, err = p11.GetMechanismList(badSlot)
	wantRV(t, "C_GetMechanismList(invalid)", err, pkcs11.CKR_SLOT_ID_INVALID)
	_, err = p11.GetMechanismInfo(badSlot, mech(pkcs11.CKM_SHA256))
	wantRV(t, "C_GetMechanismInfo(invalid)", err, pkcs11.CKR_SLOT_ID_INVALID)
	_, err = p11.OpenSession(badSlot, pkcs11.CKF_SERIAL_SESSION)
	wantRV(t, "C_OpenSession(invalid)", err, pkcs11.CKR_SLOT_ID_INVALID)
	wantRV(t, "C_CloseAllSessions(invalid)", p11.CloseAllSessions(badSlot), pkcs11.CKR_SLOT_ID_INVALID)
}

func TestSlotIDsStableAcrossRestart(t *testing.T) {
	fresh(t)
	a := initToken(t, soPIN, "a")
	b := initToken(t, soPIN, "b")
	before, err := p11.GetSlotList(false)
	must(t, "C_GetSlotList", err)

	reinit(t)
	after, err := p11.GetSlotList(false)
	must(t, "C_GetSlotList", err)
	slices.Sort(before)
	slices.Sort(after)
	if !slices.Equal(before, after) {
		t.Errorf("slot ids changed across C_Finalize/C_Initialize: %v -> %v", before, after)
	}
	if got := slotByLabel(t, "a"); got != a {
		t.Errorf("token a moved from slot %d to %d", a, got)
	}
	if got := slotByLabel(t, "b"); got != b {
		t.Errorf("token b moved from slot %d to %d", b, got)
	}
}

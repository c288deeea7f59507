package integration

import (
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

// Login rules of PKCS#11 3.0 section 5.6 (C_Login, C_Logout).
func TestLoginRules(t *testing.T) {
	fresh(t)
	slot := initToken(t, soPIN, "login")
	sh := openRW(t, slot)

	wantRV(t, "C_Login(user) before C_InitPIN", p11.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_PIN_NOT_INITIALIZED)
	wantRV(t, "C_Logout when nobody is logged in", p11.Logout(sh), pkcs11.CKR_USER_NOT_LOGGED_IN)
	wantRV(t, "C_Login with user type 7", p11.Login(sh, 7, userPIN), pkcs11.CKR_USER_TYPE_INVALID)
	wantRV(t, "C_Login(SO) with the wrong PIN", p11.Login(sh, pkcs11.CKU_SO, "wrong-pin"), pkcs11.CKR_PIN_INCORRECT)

	login(t, sh, pkcs11.CKU_SO, soPIN)
	wantRV(t, "C_Login(SO) twice", p11.Login(sh, pkcs11.CKU_SO, soPIN), pkcs11.CKR_USER_ALREADY_LOGGED_IN)
	wantRV(t, "C_Login(user) while the SO is logged in", p11.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
	must(t, "C_InitPIN", p11.InitPIN(sh, userPIN))
	must(t, "C_Logout", p11.Logout(sh))

	wantRV(t, "C_Login(user) with the wrong PIN", p11.Login(sh, pkcs11.CKU_USER, "wrong-pin"), pkcs11.CKR_PIN_INCORRECT)
	login(t, sh, pkcs11.CKU_USER, userPIN)
	wantRV(t, "C_Login(user) twice", p11.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_ALREADY_LOGGED_IN)
	wantRV(t, "C_Login(SO) while the user is logged in", p11.Login(sh, pkcs11.CKU_SO, soPIN), pkcs11.CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
	must(t, "C_Logout", p11.Logout(sh))
	wantRV(t, "C_Logout twice", p11.Logout(sh), pkcs11.CKR_USER_NOT_LOGGED_IN)

	// The SO may not log in while the application has a R/O session.
	ro := openRO(t, slot)
	wantRV(t, "C_Login(SO) with a R/O session open", p11.Login(sh, pkcs11.CKU_SO, soPIN), pkcs11.CKR_SESSION_READ_ONLY_EXISTS)
	must(t, "C_CloseSession(R/O)", p11.CloseSession(ro))
	login(t, sh, pkcs11.CKU_SO, soPIN)
	// ...and no R/O session can be opened while the SO is logged in.
	_, err := p11.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	wantRV(t, "C_OpenSession(R/O) while the SO is logged in", err, pkcs11.CKR_SESSION_READ_WRITE_SO_EXISTS)
}

// CKU_CONTEXT_SPECIFIC is only meaningful right after an operation that
// needs it was initialised (a CKA_ALWAYS_AUTHENTICATE key). PKCS#11 3.0
// section 5.6, C_Login: "Improper use of this user type will result in a
// return value CKR_OPERATION_NOT_INITIALIZED" (SoftHSMv2 does the same,
// whether or not a user is logged in).
func TestLoginContextSpecificWithoutOperation(t *testing.T) {
	fresh(t)
	slot := newToken(t, "ctx")
	sh := openRW(t, slot)
	wantRV(t, "C_Login(CKU_CONTEXT_SPECIFIC) logged out, no operation",
		p11.Login(sh, pkcs11.CKU_CONTEXT_SPECIFIC, userPIN), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	login(t, sh, pkcs11.CKU_USER, userPIN)
	wantRV(t, "C_Login(CKU_CONTEXT_SPECIFIC) logged in, no operation",
		p11.Login(sh, pkcs11.CKU_CONTEXT_SPECIFIC, userPIN), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	// Still logged in as the user.
	info, err := p11.GetSessionInfo(sh)
	must(t, "C_GetSessionInfo", err)
	if info.State != pkcs11.CKS_RW_USER_FUNCTIONS {
		t.Errorf("state after the refused context-specific login = %d, want CKS_RW_USER_FUNCTIONS", info.State)
	}
}

func TestInitPINRules(t *testing.T) {
	fresh(t)
	slot := initToken(t, soPIN, "initpin")
	rw := openRW(t, slot)

	wantRV(t, "C_InitPIN logged out", p11.InitPIN(rw, userPIN), pkcs11.CKR_USER_NOT_LOGGED_IN)

	// PKCS#11 3.0 section 5.6, C_InitPIN: "C_InitPIN can only be called in
	// the "R/W SO Functions" state. An attempt to call it from a session in
	// any other state fails with error CKR_USER_NOT_LOGGED_IN." That
	// includes R/O sessions (the SO is never logged in while one is open);
	// SoftHSMv2 answers the same.
	ro := openRO(t, slot)
	wantRV(t, "C_InitPIN in a R/O public session", p11.InitPIN(ro, userPIN), pkcs11.CKR_USER_NOT_LOGGED_IN)
	must(t, "C_CloseSession", p11.CloseSession(ro))

	login(t, rw, pkcs11.CKU_SO, soPIN)
	wantRV(t, "C_InitPIN with a 3-byte PIN", p11.InitPIN(rw, "123"), pkcs11.CKR_PIN_LEN_RANGE)
	wantRV(t, "C_InitPIN with a 256-byte PIN", p11.InitPIN(rw, strings.Repeat("u", 256)), pkcs11.CKR_PIN_LEN_RANGE)
	wantRV(t, "C_InitPIN with an empty PIN", p11.InitPIN(rw, ""), pkcs11.CKR_PIN_LEN_RANGE)
	must(t, "C_InitPIN", p11.InitPIN(rw, userPIN))
	must(t, "C_Logout", p11.Logout(rw))

	// The user may not call C_InitPIN.
	login(t, rw, pkcs11.CKU_USER, userPIN)
	wantRV(t, "C_InitPIN as the user", p11.InitPIN(rw, "another-pin"), pkcs11.CKR_USER_NOT_LOGGED_IN)
	ro = openRO(t, slot)
	wantRV(t, "C_InitPIN as the user in a R/O session", p11.InitPIN(ro, "another-pin"), pkcs11.CKR_USER_NOT_LOGGED_IN)
}

func TestSetPIN(t *testing.T) {
	fresh(t)
	slot := newToken(t, "setpin")

	// R/O sessions cannot change PINs (PKCS#11 3.0 section 5.6, C_SetPIN).
	ro := openRO(t, slot)
	wantRV(t, "C_SetPIN in a R/O public session", p11.SetPIN(ro, userPIN, "new-user-pin"), pkcs11.CKR_SESSION_READ_ONLY)
	login(t, ro, pkcs11.CKU_USER, userPIN)
	wantRV(t, "C_SetPIN in a R/O user session", p11.SetPIN(ro, userPIN, "new-user-pin"), pkcs11.CKR_SESSION_READ_ONLY)
	must(t, "C_Logout", p11.Logout(ro))
	must(t, "C_CloseSession", p11.CloseSession(ro))

	rw := openRW(t, slot)
	// In a public R/W session C_SetPIN changes the user PIN ("R/W Public
	// Session" state: the normal user's PIN).
	wantRV(t, "C_SetPIN(public) with the wrong old PIN", p11.SetPIN(rw, "wrong-pin", "new-user-pin"), pkcs11.CKR_PIN_INCORRECT)
	must(t, "C_SetPIN(public)", p11.SetPIN(rw, userPIN, "public-set-pin"))
	wantRV(t, "C_Login(user) with the old PIN", p11.Login(rw, pkcs11.CKU_USER, userPIN), pkcs11.CKR_PIN_INCORRECT)
	login(t, rw, pkcs11.CKU_USER, "public-set-pin")

	// Logged in as the user.
	wantRV(t, "C_SetPIN(user) with the wrong old PIN", p11.SetPIN(rw, "wrong-pin", "new-user-pin"), pkcs11.CKR_PIN_INCORRECT)
	wantRV(t, "C_SetPIN(user) to a 3-byte PIN", p11.SetPIN(rw, "public-set-pin", "123"), pkcs11.CKR_PIN_LEN_RANGE)
	wantRV(t, "C_SetPIN(user) to a 256-byte PIN", p11.SetPIN(rw, "public-set-pin", strings.Repeat("n", 256)), pkcs11.CKR_PIN_LEN_RANGE)
	must(t, "C_SetPIN(user)", p11.SetPIN(rw, "public-set-pin", "new-user-pin"))
	must(t, "C_Logout", p11.Logout(rw))

	// Logged in as the SO: the SO PIN changes.
	login(t, rw, pkcs11.CKU_SO, soPIN)
	wantRV(t, "C_SetPIN(SO) with the wrong old PIN", p11.SetPIN(rw, "wrong-pin", "new-so-pin"), pkcs11.CKR_PIN_INCORRECT)
	must(t, "C_SetPIN(SO)", p11.SetPIN(rw, soPIN, "new-so-pin"))
	must(t, "C_Logout", p11.Logout(rw))

	// The new PINs hold after a restart; the old ones do not.
	reinit(t)
	rw = openRW(t, slot)
	wantRV(t, "C_Login(user) with the old PIN after restart", p11.Login(rw, pkcs11.CKU_USER, userPIN), pkcs11.CKR_PIN_INCORRECT)
	login(t, rw, pkcs11.CKU_USER, "new-user-pin")
	must(t, "C_Logout", p11.Logout(rw))
	wantRV(t, "C_Login(SO) with the old PIN after restart", p11.Login(rw, pkcs11.CKU_SO, soPIN), pkcs11.CKR_PIN_INCORRECT)
	login(t, rw, pkcs11.CKU_SO, "new-so-pin")
}

// tokenFlags returns the token's CK_TOKEN_INFO flags.
func tokenFlags(t *testing.T, slot uint) uint {
	t.Helper()
	ti, err := p11.GetTokenInfo(slot)
	must(t, "C_GetTokenInfo", err)
	return ti.Flags
}

func TestUserPINLockout(t *testing.T) {
	fresh(t)
	slot := newToken(t, "lockout")
	sh := openRW(t, slot)

	if f := tokenFlags(t, slot); f&(pkcs11.CKF_USER_PIN_COUNT_LOW|pkcs11.CKF_USER_PIN_FINAL_TRY|pkcs11.CKF_USER_PIN_LOCKED) != 0 {
		t.Errorf("PIN count flags set before any failure (flags 0x%x)", f)
	}
	for i := 1; i < maxPINFailures; i++ {
		wantRV(t, "C_Login(user) with a wrong PIN", p11.Login(sh, pkcs11.CKU_USER, "wrong-pin"), pkcs11.CKR_PIN_INCORRECT)
		f := tokenFlags(t, slot)
		if f&pkcs11.CKF_USER_PIN_COUNT_LOW == 0 {
			t.Errorf("after %d failures: CKF_USER_PIN_COUNT_LOW not set (flags 0x%x)", i, f)
		}
		if final := f&pkcs11.CKF_USER_PIN_FINAL_TRY != 0; final != (i == maxPINFailures-1) {
			t.Errorf("after %d failures: CKF_USER_PIN_FINAL_TRY = %v (flags 0x%x)", i, final, f)
		}
		if f&pkcs11.CKF_USER_PIN_LOCKED != 0 {
			t.Fatalf("after %d failures: CKF_USER_PIN_LOCKED already set", i)
		}
	}
	// The last allowed failure locks the PIN.
	if err := p11.Login(sh, pkcs11.CKU_USER, "wrong-pin"); rvOf(err) != pkcs11.CKR_PIN_INCORRECT && rvOf(err) != pkcs11.CKR_PIN_LOCKED {
		t.Errorf("failure %d: got %s, want CKR_PIN_INCORRECT or CKR_PIN_LOCKED", maxPINFailures, rvName(rvOf(err)))
	}
	if f := tokenFlags(t, slot); f&pkcs11.CKF_USER_PIN_LOCKED == 0 {
		t.Errorf("after %d failures: CKF_USER_PIN_LOCKED not set (flags 0x%x)", maxPINFailures, f)
	}
	wantRV(t, "C_Login(user) with the right PIN when locked", p11.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_PIN_LOCKED)
	wantRV(t, "C_SetPIN(public) when locked", p11.SetPIN(sh, userPIN, "new-user-pin"), pkcs11.CKR_PIN_LOCKED)

	// The lock is stored: it survives a restart.
	reinit(t)
	sh = openRW(t, slot)
	if f := tokenFlags(t, slot); f&pkcs11.CKF_USER_PIN_LOCKED == 0 {
		t.Errorf("after restart: CKF_USER_PIN_LOCKED not set (flags 0x%x)", f)
	}
	wantRV(t, "C_Login(user) with the right PIN when locked, after restart", p11.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_PIN_LOCKED)

	// The SO unlocks the user by setting a new PIN.
	login(t, sh, pkcs11.CKU_SO, soPIN)
	must(t, "C_InitPIN (unlock)", p11.InitPIN(sh, "unlocked-pin"))
	must(t, "C_Logout", p11.Logout(sh))
	if f := tokenFlags(t, slot); f&(pkcs11.CKF_USER_PIN_COUNT_LOW|pkcs11.CKF_USER_PIN_FINAL_TRY|pkcs11.CKF_USER_PIN_LOCKED) != 0 {
		t.Errorf("after C_InitPIN: PIN count flags still set (flags 0x%x)", f)
	}
	login(t, sh, pkcs11.CKU_USER, "unlocked-pin")
}

func TestUserPINCounterResetsOnSuccess(t *testing.T) {
	fresh(t)
	slot := newToken(t, "counter")
	sh := openRW(t, slot)
	for round := 0; round < 2; round++ {
		for i := 0; i < maxPINFailures-1; i++ {
			wantRV(t, "C_Login(user) with a wrong PIN", p11.Login(sh, pkcs11.CKU_USER, "wrong-pin"), pkcs11.CKR_PIN_INCORRECT)
		}
		// One try left: the right PIN still works and resets the counter.
		login(t, sh, pkcs11.CKU_USER, userPIN)
		if f := tokenFlags(t, slot); f&(pkcs11.CKF_USER_PIN_COUNT_LOW|pkcs11.CKF_USER_PIN_FINAL_TRY|pkcs11.CKF_USER_PIN_LOCKED) != 0 {
			t.Errorf("round %d: PIN count flags set after a successful login (flags 0x%x)", round, f)
		}
		must(t, "C_Logout", p11.Logout(sh))
	}
}

func TestLoginPINLengths(t *testing.T) {
	fresh(t)
	slot := newToken(t, "pinlen")
	sh := openRW(t, slot)
	// C_Login has no CKR_PIN_LEN_RANGE: a PIN of a length the token never
	// accepts is simply incorrect.
	wantRV(t, "C_Login(user) with a 256-byte PIN", p11.Login(sh, pkcs11.CKU_USER, strings.Repeat("u", 256)), pkcs11.CKR_PIN_INCORRECT)
	wantRV(t, "C_Login(user) with a 3-byte PIN", p11.Login(sh, pkcs11.CKU_USER, "123"), pkcs11.CKR_PIN_INCORRECT)
	// miekg passes an empty PIN as pPin NULL_PTR, ulPinLen 0. The token has
	// no protected authentication path, so that is a bad argument (as
	// SoftHSMv2 answers).
	wantRV(t, "C_Login(user) with pPin NULL", p11.Login(sh, pkcs11.CKU_USER, ""), pkcs11.CKR_ARGUMENTS_BAD)
	login(t, sh, pkcs11.CKU_USER, userPIN)
}

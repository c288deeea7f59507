package integration

import (
	"testing"

	"github.com/miekg/pkcs11"
)

func TestOpenSessionFlags(t *testing.T) {
	fresh(t)
	slot := newToken(t, "sessions")

	_, err := p11.OpenSession(slot, pkcs11.CKF_RW_SESSION)
	wantRV(t, "C_OpenSession without CKF_SERIAL_SESSION", err, pkcs11.CKR_SESSION_PARALLEL_NOT_SUPPORTED)
	_, err = p11.OpenSession(slot, 0)
	wantRV(t, "C_OpenSession with flags 0", err, pkcs11.CKR_SESSION_PARALLEL_NOT_SUPPORTED)

	ro := openRO(t, slot)
	rw := openRW(t, slot)
	for _, c := range []struct {
		name  string
		sh    pkcs11.SessionHandle
		flags uint
		state uint
	}{
		{"R/O", ro, pkcs11.CKF_SERIAL_SESSION, pkcs11.CKS_RO_PUBLIC_SESSION},
		{"R/W", rw, pkcs11.CKF_SERIAL_SESSION | pkcs11.CKF_RW_SESSION, pkcs11.CKS_RW_PUBLIC_SESSION},
	} {
		info, err := p11.GetSessionInfo(c.sh)
		must(t, "C_GetSessionInfo", err)
		if info.SlotID != slot || info.Flags != c.flags || info.State != c.state {
			t.Errorf("%s session: slot %d flags 0x%x state %d, want slot %d flags 0x%x state %d",
				c.name, info.SlotID, info.Flags, info.State, slot, c.flags, c.state)
		}
	}
}

func TestOpenSessionUninitialisedToken(t *testing.T) {
	fresh(t)
	_, err := p11.OpenSession(freeSlot(t), pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	wantRV(t, "C_OpenSession on the uninitialised token", err, pkcs11.CKR_TOKEN_NOT_RECOGNIZED)
}

// sessionState returns the session's CK_STATE.
func sessionState(t *testing.T, sh pkcs11.SessionHandle) uint {
	t.Helper()
	info, err := p11.GetSessionInfo(sh)
	must(t, "C_GetSessionInfo", err)
	return info.State
}

// The login state belongs to the application and token, not to one session
// (PKCS#11 3.0 section 2.6.7): every session moves with it.
func TestSessionStates(t *testing.T) {
	fresh(t)
	slot := newToken(t, "states")
	ro := openRO(t, slot)
	rw := openRW(t, slot)

	check := func(when string, wantRO, wantRW uint) {
		t.Helper()
		if got := sessionState(t, ro); got != wantRO {
			t.Errorf("%s: R/O session state %d, want %d", when, got, wantRO)
		}
		if got := sessionState(t, rw); got != wantRW {
			t.Errorf("%s: R/W session state %d, want %d", when, got, wantRW)
		}
	}
	check("logged out", pkcs11.CKS_RO_PUBLIC_SESSION, pkcs11.CKS_RW_PUBLIC_SESSION)

	login(t, ro, pkcs11.CKU_USER, userPIN) // logging in on the R/O session...
	check("user logged in", pkcs11.CKS_RO_USER_FUNCTIONS, pkcs11.CKS_RW_USER_FUNCTIONS)
	later := openRO(t, slot) // ...and sessions opened later join the state
	if got := sessionState(t, later); got != pkcs11.CKS_RO_USER_FUNCTIONS {
		t.Errorf("R/O session opened while logged in: state %d, want CKS_RO_USER_FUNCTIONS", got)
	}
	must(t, "C_Logout on the R/W session", p11.Logout(rw))
	check("logged out again", pkcs11.CKS_RO_PUBLIC_SESSION, pkcs11.CKS_RW_PUBLIC_SESSION)

	must(t, "C_CloseSession", p11.CloseSession(ro))
	must(t, "C_CloseSession", p11.CloseSession(later))
	login(t, rw, pkcs11.CKU_SO, soPIN)
	if got := sessionState(t, rw); got != pkcs11.CKS_RW_SO_FUNCTIONS {
		t.Errorf("SO logged in: R/W session state %d, want CKS_RW_SO_FUNCTIONS", got)
	}
	rw2 := openRW(t, slot)
	if got := sessionState(t, rw2); got != pkcs11.CKS_RW_SO_FUNCTIONS {
		t.Errorf("R/W session opened while the SO is logged in: state %d, want CKS_RW_SO_FUNCTIONS", got)
	}
}

func TestClosingLastSessionLogsOut(t *testing.T) {
	fresh(t)
	slot := newToken(t, "lastclose")
	a := openRW(t, slot)
	b := openRW(t, slot)
	login(t, a, pkcs11.CKU_USER, userPIN)

	must(t, "C_CloseSession(a)", p11.CloseSession(a))
	if got := sessionState(t, b); got != pkcs11.CKS_RW_USER_FUNCTIONS {
		t.Errorf("after closing one of two sessions: state %d, want CKS_RW_USER_FUNCTIONS", got)
	}
	must(t, "C_CloseSession(b)", p11.CloseSession(b))

	c := openRW(t, slot)
	if got := sessionState(t, c); got != pkcs11.CKS_RW_PUBLIC_SESSION {
		t.Errorf("after closing the last session: new session state %d, want CKS_RW_PUBLIC_SESSION", got)
	}
	// Logged out: the user may log in again.
	login(t, c, pkcs11.CKU_USER, userPIN)
}

func TestCloseAllSessions(t *testing.T) {
	fresh(t)
	one := newToken(t, "one")
	two := newToken(t, "two")
	a := openRW(t, one)
	b := openRO(t, one)
	other := openRW(t, two)
	login(t, a, pkcs11.CKU_USER, userPIN)

	must(t, "C_CloseAllSessions", p11.CloseAllSessions(one))
	for _, sh := range []pkcs11.SessionHandle{a, b} {
		_, err := p11.GetSessionInfo(sh)
		wantRV(t, "C_GetSessionInfo on a session closed by C_CloseAllSessions", err, pkcs11.CKR_SESSION_HANDLE_INVALID)
	}
	if _, err := p11.GetSessionInfo(other); err != nil {
		t.Errorf("C_CloseAllSessions closed a session of another token: %v", err)
	}
	ti, err := p11.GetTokenInfo(one)
	must(t, "C_GetTokenInfo", err)
	if ti.SessionCount != 0 || ti.RwSessionCount != 0 {
		t.Errorf("after C_CloseAllSessions: session counts %d/%d, want 0/0", ti.SessionCount, ti.RwSessionCount)
	}
	// All sessions closed: logged out.
	c := openRW(t, one)
	if got := sessionState(t, c); got != pkcs11.CKS_RW_PUBLIC_SESSION {
		t.Errorf("after C_CloseAllSessions: new session state %d, want CKS_RW_PUBLIC_SESSION", got)
	}
	must(t, "C_CloseSession", p11.CloseSession(c))
	must(t, "C_CloseAllSessions with no session open", p11.CloseAllSessions(one))
}

func TestSessionHandleInvalid(t *testing.T) {
	fresh(t)
	slot := newToken(t, "handles")
	sh := openRW(t, slot)
	must(t, "C_CloseSession", p11.CloseSession(sh))

	for _, h := range []pkcs11.SessionHandle{sh, 0, badSession} {
		_, err := p11.GetSessionInfo(h)
		wantRV(t, "C_GetSessionInfo", err, pkcs11.CKR_SESSION_HANDLE_INVALID)
		wantRV(t, "C_CloseSession", p11.CloseSession(h), pkcs11.CKR_SESSION_HANDLE_INVALID)
	}
}

// Session handles are never reused while the library is loaded.
func TestSessionHandlesNotReused(t *testing.T) {
	fresh(t)
	slot := newToken(t, "reuse")
	seen := map[pkcs11.SessionHandle]bool{}
	keep := openRW(t, slot) // one session stays open throughout
	seen[keep] = true
	for i := 0; i < 100; i++ {
		sh := openRO(t, slot)
		if sh == 0 {
			t.Fatalf("C_OpenSession returned CK_INVALID_HANDLE")
		}
		if seen[sh] {
			t.Fatalf("session handle %d reused after close (iteration %d)", sh, i)
		}
		seen[sh] = true
		must(t, "C_CloseSession", p11.CloseSession(sh))
	}
	// ...nor across C_Finalize/C_Initialize.
	reinit(t)
	for i := 0; i < 10; i++ {
		sh := openRO(t, slot)
		if seen[sh] {
			t.Fatalf("session handle %d reused after C_Finalize/C_Initialize", sh)
		}
		seen[sh] = true
	}
}

func TestSessionCounts(t *testing.T) {
	fresh(t)
	slot := newToken(t, "counts")
	counts := func() (uint, uint) {
		t.Helper()
		ti, err := p11.GetTokenInfo(slot)
		must(t, "C_GetTokenInfo", err)
		return ti.SessionCount, ti.RwSessionCount
	}
	var open []pkcs11.SessionHandle
	for i := 0; i < 3; i++ {
		open = append(open, openRO(t, slot), openRW(t, slot))
		if all, rw := counts(); all != uint(2*(i+1)) || rw != uint(i+1) {
			t.Errorf("with %d R/O and %d R/W sessions: counts %d/%d", i+1, i+1, all, rw)
		}
	}
	for i, sh := range open {
		must(t, "C_CloseSession", p11.CloseSession(sh))
		left := open[i+1:]
		var wantRW uint
		for j := range left {
			if (i+1+j)%2 == 1 {
				wantRW++
			}
		}
		if all, rw := counts(); all != uint(len(left)) || rw != wantRW {
			t.Errorf("after closing %d sessions: counts %d/%d, want %d/%d", i+1, all, rw, len(left), wantRW)
		}
	}
}

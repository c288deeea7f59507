package token

import (
	"errors"
	"runtime"
	"sync"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/store"
	"github.com/kagi-hsm/kagi/token/ck"
)

// pinRole names the sealed copy of the TMK a user type opens.
func pinRole(ut ck.UserType) string {
	if ut == ck.CKU_SO {
		return "so"
	}
	return "user"
}

// checkPIN opens the token master key with a PIN, counting failures in the
// database so a lockout survives restarts and other processes. It returns
// the TMK. Caller holds l.mu for writing; the PBKDF2 work runs with it held,
// which only delays other administrative calls of this process by one
// derivation.
func (l *Library) checkPIN(t *tokenState, ut ck.UserType, pin []byte) ([]byte, error) {
	r := &t.rec
	fails, salt, sealed := &r.UserFails, r.UserSalt, r.UserSealedTMK
	if ut == ck.CKU_SO {
		fails, salt, sealed = &r.SOFails, r.SOSalt, r.SOSealedTMK
	}
	if sealed == nil {
		return nil, ck.CKR_USER_PIN_NOT_INITIALIZED
	}
	if *fails >= l.cfg.MaxPINFailures {
		return nil, ck.CKR_PIN_LOCKED
	}
	var tmk []byte
	var err error
	if len(pin) >= MinPINLen && len(pin) <= MaxPINLen {
		kek := mech.PINKey(pin, salt, r.Iterations)
		tmk, err = store.OpenTMK(kek, r.UUID, pinRole(ut), sealed)
		clear(kek)
	} else {
		err = store.ErrTampered
	}
	if err != nil {
		if !errors.Is(err, store.ErrTampered) {
			return nil, l.deviceError("opening token key", err)
		}
		*fails++
		if err := l.st.SetFails(r.ID, r.SOFails, r.UserFails); err != nil {
			return nil, l.deviceError("counting PIN failures", err)
		}
		return nil, ck.CKR_PIN_INCORRECT
	}
	if *fails != 0 {
		*fails = 0
		if err := l.st.SetFails(r.ID, r.SOFails, r.UserFails); err != nil {
			clear(tmk)
			return nil, l.deviceError("resetting PIN failures", err)
		}
	}
	return tmk, nil
}

// Login is C_Login (PKCS#11 3.0 section 5.6).
func (l *Library) Login(sh ck.SessionHandle, ut ck.UserType, pin []byte) error {
	if ut == ck.CKU_CONTEXT_SPECIFIC {
		return l.loginContext(sh, pin)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.session(sh)
	if err != nil {
		return err
	}
	t := s.tok
	switch ut {
	case ck.CKU_SO, ck.CKU_USER:
	default:
		return ck.CKR_USER_TYPE_INVALID
	}
	if t.login == ut {
		return ck.CKR_USER_ALREADY_LOGGED_IN
	}
	if t.login != notLoggedIn {
		return ck.CKR_USER_ANOTHER_ALREADY_LOGGED_IN
	}
	if err := l.refresh(); err != nil {
		return err
	}
	if ut == ck.CKU_SO && t.sessionCount > t.rwCount {
		return ck.CKR_SESSION_READ_ONLY_EXISTS
	}
	tmk, err := l.checkPIN(t, ut, pin)
	if err != nil {
		return err
	}
	sealer, err := store.NewSealer(tmk)
	if err != nil {
		clear(tmk)
		return err
	}
	t.login, t.tmk, t.sealer = ut, tmk, sealer
	if ut == ck.CKU_USER {
		l.unlockAll(t)
	}
	return nil
}

// unlockAll opens every sealed row of the token after a user login, on all
// cores (at start-up with many objects this is most of the login's time),
// and gives the objects fresh handles. Caller holds l.mu for writing.
func (l *Library) unlockAll(t *tokenState) {
	t.byLabel = nil
	var locked []*object
	for _, o := range t.objects {
		if o.attrs == nil {
			locked = append(locked, o)
		}
	}
	failed := make([]error, len(locked))
	workers := min(runtime.GOMAXPROCS(0), len(locked)/256+1)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(locked); i += workers {
				failed[i] = locked[i].unlock()
			}
		}()
	}
	wg.Wait()
	for i, o := range locked {
		if failed[i] != nil {
			l.log.Printf("token %q: object %016x rejected: %v", t.rec.Label, o.id, failed[i])
			l.forget(o)
			continue
		}
		l.publish(o, 0)
	}
}

// loginContext is C_Login with CKU_CONTEXT_SPECIFIC: the user's PIN again,
// right after C_SignInit or C_DecryptInit with a CKA_ALWAYS_AUTHENTICATE key,
// authorises that one operation (PKCS#11 3.0 section 5.6 and 4.9). The
// session is locked before the library, the order the crypto calls use.
func (l *Library) loginContext(sh ck.SessionHandle, pin []byte) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	var pending []*bool
	if s.sign != nil && s.sign.needAuth {
		pending = append(pending, &s.sign.needAuth)
	}
	if s.decrypt != nil && s.decrypt.needAuth {
		pending = append(pending, &s.decrypt.needAuth)
	}
	if len(pending) == 0 {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.tok.login != ck.CKU_USER {
		return ck.CKR_USER_NOT_LOGGED_IN
	}
	tmk, err := l.checkPIN(s.tok, ck.CKU_USER, pin)
	if err != nil {
		return err
	}
	clear(tmk)
	for _, p := range pending {
		*p = false
	}
	return nil
}

// Logout is C_Logout.
func (l *Library) Logout(sh ck.SessionHandle) error {
	l.mu.Lock()
	s, err := l.session(sh)
	if err != nil {
		l.mu.Unlock()
		return err
	}
	t := s.tok
	if t.login == notLoggedIn {
		l.mu.Unlock()
		return ck.CKR_USER_NOT_LOGGED_IN
	}
	l.logoutToken(t)
	return nil
}

// logoutToken ends the operations of the token's sessions and forgets its
// secrets. Called with l.mu held for writing; releases it.
func (l *Library) logoutToken(t *tokenState) {
	var sessions []*session
	for _, s := range l.sessions {
		if s.tok == t {
			sessions = append(sessions, s)
		}
	}
	l.mu.Unlock()
	// Operations hold parsed keys; end them before the keys are zeroed.
	for _, s := range sessions {
		s.mu.Lock()
		s.resetOps()
		s.mu.Unlock()
	}
	l.mu.Lock()
	// Section 5.6: handles to private objects become invalid, and private
	// session objects are destroyed.
	for _, o := range t.objects {
		if o.sealedRow && o.handle != 0 {
			delete(l.objects, o.handle)
			o.handle = 0
		}
	}
	for _, s := range sessions {
		for h, o := range s.objects {
			if o.private {
				o.dropKey()
				delete(s.objects, h)
				delete(l.objects, h)
			}
		}
	}
	t.logout()
	l.mu.Unlock()
}

// InitPIN is C_InitPIN: the SO sets (or resets, unlocking) the user PIN.
func (l *Library) InitPIN(sh ck.SessionHandle, pin []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.session(sh)
	if err != nil {
		return err
	}
	t := s.tok
	if t.login != ck.CKU_SO {
		return ck.CKR_USER_NOT_LOGGED_IN
	}
	if !s.rw {
		return ck.CKR_SESSION_READ_ONLY
	}
	if err := checkPINLen(pin); err != nil {
		return err
	}
	rec := t.rec
	if err := l.sealPIN(&rec, ck.CKU_USER, pin, t.tmk); err != nil {
		return err
	}
	rec.UserFails = 0
	if err := l.st.UpdatePINs(rec); err != nil {
		return l.deviceError("storing PIN", err)
	}
	t.rec = rec
	return nil
}

// SetPIN is C_SetPIN: it changes the PIN of the logged-in user, or the user
// PIN in a public session. Only the sealed TMK changes; objects are untouched.
func (l *Library) SetPIN(sh ck.SessionHandle, oldPIN, newPIN []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.session(sh)
	if err != nil {
		return err
	}
	if !s.rw {
		return ck.CKR_SESSION_READ_ONLY
	}
	if err := l.refresh(); err != nil {
		return err
	}
	t := s.tok
	ut := ck.CKU_USER
	if t.login == ck.CKU_SO {
		ut = ck.CKU_SO
	}
	if err := checkPINLen(newPIN); err != nil {
		return err
	}
	tmk, err := l.checkPIN(t, ut, oldPIN)
	if err != nil {
		return err
	}
	defer clear(tmk)
	rec := t.rec
	if err := l.sealPIN(&rec, ut, newPIN, tmk); err != nil {
		return err
	}
	if err := l.st.UpdatePINs(rec); err != nil {
		return l.deviceError("storing PIN", err)
	}
	t.rec = rec
	return nil
}

// sealPIN seals the TMK under a new KEK derived from pin with a fresh salt.
func (l *Library) sealPIN(rec *store.Token, ut ck.UserType, pin, tmk []byte) error {
	salt, err := l.random(16)
	if err != nil {
		return err
	}
	// Both PINs use the token's iteration count, fixed at C_InitToken.
	kek := mech.PINKey(pin, salt, rec.Iterations)
	defer clear(kek)
	sealed, err := store.SealTMK(kek, rec.UUID, pinRole(ut), tmk)
	if err != nil {
		return err
	}
	if ut == ck.CKU_SO {
		rec.SOSalt, rec.SOSealedTMK = salt, sealed
	} else {
		rec.UserSalt, rec.UserSealedTMK = salt, sealed
	}
	return nil
}

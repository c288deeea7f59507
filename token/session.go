package token

import (
	"sync"

	"github.com/kagi-hsm/kagi/token/ck"
)

// session is one open session. mu guards the operation state; the other
// fields are fixed at open.
type session struct {
	handle ck.SessionHandle
	tok    *tokenState
	rw     bool
	// owner is the application whose objects this session may alter and
	// which owns what it creates ("" for PKCS#11 sessions); owner.go.
	owner string
	// objects are the session objects it created; guarded by l.mu.
	objects map[ck.ObjectHandle]*object

	mu      sync.Mutex
	find    *findOp
	sign    *signOp
	verify  *verifyOp
	encrypt *cipherOp
	decrypt *cipherOp
	digest  *digestOp
	// signRecover and verifyRecover are C_SignRecover / C_VerifyRecover.
	signRecover   *signOp
	verifyRecover *recoverOp
	// msgEncrypt and msgDecrypt are the message-based operations.
	msgEncrypt, msgDecrypt *messageOp
}

// resetOps ends every active operation. Caller holds s.mu.
func (s *session) resetOps() {
	s.find, s.sign, s.verify, s.encrypt, s.decrypt, s.digest = nil, nil, nil, nil, nil, nil
	s.signRecover, s.verifyRecover, s.msgEncrypt, s.msgDecrypt = nil, nil, nil, nil
}

// session looks a session up. Caller holds l.mu.
func (l *Library) session(sh ck.SessionHandle) (*session, error) {
	s := l.sessions[sh]
	if s == nil {
		return nil, ck.CKR_SESSION_HANDLE_INVALID
	}
	return s, nil
}

// lockedSession looks a session up and returns it with s.mu held, so the
// caller may use its operation state. l.mu is not held on return.
func (l *Library) lockedSession(sh ck.SessionHandle) (*session, error) {
	l.mu.RLock()
	s := l.sessions[sh]
	l.mu.RUnlock()
	if s == nil {
		return nil, ck.CKR_SESSION_HANDLE_INVALID
	}
	s.mu.Lock()
	return s, nil
}

// OpenSession is C_OpenSession.
func (l *Library) OpenSession(id ck.SlotID, flags ck.Flags) (ck.SessionHandle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refresh(); err != nil {
		return 0, err
	}
	t, err := l.tokenBySlot(id)
	if err != nil {
		return 0, err
	}
	if flags&ck.CKF_SERIAL_SESSION == 0 {
		return 0, ck.CKR_SESSION_PARALLEL_NOT_SUPPORTED
	}
	if !t.rec.Initialized {
		return 0, ck.CKR_TOKEN_NOT_RECOGNIZED
	}
	rw := flags&ck.CKF_RW_SESSION != 0
	if !rw && t.login == ck.CKU_SO {
		return 0, ck.CKR_SESSION_READ_WRITE_SO_EXISTS
	}
	s := &session{handle: ck.SessionHandle(nextSession.Add(1)), tok: t, rw: rw}
	l.sessions[s.handle] = s
	t.sessionCount++
	if rw {
		t.rwCount++
	}
	return s.handle, nil
}

// CloseSession is C_CloseSession.
func (l *Library) CloseSession(sh ck.SessionHandle) error {
	l.mu.Lock()
	s, err := l.session(sh)
	if err != nil {
		l.mu.Unlock()
		return err
	}
	l.closeSession(s)
	if s.tok.sessionCount == 0 && s.tok.login != notLoggedIn {
		// Section 5.6: closing the last session logs the user out.
		l.logoutToken(s.tok) // releases l.mu
		return nil
	}
	l.mu.Unlock()
	return nil
}

// CloseAllSessions is C_CloseAllSessions.
func (l *Library) CloseAllSessions(id ck.SlotID) error {
	l.mu.Lock()
	t, err := l.tokenBySlot(id)
	if err != nil {
		l.mu.Unlock()
		return err
	}
	l.closeTokenSessions(t)
	if t.login != notLoggedIn {
		l.logoutToken(t) // releases l.mu
		return nil
	}
	l.mu.Unlock()
	return nil
}

func (l *Library) closeTokenSessions(t *tokenState) {
	for _, s := range l.sessions {
		if s.tok == t {
			l.closeSession(s)
		}
	}
}

// closeSession removes a session and its session objects. Caller holds l.mu.
func (l *Library) closeSession(s *session) {
	delete(l.sessions, s.handle)
	s.tok.sessionCount--
	if s.rw {
		s.tok.rwCount--
	}
	for h, o := range s.objects {
		o.dropKey()
		delete(l.objects, h)
	}
	s.objects = nil
}

// SessionInfo is C_GetSessionInfo.
func (l *Library) SessionInfo(sh ck.SessionHandle) (SessionInfo, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.session(sh)
	if err != nil {
		return SessionInfo{}, err
	}
	info := SessionInfo{SlotID: s.tok.slotID(), Flags: ck.CKF_SERIAL_SESSION}
	if s.rw {
		info.Flags |= ck.CKF_RW_SESSION
	}
	switch {
	case s.tok.login == ck.CKU_SO:
		info.State = ck.CKS_RW_SO_FUNCTIONS
	case s.tok.login == ck.CKU_USER && s.rw:
		info.State = ck.CKS_RW_USER_FUNCTIONS
	case s.tok.login == ck.CKU_USER:
		info.State = ck.CKS_RO_USER_FUNCTIONS
	case s.rw:
		info.State = ck.CKS_RW_PUBLIC_SESSION
	default:
		info.State = ck.CKS_RO_PUBLIC_SESSION
	}
	return info, nil
}

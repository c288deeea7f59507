package token

import (
	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/token/ck"
)

// Signatures with message recovery (PKCS#11 3.0 sections 5.13 and 5.14).

// recoverOp is an initialised C_VerifyRecover: the mechanism, key and
// parameter, applied when the signature arrives.
type recoverOp struct {
	spec    *mech.Spec
	key     *mech.Key
	param   any
	pending []byte
}

var (
	useSignRecover = keyUse{ck.CKA_SIGN_RECOVER, []ck.ObjectClass{ck.CKO_PRIVATE_KEY},
		func(s *mech.Spec) bool { return s.VerifyRecover != nil && s.Sign != nil }}
	useVerifyRecover = keyUse{ck.CKA_VERIFY_RECOVER, []ck.ObjectClass{ck.CKO_PUBLIC_KEY},
		func(s *mech.Spec) bool { return s.VerifyRecover != nil }}
)

// SignRecoverInit is C_SignRecoverInit.
func (l *Library) SignRecoverInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.signInit(sh, m, key, useSignRecover, func(s *session) **signOp { return &s.signRecover })
}

// SignRecover is C_SignRecover.
func (l *Library) SignRecover(sh ck.SessionHandle, data, out []byte) (int, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := s.signRecover
	if op == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if op.needAuth {
		return 0, ck.CKR_USER_NOT_LOGGED_IN
	}
	n, ended, err := lastCall(&op.pending, op.op.SigLen(), out, func() ([]byte, error) { return op.op.Sign(data) })
	if ended {
		s.signRecover = nil
	}
	return n, err
}

// VerifyRecoverInit is C_VerifyRecoverInit.
func (l *Library) VerifyRecoverInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.verifyRecover != nil {
		return ck.CKR_OPERATION_ACTIVE
	}
	spec, k, _, err := l.opKey(s, m, key, useVerifyRecover)
	if err != nil {
		return err
	}
	s.verifyRecover = &recoverOp{spec: spec, key: k, param: m.Param}
	return nil
}

// VerifyRecover is C_VerifyRecover: a bad signature ends the operation; a
// length query or a too-small buffer keeps it (the recovered data waits).
func (l *Library) VerifyRecover(sh ck.SessionHandle, sig, out []byte) (int, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := s.verifyRecover
	if op == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if op.pending == nil {
		data, err := op.spec.VerifyRecover(op.key, op.param, sig)
		if err != nil {
			s.verifyRecover = nil
			return 0, err
		}
		op.pending = data
	}
	n, ended, err := deliver(op.pending, out)
	if ended {
		s.verifyRecover = nil
	}
	return n, err
}

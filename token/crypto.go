package token

import (
	"slices"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/token/ck"
)

// Operation state kept in a session between Init and the final call. A
// computed result waits in pending while the caller finds a large enough
// buffer (the length convention of section 5.2).
type (
	signOp struct {
		op    mech.SignOp
		multi bool
		// needAuth: the key has CKA_ALWAYS_AUTHENTICATE and no
		// CKU_CONTEXT_SPECIFIC login has happened for this operation yet.
		needAuth bool
		pending  []byte
	}
	verifyOp struct {
		op    mech.VerifyOp
		multi bool
	}
	cipherOp struct {
		op       mech.CipherOp
		multi    bool
		needAuth bool // as signOp.needAuth
		// ready says pending holds the output of the call being repeated
		// (it may be empty).
		ready   bool
		pending []byte
	}
	digestOp struct {
		op      mech.DigestOp
		mt      ck.MechanismType
		multi   bool
		pending []byte
	}
)

// keyUse describes what an Init function needs of its mechanism and key.
type keyUse struct {
	usage    ck.AttributeType      // CKA_SIGN, CKA_VERIFY, ...
	classes  []ck.ObjectClass      // key classes that can do it
	supports func(*mech.Spec) bool // the mechanism offers the function
}

var (
	useSign = keyUse{ck.CKA_SIGN, []ck.ObjectClass{ck.CKO_PRIVATE_KEY, ck.CKO_SECRET_KEY},
		func(s *mech.Spec) bool { return s.Sign != nil }}
	useVerify = keyUse{ck.CKA_VERIFY, []ck.ObjectClass{ck.CKO_PUBLIC_KEY, ck.CKO_SECRET_KEY},
		func(s *mech.Spec) bool { return s.Verify != nil }}
	useEncrypt = keyUse{ck.CKA_ENCRYPT, []ck.ObjectClass{ck.CKO_PUBLIC_KEY, ck.CKO_SECRET_KEY},
		func(s *mech.Spec) bool { return s.Encrypt != nil }}
	useDecrypt = keyUse{ck.CKA_DECRYPT, []ck.ObjectClass{ck.CKO_PRIVATE_KEY, ck.CKO_SECRET_KEY},
		func(s *mech.Spec) bool { return s.Decrypt != nil }}
)

// opKey resolves the mechanism and key of an Init call and checks that the
// key may be used so. Caller holds s.mu (not l.mu).
func (l *Library) opKey(s *session, m ck.Mechanism, kh ck.ObjectHandle, use keyUse) (*mech.Spec, *mech.Key, attrMap, error) {
	if l.selfTestErr != nil {
		return nil, nil, nil, ck.CKR_GENERAL_ERROR
	}
	spec, ok := mech.Lookup(m.Type)
	if !ok || !use.supports(spec) {
		return nil, nil, nil, ck.CKR_MECHANISM_INVALID
	}
	l.mu.RLock()
	o, err := l.visible(s, kh, ck.CKR_KEY_HANDLE_INVALID)
	var attrs attrMap
	if err == nil {
		attrs = o.attrs
	}
	l.mu.RUnlock()
	if err != nil {
		return nil, nil, nil, err
	}
	if !slices.Contains(use.classes, o.class) || !slices.Contains(spec.KeyTypes, o.keyType) {
		return nil, nil, nil, ck.CKR_KEY_TYPE_INCONSISTENT
	}
	if !attrs.bool(use.usage) {
		return nil, nil, nil, ck.CKR_KEY_FUNCTION_NOT_PERMITTED
	}
	k, err := o.mechKey()
	if err != nil {
		return nil, nil, nil, err
	}
	return spec, k, attrs, nil
}

// deliver hands a computed result out under the length convention of
// section 5.2 and reports whether the operation is over.
func deliver(result, out []byte) (n int, ended bool, err error) {
	switch {
	case out == nil:
		return len(result), false, nil
	case len(out) < len(result):
		return len(result), false, ck.CKR_BUFFER_TOO_SMALL
	}
	return copy(out, result), true, nil
}

// lastCall runs the call that ends an operation whose output has a known
// size: a length query or a too-small buffer is answered without computing
// and keeps the operation; otherwise compute runs once and its result waits
// in *pending until a buffer can take it. Any other error ends the operation.
func lastCall(pending *[]byte, size int, out []byte, compute func() ([]byte, error)) (n int, ended bool, err error) {
	if *pending == nil {
		switch {
		case out == nil:
			return size, false, nil
		case len(out) < size:
			return size, false, ck.CKR_BUFFER_TOO_SMALL
		}
		res, err := compute()
		if err != nil {
			return 0, true, err
		}
		*pending = res
	}
	return deliver(*pending, out)
}

// SignInit is C_SignInit.
func (l *Library) SignInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.signInit(sh, m, key, useSign, func(s *session) **signOp { return &s.sign })
}

// signInit starts a signature (C_SignInit, C_SignRecoverInit) in the
// session's slot for it.
func (l *Library) signInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle, use keyUse, slotOf func(*session) **signOp) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	slot := slotOf(s)
	if *slot != nil {
		return ck.CKR_OPERATION_ACTIVE
	}
	spec, k, attrs, err := l.opKey(s, m, key, use)
	if err != nil {
		return err
	}
	op, err := spec.Sign(k, m.Param)
	if err != nil {
		return err
	}
	*slot = &signOp{op: op, needAuth: attrs.bool(ck.CKA_ALWAYS_AUTHENTICATE)}
	return nil
}

// Sign is C_Sign.
func (l *Library) Sign(sh ck.SessionHandle, data, out []byte) (int, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := s.sign
	if op == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if op.needAuth {
		return 0, ck.CKR_USER_NOT_LOGGED_IN
	}
	if op.multi {
		return 0, ck.CKR_OPERATION_ACTIVE
	}
	n, ended, err := lastCall(&op.pending, op.op.SigLen(), out, func() ([]byte, error) { return op.op.Sign(data) })
	if ended {
		s.sign = nil
	}
	return n, err
}

// SignUpdate is C_SignUpdate.
func (l *Library) SignUpdate(sh ck.SessionHandle, part []byte) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	op := s.sign
	if op == nil {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if op.needAuth {
		return ck.CKR_USER_NOT_LOGGED_IN
	}
	if err := op.op.Update(part); err != nil {
		s.sign = nil
		return err
	}
	op.multi = true
	return nil
}

// SignFinal is C_SignFinal.
func (l *Library) SignFinal(sh ck.SessionHandle, out []byte) (int, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := s.sign
	if op == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if op.needAuth {
		return 0, ck.CKR_USER_NOT_LOGGED_IN
	}
	n, ended, err := lastCall(&op.pending, op.op.SigLen(), out, op.op.Final)
	if ended {
		s.sign = nil
	}
	return n, err
}

// VerifyInit is C_VerifyInit.
func (l *Library) VerifyInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.verify != nil {
		return ck.CKR_OPERATION_ACTIVE
	}
	spec, k, _, err := l.opKey(s, m, key, useVerify)
	if err != nil {
		return err
	}
	op, err := spec.Verify(k, m.Param)
	if err != nil {
		return err
	}
	s.verify = &verifyOp{op: op}
	return nil
}

// Verify is C_Verify; the operation ends whatever the outcome.
func (l *Library) Verify(sh ck.SessionHandle, data, sig []byte) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	op := s.verify
	if op == nil {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if op.multi {
		return ck.CKR_OPERATION_ACTIVE
	}
	s.verify = nil
	return op.op.Verify(data, sig)
}

// VerifyUpdate is C_VerifyUpdate.
func (l *Library) VerifyUpdate(sh ck.SessionHandle, part []byte) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	op := s.verify
	if op == nil {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if err := op.op.Update(part); err != nil {
		s.verify = nil
		return err
	}
	op.multi = true
	return nil
}

// VerifyFinal is C_VerifyFinal.
func (l *Library) VerifyFinal(sh ck.SessionHandle, sig []byte) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	op := s.verify
	if op == nil {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	s.verify = nil
	return op.op.Final(sig)
}

// cipherInit is C_EncryptInit / C_DecryptInit.
func (l *Library) cipherInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle, encrypt bool) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	slot, use := &s.encrypt, useEncrypt
	if !encrypt {
		slot, use = &s.decrypt, useDecrypt
	}
	if *slot != nil {
		return ck.CKR_OPERATION_ACTIVE
	}
	spec, k, attrs, err := l.opKey(s, m, key, use)
	if err != nil {
		return err
	}
	ctor := spec.Encrypt
	if !encrypt {
		ctor = spec.Decrypt
	}
	op, err := ctor(k, m.Param)
	if err != nil {
		return err
	}
	*slot = &cipherOp{op: op, needAuth: !encrypt && attrs.bool(ck.CKA_ALWAYS_AUTHENTICATE)}
	return nil
}

// cipherSession returns a locked session and its encrypt or decrypt slot,
// which must hold an operation. The caller unlocks s.mu.
func (l *Library) cipherSession(sh ck.SessionHandle, encrypt bool) (*session, **cipherOp, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return nil, nil, err
	}
	slot := &s.encrypt
	if !encrypt {
		slot = &s.decrypt
	}
	if *slot == nil || (*slot).needAuth {
		rv := ck.CKR_OPERATION_NOT_INITIALIZED
		if *slot != nil {
			rv = ck.CKR_USER_NOT_LOGGED_IN
		}
		s.mu.Unlock()
		return nil, nil, rv
	}
	return s, slot, nil
}

// cipherOnce is C_Encrypt / C_Decrypt.
func (l *Library) cipherOnce(sh ck.SessionHandle, in, out []byte, encrypt bool) (int, error) {
	s, slot, err := l.cipherSession(sh, encrypt)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := *slot
	if op.multi {
		return 0, ck.CKR_OPERATION_ACTIVE
	}
	if !op.ready {
		if out == nil {
			return op.op.OutLen(len(in)), nil
		}
		if len(out) >= op.op.OutLen(len(in)) {
			// The common case: the result fits, so it goes straight into
			// the caller's buffer.
			*slot = nil
			return op.op.OneInto(out, in)
		}
		res, err := op.op.One(in)
		if err != nil {
			*slot = nil
			return 0, err
		}
		op.ready, op.pending = true, res
	}
	n, ended, err := deliver(op.pending, out)
	if ended {
		*slot = nil
	}
	return n, err
}

// cipherUpdate is C_EncryptUpdate / C_DecryptUpdate. Unless the mechanism
// knows its output length beforehand (mech.UpdateIntoOp), the output of a
// part depends on what it buffered, so a length query runs the update and
// keeps its output for the call that follows with a buffer (which must pass
// the same part, section 5.2).
func (l *Library) cipherUpdate(sh ck.SessionHandle, in, out []byte, encrypt bool) (int, error) {
	s, slot, err := l.cipherSession(sh, encrypt)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := *slot
	if u, direct := op.op.(mech.UpdateIntoOp); direct && !op.ready {
		// The output length is known without running the part: a length
		// query or a short buffer costs nothing, and the part goes
		// straight into the caller's buffer.
		op.multi = true
		want := u.UpdateLen(len(in))
		switch {
		case out == nil:
			return want, nil
		case len(out) < want:
			return want, ck.CKR_BUFFER_TOO_SMALL
		}
		n, err := u.UpdateInto(out, in)
		if err != nil {
			*slot = nil
		}
		return n, err
	}
	if !op.ready {
		res, err := op.op.Update(in)
		if err != nil {
			*slot = nil
			return 0, err
		}
		op.multi, op.ready, op.pending = true, true, res
	}
	n, delivered, err := deliver(op.pending, out)
	if delivered {
		op.ready, op.pending = false, nil
	}
	return n, err
}

// cipherFinal is C_EncryptFinal / C_DecryptFinal.
func (l *Library) cipherFinal(sh ck.SessionHandle, out []byte, encrypt bool) (int, error) {
	s, slot, err := l.cipherSession(sh, encrypt)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := *slot
	if !op.ready {
		res, err := op.op.Final()
		if err != nil {
			*slot = nil
			return 0, err
		}
		op.ready, op.pending = true, res
	}
	n, ended, err := deliver(op.pending, out)
	if ended {
		*slot = nil
	}
	return n, err
}

// EncryptUpdate is C_EncryptUpdate.
func (l *Library) EncryptUpdate(sh ck.SessionHandle, in, out []byte) (int, error) {
	return l.cipherUpdate(sh, in, out, true)
}

// EncryptFinal is C_EncryptFinal.
func (l *Library) EncryptFinal(sh ck.SessionHandle, out []byte) (int, error) {
	return l.cipherFinal(sh, out, true)
}

// DecryptUpdate is C_DecryptUpdate.
func (l *Library) DecryptUpdate(sh ck.SessionHandle, in, out []byte) (int, error) {
	return l.cipherUpdate(sh, in, out, false)
}

// DecryptFinal is C_DecryptFinal.
func (l *Library) DecryptFinal(sh ck.SessionHandle, out []byte) (int, error) {
	return l.cipherFinal(sh, out, false)
}

// EncryptInit is C_EncryptInit.
func (l *Library) EncryptInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.cipherInit(sh, m, key, true)
}

// Encrypt is C_Encrypt.
func (l *Library) Encrypt(sh ck.SessionHandle, in, out []byte) (int, error) {
	return l.cipherOnce(sh, in, out, true)
}

// DecryptInit is C_DecryptInit.
func (l *Library) DecryptInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.cipherInit(sh, m, key, false)
}

// Decrypt is C_Decrypt.
func (l *Library) Decrypt(sh ck.SessionHandle, in, out []byte) (int, error) {
	return l.cipherOnce(sh, in, out, false)
}

// DigestInit is C_DigestInit.
func (l *Library) DigestInit(sh ck.SessionHandle, m ck.Mechanism) error {
	if l.selfTestErr != nil {
		return ck.CKR_GENERAL_ERROR
	}
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.digest != nil {
		return ck.CKR_OPERATION_ACTIVE
	}
	spec, ok := mech.Lookup(m.Type)
	if !ok || spec.Digest == nil {
		return ck.CKR_MECHANISM_INVALID
	}
	op, err := spec.Digest(m.Param)
	if err != nil {
		return err
	}
	s.digest = &digestOp{op: op, mt: m.Type}
	return nil
}

// Digest is C_Digest.
func (l *Library) Digest(sh ck.SessionHandle, in, out []byte) (int, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := s.digest
	if op == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if op.multi {
		return 0, ck.CKR_OPERATION_ACTIVE
	}
	n, ended, err := lastCall(&op.pending, op.op.Size(), out, func() ([]byte, error) {
		op.op.Update(in)
		return op.op.Sum(), nil
	})
	if ended {
		s.digest = nil
	}
	return n, err
}

// DigestUpdate is C_DigestUpdate.
func (l *Library) DigestUpdate(sh ck.SessionHandle, in []byte) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	op := s.digest
	if op == nil {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	op.op.Update(in)
	op.multi = true
	return nil
}

// weakDigests may not digest a sensitive or unextractable key: their
// output could help recover it (SoftHSMv2 makes the same distinction).
var weakDigests = map[ck.MechanismType]bool{ck.CKM_MD5: true}

// DigestKey is C_DigestKey: the value of a secret key joins the digest.
func (l *Library) DigestKey(sh ck.SessionHandle, key ck.ObjectHandle) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	op := s.digest
	if op == nil {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	l.mu.RLock()
	o, err := l.visible(s, key, ck.CKR_KEY_HANDLE_INVALID)
	var value []byte
	var hidden bool
	if err == nil {
		value = o.attrs[ck.CKA_VALUE]
		hidden = o.attrs.bool(ck.CKA_SENSITIVE) || !o.attrs.bool(ck.CKA_EXTRACTABLE)
	}
	l.mu.RUnlock()
	switch {
	case err != nil:
		return err
	case o.class != ck.CKO_SECRET_KEY || value == nil, weakDigests[op.mt] && hidden:
		return ck.CKR_KEY_INDIGESTIBLE
	}
	op.op.Update(value)
	op.multi = true
	return nil
}

// DigestFinal is C_DigestFinal.
func (l *Library) DigestFinal(sh ck.SessionHandle, out []byte) (int, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := s.digest
	if op == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	n, ended, err := lastCall(&op.pending, op.op.Size(), out, func() ([]byte, error) { return op.op.Sum(), nil })
	if ended {
		s.digest = nil
	}
	return n, err
}

// SeedRandom is C_SeedRandom: the seed is mixed into the DRBG state.
func (l *Library) SeedRandom(sh ck.SessionHandle, seed []byte) error {
	l.mu.RLock()
	_, err := l.session(sh)
	l.mu.RUnlock()
	if err != nil {
		return err
	}
	if err := l.rng.Mix(seed); err != nil {
		l.log.Printf("DRBG reseed: %v", err)
		return ck.CKR_GENERAL_ERROR
	}
	return nil
}

// GenerateRandom is C_GenerateRandom.
func (l *Library) GenerateRandom(sh ck.SessionHandle, out []byte) error {
	l.mu.RLock()
	_, err := l.session(sh)
	l.mu.RUnlock()
	if err != nil {
		return err
	}
	if _, err := l.rng.Read(out); err != nil {
		l.log.Printf("DRBG: %v", err)
		return ck.CKR_GENERAL_ERROR
	}
	return nil
}

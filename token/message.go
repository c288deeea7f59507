package token

import (
	"encoding/binary"
	"math"
	"slices"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/token/ck"
)

// Message-based encryption (PKCS#11 3.0 section 5.9 and 5.11): after
// C_MessageEncryptInit, each C_EncryptMessage is one AEAD message with its
// own parameter (IV, tag) and associated data. kagi offers it for
// CKM_AES_GCM (CK_GCM_MESSAGE_PARAMS), with token-generated IVs.

// messageOp is an active message-based encryption or decryption.
type messageOp struct {
	mt   ck.MechanismType
	spec *mech.Spec
	key  *mech.Key
	// CKG_GENERATE_COUNTER IVs count from a random start; issued says how
	// many were given, so a short counter field is never reused.
	start, issued uint64
	// part is a message being given in parts, nil between messages.
	part *messagePart
}

// ParamDecoder reads the per-message parameter for the mechanism the
// operation was initialised with; cmodule passes one that reads the C
// structure, so the token needs no C knowledge and cmodule no state.
type ParamDecoder func(ck.MechanismType) (any, error)

var (
	useMessageEncrypt = keyUse{ck.CKA_ENCRYPT, []ck.ObjectClass{ck.CKO_SECRET_KEY},
		func(s *mech.Spec) bool { return s.Type == ck.CKM_AES_GCM }}
	useMessageDecrypt = keyUse{ck.CKA_DECRYPT, []ck.ObjectClass{ck.CKO_SECRET_KEY},
		func(s *mech.Spec) bool { return s.Type == ck.CKM_AES_GCM }}
)

func (s *session) messageSlot(encrypt bool) **messageOp {
	if encrypt {
		return &s.msgEncrypt
	}
	return &s.msgDecrypt
}

// messageInit is C_MessageEncryptInit / C_MessageDecryptInit.
func (l *Library) messageInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle, encrypt bool) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	slot := s.messageSlot(encrypt)
	if *slot != nil {
		return ck.CKR_OPERATION_ACTIVE
	}
	use := useMessageEncrypt
	if !encrypt {
		use = useMessageDecrypt
	}
	spec, k, _, err := l.opKey(s, m, key, use)
	if err != nil {
		return err
	}
	if m.Param != nil {
		return ck.CKR_MECHANISM_PARAM_INVALID
	}
	start, err := l.random(8)
	if err != nil {
		return err
	}
	// A random start keeps counters of different operations under the
	// same key and fixed field apart.
	*slot = &messageOp{mt: m.Type, spec: spec, key: k, start: binary.BigEndian.Uint64(start)}
	return nil
}

// MessageEncryptInit is C_MessageEncryptInit.
func (l *Library) MessageEncryptInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.messageInit(sh, m, key, true)
}

// MessageDecryptInit is C_MessageDecryptInit.
func (l *Library) MessageDecryptInit(sh ck.SessionHandle, m ck.Mechanism, key ck.ObjectHandle) error {
	return l.messageInit(sh, m, key, false)
}

// messageFinal is C_MessageEncryptFinal / C_MessageDecryptFinal.
func (l *Library) messageFinal(sh ck.SessionHandle, encrypt bool) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	slot := s.messageSlot(encrypt)
	if *slot == nil {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	*slot = nil
	return nil
}

// MessageEncryptFinal is C_MessageEncryptFinal.
func (l *Library) MessageEncryptFinal(sh ck.SessionHandle) error { return l.messageFinal(sh, true) }

// MessageDecryptFinal is C_MessageDecryptFinal.
func (l *Library) MessageDecryptFinal(sh ck.SessionHandle) error { return l.messageFinal(sh, false) }

// gcmMessage reads and checks a CK_GCM_MESSAGE_PARAMS.
func gcmMessage(decode ParamDecoder, mt ck.MechanismType) (ck.GCMMessageParams, error) {
	raw, err := decode(mt)
	if err != nil {
		return ck.GCMMessageParams{}, err
	}
	var p ck.GCMMessageParams
	switch v := raw.(type) {
	case ck.GCMMessageParams:
		p = v
	case *ck.GCMMessageParams:
		p = *v
	default:
		return p, ck.CKR_MECHANISM_PARAM_INVALID
	}
	if len(p.IV) == 0 || p.TagBits%8 != 0 || len(p.Tag) != int(p.TagBits/8) ||
		p.IVFixedBits%8 != 0 || int(p.IVFixedBits/8) > len(p.IV) {
		return p, ck.CKR_MECHANISM_PARAM_INVALID
	}
	return p, nil
}

// generateIV fills the IV's generated part (after the fixed bits) as the
// parameter asks: section 2.11 of the current mechanisms spec.
func (l *Library) generateIV(op *messageOp, p ck.GCMMessageParams) error {
	free := p.IV[p.IVFixedBits/8:]
	switch p.IVGenerator {
	case ck.CKG_NO_GENERATE:
		return nil
	case ck.CKG_GENERATE_COUNTER, ck.CKG_GENERATE:
		n := min(len(free), 8)
		if n == 0 || (n < 8 && op.issued>>(8*n) != 0) || op.issued == math.MaxUint64 {
			return ck.CKR_DATA_LEN_RANGE // the counter field is exhausted
		}
		var field [8]byte
		binary.BigEndian.PutUint64(field[:], op.start+op.issued)
		clear(free)
		copy(free[len(free)-n:], field[8-n:])
		op.issued++
		return nil
	case ck.CKG_GENERATE_RANDOM:
		r, err := l.random(len(free))
		if err != nil {
			return err
		}
		copy(free, r)
		return nil
	}
	return ck.CKR_MECHANISM_PARAM_INVALID
}

// seal encrypts one whole message: the ciphertext into out (as long as the
// plaintext), the tag into the parameter's tag buffer.
func (op *messageOp) seal(p ck.GCMMessageParams, iv, aad, pt, out []byte) (int, error) {
	c, err := op.spec.Encrypt(op.key, ck.GCMParams{IV: iv, AAD: aad, TagBits: p.TagBits})
	if err != nil {
		return 0, err
	}
	res, err := c.One(pt)
	if err != nil {
		return 0, err
	}
	copy(p.Tag, res[len(pt):])
	return copy(out, res[:len(pt)]), nil
}

// open decrypts one whole message whose tag is in the parameter; the
// plaintext is released only if the tag matches.
func (op *messageOp) open(p ck.GCMMessageParams, iv, aad, ct, out []byte) (int, error) {
	c, err := op.spec.Decrypt(op.key, ck.GCMParams{IV: iv, AAD: aad, TagBits: p.TagBits})
	if err != nil {
		return 0, err
	}
	in := make([]byte, 0, len(ct)+len(p.Tag))
	res, err := c.One(append(append(in, ct...), p.Tag...))
	if err != nil {
		return 0, err
	}
	return copy(out, res), nil
}

// messageSession returns the locked session, its message operation and
// the decoded parameter. The caller unlocks s.mu.
func (l *Library) messageSession(sh ck.SessionHandle, decode ParamDecoder, encrypt bool) (*session, *messageOp, ck.GCMMessageParams, error) {
	var p ck.GCMMessageParams
	s, err := l.lockedSession(sh)
	if err != nil {
		return nil, nil, p, err
	}
	op := *s.messageSlot(encrypt)
	if op == nil {
		s.mu.Unlock()
		return nil, nil, p, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if p, err = gcmMessage(decode, op.mt); err == nil && !encrypt && p.IVGenerator != ck.CKG_NO_GENERATE {
		err = ck.CKR_MECHANISM_PARAM_INVALID
	}
	if err != nil {
		s.mu.Unlock()
		return nil, nil, p, err
	}
	return s, op, p, nil
}

// outFits answers a length query or a too-small buffer for n output bytes.
func outFits(n int, out []byte) (answered bool, err error) {
	switch {
	case out == nil:
		return true, nil
	case len(out) < n:
		return true, ck.CKR_BUFFER_TOO_SMALL
	}
	return false, nil
}

// EncryptMessage is C_EncryptMessage: the ciphertext goes to out (as long as
// the plaintext), the tag into the parameter's tag buffer, a generated IV
// into its IV buffer. A length query generates nothing.
func (l *Library) EncryptMessage(sh ck.SessionHandle, decode ParamDecoder, aad, pt, out []byte) (int, error) {
	s, op, p, err := l.messageSession(sh, decode, true)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	if op.part != nil {
		return 0, ck.CKR_OPERATION_ACTIVE
	}
	if answered, err := outFits(len(pt), out); answered {
		return len(pt), err
	}
	if err := l.generateIV(op, p); err != nil {
		return 0, err
	}
	return op.seal(p, p.IV, aad, pt, out)
}

// DecryptMessage is C_DecryptMessage: the tag comes from the parameter; the
// plaintext is released only if it matches.
func (l *Library) DecryptMessage(sh ck.SessionHandle, decode ParamDecoder, aad, ct, out []byte) (int, error) {
	s, op, p, err := l.messageSession(sh, decode, false)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	if op.part != nil {
		return 0, ck.CKR_OPERATION_ACTIVE
	}
	if answered, err := outFits(len(ct), out); answered {
		return len(ct), err
	}
	return op.open(p, p.IV, aad, ct, out)
}

// messagePart is a message given in parts (C_EncryptMessageBegin and
// C_EncryptMessageNext). Go's GCM works on whole messages, and decryption
// must not release plaintext before the tag is checked, so the parts wait
// here and the whole output comes with the part flagged
// CKF_END_OF_MESSAGE (earlier parts give none, which the length
// convention allows).
type messagePart struct {
	iv, aad, buf []byte
}

// messageBegin is C_EncryptMessageBegin / C_DecryptMessageBegin.
func (l *Library) messageBegin(sh ck.SessionHandle, decode ParamDecoder, aad []byte, encrypt bool) error {
	s, op, p, err := l.messageSession(sh, decode, encrypt)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if op.part != nil {
		return ck.CKR_OPERATION_ACTIVE
	}
	if encrypt {
		if err := l.generateIV(op, p); err != nil {
			return err
		}
	}
	op.part = &messagePart{iv: slices.Clone(p.IV), aad: slices.Clone(aad)}
	return nil
}

// messageNext is C_EncryptMessageNext / C_DecryptMessageNext.
func (l *Library) messageNext(sh ck.SessionHandle, decode ParamDecoder, in, out []byte, flags ck.Flags, encrypt bool) (int, error) {
	s, op, p, err := l.messageSession(sh, decode, encrypt)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	part := op.part
	if part == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	if flags&ck.CKF_END_OF_MESSAGE == 0 {
		if out != nil { // a length query must not take the part twice
			part.buf = append(part.buf, in...)
		}
		return 0, nil
	}
	n := len(part.buf) + len(in)
	if answered, err := outFits(n, out); answered {
		return n, err
	}
	whole := append(part.buf, in...)
	op.part = nil
	if encrypt {
		return op.seal(p, part.iv, part.aad, whole, out)
	}
	return op.open(p, part.iv, part.aad, whole, out)
}

// EncryptMessageBegin is C_EncryptMessageBegin.
func (l *Library) EncryptMessageBegin(sh ck.SessionHandle, decode ParamDecoder, aad []byte) error {
	return l.messageBegin(sh, decode, aad, true)
}

// EncryptMessageNext is C_EncryptMessageNext.
func (l *Library) EncryptMessageNext(sh ck.SessionHandle, decode ParamDecoder, in, out []byte, flags ck.Flags) (int, error) {
	return l.messageNext(sh, decode, in, out, flags, true)
}

// DecryptMessageBegin is C_DecryptMessageBegin.
func (l *Library) DecryptMessageBegin(sh ck.SessionHandle, decode ParamDecoder, aad []byte) error {
	return l.messageBegin(sh, decode, aad, false)
}

// DecryptMessageNext is C_DecryptMessageNext.
func (l *Library) DecryptMessageNext(sh ck.SessionHandle, decode ParamDecoder, in, out []byte, flags ck.Flags) (int, error) {
	return l.messageNext(sh, decode, in, out, flags, false)
}

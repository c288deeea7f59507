package token

import (
	"encoding/binary"
	"math"

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

// EncryptMessage is C_EncryptMessage: the ciphertext goes to out (as long as
// the plaintext), the tag into the parameter's tag buffer, a generated IV
// into its IV buffer. A length query generates nothing.
func (l *Library) EncryptMessage(sh ck.SessionHandle, decode ParamDecoder, aad, pt, out []byte) (int, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := s.msgEncrypt
	if op == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	p, err := gcmMessage(decode, op.mt)
	if err != nil {
		return 0, err
	}
	switch {
	case out == nil:
		return len(pt), nil
	case len(out) < len(pt):
		return len(pt), ck.CKR_BUFFER_TOO_SMALL
	}
	if err := l.generateIV(op, p); err != nil {
		return 0, err
	}
	c, err := op.spec.Encrypt(op.key, ck.GCMParams{IV: p.IV, AAD: aad, TagBits: p.TagBits})
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

// DecryptMessage is C_DecryptMessage: the tag comes from the parameter; the
// plaintext is released only if it matches.
func (l *Library) DecryptMessage(sh ck.SessionHandle, decode ParamDecoder, aad, ct, out []byte) (int, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return 0, err
	}
	defer s.mu.Unlock()
	op := s.msgDecrypt
	if op == nil {
		return 0, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	p, err := gcmMessage(decode, op.mt)
	if err != nil {
		return 0, err
	}
	if p.IVGenerator != ck.CKG_NO_GENERATE {
		return 0, ck.CKR_MECHANISM_PARAM_INVALID
	}
	switch {
	case out == nil:
		return len(ct), nil
	case len(out) < len(ct):
		return len(ct), ck.CKR_BUFFER_TOO_SMALL
	}
	c, err := op.spec.Decrypt(op.key, ck.GCMParams{IV: p.IV, AAD: aad, TagBits: p.TagBits})
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

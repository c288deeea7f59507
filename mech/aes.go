package mech

import (
	"crypto/cipher"
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/kagi-hsm/kagi/token/ck"
)

// AES (FIPS 197): CKM_AES_KEY_GEN (PKCS#11 3.0 section 6.7.3) and
// CKM_AES_GCM (section 6.11.4, NIST SP 800-38D).

func checkAESKeyLen(n int, rv ck.RV) error {
	switch n {
	case 16, 24, 32:
		return nil
	}
	return fmt.Errorf("mech: AES key of %d bytes: %w", n, rv)
}

// generateAES is CKM_AES_KEY_GEN: CKA_VALUE_LEN (16, 24 or 32) bytes from
// rnd, with CKA_CHECK_VALUE.
func generateAES(rnd io.Reader, t Attrs) ([]ck.Attribute, error) {
	if _, err := checkTemplateKind(t, ck.CKO_SECRET_KEY, ck.CKK_AES); err != nil {
		return nil, err
	}
	n, ok, err := attrULong(t, ck.CKA_VALUE_LEN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("mech: missing CKA_VALUE_LEN: %w", ck.CKR_TEMPLATE_INCOMPLETE)
	}
	if n != 16 && n != 24 && n != 32 {
		return nil, fmt.Errorf("mech: AES CKA_VALUE_LEN %d: %w", n, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return newSecret(rnd, t, ck.CKK_AES, int(n))
}

// GCM limits. The IV may be 1..256 bytes and is used as given (PKCS#11 3.0
// section 6.11.4 leaves generating it to the caller for C_EncryptInit; an
// IV other than 96 bits is hashed into J0 per SP 800-38D section 7.1 step
// 2). The tag is 96..128 bits in steps of 8, the range Go's GCM accepts
// (SP 800-38D section 5.2.1.2 also allows 32 and 64 bits for special
// applications; kagi refuses them). ulIvBits is ignored, as SoftHSMv2 does.
const (
	gcmStdNonce   = 12
	gcmStdTag     = 16
	gcmMinIV      = 1
	gcmMaxIV      = 256
	gcmMinTagBits = 96
	gcmMaxTagBits = 128
	// gcmMaxText is the longest plaintext (SP 800-38D section 5.2.1.1:
	// 2^39-256 bits), which is also Go's limit.
	gcmMaxText = (1<<32 - 2) * 16
)

func gcmParams(param any) (ck.GCMParams, error) {
	var p ck.GCMParams
	switch v := param.(type) {
	case ck.GCMParams:
		p = v
	case *ck.GCMParams:
		if v == nil {
			return p, fmt.Errorf("mech: CKM_AES_GCM needs CK_GCM_PARAMS: %w", ck.CKR_MECHANISM_PARAM_INVALID)
		}
		p = *v
	default:
		return p, fmt.Errorf("mech: CKM_AES_GCM needs CK_GCM_PARAMS: %w", ck.CKR_MECHANISM_PARAM_INVALID)
	}
	if len(p.IV) < gcmMinIV || len(p.IV) > gcmMaxIV {
		return p, fmt.Errorf("mech: GCM IV of %d bytes: %w", len(p.IV), ck.CKR_MECHANISM_PARAM_INVALID)
	}
	if p.TagBits < gcmMinTagBits || p.TagBits > gcmMaxTagBits || p.TagBits%8 != 0 {
		return p, fmt.Errorf("mech: GCM tag of %d bits: %w", p.TagBits, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	return p, nil
}

// gcmOp is one AES-GCM encryption or decryption. Multi-part input is
// buffered: GCM decryption must not release plaintext before the tag is
// checked, and both directions produce their output at Final (PKCS#11 3.0
// section 5.8 lets Update return no output).
type gcmOp struct {
	aead    cipher.AEAD // 16-byte tag, nonce of len(iv)
	iv, aad []byte
	tagLen  int
	encrypt bool
	buf     []byte
	ivBuf   [gcmStdNonce]byte
}

func newGCM(encrypt bool) func(k *Key, param any) (CipherOp, error) {
	return func(k *Key, param any) (CipherOp, error) {
		p, err := gcmParams(param)
		if err != nil {
			return nil, err
		}
		if k == nil || k.Class != ck.CKO_SECRET_KEY || k.Type != ck.CKK_AES {
			return nil, fmt.Errorf("mech: CKM_AES_GCM needs an AES key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
		}
		c, err := k.aesState()
		if err != nil {
			return nil, err
		}
		aead := c.gcm
		if len(p.IV) != gcmStdNonce {
			if aead, err = cipher.NewGCMWithNonceSize(c.block, len(p.IV)); err != nil {
				return nil, fmt.Errorf("mech: GCM IV: %w", ck.CKR_MECHANISM_PARAM_INVALID)
			}
		}
		// The IV and AAD may live in the caller's memory; keep a copy (in
		// the operation itself for the common 12-byte IV without AAD).
		o := &gcmOp{aead: aead, tagLen: int(p.TagBits / 8), encrypt: encrypt}
		if len(p.IV) == gcmStdNonce && len(p.AAD) == 0 {
			o.iv = o.ivBuf[:copy(o.ivBuf[:], p.IV)]
		} else {
			ivaad := make([]byte, len(p.IV)+len(p.AAD))
			copy(ivaad, p.IV)
			copy(ivaad[len(p.IV):], p.AAD)
			o.iv, o.aad = ivaad[:len(p.IV):len(p.IV)], ivaad[len(p.IV):]
		}
		return o, nil
	}
}

func (o *gcmOp) OutLen(n int) int {
	if o.encrypt {
		return n + o.tagLen
	}
	return max(n-o.tagLen, 0)
}

func (o *gcmOp) One(in []byte) ([]byte, error) {
	if o.encrypt {
		return o.seal(in)
	}
	return o.open(in)
}

func (o *gcmOp) OneInto(dst, in []byte) (int, error) {
	// Go's AEAD writes a full tag and refuses shifted overlap; take the
	// allocating path for truncated tags and such buffers.
	if o.tagLen != gcmStdTag || inexactOverlap(dst, in) {
		out, err := o.One(in)
		if err != nil {
			return 0, err
		}
		return copy(dst, out), nil
	}
	if o.encrypt {
		if len(in) > gcmMaxText {
			return 0, fmt.Errorf("mech: GCM plaintext too long: %w", ck.CKR_DATA_LEN_RANGE)
		}
		return len(o.aead.Seal(dst[:0], o.iv, in, o.aad)), nil
	}
	if len(in) < o.tagLen || len(in)-o.tagLen > gcmMaxText {
		return 0, fmt.Errorf("mech: GCM ciphertext length %d: %w", len(in), ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
	}
	pt, err := o.aead.Open(dst[:0], o.iv, in, o.aad)
	if err != nil {
		return 0, fmt.Errorf("mech: GCM tag mismatch: %w", ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	return len(pt), nil
}

// seal is SP 800-38D section 7.1 (GCM-AE); a tag shorter than 16 bytes is
// the leftmost bytes of the full one (step 6, MSB_t).
func (o *gcmOp) seal(pt []byte) ([]byte, error) {
	if len(pt) > gcmMaxText {
		return nil, fmt.Errorf("mech: GCM plaintext too long: %w", ck.CKR_DATA_LEN_RANGE)
	}
	out := o.aead.Seal(make([]byte, 0, len(pt)+gcmStdTag), o.iv, pt, o.aad)
	return out[:len(pt)+o.tagLen], nil
}

// open is SP 800-38D section 7.2 (GCM-AD).
func (o *gcmOp) open(in []byte) ([]byte, error) {
	if len(in) < o.tagLen || len(in)-o.tagLen > gcmMaxText {
		return nil, fmt.Errorf("mech: GCM ciphertext length %d: %w", len(in), ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
	}
	if o.tagLen == gcmStdTag {
		pt, err := o.aead.Open(make([]byte, 0, len(in)-gcmStdTag), o.iv, in, o.aad)
		if err != nil {
			return nil, fmt.Errorf("mech: GCM tag mismatch: %w", ck.CKR_ENCRYPTED_DATA_INVALID)
		}
		return pt, nil
	}
	// A truncated tag: Go's AEAD checks only full tags. GCTR is its own
	// inverse (section 7.2 step 7 equals section 7.1 step 4), so sealing
	// the ciphertext yields the plaintext; sealing that plaintext yields
	// the ciphertext again and the full tag, whose leftmost tagLen bytes
	// are compared in constant time. The plaintext is released only if
	// they match.
	ct, tag := in[:len(in)-o.tagLen], in[len(in)-o.tagLen:]
	pt := o.aead.Seal(make([]byte, 0, len(ct)+gcmStdTag), o.iv, ct, o.aad)[:len(ct)]
	full := o.aead.Seal(make([]byte, 0, len(ct)+gcmStdTag), o.iv, pt, o.aad)
	if subtle.ConstantTimeCompare(full[len(ct):len(ct)+o.tagLen], tag) != 1 {
		clear(pt)
		return nil, fmt.Errorf("mech: GCM tag mismatch: %w", ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	return pt, nil
}

func (o *gcmOp) Update(in []byte) ([]byte, error) {
	if o.encrypt && len(o.buf)+len(in) > gcmMaxText {
		return nil, fmt.Errorf("mech: GCM plaintext too long: %w", ck.CKR_DATA_LEN_RANGE)
	}
	if !o.encrypt && len(o.buf)+len(in) > gcmMaxText+o.tagLen {
		return nil, fmt.Errorf("mech: GCM ciphertext too long: %w", ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
	}
	o.buf = append(o.buf, in...)
	return nil, nil
}

func (o *gcmOp) Final() ([]byte, error) {
	buf := o.buf
	o.buf = nil
	out, err := o.One(buf)
	clear(buf)
	return out, err
}

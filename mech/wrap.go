package mech

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// AES key wrap (NIST SP 800-38F): CKM_AES_KEY_WRAP is KW (section 6.2,
// RFC 3394) and CKM_AES_KEY_WRAP_KWP is KWP (section 6.3, RFC 5649), as
// PKCS#11 3.0 Current Mechanisms section 2.14 defines them. Both are
// single-part encryption/decryption here; C_WrapKey/C_UnwrapKey will call
// the same functions.
//
// SoftHSMv2 2.6 implements RFC 5649 as CKM_AES_KEY_WRAP_PAD (0x210A), a
// PKCS#11 2.40 mechanism whose padding the specification leaves unclear;
// kagi implements the PKCS#11 3.0 CKM_AES_KEY_WRAP_KWP (0x210B).

const (
	semiblock = 8
	// kwMinPlain is the shortest KW plaintext: two semiblocks (SP 800-38F
	// section 5.3.1, n >= 2).
	kwMinPlain = 2 * semiblock
	// kwpMaxPlain is the longest KWP plaintext: the 32-bit message length
	// indicator (SP 800-38F section 5.3.1, len(P) < 2^32 bytes).
	kwpMaxPlain = 1<<32 - 1
	// kwMaxPlain bounds KW input by the same 2^32 bytes (SP 800-38F
	// allows up to 2^54 semiblocks; nothing wraps keys that large).
	kwMaxPlain = 1<<32 - semiblock
)

// Integrity check values: ICV1 (section 6.2, RFC 3394 section 2.2.3.1) and
// ICV2 (section 6.3, RFC 5649 section 3). PKCS#11 3.0 lets the parameter
// replace them: 8 bytes for KW, 4 bytes for KWP.
var (
	kwICV1 = [semiblock]byte{0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6, 0xA6}
	kwICV2 = [4]byte{0xA6, 0x59, 0x59, 0xA6}
)

// wrapOp is one KW or KWP encryption (wrap) or decryption (unwrap).
type wrapOp struct {
	b       cipher.Block
	kwp     bool
	encrypt bool
	icv     [semiblock]byte // KW: the 8-byte ICV; KWP: the 4-byte ICV and zeros
}

func (o *wrapOp) name() string {
	if o.kwp {
		return "CKM_AES_KEY_WRAP_KWP"
	}
	return "CKM_AES_KEY_WRAP"
}

func newWrap(kwp, encrypt bool) func(k *Key, param any) (CipherOp, error) {
	return func(k *Key, param any) (CipherOp, error) {
		o := &wrapOp{kwp: kwp, encrypt: encrypt}
		icvLen := semiblock
		if kwp {
			icvLen = len(kwICV2)
			copy(o.icv[:], kwICV2[:])
		} else {
			o.icv = kwICV1
		}
		switch p := param.(type) {
		case nil:
		case []byte:
			// An empty parameter is no parameter; otherwise it is the ICV,
			// copied out of the caller's memory.
			if len(p) != 0 && len(p) != icvLen {
				return nil, fmt.Errorf("mech: %s IV of %d bytes: %w", o.name(), len(p), ck.CKR_MECHANISM_PARAM_INVALID)
			}
			copy(o.icv[:], p)
		default:
			return nil, fmt.Errorf("mech: %s takes an optional IV: %w", o.name(), ck.CKR_MECHANISM_PARAM_INVALID)
		}
		c, err := aesKeyFor(k, o.name())
		if err != nil {
			return nil, err
		}
		o.b = c.block
		return o, nil
	}
}

// OutLen is exact for wrapping and for KW unwrapping; for KWP unwrapping
// it is an upper bound (the padding is known after decryption).
func (o *wrapOp) OutLen(n int) int {
	switch {
	case o.encrypt && o.kwp:
		return (n+semiblock-1)/semiblock*semiblock + semiblock
	case o.encrypt:
		return n + semiblock
	}
	return max(n-semiblock, 0)
}

func (o *wrapOp) One(in []byte) ([]byte, error) {
	switch {
	case o.encrypt && o.kwp:
		return o.wrapKWP(in)
	case o.encrypt:
		return o.wrapKW(in)
	case o.kwp:
		return o.unwrapKWP(in)
	}
	return o.unwrapKW(in)
}

func (o *wrapOp) OneInto(dst, in []byte) (int, error) {
	out, err := o.One(in)
	if err != nil {
		return 0, err
	}
	n := copy(dst, out)
	clear(out)
	return n, nil
}

// KW and KWP are single-part (PKCS#11 3.0 section 2.14; the registry rows
// say SinglePart, which token checks first).
func (o *wrapOp) Update([]byte) ([]byte, error) { return nil, errNoMultiPart }
func (o *wrapOp) Final() ([]byte, error)        { return nil, errNoMultiPart }

// w is the wrapping function W of SP 800-38F section 6.1 (algorithm 1)
// over s = A || R1 || ... || Rn, in place: 6n steps of
// A||R_i = CIPH_K(A||R_i), A ^= t.
func (o *wrapOp) w(s []byte) {
	n := len(s)/semiblock - 1
	var blk [aesBlock]byte
	copy(blk[:semiblock], s[:semiblock])
	for j := range 6 {
		for i := 1; i <= n; i++ {
			r := s[i*semiblock : (i+1)*semiblock]
			copy(blk[semiblock:], r)
			o.b.Encrypt(blk[:], blk[:])
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(blk[:semiblock], binary.BigEndian.Uint64(blk[:semiblock])^t)
			copy(r, blk[semiblock:])
		}
	}
	copy(s[:semiblock], blk[:semiblock])
	clear(blk[:])
}

// wInv is W^-1 (section 6.1, algorithm 2), in place.
func (o *wrapOp) wInv(s []byte) {
	n := len(s)/semiblock - 1
	var blk [aesBlock]byte
	copy(blk[:semiblock], s[:semiblock])
	for j := 5; j >= 0; j-- {
		for i := n; i >= 1; i-- {
			r := s[i*semiblock : (i+1)*semiblock]
			t := uint64(n*j + i)
			binary.BigEndian.PutUint64(blk[:semiblock], binary.BigEndian.Uint64(blk[:semiblock])^t)
			copy(blk[semiblock:], r)
			o.b.Decrypt(blk[:], blk[:])
			copy(r, blk[semiblock:])
		}
	}
	copy(s[:semiblock], blk[:semiblock])
	clear(blk[:])
}

// wrapKW is KW-AE (section 6.2, algorithm 3): C = W(ICV1 || P).
func (o *wrapOp) wrapKW(p []byte) ([]byte, error) {
	if len(p) < kwMinPlain || len(p) > kwMaxPlain || len(p)%semiblock != 0 {
		return nil, lenErr(true, "%s input of %d bytes (a multiple of 8, at least 16)", o.name(), len(p))
	}
	s := make([]byte, semiblock+len(p))
	copy(s, o.icv[:])
	copy(s[semiblock:], p)
	o.w(s)
	return s, nil
}

// unwrapKW is KW-AD (section 6.2, algorithm 4): S = W^-1(C), which must
// start with ICV1; the plaintext is released only then.
func (o *wrapOp) unwrapKW(c []byte) ([]byte, error) {
	if len(c) < kwMinPlain+semiblock || len(c) > kwMaxPlain+semiblock || len(c)%semiblock != 0 {
		return nil, lenErr(false, "%s input of %d bytes (a multiple of 8, at least 24)", o.name(), len(c))
	}
	s := make([]byte, len(c))
	copy(s, c)
	o.wInv(s)
	if subtle.ConstantTimeCompare(s[:semiblock], o.icv[:]) != 1 {
		clear(s)
		return nil, fmt.Errorf("mech: %s integrity check failed: %w", o.name(), ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	out := make([]byte, len(c)-semiblock)
	copy(out, s[semiblock:])
	clear(s)
	return out, nil
}

// wrapKWP is KWP-AE (section 6.3, algorithm 5): S = ICV2 || [len(P)]32 ||
// P || 0^pad to a multiple of 8; one semiblock of P is a single block
// encryption of S (step 5), more use W.
func (o *wrapOp) wrapKWP(p []byte) ([]byte, error) {
	if len(p) < 1 || len(p) > kwpMaxPlain {
		return nil, lenErr(true, "%s input of %d bytes (1 to 2^32-1)", o.name(), len(p))
	}
	s := make([]byte, o.OutLen(len(p)))
	copy(s, o.icv[:4])
	binary.BigEndian.PutUint32(s[4:semiblock], uint32(len(p)))
	copy(s[semiblock:], p)
	if len(s) == aesBlock {
		o.b.Encrypt(s, s)
	} else {
		o.w(s)
	}
	return s, nil
}

// unwrapKWP is KWP-AD (section 6.3, algorithm 6): decrypt, then check
// ICV2, that the length indicator lies in (8(n-1), 8n] and that the
// padding is zero, all before any plaintext is released.
func (o *wrapOp) unwrapKWP(c []byte) ([]byte, error) {
	if len(c) < aesBlock || len(c) > kwpMaxPlain+1+semiblock || len(c)%semiblock != 0 {
		return nil, lenErr(false, "%s input of %d bytes (a multiple of 8, at least 16)", o.name(), len(c))
	}
	s := make([]byte, len(c))
	copy(s, c)
	if len(s) == aesBlock {
		o.b.Decrypt(s, s)
	} else {
		o.wInv(s)
	}
	padded := len(s) - semiblock
	mli := uint64(binary.BigEndian.Uint32(s[4:semiblock]))
	ok := subtle.ConstantTimeCompare(s[:4], o.icv[:4])
	// 8(n-1) < mli <= 8n, that is mli - (padded-7) in [0, 8) unsigned.
	d := (mli - uint64(padded-semiblock+1)) >> 3
	ok &= 1 ^ int((d|-d)>>63)
	// Zero padding: the last semiblock's bytes beyond mli. When the
	// length check failed, test a harmless position instead.
	padStart := subtle.ConstantTimeSelect(ok, semiblock+int(mli), len(s))
	var acc byte
	for i := len(s) - semiblock; i < len(s); i++ {
		acc |= s[i] & byte(subtle.ConstantTimeLessOrEq(padStart, i)*0xff)
	}
	ok &= subtle.ConstantTimeByteEq(acc, 0)
	if ok != 1 {
		clear(s)
		return nil, fmt.Errorf("mech: %s integrity check failed: %w", o.name(), ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	out := make([]byte, mli)
	copy(out, s[semiblock:])
	clear(s)
	return out, nil
}

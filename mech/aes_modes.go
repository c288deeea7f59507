package mech

import (
	"crypto/cipher"
	"crypto/subtle"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// The AES confidentiality modes of NIST SP 800-38A: CKM_AES_ECB (section
// 6.1), CKM_AES_CBC (section 6.2), CKM_AES_CBC_PAD (CBC with the PKCS #7
// padding of RFC 5652 section 6.3) and CKM_AES_CTR (section 6.5), as
// PKCS#11 3.0 (Current Mechanisms, section 2.10: AES, and section 2.11:
// AES with counter) defines them.

const aesBlock = 16

// aesKeyFor returns the cached AES key schedule of k, which must be an AES
// secret key (PKCS#11 3.0 section 5.8: a key of another type is
// CKR_KEY_TYPE_INCONSISTENT).
func aesKeyFor(k *Key, name string) (*aesCache, error) {
	if k == nil || k.Class != ck.CKO_SECRET_KEY || k.Type != ck.CKK_AES {
		return nil, fmt.Errorf("mech: %s needs an AES key: %w", name, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	return k.aesState()
}

// lenErr is the length error of a direction: CKR_DATA_LEN_RANGE for
// plaintext (encryption), CKR_ENCRYPTED_DATA_LEN_RANGE for ciphertext.
func lenErr(encrypt bool, format string, args ...any) error {
	rv := ck.CKR_ENCRYPTED_DATA_LEN_RANGE
	if encrypt {
		rv = ck.CKR_DATA_LEN_RANGE
	}
	return fmt.Errorf("mech: "+format+": %w", append(args, rv)...)
}

// blockMode names the three block-wise modes.
type blockMode int

const (
	modeECB blockMode = iota
	modeCBC
	modeCBCPad
)

var blockModeNames = [...]string{modeECB: "CKM_AES_ECB", modeCBC: "CKM_AES_CBC", modeCBCPad: "CKM_AES_CBC_PAD"}

// ecbMode is SP 800-38A section 6.1 as a cipher.BlockMode, for any block
// cipher: each block on its own. The standard library has no ECB on
// purpose; PKCS#11 requires it.
type ecbMode struct {
	b       cipher.Block
	encrypt bool
}

func (m ecbMode) BlockSize() int { return m.b.BlockSize() }

func (m ecbMode) CryptBlocks(dst, src []byte) {
	f := m.b.Decrypt
	if m.encrypt {
		f = m.b.Encrypt
	}
	bs := m.b.BlockSize()
	for i := 0; i+bs <= len(src); i += bs {
		f(dst[i:i+bs], src[i:i+bs])
	}
}

// blockOp is one ECB, CBC or CBC_PAD encryption or decryption over a block
// cipher of bs bytes (AES, DES, TDEA). The chaining value lives in bm
// (cipher.BlockMode keeps it between CryptBlocks calls), so multi-part
// output equals single-part output. Update releases whole blocks at once; a
// partial block waits in buf. CBC_PAD decryption also holds back the last
// whole block until Final, because only then is it known to carry the
// padding (PKCS#11 3.0 section 5.9: C_DecryptUpdate may return less than
// it was given).
type blockOp struct {
	bm      cipher.BlockMode
	mode    blockMode
	encrypt bool
	bs      int
	name    string
	buf     [aesBlock]byte // bs <= aesBlock
	nbuf    int
}

func newBlockOp(mode blockMode, encrypt bool) func(k *Key, param any) (CipherOp, error) {
	name := blockModeNames[mode]
	return func(k *Key, param any) (CipherOp, error) {
		iv, err := modeIV(mode, param, aesBlock, name)
		if err != nil {
			return nil, err
		}
		c, err := aesKeyFor(k, name)
		if err != nil {
			return nil, err
		}
		return newModeOp(c.block, mode, encrypt, iv, name), nil
	}
}

// modeIV reads the parameter of a mode: none for ECB, the bs-byte IV for
// the CBC modes (PKCS#11 3.0 section 2.10.4/2.10.5). cipher.NewCBC* copy
// it, so caller memory is not kept.
func modeIV(mode blockMode, param any, bs int, name string) ([]byte, error) {
	if mode == modeECB {
		return nil, noParam(param)
	}
	b, ok := param.([]byte)
	if !ok || len(b) != bs {
		return nil, fmt.Errorf("mech: %s needs a %d-byte IV: %w", name, bs, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	return b, nil
}

// newModeOp starts a mode over block cipher b.
func newModeOp(b cipher.Block, mode blockMode, encrypt bool, iv []byte, name string) *blockOp {
	o := &blockOp{mode: mode, encrypt: encrypt, bs: b.BlockSize(), name: name}
	switch {
	case mode == modeECB:
		o.bm = ecbMode{b: b, encrypt: encrypt}
	case encrypt:
		o.bm = cipher.NewCBCEncrypter(b, iv)
	default:
		o.bm = cipher.NewCBCDecrypter(b, iv)
	}
	return o
}

// OutLen is exact except for CBC_PAD decryption, where it is n (the
// padding, 1..bs bytes, is known only after decrypting).
func (o *blockOp) OutLen(n int) int {
	if o.mode == modeCBCPad && o.encrypt {
		return n - n%o.bs + o.bs
	}
	return n
}

func (o *blockOp) One(in []byte) ([]byte, error) {
	out := make([]byte, o.OutLen(len(in)))
	n, err := o.OneInto(out, in)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

func (o *blockOp) OneInto(dst, in []byte) (int, error) {
	n, bs := len(in), o.bs
	switch {
	case o.mode == modeCBCPad && o.encrypt:
		// Pad (RFC 5652 section 6.3): 1..bs bytes, each the pad length.
		whole := n - n%bs
		var last [aesBlock]byte
		copy(last[:], in[whole:])
		pad := byte(bs - n%bs)
		for i := n % bs; i < bs; i++ {
			last[i] = pad
		}
		if inexactOverlap(dst[:whole], in[:whole]) {
			copy(dst, in[:whole])
			in = dst
		}
		o.bm.CryptBlocks(dst[:whole], in[:whole])
		o.bm.CryptBlocks(dst[whole:whole+bs], last[:bs])
		return whole + bs, nil
	case n%bs != 0:
		return 0, lenErr(o.encrypt, "%s input of %d bytes, not a multiple of %d", o.name, n, bs)
	case o.mode == modeCBCPad && n == 0:
		return 0, lenErr(false, "%s ciphertext is empty", o.name)
	}
	if inexactOverlap(dst[:n], in) {
		copy(dst, in)
		in = dst[:n]
	}
	o.bm.CryptBlocks(dst[:n], in)
	if o.mode != modeCBCPad {
		return n, nil
	}
	m, err := unpad(dst[:n], bs, o.name)
	if err != nil {
		clear(dst[:n])
		return 0, err
	}
	return m, nil
}

// unpad checks and strips the PKCS #7 padding of a decrypted CBC_PAD
// message (at least one block of bs bytes) in time independent of the
// padding bytes.
func unpad(b []byte, bs int, name string) (int, error) {
	last := b[len(b)-bs:]
	p := last[bs-1]
	good := subtle.ConstantTimeLessOrEq(1, int(p)) & subtle.ConstantTimeLessOrEq(int(p), bs)
	for i := range bs {
		// Byte i of the last block is padding if i >= bs-p, that is
		// bs-i <= p (both sides non-negative, as the function needs).
		inPad := subtle.ConstantTimeLessOrEq(bs-i, int(p))
		eq := subtle.ConstantTimeByteEq(last[i], p)
		good &= eq | (inPad ^ 1)
	}
	if good != 1 {
		return 0, fmt.Errorf("mech: %s padding is invalid: %w", name, ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	return len(b) - int(p), nil
}

// UpdateLen is exact: whole blocks of what is buffered plus n more bytes,
// less the last block CBC_PAD decryption holds back for Final.
func (o *blockOp) UpdateLen(n int) int {
	total := o.nbuf + n
	keep := total % o.bs
	if o.mode == modeCBCPad && !o.encrypt && keep == 0 && total > 0 {
		keep = o.bs
	}
	return total - keep
}

func (o *blockOp) Update(in []byte) ([]byte, error) {
	var out []byte
	if n := o.UpdateLen(len(in)); n > 0 {
		out = make([]byte, n)
	}
	n, err := o.UpdateInto(out, in)
	return out[:n], err
}

// UpdateInto is Update writing into dst, which holds at least
// UpdateLen(len(in)) bytes and may overlap in.
func (o *blockOp) UpdateInto(dst, in []byte) (int, error) {
	n := o.UpdateLen(len(in))
	if n == 0 {
		o.nbuf += copy(o.buf[o.nbuf:o.bs], in)
		return 0, nil
	}
	used := n - o.nbuf // bytes of in that leave now
	// What stays buffered is saved before dst, which may overlap it, is written.
	var tail [aesBlock]byte
	nt := copy(tail[:], in[used:])
	dst = dst[:n]
	if o.nbuf == 0 && !inexactOverlap(dst, in[:used]) {
		o.bm.CryptBlocks(dst, in[:used])
	} else {
		// Lay the input out where the output goes: the buffered bytes,
		// then in (copy moves overlapping memory correctly), and run
		// the mode in place.
		copy(dst[o.nbuf:], in[:used])
		copy(dst, o.buf[:o.nbuf])
		o.bm.CryptBlocks(dst, dst)
	}
	o.nbuf = copy(o.buf[:], tail[:nt])
	clear(tail[:])
	return n, nil
}

func (o *blockOp) Final() ([]byte, error) {
	bs := o.bs
	defer func() { clear(o.buf[:]); o.nbuf = 0 }()
	if o.mode != modeCBCPad {
		if o.nbuf != 0 {
			return nil, lenErr(o.encrypt, "%s input not a multiple of %d bytes", o.name, bs)
		}
		return nil, nil
	}
	out := make([]byte, bs)
	if o.encrypt {
		n, err := o.OneInto(out, o.buf[:o.nbuf])
		return out[:n], err
	}
	if o.nbuf != bs {
		return nil, lenErr(false, "%s ciphertext not a positive multiple of %d bytes", o.name, bs)
	}
	n, err := o.OneInto(out, o.buf[:bs])
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// CTR limits. The counter is the low CounterBits bits of the counter block
// (PKCS#11 3.0 section 2.11.1, CK_AES_CTR_PARAMS; SP 800-38A appendix B.1,
// the standard incrementing function). A counter block must never repeat
// (SP 800-38A section 6.5): like SoftHSMv2, kagi refuses input that would
// carry the counter out of its CounterBits, so the counter never wraps and
// incrementing the whole block (what crypto/cipher does) gives the same
// counter blocks as incrementing only the counter field.
const (
	ctrMinBits = 1
	ctrMaxBits = 128
	// ctrUnlimited is a byte budget beyond any input (2^62).
	ctrUnlimited = 1 << 62
)

// ctrOp is one CKM_AES_CTR encryption or decryption (the same keystream
// XOR). The cipher.Stream keeps the position, so parts need not be whole
// blocks and Update returns all it is given.
type ctrOp struct {
	stream  cipher.Stream
	encrypt bool
	// left is how many more bytes the counter allows.
	left uint64
}

func ctrParams(param any) (ck.AESCTRParams, error) {
	var p ck.AESCTRParams
	switch v := param.(type) {
	case ck.AESCTRParams:
		p = v
	case *ck.AESCTRParams:
		if v == nil {
			return p, fmt.Errorf("mech: CKM_AES_CTR needs CK_AES_CTR_PARAMS: %w", ck.CKR_MECHANISM_PARAM_INVALID)
		}
		p = *v
	default:
		return p, fmt.Errorf("mech: CKM_AES_CTR needs CK_AES_CTR_PARAMS: %w", ck.CKR_MECHANISM_PARAM_INVALID)
	}
	if p.CounterBits < ctrMinBits || p.CounterBits > ctrMaxBits {
		return p, fmt.Errorf("mech: CKM_AES_CTR counter of %d bits: %w", p.CounterBits, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	return p, nil
}

// ctrBudget is the number of bytes the counter of p allows:
// 16 * (2^CounterBits - counter). 2^m - 1 - c is the complement of c within
// the m-bit mask, computed in two 64-bit halves of the big-endian block.
func ctrBudget(p ck.AESCTRParams) uint64 {
	m := int(p.CounterBits)
	var rem [2]uint64 // hi, lo of (2^m - 1 - c)
	for half := range 2 {
		var w uint64
		for _, b := range p.CB[half*8 : half*8+8] {
			w = w<<8 | uint64(b)
		}
		bits := m - 64*(1-half) // counter bits inside this half
		bits = max(0, min(64, bits))
		if bits == 0 {
			continue
		}
		mask := ^uint64(0) >> (64 - bits)
		rem[half] = ^w & mask
	}
	if rem[0] != 0 || rem[1] >= ctrUnlimited/aesBlock {
		return ctrUnlimited
	}
	return (rem[1] + 1) * aesBlock
}

func newCTR(encrypt bool) func(k *Key, param any) (CipherOp, error) {
	return func(k *Key, param any) (CipherOp, error) {
		p, err := ctrParams(param)
		if err != nil {
			return nil, err
		}
		c, err := aesKeyFor(k, "CKM_AES_CTR")
		if err != nil {
			return nil, err
		}
		// cipher.NewCTR copies the counter block.
		return &ctrOp{stream: cipher.NewCTR(c.block, p.CB[:]), encrypt: encrypt, left: ctrBudget(p)}, nil
	}
}

func (o *ctrOp) OutLen(n int) int { return n }

func (o *ctrOp) take(n int) error {
	if uint64(n) > o.left {
		return lenErr(o.encrypt, "CKM_AES_CTR input would wrap the counter")
	}
	o.left -= uint64(n)
	return nil
}

func (o *ctrOp) One(in []byte) ([]byte, error) {
	if err := o.take(len(in)); err != nil {
		return nil, err
	}
	out := make([]byte, len(in))
	o.stream.XORKeyStream(out, in)
	return out, nil
}

func (o *ctrOp) OneInto(dst, in []byte) (int, error) {
	if err := o.take(len(in)); err != nil {
		return 0, err
	}
	if inexactOverlap(dst[:len(in)], in) {
		copy(dst, in)
		in = dst[:len(in)]
	}
	o.stream.XORKeyStream(dst[:len(in)], in)
	return len(in), nil
}

func (o *ctrOp) Update(in []byte) ([]byte, error) { return o.One(in) }

// UpdateLen is n: CTR returns all it is given.
func (o *ctrOp) UpdateLen(n int) int { return n }

func (o *ctrOp) UpdateInto(dst, in []byte) (int, error) { return o.OneInto(dst, in) }

func (o *ctrOp) Final() ([]byte, error) { return nil, nil }

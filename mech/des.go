package mech

import (
	"bytes"
	"crypto/cipher"
	"crypto/des" //nolint:staticcheck // DES/TDEA is legacy; kept for SoftHSMv2 parity (issue 4), never a default.
	"crypto/subtle"
	"fmt"
	"io"
	"math/bits"

	"github.com/kagi-hsm/kagi/token/ck"
)

// DES (FIPS 46-3, withdrawn) and TDEA (NIST SP 800-67 Rev. 2) for SoftHSMv2
// parity: the key generators CKM_DES_KEY_GEN, CKM_DES2_KEY_GEN and
// CKM_DES3_KEY_GEN (PKCS#11 3.0: Triple-DES in Current Mechanisms, single
// DES in Historical Mechanisms), the modes CKM_DES_ECB,
// CKM_DES_CBC, CKM_DES_CBC_PAD and their CKM_DES3_* twins (SP 800-38A
// ECB and CBC over the 64-bit block, PKCS #7 padding for _PAD), and
// CKM_DES3_CMAC / CKM_DES3_CMAC_GENERAL (SP 800-38B with b = 64).
//
// A CKK_DES2 key is K1||K2 and is used as keying option 2 of SP 800-67
// section 3.1 (K3 = K1); a CKK_DES3 key is K1||K2||K3 (keying option 1).
// The block-mode code of aes_modes.go is written for the 16-byte AES block,
// so the block-size-generic form lives here, over any cipher.Block of 8
// bytes.

const (
	desBlock   = 8
	desKeyLen  = 8
	des2KeyLen = 16
	des3KeyLen = 24
)

// desKeyLens are the CKA_VALUE lengths of the DES key types.
var desKeyLens = map[ck.KeyType]int{ck.CKK_DES: desKeyLen, ck.CKK_DES2: des2KeyLen, ck.CKK_DES3: des3KeyLen}

// isDESKeyType reports whether kt is CKK_DES, CKK_DES2 or CKK_DES3.
func isDESKeyType(kt ck.KeyType) bool { _, ok := desKeyLens[kt]; return ok }

// checkDESValue checks the length of a DES key value. Parity is not
// enforced on import: PKCS#11 3.0 leaves it to the token, SoftHSMv2 does not
// check it either, and DES ignores the parity bits (FIPS 46-3: they are
// for error detection only).
func checkDESValue(kt ck.KeyType, v []byte, rv ck.RV) error {
	if n, ok := desKeyLens[kt]; !ok || len(v) != n {
		return fmt.Errorf("mech: DES key type %#x with a value of %d bytes: %w", ck.ULong(kt), len(v), rv)
	}
	return nil
}

// desBlockCipher makes the block cipher of a DES key value: single DES for
// 8 bytes, TDEA for 16 (K1||K2||K1) and 24 bytes.
func desBlockCipher(v []byte) (cipher.Block, error) {
	switch len(v) {
	case desKeyLen:
		return des.NewCipher(v)
	case des2KeyLen:
		var k [des3KeyLen]byte
		copy(k[:], v)
		copy(k[des2KeyLen:], v[:desKeyLen])
		b, err := des.NewTripleDESCipher(k[:])
		clear(k[:])
		return b, err
	case des3KeyLen:
		return des.NewTripleDESCipher(v)
	}
	return nil, fmt.Errorf("mech: DES key of %d bytes: %w", len(v), ck.CKR_KEY_SIZE_RANGE)
}

// desKeyFor returns the block cipher of k for a mechanism that takes the key
// types kts (PKCS#11 3.0 section 5.8: another type is
// CKR_KEY_TYPE_INCONSISTENT).
func desKeyFor(k *Key, name string, kts []ck.KeyType) (cipher.Block, error) {
	if k == nil || k.Class != ck.CKO_SECRET_KEY || !isDESKeyType(k.Type) || !containsKeyType(kts, k.Type) {
		return nil, fmt.Errorf("mech: %s needs a key of type %v: %w", name, kts, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	if err := checkDESValue(k.Type, k.Secret, ck.CKR_KEY_SIZE_RANGE); err != nil {
		return nil, err
	}
	return desBlockCipher(k.Secret)
}

func containsKeyType(kts []ck.KeyType, kt ck.KeyType) bool {
	for _, t := range kts {
		if t == kt {
			return true
		}
	}
	return false
}

// setOddParity makes every byte of a DES key have odd parity (FIPS 46-3:
// bit 8 of each byte makes the number of 1 bits odd), as SoftHSMv2 does for
// generated keys.
func setOddParity(k []byte) {
	for i, b := range k {
		if bits.OnesCount8(b&0xfe)%2 == 0 {
			k[i] = b | 1
		} else {
			k[i] = b &^ 1
		}
	}
}

// desCheckValue is CKA_CHECK_VALUE of a DES key (PKCS#11 3.0 section 4.10):
// the first 3 bytes of the ECB encryption of one zero block.
func desCheckValue(v []byte) ([]byte, error) {
	b, err := desBlockCipher(v)
	if err != nil {
		return nil, err
	}
	var blk [desBlock]byte
	b.Encrypt(blk[:], blk[:])
	return blk[:3:3], nil
}

// desCheckValueAttr is CKA_CHECK_VALUE for a new DES key, honouring the
// template as checkValueAttr does: an empty one asks for none, a non-empty
// one must match.
func desCheckValueAttr(t Attrs, v []byte) ([]ck.Attribute, error) {
	cv, err := desCheckValue(v)
	if err != nil {
		return nil, err
	}
	if given, ok := attr(t, ck.CKA_CHECK_VALUE); ok {
		if len(given) == 0 {
			return []ck.Attribute{{Type: ck.CKA_CHECK_VALUE, Value: []byte{}}}, nil
		}
		if !bytes.Equal(given, cv) {
			return nil, fmt.Errorf("mech: CKA_CHECK_VALUE does not match the key: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
		}
	}
	return []ck.Attribute{{Type: ck.CKA_CHECK_VALUE, Value: cv}}, nil
}

// desImportAttrs is ImportAttrs for DES keys: the value's length is checked
// and CKA_CHECK_VALUE computed; DES keys have no CKA_VALUE_LEN.
func desImportAttrs(kt ck.KeyType, a Attrs) ([]ck.Attribute, error) {
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	if err := checkDESValue(kt, v, ck.CKR_ATTRIBUTE_VALUE_INVALID); err != nil {
		return nil, err
	}
	return desCheckValueAttr(a, v)
}

// desKeyValue is KeyFromAttrs for DES keys: a copy of the checked value.
func desKeyValue(kt ck.KeyType, a Attrs) ([]byte, error) {
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	if err := checkDESValue(kt, v, ck.CKR_ATTRIBUTE_VALUE_INVALID); err != nil {
		return nil, err
	}
	return bytes.Clone(v), nil
}

// generateDES makes the CKM_DES*_KEY_GEN function for key type kt: random
// bytes with odd parity, CKA_KEY_TYPE and CKA_CHECK_VALUE. The length is
// fixed by the key type; a CKA_VALUE_LEN in the template is not a DES
// attribute (token's rules refuse it).
func generateDES(kt ck.KeyType) func(rnd io.Reader, t Attrs) ([]ck.Attribute, error) {
	return func(rnd io.Reader, t Attrs) ([]ck.Attribute, error) {
		if _, err := checkTemplateKind(t, ck.CKO_SECRET_KEY, kt); err != nil {
			return nil, err
		}
		v := make([]byte, desKeyLens[kt])
		if _, err := io.ReadFull(rnd, v); err != nil {
			return nil, fmt.Errorf("mech: random: %w", ck.CKR_FUNCTION_FAILED)
		}
		setOddParity(v)
		cv, err := desCheckValueAttr(t, v)
		if err != nil {
			clear(v)
			return nil, err
		}
		return append([]ck.Attribute{
			{Type: ck.CKA_VALUE, Value: v},
			ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(kt)),
		}, cv...), nil
	}
}

// desMode is one DES/TDEA confidentiality mode: its name and key types.
type desMode struct {
	name string
	mode blockMode
	kts  []ck.KeyType
}

var (
	desKeyTypes  = []ck.KeyType{ck.CKK_DES}
	des3KeyTypes = []ck.KeyType{ck.CKK_DES2, ck.CKK_DES3}
)

func newDESBlockOp(m desMode, encrypt bool) func(k *Key, param any) (CipherOp, error) {
	return func(k *Key, param any) (CipherOp, error) {
		var iv []byte
		if m.mode == modeECB {
			if err := noParam(param); err != nil {
				return nil, err
			}
		} else {
			// The parameter is the 8-byte IV (PKCS#11 3.0: CKM_DES3_CBC
			// and friends take it as the mechanism parameter).
			b, ok := param.([]byte)
			if !ok || len(b) != desBlock {
				return nil, fmt.Errorf("mech: %s needs an 8-byte IV: %w", m.name, ck.CKR_MECHANISM_PARAM_INVALID)
			}
			iv = b
		}
		b, err := desKeyFor(k, m.name, m.kts)
		if err != nil {
			return nil, err
		}
		return newNBlockOp(b, m.mode, encrypt, iv, m.name), nil
	}
}

// ecbN is SP 800-38A section 6.1 over any block size.
type ecbN struct {
	b       cipher.Block
	encrypt bool
}

func (m ecbN) BlockSize() int { return m.b.BlockSize() }

func (m ecbN) CryptBlocks(dst, src []byte) {
	f := m.b.Decrypt
	if m.encrypt {
		f = m.b.Encrypt
	}
	bs := m.b.BlockSize()
	for i := 0; i+bs <= len(src); i += bs {
		f(dst[i:i+bs], src[i:i+bs])
	}
}

// nBlockOp is blockOp of aes_modes.go for any block size bs (at most 16):
// ECB, CBC or CBC_PAD, single- and multi-part with the same rules. The
// chaining value lives in bm; a partial block waits in buf; CBC_PAD
// decryption holds back the last whole block until Final (PKCS#11 3.0
// section 5.9).
type nBlockOp struct {
	bm      cipher.BlockMode
	mode    blockMode
	encrypt bool
	bs      int
	name    string
	buf     [16]byte
	nbuf    int
}

func newNBlockOp(b cipher.Block, mode blockMode, encrypt bool, iv []byte, name string) *nBlockOp {
	o := &nBlockOp{mode: mode, encrypt: encrypt, bs: b.BlockSize(), name: name}
	switch {
	case mode == modeECB:
		o.bm = ecbN{b: b, encrypt: encrypt}
	case encrypt:
		o.bm = cipher.NewCBCEncrypter(b, iv)
	default:
		o.bm = cipher.NewCBCDecrypter(b, iv)
	}
	return o
}

// OutLen is exact except for CBC_PAD decryption (the padding is known only
// after decrypting).
func (o *nBlockOp) OutLen(n int) int {
	if o.mode == modeCBCPad && o.encrypt {
		return n - n%o.bs + o.bs
	}
	return n
}

func (o *nBlockOp) One(in []byte) ([]byte, error) {
	out := make([]byte, o.OutLen(len(in)))
	n, err := o.OneInto(out, in)
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

func (o *nBlockOp) OneInto(dst, in []byte) (int, error) {
	n, bs := len(in), o.bs
	switch {
	case o.mode == modeCBCPad && o.encrypt:
		// Pad (RFC 5652 section 6.3): 1..bs bytes, each the pad length.
		whole := n - n%bs
		var last [16]byte
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
	m, err := unpadN(dst[:n], bs, o.name)
	if err != nil {
		clear(dst[:n])
		return 0, err
	}
	return m, nil
}

// unpadN checks and strips the PKCS #7 padding of a decrypted CBC_PAD
// message (at least one block of bs bytes) in time independent of the
// padding bytes.
func unpadN(b []byte, bs int, name string) (int, error) {
	last := b[len(b)-bs:]
	p := last[bs-1]
	good := subtle.ConstantTimeLessOrEq(1, int(p)) & subtle.ConstantTimeLessOrEq(int(p), bs)
	for i := range bs {
		inPad := subtle.ConstantTimeLessOrEq(bs-i, int(p))
		eq := subtle.ConstantTimeByteEq(last[i], p)
		good &= eq | (inPad ^ 1)
	}
	if good != 1 {
		return 0, fmt.Errorf("mech: %s padding is invalid: %w", name, ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	return len(b) - int(p), nil
}

func (o *nBlockOp) Update(in []byte) ([]byte, error) {
	bs := o.bs
	total := o.nbuf + len(in)
	keep := total % bs
	if o.mode == modeCBCPad && !o.encrypt && keep == 0 && total > 0 {
		keep = bs
	}
	outLen := total - keep
	if outLen == 0 {
		o.nbuf += copy(o.buf[o.nbuf:bs], in)
		return nil, nil
	}
	out := make([]byte, outLen)
	// The buffered bytes and the head of in make the first block.
	head := copy(out, o.buf[:o.nbuf])
	head += copy(out[head:], in[:min(len(in), bs-head)])
	rest := in[head-o.nbuf:]
	o.bm.CryptBlocks(out[:bs], out[:bs])
	body := outLen - bs
	o.bm.CryptBlocks(out[bs:], rest[:body])
	o.nbuf = copy(o.buf[:bs], rest[body:])
	return out, nil
}

func (o *nBlockOp) Final() ([]byte, error) {
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

// CMAC over TDEA (SP 800-38B with b = 64): CKM_DES3_CMAC, an 8-byte MAC,
// and CKM_DES3_CMAC_GENERAL, whose CK_MAC_GENERAL_PARAMS is the MAC length
// 1..8 (PKCS#11 3.0 Current Mechanisms, DES3 CMAC). cmac.go is written for
// the 128-bit block (R_128, 16-byte state), hence this 64-bit form.

// cmacRb64 is R_64 of SP 800-38B section 5.3.
const cmacRb64 = 0x1b

type des3CMACMech struct {
	general bool
}

func (m des3CMACMech) name() string {
	if m.general {
		return "CKM_DES3_CMAC_GENERAL"
	}
	return "CKM_DES3_CMAC"
}

func (m des3CMACMech) init(k *Key, param any) (*cmac64Op, error) {
	macLen := desBlock
	if m.general {
		b, _ := param.([]byte)
		v, ok := ck.BytesULong(b)
		if !ok || v < 1 || v > desBlock {
			return nil, fmt.Errorf("mech: %s needs a MAC length of 1..8 bytes: %w", m.name(), ck.CKR_MECHANISM_PARAM_INVALID)
		}
		macLen = int(v)
	} else if err := noParam(param); err != nil {
		return nil, err
	}
	b, err := desKeyFor(k, m.name(), des3KeyTypes)
	if err != nil {
		return nil, err
	}
	o := &cmac64Op{b: b, macLen: macLen}
	// SP 800-38B section 6.1: L = CIPH_K(0^64), K1 = dbl(L), K2 = dbl(K1).
	var l [desBlock]byte
	b.Encrypt(l[:], l[:])
	dbl64(&o.k1, &l)
	dbl64(&o.k2, &o.k1)
	clear(l[:])
	return o, nil
}

func (m des3CMACMech) sign(k *Key, param any) (SignOp, error) { return m.init(k, param) }

func (m des3CMACMech) verify(k *Key, param any) (VerifyOp, error) {
	o, err := m.init(k, param)
	if err != nil {
		return nil, err
	}
	return cmac64Verify{o}, nil
}

// dbl64 shifts left by one bit and XORs R_64 into the last byte if the bit
// shifted out was 1 (constant time).
func dbl64(dst, src *[desBlock]byte) {
	carry := src[0] >> 7
	for i := range desBlock - 1 {
		dst[i] = src[i]<<1 | src[i+1]>>7
	}
	dst[desBlock-1] = src[desBlock-1]<<1 ^ (cmacRb64 & -carry)
}

// cmac64Op is one CMAC computation over a 64-bit block cipher; as cmacOp,
// the last block (complete or not) waits in buf until the MAC is asked for
// (SP 800-38B section 6.2 step 4 treats it differently).
type cmac64Op struct {
	b      cipher.Block
	k1, k2 [desBlock]byte
	x      [desBlock]byte
	buf    [desBlock]byte
	nbuf   int
	macLen int
}

func (o *cmac64Op) SigLen() int { return o.macLen }

func (o *cmac64Op) block(p []byte) {
	subtle.XORBytes(o.x[:], o.x[:], p[:desBlock])
	o.b.Encrypt(o.x[:], o.x[:])
}

func (o *cmac64Op) Update(p []byte) error {
	if o.nbuf > 0 {
		n := copy(o.buf[o.nbuf:], p)
		o.nbuf += n
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
		o.block(o.buf[:])
		o.nbuf = 0
	}
	for len(p) > desBlock {
		o.block(p)
		p = p[desBlock:]
	}
	o.nbuf = copy(o.buf[:], p)
	return nil
}

// mac is SP 800-38B section 6.2 steps 3 to 7 over the buffered last block.
func (o *cmac64Op) mac() []byte {
	var last [desBlock]byte
	if o.nbuf == desBlock {
		subtle.XORBytes(last[:], o.buf[:], o.k1[:])
	} else {
		copy(last[:], o.buf[:o.nbuf])
		last[o.nbuf] = 0x80
		subtle.XORBytes(last[:], last[:], o.k2[:])
	}
	o.block(last[:])
	t := make([]byte, o.macLen)
	copy(t, o.x[:])
	clear(o.x[:])
	clear(o.buf[:])
	return t
}

func (o *cmac64Op) Final() ([]byte, error) { return o.mac(), nil }

func (o *cmac64Op) Sign(data []byte) ([]byte, error) {
	o.Update(data)
	return o.mac(), nil
}

// cmac64Verify is SP 800-38B section 6.3; a MAC of another length is
// CKR_SIGNATURE_LEN_RANGE.
type cmac64Verify struct{ o *cmac64Op }

func (v cmac64Verify) check(sig []byte) error {
	if len(sig) != v.o.macLen {
		return fmt.Errorf("mech: CMAC of %d bytes, want %d: %w", len(sig), v.o.macLen, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	if subtle.ConstantTimeCompare(v.o.mac(), sig) != 1 {
		return fmt.Errorf("mech: CMAC mismatch: %w", ck.CKR_SIGNATURE_INVALID)
	}
	return nil
}

func (v cmac64Verify) Verify(data, sig []byte) error {
	v.o.Update(data)
	return v.check(sig)
}

func (v cmac64Verify) Update(p []byte) error { return v.o.Update(p) }

func (v cmac64Verify) Final(sig []byte) error { return v.check(sig) }

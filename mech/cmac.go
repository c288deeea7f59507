package mech

import (
	"crypto/cipher"
	"crypto/subtle"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// CMAC (NIST SP 800-38B; RFC 4493 for AES): CKM_AES_CMAC, a 16-byte MAC,
// CKM_DES3_CMAC, an 8-byte one, and their _GENERAL forms, whose parameter
// (CK_MAC_GENERAL_PARAMS, a CK_ULONG) is the MAC length 1..block size
// (PKCS#11 3.0 Current Mechanisms section 2.10.8/2.10.9 and the DES3 CMAC
// section). A shorter MAC is the leftmost bytes of the full one (SP 800-38B
// section 6.2 step 7, MSB_Tlen).

// cmacRb is R_b of SP 800-38B section 5.3 for the block sizes kagi has:
// R_128 for AES, R_64 for TDEA.
var cmacRb = map[int]byte{16: 0x87, 8: 0x1b}

// cmacMech is a CMAC mechanism: CKM_AES_CMAC(_GENERAL) or
// CKM_DES3_CMAC(_GENERAL). key gives the block cipher of a key (checking
// its type); general mechanisms take the MAC length as their parameter.
type cmacMech struct {
	name    string
	general bool
	key     func(k *Key, name string) (cipher.Block, error)
}

// aesBlockFor is cmacMech.key for AES.
func aesBlockFor(k *Key, name string) (cipher.Block, error) {
	c, err := aesKeyFor(k, name)
	if err != nil {
		return nil, err
	}
	return c.block, nil
}

func (m cmacMech) init(k *Key, param any) (*cmacOp, error) {
	b, err := m.key(k, m.name)
	if err != nil {
		return nil, err
	}
	bs := b.BlockSize()
	macLen := bs
	if m.general {
		p, _ := param.([]byte)
		v, ok := ck.BytesULong(p)
		if !ok || v < 1 || v > ck.ULong(bs) {
			return nil, fmt.Errorf("mech: %s needs a MAC length of 1..%d bytes: %w", m.name, bs, ck.CKR_MECHANISM_PARAM_INVALID)
		}
		macLen = int(v)
	} else if err := noParam(param); err != nil {
		return nil, err
	}
	o := &cmacOp{b: b, bs: bs, macLen: macLen}
	o.subkeys()
	return o, nil
}

func (m cmacMech) sign(k *Key, param any) (SignOp, error) { return m.init(k, param) }

func (m cmacMech) verify(k *Key, param any) (VerifyOp, error) {
	o, err := m.init(k, param)
	if err != nil {
		return nil, err
	}
	return cmacVerify{o}, nil
}

// cmacOp is one CMAC computation over a block of bs bytes. x is the
// chaining value C_i of SP 800-38B section 6.2 step 6; the last block of the
// message, complete or not, waits in buf until the MAC is asked for,
// because it is the one step 4 treats differently.
type cmacOp struct {
	b         cipher.Block
	bs        int
	k1, k2, x [aesBlock]byte // the first bs bytes are used
	buf       [aesBlock]byte
	nbuf      int
	macLen    int
}

// subkeys is SP 800-38B section 6.1: L = CIPH_K(0^b), K1 = dbl(L),
// K2 = dbl(K1), where dbl shifts left by one bit and XORs R_b into the
// last byte if the bit shifted out was 1.
func (o *cmacOp) subkeys() {
	var l [aesBlock]byte
	o.b.Encrypt(l[:o.bs], l[:o.bs])
	dbl(o.k1[:o.bs], l[:o.bs])
	dbl(o.k2[:o.bs], o.k1[:o.bs])
	clear(l[:])
}

func dbl(dst, src []byte) {
	n := len(src)
	carry := src[0] >> 7
	for i := range n - 1 {
		dst[i] = src[i]<<1 | src[i+1]>>7
	}
	// Constant time: the mask is R_b or 0 depending on the top bit.
	dst[n-1] = src[n-1]<<1 ^ (cmacRb[n] & -carry)
}

func (o *cmacOp) SigLen() int { return o.macLen }

// block folds one full block into the chaining value (step 6).
func (o *cmacOp) block(p []byte) {
	x := o.x[:o.bs]
	subtle.XORBytes(x, x, p[:o.bs])
	o.b.Encrypt(x, x)
}

func (o *cmacOp) Update(p []byte) error {
	// Fill buf; flush it only when more input follows, so the last block
	// stays behind.
	if o.nbuf > 0 {
		n := copy(o.buf[o.nbuf:o.bs], p)
		o.nbuf += n
		p = p[n:]
		if len(p) == 0 {
			return nil
		}
		o.block(o.buf[:])
		o.nbuf = 0
	}
	for len(p) > o.bs {
		o.block(p)
		p = p[o.bs:]
	}
	o.nbuf = copy(o.buf[:o.bs], p)
	return nil
}

// mac is steps 3 to 7 over the buffered last block: a complete block is
// XORed with K1, an incomplete (or empty) one is padded with 10* and XORed
// with K2. It resets nothing; the operation ends here.
func (o *cmacOp) mac() []byte {
	var last [aesBlock]byte
	if o.nbuf == o.bs {
		subtle.XORBytes(last[:o.bs], o.buf[:o.bs], o.k1[:o.bs])
	} else {
		copy(last[:], o.buf[:o.nbuf])
		last[o.nbuf] = 0x80
		subtle.XORBytes(last[:o.bs], last[:o.bs], o.k2[:o.bs])
	}
	o.block(last[:])
	t := make([]byte, o.macLen)
	copy(t, o.x[:])
	clear(o.x[:])
	clear(o.buf[:])
	return t
}

func (o *cmacOp) Final() ([]byte, error) { return o.mac(), nil }

func (o *cmacOp) Sign(data []byte) ([]byte, error) {
	o.Update(data)
	return o.mac(), nil
}

// cmacVerify is SP 800-38B section 6.3: recompute and compare in constant
// time. A MAC of another length than the operation's is
// CKR_SIGNATURE_LEN_RANGE (PKCS#11 3.0 section 5.13).
type cmacVerify struct{ o *cmacOp }

func (v cmacVerify) check(sig []byte) error {
	if len(sig) != v.o.macLen {
		return fmt.Errorf("mech: CMAC of %d bytes, want %d: %w", len(sig), v.o.macLen, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	if subtle.ConstantTimeCompare(v.o.mac(), sig) != 1 {
		return fmt.Errorf("mech: CMAC mismatch: %w", ck.CKR_SIGNATURE_INVALID)
	}
	return nil
}

func (v cmacVerify) Verify(data, sig []byte) error {
	v.o.Update(data)
	return v.check(sig)
}

func (v cmacVerify) Update(p []byte) error { return v.o.Update(p) }

func (v cmacVerify) Final(sig []byte) error { return v.check(sig) }

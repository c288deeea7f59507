package mech

import (
	"crypto/cipher"
	"crypto/subtle"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// CMAC with AES (NIST SP 800-38B, RFC 4493): CKM_AES_CMAC, a 16-byte MAC,
// and CKM_AES_CMAC_GENERAL, whose parameter (CK_MAC_GENERAL_PARAMS, a
// CK_ULONG) is the MAC length 1..16 (PKCS#11 3.0 Current Mechanisms
// section 2.10.8/2.10.9). A shorter MAC is the leftmost bytes of the full
// one (SP 800-38B section 6.2 step 7, MSB_Tlen).

// cmacRb is R_128 of SP 800-38B section 5.3.
const cmacRb = 0x87

// cmacMech is CKM_AES_CMAC (general false) or CKM_AES_CMAC_GENERAL.
type cmacMech struct {
	general bool
}

func (m cmacMech) name() string {
	if m.general {
		return "CKM_AES_CMAC_GENERAL"
	}
	return "CKM_AES_CMAC"
}

func (m cmacMech) init(k *Key, param any) (*cmacOp, error) {
	macLen := aesBlock
	if m.general {
		b, _ := param.([]byte)
		v, ok := ck.BytesULong(b)
		if !ok || v < 1 || v > aesBlock {
			return nil, fmt.Errorf("mech: %s needs a MAC length of 1..16 bytes: %w", m.name(), ck.CKR_MECHANISM_PARAM_INVALID)
		}
		macLen = int(v)
	} else if err := noParam(param); err != nil {
		return nil, err
	}
	c, err := aesKeyFor(k, m.name())
	if err != nil {
		return nil, err
	}
	o := &cmacOp{b: c.block, macLen: macLen}
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

// cmacOp is one CMAC computation. x is the chaining value C_i of SP 800-38B
// section 6.2 step 6; the last block of the message, complete or not, waits
// in buf until the MAC is asked for, because it is the one step 4 treats
// differently.
type cmacOp struct {
	b      cipher.Block
	k1, k2 [aesBlock]byte
	x      [aesBlock]byte
	buf    [aesBlock]byte
	nbuf   int
	macLen int
}

// subkeys is SP 800-38B section 6.1: L = CIPH_K(0^128), K1 = dbl(L),
// K2 = dbl(K1), where dbl shifts left by one bit and XORs R_128 into the
// last byte if the bit shifted out was 1.
func (o *cmacOp) subkeys() {
	var l [aesBlock]byte
	o.b.Encrypt(l[:], l[:])
	dbl(&o.k1, &l)
	dbl(&o.k2, &o.k1)
	clear(l[:])
}

func dbl(dst, src *[aesBlock]byte) {
	carry := src[0] >> 7
	for i := range aesBlock - 1 {
		dst[i] = src[i]<<1 | src[i+1]>>7
	}
	// Constant time: the mask is 0x87 or 0 depending on the top bit.
	dst[aesBlock-1] = src[aesBlock-1]<<1 ^ (cmacRb & -carry)
}

func (o *cmacOp) SigLen() int { return o.macLen }

// block folds one full block into the chaining value (step 6).
func (o *cmacOp) block(p []byte) {
	subtle.XORBytes(o.x[:], o.x[:], p[:aesBlock])
	o.b.Encrypt(o.x[:], o.x[:])
}

func (o *cmacOp) Update(p []byte) error {
	// Fill buf; flush it only when more input follows, so the last block
	// stays behind.
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
	for len(p) > aesBlock {
		o.block(p)
		p = p[aesBlock:]
	}
	o.nbuf = copy(o.buf[:], p)
	return nil
}

// mac is steps 3 to 7 over the buffered last block: a complete block is
// XORed with K1, an incomplete (or empty) one is padded with 10* and XORed
// with K2. It resets nothing; the operation ends here.
func (o *cmacOp) mac() []byte {
	var last [aesBlock]byte
	if o.nbuf == aesBlock {
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

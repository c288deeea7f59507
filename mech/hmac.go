package mech

import (
	"crypto/subtle"
	"encoding"
	"fmt"
	"hash"
	"io"

	"github.com/kagi-hsm/kagi/token/ck"
)

// HMAC (RFC 2104, FIPS 198-1) over the hashes of digest.go: CKM_SHA_1_HMAC,
// CKM_SHA224_HMAC, ..., CKM_SHA512_HMAC (PKCS#11 3.0 section 6.20 ff.),
// CKM_SHA3_*_HMAC (section 6.21 ff., the SHA-3 block size being its rate),
// CKM_MD5_HMAC (section 6.29), the _GENERAL variants of each (a
// CK_MAC_GENERAL_PARAMS output length, the MAC truncated to its leftmost
// bytes as FIPS 198-1 section 5 allows), and CKM_GENERIC_SECRET_KEY_GEN
// (section 6.5.3).
//
// The key is absorbed once per key and hash: the states of the hash after
// the blocks K^ipad and K^opad are kept, marshalled, in the Key's cache (in
// slices Zero can clear), and each operation starts from them. An operation
// takes one pooled hash instance and allocates only its result.

// hmacPads holds the marshalled hash states after K^ipad and after K^opad
// (RFC 2104 section 2, steps 1-3 and the first block of step 6).
type hmacPads struct {
	inner, outer []byte
}

// hmacState returns the key's cached HMAC states for alg.
func (k *Key) hmacState(alg *hashAlg) (*hmacPads, error) {
	if p := k.cache.hmac[alg.id].Load(); p != nil {
		return p, nil
	}
	k.cache.mu.Lock()
	defer k.cache.mu.Unlock()
	if p := k.cache.hmac[alg.id].Load(); p != nil {
		return p, nil
	}
	// RFC 2104 section 2: a key longer than the block is hashed first; a
	// shorter one is padded with zeros to the block size.
	pad := make([]byte, alg.blockSize)
	if len(k.Secret) > alg.blockSize {
		h := alg.get()
		h.Write(k.Secret)
		h.Sum(pad[:0])
		alg.put(h)
	} else {
		copy(pad, k.Secret)
	}
	defer clear(pad)
	state := func(x byte) ([]byte, error) {
		for i := range pad {
			pad[i] ^= x
		}
		h := alg.new()
		h.Write(pad)
		s, err := h.(encoding.BinaryMarshaler).MarshalBinary()
		h.Reset()
		return s, err
	}
	inner, err1 := state(0x36)
	outer, err2 := state(0x36 ^ 0x5c) // pad already holds K^ipad
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("mech: HMAC state: %w", ck.CKR_GENERAL_ERROR)
	}
	p := &hmacPads{inner: inner, outer: outer}
	k.cache.hmac[alg.id].Store(p)
	return p, nil
}

// hmacMech describes one CKM_*_HMAC mechanism.
type hmacMech struct {
	alg *hashAlg
	// keyType is the dedicated key type (CKK_SHA256_HMAC, ...); a
	// CKK_GENERIC_SECRET key is accepted too.
	keyType ck.KeyType
	// minKey is the smallest key in bytes: the hash output size, as
	// SoftHSMv2 enforces (and reports in C_GetMechanismInfo).
	minKey int
	// general is set for CKM_*_HMAC_GENERAL, whose parameter is the MAC
	// length.
	general bool
}

// macLen parses the parameter: none for CKM_*_HMAC; for the _GENERAL
// variants CK_MAC_GENERAL_PARAMS, a CK_ULONG of 1 to the hash size bytes
// (PKCS#11 3.0 section 6.20.2).
func (m *hmacMech) macLen(param any) (int, error) {
	if !m.general {
		return m.alg.size, noParam(param)
	}
	var n ck.ULong
	switch p := param.(type) {
	case []byte:
		v, ok := ck.BytesULong(p)
		if !ok {
			return 0, errParam("CK_MAC_GENERAL_PARAMS is not a CK_ULONG")
		}
		n = v
	case ck.ULong:
		n = p
	default:
		return 0, errParam("_GENERAL HMAC needs CK_MAC_GENERAL_PARAMS")
	}
	if n < 1 || n > ck.ULong(m.alg.size) {
		return 0, errParam("HMAC output length out of range")
	}
	return int(n), nil
}

func (m *hmacMech) init(k *Key, param any) (*hmacOp, error) {
	macLen, err := m.macLen(param)
	if err != nil {
		return nil, err
	}
	if k == nil || k.Class != ck.CKO_SECRET_KEY || (k.Type != ck.CKK_GENERIC_SECRET && k.Type != m.keyType) {
		return nil, fmt.Errorf("mech: HMAC needs a generic secret key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	if len(k.Secret) < m.minKey {
		return nil, fmt.Errorf("mech: HMAC key shorter than %d bytes: %w", m.minKey, ck.CKR_KEY_SIZE_RANGE)
	}
	pads, err := k.hmacState(m.alg)
	if err != nil {
		return nil, err
	}
	return &hmacOp{alg: m.alg, pads: pads, macLen: macLen}, nil
}

func (m *hmacMech) sign(k *Key, param any) (SignOp, error) {
	o, err := m.init(k, param)
	if err != nil {
		return nil, err
	}
	return o, nil
}

func (m *hmacMech) verify(k *Key, param any) (VerifyOp, error) {
	o, err := m.init(k, param)
	if err != nil {
		return nil, err
	}
	return hmacVerify{o}, nil
}

// hmacOp is one HMAC sign or verify operation; it implements both SignOp
// and VerifyOp.
type hmacOp struct {
	alg     *hashAlg
	pads    *hmacPads
	macLen  int       // the output length: the hash size or, _GENERAL, less
	h       hash.Hash // the inner hash of a multi-part operation
	scratch [64]byte  // the inner hash value; here so it does not escape per call
}

// mac finishes the HMAC whose inner hash h has absorbed the message, and
// returns h to the pool.
func (o *hmacOp) finish(h hash.Hash) ([]byte, error) {
	inner := h.Sum(o.scratch[:0])
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(o.pads.outer); err != nil {
		return nil, fmt.Errorf("mech: HMAC state: %w", ck.CKR_GENERAL_ERROR)
	}
	h.Write(inner)
	out := h.Sum(make([]byte, 0, o.alg.size))
	o.alg.put(h)
	return out[:o.macLen:o.macLen], nil
}

// start returns a pooled hash positioned after K^ipad.
func (o *hmacOp) start() (hash.Hash, error) {
	h := o.alg.get()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(o.pads.inner); err != nil {
		return nil, fmt.Errorf("mech: HMAC state: %w", ck.CKR_GENERAL_ERROR)
	}
	return h, nil
}

func (o *hmacOp) SigLen() int { return o.macLen }

func (o *hmacOp) Sign(data []byte) ([]byte, error) {
	h, err := o.start()
	if err != nil {
		return nil, err
	}
	h.Write(data)
	return o.finish(h)
}

func (o *hmacOp) Update(part []byte) error {
	if o.h == nil {
		h, err := o.start()
		if err != nil {
			return err
		}
		o.h = h
	}
	o.h.Write(part)
	return nil
}

func (o *hmacOp) final() ([]byte, error) {
	if o.h == nil {
		return o.Sign(nil)
	}
	h := o.h
	o.h = nil
	return o.finish(h)
}

// Final is SignOp.Final; Go has no overloading, so hmacOp's VerifyOp is
// hmacVerify below.
func (o *hmacOp) Final() ([]byte, error) { return o.final() }

func (o *hmacOp) check(mac, sig []byte) error {
	if subtle.ConstantTimeCompare(mac, sig) != 1 {
		return fmt.Errorf("mech: HMAC mismatch: %w", ck.CKR_SIGNATURE_INVALID)
	}
	return nil
}

func (o *hmacOp) sigLen(sig []byte) error {
	if len(sig) != o.macLen {
		return fmt.Errorf("mech: HMAC signature is %d bytes, want %d: %w", len(sig), o.macLen, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	return nil
}

// hmacVerify is the VerifyOp view of an hmacOp.
type hmacVerify struct{ *hmacOp }

func (v hmacVerify) Verify(data, sig []byte) error {
	if err := v.sigLen(sig); err != nil {
		return err
	}
	mac, err := v.Sign(data)
	if err != nil {
		return err
	}
	return v.check(mac, sig)
}

func (v hmacVerify) Final(sig []byte) error {
	if err := v.sigLen(sig); err != nil {
		v.abort()
		return err
	}
	mac, err := v.final()
	if err != nil {
		return err
	}
	return v.check(mac, sig)
}

// abort returns the hash of an unfinished multi-part operation.
func (o *hmacOp) abort() {
	if o.h != nil {
		o.alg.put(o.h)
		o.h = nil
	}
}

// generateGenericSecret is CKM_GENERIC_SECRET_KEY_GEN (PKCS#11 3.0 section
// 6.5.3): CKA_VALUE_LEN bytes from rnd. The template may ask for
// CKK_GENERIC_SECRET (the default) or one of the CKK_SHA*_HMAC key types.
func generateGenericSecret(rnd io.Reader, t Attrs) ([]ck.Attribute, error) {
	kt, err := checkTemplateKind(t, ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET,
		ck.CKK_SHA_1_HMAC, ck.CKK_SHA224_HMAC, ck.CKK_SHA256_HMAC, ck.CKK_SHA384_HMAC, ck.CKK_SHA512_HMAC,
		ck.CKK_SHA3_224_HMAC, ck.CKK_SHA3_256_HMAC, ck.CKK_SHA3_384_HMAC, ck.CKK_SHA3_512_HMAC, ck.CKK_MD5_HMAC)
	if err != nil {
		return nil, err
	}
	n, ok, err := attrULong(t, ck.CKA_VALUE_LEN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("mech: missing CKA_VALUE_LEN: %w", ck.CKR_TEMPLATE_INCOMPLETE)
	}
	if n == 0 || n > maxSecretLen {
		return nil, fmt.Errorf("mech: CKA_VALUE_LEN %d out of range: %w", n, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return newSecret(rnd, t, kt, int(n))
}

// newSecret draws an n-byte secret key of type kt from rnd and returns its
// attributes.
func newSecret(rnd io.Reader, t Attrs, kt ck.KeyType, n int) ([]ck.Attribute, error) {
	v := make([]byte, n)
	if _, err := io.ReadFull(rnd, v); err != nil {
		return nil, fmt.Errorf("mech: random: %w", ck.CKR_FUNCTION_FAILED)
	}
	cv, err := checkValueAttr(t, kt, v)
	if err != nil {
		clear(v)
		return nil, err
	}
	return append([]ck.Attribute{
		{Type: ck.CKA_VALUE, Value: v},
		ulongAttr(ck.CKA_VALUE_LEN, ck.ULong(n)),
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(kt)),
	}, cv...), nil
}

package mech

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// RSA (PKCS #1 v2.2, RFC 8017): CKM_RSA_PKCS_KEY_PAIR_GEN (PKCS#11 3.0
// section 2.1.4), CKM_RSA_PKCS sign/verify (section 2.1.6) and
// CKM_SHA*_RSA_PKCS (section 2.1.10), all RSASSA-PKCS1-v1_5.

// RSA modulus limits in bits. Go refuses keys below 1024 bits (crypto/rsa
// "Minimum key size"), so kagi reports and enforces 1024 where SoftHSMv2
// reports 512. Generation stops at 8192 bits (a larger key takes minutes);
// existing keys are usable up to 16384 bits, OpenSSL's limit, which
// SoftHSMv2 reports.
const (
	rsaMinBits    = 1024
	rsaMaxGenBits = 8192
	rsaMaxBits    = 16384
)

// rsaF4 is the public exponent Go's key generation produces, and kagi's
// default.
const rsaF4 = 65537

func checkRSASize(n *big.Int) error {
	if b := n.BitLen(); b < rsaMinBits || b > rsaMaxBits {
		return fmt.Errorf("mech: RSA modulus of %d bits: %w", b, ck.CKR_KEY_SIZE_RANGE)
	}
	return nil
}

// bigAttr decodes a big-endian integer attribute; an empty or zero value is
// CKR_ATTRIBUTE_VALUE_INVALID.
func bigAttr(a Attrs, t ck.AttributeType) (*big.Int, error) {
	v, err := needAttr(a, t)
	if err != nil {
		return nil, err
	}
	x := new(big.Int).SetBytes(v)
	if x.Sign() == 0 {
		return nil, fmt.Errorf("mech: %s is zero: %w", attrName(t), ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return x, nil
}

// publicExponent decodes CKA_PUBLIC_EXPONENT of a key into the int Go uses;
// Go supports odd exponents from 3 to 2^31-1 (checkRSAExponent).
func publicExponent(a Attrs) (int, error) {
	e, err := bigAttr(a, ck.CKA_PUBLIC_EXPONENT)
	if err != nil {
		return 0, err
	}
	if err := checkRSAExponent(e, ck.CKR_ATTRIBUTE_VALUE_INVALID); err != nil {
		return 0, err
	}
	return int(e.Int64()), nil
}

func rsaPublicFromAttrs(a Attrs) (*rsa.PublicKey, error) {
	n, err := bigAttr(a, ck.CKA_MODULUS)
	if err != nil {
		return nil, err
	}
	e, err := publicExponent(a)
	if err != nil {
		return nil, err
	}
	if n.Bit(0) == 0 || n.BitLen() < 32 {
		return nil, fmt.Errorf("mech: malformed RSA modulus: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return &rsa.PublicKey{N: n, E: e}, nil
}

// rsaPrivateFromAttrs builds, validates and precomputes an RSA private key.
// It needs the primes: Go's RSA has no private key operation without CRT.
func rsaPrivateFromAttrs(a Attrs) (*rsa.PrivateKey, error) {
	pub, err := rsaPublicFromAttrs(a)
	if err != nil {
		return nil, err
	}
	priv := &rsa.PrivateKey{PublicKey: *pub}
	if priv.D, err = bigAttr(a, ck.CKA_PRIVATE_EXPONENT); err != nil {
		return nil, err
	}
	p, err := bigAttr(a, ck.CKA_PRIME_1)
	if err != nil {
		return nil, err
	}
	q, err := bigAttr(a, ck.CKA_PRIME_2)
	if err != nil {
		return nil, err
	}
	priv.Primes = []*big.Int{p, q}
	// The CRT values, when all given, are checked against the rest by
	// Precompute/Validate; otherwise they are computed.
	crt := [3]ck.AttributeType{ck.CKA_EXPONENT_1, ck.CKA_EXPONENT_2, ck.CKA_COEFFICIENT}
	var vals [3]*big.Int
	given := 0
	for i, t := range crt {
		if _, ok := attr(a, t); ok {
			if vals[i], err = bigAttr(a, t); err != nil {
				return nil, err
			}
			given++
		}
	}
	if given == len(crt) {
		priv.Precomputed.Dp, priv.Precomputed.Dq, priv.Precomputed.Qinv = vals[0], vals[1], vals[2]
	}
	priv.Precompute()
	if err := priv.Validate(); err != nil {
		return nil, fmt.Errorf("mech: inconsistent RSA private key: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return priv, nil
}

// rsaPrivate returns the key's RSA private key, precomputed once.
func (k *Key) rsaPrivate() (*rsa.PrivateKey, error) {
	priv, ok := k.Private.(*rsa.PrivateKey)
	if !ok || priv == nil || k.Type != ck.CKK_RSA {
		return nil, fmt.Errorf("mech: not an RSA private key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	if err := checkRSASize(priv.N); err != nil {
		return nil, err
	}
	k.cache.rsaOnce.Do(priv.Precompute)
	return priv, nil
}

func (k *Key) rsaPublic() (*rsa.PublicKey, error) {
	pub, ok := k.Public.(*rsa.PublicKey)
	if !ok || pub == nil || k.Type != ck.CKK_RSA {
		return nil, fmt.Errorf("mech: not an RSA key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	if err := checkRSASize(pub.N); err != nil {
		return nil, err
	}
	return pub, nil
}

// generateRSA is CKM_RSA_PKCS_KEY_PAIR_GEN. CKA_MODULUS_BITS comes from the
// public template, and so does CKA_PUBLIC_EXPONENT: 65537 when absent,
// otherwise any odd e from 3 to 2^31-1, big-endian with or without leading
// zero bytes (rsaGenExponent; an empty value is
// CKR_ATTRIBUTE_VALUE_INVALID, an even, smaller or larger one
// CKR_TEMPLATE_INCONSISTENT). 65537 keys come from crypto/rsa.GenerateKey,
// others from generateRSAKey (rsa_keygen.go). The CKA_PUBLIC_EXPONENT
// returned is the minimal big-endian form, whatever the template said; the
// token stores it in place of the template's. rnd is passed on, but since
// Go 1.26 crypto/rsa and crypto/rand.Prime draw from the system CSPRNG
// whatever they are given.
func generateRSA(rnd io.Reader, pubT, privT Attrs) (pubAttrs, privAttrs []ck.Attribute, err error) {
	if _, err := checkTemplateKind(pubT, ck.CKO_PUBLIC_KEY, ck.CKK_RSA); err != nil {
		return nil, nil, err
	}
	if _, err := checkTemplateKind(privT, ck.CKO_PRIVATE_KEY, ck.CKK_RSA); err != nil {
		return nil, nil, err
	}
	bits, ok, err := attrULong(pubT, ck.CKA_MODULUS_BITS)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("mech: missing CKA_MODULUS_BITS: %w", ck.CKR_TEMPLATE_INCOMPLETE)
	}
	if bits < rsaMinBits || bits > rsaMaxGenBits {
		return nil, nil, fmt.Errorf("mech: CKA_MODULUS_BITS %d out of range: %w", bits, ck.CKR_KEY_SIZE_RANGE)
	}
	exp, err := rsaGenExponent(pubT)
	if err != nil {
		return nil, nil, err
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	priv, err := newRSAKey(rnd, int(bits), exp)
	if err != nil {
		return nil, nil, fmt.Errorf("mech: RSA key generation: %w", ck.CKR_FUNCTION_FAILED)
	}
	spki, err := publicKeyInfo(&priv.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	n := priv.N.Bytes()
	e := big.NewInt(int64(priv.E)).Bytes()
	pubAttrs = append([]ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_RSA)),
		{Type: ck.CKA_MODULUS, Value: n},
		{Type: ck.CKA_PUBLIC_EXPONENT, Value: e},
		ulongAttr(ck.CKA_MODULUS_BITS, ck.ULong(priv.N.BitLen())),
	}, spki...)
	privAttrs = append([]ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_RSA)),
		{Type: ck.CKA_MODULUS, Value: bytes.Clone(n)},
		{Type: ck.CKA_PUBLIC_EXPONENT, Value: bytes.Clone(e)},
		{Type: ck.CKA_PRIVATE_EXPONENT, Value: priv.D.Bytes()},
		{Type: ck.CKA_PRIME_1, Value: priv.Primes[0].Bytes()},
		{Type: ck.CKA_PRIME_2, Value: priv.Primes[1].Bytes()},
		{Type: ck.CKA_EXPONENT_1, Value: priv.Precomputed.Dp.Bytes()},
		{Type: ck.CKA_EXPONENT_2, Value: priv.Precomputed.Dq.Bytes()},
		{Type: ck.CKA_COEFFICIENT, Value: priv.Precomputed.Qinv.Bytes()},
	}, ck.Attribute{Type: ck.CKA_PUBLIC_KEY_INFO, Value: bytes.Clone(spki[0].Value)})
	zeroRSA(priv)
	return pubAttrs, privAttrs, nil
}

// zeroRSA clears the private components of a key no longer needed.
func zeroRSA(p *rsa.PrivateKey) {
	(&Key{Private: p}).Zero()
}

// rsaPKCSMech is RSASSA-PKCS1-v1_5 (RFC 8017 section 8.2) with a hash
// (CKM_SHA256_RSA_PKCS, ...), or, when alg is nil, CKM_RSA_PKCS: the input
// is the DigestInfo (or any data up to k-11 bytes), padded with EMSA-PKCS1-
// v1_5 type 1 and signed as is (single-part only).
type rsaPKCSMech struct {
	alg *hashAlg
}

func (m *rsaPKCSMech) sign(k *Key, param any) (SignOp, error) {
	if err := noParam(param); err != nil {
		return nil, err
	}
	priv, err := k.rsaPrivate()
	if err != nil {
		return nil, err
	}
	return &rsaSign{msgHash: msgHash{raw: m.alg == nil, alg: m.alg}, priv: priv}, nil
}

func (m *rsaPKCSMech) verify(k *Key, param any) (VerifyOp, error) {
	if err := noParam(param); err != nil {
		return nil, err
	}
	pub, err := k.rsaPublic()
	if err != nil {
		return nil, err
	}
	return &rsaVerify{msgHash: msgHash{raw: m.alg == nil, alg: m.alg}, pub: pub}, nil
}

// rsaRawMax is the longest input CKM_RSA_PKCS signs: k-11 bytes (RFC 8017
// section 9.2 step 3).
func rsaRawMax(n *big.Int) int { return (n.BitLen()+7)/8 - 11 }

// errNoMultiPart is returned by Update of a single-part-only mechanism
// (token checks Spec.SinglePart first).
var errNoMultiPart = fmt.Errorf("mech: mechanism is single-part only: %w", ck.CKR_FUNCTION_NOT_SUPPORTED)

type rsaSign struct {
	msgHash
	priv *rsa.PrivateKey
}

func (o *rsaSign) SigLen() int { return (o.priv.N.BitLen() + 7) / 8 }

func (o *rsaSign) Sign(data []byte) ([]byte, error) {
	if o.raw && len(data) > rsaRawMax(o.priv.N) {
		return nil, fmt.Errorf("mech: CKM_RSA_PKCS input longer than k-11: %w", ck.CKR_DATA_LEN_RANGE)
	}
	return o.signDigest(o.sum(data))
}

// signDigest signs d, the hash of alg (nil for CKM_RSA_PKCS: d is the
// DigestInfo or other data the caller formed).
func (o *rsaSign) signDigest(d []byte) ([]byte, error) {
	sig, err := rsa.SignPKCS1v15(nil, o.priv, cryptoHash(o.alg), d)
	if err != nil {
		return nil, fmt.Errorf("mech: RSA sign: %w", ck.CKR_FUNCTION_FAILED)
	}
	return sig, nil
}

func (o *rsaSign) Update(part []byte) error { return o.update(part) }

func (o *rsaSign) Final() ([]byte, error) {
	d, err := o.final()
	if err != nil {
		return nil, err
	}
	return o.signDigest(d)
}

type rsaVerify struct {
	msgHash
	pub *rsa.PublicKey
}

func (o *rsaVerify) sigLen(sig []byte) error {
	if k := (o.pub.N.BitLen() + 7) / 8; len(sig) != k {
		return fmt.Errorf("mech: RSA signature is %d bytes, want %d: %w", len(sig), k, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	return nil
}

func (o *rsaVerify) check(d, sig []byte) error {
	if err := rsa.VerifyPKCS1v15(o.pub, cryptoHash(o.alg), d, sig); err != nil {
		return fmt.Errorf("mech: RSA verify: %w", ck.CKR_SIGNATURE_INVALID)
	}
	return nil
}

func (o *rsaVerify) Verify(data, sig []byte) error {
	if o.raw && len(data) > rsaRawMax(o.pub.N) {
		return fmt.Errorf("mech: CKM_RSA_PKCS input longer than k-11: %w", ck.CKR_DATA_LEN_RANGE)
	}
	if err := o.sigLen(sig); err != nil {
		return err
	}
	return o.check(o.sum(data), sig)
}

func (o *rsaVerify) Update(part []byte) error { return o.update(part) }

func (o *rsaVerify) Final(sig []byte) error {
	if o.raw {
		return errNoMultiPart
	}
	if err := o.sigLen(sig); err != nil {
		return err
	}
	d, err := o.final()
	if err != nil {
		return err
	}
	return o.check(d, sig)
}

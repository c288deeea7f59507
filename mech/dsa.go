package mech

import (
	"crypto/dsa" //nolint:staticcheck // DSA is legacy (FIPS 186-5 withdraws it for signing); kept for SoftHSMv2 parity (issue 4), never a default.
	"crypto/rand"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// DSA (FIPS 186-4 section 4; FIPS 186-3 for the CAVP vectors): key pairs
// from caller-supplied domain parameters (CKM_DSA_KEY_PAIR_GEN, PKCS#11 3.0
// Current Mechanisms section 2.2.4; CKM_DSA_PARAMETER_GEN is not offered),
// CKM_DSA over a precomputed hash and CKM_DSA_SHA1 ... CKM_DSA_SHA512,
// which hash first and are multi-part. A signature is r||s, each the byte
// length of q (section 2.2.1).
//
// Sizes: L (bits of p) 512..3072 and N (bits of q) 160, 224 or 256, the
// FIPS 186-4 section 4.2 pairs plus the old 512..1024-bit L with N = 160
// that SoftHSMv2 accepts. crypto/dsa signs and verifies any such key (it
// needs N to be a multiple of 8); its operations are not constant time,
// which is one more reason DSA is legacy here.

const (
	dsaMinBits = 512
	dsaMaxBits = 3072
)

// dsaQBits are the subprime sizes kagi accepts.
var dsaQBits = map[int]bool{160: true, 224: true, 256: true}

// dsaRawLens are the input lengths of CKM_DSA (PKCS#11 3.0 section 2.2.5,
// table "DSA: Key And Data Length"): the SHA-1 and SHA-2 digest sizes.
var dsaRawLens = map[int]bool{20: true, 28: true, 32: true, 48: true, 64: true}

// dsaDomain reads and checks CKA_PRIME, CKA_SUBPRIME and CKA_BASE; a value
// that is missing is CKR_TEMPLATE_INCOMPLETE, one out of range rv.
func dsaDomain(a Attrs, rv ck.RV) (dsa.Parameters, error) {
	var p dsa.Parameters
	var vs [3][]byte
	for i, t := range []ck.AttributeType{ck.CKA_PRIME, ck.CKA_SUBPRIME, ck.CKA_BASE} {
		v, err := needAttr(a, t)
		if err != nil {
			return p, err
		}
		vs[i] = v
	}
	p.P, p.Q, p.G = new(big.Int).SetBytes(vs[0]), new(big.Int).SetBytes(vs[1]), new(big.Int).SetBytes(vs[2])
	if l := p.P.BitLen(); l < dsaMinBits || l > dsaMaxBits || p.P.Bit(0) == 0 {
		return p, fmt.Errorf("mech: DSA prime of %d bits: %w", l, rv)
	}
	if !dsaQBits[p.Q.BitLen()] || p.Q.Bit(0) == 0 {
		return p, fmt.Errorf("mech: DSA subprime of %d bits: %w", p.Q.BitLen(), rv)
	}
	// 1 < g < p (FIPS 186-4 section 4.1).
	if p.G.Cmp(big.NewInt(1)) <= 0 || p.G.Cmp(p.P) >= 0 {
		return p, fmt.Errorf("mech: DSA base out of range: %w", rv)
	}
	return p, nil
}

// dsaCheckGroup is the part of FIPS 186-4 appendix A.2.2 (assurance of g)
// that is cheap: q divides p-1 and g^q = 1 mod p. Key generation runs it, so
// a key is never made in a broken group.
func dsaCheckGroup(p dsa.Parameters) bool {
	pm1 := new(big.Int).Sub(p.P, big.NewInt(1))
	if new(big.Int).Mod(pm1, p.Q).Sign() != 0 {
		return false
	}
	return new(big.Int).Exp(p.G, p.Q, p.P).Cmp(big.NewInt(1)) == 0
}

// dsaPublicFromAttrs reads a DSA public key: the domain and CKA_VALUE = y,
// 1 < y < p.
func dsaPublicFromAttrs(a Attrs) (*dsa.PublicKey, error) {
	params, err := dsaDomain(a, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	if err != nil {
		return nil, err
	}
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	y := new(big.Int).SetBytes(v)
	if y.Cmp(big.NewInt(1)) <= 0 || y.Cmp(params.P) >= 0 {
		return nil, fmt.Errorf("mech: DSA public value out of range: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return &dsa.PublicKey{Parameters: params, Y: y}, nil
}

// dsaPrivateFromAttrs reads a DSA private key: the domain and CKA_VALUE = x,
// 0 < x < q; y = g^x mod p is derived (FIPS 186-4 section 4.1).
func dsaPrivateFromAttrs(a Attrs) (*dsa.PrivateKey, error) {
	params, err := dsaDomain(a, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	if err != nil {
		return nil, err
	}
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	x := new(big.Int).SetBytes(v)
	if x.Sign() <= 0 || x.Cmp(params.Q) >= 0 {
		return nil, fmt.Errorf("mech: DSA private value out of range: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	y := new(big.Int).Exp(params.G, x, params.P)
	return &dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: params, Y: y}, X: x}, nil
}

// dsaFillKey is KeyFromAttrs for CKK_DSA keys.
func dsaFillKey(k *Key, a Attrs) error {
	switch k.Class {
	case ck.CKO_PRIVATE_KEY:
		priv, err := dsaPrivateFromAttrs(a)
		if err != nil {
			return err
		}
		k.Private, k.Public = priv, &priv.PublicKey
	case ck.CKO_PUBLIC_KEY:
		pub, err := dsaPublicFromAttrs(a)
		if err != nil {
			return err
		}
		k.Public = pub
	default:
		return fmt.Errorf("mech: unsupported key class/type: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	return nil
}

// dsaImportAttrs is ImportAttrs for CKK_DSA keys: the components are
// checked and CKA_PUBLIC_KEY_INFO computed.
func dsaImportAttrs(class ck.ObjectClass, a Attrs) ([]ck.Attribute, error) {
	switch class {
	case ck.CKO_PRIVATE_KEY:
		priv, err := dsaPrivateFromAttrs(a)
		if err != nil {
			return nil, err
		}
		defer zeroBig(priv.X)
		return dsaPublicKeyInfo(&priv.PublicKey)
	case ck.CKO_PUBLIC_KEY:
		pub, err := dsaPublicFromAttrs(a)
		if err != nil {
			return nil, err
		}
		return dsaPublicKeyInfo(pub)
	}
	return nil, fmt.Errorf("mech: unsupported key class/type: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
}

// oidDSA is id-dsa (RFC 3279 section 2.3.2).
var oidDSA = asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1}

// dsaPublicKeyInfo is CKA_PUBLIC_KEY_INFO of a DSA key: the DER
// SubjectPublicKeyInfo of RFC 3279 section 2.3.2 (AlgorithmIdentifier
// id-dsa with Dss-Parms, subjectPublicKey the DER INTEGER y). crypto/x509
// parses DSA keys but does not marshal them, so it is built here.
func dsaPublicKeyInfo(pub *dsa.PublicKey) ([]ck.Attribute, error) {
	params, err := asn1.Marshal(struct{ P, Q, G *big.Int }{pub.P, pub.Q, pub.G})
	if err != nil {
		return nil, fmt.Errorf("mech: DSA public key info: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	y, err := asn1.Marshal(pub.Y)
	if err != nil {
		return nil, fmt.Errorf("mech: DSA public key info: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	type algID struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue
	}
	der, err := asn1.Marshal(struct {
		Algorithm algID
		PublicKey asn1.BitString
	}{
		algID{oidDSA, asn1.RawValue{FullBytes: params}},
		asn1.BitString{Bytes: y, BitLength: 8 * len(y)},
	})
	if err != nil {
		return nil, fmt.Errorf("mech: DSA public key info: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return []ck.Attribute{{Type: ck.CKA_PUBLIC_KEY_INFO, Value: der}}, nil
}

// generateDSA is CKM_DSA_KEY_PAIR_GEN: the domain parameters come from the
// public template (PKCS#11 3.0 section 2.2.4, as SoftHSMv2); x is drawn
// from rnd (FIPS 186-4 appendix B.1 through crypto/dsa.GenerateKey) and
// y = g^x mod p. Parameters that do not form a group of order q are
// CKR_DOMAIN_PARAMS_INVALID.
func generateDSA(rnd io.Reader, pubT, privT Attrs) (pubAttrs, privAttrs []ck.Attribute, err error) {
	if _, err := checkTemplateKind(pubT, ck.CKO_PUBLIC_KEY, ck.CKK_DSA); err != nil {
		return nil, nil, err
	}
	if _, err := checkTemplateKind(privT, ck.CKO_PRIVATE_KEY, ck.CKK_DSA); err != nil {
		return nil, nil, err
	}
	params, err := dsaDomain(pubT, ck.CKR_DOMAIN_PARAMS_INVALID)
	if err != nil {
		return nil, nil, err
	}
	if !dsaCheckGroup(params) {
		return nil, nil, fmt.Errorf("mech: DSA domain parameters do not form a group of order q: %w", ck.CKR_DOMAIN_PARAMS_INVALID)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	priv := &dsa.PrivateKey{PublicKey: dsa.PublicKey{Parameters: params}}
	if err := dsa.GenerateKey(priv, rnd); err != nil {
		return nil, nil, fmt.Errorf("mech: DSA key generation: %w", ck.CKR_FUNCTION_FAILED)
	}
	defer zeroBig(priv.X)
	spki, err := dsaPublicKeyInfo(&priv.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	domain := func() []ck.Attribute {
		return []ck.Attribute{
			ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_DSA)),
			{Type: ck.CKA_PRIME, Value: params.P.Bytes()},
			{Type: ck.CKA_SUBPRIME, Value: params.Q.Bytes()},
			{Type: ck.CKA_BASE, Value: params.G.Bytes()},
		}
	}
	pubAttrs = append(domain(), ck.Attribute{Type: ck.CKA_VALUE, Value: priv.Y.Bytes()})
	pubAttrs = append(pubAttrs, spki...)
	privAttrs = append(domain(), ck.Attribute{Type: ck.CKA_VALUE, Value: priv.X.FillBytes(make([]byte, (params.Q.BitLen()+7)/8))})
	privAttrs = append(privAttrs, spki...)
	return pubAttrs, privAttrs, nil
}

// dsaMech is CKM_DSA_SHA* with alg, or CKM_DSA (single-part, the input is
// the hash) when alg is nil.
type dsaMech struct {
	alg *hashAlg
}

func (m *dsaMech) sign(k *Key, param any) (SignOp, error) {
	if err := noParam(param); err != nil {
		return nil, err
	}
	priv, ok := k.dsaPrivate()
	if !ok {
		return nil, fmt.Errorf("mech: DSA signing needs a DSA private key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	return &dsaSign{msgHash: msgHash{raw: m.alg == nil, alg: m.alg}, priv: priv, size: priv.Q.BitLen() / 8}, nil
}

func (m *dsaMech) verify(k *Key, param any) (VerifyOp, error) {
	if err := noParam(param); err != nil {
		return nil, err
	}
	pub, ok := k.dsaPublic()
	if !ok {
		return nil, fmt.Errorf("mech: DSA verification needs a DSA public key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	return &dsaVerify{msgHash: msgHash{raw: m.alg == nil, alg: m.alg}, pub: pub, size: pub.Q.BitLen() / 8}, nil
}

func (k *Key) dsaPrivate() (*dsa.PrivateKey, bool) {
	if k == nil || k.Class != ck.CKO_PRIVATE_KEY || k.Type != ck.CKK_DSA {
		return nil, false
	}
	p, ok := k.Private.(*dsa.PrivateKey)
	return p, ok
}

func (k *Key) dsaPublic() (*dsa.PublicKey, bool) {
	if k == nil || k.Class != ck.CKO_PUBLIC_KEY || k.Type != ck.CKK_DSA {
		return nil, false
	}
	p, ok := k.Public.(*dsa.PublicKey)
	return p, ok
}

// dsaInput is the hash a DSA operation signs or verifies: the input itself
// for CKM_DSA, which must have one of the lengths CKM_DSA takes.
func dsaInput(m *msgHash, data []byte) ([]byte, error) {
	if m.raw && !dsaRawLens[len(data)] {
		return nil, fmt.Errorf("mech: CKM_DSA input of %d bytes: %w", len(data), ck.CKR_DATA_LEN_RANGE)
	}
	return m.sum(data), nil
}

// dsaTruncate is z of FIPS 186-4 section 4.6: the leftmost min(N, outlen)
// bits of the hash. N is a multiple of 8 here, so whole bytes; crypto/dsa
// leaves this step to the caller.
func dsaTruncate(d []byte, size int) []byte {
	if len(d) > size {
		return d[:size]
	}
	return d
}

type dsaSign struct {
	msgHash
	priv *dsa.PrivateKey
	size int
}

func (o *dsaSign) SigLen() int { return 2 * o.size }

func (o *dsaSign) Sign(data []byte) ([]byte, error) {
	d, err := dsaInput(&o.msgHash, data)
	if err != nil {
		return nil, err
	}
	return o.signHash(d)
}

// signHash is FIPS 186-4 section 4.6 with a per-message k from the system
// CSPRNG (as ECDSA here).
func (o *dsaSign) signHash(d []byte) ([]byte, error) {
	r, s, err := dsa.Sign(rand.Reader, o.priv, dsaTruncate(d, o.size))
	if err != nil {
		return nil, fmt.Errorf("mech: DSA sign: %w", ck.CKR_FUNCTION_FAILED)
	}
	sig := make([]byte, 2*o.size)
	r.FillBytes(sig[:o.size])
	s.FillBytes(sig[o.size:])
	return sig, nil
}

func (o *dsaSign) Update(part []byte) error { return o.update(part) }

func (o *dsaSign) Final() ([]byte, error) {
	d, err := o.final()
	if err != nil {
		return nil, err
	}
	return o.signHash(d)
}

type dsaVerify struct {
	msgHash
	pub  *dsa.PublicKey
	size int
}

// check is FIPS 186-4 section 4.7; crypto/dsa.Verify rejects r or s
// outside 0 < r, s < q.
func (o *dsaVerify) check(d, sig []byte) error {
	if len(sig) != 2*o.size {
		return fmt.Errorf("mech: DSA signature is %d bytes, want %d: %w", len(sig), 2*o.size, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	r, s := new(big.Int).SetBytes(sig[:o.size]), new(big.Int).SetBytes(sig[o.size:])
	if !dsa.Verify(o.pub, dsaTruncate(d, o.size), r, s) {
		return fmt.Errorf("mech: DSA verify: %w", ck.CKR_SIGNATURE_INVALID)
	}
	return nil
}

func (o *dsaVerify) Verify(data, sig []byte) error {
	d, err := dsaInput(&o.msgHash, data)
	if err != nil {
		return err
	}
	return o.check(d, sig)
}

func (o *dsaVerify) Update(part []byte) error { return o.update(part) }

func (o *dsaVerify) Final(sig []byte) error {
	d, err := o.final()
	if err != nil {
		return err
	}
	return o.check(d, sig)
}

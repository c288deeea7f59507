package mech

import (
	"crypto/dsa" //nolint:staticcheck // its FIPS 186-4 group generation makes CKM_DH_PKCS_PARAMETER_GEN's groups.
	"crypto/rand"
	"encoding/asn1"
	"fmt"
	"io"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// PKCS #3 Diffie-Hellman (PKCS#11 3.0 current mechanisms section 2.4,
// "Diffie-Hellman"): CKK_DH keys and domain parameters,
// CKM_DH_PKCS_KEY_PAIR_GEN, CKM_DH_PKCS_PARAMETER_GEN and
// CKM_DH_PKCS_DERIVE. Legacy, kept for SoftHSMv2 parity; never a default.
//
// The arithmetic is math/big's, whose Exp is not constant time: the time
// of a key generation or a derivation depends on the private value x. Go
// offers no constant-time modular exponentiation outside its internal
// packages (crypto/internal/fips140/bigmod), which kagi may not import.
// This is one more reason the mechanism is legacy here; prefer ECDH or
// X25519.
//
// Sizes: p of dhMinBits..dhMaxBits, as SoftHSMv2 2.6 on OpenSSL allows
// (OpenSSL's OPENSSL_DH_MAX_MODULUS_BITS is 10000). p is not tested for
// primality (a 10000-bit test costs seconds, and the caller's group is the
// caller's choice, as in SoftHSMv2); it must be odd, and 1 < g < p-1.

const (
	dhMinBits = 512
	dhMaxBits = 10000
	// dhMinValueBits is the least CKA_VALUE_BITS (PKCS #3 section 6's l,
	// the length of the private value) kagi generates: the smallest
	// subgroup order of the FIPS 186-4 groups. PKCS #3 sets no floor.
	dhMinValueBits = 160
)

// dhParamGenSizes are the CKA_PRIME_BITS of CKM_DH_PKCS_PARAMETER_GEN and the
// FIPS 186-4 group size crypto/dsa generates for each (see
// generateDHParameters).
var dhParamGenSizes = map[int]dsa.ParameterSizes{
	1024: dsa.L1024N160,
	2048: dsa.L2048N256,
	3072: dsa.L3072N256,
}

const (
	dhParamGenMinBits = 1024
	dhParamGenMaxBits = 3072
)

// dhPublicKey is a PKCS #3 public key: the domain (p, g) and y = g^x mod p.
type dhPublicKey struct {
	P, G, Y *big.Int
}

// dhPrivateKey is a PKCS #3 private key, x, with its public key.
type dhPrivateKey struct {
	dhPublicKey
	X *big.Int
}

// dhDomain reads and checks CKA_PRIME and CKA_BASE: a missing one is
// CKR_TEMPLATE_INCOMPLETE, one out of range rv.
func dhDomain(a Attrs, rv ck.RV) (p, g *big.Int, err error) {
	pv, err := needAttr(a, ck.CKA_PRIME)
	if err != nil {
		return nil, nil, err
	}
	gv, err := needAttr(a, ck.CKA_BASE)
	if err != nil {
		return nil, nil, err
	}
	p, g = new(big.Int).SetBytes(pv), new(big.Int).SetBytes(gv)
	if l := p.BitLen(); l < dhMinBits || l > dhMaxBits || p.Bit(0) == 0 {
		return nil, nil, fmt.Errorf("mech: DH prime of %d bits: %w", l, rv)
	}
	// 1 < g < p-1: g = 1 and g = p-1 generate groups of order 1 and 2.
	if !inOpenRange(g, p) {
		return nil, nil, fmt.Errorf("mech: DH base out of range: %w", rv)
	}
	return p, g, nil
}

// inOpenRange says 1 < v < p-1, the range of a DH base, public value or
// shared secret other than the trivial elements 1 and p-1 (SP 800-56A
// rev. 3 section 5.6.2.3.1, the partial public key validation).
func inOpenRange(v, p *big.Int) bool {
	pm1 := new(big.Int).Sub(p, big.NewInt(1))
	return v.Cmp(big.NewInt(1)) > 0 && v.Cmp(pm1) < 0
}

// dhPublicFromAttrs reads a DH public key: the domain and CKA_VALUE = y,
// 1 < y < p-1.
func dhPublicFromAttrs(a Attrs) (*dhPublicKey, error) {
	p, g, err := dhDomain(a, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	if err != nil {
		return nil, err
	}
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	y := new(big.Int).SetBytes(v)
	if !inOpenRange(y, p) {
		return nil, fmt.Errorf("mech: DH public value out of range: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return &dhPublicKey{P: p, G: g, Y: y}, nil
}

// dhPrivateFromAttrs reads a DH private key: the domain and CKA_VALUE = x,
// 1 < x < p-1; y = g^x mod p is derived. A CKA_VALUE_BITS present must be
// x's length.
func dhPrivateFromAttrs(a Attrs) (*dhPrivateKey, error) {
	p, g, err := dhDomain(a, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	if err != nil {
		return nil, err
	}
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	x := new(big.Int).SetBytes(v)
	if !inOpenRange(x, p) {
		return nil, fmt.Errorf("mech: DH private value out of range: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	if l, ok, err := attrULong(a, ck.CKA_VALUE_BITS); err != nil {
		return nil, err
	} else if ok && l != ck.ULong(x.BitLen()) {
		return nil, fmt.Errorf("mech: CKA_VALUE_BITS %d, the value has %d: %w", l, x.BitLen(), ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	y := new(big.Int).Exp(g, x, p)
	return &dhPrivateKey{dhPublicKey: dhPublicKey{P: p, G: g, Y: y}, X: x}, nil
}

// dhImportAttrs is ImportAttrs for CKK_DH keys: the components are checked;
// CKA_PUBLIC_KEY_INFO is computed, and for a private key CKA_VALUE_BITS.
func dhImportAttrs(class ck.ObjectClass, a Attrs) ([]ck.Attribute, error) {
	switch class {
	case ck.CKO_PRIVATE_KEY:
		priv, err := dhPrivateFromAttrs(a)
		if err != nil {
			return nil, err
		}
		defer zeroBig(priv.X)
		spki, err := dhPublicKeyInfo(&priv.dhPublicKey)
		if err != nil {
			return nil, err
		}
		return append(spki, ulongAttr(ck.CKA_VALUE_BITS, ck.ULong(priv.X.BitLen()))), nil
	case ck.CKO_PUBLIC_KEY:
		pub, err := dhPublicFromAttrs(a)
		if err != nil {
			return nil, err
		}
		return dhPublicKeyInfo(pub)
	}
	return nil, fmt.Errorf("mech: unsupported key class/type: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
}

// oidDHKeyAgreement is dhKeyAgreement of PKCS #3 (pkcs-3 1), the algorithm
// OpenSSL writes for PKCS #3 keys.
var oidDHKeyAgreement = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 3, 1}

// dhParameter is PKCS #3 section 9's DHParameter without the optional
// privateValueLength.
type dhParameter struct {
	P, G *big.Int
}

// dhPublicKeyInfo is CKA_PUBLIC_KEY_INFO of a DH key: the DER
// SubjectPublicKeyInfo with AlgorithmIdentifier dhKeyAgreement,
// DHParameter {p, g}, and the DER INTEGER y as the subjectPublicKey, the
// form OpenSSL reads and writes for PKCS #3 keys.
func dhPublicKeyInfo(pub *dhPublicKey) ([]ck.Attribute, error) {
	params, err := asn1.Marshal(dhParameter{pub.P, pub.G})
	if err != nil {
		return nil, fmt.Errorf("mech: DH public key info: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	y, err := asn1.Marshal(pub.Y)
	if err != nil {
		return nil, fmt.Errorf("mech: DH public key info: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	der, err := asn1.Marshal(subjectPublicKeyInfo{
		Algorithm: algorithmIdentifier{oidDHKeyAgreement, asn1.RawValue{FullBytes: params}},
		PublicKey: asn1.BitString{Bytes: y, BitLength: 8 * len(y)},
	})
	if err != nil {
		return nil, fmt.Errorf("mech: DH public key info: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return []ck.Attribute{{Type: ck.CKA_PUBLIC_KEY_INFO, Value: der}}, nil
}

// algorithmIdentifier and subjectPublicKeyInfo are the X.509 structures
// (RFC 5280 section 4.1.1.2 and 4.1.2.7) for the key types crypto/x509
// does not marshal.
type algorithmIdentifier struct {
	Algorithm  asn1.ObjectIdentifier
	Parameters asn1.RawValue
}

type subjectPublicKeyInfo struct {
	Algorithm algorithmIdentifier
	PublicKey asn1.BitString
}

// dhPrivateValue draws x (PKCS #3 section 7.1): with a length l, an x of
// exactly l bits, 2^(l-1) <= x < 2^l; without, x uniform in [2, p-2].
// l = 0 means none.
func dhPrivateValue(rnd io.Reader, p *big.Int, l int) (*big.Int, error) {
	if l > 0 {
		half := new(big.Int).Lsh(big.NewInt(1), uint(l-1))
		x, err := rand.Int(rnd, half)
		if err != nil {
			return nil, err
		}
		return x.Add(x, half), nil
	}
	x, err := rand.Int(rnd, new(big.Int).Sub(p, big.NewInt(3)))
	if err != nil {
		return nil, err
	}
	return x.Add(x, big.NewInt(2)), nil
}

// generateDH is CKM_DH_PKCS_KEY_PAIR_GEN ("PKCS #3 Diffie-Hellman key pair
// generation"): the domain comes from the public template's CKA_PRIME and
// CKA_BASE, the private value's length from the private template's
// CKA_VALUE_BITS when it gives one (dhMinValueBits up to one bit less than p,
// so that x < p-1), and y = g^x mod p (PKCS #3 section 7.2). A domain out of
// range is CKR_DOMAIN_PARAMS_INVALID, as for DSA. The private key gets
// CKA_VALUE_BITS, the length of x, as SoftHSMv2 sets it.
func generateDH(rnd io.Reader, pubT, privT Attrs) (pubAttrs, privAttrs []ck.Attribute, err error) {
	if _, err := checkTemplateKind(pubT, ck.CKO_PUBLIC_KEY, ck.CKK_DH); err != nil {
		return nil, nil, err
	}
	if _, err := checkTemplateKind(privT, ck.CKO_PRIVATE_KEY, ck.CKK_DH); err != nil {
		return nil, nil, err
	}
	p, g, err := dhDomain(pubT, ck.CKR_DOMAIN_PARAMS_INVALID)
	if err != nil {
		return nil, nil, err
	}
	l := 0
	if v, ok, err := attrULong(privT, ck.CKA_VALUE_BITS); err != nil {
		return nil, nil, err
	} else if ok {
		if v < dhMinValueBits || v >= ck.ULong(p.BitLen()) {
			return nil, nil, fmt.Errorf("mech: CKA_VALUE_BITS %d for a %d-bit prime: %w", v, p.BitLen(), ck.CKR_ATTRIBUTE_VALUE_INVALID)
		}
		l = int(v)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	x, err := dhPrivateValue(rnd, p, l)
	if err != nil {
		return nil, nil, fmt.Errorf("mech: DH key generation: %w", ck.CKR_FUNCTION_FAILED)
	}
	defer zeroBig(x)
	y := new(big.Int).Exp(g, x, p)
	if !inOpenRange(y, p) {
		// g has an order that divides x: a group too small to use.
		return nil, nil, fmt.Errorf("mech: DH base of tiny order: %w", ck.CKR_DOMAIN_PARAMS_INVALID)
	}
	pub := &dhPublicKey{P: p, G: g, Y: y}
	spki, err := dhPublicKeyInfo(pub)
	if err != nil {
		return nil, nil, err
	}
	domain := func() []ck.Attribute {
		return []ck.Attribute{
			ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_DH)),
			{Type: ck.CKA_PRIME, Value: p.Bytes()},
			{Type: ck.CKA_BASE, Value: g.Bytes()},
		}
	}
	pubAttrs = append(domain(), ck.Attribute{Type: ck.CKA_VALUE, Value: y.Bytes()})
	pubAttrs = append(pubAttrs, spki...)
	privAttrs = append(domain(), ck.Attribute{Type: ck.CKA_VALUE, Value: x.Bytes()},
		ulongAttr(ck.CKA_VALUE_BITS, ck.ULong(x.BitLen())))
	privAttrs = append(privAttrs, spki...)
	return pubAttrs, privAttrs, nil
}

// generateDHParameters is CKM_DH_PKCS_PARAMETER_GEN ("PKCS #3 Diffie-Hellman
// domain parameter generation"): a group with a p of the template's
// CKA_PRIME_BITS. Safe primes (p = 2q+1) of 2048 bits take minutes to find
// with math/big, so the group is a FIPS 186-4 appendix A.1.1.2 / A.2.1 one,
// made by crypto/dsa: p with a prime q dividing p-1 (160 bits for a 1024-bit
// p, 256 for 2048 and 3072) and g of order q. PKCS #3 asks only for a prime p
// and a base g; a generator of a prime-order subgroup is one (the private
// value drawn by generateDH is then reduced mod q by the exponentiation,
// which costs nothing in security). q is not kept: a PKCS #3 domain has no
// place for it. CKA_PRIME_BITS other than 1024, 2048 or 3072 is
// CKR_KEY_SIZE_RANGE outside 1024..3072 and CKR_ATTRIBUTE_VALUE_INVALID
// inside (as an AES key of 20 bytes).
func generateDHParameters(rnd io.Reader, t Attrs) ([]ck.Attribute, error) {
	if _, err := checkTemplateKind(t, ck.CKO_DOMAIN_PARAMETERS, ck.CKK_DH); err != nil {
		return nil, err
	}
	bits, err := primeBits(t, dhParamGenMinBits, dhParamGenMaxBits)
	if err != nil {
		return nil, err
	}
	sizes, ok := dhParamGenSizes[bits]
	if !ok {
		return nil, fmt.Errorf("mech: DH groups of %d bits are not generated (1024, 2048 or 3072): %w", bits, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	params, err := fipsGroup(rnd, sizes)
	if err != nil {
		return nil, err
	}
	return []ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_DH)),
		{Type: ck.CKA_PRIME, Value: params.P.Bytes()},
		{Type: ck.CKA_BASE, Value: params.G.Bytes()},
		ulongAttr(ck.CKA_PRIME_BITS, ck.ULong(params.P.BitLen())),
	}, nil
}

// primeBits reads the required CKA_PRIME_BITS of a parameter generation
// template: missing is CKR_TEMPLATE_INCOMPLETE (as SoftHSMv2), outside
// min..max (the mechanism's reported sizes) CKR_KEY_SIZE_RANGE.
func primeBits(t Attrs, min, max int) (int, error) {
	v, ok, err := attrULong(t, ck.CKA_PRIME_BITS)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, fmt.Errorf("mech: missing CKA_PRIME_BITS: %w", ck.CKR_TEMPLATE_INCOMPLETE)
	}
	if v < ck.ULong(min) || v > ck.ULong(max) {
		return 0, fmt.Errorf("mech: CKA_PRIME_BITS %d outside %d..%d: %w", v, min, max, ck.CKR_KEY_SIZE_RANGE)
	}
	return int(v), nil
}

// fipsGroup generates FIPS 186-4 domain parameters with crypto/dsa (random
// primes, the probabilistic method of appendix A.1.1.2, and g by appendix
// A.2.1) from rnd.
func fipsGroup(rnd io.Reader, sizes dsa.ParameterSizes) (*dsa.Parameters, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var params dsa.Parameters
	if err := dsa.GenerateParameters(&params, rnd, sizes); err != nil {
		return nil, fmt.Errorf("mech: domain parameter generation: %w", ck.CKR_FUNCTION_FAILED)
	}
	return &params, nil
}

// dhDomainImportAttrs is ImportAttrs for a CKK_DH domain parameter object
// ("Diffie-Hellman domain parameter objects"): CKA_PRIME and CKA_BASE are
// checked as for a key and CKA_PRIME_BITS computed.
func dhDomainImportAttrs(a Attrs) ([]ck.Attribute, error) {
	p, _, err := dhDomain(a, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	if err != nil {
		return nil, err
	}
	return []ck.Attribute{ulongAttr(ck.CKA_PRIME_BITS, ck.ULong(p.BitLen()))}, nil
}

// deriveDH is CKM_DH_PKCS_DERIVE ("PKCS #3 Diffie-Hellman key derivation";
// PKCS #3 section 8, "phase II"): the parameter is the other party's public
// value y' as a big-endian byte string; z = y'^x mod p, as the octet string
// of the byte length of p (PKCS #3 section 8.3: leading zeros kept, as
// SoftHSMv2 also pads OpenSSL's result). The public value must satisfy 1 < y'
// < p-1 (SP 800-56A rev. 3 section 5.6.2.3.1; without q the full check y'^q =
// 1 is impossible) and z must not be 1 (section 5.7.1.1); either failure is
// CKR_MECHANISM_PARAM_INVALID. The mechanism's truncation to CKA_VALUE_LEN
// removes bytes from the leading end, as for CKM_ECDH1_DERIVE with CKD_NULL.
func deriveDH(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	peer, ok := param.([]byte)
	if !ok || len(peer) == 0 {
		return nil, errParam("CKM_DH_PKCS_DERIVE needs the other party's public value")
	}
	if err := checkKeyLen(keyLen); err != nil {
		return nil, err
	}
	if base == nil || base.Class != ck.CKO_PRIVATE_KEY || base.Type != ck.CKK_DH {
		return nil, fmt.Errorf("mech: DH derivation needs a DH private key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	priv, ok := base.Private.(*dhPrivateKey)
	if !ok || priv == nil {
		return nil, fmt.Errorf("mech: not a DH private key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	z, err := dhSharedSecret(priv, peer)
	if err != nil {
		return nil, err
	}
	defer clear(z)
	return trailing(z, keyLen)
}

// dhSharedSecret is z = y'^x mod p as an octet string of p's byte length.
func dhSharedSecret(priv *dhPrivateKey, peer []byte) ([]byte, error) {
	y := new(big.Int).SetBytes(peer)
	if !inOpenRange(y, priv.P) {
		return nil, errParam("the public value is not in 1 < y < p-1")
	}
	z := new(big.Int).Exp(y, priv.X, priv.P)
	defer zeroBig(z)
	if z.Cmp(big.NewInt(1)) == 0 {
		return nil, errParam("the shared secret is 1 (a public value of small order)")
	}
	return z.FillBytes(make([]byte, (priv.P.BitLen()+7)/8)), nil
}

package mech

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // the reference for the legacy DSA mechanisms.
	"crypto/rand"
	"math/big"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// The PKCS #3 Diffie-Hellman rows (dh.go): known answers of RFC 5114
// section 3, key generation checked with math/big directly, the
// derivation's ranges, padding and truncation, and every refusal with its
// code. The OpenSSL cross-checks are in dh_openssl_test.go.

func init() {
	legacyConformance[ck.CKM_DH_PKCS_KEY_PAIR_GEN] = conformDHKeyPairGen
	legacyConformance[ck.CKM_DH_PKCS_DERIVE] = conformDHDerive
	legacyConformance[ck.CKM_DH_PKCS_PARAMETER_GEN] = conformDHParamGen
	legacyConformance[ck.CKM_DSA_PARAMETER_GEN] = conformDSAParamGen
}

// ffdhe2048P is the prime of RFC 7919 appendix A.1 (ffdhe2048, g = 2).
const ffdhe2048P = "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa886b423861285c97ffffffffffffffff"

func ffdhe2048() attrMap {
	return attrMap{ck.CKA_PRIME: unhex(ffdhe2048P), ck.CKA_BASE: {2}}
}

// rfc5114 is one group of RFC 5114 with its section 3 test data.
type rfc5114 struct {
	name                string
	p, g, q             []byte
	xA, yA, xB, yB, z   []byte
	domain              attrMap // CKA_PRIME, CKA_BASE
	privA, privB        *Key
	pubAAttrs, pubBAttr attrMap
}

var rfc5114Groups = sync.OnceValue(func() []rfc5114 {
	t := &testing.T{}
	var out []rfc5114
	for _, r := range readVectors(t, "rfc5114_dh.txt", "P") {
		g := rfc5114{
			name: r.header["Group"],
			p:    r.hex(t, "P", 0), g: r.hex(t, "G", 0), q: r.hex(t, "Q", 0),
			xA: r.hex(t, "xA", 0), yA: r.hex(t, "yA", 0),
			xB: r.hex(t, "xB", 0), yB: r.hex(t, "yB", 0), z: r.hex(t, "Z", 0),
		}
		g.domain = attrMap{ck.CKA_PRIME: g.p, ck.CKA_BASE: g.g}
		var err error
		if g.privA, err = KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, withAttrs(g.domain, ck.CKA_VALUE, g.xA)); err != nil {
			panic(err)
		}
		if g.privB, err = KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, withAttrs(g.domain, ck.CKA_VALUE, g.xB)); err != nil {
			panic(err)
		}
		out = append(out, g)
	}
	if len(out) != 3 {
		panic("rfc5114_dh.txt: want three groups")
	}
	return out
})

func dhRow(t *testing.T, typ ck.MechanismType) *Spec {
	t.Helper()
	return legacyRow(t, typ)
}

// TestDHKnownAnswers: RFC 5114 section 3, both parties: the public values
// kagi derives from the private ones, and Z each way through
// CKM_DH_PKCS_DERIVE, byte for byte.
func TestDHKnownAnswers(t *testing.T) {
	s := dhRow(t, ck.CKM_DH_PKCS_DERIVE)
	for _, g := range rfc5114Groups() {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range []struct {
				priv        *Key
				ownY, peerY []byte
			}{{g.privA, g.yA, g.yB}, {g.privB, g.yB, g.yA}} {
				if y := c.priv.Public.(*dhPublicKey).Y.Bytes(); !bytes.Equal(y, c.ownY) {
					t.Fatalf("public value %x, want %x", y, c.ownY)
				}
				z, err := s.Derive(c.priv, c.peerY, 0, noOther)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(z, g.z) {
					t.Fatalf("Z %x, want %x", z, g.z)
				}
				// CKA_VALUE_LEN keeps the trailing bytes.
				z16, err := s.Derive(c.priv, c.peerY, 16, noOther)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(z16, g.z[len(g.z)-16:]) {
					t.Fatalf("Z truncated to 16: %x, want %x", z16, g.z[len(g.z)-16:])
				}
			}
		})
	}
}

func conformDHDerive(t *testing.T, s *Spec) {
	g := rfc5114Groups()[0]
	p := new(big.Int).SetBytes(g.p)
	k := len(g.p)

	// Lengths: the whole of Z (the byte length of p), any shorter length,
	// and nothing longer.
	z, err := s.Derive(g.privA, g.yB, k, noOther)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(z, g.z) {
		t.Fatal("Z at its full length differs")
	}
	_, err = s.Derive(g.privA, g.yB, k+1, noOther)
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	_, err = s.Derive(g.privA, g.yB, -1, noOther)
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)

	// The parameter: the peer's public value as bytes, 1 < y < p-1.
	pm1 := new(big.Int).Sub(p, big.NewInt(1))
	for name, param := range map[string]any{
		"nil":             nil,
		"empty":           []byte{},
		"a structure":     ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: g.yB},
		"y = 0":           []byte{0},
		"y = 1":           []byte{1},
		"y = 1, padded":   append(make([]byte, k-1), 1),
		"y = p-1":         pm1.Bytes(),
		"y = p":           g.p,
		"y = p+1":         new(big.Int).Add(p, big.NewInt(1)).Bytes(),
		"y longer than p": append([]byte{1}, g.yB...),
	} {
		_, err := s.Derive(g.privA, param, 0, noOther)
		if ck.ErrorRV(err) != ck.CKR_MECHANISM_PARAM_INVALID {
			t.Errorf("%s: %v, want CKR_MECHANISM_PARAM_INVALID", name, err)
		}
	}
	// A public value whose order divides x gives z = 1 (SP 800-56A section
	// 5.7.1.1): x = q and y = g, of order q.
	xq, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, withAttrs(g.domain, ck.CKA_VALUE, g.q))
	wantRV(t, err, ck.CKR_OK)
	_, err = s.Derive(xq, g.g, 0, noOther)
	wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	// A leading zero byte padded: y = g^e for the e making z = g^(xA·e)
	// start with a zero byte, found by search and computed independently.
	xA := new(big.Int).SetBytes(g.xA)
	gen := new(big.Int).SetBytes(g.g)
	for e := int64(2); ; e++ {
		y := new(big.Int).Exp(gen, big.NewInt(e), p)
		want := new(big.Int).Exp(y, xA, p)
		if want.BitLen() > 8*(k-1) {
			continue
		}
		z, err := s.Derive(g.privA, y.Bytes(), 0, noOther)
		wantRV(t, err, ck.CKR_OK)
		if len(z) != k || z[0] != 0 || new(big.Int).SetBytes(z).Cmp(want) != 0 {
			t.Fatalf("z with a leading zero: %x, want %d bytes of %x", z, k, want)
		}
		break
	}

	// Base keys: only a DH private key.
	pubA, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_DH, withAttrs(g.domain, ck.CKA_VALUE, g.yA))
	wantRV(t, err, ck.CKR_OK)
	for name, base := range map[string]*Key{
		"nil":               nil,
		"a DH public key":   pubA,
		"a DSA private key": dsaPairs()[0].priv,
		"a secret key":      secretKey(t, ck.CKK_GENERIC_SECRET, randBytes(32)),
		"an EC private key": fixtureOf(t, "EC-P-256").priv,
	} {
		_, err := s.Derive(base, g.yB, 0, noOther)
		if ck.ErrorRV(err) != ck.CKR_KEY_TYPE_INCONSISTENT {
			t.Errorf("%s: %v, want CKR_KEY_TYPE_INCONSISTENT", name, err)
		}
	}
}

// dhPairFrom generates a DH key pair and builds both keys as token does.
func dhPairFrom(t *testing.T, s *Spec, pubT, privT attrMap) (pub, priv *Key, pm, km attrMap) {
	t.Helper()
	pa, ka, err := s.GenerateKeyPair(rand.Reader, pubT, privT)
	wantRV(t, err, ck.CKR_OK)
	pm, km = attrsToMap(pa), attrsToMap(ka)
	pub, err = KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_DH, pm)
	wantRV(t, err, ck.CKR_OK)
	priv, err = KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, km)
	wantRV(t, err, ck.CKR_OK)
	return pub, priv, pm, km
}

func conformDHKeyPairGen(t *testing.T, s *Spec) {
	derive := dhRow(t, ck.CKM_DH_PKCS_DERIVE)
	domains := map[string]attrMap{"ffdhe2048": ffdhe2048()}
	for _, g := range rfc5114Groups() {
		domains["rfc5114 "+g.name] = g.domain
	}
	for name, d := range domains {
		t.Run(name, func(t *testing.T) {
			p := new(big.Int).SetBytes(d[ck.CKA_PRIME])
			gen := new(big.Int).SetBytes(d[ck.CKA_BASE])
			var peers []*Key
			for _, l := range []int{0, 160, 256, p.BitLen() - 1} {
				var privT attrMap
				if l > 0 {
					privT = attrMap{ck.CKA_VALUE_BITS: ck.ULongBytes(ck.ULong(l))}
				}
				pub, priv, pm, km := dhPairFrom(t, s, d, privT)
				for _, m := range []attrMap{pm, km} {
					if kt, _ := ck.BytesULong(m[ck.CKA_KEY_TYPE]); ck.KeyType(kt) != ck.CKK_DH {
						t.Fatalf("CKA_KEY_TYPE %#x", kt)
					}
					if !bytes.Equal(m[ck.CKA_PRIME], p.Bytes()) || !bytes.Equal(m[ck.CKA_BASE], gen.Bytes()) {
						t.Fatal("the domain is not the template's")
					}
				}
				// y = g^x mod p, computed here; x in range and of the
				// length asked for, and CKA_VALUE_BITS its length.
				x := new(big.Int).SetBytes(km[ck.CKA_VALUE])
				y := new(big.Int).SetBytes(pm[ck.CKA_VALUE])
				if new(big.Int).Exp(gen, x, p).Cmp(y) != 0 {
					t.Fatal("y is not g^x mod p")
				}
				if x.Cmp(big.NewInt(1)) <= 0 || x.Cmp(new(big.Int).Sub(p, big.NewInt(1))) >= 0 {
					t.Fatal("x out of range")
				}
				if l > 0 && x.BitLen() != l {
					t.Fatalf("x of %d bits, CKA_VALUE_BITS asked %d", x.BitLen(), l)
				}
				if vb, _ := ck.BytesULong(km[ck.CKA_VALUE_BITS]); int(vb) != x.BitLen() {
					t.Fatalf("CKA_VALUE_BITS %d, x has %d bits", vb, x.BitLen())
				}
				if _, ok := pm[ck.CKA_VALUE_BITS]; ok {
					t.Fatal("the public key has CKA_VALUE_BITS")
				}
				if !bytes.Equal(pm[ck.CKA_PUBLIC_KEY_INFO], km[ck.CKA_PUBLIC_KEY_INFO]) {
					t.Fatal("public key info differs between the keys")
				}
				// Import computes what generation did.
				for _, c := range []struct {
					class ck.ObjectClass
					m     attrMap
				}{{ck.CKO_PUBLIC_KEY, pm}, {ck.CKO_PRIVATE_KEY, km}} {
					imp, err := ImportAttrs(c.class, ck.CKK_DH, c.m)
					wantRV(t, err, ck.CKR_OK)
					for _, a := range imp {
						if !bytes.Equal(c.m[a.Type], a.Value) {
							t.Errorf("attribute %#x: generated %x, import computes %x", a.Type, c.m[a.Type], a.Value)
						}
					}
				}
				// Pairwise: each earlier key agrees with this one.
				for _, other := range peers {
					z1, err := derive.Derive(priv, other.Public.(*dhPublicKey).Y.Bytes(), 0, noOther)
					wantRV(t, err, ck.CKR_OK)
					z2, err := derive.Derive(other, y.Bytes(), 0, noOther)
					wantRV(t, err, ck.CKR_OK)
					if !bytes.Equal(z1, z2) || len(z1) != len(d[ck.CKA_PRIME]) {
						t.Fatal("the two parties' secrets differ")
					}
				}
				peers = append(peers, priv)
				_ = pub
			}
		})
	}

	d := rfc5114Groups()[0].domain
	p := new(big.Int).SetBytes(d[ck.CKA_PRIME])
	_, _, err := s.GenerateKeyPair(rand.Reader, nil, nil)
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	_, _, err = s.GenerateKeyPair(rand.Reader, attrMap{ck.CKA_BASE: {2}}, nil)
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	_, _, err = s.GenerateKeyPair(rand.Reader, attrMap{ck.CKA_PRIME: d[ck.CKA_PRIME]}, nil)
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	_, _, err = s.GenerateKeyPair(rand.Reader, withAttrs(d, ck.CKA_KEY_TYPE, ck.ULongBytes(ck.ULong(ck.CKK_DSA))), nil)
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	_, _, err = s.GenerateKeyPair(rand.Reader, d, attrMap{ck.CKA_CLASS: ck.ULongBytes(ck.ULong(ck.CKO_PUBLIC_KEY))})
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	for name, bad := range map[string]attrMap{
		"p even":          withAttrs(d, ck.CKA_PRIME, new(big.Int).Sub(p, big.NewInt(1)).Bytes()),
		"p of 511 bits":   withAttrs(d, ck.CKA_PRIME, new(big.Int).Rsh(p, 513).Bytes()),
		"p of 10001 bits": withAttrs(d, ck.CKA_PRIME, new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 10000), big.NewInt(1)).Bytes()),
		"g = 0":           withAttrs(d, ck.CKA_BASE, []byte{0}),
		"g = 1":           withAttrs(d, ck.CKA_BASE, []byte{1}),
		"g = p-1":         withAttrs(d, ck.CKA_BASE, new(big.Int).Sub(p, big.NewInt(1)).Bytes()),
		"g = p":           withAttrs(d, ck.CKA_BASE, d[ck.CKA_PRIME]),
		"no prime, empty": withAttrs(d, ck.CKA_PRIME, []byte{}),
	} {
		_, _, err := s.GenerateKeyPair(rand.Reader, bad, nil)
		if ck.ErrorRV(err) != ck.CKR_DOMAIN_PARAMS_INVALID {
			t.Errorf("%s: %v, want CKR_DOMAIN_PARAMS_INVALID", name, err)
		}
	}
	for name, v := range map[string][]byte{
		"159 bits":           ck.ULongBytes(159),
		"the prime's length": ck.ULongBytes(ck.ULong(p.BitLen())),
		"not a CK_ULONG":     {1, 2, 3},
	} {
		_, _, err := s.GenerateKeyPair(rand.Reader, d, attrMap{ck.CKA_VALUE_BITS: v})
		if ck.ErrorRV(err) != ck.CKR_ATTRIBUTE_VALUE_INVALID {
			t.Errorf("CKA_VALUE_BITS %s: %v, want CKR_ATTRIBUTE_VALUE_INVALID", name, err)
		}
	}
	_, _, err = s.GenerateKeyPair(failReader{}, d, nil)
	wantRV(t, err, ck.CKR_FUNCTION_FAILED)
}

// TestDHKeyImport: the components of DH keys given to C_CreateObject and
// their ranges.
func TestDHKeyImport(t *testing.T) {
	g := rfc5114Groups()[1]
	p := new(big.Int).SetBytes(g.p)
	pm1 := new(big.Int).Sub(p, big.NewInt(1)).Bytes()
	priv := withAttrs(g.domain, ck.CKA_VALUE, g.xA)
	pub := withAttrs(g.domain, ck.CKA_VALUE, g.yA)
	imp, err := ImportAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, priv)
	wantRV(t, err, ck.CKR_OK)
	got := attrsToMap(imp)
	if vb, _ := ck.BytesULong(got[ck.CKA_VALUE_BITS]); int(vb) != new(big.Int).SetBytes(g.xA).BitLen() {
		t.Fatalf("CKA_VALUE_BITS %d", vb)
	}
	pubImp, err := ImportAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_DH, pub)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(attrsToMap(pubImp)[ck.CKA_PUBLIC_KEY_INFO], got[ck.CKA_PUBLIC_KEY_INFO]) {
		t.Fatal("the private key's CKA_PUBLIC_KEY_INFO is not its public key's")
	}
	xBits := ck.ULong(new(big.Int).SetBytes(g.xA).BitLen())
	_, err = ImportAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, withAttrs(priv, ck.CKA_VALUE_BITS, ck.ULongBytes(xBits)))
	wantRV(t, err, ck.CKR_OK)
	for name, c := range map[string]struct {
		class ck.ObjectClass
		a     attrMap
		rv    ck.RV
	}{
		"private without CKA_VALUE": {ck.CKO_PRIVATE_KEY, g.domain, ck.CKR_TEMPLATE_INCOMPLETE},
		"private without CKA_BASE":  {ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_PRIME: g.p, ck.CKA_VALUE: g.xA}, ck.CKR_TEMPLATE_INCOMPLETE},
		"private x = 1":             {ck.CKO_PRIVATE_KEY, withAttrs(priv, ck.CKA_VALUE, []byte{1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"private x = p-1":           {ck.CKO_PRIVATE_KEY, withAttrs(priv, ck.CKA_VALUE, pm1), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"private wrong VALUE_BITS":  {ck.CKO_PRIVATE_KEY, withAttrs(priv, ck.CKA_VALUE_BITS, ck.ULongBytes(xBits+1)), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"private g = 1":             {ck.CKO_PRIVATE_KEY, withAttrs(priv, ck.CKA_BASE, []byte{1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"public y = 1":              {ck.CKO_PUBLIC_KEY, withAttrs(pub, ck.CKA_VALUE, []byte{1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"public y = p":              {ck.CKO_PUBLIC_KEY, withAttrs(pub, ck.CKA_VALUE, g.p), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"public p even":             {ck.CKO_PUBLIC_KEY, withAttrs(pub, ck.CKA_PRIME, pm1), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"public without CKA_VALUE":  {ck.CKO_PUBLIC_KEY, g.domain, ck.CKR_TEMPLATE_INCOMPLETE},
		"a secret key":              {ck.CKO_SECRET_KEY, priv, ck.CKR_ATTRIBUTE_VALUE_INVALID},
	} {
		_, err := ImportAttrs(c.class, ck.CKK_DH, c.a)
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", name, err, c.rv)
		}
	}
	// A DH key zeroes its private value.
	k, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, priv)
	wantRV(t, err, ck.CKR_OK)
	x := k.Private.(*dhPrivateKey).X
	k.Zero()
	if x.Sign() != 0 || k.Private != nil {
		t.Fatal("Zero left the private value")
	}
	_, err = KeyFromAttrs(ck.CKO_SECRET_KEY, ck.CKK_DH, priv)
	wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
}

// checkFIPSGroup checks generated domain parameters independently of
// crypto/dsa: p and q prime of the sizes asked for, q | p-1, 1 < g < p and
// g^q = 1 mod p.
func checkFIPSGroup(t *testing.T, p, q, g *big.Int, l, n int) {
	t.Helper()
	if p.BitLen() != l || q.BitLen() != n {
		t.Fatalf("p of %d bits, q of %d; want %d, %d", p.BitLen(), q.BitLen(), l, n)
	}
	if !p.ProbablyPrime(32) || !q.ProbablyPrime(32) {
		t.Fatal("p or q is not prime")
	}
	if new(big.Int).Mod(new(big.Int).Sub(p, big.NewInt(1)), q).Sign() != 0 {
		t.Fatal("q does not divide p-1")
	}
	if g.Cmp(big.NewInt(1)) <= 0 || g.Cmp(p) >= 0 || new(big.Int).Exp(g, q, p).Cmp(big.NewInt(1)) != 0 {
		t.Fatal("g is not of order q")
	}
}

// paramGenErrors are the template refusals both parameter generations share.
func paramGenErrors(t *testing.T, s *Spec, kt ck.KeyType) {
	t.Helper()
	for name, c := range map[string]struct {
		tmpl attrMap
		rv   ck.RV
	}{
		"no CKA_PRIME_BITS":      {attrMap{}, ck.CKR_TEMPLATE_INCOMPLETE},
		"CKA_PRIME_BITS 512":     {attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(512)}, ck.CKR_KEY_SIZE_RANGE},
		"CKA_PRIME_BITS 4096":    {attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(4096)}, ck.CKR_KEY_SIZE_RANGE},
		"CKA_PRIME_BITS 1536":    {attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1536)}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"CKA_PRIME_BITS 2047":    {attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(2047)}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"CKA_PRIME_BITS 4 bytes": {attrMap{ck.CKA_PRIME_BITS: {0, 4, 0, 0}}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"a secret key's class": {attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1024),
			ck.CKA_CLASS: ck.ULongBytes(ck.ULong(ck.CKO_SECRET_KEY))}, ck.CKR_TEMPLATE_INCONSISTENT},
		"another key type": {attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1024),
			ck.CKA_KEY_TYPE: ck.ULongBytes(ck.ULong(ck.CKK_RSA))}, ck.CKR_TEMPLATE_INCONSISTENT},
	} {
		if _, err := s.GenerateKey(rand.Reader, c.tmpl); ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", name, err, c.rv)
		}
	}
	if _, err := s.GenerateKey(rand.Reader, nil); ck.ErrorRV(err) != ck.CKR_TEMPLATE_INCOMPLETE {
		t.Errorf("nil template: %v", err)
	}
	_, err := s.GenerateKey(failReader{}, attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1024)})
	wantRV(t, err, ck.CKR_FUNCTION_FAILED)
	if _, err := s.GenerateKey(rand.Reader, attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1024),
		ck.CKA_KEY_TYPE: ck.ULongBytes(ck.ULong(kt)), ck.CKA_CLASS: ck.ULongBytes(ck.ULong(ck.CKO_DOMAIN_PARAMETERS))}); err != nil {
		t.Errorf("a template naming the class and key type: %v", err)
	}
}

// conformDHParamGen: a 1024-bit group, a valid FIPS 186-4 group (checked
// here) whose keys agree, and the refusals.
func conformDHParamGen(t *testing.T, s *Spec) {
	out, err := s.GenerateKey(rand.Reader, attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1024)})
	wantRV(t, err, ck.CKR_OK)
	m := attrsToMap(out)
	if kt, _ := ck.BytesULong(m[ck.CKA_KEY_TYPE]); ck.KeyType(kt) != ck.CKK_DH {
		t.Fatalf("CKA_KEY_TYPE %#x", kt)
	}
	if pb, _ := ck.BytesULong(m[ck.CKA_PRIME_BITS]); pb != 1024 {
		t.Fatalf("CKA_PRIME_BITS %d", pb)
	}
	if _, ok := m[ck.CKA_SUBPRIME]; ok {
		t.Fatal("a PKCS #3 domain with a subprime")
	}
	p, g := new(big.Int).SetBytes(m[ck.CKA_PRIME]), new(big.Int).SetBytes(m[ck.CKA_BASE])
	// q is not kept (a PKCS #3 domain has no place for it), so the group
	// is checked for what it must be: p prime, 1 < g < p-1, and g of odd
	// order (a quadratic residue, g^((p-1)/2) = 1), as a generator of the
	// order-q subgroup of FIPS 186-4 is; then two key pairs agree.
	if !p.ProbablyPrime(32) || !inOpenRange(g, p) {
		t.Fatal("not a PKCS #3 group")
	}
	half := new(big.Int).Rsh(new(big.Int).Sub(p, big.NewInt(1)), 1)
	if new(big.Int).Exp(g, half, p).Cmp(big.NewInt(1)) != 0 {
		t.Fatal("g is not in the subgroup of quadratic residues")
	}
	imp, err := ImportAttrs(ck.CKO_DOMAIN_PARAMETERS, ck.CKK_DH, m)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(attrsToMap(imp)[ck.CKA_PRIME_BITS], m[ck.CKA_PRIME_BITS]) {
		t.Fatal("import computes another CKA_PRIME_BITS")
	}
	gen := dhRow(t, ck.CKM_DH_PKCS_KEY_PAIR_GEN)
	domain := attrMap{ck.CKA_PRIME: m[ck.CKA_PRIME], ck.CKA_BASE: m[ck.CKA_BASE]}
	_, a, _, _ := dhPairFrom(t, gen, domain, nil)
	_, b, _, _ := dhPairFrom(t, gen, domain, nil)
	derive := dhRow(t, ck.CKM_DH_PKCS_DERIVE)
	z1, err := derive.Derive(a, b.Public.(*dhPublicKey).Y.Bytes(), 0, noOther)
	wantRV(t, err, ck.CKR_OK)
	z2, err := derive.Derive(b, a.Public.(*dhPublicKey).Y.Bytes(), 0, noOther)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(z1, z2) {
		t.Fatal("keys of the generated group disagree")
	}
	paramGenErrors(t, s, ck.CKK_DH)
}

// conformDSAParamGen: a 1024/160 domain, a valid FIPS 186-4 group (checked
// here) that CKM_DSA_KEY_PAIR_GEN takes and whose signatures crypto/dsa
// verifies, and the refusals. TestDSAParameterGen2048 makes one 2048-bit
// domain.
func conformDSAParamGen(t *testing.T, s *Spec) {
	out, err := s.GenerateKey(rand.Reader, attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1024)})
	wantRV(t, err, ck.CKR_OK)
	checkDSADomain(t, attrsToMap(out), 1024, 160)
	for name, c := range map[string]attrMap{
		"CKA_SUBPRIME_BITS 224 with 1024": {ck.CKA_PRIME_BITS: ck.ULongBytes(1024), ck.CKA_SUBPRIME_BITS: ck.ULongBytes(224)},
		"CKA_SUBPRIME_BITS 160 with 2048": {ck.CKA_PRIME_BITS: ck.ULongBytes(2048), ck.CKA_SUBPRIME_BITS: ck.ULongBytes(160)},
		"CKA_SUBPRIME_BITS 224 with 3072": {ck.CKA_PRIME_BITS: ck.ULongBytes(3072), ck.CKA_SUBPRIME_BITS: ck.ULongBytes(224)},
	} {
		if _, err := s.GenerateKey(rand.Reader, c); ck.ErrorRV(err) != ck.CKR_TEMPLATE_INCONSISTENT {
			t.Errorf("%s: %v, want CKR_TEMPLATE_INCONSISTENT", name, err)
		}
	}
	_, err = s.GenerateKey(rand.Reader, attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1024), ck.CKA_SUBPRIME_BITS: {1}})
	wantRV(t, err, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	paramGenErrors(t, s, ck.CKK_DSA)
}

// checkDSADomain checks a generated DSA domain parameter object: its
// attributes, the group, a key pair from it and a signature crypto/dsa
// verifies.
func checkDSADomain(t *testing.T, m attrMap, l, n int) {
	t.Helper()
	if kt, _ := ck.BytesULong(m[ck.CKA_KEY_TYPE]); ck.KeyType(kt) != ck.CKK_DSA {
		t.Fatalf("CKA_KEY_TYPE %#x", kt)
	}
	pb, _ := ck.BytesULong(m[ck.CKA_PRIME_BITS])
	qb, _ := ck.BytesULong(m[ck.CKA_SUBPRIME_BITS])
	if int(pb) != l || int(qb) != n {
		t.Fatalf("CKA_PRIME_BITS %d, CKA_SUBPRIME_BITS %d; want %d, %d", pb, qb, l, n)
	}
	p, q, g := new(big.Int).SetBytes(m[ck.CKA_PRIME]), new(big.Int).SetBytes(m[ck.CKA_SUBPRIME]), new(big.Int).SetBytes(m[ck.CKA_BASE])
	checkFIPSGroup(t, p, q, g, l, n)
	imp, err := ImportAttrs(ck.CKO_DOMAIN_PARAMETERS, ck.CKK_DSA, m)
	wantRV(t, err, ck.CKR_OK)
	for _, a := range imp {
		if !bytes.Equal(m[a.Type], a.Value) {
			t.Errorf("attribute %#x: generated %x, import computes %x", a.Type, m[a.Type], a.Value)
		}
	}
	domain := attrMap{ck.CKA_PRIME: m[ck.CKA_PRIME], ck.CKA_SUBPRIME: m[ck.CKA_SUBPRIME], ck.CKA_BASE: m[ck.CKA_BASE]}
	pubA, privA, err := generateDSA(rand.Reader, domain, nil)
	wantRV(t, err, ck.CKR_OK)
	pub, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_DSA, attrsToMap(pubA))
	wantRV(t, err, ck.CKR_OK)
	priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DSA, attrsToMap(privA))
	wantRV(t, err, ck.CKR_OK)
	op, err := legacyRow(t, ck.CKM_DSA_SHA256).Sign(priv, nil)
	wantRV(t, err, ck.CKR_OK)
	msg := []byte("signed over a generated domain")
	sig, err := op.Sign(msg)
	wantRV(t, err, ck.CKR_OK)
	refDSAVerify(t, pub.Public.(*dsa.PublicKey), crypto.SHA256, msg, sig)
}

// TestDSAParameterGen2048: one 2048/224 domain (the slow size), in parallel
// with the other tests.
func TestDSAParameterGen2048(t *testing.T) {
	if testing.Short() {
		t.Skip("2048-bit domain generation takes seconds")
	}
	t.Parallel()
	s := legacyRow(t, ck.CKM_DSA_PARAMETER_GEN)
	out, err := s.GenerateKey(rand.Reader, attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(2048), ck.CKA_SUBPRIME_BITS: ck.ULongBytes(224)})
	wantRV(t, err, ck.CKR_OK)
	m := attrsToMap(out)
	checkDSADomain(t, m, 2048, 224)
	checkDSAParamOpenSSL(t, m)
}

// TestDomainParameterImport: C_CreateObject's checks of domain parameter
// objects and the lengths it computes.
func TestDomainParameterImport(t *testing.T) {
	d := dsaDomains()[1] // L = 2048, N = 224
	got, err := ImportAttrs(ck.CKO_DOMAIN_PARAMETERS, ck.CKK_DSA, d)
	wantRV(t, err, ck.CKR_OK)
	m := attrsToMap(got)
	if pb, _ := ck.BytesULong(m[ck.CKA_PRIME_BITS]); pb != 2048 {
		t.Errorf("DSA CKA_PRIME_BITS %d", pb)
	}
	if qb, _ := ck.BytesULong(m[ck.CKA_SUBPRIME_BITS]); qb != 224 {
		t.Errorf("DSA CKA_SUBPRIME_BITS %d", qb)
	}
	g := rfc5114Groups()[0]
	got, err = ImportAttrs(ck.CKO_DOMAIN_PARAMETERS, ck.CKK_DH, g.domain)
	wantRV(t, err, ck.CKR_OK)
	if pb, _ := ck.BytesULong(attrsToMap(got)[ck.CKA_PRIME_BITS]); pb != 1024 {
		t.Errorf("DH CKA_PRIME_BITS %d", pb)
	}
	for name, c := range map[string]struct {
		kt ck.KeyType
		a  attrMap
		rv ck.RV
	}{
		"DSA without CKA_SUBPRIME": {ck.CKK_DSA, attrMap{ck.CKA_PRIME: d[ck.CKA_PRIME], ck.CKA_BASE: d[ck.CKA_BASE]}, ck.CKR_TEMPLATE_INCOMPLETE},
		"DSA q of 128 bits":        {ck.CKK_DSA, withAttrs(d, ck.CKA_SUBPRIME, d[ck.CKA_SUBPRIME][:16]), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"DSA g = 1":                {ck.CKK_DSA, withAttrs(d, ck.CKA_BASE, []byte{1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"DH without CKA_BASE":      {ck.CKK_DH, attrMap{ck.CKA_PRIME: g.p}, ck.CKR_TEMPLATE_INCOMPLETE},
		"DH p of 256 bits":         {ck.CKK_DH, withAttrs(g.domain, ck.CKA_PRIME, g.p[:32]), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"DH g = 1":                 {ck.CKK_DH, withAttrs(g.domain, ck.CKA_BASE, []byte{1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"EC domain parameters":     {ck.CKK_EC, attrMap{ck.CKA_EC_PARAMS: oidX25519}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
	} {
		if _, err := ImportAttrs(ck.CKO_DOMAIN_PARAMETERS, c.kt, c.a); ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", name, err, c.rv)
		}
	}
}

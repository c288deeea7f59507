package mech

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"os"
	"path/filepath"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestRSAOpenSSLSignature: RSASSA-PKCS1-v1_5 is deterministic, so
// CKM_SHA256_RSA_PKCS of "abc" under the test key must equal the signature
// OpenSSL made (testdata/README.md); CKM_RSA_PKCS over the SHA-256
// DigestInfo must equal it too.
func TestRSAOpenSSLSignature(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "rsa2048_sha256_abc.sig"))
	if err != nil {
		t.Fatal(err)
	}
	f := fixtureOf(t, "RSA-2048")
	spec, _ := Lookup(ck.CKM_SHA256_RSA_PKCS)
	op, _ := spec.Sign(f.priv, nil)
	got, err := op.Sign([]byte("abc"))
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, want) {
		t.Fatal("signature differs from OpenSSL's")
	}
	// DigestInfo for SHA-256 (RFC 8017 section 9.2 note 1) || SHA-256("abc").
	d := sha256.Sum256([]byte("abc"))
	di := append(unhexT(t, "3031300d060960864801650304020105000420"), d[:]...)
	raw, _ := Lookup(ck.CKM_RSA_PKCS)
	op, _ = raw.Sign(f.priv, nil)
	got, err = op.Sign(di)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, want) {
		t.Fatal("CKM_RSA_PKCS over the DigestInfo differs")
	}
	v, _ := raw.Verify(f.pub, nil)
	wantRV(t, v.Verify(di, want), ck.CKR_OK)
}

// TestRSAGenerateAttributes checks the attributes of a generated pair
// against the key they describe.
func TestRSAGenerateAttributes(t *testing.T) {
	spec, _ := Lookup(ck.CKM_RSA_PKCS_KEY_PAIR_GEN)
	pubA, privA, err := spec.GenerateKeyPair(rand.Reader, attrMap{ck.CKA_MODULUS_BITS: ck.ULongBytes(1024)}, nil)
	wantRV(t, err, ck.CKR_OK)
	pm, km := attrsToMap(pubA), attrsToMap(privA)
	n := new(big.Int).SetBytes(pm[ck.CKA_MODULUS])
	if n.BitLen() != 1024 {
		t.Fatalf("modulus of %d bits", n.BitLen())
	}
	if bits, _ := ck.BytesULong(pm[ck.CKA_MODULUS_BITS]); bits != 1024 {
		t.Errorf("CKA_MODULUS_BITS %d", bits)
	}
	if !bytes.Equal(pm[ck.CKA_PUBLIC_EXPONENT], []byte{1, 0, 1}) {
		t.Errorf("CKA_PUBLIC_EXPONENT %x", pm[ck.CKA_PUBLIC_EXPONENT])
	}
	p, q := new(big.Int).SetBytes(km[ck.CKA_PRIME_1]), new(big.Int).SetBytes(km[ck.CKA_PRIME_2])
	if new(big.Int).Mul(p, q).Cmp(n) != 0 {
		t.Error("p*q != n")
	}
	spki, err := x509.ParsePKIXPublicKey(pm[ck.CKA_PUBLIC_KEY_INFO])
	if err != nil {
		t.Fatal(err)
	}
	if rp := spki.(*rsa.PublicKey); rp.N.Cmp(n) != 0 || rp.E != 65537 {
		t.Error("CKA_PUBLIC_KEY_INFO does not describe the key")
	}
	for _, a := range []ck.AttributeType{ck.CKA_MODULUS, ck.CKA_PUBLIC_EXPONENT, ck.CKA_PRIVATE_EXPONENT,
		ck.CKA_PRIME_1, ck.CKA_PRIME_2, ck.CKA_EXPONENT_1, ck.CKA_EXPONENT_2, ck.CKA_COEFFICIENT, ck.CKA_PUBLIC_KEY_INFO} {
		if len(km[a]) == 0 {
			t.Errorf("private key lacks %s", attrName(a))
		}
	}
}

// TestRSAGenerateTemplates: the exact codes for bad templates.
func TestRSAGenerateTemplates(t *testing.T) {
	spec, _ := Lookup(ck.CKM_RSA_PKCS_KEY_PAIR_GEN)
	withE := func(e []byte) attrMap {
		if e == nil {
			e = []byte{}
		}
		return attrMap{ck.CKA_MODULUS_BITS: ck.ULongBytes(1024), ck.CKA_PUBLIC_EXPONENT: e}
	}
	for _, c := range []struct {
		name string
		pub  attrMap
		rv   ck.RV
	}{
		{"no CKA_MODULUS_BITS", attrMap{ck.CKA_PUBLIC_EXPONENT: {1, 0, 1}}, ck.CKR_TEMPLATE_INCOMPLETE},
		{"CKA_MODULUS_BITS malformed", attrMap{ck.CKA_MODULUS_BITS: {4, 0}}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"512 bits", attrMap{ck.CKA_MODULUS_BITS: ck.ULongBytes(512)}, ck.CKR_KEY_SIZE_RANGE},
		{"1023 bits", attrMap{ck.CKA_MODULUS_BITS: ck.ULongBytes(1023)}, ck.CKR_KEY_SIZE_RANGE},
		{"8200 bits", attrMap{ck.CKA_MODULUS_BITS: ck.ULongBytes(8200)}, ck.CKR_KEY_SIZE_RANGE},
		// An exponent that is no integer, and integers kagi makes no key
		// for (rsaGenExponent); TestRSAGenerateExponents has the good ones.
		{"empty exponent", withE(nil), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"e = 0", withE([]byte{0}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 0 in two bytes", withE([]byte{0, 0}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 1", withE([]byte{1}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 2", withE([]byte{2}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 4", withE([]byte{4}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 65536", withE([]byte{1, 0, 0}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 2^31", withE([]byte{0x80, 0, 0, 0}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 2^31+1", withE([]byte{0x80, 0, 0, 1}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 2^32+1", withE([]byte{1, 0, 0, 0, 1}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 2^64+1", withE([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1}), ck.CKR_TEMPLATE_INCONSISTENT},
		{"e = 2^31+1 after leading zeros", withE([]byte{0, 0, 0, 0x80, 0, 0, 1}), ck.CKR_TEMPLATE_INCONSISTENT},
	} {
		_, _, err := spec.GenerateKeyPair(rand.Reader, c.pub, nil)
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", c.name, err, c.rv)
		}
	}
}

// TestRSAKeyFromAttrs: kagi needs the primes of a private key (Go's RSA has
// no non-CRT path) and checks the components against each other.
func TestRSAKeyFromAttrs(t *testing.T) {
	f := fixtureOf(t, "RSA-2048")
	privA, pubA := rsaAttrs(f.priv.Private.(*rsa.PrivateKey))
	without := func(m attrMap, ts ...ck.AttributeType) attrMap {
		c := attrMap{}
		for k, v := range m {
			c[k] = v
		}
		for _, t := range ts {
			delete(c, t)
		}
		return c
	}
	with := func(m attrMap, t ck.AttributeType, v []byte) attrMap {
		c := without(m)
		c[t] = v
		return c
	}
	other := rsaFixture("other", mustRSA(t))
	otherPriv, _ := rsaAttrs(other.priv.Private.(*rsa.PrivateKey))
	for _, c := range []struct {
		name  string
		class ck.ObjectClass
		a     attrMap
		rv    ck.RV
	}{
		{"complete", ck.CKO_PRIVATE_KEY, privA, ck.CKR_OK},
		{"no CRT values", ck.CKO_PRIVATE_KEY, without(privA, ck.CKA_EXPONENT_1, ck.CKA_EXPONENT_2, ck.CKA_COEFFICIENT), ck.CKR_OK},
		{"no primes", ck.CKO_PRIVATE_KEY, without(privA, ck.CKA_PRIME_1, ck.CKA_PRIME_2), ck.CKR_TEMPLATE_INCOMPLETE},
		{"no public exponent", ck.CKO_PRIVATE_KEY, without(privA, ck.CKA_PUBLIC_EXPONENT), ck.CKR_TEMPLATE_INCOMPLETE},
		{"no private exponent", ck.CKO_PRIVATE_KEY, without(privA, ck.CKA_PRIVATE_EXPONENT), ck.CKR_TEMPLATE_INCOMPLETE},
		{"prime of another key", ck.CKO_PRIVATE_KEY, with(privA, ck.CKA_PRIME_1, otherPriv[ck.CKA_PRIME_1]), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"wrong CRT exponent", ck.CKO_PRIVATE_KEY, with(privA, ck.CKA_EXPONENT_1, []byte{3}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"wrong private exponent", ck.CKO_PRIVATE_KEY, with(privA, ck.CKA_PRIVATE_EXPONENT, otherPriv[ck.CKA_PRIVATE_EXPONENT]), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public", ck.CKO_PUBLIC_KEY, pubA, ck.CKR_OK},
		{"public, no modulus", ck.CKO_PUBLIC_KEY, without(pubA, ck.CKA_MODULUS), ck.CKR_TEMPLATE_INCOMPLETE},
		{"public, even exponent", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_PUBLIC_EXPONENT, []byte{1, 0, 0}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public, exponent 1", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_PUBLIC_EXPONENT, []byte{1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public, exponent > 2^31", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_PUBLIC_EXPONENT, []byte{1, 0, 0, 0, 1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public, exponent 2^31+1", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_PUBLIC_EXPONENT, []byte{0x80, 0, 0, 1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public, exponent 0", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_PUBLIC_EXPONENT, []byte{0}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public, empty exponent", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_PUBLIC_EXPONENT, []byte{}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public, exponent 3", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_PUBLIC_EXPONENT, []byte{3}), ck.CKR_OK},
		{"public, exponent 2^31-1", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_PUBLIC_EXPONENT, []byte{0, 0x7f, 0xff, 0xff, 0xff}), ck.CKR_OK},
		{"public, zero modulus", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_MODULUS, []byte{0, 0}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public, even modulus", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_MODULUS, append(bytes.Clone(pubA[ck.CKA_MODULUS][:255]), 2)), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"public, 512-bit modulus", ck.CKO_PUBLIC_KEY, with(pubA, ck.CKA_MODULUS, append(bytes.Clone(pubA[ck.CKA_MODULUS][:63]), 1)), ck.CKR_KEY_SIZE_RANGE},
	} {
		_, err := KeyFromAttrs(c.class, ck.CKK_RSA, c.a)
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", c.name, err, c.rv)
		}
	}
}

var rsa1024 *rsa.PrivateKey

func mustRSA(t *testing.T) *rsa.PrivateKey {
	if rsa1024 == nil {
		k, err := rsa.GenerateKey(rand.Reader, 1024)
		if err != nil {
			t.Fatal(err)
		}
		rsa1024 = k
	}
	return rsa1024
}

package mech

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestFFCPKCS8: DSA and DH private keys through WrapValue and UnwrapAttrs
// come back with the same attributes; the DER is what RFC 5208 and the
// key types' standards say (crypto/x509 refuses these algorithms, so
// kagi's own code reads them); malformed keys are CKR_WRAPPED_KEY_INVALID
// and a key of another type than the template's CKR_TEMPLATE_INCONSISTENT.
// OpenSSL reads and writes the same forms in dh_openssl_test.go.
func TestFFCPKCS8(t *testing.T) {
	dsaKey := dsaPairs()[0]
	g := rfc5114Groups()[2]
	dhAttrs := withAttrs(g.domain, ck.CKA_VALUE, g.xA)
	dhImp, err := ImportAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, dhAttrs)
	wantRV(t, err, ck.CKR_OK)
	for name, c := range map[string]struct {
		k    *Key
		kt   ck.KeyType
		want attrMap
		oid  asn1.ObjectIdentifier
	}{
		"DSA": {dsaKey.priv, ck.CKK_DSA, dsaKey.km, oidDSA},
		"DH":  {g.privA, ck.CKK_DH, withAttrs(dhAttrs, ck.CKA_PUBLIC_KEY_INFO, attrsToMap(dhImp)[ck.CKA_PUBLIC_KEY_INFO], ck.CKA_VALUE_BITS, attrsToMap(dhImp)[ck.CKA_VALUE_BITS]), oidDHKeyAgreement},
	} {
		t.Run(name, func(t *testing.T) {
			der, err := WrapValue(c.k)
			wantRV(t, err, ck.CKR_OK)
			var info privateKeyInfo
			if rest, err := asn1.Unmarshal(der, &info); err != nil || len(rest) != 0 || info.Version != 0 || !info.Algorithm.Algorithm.Equal(c.oid) {
				t.Fatalf("not a PKCS#8 %v key: %v", c.oid, err)
			}
			if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
				t.Fatal("crypto/x509 reads it: the special case is not needed")
			}
			attrs, err := UnwrapAttrs(ck.CKO_PRIVATE_KEY, c.kt, der)
			wantRV(t, err, ck.CKR_OK)
			got := attrsToMap(attrs)
			for typ, v := range c.want {
				if typ == ck.CKA_KEY_TYPE {
					continue
				}
				if !bytes.Equal(got[typ], v) {
					t.Errorf("attribute %#x: %x, want %x", typ, got[typ], v)
				}
			}
			other := ck.CKK_DH
			if c.kt == ck.CKK_DH {
				other = ck.CKK_DSA
			}
			_, err = UnwrapAttrs(ck.CKO_PRIVATE_KEY, other, der)
			wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)

			// Malformed: each change of a field that still parses.
			rewrite := func(f func(*privateKeyInfo)) []byte {
				var i privateKeyInfo
				if _, err := asn1.Unmarshal(der, &i); err != nil {
					t.Fatal(err)
				}
				f(&i)
				return mustASN1(t, i)
			}
			intOf := func(v *big.Int) []byte { return mustASN1(t, v) }
			for what, bad := range map[string][]byte{
				"version 1":        rewrite(func(i *privateKeyInfo) { i.Version = 1 }),
				"x = 0":            rewrite(func(i *privateKeyInfo) { i.PrivateKey = intOf(big.NewInt(0)) }),
				"x negative":       rewrite(func(i *privateKeyInfo) { i.PrivateKey = intOf(big.NewInt(-5)) }),
				"x = p":            rewrite(func(i *privateKeyInfo) { i.PrivateKey = intOf(new(big.Int).SetBytes(c.want[ck.CKA_PRIME])) }),
				"x not an INTEGER": rewrite(func(i *privateKeyInfo) { i.PrivateKey = []byte{4, 1, 0} }),
				"x with a trailer": rewrite(func(i *privateKeyInfo) { i.PrivateKey = append(intOf(big.NewInt(5)), 0, 0) }),
				"no parameters":    rewrite(func(i *privateKeyInfo) { i.Algorithm.Parameters = asn1.RawValue{FullBytes: []byte{5, 0}} }),
				"a negative prime": rewrite(func(i *privateKeyInfo) {
					i.Algorithm.Parameters = asn1.RawValue{FullBytes: negatePrime(t, i.Algorithm.Parameters.FullBytes)}
				}),
			} {
				if _, err := UnwrapAttrs(ck.CKO_PRIVATE_KEY, c.kt, bad); ck.ErrorRV(err) != ck.CKR_WRAPPED_KEY_INVALID {
					t.Errorf("%s: %v, want CKR_WRAPPED_KEY_INVALID", what, err)
				}
			}
		})
	}
}

// negatePrime returns the parameters with their first INTEGER, p, negated.
func negatePrime(t *testing.T, params []byte) []byte {
	t.Helper()
	var seq asn1.RawValue
	if _, err := asn1.Unmarshal(params, &seq); err != nil {
		t.Fatal(err)
	}
	p := new(big.Int)
	rest, err := asn1.Unmarshal(seq.Bytes, &p)
	if err != nil {
		t.Fatal(err)
	}
	body := append(mustASN1(t, new(big.Int).Neg(p)), rest...)
	return mustASN1(t, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: body})
}

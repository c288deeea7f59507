package integration

// Key material on both sides: templates that import Go keys into kagi, and
// Go keys rebuilt from the attributes kagi returns, so that whatever kagi
// signs or encrypts is checked by the standard library.

import (
	"crypto/aes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/asn1"
	"math/big"
	"testing"

	"github.com/miekg/pkcs11"
)

// curves: the named curves of the first mechanism set with their OIDs
// (RFC 5480 section 2.1.1.1).
var curves = []struct {
	name  string
	curve elliptic.Curve
	oid   asn1.ObjectIdentifier
}{
	{"P-256", elliptic.P256(), asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}},
	{"P-384", elliptic.P384(), asn1.ObjectIdentifier{1, 3, 132, 0, 34}},
	{"P-521", elliptic.P521(), asn1.ObjectIdentifier{1, 3, 132, 0, 35}},
}

// ecParams is CKA_EC_PARAMS for a named curve: the DER of its OID.
func ecParams(t *testing.T, oid asn1.ObjectIdentifier) []byte {
	t.Helper()
	der, err := asn1.Marshal(oid)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// ecPoint is CKA_EC_POINT: the DER OCTET STRING of the uncompressed point
// (PKCS#11 3.0 current mechanisms section 2.3.3).
func ecPoint(t *testing.T, pub *ecdsa.PublicKey) []byte {
	t.Helper()
	raw, err := pub.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// parseECPoint rebuilds a Go public key from CKA_EC_POINT.
func parseECPoint(t *testing.T, curve elliptic.Curve, der []byte) *ecdsa.PublicKey {
	t.Helper()
	var raw []byte
	rest, err := asn1.Unmarshal(der, &raw)
	if err != nil || len(rest) != 0 {
		t.Fatalf("CKA_EC_POINT is not a DER OCTET STRING (%x): %v", der, err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, raw)
	if err != nil {
		t.Fatalf("CKA_EC_POINT does not hold an uncompressed point on %s: %v", curve.Params().Name, err)
	}
	return pub
}

// ecPrivateTemplate imports a Go EC private key as a session object.
func ecPrivateTemplate(t *testing.T, oid asn1.ObjectIdentifier, k *ecdsa.PrivateKey, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	t.Helper()
	size := (k.Curve.Params().BitSize + 7) / 8
	return append([]*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		attr(pkcs11.CKA_EC_PARAMS, ecParams(t, oid)),
		attr(pkcs11.CKA_VALUE, k.D.FillBytes(make([]byte, size))),
	}, extra...)
}

// ecPublicTemplate imports a Go EC public key as a session object.
func ecPublicTemplate(t *testing.T, oid asn1.ObjectIdentifier, k *ecdsa.PublicKey, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	t.Helper()
	return append([]*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
		attr(pkcs11.CKA_EC_PARAMS, ecParams(t, oid)),
		attr(pkcs11.CKA_EC_POINT, ecPoint(t, k)),
	}, extra...)
}

// rsaPrivateTemplate imports a Go RSA key with its CRT components.
func rsaPrivateTemplate(k *rsa.PrivateKey, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	k.Precompute()
	return append([]*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
		attr(pkcs11.CKA_MODULUS, k.N.Bytes()),
		attr(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
		attr(pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes()),
		attr(pkcs11.CKA_PRIME_1, k.Primes[0].Bytes()),
		attr(pkcs11.CKA_PRIME_2, k.Primes[1].Bytes()),
		attr(pkcs11.CKA_EXPONENT_1, k.Precomputed.Dp.Bytes()),
		attr(pkcs11.CKA_EXPONENT_2, k.Precomputed.Dq.Bytes()),
		attr(pkcs11.CKA_COEFFICIENT, k.Precomputed.Qinv.Bytes()),
	}, extra...)
}

func rsaPublicTemplate(k *rsa.PublicKey, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	return append([]*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
		attr(pkcs11.CKA_MODULUS, k.N.Bytes()),
		attr(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
	}, extra...)
}

// rsaPublicFrom rebuilds a Go RSA public key from CKA_MODULUS and
// CKA_PUBLIC_EXPONENT.
func rsaPublicFrom(t *testing.T, sh pkcs11.SessionHandle, o pkcs11.ObjectHandle) *rsa.PublicKey {
	t.Helper()
	got, err := p11.GetAttributeValue(sh, o, []*pkcs11.Attribute{
		attr(pkcs11.CKA_MODULUS, nil), attr(pkcs11.CKA_PUBLIC_EXPONENT, nil),
	})
	must(t, "C_GetAttributeValue(CKA_MODULUS, CKA_PUBLIC_EXPONENT)", err)
	e := new(big.Int).SetBytes(got[1].Value)
	if !e.IsInt64() || e.Int64() > 1<<31-1 {
		t.Fatalf("CKA_PUBLIC_EXPONENT %x too large", got[1].Value)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(got[0].Value), E: int(e.Int64())}
}

// ecdsaRS splits a PKCS#11 ECDSA signature (r || s, each as long as the
// order) into its halves.
func ecdsaRS(t *testing.T, curve elliptic.Curve, sig []byte) (*big.Int, *big.Int) {
	t.Helper()
	n := (curve.Params().N.BitLen() + 7) / 8
	if len(sig) != 2*n {
		t.Fatalf("ECDSA signature on %s has %d bytes, want %d", curve.Params().Name, len(sig), 2*n)
	}
	return new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])
}

// aesCheckValue is CKA_CHECK_VALUE of an AES key: the first three bytes of
// the ECB encryption of a zero block (PKCS#11 3.0 current mechanisms 2.9.2).
func aesCheckValue(t *testing.T, key []byte) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, aes.BlockSize)
	b.Encrypt(out, make([]byte, aes.BlockSize))
	return out[:3]
}

// aesTemplate creates an AES key with a known value.
func aesTemplate(value []byte, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	return append([]*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		attr(pkcs11.CKA_VALUE, value),
	}, extra...)
}

// dataTemplate is a public data object.
func dataTemplate(label string, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	return append([]*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
		attr(pkcs11.CKA_PRIVATE, false),
		attr(pkcs11.CKA_LABEL, label),
	}, extra...)
}

// privateDataTemplate is a private data object (logged-in user only).
func privateDataTemplate(label string, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	return append([]*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
		attr(pkcs11.CKA_PRIVATE, true),
		attr(pkcs11.CKA_LABEL, label),
	}, extra...)
}

func create(t *testing.T, sh pkcs11.SessionHandle, tmpl []*pkcs11.Attribute) pkcs11.ObjectHandle {
	t.Helper()
	o, err := p11.CreateObject(sh, tmpl)
	must(t, "C_CreateObject", err)
	if o == 0 {
		t.Fatal("C_CreateObject returned CK_INVALID_HANDLE")
	}
	return o
}

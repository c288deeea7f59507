package mech

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestECDSAOpenSSLSignature verifies the signature OpenSSL made of "abc"
// with testdata/ec_p256_sec1.der (DER, converted to r||s) through
// CKM_ECDSA_SHA256 and, over SHA-256("abc"), CKM_ECDSA.
func TestECDSAOpenSSLSignature(t *testing.T) {
	der, err := os.ReadFile(filepath.Join("testdata", "ec_p256_sec1.der"))
	if err != nil {
		t.Fatal(err)
	}
	ek, err := x509.ParseECPrivateKey(der)
	if err != nil {
		t.Fatal(err)
	}
	f := ecFixture("openssl", ek)
	sigDER, err := os.ReadFile(filepath.Join("testdata", "ec_p256_sha256_abc.sig.der"))
	if err != nil {
		t.Fatal(err)
	}
	sig, ok := ecdsaRaw(sigDER, 32)
	if !ok {
		t.Fatal("ecdsaRaw failed")
	}
	if !bytes.Equal(ecdsaDER(nil, sig), sigDER) {
		t.Fatal("ecdsaDER does not restore OpenSSL's encoding")
	}
	spec, _ := Lookup(ck.CKM_ECDSA_SHA256)
	v, _ := spec.Verify(f.pub, nil)
	wantRV(t, v.Verify([]byte("abc"), sig), ck.CKR_OK)
	raw, _ := Lookup(ck.CKM_ECDSA)
	v, _ = raw.Verify(f.pub, nil)
	wantRV(t, v.Verify(unhexT(t, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), sig), ck.CKR_OK)
	// The self-test's key is the same one.
	if d, _ := ek.Bytes(); !bytes.Equal(d, unhexT(t, selfTestECKey)) {
		t.Error("selfTestECKey is not testdata/ec_p256_sec1.der")
	}
}

// TestECDSASignatureEncoding: r||s halves are left-padded to the order's
// size; the DER conversion strips and restores leading zeros and the sign
// byte.
func TestECDSASignatureEncoding(t *testing.T) {
	for _, sig := range [][]byte{
		append(bytes.Repeat([]byte{0}, 31), append([]byte{1}, bytes.Repeat([]byte{0xff}, 32)...)...),
		append(append([]byte{0x80}, make([]byte, 31)...), append([]byte{0, 0, 0x7f}, make([]byte, 29)...)...),
	} {
		der := ecdsaDER(nil, sig)
		back, ok := ecdsaRaw(der, 32)
		if !ok || !bytes.Equal(back, sig) {
			t.Errorf("round trip of %x via %x gave %x", sig, der, back)
		}
	}
	for _, bad := range []string{"", "3000", "3006020101020101ff", "300602010102010100", "3006020181020101", "30070201010201010000"} {
		if _, ok := ecdsaRaw(unhexT(t, bad), 32); ok {
			t.Errorf("ecdsaRaw accepted %s", bad)
		}
	}
	// Many signatures: r or s often has a leading zero byte.
	f := fixtureOf(t, "EC-P-256")
	spec, _ := Lookup(ck.CKM_ECDSA)
	for range 300 {
		op, _ := spec.Sign(f.priv, nil)
		sig, err := op.Sign([]byte("0123456789abcdef0123456789abcdef"))
		wantRV(t, err, ck.CKR_OK)
		if len(sig) != 64 || !ecdsa.VerifyASN1(f.pub.Public.(*ecdsa.PublicKey), []byte("0123456789abcdef0123456789abcdef"), ecdsaDER(nil, sig)) {
			t.Fatal("bad signature")
		}
	}
}

// TestECGenerateAttributes: CKA_EC_POINT is the DER OCTET STRING of the
// uncompressed point, CKA_VALUE the scalar padded to the curve size,
// CKA_EC_PARAMS copied as given.
func TestECGenerateAttributes(t *testing.T) {
	spec, _ := Lookup(ck.CKM_EC_KEY_PAIR_GEN)
	for _, c := range curves {
		for _, params := range [][]byte{c.oid, append([]byte{derPrintableString, byte(len(c.names[0]))}, c.names[0]...)} {
			pubA, privA, err := spec.GenerateKeyPair(rand.Reader, attrMap{ck.CKA_EC_PARAMS: params}, attrMap{ck.CKA_EC_PARAMS: params})
			wantRV(t, err, ck.CKR_OK)
			pm, km := attrsToMap(pubA), attrsToMap(privA)
			if !bytes.Equal(pm[ck.CKA_EC_PARAMS], params) || !bytes.Equal(km[ck.CKA_EC_PARAMS], params) {
				t.Errorf("%s: CKA_EC_PARAMS not copied", c.name)
			}
			if len(km[ck.CKA_VALUE]) != c.size {
				t.Errorf("%s: CKA_VALUE of %d bytes", c.name, len(km[ck.CKA_VALUE]))
			}
			tag, point, ok := derValue(pm[ck.CKA_EC_POINT])
			if !ok || tag != derOctetString || len(point) != 1+2*c.size || point[0] != 4 {
				t.Errorf("%s: CKA_EC_POINT %x", c.name, pm[ck.CKA_EC_POINT])
			}
			spki, err := x509.ParsePKIXPublicKey(pm[ck.CKA_PUBLIC_KEY_INFO])
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := spki.(*ecdsa.PublicKey).Bytes(); !bytes.Equal(b, point) {
				t.Errorf("%s: CKA_PUBLIC_KEY_INFO is another key", c.name)
			}
			priv, err := ecdsa.ParseRawPrivateKey(c.curve, km[ck.CKA_VALUE])
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := priv.PublicKey.Bytes(); !bytes.Equal(b, point) {
				t.Errorf("%s: CKA_VALUE and CKA_EC_POINT disagree", c.name)
			}
		}
	}
	for _, c := range []struct {
		name      string
		pub, priv attrMap
		rv        ck.RV
	}{
		{"unknown curve", attrMap{ck.CKA_EC_PARAMS: unhexT(t, "06052b8104000a")}, nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"malformed params", attrMap{ck.CKA_EC_PARAMS: {6, 8, 1}}, nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"params only in the private template", attrMap{}, attrMap{ck.CKA_EC_PARAMS: curves[1].oid}, ck.CKR_TEMPLATE_INCOMPLETE},
		{"templates disagree", attrMap{ck.CKA_EC_PARAMS: curves[1].oid}, attrMap{ck.CKA_EC_PARAMS: curves[2].oid}, ck.CKR_TEMPLATE_INCONSISTENT},
	} {
		_, _, err := spec.GenerateKeyPair(rand.Reader, c.pub, c.priv)
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", c.name, err, c.rv)
		}
	}
}

// TestECPrivateValue: CKA_VALUE may come without its leading zeros; a zero
// or out-of-range scalar is CKR_ATTRIBUTE_VALUE_INVALID.
func TestECPrivateValue(t *testing.T) {
	params := curves[1].oid
	n := elliptic.P256().Params().N
	for _, c := range []struct {
		name string
		v    []byte
		rv   ck.RV
	}{
		{"one", []byte{1}, ck.CKR_OK},
		{"padded one", append(make([]byte, 40), 1), ck.CKR_OK},
		{"zero", make([]byte, 32), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"order", n.Bytes(), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"too long", append([]byte{1}, make([]byte, 32)...), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"empty", nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
	} {
		_, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC, attrMap{ck.CKA_EC_PARAMS: params, ck.CKA_VALUE: c.v})
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", c.name, err, c.rv)
		}
	}
}

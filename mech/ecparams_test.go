package mech

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestECParams: CKA_EC_PARAMS forms and the exact codes for the others.
func TestECParams(t *testing.T) {
	ps := func(s string) []byte { return append([]byte{derPrintableString, byte(len(s))}, s...) }
	for _, c := range []struct {
		name   string
		params []byte
		curve  elliptic.Curve
		rv     ck.RV
	}{
		{"P-256 OID", unhexT(t, "06082a8648ce3d030107"), elliptic.P256(), ck.CKR_OK},
		{"P-224 OID", unhexT(t, "06052b81040021"), elliptic.P224(), ck.CKR_OK},
		{"P-384 OID", unhexT(t, "06052b81040022"), elliptic.P384(), ck.CKR_OK},
		{"P-521 OID", unhexT(t, "06052b81040023"), elliptic.P521(), ck.CKR_OK},
		{"prime256v1", ps("prime256v1"), elliptic.P256(), ck.CKR_OK},
		{"secp256r1", ps("secp256r1"), elliptic.P256(), ck.CKR_OK},
		{"P-256", ps("P-256"), elliptic.P256(), ck.CKR_OK},
		{"secp384r1", ps("secp384r1"), elliptic.P384(), ck.CKR_OK},
		{"secp521r1", ps("secp521r1"), elliptic.P521(), ck.CKR_OK},
		{"UTF8String P-384", append([]byte{derUTF8String, 5}, "P-384"...), elliptic.P384(), ck.CKR_OK},
		{"secp256k1 OID", unhexT(t, "06052b8104000a"), nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"brainpoolP256r1", ps("brainpoolP256r1"), nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"edwards25519", ps("edwards25519"), nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"explicit parameters", unhexT(t, "3003020101"), nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"implicitlyCA", unhexT(t, "0500"), nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"empty", nil, nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"truncated", unhexT(t, "06082a8648ce3d0301"), nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"trailing byte", unhexT(t, "06082a8648ce3d03010700"), nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"non-minimal length", unhexT(t, "0681082a8648ce3d030107"), nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"INTEGER", unhexT(t, "020101"), nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"raw OID bytes", unhexT(t, "2a8648ce3d030107"), nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
	} {
		got, err := CurveOf(c.params)
		if ck.ErrorRV(err) != c.rv || got != c.curve {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.rv)
		}
	}
	for _, c := range curves {
		p, err := ECParams(c.curve)
		wantRV(t, err, ck.CKR_OK)
		if got, _ := CurveOf(p); got != c.curve {
			t.Errorf("ECParams(%s) does not round-trip", c.name)
		}
	}
}

// TestECPoint: CKA_EC_POINT as DER OCTET STRING (what kagi and SoftHSMv2
// produce), bare, or compressed; the exact codes for bad points.
func TestECPoint(t *testing.T) {
	for _, f := range fixtures() {
		pub, ok := f.pub.Public.(*ecdsa.PublicKey)
		if !ok {
			continue
		}
		c := curveOfKey(pub.Curve)
		params, _ := ECParams(pub.Curve)
		raw, _ := pub.Bytes()
		wrapped, _ := ecPointAttr(pub)
		if tag, content, ok := derValue(wrapped); !ok || tag != derOctetString || !bytes.Equal(content, raw) {
			t.Fatalf("%s: CKA_EC_POINT %x is not the OCTET STRING of the point", f.name, wrapped)
		}
		compressed := elliptic.MarshalCompressed(pub.Curve, pub.X, pub.Y) //nolint:staticcheck // building a test input
		offCurve := bytes.Clone(raw)
		offCurve[len(offCurve)-1] ^= 1
		for _, p := range []struct {
			name  string
			point []byte
			rv    ck.RV
		}{
			{"DER", wrapped, ck.CKR_OK},
			{"raw", raw, ck.CKR_OK},
			{"compressed", compressed, ck.CKR_OK},
			{"DER compressed", derAppend(nil, derOctetString, compressed), ck.CKR_OK},
			{"off the curve", offCurve, ck.CKR_ATTRIBUTE_VALUE_INVALID},
			{"DER off the curve", derAppend(nil, derOctetString, offCurve), ck.CKR_ATTRIBUTE_VALUE_INVALID},
			{"infinity", []byte{0}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
			{"short", raw[:len(raw)-1], ck.CKR_ATTRIBUTE_VALUE_INVALID},
			{"empty", []byte{}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
			{"bad compressed", append([]byte{2}, bytes.Repeat([]byte{0xff}, c.size)...), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		} {
			k, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_EC, attrMap{ck.CKA_EC_PARAMS: params, ck.CKA_EC_POINT: p.point})
			if ck.ErrorRV(err) != p.rv {
				t.Errorf("%s %s: %v, want %v", f.name, p.name, err, p.rv)
				continue
			}
			if err == nil && !k.Public.(*ecdsa.PublicKey).Equal(pub) {
				t.Errorf("%s %s: another point", f.name, p.name)
			}
		}
	}
}

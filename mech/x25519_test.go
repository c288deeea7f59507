package mech

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/x509"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// x25519Fixture is a random X25519 private key built through
// montgomeryKeyFromAttrs.
func x25519Fixture(t testing.TB) *Key {
	t.Helper()
	k, err := montgomeryKeyFromAttrs(ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_VALUE: randBytes(32)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

var curve25519Name = append([]byte{derPrintableString, 10}, "curve25519"...)

// TestX25519RFC7748: RFC 7748 sections 6.1 and 5.2 through
// CKM_ECDH1_DERIVE with CKD_NULL, the keys built from attributes as token
// stores them.
func TestX25519RFC7748(t *testing.T) {
	s, _ := Lookup(ck.CKM_ECDH1_DERIVE)
	n := 0
	for _, r := range readVectors(t, "rfc7748_x25519.txt", "COUNT") {
		priv, err := montgomeryKeyFromAttrs(ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_VALUE: r.hex(t, "Priv", 0)})
		wantRV(t, err, ck.CKR_OK)
		if r.has("Pub") {
			if got := priv.Public.(*ecdh.PublicKey).Bytes(); !bytes.Equal(got, r.hex(t, "Pub", 0)) {
				t.Errorf("COUNT %s: public key %x", r.get("COUNT", 0), got)
			}
		}
		z, err := s.Derive(priv, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: r.hex(t, "Peer", 0)}, 0, noOther)
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(z, r.hex(t, "Z", 0)) {
			t.Errorf("COUNT %s: Z %x, want %s", r.get("COUNT", 0), z, r.get("Z", 0))
		}
		n++
	}
	if n != 4 {
		t.Fatalf("%d vectors, want 4", n)
	}
}

// conformX25519KeyPair: generated pairs are usable keys whose attributes
// agree with what C_CreateObject computes, two of them agree on a secret,
// and bad templates get their codes.
func conformX25519KeyPair(t *testing.T, s *Spec) {
	ecdhSpec, _ := Lookup(ck.CKM_ECDH1_DERIVE)
	var keys []*Key
	var points [][]byte
	for _, params := range [][]byte{oidX25519, curve25519Name} {
		pubA, privA, err := s.GenerateKeyPair(rand.Reader, attrMap{ck.CKA_EC_PARAMS: params}, attrMap{})
		wantRV(t, err, ck.CKR_OK)
		pm, km := attrsToMap(pubA), attrsToMap(privA)
		for _, m := range []attrMap{pm, km} {
			if kt, _ := ck.BytesULong(m[ck.CKA_KEY_TYPE]); ck.KeyType(kt) != ck.CKK_EC_MONTGOMERY {
				t.Fatalf("CKA_KEY_TYPE %#x", kt)
			}
			if !bytes.Equal(m[ck.CKA_EC_PARAMS], params) {
				t.Fatalf("CKA_EC_PARAMS %x", m[ck.CKA_EC_PARAMS])
			}
		}
		if len(km[ck.CKA_VALUE]) != 32 || len(pm[ck.CKA_EC_POINT]) != 34 || pm[ck.CKA_EC_POINT][0] != derOctetString || pm[ck.CKA_EC_POINT][1] != 32 {
			t.Fatalf("CKA_VALUE %d bytes, CKA_EC_POINT %x", len(km[ck.CKA_VALUE]), pm[ck.CKA_EC_POINT])
		}
		// The standard library agrees on the public key and parses the SPKI.
		ref, err := ecdh.X25519().NewPrivateKey(km[ck.CKA_VALUE])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ref.PublicKey().Bytes(), pm[ck.CKA_EC_POINT][2:]) {
			t.Fatal("CKA_EC_POINT is not the scalar's public key")
		}
		if !bytes.Equal(pm[ck.CKA_PUBLIC_KEY_INFO], km[ck.CKA_PUBLIC_KEY_INFO]) {
			t.Fatal("public key info differs between the keys")
		}
		spki, err := x509.ParsePKIXPublicKey(pm[ck.CKA_PUBLIC_KEY_INFO])
		if err != nil || !ref.PublicKey().Equal(spki) {
			t.Fatalf("CKA_PUBLIC_KEY_INFO: %v", err)
		}
		for _, c := range []struct {
			class ck.ObjectClass
			m     attrMap
		}{{ck.CKO_PUBLIC_KEY, pm}, {ck.CKO_PRIVATE_KEY, km}} {
			imp, err := montgomeryImportAttrs(c.class, c.m)
			wantRV(t, err, ck.CKR_OK)
			for _, a := range imp {
				if !bytes.Equal(c.m[a.Type], a.Value) {
					t.Errorf("attribute %#x: generated %x, import computes %x", a.Type, c.m[a.Type], a.Value)
				}
			}
			k, err := montgomeryKeyFromAttrs(c.class, c.m)
			wantRV(t, err, ck.CKR_OK)
			if k.Class != c.class || k.Type != ck.CKK_EC_MONTGOMERY {
				t.Fatalf("key class %#x type %#x", k.Class, k.Type)
			}
			if c.class == ck.CKO_PRIVATE_KEY {
				keys = append(keys, k)
			}
		}
		points = append(points, pm[ck.CKA_EC_POINT])
	}
	// The two pairs agree: each side with the other's CKA_EC_POINT.
	z0, err := ecdhSpec.Derive(keys[0], ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: points[1]}, 0, noOther)
	wantRV(t, err, ck.CKR_OK)
	z1, err := ecdhSpec.Derive(keys[1], ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: points[0]}, 0, noOther)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(z0, z1) || len(z0) != 32 {
		t.Fatalf("the pairs disagree: %x %x", z0, z1)
	}

	bad := []struct {
		name      string
		pub, priv attrMap
		rv        ck.RV
	}{
		{"no CKA_EC_PARAMS", attrMap{}, attrMap{}, ck.CKR_TEMPLATE_INCOMPLETE},
		{"nil templates", nil, nil, ck.CKR_TEMPLATE_INCOMPLETE},
		{"X448", attrMap{ck.CKA_EC_PARAMS: oidX448}, nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"curve448", attrMap{ck.CKA_EC_PARAMS: append([]byte{derPrintableString, 8}, "curve448"...)}, nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"Ed25519", attrMap{ck.CKA_EC_PARAMS: oidEd25519}, nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"P-256", attrMap{ck.CKA_EC_PARAMS: curves[1].oid}, nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"not DER", attrMap{ck.CKA_EC_PARAMS: {6, 9, 1}}, nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"wrong key type", attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_KEY_TYPE: ck.ULongBytes(ck.ULong(ck.CKK_EC_EDWARDS))}, nil, ck.CKR_TEMPLATE_INCONSISTENT},
		{"wrong class", attrMap{ck.CKA_EC_PARAMS: oidX25519}, attrMap{ck.CKA_CLASS: ck.ULongBytes(ck.ULong(ck.CKO_PUBLIC_KEY))}, ck.CKR_TEMPLATE_INCONSISTENT},
		{"params differ", attrMap{ck.CKA_EC_PARAMS: oidX25519}, attrMap{ck.CKA_EC_PARAMS: curve25519Name}, ck.CKR_TEMPLATE_INCONSISTENT},
	}
	for _, b := range bad {
		_, _, err := s.GenerateKeyPair(rand.Reader, b.pub, b.priv)
		if ck.ErrorRV(err) != b.rv {
			t.Errorf("%s: %v, want %v", b.name, err, b.rv)
		}
	}
	_, _, err = s.GenerateKeyPair(failReader{}, attrMap{ck.CKA_EC_PARAMS: oidX25519}, nil)
	wantRV(t, err, ck.CKR_FUNCTION_FAILED)
}

// TestMontgomeryKeyAttrs: the attribute forms montgomeryKeyFromAttrs and
// montgomeryImportAttrs accept and refuse.
func TestMontgomeryKeyAttrs(t *testing.T) {
	scalar := randBytes(32)
	ref, _ := ecdh.X25519().NewPrivateKey(scalar)
	u := ref.PublicKey().Bytes()
	good := []struct {
		class ck.ObjectClass
		a     attrMap
	}{
		{ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_VALUE: scalar}},
		{ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_EC_PARAMS: curve25519Name, ck.CKA_VALUE: scalar}},
		{ck.CKO_PUBLIC_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_EC_POINT: derAppend(nil, derOctetString, u)}},
		{ck.CKO_PUBLIC_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_EC_POINT: u}},
	}
	for i, g := range good {
		k, err := montgomeryKeyFromAttrs(g.class, g.a)
		wantRV(t, err, ck.CKR_OK)
		if !k.Public.(*ecdh.PublicKey).Equal(ref.PublicKey()) {
			t.Errorf("case %d: wrong public key", i)
		}
		imp, err := montgomeryImportAttrs(g.class, g.a)
		wantRV(t, err, ck.CKR_OK)
		if len(imp) != 1 || imp[0].Type != ck.CKA_PUBLIC_KEY_INFO {
			t.Errorf("case %d: import computes %v", i, imp)
		}
	}
	bad := []struct {
		class ck.ObjectClass
		a     attrMap
		rv    ck.RV
	}{
		{ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_VALUE: scalar}, ck.CKR_TEMPLATE_INCOMPLETE},
		{ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519}, ck.CKR_TEMPLATE_INCOMPLETE},
		{ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_VALUE: scalar[:31]}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{ck.CKO_PRIVATE_KEY, attrMap{ck.CKA_EC_PARAMS: oidX448, ck.CKA_VALUE: randBytes(56)}, ck.CKR_CURVE_NOT_SUPPORTED},
		{ck.CKO_PUBLIC_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519}, ck.CKR_TEMPLATE_INCOMPLETE},
		{ck.CKO_PUBLIC_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_EC_POINT: u[:31]}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{ck.CKO_PUBLIC_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_EC_POINT: derAppend(nil, derOctetString, u[:31])}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
	}
	for i, b := range bad {
		_, err := montgomeryKeyFromAttrs(b.class, b.a)
		if ck.ErrorRV(err) != b.rv {
			t.Errorf("case %d: KeyFromAttrs %v, want %v", i, err, b.rv)
		}
		_, err = montgomeryImportAttrs(b.class, b.a)
		if ck.ErrorRV(err) != b.rv {
			t.Errorf("case %d: ImportAttrs %v, want %v", i, err, b.rv)
		}
	}
	_, err := montgomeryKeyFromAttrs(ck.CKO_SECRET_KEY, good[0].a)
	wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	_, err = montgomeryImportAttrs(ck.CKO_SECRET_KEY, good[0].a)
	wantRV(t, err, ck.CKR_ATTRIBUTE_VALUE_INVALID)
}

package mech

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestImportAttrs: what C_CreateObject's key components are checked for and
// what the token computes for them.
func TestImportAttrs(t *testing.T) {
	rsaPriv, rsaPub := rsaAttrs(fixtureOf(t, "RSA-2048").priv.Private.(*rsa.PrivateKey))
	ecPriv, ecPub := ecAttrs(fixtureOf(t, "EC-P-384").priv.Private.(*ecdsa.PrivateKey))
	drop := func(m attrMap, a ck.AttributeType) attrMap {
		c := attrMap{}
		for k, v := range m {
			if k != a {
				c[k] = v
			}
		}
		return c
	}
	set := func(m attrMap, a ck.AttributeType, v []byte) attrMap {
		c := drop(m, a)
		c[a] = v
		return c
	}
	secret := func(n int) attrMap { return attrMap{ck.CKA_VALUE: make([]byte, n)} }
	for _, c := range []struct {
		name  string
		class ck.ObjectClass
		kt    ck.KeyType
		a     attrMap
		rv    ck.RV
		want  []ck.AttributeType // computed attributes
	}{
		{"AES-128", ck.CKO_SECRET_KEY, ck.CKK_AES, secret(16), ck.CKR_OK, []ck.AttributeType{ck.CKA_VALUE_LEN, ck.CKA_CHECK_VALUE}},
		{"AES-256", ck.CKO_SECRET_KEY, ck.CKK_AES, secret(32), ck.CKR_OK, []ck.AttributeType{ck.CKA_VALUE_LEN, ck.CKA_CHECK_VALUE}},
		{"AES of 15 bytes", ck.CKO_SECRET_KEY, ck.CKK_AES, secret(15), ck.CKR_ATTRIBUTE_VALUE_INVALID, nil},
		{"AES of 33 bytes", ck.CKO_SECRET_KEY, ck.CKK_AES, secret(33), ck.CKR_ATTRIBUTE_VALUE_INVALID, nil},
		{"AES without value", ck.CKO_SECRET_KEY, ck.CKK_AES, attrMap{}, ck.CKR_TEMPLATE_INCOMPLETE, nil},
		{"AES with its check value", ck.CKO_SECRET_KEY, ck.CKK_AES, set(secret(16), ck.CKA_CHECK_VALUE, unhexT(t, "66e94b")), ck.CKR_OK, []ck.AttributeType{ck.CKA_VALUE_LEN, ck.CKA_CHECK_VALUE}},
		{"AES with a wrong check value", ck.CKO_SECRET_KEY, ck.CKK_AES, set(secret(16), ck.CKA_CHECK_VALUE, []byte{1, 2, 3}), ck.CKR_ATTRIBUTE_VALUE_INVALID, nil},
		{"generic", ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, secret(5), ck.CKR_OK, []ck.AttributeType{ck.CKA_VALUE_LEN, ck.CKA_CHECK_VALUE}},
		{"generic empty", ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, secret(0), ck.CKR_ATTRIBUTE_VALUE_INVALID, nil},
		{"SHA-256 HMAC key", ck.CKO_SECRET_KEY, ck.CKK_SHA256_HMAC, secret(32), ck.CKR_OK, []ck.AttributeType{ck.CKA_VALUE_LEN}},
		{"DES3 key (des.go: no CKA_VALUE_LEN)", ck.CKO_SECRET_KEY, ck.CKK_DES3, secret(24), ck.CKR_OK, []ck.AttributeType{ck.CKA_CHECK_VALUE}},
		{"RSA public", ck.CKO_PUBLIC_KEY, ck.CKK_RSA, rsaPub, ck.CKR_OK, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO, ck.CKA_MODULUS_BITS}},
		{"RSA public without exponent", ck.CKO_PUBLIC_KEY, ck.CKK_RSA, drop(rsaPub, ck.CKA_PUBLIC_EXPONENT), ck.CKR_TEMPLATE_INCOMPLETE, nil},
		{"RSA private", ck.CKO_PRIVATE_KEY, ck.CKK_RSA, rsaPriv, ck.CKR_OK, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO}},
		{"RSA private without primes", ck.CKO_PRIVATE_KEY, ck.CKK_RSA, drop(rsaPriv, ck.CKA_PRIME_2), ck.CKR_TEMPLATE_INCOMPLETE, nil},
		{"RSA private, bad prime", ck.CKO_PRIVATE_KEY, ck.CKK_RSA, set(rsaPriv, ck.CKA_PRIME_2, []byte{7}), ck.CKR_ATTRIBUTE_VALUE_INVALID, nil},
		{"EC public", ck.CKO_PUBLIC_KEY, ck.CKK_EC, ecPub, ck.CKR_OK, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO}},
		{"EC public without point", ck.CKO_PUBLIC_KEY, ck.CKK_EC, drop(ecPub, ck.CKA_EC_POINT), ck.CKR_TEMPLATE_INCOMPLETE, nil},
		{"EC public without params", ck.CKO_PUBLIC_KEY, ck.CKK_EC, drop(ecPub, ck.CKA_EC_PARAMS), ck.CKR_TEMPLATE_INCOMPLETE, nil},
		{"EC public, point of another curve", ck.CKO_PUBLIC_KEY, ck.CKK_EC, set(ecPub, ck.CKA_EC_PARAMS, curves[1].oid), ck.CKR_ATTRIBUTE_VALUE_INVALID, nil},
		{"EC public, unknown curve", ck.CKO_PUBLIC_KEY, ck.CKK_EC, set(ecPub, ck.CKA_EC_PARAMS, unhexT(t, "06052b8104000a")), ck.CKR_CURVE_NOT_SUPPORTED, nil},
		{"EC private", ck.CKO_PRIVATE_KEY, ck.CKK_EC, ecPriv, ck.CKR_OK, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO}},
		{"EC private without value", ck.CKO_PRIVATE_KEY, ck.CKK_EC, drop(ecPriv, ck.CKA_VALUE), ck.CKR_TEMPLATE_INCOMPLETE, nil},
		{"EC private, malformed params", ck.CKO_PRIVATE_KEY, ck.CKK_EC, set(ecPriv, ck.CKA_EC_PARAMS, []byte{6}), ck.CKR_ATTRIBUTE_VALUE_INVALID, nil},
		{"certificate class", ck.CKO_CERTIFICATE, ck.CKK_RSA, rsaPub, ck.CKR_ATTRIBUTE_VALUE_INVALID, nil},
	} {
		got, err := ImportAttrs(c.class, c.kt, c.a)
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", c.name, err, c.rv)
			continue
		}
		if err != nil {
			if got != nil {
				t.Errorf("%s: attributes returned with an error", c.name)
			}
			continue
		}
		var types []ck.AttributeType
		for _, a := range got {
			types = append(types, a.Type)
		}
		if !equalSet(types, c.want) {
			t.Errorf("%s: computed %v, want %v", c.name, types, c.want)
		}
	}
}

func equalSet(a, b []ck.AttributeType) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[ck.AttributeType]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

// TestKeyFromAttrsCopies: the Key owns its material; Zero clears it and
// leaves the caller's attribute storage alone.
func TestKeyFromAttrsCopies(t *testing.T) {
	v := bytes.Repeat([]byte{0x5a}, 32)
	k, err := KeyFromAttrs(ck.CKO_SECRET_KEY, ck.CKK_AES, attrMap{ck.CKA_VALUE: v})
	wantRV(t, err, ck.CKR_OK)
	secret := k.Secret
	// Use the caches so Zero has something to drop.
	spec, _ := Lookup(ck.CKM_AES_GCM)
	op, _ := spec.Encrypt(k, ck.GCMParams{IV: make([]byte, 12), TagBits: 128})
	op.One(nil)
	k.Zero()
	if !bytes.Equal(v, bytes.Repeat([]byte{0x5a}, 32)) {
		t.Fatal("Zero touched the attribute storage")
	}
	if !bytes.Equal(secret, make([]byte, 32)) || k.Secret != nil {
		t.Fatal("Zero left the secret")
	}
	if k.cache.aes.Load() != nil {
		t.Fatal("Zero left the AES cache")
	}
	// A zeroed key is unusable, not silently weak.
	_, err = spec.Encrypt(k, ck.GCMParams{IV: make([]byte, 12), TagBits: 128})
	wantRV(t, err, ck.CKR_KEY_SIZE_RANGE)
}

// TestZeroPrivate: Zero clears the reachable private components.
func TestZeroPrivate(t *testing.T) {
	priv, _ := rsaAttrs(mustRSA(t))
	k, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_RSA, priv)
	wantRV(t, err, ck.CKR_OK)
	rk := k.Private.(*rsa.PrivateKey)
	d, p := rk.D.Bits(), rk.Primes[0].Bits()
	k.Zero()
	for _, w := range append(d, p...) {
		if w != 0 {
			t.Fatal("RSA private component not cleared")
		}
	}
	if k.Private != nil || k.Public == nil {
		t.Fatal("Zero should drop Private and keep Public")
	}
	spec, _ := Lookup(ck.CKM_SHA256_RSA_PKCS)
	_, err = spec.Sign(k, nil)
	wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)

	ecA, _ := ecAttrs(fixtureOf(t, "EC-P-256").priv.Private.(*ecdsa.PrivateKey))
	ek, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC, ecA)
	wantRV(t, err, ck.CKR_OK)
	ed := ek.Private.(*ecdsa.PrivateKey).D.Bits() //nolint:staticcheck // checking what Zero reaches
	ek.Zero()
	for _, w := range ed {
		if w != 0 {
			t.Fatal("EC scalar not cleared")
		}
	}
}

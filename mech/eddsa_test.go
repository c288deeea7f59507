package mech

import (
	"crypto/ed25519"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

type attrSet map[ck.AttributeType][]byte

func (m attrSet) Attr(t ck.AttributeType) ([]byte, bool) { v, ok := m[t]; return v, ok }

func TestEd25519Import(t *testing.T) {
	// RFC 8032 section 7.1, test 1.
	seed := unhexT(t, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
	pubRaw := unhexT(t, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
	printable := append([]byte{derPrintableString, 12}, "edwards25519"...)
	wrapped := append([]byte{derOctetString, 32}, pubRaw...)

	for name, params := range map[string][]byte{"OID": oidEd25519, "name": printable} {
		priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC_EDWARDS, attrSet{ck.CKA_EC_PARAMS: params, ck.CKA_VALUE: seed})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := priv.Public.(ed25519.PublicKey); !got.Equal(ed25519.PublicKey(pubRaw)) {
			t.Fatalf("%s: derived public key %x", name, got)
		}
		for _, point := range [][]byte{pubRaw, wrapped} {
			computed, err := ImportAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_EC_EDWARDS, attrSet{ck.CKA_EC_PARAMS: params, ck.CKA_EC_POINT: point})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			k, err := x509.ParsePKIXPublicKey(computed[0].Value)
			if err != nil || !k.(ed25519.PublicKey).Equal(ed25519.PublicKey(pubRaw)) {
				t.Fatalf("%s: CKA_PUBLIC_KEY_INFO %x (%v)", name, computed[0].Value, err)
			}
		}
	}
	bad := []struct {
		name  string
		class ck.ObjectClass
		attrs attrSet
		want  ck.RV
	}{
		{"Ed448", ck.CKO_PUBLIC_KEY, attrSet{ck.CKA_EC_PARAMS: oidEd448, ck.CKA_EC_POINT: pubRaw}, ck.CKR_CURVE_NOT_SUPPORTED},
		{"P-256 params", ck.CKO_PUBLIC_KEY, attrSet{ck.CKA_EC_PARAMS: curves[1].oid, ck.CKA_EC_POINT: pubRaw}, ck.CKR_CURVE_NOT_SUPPORTED},
		{"short point", ck.CKO_PUBLIC_KEY, attrSet{ck.CKA_EC_PARAMS: oidEd25519, ck.CKA_EC_POINT: pubRaw[:31]}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"no point", ck.CKO_PUBLIC_KEY, attrSet{ck.CKA_EC_PARAMS: oidEd25519}, ck.CKR_TEMPLATE_INCOMPLETE},
		{"long seed", ck.CKO_PRIVATE_KEY, attrSet{ck.CKA_EC_PARAMS: oidEd25519, ck.CKA_VALUE: append(seed, 0)}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"garbage params", ck.CKO_PRIVATE_KEY, attrSet{ck.CKA_EC_PARAMS: []byte{1, 2, 3}, ck.CKA_VALUE: seed}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
	}
	for _, c := range bad {
		_, err := ImportAttrs(c.class, ck.CKK_EC_EDWARDS, c.attrs)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

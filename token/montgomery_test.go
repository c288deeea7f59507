package token

import (
	"bytes"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Two X25519 key pairs made on the token agree on a secret through
// CKM_ECDH1_DERIVE (RFC 7748), each side using the other's CKA_EC_POINT.
func TestX25519KeyAgreement(t *testing.T) {
	l, _, sh, _ := ready(t)
	x25519 := []byte{0x06, 0x03, 0x2b, 0x65, 0x6e} // 1.3.101.110
	pair := func() (ck.ObjectHandle, []byte) {
		pub, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_MONTGOMERY_KEY_PAIR_GEN},
			[]ck.Attribute{attr(ck.CKA_EC_PARAMS, x25519)}, []ck.Attribute{attr(ck.CKA_DERIVE, true)})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := l.GetAttributeValue(sh, pub, []ck.AttributeType{ck.CKA_EC_POINT})
		return priv, v[0].Value
	}
	a, pa := pair()
	b, pb := pair()
	secret := func(priv ck.ObjectHandle, peer []byte) []byte {
		h, err := l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: peer}},
			priv, []ck.Attribute{attr(ck.CKA_EXTRACTABLE, true)})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_VALUE})
		return v[0].Value
	}
	if sa, sb := secret(a, pb), secret(b, pa); len(sa) != 32 || !bytes.Equal(sa, sb) {
		t.Fatalf("X25519 secrets differ: %x / %x", sa, sb)
	}
}

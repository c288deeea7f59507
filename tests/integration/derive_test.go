package integration

import (
	"bytes"
	"testing"

	"github.com/miekg/pkcs11"
)

// Derivations that copy key bits, through the module: the specification's
// CKM_EXTRACT_KEY_FROM_KEY example, and a sensitive key's bits that stay
// unreadable in the derived copy whatever the template asks.
func TestDeriveKeyBits(t *testing.T) {
	_, sh := userSession(t)
	secret := func(v []byte, sensitive bool) pkcs11.ObjectHandle {
		h, err := p11.CreateObject(sh, []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			attr(pkcs11.CKA_VALUE, v), attr(pkcs11.CKA_DERIVE, true), attr(pkcs11.CKA_SENSITIVE, sensitive),
			attr(pkcs11.CKA_EXTRACTABLE, true),
		})
		must(t, "C_CreateObject(generic secret)", err)
		return h
	}
	open := func(n int) []*pkcs11.Attribute {
		return []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			attr(pkcs11.CKA_VALUE_LEN, n), attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true)}
	}

	// 0x329F84A9 from bit 21, two bytes: 0x9526.
	extract := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_EXTRACT_KEY_FROM_KEY, ulongBytes(21))}
	h, err := p11.DeriveKey(sh, extract, secret([]byte{0x32, 0x9f, 0x84, 0xa9}, false), open(2))
	must(t, "C_DeriveKey(CKM_EXTRACT_KEY_FROM_KEY)", err)
	if v := getAttr(t, sh, h, pkcs11.CKA_VALUE); !bytes.Equal(v, []byte{0x95, 0x26}) {
		t.Fatalf("extracted %x, want 9526", v)
	}

	sensitive := secret(bytes.Repeat([]byte{0x77}, 16), true)
	plain := secret(bytes.Repeat([]byte{0x11}, 16), false)
	for _, m := range []*pkcs11.Mechanism{
		pkcs11.NewMechanism(pkcs11.CKM_EXTRACT_KEY_FROM_KEY, ulongBytes(0)),
		pkcs11.NewMechanism(pkcs11.CKM_CONCATENATE_BASE_AND_KEY, ulongBytes(uint(plain))),
	} {
		h, err := p11.DeriveKey(sh, []*pkcs11.Mechanism{m}, sensitive, open(16))
		must(t, "C_DeriveKey from a sensitive key", err)
		if v := getAttr(t, sh, h, pkcs11.CKA_SENSITIVE); len(v) != 1 || v[0] != 1 {
			t.Errorf("mechanism %#x: derived CKA_SENSITIVE %x, want 01", m.Mechanism, v)
		}
		_, err = p11.GetAttributeValue(sh, h, []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE, nil)})
		wantRV(t, "CKA_VALUE of a sensitive key's derived copy", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)
	}
}

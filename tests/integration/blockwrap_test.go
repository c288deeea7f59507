package integration

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdsa"
	"crypto/rand"
	"testing"

	"github.com/miekg/pkcs11"
)

// The AES and DES block modes as key wrapping mechanisms through the module,
// for applications written against SoftHSMv2, which wraps with CKM_AES_CBC
// and unwraps with CKM_DES3_CBC_PAD. Expected bytes come from crypto/aes,
// crypto/des and crypto/cipher.

// blockWrapMechs are the block modes that wrap and unwrap, all of them with
// both flags (SoftHSMv2 2.6 has CKF_WRAP alone on some, nothing on the ECB
// modes).
var blockWrapMechs = []struct {
	name string
	m    uint
}{
	{"CKM_AES_ECB", pkcs11.CKM_AES_ECB},
	{"CKM_AES_CBC", pkcs11.CKM_AES_CBC},
	{"CKM_AES_CBC_PAD", pkcs11.CKM_AES_CBC_PAD},
	{"CKM_DES_ECB", pkcs11.CKM_DES_ECB},
	{"CKM_DES_CBC", pkcs11.CKM_DES_CBC},
	{"CKM_DES_CBC_PAD", pkcs11.CKM_DES_CBC_PAD},
	{"CKM_DES3_ECB", pkcs11.CKM_DES3_ECB},
	{"CKM_DES3_CBC", pkcs11.CKM_DES3_CBC},
	{"CKM_DES3_CBC_PAD", pkcs11.CKM_DES3_CBC_PAD},
}

func TestBlockModeWrapFlags(t *testing.T) {
	fresh(t)
	slot := newToken(t, "blockwrap")
	for _, m := range blockWrapMechs {
		info, err := p11.GetMechanismInfo(slot, mech(m.m))
		must(t, "C_GetMechanismInfo("+m.name+")", err)
		want := uint(pkcs11.CKF_ENCRYPT | pkcs11.CKF_DECRYPT | pkcs11.CKF_WRAP | pkcs11.CKF_UNWRAP)
		if info.Flags&want != want {
			t.Errorf("%s: flags 0x%x, want 0x%x set", m.name, info.Flags, want)
		}
	}
}

// An AES-256 key wrapped with CKM_AES_CBC is its value encrypted in CBC
// mode (two whole blocks, so no null padding), and unwraps to the same
// value; a 20-byte generic secret is null-padded to 32 bytes and comes back
// with CKA_VALUE_LEN 20.
func TestWrapAESCBC(t *testing.T) {
	_, sh := userSession(t)
	kekValue := bytes.Repeat([]byte{0x6b}, 32)
	kek := create(t, sh, aesTemplate(kekValue, attr(pkcs11.CKA_WRAP, true), attr(pkcs11.CKA_UNWRAP, true)))
	iv := []byte("sixteen byte IV!")
	m := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_CBC, iv)}
	block, err := aes.NewCipher(kekValue)
	if err != nil {
		t.Fatal(err)
	}
	cbc := func(pt []byte) []byte {
		out := make([]byte, len(pt))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(out, pt)
		return out
	}

	secret := []byte("an AES-256 key, thirty-two bytes")
	target := create(t, sh, aesTemplate(secret, attr(pkcs11.CKA_EXTRACTABLE, true), attr(pkcs11.CKA_SENSITIVE, true)))
	wrapped, err := p11.WrapKey(sh, m, kek, target)
	must(t, "C_WrapKey(CKM_AES_CBC)", err)
	if want := cbc(secret); !bytes.Equal(wrapped, want) {
		t.Fatalf("C_WrapKey(CKM_AES_CBC): %x, want %x", wrapped, want)
	}
	back, err := p11.UnwrapKey(sh, m, kek, wrapped, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		attr(pkcs11.CKA_EXTRACTABLE, true), attr(pkcs11.CKA_SENSITIVE, false),
	})
	must(t, "C_UnwrapKey(CKM_AES_CBC)", err)
	if got := getAttr(t, sh, back, pkcs11.CKA_VALUE); !bytes.Equal(got, secret) {
		t.Fatalf("unwrapped key value %x", got)
	}
	if n := getULong(t, sh, back, pkcs11.CKA_VALUE_LEN); n != 32 {
		t.Fatalf("unwrapped CKA_VALUE_LEN %d", n)
	}
	if getBool(t, sh, back, pkcs11.CKA_LOCAL) || getBool(t, sh, back, pkcs11.CKA_ALWAYS_SENSITIVE) || getBool(t, sh, back, pkcs11.CKA_NEVER_EXTRACTABLE) {
		t.Fatal("an unwrapped key claims to be local, always sensitive or never extractable")
	}

	generic := []byte("twenty bytes secret!")
	g := create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_VALUE, generic), attr(pkcs11.CKA_EXTRACTABLE, true),
	})
	wrapped, err = p11.WrapKey(sh, m, kek, g)
	must(t, "C_WrapKey(CKM_AES_CBC) of a 20-byte key", err)
	if want := cbc(append(bytes.Clone(generic), make([]byte, 12)...)); !bytes.Equal(wrapped, want) {
		t.Fatalf("C_WrapKey(CKM_AES_CBC) of 20 bytes: %x, want the value null-padded to 32 bytes, %x", wrapped, want)
	}
	genericTmpl := func(n int) []*pkcs11.Attribute {
		return []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			attr(pkcs11.CKA_VALUE_LEN, n), attr(pkcs11.CKA_EXTRACTABLE, true), attr(pkcs11.CKA_SENSITIVE, false),
		}
	}
	back, err = p11.UnwrapKey(sh, m, kek, wrapped, genericTmpl(20))
	must(t, "C_UnwrapKey(CKM_AES_CBC, CKA_VALUE_LEN 20)", err)
	if got := getAttr(t, sh, back, pkcs11.CKA_VALUE); !bytes.Equal(got, generic) {
		t.Fatalf("unwrapped 20-byte key %x", got)
	}

	// The codes: more than the blob holds, not whole blocks, a private key.
	_, err = p11.UnwrapKey(sh, m, kek, wrapped, genericTmpl(33))
	wantRV(t, "C_UnwrapKey(CKM_AES_CBC, CKA_VALUE_LEN 33 of 32)", err, pkcs11.CKR_TEMPLATE_INCONSISTENT)
	_, err = p11.UnwrapKey(sh, m, kek, wrapped[:31], genericTmpl(20))
	wantRV(t, "C_UnwrapKey(CKM_AES_CBC) of 31 bytes", err, pkcs11.CKR_WRAPPED_KEY_LEN_RANGE)
	ek, err := ecdsa.GenerateKey(curves[0].curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	priv := create(t, sh, ecPrivateTemplate(t, curves[0].oid, ek, attr(pkcs11.CKA_EXTRACTABLE, true)))
	_, err = p11.WrapKey(sh, m, kek, priv)
	wantRV(t, "C_WrapKey(CKM_AES_CBC) of an extractable private key", err, pkcs11.CKR_KEY_NOT_WRAPPABLE)
}

// A blob made outside the token, TDEA-CBC of a PKCS #7-padded AES key,
// unwraps with CKM_DES3_CBC_PAD; C_WrapKey makes the same blob.
func TestUnwrapDES3CBCPad(t *testing.T) {
	_, sh := userSession(t)
	kekValue := []byte("three DES keys, 24 bytes")
	kek := create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_DES3),
		attr(pkcs11.CKA_VALUE, kekValue), attr(pkcs11.CKA_WRAP, true), attr(pkcs11.CKA_UNWRAP, true),
	})
	iv := []byte("8byte iv")
	block, err := des.NewTripleDESCipher(kekValue)
	if err != nil {
		t.Fatal(err)
	}
	secret := []byte("AES-128 key, 16")
	secret = append(secret, '!')
	padded := append(bytes.Clone(secret), bytes.Repeat([]byte{8}, 8)...) // 16 bytes: a whole block of padding
	blob := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(blob, padded)

	m := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_DES3_CBC_PAD, iv)}
	back, err := p11.UnwrapKey(sh, m, kek, blob, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		attr(pkcs11.CKA_EXTRACTABLE, true), attr(pkcs11.CKA_SENSITIVE, false),
	})
	must(t, "C_UnwrapKey(CKM_DES3_CBC_PAD)", err)
	if got := getAttr(t, sh, back, pkcs11.CKA_VALUE); !bytes.Equal(got, secret) {
		t.Fatalf("unwrapped key value %q, want %q", got, secret)
	}
	if got := getAttr(t, sh, back, pkcs11.CKA_CHECK_VALUE); !bytes.Equal(got, aesCheckValue(t, secret)) {
		t.Fatalf("unwrapped key CKA_CHECK_VALUE %x", got)
	}
	wrapped, err := p11.WrapKey(sh, m, kek, back)
	must(t, "C_WrapKey(CKM_DES3_CBC_PAD)", err)
	if !bytes.Equal(wrapped, blob) {
		t.Fatalf("C_WrapKey(CKM_DES3_CBC_PAD): %x, want %x", wrapped, blob)
	}
	bad := bytes.Clone(blob)
	bad[len(bad)-1] ^= 0x80
	_, err = p11.UnwrapKey(sh, m, kek, bad, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
	})
	wantRV(t, "C_UnwrapKey(CKM_DES3_CBC_PAD) with bad padding", err, pkcs11.CKR_WRAPPED_KEY_INVALID)
}

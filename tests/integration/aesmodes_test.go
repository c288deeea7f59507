package integration

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"github.com/miekg/pkcs11"
)

// Multi-part AES-CBC-PAD through the module, byte for byte against Go's
// crypto/cipher with PKCS#7 padding, and back.
func TestAESCBCPadMultiPart(t *testing.T) {
	_, sh := userSession(t)
	key := bytes.Repeat([]byte{0x31}, 32)
	h := create(t, sh, aesTemplate(key, attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, true)))
	iv := bytes.Repeat([]byte{0x0f}, 16)
	m := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_CBC_PAD, iv)}
	msg := bytes.Repeat([]byte("forty-one bytes of text, not a multiple!"), 3)

	must(t, "C_EncryptInit", p11.EncryptInit(sh, m, h))
	var ct []byte
	for _, part := range [][]byte{msg[:7], msg[7:40], msg[40:]} {
		out, err := p11.EncryptUpdate(sh, part)
		must(t, "C_EncryptUpdate", err)
		ct = append(ct, out...)
	}
	last, err := p11.EncryptFinal(sh)
	must(t, "C_EncryptFinal", err)
	ct = append(ct, last...)

	block, _ := aes.NewCipher(key)
	pad := 16 - len(msg)%16
	padded := append(bytes.Clone(msg), bytes.Repeat([]byte{byte(pad)}, pad)...)
	want := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(want, padded)
	if !bytes.Equal(ct, want) {
		t.Fatalf("CBC-PAD ciphertext differs from crypto/cipher's")
	}

	must(t, "C_DecryptInit", p11.DecryptInit(sh, m, h))
	var pt []byte
	for _, part := range [][]byte{ct[:16], ct[16:33], ct[33:]} {
		out, err := p11.DecryptUpdate(sh, part)
		must(t, "C_DecryptUpdate", err)
		pt = append(pt, out...)
	}
	last, err = p11.DecryptFinal(sh)
	must(t, "C_DecryptFinal", err)
	if pt = append(pt, last...); !bytes.Equal(pt, msg) {
		t.Fatalf("CBC-PAD round trip: %q", pt)
	}

	// A corrupted last block fails the padding check.
	bad := bytes.Clone(ct)
	bad[len(bad)-1] ^= 0xff
	must(t, "C_DecryptInit", p11.DecryptInit(sh, m, h))
	_, err = p11.Decrypt(sh, bad)
	wantRV(t, "C_Decrypt with bad padding", err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)
}

// A token key wrapped with AES key wrap (RFC 5649) leaves as ciphertext only
// and comes back as a new key with the same value.
func TestWrapUnwrapKWP(t *testing.T) {
	_, sh := userSession(t)
	kek := create(t, sh, aesTemplate(bytes.Repeat([]byte{0x4b}, 32), attr(pkcs11.CKA_WRAP, true), attr(pkcs11.CKA_UNWRAP, true)))
	secret := bytes.Repeat([]byte{0x5c}, 24)
	target := create(t, sh, aesTemplate(secret, attr(pkcs11.CKA_EXTRACTABLE, true), attr(pkcs11.CKA_SENSITIVE, true)))
	m := []*pkcs11.Mechanism{pkcs11.NewMechanism(ckmAESKeyWrapKWP, nil)}

	wrapped, err := p11.WrapKey(sh, m, kek, target)
	must(t, "C_WrapKey", err)
	if len(wrapped) != 32 || bytes.Contains(wrapped, secret[:8]) {
		t.Fatalf("wrapped form of a 24-byte key: %d bytes", len(wrapped))
	}
	back, err := p11.UnwrapKey(sh, m, kek, wrapped, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		attr(pkcs11.CKA_EXTRACTABLE, true), attr(pkcs11.CKA_SENSITIVE, false),
	})
	must(t, "C_UnwrapKey", err)
	if got := getAttr(t, sh, back, pkcs11.CKA_VALUE); !bytes.Equal(got, secret) {
		t.Fatalf("unwrapped key value %x", got)
	}
	if getBool(t, sh, back, pkcs11.CKA_LOCAL) || getBool(t, sh, back, pkcs11.CKA_NEVER_EXTRACTABLE) {
		t.Fatal("an unwrapped key claims to be local or never extractable")
	}
	wrapped[3] ^= 1
	_, err = p11.UnwrapKey(sh, m, kek, wrapped, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
	})
	wantRV(t, "C_UnwrapKey of a corrupted blob", err, pkcs11.CKR_WRAPPED_KEY_INVALID)
	unextractable := create(t, sh, aesTemplate(secret))
	_, err = p11.WrapKey(sh, m, kek, unextractable)
	wantRV(t, "C_WrapKey of an unextractable key", err, pkcs11.CKR_KEY_UNEXTRACTABLE)
}

// ckmAESKeyWrapKWP is CKM_AES_KEY_WRAP_KWP (PKCS#11 3.0), which miekg/pkcs11
// 1.1 does not name.
const ckmAESKeyWrapKWP = 0x210B

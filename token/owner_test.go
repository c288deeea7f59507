package token

import (
	"bytes"
	"crypto/aes"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestOwnedObjects: objects an owner session creates carry CKA_KAGI_OWNER;
// other sessions may read and use them but not change, copy or destroy
// them; nobody can name an owner in a template.
func TestOwnedObjects(t *testing.T) {
	l, slot, plain, db := ready(t)
	app, err := l.OpenOwnerSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION, "app")
	if err != nil {
		t.Fatal(err)
	}
	data, err := l.CreateObject(app, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_DATA), attr(ck.CKA_TOKEN, true), attr(ck.CKA_PRIVATE, true),
		attr(ck.CKA_LABEL, "meta"), attr(ck.CKA_VALUE, "state"),
	})
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	aesKey, err := l.CreateObject(app, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_TOKEN, true),
		attr(ck.CKA_VALUE, key), attr(ck.CKA_ENCRYPT, true), attr(ck.CKA_LABEL, "hbk"),
	})
	if err != nil {
		t.Fatal(err)
	}
	vals, err := l.GetAttributeValue(plain, data, []ck.AttributeType{ck.CKA_KAGI_OWNER})
	if err != nil || string(vals[0].Value) != "app" {
		t.Fatalf("CKA_KAGI_OWNER %q %v", vals[0].Value, err)
	}

	other, err := l.OpenOwnerSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION, "another-app")
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range []ck.SessionHandle{plain, other} {
		for _, h := range []ck.ObjectHandle{data, aesKey} {
			wantRV(t, l.SetAttributeValue(sh, h, []ck.Attribute{attr(ck.CKA_LABEL, "mine")}), ck.CKR_ACTION_PROHIBITED)
			_, err := l.CopyObject(sh, h, nil)
			wantRV(t, err, ck.CKR_ACTION_PROHIBITED)
			_, err = l.CopyObject(sh, h, []ck.Attribute{attr(ck.CKA_LABEL, "mine")})
			wantRV(t, err, ck.CKR_ACTION_PROHIBITED)
			wantRV(t, l.DestroyObject(sh, h), ck.CKR_ACTION_PROHIBITED)
		}
	}
	// Use is allowed: the key encrypts for a plain session.
	if err := l.EncryptInit(plain, ck.Mechanism{Type: ck.CKM_AES_ECB}, aesKey); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 16)
	if _, err := l.Encrypt(plain, make([]byte, 16), out); err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	want := make([]byte, 16)
	block.Encrypt(want, make([]byte, 16))
	if !bytes.Equal(out, want) {
		t.Fatal("owned key encrypts wrongly")
	}

	// Nobody names an owner: not a PKCS#11 client, not even the owner.
	for _, sh := range []ck.SessionHandle{plain, app} {
		_, err := l.CreateObject(sh, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DATA), attr(ck.CKA_KAGI_OWNER, "app")})
		wantRV(t, err, ck.CKR_ATTRIBUTE_READ_ONLY)
	}
	plainData, err := l.CreateObject(plain, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DATA), attr(ck.CKA_TOKEN, true)})
	if err != nil {
		t.Fatal(err)
	}
	wantRV(t, l.SetAttributeValue(plain, plainData, []ck.Attribute{attr(ck.CKA_KAGI_OWNER, "app")}), ck.CKR_ATTRIBUTE_READ_ONLY)
	if vals, _ := l.GetAttributeValue(plain, plainData, []ck.AttributeType{ck.CKA_KAGI_OWNER}); vals[0].Err != ck.CKR_ATTRIBUTE_TYPE_INVALID {
		t.Fatalf("a client's object has an owner: %+v", vals[0])
	}
	_, err = l.OpenOwnerSession(slot, ck.CKF_SERIAL_SESSION, "")
	wantRV(t, err, ck.CKR_ARGUMENTS_BAD)

	// The mark is stored: another process's plain session is refused too.
	l2 := open(t, db)
	sh2, err := l2.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := l2.Login(sh2, ck.CKU_USER, userPIN); err != nil {
		t.Fatal(err)
	}
	hs := find(t, l2, sh2, attr(ck.CKA_LABEL, "meta"))
	if len(hs) != 1 {
		t.Fatalf("%d objects labelled meta", len(hs))
	}
	wantRV(t, l2.DestroyObject(sh2, hs[0]), ck.CKR_ACTION_PROHIBITED)

	// The owner itself changes and destroys as usual.
	if err := l.SetAttributeValue(app, data, []ck.Attribute{attr(ck.CKA_VALUE, "new state")}); err != nil {
		t.Fatal(err)
	}
	if err := l.DestroyObject(app, aesKey); err != nil {
		t.Fatal(err)
	}
}

func TestOwnerAttributeIsNotAnArray(t *testing.T) {
	if ck.IsArrayAttribute(ck.CKA_KAGI_OWNER) || ck.CKA_KAGI_OWNER < ck.CKA_VENDOR_DEFINED {
		t.Fatalf("CKA_KAGI_OWNER 0x%x must be vendor-defined and not an array attribute", uint64(ck.CKA_KAGI_OWNER))
	}
}

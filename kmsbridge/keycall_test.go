package kmsbridge

import (
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestCachedKeyObjectDestroyed: after Sign and GenerateMac have cached
// their key objects' handles, the handles go stale: after a logout the
// next calls look the objects up again and work; after the objects are
// destroyed they answer KMSInvalidStateException (the key's material is
// gone), never a signature or MAC from anything else.
func TestCachedKeyObjectDestroyed(t *testing.T) {
	b, l, _ := newBridge(t)
	ecc := mustCreateSpec(t, b, "ECC_NIST_P256", "SIGN_VERIFY")
	mac := mustCreateSpec(t, b, "HMAC_256", "GENERATE_VERIFY_MAC")
	msg := []byte("cached handles")
	sign := func() error {
		_, err := b.Sign(bg, &SignRequest{KeyId: ecc.KeyId, Message: msg, SigningAlgorithm: "ECDSA_SHA_256"})
		return err
	}
	genMAC := func() error {
		_, err := b.GenerateMac(bg, &GenerateMacRequest{KeyId: mac.KeyId, Message: msg, MacAlgorithm: "HMAC_SHA_256"})
		return err
	}
	for i := 0; i < 2; i++ { // the second call uses the cached handles
		if err := sign(); err != nil {
			t.Fatal(err)
		}
		if err := genMAC(); err != nil {
			t.Fatal(err)
		}
	}
	// A logout kills the handles of private objects (PKCS#11 section
	// 5.6): the bridge logs in again and finds the objects afresh.
	sh, err := l.OpenSession(b.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(sh)
	if err := l.Logout(sh); err != nil {
		t.Fatal(err)
	}
	s, err := b.Sign(bg, &SignRequest{KeyId: ecc.KeyId, Message: msg, SigningAlgorithm: "ECDSA_SHA_256"})
	if err != nil {
		t.Fatalf("Sign after a logout: %v", err)
	}
	stdVerify(t, publicKey(t, b, ecc.KeyId), "ECDSA_SHA_256", digestOf("ECDSA_SHA_256", msg), s.Signature)
	if err := genMAC(); err != nil {
		t.Fatalf("GenerateMac after a logout: %v", err)
	}

	// Only kagi itself (an owner session) can destroy a KMS key's objects.
	owner, err := l.OpenOwnerSession(b.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION, Owner)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(owner)
	for _, o := range []struct {
		id    string
		class ck.ObjectClass
	}{{ecc.KeyId, ck.CKO_PRIVATE_KEY}, {mac.KeyId, ck.CKO_SECRET_KEY}} {
		if err := l.DestroyObject(owner, findLabelled(t, l, owner, o.id, o.class)); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, sign(), CodeKMSInvalidState)
	wantCode(t, genMAC(), CodeKMSInvalidState)
}

package kmsbridge

import (
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestCachedKeyObjectDestroyed: after Sign and GenerateMac have cached
// their key objects' handles, a PKCS#11 client destroys the objects; the
// next call finds the handle stale, looks again, and answers
// KMSInvalidStateException (the key's material is gone), never a
// signature or MAC from anything else.
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
	withUserSession(t, b, l, func(sh ck.SessionHandle) {
		for _, o := range []struct {
			id    string
			class ck.ObjectClass
		}{{ecc.KeyId, ck.CKO_PRIVATE_KEY}, {mac.KeyId, ck.CKO_SECRET_KEY}} {
			if err := l.DestroyObject(sh, findLabelled(t, l, sh, o.id, o.class)); err != nil {
				t.Fatal(err)
			}
		}
	})
	wantCode(t, sign(), CodeKMSInvalidState)
	wantCode(t, genMAC(), CodeKMSInvalidState)
}

package kmsbridge

import (
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestAsymmetricRestartAndLogout: signing, RSA and HMAC keys work after a
// restart (found on the token by label and CKA_ID, as backing keys are) and
// after a PKCS#11 client logs the token out behind the bridge; a key pair
// whose private key a client destroyed gives KMSInvalidStateException.
func TestAsymmetricRestartAndLogout(t *testing.T) {
	b, l, db := newBridge(t)
	sig := mustCreateSpec(t, b, "ECC_NIST_P256", "SIGN_VERIFY")
	enc := mustCreateSpec(t, b, "RSA_2048", "ENCRYPT_DECRYPT")
	hm := mustCreateSpec(t, b, "HMAC_256", "GENERATE_VERIFY_MAC")
	msg := []byte("before the restart")
	s, err := b.Sign(bg, &SignRequest{KeyId: sig.KeyId, Message: msg, SigningAlgorithm: "ECDSA_SHA_256"})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := b.Encrypt(bg, &EncryptRequest{KeyId: enc.KeyId, Plaintext: msg, EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
	if err != nil {
		t.Fatal(err)
	}
	mac, err := b.GenerateMac(bg, &GenerateMacRequest{KeyId: hm.KeyId, Message: msg, MacAlgorithm: "HMAC_SHA_256"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Finalize(); err != nil {
		t.Fatal(err)
	}
	l = openLib(t, db)
	b, err = Open(l, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })

	sh, err := l.OpenSession(b.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(sh)
	for i, op := range []func() error{
		func() error {
			_, err := b.Verify(bg, &VerifyRequest{KeyId: sig.KeyId, Message: msg, Signature: s.Signature, SigningAlgorithm: "ECDSA_SHA_256"})
			return err
		},
		func() error {
			out, err := b.Decrypt(bg, &DecryptRequest{KeyId: enc.KeyId, CiphertextBlob: ct.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
			if err == nil && string(out.Plaintext) != string(msg) {
				t.Fatal("RSA plaintext changed over the restart")
			}
			return err
		},
		func() error {
			_, err := b.VerifyMac(bg, &VerifyMacRequest{KeyId: hm.KeyId, Message: msg, Mac: mac.Mac, MacAlgorithm: "HMAC_SHA_256"})
			return err
		},
		func() error { _, err := b.GetPublicKey(bg, &GetPublicKeyRequest{KeyId: sig.KeyId}); return err },
		func() error {
			_, err := b.CreateKey(bg, &CreateKeyRequest{KeySpec: "ECC_NIST_P384", KeyUsage: "SIGN_VERIFY"})
			return err
		},
	} {
		if err := l.Logout(sh); err != nil {
			t.Fatalf("logout before operation %d: %v", i, err)
		}
		if err := op(); err != nil {
			t.Fatalf("operation %d after a restart and a logout: %v", i, err)
		}
	}

	// A missing private key (only kagi itself, through an owner session,
	// can destroy it: PKCS#11 clients get CKR_ACTION_PROHIBITED).
	priv := findLabelled(t, l, sh, sig.KeyId, ck.CKO_PRIVATE_KEY)
	if err := l.DestroyObject(sh, priv); ck.ErrorRV(err) != ck.CKR_ACTION_PROHIBITED {
		t.Fatalf("a PKCS#11 session destroying a KMS private key: %v", err)
	}
	owner, err := l.OpenOwnerSession(b.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION, Owner)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(owner)
	if err := l.DestroyObject(owner, priv); err != nil {
		t.Fatal(err)
	}
	_, err = b.Sign(bg, &SignRequest{KeyId: sig.KeyId, Message: msg, SigningAlgorithm: "ECDSA_SHA_256"})
	wantCode(t, err, CodeKMSInvalidState)
}

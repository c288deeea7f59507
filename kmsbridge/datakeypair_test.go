package kmsbridge

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// inCI reports whether a missing tool is a failure ($CI set and not
// "false") rather than a skip.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false"
}

// requireTool skips the test if a tool is missing, or fails it under CI.
func requireTool(t *testing.T, name, pkg string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if inCI() {
			t.Fatalf("%s is not installed (Debian package %s); CI must install it", name, pkg)
		}
		t.Skipf("%s is not installed (Debian package %s); skipping (under CI=true this is a failure)", name, pkg)
	}
}

// checkDataKeyPair checks a pair the way its user would: the PKCS#8 parses
// with Go's x509, its public half is PublicKey, and a signature made with it
// verifies with PublicKey.
func checkDataKeyPair(t *testing.T, spec string, pkcs8, spki []byte) {
	t.Helper()
	priv, err := x509.ParsePKCS8PrivateKey(pkcs8)
	if err != nil {
		t.Fatalf("%s: PKCS#8 does not parse: %v", spec, err)
	}
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Fatalf("%s: PublicKey does not parse: %v", spec, err)
	}
	signer := priv.(crypto.Signer)
	half, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil || !bytes.Equal(half, spki) {
		t.Fatalf("%s: the private key's public half is not PublicKey", spec)
	}
	digest := sha256.Sum256([]byte("signed outside KMS"))
	sig, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if want := asymSpecs[spec].rsaBits; k.N.BitLen() != want {
			t.Fatalf("%s: modulus of %d bits", spec, k.N.BitLen())
		}
		err = rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig)
	case *ecdsa.PublicKey:
		if want := ecCurve(asymSpecs[spec].ecParams); k.Curve != want {
			t.Fatalf("%s: curve %s", spec, k.Curve.Params().Name)
		}
		if !ecdsa.VerifyASN1(k, digest[:], sig) {
			err = fmt.Errorf("ECDSA signature does not verify")
		}
	default:
		t.Fatalf("%s: public key %T", spec, pub)
	}
	if err != nil {
		t.Fatalf("%s: %v", spec, err)
	}
}

// countObjects counts the token's objects (token true) or the session
// objects visible to a session: a data key pair must leave none behind.
func countObjects(t *testing.T, b *Bridge, token bool) int {
	t.Helper()
	n := 0
	err := b.withSession(bg, func(sh ck.SessionHandle) error {
		hs, err := b.findAll(sh, []ck.Attribute{boolAttr(ck.CKA_TOKEN, token)})
		n = len(hs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestGenerateDataKeyPairEverySpec(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "wraps pairs")
	ectx := map[string]string{"purpose": "pair"}
	stored := countObjects(t, b, true)
	for _, spec := range []string{"RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"} {
		t.Run(spec, func(t *testing.T) {
			out, err := b.GenerateDataKeyPair(bg, &GenerateDataKeyPairRequest{KeyId: md.KeyId, KeyPairSpec: spec, EncryptionContext: ectx})
			if err != nil {
				t.Fatal(err)
			}
			if out.KeyId != md.Arn || out.KeyPairSpec != spec {
				t.Fatalf("KeyId %q KeyPairSpec %q", out.KeyId, out.KeyPairSpec)
			}
			checkDataKeyPair(t, spec, out.PrivateKeyPlaintext, out.PublicKey)
			// The sealed private key is an ordinary blob: Decrypt with the
			// same context gives the PKCS#8, another context does not.
			dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: out.PrivateKeyCiphertextBlob, EncryptionContext: ectx})
			if err != nil || !bytes.Equal(dec.Plaintext, out.PrivateKeyPlaintext) || dec.KeyId != md.Arn {
				t.Fatalf("Decrypt of PrivateKeyCiphertextBlob: %v", err)
			}
			_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: out.PrivateKeyCiphertextBlob})
			wantCode(t, err, CodeInvalidCiphertext)
		})
	}
	if n := countObjects(t, b, false); n != 0 {
		t.Fatalf("%d session objects left on the token", n)
	}
	if n := countObjects(t, b, true); n != stored {
		t.Fatalf("%d token objects after the pairs, %d before", n, stored)
	}
}

func TestGenerateDataKeyPairWithoutPlaintext(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "wraps pairs")
	ectx := map[string]string{"tenant": "7"}
	out, err := b.GenerateDataKeyPairWithoutPlaintext(bg, &GenerateDataKeyPairRequest{KeyId: md.KeyId, KeyPairSpec: "ECC_NIST_P256", EncryptionContext: ectx})
	if err != nil {
		t.Fatal(err)
	}
	if out.KeyId != md.Arn || out.KeyPairSpec != "ECC_NIST_P256" {
		t.Fatalf("KeyId %q KeyPairSpec %q", out.KeyId, out.KeyPairSpec)
	}
	dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: out.PrivateKeyCiphertextBlob, EncryptionContext: ectx})
	if err != nil {
		t.Fatal(err)
	}
	checkDataKeyPair(t, "ECC_NIST_P256", dec.Plaintext, out.PublicKey)
	// Two calls give two different pairs.
	again, err := b.GenerateDataKeyPairWithoutPlaintext(bg, &GenerateDataKeyPairRequest{KeyId: md.KeyId, KeyPairSpec: "ECC_NIST_P256"})
	if err != nil || bytes.Equal(again.PublicKey, out.PublicKey) {
		t.Fatalf("second pair: %v, same public key: %v", err, again != nil && bytes.Equal(again.PublicKey, out.PublicKey))
	}
	if n := countObjects(t, b, false); n != 0 {
		t.Fatalf("%d session objects left on the token", n)
	}
}

// TestGenerateDataKeyPairErrors: each bad request gets AWS's code, for both
// operations.
func TestGenerateDataKeyPairErrors(t *testing.T) {
	b, _, _ := newBridge(t)
	sym := mustCreate(t, b, "sym").KeyId
	rsaKey := mustCreateSpec(t, b, "RSA_2048", KeyUsageEncryptDecrypt).KeyId
	ecKey := mustCreateSpec(t, b, "ECC_NIST_P256", KeyUsageSignVerify).KeyId
	hmacKey := mustCreateSpec(t, b, "HMAC_256", KeyUsageGenerateVerifyMac).KeyId
	disabled := mustCreate(t, b, "disabled").KeyId
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: disabled}); err != nil {
		t.Fatal(err)
	}
	pending := mustCreate(t, b, "pending").KeyId
	if _, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: pending, PendingWindowInDays: i32(7)}); err != nil {
		t.Fatal(err)
	}
	big := map[string]string{}
	for i := 0; i <= maxContextPairs; i++ {
		big[fmt.Sprint(i)] = "v"
	}
	for _, c := range []struct {
		name string
		req  GenerateDataKeyPairRequest
		code string
	}{
		{"no spec", GenerateDataKeyPairRequest{KeyId: sym}, CodeValidation},
		{"unknown spec", GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "RSA_1024"}, CodeValidation},
		{"symmetric spec", GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "AES_256"}, CodeValidation},
		{"secp256k1", GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "ECC_SECG_P256K1"}, CodeUnsupportedOperation},
		{"SM2", GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "SM2"}, CodeUnsupportedOperation},
		{"recipient", GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "RSA_2048",
			Recipient: []byte(`{"AttestationDocument":"AAAA","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}`)}, CodeUnsupportedOperation},
		{"no key", GenerateDataKeyPairRequest{KeyPairSpec: "RSA_2048"}, CodeValidation},
		{"unknown key", GenerateDataKeyPairRequest{KeyId: "11111111-2222-3333-4444-555555555555", KeyPairSpec: "RSA_2048"}, CodeNotFound},
		{"unknown alias", GenerateDataKeyPairRequest{KeyId: "alias/none", KeyPairSpec: "RSA_2048"}, CodeNotFound},
		{"RSA KMS key", GenerateDataKeyPairRequest{KeyId: rsaKey, KeyPairSpec: "ECC_NIST_P256"}, CodeInvalidKeyUsage},
		{"EC KMS key", GenerateDataKeyPairRequest{KeyId: ecKey, KeyPairSpec: "ECC_NIST_P256"}, CodeInvalidKeyUsage},
		{"HMAC KMS key", GenerateDataKeyPairRequest{KeyId: hmacKey, KeyPairSpec: "ECC_NIST_P256"}, CodeInvalidKeyUsage},
		{"disabled", GenerateDataKeyPairRequest{KeyId: disabled, KeyPairSpec: "ECC_NIST_P256"}, CodeDisabled},
		{"pending deletion", GenerateDataKeyPairRequest{KeyId: pending, KeyPairSpec: "ECC_NIST_P256"}, CodeKMSInvalidState},
		{"context too large", GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "ECC_NIST_P256", EncryptionContext: big}, CodeValidation},
		{"dry run", GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "RSA_4096", DryRun: true}, CodeDryRunOperation},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.GenerateDataKeyPair(bg, &c.req)
			wantCode(t, err, c.code)
			_, err = b.GenerateDataKeyPairWithoutPlaintext(bg, &c.req)
			wantCode(t, err, c.code)
		})
	}
	// A null Recipient is no recipient.
	if _, err := b.GenerateDataKeyPair(bg, &GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "ECC_NIST_P256", Recipient: []byte("null")}); err != nil {
		t.Fatal(err)
	}
}

// TestDataKeyPairOpenSSL: openssl, an independent PKCS#8 parser, accepts the
// private key, finds it consistent, and derives the same public key.
func TestDataKeyPairOpenSSL(t *testing.T) {
	requireTool(t, "openssl", "openssl")
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "wraps pairs")
	for _, spec := range []string{"RSA_2048", "ECC_NIST_P384", "ECC_NIST_P521"} {
		out, err := b.GenerateDataKeyPair(bg, &GenerateDataKeyPairRequest{KeyId: md.KeyId, KeyPairSpec: spec})
		if err != nil {
			t.Fatal(err)
		}
		// The key goes to openssl on its standard input, never to a file.
		cmd := exec.Command("openssl", "pkey", "-inform", "DER", "-check", "-noout")
		cmd.Stdin = bytes.NewReader(out.PrivateKeyPlaintext)
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: openssl pkey -check: %v: %s", spec, err, msg)
		}
		cmd = exec.Command("openssl", "pkey", "-inform", "DER", "-pubout", "-outform", "DER")
		cmd.Stdin = bytes.NewReader(out.PrivateKeyPlaintext)
		pub, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: openssl pkey -pubout: %v", spec, err)
		}
		if !bytes.Equal(pub, out.PublicKey) {
			t.Fatalf("%s: openssl's public key differs from PublicKey", spec)
		}
	}
}

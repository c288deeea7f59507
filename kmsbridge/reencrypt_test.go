package kmsbridge

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"testing"
)

// oaepHash is the hash of an RSAES_OAEP algorithm, for Go's rsa package.
func oaepHash(alg string) hash.Hash {
	if alg == "RSAES_OAEP_SHA_1" {
		return sha1.New()
	}
	return sha256.New()
}

// stdOAEP encrypts with Go's standard library under the public key that
// GetPublicKey gives, as a user of an RSA KMS key does.
func stdOAEP(t *testing.T, b *Bridge, keyID, alg string, msg []byte) []byte {
	t.Helper()
	ct, err := rsa.EncryptOAEP(oaepHash(alg), rand.Reader, publicKey(t, b, keyID).(*rsa.PublicKey), msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// TestReEncryptAsymmetric moves a plaintext between RSA and symmetric keys
// in every direction; each result decrypts to it.
func TestReEncryptAsymmetric(t *testing.T) {
	b, _, _ := newBridge(t)
	sym := mustCreate(t, b, "sym")
	r2 := mustCreateSpec(t, b, "RSA_2048", KeyUsageEncryptDecrypt)
	r3 := mustCreateSpec(t, b, "RSA_3072", KeyUsageEncryptDecrypt)
	msg := []byte("a data key moving between keys")
	dctx := map[string]string{"to": "sym"}

	// RSA -> symmetric: the source is Go's OAEP ciphertext.
	for _, alg := range rsaEncryptionAlgs {
		out, err := b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: stdOAEP(t, b, r2.KeyId, alg, msg),
			SourceKeyId: r2.KeyId, SourceEncryptionAlgorithm: alg,
			DestinationKeyId: sym.KeyId, DestinationEncryptionContext: dctx})
		if err != nil {
			t.Fatalf("%s -> symmetric: %v", alg, err)
		}
		if out.SourceKeyId != r2.Arn || out.KeyId != sym.Arn || out.SourceEncryptionAlgorithm != alg ||
			out.DestinationEncryptionAlgorithm != EncryptionAlgorithmSymmetricDefault {
			t.Fatalf("%s -> symmetric answer %+v", alg, out)
		}
		if got := mustDecrypt(t, b, out.CiphertextBlob, dctx); !bytes.Equal(got, msg) {
			t.Fatalf("%s -> symmetric: plaintext %q", alg, got)
		}
	}

	// symmetric -> RSA: the result is a raw OAEP ciphertext of the
	// destination's modulus length that Decrypt with that key opens.
	sctx := map[string]string{"from": "sym"}
	blob := mustEncrypt(t, b, sym.KeyId, msg, sctx)
	for _, alg := range rsaEncryptionAlgs {
		out, err := b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: blob, SourceEncryptionContext: sctx,
			DestinationKeyId: r3.Arn, DestinationEncryptionAlgorithm: alg})
		if err != nil {
			t.Fatalf("symmetric -> %s: %v", alg, err)
		}
		if len(out.CiphertextBlob) != 384 || out.SourceKeyId != sym.Arn || out.KeyId != r3.Arn ||
			out.SourceEncryptionAlgorithm != EncryptionAlgorithmSymmetricDefault || out.DestinationEncryptionAlgorithm != alg {
			t.Fatalf("symmetric -> %s: %d bytes, answer %+v", alg, len(out.CiphertextBlob), out)
		}
		dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, KeyId: r3.KeyId, EncryptionAlgorithm: alg})
		if err != nil || !bytes.Equal(dec.Plaintext, msg) {
			t.Fatalf("Decrypt of symmetric -> %s: %v", alg, err)
		}
	}

	// RSA -> RSA, changing the key and the hash.
	out, err := b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: stdOAEP(t, b, r3.KeyId, "RSAES_OAEP_SHA_256", msg),
		SourceKeyId: "alias/none", SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
		DestinationKeyId: r2.KeyId, DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_1"})
	wantCode(t, err, CodeNotFound)
	out, err = b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: stdOAEP(t, b, r3.KeyId, "RSAES_OAEP_SHA_256", msg),
		SourceKeyId: r3.Arn, SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
		DestinationKeyId: r2.KeyId, DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_1"})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, KeyId: r2.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_1"})
	if err != nil || !bytes.Equal(dec.Plaintext, msg) {
		t.Fatalf("Decrypt of RSA -> RSA: %v", err)
	}
	// The same RSA key on both sides works too.
	if _, err := b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: stdOAEP(t, b, r2.KeyId, "RSAES_OAEP_SHA_1", msg),
		SourceKeyId: r2.KeyId, SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_1",
		DestinationKeyId: r2.KeyId, DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_256"}); err != nil {
		t.Fatal(err)
	}
}

// TestReEncryptAsymmetricErrors: each request that does not fit its keys
// gets AWS's code, and nothing is decrypted for it.
func TestReEncryptAsymmetricErrors(t *testing.T) {
	b, _, _ := newBridge(t)
	sym := mustCreate(t, b, "sym").KeyId
	r2 := mustCreateSpec(t, b, "RSA_2048", KeyUsageEncryptDecrypt).KeyId
	signer := mustCreateSpec(t, b, "RSA_2048", KeyUsageSignVerify).KeyId
	disabled := mustCreateSpec(t, b, "RSA_2048", KeyUsageEncryptDecrypt).KeyId
	rsaCT := stdOAEP(t, b, r2, "RSAES_OAEP_SHA_256", []byte("secret"))
	disabledCT := stdOAEP(t, b, disabled, "RSAES_OAEP_SHA_256", []byte("secret"))
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: disabled}); err != nil {
		t.Fatal(err)
	}
	blob := mustEncrypt(t, b, sym, []byte("secret"), nil)
	long := mustEncrypt(t, b, sym, bytes.Repeat([]byte{7}, 4096), nil)
	garbage := make([]byte, 256)
	garbage[0] = 1
	const sha1Alg, sha256Alg = "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"

	for _, c := range []struct {
		name string
		req  ReEncryptRequest
		code string
	}{
		{"RSA source without SourceKeyId", ReEncryptRequest{CiphertextBlob: rsaCT, SourceEncryptionAlgorithm: sha256Alg, DestinationKeyId: sym}, CodeValidation},
		{"RSA source with a context", ReEncryptRequest{CiphertextBlob: rsaCT, SourceKeyId: r2, SourceEncryptionAlgorithm: sha256Alg,
			SourceEncryptionContext: map[string]string{"a": "b"}, DestinationKeyId: sym}, CodeValidation},
		{"RSA destination with a context", ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: r2, DestinationEncryptionAlgorithm: sha256Alg,
			DestinationEncryptionContext: map[string]string{"a": "b"}}, CodeValidation},
		{"unknown source algorithm", ReEncryptRequest{CiphertextBlob: blob, SourceEncryptionAlgorithm: "RSAES_PKCS1", DestinationKeyId: sym}, CodeValidation},
		{"unknown destination algorithm", ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: sym, DestinationEncryptionAlgorithm: "AES_GCM"}, CodeValidation},
		{"SM2PKE", ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: sym, DestinationEncryptionAlgorithm: "SM2PKE"}, CodeUnsupportedOperation},
		{"OAEP with a symmetric destination", ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: sym, DestinationEncryptionAlgorithm: sha1Alg}, CodeInvalidKeyUsage},
		{"symmetric algorithm with an RSA destination", ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: r2}, CodeInvalidKeyUsage},
		{"signing key as destination", ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: signer, DestinationEncryptionAlgorithm: sha1Alg}, CodeInvalidKeyUsage},
		{"OAEP with a symmetric source key", ReEncryptRequest{CiphertextBlob: rsaCT, SourceKeyId: sym, SourceEncryptionAlgorithm: sha256Alg, DestinationKeyId: sym}, CodeInvalidKeyUsage},
		{"symmetric algorithm with an RSA source key", ReEncryptRequest{CiphertextBlob: rsaCT, SourceKeyId: r2, DestinationKeyId: sym}, CodeInvalidKeyUsage},
		{"signing key as source", ReEncryptRequest{CiphertextBlob: rsaCT, SourceKeyId: signer, SourceEncryptionAlgorithm: sha256Alg, DestinationKeyId: sym}, CodeInvalidKeyUsage},
		{"disabled RSA source", ReEncryptRequest{CiphertextBlob: disabledCT, SourceKeyId: disabled, SourceEncryptionAlgorithm: sha256Alg, DestinationKeyId: sym}, CodeDisabled},
		{"disabled RSA destination", ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: disabled, DestinationEncryptionAlgorithm: sha256Alg}, CodeDisabled},
		{"RSA ciphertext of the wrong length", ReEncryptRequest{CiphertextBlob: rsaCT[:255], SourceKeyId: r2, SourceEncryptionAlgorithm: sha256Alg, DestinationKeyId: sym}, CodeInvalidCiphertext},
		{"RSA ciphertext that is not OAEP", ReEncryptRequest{CiphertextBlob: garbage, SourceKeyId: r2, SourceEncryptionAlgorithm: sha256Alg, DestinationKeyId: sym}, CodeInvalidCiphertext},
		{"RSA ciphertext under the other hash", ReEncryptRequest{CiphertextBlob: rsaCT, SourceKeyId: r2, SourceEncryptionAlgorithm: sha1Alg, DestinationKeyId: sym}, CodeInvalidCiphertext},
		{"RSA source key that is another key", ReEncryptRequest{CiphertextBlob: rsaCT, SourceKeyId: disabled, SourceEncryptionAlgorithm: sha256Alg, DestinationKeyId: sym}, CodeDisabled},
		{"plaintext too long for the RSA destination", ReEncryptRequest{CiphertextBlob: long, DestinationKeyId: r2, DestinationEncryptionAlgorithm: sha256Alg}, CodeValidation},
		{"dry run RSA -> RSA", ReEncryptRequest{CiphertextBlob: rsaCT, SourceKeyId: r2, SourceEncryptionAlgorithm: sha256Alg,
			DestinationKeyId: r2, DestinationEncryptionAlgorithm: sha1Alg, DryRun: true}, CodeDryRunOperation},
		{"dry run symmetric -> RSA", ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: r2, DestinationEncryptionAlgorithm: sha1Alg, DryRun: true}, CodeDryRunOperation},
		{"dry run with a bad RSA ciphertext length", ReEncryptRequest{CiphertextBlob: rsaCT[:10], SourceKeyId: r2, SourceEncryptionAlgorithm: sha256Alg,
			DestinationKeyId: sym, DryRun: true}, CodeInvalidCiphertext},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.ReEncrypt(bg, &c.req)
			wantCode(t, err, c.code)
		})
	}
}

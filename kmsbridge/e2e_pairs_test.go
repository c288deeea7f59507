package kmsbridge

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// TestSDKDataKeyPairs drives GenerateDataKeyPair(+WithoutPlaintext) through
// the endpoint with the AWS SDK for Go v2: the pair works with Go's crypto,
// and the sealed private key decrypts with the same context.
func TestSDKDataKeyPairs(t *testing.T) {
	b, _, _ := newBridge(t)
	c := serveBridge(t, b)
	created, err := c.CreateKey(bg, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	id := created.KeyMetadata.KeyId
	ectx := map[string]string{"app": "pairs"}

	pair, err := c.GenerateDataKeyPair(bg, &kms.GenerateDataKeyPairInput{KeyId: id, KeyPairSpec: types.DataKeyPairSpecRsa2048, EncryptionContext: ectx})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(pair.KeyId) != aws.ToString(created.KeyMetadata.Arn) || pair.KeyPairSpec != types.DataKeyPairSpecRsa2048 {
		t.Fatalf("KeyId %q KeyPairSpec %s", aws.ToString(pair.KeyId), pair.KeyPairSpec)
	}
	checkDataKeyPair(t, "RSA_2048", pair.PrivateKeyPlaintext, pair.PublicKey)
	dec, err := c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: ectx})
	if err != nil || !bytes.Equal(dec.Plaintext, pair.PrivateKeyPlaintext) {
		t.Fatalf("Decrypt of PrivateKeyCiphertextBlob: %v", err)
	}

	bare, err := c.GenerateDataKeyPairWithoutPlaintext(bg, &kms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: id, KeyPairSpec: types.DataKeyPairSpecEccNistP521})
	if err != nil {
		t.Fatal(err)
	}
	if bare.KeyPairSpec != types.DataKeyPairSpecEccNistP521 {
		t.Fatalf("KeyPairSpec %s", bare.KeyPairSpec)
	}
	dec, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: bare.PrivateKeyCiphertextBlob})
	if err != nil {
		t.Fatal(err)
	}
	checkDataKeyPair(t, "ECC_NIST_P521", dec.Plaintext, bare.PublicKey)

	// The SDK's typed errors.
	var unsupported *types.UnsupportedOperationException
	_, err = c.GenerateDataKeyPair(bg, &kms.GenerateDataKeyPairInput{KeyId: id, KeyPairSpec: types.DataKeyPairSpecSm2})
	if !errors.As(err, &unsupported) {
		t.Fatalf("SM2: %v, want UnsupportedOperationException", err)
	}
	var dry *types.DryRunOperationException
	_, err = c.GenerateDataKeyPairWithoutPlaintext(bg, &kms.GenerateDataKeyPairWithoutPlaintextInput{KeyId: id, KeyPairSpec: types.DataKeyPairSpecEccNistP256, DryRun: aws.Bool(true)})
	if !errors.As(err, &dry) {
		t.Fatalf("DryRun: %v, want DryRunOperationException", err)
	}
	rsaKey, err := c.CreateKey(bg, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	if err != nil {
		t.Fatal(err)
	}
	var usage *types.InvalidKeyUsageException
	_, err = c.GenerateDataKeyPair(bg, &kms.GenerateDataKeyPairInput{KeyId: rsaKey.KeyMetadata.KeyId, KeyPairSpec: types.DataKeyPairSpecEccNistP256})
	if !errors.As(err, &usage) {
		t.Fatalf("asymmetric KMS key: %v, want InvalidKeyUsageException", err)
	}
}

// TestSDKReEncryptAsymmetric moves a data key from an RSA key (encrypted by
// Go with GetPublicKey's key, as a client does offline) to a symmetric key
// and on to another RSA key, through the endpoint.
func TestSDKReEncryptAsymmetric(t *testing.T) {
	b, _, _ := newBridge(t)
	c := serveBridge(t, b)
	mk := func(in *kms.CreateKeyInput) string {
		t.Helper()
		out, err := c.CreateKey(bg, in)
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.KeyMetadata.KeyId)
	}
	r1 := mk(&kms.CreateKeyInput{KeySpec: types.KeySpecRsa3072, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	r2 := mk(&kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeEncryptDecrypt})
	sym := mk(&kms.CreateKeyInput{})
	gp, err := c.GetPublicKey(bg, &kms.GetPublicKeyInput{KeyId: aws.String(r1)})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(gp.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	dataKey := make([]byte, 32)
	rand.Read(dataKey)
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub.(*rsa.PublicKey), dataKey, nil)
	if err != nil {
		t.Fatal(err)
	}

	ectx := map[string]string{"stage": "symmetric"}
	toSym, err := c.ReEncrypt(bg, &kms.ReEncryptInput{CiphertextBlob: ct, SourceKeyId: aws.String(r1),
		SourceEncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256,
		DestinationKeyId:          aws.String(sym), DestinationEncryptionContext: ectx})
	if err != nil {
		t.Fatal(err)
	}
	if toSym.SourceEncryptionAlgorithm != types.EncryptionAlgorithmSpecRsaesOaepSha256 ||
		toSym.DestinationEncryptionAlgorithm != types.EncryptionAlgorithmSpecSymmetricDefault {
		t.Fatalf("algorithms %s -> %s", toSym.SourceEncryptionAlgorithm, toSym.DestinationEncryptionAlgorithm)
	}
	toRSA, err := c.ReEncrypt(bg, &kms.ReEncryptInput{CiphertextBlob: toSym.CiphertextBlob, SourceEncryptionContext: ectx,
		DestinationKeyId: aws.String(r2), DestinationEncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: toRSA.CiphertextBlob, KeyId: aws.String(r2),
		EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})
	if err != nil || !bytes.Equal(dec.Plaintext, dataKey) {
		t.Fatalf("Decrypt after RSA -> symmetric -> RSA: %v", err)
	}

	// An RSA ciphertext names no key: SourceKeyId is required.
	var invalid smithy.APIError
	_, err = c.ReEncrypt(bg, &kms.ReEncryptInput{CiphertextBlob: ct, SourceEncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256,
		DestinationKeyId: aws.String(sym)})
	if !errors.As(err, &invalid) || invalid.ErrorCode() != CodeValidation {
		t.Fatalf("RSA source without SourceKeyId: %v, want ValidationException", err)
	}
	var usage *types.InvalidKeyUsageException
	_, err = c.ReEncrypt(bg, &kms.ReEncryptInput{CiphertextBlob: toSym.CiphertextBlob, SourceEncryptionContext: ectx,
		DestinationKeyId: aws.String(sym), DestinationEncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	if !errors.As(err, &usage) {
		t.Fatalf("OAEP to a symmetric key: %v, want InvalidKeyUsageException", err)
	}
}

package kmsbridge

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// TestSDKAsymmetricAndMAC drives signing, RSA encryption and HMAC keys
// through the endpoint with the AWS SDK for Go v2, checking what KMS signs
// and encrypts with Go's standard library and the public key from
// GetPublicKey, as users of AWS KMS do.
func TestSDKAsymmetricAndMAC(t *testing.T) {
	b, _, _ := newBridge(t)
	c := serveBridge(t, b)

	create := func(spec types.KeySpec, usage types.KeyUsageType) *types.KeyMetadata {
		t.Helper()
		out, err := c.CreateKey(bg, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
		if err != nil {
			t.Fatalf("CreateKey %s %s: %v", spec, usage, err)
		}
		return out.KeyMetadata
	}
	pubKey := func(id *string) (crypto.PublicKey, *kms.GetPublicKeyOutput) {
		t.Helper()
		out, err := c.GetPublicKey(bg, &kms.GetPublicKeyInput{KeyId: id})
		if err != nil {
			t.Fatal(err)
		}
		pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
		if err != nil {
			t.Fatal(err)
		}
		return pub, out
	}
	msg := []byte("signed through the AWS SDK")
	digest := sha256.Sum256(msg)

	// ECDSA P-256: DER signatures that crypto/ecdsa accepts, RAW and DIGEST.
	ec := create(types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	if !slices.Equal(ec.SigningAlgorithms, []types.SigningAlgorithmSpec{types.SigningAlgorithmSpecEcdsaSha256}) || len(ec.EncryptionAlgorithms) != 0 {
		t.Fatalf("ECC metadata: %+v", ec)
	}
	ecPub, gp := pubKey(ec.KeyId)
	if gp.KeySpec != types.KeySpecEccNistP256 || gp.KeyUsage != types.KeyUsageTypeSignVerify {
		t.Fatalf("GetPublicKey: %+v", gp)
	}
	for _, mt := range []types.MessageType{types.MessageTypeRaw, types.MessageTypeDigest} {
		in := msg
		if mt == types.MessageTypeDigest {
			in = digest[:]
		}
		sig, err := c.Sign(bg, &kms.SignInput{KeyId: ec.KeyId, Message: in, MessageType: mt, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
		if err != nil {
			t.Fatal(err)
		}
		if !ecdsa.VerifyASN1(ecPub.(*ecdsa.PublicKey), digest[:], sig.Signature) {
			t.Fatalf("%s: crypto/ecdsa rejects KMS's signature", mt)
		}
		v, err := c.Verify(bg, &kms.VerifyInput{KeyId: ec.KeyId, Message: in, MessageType: mt, Signature: sig.Signature, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
		if err != nil || !v.SignatureValid {
			t.Fatalf("%s: Verify %v", mt, err)
		}
	}
	var badSig *types.KMSInvalidSignatureException
	forged, _ := ecdsa.SignASN1(rand.Reader, mustECKey(t), digest[:])
	if _, err := c.Verify(bg, &kms.VerifyInput{KeyId: ec.KeyId, Message: msg, Signature: forged, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}); !errors.As(err, &badSig) {
		t.Fatalf("Verify of another key's signature: %v, want KMSInvalidSignatureException", err)
	}
	var usage *types.InvalidKeyUsageException
	if _, err := c.Sign(bg, &kms.SignInput{KeyId: ec.KeyId, Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256}); !errors.As(err, &usage) {
		t.Fatalf("Sign with RSA PSS on an EC key: %v, want InvalidKeyUsageException", err)
	}

	// RSA signing: PSS, through an alias.
	rs := create(types.KeySpecRsa3072, types.KeyUsageTypeSignVerify)
	if _, err := c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/signer"), TargetKeyId: rs.KeyId}); err != nil {
		t.Fatal(err)
	}
	rsPub, _ := pubKey(aws.String("alias/signer"))
	sig, err := c.Sign(bg, &kms.SignInput{KeyId: aws.String("alias/signer"), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256})
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(rsPub.(*rsa.PublicKey), crypto.SHA256, digest[:], sig.Signature, &rsa.PSSOptions{SaltLength: 32}); err != nil {
		t.Fatalf("crypto/rsa rejects KMS's PSS signature: %v", err)
	}

	// RSA encryption: crypto/rsa encrypts to GetPublicKey's key, KMS decrypts;
	// and back.
	re := create(types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt)
	if !slices.Equal(re.EncryptionAlgorithms, []types.EncryptionAlgorithmSpec{types.EncryptionAlgorithmSpecRsaesOaepSha1, types.EncryptionAlgorithmSpecRsaesOaepSha256}) {
		t.Fatalf("RSA encryption algorithms %v", re.EncryptionAlgorithms)
	}
	rePub, _ := pubKey(re.KeyId)
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, rePub.(*rsa.PublicKey), []byte("for the HSM only"), nil)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := c.Decrypt(bg, &kms.DecryptInput{KeyId: re.KeyId, CiphertextBlob: ct, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256})
	if err != nil || string(dec.Plaintext) != "for the HSM only" || dec.EncryptionAlgorithm != types.EncryptionAlgorithmSpecRsaesOaepSha256 {
		t.Fatalf("Decrypt: %v", err)
	}
	enc, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: re.KeyId, Plaintext: []byte("round trip"), EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})
	if err != nil {
		t.Fatal(err)
	}
	dec, err = c.Decrypt(bg, &kms.DecryptInput{KeyId: re.KeyId, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha1})
	if err != nil || string(dec.Plaintext) != "round trip" {
		t.Fatalf("Decrypt of Encrypt's RSA ciphertext: %v", err)
	}
	var badCT *types.InvalidCiphertextException
	if _, err := c.Decrypt(bg, &kms.DecryptInput{KeyId: re.KeyId, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: types.EncryptionAlgorithmSpecRsaesOaepSha256}); !errors.As(err, &badCT) {
		t.Fatalf("Decrypt with the other OAEP hash: %v, want InvalidCiphertextException", err)
	}

	// HMAC.
	hm := create(types.KeySpecHmac384, types.KeyUsageTypeGenerateVerifyMac)
	if !slices.Equal(hm.MacAlgorithms, []types.MacAlgorithmSpec{types.MacAlgorithmSpecHmacSha384}) {
		t.Fatalf("HMAC metadata %v", hm.MacAlgorithms)
	}
	mac, err := c.GenerateMac(bg, &kms.GenerateMacInput{KeyId: hm.KeyId, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha384})
	if err != nil || len(mac.Mac) != 48 {
		t.Fatalf("GenerateMac: %v", err)
	}
	vm, err := c.VerifyMac(bg, &kms.VerifyMacInput{KeyId: hm.KeyId, Message: msg, Mac: mac.Mac, MacAlgorithm: types.MacAlgorithmSpecHmacSha384})
	if err != nil || !vm.MacValid {
		t.Fatalf("VerifyMac: %v", err)
	}
	var badMac *types.KMSInvalidMacException
	if _, err := c.VerifyMac(bg, &kms.VerifyMacInput{KeyId: hm.KeyId, Message: []byte("other"), Mac: mac.Mac, MacAlgorithm: types.MacAlgorithmSpecHmacSha384}); !errors.As(err, &badMac) {
		t.Fatalf("VerifyMac of another message: %v, want KMSInvalidMacException", err)
	}
	if _, err := c.GenerateMac(bg, &kms.GenerateMacInput{KeyId: hm.KeyId, Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256}); !errors.As(err, &usage) {
		t.Fatalf("GenerateMac with another hash: %v, want InvalidKeyUsageException", err)
	}
	var unsupported *types.UnsupportedOperationException
	if _, err := c.GetPublicKey(bg, &kms.GetPublicKeyInput{KeyId: hm.KeyId}); !errors.As(err, &unsupported) {
		t.Fatalf("GetPublicKey of an HMAC key: %v, want UnsupportedOperationException", err)
	}
	var validation smithy.APIError
	if _, err := c.CreateKey(bg, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP384, KeyUsage: types.KeyUsageTypeEncryptDecrypt}); !errors.As(err, &validation) || validation.ErrorCode() != CodeValidation {
		t.Fatalf("CreateKey ECC for encryption: %v, want ValidationException", err)
	}
}

func mustECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

package kmsbridge

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// needOpenSSL skips a test without the openssl command, or fails it when
// CI is set (and not "false"): CI must install it.
func needOpenSSL(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err == nil {
		return
	}
	if ci := os.Getenv("CI"); ci != "" && ci != "false" {
		t.Fatal("openssl is not installed; CI must install it")
	}
	t.Skip("openssl is not installed; skipping (under CI=true this is a failure)")
}

func runOpenSSL(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, out)
	}
}

// sdkImport runs GetParametersForImport and ImportKeyMaterial through the
// SDK with wrap making the wrapped material from the wrapping public key.
func sdkImport(t *testing.T, c *kms.Client, keyID string, alg types.AlgorithmSpec, spec types.WrappingKeySpec, wrap func(spki []byte) []byte) {
	t.Helper()
	p, err := c.GetParametersForImport(bg, &kms.GetParametersForImportInput{KeyId: aws.String(keyID), WrappingAlgorithm: alg, WrappingKeySpec: spec})
	if err != nil {
		t.Fatal(err)
	}
	if until := time.Until(aws.ToTime(p.ParametersValidTo)); until < 23*time.Hour || until > 25*time.Hour {
		t.Fatalf("ParametersValidTo is %v from now, want 24 hours", until)
	}
	_, err = c.ImportKeyMaterial(bg, &kms.ImportKeyMaterialInput{KeyId: aws.String(keyID), ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrap(p.PublicKey), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	if err != nil {
		t.Fatal(err)
	}
}

func sdkCreateExternal(t *testing.T, c *kms.Client, spec types.KeySpec, usage types.KeyUsageType) string {
	t.Helper()
	out, err := c.CreateKey(bg, &kms.CreateKeyInput{Origin: types.OriginTypeExternal, KeySpec: spec, KeyUsage: usage})
	if err != nil {
		t.Fatal(err)
	}
	if out.KeyMetadata.KeyState != types.KeyStatePendingImport || out.KeyMetadata.Origin != types.OriginTypeExternal {
		t.Fatalf("CreateKey EXTERNAL: state %s origin %s", out.KeyMetadata.KeyState, out.KeyMetadata.Origin)
	}
	return aws.ToString(out.KeyMetadata.KeyId)
}

// TestSDKImportSymmetric: 32 bytes wrapped by Go's RSA-OAEP-SHA-256, and 32
// bytes from openssl wrapped by openssl as AWS's documentation shows for
// RSA_AES_KEY_WRAP_SHA_256 (an RSA_4096 wrapping key), import through the
// endpoint; the ciphertexts then open locally with the same bytes.
func TestSDKImportSymmetric(t *testing.T) {
	b, _, _ := newBridge(t)
	c := serveBridge(t, b)

	id := sdkCreateExternal(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	_, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("x")})
	var invalidState *types.KMSInvalidStateException
	if !errors.As(err, &invalidState) {
		t.Fatalf("Encrypt with a PendingImport key: %v", err)
	}
	material := randBytes(32)
	sdkImport(t, c, id, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048, func(spki []byte) []byte {
		return wrapRSA(t, spki, "RSAES_OAEP_SHA_256", material)
	})
	d, err := c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if md := d.KeyMetadata; md.KeyState != types.KeyStateEnabled || md.ExpirationModel != types.ExpirationModelTypeKeyMaterialDoesNotExpire || md.ValidTo != nil {
		t.Fatalf("DescribeKey after import: %s %s %v", md.KeyState, md.ExpirationModel, md.ValidTo)
	}
	enc, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("through the SDK")})
	if err != nil {
		t.Fatal(err)
	}
	if got := localOpen(t, material, enc.CiphertextBlob); string(got) != "through the SDK" {
		t.Fatalf("local decryption: %q", got)
	}
	dec, err := c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "through the SDK" {
		t.Fatalf("Decrypt: %v", err)
	}

	// Different material into the same key: IncorrectKeyMaterialException.
	p, err := c.GetParametersForImport(bg, &kms.GetParametersForImportInput{KeyId: aws.String(id),
		WrappingAlgorithm: types.AlgorithmSpecRsaesOaepSha1, WrappingKeySpec: types.WrappingKeySpecRsa2048})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ImportKeyMaterial(bg, &kms.ImportKeyMaterialInput{KeyId: aws.String(id), ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_1", randBytes(32)), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	var incorrect *types.IncorrectKeyMaterialException
	if !errors.As(err, &incorrect) {
		t.Fatalf("import of different material: %v", err)
	}
	// A token for another key: InvalidImportTokenException.
	other := sdkCreateExternal(t, c, types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt)
	_, err = c.ImportKeyMaterial(bg, &kms.ImportKeyMaterialInput{KeyId: aws.String(other), ImportToken: p.ImportToken,
		EncryptedKeyMaterial: wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_1", randBytes(32)), ExpirationModel: types.ExpirationModelTypeKeyMaterialDoesNotExpire})
	var badToken *types.InvalidImportTokenException
	if !errors.As(err, &badToken) {
		t.Fatalf("import with another key's token: %v", err)
	}
	// Delete the material: PendingImport.
	if _, err := c.DeleteImportedKeyMaterial(bg, &kms.DeleteImportedKeyMaterialInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if !errors.As(err, &invalidState) {
		t.Fatalf("Decrypt after DeleteImportedKeyMaterial: %v", err)
	}

	// openssl makes and wraps the material of the other key.
	needOpenSSL(t)
	dir := t.TempDir()
	f := func(name string) string { return filepath.Join(dir, name) }
	runOpenSSL(t, "rand", "-out", f("material.bin"), "32")
	opensslMaterial, err := os.ReadFile(f("material.bin"))
	if err != nil || len(opensslMaterial) != 32 {
		t.Fatalf("openssl rand: %v", err)
	}
	sdkImport(t, c, other, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa4096, func(spki []byte) []byte {
		if err := os.WriteFile(f("wrapping.der"), spki, 0o600); err != nil {
			t.Fatal(err)
		}
		runOpenSSL(t, "rand", "-out", f("aes.bin"), "32")
		aesKey, err := os.ReadFile(f("aes.bin"))
		if err != nil {
			t.Fatal(err)
		}
		runOpenSSL(t, "enc", "-id-aes256-wrap-pad", "-K", hex.EncodeToString(aesKey), "-iv", "A65959A6",
			"-in", f("material.bin"), "-out", f("material.wrapped"))
		runOpenSSL(t, "pkeyutl", "-encrypt", "-in", f("aes.bin"), "-out", f("aes.wrapped"),
			"-inkey", f("wrapping.der"), "-keyform", "DER", "-pubin",
			"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256")
		head, err := os.ReadFile(f("aes.wrapped"))
		if err != nil || len(head) != 512 {
			t.Fatalf("openssl pkeyutl gave %d bytes, want 512: %v", len(head), err)
		}
		tail, err := os.ReadFile(f("material.wrapped"))
		if err != nil {
			t.Fatal(err)
		}
		return append(head, tail...)
	})
	enc, err = c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(other), Plaintext: []byte("openssl-wrapped")})
	if err != nil {
		t.Fatal(err)
	}
	if got := localOpen(t, opensslMaterial, enc.CiphertextBlob); string(got) != "openssl-wrapped" {
		t.Fatalf("local decryption: %q", got)
	}
}

// TestSDKImportAsymmetricAndHMAC: RSA_2048 and ECC_NIST_P256 private keys
// made by Go, as PKCS#8, and an HMAC_256 key import through the endpoint;
// the key's signatures verify with Go's public halves, GetPublicKey answers
// the same public key, and GenerateMac equals crypto/hmac.
func TestSDKImportAsymmetricAndHMAC(t *testing.T) {
	b, _, _ := newBridge(t)
	c := serveBridge(t, b)
	msg := []byte("imported keys sign this")
	digest := sha256.Sum256(msg)
	pkcs8 := func(k any) []byte {
		d, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	checkPublic := func(id string, pub any) {
		t.Helper()
		want, _ := x509.MarshalPKIXPublicKey(pub)
		got, err := c.GetPublicKey(bg, &kms.GetPublicKeyInput{KeyId: aws.String(id)})
		if err != nil || !bytes.Equal(got.PublicKey, want) {
			t.Fatalf("GetPublicKey of the imported key: %v", err)
		}
	}

	rsaPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	rsaID := sdkCreateExternal(t, c, types.KeySpecRsa2048, types.KeyUsageTypeSignVerify)
	sdkImport(t, c, rsaID, types.AlgorithmSpecRsaAesKeyWrapSha256, types.WrappingKeySpecRsa3072, func(spki []byte) []byte {
		return wrapRSA(t, spki, "RSA_AES_KEY_WRAP_SHA_256", pkcs8(rsaPriv))
	})
	checkPublic(rsaID, &rsaPriv.PublicKey)
	sig, err := c.Sign(bg, &kms.SignInput{KeyId: aws.String(rsaID), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecRsassaPssSha256})
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(&rsaPriv.PublicKey, crypto.SHA256, digest[:], sig.Signature, nil); err != nil {
		t.Fatalf("the imported RSA key's signature does not verify with Go's key: %v", err)
	}

	ecPriv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecID := sdkCreateExternal(t, c, types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify)
	sdkImport(t, c, ecID, types.AlgorithmSpecRsaesOaepSha256, types.WrappingKeySpecRsa2048, func(spki []byte) []byte {
		return wrapRSA(t, spki, "RSAES_OAEP_SHA_256", pkcs8(ecPriv))
	})
	checkPublic(ecID, &ecPriv.PublicKey)
	sig, err = c.Sign(bg, &kms.SignInput{KeyId: aws.String(ecID), Message: msg, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	if err != nil {
		t.Fatal(err)
	}
	if !ecdsa.VerifyASN1(&ecPriv.PublicKey, digest[:], sig.Signature) {
		t.Fatal("the imported ECC key's signature does not verify with Go's key")
	}

	macKey := randBytes(32)
	macID := sdkCreateExternal(t, c, types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac)
	sdkImport(t, c, macID, types.AlgorithmSpecRsaesOaepSha1, types.WrappingKeySpecRsa2048, func(spki []byte) []byte {
		return wrapRSA(t, spki, "RSAES_OAEP_SHA_1", macKey)
	})
	mac, err := c.GenerateMac(bg, &kms.GenerateMacInput{KeyId: aws.String(macID), Message: msg, MacAlgorithm: types.MacAlgorithmSpecHmacSha256})
	if err != nil {
		t.Fatal(err)
	}
	h := hmac.New(sha256.New, macKey)
	h.Write(msg)
	if !bytes.Equal(mac.Mac, h.Sum(nil)) {
		t.Fatal("GenerateMac of the imported key differs from crypto/hmac")
	}
}

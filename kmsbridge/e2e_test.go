package kmsbridge

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// serveBridge serves b's operations on an httptest server and returns the
// AWS SDK for Go v2 KMS client pointed at it, signing as alice.
func serveBridge(t *testing.T, b *Bridge) *kms.Client {
	t.Helper()
	s, err := NewServer([]Credential{alice}, b.Operations(), ServerConfig{Region: testRegion})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return kms.NewFromConfig(aws.Config{
		Region:           testRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(alice.AccessKeyID, alice.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	}, func(o *kms.Options) { o.BaseEndpoint = aws.String(ts.URL) })
}

// TestSDKEndToEnd drives a bridge on a real token through the endpoint with
// the AWS SDK for Go v2 KMS client, unchanged but for its endpoint: keys and
// aliases, Encrypt/Decrypt with an encryption context, envelope encryption
// with a data key as users do it, key states, and the SDK's typed errors.
func TestSDKEndToEnd(t *testing.T) {
	b, _, _ := newBridge(t)
	c := serveBridge(t, b)

	created, err := c.CreateKey(bg, &kms.CreateKeyInput{Description: aws.String("e2e")})
	if err != nil {
		t.Fatal(err)
	}
	md := created.KeyMetadata
	id := aws.ToString(md.KeyId)
	if want := "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/" + id; aws.ToString(md.Arn) != want {
		t.Fatalf("Arn %q, want %q", aws.ToString(md.Arn), want)
	}
	if md.KeySpec != types.KeySpecSymmetricDefault || md.KeyUsage != types.KeyUsageTypeEncryptDecrypt ||
		md.KeyState != types.KeyStateEnabled || !md.Enabled {
		t.Fatalf("CreateKey metadata: spec %s usage %s state %s enabled %v", md.KeySpec, md.KeyUsage, md.KeyState, md.Enabled)
	}
	if _, err := c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/e2e"), TargetKeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}

	// Encrypt by alias with a context; Decrypt needs no key id but the same
	// context.
	ctx := map[string]string{"purpose": "e2e", "tenant": "42"}
	secret := []byte("the envelope's sealed letter")
	enc, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String("alias/e2e"), Plaintext: secret, EncryptionContext: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(aws.ToString(enc.KeyId), id) {
		t.Fatalf("Encrypt names key %q, want %s", aws.ToString(enc.KeyId), id)
	}
	dec, err := c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx})
	if err != nil || !bytes.Equal(dec.Plaintext, secret) {
		t.Fatalf("Decrypt: %v, plaintext equal: %v", err, dec != nil && bytes.Equal(dec.Plaintext, secret))
	}
	var bad *types.InvalidCiphertextException
	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"purpose": "e2e"}})
	if !errors.As(err, &bad) {
		t.Fatalf("Decrypt with another context: %v, want InvalidCiphertextException", err)
	}

	// Envelope encryption: a data key encrypts a file locally; only the
	// encrypted data key is kept, and Decrypt gives it back later.
	dk, err := c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: aws.String(id), KeySpec: types.DataKeySpecAes256})
	if err != nil {
		t.Fatal(err)
	}
	if len(dk.Plaintext) != 32 {
		t.Fatalf("data key of %d bytes", len(dk.Plaintext))
	}
	file := bytes.Repeat([]byte("file contents "), 300)
	block, _ := aes.NewCipher(dk.Plaintext)
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	sealed := gcm.Seal(nil, nonce, file, nil)
	stored := slices.Clone(dk.CiphertextBlob)
	clear(dk.Plaintext)

	back, err := c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: stored})
	if err != nil {
		t.Fatal(err)
	}
	block, _ = aes.NewCipher(back.Plaintext)
	gcm, _ = cipher.NewGCM(block)
	if opened, err := gcm.Open(nil, nonce, sealed, nil); err != nil || !bytes.Equal(opened, file) {
		t.Fatalf("the file does not open with the decrypted data key: %v", err)
	}

	// Key states and lookups, as the SDK's typed errors.
	if _, err := c.DisableKey(bg, &kms.DisableKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	var disabled *types.DisabledException
	if _, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: secret}); !errors.As(err, &disabled) {
		t.Fatalf("Encrypt with a disabled key: %v, want DisabledException", err)
	}
	if _, err := c.EnableKey(bg, &kms.EnableKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	var nf *types.NotFoundException
	if _, err := c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String("00000000-0000-4000-8000-000000000000")}); !errors.As(err, &nf) {
		t.Fatalf("DescribeKey of an unknown key: %v, want NotFoundException", err)
	}
	keys, err := c.ListKeys(bg, &kms.ListKeysInput{})
	if err != nil || len(keys.Keys) != 1 || aws.ToString(keys.Keys[0].KeyId) != id {
		t.Fatalf("ListKeys: %v %+v", err, keys)
	}
	aliases, err := c.ListAliases(bg, &kms.ListAliasesInput{})
	if err != nil || !slices.ContainsFunc(aliases.Aliases, func(a types.AliasListEntry) bool {
		return aws.ToString(a.AliasName) == "alias/e2e" && aws.ToString(a.TargetKeyId) == id
	}) {
		t.Fatalf("ListAliases: %v", err)
	}
	r, err := c.GenerateRandom(bg, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(64)})
	if err != nil || len(r.Plaintext) != 64 {
		t.Fatalf("GenerateRandom: %v", err)
	}
}

package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// newClient returns an AWS SDK for Go v2 KMS client for url with its own
// HTTP transport, so each worker keeps its own keep-alive connection as an
// independent client would. The SDK does not retry: an error is reported,
// not hidden in a slower request.
func newClient(url string) *kms.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	return kms.NewFromConfig(aws.Config{
		Region:           benchRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(benchKeyID, benchSecret, ""),
		HTTPClient:       &http.Client{Transport: ownBody{tr}},
		RetryMaxAttempts: 1,
	}, func(o *kms.Options) { o.BaseEndpoint = aws.String(url) })
}

// ownBody gives the transport its own copy of each request body. The SDK's
// HTTP layer (smithy-go) may close the body it handed over once the
// response has arrived, and net/http's transport then closes the
// keep-alive connection under the response still being read: the "use of
// closed network connection" of aws/aws-sdk-go-v2#2737, which the SDK hides
// with a retry. The bench does not retry (a retry would hide a failing
// server in a slower request), so it keeps the SDK's body out of the
// transport's hands instead.
type ownBody struct{ http.RoundTripper }

func (t ownBody) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return t.RoundTripper.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	r2.ContentLength = int64(len(body))
	return t.RoundTripper.RoundTrip(r2)
}

// target is one server with the keys the operations use, created through
// the SDK like any user's.
type target struct {
	*server
	symKey, eccKey, macKey string
	// ciphertext is an Encrypt of plaintext under symKey, for Decrypt.
	ciphertext []byte
	// noMAC says why the target has no HMAC key ("" if it has one).
	noMAC string
}

// The operations' inputs: Encrypt's 4 KiB (AWS's largest plaintext), the
// message that Sign signs and GenerateMac authenticates.
var (
	plaintext = randomBytes(4096)
	message   = randomBytes(256)
)

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// setup creates the target's keys and checks each operation once against
// an independent implementation, so the bench measures operations that work.
func setup(ctx context.Context, s *server) (*target, error) {
	c := newClient(s.url)
	t := &target{server: s}
	create := func(spec types.KeySpec, usage types.KeyUsageType) (string, error) {
		out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: spec, KeyUsage: usage, Description: aws.String("kagi bench")})
		if err != nil {
			return "", fmt.Errorf("%s: CreateKey %s: %w", s.name, spec, err)
		}
		return aws.ToString(out.KeyMetadata.KeyId), nil
	}
	var err error
	if t.symKey, err = create(types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt); err != nil {
		return nil, err
	}
	if t.eccKey, err = create(types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify); err != nil {
		return nil, err
	}
	if t.macKey, err = create(types.KeySpecHmac256, types.KeyUsageTypeGenerateVerifyMac); err != nil {
		// local-kms has no HMAC keys; the table says so.
		t.macKey, t.noMAC = "", "no HMAC keys: "+shortError(err)
	}

	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(t.symKey), Plaintext: plaintext})
	if err != nil {
		return nil, fmt.Errorf("%s: Encrypt: %w", s.name, err)
	}
	t.ciphertext = enc.CiphertextBlob

	// The ECDSA signature must verify with the key GetPublicKey returns.
	pub, err := c.GetPublicKey(ctx, &kms.GetPublicKeyInput{KeyId: aws.String(t.eccKey)})
	if err != nil {
		return nil, fmt.Errorf("%s: GetPublicKey: %w", s.name, err)
	}
	pk, err := x509.ParsePKIXPublicKey(pub.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%s: GetPublicKey's key: %w", s.name, err)
	}
	ecPub, ok := pk.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: GetPublicKey returned a %T for an ECC_NIST_P256 key", s.name, pk)
	}
	sig, err := c.Sign(ctx, &kms.SignInput{KeyId: aws.String(t.eccKey), Message: message,
		MessageType: types.MessageTypeRaw, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256})
	if err != nil {
		return nil, fmt.Errorf("%s: Sign: %w", s.name, err)
	}
	digest := sha256.Sum256(message)
	if !ecdsa.VerifyASN1(ecPub, digest[:], sig.Signature) {
		return nil, fmt.Errorf("%s: Sign's signature does not verify with GetPublicKey's key", s.name)
	}
	return t, nil
}

// opCase is one operation the bench measures.
type opCase struct {
	name string
	// newOp returns one worker's op on its own client, or a reason the
	// target cannot do it.
	newOp func(t *target, c *kms.Client) (op, string)
}

// op is one request, its response checked.
type op func(ctx context.Context) error

var opCases = []opCase{
	{"Encrypt (4 KiB)", func(t *target, c *kms.Client) (op, string) {
		in := &kms.EncryptInput{KeyId: aws.String(t.symKey), Plaintext: plaintext}
		return func(ctx context.Context) error {
			out, err := c.Encrypt(ctx, in)
			if err == nil && len(out.CiphertextBlob) <= len(plaintext) {
				err = fmt.Errorf("Encrypt returned %d bytes for %d", len(out.CiphertextBlob), len(plaintext))
			}
			return err
		}, ""
	}},
	{"Decrypt (4 KiB)", func(t *target, c *kms.Client) (op, string) {
		in := &kms.DecryptInput{CiphertextBlob: t.ciphertext}
		return func(ctx context.Context) error {
			out, err := c.Decrypt(ctx, in)
			if err == nil && !bytes.Equal(out.Plaintext, plaintext) {
				err = errors.New("Decrypt returned another plaintext")
			}
			return err
		}, ""
	}},
	{"GenerateDataKey (AES_256)", func(t *target, c *kms.Client) (op, string) {
		in := &kms.GenerateDataKeyInput{KeyId: aws.String(t.symKey), KeySpec: types.DataKeySpecAes256}
		return func(ctx context.Context) error {
			out, err := c.GenerateDataKey(ctx, in)
			if err == nil && (len(out.Plaintext) != 32 || len(out.CiphertextBlob) == 0) {
				err = fmt.Errorf("GenerateDataKey returned a %d-byte key", len(out.Plaintext))
			}
			return err
		}, ""
	}},
	{"Sign (ECC_NIST_P256)", func(t *target, c *kms.Client) (op, string) {
		in := &kms.SignInput{KeyId: aws.String(t.eccKey), Message: message,
			MessageType: types.MessageTypeRaw, SigningAlgorithm: types.SigningAlgorithmSpecEcdsaSha256}
		return func(ctx context.Context) error {
			out, err := c.Sign(ctx, in)
			if err == nil && len(out.Signature) < 8 {
				err = fmt.Errorf("Sign returned %d bytes", len(out.Signature))
			}
			return err
		}, ""
	}},
	{"GenerateMac (HMAC_256)", func(t *target, c *kms.Client) (op, string) {
		if t.macKey == "" {
			return nil, t.noMAC
		}
		in := &kms.GenerateMacInput{KeyId: aws.String(t.macKey), Message: message, MacAlgorithm: types.MacAlgorithmSpecHmacSha256}
		return func(ctx context.Context) error {
			out, err := c.GenerateMac(ctx, in)
			if err == nil && len(out.Mac) != sha256.Size {
				err = fmt.Errorf("GenerateMac returned %d bytes", len(out.Mac))
			}
			return err
		}, ""
	}},
}

// shortError is the SDK's error without its long request details.
func shortError(err error) string {
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	s := err.Error()
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

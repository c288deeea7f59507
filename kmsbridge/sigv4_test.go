package kmsbridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

var sigTime = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func testVerifier(t *testing.T) *Verifier {
	t.Helper()
	v, err := NewVerifier(serverRegion, []Credential{alice}, func() time.Time { return sigTime }, 0)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// signed returns a request for body signed by the SDK's signer as the KMS
// client signs: host, x-amz-date, x-amz-target, content-type, content-length.
func signed(t *testing.T, body string, c Credential, region, service string, at time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest("POST", "https://kms.example.test/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", contentTypeJSON11)
	r.Header.Set("X-Amz-Target", "TrentService.GenerateRandom")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), service, region, at); err != nil {
		t.Fatal(err)
	}
	return r
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var c CodedError
	if !errors.As(err, &c) || c.ErrorCode() != code {
		t.Fatalf("err = %v; want %s", err, code)
	}
}

func TestVerifyAcceptsSDKSignature(t *testing.T) {
	const body = `{"NumberOfBytes":16}`
	r := signed(t, body, alice, serverRegion, "kms", sigTime)
	if !strings.Contains(r.Header.Get("Authorization"), "content-length") {
		t.Fatalf("expected the signer to sign content-length: %s", r.Header.Get("Authorization"))
	}
	p, err := testVerifier(t).Verify(context.Background(), r, []byte(body))
	if err != nil || p != alice.Principal {
		t.Fatalf("Verify = %q, %v; want %q", p, err, alice.Principal)
	}
}

func TestVerifyRejects(t *testing.T) {
	const body = `{"NumberOfBytes":16}`
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		body   string
		code   string
		inText string
	}{
		{"no Authorization", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			r.Header.Del("Authorization")
			return r
		}, body, protoMissingAuth, "Missing Authentication Token"},
		{"other algorithm", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1))
			return r
		}, body, protoIncompleteSig, "algorithm"},
		{"no Signature", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:strings.Index(a, ", Signature=")])
			return r
		}, body, protoIncompleteSig, "Signature"},
		{"short credential", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "/kms/aws4_request", "/kms", 1))
			return r
		}, body, protoIncompleteSig, "Credential"},
		{"no X-Amz-Date", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			r.Header.Del("X-Amz-Date")
			return r
		}, body, protoIncompleteSig, "X-Amz-Date"},
		{"signed header removed", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			r.Header.Del("X-Amz-Target")
			return r
		}, body, protoIncompleteSig, "x-amz-target"},
		{"signed header changed", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			r.Header.Set("X-Amz-Target", "TrentService.Decrypt")
			return r
		}, body, protoInvalidSig, "does not match"},
		{"body changed", func() *http.Request { return signed(t, body, alice, serverRegion, "kms", sigTime) },
			`{"NumberOfBytes":99}`, protoInvalidSig, "does not match"},
		{"unknown access key", func() *http.Request { return signed(t, body, mallory, serverRegion, "kms", sigTime) },
			body, protoUnrecognized, "security token"},
		{"session token", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			r.Header.Set("X-Amz-Security-Token", "FwoGZXIvYXdzE")
			return r
		}, body, protoUnrecognized, "security token"},
		{"other region", func() *http.Request { return signed(t, body, alice, "ap-south-1", "kms", sigTime) },
			body, protoInvalidSig, "'ap-south-1'"},
		{"other service", func() *http.Request { return signed(t, body, alice, serverRegion, "dynamodb", sigTime) },
			body, protoInvalidSig, "service"},
		{"scope date differs from X-Amz-Date", func() *http.Request {
			r := signed(t, body, alice, serverRegion, "kms", sigTime)
			r.Header.Set("X-Amz-Date", sigTime.Add(-24*time.Hour).Format(amzDateFormat))
			return r
		}, body, protoInvalidSig, "Date in Credential scope"},
		{"5 minutes 1 second old", func() *http.Request {
			return signed(t, body, alice, serverRegion, "kms", sigTime.Add(-5*time.Minute-time.Second))
		},
			body, protoInvalidSig, "Signature expired: 20261124T115459Z is now earlier than 20261124T115500Z (20261124T120000Z - 5 min.)"},
		{"5 minutes 1 second ahead", func() *http.Request {
			return signed(t, body, alice, serverRegion, "kms", sigTime.Add(5*time.Minute+time.Second))
		},
			body, protoInvalidSig, "Signature not yet current"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := testVerifier(t).Verify(context.Background(), tc.req(), []byte(tc.body))
			wantCode(t, err, tc.code)
			if !strings.Contains(err.(CodedError).ErrorMessage(), tc.inText) {
				t.Fatalf("message %q does not contain %q", err.(CodedError).ErrorMessage(), tc.inText)
			}
		})
	}
}

// Exactly at the edge of the window the request is still accepted.
func TestVerifyAcceptsEdgeOfWindow(t *testing.T) {
	const body = `{}`
	for _, at := range []time.Time{sigTime.Add(-DefaultMaxClockSkew), sigTime.Add(DefaultMaxClockSkew)} {
		if _, err := testVerifier(t).Verify(context.Background(), signed(t, body, alice, serverRegion, "kms", at), []byte(body)); err != nil {
			t.Fatalf("signed at %v: %v", at, err)
		}
	}
}

func TestStatusForCode(t *testing.T) {
	for code, want := range map[string]int{
		"NotFoundException":                   400,
		"DisabledException":                   400,
		"KMSInvalidStateException":            400,
		"InvalidCiphertextException":          400,
		"AccessDeniedException":               400,
		"KMSInternalException":                500,
		"DependencyTimeoutException":          500,
		"KeyUnavailableException":             500,
		"UnrecognizedClientException":         400,
		"MissingAuthenticationTokenException": 400,
		"RequestEntityTooLargeException":      413,
		"SomeFutureException":                 400,
	} {
		if got := StatusForCode(code); got != want {
			t.Errorf("StatusForCode(%s) = %d; want %d", code, got, want)
		}
	}
}

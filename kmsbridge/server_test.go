package kmsbridge

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

const serverRegion = "us-east-1"

var (
	alice = Credential{
		AccessKeyID:     "AKIAKAGITESTALICE000",
		SecretAccessKey: "alice/secret/access/key/0000000000000000",
		Principal:       "arn:aws:iam::111122223333:user/alice",
	}
	mallory = Credential{ // not configured on the server
		AccessKeyID:     "AKIAKAGITESTMALLORY0",
		SecretAccessKey: "mallory/secret/access/key/00000000000000",
		Principal:       "arn:aws:iam::111122223333:user/mallory",
	}
)

// fakeOpError stands for the bridge's error type: a Code that is AWS's
// exception name and a Message, with the two methods CodedError asks for.
type fakeOpError struct{ Code, Message string }

func (e *fakeOpError) Error() string        { return e.Code + ": " + e.Message }
func (e *fakeOpError) ErrorCode() string    { return e.Code }
func (e *fakeOpError) ErrorMessage() string { return e.Message }

const knownKeyID = "1234abcd-12ab-34cd-56ef-1234567890ab"

// fakeOps is an operation table with just enough behaviour to exercise the
// protocol layer.
func fakeOps() map[string]Operation {
	return map[string]Operation{
		"GenerateRandom": func(ctx context.Context, principal string, body []byte) (any, error) {
			var in struct{ NumberOfBytes *int }
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, &fakeOpError{"SerializationException", "bad input"}
			}
			if in.NumberOfBytes == nil || *in.NumberOfBytes < 1 || *in.NumberOfBytes > 1024 {
				return nil, &fakeOpError{"ValidationException", "NumberOfBytes must be between 1 and 1024."}
			}
			return struct{ Plaintext []byte }{bytes.Repeat([]byte{0xA5}, *in.NumberOfBytes)}, nil
		},
		"DescribeKey": func(ctx context.Context, principal string, body []byte) (any, error) {
			var in struct{ KeyId string }
			if err := json.Unmarshal(body, &in); err != nil {
				return nil, err
			}
			if in.KeyId != knownKeyID {
				return nil, &fakeOpError{"NotFoundException", "Key '" + in.KeyId + "' does not exist"}
			}
			// The principal and request id come back in the description, so
			// the tests see what the operation was given.
			return map[string]any{"KeyMetadata": map[string]any{
				"KeyId":       in.KeyId,
				"Arn":         "arn:aws:kms:us-east-1:111122223333:key/" + in.KeyId,
				"Description": principal + " " + RequestID(ctx),
				"Enabled":     true,
			}}, nil
		},
		"Decrypt": func(ctx context.Context, principal string, body []byte) (any, error) {
			return nil, errors.New("store: sealed row 42 for key material deadbeef is corrupt")
		},
		"Encrypt": func(ctx context.Context, principal string, body []byte) (any, error) {
			panic("operation bug")
		},
		"EnableKey": func(ctx context.Context, principal string, body []byte) (any, error) {
			return nil, nil
		},
	}
}

func newTestServer(t *testing.T, mutate func(*ServerConfig)) *httptest.Server {
	t.Helper()
	cfg := ServerConfig{Region: serverRegion}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := NewServer([]Credential{alice}, fakeOps(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts
}

// newClient is the real AWS SDK for Go v2 KMS client, as users configure it
// for a custom endpoint. Retries are off so each test sees one exchange.
func newClient(url string, c Credential, optFns ...func(*kms.Options)) *kms.Client {
	cfg := aws.Config{
		Region:           serverRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
	}
	fns := append([]func(*kms.Options){func(o *kms.Options) { o.BaseEndpoint = aws.String(url) }}, optFns...)
	return kms.NewFromConfig(cfg, fns...)
}

// apiError returns the AWS error code and HTTP status the SDK saw.
func apiError(t *testing.T, err error) (code, message string, status int) {
	t.Helper()
	if err == nil {
		t.Fatal("call succeeded; want an AWS error")
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an AWS API error", err)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		status = re.HTTPStatusCode()
	}
	return ae.ErrorCode(), ae.ErrorMessage(), status
}

func TestSDKCallSucceedsAndDecodes(t *testing.T) {
	ts := newTestServer(t, nil)
	c := newClient(ts.URL, alice)

	out, err := c.GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(32)})
	if err != nil {
		t.Fatalf("GenerateRandom: %v", err)
	}
	if !bytes.Equal(out.Plaintext, bytes.Repeat([]byte{0xA5}, 32)) {
		t.Fatalf("Plaintext = %x", out.Plaintext)
	}
	reqID, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if !ok || len(reqID) != 36 {
		t.Fatalf("x-amzn-RequestId = %q, %v; want a UUID", reqID, ok)
	}
}

func TestSDKOperationGetsPrincipalAndRequestID(t *testing.T) {
	ts := newTestServer(t, nil)
	c := newClient(ts.URL, alice)

	out, err := c.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(knownKeyID)})
	if err != nil {
		t.Fatalf("DescribeKey: %v", err)
	}
	reqID, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if want := alice.Principal + " " + reqID; aws.ToString(out.KeyMetadata.Description) != want {
		t.Fatalf("operation saw %q; want %q", aws.ToString(out.KeyMetadata.Description), want)
	}
	if aws.ToString(out.KeyMetadata.KeyId) != knownKeyID || !out.KeyMetadata.Enabled {
		t.Fatalf("KeyMetadata = %+v", out.KeyMetadata)
	}
}

func TestSDKEmptyResult(t *testing.T) {
	ts := newTestServer(t, nil)
	if _, err := newClient(ts.URL, alice).EnableKey(context.Background(), &kms.EnableKeyInput{KeyId: aws.String(knownKeyID)}); err != nil {
		t.Fatalf("EnableKey: %v", err)
	}
}

func TestSDKTypedNotFound(t *testing.T) {
	ts := newTestServer(t, nil)
	_, err := newClient(ts.URL, alice).DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String("alias/nope")})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("err = %v (%T); want *types.NotFoundException", err, err)
	}
	if nf.ErrorMessage() != "Key 'alias/nope' does not exist" {
		t.Fatalf("message = %q", nf.ErrorMessage())
	}
	if _, _, status := apiError(t, err); status != http.StatusBadRequest {
		t.Fatalf("status = %d; want 400", status)
	}
}

func TestSDKValidationError(t *testing.T) {
	ts := newTestServer(t, nil)
	_, err := newClient(ts.URL, alice).GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(4096)})
	if code, _, status := apiError(t, err); code != "ValidationException" || status != 400 {
		t.Fatalf("got %s/%d; want ValidationException/400", code, status)
	}
}

// An error without a code, or a panic, is KMSInternalException (500) and its
// text stays in the server.
func TestSDKInternalErrorsDoNotLeak(t *testing.T) {
	ts := newTestServer(t, nil)
	c := newClient(ts.URL, alice)
	for name, call := range map[string]func() error{
		"plain error": func() error {
			_, err := c.Decrypt(context.Background(), &kms.DecryptInput{CiphertextBlob: []byte("blob")})
			return err
		},
		"panic": func() error {
			_, err := c.Encrypt(context.Background(), &kms.EncryptInput{KeyId: aws.String(knownKeyID), Plaintext: []byte("secret")})
			return err
		},
	} {
		err := call()
		var ie *types.KMSInternalException
		if !errors.As(err, &ie) {
			t.Fatalf("%s: err = %v; want *types.KMSInternalException", name, err)
		}
		_, msg, status := apiError(t, err)
		if status != http.StatusInternalServerError {
			t.Errorf("%s: status = %d; want 500", name, status)
		}
		if strings.Contains(msg, "deadbeef") || strings.Contains(msg, "operation bug") {
			t.Errorf("%s: message leaks internal detail: %q", name, msg)
		}
	}
}

func TestSDKUnknownOperation(t *testing.T) {
	ts := newTestServer(t, nil)
	_, err := newClient(ts.URL, alice).ListKeys(context.Background(), &kms.ListKeysInput{})
	if code, _, status := apiError(t, err); code != "UnknownOperationException" || status != 400 {
		t.Fatalf("got %s/%d; want UnknownOperationException/400", code, status)
	}
}

func TestSDKAuthenticationFailures(t *testing.T) {
	ts := newTestServer(t, nil)
	wrongSecret := alice
	wrongSecret.SecretAccessKey = "not-alices-secret"

	for _, tc := range []struct {
		name     string
		client   *kms.Client
		code     string
		inMessag string
	}{
		{"wrong secret", newClient(ts.URL, wrongSecret), "InvalidSignatureException", "does not match the signature you provided"},
		{"unknown access key", newClient(ts.URL, mallory), "UnrecognizedClientException", "security token included in the request is invalid"},
		{"wrong region", newClient(ts.URL, alice, func(o *kms.Options) { o.Region = "eu-west-1" }), "InvalidSignatureException", "'eu-west-1'"},
		{"tampered body", newClient(ts.URL, alice, func(o *kms.Options) { o.HTTPClient = tamperingClient{} }), "InvalidSignatureException", "does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.client.GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(32)})
			code, msg, status := apiError(t, err)
			if code != tc.code || status != 400 || !strings.Contains(msg, tc.inMessag) {
				t.Fatalf("got %s/%d %q; want %s/400 containing %q", code, status, msg, tc.code, tc.inMessag)
			}
		})
	}
}

// tamperingClient changes the body after the SDK has signed it, keeping its
// length: a man in the middle asking for more random bytes.
type tamperingClient struct{}

func (tamperingClient) Do(r *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(body, []byte(`32`)) {
		panic("tamperingClient: unexpected body")
	}
	body = bytes.Replace(body, []byte(`32`), []byte(`64`), 1)
	r.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultClient.Do(r)
}

// The SDK signs with its own clock; the server's is 10 minutes off.
func TestSDKStaleAndFutureSignatures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		offset time.Duration
		want   string
	}{
		{"stale", 10 * time.Minute, "Signature expired"},
		{"future", -10 * time.Minute, "Signature not yet current"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := newTestServer(t, func(c *ServerConfig) { c.Now = func() time.Time { return time.Now().Add(tc.offset) } })
			_, err := newClient(ts.URL, alice).GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)})
			code, msg, status := apiError(t, err)
			if code != "InvalidSignatureException" || status != 400 || !strings.Contains(msg, tc.want) {
				t.Fatalf("got %s/%d %q; want InvalidSignatureException/400 %q", code, status, msg, tc.want)
			}
		})
	}
}

// Within the allowed skew the request passes.
func TestSDKSmallClockSkewAccepted(t *testing.T) {
	ts := newTestServer(t, func(c *ServerConfig) { c.Now = func() time.Time { return time.Now().Add(4 * time.Minute) } })
	if _, err := newClient(ts.URL, alice).GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}); err != nil {
		t.Fatalf("GenerateRandom with 4 minutes of skew: %v", err)
	}
}

func TestSDKBodyOverLimit(t *testing.T) {
	ts := newTestServer(t, func(c *ServerConfig) { c.MaxBodyBytes = 1024 })
	_, err := newClient(ts.URL, alice).Encrypt(context.Background(), &kms.EncryptInput{
		KeyId: aws.String(knownKeyID), Plaintext: make([]byte, 4096),
	})
	if code, _, status := apiError(t, err); code != "RequestEntityTooLargeException" || status != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %s/%d; want RequestEntityTooLargeException/413", code, status)
	}
}

// rawRequest builds a request signed by the SDK's signer, for the cases the
// SDK client never produces.
func rawRequest(t *testing.T, url, method, target, contentType, body string, c Credential, at time.Time) *http.Request {
	t.Helper()
	r, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if target != "" {
		r.Header.Set("X-Amz-Target", target)
	}
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	if c.AccessKeyID != "" {
		sum := sha256.Sum256([]byte(body))
		creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
		if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), "kms", serverRegion, at); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

// send returns the status, the X-Amzn-ErrorType header and the decoded body.
func send(t *testing.T, r *http.Request) (int, string, map[string]any, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("response body is not JSON: %v", err)
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body, resp.Header
}

func TestRawProtocolErrors(t *testing.T) {
	ts := newTestServer(t, nil)
	const target = "TrentService.GenerateRandom"
	const good = `{"NumberOfBytes":16}`
	now := time.Now()
	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"missing Authorization", rawRequest(t, ts.URL, "POST", target, contentTypeJSON11, good, Credential{}, now), 400, "MissingAuthenticationTokenException"},
		{"signed 10 minutes ago", rawRequest(t, ts.URL, "POST", target, contentTypeJSON11, good, alice, now.Add(-10*time.Minute)), 400, "InvalidSignatureException"},
		{"malformed JSON", rawRequest(t, ts.URL, "POST", target, contentTypeJSON11, `{"NumberOfBytes":`, alice, now), 400, "SerializationException"},
		{"JSON but not an object", rawRequest(t, ts.URL, "POST", target, contentTypeJSON11, `[1,2]`, alice, now), 400, "SerializationException"},
		{"unknown target", rawRequest(t, ts.URL, "POST", "TrentService.FlyToTheMoon", contentTypeJSON11, good, alice, now), 400, "UnknownOperationException"},
		{"other service's target", rawRequest(t, ts.URL, "POST", "DynamoDB_20120810.GetItem", contentTypeJSON11, good, alice, now), 400, "UnknownOperationException"},
		{"no target", rawRequest(t, ts.URL, "POST", "", contentTypeJSON11, good, alice, now), 400, "UnknownOperationException"},
		{"wrong content type", rawRequest(t, ts.URL, "POST", target, "application/json", good, alice, now), 400, "SerializationException"},
		{"GET", rawRequest(t, ts.URL, "GET", target, contentTypeJSON11, "", alice, now), 405, "MethodNotAllowedException"},
		{"other path", rawRequest(t, ts.URL+"/keys", "POST", target, contentTypeJSON11, good, alice, now), 400, "UnknownOperationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, header, body, h := send(t, tc.req)
			if status != tc.status || header != tc.code || body["__type"] != tc.code {
				t.Fatalf("got %d, X-Amzn-ErrorType %q, body %v; want %d %s", status, header, body, tc.status, tc.code)
			}
			if msg, _ := body["message"].(string); msg == "" {
				t.Fatalf("no message in %v", body)
			}
			if h.Get("Content-Type") != contentTypeJSON11 || h.Get("X-Amzn-RequestId") == "" {
				t.Fatalf("headers = %v", h)
			}
		})
	}
}

// A signed body that is not what arrives: the signature no longer matches.
func TestRawTamperedBody(t *testing.T) {
	ts := newTestServer(t, nil)
	r := rawRequest(t, ts.URL, "POST", "TrentService.GenerateRandom", contentTypeJSON11, `{"NumberOfBytes":16}`, alice, time.Now())
	r.Body = io.NopCloser(strings.NewReader(`{"NumberOfBytes":99}`))
	if status, code, _, _ := send(t, r); status != 400 || code != "InvalidSignatureException" {
		t.Fatalf("got %d %s; want 400 InvalidSignatureException", status, code)
	}
}

// The AWS CLI sends no body for operations without input.
func TestRawEmptyBodyIsEmptyInput(t *testing.T) {
	ts := newTestServer(t, nil)
	r := rawRequest(t, ts.URL, "POST", "TrentService.EnableKey", contentTypeJSON11, "", alice, time.Now())
	if status, code, body, _ := send(t, r); status != 200 || code != "" || len(body) != 0 {
		t.Fatalf("got %d %q %v; want 200 {}", status, code, body)
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	s, err := NewServer([]Credential{alice}, fakeOps(), ServerConfig{Region: serverRegion})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()

	c := newClient("http://"+ln.Addr().String(), alice)
	if _, err := c.GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(4)}); err != nil {
		t.Fatalf("GenerateRandom: %v", err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve returned %v; want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return after cancel")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("listener still accepts after Serve returned")
	}
}

func TestNewServerRejectsBadConfig(t *testing.T) {
	if _, err := NewServer([]Credential{alice}, fakeOps(), ServerConfig{}); err == nil {
		t.Error("no region accepted")
	}
	if _, err := NewServer([]Credential{alice, alice}, fakeOps(), ServerConfig{Region: serverRegion}); err == nil {
		t.Error("duplicate access key accepted")
	}
	if _, err := NewServer([]Credential{{AccessKeyID: "A", SecretAccessKey: "s"}}, fakeOps(), ServerConfig{Region: serverRegion}); err == nil {
		t.Error("credential without principal accepted")
	}
	if _, err := NewServer([]Credential{alice}, map[string]Operation{"TrentService.X": fakeOps()["EnableKey"]}, ServerConfig{Region: serverRegion}); err == nil {
		t.Error("prefixed operation name accepted")
	}
}

func TestSDKOverTLS(t *testing.T) {
	s, err := NewServer([]Credential{alice}, fakeOps(), ServerConfig{Region: serverRegion})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(s)
	defer ts.Close()
	c := newClient(ts.URL, alice, func(o *kms.Options) { o.HTTPClient = ts.Client() })
	if _, err := c.GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(16)}); err != nil {
		t.Fatalf("GenerateRandom over TLS: %v", err)
	}
}

// Many clients at once share the verifier and the table.
func TestSDKConcurrentClients(t *testing.T) {
	ts := newTestServer(t, nil)
	c := newClient(ts.URL, alice)
	errs := make(chan error, 32)
	for i := range 32 {
		go func() {
			var err error
			if i%2 == 0 {
				_, err = c.GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(int32(i + 1))})
			} else {
				_, err = c.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(knownKeyID)})
			}
			errs <- err
		}()
	}
	for range 32 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestSDKOperationsNotHere: an AWS operation the bridge does not offer is
// UnsupportedOperationException through the SDK, not an unknown operation.
func TestSDKOperationsNotHere(t *testing.T) {
	b, _, _ := newBridge(t)
	c := serveBridge(t, b)
	_, err := c.ReplicateKey(bg, &kms.ReplicateKeyInput{KeyId: aws.String("alias/x"), ReplicaRegion: aws.String("eu-west-1")})
	var unsupported *types.UnsupportedOperationException
	if !errors.As(err, &unsupported) || !strings.Contains(unsupported.ErrorMessage(), "multi-Region") {
		t.Fatalf("ReplicateKey: %v, want UnsupportedOperationException", err)
	}
	_, err = c.DescribeCustomKeyStores(bg, &kms.DescribeCustomKeyStoresInput{})
	if !errors.As(err, &unsupported) {
		t.Fatalf("DescribeCustomKeyStores: %v, want UnsupportedOperationException", err)
	}
}

// TestSlowClientsAreDropped: a client that stops halfway through its
// headers, or trickles its body, is disconnected after the read timeout,
// and the server keeps answering other clients meanwhile and after.
func TestSlowClientsAreDropped(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s, err := NewServer([]Credential{alice}, fakeOps(), ServerConfig{Region: serverRegion, ReadTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, ln)
	c := newClient("http://"+ln.Addr().String(), alice)

	for name, partial := range map[string]string{
		"headers": "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Tar",
		"body":    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"Number",
	} {
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if _, err := conn.Write([]byte(partial)); err != nil {
			t.Fatal(err)
		}
		// Meanwhile the server answers someone else.
		if _, err := c.GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(4)}); err != nil {
			t.Fatalf("%s: another client while one stalls: %v", name, err)
		}
		start := time.Now()
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		rest, err := io.ReadAll(conn) // returns when the server closes
		if err != nil {
			t.Fatalf("%s: the stalled connection was not closed: %v", name, err)
		}
		if waited := time.Since(start); waited > 5*time.Second {
			t.Fatalf("%s: the stalled connection was closed after %v", name, waited)
		}
		if len(rest) > 0 && !bytes.HasPrefix(rest, []byte("HTTP/1.1 4")) {
			t.Fatalf("%s: the stalled client got %q", name, rest)
		}
	}
	if _, err := c.GenerateRandom(context.Background(), &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(4)}); err != nil {
		t.Fatalf("after the stalled clients: %v", err)
	}
}

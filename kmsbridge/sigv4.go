package kmsbridge

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Credential is one access key the endpoint accepts and the principal (an IAM
// ARN) its requests act as.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	Principal       string
}

const (
	sigv4Algorithm = "AWS4-HMAC-SHA256"
	sigv4Service   = "kms"
	sigv4Terminal  = "aws4_request"
	amzDateFormat  = "20060102T150405Z"
	scopeDate      = "20060102"

	// DefaultMaxClockSkew is how far X-Amz-Date may be from the server's
	// clock, either way. AWS allows 5 minutes for signed headers.
	DefaultMaxClockSkew = 5 * time.Minute
)

// Verifier authenticates requests signed with AWS Signature Version 4.
//
// It does not canonicalise requests itself: it rebuilds the request from the
// headers the client says it signed and has the AWS SDK's own signer
// (aws/signer/v4) sign it again with the stored secret, then compares the two
// signatures in constant time. Whatever the SDK's canonical form is, the
// server's is the same one.
type Verifier struct {
	region  string
	keys    map[string]Credential
	now     func() time.Time
	maxSkew time.Duration
	signer  *v4.Signer
}

// NewVerifier returns a Verifier for requests scoped to region and service
// "kms", accepting the given credentials. now may be nil (time.Now); maxSkew
// 0 means DefaultMaxClockSkew.
func NewVerifier(region string, creds []Credential, now func() time.Time, maxSkew time.Duration) (*Verifier, error) {
	if region == "" {
		return nil, errors.New("kmsbridge: region is required")
	}
	if now == nil {
		now = time.Now
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxClockSkew
	}
	keys := make(map[string]Credential, len(creds))
	for _, c := range creds {
		if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.Principal == "" {
			return nil, fmt.Errorf("kmsbridge: credential %q needs an access key id, a secret and a principal", c.AccessKeyID)
		}
		if _, dup := keys[c.AccessKeyID]; dup {
			return nil, fmt.Errorf("kmsbridge: access key id %q is configured twice", c.AccessKeyID)
		}
		keys[c.AccessKeyID] = c
	}
	return &Verifier{region: region, keys: keys, now: now, maxSkew: maxSkew, signer: v4.NewSigner()}, nil
}

// sigv4Header is the parsed Authorization header:
//
//	AWS4-HMAC-SHA256 Credential=AKID/20261124/us-east-1/kms/aws4_request,
//	    SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=<hex>
type sigv4Header struct {
	accessKeyID, date, region, service, terminal string
	signedHeaders                                []string
	signature                                    string
}

func parseAuthorization(v string) (*sigv4Header, error) {
	alg, rest, ok := strings.Cut(strings.TrimSpace(v), " ")
	if !ok || alg != sigv4Algorithm {
		return nil, newProtocolError(protoIncompleteSig, "Authorization header must use the "+sigv4Algorithm+" algorithm.")
	}
	fields := map[string]string{}
	for part := range strings.SplitSeq(rest, ",") {
		k, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, newProtocolError(protoIncompleteSig, "Authorization header is not a valid key=value list.")
		}
		if _, dup := fields[k]; dup {
			return nil, newProtocolError(protoIncompleteSig, "Authorization header repeats "+k+".")
		}
		fields[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if fields[k] == "" {
			return nil, newProtocolError(protoIncompleteSig, "Authorization header requires '"+k+"' parameter.")
		}
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 {
		return nil, newProtocolError(protoIncompleteSig, "Credential must have the form <access key id>/<date>/<region>/<service>/aws4_request.")
	}
	h := &sigv4Header{
		accessKeyID: scope[0], date: scope[1], region: scope[2], service: scope[3], terminal: scope[4],
		signedHeaders: strings.Split(fields["SignedHeaders"], ";"),
		signature:     fields["Signature"],
	}
	if len(h.signature) != 2*sha256.Size {
		return nil, newProtocolError(protoIncompleteSig, "Signature must be 64 hexadecimal digits.")
	}
	return h, nil
}

// Verify authenticates r, whose body has already been read into body, and
// returns the principal of its access key. Its errors are CodedErrors with
// the codes AWS uses: MissingAuthenticationTokenException,
// IncompleteSignatureException, UnrecognizedClientException and
// InvalidSignatureException.
func (v *Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (string, error) {
	auth := r.Header.Values("Authorization")
	if len(auth) == 0 || auth[0] == "" {
		return "", newProtocolError(protoMissingAuth, "Missing Authentication Token")
	}
	if len(auth) > 1 {
		return "", newProtocolError(protoIncompleteSig, "Only one Authorization header is allowed.")
	}
	h, err := parseAuthorization(auth[0])
	if err != nil {
		return "", err
	}

	amzDate := r.Header.Get("X-Amz-Date")
	if amzDate == "" {
		return "", newProtocolError(protoIncompleteSig, "Authorization header requires existence of a 'X-Amz-Date' header.")
	}
	signingTime, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return "", newProtocolError(protoIncompleteSig, "X-Amz-Date must have the form YYYYMMDD'T'HHMMSS'Z'.")
	}
	if !containsHeader(h.signedHeaders, "host") || !containsHeader(h.signedHeaders, "x-amz-date") {
		return "", newProtocolError(protoIncompleteSig, "SignedHeaders must include host and x-amz-date.")
	}

	cred, ok := v.keys[h.accessKeyID]
	if !ok {
		return "", newProtocolError(protoUnrecognized, "The security token included in the request is invalid.")
	}
	// Session tokens belong to temporary credentials, which this endpoint
	// never issues.
	if r.Header.Get("X-Amz-Security-Token") != "" {
		return "", newProtocolError(protoUnrecognized, "The security token included in the request is invalid.")
	}

	// The scope: same day as X-Amz-Date, this region, this service.
	if h.date != signingTime.Format(scopeDate) {
		return "", newProtocolError(protoInvalidSig, fmt.Sprintf("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", h.date, signingTime.Format(scopeDate), amzDate))
	}
	if h.region != v.region {
		return "", newProtocolError(protoInvalidSig, fmt.Sprintf("Credential should be scoped to a valid region, not '%s'.", h.region))
	}
	if h.service != sigv4Service {
		return "", newProtocolError(protoInvalidSig, fmt.Sprintf("Credential should be scoped to correct service: '%s'.", sigv4Service))
	}
	if h.terminal != sigv4Terminal {
		return "", newProtocolError(protoInvalidSig, "Credential should be scoped with a valid terminator: '"+sigv4Terminal+"'.")
	}

	// Freshness, in AWS's words.
	now := v.now().UTC()
	if signingTime.Before(now.Add(-v.maxSkew)) {
		return "", newProtocolError(protoInvalidSig, fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %s.)",
			amzDate, now.Add(-v.maxSkew).Format(amzDateFormat), now.Format(amzDateFormat), skewText(v.maxSkew)))
	}
	if signingTime.After(now.Add(v.maxSkew)) {
		return "", newProtocolError(protoInvalidSig, fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %s.)",
			amzDate, now.Add(v.maxSkew).Format(amzDateFormat), now.Format(amzDateFormat), skewText(v.maxSkew)))
	}

	expected, err := v.sign(ctx, r, body, h.signedHeaders, cred, signingTime)
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare([]byte(expected), []byte(strings.ToLower(h.signature))) != 1 {
		return "", newProtocolError(protoInvalidSig, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return cred.Principal, nil
}

// sign has the SDK's signer sign a copy of r that carries only the headers
// the client signed, and returns the hex signature.
func (v *Verifier) sign(ctx context.Context, r *http.Request, body []byte, signed []string, cred Credential, at time.Time) (string, error) {
	// The scheme matters only to the signer's removal of a default port
	// from Host (":80" for http, ":443" for https), as the client's did.
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := &url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawPath: r.URL.RawPath, RawQuery: r.URL.RawQuery}
	cp, err := http.NewRequestWithContext(ctx, r.Method, u.String(), nil)
	if err != nil {
		return "", newProtocolError(protoIncompleteSig, "The request URL cannot be signed.")
	}
	cp.Host = r.Host
	for _, name := range signed {
		switch name {
		case "host":
			// The signer signs cp.Host.
		case "content-length":
			// The signer signs cp.ContentLength when it is positive; the
			// length of the body actually received is what counts.
			cp.ContentLength = int64(len(body))
		default:
			vals := r.Header.Values(name)
			if len(vals) == 0 {
				return "", newProtocolError(protoIncompleteSig, "Signed header '"+name+"' is missing from the request.")
			}
			cp.Header[http.CanonicalHeaderKey(name)] = vals
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey}
	if err := v.signer.SignHTTP(ctx, creds, cp, hex.EncodeToString(sum[:]), sigv4Service, v.region, at); err != nil {
		return "", fmt.Errorf("kmsbridge: re-signing the request: %w", err)
	}
	got, err := parseAuthorization(cp.Header.Get("Authorization"))
	if err != nil {
		return "", fmt.Errorf("kmsbridge: the signer produced an unreadable header: %w", err)
	}
	return got.signature, nil
}

func containsHeader(list []string, name string) bool {
	for _, h := range list {
		if h == name {
			return true
		}
	}
	return false
}

func skewText(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return d.String()
}

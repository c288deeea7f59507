package kmsbridge

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/kagi-hsm/kagi/token/ck"
)

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kagi test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue makes a server certificate for 127.0.0.1 and localhost with pub.
func (ca *testCA) issue(t *testing.T, pub crypto.PublicKey) []byte {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "kagi serve"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// tokenTLSKey generates a key pair on the bridge's token as an operator
// would for the endpoint's TLS key: a token object, sensitive and never
// extractable, labelled label; it returns the public key.
func tokenTLSKey(t *testing.T, b *Bridge, label, spec string) crypto.PublicKey {
	t.Helper()
	a := asymSpecs[spec]
	pubT := []ck.Attribute{boolAttr(ck.CKA_TOKEN, true), boolAttr(ck.CKA_VERIFY, true), bytesAttr(ck.CKA_LABEL, []byte(label))}
	privT := []ck.Attribute{boolAttr(ck.CKA_TOKEN, true), boolAttr(ck.CKA_PRIVATE, true), boolAttr(ck.CKA_SENSITIVE, true),
		boolAttr(ck.CKA_EXTRACTABLE, false), boolAttr(ck.CKA_SIGN, true), bytesAttr(ck.CKA_LABEL, []byte(label))}
	m := ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN}
	if a.rsaBits != 0 {
		m.Type = ck.CKM_RSA_PKCS_KEY_PAIR_GEN
		pubT = append(pubT, ulongAttr(ck.CKA_MODULUS_BITS, ck.ULong(a.rsaBits)), bytesAttr(ck.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}))
	} else {
		pubT = append(pubT, bytesAttr(ck.CKA_EC_PARAMS, a.ecParams))
	}
	var spki []byte
	err := b.withSession(bg, func(sh ck.SessionHandle) error {
		hpub, _, err := b.lib.GenerateKeyPair(sh, m, pubT, privT)
		if err != nil {
			return err
		}
		spki, err = b.attribute(sh, hpub, ck.CKA_PUBLIC_KEY_INFO, "reading")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// serveTLS serves b's operations over TLS with cfg on 127.0.0.1 through
// Server.Serve, as kagi serve does, and returns the listener's address.
func serveTLS(t *testing.T, b *Bridge, cfg *tls.Config) string {
	t.Helper()
	s, err := NewServer([]Credential{alice}, b.Operations(), ServerConfig{Region: testRegion, TLSConfig: cfg})
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
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// tlsClient is the AWS SDK KMS client for https://addr trusting only roots,
// speaking at most TLS version max.
func tlsClient(addr string, roots *x509.CertPool, max uint16) *kms.Client {
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, MaxVersion: max}}}
	return kms.NewFromConfig(aws.Config{
		Region:           testRegion,
		Credentials:      credentials.NewStaticCredentialsProvider(alice.AccessKeyID, alice.SecretAccessKey, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       hc,
	}, func(o *kms.Options) { o.BaseEndpoint = aws.String("https://" + addr) })
}

// countingSigner counts the signatures crypto/tls asks for.
type countingSigner struct {
	crypto.Signer
	n atomic.Int32
}

func (c *countingSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	c.n.Add(1)
	return c.Signer.Sign(r, d, o)
}

// TestSDKOverTLSWithTokenKey: the endpoint's TLS key is on the token (EC and
// RSA), the certificate is issued by a CA made here, and the AWS SDK client,
// trusting only that CA, works over TLS 1.2 and 1.3.
func TestSDKOverTLSWithTokenKey(t *testing.T) {
	b, _, _ := newBridge(t)
	ca := newTestCA(t)
	for _, spec := range []string{"ECC_NIST_P256", "ECC_NIST_P384", "RSA_2048"} {
		t.Run(spec, func(t *testing.T) {
			pub := tokenTLSKey(t, b, "tls-"+spec, spec)
			leaf := ca.issue(t, pub)
			ts, err := b.TokenSigner("tls-"+spec, pub)
			if err != nil {
				t.Fatal(err)
			}
			signer := &countingSigner{Signer: ts}
			addr := serveTLS(t, b, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf}, PrivateKey: signer}}, MinVersion: tls.VersionTLS12})
			for _, v := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
				c := tlsClient(addr, ca.pool, v)
				out, err := c.GenerateRandom(bg, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(16)})
				if err != nil || len(out.Plaintext) != 16 {
					t.Fatalf("GenerateRandom over TLS %x: %v", v, err)
				}
			}
			if n := signer.n.Load(); n < 2 {
				t.Fatalf("the token key signed %d handshakes of 2", n)
			}
			// A client that does not trust the CA refuses the server.
			if _, err := tlsClient(addr, x509.NewCertPool(), 0).GenerateRandom(bg, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(16)}); err == nil ||
				!strings.Contains(err.Error(), "certificate") {
				t.Fatalf("a client without the CA: %v", err)
			}
		})
	}
}

// TestPlainHTTPToTLSPort: a plain-HTTP request to the TLS port gets a clean
// 400 answer, and the port keeps serving TLS.
func TestPlainHTTPToTLSPort(t *testing.T) {
	b, _, _ := newBridge(t)
	ca := newTestCA(t)
	pub := tokenTLSKey(t, b, "tls", "ECC_NIST_P256")
	signer, err := b.TokenSigner("tls", pub)
	if err != nil {
		t.Fatal(err)
	}
	addr := serveTLS(t, b, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{ca.issue(t, pub)}, PrivateKey: signer}}})
	resp, err := http.Post("http://"+addr+"/", contentTypeJSON11, strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("plain HTTP: %v (want an answer, not a dropped connection)", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "HTTPS") {
		t.Fatalf("plain HTTP: %d %q", resp.StatusCode, body)
	}
	if _, err := tlsClient(addr, ca.pool, 0).GenerateRandom(bg, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}); err != nil {
		t.Fatalf("TLS after a plain-HTTP request: %v", err)
	}
}

// TestTokenSignerSigns checks every signature form crypto/tls asks of a
// crypto.Signer with Go's verifiers.
func TestTokenSignerSigns(t *testing.T) {
	b, _, _ := newBridge(t)
	hashes := map[crypto.Hash]func([]byte) []byte{
		crypto.SHA1:   func(m []byte) []byte { s := sha1.Sum(m); return s[:] },
		crypto.SHA256: func(m []byte) []byte { s := sha256.Sum256(m); return s[:] },
		crypto.SHA384: func(m []byte) []byte { s := sha512.Sum384(m); return s[:] },
		crypto.SHA512: func(m []byte) []byte { s := sha512.Sum512(m); return s[:] },
	}
	msg := []byte("a TLS handshake transcript")

	rsaPub := tokenTLSKey(t, b, "rsa", "RSA_3072").(*rsa.PublicKey)
	rs, err := b.TokenSigner("rsa", rsaPub)
	if err != nil {
		t.Fatal(err)
	}
	for h, sum := range hashes {
		d := sum(msg)
		sig, err := rs.Sign(rand.Reader, d, h)
		if err != nil || rsa.VerifyPKCS1v15(rsaPub, h, d, sig) != nil {
			t.Fatalf("PKCS #1 v1.5 %s: %v", h, err)
		}
		for _, salt := range []int{rsa.PSSSaltLengthEqualsHash, rsa.PSSSaltLengthAuto, 20} {
			opts := &rsa.PSSOptions{SaltLength: salt, Hash: h}
			sig, err := rs.Sign(rand.Reader, d, opts)
			want := salt
			if salt <= 0 {
				want = h.Size()
			}
			if err != nil || rsa.VerifyPSS(rsaPub, h, d, sig, &rsa.PSSOptions{SaltLength: want, Hash: h}) != nil {
				t.Fatalf("PSS %s salt %d: %v", h, salt, err)
			}
		}
	}
	if _, err := rs.Sign(rand.Reader, make([]byte, 31), crypto.SHA256); err == nil {
		t.Fatal("a 31-byte SHA-256 digest was signed")
	}
	if _, err := rs.Sign(rand.Reader, make([]byte, 16), crypto.MD5); err == nil {
		t.Fatal("an MD5 PKCS #1 signature was made")
	}

	for _, spec := range []string{"ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"} {
		ecPub := tokenTLSKey(t, b, spec, spec).(*ecdsa.PublicKey)
		es, err := b.TokenSigner(spec, ecPub)
		if err != nil {
			t.Fatal(err)
		}
		if es.Public() != crypto.PublicKey(ecPub) {
			t.Fatal("Public is not the certificate's key")
		}
		for h, sum := range hashes {
			d := sum(msg)
			sig, err := es.Sign(rand.Reader, d, h)
			if err != nil || !ecdsa.VerifyASN1(ecPub, d, sig) {
				t.Fatalf("%s ECDSA over %s: %v", spec, h, err)
			}
		}
	}
}

// TestTokenSignerRefusals: a certificate for another key, a key of another
// type, a missing or ambiguous label are refused when the signer is made.
func TestTokenSignerRefusals(t *testing.T) {
	b, _, _ := newBridge(t)
	ecPub := tokenTLSKey(t, b, "ec", "ECC_NIST_P256")
	otherEC := tokenTLSKey(t, b, "other", "ECC_NIST_P256")
	rsaPub := tokenTLSKey(t, b, "rsa", "RSA_2048")
	otherRSA, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tokenTLSKey(t, b, "twice", "ECC_NIST_P256")
	tokenTLSKey(t, b, "twice", "ECC_NIST_P256")
	for _, c := range []struct {
		name, label string
		pub         crypto.PublicKey
		want        string
	}{
		{"EC certificate of another key", "ec", otherEC, "does not match"},
		{"RSA certificate of another key", "rsa", &otherRSA.PublicKey, "does not match"},
		{"RSA certificate, EC key", "ec", rsaPub, "is not"},
		{"EC certificate, RSA key", "rsa", ecPub, "is not"},
		{"no such label", "none", ecPub, "no private key labelled"},
		{"two keys with the label", "twice", ecPub, "must be unique"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.TokenSigner(c.label, c.pub)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("TokenSigner: %v, want %q", err, c.want)
			}
		})
	}
}

// TestSessionSigner: the signer on one session its caller holds (as kagi
// tls-key uses it, with no Bridge) signs correctly when crypto code calls it
// from several goroutines at once, and refuses a key that is not pub's.
func TestSessionSigner(t *testing.T) {
	b, _, _ := newBridge(t)
	pub := tokenTLSKey(t, b, "held", "ECC_NIST_P256").(*ecdsa.PublicKey)
	// Login state is per token: the bridge's login serves this session too.
	sh, err := b.lib.OpenSession(b.slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer b.lib.CloseSession(sh)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if _, err := SessionSigner(b.lib, sh, "held", &other.PublicKey); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("SessionSigner with another public key: %v", err)
	}
	s, err := SessionSigner(b.lib, sh, "held", pub)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	bad := errors.New("the signature does not verify")
	for i := range 8 {
		go func() {
			var err error
			for j := 0; j < 20 && err == nil; j++ {
				d := sha256.Sum256([]byte{byte(i), byte(j)})
				var sig []byte
				sig, err = s.Sign(rand.Reader, d[:], crypto.SHA256)
				if err == nil && !ecdsa.VerifyASN1(pub, d[:], sig) {
					err = bad
				}
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent signature on the held session: %v", err)
		}
	}
}

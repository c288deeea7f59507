package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/kagi-hsm/kagi/token/ck"
)

// tlsFixture is a token set up with the command and a CA made for the test.
type tlsFixture struct {
	dir, userPIN string
	caCert       *x509.Certificate
	caKey        *ecdsa.PrivateKey
	roots        *x509.CertPool
}

func newTLSFixture(t *testing.T) *tlsFixture {
	t.Helper()
	dir := setup(t)
	so, user := writePIN(t, dir, "so", "so-pin-1234"), writePIN(t, dir, "user", "user-pin-1234")
	if code, _, errs := kagi(t, "init-token", "--free", "--label", "kms", "--so-pin-file", so, "--pin-file", user); code != 0 {
		t.Fatalf("init-token: %s", errs)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	return &tlsFixture{dir: dir, userPIN: user, caCert: ca, caKey: key, roots: roots}
}

// certFile issues a server certificate for 127.0.0.1 with pub and writes it
// (PEM, followed by the CA's) to a file.
func (f *tlsFixture) certFile(t *testing.T, name string, pub crypto.PublicKey) string {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "kagi serve"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, f.caCert, pub, f.caKey)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(f.dir, name)
	data := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.caCert.Raw})...)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// config writes a serve configuration with that tls object.
func (f *tlsFixture) config(t *testing.T, tlsJSON string) string {
	t.Helper()
	conf := filepath.Join(f.dir, "serve.json")
	body := fmt.Sprintf(`{"listen": "127.0.0.1:0", "region": "eu-central-1", "account": "123456789012",
	  "token": "kms", "pin_file": %q, "tls": %s,
	  "credentials": [{"access_key_id": %q, "secret_access_key": %q,
	                   "principal": "arn:aws:iam::123456789012:root"}]}`, f.userPIN, tlsJSON, serveAKID, serveSecret)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// use checks the endpoint at url with the AWS SDK over TLS, trusting only
// the test's CA, and that plain HTTP to the same port is refused cleanly.
func (f *tlsFixture) use(t *testing.T, url string) {
	t.Helper()
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("kagi serve announced %q, want https://", url)
	}
	c := kms.NewFromConfig(aws.Config{
		Region:           "eu-central-1",
		Credentials:      credentials.NewStaticCredentialsProvider(serveAKID, serveSecret, ""),
		RetryMaxAttempts: 1,
		HTTPClient:       &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: f.roots}}},
	}, func(o *kms.Options) { o.BaseEndpoint = aws.String(url) })
	ctx := context.Background()
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := c.GenerateDataKeyPair(ctx, &kms.GenerateDataKeyPairInput{KeyId: key.KeyMetadata.KeyId, KeyPairSpec: types.DataKeyPairSpecEccNistP256})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(pair.PrivateKeyPlaintext); err != nil {
		t.Fatalf("PKCS#8 over TLS: %v", err)
	}
	resp, err := http.Post("http://"+strings.TrimPrefix(url, "https://")+"/", "application/x-amz-json-1.1", strings.NewReader("{}"))
	if err != nil {
		t.Fatalf("plain HTTP to the TLS port: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("plain HTTP to the TLS port: status %d, want 400", resp.StatusCode)
	}
}

// pemKey writes a PKCS#8 PEM private key file.
func pemKey(t *testing.T, dir, name string, k crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServeTLSKeyFile: kagi serve with a certificate and key file; a key
// that is not the certificate's is refused at start.
func TestServeTLSKeyFile(t *testing.T) {
	f := newTLSFixture(t)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	cert := f.certFile(t, "server.pem", &key.PublicKey)
	keyFile, otherFile := pemKey(t, f.dir, "server.key", key), pemKey(t, f.dir, "other.key", other)

	conf := f.config(t, fmt.Sprintf(`{"cert_file": %q, "key_file": %q}`, cert, keyFile))
	url, done := startServe(t, conf)
	f.use(t, url)
	stopServe(t, done)

	conf = f.config(t, fmt.Sprintf(`{"cert_file": %q, "key_file": %q}`, cert, otherFile))
	if code, _, errs := kagi(t, "serve", "--config", conf); code != 1 || !strings.Contains(errs, "private key does not match public key") {
		t.Fatalf("serve with another key: %d %q", code, errs)
	}
}

// tokenKey generates an EC P-256 key pair on the token "kms" as an operator
// would for the TLS key (sensitive, never extractable), and returns its
// public key.
func tokenKey(t *testing.T, f *tlsFixture, label string) crypto.PublicKey {
	t.Helper()
	lib, err := openLibrary()
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Finalize()
	slot, err := findToken(lib, "kms")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := lib.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.Login(sh, ck.CKU_USER, []byte("user-pin-1234")); err != nil {
		t.Fatal(err)
	}
	p256 := []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	a := func(t ck.AttributeType, v []byte) ck.Attribute { return ck.Attribute{Type: t, Value: v} }
	yes, no := ck.BoolBytes(true), ck.BoolBytes(false)
	hpub, _, err := lib.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{a(ck.CKA_TOKEN, yes), a(ck.CKA_VERIFY, yes), a(ck.CKA_EC_PARAMS, p256), a(ck.CKA_LABEL, []byte(label))},
		[]ck.Attribute{a(ck.CKA_TOKEN, yes), a(ck.CKA_PRIVATE, yes), a(ck.CKA_SENSITIVE, yes), a(ck.CKA_EXTRACTABLE, no),
			a(ck.CKA_SIGN, yes), a(ck.CKA_LABEL, []byte(label))})
	if err != nil {
		t.Fatal(err)
	}
	vs, err := lib.GetAttributeValue(sh, hpub, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
	if err != nil || vs[0].Err != 0 {
		t.Fatalf("CKA_PUBLIC_KEY_INFO: %v %v", err, vs)
	}
	lib.CloseSession(sh)
	pub, err := x509.ParsePKIXPublicKey(vs[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

// TestServeTLSTokenKey: kagi serve with the TLS private key on the token it
// serves; a certificate of another key, or a missing label, is refused at
// start.
func TestServeTLSTokenKey(t *testing.T) {
	f := newTLSFixture(t)
	pub := tokenKey(t, f, "kagi-tls")
	cert := f.certFile(t, "server.pem", pub)

	conf := f.config(t, fmt.Sprintf(`{"cert_file": %q, "token_key_label": "kagi-tls"}`, cert))
	url, done := startServe(t, conf)
	f.use(t, url)
	stopServe(t, done)

	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	conf = f.config(t, fmt.Sprintf(`{"cert_file": %q, "token_key_label": "kagi-tls"}`, f.certFile(t, "other.pem", &other.PublicKey)))
	if code, _, errs := kagi(t, "serve", "--config", conf); code != 1 || !strings.Contains(errs, "does not match the certificate's public key") {
		t.Fatalf("serve with a certificate of another key: %d %q", code, errs)
	}
	conf = f.config(t, fmt.Sprintf(`{"cert_file": %q, "token_key_label": "nope"}`, cert))
	if code, _, errs := kagi(t, "serve", "--config", conf); code != 1 || !strings.Contains(errs, `no private key labelled "nope"`) {
		t.Fatalf("serve with an unknown token key: %d %q", code, errs)
	}
}

// TestServeTLSConfigChecked: a tls object without a certificate, or with
// both or neither key, is refused before anything opens.
func TestServeTLSConfigChecked(t *testing.T) {
	f := newTLSFixture(t)
	for tlsJSON, want := range map[string]string{
		`{"key_file": "k.pem"}`:  "tls needs cert_file",
		`{"cert_file": "c.pem"}`: "exactly one of key_file and token_key_label",
		`{"cert_file": "c.pem", "key_file": "k.pem", "token_key_label": "x"}`: "exactly one of key_file and token_key_label",
		`{"cert_file": "c.pem", "keyfile": "k.pem"}`:                          "unknown field",
	} {
		conf := f.config(t, tlsJSON)
		if code, _, errs := kagi(t, "serve", "--config", conf); code != 1 || !strings.Contains(errs, want) {
			t.Errorf("tls %s: %d %q, want %q", tlsJSON, code, errs, want)
		}
	}
	conf := f.config(t, `{"cert_file": "/nonexistent/c.pem", "key_file": "/nonexistent/k.pem"}`)
	if code, _, errs := kagi(t, "serve", "--config", conf); code != 1 || !strings.Contains(errs, "TLS certificate") {
		t.Errorf("missing certificate file: %d %q", code, errs)
	}
}

// TestServeTLSBinary runs the built kagi command as a process, as a service
// manager does: TLS with the key on the token, then SIGTERM and a clean
// exit.
func TestServeTLSBinary(t *testing.T) {
	f := newTLSFixture(t)
	bin := filepath.Join(t.TempDir(), "kagi")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	pub := tokenKey(t, f, "kagi-tls")
	conf := f.config(t, fmt.Sprintf(`{"cert_file": %q, "token_key_label": "kagi-tls"}`, f.certFile(t, "server.pem", pub)))

	cmd := exec.Command(bin, "serve", "--config", conf) // KAGI_DB and KAGI_CONF from setup
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() }) // os.ErrProcessDone once it has exited
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("kagi serve printed no address: %v; stderr: %s", err, stderr.String())
	}
	i := strings.Index(line, "https://")
	if i < 0 {
		t.Fatalf("kagi serve said %q", line)
	}
	f.use(t, strings.Fields(line[i:])[0])

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("kagi serve after SIGTERM: %v; stderr: %s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("kagi serve did not stop within 20 s of SIGTERM")
	}
}

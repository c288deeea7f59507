package mech

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// opensslCLI runs the openssl command (OpenSSL 3, package openssl) as the
// independent implementation, in a temporary directory that holds one RSA
// key pair as PEM files. The test is skipped where openssl is missing;
// build.sh test installs it, so CI always runs these.
type opensslCLI struct {
	t      *testing.T
	dir    string
	keyPEM string // the private key, PKCS #8
	pubPEM string // the public key, SubjectPublicKeyInfo
}

func newOpenSSLCLI(t *testing.T, priv *rsa.PrivateKey) *opensslCLI {
	t.Helper()
	o := newOpenSSLDir(t)
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	o.keyPEM = o.write("key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	pubDER, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	o.pubPEM = o.write("pub.pem", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}))
	return o
}

// newOpenSSLDir is an opensslCLI with an empty directory and no keys.
func newOpenSSLDir(t *testing.T) *opensslCLI {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl command")
	}
	return &opensslCLI{t: t, dir: t.TempDir()}
}

// run returns openssl's standard output and fails the test on an error exit.
func (o *opensslCLI) run(args ...string) []byte {
	o.t.Helper()
	out, err := o.try(args...)
	if err != nil {
		o.t.Fatalf("openssl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// try is run for a command expected to fail sometimes: the error carries
// openssl's standard error.
func (o *opensslCLI) try(args ...string) ([]byte, error) {
	cmd := exec.Command("openssl", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, &opensslError{err: err, stderr: stderr.String()}
	}
	return out, nil
}

type opensslError struct {
	err    error
	stderr string
}

func (e *opensslError) Error() string { return e.err.Error() + "\n" + e.stderr }

// write stores b in the directory and returns its path.
func (o *opensslCLI) write(name string, b []byte) string {
	o.t.Helper()
	p := filepath.Join(o.dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		o.t.Fatal(err)
	}
	return p
}

package interop

// Helpers of the TLS-stack scenarios (tls_*_test.go: OpenSSL through
// libp11's engine, gnutls_*_test.go: GnuTLS's p11tool and certtool,
// nss_*_test.go: NSS's modutil and certutil). Each scenario runs the real
// tools as child processes on a fresh token in its own temporary database;
// the module is never loaded into the test process. Every name here starts
// with "tls" so the other scenarios of this package can add their own
// helpers.

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

const (
	tlsSOPIN = "12345678"
	tlsPIN   = "1234"

	// tlsToolTimeout bounds one run of a tool: a hang is a failure, never
	// a stuck CI.
	tlsToolTimeout = 60 * time.Second
)

// tlsToken is a fresh database with one initialised token whose user PIN
// is tlsPIN, and the environment that points the tools at it.
type tlsToken struct {
	t      *testing.T
	dir    string // temporary directory of the scenario; tools run in it
	module string // absolute path of libkagi.so
	label  string
	env    []string // KAGI_DB set to the database in dir
}

// tlsNewToken makes a fresh database in a temporary directory and
// initialises a token labelled label in it with pkcs11-tool.
func tlsNewToken(t *testing.T, label string) *tlsToken {
	t.Helper()
	requireTools(t, "pkcs11-tool")
	dir := t.TempDir()
	module := moduleUnderTest(t)
	k := &tlsToken{
		t: t, dir: dir, module: module, label: label,
		env: append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF"),
			"KAGI_DB="+filepath.Join(dir, "kagi.db")),
	}
	out := k.must("pkcs11-tool", "--module", module, "--init-token", "--label", label, "--so-pin", tlsSOPIN)
	if !strings.Contains(out, "Token successfully initialized") {
		t.Fatalf("pkcs11-tool --init-token did not report success")
	}
	out = k.must("pkcs11-tool", "--module", module, "--token-label", label, "--login", "--so-pin", tlsSOPIN,
		"--init-pin", "--pin", tlsPIN)
	if !strings.Contains(out, "User PIN successfully initialized") {
		t.Fatalf("pkcs11-tool --init-pin did not report success")
	}
	return k
}

// tlsCommand makes a command of the scenario: its own process group (so a
// timeout kills the tool and anything it started), the token's
// environment plus extra, run in k.dir.
func (k *tlsToken) command(ctx context.Context, extra []string, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = k.dir
	cmd.Env = append(append([]string(nil), k.env...), extra...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runEnv runs a tool with extra environment and stdin and returns its
// combined output, which it logs.
func (k *tlsToken) runEnv(extra []string, stdin []byte, name string, args ...string) (string, error) {
	k.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), tlsToolTimeout)
	defer cancel()
	cmd := k.command(ctx, extra, name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = fmt.Errorf("%v (timed out after %v)", err, tlsToolTimeout)
	}
	k.t.Logf("%s %s\n%s", name, strings.Join(args, " "), out)
	return string(out), err
}

// run runs a tool and returns its combined output.
func (k *tlsToken) run(name string, args ...string) (string, error) {
	k.t.Helper()
	return k.runEnv(nil, nil, name, args...)
}

// must runs a tool and fails the test if it fails.
func (k *tlsToken) must(name string, args ...string) string {
	k.t.Helper()
	out, err := k.run(name, args...)
	if err != nil {
		k.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// mustEnv runs a tool with extra environment and fails the test if it
// fails.
func (k *tlsToken) mustEnv(extra []string, name string, args ...string) string {
	k.t.Helper()
	out, err := k.runEnv(extra, nil, name, args...)
	if err != nil {
		k.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// path returns the path of a file of the scenario.
func (k *tlsToken) path(name string) string { return filepath.Join(k.dir, name) }

// write writes a file of the scenario.
func (k *tlsToken) write(name string, data []byte) {
	k.t.Helper()
	if err := os.WriteFile(k.path(name), data, 0o600); err != nil {
		k.t.Fatal(err)
	}
}

// read reads a file of the scenario.
func (k *tlsToken) read(name string) []byte {
	k.t.Helper()
	b, err := os.ReadFile(k.path(name))
	if err != nil {
		k.t.Fatal(err)
	}
	return b
}

// tokenPubPEM reads the public key object with the given CKA_ID (hex) from
// the token with pkcs11-tool and writes it as PEM to name: the reference
// the scenarios check certificates and signatures against, independent of
// the client under test.
func (k *tlsToken) tokenPubPEM(id, name string) {
	k.t.Helper()
	der := name + ".der"
	k.must("pkcs11-tool", "--module", k.module, "--token-label", k.label, "--read-object",
		"--type", "pubkey", "--id", id, "--output-file", der)
	k.must("openssl", "pkey", "-pubin", "-inform", "DER", "-in", der, "-out", name)
}

// certPubPEM returns the public key of a PEM certificate, as PEM.
func (k *tlsToken) certPubPEM(cert string) string {
	k.t.Helper()
	return k.must("openssl", "x509", "-in", cert, "-noout", "-pubkey")
}

// samePub fails the test unless the certificate cert holds the public key
// in the PEM file pub.
func (k *tlsToken) samePub(cert, pub string) {
	k.t.Helper()
	got := k.certPubPEM(cert)
	want := k.must("openssl", "pkey", "-pubin", "-in", pub)
	if strings.TrimSpace(got) != strings.TrimSpace(want) {
		k.t.Errorf("the public key of %s is not the token's key %s:\n got %s\nwant %s", cert, pub, got, want)
	}
}

// verifySelfSigned checks a self-signed PEM certificate with openssl
// verify (-check_ss_sig: openssl does not check a trust anchor's own
// signature otherwise), and checks that the same certificate with one bit of its
// signature flipped fails, so the check itself can fail.
func (k *tlsToken) verifySelfSigned(cert string) {
	k.t.Helper()
	out := k.must("openssl", "verify", "-check_ss_sig", "-CAfile", cert, cert)
	if !strings.Contains(out, cert+": OK") {
		k.t.Errorf("openssl verify %s: no OK", cert)
	}
	bad := "tampered-" + cert
	k.tamper(cert, bad)
	if out, err := k.run("openssl", "verify", "-check_ss_sig", "-CAfile", bad, bad); err == nil || strings.Contains(out, bad+": OK") {
		k.t.Errorf("openssl verify accepted %s with a flipped signature bit", cert)
	}
}

// tamper writes to dst the PEM certificate src with the last bit of its
// signature (the last byte of the DER) flipped.
func (k *tlsToken) tamper(src, dst string) {
	k.t.Helper()
	k.must("openssl", "x509", "-in", src, "-outform", "DER", "-out", dst+".der")
	der := k.read(dst + ".der")
	der[len(der)-1] ^= 1
	k.write(dst+".der", der)
	k.must("openssl", "x509", "-inform", "DER", "-in", dst+".der", "-out", dst)
}

// Helpers of the command-line and Go client interop tests: OpenSC's
// pkcs11-tool (pkcs11tool_*_test.go), p11-kit (p11kit_*_test.go), and
// crypto11 / miekg/pkcs11 (goclients_*_test.go). Every name here starts with
// cli so the helpers of the other interop tests in this package do not clash.
//
// The module is $KAGI_MODULE if set, else a fresh build of ./cmodule. Every
// scenario gets its own database in a temporary directory. A missing tool
// skips the test, unless $CI is set (and not "false"): in CI it fails.

package interop

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

// cliEnv is this process's environment with KAGI_DB set to db (and no
// KAGI_CONF), plus extra variables.
func cliEnv(db string, extra ...string) []string {
	env := append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF"), "KAGI_DB="+db)
	return append(env, extra...)
}

// cliExec runs name args... in dir with env and returns its combined output.
func cliExec(dir string, env []string, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return string(out), err
}

// cliP11 runs pkcs11-tool on one module and database, in one directory.
type cliP11 struct {
	t      *testing.T
	dir    string
	env    []string
	module string
	token  string // label of the token under test
	pin    string // user PIN
}

// run runs pkcs11-tool --module M args... and returns its combined output.
func (p *cliP11) run(args ...string) (string, error) {
	out, err := cliExec(p.dir, p.env, "pkcs11-tool", append([]string{"--module", p.module}, args...)...)
	p.t.Logf("pkcs11-tool %s\n%s", strings.Join(args, " "), out)
	return out, err
}

// must runs pkcs11-tool and fails the test if it fails.
func (p *cliP11) must(args ...string) string {
	p.t.Helper()
	out, err := p.run(args...)
	if err != nil {
		p.t.Fatalf("pkcs11-tool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// user runs pkcs11-tool on the test token, logged in as its user.
func (p *cliP11) user(args ...string) string {
	p.t.Helper()
	return p.must(append([]string{"--token-label", p.token, "--login", "--pin", p.pin}, args...)...)
}

// in returns a copy of p for subtest t working in its own directory.
func (p *cliP11) in(t *testing.T) *cliP11 {
	q := *p
	q.t = t
	q.dir = t.TempDir()
	return &q
}

// cliOpenSSL runs openssl args... in dir.
func cliOpenSSL(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	out, err := cliExec(dir, os.Environ(), "openssl", args...)
	t.Logf("openssl %s\n%s", strings.Join(args, " "), out)
	return out, err
}

// cliMustOpenSSL runs openssl and fails the test if it fails.
func cliMustOpenSSL(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := cliOpenSSL(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// cliVerified runs an openssl verification twice: on the genuine input it
// must succeed and print want; on tampered input (args with good replaced
// by bad) it must fail, so that the check is known to be real.
func cliVerified(t *testing.T, dir, want, good, bad string, args ...string) {
	t.Helper()
	out, err := cliOpenSSL(t, dir, args...)
	if err != nil || !strings.Contains(out, want) {
		t.Errorf("openssl %s: %v, want %q", strings.Join(args, " "), err, want)
	}
	tampered := make([]string, len(args))
	for i, a := range args {
		if a == good {
			a = bad
		}
		tampered[i] = a
	}
	out, err = cliOpenSSL(t, dir, tampered...)
	if err == nil || strings.Contains(out, want) {
		t.Errorf("openssl %s accepted tampered input: the check is not real", strings.Join(tampered, " "))
	}
}

func cliWrite(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func cliRead(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// cliParsePublicKey parses a SubjectPublicKeyInfo in DER or PEM.
func cliParsePublicKey(b []byte) (any, error) {
	if block, _ := pem.Decode(b); block != nil {
		b = block.Bytes
	}
	return x509.ParsePKIXPublicKey(b)
}

// Package clients checks libkagi.so with real PKCS#11 clients: OpenSC's
// pkcs11-tool (verified with OpenSSL) and ThalesGroup/crypto11 (verified
// with the Go standard library).
//
// The module is $KAGI_MODULE if set, else a fresh build of ./cmodule.
//
// A tool that is not installed (pkcs11-tool: Debian opensc; openssl: Debian
// openssl) skips the tests that need it, unless $CI is set: in CI a missing
// tool is a failure.
package clients

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var (
	// module is the path of the module under test.
	module string
	// inProcessDB is the database of the module loaded into this test
	// process (crypto11_test.go). The module reads its environment when it
	// is loaded, and a Go c-shared library is loaded once per process and
	// never unloaded, so KAGI_DB is set here, before any test loads it.
	inProcessDB string
)

// debianPackage names the package that provides each external tool.
var debianPackage = map[string]string{
	"pkcs11-tool": "opensc",
	"openssl":     "openssl",
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	tmp, err := os.MkdirTemp("", "kagi-clients-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)

	module, err = modulePath(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	inProcessDB = filepath.Join(tmp, "in-process.db")
	os.Unsetenv("KAGI_CONF")
	os.Setenv("KAGI_DB", inProcessDB)
	return m.Run()
}

// modulePath returns $KAGI_MODULE, or builds the module into dir.
func modulePath(dir string) (string, error) {
	if m := os.Getenv("KAGI_MODULE"); m != "" {
		return filepath.Abs(m)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("repository root not found at %s: %v", root, err)
	}
	out := filepath.Join(dir, "libkagi.so")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./cmodule")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the module: %v\n%s", err, b)
	}
	return out, nil
}

// requireTools skips the test if a tool is missing, or fails it under CI.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, name := range names {
		if _, err := exec.LookPath(name); err != nil {
			msg := fmt.Sprintf("%s is not installed (Debian package %s)", name, debianPackage[name])
			if ciSet() {
				t.Fatalf("%s; CI must install it", msg)
			}
			t.Skipf("%s; skipping (under CI=true this is a failure)", msg)
		}
	}
}

// envWithDB returns this process's environment with KAGI_DB set to db.
func envWithDB(db string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KAGI_DB=") && !strings.HasPrefix(kv, "KAGI_CONF=") {
			env = append(env, kv)
		}
	}
	return append(env, "KAGI_DB="+db)
}

// ciSet reports whether we run under CI, where missing tools are failures.
func ciSet() bool { return os.Getenv("CI") != "" }

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
	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

var (
	// module is the path of the module under test.
	module string
	// inProcessDB is the database of the module loaded into this test
	// process (crypto11_test.go).
	inProcessDB string
)

// startedMarker, in the environment, holds the temporary directory of a
// test process that TestMain has re-executed.
const startedMarker = "KAGI_CLIENTS_TEST_TMP"

// debianPackage names the package that provides each external tool.
var debianPackage = map[string]string{
	"pkcs11-tool": "opensc",
	"openssl":     "openssl",
}

// TestMain gives the module loaded into this process its own database.
//
// A Go c-shared library's os.Getenv sees the environment the process started
// with, not later changes: os.Setenv("KAGI_DB", ...) before loading the
// module would be missed and the module would use the user's default
// database. So TestMain puts KAGI_DB into the starting environment by
// re-executing the test binary once.
func TestMain(m *testing.M) {
	if db := os.Getenv(setenvChildMarker); db != "" {
		os.Exit(setenvChild(db))
	}
	if os.Getenv(startedMarker) == "" {
		tmp, err := os.MkdirTemp("", "kagi-clients-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		self, err := os.Executable()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		env := append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF"),
			"KAGI_DB="+filepath.Join(tmp, "in-process.db"), startedMarker+"="+tmp)
		err = syscall.Exec(self, os.Args, env)
		fmt.Fprintln(os.Stderr, "re-executing the test binary:", err)
		os.Exit(1)
	}
	os.Exit(run(m, os.Getenv(startedMarker)))
}

func run(m *testing.M, tmp string) int {
	defer os.RemoveAll(tmp)
	var err error
	module, err = testmodule.Path(tmp)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	inProcessDB = os.Getenv("KAGI_DB")
	return m.Run()
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
	return append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF"), "KAGI_DB="+db)
}

// ciSet reports whether we run under CI, where missing tools are failures.
func ciSet() bool { return os.Getenv("CI") != "" }

package interop

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

// Helpers every scenario of this package shares: the module under test and
// the rule for a missing client tool. Each scenario's own helpers are in
// its *_helpers_test.go file, named with its prefix (cli, java, tls, nginx).

// debianPackage names the Debian package of each tool a scenario runs.
var debianPackage = map[string]string{
	"pkcs11-tool": "opensc",
	"openssl":     "openssl",
	"p11-kit":     "p11-kit",
	"p11tool":     "gnutls-bin",
	"certtool":    "gnutls-bin",
	"modutil":     "libnss3-tools",
	"certutil":    "libnss3-tools",
	"java":        "openjdk-17-jdk-headless",
	"javac":       "openjdk-17-jdk-headless",
	"keytool":     "openjdk-17-jdk-headless",
	"jarsigner":   "openjdk-17-jdk-headless",
	"nginx":       "nginx",
	"curl":        "curl",
}

// inCI reports whether a missing tool is a failure ($CI set and not
// "false") rather than a skip.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false"
}

// missing skips the test for a missing prerequisite, or fails it under CI.
func missing(t *testing.T, msg string) {
	t.Helper()
	if inCI() {
		t.Fatalf("%s; CI must install it", msg)
	}
	t.Skipf("%s; skipping (under CI=true this is a failure)", msg)
}

// requireTools skips the test if a tool is missing, or fails it under CI.
func requireTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, name := range tools {
		if _, err := exec.LookPath(name); err != nil {
			missing(t, fmt.Sprintf("%s is not installed (Debian package %s)", name, debianPackage[name]))
		}
	}
}

var (
	moduleOnce sync.Once
	modulePath string
	moduleErr  error
)

// moduleUnderTest returns the absolute path of the module: $KAGI_MODULE, or
// else one build of ./cmodule per test process into a fixed directory under
// the system temporary directory (renamed into place, so a concurrent run
// that has the old file loaded is not disturbed; the directory holds one
// file, so no TestMain is needed to clean up).
func moduleUnderTest(t *testing.T) string {
	t.Helper()
	moduleOnce.Do(func() {
		if os.Getenv("KAGI_MODULE") != "" {
			modulePath, moduleErr = testmodule.Path("")
			return
		}
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("kagi-interop-%d", os.Getuid()))
		if moduleErr = os.MkdirAll(dir, 0o755); moduleErr != nil {
			return
		}
		tmp, err := os.MkdirTemp(dir, "build-")
		if err != nil {
			moduleErr = err
			return
		}
		defer os.RemoveAll(tmp)
		built, err := testmodule.Path(tmp)
		if err != nil {
			moduleErr = err
			return
		}
		modulePath = filepath.Join(dir, "libkagi.so")
		moduleErr = os.Rename(built, modulePath)
	})
	if moduleErr != nil {
		t.Fatalf("module under test: %v", moduleErr)
	}
	return modulePath
}

package interop

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

// The token the Java scenario gets, on a fresh database of its own.
const (
	javaTokenLabel = "java"
	javaSOPIN      = "12345678"
	javaPIN        = "654321"
)

// javaToken is an initialised kagi token on a fresh database and the
// SunPKCS11 configuration file that names it.
type javaToken struct {
	t      *testing.T
	dir    string
	module string
	env    []string // KAGI_DB set to this token's database
	cfg    string   // the SunPKCS11 configuration file
}

var javaSlotLine = regexp.MustCompile(`(?m)^Slot \d+ \((0x[0-9a-fA-F]+)\):[^\n]*\n((?:[ \t][^\n]*\n?)*)`)

// javaNewToken initialises the free slot's token of a fresh database with
// pkcs11-tool, sets the user PIN and writes the SunPKCS11 configuration.
func javaNewToken(t *testing.T) *javaToken {
	t.Helper()
	dir := t.TempDir()
	module := moduleUnderTest(t)
	jt := &javaToken{
		t: t, dir: dir, module: module,
		env: append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF"), "KAGI_DB="+filepath.Join(dir, "kagi.db")),
	}
	free := jt.slotWith("uninitialized")
	jt.p11("--init-token", "--slot", free, "--label", javaTokenLabel, "--so-pin", javaSOPIN)
	jt.p11("--token-label", javaTokenLabel, "--init-pin", "--login", "--so-pin", javaSOPIN, "--pin", javaPIN)
	slot, err := strconv.ParseUint(strings.TrimPrefix(jt.slotWith("token label        : "+javaTokenLabel), "0x"), 16, 64)
	if err != nil {
		t.Fatal(err)
	}

	// SunPKCS11 leaves CKA_DERIVE of the EC keys it generates and
	// CKA_EXTRACTABLE of the secret it derives with ECDH to the token's
	// defaults, which are false on kagi as on SoftHSMv2; its KeyAgreement
	// reads CKA_VALUE of that secret, so the configuration asks for both, as
	// a deployment that uses ECDH through SunPKCS11 must.
	cfg := fmt.Sprintf(`name = kagi
library = %s
slot = %d
attributes(generate, CKO_PRIVATE_KEY, CKK_EC) = {
  CKA_DERIVE = true
}
attributes(generate, CKO_SECRET_KEY, CKK_GENERIC_SECRET) = {
  CKA_SENSITIVE = false
  CKA_EXTRACTABLE = true
}
`, module, slot)
	jt.cfg = filepath.Join(dir, "kagi-pkcs11.cfg")
	if err := os.WriteFile(jt.cfg, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return jt
}

// slotWith returns the id (0x...) of the first slot whose listing contains
// text.
func (jt *javaToken) slotWith(text string) string {
	jt.t.Helper()
	out := jt.p11("--list-slots")
	for _, m := range javaSlotLine.FindAllStringSubmatch(out, -1) {
		if strings.Contains(m[2], text) {
			return m[1]
		}
	}
	jt.t.Fatalf("pkcs11-tool --list-slots shows no slot with %q", text)
	return ""
}

// run runs a command in the token's directory with its environment and
// returns the combined output and the error.
func (jt *javaToken) run(name string, args ...string) (string, error) {
	jt.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = jt.env
	cmd.Dir = jt.dir
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	jt.t.Logf("%s %s\n%s", name, strings.Join(args, " "), out)
	return string(out), err
}

// must runs a command and fails the test if it fails.
func (jt *javaToken) must(name string, args ...string) string {
	jt.t.Helper()
	out, err := jt.run(name, args...)
	if err != nil {
		jt.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// p11 runs pkcs11-tool on the module.
func (jt *javaToken) p11(args ...string) string {
	jt.t.Helper()
	return jt.must("pkcs11-tool", append([]string{"--module", jt.module}, args...)...)
}

// keystoreArgs are the options that open the token as a keytool or
// jarsigner keystore.
func (jt *javaToken) keystoreArgs(pin string) []string {
	return []string{"-storetype", "PKCS11", "-providerClass", "sun.security.pkcs11.SunPKCS11",
		"-providerArg", jt.cfg, "-storepass", pin}
}

// keytool runs keytool with the token as its keystore and the user PIN.
func (jt *javaToken) keytool(cmd string, args ...string) (string, error) {
	jt.t.Helper()
	return jt.run("keytool", append(append([]string{cmd}, jt.keystoreArgs(javaPIN)...), args...)...)
}

// mustKeytool runs keytool and fails the test if it fails.
func (jt *javaToken) mustKeytool(cmd string, args ...string) string {
	jt.t.Helper()
	out, err := jt.keytool(cmd, args...)
	if err != nil {
		jt.t.Fatalf("keytool %s %s: %v", cmd, strings.Join(args, " "), err)
	}
	return out
}

var javaEntryLine = regexp.MustCompile(`(?m)^([^\s,]+), (\w+),`)

// javaEntries parses keytool -list: alias -> entry type.
func javaEntries(out string) map[string]string {
	m := map[string]string{}
	for _, e := range javaEntryLine.FindAllStringSubmatch(out, -1) {
		m[e[1]] = e[2]
	}
	return m
}

// javaWriteJar writes a jar (a zip with a manifest) holding files.
func javaWriteJar(t *testing.T, path string, files map[string][]byte, order []string) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range order {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[name]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// javaReadJar returns the files of a jar, and their order.
func javaReadJar(t *testing.T, path string) (map[string][]byte, []string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	files := map[string][]byte{}
	var order []string
	for _, f := range zr.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if _, err := b.ReadFrom(r); err != nil {
			t.Fatal(err)
		}
		r.Close()
		files[f.Name] = b.Bytes()
		order = append(order, f.Name)
	}
	return files, order
}

package interop

import (
	"context"
	"crypto/ecdsa"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

// p11-kit finds modules through module files in its system directories
// (/usr/share/p11-kit/modules, /etc/pkcs11/modules) and in the user's
// ~/.config/pkcs11/modules ($XDG_CONFIG_HOME/pkcs11/modules). The tests must
// not touch /etc or the user's home, so they give p11-kit a temporary
// XDG_CONFIG_HOME (and HOME) holding kagi.module. p11-kit ignores the user
// configuration in a process running as root (conf.c: "skipping user
// config in program running as root"), so as root (CI) p11-kit and
// pkcs11-tool run as the unprivileged user nobody, on files that user owns.
// The system's own module files (OpenSC, SoftHSMv2, p11-kit-trust) are
// disabled by user module files of the same names, so the proxy shows kagi
// alone and the host's other tokens cannot disturb the test.

// cliKit is a private p11-kit configuration in a temporary directory.
type cliKit struct {
	t     *testing.T
	base  string // owned by the user the tools run as
	env   []string
	cred  *syscall.Credential // nil: run as ourselves
	proxy string              // p11-kit-proxy.so
}

// cliProxyPath finds p11-kit-proxy.so (Debian: libp11-kit0, in the
// multiarch library directory).
func cliProxyPath() string {
	for _, pattern := range []string{"/usr/lib/*/p11-kit-proxy.so", "/usr/lib64/p11-kit-proxy.so", "/usr/lib/p11-kit-proxy.so"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// cliNewKit makes the directory and user of a private p11-kit setup. The
// caller puts files under base, then calls register.
func cliNewKit(t *testing.T) *cliKit {
	t.Helper()
	requireTools(t, "p11-kit", "pkcs11-tool", "openssl")
	k := &cliKit{t: t, proxy: cliProxyPath()}
	if k.proxy == "" {
		missing(t, "p11-kit-proxy.so is not installed (Debian package libp11-kit0)")
	}
	base, err := os.MkdirTemp("", "kagi-p11kit-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	k.base = base
	if os.Getuid() == 0 {
		uid, gid := uint32(65534), uint32(65534)
		if u, err := user.Lookup("nobody"); err == nil {
			if n, err := strconv.ParseUint(u.Uid, 10, 32); err == nil {
				uid = uint32(n)
			}
			if n, err := strconv.ParseUint(u.Gid, 10, 32); err == nil {
				gid = uint32(n)
			}
		}
		k.cred = &syscall.Credential{Uid: uid, Gid: gid, Groups: []uint32{}}
		t.Logf("running as root: p11-kit and pkcs11-tool run as uid %d, which p11-kit lets have a user configuration", uid)
	}
	config := filepath.Join(base, "config")
	k.env = append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF", "HOME", "XDG_CONFIG_HOME", "P11_KIT_NO_USER_CONFIG"),
		"KAGI_DB="+filepath.Join(base, "kagi.db"), "HOME="+filepath.Join(base, "home"), "XDG_CONFIG_HOME="+config)
	for _, d := range []string{"home", "work", "config/pkcs11/modules"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Disable the system's module files by name.
	for _, dir := range []string{"/usr/share/p11-kit/modules", "/etc/pkcs11/modules"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.module"))
		for _, f := range files {
			name := filepath.Base(f)
			if name == "kagi.module" {
				continue
			}
			k.file("config/pkcs11/modules/"+name, "disable-in: p11-kit p11-kit-proxy pkcs11-tool\n")
		}
	}
	return k
}

// file writes a file under base.
func (k *cliKit) file(rel, content string) {
	k.t.Helper()
	if err := os.WriteFile(filepath.Join(k.base, rel), []byte(content), 0o644); err != nil {
		k.t.Fatal(err)
	}
}

// register puts a module file into the user module directory and hands
// base to the user the tools run as.
func (k *cliKit) register(moduleFile string) {
	k.t.Helper()
	b, err := os.ReadFile(moduleFile)
	if err != nil {
		k.t.Fatal(err)
	}
	k.file("config/pkcs11/modules/kagi.module", string(b))
	if k.cred == nil {
		return
	}
	err = filepath.Walk(k.base, func(path string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(path, int(k.cred.Uid), int(k.cred.Gid))
	})
	if err != nil {
		k.t.Fatal(err)
	}
	if err := os.Chmod(k.base, 0o755); err != nil {
		k.t.Fatal(err)
	}
}

// run runs a tool in base/work with the private configuration.
func (k *cliKit) run(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = filepath.Join(k.base, "work")
	cmd.Env = k.env
	if k.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: k.cred}
	}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	k.t.Logf("%s %s\n%s", name, strings.Join(args, " "), out)
	return string(out), err
}

func (k *cliKit) must(name string, args ...string) string {
	k.t.Helper()
	out, err := k.run(name, args...)
	if err != nil {
		k.t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return out
}

// p11 runs pkcs11-tool on p11-kit-proxy.so.
func (k *cliKit) p11(args ...string) string {
	k.t.Helper()
	return k.must("pkcs11-tool", append([]string{"--module", k.proxy}, args...)...)
}

// useThroughProxy checks that p11-kit lists kagi (at modulePath), then has
// pkcs11-tool, loading only p11-kit-proxy.so, initialise a token, make a key
// pair and sign; OpenSSL verifies the signature.
func (k *cliKit) useThroughProxy(modulePath string) {
	t := k.t
	t.Helper()
	out := k.must("p11-kit", "list-modules")
	if !strings.Contains(out, "kagi: "+modulePath) || !strings.Contains(out, "library-description: kagi PKCS#11 module") {
		t.Fatalf("p11-kit list-modules does not list kagi at %s", modulePath)
	}
	for _, other := range []string{"softhsm2:", "opensc-pkcs11:", "p11-kit-trust:"} {
		if strings.Contains(out, other) {
			t.Errorf("p11-kit list-modules still lists %s: the private configuration is not the one in use", other)
		}
	}

	out = k.p11("--list-slots")
	if !strings.Contains(out, "kagi slot") || !strings.Contains(out, "uninitialized") {
		t.Fatalf("pkcs11-tool through p11-kit-proxy.so does not show kagi's free slot")
	}
	free := ""
	for id, text := range cliSlots(out) {
		if strings.Contains(text, "uninitialized") {
			free = id
		}
	}
	k.p11("--init-token", "--slot", free, "--label", "p11kit", "--so-pin", cliSOPIN)
	k.p11("--token-label", "p11kit", "--login", "--login-type", "so", "--so-pin", cliSOPIN, "--init-pin", "--pin", cliPIN)
	k.p11("--token-label", "p11kit", "--login", "--pin", cliPIN, "--keypairgen", "--key-type", "EC:prime256v1", "--id", "01", "--label", "viaproxy")

	out = k.must("p11-kit", "list-modules")
	if !strings.Contains(out, "token: p11kit") {
		t.Errorf("p11-kit list-modules does not show the token p11kit")
	}

	data := "signed through p11-kit-proxy.so\n"
	k.file("work/data", data)
	k.file("work/other", "other data\n")
	k.p11("--token-label", "p11kit", "--login", "--pin", cliPIN, "--sign", "--mechanism", "ECDSA-SHA256",
		"--id", "01", "-i", "data", "-o", "sig", "--signature-format", "openssl")
	k.p11("--token-label", "p11kit", "--read-object", "--type", "pubkey", "--id", "01", "-o", "pub.der")
	work := filepath.Join(k.base, "work")
	pub, err := cliParsePublicKey(cliRead(t, work, "pub.der"))
	if err != nil {
		t.Fatalf("public key read through the proxy: %v", err)
	}
	if _, ok := pub.(*ecdsa.PublicKey); !ok {
		t.Fatalf("public key read through the proxy is %T", pub)
	}
	cliVerified(t, work, "Verified OK", "data", "other",
		"dgst", "-sha256", "-verify", "pub.der", "-signature", "sig", "data")
	if out := k.p11("--token-label", "p11kit", "--login", "--pin", cliPIN, "--verify", "--mechanism", "ECDSA-SHA256",
		"--id", "01", "-i", "data", "--signature-file", "sig", "--signature-format", "openssl"); !strings.Contains(out, "Signature is valid") {
		t.Errorf("pkcs11-tool --verify through the proxy: not valid")
	}
}

// TestP11KitProxy registers the module under test with p11-kit through a
// module file and uses it through p11-kit-proxy.so.
func TestP11KitProxy(t *testing.T) {
	t.Parallel()
	k := cliNewKit(t)
	// A copy the unprivileged user can read wherever the module was built.
	lib := filepath.Join(k.base, "libkagi.so")
	src, err := os.ReadFile(moduleUnderTest(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lib, src, 0o755); err != nil {
		t.Fatal(err)
	}
	k.file("kagi.module", "module: "+lib+"\n")
	k.register(filepath.Join(k.base, "kagi.module"))
	k.useThroughProxy(lib)
}

// TestBuildInstall runs `./build.sh install` into a temporary PREFIX, checks
// what it installed, and has p11-kit load kagi through the installed module
// file.
func TestBuildInstall(t *testing.T) {
	t.Parallel()
	k := cliNewKit(t)
	root, err := testmodule.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	prefix := filepath.Join(k.base, "prefix")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "./build.sh", "install")
	cmd.Dir = root
	// BUILD elsewhere: never rewrite build/libkagi.so, which other tests load.
	cmd.Env = append(testmodule.WithoutEnv(os.Environ(), "PREFIX", "BUILD"),
		"PREFIX="+prefix, "BUILD="+filepath.Join(k.base, "build"))
	out, err := cmd.CombinedOutput()
	t.Logf("PREFIX=%s ./build.sh install\n%s", prefix, out)
	if err != nil {
		t.Fatalf("./build.sh install: %v", err)
	}

	lib := filepath.Join(prefix, "lib", "libkagi.so")
	f, err := elf.Open(lib)
	if err != nil {
		t.Fatalf("installed module: %v", err)
	}
	syms, err := f.DynamicSymbols()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, s := range syms {
		if s.Section != elf.SHN_UNDEF {
			exported[s.Name] = true
		}
	}
	for _, name := range []string{"C_GetFunctionList", "C_GetInterface", "C_Initialize"} {
		if !exported[name] {
			t.Errorf("installed libkagi.so does not export %s", name)
		}
	}

	kagi := filepath.Join(prefix, "bin", "kagi")
	if fi, err := os.Stat(kagi); err != nil || fi.Mode()&0o111 == 0 {
		t.Errorf("bin/kagi not installed as an executable: %v", err)
	} else {
		show := exec.Command(kagi, "show-slots")
		show.Env = cliEnv(filepath.Join(t.TempDir(), "kagi.db"))
		out, err := show.CombinedOutput()
		if err != nil {
			t.Errorf("installed kagi show-slots: %v\n%s", err, out)
		}
	}

	moduleFile := filepath.Join(prefix, "share", "p11-kit", "modules", "kagi.module")
	b, err := os.ReadFile(moduleFile)
	if err != nil {
		t.Fatalf("p11-kit module file: %v", err)
	}
	if !strings.Contains(string(b), fmt.Sprintf("\nmodule: %s\n", lib)) && !strings.HasPrefix(string(b), "module: "+lib+"\n") {
		t.Errorf("kagi.module does not name the installed module %s:\n%s", lib, b)
	}

	k.register(moduleFile)
	k.useThroughProxy(lib)
}

// Package fork runs the C programs that check what a process that loaded
// libkagi.so may do after fork:
//
//   - fork_test.c, the foundation (issue 3): the parent keeps working, a
//     child never hangs, and without p11-kit a child's calls fail cleanly
//     with a message that names the packages to install. It runs with
//     $KAGI_P11KIT pointing at a missing file, so the fallback is tested
//     whether or not p11-kit is installed.
//   - fork_helper_test.c (issue 5): a fork child is served by a helper
//     process (`p11-kit remote libkagi.so`, reached through
//     p11-kit-client.so), in both ways clients behave after fork. The
//     signatures the children make are checked here with crypto/ecdsa.
//
// The module is $KAGI_MODULE if set, else a fresh build of ./cmodule.
package fork

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/hex"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

// runTimeout bounds each C program: each of its cases has its own, shorter,
// deadline, so this only fires if the supervisor itself hangs.
const runTimeout = 90 * time.Second

// p11kitClient is where Debian's p11-kit-modules installs the client module.
const p11kitClient = "/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so"

// ciSet reports whether we run under CI, where a missing tool is a failure.
func ciSet() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false"
}

// build compiles src (in this directory) into dir and returns the program.
func build(t *testing.T, dir, src string, extra ...string) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Fatalf("a C compiler (cc) is needed to build %s: %v", src, err)
	}
	prog := filepath.Join(dir, strings.TrimSuffix(src, ".c"))
	args := append([]string{"-std=gnu11", "-Wall", "-Wextra", "-O1", "-o", prog, src}, extra...)
	args = append(args, "-ldl", "-lpthread")
	if out, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v\n%s", src, err, out)
	}
	return prog
}

// run runs prog with args and the extra environment, logs its output line
// by line and fails the test if it failed or hung. It returns the output.
func run(t *testing.T, prog string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Env = append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF",
		"KAGI_P11KIT", "KAGI_P11KIT_CLIENT", "P11_KIT_SERVER_ADDRESS"), env...)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("%s did not finish within %v (a hang)", filepath.Base(prog), runTimeout)
	case err != nil:
		t.Fatalf("%s failed: %v (the FAIL lines above say which checks)", filepath.Base(prog), err)
	}
	return out.String()
}

func setUp(t *testing.T) (dir, module, work string) {
	dir = t.TempDir()
	module, err := testmodule.Path(dir)
	if err != nil {
		t.Fatal(err)
	}
	work = filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir, module, work
}

// TestFork is the foundation, with p11-kit made to look absent.
func TestFork(t *testing.T) {
	t.Parallel()
	dir, module, work := setUp(t)
	prog := build(t, dir, "fork_test.c")
	run(t, prog, []string{"KAGI_P11KIT=" + filepath.Join(dir, "no-such-dir", "p11-kit")}, module, work)
}

// TestForkHelper checks fork children served through p11-kit.
func TestForkHelper(t *testing.T) {
	t.Parallel()
	for _, need := range []struct{ path, pkg string }{
		{"p11-kit", "p11-kit"},
		{p11kitClient, "p11-kit-modules"},
	} {
		var err error
		if filepath.IsAbs(need.path) {
			_, err = os.Stat(need.path)
		} else {
			_, err = exec.LookPath(need.path)
		}
		if err != nil {
			msg := need.path + " is not installed (Debian package " + need.pkg + ")"
			if ciSet() {
				t.Fatalf("%s; CI must install it", msg)
			}
			t.Skipf("%s; skipping (under CI=true this is a failure)", msg)
		}
	}
	dir, module, work := setUp(t)
	root, err := testmodule.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	prog := build(t, dir, "fork_helper_test.c", "-I"+root)
	out := run(t, prog, nil, module, work)
	verifySignatures(t, out)
}

// verifySignatures checks with crypto/ecdsa every "SIG case data sig" line
// against the "PUB case point" line of its case: the children's signatures
// (CKM_ECDSA over 32 bytes, r||s) under the token key the parent made.
func verifySignatures(t *testing.T, out string) {
	t.Helper()
	pubs := map[string]*ecdsa.PublicKey{}
	counts := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "PUB" {
			point, err := hex.DecodeString(f[2])
			if err != nil {
				t.Fatalf("PUB line %q: %v", sc.Text(), err)
			}
			x, y := elliptic.Unmarshal(elliptic.P256(), point) //nolint:staticcheck // a raw point, as CKA_EC_POINT holds
			if x == nil {
				t.Fatalf("PUB line %q: not an uncompressed P-256 point", sc.Text())
			}
			pubs[f[1]] = &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
		}
	}
	sc = bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "SIG" {
			continue
		}
		pub := pubs[f[1]]
		if pub == nil {
			t.Errorf("SIG line for case %s without its PUB line", f[1])
			continue
		}
		data, err1 := hex.DecodeString(f[2])
		sig, err2 := hex.DecodeString(f[3])
		if err1 != nil || err2 != nil || len(sig) != 64 {
			t.Errorf("bad SIG line %q", sc.Text())
			continue
		}
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub, data, r, s) {
			t.Errorf("case %s: crypto/ecdsa rejects the signature of %s", f[1], f[2])
			continue
		}
		counts[f[1]]++
	}
	for c, n := range counts {
		t.Logf("crypto/ecdsa verified %d signature(s) of case %s", n, c)
	}
	// Each case's signatures, at least: the 100-children case signs once
	// per child.
	want := map[string]int{"libp11": 1, "reinit": 2, "hundred": 100, "grandchild": 3, "threads": 1}
	for c, n := range want {
		if counts[c] < n {
			t.Errorf("case %s: %d signature(s) verified by crypto/ecdsa, want at least %d", c, counts[c], n)
		}
	}
}

// TestHostSignals checks that the host's asynchronous signals (SIGCHLD,
// SIGHUP, SIGQUIT, ...) are taken by the host's threads, never by the Go
// runtime's threads of the module: a pre-forking server that blocks them
// and waits in sigsuspend() must get them.
func TestHostSignals(t *testing.T) {
	t.Parallel()
	dir, module, work := setUp(t)
	root, err := testmodule.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	prog := build(t, dir, "hostsignals_test.c", "-I"+root)
	run(t, prog, nil, module, work)
}

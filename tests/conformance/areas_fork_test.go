package conformance

// The Fork area (SoftHSMv2's ForkTests): a child of a process that loaded
// and initialised the module initialises it again and works. Go cannot
// fork safely, so forkprobe/forkprobe.c does the forking; this file builds
// it, runs it on the area's token and checks the lines it prints.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
	"github.com/miekg/pkcs11"
)

var (
	probeOnce sync.Once
	probePath string
	probeErr  error
)

// forkProbe builds forkprobe.c once into the run's scratch directory.
func (x *X) forkProbe() string {
	x.Helper()
	probeOnce.Do(func() {
		root, err := testmodule.RepoRoot()
		if err != nil {
			probeErr = err
			return
		}
		probePath = filepath.Join(scratch, "forkprobe")
		out, err := exec.Command("cc", "-std=gnu11", "-Wall", "-Wextra", "-O1", "-I"+root, "-o", probePath,
			filepath.Join(root, "tests/conformance/forkprobe/forkprobe.c"), "-ldl").CombinedOutput()
		if err != nil {
			probeErr = err
			probePath = string(out)
		}
	})
	if probeErr != nil {
		x.Fatalf("building forkprobe.c (Debian packages gcc libc6-dev): %v\n%s", probeErr, probePath)
	}
	return probePath
}

// needP11Kit: kagi serves a fork child through `p11-kit remote`.
func (x *X) needP11Kit() {
	x.Helper()
	if x.m.name != "kagi" {
		return
	}
	_, err1 := exec.LookPath("p11-kit")
	_, err2 := os.Stat("/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so")
	if err1 != nil || err2 != nil {
		if ciSet() {
			x.Fatalf("p11-kit or p11-kit-client.so missing (Debian packages p11-kit p11-kit-modules)")
		}
		x.Skip("p11-kit or p11-kit-client.so missing (Debian packages p11-kit p11-kit-modules); under CI=true this is a failure")
	}
}

type probeResult struct {
	rv   map[string]uint
	sigs map[string][2][]byte // who -> data, signature
	exit int
	out  string
}

func forkCases() []tcase {
	const keyLabel = "fork-key"
	run := func(mode string) func(x *X) {
		return func(x *X) {
			x.needP11Kit()
			prog := x.forkProbe()
			sh := x.user()
			x.create(sh, append(ecPrivateTemplate(true), at(pkcs11.CKA_LABEL, keyLabel)))
			x.must("C_CloseSession", x.p.CloseSession(sh))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, prog, x.m.path, x.m.label, userPIN, keyLabel, mode)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				x.Fatalf("forkprobe: %v\n%s", err, out.String())
			}
			r := parseProbe(x, out.String())
			x.Logf("forkprobe %s:\n%s", mode, r.out)
			x.eq("the child exits 0 (no hang, no crash)", r.exit, 0)
			step := func(label, name string, spec uint) bool {
				got, ok := r.rv[name]
				if !ok {
					x.Errorf("%s: forkprobe printed no result", label)
					return false
				}
				return x.rawRV(label, got, spec)
			}
			if mode == "reinit" {
				step("child C_Finalize", "child_finalize", pkcs11.CKR_OK)
			}
			if mode == "libp11" {
				// PKCS#11 3.0 section 5.1 asks the child to call
				// C_Initialize but does not fix its result while the
				// parent's initialisation is inherited. Both modules
				// answer CKR_CRYPTOKI_ALREADY_INITIALIZED and go on
				// working, which libp11 (nginx, Apache) relies on; the
				// suite pins it.
				step("child C_Initialize (inherited initialisation)", "child_initialize", pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)
			} else {
				step("child C_Initialize", "child_initialize", pkcs11.CKR_OK)
			}
			if step("child C_OpenSession on the parent's slot id", "child_open_session", pkcs11.CKR_OK) &&
				step("child C_Login", "child_login", pkcs11.CKR_OK) &&
				step("child finds the token key", "child_find_key", pkcs11.CKR_OK) &&
				step("child C_SignInit", "child_sign_init", pkcs11.CKR_OK) &&
				step("child C_Sign", "child_sign", pkcs11.CKR_OK) {
				x.eq("crypto/ecdsa verifies the child's signature", verifyProbeSig(r.sigs["child"]), true)
			}
			step("child C_Finalize at the end", "child_final_finalize", pkcs11.CKR_OK)
			if mode != "noinit" {
				if step("parent C_Sign after the fork", "parent_sign", pkcs11.CKR_OK) {
					x.eq("crypto/ecdsa verifies the parent's signature", verifyProbeSig(r.sigs["parent"]), true)
				}
			}
		}
	}
	return []tcase{
		{name: "ChildInitializeAndWork", own: true, run: run("libp11")},
		{name: "ChildFinalizeInitializeAndWork", own: true, run: run("reinit")},
		{name: "ParentNeverInitialized", own: true, run: run("noinit")},
	}
}

func parseProbe(x *X, out string) probeResult {
	r := probeResult{rv: map[string]uint{}, sigs: map[string][2][]byte{}, exit: -1, out: out}
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 3 && f[0] == "RV":
			v, err := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 64)
			if err != nil {
				x.Fatalf("forkprobe line %q", sc.Text())
			}
			r.rv[f[1]] = uint(v)
		case len(f) == 4 && f[0] == "SIG":
			d, err1 := hex.DecodeString(f[2])
			s, err2 := hex.DecodeString(f[3])
			if err1 != nil || err2 != nil {
				x.Fatalf("forkprobe line %q", sc.Text())
			}
			r.sigs[f[1]] = [2][]byte{d, s}
		case len(f) == 2 && f[0] == "EXIT":
			r.exit, _ = strconv.Atoi(f[1])
		}
	}
	return r
}

// verifyProbeSig checks a raw r||s CKM_ECDSA signature with the suite's
// P-256 key.
func verifyProbeSig(ds [2][]byte) bool {
	d, s := ds[0], ds[1]
	if len(s) != 64 {
		return false
	}
	return ecdsa.Verify(&ecKey().PublicKey, d, new(big.Int).SetBytes(s[:32]), new(big.Int).SetBytes(s[32:]))
}

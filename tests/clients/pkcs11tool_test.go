package clients

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	toolToken = "t1"
	toolSOPIN = "12345678"
	toolPIN   = "1234"
)

// p11tool runs pkcs11-tool on the module with its own database.
type p11tool struct {
	t   *testing.T
	env []string
	dir string
}

func newP11Tool(t *testing.T, db string) *p11tool {
	return &p11tool{t: t, env: envWithDB(db), dir: filepath.Dir(db)}
}

// run runs pkcs11-tool --module M args... and returns its combined output.
func (p *p11tool) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "pkcs11-tool", append([]string{"--module", module}, args...)...)
	cmd.Env = p.env
	cmd.Dir = p.dir
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return string(out), err
}

// must runs pkcs11-tool and fails the test if it fails.
func (p *p11tool) must(args ...string) string {
	p.t.Helper()
	out, err := p.run(args...)
	p.t.Logf("pkcs11-tool %s\n%s", strings.Join(args, " "), out)
	if err != nil {
		p.t.Fatalf("pkcs11-tool %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// user runs pkcs11-tool logged in as the user of the test token.
func (p *p11tool) user(args ...string) string {
	p.t.Helper()
	return p.must(append([]string{"--token-label", toolToken, "--login", "--pin", toolPIN}, args...)...)
}

// openssl runs openssl args... in dir and returns its combined output.
func openssl(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("openssl", args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	t.Logf("openssl %s\n%s", strings.Join(args, " "), out)
	return string(out), err
}

// slotListing is one "Slot N (0xID): ..." block of pkcs11-tool --list-slots.
type slotListing struct {
	id   string // as pkcs11-tool prints it, e.g. 0x1
	text string
}

var slotLine = regexp.MustCompile(`(?m)^Slot \d+ \((0x[0-9a-fA-F]+)\):`)

func parseSlots(out string) []slotListing {
	var slots []slotListing
	idx := slotLine.FindAllStringSubmatchIndex(out, -1)
	for i, m := range idx {
		end := len(out)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		slots = append(slots, slotListing{id: out[m[2]:m[3]], text: out[m[0]:end]})
	}
	return slots
}

func TestPkcs11Tool(t *testing.T) {
	requireTools(t, "pkcs11-tool", "openssl")
	dir := t.TempDir()
	p := newP11Tool(t, filepath.Join(dir, "p11tool.db"))

	// A fresh database: one slot, with an uninitialised token.
	out := p.must("--list-slots")
	var free string
	for _, s := range parseSlots(out) {
		if strings.Contains(s.text, "uninitialized") {
			free = s.id
			break
		}
	}
	if free == "" {
		t.Fatalf("--list-slots on a fresh database shows no slot with an uninitialised token")
	}

	out = p.must("--init-token", "--slot", free, "--label", toolToken, "--so-pin", toolSOPIN)
	if !strings.Contains(out, "Token successfully initialized") {
		t.Errorf("--init-token did not report success")
	}
	out = p.must("--token-label", toolToken, "--login", "--login-type", "so", "--so-pin", toolSOPIN,
		"--init-pin", "--pin", toolPIN)
	if !strings.Contains(out, "User PIN successfully initialized") {
		t.Errorf("--init-pin did not report success")
	}

	// The token, initialised with its PIN, and a new free slot beside it.
	out = p.must("--list-slots")
	var haveToken, haveFree bool
	for _, s := range parseSlots(out) {
		if regexp.MustCompile(`token label\s*:\s*` + toolToken + `\s*\n`).MatchString(s.text) {
			haveToken = true
			for _, flag := range []string{"login required", "rng", "token initialized", "PIN initialized"} {
				if !strings.Contains(s.text, flag) {
					t.Errorf("--list-slots: token %s lacks the flag %q", toolToken, flag)
				}
			}
		}
		haveFree = haveFree || strings.Contains(s.text, "uninitialized")
	}
	if !haveToken {
		t.Errorf("--list-slots: no token labelled %s", toolToken)
	}
	if !haveFree {
		t.Errorf("--list-slots: no new free slot after --init-token")
	}

	// A wrong PIN is refused with CKR_PIN_INCORRECT.
	if out, err := p.run("--token-label", toolToken, "--login", "--pin", "9999", "--list-objects"); err == nil ||
		!strings.Contains(out, "CKR_PIN_INCORRECT") {
		t.Errorf("login with a wrong PIN: err=%v, want a failure with CKR_PIN_INCORRECT; output:\n%s", err, out)
	}

	out = p.user("--keypairgen", "--key-type", "rsa:2048", "--label", "r", "--id", "01")
	if !strings.Contains(out, "Key pair generated") {
		t.Errorf("--keypairgen rsa:2048 did not report success")
	}
	out = p.user("--keypairgen", "--key-type", "EC:prime256v1", "--label", "e", "--id", "02")
	if !strings.Contains(out, "Key pair generated") {
		t.Errorf("--keypairgen EC:prime256v1 did not report success")
	}

	// Every process is a new load of the module: the keys are persisted.
	out = p.user("--list-objects")
	for _, want := range []string{
		"Private Key Object; RSA", "Public Key Object; RSA 2048 bits",
		"Private Key Object; EC", "Public Key Object; EC  EC_POINT 256 bits",
		"label:      r", "label:      e", "ID:         01", "ID:         02",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("--list-objects (logged in) lacks %q", want)
		}
	}
	// Before login, the private keys (CKA_PRIVATE=true) are not visible.
	out = p.must("--token-label", toolToken, "--list-objects")
	if strings.Contains(out, "Private Key Object") {
		t.Errorf("--list-objects without login shows a private key")
	}
	if !strings.Contains(out, "Public Key Object; RSA 2048 bits") {
		t.Errorf("--list-objects without login lacks the RSA public key")
	}

	data := []byte("kagi pkcs11-tool interop test\n")
	digest := sha256.Sum256(data)
	write(t, dir, "data", data)
	write(t, dir, "hash", digest[:])
	write(t, dir, "other", []byte("other data\n"))

	t.Run("SHA256-RSA-PKCS", func(t *testing.T) {
		p := &p11tool{t: t, env: p.env, dir: dir}
		p.user("--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", "01", "-i", "data", "-o", "rsa.sig")
		pub := readPublicKey(t, p, "01", "rsa")

		if out, err := openssl(t, dir, "dgst", "-sha256", "-verify", "rsa.pem", "-signature", "rsa.sig", "data"); err != nil ||
			!strings.Contains(out, "Verified OK") {
			t.Errorf("openssl dgst -verify of the RSA signature: %v", err)
		}
		if out, err := openssl(t, dir, "dgst", "-sha256", "-verify", "rsa.pem", "-signature", "rsa.sig", "other"); err == nil ||
			strings.Contains(out, "Verified OK") {
			t.Errorf("openssl verified the RSA signature over other data: the check is not real")
		}
		rsaPub, ok := pub.(*rsa.PublicKey)
		if !ok {
			t.Fatalf("public key 01 is %T, want *rsa.PublicKey", pub)
		}
		if rsaPub.N.BitLen() != 2048 {
			t.Errorf("RSA modulus has %d bits, want 2048", rsaPub.N.BitLen())
		}
		if err := rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, digest[:], read(t, dir, "rsa.sig")); err != nil {
			t.Errorf("Go rsa.VerifyPKCS1v15: %v", err)
		}
	})

	t.Run("ECDSA", func(t *testing.T) {
		p := &p11tool{t: t, env: p.env, dir: dir}
		// CKM_ECDSA signs a hash; --signature-format openssl gives DER.
		p.user("--sign", "--mechanism", "ECDSA", "--id", "02", "-i", "hash", "-o", "ec.sig",
			"--signature-format", "openssl")
		// The raw PKCS#11 form, r||s, 64 bytes for P-256.
		p.user("--sign", "--mechanism", "ECDSA", "--id", "02", "-i", "hash", "-o", "ec.rs")
		pub := readPublicKey(t, p, "02", "ec")

		if out, err := openssl(t, dir, "dgst", "-sha256", "-verify", "ec.pem", "-signature", "ec.sig", "data"); err != nil ||
			!strings.Contains(out, "Verified OK") {
			t.Errorf("openssl dgst -verify of the ECDSA signature: %v", err)
		}
		if out, err := openssl(t, dir, "pkeyutl", "-verify", "-pubin", "-inkey", "ec.pem", "-in", "hash", "-sigfile", "ec.sig"); err != nil ||
			!strings.Contains(out, "Signature Verified Successfully") {
			t.Errorf("openssl pkeyutl -verify of the ECDSA signature: %v", err)
		}
		if out, err := openssl(t, dir, "dgst", "-sha256", "-verify", "ec.pem", "-signature", "ec.sig", "other"); err == nil ||
			strings.Contains(out, "Verified OK") {
			t.Errorf("openssl verified the ECDSA signature over other data: the check is not real")
		}
		ecPub, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			t.Fatalf("public key 02 is %T, want *ecdsa.PublicKey", pub)
		}
		if !ecdsa.VerifyASN1(ecPub, digest[:], read(t, dir, "ec.sig")) {
			t.Errorf("Go ecdsa.VerifyASN1 rejects the DER signature")
		}
		rs := read(t, dir, "ec.rs")
		if len(rs) != 64 {
			t.Fatalf("raw ECDSA P-256 signature is %d bytes, want 64 (r||s)", len(rs))
		}
		r, s := new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])
		if !ecdsa.Verify(ecPub, digest[:], r, s) {
			t.Errorf("Go ecdsa.Verify rejects the raw r||s signature")
		}
	})

	t.Run("generate-random", func(t *testing.T) {
		p := &p11tool{t: t, env: p.env, dir: dir}
		p.must("--token-label", toolToken, "--generate-random", "32", "-o", "rnd1")
		p.must("--token-label", toolToken, "--generate-random", "32", "-o", "rnd2")
		r1, r2 := read(t, dir, "rnd1"), read(t, dir, "rnd2")
		if len(r1) != 32 || len(r2) != 32 {
			t.Fatalf("--generate-random 32 wrote %d and %d bytes", len(r1), len(r2))
		}
		if bytes.Equal(r1, r2) || bytes.Equal(r1, make([]byte, 32)) {
			t.Errorf("--generate-random gave %x then %x", r1, r2)
		}
	})

	t.Run("list-mechanisms", func(t *testing.T) {
		p := &p11tool{t: t, env: p.env, dir: dir}
		out := p.must("--token-label", toolToken, "--list-mechanisms")
		// CKM_EC_KEY_PAIR_GEN is printed by its older name, ECDSA-KEY-PAIR-GEN.
		for _, m := range []string{"SHA256-RSA-PKCS", "ECDSA", "RSA-PKCS-KEY-PAIR-GEN", "ECDSA-KEY-PAIR-GEN", "AES-GCM", "SHA256-HMAC", "AES-KEY-GEN", "SHA256,"} {
			if !strings.Contains(out, m) {
				t.Errorf("--list-mechanisms lacks %s", m)
			}
		}
	})
}

// readPublicKey reads public key id with pkcs11-tool, converts it to
// name.pem with openssl, and parses it with Go.
func readPublicKey(t *testing.T, p *p11tool, id, name string) crypto.PublicKey {
	t.Helper()
	p.must("--token-label", toolToken, "--read-object", "--type", "pubkey", "--id", id, "-o", name+".der")
	der := read(t, p.dir, name+".der")
	if _, err := openssl(t, p.dir, "pkey", "-pubin", "-inform", "DER", "-in", name+".der", "-out", name+".pem"); err != nil {
		t.Fatalf("openssl cannot read the public key that pkcs11-tool read out: %v", err)
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		t.Fatalf("the public key %s is not a DER SubjectPublicKeyInfo: %v", id, err)
	}
	return pub
}

func write(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
)

// The second process is this test binary run again with only
// TestHelperProcess selected. KAGI_HELPER names what it does; it inherits
// KAGI_DB and KAGI_CONF and loads the module the parent built
// (KAGI_MODULE). It prints its results as "HELPER <key> <value>" lines.
const helperTimeout = 2 * time.Minute

// helperMessage is what the helper signs.
var helperMessage = []byte("signed in another process")

// runHelper runs the helper process and returns its results.
func runHelper(t *testing.T, action string, env ...string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), helperTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "KAGI_MODULE="+modulePath, "KAGI_HELPER="+action)
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("helper %q did not finish within %v:\n%s", action, helperTimeout, out.String())
	}
	if err != nil {
		t.Fatalf("helper %q failed: %v\n%s", action, err, out.String())
	}
	res := map[string]string{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "HELPER" {
			res[f[1]] = f[2]
		}
	}
	return res
}

func TestHelperProcess(t *testing.T) {
	action := os.Getenv("KAGI_HELPER")
	if action == "" {
		t.Skip("only runs as the second process of another test")
	}
	must(t, "helper: C_Initialize", p11.Initialize())
	defer p11.Finalize()
	slot := slotByLabel(t, os.Getenv("KAGI_HELPER_TOKEN"))
	sh := openRW(t, slot)
	report := func(k string, v []byte) { fmt.Printf("HELPER %s %s\n", k, hex.EncodeToString(v)) }
	if action == "login" {
		// Report the CK_RV of a user login with $KAGI_HELPER_PIN.
		rv := rvOf(p11.Login(sh, pkcs11.CKU_USER, os.Getenv("KAGI_HELPER_PIN")))
		report("rv", ulongBytes(rv))
		return
	}
	login(t, sh, pkcs11.CKU_USER, userPIN)

	switch action {
	case "sign":
		// Sign with the RSA and EC keys labelled rsa-key and ec-key.
		rsaKey := findOne(t, sh, []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), attr(pkcs11.CKA_LABEL, "rsa-key"),
		})
		must(t, "helper: C_SignInit(RSA)", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), rsaKey))
		sig, err := p11.Sign(sh, helperMessage)
		must(t, "helper: C_Sign(RSA)", err)
		report("rsa", sig)

		ecKey := findOne(t, sh, []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), attr(pkcs11.CKA_LABEL, "ec-key"),
		})
		h := sha256.Sum256(helperMessage)
		must(t, "helper: C_SignInit(EC)", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), ecKey))
		sig, err = p11.Sign(sh, h[:])
		must(t, "helper: C_Sign(EC)", err)
		report("ec", sig)

	case "genkey":
		// Generate a P-256 token key pair labelled $KAGI_HELPER_LABEL.
		pub, _ := generateEC(t, sh, ecParams(t, curves[0].oid), true, os.Getenv("KAGI_HELPER_LABEL"))
		report("ecpoint", getAttr(t, sh, pub, pkcs11.CKA_EC_POINT))

	case "count":
		// Count the objects labelled $KAGI_HELPER_LABEL.
		n := len(findAll(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, os.Getenv("KAGI_HELPER_LABEL"))}))
		report("count", ulongBytes(uint(n)))

	default:
		t.Fatalf("unknown helper action %q", action)
	}
}

func hexValue(t *testing.T, res map[string]string, key string) []byte {
	t.Helper()
	v, ok := res[key]
	if !ok {
		t.Fatalf("the helper reported no %q", key)
	}
	b, err := hex.DecodeString(v)
	if err != nil {
		t.Fatalf("helper's %q: %v", key, err)
	}
	return b
}

package interop

import (
	"crypto/rand"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestNSSCertutil is scenario 5 of issue 5: NSS (Debian libnss3-tools)
// with kagi added to a fresh NSS database by modutil. certutil lists the
// token, makes a self-signed certificate whose RSA-2048 or P-256 key is
// generated on the token (-h), and lists those keys with -K. The keys must
// be private key objects of the kagi token (seen by pkcs11-tool), not of
// NSS's own database, and each certificate, which NSS stored on the token,
// must verify with openssl and hold the token's public key.
func TestNSSCertutil(t *testing.T) {
	t.Parallel()
	requireTools(t, "modutil", "certutil", "openssl")
	k := tlsNewToken(t, "nss")
	db := "sql:" + k.path("nssdb")
	if err := os.Mkdir(k.path("nssdb"), 0o700); err != nil {
		t.Fatal(err)
	}
	k.write("pin.txt", []byte(tlsPIN+"\n"))
	noise := make([]byte, 64)
	rand.Read(noise)
	k.write("noise.bin", noise)
	onToken := []string{"-d", db, "-h", k.label, "-f", "pin.txt"}

	k.must("certutil", "-N", "-d", db, "--empty-password")
	out := k.must("modutil", "-force", "-add", "kagi", "-libfile", k.module, "-dbdir", db)
	if !strings.Contains(out, `Module "kagi" added to database.`) {
		t.Fatalf("modutil -add did not add kagi")
	}
	out = k.must("modutil", "-force", "-list", "-dbdir", db)
	i := strings.Index(out, ". kagi\n")
	if i < 0 {
		t.Fatalf("modutil -list does not list the module kagi")
	}
	kagi := out[i:]
	for _, want := range []string{"library name: " + k.module + "\n", "status: loaded\n", "token: " + k.label + "\n"} {
		if !strings.Contains(kagi, want) {
			t.Errorf("modutil -list: the module kagi lacks %q", strings.TrimSpace(want))
		}
	}

	out = k.must("certutil", append([]string{"-L"}, onToken...)...)
	if strings.Contains(out, k.label+":") {
		t.Errorf("certutil -L -h %s lists certificates on a fresh token", k.label)
	}

	keys := []struct {
		nick, keyType string
		args          []string // certutil -S key options
		p11           string   // pkcs11-tool's "Private Key Object; ..." type
	}{
		{"kagi-rsa", "rsa", []string{"-k", "rsa", "-g", "2048"}, "RSA"},
		{"kagi-ec", "ec", []string{"-k", "ec", "-q", "nistp256"}, "EC"},
	}
	for _, key := range keys {
		args := append([]string{"-S", "-n", key.nick, "-s", "CN=kagi NSS " + key.keyType, "-x", "-t", "CT,,",
			"-Z", "SHA256", "-v", "12", "--keyUsage", "certSigning,digitalSignature", "-z", "noise.bin"}, key.args...)
		k.must("certutil", append(args, onToken...)...)
	}

	// certutil -K: "< 0> rsa      <CKA_ID in hex>   nss:kagi-rsa".
	out = k.must("certutil", append([]string{"-K"}, onToken...)...)
	ids := map[string]string{} // nickname -> CKA_ID
	for _, key := range keys {
		m := regexp.MustCompile(`(?m)^<\s*\d+>\s+` + key.keyType + `\s+([0-9a-f]+)\s+` +
			regexp.QuoteMeta(k.label+":"+key.nick) + `$`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("certutil -K -h %s does not list the %s key of %s", k.label, key.keyType, key.nick)
			continue
		}
		ids[key.nick] = m[1]
	}
	// NSS's own database holds no key.
	if out, _ := k.run("certutil", "-K", "-d", db, "-f", "pin.txt"); !strings.Contains(out, "no keys found") {
		t.Errorf("certutil -K without -h: NSS's own database holds keys")
	}

	// The keys are private key objects of the kagi token.
	out = k.must("pkcs11-tool", "--module", k.module, "--token-label", k.label, "--login", "--pin", tlsPIN,
		"--list-objects", "--type", "privkey")
	privs := tlsP11Objects(out, "Private Key Object; ")
	for _, key := range keys {
		id, ok := ids[key.nick]
		if !ok {
			continue
		}
		if got, ok := privs[id]; !ok || got != key.p11 {
			t.Errorf("pkcs11-tool --list-objects: no %s private key object with the ID %s that certutil -K shows (have %v)",
				key.p11, id, privs)
		}
	}

	out = k.must("certutil", append([]string{"-L"}, onToken...)...)
	for _, key := range keys {
		t.Run("certificate/"+key.keyType, func(t *testing.T) {
			k := k.in(t)
			nick := k.label + ":" + key.nick
			if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(nick) + `\s+CTu,u,u$`).MatchString(out) {
				t.Errorf("certutil -L -h %s does not list %s with trust CTu,u,u", k.label, nick)
			}
			id, ok := ids[key.nick]
			if !ok {
				t.Fatalf("no key ID from certutil -K for %s", nick)
			}
			crt := key.nick + ".crt"
			k.must("certutil", append([]string{"-L", "-n", nick, "-a", "-o", crt}, onToken...)...)
			k.tokenPubPEM(id, key.nick+"-pub.pem")
			k.samePub(crt, key.nick+"-pub.pem")
			k.verifySelfSigned(crt)
		})
	}
}

// tlsP11Objects parses pkcs11-tool --list-objects: for each object whose
// heading starts with prefix, its ID mapped to the rest of the heading
// (e.g. "RSA", "EC").
func tlsP11Objects(out, prefix string) map[string]string {
	objs := map[string]string{}
	kind := ""
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, " ") {
			kind = ""
			if rest, ok := strings.CutPrefix(line, prefix); ok {
				kind = strings.TrimSpace(rest)
			}
			continue
		}
		if f := strings.Fields(line); kind != "" && len(f) == 2 && f[0] == "ID:" {
			objs[f[1]] = kind
		}
	}
	return objs
}

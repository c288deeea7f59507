package interop

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestGnuTLSP11Tool is scenario 4 of issue 5: GnuTLS (Debian gnutls-bin)
// loads libkagi.so with --provider. p11tool lists the token, generates an
// RSA-2048 and a P-256 key on it (logged in, the PIN from GNUTLS_PIN) and
// lists the private keys; certtool makes a self-signed CA certificate with
// each key through its pkcs11: URL, checked by certtool --verify and by
// openssl (signature and public key), and a tampered copy must fail
// certtool's check.
func TestGnuTLSP11Tool(t *testing.T) {
	t.Parallel()
	requireTools(t, "p11tool", "certtool", "openssl")
	k := tlsNewToken(t, "gnutls")
	pin := []string{"GNUTLS_PIN=" + tlsPIN}
	provider := []string{"--provider", k.module}
	tokenURL := "pkcs11:token=" + k.label

	out := k.must("p11tool", append(provider, "--list-tokens")...)
	if !regexp.MustCompile(`(?m)^\s*Label: ` + k.label + `$`).MatchString(out) {
		t.Fatalf("p11tool --list-tokens does not list the token %q", k.label)
	}
	if !regexp.MustCompile(`(?m)^\s*URL: pkcs11:.*;token=` + k.label + `$`).MatchString(out) {
		t.Errorf("p11tool --list-tokens gives no pkcs11: URL for the token %q", k.label)
	}

	keys := []struct {
		label, algo string
		args        []string // p11tool --generate-privkey options
		listed      string   // p11tool --list-privkeys "Type:" line
		openssl     string   // what openssl pkey -text says of the public key
	}{
		{"grsa", "rsa", []string{"--bits", "2048"}, "Private key (RSA-2048)", "Public-Key: (2048 bit)"},
		{"gec", "ecdsa", []string{"--curve", "secp256r1"}, "Private key (EC/ECDSA-SECP256R1)", "NIST CURVE: P-256"},
	}
	for _, key := range keys {
		pub := key.label + "-pub.pem"
		k.mustEnv(pin, "p11tool", append(append(append(provider, "--login", "--generate-privkey", key.algo),
			key.args...), "--label", key.label, "--outfile", pub, tokenURL)...)
		if out := k.must("openssl", "pkey", "-pubin", "-in", pub, "-noout", "-text"); !strings.Contains(out, key.openssl) {
			t.Errorf("the public key p11tool wrote for %s is not %q", key.label, key.openssl)
		}
	}

	// Private objects: listed only after login, each with its URL.
	out = k.mustEnv(pin, "p11tool", append(provider, "--login", "--list-privkeys", tokenURL)...)
	for _, key := range keys {
		block := regexp.MustCompile(`(?m)^\s*URL: pkcs11:[^\n]*;object=` + key.label + `;type=private\n\s*Type: ` +
			regexp.QuoteMeta(key.listed) + `\n\s*Label: ` + key.label + `$`)
		if !block.MatchString(out) {
			t.Errorf("p11tool --list-privkeys does not list %s as %q", key.label, key.listed)
		}
	}
	if n := strings.Count(out, "type=private"); n != len(keys) {
		t.Errorf("p11tool --list-privkeys lists %d private keys, want %d", n, len(keys))
	}
	out, _ = k.run("p11tool", append(provider, "--list-privkeys", tokenURL)...)
	if strings.Contains(out, "type=private") || !strings.Contains(out, "No matching objects found") {
		t.Errorf("p11tool --list-privkeys without --login: want no private keys")
	}

	k.write("cert.tmpl", []byte(`cn = "kagi GnuTLS test"
serial = 7
expiration_days = 2
ca
cert_signing_key
signing_key
`))
	for _, key := range keys {
		t.Run("certtool/"+key.algo, func(t *testing.T) {
			k := k.in(t)
			crt := key.label + ".crt"
			keyURL := fmt.Sprintf("%s;object=%s;type=private", tokenURL, key.label)
			k.mustEnv(pin, "certtool", append(provider, "--generate-self-signed", "--load-privkey", keyURL,
				"--template", "cert.tmpl", "--outfile", crt)...)
			k.samePub(crt, key.label+"-pub.pem")

			out := k.must("certtool", "--verify", "--load-ca-certificate", crt, "--infile", crt)
			if !strings.Contains(out, "Chain verification output: Verified.") {
				t.Errorf("certtool --verify of the certificate signed on the token: not verified")
			}
			k.verifySelfSigned(crt)

			bad := "tampered-" + crt
			k.tamper(crt, bad)
			if out, err := k.run("certtool", "--verify", "--load-ca-certificate", crt, "--infile", bad); err == nil ||
				strings.Contains(out, "Chain verification output: Verified.") {
				t.Errorf("certtool --verify accepted the certificate with a flipped signature bit")
			}
		})
	}
}

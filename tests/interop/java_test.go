package interop

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestJavaKeytool: Java's keytool and jarsigner use a kagi token as a
// PKCS11 keystore through SunPKCS11. Keys generated on the token sign their
// own self-signed certificates, a certificate request and jars; OpenSSL
// checks those signatures, and jarsigner -verify (the JDK's software
// providers) accepts the signed jars and refuses a tampered one.
func TestJavaKeytool(t *testing.T) {
	t.Parallel()
	requireTools(t, "keytool", "jarsigner", "pkcs11-tool", "openssl")
	jt := javaNewToken(t)

	out := jt.mustKeytool("-list")
	if !strings.Contains(out, "Your keystore contains 0 entries") {
		t.Fatalf("keytool -list of a fresh token does not show 0 entries")
	}
	if _, err := jt.run("keytool", append([]string{"-list"}, jt.keystoreArgs("000000")...)...); err == nil {
		t.Errorf("keytool -list with a wrong PIN succeeded")
	}

	// -providerName makes keytool generate with SunPKCS11, on the token;
	// without it keytool generates in software (SunRsaSign) and SunPKCS11
	// stores the key with C_CreateObject.
	onToken := []string{"-providerName", "SunPKCS11-kagi"}
	jt.mustKeytool("-genkeypair", append(onToken, "-alias", "rsakey", "-keyalg", "RSA", "-keysize", "2048",
		"-dname", "CN=kagi rsa, O=kagi")...)
	jt.mustKeytool("-genkeypair", append(onToken, "-alias", "eckey", "-keyalg", "EC", "-groupname", "secp256r1",
		"-dname", "CN=kagi ec, O=kagi")...)
	jt.mustKeytool("-genkeypair", "-alias", "imported", "-keyalg", "RSA", "-keysize", "2048",
		"-dname", "CN=kagi imported, O=kagi")

	want := map[string]string{"rsakey": "PrivateKeyEntry", "eckey": "PrivateKeyEntry", "imported": "PrivateKeyEntry"}
	if got := javaEntries(jt.mustKeytool("-list")); !javaEqualMaps(got, want) {
		t.Errorf("keytool -list shows %v, want %v", got, want)
	}

	// The objects SunPKCS11 made, as pkcs11-tool sees them: a private key
	// and a certificate per alias (CKA_ID = the alias), CKA_LOCAL true only
	// for the keys generated on the token.
	objs := jt.p11("--token-label", javaTokenLabel, "--login", "--pin", javaPIN, "--list-objects")
	keys := javaObjects(objs, "Private Key Object")
	certs := javaObjects(objs, "Certificate Object")
	for alias, local := range map[string]bool{"rsakey": true, "eckey": true, "imported": false} {
		id := hex.EncodeToString([]byte(alias))
		k, ok := keys[id]
		if !ok {
			t.Errorf("no private key with CKA_ID %q on the token", alias)
			continue
		}
		if got := regexp.MustCompile(`Access:.*\blocal\b`).MatchString(k); got != local {
			t.Errorf("private key %q: CKA_LOCAL %v, want %v:\n%s", alias, got, local, k)
		}
		if _, ok := certs[id]; !ok {
			t.Errorf("no certificate with CKA_ID %q on the token", alias)
		}
	}
	if len(keys) != 3 || len(certs) != 3 {
		t.Errorf("the token holds %d private keys and %d certificates, want 3 and 3", len(keys), len(certs))
	}

	// Each self-signed certificate was signed by its key: OpenSSL checks
	// the signature and the key it holds.
	for alias, keyText := range map[string]string{"rsakey": "Public-Key: (2048 bit)", "eckey": "prime256v1", "imported": "Public-Key: (2048 bit)"} {
		pem := filepath.Join(jt.dir, alias+".pem")
		jt.mustKeytool("-exportcert", "-rfc", "-alias", alias, "-file", pem)
		jt.must("openssl", "verify", "-check_ss_sig", "-CAfile", pem, pem)
		if out := jt.must("openssl", "x509", "-in", pem, "-noout", "-text"); !strings.Contains(out, keyText) {
			t.Errorf("certificate %q does not hold a %q key", alias, keyText)
		}
	}

	// A certificate request signed on the token.
	csr := filepath.Join(jt.dir, "eckey.csr")
	jt.mustKeytool("-certreq", "-alias", "eckey", "-file", csr)
	if out := jt.must("openssl", "req", "-in", csr, "-noout", "-verify", "-subject"); !strings.Contains(out, "kagi ec") {
		t.Errorf("the certificate request does not name CN=kagi ec")
	}

	// jarsigner signs with the RSA key and the EC key.
	unsigned := filepath.Join(jt.dir, "app.jar")
	content := map[string][]byte{
		"META-INF/MANIFEST.MF": []byte("Manifest-Version: 1.0\r\nCreated-By: kagi interop test\r\n\r\n"),
		"app/hello.txt":        []byte("hello from kagi\n"),
		"app/data.bin":         []byte(strings.Repeat("\x00\x01\x02kagi", 500)),
	}
	javaWriteJar(t, unsigned, content, []string{"META-INF/MANIFEST.MF", "app/hello.txt", "app/data.bin"})
	for _, s := range []struct{ alias, sigfile, block string }{
		{"rsakey", "RSAKEY", "META-INF/RSAKEY.RSA"},
		{"eckey", "ECKEY", "META-INF/ECKEY.EC"},
	} {
		signed := filepath.Join(jt.dir, s.alias+"-signed.jar")
		args := append([]string{"-keystore", "NONE"}, jt.keystoreArgs(javaPIN)...)
		out := jt.must("jarsigner", append(args, "-sigfile", s.sigfile, "-signedjar", signed, unsigned, s.alias)...)
		if !strings.Contains(out, "jar signed.") {
			t.Errorf("jarsigner with %q did not report \"jar signed.\"", s.alias)
		}
		if out := jt.must("jarsigner", "-verify", signed); !strings.Contains(out, "jar verified.") {
			t.Errorf("jarsigner -verify of the jar signed with %q did not report \"jar verified.\"", s.alias)
		}

		// OpenSSL checks the signature block over the signature file.
		files, order := javaReadJar(t, signed)
		sf, block := files["META-INF/"+s.sigfile+".SF"], files[s.block]
		if sf == nil || block == nil {
			t.Fatalf("the jar signed with %q lacks META-INF/%s.SF or %s: %v", s.alias, s.sigfile, s.block, order)
		}
		sfPath, blockPath := filepath.Join(jt.dir, s.alias+".SF"), filepath.Join(jt.dir, s.alias+".p7")
		javaWriteFile(t, sfPath, sf)
		javaWriteFile(t, blockPath, block)
		jt.must("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", blockPath, "-content", sfPath, "-noverify", "-out", os.DevNull)
		javaWriteFile(t, sfPath, append(sf, '\n'))
		if _, err := jt.run("openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", blockPath, "-content", sfPath, "-noverify", "-out", os.DevNull); err == nil {
			t.Errorf("openssl cms -verify accepts the %q signature over an altered signature file", s.alias)
		}

		// A jar whose content changed after signing fails verification.
		files["app/hello.txt"] = []byte("hello from someone else\n")
		tampered := filepath.Join(jt.dir, s.alias+"-tampered.jar")
		javaWriteJar(t, tampered, files, order)
		out, err := jt.run("jarsigner", "-verify", tampered)
		if err == nil || strings.Contains(out, "jar verified.") {
			t.Errorf("jarsigner -verify accepts a tampered jar signed with %q", s.alias)
		} else if !strings.Contains(out, "digest error for app/hello.txt") {
			t.Errorf("jarsigner -verify refuses the tampered jar for another reason than the changed entry")
		}
	}

	// keytool -delete removes the key and the certificate from the token.
	jt.mustKeytool("-delete", "-alias", "imported")
	delete(want, "imported")
	if got := javaEntries(jt.mustKeytool("-list")); !javaEqualMaps(got, want) {
		t.Errorf("after -delete, keytool -list shows %v, want %v", got, want)
	}
	objs = jt.p11("--token-label", javaTokenLabel, "--login", "--pin", javaPIN, "--list-objects")
	if k, c := javaObjects(objs, "Private Key Object"), javaObjects(objs, "Certificate Object"); len(k) != 2 || len(c) != 2 {
		t.Errorf("after -delete the token holds %d private keys and %d certificates, want 2 and 2", len(k), len(c))
	}
}

// TestJavaProvider runs testdata/KagiJava.java: signatures, RSA decryption,
// ECDH, AES-CBC/GCM, HMAC, digests and random numbers through SunPKCS11 on a
// kagi token, each checked against the JDK's software providers.
func TestJavaProvider(t *testing.T) {
	t.Parallel()
	requireTools(t, "java", "javac", "pkcs11-tool")
	jt := javaNewToken(t)
	src, err := filepath.Abs(filepath.Join("testdata", "KagiJava.java"))
	if err != nil {
		t.Fatal(err)
	}
	classes := filepath.Join(jt.dir, "classes")
	jt.must("javac", "-d", classes, src)
	out, runErr := jt.run("java", "-cp", classes, "KagiJava", jt.cfg, javaPIN)

	pass := regexp.MustCompile(`(?m)^PASS (.*)$`).FindAllStringSubmatch(out, -1)
	fail := regexp.MustCompile(`(?m)^FAIL (.*)$`).FindAllStringSubmatch(out, -1)
	for _, f := range fail {
		t.Errorf("SunPKCS11 on kagi: %s", f[1])
	}
	if runErr != nil && len(fail) == 0 {
		t.Errorf("java KagiJava: %v", runErr)
	}
	// The program's checks, counted so that one that silently stops
	// running is noticed.
	const checks = 18
	if len(pass)+len(fail) != checks {
		t.Errorf("KagiJava ran %d checks, want %d", len(pass)+len(fail), checks)
	}
	t.Logf("SunPKCS11 on kagi: %d of %d checks pass", len(pass), checks)
}

// javaObjects splits pkcs11-tool --list-objects output into the objects of
// one kind, by CKA_ID (hex).
func javaObjects(out, kind string) map[string]string {
	m := map[string]string{}
	blocks := regexp.MustCompile(`(?m)^\S.*Object;`).FindAllStringIndex(out, -1)
	for i, b := range blocks {
		end := len(out)
		if i+1 < len(blocks) {
			end = blocks[i+1][0]
		}
		text := out[b[0]:end]
		if !strings.HasPrefix(text, kind) {
			continue
		}
		if id := regexp.MustCompile(`(?m)^\s+ID:\s+([0-9a-f]+)`).FindStringSubmatch(text); id != nil {
			m[id[1]] = text
		}
	}
	return m
}

func javaEqualMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func javaWriteFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

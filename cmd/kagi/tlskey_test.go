package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/token/ck"
)

// readPEM returns the one PEM block of a file, which must be of that type.
func readPEM(t *testing.T, path, typ string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, rest := pem.Decode(raw)
	if block == nil || block.Type != typ || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("%s: want one PEM %s block, got %q", path, typ, raw)
	}
	return block.Bytes
}

// tokenPair reads, through the token API, the key pair labelled label on
// the token "kms": the private key's attributes that make it a TLS key that
// cannot leave the token, and the public key's SubjectPublicKeyInfo.
func tokenPair(t *testing.T, label string) (priv map[ck.AttributeType]bool, spki []byte, objects int) {
	t.Helper()
	lib, err := openLibrary()
	if err != nil {
		t.Fatal(err)
	}
	defer lib.Finalize()
	slot, err := findToken(lib, "kms")
	if err != nil {
		t.Fatal(err)
	}
	sh, err := lib.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer lib.CloseSession(sh)
	if err := lib.Login(sh, ck.CKU_USER, []byte("user-pin-1234")); err != nil {
		t.Fatal(err)
	}
	find := func(class ck.ObjectClass) []ck.ObjectHandle {
		if err := lib.FindObjectsInit(sh, []ck.Attribute{{Type: ck.CKA_CLASS, Value: ck.ULongBytes(ck.ULong(class))}, {Type: ck.CKA_LABEL, Value: []byte(label)}}); err != nil {
			t.Fatal(err)
		}
		defer lib.FindObjectsFinal(sh)
		hs, err := lib.FindObjects(sh, 10)
		if err != nil {
			t.Fatal(err)
		}
		return hs
	}
	privs, pubs := find(ck.CKO_PRIVATE_KEY), find(ck.CKO_PUBLIC_KEY)
	objects = len(privs) + len(pubs)
	if len(privs) != 1 || len(pubs) != 1 {
		return nil, nil, objects
	}
	bools := []ck.AttributeType{ck.CKA_TOKEN, ck.CKA_PRIVATE, ck.CKA_SENSITIVE, ck.CKA_EXTRACTABLE, ck.CKA_ALWAYS_SENSITIVE,
		ck.CKA_NEVER_EXTRACTABLE, ck.CKA_SIGN, ck.CKA_DECRYPT, ck.CKA_UNWRAP, ck.CKA_DERIVE}
	vs, err := lib.GetAttributeValue(sh, privs[0], bools)
	if err != nil {
		t.Fatal(err)
	}
	priv = map[ck.AttributeType]bool{}
	for i, v := range vs {
		b, ok := ck.BytesBool(v.Value)
		if v.Err != 0 || !ok {
			t.Fatalf("private key %v: %v", bools[i], v.Err)
		}
		priv[bools[i]] = b
	}
	// The private value itself must be refused.
	kt, err := lib.GetAttributeValue(sh, privs[0], []ck.AttributeType{ck.CKA_KEY_TYPE})
	if err != nil {
		t.Fatal(err)
	}
	value := ck.CKA_VALUE
	if k, _ := ck.BytesULong(kt[0].Value); ck.KeyType(k) == ck.CKK_RSA {
		value = ck.CKA_PRIVATE_EXPONENT
	}
	vs, err = lib.GetAttributeValue(sh, privs[0], []ck.AttributeType{value})
	if (err != nil && ck.ErrorRV(err) != ck.CKR_ATTRIBUTE_SENSITIVE) || vs[0].Err != ck.CKR_ATTRIBUTE_SENSITIVE || len(vs[0].Value) != 0 {
		t.Fatalf("reading the private key's %v: %v %+v, want CKR_ATTRIBUTE_SENSITIVE", value, err, vs)
	}
	vs, err = lib.GetAttributeValue(sh, pubs[0], []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
	if err != nil || vs[0].Err != 0 {
		t.Fatalf("CKA_PUBLIC_KEY_INFO: %v %v", err, vs)
	}
	return priv, vs[0].Value, objects
}

// checkTLSKeyAttributes asserts the private key's protection and use.
func checkTLSKeyAttributes(t *testing.T, priv map[ck.AttributeType]bool) {
	t.Helper()
	want := map[ck.AttributeType]bool{ck.CKA_TOKEN: true, ck.CKA_PRIVATE: true, ck.CKA_SENSITIVE: true, ck.CKA_EXTRACTABLE: false,
		ck.CKA_ALWAYS_SENSITIVE: true, ck.CKA_NEVER_EXTRACTABLE: true, ck.CKA_SIGN: true, ck.CKA_DECRYPT: false, ck.CKA_UNWRAP: false, ck.CKA_DERIVE: false}
	for a, v := range want {
		if priv[a] != v {
			t.Errorf("private key %v = %v, want %v", a, priv[a], v)
		}
	}
}

// TestTLSKeySelfSignedServe: kagi tls-key makes the key on the token and a
// self-signed certificate, and kagi serve serves TLS with both to the AWS
// SDK, which trusts exactly that certificate.
func TestTLSKeySelfSignedServe(t *testing.T) {
	for _, kind := range []string{"ec-p256", "rsa-2048"} {
		t.Run(kind, func(t *testing.T) {
			f := newTLSFixture(t)
			certPath := filepath.Join(f.dir, "kagi-tls.pem")
			code, out, errs := kagi(t, "tls-key", "--token", "kms", "--label", "kagi-tls", "--type", kind,
				"--dns", "localhost", "--ip", "127.0.0.1", "--days", "30", "--cert-out", certPath, "--pin-file", f.userPIN)
			if code != 0 {
				t.Fatalf("tls-key: %d %s", code, errs)
			}
			if want := fmt.Sprintf(`"tls": {"cert_file": %q, "token_key_label": "kagi-tls"}`, certPath); !strings.Contains(out, want) {
				t.Errorf("tls-key said %q, want it to show %s", out, want)
			}
			cert, err := x509.ParseCertificate(readPEM(t, certPath, "CERTIFICATE"))
			if err != nil {
				t.Fatal(err)
			}
			// CheckSignatureFrom would want a CA; this is a self-signed leaf.
			if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
				t.Fatalf("the self-signed certificate's signature: %v", err)
			}
			if cert.Subject.CommonName != "localhost" || len(cert.DNSNames) != 1 || cert.DNSNames[0] != "localhost" ||
				len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.IPv4(127, 0, 0, 1)) {
				t.Errorf("certificate names: CN %q, DNS %v, IP %v", cert.Subject.CommonName, cert.DNSNames, cert.IPAddresses)
			}
			if d := time.Until(cert.NotAfter); d < 29*24*time.Hour || d > 30*24*time.Hour {
				t.Errorf("certificate valid until %v, want 30 days from now", cert.NotAfter)
			}
			if cert.KeyUsage != x509.KeyUsageDigitalSignature || len(cert.ExtKeyUsage) != 1 || cert.ExtKeyUsage[0] != x509.ExtKeyUsageServerAuth {
				t.Errorf("key usage %v, extended %v", cert.KeyUsage, cert.ExtKeyUsage)
			}
			switch k := cert.PublicKey.(type) {
			case *ecdsa.PublicKey:
				if kind != "ec-p256" || k.Curve != elliptic.P256() {
					t.Errorf("%s made an EC key on %s", kind, k.Curve.Params().Name)
				}
			case *rsa.PublicKey:
				if kind != "rsa-2048" || k.N.BitLen() != 2048 || k.E != 65537 {
					t.Errorf("%s made an RSA key of %d bits, e=%d", kind, k.N.BitLen(), k.E)
				}
			}
			priv, spki, _ := tokenPair(t, "kagi-tls")
			checkTLSKeyAttributes(t, priv)
			if !bytes.Equal(spki, cert.RawSubjectPublicKeyInfo) {
				t.Fatal("the certificate's public key is not the token's public key object")
			}

			f.roots = x509.NewCertPool()
			f.roots.AddCert(cert)
			url, done := startServe(t, f.config(t, fmt.Sprintf(`{"cert_file": %q, "token_key_label": "kagi-tls"}`, certPath)))
			f.use(t, url)
			stopServe(t, done)
		})
	}
}

// TestTLSKeyCSR: kagi tls-key writes a PKCS #10 request signed on the token
// for the token's public key; the operator's CA signs it and kagi serve
// serves with the issued certificate.
func TestTLSKeyCSR(t *testing.T) {
	f := newTLSFixture(t)
	csrPath := filepath.Join(f.dir, "kagi-tls.csr")
	code, out, errs := kagi(t, "tls-key", "--token", "kms", "--label", "kagi-tls", "--type", "ec-p384",
		"--subject", "kms.example.net", "--dns", "kms.example.net", "--dns", "localhost", "--csr-out", csrPath, "--pin-file", f.userPIN)
	if code != 0 {
		t.Fatalf("tls-key: %d %s", code, errs)
	}
	if !strings.Contains(out, "certificate signing request for CN=kms.example.net") ||
		!strings.Contains(out, `"cert_file": "<the certificate your CA issued, then its chain>", "token_key_label": "kagi-tls"`) {
		t.Errorf("tls-key said %q", out)
	}
	csr, err := x509.ParseCertificateRequest(readPEM(t, csrPath, "CERTIFICATE REQUEST"))
	if err != nil {
		t.Fatal(err)
	}
	if err := csr.CheckSignature(); err != nil {
		t.Fatalf("the request's signature: %v", err)
	}
	if csr.SignatureAlgorithm != x509.ECDSAWithSHA384 {
		t.Errorf("request signed with %v, want ECDSA with SHA-384 for P-384", csr.SignatureAlgorithm)
	}
	if csr.Subject.CommonName != "kms.example.net" || strings.Join(csr.DNSNames, ",") != "kms.example.net,localhost" {
		t.Errorf("request subject %q, DNS names %v", csr.Subject.CommonName, csr.DNSNames)
	}
	priv, spki, _ := tokenPair(t, "kagi-tls")
	checkTLSKeyAttributes(t, priv)
	if !bytes.Equal(spki, csr.RawSubjectPublicKeyInfo) {
		t.Fatal("the request's public key is not the token's public key object")
	}
	tokenPub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := csr.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve != elliptic.P384() || !k.Equal(tokenPub) {
		t.Fatalf("request public key %T, want the token's P-384 key", csr.PublicKey)
	}

	cert := f.certFile(t, "issued.pem", csr.PublicKey) // the operator's CA at work
	url, done := startServe(t, f.config(t, fmt.Sprintf(`{"cert_file": %q, "token_key_label": "kagi-tls"}`, cert)))
	f.use(t, url)
	stopServe(t, done)
}

// TestTLSKeyRefused: bad requests fail with a precise message, and a
// refused or failed run leaves no key and no output file behind.
func TestTLSKeyRefused(t *testing.T) {
	f := newTLSFixture(t)
	out := func(name string) string { return filepath.Join(f.dir, name) }
	base := func(label, path string, more ...string) []string {
		return append([]string{"tls-key", "--token", "kms", "--label", label, "--cert-out", path, "--pin-file", f.userPIN}, more...)
	}
	if code, _, errs := kagi(t, base("kagi-tls", out("first.pem"), "--ip", "127.0.0.1")...); code != 0 {
		t.Fatalf("tls-key: %s", errs)
	}
	wrongPIN := writePIN(t, f.dir, "wrong", "not-the-pin")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"existing label", base("kagi-tls", out("a.pem"), "--dns", "localhost"), `a key labelled "kagi-tls" exists already`},
		{"unknown type", base("x1", out("b.pem"), "--dns", "localhost", "--type", "ec-p521"), `unknown --type "ec-p521"`},
		{"no names", base("x2", out("c.pem")), "at least one --dns or --ip"},
		{"bad address", base("x3", out("d.pem"), "--ip", "localhost"), `--ip "localhost" is not an IP address`},
		{"no days", base("x4", out("e.pem"), "--dns", "localhost", "--days", "0"), "--days must be positive"},
		{"both outputs", base("x5", out("f.pem"), "--dns", "localhost", "--csr-out", out("f.csr")), "exactly one of --cert-out"},
		{"no output", []string{"tls-key", "--token", "kms", "--label", "x6", "--pin-file", f.userPIN}, "exactly one of --cert-out"},
		{"request without subject", []string{"tls-key", "--token", "kms", "--label", "x7", "--csr-out", out("g.csr"), "--pin-file", f.userPIN}, "--csr-out needs --subject"},
		{"request with days", []string{"tls-key", "--token", "kms", "--label", "x8", "--csr-out", out("h.csr"), "--subject", "s", "--days", "30", "--pin-file", f.userPIN}, "--days is for --cert-out"},
		{"no PIN", []string{"tls-key", "--token", "kms", "--label", "x9", "--dns", "localhost", "--cert-out", out("i.pem")}, "no user PIN: give --pin-file or $KAGI_PIN"},
		{"wrong PIN", []string{"tls-key", "--token", "kms", "--label", "x10", "--dns", "localhost", "--cert-out", out("j.pem"), "--pin-file", wrongPIN}, "wrong PIN"},
		{"no token", []string{"tls-key", "--token", "nope", "--label", "x11", "--dns", "localhost", "--cert-out", out("k.pem"), "--pin-file", f.userPIN}, `no token labelled "nope"`},
		{"existing output", base("x12", out("first.pem"), "--dns", "localhost"), "output file"},
	} {
		code, _, errs := kagi(t, c.args...)
		if code != 1 || !strings.Contains(errs, c.want) {
			t.Errorf("%s: %d %q, want %q", c.name, code, errs, c.want)
		}
	}
	// Only the first run made anything: one key pair, one file.
	if _, _, n := tokenPair(t, "kagi-tls"); n != 2 {
		t.Errorf("%d objects labelled kagi-tls, want the first run's 2", n)
	}
	for i := 1; i <= 12; i++ {
		if _, _, n := tokenPair(t, fmt.Sprintf("x%d", i)); n != 0 {
			t.Errorf("a refused run left %d objects labelled x%d", n, i)
		}
	}
	files, _ := filepath.Glob(filepath.Join(f.dir, "*.pem"))
	if len(files) != 1 || filepath.Base(files[0]) != "first.pem" {
		t.Errorf("output files %v, want only first.pem", files)
	}
	if _, err := os.Stat(out("f.csr")); err == nil {
		t.Error("a refused run wrote f.csr")
	}
}

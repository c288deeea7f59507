package mech

import (
	"bytes"
	"crypto/rand"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"strings"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// OpenSSL (the openssl command) as the independent implementation of
// PKCS #3 Diffie-Hellman and of DSA domain parameter checks.

// pemFile writes der as a PEM block of type typ and returns its path.
func (o *opensslCLI) pemFile(name, typ string, der []byte) string {
	o.t.Helper()
	return o.write(name, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

// readPEM returns the DER of the one PEM block in the file at path.
func (o *opensslCLI) readPEM(path string) []byte {
	o.t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		o.t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		o.t.Fatalf("%s holds no PEM block", path)
	}
	return blk.Bytes
}

// dhPublicFromSPKI reads y from an OpenSSL DH SubjectPublicKeyInfo
// (dhKeyAgreement; the subjectPublicKey is the DER INTEGER y).
func dhPublicFromSPKI(t *testing.T, der []byte) *big.Int {
	t.Helper()
	var spki struct {
		Algorithm struct {
			Algorithm  asn1.ObjectIdentifier
			Parameters asn1.RawValue
		}
		PublicKey asn1.BitString
	}
	if rest, err := asn1.Unmarshal(der, &spki); err != nil || len(rest) != 0 {
		t.Fatalf("SubjectPublicKeyInfo: %v", err)
	}
	if !spki.Algorithm.Algorithm.Equal(oidDHKeyAgreement) {
		t.Fatalf("algorithm %v, want dhKeyAgreement", spki.Algorithm.Algorithm)
	}
	y := new(big.Int)
	if _, err := asn1.Unmarshal(spki.PublicKey.Bytes, &y); err != nil {
		t.Fatalf("public value: %v", err)
	}
	return y
}

// TestDHOpenSSL: a key pair kagi generates on ffdhe2048 and one OpenSSL
// generates from a PKCS #3 "DH PARAMETERS" file written from the same p
// and g. OpenSSL reads kagi's CKA_PUBLIC_KEY_INFO as a peer key and derives
// (padded to the length of p); kagi derives from OpenSSL's public value;
// both secrets are the same bytes.
func TestDHOpenSSL(t *testing.T) {
	o := newOpenSSLDir(t)
	d := ffdhe2048()
	params, err := asn1.Marshal(dhParameter{new(big.Int).SetBytes(d[ck.CKA_PRIME]), big.NewInt(2)})
	if err != nil {
		t.Fatal(err)
	}
	paramFile := o.pemFile("dhparams.pem", "DH PARAMETERS", params)

	_, priv, pm, _ := dhPairFrom(t, legacyRow(t, ck.CKM_DH_PKCS_KEY_PAIR_GEN), d, nil)
	aPub := o.pemFile("a_pub.pem", "PUBLIC KEY", pm[ck.CKA_PUBLIC_KEY_INFO])

	bKey := o.dir + "/b.pem"
	bPub := o.dir + "/b_pub.pem"
	o.run("genpkey", "-paramfile", paramFile, "-out", bKey)
	o.run("pkey", "-in", bKey, "-pubout", "-out", bPub)
	yB := dhPublicFromSPKI(t, o.readPEM(bPub))

	want := o.run("pkeyutl", "-derive", "-inkey", bKey, "-peerkey", aPub, "-pkeyopt", "dh_pad:1")
	derive := legacyRow(t, ck.CKM_DH_PKCS_DERIVE)
	got, err := derive.Derive(priv, yB.Bytes(), 0, noOther)
	wantRV(t, err, ck.CKR_OK)
	if len(want) != 256 || !bytes.Equal(got, want) {
		t.Fatalf("kagi's secret %x\nOpenSSL's %x", got, want)
	}

	// PKCS#8 both ways: kagi's private key as C_WrapKey carries it, for
	// OpenSSL to derive with; OpenSSL's as C_UnwrapKey reads it, for kagi.
	der, err := WrapValue(priv)
	wantRV(t, err, ck.CKR_OK)
	aKey := o.pemFile("a.pem", "PRIVATE KEY", der)
	if fromA := o.run("pkeyutl", "-derive", "-inkey", aKey, "-peerkey", bPub, "-pkeyopt", "dh_pad:1"); !bytes.Equal(fromA, want) {
		t.Fatalf("OpenSSL with kagi's PKCS#8 key: %x, want %x", fromA, want)
	}
	attrs, err := UnwrapAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, o.readPEM(bKey))
	wantRV(t, err, ck.CKR_OK)
	b, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, attrsToMap(attrs))
	wantRV(t, err, ck.CKR_OK)
	if b.Public.(*dhPublicKey).Y.Cmp(yB) != 0 {
		t.Fatal("OpenSSL's private key unwraps to another public value")
	}
	fromB, err := derive.Derive(b, priv.Public.(*dhPublicKey).Y.Bytes(), 0, noOther)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(fromB, want) {
		t.Fatal("OpenSSL's key unwrapped into kagi derives another secret")
	}
}

// TestDSAPKCS8OpenSSL: a DSA private key as C_WrapKey carries it is one
// OpenSSL reads (same public key, a signature kagi verifies), and a key
// OpenSSL generates unwraps into one whose signatures OpenSSL verifies.
func TestDSAPKCS8OpenSSL(t *testing.T) {
	o := newOpenSSLDir(t)
	p := dsaPairs()[1] // L = 2048, N = 224
	der, err := WrapValue(p.priv)
	wantRV(t, err, ck.CKR_OK)
	kFile := o.pemFile("k.pem", "PRIVATE KEY", der)
	if spki := o.run("pkey", "-in", kFile, "-pubout", "-outform", "DER"); !bytes.Equal(spki, p.pm[ck.CKA_PUBLIC_KEY_INFO]) {
		t.Fatal("OpenSSL reads another public key from kagi's PKCS#8")
	}
	msg := o.write("msg", []byte("signed by OpenSSL with a key kagi wrapped"))
	sigDER := o.run("dgst", "-sha256", "-sign", kFile, msg)
	verify, err := legacyRow(t, ck.CKM_DSA_SHA256).Verify(p.pub, nil)
	wantRV(t, err, ck.CKR_OK)
	wantRV(t, verify.Verify([]byte("signed by OpenSSL with a key kagi wrapped"), dsaRawSig(t, sigDER, 28)), ck.CKR_OK)

	params, err := asn1.Marshal(struct{ P, Q, G *big.Int }{
		new(big.Int).SetBytes(p.pm[ck.CKA_PRIME]), new(big.Int).SetBytes(p.pm[ck.CKA_SUBPRIME]), new(big.Int).SetBytes(p.pm[ck.CKA_BASE]),
	})
	if err != nil {
		t.Fatal(err)
	}
	paramFile := o.pemFile("dsaparams.pem", "DSA PARAMETERS", params)
	oKey := o.dir + "/o.pem"
	o.run("genpkey", "-paramfile", paramFile, "-out", oKey)
	attrs, err := UnwrapAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DSA, o.readPEM(oKey))
	wantRV(t, err, ck.CKR_OK)
	k, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DSA, attrsToMap(attrs))
	wantRV(t, err, ck.CKR_OK)
	sign, err := legacyRow(t, ck.CKM_DSA_SHA256).Sign(k, nil)
	wantRV(t, err, ck.CKR_OK)
	sig, err := sign.Sign([]byte("signed by kagi with a key OpenSSL made"))
	wantRV(t, err, ck.CKR_OK)
	r, s := new(big.Int).SetBytes(sig[:28]), new(big.Int).SetBytes(sig[28:])
	sigFile := o.write("sig.der", mustASN1(t, struct{ R, S *big.Int }{r, s}))
	oPub := o.dir + "/o_pub.pem"
	o.run("pkey", "-in", oKey, "-pubout", "-out", oPub)
	o.write("msg2", []byte("signed by kagi with a key OpenSSL made"))
	if out := o.run("dgst", "-sha256", "-verify", oPub, "-signature", sigFile, o.dir+"/msg2"); !strings.Contains(string(out), "Verified OK") {
		t.Fatalf("openssl dgst -verify: %s", out)
	}
	if spki := attrsToMap(attrs)[ck.CKA_PUBLIC_KEY_INFO]; !bytes.Equal(spki, o.readPEM(oPub)) {
		t.Fatal("the unwrapped key's CKA_PUBLIC_KEY_INFO is not OpenSSL's public key")
	}
}

// dsaRawSig turns a DER Dss-Sig-Value into r||s of n bytes each.
func dsaRawSig(t *testing.T, der []byte, n int) []byte {
	t.Helper()
	var rs struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &rs); err != nil || len(rest) != 0 {
		t.Fatalf("DSA signature: %v", err)
	}
	out := make([]byte, 2*n)
	rs.R.FillBytes(out[:n])
	rs.S.FillBytes(out[n:])
	return out
}

func mustASN1(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkDSAParamOpenSSL has `openssl pkeyparam -check` judge a DSA domain
// (FIPS 186-4 checks of p, q and g), and refuse the same domain with g
// changed, so that a pass means something.
func checkDSAParamOpenSSL(t *testing.T, m attrMap) {
	t.Helper()
	o := newOpenSSLDir(t)
	der := func(g []byte) []byte {
		b, err := asn1.Marshal(struct{ P, Q, G *big.Int }{
			new(big.Int).SetBytes(m[ck.CKA_PRIME]), new(big.Int).SetBytes(m[ck.CKA_SUBPRIME]), new(big.Int).SetBytes(g),
		})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	good := o.pemFile("dsa.pem", "DSA PARAMETERS", der(m[ck.CKA_BASE]))
	if out := o.run("pkeyparam", "-in", good, "-check", "-noout"); !strings.Contains(string(out), "Parameters are valid") {
		t.Fatalf("openssl pkeyparam -check: %s", out)
	}
	g := new(big.Int).SetBytes(m[ck.CKA_BASE])
	bad := o.pemFile("bad.pem", "DSA PARAMETERS", der(g.Add(g, big.NewInt(1)).Bytes()))
	if out, err := o.try("pkeyparam", "-in", bad, "-check", "-noout"); err == nil && strings.Contains(string(out), "Parameters are valid") {
		t.Fatal("openssl finds a domain with a wrong g valid: the check proves nothing")
	}
}

// TestDSAParameterGenOpenSSL: a 1024/160 domain of CKM_DSA_PARAMETER_GEN
// passes OpenSSL's check.
func TestDSAParameterGenOpenSSL(t *testing.T) {
	out, err := legacyRow(t, ck.CKM_DSA_PARAMETER_GEN).GenerateKey(rand.Reader, attrMap{ck.CKA_PRIME_BITS: ck.ULongBytes(1024)})
	wantRV(t, err, ck.CKR_OK)
	checkDSAParamOpenSSL(t, attrsToMap(out))
}

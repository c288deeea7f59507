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
	got, err := legacyRow(t, ck.CKM_DH_PKCS_DERIVE).Derive(priv, yB.Bytes(), 0, noOther)
	wantRV(t, err, ck.CKR_OK)
	if len(want) != 256 || !bytes.Equal(got, want) {
		t.Fatalf("kagi's secret %x\nOpenSSL's %x", got, want)
	}
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

package mech

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"math/big"
	"os/exec"
	"strings"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestRSAGenerateExponents: CKM_RSA_PKCS_KEY_PAIR_GEN makes keys for public
// exponents other than 65537 that satisfy FIPS 186-5 A.1.1 and A.1.3 as
// checked here with math/big, that crypto/rsa uses in every operation, and
// that the openssl command accepts. The subtests run in parallel; under the
// race detector, which slows math/big several times, only the 1024-bit
// keys are made.
func TestRSAGenerateExponents(t *testing.T) {
	for _, c := range []struct {
		bits int
		tmpl []byte // CKA_PUBLIC_EXPONENT in the template
		e    int
		want []byte // the CKA_PUBLIC_EXPONENT generated: minimal big-endian
	}{
		{1024, []byte{3}, 3, []byte{3}},
		{1024, []byte{0x11}, 17, []byte{0x11}},
		{1024, []byte{0, 0, 1, 1}, 257, []byte{1, 1}},
		{1024, []byte{0x7f, 0xff, 0xff, 0xff}, 1<<31 - 1, []byte{0x7f, 0xff, 0xff, 0xff}},
		{1025, []byte{3}, 3, []byte{3}}, // odd nlen: p gets the extra bit
		// At 2048 bits only the ends of the range, to keep the test short.
		{2048, []byte{0, 3}, 3, []byte{3}},
		{2048, []byte{0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}, 1<<31 - 1, []byte{0x7f, 0xff, 0xff, 0xff}},
	} {
		t.Run(fmt.Sprintf("%d-bit e=%d template=%x", c.bits, c.e, c.tmpl), func(t *testing.T) {
			if raceEnabled && c.bits > 1025 {
				t.Skip("2048-bit generation is slow under the race detector")
			}
			t.Parallel()
			spec, _ := Lookup(ck.CKM_RSA_PKCS_KEY_PAIR_GEN)
			pubA, privA, err := spec.GenerateKeyPair(rand.Reader,
				attrMap{ck.CKA_MODULUS_BITS: ck.ULongBytes(ck.ULong(c.bits)), ck.CKA_PUBLIC_EXPONENT: c.tmpl}, attrMap{})
			wantRV(t, err, ck.CKR_OK)
			pm, km := attrsToMap(pubA), attrsToMap(privA)
			for _, m := range []attrMap{pm, km} {
				if !bytes.Equal(m[ck.CKA_PUBLIC_EXPONENT], c.want) {
					t.Fatalf("CKA_PUBLIC_EXPONENT %x, want %x", m[ck.CKA_PUBLIC_EXPONENT], c.want)
				}
			}
			priv := checkRSAKeyMath(t, c.bits, c.e, pm, km)
			checkRSARoundTrips(t, priv)
			checkRSAWithMech(t, priv, pm, km)
		})
	}
}

// checkRSAKeyMath recomputes, with math/big alone, what FIPS 186-5 asks of
// a generated key pair, and returns the key as crypto/rsa holds it.
func checkRSAKeyMath(t *testing.T, bits, e int, pm, km attrMap) *rsa.PrivateKey {
	t.Helper()
	num := func(m attrMap, a ck.AttributeType) *big.Int {
		if len(m[a]) == 0 {
			t.Fatalf("no %s", attrName(a))
		}
		return new(big.Int).SetBytes(m[a])
	}
	n, p, q, d := num(pm, ck.CKA_MODULUS), num(km, ck.CKA_PRIME_1), num(km, ck.CKA_PRIME_2), num(km, ck.CKA_PRIVATE_EXPONENT)
	if num(km, ck.CKA_MODULUS).Cmp(n) != 0 {
		t.Fatal("the private key's CKA_MODULUS differs from the public key's")
	}
	if n.BitLen() != bits {
		t.Fatalf("modulus of %d bits, want %d", n.BitLen(), bits)
	}
	if got, _ := ck.BytesULong(pm[ck.CKA_MODULUS_BITS]); got != ck.ULong(bits) {
		t.Errorf("CKA_MODULUS_BITS %d, want %d", got, bits)
	}
	if new(big.Int).Mul(p, q).Cmp(n) != 0 {
		t.Fatal("p*q != n")
	}
	if !p.ProbablyPrime(32) || !q.ProbablyPrime(32) {
		t.Fatal("a prime factor is composite")
	}
	if p.BitLen() != bits-bits/2 || q.BitLen() != bits/2 {
		t.Errorf("primes of %d and %d bits for a %d-bit modulus", p.BitLen(), q.BitLen(), bits)
	}
	one := big.NewInt(1)
	// FIPS 186-5 A.1.3 step 5.5: |p - q| > 2^(nlen/2 - 100).
	if new(big.Int).Sub(p, q).CmpAbs(new(big.Int).Lsh(one, uint(bits/2-100))) <= 0 {
		t.Error("|p - q| too small")
	}
	// A.1.1: d = e^-1 mod λ(n), λ(n) = lcm(p-1, q-1), 2^(nlen/2) < d < λ(n).
	pm1, qm1 := new(big.Int).Sub(p, one), new(big.Int).Sub(q, one)
	lambda := new(big.Int).Mul(pm1, qm1)
	lambda.Div(lambda, new(big.Int).GCD(nil, nil, pm1, qm1))
	eBig := big.NewInt(int64(e))
	if ed := new(big.Int).Mul(eBig, d); ed.Mod(ed, lambda).Cmp(one) != 0 {
		t.Fatal("e*d != 1 mod lcm(p-1, q-1)")
	}
	if d.Cmp(lambda) >= 0 || d.Cmp(new(big.Int).Lsh(one, uint(bits/2))) <= 0 {
		t.Error("d outside (2^(nlen/2), lcm(p-1, q-1))")
	}
	// The CRT values (PKCS #1 section 3.2).
	if num(km, ck.CKA_EXPONENT_1).Cmp(new(big.Int).Mod(d, pm1)) != 0 ||
		num(km, ck.CKA_EXPONENT_2).Cmp(new(big.Int).Mod(d, qm1)) != 0 {
		t.Error("CKA_EXPONENT_1/2 are not d mod p-1, q-1")
	}
	if qi := new(big.Int).Mul(num(km, ck.CKA_COEFFICIENT), q); qi.Mod(qi, p).Cmp(one) != 0 {
		t.Error("CKA_COEFFICIENT is not q^-1 mod p")
	}
	for _, m := range []attrMap{pm, km} {
		spki, err := x509.ParsePKIXPublicKey(m[ck.CKA_PUBLIC_KEY_INFO])
		if err != nil {
			t.Fatal(err)
		}
		if rp, ok := spki.(*rsa.PublicKey); !ok || rp.N.Cmp(n) != 0 || rp.E != e {
			t.Fatal("CKA_PUBLIC_KEY_INFO does not describe the key")
		}
	}
	priv := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n, E: e}, D: d, Primes: []*big.Int{p, q}}
	priv.Precompute()
	if err := priv.Validate(); err != nil {
		t.Fatalf("crypto/rsa: %v", err)
	}
	return priv
}

// checkRSARoundTrips takes the key through crypto/rsa alone.
func checkRSARoundTrips(t *testing.T, priv *rsa.PrivateKey) {
	t.Helper()
	digest := sha256.Sum256([]byte("round trip"))
	sig, err := rsa.SignPKCS1v15(nil, priv, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("PKCS #1 v1.5 signature: %v", err)
	}
	sig, err = rsa.SignPSS(rand.Reader, priv, crypto.SHA256, digest[:], nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(&priv.PublicKey, crypto.SHA256, digest[:], sig, nil); err != nil {
		t.Fatalf("PSS signature: %v", err)
	}
	msg := []byte("secret")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, &priv.PublicKey, msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := rsa.DecryptOAEP(sha256.New(), nil, priv, ct, nil); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("OAEP: %q, %v", pt, err)
	}
	ct, err = rsa.EncryptPKCS1v15(rand.Reader, &priv.PublicKey, msg)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := rsa.DecryptPKCS1v15(nil, priv, ct); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("PKCS #1 v1.5 encryption: %q, %v", pt, err)
	}
}

// checkRSAWithMech loads the generated attributes as kagi does, signs with
// CKM_SHA256_RSA_PKCS, and has crypto/rsa and the openssl command check the
// signature; openssl also checks the key itself (p and q prime, n = pq,
// d*e ≡ 1 mod λ(n) and the CRT values) in PKCS #8 and PKCS #1 form.
func checkRSAWithMech(t *testing.T, priv *rsa.PrivateKey, pm, km attrMap) {
	t.Helper()
	privK, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_RSA, km)
	wantRV(t, err, ck.CKR_OK)
	pubK, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_RSA, pm)
	wantRV(t, err, ck.CKR_OK)
	signer, _ := Lookup(ck.CKM_SHA256_RSA_PKCS)
	msg := []byte("signed by kagi")
	sig := signWith(t, signer, privK, msg)
	digest := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(&priv.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("crypto/rsa rejects kagi's signature: %v", err)
	}
	v, err := signer.Verify(pubK, nil)
	wantRV(t, err, ck.CKR_OK)
	wantRV(t, v.Verify(msg, sig), ck.CKR_OK)

	ossl := newOpenSSLCLI(t, priv)
	pkcs1 := ossl.write("pkcs1.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(priv)}))
	// OpenSSL 3.0 exits 0 for a bad key too, saying so on standard error;
	// only a good key gets "RSA key ok" on standard output.
	for _, key := range []string{ossl.keyPEM, pkcs1} {
		if out := ossl.run("rsa", "-check", "-noout", "-in", key); !bytes.Contains(out, []byte("RSA key ok")) {
			t.Fatalf("openssl rsa -check: %s", out)
		}
	}
	text := ossl.run("rsa", "-noout", "-text", "-in", ossl.keyPEM)
	if want := fmt.Sprintf("publicExponent: %d (0x%x)", priv.E, priv.E); !bytes.Contains(text, []byte(want)) {
		t.Fatalf("openssl reads no %q", want)
	}
	dgst := ossl.write("digest.bin", digest[:])
	verify := func(sig []byte) error {
		_, err := ossl.try("pkeyutl", "-verify", "-pubin", "-inkey", ossl.pubPEM, "-in", dgst,
			"-sigfile", ossl.write("sig.bin", sig), "-pkeyopt", "digest:sha256", "-pkeyopt", "rsa_padding_mode:pkcs1")
		return err
	}
	if err := verify(sig); err != nil {
		t.Fatalf("openssl rejects kagi's signature: %v", err)
	}
	bad := bytes.Clone(sig)
	bad[len(bad)/2] ^= 1
	if verify(bad) == nil {
		t.Fatal("openssl accepts a corrupted signature")
	}
}

// TestRSAImportOpenSSLExponent3: a key with e = 3 made by another
// implementation (openssl genpkey) is accepted as components
// (C_CreateObject) and as PKCS #8 (C_UnwrapKey), and signs.
func TestRSAImportOpenSSLExponent3(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("no openssl command")
	}
	ossl := &opensslCLI{t: t, dir: t.TempDir()}
	out := ossl.run("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3")
	block, _ := pem.Decode(out)
	if block == nil {
		t.Fatalf("openssl genpkey: %q", out)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	goKey := parsed.(*rsa.PrivateKey)
	if goKey.E != 3 {
		t.Fatalf("openssl made e = %d", goKey.E)
	}
	privA, pubA := rsaAttrs(goKey)
	_, unwrapped, err := PrivateKeyAttrs(parsed)
	wantRV(t, err, ck.CKR_OK)
	for name, a := range map[string]attrMap{"components": privA, "PKCS #8": attrsToMap(unwrapped)} {
		if !bytes.Equal(a[ck.CKA_PUBLIC_EXPONENT], []byte{3}) {
			t.Errorf("%s: CKA_PUBLIC_EXPONENT %x", name, a[ck.CKA_PUBLIC_EXPONENT])
		}
		_, err := ImportAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_RSA, a)
		wantRV(t, err, ck.CKR_OK)
		priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_RSA, a)
		wantRV(t, err, ck.CKR_OK)
		pub, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_RSA, pubA)
		wantRV(t, err, ck.CKR_OK)
		signer, _ := Lookup(ck.CKM_SHA256_RSA_PKCS)
		refVerify(t, signer, fixture{name, priv, pub}, []byte("imported"), signWith(t, signer, priv, []byte("imported")))
	}
}

func signWith(t *testing.T, s *Spec, k *Key, msg []byte) []byte {
	t.Helper()
	op, err := s.Sign(k, nil)
	wantRV(t, err, ck.CKR_OK)
	sig, err := op.Sign(msg)
	wantRV(t, err, ck.CKR_OK)
	return sig
}

// TestRSAExponentMessages: a refused exponent is named by its rule, and
// the message carries no key material.
func TestRSAExponentMessages(t *testing.T) {
	for _, c := range []struct {
		e    []byte
		want string
	}{
		{[]byte{0}, "below 3"},
		{[]byte{2}, "below 3"},
		{[]byte{4}, "even"},
		{[]byte{0x80, 0, 0, 1}, "of 32 bits, above 2^31-1"},
	} {
		_, err := rsaGenExponent(attrMap{ck.CKA_PUBLIC_EXPONENT: c.e})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("exponent %x: %v, want %q", c.e, err, c.want)
		}
	}
}

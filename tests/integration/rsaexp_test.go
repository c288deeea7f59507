package integration

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/miekg/pkcs11"
)

// TestRSAKeyPairPublicExponent: C_GenerateKeyPair honours
// CKA_PUBLIC_EXPONENT (PKCS#11 3.0 section 2.1.4), both keys read it back
// as given, and a C_Sign signature verifies with crypto/rsa under that
// exponent. The e = 3 pair echoes the exponent in the private template,
// as some clients do. Exponents kagi cannot make a key for are refused
// with the code mech gives them.
func TestRSAKeyPairPublicExponent(t *testing.T) {
	_, sh := userSession(t)
	for _, c := range []struct {
		name string
		e    []byte
		echo bool // CKA_PUBLIC_EXPONENT in the private template too
		want int
	}{
		{"e=3", []byte{0x03}, true, 3},
		{"e=65537", []byte{0x01, 0x00, 0x01}, false, 65537},
	} {
		t.Run(c.name, func(t *testing.T) {
			privT := []*pkcs11.Attribute{attr(pkcs11.CKA_SIGN, true)}
			if c.echo {
				privT = append(privT, attr(pkcs11.CKA_PUBLIC_EXPONENT, c.e))
			}
			pub, priv, err := p11.GenerateKeyPair(sh, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN),
				[]*pkcs11.Attribute{
					attr(pkcs11.CKA_MODULUS_BITS, 2048), attr(pkcs11.CKA_PUBLIC_EXPONENT, c.e),
					attr(pkcs11.CKA_VERIFY, true),
				}, privT)
			must(t, "C_GenerateKeyPair(CKM_RSA_PKCS_KEY_PAIR_GEN)", err)
			for _, o := range []pkcs11.ObjectHandle{pub, priv} {
				if got := getAttr(t, sh, o, pkcs11.CKA_PUBLIC_EXPONENT); !bytes.Equal(got, c.e) {
					t.Errorf("CKA_PUBLIC_EXPONENT %x, want %x", got, c.e)
				}
			}
			key := rsaPublicFrom(t, sh, pub)
			if key.E != c.want || key.N.BitLen() != 2048 {
				t.Fatalf("public key: %d-bit modulus, exponent %d", key.N.BitLen(), key.E)
			}
			checkPublicKeyInfo(t, sh, pub, key)

			msg := []byte("signed under e=" + c.name)
			must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), priv))
			sig, err := p11.Sign(sh, msg)
			must(t, "C_Sign", err)
			digest := sha256.Sum256(msg)
			if err := rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig); err != nil {
				t.Fatalf("crypto/rsa rejects the module's signature: %v", err)
			}
		})
	}

	for _, c := range []struct {
		name string
		e    []byte
		rv   uint
	}{
		{"empty", []byte{}, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID},
		{"e=1", []byte{1}, pkcs11.CKR_TEMPLATE_INCONSISTENT},
		{"e=4", []byte{4}, pkcs11.CKR_TEMPLATE_INCONSISTENT},
		{"e=2^32+1", []byte{1, 0, 0, 0, 1}, pkcs11.CKR_TEMPLATE_INCONSISTENT},
	} {
		_, _, err := p11.GenerateKeyPair(sh, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN),
			[]*pkcs11.Attribute{attr(pkcs11.CKA_MODULUS_BITS, 2048), attr(pkcs11.CKA_PUBLIC_EXPONENT, c.e)},
			[]*pkcs11.Attribute{attr(pkcs11.CKA_SIGN, true)})
		wantRV(t, "C_GenerateKeyPair with CKA_PUBLIC_EXPONENT "+c.name, err, c.rv)
	}
}

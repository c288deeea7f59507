package integration

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/miekg/pkcs11"
)

// rsaPair generates an RSA-2048 session key pair for signing and decryption.
func rsaPair(t *testing.T, sh pkcs11.SessionHandle) (pkcs11.ObjectHandle, pkcs11.ObjectHandle) {
	t.Helper()
	pub, priv, err := p11.GenerateKeyPair(sh, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_MODULUS_BITS, 2048), attr(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1})},
		[]*pkcs11.Attribute{attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_DECRYPT, true)})
	must(t, "C_GenerateKeyPair(RSA)", err)
	return pub, priv
}

// RSA-PSS made by the module verifies with crypto/rsa; RSA-OAEP made by
// crypto/rsa decrypts in the module.
func TestRSAPSSAndOAEP(t *testing.T) {
	_, sh := userSession(t)
	pub, priv := rsaPair(t, sh)
	key := rsaPublicFrom(t, sh, pub)

	msg := []byte("signed with PSS")
	pss := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS_PSS,
		pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32))}
	must(t, "C_SignInit(PSS)", p11.SignInit(sh, pss, priv))
	sig, err := p11.Sign(sh, msg)
	must(t, "C_Sign(PSS)", err)
	digest := sha256.Sum256(msg)
	if err := rsa.VerifyPSS(key, crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: 32}); err != nil {
		t.Fatalf("crypto/rsa rejects the module's PSS signature: %v", err)
	}
	// MGF1-SHA-1 under SHA-256: crypto/rsa has no such option, so the
	// module verifies its own signature, and refuses it under MGF1-SHA-256.
	mixedPSS := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS_PSS,
		pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA1, 20))}
	must(t, "C_SignInit(PSS, MGF1-SHA-1)", p11.SignInit(sh, mixedPSS, priv))
	mixedSig, err := p11.Sign(sh, msg)
	must(t, "C_Sign(PSS, MGF1-SHA-1)", err)
	must(t, "C_VerifyInit(PSS, MGF1-SHA-1)", p11.VerifyInit(sh, mixedPSS, pub))
	must(t, "C_Verify(PSS, MGF1-SHA-1)", p11.Verify(sh, msg, mixedSig))
	pss20 := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS_PSS,
		pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 20))}
	must(t, "C_VerifyInit(PSS)", p11.VerifyInit(sh, pss20, pub))
	wantRV(t, "C_Verify under MGF1-SHA-256 of an MGF1-SHA-1 signature", p11.Verify(sh, msg, mixedSig), pkcs11.CKR_SIGNATURE_INVALID)

	label := []byte("context")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, key, []byte("secret for the token"), label)
	if err != nil {
		t.Fatal(err)
	}
	oaep := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_OAEP,
		pkcs11.NewOAEPParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, pkcs11.CKZ_DATA_SPECIFIED, label))}
	must(t, "C_DecryptInit(OAEP)", p11.DecryptInit(sh, oaep, priv))
	pt, err := p11.Decrypt(sh, ct)
	must(t, "C_Decrypt(OAEP)", err)
	if string(pt) != "secret for the token" {
		t.Fatalf("OAEP plaintext %q", pt)
	}
	ct[10] ^= 1
	must(t, "C_DecryptInit(OAEP)", p11.DecryptInit(sh, oaep, priv))
	_, err = p11.Decrypt(sh, ct)
	wantRV(t, "C_Decrypt of a damaged OAEP ciphertext", err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)

	// SHA-256 with MGF1-SHA-1, Java's default OAEPParameterSpec: a round
	// trip in the module, crypto/rsa's ciphertext decrypted by the module,
	// and the same ciphertext refused when MGF1 is told to use SHA-256.
	mixed := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_OAEP,
		pkcs11.NewOAEPParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA1, pkcs11.CKZ_DATA_SPECIFIED, label))}
	must(t, "C_EncryptInit(OAEP, MGF1-SHA-1)", p11.EncryptInit(sh, mixed, pub))
	ct, err = p11.Encrypt(sh, []byte("mixed hashes"))
	must(t, "C_Encrypt(OAEP, MGF1-SHA-1)", err)
	must(t, "C_DecryptInit(OAEP, MGF1-SHA-1)", p11.DecryptInit(sh, mixed, priv))
	pt, err = p11.Decrypt(sh, ct)
	must(t, "C_Decrypt(OAEP, MGF1-SHA-1)", err)
	if string(pt) != "mixed hashes" {
		t.Fatalf("OAEP (MGF1-SHA-1) plaintext %q", pt)
	}
	ct, err = rsa.EncryptOAEPWithOptions(rand.Reader, key, []byte("from crypto/rsa"), &rsa.OAEPOptions{Hash: crypto.SHA256, MGFHash: crypto.SHA1, Label: label})
	if err != nil {
		t.Fatal(err)
	}
	must(t, "C_DecryptInit(OAEP, MGF1-SHA-1)", p11.DecryptInit(sh, mixed, priv))
	pt, err = p11.Decrypt(sh, ct)
	must(t, "C_Decrypt(OAEP, MGF1-SHA-1) of crypto/rsa's ciphertext", err)
	if string(pt) != "from crypto/rsa" {
		t.Fatalf("OAEP (MGF1-SHA-1) plaintext %q", pt)
	}
	must(t, "C_DecryptInit(OAEP)", p11.DecryptInit(sh, oaep, priv))
	_, err = p11.Decrypt(sh, ct)
	wantRV(t, "C_Decrypt with MGF1-SHA-256 of an MGF1-SHA-1 ciphertext", err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)
}

// An Ed25519 key generated on the token signs; crypto/ed25519 verifies with
// the CKA_EC_POINT the token reports.
func TestEd25519GenerateAndSign(t *testing.T) {
	_, sh := userSession(t)
	ed25519OID := []byte{0x06, 0x03, 0x2b, 0x65, 0x70}
	pub, priv, err := p11.GenerateKeyPair(sh, mech(ckmECEdwardsKeyPairGen),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_EC_PARAMS, ed25519OID)},
		[]*pkcs11.Attribute{attr(pkcs11.CKA_SIGN, true)})
	must(t, "C_GenerateKeyPair(Ed25519)", err)
	point := getAttr(t, sh, pub, pkcs11.CKA_EC_POINT)
	if len(point) != 34 || point[0] != 0x04 || point[1] != 32 {
		t.Fatalf("CKA_EC_POINT %x is not a DER OCTET STRING of 32 bytes", point)
	}
	msg := []byte("signed with EdDSA")
	must(t, "C_SignInit(EDDSA)", p11.SignInit(sh, mech(ckmEdDSA), priv))
	sig, err := p11.Sign(sh, msg)
	must(t, "C_Sign(EDDSA)", err)
	if !ed25519.Verify(ed25519.PublicKey(point[2:]), msg, sig) {
		t.Fatal("crypto/ed25519 rejects the module's signature")
	}
	must(t, "C_VerifyInit(EDDSA)", p11.VerifyInit(sh, mech(ckmEdDSA), pub))
	sig[0] ^= 1
	wantRV(t, "C_Verify of a damaged signature", p11.Verify(sh, msg, sig), pkcs11.CKR_SIGNATURE_INVALID)
}

// PKCS#11 3.0 mechanisms miekg/pkcs11 1.1 does not name.
const (
	ckmECEdwardsKeyPairGen = 0x1055
	ckmEdDSA               = 0x1057
)

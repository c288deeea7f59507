package integration

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/miekg/pkcs11"
)

// persistedKeys generates the keys the persistence tests look for: an RSA
// and an EC key pair, a generated AES key and an imported AES key of known
// value, all token objects with labels. It returns the Go public keys and
// the known AES key.
func persistedKeys(t *testing.T, sh pkcs11.SessionHandle) (*rsa.PublicKey, *ecdsa.PublicKey, []byte) {
	t.Helper()
	rsaPub, _ := generateRSA(t, sh, 2048, true, "rsa-key")
	ecPub, _ := generateEC(t, sh, ecParams(t, curves[0].oid), true, "ec-key")
	_, err := p11.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{
		attr(pkcs11.CKA_TOKEN, true),
		attr(pkcs11.CKA_VALUE_LEN, 32),
		attr(pkcs11.CKA_LABEL, "aes-key"),
		attr(pkcs11.CKA_SENSITIVE, true),
		attr(pkcs11.CKA_ENCRYPT, true),
		attr(pkcs11.CKA_DECRYPT, true),
	})
	must(t, "C_GenerateKey(AES)", err)
	known := bytes.Repeat([]byte{0x11, 0x22, 0x33, 0x44}, 8)
	create(t, sh, aesTemplate(known, attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "aes-known"), attr(pkcs11.CKA_SENSITIVE, true)))
	create(t, sh, dataTemplate("public-data", attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_VALUE, []byte("visible"))))
	return rsaPublicFrom(t, sh, rsaPub), parseECPoint(t, curves[0].curve, getAttr(t, sh, ecPub, pkcs11.CKA_EC_POINT)), known
}

// byLabel finds the one object of the class with the label.
func byLabel(t *testing.T, sh pkcs11.SessionHandle, class uint, label string) pkcs11.ObjectHandle {
	t.Helper()
	return findOne(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, class), attr(pkcs11.CKA_LABEL, label)})
}

// signAndCheck signs with the RSA and EC keys found by label and verifies
// the signatures with the standard library.
func signAndCheck(t *testing.T, sh pkcs11.SessionHandle, rsaPub *rsa.PublicKey, ecPub *ecdsa.PublicKey) {
	t.Helper()
	msg := []byte("still signing after a restart")
	h := sha256.Sum256(msg)

	must(t, "C_SignInit(RSA)", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), byLabel(t, sh, pkcs11.CKO_PRIVATE_KEY, "rsa-key")))
	sig, err := p11.Sign(sh, msg)
	must(t, "C_Sign(RSA)", err)
	if err := rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("RSA signature after restart: %v", err)
	}

	must(t, "C_SignInit(EC)", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), byLabel(t, sh, pkcs11.CKO_PRIVATE_KEY, "ec-key")))
	sig, err = p11.Sign(sh, h[:])
	must(t, "C_Sign(EC)", err)
	r, s := ecdsaRS(t, ecPub.Curve, sig)
	if !ecdsa.Verify(ecPub, h[:], r, s) {
		t.Errorf("ECDSA signature after restart does not verify")
	}
}

func TestPersistAcrossRestart(t *testing.T) {
	slot, sh := userSession(t)
	rsaPub, ecPub, known := persistedKeys(t, sh)

	// A ciphertext made with the generated AES key before the restart.
	iv := bytes.Repeat([]byte{9}, 12)
	plain := []byte("encrypted before the restart")
	ct, err := gcmCall(t, sh, byLabel(t, sh, pkcs11.CKO_SECRET_KEY, "aes-key"), true, iv, nil, plain)
	must(t, "C_Encrypt(AES-GCM)", err)

	reinit(t)
	sh = openRW(t, slot)
	login(t, sh, pkcs11.CKU_USER, userPIN)

	signAndCheck(t, sh, rsaPub, ecPub)
	// The public key halves are there too, with the same values.
	if got := rsaPublicFrom(t, sh, byLabel(t, sh, pkcs11.CKO_PUBLIC_KEY, "rsa-key")); !got.Equal(rsaPub) {
		t.Errorf("RSA public key changed across the restart")
	}

	got, err := gcmCall(t, sh, byLabel(t, sh, pkcs11.CKO_SECRET_KEY, "aes-key"), false, iv, nil, ct)
	must(t, "C_Decrypt(AES-GCM) after restart", err)
	if !bytes.Equal(got, plain) {
		t.Errorf("AES key after restart decrypts to %q", got)
	}

	// The imported AES key still has its value: Go opens what kagi seals.
	ct, err = gcmCall(t, sh, byLabel(t, sh, pkcs11.CKO_SECRET_KEY, "aes-known"), true, iv, []byte("aad"), plain)
	must(t, "C_Encrypt(AES-GCM, known key)", err)
	block, _ := aes.NewCipher(known)
	aead, _ := cipher.NewGCM(block)
	if out, err := aead.Open(nil, iv, ct, []byte("aad")); err != nil || !bytes.Equal(out, plain) {
		t.Errorf("Go cannot open the ciphertext of the imported key after restart: %v", err)
	}
	// Its attributes survived too.
	k := byLabel(t, sh, pkcs11.CKO_SECRET_KEY, "aes-known")
	if !getBool(t, sh, k, pkcs11.CKA_SENSITIVE) || getBool(t, sh, k, pkcs11.CKA_LOCAL) {
		t.Errorf("imported key after restart: CKA_SENSITIVE/CKA_LOCAL wrong")
	}
	if got := getAttr(t, sh, k, pkcs11.CKA_CHECK_VALUE); !bytes.Equal(got, aesCheckValue(t, known)) {
		t.Errorf("imported key after restart: CKA_CHECK_VALUE = %x", got)
	}
}

// A second process opening the same database finds the keys and signs,
// while this process still has the library initialised.
func TestSecondProcessSigns(t *testing.T) {
	_, sh := userSession(t)
	rsaPub, ecPub, _ := persistedKeys(t, sh)

	res := runHelper(t, "sign", "KAGI_HELPER_TOKEN=test")
	h := sha256.Sum256(helperMessage)
	if err := rsa.VerifyPKCS1v15(rsaPub, crypto.SHA256, h[:], hexValue(t, res, "rsa")); err != nil {
		t.Errorf("the other process's RSA signature: %v", err)
	}
	r, s := ecdsaRS(t, ecPub.Curve, hexValue(t, res, "ec"))
	if !ecdsa.Verify(ecPub, h[:], r, s) {
		t.Errorf("the other process's ECDSA signature does not verify")
	}

	// This process keeps working after the other one logged in and out.
	signAndCheck(t, sh, rsaPub, ecPub)
}

// A key generated by another process is found by this process's next
// C_FindObjectsInit, without re-initialising.
func TestSeesOtherProcessKeys(t *testing.T) {
	_, sh := userSession(t)
	// This process has looked before: the answer must not be cached.
	if hs := findAll(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "from-child")}); len(hs) != 0 {
		t.Fatalf("found %d objects labelled from-child before the child ran", len(hs))
	}

	res := runHelper(t, "genkey", "KAGI_HELPER_TOKEN=test", "KAGI_HELPER_LABEL=from-child")
	childPub := parseECPoint(t, curves[0].curve, hexValue(t, res, "ecpoint"))

	priv := byLabel(t, sh, pkcs11.CKO_PRIVATE_KEY, "from-child")
	pub := byLabel(t, sh, pkcs11.CKO_PUBLIC_KEY, "from-child")
	if got := parseECPoint(t, curves[0].curve, getAttr(t, sh, pub, pkcs11.CKA_EC_POINT)); !got.Equal(childPub) {
		t.Errorf("the other process's public key reads differently here")
	}
	h := sha256.Sum256([]byte("signed with a key from another process"))
	must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), priv))
	sig, err := p11.Sign(sh, h[:])
	must(t, "C_Sign", err)
	r, s := ecdsaRS(t, childPub.Curve, sig)
	if !ecdsa.Verify(childPub, h[:], r, s) {
		t.Errorf("signature with the other process's key does not verify")
	}
}

// With a wrong user PIN nothing private is ever visible.
func TestWrongPINRevealsNothing(t *testing.T) {
	slot, sh := userSession(t)
	persistedKeys(t, sh)
	create(t, sh, privateDataTemplate("private-data", attr(pkcs11.CKA_TOKEN, true)))
	must(t, "C_CloseSession", p11.CloseSession(sh))

	check := func(when string) {
		t.Helper()
		sh := openRW(t, slot)
		defer p11.CloseSession(sh)
		wantRV(t, when+": C_Login(user) with a wrong PIN", p11.Login(sh, pkcs11.CKU_USER, "not-the-pin"), pkcs11.CKR_PIN_INCORRECT)
		hs := findAll(t, sh, nil)
		labels := map[string]bool{}
		for _, o := range hs {
			if getBool(t, sh, o, pkcs11.CKA_PRIVATE) {
				t.Errorf("%s: private object %q visible after a failed login", when, getAttr(t, sh, o, pkcs11.CKA_LABEL))
			}
			labels[string(getAttr(t, sh, o, pkcs11.CKA_LABEL))] = true
		}
		// Public: the data object and the two public keys.
		if len(hs) != 3 || !labels["public-data"] || !labels["rsa-key"] || !labels["ec-key"] {
			t.Errorf("%s: found %d objects %v, want public-data and the two public keys", when, len(hs), labels)
		}
		for _, class := range []uint{pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_SECRET_KEY} {
			if hs := findAll(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, class)}); len(hs) != 0 {
				t.Errorf("%s: %d objects of class %d visible", when, len(hs), class)
			}
		}
		if hs := findAll(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "private-data")}); len(hs) != 0 {
			t.Errorf("%s: the private data object is visible", when)
		}
		// A failed SO login reveals nothing either.
		wantRV(t, when+": C_Login(SO) with a wrong PIN", p11.Login(sh, pkcs11.CKU_SO, "not-the-pin"), pkcs11.CKR_PIN_INCORRECT)
		if n := len(findAll(t, sh, nil)); n != 3 {
			t.Errorf("%s: after a failed SO login %d objects visible, want 3", when, n)
		}
	}
	check("same process")
	reinit(t)
	check("after restart")
}

// helperULong decodes a CK_ULONG the helper reported.
func helperULong(t *testing.T, res map[string]string, key string) uint {
	t.Helper()
	return bytesULong(t, hexValue(t, res, key))
}

// PIN changes and lockouts are seen by another process at once.
func TestSecondProcessSeesPINChanges(t *testing.T) {
	slot, sh := userSession(t)
	must(t, "C_SetPIN", p11.SetPIN(sh, userPIN, "changed-pin"))

	res := runHelper(t, "login", "KAGI_HELPER_TOKEN=test", "KAGI_HELPER_PIN="+userPIN)
	if rv := helperULong(t, res, "rv"); rv != pkcs11.CKR_PIN_INCORRECT {
		t.Errorf("other process, old PIN: got %s, want CKR_PIN_INCORRECT", rvName(rv))
	}
	res = runHelper(t, "login", "KAGI_HELPER_TOKEN=test", "KAGI_HELPER_PIN=changed-pin")
	if rv := helperULong(t, res, "rv"); rv != pkcs11.CKR_OK {
		t.Errorf("other process, new PIN: got %s, want CKR_OK", rvName(rv))
	}

	// Failures counted here lock the PIN there (the counter is stored).
	must(t, "C_Logout", p11.Logout(sh))
	for i := 0; i < maxPINFailures; i++ {
		_ = p11.Login(sh, pkcs11.CKU_USER, "wrong-pin")
	}
	if f := tokenFlags(t, slot); f&pkcs11.CKF_USER_PIN_LOCKED == 0 {
		t.Fatalf("after %d failures: CKF_USER_PIN_LOCKED not set (flags 0x%x)", maxPINFailures, f)
	}
	res = runHelper(t, "login", "KAGI_HELPER_TOKEN=test", "KAGI_HELPER_PIN=changed-pin")
	if rv := helperULong(t, res, "rv"); rv != pkcs11.CKR_PIN_LOCKED {
		t.Errorf("other process, right PIN on a locked token: got %s, want CKR_PIN_LOCKED", rvName(rv))
	}
}

// Attribute changes and destruction of token objects are seen by another
// process's next search.
func TestSecondProcessSeesObjectChanges(t *testing.T) {
	_, sh := userSession(t)
	k := create(t, sh, aesTemplate(bytes.Repeat([]byte{6}, 32), attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "before")))
	count := func(label string) uint {
		t.Helper()
		return helperULong(t, runHelper(t, "count", "KAGI_HELPER_TOKEN=test", "KAGI_HELPER_LABEL="+label), "count")
	}
	if n := count("before"); n != 1 {
		t.Fatalf("other process finds %d keys labelled before, want 1", n)
	}
	must(t, "C_SetAttributeValue(CKA_LABEL)", p11.SetAttributeValue(sh, k, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "after")}))
	if b, a := count("before"), count("after"); b != 0 || a != 1 {
		t.Errorf("after relabelling: other process finds %d labelled before and %d after, want 0 and 1", b, a)
	}
	must(t, "C_DestroyObject", p11.DestroyObject(sh, k))
	if n := count("after"); n != 0 {
		t.Errorf("after C_DestroyObject: other process still finds %d", n)
	}
}

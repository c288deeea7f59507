package integration

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestGenerateRandom(t *testing.T) {
	_, sh := userSession(t)
	for _, n := range []int{1, 16, 32, 1000, 4096} {
		b, err := p11.GenerateRandom(sh, n)
		must(t, "C_GenerateRandom", err)
		if len(b) != n {
			t.Errorf("C_GenerateRandom(%d) returned %d bytes", n, len(b))
		}
	}
	a, err := p11.GenerateRandom(sh, 32)
	must(t, "C_GenerateRandom", err)
	b, err := p11.GenerateRandom(sh, 32)
	must(t, "C_GenerateRandom", err)
	if bytes.Equal(a, b) {
		t.Errorf("two C_GenerateRandom(32) calls returned the same bytes %x", a)
	}
	if bytes.Equal(a, make([]byte, 32)) {
		t.Errorf("C_GenerateRandom returned zeros")
	}
	must(t, "C_SeedRandom", p11.SeedRandom(sh, []byte("extra entropy from the application")))
	c, err := p11.GenerateRandom(sh, 32)
	must(t, "C_GenerateRandom after C_SeedRandom", err)
	if bytes.Equal(c, a) || bytes.Equal(c, b) {
		t.Errorf("C_GenerateRandom after C_SeedRandom repeated an earlier output")
	}
	// Randomness needs no login.
	must(t, "C_Logout", p11.Logout(sh))
	_, err = p11.GenerateRandom(sh, 16)
	must(t, "C_GenerateRandom logged out", err)
}

// firstMechanisms: the first mechanism set of issue 3 with the flags each
// must at least have (PKCS#11 3.0 current mechanisms, the "Functions" column
// of table 1 for each).
var firstMechanisms = []struct {
	name  string
	m     uint
	flags uint
}{
	{"CKM_AES_KEY_GEN", pkcs11.CKM_AES_KEY_GEN, pkcs11.CKF_GENERATE},
	{"CKM_AES_GCM", pkcs11.CKM_AES_GCM, pkcs11.CKF_ENCRYPT | pkcs11.CKF_DECRYPT},
	{"CKM_GENERIC_SECRET_KEY_GEN", pkcs11.CKM_GENERIC_SECRET_KEY_GEN, pkcs11.CKF_GENERATE},
	{"CKM_SHA256_HMAC", pkcs11.CKM_SHA256_HMAC, pkcs11.CKF_SIGN | pkcs11.CKF_VERIFY},
	{"CKM_RSA_PKCS_KEY_PAIR_GEN", pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, pkcs11.CKF_GENERATE_KEY_PAIR},
	{"CKM_SHA256_RSA_PKCS", pkcs11.CKM_SHA256_RSA_PKCS, pkcs11.CKF_SIGN | pkcs11.CKF_VERIFY},
	{"CKM_EC_KEY_PAIR_GEN", pkcs11.CKM_EC_KEY_PAIR_GEN, pkcs11.CKF_GENERATE_KEY_PAIR},
	{"CKM_ECDSA", pkcs11.CKM_ECDSA, pkcs11.CKF_SIGN | pkcs11.CKF_VERIFY},
	{"CKM_SHA256", pkcs11.CKM_SHA256, pkcs11.CKF_DIGEST},
}

func TestMechanisms(t *testing.T) {
	fresh(t)
	slot := newToken(t, "mechs")
	list, err := p11.GetMechanismList(slot)
	must(t, "C_GetMechanismList", err)
	var have []uint
	for _, m := range list {
		have = append(have, m.Mechanism)
	}
	for _, m := range firstMechanisms {
		if !slices.Contains(have, m.m) {
			t.Errorf("C_GetMechanismList lacks %s", m.name)
			continue
		}
		info, err := p11.GetMechanismInfo(slot, mech(m.m))
		must(t, "C_GetMechanismInfo("+m.name+")", err)
		if info.Flags&m.flags != m.flags {
			t.Errorf("%s: flags 0x%x, want at least 0x%x", m.name, info.Flags, m.flags)
		}
		if info.Flags&pkcs11.CKF_HW != 0 {
			t.Errorf("%s: CKF_HW set in a software token", m.name)
		}
	}
	// Every listed mechanism has info (the list is truthful).
	for _, m := range have {
		if _, err := p11.GetMechanismInfo(slot, mech(m)); err != nil {
			t.Errorf("listed mechanism 0x%x: C_GetMechanismInfo: %v", m, err)
		}
	}
	// Key sizes: bytes for AES, bits for RSA and EC.
	sizes := []struct {
		name     string
		m        uint
		min, max uint
	}{
		{"CKM_AES_KEY_GEN", pkcs11.CKM_AES_KEY_GEN, 16, 32},
		{"CKM_AES_GCM", pkcs11.CKM_AES_GCM, 16, 32},
	}
	for _, s := range sizes {
		info, err := p11.GetMechanismInfo(slot, mech(s.m))
		if err != nil {
			continue // reported above
		}
		if info.MinKeySize != s.min || info.MaxKeySize != s.max {
			t.Errorf("%s: key sizes %d..%d, want %d..%d", s.name, info.MinKeySize, info.MaxKeySize, s.min, s.max)
		}
	}
	// EC: field sizes in bits; P-256 to P-521 at least (more curves may be
	// offered).
	for _, m := range []uint{pkcs11.CKM_EC_KEY_PAIR_GEN, pkcs11.CKM_ECDSA} {
		if info, err := p11.GetMechanismInfo(slot, mech(m)); err == nil && (info.MinKeySize > 256 || info.MaxKeySize != 521) {
			t.Errorf("mechanism 0x%x: key sizes %d..%d, want min <= 256 and max 521", m, info.MinKeySize, info.MaxKeySize)
		}
	}
	if info, err := p11.GetMechanismInfo(slot, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN)); err == nil {
		if info.MinKeySize > 2048 || info.MaxKeySize < 4096 {
			t.Errorf("CKM_RSA_PKCS_KEY_PAIR_GEN: key sizes %d..%d do not cover 2048..4096 bits", info.MinKeySize, info.MaxKeySize)
		}
	}

	_, err = p11.GetMechanismInfo(slot, mech(pkcs11.CKM_VENDOR_DEFINED|0x4242))
	wantRV(t, "C_GetMechanismInfo(unknown mechanism)", err, pkcs11.CKR_MECHANISM_INVALID)

	// The free slot's token lists mechanisms too.
	if _, err := p11.GetMechanismList(freeSlot(t)); err != nil {
		t.Errorf("C_GetMechanismList on the free slot: %v", err)
	}
}

func TestGenerateAESKey(t *testing.T) {
	_, sh := userSession(t)

	cases := []struct {
		name                              string
		sensitive, extractable            bool
		alwaysSensitive, neverExtractable bool
	}{
		// PKCS#11 3.0 section 4.10: CKA_ALWAYS_SENSITIVE is CKA_SENSITIVE
		// as generated, CKA_NEVER_EXTRACTABLE is !CKA_EXTRACTABLE.
		{"sensitive, not extractable", true, false, true, true},
		{"not sensitive, extractable", false, true, false, false},
		{"sensitive, extractable", true, true, true, false},
	}
	for _, c := range cases {
		o, err := p11.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{
			attr(pkcs11.CKA_TOKEN, true),
			attr(pkcs11.CKA_VALUE_LEN, 32),
			attr(pkcs11.CKA_LABEL, "aes-"+c.name),
			attr(pkcs11.CKA_SENSITIVE, c.sensitive),
			attr(pkcs11.CKA_EXTRACTABLE, c.extractable),
		})
		must(t, "C_GenerateKey(CKM_AES_KEY_GEN)", err)
		if got := getULong(t, sh, o, pkcs11.CKA_CLASS); got != pkcs11.CKO_SECRET_KEY {
			t.Errorf("%s: CKA_CLASS = %d", c.name, got)
		}
		if got := getULong(t, sh, o, pkcs11.CKA_KEY_TYPE); got != pkcs11.CKK_AES {
			t.Errorf("%s: CKA_KEY_TYPE = %d", c.name, got)
		}
		if got := getULong(t, sh, o, pkcs11.CKA_VALUE_LEN); got != 32 {
			t.Errorf("%s: CKA_VALUE_LEN = %d", c.name, got)
		}
		if !getBool(t, sh, o, pkcs11.CKA_LOCAL) {
			t.Errorf("%s: CKA_LOCAL false for a generated key", c.name)
		}
		if got := getULong(t, sh, o, pkcs11.CKA_KEY_GEN_MECHANISM); got != pkcs11.CKM_AES_KEY_GEN {
			t.Errorf("%s: CKA_KEY_GEN_MECHANISM = 0x%x, want CKM_AES_KEY_GEN", c.name, got)
		}
		if got := getBool(t, sh, o, pkcs11.CKA_ALWAYS_SENSITIVE); got != c.alwaysSensitive {
			t.Errorf("%s: CKA_ALWAYS_SENSITIVE = %v, want %v", c.name, got, c.alwaysSensitive)
		}
		if got := getBool(t, sh, o, pkcs11.CKA_NEVER_EXTRACTABLE); got != c.neverExtractable {
			t.Errorf("%s: CKA_NEVER_EXTRACTABLE = %v, want %v", c.name, got, c.neverExtractable)
		}
		if !getBool(t, sh, o, pkcs11.CKA_PRIVATE) {
			t.Errorf("%s: generated secret key is public", c.name)
		}
		if !c.sensitive && c.extractable {
			v := getAttr(t, sh, o, pkcs11.CKA_VALUE)
			if len(v) != 32 {
				t.Errorf("%s: CKA_VALUE has %d bytes", c.name, len(v))
			} else if got := getAttr(t, sh, o, pkcs11.CKA_CHECK_VALUE); !bytes.Equal(got, aesCheckValue(t, v)) {
				t.Errorf("%s: CKA_CHECK_VALUE = %x, want %x", c.name, got, aesCheckValue(t, v))
			}
		}
	}

	// Key sizes 16 and 24 too; others are refused.
	for _, n := range []int{16, 24} {
		o, err := p11.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE_LEN, n)})
		must(t, "C_GenerateKey(AES)", err)
		if got := getULong(t, sh, o, pkcs11.CKA_VALUE_LEN); got != uint(n) {
			t.Errorf("AES-%d: CKA_VALUE_LEN = %d", n*8, got)
		}
	}
	// No AES key has 20 bytes: SoftHSMv2 answers CKR_KEY_SIZE_RANGE, and
	// CKR_ATTRIBUTE_VALUE_INVALID (rule 2 of section 4.1.1) fits too.
	_, err := p11.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE_LEN, 20)})
	if rv := rvOf(err); rv != pkcs11.CKR_KEY_SIZE_RANGE && rv != pkcs11.CKR_ATTRIBUTE_VALUE_INVALID {
		t.Errorf("C_GenerateKey(AES, CKA_VALUE_LEN 20): got %s, want CKR_KEY_SIZE_RANGE or CKR_ATTRIBUTE_VALUE_INVALID", rvName(rv))
	}
	_, err = p11.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "no length")})
	wantRV(t, "C_GenerateKey(AES) without CKA_VALUE_LEN", err, pkcs11.CKR_TEMPLATE_INCOMPLETE)
	// CKA_VALUE must not be given to C_GenerateKey (footnote 4): read-only
	// (section 4.1.1 rule 3, SoftHSMv2) or inconsistent with the value the
	// mechanism contributes (rule 5).
	_, err = p11.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{
		attr(pkcs11.CKA_VALUE_LEN, 32), attr(pkcs11.CKA_VALUE, bytes.Repeat([]byte{1}, 32)),
	})
	if rv := rvOf(err); rv != pkcs11.CKR_ATTRIBUTE_READ_ONLY && rv != pkcs11.CKR_TEMPLATE_INCONSISTENT {
		t.Errorf("C_GenerateKey(AES) with CKA_VALUE: got %s, want CKR_ATTRIBUTE_READ_ONLY or CKR_TEMPLATE_INCONSISTENT", rvName(rv))
	}
}

// gcm encrypts or decrypts with CKM_AES_GCM in kagi.
func gcmCall(t *testing.T, sh pkcs11.SessionHandle, key pkcs11.ObjectHandle, encrypt bool, iv, aad, in []byte) ([]byte, error) {
	t.Helper()
	params := pkcs11.NewGCMParams(iv, aad, 128)
	defer params.Free()
	m := []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}
	if encrypt {
		must(t, "C_EncryptInit(CKM_AES_GCM)", p11.EncryptInit(sh, m, key))
		return p11.Encrypt(sh, in)
	}
	must(t, "C_DecryptInit(CKM_AES_GCM)", p11.DecryptInit(sh, m, key))
	return p11.Decrypt(sh, in)
}

func TestAESGCM(t *testing.T) {
	_, sh := userSession(t)
	keyBytes := bytes.Repeat([]byte{0x42, 0x24}, 16)
	key := create(t, sh, aesTemplate(keyBytes, attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, true)))
	block, err := aes.NewCipher(keyBytes)
	must(t, "aes.NewCipher", err)
	aead, err := cipher.NewGCM(block)
	must(t, "cipher.NewGCM", err)

	iv := bytes.Repeat([]byte{7}, 12)
	aad := []byte("associated data")
	for _, n := range []int{0, 1, 16, 100, 4096} {
		plain := bytes.Repeat([]byte{byte(n)}, n)

		// kagi encrypts, Go decrypts.
		ct, err := gcmCall(t, sh, key, true, iv, aad, plain)
		must(t, "C_Encrypt(CKM_AES_GCM)", err)
		if len(ct) != n+16 {
			t.Errorf("GCM ciphertext of %d bytes has %d bytes, want %d (data + 128-bit tag)", n, len(ct), n+16)
		}
		if got, err := aead.Open(nil, iv, ct, aad); err != nil || !bytes.Equal(got, plain) {
			t.Errorf("Go cannot open kagi's GCM ciphertext of %d bytes: %v", n, err)
		}

		// Go encrypts, kagi decrypts.
		sealed := aead.Seal(nil, iv, plain, aad)
		got, err := gcmCall(t, sh, key, false, iv, aad, sealed)
		must(t, "C_Decrypt(CKM_AES_GCM)", err)
		if !bytes.Equal(got, plain) {
			t.Errorf("kagi decrypts Go's GCM ciphertext of %d bytes wrongly", n)
		}

		// A wrong tag, wrong AAD or wrong IV is rejected.
		bad := slices.Clone(sealed)
		bad[len(bad)-1] ^= 1
		_, err = gcmCall(t, sh, key, false, iv, aad, bad)
		wantRV(t, "C_Decrypt(CKM_AES_GCM) with a wrong tag", err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)
		_, err = gcmCall(t, sh, key, false, iv, []byte("other data"), sealed)
		wantRV(t, "C_Decrypt(CKM_AES_GCM) with wrong AAD", err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)
	}
	// The operation ended with the failed C_Decrypt.
	_, err = p11.Decrypt(sh, make([]byte, 32))
	wantRV(t, "C_Decrypt after a failed C_Decrypt", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)

	// Ciphertext shorter than the tag.
	_, err = gcmCall(t, sh, key, false, iv, aad, make([]byte, 8))
	if rv := rvOf(err); rv != pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE && rv != pkcs11.CKR_ENCRYPTED_DATA_INVALID {
		t.Errorf("C_Decrypt(CKM_AES_GCM) of 8 bytes: got %s, want CKR_ENCRYPTED_DATA_LEN_RANGE or CKR_ENCRYPTED_DATA_INVALID", rvName(rv))
	}
}

func TestHMACSHA256(t *testing.T) {
	_, sh := userSession(t)
	secret := []byte("a generic secret of known value!")
	key := create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_VALUE, secret),
		attr(pkcs11.CKA_SIGN, true),
		attr(pkcs11.CKA_VERIFY, true),
	})
	for _, n := range []int{0, 1, 64, 1024} {
		msg := bytes.Repeat([]byte("m"), n)
		want := hmac.New(sha256.New, secret)
		want.Write(msg)

		must(t, "C_SignInit(CKM_SHA256_HMAC)", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_HMAC), key))
		mac, err := p11.Sign(sh, msg)
		must(t, "C_Sign(CKM_SHA256_HMAC)", err)
		if !bytes.Equal(mac, want.Sum(nil)) {
			t.Errorf("HMAC-SHA256 of %d bytes = %x, want %x", n, mac, want.Sum(nil))
		}

		must(t, "C_VerifyInit(CKM_SHA256_HMAC)", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_HMAC), key))
		must(t, "C_Verify(CKM_SHA256_HMAC)", p11.Verify(sh, msg, mac))
		mac[0] ^= 1
		must(t, "C_VerifyInit(CKM_SHA256_HMAC)", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_HMAC), key))
		wantRV(t, "C_Verify(CKM_SHA256_HMAC) of a wrong MAC", p11.Verify(sh, msg, mac), pkcs11.CKR_SIGNATURE_INVALID)
	}

	// Multi-part.
	must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_HMAC), key))
	must(t, "C_SignUpdate", p11.SignUpdate(sh, []byte("hello, ")))
	must(t, "C_SignUpdate", p11.SignUpdate(sh, []byte("world")))
	mac, err := p11.SignFinal(sh)
	must(t, "C_SignFinal", err)
	want := hmac.New(sha256.New, secret)
	want.Write([]byte("hello, world"))
	if !bytes.Equal(mac, want.Sum(nil)) {
		t.Errorf("multi-part HMAC-SHA256 = %x, want %x", mac, want.Sum(nil))
	}

	// A generated generic secret signs and verifies its own MACs.
	g, err := p11.GenerateKey(sh, mech(pkcs11.CKM_GENERIC_SECRET_KEY_GEN), []*pkcs11.Attribute{
		attr(pkcs11.CKA_VALUE_LEN, 32), attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_VERIFY, true),
	})
	must(t, "C_GenerateKey(CKM_GENERIC_SECRET_KEY_GEN)", err)
	if got := getULong(t, sh, g, pkcs11.CKA_KEY_TYPE); got != pkcs11.CKK_GENERIC_SECRET {
		t.Errorf("generated generic secret: CKA_KEY_TYPE = %d", got)
	}
	must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_HMAC), g))
	mac, err = p11.Sign(sh, []byte("x"))
	must(t, "C_Sign", err)
	must(t, "C_VerifyInit", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_HMAC), g))
	must(t, "C_Verify", p11.Verify(sh, []byte("x"), mac))
}

func TestSHA256Digest(t *testing.T) {
	_, sh := userSession(t)
	for _, n := range []int{0, 1, 55, 56, 64, 1000} {
		msg := bytes.Repeat([]byte("d"), n)
		want := sha256.Sum256(msg)
		must(t, "C_DigestInit", p11.DigestInit(sh, mech(pkcs11.CKM_SHA256)))
		got, err := p11.Digest(sh, msg)
		must(t, "C_Digest", err)
		if !bytes.Equal(got, want[:]) {
			t.Errorf("SHA-256 of %d bytes = %x, want %x", n, got, want)
		}
	}
	parts := [][]byte{[]byte("abc"), {}, bytes.Repeat([]byte("x"), 200), []byte("end")}
	must(t, "C_DigestInit", p11.DigestInit(sh, mech(pkcs11.CKM_SHA256)))
	h := sha256.New()
	for _, p := range parts {
		must(t, "C_DigestUpdate", p11.DigestUpdate(sh, p))
		h.Write(p)
	}
	got, err := p11.DigestFinal(sh)
	must(t, "C_DigestFinal", err)
	if !bytes.Equal(got, h.Sum(nil)) {
		t.Errorf("multi-part SHA-256 = %x, want %x", got, h.Sum(nil))
	}
	_, err = p11.DigestFinal(sh)
	wantRV(t, "C_DigestFinal after C_DigestFinal", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	// Digests need no login.
	must(t, "C_Logout", p11.Logout(sh))
	must(t, "C_DigestInit logged out", p11.DigestInit(sh, mech(pkcs11.CKM_SHA256)))
	_, err = p11.Digest(sh, []byte("x"))
	must(t, "C_Digest logged out", err)
}

// generateRSA makes an RSA key pair in kagi.
func generateRSA(t *testing.T, sh pkcs11.SessionHandle, bits int, onToken bool, label string) (pub, priv pkcs11.ObjectHandle) {
	t.Helper()
	pub, priv, err := p11.GenerateKeyPair(sh, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{
			attr(pkcs11.CKA_TOKEN, onToken),
			attr(pkcs11.CKA_MODULUS_BITS, bits),
			attr(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
			attr(pkcs11.CKA_VERIFY, true),
			attr(pkcs11.CKA_LABEL, label),
		},
		[]*pkcs11.Attribute{
			attr(pkcs11.CKA_TOKEN, onToken),
			attr(pkcs11.CKA_PRIVATE, true),
			attr(pkcs11.CKA_SENSITIVE, true),
			attr(pkcs11.CKA_SIGN, true),
			attr(pkcs11.CKA_LABEL, label),
		})
	must(t, "C_GenerateKeyPair(CKM_RSA_PKCS_KEY_PAIR_GEN)", err)
	return pub, priv
}

// generateEC makes an EC key pair in kagi.
func generateEC(t *testing.T, sh pkcs11.SessionHandle, params []byte, onToken bool, label string) (pub, priv pkcs11.ObjectHandle) {
	t.Helper()
	pub, priv, err := p11.GenerateKeyPair(sh, mech(pkcs11.CKM_EC_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{
			attr(pkcs11.CKA_TOKEN, onToken),
			attr(pkcs11.CKA_EC_PARAMS, params),
			attr(pkcs11.CKA_VERIFY, true),
			attr(pkcs11.CKA_LABEL, label),
		},
		[]*pkcs11.Attribute{
			attr(pkcs11.CKA_TOKEN, onToken),
			attr(pkcs11.CKA_PRIVATE, true),
			attr(pkcs11.CKA_SENSITIVE, true),
			attr(pkcs11.CKA_SIGN, true),
			attr(pkcs11.CKA_LABEL, label),
		})
	must(t, "C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN)", err)
	return pub, priv
}

func TestRSAKeyPair(t *testing.T) {
	_, sh := userSession(t)
	pub, priv := generateRSA(t, sh, 2048, false, "rsa")

	if got := getULong(t, sh, pub, pkcs11.CKA_MODULUS_BITS); got != 2048 {
		t.Errorf("CKA_MODULUS_BITS = %d", got)
	}
	if !getBool(t, sh, priv, pkcs11.CKA_LOCAL) || !getBool(t, sh, pub, pkcs11.CKA_LOCAL) {
		t.Errorf("generated key pair: CKA_LOCAL false")
	}
	for _, o := range []pkcs11.ObjectHandle{pub, priv} {
		if got := getULong(t, sh, o, pkcs11.CKA_KEY_GEN_MECHANISM); got != pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN {
			t.Errorf("CKA_KEY_GEN_MECHANISM = 0x%x, want CKM_RSA_PKCS_KEY_PAIR_GEN", got)
		}
	}
	if !getBool(t, sh, priv, pkcs11.CKA_ALWAYS_SENSITIVE) || !getBool(t, sh, priv, pkcs11.CKA_NEVER_EXTRACTABLE) {
		t.Errorf("generated sensitive, unextractable key: CKA_ALWAYS_SENSITIVE/CKA_NEVER_EXTRACTABLE not both true")
	}
	_, err := p11.GetAttributeValue(sh, priv, []*pkcs11.Attribute{attr(pkcs11.CKA_PRIVATE_EXPONENT, nil)})
	wantRV(t, "C_GetAttributeValue(CKA_PRIVATE_EXPONENT) of a generated key", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)

	goPub := rsaPublicFrom(t, sh, pub)
	if goPub.N.BitLen() != 2048 || goPub.E != 65537 {
		t.Errorf("public key: %d-bit modulus, exponent %d", goPub.N.BitLen(), goPub.E)
	}
	// The private key carries the public parts too.
	if privPub := rsaPublicFrom(t, sh, priv); !privPub.Equal(goPub) {
		t.Errorf("the private key's CKA_MODULUS/CKA_PUBLIC_EXPONENT differ from the public key's")
	}
	checkPublicKeyInfo(t, sh, pub, goPub)
	checkPublicKeyInfo(t, sh, priv, goPub)

	msg := []byte("message to sign with RSA")
	must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), priv))
	sig, err := p11.Sign(sh, msg)
	must(t, "C_Sign", err)
	if len(sig) != 256 {
		t.Errorf("signature has %d bytes, want 256", len(sig))
	}
	h := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(goPub, crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("rsa.VerifyPKCS1v15: %v", err)
	}
	// The successful C_Sign ended the operation; miekg's NULL-buffer length
	// query before it did not.
	_, err = p11.Sign(sh, msg)
	wantRV(t, "C_Sign after a completed C_Sign", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)

	must(t, "C_VerifyInit", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), pub))
	must(t, "C_Verify(good signature)", p11.Verify(sh, msg, sig))
	bad := slices.Clone(sig)
	bad[10] ^= 0x80
	must(t, "C_VerifyInit", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), pub))
	wantRV(t, "C_Verify(bad signature)", p11.Verify(sh, msg, bad), pkcs11.CKR_SIGNATURE_INVALID)
	must(t, "C_VerifyInit", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), pub))
	wantRV(t, "C_Verify(other message)", p11.Verify(sh, []byte("other"), sig), pkcs11.CKR_SIGNATURE_INVALID)
	must(t, "C_VerifyInit", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), pub))
	if rv := rvOf(p11.Verify(sh, msg, sig[:100])); rv != pkcs11.CKR_SIGNATURE_LEN_RANGE && rv != pkcs11.CKR_SIGNATURE_INVALID {
		t.Errorf("C_Verify(short signature): got %s, want CKR_SIGNATURE_LEN_RANGE or CKR_SIGNATURE_INVALID", rvName(rv))
	}

	// Multi-part signing gives the same (deterministic) signature.
	must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), priv))
	must(t, "C_SignUpdate", p11.SignUpdate(sh, msg[:7]))
	must(t, "C_SignUpdate", p11.SignUpdate(sh, msg[7:]))
	sig2, err := p11.SignFinal(sh)
	must(t, "C_SignFinal", err)
	if !bytes.Equal(sig, sig2) {
		t.Errorf("multi-part PKCS#1 v1.5 signature differs from the single-part one")
	}
}

// checkPublicKeyInfo checks CKA_PUBLIC_KEY_INFO against the expected key.
func checkPublicKeyInfo(t *testing.T, sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, want interface{ Equal(crypto.PublicKey) bool }) {
	t.Helper()
	spki := getAttr(t, sh, o, pkcs11.CKA_PUBLIC_KEY_INFO)
	got, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Errorf("CKA_PUBLIC_KEY_INFO does not parse as SubjectPublicKeyInfo: %v", err)
		return
	}
	if !want.Equal(got) {
		t.Errorf("CKA_PUBLIC_KEY_INFO holds another key")
	}
}

func TestECKeyPairs(t *testing.T) {
	_, sh := userSession(t)
	for _, c := range curves {
		t.Run(c.name, func(t *testing.T) {
			params := ecParams(t, c.oid)
			pub, priv := generateEC(t, sh, params, false, "ec-"+c.name)

			if got := getAttr(t, sh, priv, pkcs11.CKA_EC_PARAMS); !bytes.Equal(got, params) {
				t.Errorf("private key CKA_EC_PARAMS = %x, want %x", got, params)
			}
			if got := getULong(t, sh, priv, pkcs11.CKA_KEY_GEN_MECHANISM); got != pkcs11.CKM_EC_KEY_PAIR_GEN {
				t.Errorf("CKA_KEY_GEN_MECHANISM = 0x%x, want CKM_EC_KEY_PAIR_GEN", got)
			}
			_, err := p11.GetAttributeValue(sh, priv, []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE, nil)})
			wantRV(t, "C_GetAttributeValue(CKA_VALUE) of a generated EC key", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)

			goPub := parseECPoint(t, c.curve, getAttr(t, sh, pub, pkcs11.CKA_EC_POINT))
			checkPublicKeyInfo(t, sh, pub, goPub)
			checkPublicKeyInfo(t, sh, priv, goPub)

			h := sha256.Sum256([]byte("message to sign with ECDSA on " + c.name))
			must(t, "C_SignInit(CKM_ECDSA)", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), priv))
			sig, err := p11.Sign(sh, h[:])
			must(t, "C_Sign(CKM_ECDSA)", err)
			r, s := ecdsaRS(t, c.curve, sig)
			if !ecdsa.Verify(goPub, h[:], r, s) {
				t.Errorf("ecdsa.Verify rejects kagi's signature")
			}
			must(t, "C_VerifyInit(CKM_ECDSA)", p11.VerifyInit(sh, mech(pkcs11.CKM_ECDSA), pub))
			must(t, "C_Verify(good)", p11.Verify(sh, h[:], sig))
			bad := slices.Clone(sig)
			bad[len(bad)-1] ^= 1
			must(t, "C_VerifyInit(CKM_ECDSA)", p11.VerifyInit(sh, mech(pkcs11.CKM_ECDSA), pub))
			wantRV(t, "C_Verify(bad ECDSA signature)", p11.Verify(sh, h[:], bad), pkcs11.CKR_SIGNATURE_INVALID)
		})
	}

	// An unsupported curve (secp256k1) is refused with the code PKCS#11 3.0
	// added for it.
	_, _, err := p11.GenerateKeyPair(sh, mech(pkcs11.CKM_EC_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_EC_PARAMS, ecParams(t, asn1.ObjectIdentifier{1, 3, 132, 0, 10}))},
		[]*pkcs11.Attribute{attr(pkcs11.CKA_SIGN, true)})
	wantRV(t, "C_GenerateKeyPair on secp256k1", err, pkcs11.CKR_CURVE_NOT_SUPPORTED)
}

func TestKeyUsageErrors(t *testing.T) {
	slot, sh := userSession(t)
	_, ecPriv := generateEC(t, sh, ecParams(t, curves[0].oid), true, "ec-usage")
	ecPub := findOne(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY), attr(pkcs11.CKA_LABEL, "ec-usage")})
	k, err := ecdsa.GenerateKey(curves[0].curve, rand.Reader)
	must(t, "ecdsa.GenerateKey", err)
	noSign := create(t, sh, ecPrivateTemplate(t, curves[0].oid, k, attr(pkcs11.CKA_SIGN, false)))
	aesKey := create(t, sh, aesTemplate(bytes.Repeat([]byte{1}, 32), attr(pkcs11.CKA_ENCRYPT, false)))
	h := sha256.Sum256([]byte("x"))

	wantRV(t, "C_SignInit with a CKA_SIGN false key", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), noSign), pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED)
	wantRV(t, "C_SignInit(CKM_SHA256_RSA_PKCS) with an EC key", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), ecPriv), pkcs11.CKR_KEY_TYPE_INCONSISTENT)
	// A public key has no CKA_SIGN: either code says why it cannot sign.
	if rv := rvOf(p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), ecPub)); rv != pkcs11.CKR_KEY_TYPE_INCONSISTENT && rv != pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED {
		t.Errorf("C_SignInit(CKM_ECDSA) with a public key: got %s, want CKR_KEY_TYPE_INCONSISTENT or CKR_KEY_FUNCTION_NOT_PERMITTED", rvName(rv))
	}
	wantRV(t, "C_SignInit with an invalid key handle", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), badObject), pkcs11.CKR_KEY_HANDLE_INVALID)
	wantRV(t, "C_SignInit with an unknown mechanism", p11.SignInit(sh, mech(pkcs11.CKM_VENDOR_DEFINED|0x4242), ecPriv), pkcs11.CKR_MECHANISM_INVALID)
	wantRV(t, "C_SignInit with an encryption mechanism", p11.SignInit(sh, mech(pkcs11.CKM_AES_GCM), ecPriv), pkcs11.CKR_MECHANISM_INVALID)
	if rv := rvOf(p11.VerifyInit(sh, mech(pkcs11.CKM_ECDSA), ecPriv)); rv != pkcs11.CKR_KEY_TYPE_INCONSISTENT && rv != pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED {
		t.Errorf("C_VerifyInit(CKM_ECDSA) with a private key: got %s, want CKR_KEY_TYPE_INCONSISTENT or CKR_KEY_FUNCTION_NOT_PERMITTED", rvName(rv))
	}

	params := pkcs11.NewGCMParams(make([]byte, 12), nil, 128)
	wantRV(t, "C_EncryptInit with a CKA_ENCRYPT false key",
		p11.EncryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, aesKey), pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED)
	params.Free()

	_, err = p11.Sign(sh, h[:])
	wantRV(t, "C_Sign without C_SignInit", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	wantRV(t, "C_SignUpdate without C_SignInit", p11.SignUpdate(sh, h[:]), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	wantRV(t, "C_Verify without C_VerifyInit", p11.Verify(sh, h[:], make([]byte, 64)), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	_, err = p11.Digest(sh, h[:])
	wantRV(t, "C_Digest without C_DigestInit", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	_, err = p11.Encrypt(sh, h[:])
	wantRV(t, "C_Encrypt without C_EncryptInit", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)

	must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), ecPriv))
	wantRV(t, "C_SignInit twice", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), ecPriv), pkcs11.CKR_OPERATION_ACTIVE)
	// The first operation is still there and works.
	sig, err := p11.Sign(sh, h[:])
	must(t, "C_Sign after the refused second C_SignInit", err)
	if len(sig) != 64 {
		t.Errorf("P-256 signature of %d bytes", len(sig))
	}

	// Logged out, the private key handle is no longer valid (PKCS#11 3.0
	// section 5.6, C_Logout) and the key cannot be found.
	must(t, "C_Logout", p11.Logout(sh))
	wantRV(t, "C_SignInit with a private key handle after logout", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), ecPriv), pkcs11.CKR_KEY_HANDLE_INVALID)
	if hs := findAll(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)}); len(hs) != 0 {
		t.Errorf("logged out, C_FindObjects finds %d private keys", len(hs))
	}
	// The public key stays usable.
	must(t, "C_VerifyInit with the public key, logged out", p11.VerifyInit(sh, mech(pkcs11.CKM_ECDSA), ecPub))
	must(t, "C_Verify logged out", p11.Verify(sh, h[:], sig))

	// Generating a private key needs a login.
	rw := openRW(t, slot)
	_, _, err = p11.GenerateKeyPair(rw, mech(pkcs11.CKM_EC_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_EC_PARAMS, ecParams(t, curves[0].oid))},
		[]*pkcs11.Attribute{attr(pkcs11.CKA_SIGN, true)})
	wantRV(t, "C_GenerateKeyPair logged out", err, pkcs11.CKR_USER_NOT_LOGGED_IN)
}

// Sessions are independent: goroutines signing on their own sessions at
// the same time all get correct signatures (the module is thread-safe).
func TestConcurrentSigning(t *testing.T) {
	slot, sh := userSession(t)
	pub, priv := generateEC(t, sh, ecParams(t, curves[0].oid), false, "shared")
	goPub := parseECPoint(t, curves[0].curve, getAttr(t, sh, pub, pkcs11.CKA_EC_POINT))
	secret := []byte("a shared HMAC secret, 32 bytes.!") // SHA256_HMAC keys are at least 32 bytes (as SoftHSMv2)
	macKey := create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_VALUE, secret),
		attr(pkcs11.CKA_SIGN, true),
	})

	const workers, rounds = 8, 50
	errs := make(chan error, workers*rounds)
	done := make(chan struct{})
	for w := 0; w < workers; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			s, err := p11.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
			if err != nil {
				errs <- fmt.Errorf("C_OpenSession: %w", err)
				return
			}
			defer p11.CloseSession(s)
			for i := 0; i < rounds; i++ {
				msg := []byte(fmt.Sprintf("worker %d round %d", w, i))
				h := sha256.Sum256(msg)
				if err := p11.SignInit(s, mech(pkcs11.CKM_ECDSA), priv); err != nil {
					errs <- fmt.Errorf("C_SignInit(ECDSA): %w", err)
					return
				}
				sig, err := p11.Sign(s, h[:])
				if err != nil {
					errs <- fmt.Errorf("C_Sign(ECDSA): %w", err)
					return
				}
				n := len(sig) / 2
				if len(sig) != 64 || !ecdsa.Verify(goPub, h[:], new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
					errs <- fmt.Errorf("worker %d round %d: bad ECDSA signature", w, i)
				}
				if err := p11.SignInit(s, mech(pkcs11.CKM_SHA256_HMAC), macKey); err != nil {
					errs <- fmt.Errorf("C_SignInit(HMAC): %w", err)
					return
				}
				mac, err := p11.Sign(s, msg)
				if err != nil {
					errs <- fmt.Errorf("C_Sign(HMAC): %w", err)
					return
				}
				want := hmac.New(sha256.New, secret)
				want.Write(msg)
				if !bytes.Equal(mac, want.Sum(nil)) {
					errs <- fmt.Errorf("worker %d round %d: wrong HMAC", w, i)
				}
			}
		}()
	}
	for w := 0; w < workers; w++ {
		<-done
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

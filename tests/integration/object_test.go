package integration

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"github.com/miekg/pkcs11"
)

func TestCreateDataObjects(t *testing.T) {
	fresh(t)
	slot := newToken(t, "data")
	sh := openRW(t, slot) // public R/W session: public objects only

	for _, onToken := range []bool{false, true} {
		o := create(t, sh, dataTemplate("data-object",
			attr(pkcs11.CKA_TOKEN, onToken),
			attr(pkcs11.CKA_APPLICATION, "kagi tests"),
			attr(pkcs11.CKA_VALUE, []byte("hello, token")),
		))
		if got := getULong(t, sh, o, pkcs11.CKA_CLASS); got != pkcs11.CKO_DATA {
			t.Errorf("CKA_CLASS = %d, want CKO_DATA", got)
		}
		if got := getBool(t, sh, o, pkcs11.CKA_TOKEN); got != onToken {
			t.Errorf("CKA_TOKEN = %v, want %v", got, onToken)
		}
		if getBool(t, sh, o, pkcs11.CKA_PRIVATE) {
			t.Errorf("CKA_PRIVATE = true, want false as given")
		}
		for typ, want := range map[uint]string{
			pkcs11.CKA_LABEL:       "data-object",
			pkcs11.CKA_APPLICATION: "kagi tests",
			pkcs11.CKA_VALUE:       "hello, token",
		} {
			if got := string(getAttr(t, sh, o, typ)); got != want {
				t.Errorf("attribute 0x%x = %q, want %q", typ, got, want)
			}
		}
	}
}

// selfSignedCert makes a real X.509 certificate with crypto/x509.
func selfSignedCert(t *testing.T) *x509.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(t, "ecdsa.GenerateKey", err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(4242),
		Subject:      pkix.Name{CommonName: "kagi test", Organization: []string{"kagi"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	must(t, "x509.CreateCertificate", err)
	cert, err := x509.ParseCertificate(der)
	must(t, "x509.ParseCertificate", err)
	return cert
}

func TestCreateCertificate(t *testing.T) {
	fresh(t)
	slot := newToken(t, "certs")
	sh := openRW(t, slot) // not logged in: certificates are public by default
	cert := selfSignedCert(t)

	o := create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		attr(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		attr(pkcs11.CKA_TOKEN, true),
		attr(pkcs11.CKA_LABEL, "my cert"),
		attr(pkcs11.CKA_ID, []byte{1, 2, 3}),
		attr(pkcs11.CKA_SUBJECT, cert.RawSubject),
		attr(pkcs11.CKA_ISSUER, cert.RawIssuer),
		attr(pkcs11.CKA_VALUE, cert.Raw),
	})
	if getBool(t, sh, o, pkcs11.CKA_PRIVATE) {
		t.Errorf("certificate CKA_PRIVATE defaulted to true; certificates are public (as SoftHSMv2)")
	}
	if got := getULong(t, sh, o, pkcs11.CKA_CERTIFICATE_TYPE); got != pkcs11.CKC_X_509 {
		t.Errorf("CKA_CERTIFICATE_TYPE = %d, want CKC_X_509", got)
	}
	if got := getAttr(t, sh, o, pkcs11.CKA_VALUE); !bytes.Equal(got, cert.Raw) {
		t.Errorf("CKA_VALUE differs from the certificate's DER")
	} else if _, err := x509.ParseCertificate(got); err != nil {
		t.Errorf("CKA_VALUE does not parse: %v", err)
	}
	if got := getAttr(t, sh, o, pkcs11.CKA_SUBJECT); !bytes.Equal(got, cert.RawSubject) {
		t.Errorf("CKA_SUBJECT differs")
	}
	// Found before login, after a restart.
	reinit(t)
	sh = openRO(t, slot)
	o = findOne(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		attr(pkcs11.CKA_SUBJECT, cert.RawSubject),
	})
	if got := string(getAttr(t, sh, o, pkcs11.CKA_LABEL)); got != "my cert" {
		t.Errorf("CKA_LABEL after restart = %q", got)
	}
}

func TestCreateSecretKeys(t *testing.T) {
	_, sh := userSession(t)

	aesKey := bytes.Repeat([]byte{0x5a, 0xa5, 0x01, 0x02}, 8)
	o := create(t, sh, aesTemplate(aesKey))
	if got := getULong(t, sh, o, pkcs11.CKA_VALUE_LEN); got != 32 {
		t.Errorf("AES CKA_VALUE_LEN = %d, want 32", got)
	}
	if got, want := getAttr(t, sh, o, pkcs11.CKA_CHECK_VALUE), aesCheckValue(t, aesKey); !bytes.Equal(got, want) {
		t.Errorf("AES CKA_CHECK_VALUE = %x, want %x", got, want)
	}
	if got := getULong(t, sh, o, pkcs11.CKA_KEY_TYPE); got != pkcs11.CKK_AES {
		t.Errorf("CKA_KEY_TYPE = %d, want CKK_AES", got)
	}

	// Defaults of a created secret key (PKCS#11 3.0 sections 4.4-4.10;
	// where the spec leaves the choice to the token, SoftHSMv2's).
	bools := []struct {
		typ  uint
		name string
		want bool
	}{
		{pkcs11.CKA_TOKEN, "CKA_TOKEN", false},
		{pkcs11.CKA_PRIVATE, "CKA_PRIVATE", true},
		{pkcs11.CKA_MODIFIABLE, "CKA_MODIFIABLE", true},
		{pkcs11.CKA_COPYABLE, "CKA_COPYABLE", true},
		{pkcs11.CKA_DESTROYABLE, "CKA_DESTROYABLE", true},
		{pkcs11.CKA_DERIVE, "CKA_DERIVE", false},
		{pkcs11.CKA_SENSITIVE, "CKA_SENSITIVE", false},
		{pkcs11.CKA_EXTRACTABLE, "CKA_EXTRACTABLE", false},
		{pkcs11.CKA_LOCAL, "CKA_LOCAL", false},
		{pkcs11.CKA_ALWAYS_SENSITIVE, "CKA_ALWAYS_SENSITIVE", false},
		{pkcs11.CKA_NEVER_EXTRACTABLE, "CKA_NEVER_EXTRACTABLE", false},
	}
	for _, b := range bools {
		if got := getBool(t, sh, o, b.typ); got != b.want {
			t.Errorf("created AES key: %s = %v, want %v", b.name, got, b.want)
		}
	}
	if got := getAttr(t, sh, o, pkcs11.CKA_LABEL); len(got) != 0 {
		t.Errorf("default CKA_LABEL = %q, want empty", got)
	}
	if got := getAttr(t, sh, o, pkcs11.CKA_ID); len(got) != 0 {
		t.Errorf("default CKA_ID = %x, want empty", got)
	}
	if got := getULong(t, sh, o, pkcs11.CKA_KEY_GEN_MECHANISM); got != pkcs11.CK_UNAVAILABLE_INFORMATION {
		t.Errorf("created key: CKA_KEY_GEN_MECHANISM = 0x%x, want CK_UNAVAILABLE_INFORMATION", got)
	}

	// A generic secret of 20 bytes.
	g := create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_VALUE, bytes.Repeat([]byte{7}, 20)),
	})
	if got := getULong(t, sh, g, pkcs11.CKA_VALUE_LEN); got != 20 {
		t.Errorf("generic secret CKA_VALUE_LEN = %d, want 20", got)
	}
}

func TestImportRSAKeyAndSign(t *testing.T) {
	_, sh := userSession(t)
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, "rsa.GenerateKey", err)

	priv := create(t, sh, rsaPrivateTemplate(k, attr(pkcs11.CKA_SIGN, true)))
	pub := create(t, sh, rsaPublicTemplate(&k.PublicKey, attr(pkcs11.CKA_VERIFY, true)))
	if getBool(t, sh, pub, pkcs11.CKA_PRIVATE) {
		t.Errorf("public key CKA_PRIVATE defaulted to true; public keys are public (as SoftHSMv2)")
	}
	if got := getULong(t, sh, pub, pkcs11.CKA_MODULUS_BITS); got != 2048 {
		t.Errorf("imported public key: CKA_MODULUS_BITS = %d, want 2048", got)
	}
	if getBool(t, sh, priv, pkcs11.CKA_LOCAL) {
		t.Errorf("imported private key: CKA_LOCAL = true")
	}

	msg := []byte("signed by an imported RSA key")
	must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), priv))
	sig, err := p11.Sign(sh, msg)
	must(t, "C_Sign", err)
	h := sha256.Sum256(msg)
	if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, h[:], sig); err != nil {
		t.Errorf("rsa.VerifyPKCS1v15 rejects kagi's signature: %v", err)
	}
	must(t, "C_VerifyInit", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), pub))
	must(t, "C_Verify", p11.Verify(sh, msg, sig))
}

func TestImportECKeyAndSign(t *testing.T) {
	_, sh := userSession(t)
	for _, c := range curves {
		t.Run(c.name, func(t *testing.T) {
			k, err := ecdsa.GenerateKey(c.curve, rand.Reader)
			must(t, "ecdsa.GenerateKey", err)
			priv := create(t, sh, ecPrivateTemplate(t, c.oid, k, attr(pkcs11.CKA_SIGN, true)))
			pub := create(t, sh, ecPublicTemplate(t, c.oid, &k.PublicKey, attr(pkcs11.CKA_VERIFY, true)))

			h := sha256.Sum256([]byte("signed by an imported EC key"))
			must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), priv))
			sig, err := p11.Sign(sh, h[:])
			must(t, "C_Sign", err)
			r, s := ecdsaRS(t, c.curve, sig)
			if !ecdsa.Verify(&k.PublicKey, h[:], r, s) {
				t.Errorf("ecdsa.Verify rejects kagi's signature")
			}
			must(t, "C_VerifyInit", p11.VerifyInit(sh, mech(pkcs11.CKM_ECDSA), pub))
			must(t, "C_Verify", p11.Verify(sh, h[:], sig))
		})
	}
}

func TestCreateObjectTemplateErrors(t *testing.T) {
	slot, sh := userSession(t)
	key := bytes.Repeat([]byte{1}, 32)
	class4 := []byte{byte(pkcs11.CKO_DATA), 0, 0, 0} // CK_ULONG is 8 bytes here

	cases := []struct {
		name string
		tmpl []*pkcs11.Attribute
		want uint
	}{
		{"no CKA_CLASS", []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "x")}, pkcs11.CKR_TEMPLATE_INCOMPLETE},
		{"empty template", nil, pkcs11.CKR_TEMPLATE_INCOMPLETE},
		{"secret key without CKA_KEY_TYPE", []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_VALUE, key),
		}, pkcs11.CKR_TEMPLATE_INCOMPLETE},
		{"AES key without CKA_VALUE", []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		}, pkcs11.CKR_TEMPLATE_INCOMPLETE},
		{"certificate without CKA_CERTIFICATE_TYPE", []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE), attr(pkcs11.CKA_SUBJECT, []byte{0x30, 0}), attr(pkcs11.CKA_VALUE, []byte{0x30, 0}),
		}, pkcs11.CKR_TEMPLATE_INCOMPLETE},
		{"AES CKA_VALUE of 15 bytes", aesTemplate(key[:15]), pkcs11.CKR_ATTRIBUTE_VALUE_INVALID},
		{"CKA_CLASS of 4 bytes", []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, class4)}, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID},
		{"CKA_TOKEN of 2 bytes", dataTemplate("x", attr(pkcs11.CKA_TOKEN, []byte{1, 0})), pkcs11.CKR_ATTRIBUTE_VALUE_INVALID},
		{"unknown key type", []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, 0x7ffff), attr(pkcs11.CKA_VALUE, key),
		}, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID},
		{"unknown class", []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, 0x7ffff)}, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID},
		{"CKA_LOCAL given", aesTemplate(key, attr(pkcs11.CKA_LOCAL, true)), pkcs11.CKR_ATTRIBUTE_READ_ONLY},
		{"CKA_KEY_GEN_MECHANISM given", aesTemplate(key, attr(pkcs11.CKA_KEY_GEN_MECHANISM, pkcs11.CKM_AES_KEY_GEN)), pkcs11.CKR_ATTRIBUTE_READ_ONLY},
		{"CKA_ALWAYS_SENSITIVE given", aesTemplate(key, attr(pkcs11.CKA_ALWAYS_SENSITIVE, true)), pkcs11.CKR_ATTRIBUTE_READ_ONLY},
		{"CKA_NEVER_EXTRACTABLE given", aesTemplate(key, attr(pkcs11.CKA_NEVER_EXTRACTABLE, true)), pkcs11.CKR_ATTRIBUTE_READ_ONLY},
		// CKA_VALUE_LEN must not be given to C_CreateObject (footnote 2 of
		// the secret key tables).
		{"CKA_VALUE_LEN given (matching)", aesTemplate(key, attr(pkcs11.CKA_VALUE_LEN, 32)), pkcs11.CKR_ATTRIBUTE_READ_ONLY},
		{"CKA_LABEL twice, different values", dataTemplate("a", attr(pkcs11.CKA_LABEL, "b")), pkcs11.CKR_TEMPLATE_INCONSISTENT},
		{"CKA_MODULUS on a data object", dataTemplate("x", attr(pkcs11.CKA_MODULUS, []byte{1, 2, 3})), pkcs11.CKR_ATTRIBUTE_TYPE_INVALID},
	}
	for _, c := range cases {
		o, err := p11.CreateObject(sh, c.tmpl)
		wantRV(t, "C_CreateObject: "+c.name, err, c.want)
		if err == nil {
			_ = p11.DestroyObject(sh, o)
		}
	}
	// ...and a CKA_VALUE_LEN that contradicts CKA_VALUE is refused either
	// as read-only or as inconsistent (section 4.1.1 rules 3 and 5).
	_, err := p11.CreateObject(sh, aesTemplate(key, attr(pkcs11.CKA_VALUE_LEN, 16)))
	if rv := rvOf(err); rv != pkcs11.CKR_ATTRIBUTE_READ_ONLY && rv != pkcs11.CKR_TEMPLATE_INCONSISTENT {
		t.Errorf("C_CreateObject: CKA_VALUE_LEN 16 with a 32-byte CKA_VALUE: got %s, want CKR_ATTRIBUTE_READ_ONLY or CKR_TEMPLATE_INCONSISTENT", rvName(rv))
	}
	if hs := findAll(t, sh, nil); len(hs) != 0 {
		t.Errorf("refused C_CreateObject calls left %d objects", len(hs))
	}

	// Token objects need a R/W session.
	ro := openRO(t, slot)
	_, err = p11.CreateObject(ro, dataTemplate("x", attr(pkcs11.CKA_TOKEN, true)))
	wantRV(t, "C_CreateObject(token object) in a R/O session", err, pkcs11.CKR_SESSION_READ_ONLY)
	// ...session objects do not.
	create(t, ro, dataTemplate("session object in a R/O session"))

	// Private objects need a logged-in user.
	must(t, "C_Logout", p11.Logout(sh))
	_, err = p11.CreateObject(sh, privateDataTemplate("x"))
	wantRV(t, "C_CreateObject(private data) logged out", err, pkcs11.CKR_USER_NOT_LOGGED_IN)
	_, err = p11.CreateObject(sh, aesTemplate(key))
	wantRV(t, "C_CreateObject(AES key, private by default) logged out", err, pkcs11.CKR_USER_NOT_LOGGED_IN)
	create(t, sh, dataTemplate("public data while logged out"))
}

func TestDestroyObject(t *testing.T) {
	_, sh := userSession(t)
	for _, onToken := range []bool{false, true} {
		o := create(t, sh, dataTemplate("doomed", attr(pkcs11.CKA_TOKEN, onToken)))
		must(t, "C_DestroyObject", p11.DestroyObject(sh, o))
		_, err := p11.GetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, nil)})
		wantRV(t, "C_GetAttributeValue on a destroyed object", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
		wantRV(t, "C_DestroyObject twice", p11.DestroyObject(sh, o), pkcs11.CKR_OBJECT_HANDLE_INVALID)
	}
	if hs := findAll(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "doomed")}); len(hs) != 0 {
		t.Errorf("destroyed objects still found: %v", hs)
	}

	o := create(t, sh, dataTemplate("keeper", attr(pkcs11.CKA_DESTROYABLE, false)))
	wantRV(t, "C_DestroyObject with CKA_DESTROYABLE false", p11.DestroyObject(sh, o), pkcs11.CKR_ACTION_PROHIBITED)
	if got := string(getAttr(t, sh, o, pkcs11.CKA_LABEL)); got != "keeper" {
		t.Errorf("undestroyable object damaged: label %q", got)
	}
}

func TestCopyObject(t *testing.T) {
	_, sh := userSession(t)
	orig := create(t, sh, dataTemplate("original", attr(pkcs11.CKA_VALUE, []byte("payload"))))

	cp, err := p11.CopyObject(sh, orig, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "copy")})
	must(t, "C_CopyObject", err)
	if cp == orig {
		t.Fatalf("C_CopyObject returned the original's handle")
	}
	if got := string(getAttr(t, sh, cp, pkcs11.CKA_LABEL)); got != "copy" {
		t.Errorf("copy's CKA_LABEL = %q, want \"copy\"", got)
	}
	if got := string(getAttr(t, sh, cp, pkcs11.CKA_VALUE)); got != "payload" {
		t.Errorf("copy's CKA_VALUE = %q, want \"payload\"", got)
	}
	if got := string(getAttr(t, sh, orig, pkcs11.CKA_LABEL)); got != "original" {
		t.Errorf("original's CKA_LABEL changed to %q", got)
	}

	// A copy may move to the token (CKA_TOKEN may change in a copy).
	tok, err := p11.CopyObject(sh, orig, []*pkcs11.Attribute{attr(pkcs11.CKA_TOKEN, true)})
	must(t, "C_CopyObject to a token object", err)
	if !getBool(t, sh, tok, pkcs11.CKA_TOKEN) {
		t.Errorf("copy with CKA_TOKEN true is a session object")
	}

	// A key copy keeps its value.
	key := bytes.Repeat([]byte{3}, 16)
	k := create(t, sh, aesTemplate(key))
	kc, err := p11.CopyObject(sh, k, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "key copy")})
	must(t, "C_CopyObject(AES key)", err)
	if got := getAttr(t, sh, kc, pkcs11.CKA_CHECK_VALUE); !bytes.Equal(got, aesCheckValue(t, key)) {
		t.Errorf("copied key's CKA_CHECK_VALUE = %x, want %x", got, aesCheckValue(t, key))
	}

	nocopy := create(t, sh, dataTemplate("no copies", attr(pkcs11.CKA_COPYABLE, false)))
	_, err = p11.CopyObject(sh, nocopy, nil)
	wantRV(t, "C_CopyObject with CKA_COPYABLE false", err, pkcs11.CKR_ACTION_PROHIBITED)
	_, err = p11.CopyObject(sh, badObject, nil)
	wantRV(t, "C_CopyObject of an invalid handle", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
}

func TestGetObjectSize(t *testing.T) {
	_, sh := userSession(t)
	small := create(t, sh, dataTemplate("s", attr(pkcs11.CKA_VALUE, []byte("x"))))
	big := create(t, sh, dataTemplate("b", attr(pkcs11.CKA_VALUE, bytes.Repeat([]byte("x"), 4096))))
	ss, err := p11.GetObjectSize(sh, small)
	must(t, "C_GetObjectSize", err)
	bs, err := p11.GetObjectSize(sh, big)
	must(t, "C_GetObjectSize", err)
	if ss == 0 || bs == 0 {
		t.Errorf("C_GetObjectSize = %d, %d; want non-zero sizes", ss, bs)
	}
	if ss != pkcs11.CK_UNAVAILABLE_INFORMATION && bs != pkcs11.CK_UNAVAILABLE_INFORMATION && bs < ss+4000 {
		t.Errorf("C_GetObjectSize: 4 KiB value gives %d bytes, 1-byte value %d", bs, ss)
	}
	_, err = p11.GetObjectSize(sh, badObject)
	wantRV(t, "C_GetObjectSize(invalid)", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
}

// Session objects belong to their session: other sessions of the
// application see them while it lives, and they vanish when it closes.
func TestSessionObjectLifetime(t *testing.T) {
	slot, a := userSession(t)
	b := openRW(t, slot)

	o := create(t, a, dataTemplate("ephemeral", attr(pkcs11.CKA_VALUE, []byte("v"))))
	if got := string(getAttr(t, b, o, pkcs11.CKA_LABEL)); got != "ephemeral" {
		t.Errorf("other session reads CKA_LABEL %q", got)
	}
	if hs := findAll(t, b, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "ephemeral")}); len(hs) != 1 || hs[0] != o {
		t.Errorf("other session finds %v, want [%d]", hs, o)
	}
	tok := create(t, a, dataTemplate("lasting", attr(pkcs11.CKA_TOKEN, true)))

	must(t, "C_CloseSession(a)", p11.CloseSession(a))
	_, err := p11.GetAttributeValue(b, o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, nil)})
	wantRV(t, "C_GetAttributeValue on a session object of a closed session", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
	if hs := findAll(t, b, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "ephemeral")}); len(hs) != 0 {
		t.Errorf("session object of a closed session still found: %v", hs)
	}
	if got := string(getAttr(t, b, tok, pkcs11.CKA_LABEL)); got != "lasting" {
		t.Errorf("token object after its creating session closed: label %q", got)
	}
}

// Private session objects are destroyed at logout (PKCS#11 3.0 section
// 5.6, C_Logout); handles to private objects become invalid.
func TestLogoutInvalidatesPrivateObjects(t *testing.T) {
	_, sh := userSession(t)
	privSession := create(t, sh, privateDataTemplate("p"))
	privToken := create(t, sh, privateDataTemplate("p", attr(pkcs11.CKA_TOKEN, true)))
	pubSession := create(t, sh, dataTemplate("q"))

	must(t, "C_Logout", p11.Logout(sh))
	for _, o := range []pkcs11.ObjectHandle{privSession, privToken} {
		_, err := p11.GetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, nil)})
		wantRV(t, "C_GetAttributeValue on a private object after logout", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
	}
	if got := string(getAttr(t, sh, pubSession, pkcs11.CKA_LABEL)); got != "q" {
		t.Errorf("public session object after logout: label %q", got)
	}

	// The private session object is gone; the token object is found again.
	login(t, sh, pkcs11.CKU_USER, userPIN)
	hs := findAll(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "p")})
	if len(hs) != 1 {
		t.Fatalf("after logging in again: %d objects labelled p, want 1 (the token object)", len(hs))
	}
	if !getBool(t, sh, hs[0], pkcs11.CKA_TOKEN) {
		t.Errorf("the private session object survived logout")
	}
	// "...even if a user is later logged back into the token, those handles
	// remain invalid."
	_, err := p11.GetAttributeValue(sh, privToken, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, nil)})
	wantRV(t, "C_GetAttributeValue on a pre-logout handle after logging in again", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
}

// The SO works with public objects only (PKCS#11 3.0 section 2.6.7, "R/W SO
// Functions": read/write access to public objects only).
func TestSOSeesPublicObjectsOnly(t *testing.T) {
	slot, sh := userSession(t)
	create(t, sh, privateDataTemplate("user's", attr(pkcs11.CKA_TOKEN, true)))
	create(t, sh, dataTemplate("everyone's", attr(pkcs11.CKA_TOKEN, true)))
	must(t, "C_CloseSession", p11.CloseSession(sh))

	so := openRW(t, slot)
	login(t, so, pkcs11.CKU_SO, soPIN)
	hs := findAll(t, so, nil)
	if len(hs) != 1 || string(getAttr(t, so, hs[0], pkcs11.CKA_LABEL)) != "everyone's" {
		t.Errorf("the SO finds %d objects, want only the public one", len(hs))
	}
	_, err := p11.CreateObject(so, privateDataTemplate("so's"))
	wantRV(t, "C_CreateObject(private) as the SO", err, pkcs11.CKR_USER_NOT_LOGGED_IN)
	create(t, so, dataTemplate("so's public", attr(pkcs11.CKA_TOKEN, true)))
}

// CKK_EC_EDWARDS keys can be imported (PKCS#11 3.0 current mechanisms
// sections 2.3.5 and 2.3.6): CKA_EC_PARAMS names the curve as the
// PrintableString "edwards25519" (3.0) or the OID id-Ed25519 1.3.101.112
// (RFC 8410, accepted by SoftHSMv2 and 3.1); CKA_EC_POINT is the DER OCTET
// STRING of the RFC 8032 public key; CKA_VALUE the RFC 8032 private key.
func TestCreateEdwardsKeys(t *testing.T) {
	_, sh := userSession(t)
	const ckkECEdwards = 0x40 // CKK_EC_EDWARDS, not in miekg's constants
	pubKey, privKey, err := ed25519.GenerateKey(rand.Reader)
	must(t, "ed25519.GenerateKey", err)
	byName, err := asn1.MarshalWithParams("edwards25519", "printable")
	must(t, "asn1.Marshal", err)
	point, err := asn1.Marshal([]byte(pubKey))
	must(t, "asn1.Marshal", err)

	for _, c := range []struct {
		name   string
		params []byte
	}{
		{"curve name", byName},
		{"OID", ecParams(t, asn1.ObjectIdentifier{1, 3, 101, 112})},
	} {
		t.Run(c.name, func(t *testing.T) {
			pub := create(t, sh, []*pkcs11.Attribute{
				attr(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
				attr(pkcs11.CKA_KEY_TYPE, ckkECEdwards),
				attr(pkcs11.CKA_EC_PARAMS, c.params),
				attr(pkcs11.CKA_EC_POINT, point),
			})
			priv := create(t, sh, []*pkcs11.Attribute{
				attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
				attr(pkcs11.CKA_KEY_TYPE, ckkECEdwards),
				attr(pkcs11.CKA_EC_PARAMS, c.params),
				attr(pkcs11.CKA_VALUE, privKey.Seed()),
			})
			for _, o := range []pkcs11.ObjectHandle{pub, priv} {
				if got := getULong(t, sh, o, pkcs11.CKA_KEY_TYPE); got != ckkECEdwards {
					t.Errorf("CKA_KEY_TYPE = 0x%x, want CKK_EC_EDWARDS", got)
				}
				if got := getAttr(t, sh, o, pkcs11.CKA_EC_PARAMS); !bytes.Equal(got, c.params) {
					t.Errorf("CKA_EC_PARAMS = %x, want %x", got, c.params)
				}
			}
			if got := getAttr(t, sh, pub, pkcs11.CKA_EC_POINT); !bytes.Equal(got, point) {
				t.Errorf("CKA_EC_POINT = %x, want %x", got, point)
			}
			_, err = p11.GetAttributeValue(sh, priv, []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE, nil)})
			wantRV(t, "C_GetAttributeValue(CKA_VALUE) of an unextractable Ed25519 key", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)

			// A 31-byte private key is no Ed25519 key.
			_, err = p11.CreateObject(sh, []*pkcs11.Attribute{
				attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
				attr(pkcs11.CKA_KEY_TYPE, ckkECEdwards),
				attr(pkcs11.CKA_EC_PARAMS, c.params),
				attr(pkcs11.CKA_VALUE, privKey.Seed()[:31]),
			})
			wantRV(t, "C_CreateObject(Ed25519 key of 31 bytes)", err, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID)
		})
	}
}

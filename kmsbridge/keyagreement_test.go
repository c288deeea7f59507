package kmsbridge

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"slices"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// agreementCurves are the KEY_AGREEMENT key specs with crypto/ecdh's curve
// and the shared secret's length (the field size).
var agreementCurves = []struct {
	spec  string
	curve ecdh.Curve
	size  int
}{
	{"ECC_NIST_P256", ecdh.P256(), 32},
	{"ECC_NIST_P384", ecdh.P384(), 48},
	{"ECC_NIST_P521", ecdh.P521(), 66},
}

// peerKey makes a peer's key pair on curve with crypto/ecdh and answers it
// with its public key as DER SubjectPublicKeyInfo.
func peerKey(t *testing.T, curve ecdh.Curve) (*ecdh.PrivateKey, []byte) {
	t.Helper()
	k, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(k.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return k, spki
}

// stdSecret is the shared secret the peer computes with crypto/ecdh from
// its private key and the KMS key's public key from GetPublicKey.
func stdSecret(t *testing.T, b *Bridge, keyID string, peer *ecdh.PrivateKey) []byte {
	t.Helper()
	pub, ok := publicKey(t, b, keyID).(*ecdsa.PublicKey)
	if !ok {
		t.Fatal("GetPublicKey did not give an EC key")
	}
	e, err := pub.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	z, err := peer.ECDH(e)
	if err != nil {
		t.Fatal(err)
	}
	return z
}

// TestDeriveSharedSecretEveryCurve: on each curve, the secret KMS derives
// with the peer's public key is the one the peer derives with crypto/ecdh
// and GetPublicKey's key; the metadata names ECDH and no other algorithm;
// the session object the secret went through is gone afterwards.
func TestDeriveSharedSecretEveryCurve(t *testing.T) {
	b, _, _ := newBridge(t)
	for _, c := range agreementCurves {
		t.Run(c.spec, func(t *testing.T) {
			md := mustCreateSpec(t, b, c.spec, KeyUsageKeyAgreement)
			if md.KeyUsage != KeyUsageKeyAgreement || !slices.Equal(md.KeyAgreementAlgorithms, []string{"ECDH"}) ||
				md.SigningAlgorithms != nil || md.EncryptionAlgorithms != nil || md.MacAlgorithms != nil {
				t.Fatalf("CreateKey metadata: %+v", md)
			}
			if d := describe(t, b, md.KeyId); !slices.Equal(d.KeyAgreementAlgorithms, []string{"ECDH"}) || d.SigningAlgorithms != nil {
				t.Fatalf("DescribeKey metadata: %+v", d)
			}
			gp, err := b.GetPublicKey(bg, &GetPublicKeyRequest{KeyId: md.KeyId})
			if err != nil || !slices.Equal(gp.KeyAgreementAlgorithms, []string{"ECDH"}) || gp.SigningAlgorithms != nil ||
				gp.EncryptionAlgorithms != nil || gp.KeyUsage != KeyUsageKeyAgreement || gp.KeySpec != c.spec {
				t.Fatalf("GetPublicKey: %+v %v", gp, err)
			}
			stored := countObjects(t, b, true)
			for i := 0; i < 2; i++ { // a second peer: a second, different secret
				peer, spki := peerKey(t, c.curve)
				out, err := b.DeriveSharedSecret(bg, &DeriveSharedSecretRequest{KeyId: md.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: spki})
				if err != nil {
					t.Fatal(err)
				}
				if out.KeyId != md.Arn || out.KeyAgreementAlgorithm != "ECDH" || out.KeyOrigin != OriginAWSKMS {
					t.Fatalf("response: KeyId %q algorithm %q origin %q", out.KeyId, out.KeyAgreementAlgorithm, out.KeyOrigin)
				}
				if len(out.SharedSecret) != c.size {
					t.Fatalf("shared secret of %d bytes, want %d", len(out.SharedSecret), c.size)
				}
				if want := stdSecret(t, b, md.KeyId, peer); !bytes.Equal(out.SharedSecret, want) {
					t.Fatal("the shared secret differs from crypto/ecdh's")
				}
			}
			if n := countObjects(t, b, false); n != 0 {
				t.Fatalf("%d session objects left on the token", n)
			}
			if n := countObjects(t, b, true); n != stored {
				t.Fatalf("%d token objects after DeriveSharedSecret, %d before", n, stored)
			}
		})
	}
}

// TestKeyAgreementKeyOnToken: the private key of a KEY_AGREEMENT key only
// derives (no sign, no decrypt), sensitive and unextractable; its public
// key object neither verifies nor encrypts.
func TestKeyAgreementKeyOnToken(t *testing.T) {
	b, l, _ := newBridge(t)
	md := mustCreateSpec(t, b, "ECC_NIST_P384", KeyUsageKeyAgreement)
	withUserSession(t, b, l, func(sh ck.SessionHandle) {
		check := func(h ck.ObjectHandle, what string, types []ck.AttributeType, want []bool) {
			t.Helper()
			vs, err := l.GetAttributeValue(sh, h, types)
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range want {
				if !bytes.Equal(vs[i].Value, ck.BoolBytes(w)) {
					t.Fatalf("%s attribute %v is %x, want %v", what, types[i], vs[i].Value, w)
				}
			}
		}
		check(findLabelled(t, l, sh, md.KeyId, ck.CKO_PRIVATE_KEY), "private key",
			[]ck.AttributeType{ck.CKA_DERIVE, ck.CKA_SIGN, ck.CKA_DECRYPT, ck.CKA_UNWRAP, ck.CKA_SENSITIVE, ck.CKA_EXTRACTABLE, ck.CKA_TOKEN},
			[]bool{true, false, false, false, true, false, true})
		check(findLabelled(t, l, sh, md.KeyId, ck.CKO_PUBLIC_KEY), "public key",
			[]ck.AttributeType{ck.CKA_VERIFY, ck.CKA_ENCRYPT, ck.CKA_WRAP, ck.CKA_DERIVE},
			[]bool{false, false, false, false})
	})
}

// offCurve is a P-256 SubjectPublicKeyInfo whose point is not on the curve.
func offCurve(t *testing.T) []byte {
	t.Helper()
	_, spki := peerKey(t, ecdh.P256())
	bad := bytes.Clone(spki)
	bad[len(bad)-1] ^= 1 // y's last bit: (x, y^1) is not on the curve
	return bad
}

// TestDeriveSharedSecretErrors: each bad request gets AWS's error code, and
// none leaves an object behind.
func TestDeriveSharedSecretErrors(t *testing.T) {
	b, _, _ := newBridge(t)
	p256 := mustCreateSpec(t, b, "ECC_NIST_P256", KeyUsageKeyAgreement).KeyId
	signing := mustCreateSpec(t, b, "ECC_NIST_P256", KeyUsageSignVerify).KeyId
	rsaKey := mustCreateSpec(t, b, "RSA_2048", KeyUsageEncryptDecrypt).KeyId
	hmacKey := mustCreateSpec(t, b, "HMAC_256", KeyUsageGenerateVerifyMac).KeyId
	sym := mustCreate(t, b, "sym").KeyId
	disabled := mustCreateSpec(t, b, "ECC_NIST_P256", KeyUsageKeyAgreement).KeyId
	wantOK(t, b.DisableKey(bg, &DisableKeyRequest{KeyId: disabled}))
	pending := mustCreateSpec(t, b, "ECC_NIST_P256", KeyUsageKeyAgreement).KeyId
	if _, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: pending, PendingWindowInDays: i32(7)}); err != nil {
		t.Fatal(err)
	}
	external := createExternal(t, b, "ECC_NIST_P256", KeyUsageKeyAgreement).KeyId
	_, good := peerKey(t, ecdh.P256())
	_, p384 := peerKey(t, ecdh.P384())
	rsaPeer, _ := rsa.GenerateKey(rand.Reader, 1024)
	rsaSPKI, _ := x509.MarshalPKIXPublicKey(&rsaPeer.PublicKey)
	stored := countObjects(t, b, true)

	req := func(keyID string, spki []byte) DeriveSharedSecretRequest {
		return DeriveSharedSecretRequest{KeyId: keyID, KeyAgreementAlgorithm: "ECDH", PublicKey: spki}
	}
	with := func(r DeriveSharedSecretRequest, f func(*DeriveSharedSecretRequest)) DeriveSharedSecretRequest {
		f(&r)
		return r
	}
	for _, c := range []struct {
		name string
		req  DeriveSharedSecretRequest
		code string
	}{
		{"no algorithm", with(req(p256, good), func(r *DeriveSharedSecretRequest) { r.KeyAgreementAlgorithm = "" }), CodeValidation},
		{"unknown algorithm", with(req(p256, good), func(r *DeriveSharedSecretRequest) { r.KeyAgreementAlgorithm = "ECDHE" }), CodeValidation},
		{"no public key", req(p256, nil), CodeValidation},
		{"public key too long", req(p256, make([]byte, 8193)), CodeValidation},
		{"recipient", with(req(p256, good), func(r *DeriveSharedSecretRequest) {
			r.Recipient = []byte(`{"AttestationDocument":"AAAA","KeyEncryptionAlgorithm":"RSAES_OAEP_SHA_256"}`)
		}), CodeUnsupportedOperation},
		{"no key", req("", good), CodeValidation},
		{"unknown key", req("11111111-2222-3333-4444-555555555555", good), CodeNotFound},
		{"unknown alias", req("alias/none", good), CodeNotFound},
		{"signing key", req(signing, good), CodeInvalidKeyUsage},
		{"RSA key", req(rsaKey, good), CodeInvalidKeyUsage},
		{"HMAC key", req(hmacKey, good), CodeInvalidKeyUsage},
		{"symmetric key", req(sym, good), CodeInvalidKeyUsage},
		{"disabled", req(disabled, good), CodeDisabled},
		{"pending deletion", req(pending, good), CodeKMSInvalidState},
		{"pending import", req(external, good), CodeKMSInvalidState},
		{"peer on P-384", req(p256, p384), CodeValidation},
		{"RSA peer", req(p256, rsaSPKI), CodeValidation},
		{"point off the curve", req(p256, offCurve(t)), CodeValidation},
		{"not DER", req(p256, []byte("not a public key")), CodeValidation},
		{"trailing bytes", req(p256, append(bytes.Clone(good), 0)), CodeValidation},
		{"bare point", req(p256, good[len(good)-65:]), CodeValidation},
		{"dry run", with(req(p256, good), func(r *DeriveSharedSecretRequest) { r.DryRun = true }), CodeDryRunOperation},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := b.DeriveSharedSecret(bg, &c.req)
			wantCode(t, err, c.code)
			if out != nil {
				t.Fatalf("a response with the error: %+v", out)
			}
		})
	}
	// A null Recipient is no recipient.
	if _, err := b.DeriveSharedSecret(bg, &DeriveSharedSecretRequest{KeyId: p256, KeyAgreementAlgorithm: "ECDH", PublicKey: good, Recipient: []byte("null")}); err != nil {
		t.Fatal(err)
	}
	if n := countObjects(t, b, false); n != 0 {
		t.Fatalf("%d session objects left on the token", n)
	}
	if n := countObjects(t, b, true); n != stored {
		t.Fatalf("%d token objects after the refusals, %d before", n, stored)
	}

	// A KEY_AGREEMENT key does nothing else.
	_, err := b.Sign(bg, &SignRequest{KeyId: p256, Message: []byte("m"), SigningAlgorithm: "ECDSA_SHA_256"})
	wantCode(t, err, CodeInvalidKeyUsage)
	_, err = b.Encrypt(bg, &EncryptRequest{KeyId: p256, Plaintext: []byte("m"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
	wantCode(t, err, CodeInvalidKeyUsage)
	_, err = b.GenerateMac(bg, &GenerateMacRequest{KeyId: p256, Message: []byte("m"), MacAlgorithm: "HMAC_SHA_256"})
	wantCode(t, err, CodeInvalidKeyUsage)
}

// TestCreateKeyAgreementRejects: KEY_AGREEMENT is for the NIST curves (and
// SM2, which kagi lacks) only, as AWS allows it.
func TestCreateKeyAgreementRejects(t *testing.T) {
	b, _, _ := newBridge(t)
	for _, c := range []struct {
		spec, code string
	}{
		{"RSA_2048", CodeValidation},
		{"HMAC_256", CodeValidation},
		{"SYMMETRIC_DEFAULT", CodeValidation},
		{"ECC_SECG_P256K1", CodeValidation},
		{"SM2", CodeUnsupportedOperation},
	} {
		_, err := b.CreateKey(bg, &CreateKeyRequest{KeySpec: c.spec, KeyUsage: KeyUsageKeyAgreement})
		if err == nil {
			t.Fatalf("CreateKey %s KEY_AGREEMENT succeeded", c.spec)
		}
		wantCode(t, err, c.code)
	}
	if l, _ := b.ListKeys(bg, &ListKeysRequest{}); len(l.Keys) != 0 {
		t.Fatalf("a refused CreateKey left keys: %+v", l.Keys)
	}
}

// TestImportKeyAgreement: a P-256 private key made by Go, imported into an
// EXTERNAL KEY_AGREEMENT key, derives the secret crypto/ecdh computes from
// that very private key and the peer's public key; KeyOrigin is EXTERNAL.
func TestImportKeyAgreement(t *testing.T) {
	b, _, _ := newBridge(t)
	mine, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(mine)
	if err != nil {
		t.Fatal(err)
	}
	md := createExternal(t, b, "ECC_NIST_P256", KeyUsageKeyAgreement)
	const alg = "RSA_AES_KEY_WRAP_SHA_256"
	p := params(t, b, md.KeyId, alg, "RSA_2048")
	wantOK(t, importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, alg, pkcs8), nil))

	peer, spki := peerKey(t, ecdh.P256())
	out, err := b.DeriveSharedSecret(bg, &DeriveSharedSecretRequest{KeyId: md.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: spki})
	if err != nil {
		t.Fatal(err)
	}
	myECDH, err := mine.ECDH()
	if err != nil {
		t.Fatal(err)
	}
	want, err := myECDH.ECDH(peer.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.SharedSecret, want) || out.KeyOrigin != OriginExternal {
		t.Fatalf("imported key: secret matches %v, KeyOrigin %q", bytes.Equal(out.SharedSecret, want), out.KeyOrigin)
	}
	if d := describe(t, b, md.KeyId); !slices.Equal(d.KeyAgreementAlgorithms, []string{"ECDH"}) {
		t.Fatalf("DescribeKey: %+v", d)
	}
}

// TestGrantDeriveSharedSecret: another principal derives only through a
// grant for DeriveSharedSecret, and such a grant fits only KEY_AGREEMENT
// keys, which take no other grant operation of use.
func TestGrantDeriveSharedSecret(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	md := mustCreateSpec(t, b, "ECC_NIST_P521", KeyUsageKeyAgreement)
	peer, spki := peerKey(t, ecdh.P521())
	in := &DeriveSharedSecretRequest{KeyId: md.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: spki}

	_, err := b.DeriveSharedSecret(asBob, in)
	wantCode(t, err, CodeAccessDenied)
	g := mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, Operations: []string{"DeriveSharedSecret", "GetPublicKey"}})
	out, err := b.DeriveSharedSecret(asBob, in)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.SharedSecret, stdSecret(t, b, md.KeyId, peer)) {
		t.Fatal("the grantee's shared secret differs from crypto/ecdh's")
	}
	withToken := *in
	withToken.GrantTokens = []string{g.GrantToken}
	_, err = b.DeriveSharedSecret(asBob, &withToken)
	wantOK(t, err)
	if _, err := b.GetPublicKey(asBob, &GetPublicKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	// Not carol; not a dry run for carol either.
	_, err = b.DeriveSharedSecret(asCarol, in)
	wantCode(t, err, CodeAccessDenied)
	dry := *in
	dry.DryRun = true
	_, err = b.DeriveSharedSecret(asCarol, &dry)
	wantCode(t, err, CodeAccessDenied)
	_, err = b.DeriveSharedSecret(asBob, &dry)
	wantCode(t, err, CodeDryRunOperation)

	// Operations that do not fit the key are refused at CreateGrant.
	_, err = b.CreateGrant(bg, &CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, Operations: []string{"Sign"}})
	wantCode(t, err, CodeValidation)
	signing := mustCreateSpec(t, b, "ECC_NIST_P256", KeyUsageSignVerify)
	_, err = b.CreateGrant(bg, &CreateGrantRequest{KeyId: signing.KeyId, GranteePrincipal: bobARN, Operations: []string{"DeriveSharedSecret"}})
	wantCode(t, err, CodeValidation)

	// Revoked, it allows nothing.
	wantOK(t, b.RevokeGrant(bg, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: g.GrantId}))
	_, err = b.DeriveSharedSecret(asBob, in)
	wantCode(t, err, CodeAccessDenied)
}

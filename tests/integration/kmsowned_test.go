package integration

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/kagi-hsm/kagi/kmsbridge"
	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
	"github.com/miekg/pkcs11"
)

// TestKMSObjectsAreOwnedByTheBridge: the KMS bridge's objects (key
// metadata, backing keys, key pairs) are visible to a PKCS#11 client
// through libkagi.so and usable as their attributes allow — a KMS signing
// key signs, and the signature verifies with GetPublicKey's key — but the
// client cannot change, copy or destroy them: CKR_ACTION_PROHIBITED. The
// KMS keys work unchanged afterwards.
func TestKMSObjectsAreOwnedByTheBridge(t *testing.T) {
	db := useDB(t, t.TempDir())
	initialize(t)
	newToken(t, "kms")
	must(t, "C_Finalize", p11.Finalize())

	// The bridge, in this process through the token's Go API, as kagi
	// serve runs it.
	ctx := context.Background()
	cfg := kmsbridge.Config{Region: "eu-west-1", Account: "111122223333", TokenLabel: "kms", PIN: userPIN, Sessions: 2}
	bridge := func() (*kmsbridge.Bridge, *token.Library) {
		lib, err := token.New(token.Config{DBPath: db, Iterations: pbkdf2Iterations, MaxPINFailures: maxPINFailures})
		must(t, "token.New", err)
		b, err := kmsbridge.Open(lib, cfg)
		must(t, "kmsbridge.Open", err)
		return b, lib
	}
	b, lib := bridge()
	sym, err := b.CreateKey(ctx, &kmsbridge.CreateKeyRequest{Description: "symmetric"})
	must(t, "CreateKey", err)
	sig, err := b.CreateKey(ctx, &kmsbridge.CreateKeyRequest{KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY"})
	must(t, "CreateKey(ECC_NIST_P256)", err)
	pubOut, err := b.GetPublicKey(ctx, &kmsbridge.GetPublicKeyRequest{KeyId: sig.KeyMetadata.KeyId})
	must(t, "GetPublicKey", err)
	must(t, "Bridge.Close", b.Close())
	must(t, "Finalize", lib.Finalize())

	// A PKCS#11 client.
	must(t, "C_Initialize", p11.Initialize())
	sh := openRW(t, slotByLabel(t, "kms"))
	login(t, sh, pkcs11.CKU_USER, userPIN)
	symID, sigID := sym.KeyMetadata.KeyId, sig.KeyMetadata.KeyId
	objects := map[string]pkcs11.ObjectHandle{
		"key metadata": findOne(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
			attr(pkcs11.CKA_APPLICATION, "kagi-kms/key"), attr(pkcs11.CKA_LABEL, symID)}),
		"backing key": findOne(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_LABEL, symID)}),
		"private key": findOne(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), attr(pkcs11.CKA_LABEL, sigID)}),
		"public key":  findOne(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY), attr(pkcs11.CKA_LABEL, sigID)}),
	}
	owner := uint(ck.CKA_KAGI_OWNER)
	for name, o := range objects {
		if got := string(getAttr(t, sh, o, owner)); got != kmsbridge.Owner {
			t.Errorf("%s: CKA_KAGI_OWNER %q, want %q", name, got, kmsbridge.Owner)
		}
		wantRV(t, name+": C_SetAttributeValue(CKA_LABEL)", p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "taken")}), pkcs11.CKR_ACTION_PROHIBITED)
		_, err := p11.CopyObject(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "copy")})
		wantRV(t, name+": C_CopyObject", err, pkcs11.CKR_ACTION_PROHIBITED)
		wantRV(t, name+": C_DestroyObject", p11.DestroyObject(sh, o), pkcs11.CKR_ACTION_PROHIBITED)
	}
	wantRV(t, "metadata: C_SetAttributeValue(CKA_VALUE)",
		p11.SetAttributeValue(sh, objects["key metadata"], []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE, `{"KeyState":"Enabled"}`)}), pkcs11.CKR_ACTION_PROHIBITED)
	// Nor can a client plant an object that claims the bridge as owner.
	_, err = p11.CreateObject(sh, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA), attr(pkcs11.CKA_TOKEN, true),
		attr(pkcs11.CKA_APPLICATION, "kagi-kms/key"), attr(owner, kmsbridge.Owner)})
	wantRV(t, "C_CreateObject with CKA_KAGI_OWNER", err, pkcs11.CKR_ATTRIBUTE_READ_ONLY)

	// Use is allowed: the KMS key's private key signs through the module.
	digest := sha256.Sum256([]byte("signed through PKCS#11"))
	must(t, "C_SignInit", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), objects["private key"]))
	rs, err := p11.Sign(sh, digest[:])
	must(t, "C_Sign", err)
	pub, err := x509.ParsePKIXPublicKey(pubOut.PublicKey)
	must(t, "parsing GetPublicKey's key", err)
	ecPub, ok := pub.(*ecdsa.PublicKey)
	if !ok || len(rs) != 64 {
		t.Fatalf("public key %T, signature of %d bytes", pub, len(rs))
	}
	if !ecdsa.Verify(ecPub, digest[:], new(big.Int).SetBytes(rs[:32]), new(big.Int).SetBytes(rs[32:])) {
		t.Fatal("the module's signature does not verify with GetPublicKey's key")
	}
	must(t, "C_Finalize", p11.Finalize())

	// The bridge finds its keys as they were.
	b, lib = bridge()
	defer lib.Finalize()
	defer b.Close()
	d, err := b.DescribeKey(ctx, &kmsbridge.DescribeKeyRequest{KeyId: symID})
	if err != nil || d.KeyMetadata.KeyState != "Enabled" || d.KeyMetadata.Description != "symmetric" {
		t.Fatalf("DescribeKey after the client: %+v %v", d, err)
	}
	enc, err := b.Encrypt(ctx, &kmsbridge.EncryptRequest{KeyId: symID, Plaintext: []byte("still works")})
	must(t, "Encrypt", err)
	dec, err := b.Decrypt(ctx, &kmsbridge.DecryptRequest{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "still works" {
		t.Fatalf("Decrypt: %v", err)
	}
	if _, err := b.Sign(ctx, &kmsbridge.SignRequest{KeyId: sigID, Message: []byte("m"), SigningAlgorithm: "ECDSA_SHA_256"}); err != nil {
		t.Fatalf("Sign: %v", err)
	}
}

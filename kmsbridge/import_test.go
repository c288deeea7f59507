package kmsbridge

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"hash"
	"testing"
	"time"
)

// Helpers that play the importing client with Go's standard library only.

// wrapRSA wraps material with the wrapping public key (DER SPKI) the way a
// client does for alg: RSAES-OAEP directly, or RSA_AES_KEY_WRAP (OAEP of a
// fresh AES-256 key, then AES-KWP of the material under it).
func wrapRSA(t *testing.T, spki []byte, alg string, material []byte) []byte {
	t.Helper()
	pk, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := pk.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("wrapping key is %T, not RSA", pk)
	}
	var h hash.Hash
	switch alg {
	case "RSAES_OAEP_SHA_1", "RSA_AES_KEY_WRAP_SHA_1":
		h = sha1.New()
	default:
		h = sha256.New()
	}
	if alg == "RSAES_OAEP_SHA_1" || alg == "RSAES_OAEP_SHA_256" {
		out, err := rsa.EncryptOAEP(h, rand.Reader, pub, material, nil)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	kek := make([]byte, 32)
	rand.Read(kek)
	head, err := rsa.EncryptOAEP(h, rand.Reader, pub, kek, nil)
	if err != nil {
		t.Fatal(err)
	}
	return append(head, kwpWrap(t, kek, material)...)
}

// kwpWrap is AES key wrap with padding (RFC 5649), written from the RFC.
func kwpWrap(t *testing.T, kek, p []byte) []byte {
	t.Helper()
	c, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	var a [8]byte
	binary.BigEndian.PutUint32(a[:4], 0xA65959A6)
	binary.BigEndian.PutUint32(a[4:], uint32(len(p)))
	padded := append(bytes.Clone(p), make([]byte, (8-len(p)%8)%8)...)
	n := len(padded) / 8
	if n == 1 {
		out := make([]byte, 16)
		c.Encrypt(out, append(a[:], padded...))
		return out
	}
	r := padded
	var blk [16]byte
	for j := 0; j < 6; j++ {
		for i := 1; i <= n; i++ {
			copy(blk[:8], a[:])
			copy(blk[8:], r[(i-1)*8:i*8])
			c.Encrypt(blk[:], blk[:])
			tt := uint64(n*j + i)
			binary.BigEndian.PutUint64(a[:], binary.BigEndian.Uint64(blk[:8])^tt)
			copy(r[(i-1)*8:], blk[8:])
		}
	}
	return append(a[:], r...)
}

// localOpen decrypts a kagi blob with the raw 32-byte material, following
// blob.go's format with an empty encryption context.
func localOpen(t *testing.T, material, blob []byte) []byte {
	t.Helper()
	c, _ := aes.NewCipher(material)
	g, _ := cipher.NewGCM(c)
	aad := append(bytes.Clone(blob[:35]), 0, 0, 0, 0)
	pt, err := g.Open(nil, blob[23:35], blob[35:], aad)
	if err != nil {
		t.Fatalf("the blob does not open with the imported material: %v", err)
	}
	return pt
}

// localSeal makes a blob for key id and version 1 with the raw material.
func localSeal(t *testing.T, material []byte, keyID string, pt []byte) []byte {
	t.Helper()
	u, _ := parseUUID(keyID)
	h := []byte{0x6B, 0x47, 0x01}
	h = append(h, u[:]...)
	h = binary.BigEndian.AppendUint32(h, 1)
	iv := make([]byte, 12)
	rand.Read(iv)
	h = append(h, iv...)
	c, _ := aes.NewCipher(material)
	g, _ := cipher.NewGCM(c)
	return g.Seal(h, iv, pt, append(bytes.Clone(h), 0, 0, 0, 0))
}

func createExternal(t *testing.T, b *Bridge, spec, usage string) KeyMetadata {
	t.Helper()
	out, err := b.CreateKey(bg, &CreateKeyRequest{Origin: OriginExternal, KeySpec: spec, KeyUsage: usage})
	if err != nil {
		t.Fatal(err)
	}
	return out.KeyMetadata
}

func params(t *testing.T, b *Bridge, keyID, alg, spec string) *GetParametersForImportResponse {
	t.Helper()
	p, err := b.GetParametersForImport(bg, &GetParametersForImportRequest{KeyId: keyID, WrappingAlgorithm: alg, WrappingKeySpec: spec})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func importMaterial(b *Bridge, keyID string, p *GetParametersForImportResponse, wrapped []byte, validTo *Timestamp) error {
	model := ExpirationModelDoesNotExpire
	if validTo != nil {
		model = ExpirationModelExpires
	}
	_, err := b.ImportKeyMaterial(bg, &ImportKeyMaterialRequest{KeyId: keyID, ImportToken: p.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: model, ValidTo: validTo})
	return err
}

func describe(t *testing.T, b *Bridge, keyID string) KeyMetadata {
	t.Helper()
	out, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: keyID})
	if err != nil {
		t.Fatal(err)
	}
	return out.KeyMetadata
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestImportSymmetric: an EXTERNAL key is PendingImport and unusable until
// material wrapped with Go's RSA-OAEP is imported; then its ciphertexts are
// AES-256-GCM under exactly that material (checked with Go's AES-GCM both
// ways). Deleting the material makes it PendingImport again and removes
// the token objects; re-importing the same material (with another
// algorithm) brings old ciphertexts back; different material is refused.
func TestImportSymmetric(t *testing.T) {
	b, l, _, clock := newClockBridge(t)
	md := createExternal(t, b, "", "")
	if md.Origin != OriginExternal || md.KeyState != KeyStatePendingImport || md.Enabled || md.ExpirationModel != "" || md.ValidTo != nil {
		t.Fatalf("new EXTERNAL key: origin %s state %s enabled %v model %q", md.Origin, md.KeyState, md.Enabled, md.ExpirationModel)
	}
	if n := labelled(t, l, md.KeyId); n != 1 { // the metadata object only
		t.Fatalf("%d objects labelled with the new key's id, want 1 (no material)", n)
	}
	_, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, CodeKMSInvalidState)
	wantCode(t, b.EnableKey(bg, &EnableKeyRequest{KeyId: md.KeyId}), CodeKMSInvalidState)

	p := params(t, b, md.KeyId, "RSAES_OAEP_SHA_256", "RSA_2048")
	if p.KeyId != b.keyARN(md.KeyId) || !p.ParametersValidTo.Equal(clock.Now().Add(24*time.Hour)) {
		t.Fatalf("GetParametersForImport: KeyId %s, valid to %v", p.KeyId, p.ParametersValidTo)
	}
	if pk, err := x509.ParsePKIXPublicKey(p.PublicKey); err != nil || pk.(*rsa.PublicKey).N.BitLen() != 2048 {
		t.Fatalf("wrapping public key: %v", err)
	}
	material := randBytes(32)
	if err := importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_256", material), nil); err != nil {
		t.Fatal(err)
	}
	md = describe(t, b, md.KeyId)
	if md.KeyState != KeyStateEnabled || md.ExpirationModel != ExpirationModelDoesNotExpire || md.ValidTo != nil {
		t.Fatalf("after import: state %s model %q", md.KeyState, md.ExpirationModel)
	}
	enc, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("imported")})
	if err != nil {
		t.Fatal(err)
	}
	if got := localOpen(t, material, enc.CiphertextBlob); string(got) != "imported" {
		t.Fatalf("local decryption gave %q", got)
	}
	mine := localSeal(t, material, md.KeyId, []byte("sealed locally"))
	dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: mine})
	if err != nil || string(dec.Plaintext) != "sealed locally" {
		t.Fatalf("Decrypt of a locally sealed blob: %q %v", dec, err)
	}

	// Delete: PendingImport, material gone from the token.
	if _, err := b.DeleteImportedKeyMaterial(bg, &DeleteImportedKeyMaterialRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if md := describe(t, b, md.KeyId); md.KeyState != KeyStatePendingImport || md.ExpirationModel != "" {
		t.Fatalf("after delete: state %s model %q", md.KeyState, md.ExpirationModel)
	}
	if n := labelled(t, l, md.KeyId); n != 1 {
		t.Fatalf("%d objects labelled with the key's id after delete, want 1", n)
	}
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: enc.CiphertextBlob})
	wantCode(t, err, CodeKMSInvalidState)
	// Deleting again does nothing.
	if _, err := b.DeleteImportedKeyMaterial(bg, &DeleteImportedKeyMaterialRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}

	// Different material: refused, and the key stays PendingImport.
	p = params(t, b, md.KeyId, "RSA_AES_KEY_WRAP_SHA_1", "RSA_3072")
	err = importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, "RSA_AES_KEY_WRAP_SHA_1", randBytes(32)), nil)
	wantCode(t, err, CodeIncorrectKeyMaterial)
	if md := describe(t, b, md.KeyId); md.KeyState != KeyStatePendingImport {
		t.Fatalf("after refused import: %s", md.KeyState)
	}
	// The same material, with an expiry: old ciphertexts decrypt again.
	validTo := Timestamp{clock.Now().Add(48 * time.Hour)}
	if err := importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, "RSA_AES_KEY_WRAP_SHA_1", material), &validTo); err != nil {
		t.Fatal(err)
	}
	if dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); err != nil || string(dec.Plaintext) != "imported" {
		t.Fatalf("Decrypt after re-import: %v", err)
	}
	md = describe(t, b, md.KeyId)
	if md.ExpirationModel != ExpirationModelExpires || md.ValidTo == nil || !md.ValidTo.Equal(validTo.Time) {
		t.Fatalf("after re-import: model %q valid to %v", md.ExpirationModel, md.ValidTo)
	}
	// Re-importing into the enabled key changes only the expiry; the token
	// keeps one copy of the material.
	if err := importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, "RSA_AES_KEY_WRAP_SHA_1", material), nil); err != nil {
		t.Fatal(err)
	}
	if md := describe(t, b, md.KeyId); md.ExpirationModel != ExpirationModelDoesNotExpire || md.ValidTo != nil {
		t.Fatalf("after changing the expiry: %q %v", md.ExpirationModel, md.ValidTo)
	}
	if n := labelled(t, l, md.KeyId); n != 2 {
		t.Fatalf("%d objects labelled with the key's id, want metadata and one HBK", n)
	}
	err = importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, "RSA_AES_KEY_WRAP_SHA_1", randBytes(32)), nil)
	wantCode(t, err, CodeIncorrectKeyMaterial)

	// AWS's later ImportType: a second material is not supported here.
	typed := func(typ string) error {
		_, err := b.ImportKeyMaterial(bg, &ImportKeyMaterialRequest{KeyId: md.KeyId, ImportToken: p.ImportToken,
			EncryptedKeyMaterial: wrapRSA(t, p.PublicKey, "RSA_AES_KEY_WRAP_SHA_1", material), ExpirationModel: ExpirationModelDoesNotExpire, ImportType: typ})
		return err
	}
	wantCode(t, typed("NEW_KEY_MATERIAL"), CodeUnsupportedOperation)
	wantCode(t, typed("SOME_MATERIAL"), CodeValidation)
	if err := typed("EXISTING_KEY_MATERIAL"); err != nil {
		t.Fatal(err)
	}
}

// TestImportErrors: each refusal of the import operations and its AWS code.
func TestImportErrors(t *testing.T) {
	b, _, _, clock := newClockBridge(t)
	md := createExternal(t, b, "", "")
	other := createExternal(t, b, "", "")
	native := mustCreate(t, b, "AWS_KMS origin")
	hmacKey := createExternal(t, b, "HMAC_256", KeyUsageGenerateVerifyMac)
	p := params(t, b, md.KeyId, "RSAES_OAEP_SHA_256", "RSA_2048")
	good := wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_256", randBytes(32))

	gp := func(keyID, alg, spec string) error {
		_, err := b.GetParametersForImport(bg, &GetParametersForImportRequest{KeyId: keyID, WrappingAlgorithm: alg, WrappingKeySpec: spec})
		return err
	}
	wantCode(t, gp(md.KeyId, "RSAES_PKCS1_V1_5", "RSA_2048"), CodeValidation)
	wantCode(t, gp(md.KeyId, "RSAES_OAEP_SHA_512", "RSA_2048"), CodeValidation)
	wantCode(t, gp(md.KeyId, "", "RSA_2048"), CodeValidation)
	wantCode(t, gp(md.KeyId, "RSAES_OAEP_SHA_256", "RSA_1024"), CodeValidation)
	wantCode(t, gp(md.KeyId, "RSAES_OAEP_SHA_256", ""), CodeValidation)
	wantCode(t, gp(native.KeyId, "RSAES_OAEP_SHA_256", "RSA_2048"), CodeUnsupportedOperation)
	wantCode(t, gp("alias/none", "RSAES_OAEP_SHA_256", "RSA_2048"), CodeNotFound)
	rsaKey := createExternal(t, b, "RSA_2048", KeyUsageSignVerify)
	wantCode(t, gp(rsaKey.KeyId, "RSAES_OAEP_SHA_256", "RSA_4096"), CodeValidation) // RSA material never fits OAEP
	p521 := createExternal(t, b, "ECC_NIST_P521", KeyUsageSignVerify)
	wantCode(t, gp(p521.KeyId, "RSAES_OAEP_SHA_1", "RSA_2048"), CodeValidation)

	imp := func(keyID string, tok, wrapped []byte, model string, validTo *Timestamp) error {
		_, err := b.ImportKeyMaterial(bg, &ImportKeyMaterialRequest{KeyId: keyID, ImportToken: tok, EncryptedKeyMaterial: wrapped, ExpirationModel: model, ValidTo: validTo})
		return err
	}
	dne := ExpirationModelDoesNotExpire
	past := Timestamp{clock.Now().Add(-time.Minute)}
	far := Timestamp{clock.Now().Add(366 * 24 * time.Hour)}
	wantCode(t, imp(md.KeyId, nil, good, dne, nil), CodeValidation)
	wantCode(t, imp(md.KeyId, p.ImportToken, nil, dne, nil), CodeValidation)
	wantCode(t, imp(md.KeyId, p.ImportToken, good, "", nil), CodeValidation) // default KEY_MATERIAL_EXPIRES needs ValidTo
	wantCode(t, imp(md.KeyId, p.ImportToken, good, dne, &Timestamp{clock.Now().Add(time.Hour)}), CodeValidation)
	wantCode(t, imp(md.KeyId, p.ImportToken, good, ExpirationModelExpires, &past), CodeValidation)
	wantCode(t, imp(md.KeyId, p.ImportToken, good, ExpirationModelExpires, &far), CodeValidation)
	wantCode(t, imp(md.KeyId, p.ImportToken, good, "SOMETIMES", nil), CodeValidation)
	wantCode(t, imp(native.KeyId, p.ImportToken, good, dne, nil), CodeUnsupportedOperation)

	// Import tokens: garbage, edited, another key's, expired.
	wantCode(t, imp(md.KeyId, []byte("not a token"), good, dne, nil), CodeInvalidImportToken)
	edited := bytes.Clone(p.ImportToken)
	edited[20] ^= 1
	wantCode(t, imp(md.KeyId, edited, good, dne, nil), CodeInvalidImportToken)
	wantCode(t, imp(other.KeyId, p.ImportToken, good, dne, nil), CodeInvalidImportToken)

	// Material: wrapped for another algorithm, under another wrapping key,
	// of the wrong length.
	wantCode(t, imp(md.KeyId, p.ImportToken, wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_1", randBytes(32)), dne, nil), CodeInvalidCiphertext)
	p2 := params(t, b, md.KeyId, "RSAES_OAEP_SHA_256", "RSA_2048")
	wantCode(t, imp(md.KeyId, p.ImportToken, wrapRSA(t, p2.PublicKey, "RSAES_OAEP_SHA_256", randBytes(32)), dne, nil), CodeInvalidCiphertext)
	wantCode(t, imp(md.KeyId, p.ImportToken, []byte{1, 2, 3}, dne, nil), CodeInvalidCiphertext)
	for _, n := range []int{16, 24, 31, 33, 64} {
		wantCode(t, imp(md.KeyId, p.ImportToken, wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_256", randBytes(n)), dne, nil), CodeIncorrectKeyMaterial)
	}
	hp := params(t, b, hmacKey.KeyId, "RSAES_OAEP_SHA_256", "RSA_2048")
	for _, n := range []int{31, 65} {
		wantCode(t, imp(hmacKey.KeyId, hp.ImportToken, wrapRSA(t, hp.PublicKey, "RSAES_OAEP_SHA_256", randBytes(n)), dne, nil), CodeIncorrectKeyMaterial)
	}
	if md := describe(t, b, md.KeyId); md.KeyState != KeyStatePendingImport {
		t.Fatalf("refused imports left the key %s", md.KeyState)
	}

	// Expiry: the token is good for 24 hours of the bridge's clock.
	clock.Advance(24 * time.Hour)
	wantCode(t, imp(md.KeyId, p.ImportToken, good, dne, nil), CodeExpiredImportToken)

	// Deletion of material of an AWS_KMS key; a key pending deletion.
	_, err := b.DeleteImportedKeyMaterial(bg, &DeleteImportedKeyMaterialRequest{KeyId: native.KeyId})
	wantCode(t, err, CodeUnsupportedOperation)
	p = params(t, b, md.KeyId, "RSAES_OAEP_SHA_256", "RSA_2048")
	if _, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err) // a PendingImport key can be scheduled for deletion
	}
	wantCode(t, gp(md.KeyId, "RSAES_OAEP_SHA_256", "RSA_2048"), CodeKMSInvalidState)
	wantCode(t, imp(md.KeyId, p.ImportToken, wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_256", randBytes(32)), dne, nil), CodeKMSInvalidState)
	if _, err := b.DeleteImportedKeyMaterial(bg, &DeleteImportedKeyMaterialRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err) // allowed, and changes nothing
	}
	if _, err := b.CancelKeyDeletion(bg, &CancelKeyDeletionRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if md := describe(t, b, md.KeyId); md.KeyState != KeyStatePendingImport {
		t.Fatalf("a key without material after CancelKeyDeletion is %s, want PendingImport", md.KeyState)
	}

	// Rotation of imported keys is refused as AWS refuses it.
	wantCode(t, b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: md.KeyId}), CodeUnsupportedOperation)
	_, err = b.RotateKeyOnDemand(bg, &RotateKeyOnDemandRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeUnsupportedOperation)
}

// TestImportExpiryAndWrappingKeys: material past its ValidTo is deleted by
// the maintenance pass (the key is PendingImport until the same material is
// imported again); wrapping keys are deleted once their tokens expired.
func TestImportExpiryAndWrappingKeys(t *testing.T) {
	b, l, _, clock := newClockBridge(t)
	md := createExternal(t, b, "", "")
	p := params(t, b, md.KeyId, "RSAES_OAEP_SHA_1", "RSA_2048")
	material := randBytes(32)
	validTo := Timestamp{clock.Now().Add(time.Hour)}
	if err := importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_1", material), &validTo); err != nil {
		t.Fatal(err)
	}
	if got := describe(t, b, md.KeyId); got.ValidTo == nil || !got.ValidTo.Equal(validTo.Time) || got.ExpirationModel != ExpirationModelExpires {
		t.Fatalf("ValidTo %v model %q", got.ValidTo, got.ExpirationModel)
	}
	enc, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("until an hour")})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	if got := describe(t, b, md.KeyId); got.KeyState != KeyStateEnabled {
		t.Fatalf("before ValidTo: %s", got.KeyState)
	}
	clock.Advance(time.Hour)
	// Past ValidTo the material is unusable at once, before the
	// maintenance pass that deletes it.
	if _, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); ErrorCode(err) != CodeKMSInvalidState {
		t.Fatalf("Decrypt with expired material before maintenance: %v", err)
	}
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	if got := describe(t, b, md.KeyId); got.KeyState != KeyStatePendingImport || got.ValidTo != nil {
		t.Fatalf("after ValidTo: %s %v", got.KeyState, got.ValidTo)
	}
	if n := labelled(t, l, md.KeyId); n != 1 {
		t.Fatalf("%d objects labelled with the key id after expiry, want 1", n)
	}
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: enc.CiphertextBlob})
	wantCode(t, err, CodeKMSInvalidState)
	if err := importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, "RSAES_OAEP_SHA_1", material), nil); err != nil {
		t.Fatal(err)
	}
	if dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); err != nil || string(dec.Plaintext) != "until an hour" {
		t.Fatalf("after re-import: %v", err)
	}

	if n := labelled(t, l, labelWrapping); n != 1 {
		t.Fatalf("%d wrapping keys, want 1 (and no public halves kept)", n)
	}
	clock.Advance(22*time.Hour + 59*time.Minute)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	if n := labelled(t, l, labelWrapping); n != 1 {
		t.Fatalf("a wrapping key whose token is still valid was deleted")
	}
	clock.Advance(time.Minute)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	if n := labelled(t, l, labelWrapping); n != 0 {
		t.Fatalf("%d wrapping keys after their tokens expired, want 0", n)
	}
}

// TestImportTokenSurvivesRestart: the wrapping key and the token's sealing
// key are token objects, so a token from before a restart imports after it.
func TestImportTokenSurvivesRestart(t *testing.T) {
	b, l, db, clock := newClockBridge(t)
	md := createExternal(t, b, "HMAC_512", KeyUsageGenerateVerifyMac)
	p := params(t, b, md.KeyId, "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048")
	b, _ = reopen(t, b, l, db, clockConfig(clock))
	material := randBytes(100)
	if err := importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, "RSA_AES_KEY_WRAP_SHA_256", material), nil); err != nil {
		t.Fatal(err)
	}
	if describe(t, b, md.KeyId).KeyState != KeyStateEnabled {
		t.Fatal("not enabled after import")
	}
}

// TestImportAsymmetricMismatch: PKCS#8 material of another size, curve or
// algorithm than the key spec is IncorrectKeyMaterialException; material
// that is not PKCS#8 at all too.
func TestImportAsymmetricMismatch(t *testing.T) {
	b, _, _, _ := newClockBridge(t)
	const alg = "RSA_AES_KEY_WRAP_SHA_256"
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der := func(k any) []byte {
		d, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		spec, usage string
		material    []byte
	}{
		{"RSA_2048", KeyUsageSignVerify, der(small)},
		{"RSA_2048", KeyUsageEncryptDecrypt, der(p384)},
		{"ECC_NIST_P256", KeyUsageSignVerify, der(p384)},
		{"ECC_NIST_P256", KeyUsageSignVerify, der(small)},
		{"ECC_NIST_P256", KeyUsageSignVerify, randBytes(32)},
	} {
		md := createExternal(t, b, c.spec, c.usage)
		p := params(t, b, md.KeyId, alg, "RSA_2048")
		wantCode(t, importMaterial(b, md.KeyId, p, wrapRSA(t, p.PublicKey, alg, c.material), nil), CodeIncorrectKeyMaterial)
	}
}

package kmsbridge

import (
	"context"

	"github.com/kagi-hsm/kagi/token/ck"
)

// AWS limits of the symmetric operations.
const (
	maxPlaintext     = 4096 // Encrypt
	maxDataKeyBytes  = 1024 // GenerateDataKey NumberOfBytes
	maxRandomBytes   = 1024 // GenerateRandom
	gcmTagBits       = blobTagLen * 8
	gcmIVBits        = blobIVLen * 8
	maxContextPairs  = 64   // a bound on work per request
	maxContextLength = 8192 // canonical bytes
)

// usableKey is what an operation needs of a key, copied under b.mu so the
// token work runs without the lock.
type usableKey struct {
	k       *kmsKey
	keyID   string
	version uint32
}

// checkUsable says whether a key in its current state may encrypt or
// decrypt. Caller holds b.mu.
func (b *Bridge) checkUsable(k *kmsKey) error {
	if err := b.checkEnabled(&k.rec); err != nil {
		return err
	}
	if k.rec.KeyUsage != KeyUsageEncryptDecrypt || k.rec.KeySpec != KeySpecSymmetricDefault {
		return InvalidKeyUsageException("%s key usage is %s and key spec is %s", b.keyARN(k.rec.KeyId), k.rec.KeyUsage, k.rec.KeySpec)
	}
	return nil
}

// encryptingKey resolves keyID to an enabled symmetric key and its current
// backing version.
func (b *Bridge) encryptingKey(ctx context.Context, keyID string, a access) (usableKey, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolve(keyID)
	if err != nil {
		return usableKey{}, err
	}
	if err := b.authorise(ctx, k, a); err != nil {
		return usableKey{}, err
	}
	if err := b.checkUsable(k); err != nil {
		return usableKey{}, err
	}
	return usableKey{k: k, keyID: k.rec.KeyId, version: k.rec.CurrentVersion}, nil
}

// decryptingKey finds the key a blob names, checks it against an explicit
// KeyId (IncorrectKeyException when they differ) and its state.
func (b *Bridge) decryptingKey(ctx context.Context, h *blobHeader, explicit string, a access) (usableKey, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if explicit != "" {
		want, err := b.resolve(explicit)
		if err != nil {
			return usableKey{}, err
		}
		if want.uuid != h.keyID {
			return usableKey{}, IncorrectKeyException("The key ID in the request does not identify a KMS key that can perform this operation.")
		}
	}
	// A blob that names no key here, or a version the key does not have, is
	// indistinguishable from a corrupted blob.
	k, ok := b.keys[formatUUID(h.keyID)]
	if !ok {
		return usableKey{}, InvalidCiphertextException("the ciphertext refers to a KMS key that does not exist here")
	}
	if err := b.authorise(ctx, k, a); err != nil {
		return usableKey{}, err
	}
	if err := b.checkUsable(k); err != nil {
		return usableKey{}, err
	}
	found := false
	for _, v := range k.rec.Versions {
		found = found || v.Version == h.version
	}
	if !found {
		return usableKey{}, InvalidCiphertextException("the ciphertext refers to key material that does not exist")
	}
	return usableKey{k: k, keyID: k.rec.KeyId, version: h.version}, nil
}

func checkContext(ctx map[string]string) error {
	if len(ctx) > maxContextPairs || len(canonicalContext(ctx)) > maxContextLength {
		return ValidationException("EncryptionContext is too large")
	}
	return nil
}

func checkSymmetricAlgorithm(alg string) error {
	switch alg {
	case "", EncryptionAlgorithmSymmetricDefault:
		return nil
	case "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE":
		return InvalidKeyUsageException("EncryptionAlgorithm %s is not valid for a symmetric key", alg)
	}
	return ValidationException("EncryptionAlgorithm %q is not valid", alg)
}

// seal encrypts plaintext under the key's current HBK into a blob.
func (b *Bridge) seal(sh ck.SessionHandle, uk usableKey, plaintext []byte, ectx map[string]string) ([]byte, error) {
	h := blobHeader{keyID: uk.k.uuid, version: uk.version}
	if err := b.lib.GenerateRandom(sh, h.iv[:]); err != nil {
		return nil, tokenError("generating an IV", err)
	}
	header := h.marshal()
	p := ck.GCMParams{IV: h.iv[:], IVBits: gcmIVBits, AAD: blobAAD(header, ectx), TagBits: gcmTagBits}
	if err := b.cryptInit(sh, uk.k, uk.version, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: p}, true); err != nil {
		return nil, err
	}
	blob := make([]byte, blobHeaderLen+len(plaintext)+blobTagLen)
	copy(blob, header)
	n, err := b.lib.Encrypt(sh, plaintext, blob[blobHeaderLen:])
	if err != nil {
		return nil, tokenError("encrypting", err)
	}
	if n != len(plaintext)+blobTagLen {
		return nil, KMSInternalException("AES-GCM gave %d bytes for %d", n, len(plaintext))
	}
	return blob, nil
}

// open checks and decrypts a blob whose key uk is.
func (b *Bridge) open(sh ck.SessionHandle, uk usableKey, blob []byte, ectx map[string]string) ([]byte, error) {
	header := blob[:blobHeaderLen]
	p := ck.GCMParams{IV: blob[blobIVOff:blobHeaderLen], IVBits: gcmIVBits, AAD: blobAAD(header, ectx), TagBits: gcmTagBits}
	if err := b.cryptInit(sh, uk.k, uk.version, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: p}, false); err != nil {
		return nil, err
	}
	body := blob[blobHeaderLen:]
	out := make([]byte, len(body))
	n, err := b.lib.Decrypt(sh, body, out)
	if err != nil {
		switch ck.ErrorRV(err) {
		case ck.CKR_ENCRYPTED_DATA_INVALID, ck.CKR_ENCRYPTED_DATA_LEN_RANGE:
			return nil, InvalidCiphertextException("the ciphertext or its encryption context is not valid")
		}
		return nil, tokenError("decrypting", err)
	}
	return out[:n], nil
}

// decryptBlob is Decrypt's core.
// With dryRun, it stops after the checks that need no decryption.
func (b *Bridge) decryptBlob(ctx context.Context, blob []byte, keyID string, a access, dryRun bool) (usableKey, []byte, error) {
	ectx := a.ectx
	if len(blob) == 0 || len(blob) > maxBlobLen {
		return usableKey{}, nil, ValidationException("CiphertextBlob must be 1 to %d bytes", maxBlobLen)
	}
	if err := checkContext(ectx); err != nil {
		return usableKey{}, nil, err
	}
	h, _, err := parseBlob(blob)
	if err != nil {
		return usableKey{}, nil, err
	}
	uk, err := b.decryptingKey(ctx, &h, keyID, a)
	if err != nil {
		return usableKey{}, nil, err
	}
	if dryRun {
		return usableKey{}, nil, DryRunOperationException()
	}
	var pt []byte
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		pt, err = b.open(sh, uk, blob, ectx)
		return err
	})
	return uk, pt, err
}

// Encrypt encrypts up to 4096 bytes under a symmetric KMS key.
func (b *Bridge) Encrypt(ctx context.Context, in *EncryptRequest) (out *EncryptResponse, err error) {
	ctx, done := b.begin(ctx, "Encrypt")
	defer func() { done(out, err) }()
	if isRSAEncryption(in.EncryptionAlgorithm) {
		return b.encryptRSA(ctx, in) // asymmetric.go
	}
	if len(in.Plaintext) < 1 || len(in.Plaintext) > maxPlaintext {
		return nil, ValidationException("Plaintext must be 1 to %d bytes", maxPlaintext)
	}
	if err := checkSymmetricAlgorithm(in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	if err := checkContext(in.EncryptionContext); err != nil {
		return nil, err
	}
	uk, err := b.encryptingKey(ctx, in.KeyId, access{action: "kms:Encrypt", ectx: in.EncryptionContext, grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	var blob []byte
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		blob, err = b.seal(sh, uk, in.Plaintext, in.EncryptionContext)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &EncryptResponse{CiphertextBlob: blob, KeyId: b.keyARN(uk.keyID), EncryptionAlgorithm: EncryptionAlgorithmSymmetricDefault}, nil
}

// Decrypt decrypts a blob from Encrypt, GenerateDataKey or ReEncrypt; the
// key comes from the blob, and KeyId, when given, must name that key.
func (b *Bridge) Decrypt(ctx context.Context, in *DecryptRequest) (out *DecryptResponse, err error) {
	ctx, done := b.begin(ctx, "Decrypt")
	defer func() { done(out, err) }()
	if isRSAEncryption(in.EncryptionAlgorithm) {
		return b.decryptRSA(ctx, in) // asymmetric.go
	}
	if err := b.checkNotAsymmetric(ctx, in.KeyId, in.EncryptionAlgorithm,
		access{action: "kms:Decrypt", ectx: in.EncryptionContext, grantTokens: in.GrantTokens}); err != nil {
		return nil, err
	}
	if err := checkSymmetricAlgorithm(in.EncryptionAlgorithm); err != nil {
		return nil, err
	}
	uk, pt, err := b.decryptBlob(ctx, in.CiphertextBlob, in.KeyId,
		access{action: "kms:Decrypt", ectx: in.EncryptionContext, grantTokens: in.GrantTokens}, in.DryRun)
	if err != nil {
		return nil, err
	}
	return &DecryptResponse{KeyId: b.keyARN(uk.keyID), Plaintext: pt, EncryptionAlgorithm: EncryptionAlgorithmSymmetricDefault}, nil
}

// dataKeyLen checks GenerateDataKey's KeySpec / NumberOfBytes (exactly one).
func dataKeyLen(spec string, n *int32) (int, error) {
	switch {
	case spec != "" && n != nil:
		return 0, ValidationException("Specify either KeySpec or NumberOfBytes, not both")
	case spec == DataKeySpecAES128:
		return 16, nil
	case spec == DataKeySpecAES256:
		return 32, nil
	case spec != "":
		return 0, ValidationException("KeySpec %q is not AES_128 or AES_256", spec)
	case n == nil:
		return 0, ValidationException("Specify either KeySpec or NumberOfBytes")
	case *n < 1 || *n > maxDataKeyBytes:
		return 0, ValidationException("NumberOfBytes must be 1 to %d", maxDataKeyBytes)
	}
	return int(*n), nil
}

// generateDataKey draws a data key from the token's DRBG and seals it.
func (b *Bridge) generateDataKey(ctx context.Context, action string, in *GenerateDataKeyRequest) (usableKey, []byte, []byte, error) {
	n, err := dataKeyLen(in.KeySpec, in.NumberOfBytes)
	if err != nil {
		return usableKey{}, nil, nil, err
	}
	if err := checkContext(in.EncryptionContext); err != nil {
		return usableKey{}, nil, nil, err
	}
	uk, err := b.encryptingKey(ctx, in.KeyId, access{action: action, ectx: in.EncryptionContext, grantTokens: in.GrantTokens})
	if err != nil {
		return usableKey{}, nil, nil, err
	}
	if in.DryRun {
		return usableKey{}, nil, nil, DryRunOperationException()
	}
	dk := make([]byte, n)
	var blob []byte
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		if err := b.lib.GenerateRandom(sh, dk); err != nil {
			return tokenError("generating a data key", err)
		}
		blob, err = b.seal(sh, uk, dk, in.EncryptionContext)
		return err
	})
	if err != nil {
		clear(dk)
		return usableKey{}, nil, nil, err
	}
	return uk, dk, blob, nil
}

// GenerateDataKey returns a fresh data key in plaintext and sealed under
// the KMS key.
func (b *Bridge) GenerateDataKey(ctx context.Context, in *GenerateDataKeyRequest) (out *GenerateDataKeyResponse, err error) {
	ctx, done := b.begin(ctx, "GenerateDataKey")
	defer func() { done(out, err) }()
	uk, dk, blob, err := b.generateDataKey(ctx, "kms:GenerateDataKey", in)
	if err != nil {
		return nil, err
	}
	return &GenerateDataKeyResponse{CiphertextBlob: blob, Plaintext: dk, KeyId: b.keyARN(uk.keyID)}, nil
}

// GenerateDataKeyWithoutPlaintext returns a fresh data key only sealed.
func (b *Bridge) GenerateDataKeyWithoutPlaintext(ctx context.Context, in *GenerateDataKeyWithoutPlaintextRequest) (out *GenerateDataKeyWithoutPlaintextResponse, err error) {
	ctx, done := b.begin(ctx, "GenerateDataKeyWithoutPlaintext")
	defer func() { done(out, err) }()
	uk, dk, blob, err := b.generateDataKey(ctx, "kms:GenerateDataKeyWithoutPlaintext", in)
	if err != nil {
		return nil, err
	}
	clear(dk)
	return &GenerateDataKeyWithoutPlaintextResponse{CiphertextBlob: blob, KeyId: b.keyARN(uk.keyID)}, nil
}

// GenerateRandom returns 1 to 1024 bytes from the token's DRBG.
func (b *Bridge) GenerateRandom(ctx context.Context, in *GenerateRandomRequest) (out *GenerateRandomResponse, err error) {
	ctx, done := b.begin(ctx, "GenerateRandom")
	defer func() { done(out, err) }()
	if in.CustomKeyStoreId != "" {
		return nil, UnsupportedOperationException("custom key stores are not supported")
	}
	if in.NumberOfBytes == nil || *in.NumberOfBytes < 1 || *in.NumberOfBytes > maxRandomBytes {
		return nil, ValidationException("NumberOfBytes must be 1 to %d", maxRandomBytes)
	}
	if err := b.authoriseAccount(ctx, "kms:GenerateRandom"); err != nil {
		return nil, err
	}
	random := make([]byte, *in.NumberOfBytes)
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		if err := b.lib.GenerateRandom(sh, random); err != nil {
			return tokenError("generating random bytes", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &GenerateRandomResponse{Plaintext: random}, nil
}

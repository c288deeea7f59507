package kmsbridge

import (
	"context"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// ReEncrypt decrypts a ciphertext and encrypts its plaintext under the
// destination key; the plaintext never leaves the bridge. Either side is a
// symmetric key (a kagi blob, SYMMETRIC_DEFAULT, with an encryption context)
// or an RSA ENCRYPT_DECRYPT key (raw RSAES_OAEP_SHA_1/SHA_256 ciphertext, no
// encryption context, as with Encrypt and Decrypt). An RSA source must be
// named by SourceKeyId, since its ciphertext names no key. The caller needs
// kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination.
func (b *Bridge) ReEncrypt(ctx context.Context, in *ReEncryptRequest) (out *ReEncryptResponse, err error) {
	ctx, done := b.begin(ctx, "ReEncrypt")
	defer func() { done(out, err) }()
	srcAlg, err := reEncryptAlgorithm("SourceEncryptionAlgorithm", in.SourceEncryptionAlgorithm)
	if err != nil {
		return nil, err
	}
	dstAlg, err := reEncryptAlgorithm("DestinationEncryptionAlgorithm", in.DestinationEncryptionAlgorithm)
	if err != nil {
		return nil, err
	}
	if len(in.CiphertextBlob) == 0 || len(in.CiphertextBlob) > maxBlobLen {
		return nil, ValidationException("CiphertextBlob must be 1 to %d bytes", maxBlobLen)
	}
	if err := checkAlgorithmContext("Source", srcAlg, in.SourceEncryptionContext); err != nil {
		return nil, err
	}
	if err := checkAlgorithmContext("Destination", dstAlg, in.DestinationEncryptionContext); err != nil {
		return nil, err
	}
	if isRSAEncryption(srcAlg) && in.SourceKeyId == "" {
		return nil, ValidationException("SourceKeyId is required to re-encrypt a ciphertext of an asymmetric key")
	}
	dst, dstSize, err := b.cryptKey(ctx, in.DestinationKeyId, dstAlg,
		access{action: "kms:ReEncryptTo", ectx: in.DestinationEncryptionContext, grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	var src usableKey
	var srcSize int
	if isRSAEncryption(srcAlg) {
		src, srcSize, err = b.cryptKey(ctx, in.SourceKeyId, srcAlg,
			access{action: "kms:ReEncryptFrom", grantTokens: in.GrantTokens})
		if err == nil && len(in.CiphertextBlob) != srcSize {
			err = InvalidCiphertextException("the ciphertext is not valid for this key and algorithm")
		}
	} else {
		src, err = b.blobSource(ctx, in)
	}
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}

	var pt []byte
	if isRSAEncryption(srcAlg) {
		pt, err = b.oaep(ctx, src, srcAlg, false, in.CiphertextBlob, srcSize)
	} else {
		err = b.withSession(ctx, func(sh ck.SessionHandle) error {
			pt, err = b.open(sh, src, in.CiphertextBlob, in.SourceEncryptionContext)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	defer clear(pt)

	var blob []byte
	if isRSAEncryption(dstAlg) {
		_, hLen := oaepMechanism(dstAlg)
		if max := dstSize - 2*hLen - 2; len(pt) > max {
			return nil, ValidationException("the plaintext (%d bytes) is too long for %s with the destination key (at most %d)", len(pt), dstAlg, max)
		}
		blob, err = b.oaep(ctx, dst, dstAlg, true, pt, dstSize)
	} else {
		err = b.withSession(ctx, func(sh ck.SessionHandle) error {
			blob, err = b.seal(sh, dst, pt, in.DestinationEncryptionContext)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	return &ReEncryptResponse{
		CiphertextBlob:                 blob,
		SourceKeyId:                    b.keyARN(src.keyID),
		KeyId:                          b.keyARN(dst.keyID),
		SourceEncryptionAlgorithm:      srcAlg,
		DestinationEncryptionAlgorithm: dstAlg,
	}, nil
}

// reEncryptAlgorithm checks one of ReEncrypt's algorithms; absent means
// SYMMETRIC_DEFAULT. SM2PKE exists only in AWS's China Regions.
func reEncryptAlgorithm(field, alg string) (string, error) {
	switch alg {
	case "":
		return EncryptionAlgorithmSymmetricDefault, nil
	case EncryptionAlgorithmSymmetricDefault, "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256":
		return alg, nil
	case "SM2PKE":
		return "", UnsupportedOperationException("%s SM2PKE is not supported", field)
	}
	return "", ValidationException("%s %q is not valid", field, alg)
}

// checkAlgorithmContext: a symmetric side's encryption context is bounded;
// RSA encryption has none.
func checkAlgorithmContext(side, alg string, ectx map[string]string) error {
	if !isRSAEncryption(alg) {
		return checkContext(ectx)
	}
	if len(ectx) != 0 {
		return ValidationException("%sEncryptionContext is not supported with asymmetric keys", side)
	}
	return nil
}

// keyStateError is the error for a key that is not Enabled (nil if it is).
func (b *Bridge) keyStateError(k *kmsKey) error { return b.checkEnabled(&k.rec) }

// fitsAlgorithm says whether an ENCRYPT_DECRYPT key of that spec encrypts
// with alg, and for RSA the modulus length in bytes.
func fitsAlgorithm(rec *keyRecord, alg string) (int, bool) {
	if rec.KeyUsage != KeyUsageEncryptDecrypt {
		return 0, false
	}
	if !isRSAEncryption(alg) {
		return 0, rec.KeySpec == KeySpecSymmetricDefault
	}
	bits := asymSpecs[rec.KeySpec].rsaBits
	return bits / 8, bits != 0
}

// cryptKey resolves keyID to an enabled ENCRYPT_DECRYPT key that encrypts
// with alg, authorised for a: its current version, and for RSA its modulus
// length in bytes.
func (b *Bridge) cryptKey(ctx context.Context, keyID, alg string, a access) (usableKey, int, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolve(keyID)
	if err != nil {
		return usableKey{}, 0, err
	}
	if err := b.authorise(ctx, k, a); err != nil {
		return usableKey{}, 0, err
	}
	if err := b.keyStateError(k); err != nil {
		return usableKey{}, 0, err
	}
	size, ok := fitsAlgorithm(&k.rec, alg)
	if !ok {
		return usableKey{}, 0, InvalidKeyUsageException("EncryptionAlgorithm %s is not compatible with %s (%s, %s)", alg, b.keyARN(k.rec.KeyId), k.rec.KeySpec, k.rec.KeyUsage)
	}
	return usableKey{k: k, keyID: k.rec.KeyId, version: k.rec.CurrentVersion}, size, nil
}

// blobSource finds the key and version a symmetric source blob names,
// authorised for kms:ReEncryptFrom. A SourceKeyId must be symmetric
// (InvalidKeyUsageException, whatever the ciphertext is, as in Decrypt) and
// name the blob's key (IncorrectKeyException, decryptingKey).
func (b *Bridge) blobSource(ctx context.Context, in *ReEncryptRequest) (usableKey, error) {
	a := access{action: "kms:ReEncryptFrom", ectx: in.SourceEncryptionContext, grantTokens: in.GrantTokens}
	if in.SourceKeyId != "" {
		if err := b.checkSymmetricSource(ctx, in.SourceKeyId, a); err != nil {
			return usableKey{}, err
		}
	}
	h, _, err := parseBlob(in.CiphertextBlob)
	if err != nil {
		return usableKey{}, err
	}
	return b.decryptingKey(ctx, &h, in.SourceKeyId, a)
}

// checkSymmetricSource refuses a SourceKeyId that is not a symmetric
// ENCRYPT_DECRYPT key for SYMMETRIC_DEFAULT, once the caller is authorised.
func (b *Bridge) checkSymmetricSource(ctx context.Context, keyID string, a access) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolve(keyID)
	if err != nil {
		return err
	}
	if _, ok := fitsAlgorithm(&k.rec, EncryptionAlgorithmSymmetricDefault); ok {
		return nil // decryptingKey authorises the blob's key
	}
	if err := b.authorise(ctx, k, a); err != nil {
		return err
	}
	return InvalidKeyUsageException("SourceEncryptionAlgorithm %s is not compatible with %s (%s, %s)",
		EncryptionAlgorithmSymmetricDefault, b.keyARN(k.rec.KeyId), k.rec.KeySpec, k.rec.KeyUsage)
}

// oaep encrypts with an RSA key's public key or decrypts with its private
// key on the token; size is the modulus length in bytes.
func (b *Bridge) oaep(ctx context.Context, uk usableKey, alg string, encrypt bool, in []byte, size int) ([]byte, error) {
	m, _ := oaepMechanism(alg)
	if encrypt {
		return b.produce(ctx, uk, keyCall{class: ck.CKO_PUBLIC_KEY, mech: m, init: (*token.Library).EncryptInit, what: "RSA-OAEP encryption"},
			(*token.Library).Encrypt, in, size)
	}
	return b.produce(ctx, uk, keyCall{class: ck.CKO_PRIVATE_KEY, mech: m, init: (*token.Library).DecryptInit, what: "RSA-OAEP decryption",
		refused: func(rv ck.RV) error {
			if rv == ck.CKR_ENCRYPTED_DATA_INVALID || rv == ck.CKR_ENCRYPTED_DATA_LEN_RANGE {
				return InvalidCiphertextException("the ciphertext is not valid for this key and algorithm")
			}
			return nil
		}}, (*token.Library).Decrypt, in, size)
}

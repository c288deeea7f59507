package kmsbridge

import (
	"context"
	"time"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Key import (AWS's "bring your own key"). CreateKey with Origin EXTERNAL
// makes a key with no material, in state PendingImport. GetParametersForImport
// generates an RSA wrapping key pair on the token and answers its public key
// with an import token (import_token.go) that binds the KMS key, the wrapping
// key, the wrapping algorithm and an expiry 24 hours on. ImportKeyMaterial
// unwraps the caller's material on the token with the wrapping private key
// (C_UnwrapKey, CKM_RSA_PKCS_OAEP or CKM_RSA_AES_KEY_WRAP) into objects laid
// out as generated material is (store.go, asymmetric.go; version 1), checks
// that it fits the key spec and that it is the material imported before, if
// any (import_material.go), then writes the metadata.
//
// A key holds one material for life, as in AWS before multi-material
// imports: re-importing the same material (after DeleteImportedKeyMaterial,
// after it expired, or to change its expiry) makes the old ciphertexts
// decrypt again; different material is IncorrectKeyMaterialException. The
// key's metadata keeps a check value of the material (never the material):
// for AES the AES-ECB encryption of a zero block, for HMAC the MAC of a fixed
// string, both computed on the token, for RSA and ECC the SHA-256 of the
// public key's SubjectPublicKeyInfo.
//
// Crash safety: material objects are written first and the metadata that
// says the key has material last, as CreateKey does; DeleteImportedKeyMaterial
// and expiry write the metadata first and destroy the objects after. Either
// way a crash leaves material objects that the metadata does not claim, which
// Open destroys (orphans.go), never a key that claims missing material.

// Import parameters (AWS's spellings and limits).
const (
	ExpirationModelExpires       = "KEY_MATERIAL_EXPIRES"
	ExpirationModelDoesNotExpire = "KEY_MATERIAL_DOES_NOT_EXPIRE"

	importTokenTTL   = 24 * time.Hour
	maxValidToAhead  = 365 * day
	maxImportBlobLen = 6144 // ImportToken and EncryptedKeyMaterial
)

// importState is the stored import state of an EXTERNAL key. It is replaced
// whole, never changed in place, so copies of a record may share it.
type importState struct {
	// CheckValue identifies the material first imported (see above); nil
	// until then. It outlives the material.
	CheckValue []byte `json:",omitempty"`
	// Present is true while the key's material is on the token.
	Present         bool       `json:",omitempty"`
	ExpirationModel string     `json:",omitempty"`
	ValidTo         *Timestamp `json:",omitempty"`
}

// importMetadata is KeyMetadata's ExpirationModel and ValidTo: shown while
// the key has imported material, as AWS does.
func importMetadata(rec *keyRecord) (string, *Timestamp) {
	im := rec.Import
	if im == nil || !im.Present {
		return "", nil
	}
	var to *Timestamp
	if im.ValidTo != nil {
		t := *im.ValidTo
		to = &t
	}
	return im.ExpirationModel, to
}

// materialExpired says whether k's imported material is past its ValidTo.
func materialExpired(rec *keyRecord, now Timestamp) bool {
	im := rec.Import
	return im != nil && im.Present && im.ExpirationModel == ExpirationModelExpires &&
		im.ValidTo != nil && !now.Before(im.ValidTo.Time)
}

type GetParametersForImportRequest struct {
	KeyId             string
	WrappingAlgorithm string
	WrappingKeySpec   string
}

type GetParametersForImportResponse struct {
	KeyId             string // ARN
	ImportToken       []byte
	PublicKey         []byte // DER SubjectPublicKeyInfo of the wrapping key
	ParametersValidTo Timestamp
}

type ImportKeyMaterialRequest struct {
	KeyId                string
	ImportToken          []byte
	EncryptedKeyMaterial []byte
	ValidTo              *Timestamp `json:",omitempty"`
	ExpirationModel      string     `json:",omitempty"`
	// ImportType (AWS's later multi-material imports): a key here holds
	// one material, so NEW_KEY_MATERIAL is only for its first import.
	ImportType string `json:",omitempty"`
}

type ImportKeyMaterialResponse struct {
	KeyId string // ARN
}

type DeleteImportedKeyMaterialRequest struct {
	KeyId string
}

type DeleteImportedKeyMaterialResponse struct {
	KeyId string // ARN
}

// checkImportable is the key check shared by the import operations: origin
// EXTERNAL (else UnsupportedOperationException) and not pending deletion.
func (b *Bridge) checkImportable(rec *keyRecord) error {
	if rec.Origin != OriginExternal || rec.Import == nil {
		return UnsupportedOperationException("%s has origin %s; key material can be imported only into keys of origin EXTERNAL", b.keyARN(rec.KeyId), rec.Origin)
	}
	if rec.KeyState == KeyStatePendingDeletion {
		return KMSInvalidStateException("%s is pending deletion.", b.keyARN(rec.KeyId))
	}
	return nil
}

// GetParametersForImport generates a wrapping key pair of WrappingKeySpec on
// the token and answers its public key with an import token for the key,
// both valid for 24 hours.
func (b *Bridge) GetParametersForImport(ctx context.Context, in *GetParametersForImportRequest) (out *GetParametersForImportResponse, err error) {
	ctx, done := b.begin(ctx, "GetParametersForImport")
	defer func() { done(out, err) }()
	alg, err := wrappingAlgorithm(in.WrappingAlgorithm)
	if err != nil {
		return nil, err
	}
	bits, err := wrappingKeyBits(in.WrappingKeySpec)
	if err != nil {
		return nil, err
	}
	b.mu.RLock()
	k, err := b.resolve(in.KeyId)
	var rec keyRecord
	if err == nil {
		err = b.authorise(ctx, k, access{action: "kms:GetParametersForImport"})
		rec = k.rec
	}
	b.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if err := b.checkImportable(&rec); err != nil {
		return nil, err
	}
	if err := checkWrappingFits(rec.KeySpec, alg, bits); err != nil {
		return nil, err
	}
	// The key pair is generated without b.mu: RSA-4096 takes a while.
	expiry := Timestamp{b.now().Add(importTokenTTL)}
	var spki, tok []byte
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		if err := b.checkLogin(sh); err != nil {
			return err
		}
		wrapID, pub, err := b.newWrappingKey(sh, bits, expiry)
		if err != nil {
			return err
		}
		spki = pub
		tok, err = b.sealImportToken(sh, importToken{keyID: k.uuid, wrapID: wrapID, alg: alg.code, bits: bits, expiry: expiry})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &GetParametersForImportResponse{KeyId: b.keyARN(k.id), ImportToken: tok, PublicKey: spki, ParametersValidTo: expiry}, nil
}

// importExpiry checks ExpirationModel and ValidTo against now.
func importExpiry(model string, validTo *Timestamp, now Timestamp) (string, *Timestamp, error) {
	switch model {
	case "":
		model = ExpirationModelExpires // AWS's default
	case ExpirationModelExpires, ExpirationModelDoesNotExpire:
	default:
		return "", nil, ValidationException("ExpirationModel %q is not valid", model)
	}
	if model == ExpirationModelDoesNotExpire {
		if validTo != nil {
			return "", nil, ValidationException("ValidTo must be omitted when ExpirationModel is %s", ExpirationModelDoesNotExpire)
		}
		return model, nil, nil
	}
	switch {
	case validTo == nil:
		return "", nil, ValidationException("ValidTo is required when ExpirationModel is %s", ExpirationModelExpires)
	case !validTo.After(now.Time):
		return "", nil, ValidationException("ValidTo must be in the future")
	case validTo.After(now.Add(maxValidToAhead)):
		return "", nil, ValidationException("ValidTo must be at most 365 days from now")
	}
	to := Timestamp{validTo.UTC().Truncate(time.Millisecond)}
	return model, &to, nil
}

// crashAt, when set (by tests only), is called at the points where a crash
// leaves token objects that the metadata does not yet claim: "import" after
// ImportKeyMaterial wrote the material, "rotate" after a rotation generated
// its backing key. A test's child process kills itself there.
var crashAt func(point string)

// ImportKeyMaterial unwraps the key material with the import token's
// wrapping key and makes it the key's material (or, when the key already
// has it, changes only its expiry).
func (b *Bridge) ImportKeyMaterial(ctx context.Context, in *ImportKeyMaterialRequest) (out *ImportKeyMaterialResponse, err error) {
	ctx, done := b.begin(ctx, "ImportKeyMaterial")
	defer func() { done(out, err) }()
	if len(in.ImportToken) < 1 || len(in.ImportToken) > maxImportBlobLen {
		return nil, ValidationException("ImportToken must be 1 to %d bytes", maxImportBlobLen)
	}
	if len(in.EncryptedKeyMaterial) < 1 || len(in.EncryptedKeyMaterial) > maxImportBlobLen {
		return nil, ValidationException("EncryptedKeyMaterial must be 1 to %d bytes", maxImportBlobLen)
	}
	// Unwrapping and writing happen under b.mu: imports are rare, and this
	// keeps two imports into one key, or an import and a deletion, apart.
	b.mu.Lock()
	defer b.mu.Unlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:ImportKeyMaterial"})
	if err != nil {
		return nil, err
	}
	if err := b.checkImportable(&k.rec); err != nil {
		return nil, err
	}
	switch in.ImportType {
	case "", "EXISTING_KEY_MATERIAL":
	case "NEW_KEY_MATERIAL":
		if k.rec.Import.CheckValue != nil {
			return nil, UnsupportedOperationException("%s already has key material; this KMS keeps one key material per key", b.keyARN(k.id))
		}
	default:
		return nil, ValidationException("ImportType %q is not valid", in.ImportType)
	}
	now := b.now()
	model, validTo, err := importExpiry(in.ExpirationModel, in.ValidTo, now)
	if err != nil {
		return nil, err
	}
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		if err := b.checkLogin(sh); err != nil {
			return err
		}
		it, err := b.openImportToken(sh, in.ImportToken)
		if err != nil {
			return err
		}
		if it.keyID != k.uuid {
			return newError(CodeInvalidImportToken, "The import token is not valid for %s.", b.keyARN(k.id))
		}
		if !now.Before(it.expiry.Time) {
			return newError(CodeExpiredImportToken, "The import token expired at %s; call GetParametersForImport again.", it.expiry.Format(time.RFC3339))
		}
		wrapper, err := b.wrappingKey(sh, it.wrapID)
		if err != nil {
			return err
		}
		m, err := b.unwrapMaterial(sh, k, wrapper, importAlgs[it.alg], in.EncryptedKeyMaterial)
		if err != nil {
			return err
		}
		defer m.discard(sh, b)
		rec := cloneRecord(k.rec)
		im := &importState{CheckValue: m.check, Present: true, ExpirationModel: model, ValidTo: validTo}
		rec.Import = im
		if rec.KeyState == KeyStatePendingImport {
			rec.KeyState = KeyStateEnabled
		}
		if k.rec.Import.Present {
			// The same material is on the token already: only the
			// expiry changes.
			return b.writeKey(sh, k, rec)
		}
		made, err := m.install(sh, b, k)
		if err != nil {
			return err
		}
		if crashAt != nil {
			crashAt("import")
		}
		if err := b.writeKey(sh, k, rec); err != nil {
			for _, h := range made {
				b.lib.DestroyObject(sh, h)
			}
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ImportKeyMaterialResponse{KeyId: b.keyARN(k.id)}, nil
}

// DeleteImportedKeyMaterial destroys the key's material; the key is then
// PendingImport (or stays PendingDeletion) until the same material is
// imported again. On a key without material it does nothing.
func (b *Bridge) DeleteImportedKeyMaterial(ctx context.Context, in *DeleteImportedKeyMaterialRequest) (out *DeleteImportedKeyMaterialResponse, err error) {
	ctx, done := b.begin(ctx, "DeleteImportedKeyMaterial")
	defer func() { done(out, err) }()
	b.mu.Lock()
	defer b.mu.Unlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:DeleteImportedKeyMaterial"})
	if err != nil {
		return nil, err
	}
	if k.rec.Origin != OriginExternal || k.rec.Import == nil {
		return nil, UnsupportedOperationException("%s has origin %s; only imported key material can be deleted", b.keyARN(k.id), k.rec.Origin)
	}
	err = b.withSession(ctx, func(sh ck.SessionHandle) error { return b.deleteMaterialLocked(sh, k) })
	if err != nil {
		return nil, err
	}
	return &DeleteImportedKeyMaterialResponse{KeyId: b.keyARN(k.id)}, nil
}

// deleteMaterialLocked marks k's material gone in its metadata, then
// destroys the material objects (a crash in between leaves orphans that Open
// destroys). Deleting the material of a key without any only destroys
// leftovers. Caller holds b.mu for writing.
func (b *Bridge) deleteMaterialLocked(sh ck.SessionHandle, k *kmsKey) error {
	if err := b.checkLogin(sh); err != nil {
		return err
	}
	if k.rec.Import.Present {
		rec := cloneRecord(k.rec)
		rec.Import = &importState{CheckValue: k.rec.Import.CheckValue}
		if rec.KeyState != KeyStatePendingDeletion {
			rec.KeyState = KeyStatePendingImport
		}
		if err := b.writeKey(sh, k, rec); err != nil {
			return err
		}
	}
	return b.destroyMaterial(sh, k)
}

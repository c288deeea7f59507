package kmsbridge

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"

	"github.com/kagi-hsm/kagi/token/ck"
)

// KEY_AGREEMENT keys and DeriveSharedSecret: an ECC_NIST_P256/P384/P521 key
// pair whose private key has CKA_DERIVE and nothing else (asymmetric.go
// generateMaterial, import_material.go for imported ones). DeriveSharedSecret
// is ECDH between that private key and a peer's public key, done on the
// token with C_DeriveKey(CKM_ECDH1_DERIVE, CKD_NULL), and answers the raw
// shared secret Z (the x-coordinate of the product, of the curve's field
// size), as AWS KMS returns it: deriving keys from Z is the caller's part.
//
// C_DeriveKey makes an object, not bytes: the secret is derived into a
// session object (CKA_TOKEN false, which the library keeps in memory and
// never writes to the database), made extractable and non-sensitive so that
// CKA_VALUE can be read, and destroyed before the call returns; a crash in
// between loses it with the session, as datakeypair.go's pairs.

// KeyAgreementECDH is the one key agreement algorithm AWS defines.
const KeyAgreementECDH = "ECDH"

// maxPeerPublicKey is AWS's limit on DeriveSharedSecret's PublicKey.
const maxPeerPublicKey = 8192

// keyAgreementAlgorithms is DescribeKey's and GetPublicKey's
// KeyAgreementAlgorithms for a key of that usage.
func keyAgreementAlgorithms(usage string) []string {
	if usage == KeyUsageKeyAgreement {
		return []string{KeyAgreementECDH}
	}
	return nil
}

type DeriveSharedSecretRequest struct {
	KeyId                 string
	KeyAgreementAlgorithm string
	PublicKey             []byte   // the peer's DER SubjectPublicKeyInfo
	GrantTokens           []string `json:",omitempty"`
	// Recipient is the Nitro Enclaves attestation document; kagi has no
	// enclaves, so a request with one is refused.
	Recipient json.RawMessage `json:",omitempty"`
	DryRun    bool            `json:",omitempty"`
}

type DeriveSharedSecretResponse struct {
	KeyId                 string // ARN
	SharedSecret          []byte
	KeyAgreementAlgorithm string
	KeyOrigin             string
}

// DeriveSharedSecret computes the ECDH shared secret of a KEY_AGREEMENT
// key's private key and the peer's public key.
func (b *Bridge) DeriveSharedSecret(ctx context.Context, in *DeriveSharedSecretRequest) (out *DeriveSharedSecretResponse, err error) {
	ctx, done := b.begin(ctx, "DeriveSharedSecret")
	defer func() { done(out, err) }()
	switch in.KeyAgreementAlgorithm {
	case KeyAgreementECDH:
	case "":
		return nil, ValidationException("KeyAgreementAlgorithm is required")
	default:
		return nil, ValidationException("KeyAgreementAlgorithm %q is not valid; the only valid value is %s", in.KeyAgreementAlgorithm, KeyAgreementECDH)
	}
	if len(in.PublicKey) < 1 || len(in.PublicKey) > maxPeerPublicKey {
		return nil, ValidationException("PublicKey must be 1 to %d bytes", maxPeerPublicKey)
	}
	if len(in.Recipient) != 0 && !bytes.Equal(bytes.TrimSpace(in.Recipient), []byte("null")) {
		return nil, UnsupportedOperationException("Recipient (a Nitro Enclaves attestation document) is not supported")
	}
	uk, rec, err := b.keyFor(ctx, in.KeyId, KeyUsageKeyAgreement, access{action: "kms:DeriveSharedSecret", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	spec := asymSpecs[rec.KeySpec]
	point, err := peerPoint(in.PublicKey, spec.ecParams, rec.KeySpec)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	var secret []byte
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		secret, err = b.ecdh(sh, uk, point, spec.ecBytes)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &DeriveSharedSecretResponse{KeyId: b.keyARN(uk.keyID), SharedSecret: secret,
		KeyAgreementAlgorithm: KeyAgreementECDH, KeyOrigin: rec.Origin}, nil
}

// peerPoint checks that spki is a public key on the key's curve and
// answers its uncompressed point, the public data CKM_ECDH1_DERIVE takes.
// Anything else is a ValidationException that names no bytes of it.
func peerPoint(spki, ecParams []byte, spec string) ([]byte, error) {
	bad := func() ([]byte, error) {
		return nil, ValidationException("PublicKey must be a DER-encoded SubjectPublicKeyInfo of an elliptic curve public key on the curve of the KMS key (%s)", spec)
	}
	pk, err := x509.ParsePKIXPublicKey(spki) // checks the point is on its curve
	if err != nil {
		return bad()
	}
	ec, ok := pk.(*ecdsa.PublicKey)
	if !ok || ec.Curve != ecCurve(ecParams) {
		return bad()
	}
	e, err := ec.ECDH()
	if err != nil {
		return bad()
	}
	return e.Bytes(), nil
}

// ecdh derives the shared secret into a session object and reads it out
// (see the top of this file). The key object's handle may come from the
// cache: a stale one is looked up once more, as keyCall.run does.
func (b *Bridge) ecdh(sh ck.SessionHandle, uk usableKey, point []byte, size int) ([]byte, error) {
	m := ck.Mechanism{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: point}}
	tmpl := []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)),
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_GENERIC_SECRET)),
		ulongAttr(ck.CKA_VALUE_LEN, ck.ULong(size)),
		boolAttr(ck.CKA_TOKEN, false),
		boolAttr(ck.CKA_PRIVATE, true),
		boolAttr(ck.CKA_SENSITIVE, false),
		boolAttr(ck.CKA_EXTRACTABLE, true),
		boolAttr(ck.CKA_ENCRYPT, false),
		boolAttr(ck.CKA_DECRYPT, false),
		boolAttr(ck.CKA_SIGN, false),
		boolAttr(ck.CKA_VERIFY, false),
		boolAttr(ck.CKA_WRAP, false),
		boolAttr(ck.CKA_UNWRAP, false),
		boolAttr(ck.CKA_DERIVE, false),
	}
	var h ck.ObjectHandle
	for try := 0; ; try++ {
		priv, err := b.cachedKeyObject(sh, uk.k, uk.version, ck.CKO_PRIVATE_KEY)
		if err != nil {
			return nil, err
		}
		h, err = b.lib.DeriveKey(sh, m, priv, tmpl)
		if err == nil {
			break
		}
		if rv := ck.ErrorRV(err); try == 0 && (rv == ck.CKR_KEY_HANDLE_INVALID || rv == ck.CKR_OBJECT_HANDLE_INVALID) {
			b.forgetObject(uk.k, uk.version, ck.CKO_PRIVATE_KEY)
			continue
		}
		// The peer's point was checked above: a refusal here is the token's.
		return nil, tokenError("deriving the shared secret", err)
	}
	// Destroyed whatever happens next; should that fail, the object still
	// dies with the session and was never stored.
	defer b.lib.DestroyObject(sh, h)
	secret, err := b.attribute(sh, h, ck.CKA_VALUE, "reading the shared secret")
	if err != nil {
		return nil, err
	}
	if len(secret) != size {
		clear(secret)
		return nil, KMSInternalException("the token derived a shared secret of %d bytes, not %d", len(secret), size)
	}
	return secret, nil
}

package kmsbridge

import (
	"context"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// HMAC KMS keys (HMAC_224/256/384/512, usage GENERATE_VERIFY_MAC): one
// CKK_GENERIC_SECRET key generated on the token (CKM_GENERIC_SECRET_KEY_GEN
// from its DRBG), as long as the hash's output, as AWS's are; CKA_TOKEN,
// CKA_PRIVATE, CKA_SENSITIVE, unextractable, CKA_SIGN and CKA_VERIFY only,
// labelled like backing keys. GenerateMac and VerifyMac are C_Sign and
// C_Verify with CKM_SHA*_HMAC.

var hmacSpecs = map[string]struct {
	alg    string
	keyLen int
	mech   ck.MechanismType
}{
	"HMAC_224": {"HMAC_SHA_224", 28, ck.CKM_SHA224_HMAC},
	"HMAC_256": {"HMAC_SHA_256", 32, ck.CKM_SHA256_HMAC},
	"HMAC_384": {"HMAC_SHA_384", 48, ck.CKM_SHA384_HMAC},
	"HMAC_512": {"HMAC_SHA_512", 64, ck.CKM_SHA512_HMAC},
}

type GenerateMacRequest struct {
	KeyId        string
	Message      []byte
	MacAlgorithm string   `json:",omitempty"`
	GrantTokens  []string `json:",omitempty"`
	DryRun       bool     `json:",omitempty"`
}

type GenerateMacResponse struct {
	KeyId        string // ARN
	Mac          []byte
	MacAlgorithm string
}

type VerifyMacRequest struct {
	KeyId        string
	Message      []byte
	MacAlgorithm string `json:",omitempty"`
	Mac          []byte
	GrantTokens  []string `json:",omitempty"`
	DryRun       bool     `json:",omitempty"`
}

type VerifyMacResponse struct {
	KeyId        string // ARN
	MacValid     bool
	MacAlgorithm string
}

// macKey checks a GenerateMac/VerifyMac request and resolves its key.
func (b *Bridge) macKey(ctx context.Context, keyID, alg string, msg []byte, a access) (usableKey, ck.MechanismType, error) {
	if len(msg) < 1 || len(msg) > maxSignMessage {
		return usableKey{}, 0, ValidationException("Message must be 1 to %d bytes", maxSignMessage)
	}
	known := false
	for _, h := range hmacSpecs {
		known = known || h.alg == alg
	}
	if !known {
		return usableKey{}, 0, ValidationException("MacAlgorithm %q is not valid", alg)
	}
	uk, rec, err := b.keyFor(ctx, keyID, KeyUsageGenerateVerifyMac, a)
	if err != nil {
		return usableKey{}, 0, err
	}
	h := hmacSpecs[rec.KeySpec]
	if h.alg != alg {
		return usableKey{}, 0, InvalidKeyUsageException("MacAlgorithm %s is not compatible with %s (%s)", alg, b.keyARN(rec.KeyId), rec.KeySpec)
	}
	return uk, h.mech, nil
}

// GenerateMac computes the HMAC of a message with an HMAC key on the token.
func (b *Bridge) GenerateMac(ctx context.Context, in *GenerateMacRequest) (out *GenerateMacResponse, err error) {
	ctx, done := b.begin(ctx, "GenerateMac")
	defer func() { done(out, err) }()
	uk, m, err := b.macKey(ctx, in.KeyId, in.MacAlgorithm, in.Message, access{action: "kms:GenerateMac", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	mac, err := b.produce(ctx, uk, keyCall{class: ck.CKO_SECRET_KEY, mech: ck.Mechanism{Type: m}, init: (*token.Library).SignInit, what: "HMAC"},
		(*token.Library).Sign, in.Message, 64)
	if err != nil {
		return nil, err
	}
	return &GenerateMacResponse{KeyId: b.keyARN(uk.keyID), Mac: mac, MacAlgorithm: in.MacAlgorithm}, nil
}

func invalidMac() *Error {
	return newError(CodeKMSInvalidMac, "The MAC is not valid for the message, key and MAC algorithm.")
}

// VerifyMac checks a MAC on the token: valid gives MacValid true, invalid
// KMSInvalidMacException.
func (b *Bridge) VerifyMac(ctx context.Context, in *VerifyMacRequest) (out *VerifyMacResponse, err error) {
	ctx, done := b.begin(ctx, "VerifyMac")
	defer func() { done(out, err) }()
	uk, m, err := b.macKey(ctx, in.KeyId, in.MacAlgorithm, in.Message, access{action: "kms:VerifyMac", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	if len(in.Mac) < 1 || len(in.Mac) > 6144 {
		return nil, ValidationException("Mac must be 1 to 6144 bytes")
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	err = b.check(ctx, uk, keyCall{class: ck.CKO_SECRET_KEY, mech: ck.Mechanism{Type: m}, init: (*token.Library).VerifyInit, what: "HMAC verification",
		refused: refusedSignature(invalidMac)}, in.Message, in.Mac)
	if err != nil {
		return nil, err
	}
	return &VerifyMacResponse{KeyId: b.keyARN(uk.keyID), MacValid: true, MacAlgorithm: in.MacAlgorithm}, nil
}

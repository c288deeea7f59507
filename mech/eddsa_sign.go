package mech

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"fmt"
	"io"

	"github.com/kagi-hsm/kagi/token/ck"
)

// EdDSA over edwards25519 (RFC 8032 section 5.1): CKM_EC_EDWARDS_KEY_PAIR_GEN
// (PKCS#11 3.0 current mechanisms section 2.3.13) and CKM_EDDSA (section
// 2.3.14), single-part. Without a parameter CKM_EDDSA is Ed25519 (pure);
// CK_EDDSA_PARAMS selects Ed25519ph (phFlag set; the input is the message,
// which the mechanism hashes with SHA-512 as RFC 8032 section 5.1 PH
// defines) or Ed25519ctx (phFlag clear, a non-empty context: RFC 8032
// section 5.1 says the context SHOULD NOT be empty, and an empty one would
// silently be pure Ed25519, so it is CKR_MECHANISM_PARAM_INVALID). A
// context holds at most 255 bytes (section 5.1).

// edKeyBits is the key size CKM_EDDSA reports: SoftHSMv2 2.6 reports
// 255..448 (Ed25519 and Ed448); kagi has Ed25519 only.
const edKeyBits = 255

// generateEd25519 is CKM_EC_EDWARDS_KEY_PAIR_GEN. The curve is
// CKA_EC_PARAMS of the public template (OID 1.3.101.112 or the
// PrintableString "edwards25519"); the seed is 32 bytes from rnd. The public
// key's CKA_EC_POINT is the DER OCTET STRING of the 32-byte key, as
// SoftHSMv2 stores it; the private key's CKA_VALUE is the seed.
func generateEd25519(rnd io.Reader, pubT, privT Attrs) (pubAttrs, privAttrs []ck.Attribute, err error) {
	if _, err := checkTemplateKind(pubT, ck.CKO_PUBLIC_KEY, ck.CKK_EC_EDWARDS); err != nil {
		return nil, nil, err
	}
	if _, err := checkTemplateKind(privT, ck.CKO_PRIVATE_KEY, ck.CKK_EC_EDWARDS); err != nil {
		return nil, nil, err
	}
	params, err := needAttr(pubT, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, nil, err
	}
	if err := checkEdParams(params); err != nil {
		return nil, nil, err
	}
	if pp, ok := attr(privT, ck.CKA_EC_PARAMS); ok && !bytes.Equal(pp, params) {
		return nil, nil, fmt.Errorf("mech: CKA_EC_PARAMS differ between the templates: %w", ck.CKR_TEMPLATE_INCONSISTENT)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := io.ReadFull(rnd, seed); err != nil {
		return nil, nil, fmt.Errorf("mech: random: %w", ck.CKR_FUNCTION_FAILED)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	defer clear(priv)
	pub := priv.Public().(ed25519.PublicKey)
	spki, err := publicKeyInfo(pub)
	if err != nil {
		clear(seed)
		return nil, nil, err
	}
	pubAttrs = append([]ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC_EDWARDS)),
		{Type: ck.CKA_EC_PARAMS, Value: bytes.Clone(params)},
		{Type: ck.CKA_EC_POINT, Value: derAppend(nil, derOctetString, pub)},
	}, spki...)
	privAttrs = []ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC_EDWARDS)),
		{Type: ck.CKA_EC_PARAMS, Value: bytes.Clone(params)},
		{Type: ck.CKA_VALUE, Value: seed},
		{Type: ck.CKA_PUBLIC_KEY_INFO, Value: bytes.Clone(spki[0].Value)},
	}
	return pubAttrs, privAttrs, nil
}

// eddsaOptions parses the optional CK_EDDSA_PARAMS into Go's options.
func eddsaOptions(param any) (*ed25519.Options, error) {
	var p ck.EDDSAParams
	switch v := param.(type) {
	case nil:
		return &ed25519.Options{}, nil
	case []byte:
		if len(v) == 0 {
			return &ed25519.Options{}, nil
		}
		return nil, errParam("CKM_EDDSA takes CK_EDDSA_PARAMS")
	case ck.EDDSAParams:
		p = v
	case *ck.EDDSAParams:
		if v == nil {
			return &ed25519.Options{}, nil
		}
		p = *v
	default:
		return nil, errParam("CKM_EDDSA takes CK_EDDSA_PARAMS")
	}
	if len(p.ContextData) > 255 {
		return nil, errParam("EdDSA context longer than 255 bytes")
	}
	if p.PHFlag {
		return &ed25519.Options{Hash: crypto.SHA512, Context: string(p.ContextData)}, nil
	}
	if len(p.ContextData) == 0 {
		return nil, errParam("Ed25519ctx needs a context")
	}
	return &ed25519.Options{Context: string(p.ContextData)}, nil
}

func eddsaSign(k *Key, param any) (SignOp, error) {
	priv, ok := k.Private.(ed25519.PrivateKey)
	if !ok || len(priv) != ed25519.PrivateKeySize || k.Type != ck.CKK_EC_EDWARDS {
		return nil, fmt.Errorf("mech: not an Ed25519 private key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	opts, err := eddsaOptions(param)
	if err != nil {
		return nil, err
	}
	return &eddsaSignOp{priv: priv, opts: opts}, nil
}

func eddsaVerify(k *Key, param any) (VerifyOp, error) {
	pub, ok := k.Public.(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize || k.Type != ck.CKK_EC_EDWARDS {
		return nil, fmt.Errorf("mech: not an Ed25519 key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	opts, err := eddsaOptions(param)
	if err != nil {
		return nil, err
	}
	return &eddsaVerifyOp{pub: pub, opts: opts}, nil
}

// eddsaMessage is what Go's ed25519 takes: the message, or for Ed25519ph
// its SHA-512 hash.
func eddsaMessage(opts *ed25519.Options, data []byte) []byte {
	if opts.Hash == crypto.SHA512 {
		d := sha512.Sum512(data)
		return d[:]
	}
	return data
}

type eddsaSignOp struct {
	priv ed25519.PrivateKey
	opts *ed25519.Options
}

func (o *eddsaSignOp) SigLen() int { return ed25519.SignatureSize }

func (o *eddsaSignOp) Sign(data []byte) ([]byte, error) {
	if o.opts.Hash == 0 && o.opts.Context == "" {
		return ed25519.Sign(o.priv, data), nil
	}
	sig, err := o.priv.Sign(nil, eddsaMessage(o.opts, data), o.opts)
	if err != nil {
		return nil, fmt.Errorf("mech: EdDSA sign: %w", ck.CKR_FUNCTION_FAILED)
	}
	return sig, nil
}

func (o *eddsaSignOp) Update([]byte) error    { return errNoMultiPart }
func (o *eddsaSignOp) Final() ([]byte, error) { return nil, errNoMultiPart }

type eddsaVerifyOp struct {
	pub  ed25519.PublicKey
	opts *ed25519.Options
}

func (o *eddsaVerifyOp) Verify(data, sig []byte) error {
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("mech: EdDSA signature is %d bytes, want %d: %w", len(sig), ed25519.SignatureSize, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	if ed25519.VerifyWithOptions(o.pub, eddsaMessage(o.opts, data), sig, o.opts) != nil {
		return fmt.Errorf("mech: EdDSA verify: %w", ck.CKR_SIGNATURE_INVALID)
	}
	return nil
}

func (o *eddsaVerifyOp) Update([]byte) error { return errNoMultiPart }
func (o *eddsaVerifyOp) Final([]byte) error  { return errNoMultiPart }

// selfTestEd25519 is RFC 8032 section 7.1 TEST 2 through CKM_EDDSA: the
// signature of 0x72 byte for byte, and its verification; ready for
// selftest.go's table.
func selfTestEd25519() error {
	priv := ed25519.NewKeyFromSeed(unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb"))
	defer clear(priv)
	k := &Key{Class: ck.CKO_PRIVATE_KEY, Type: ck.CKK_EC_EDWARDS, Private: priv, Public: priv.Public()}
	s, err := eddsaSign(k, nil)
	if err != nil {
		return err
	}
	sig, err := s.Sign([]byte{0x72})
	if err != nil {
		return err
	}
	if err := expect(sig, "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"+
		"085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"); err != nil {
		return err
	}
	v, err := eddsaVerify(k, nil)
	if err != nil {
		return err
	}
	return v.Verify([]byte{0x72}, sig)
}

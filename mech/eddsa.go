package mech

import (
	"bytes"
	"crypto/ed25519"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Edwards keys (PKCS#11 3.0 current mechanisms section 2.3.5): CKA_EC_PARAMS
// names the curve, by OID (RFC 8410) or by the PrintableString curve name;
// CKA_EC_POINT is the 32-byte public key (RFC 8032 encoding), bare or as a
// DER OCTET STRING; CKA_VALUE of a private key is the 32-byte seed. Go's
// standard library has Ed25519 only; Ed448 is CKR_CURVE_NOT_SUPPORTED.

var (
	oidEd25519 = []byte{derOID, 3, 0x2b, 0x65, 0x70} // 1.3.101.112
	oidEd448   = []byte{derOID, 3, 0x2b, 0x65, 0x71} // 1.3.101.113
)

// checkEdParams accepts Ed25519 parameters.
func checkEdParams(params []byte) error {
	if bytes.Equal(params, oidEd25519) {
		return nil
	}
	if bytes.Equal(params, oidEd448) {
		return fmt.Errorf("mech: Ed448: %w", ck.CKR_CURVE_NOT_SUPPORTED)
	}
	tag, content, ok := derValue(params)
	if !ok {
		return fmt.Errorf("mech: CKA_EC_PARAMS is not DER: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	if tag == derPrintableString || tag == derUTF8String {
		switch string(content) {
		case "edwards25519", "Ed25519":
			return nil
		case "edwards448", "Ed448":
			return fmt.Errorf("mech: Ed448: %w", ck.CKR_CURVE_NOT_SUPPORTED)
		}
	}
	return fmt.Errorf("mech: not an Edwards curve: %w", ck.CKR_CURVE_NOT_SUPPORTED)
}

// edPublicFromAttrs builds an Ed25519 public key from CKA_EC_PARAMS and
// CKA_EC_POINT.
func edPublicFromAttrs(a Attrs) (ed25519.PublicKey, error) {
	params, err := needAttr(a, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, err
	}
	if err := checkEdParams(params); err != nil {
		return nil, err
	}
	point, err := needAttr(a, ck.CKA_EC_POINT)
	if err != nil {
		return nil, err
	}
	raw := point
	if len(raw) != ed25519.PublicKeySize {
		if tag, content, ok := derValue(point); ok && tag == derOctetString {
			raw = content
		}
	}
	if len(raw) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("mech: Ed25519 CKA_EC_POINT of %d bytes: %w", len(raw), ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return ed25519.PublicKey(bytes.Clone(raw)), nil
}

// edPrivateFromAttrs builds an Ed25519 private key from CKA_EC_PARAMS and
// the seed in CKA_VALUE.
func edPrivateFromAttrs(a Attrs) (ed25519.PrivateKey, error) {
	params, err := needAttr(a, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, err
	}
	if err := checkEdParams(params); err != nil {
		return nil, err
	}
	seed, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("mech: Ed25519 CKA_VALUE of %d bytes: %w", len(seed), ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

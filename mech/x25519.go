package mech

import (
	"bytes"
	"crypto/ecdh"
	"fmt"
	"io"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Montgomery keys (PKCS#11 3.0 current mechanisms, "Montgomery Elliptic
// Curve" key objects, and CKM_EC_MONTGOMERY_KEY_PAIR_GEN): CKA_EC_PARAMS
// names the curve by OID (RFC 8410: id-X25519 1.3.101.110) or by the
// PrintableString curve name; CKA_EC_POINT of a public key is the 32-byte
// u-coordinate (RFC 7748 section 5 encoding) as a DER OCTET STRING, as
// SoftHSMv2 stores it (the bare 32 bytes are accepted too); CKA_VALUE of a
// private key is the 32-byte scalar as RFC 7748 encodes it. Go's standard
// library has X25519 only; X448 is CKR_CURVE_NOT_SUPPORTED. Key.Private is
// an *ecdh.PrivateKey, Key.Public an *ecdh.PublicKey.

var (
	oidX25519 = []byte{derOID, 3, 0x2b, 0x65, 0x6e} // 1.3.101.110
	oidX448   = []byte{derOID, 3, 0x2b, 0x65, 0x6f} // 1.3.101.111
)

// x25519Bits is the key size CKM_EC_MONTGOMERY_KEY_PAIR_GEN reports, as
// CKM_EC_EDWARDS_KEY_PAIR_GEN reports 255 for Ed25519.
const x25519Bits = 255

// checkMontgomeryParams accepts X25519 parameters.
func checkMontgomeryParams(params []byte) error {
	if bytes.Equal(params, oidX25519) {
		return nil
	}
	if bytes.Equal(params, oidX448) {
		return fmt.Errorf("mech: X448: %w", ck.CKR_CURVE_NOT_SUPPORTED)
	}
	tag, content, ok := derValue(params)
	if !ok {
		return fmt.Errorf("mech: CKA_EC_PARAMS is not DER: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	if tag == derPrintableString || tag == derUTF8String {
		switch string(content) {
		case "curve25519", "X25519":
			return nil
		case "curve448", "X448":
			return fmt.Errorf("mech: X448: %w", ck.CKR_CURVE_NOT_SUPPORTED)
		}
	}
	return fmt.Errorf("mech: not a Montgomery curve: %w", ck.CKR_CURVE_NOT_SUPPORTED)
}

// montgomeryPoint returns the 32-byte u-coordinate of CKA_EC_POINT or of
// ECDH public data: bare, or inside a DER OCTET STRING.
func montgomeryPoint(b []byte) ([]byte, error) {
	raw := b
	if len(raw) != 32 {
		if tag, content, ok := derValue(b); ok && tag == derOctetString {
			raw = content
		}
	}
	if len(raw) != 32 {
		return nil, fmt.Errorf("mech: X25519 public key of %d bytes: %w", len(raw), ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return raw, nil
}

// generateX25519 is CKM_EC_MONTGOMERY_KEY_PAIR_GEN. The curve is
// CKA_EC_PARAMS of the public template; the scalar is 32 bytes from rnd.
func generateX25519(rnd io.Reader, pubT, privT Attrs) (pubAttrs, privAttrs []ck.Attribute, err error) {
	if _, err := checkTemplateKind(pubT, ck.CKO_PUBLIC_KEY, ck.CKK_EC_MONTGOMERY); err != nil {
		return nil, nil, err
	}
	if _, err := checkTemplateKind(privT, ck.CKO_PRIVATE_KEY, ck.CKK_EC_MONTGOMERY); err != nil {
		return nil, nil, err
	}
	params, err := needAttr(pubT, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, nil, err
	}
	if err := checkMontgomeryParams(params); err != nil {
		return nil, nil, err
	}
	if pp, ok := attr(privT, ck.CKA_EC_PARAMS); ok && !bytes.Equal(pp, params) {
		return nil, nil, fmt.Errorf("mech: CKA_EC_PARAMS differ between the templates: %w", ck.CKR_TEMPLATE_INCONSISTENT)
	}
	scalar := make([]byte, 32)
	if _, err := io.ReadFull(rnd, scalar); err != nil {
		return nil, nil, fmt.Errorf("mech: random: %w", ck.CKR_FUNCTION_FAILED)
	}
	priv, err := ecdh.X25519().NewPrivateKey(scalar)
	if err != nil {
		clear(scalar)
		return nil, nil, fmt.Errorf("mech: X25519 key generation: %w", ck.CKR_FUNCTION_FAILED)
	}
	pub := priv.PublicKey()
	spki, err := publicKeyInfo(pub)
	if err != nil {
		clear(scalar)
		return nil, nil, err
	}
	pubAttrs = append([]ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC_MONTGOMERY)),
		{Type: ck.CKA_EC_PARAMS, Value: bytes.Clone(params)},
		{Type: ck.CKA_EC_POINT, Value: derAppend(nil, derOctetString, pub.Bytes())},
	}, spki...)
	privAttrs = []ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC_MONTGOMERY)),
		{Type: ck.CKA_EC_PARAMS, Value: bytes.Clone(params)},
		{Type: ck.CKA_VALUE, Value: scalar},
		{Type: ck.CKA_PUBLIC_KEY_INFO, Value: bytes.Clone(spki[0].Value)},
	}
	return pubAttrs, privAttrs, nil
}

// x25519PrivateFromAttrs builds an X25519 private key from CKA_EC_PARAMS
// and CKA_VALUE.
func x25519PrivateFromAttrs(a Attrs) (*ecdh.PrivateKey, error) {
	params, err := needAttr(a, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, err
	}
	if err := checkMontgomeryParams(params); err != nil {
		return nil, err
	}
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	priv, err := ecdh.X25519().NewPrivateKey(v)
	if err != nil {
		return nil, fmt.Errorf("mech: X25519 CKA_VALUE of %d bytes: %w", len(v), ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return priv, nil
}

// x25519PublicFromAttrs builds an X25519 public key from CKA_EC_PARAMS and
// CKA_EC_POINT.
func x25519PublicFromAttrs(a Attrs) (*ecdh.PublicKey, error) {
	params, err := needAttr(a, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, err
	}
	if err := checkMontgomeryParams(params); err != nil {
		return nil, err
	}
	point, err := needAttr(a, ck.CKA_EC_POINT)
	if err != nil {
		return nil, err
	}
	u, err := montgomeryPoint(point)
	if err != nil {
		return nil, err
	}
	pub, err := ecdh.X25519().NewPublicKey(u)
	if err != nil {
		return nil, fmt.Errorf("mech: X25519 CKA_EC_POINT: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return pub, nil
}

// montgomeryKeyFromAttrs is KeyFromAttrs for CKK_EC_MONTGOMERY keys: a
// private key needs CKA_EC_PARAMS and CKA_VALUE (the public key is
// derived), a public key CKA_EC_PARAMS and CKA_EC_POINT.
func montgomeryKeyFromAttrs(class ck.ObjectClass, a Attrs) (*Key, error) {
	k := &Key{Class: class, Type: ck.CKK_EC_MONTGOMERY}
	switch class {
	case ck.CKO_PRIVATE_KEY:
		priv, err := x25519PrivateFromAttrs(a)
		if err != nil {
			return nil, err
		}
		k.Private, k.Public = priv, priv.PublicKey()
	case ck.CKO_PUBLIC_KEY:
		pub, err := x25519PublicFromAttrs(a)
		if err != nil {
			return nil, err
		}
		k.Public = pub
	default:
		return nil, fmt.Errorf("mech: unsupported key class/type: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	return k, nil
}

// montgomeryImportAttrs is ImportAttrs for CKK_EC_MONTGOMERY keys: it
// validates the components and computes CKA_PUBLIC_KEY_INFO.
func montgomeryImportAttrs(class ck.ObjectClass, a Attrs) ([]ck.Attribute, error) {
	switch class {
	case ck.CKO_PRIVATE_KEY:
		priv, err := x25519PrivateFromAttrs(a)
		if err != nil {
			return nil, err
		}
		return publicKeyInfo(priv.PublicKey())
	case ck.CKO_PUBLIC_KEY:
		pub, err := x25519PublicFromAttrs(a)
		if err != nil {
			return nil, err
		}
		return publicKeyInfo(pub)
	}
	return nil, fmt.Errorf("mech: unsupported key class/type: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
}

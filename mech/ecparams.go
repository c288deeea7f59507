package mech

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// CKA_EC_PARAMS is the DER encoding of an ANSI X9.62 Parameters value
// (PKCS#11 3.0 section 2.3.3): kagi understands the namedCurve choice (an
// OBJECT IDENTIFIER) and the PrintableString curve-name form PKCS#11 3.0
// section 2.3.3 adds; explicit parameters (ecParameters) and implicitlyCA
// are not supported.

// curveInfo describes one supported named curve.
type curveInfo struct {
	name  string         // Go's name, "P-256"
	oid   []byte         // DER OBJECT IDENTIFIER, tag and length included
	names []string       // the accepted PrintableString forms
	curve elliptic.Curve //
	size  int            // bytes of a field element and of a scalar
}

// DER tags used in CKA_EC_PARAMS and CKA_EC_POINT.
const (
	derOctetString     = 0x04
	derNull            = 0x05
	derOID             = 0x06
	derUTF8String      = 0x0c
	derPrintableString = 0x13
	derSequence        = 0x30
	derInteger         = 0x02
)

var curves = []*curveInfo{
	{
		// secp224r1, 1.3.132.0.33 (SEC 2 section 2.6.2)
		name:  "P-224",
		oid:   []byte{derOID, 5, 0x2b, 0x81, 0x04, 0x00, 0x21},
		names: []string{"secp224r1", "P-224", "nistp224"},
		curve: elliptic.P224(), size: 28,
	},
	{
		// prime256v1 = secp256r1, 1.2.840.10045.3.1.7 (X9.62, SEC 2 section 2.7.2)
		name:  "P-256",
		oid:   []byte{derOID, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07},
		names: []string{"prime256v1", "secp256r1", "P-256", "nistp256"},
		curve: elliptic.P256(), size: 32,
	},
	{
		// secp384r1, 1.3.132.0.34 (SEC 2 section 2.8.1)
		name:  "P-384",
		oid:   []byte{derOID, 5, 0x2b, 0x81, 0x04, 0x00, 0x22},
		names: []string{"secp384r1", "P-384", "nistp384"},
		curve: elliptic.P384(), size: 48,
	},
	{
		// secp521r1, 1.3.132.0.35 (SEC 2 section 2.9.1)
		name:  "P-521",
		oid:   []byte{derOID, 5, 0x2b, 0x81, 0x04, 0x00, 0x23},
		names: []string{"secp521r1", "P-521", "nistp521"},
		curve: elliptic.P521(), size: 66,
	},
}

// derNext splits the first DER TLV off b (definite length, minimal length
// encoding, single-byte tag); ok is false when b does not start with one.
func derNext(b []byte) (tag byte, content, rest []byte, ok bool) {
	if len(b) < 2 {
		return 0, nil, nil, false
	}
	tag, n, b := b[0], int(b[1]), b[2:]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, false // multi-byte tags do not occur here
	}
	if n >= 0x80 {
		l := n & 0x7f
		if l == 0 || l > 3 || len(b) < l || b[0] == 0 {
			return 0, nil, nil, false
		}
		n = 0
		for _, c := range b[:l] {
			n = n<<8 | int(c)
		}
		if n < 0x80 {
			return 0, nil, nil, false
		}
		b = b[l:]
	}
	if n > len(b) {
		return 0, nil, nil, false
	}
	return tag, b[:n], b[n:], true
}

// derValue is derNext for a TLV that must span all of b.
func derValue(b []byte) (tag byte, content []byte, ok bool) {
	tag, content, rest, ok := derNext(b)
	if !ok || len(rest) != 0 {
		return 0, nil, false
	}
	return tag, content, true
}

// derAppend appends a DER TLV with tag and content to dst.
func derAppend(dst []byte, tag byte, content []byte) []byte {
	dst = append(dst, tag)
	switch n := len(content); {
	case n < 0x80:
		dst = append(dst, byte(n))
	case n < 0x100:
		dst = append(dst, 0x81, byte(n))
	case n < 0x10000:
		dst = append(dst, 0x82, byte(n>>8), byte(n))
	default:
		dst = append(dst, 0x83, byte(n>>16), byte(n>>8), byte(n))
	}
	return append(dst, content...)
}

// curveOf decodes CKA_EC_PARAMS. Malformed DER is
// CKR_ATTRIBUTE_VALUE_INVALID; well-formed parameters naming a curve kagi
// does not implement are CKR_CURVE_NOT_SUPPORTED.
func curveOf(params []byte) (*curveInfo, error) {
	tag, content, ok := derValue(params)
	if !ok {
		return nil, fmt.Errorf("mech: CKA_EC_PARAMS is not DER: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	switch tag {
	case derOID:
		for _, c := range curves {
			if bytes.Equal(params, c.oid) {
				return c, nil
			}
		}
	case derPrintableString, derUTF8String:
		for _, c := range curves {
			for _, n := range c.names {
				if string(content) == n {
					return c, nil
				}
			}
		}
	case derSequence, derNull:
		// Explicit parameters or implicitlyCA: valid X9.62, not supported.
	default:
		return nil, fmt.Errorf("mech: CKA_EC_PARAMS is not an X9.62 Parameters: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return nil, fmt.Errorf("mech: EC curve not supported: %w", ck.CKR_CURVE_NOT_SUPPORTED)
}

// CurveOf returns the named curve CKA_EC_PARAMS designates (DER OBJECT
// IDENTIFIER or PrintableString name): P-224, P-256, P-384 or P-521.
func CurveOf(params []byte) (elliptic.Curve, error) {
	c, err := curveOf(params)
	if err != nil {
		return nil, err
	}
	return c.curve, nil
}

// ECParams returns the CKA_EC_PARAMS value (the DER namedCurve OBJECT
// IDENTIFIER) for a curve CurveOf supports.
func ECParams(curve elliptic.Curve) ([]byte, error) {
	for _, c := range curves {
		if c.curve == curve {
			return bytes.Clone(c.oid), nil
		}
	}
	return nil, fmt.Errorf("mech: EC curve not supported: %w", ck.CKR_CURVE_NOT_SUPPORTED)
}

func curveOfKey(c elliptic.Curve) *curveInfo {
	for _, ci := range curves {
		if ci.curve == c {
			return ci
		}
	}
	return nil
}

// parseECPoint decodes CKA_EC_POINT: the DER OCTET STRING holding an X9.62
// point (PKCS#11 3.0 section 2.3.3), or, as many applications send it, the
// bare point. The point may be uncompressed or compressed; it must be on
// the curve and not the point at infinity.
func parseECPoint(c *curveInfo, b []byte) (*ecdsa.PublicKey, error) {
	raw := b
	if !(len(b) == 1+2*c.size && b[0] == 4) {
		if tag, content, ok := derValue(b); ok && tag == derOctetString {
			raw = content
		}
	}
	if len(raw) == 1+c.size && (raw[0] == 2 || raw[0] == 3) {
		x, y := elliptic.UnmarshalCompressed(c.curve, raw) //nolint:staticcheck // no replacement for compressed points
		if x == nil {
			return nil, fmt.Errorf("mech: CKA_EC_POINT is not a point on %s: %w", c.name, ck.CKR_ATTRIBUTE_VALUE_INVALID)
		}
		raw = elliptic.Marshal(c.curve, x, y) //nolint:staticcheck // see above
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(c.curve, raw)
	if err != nil {
		return nil, fmt.Errorf("mech: CKA_EC_POINT is not a point on %s: %w", c.name, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return pub, nil
}

// ecPointAttr encodes a public key as CKA_EC_POINT: the DER OCTET STRING of
// the uncompressed point, as SoftHSMv2 stores it.
func ecPointAttr(pub *ecdsa.PublicKey) ([]byte, error) {
	raw, err := pub.Bytes()
	if err != nil {
		return nil, fmt.Errorf("mech: EC public key: %w", ck.CKR_GENERAL_ERROR)
	}
	return derAppend(make([]byte, 0, len(raw)+3), derOctetString, raw), nil
}

// ecPrivateFromAttrs builds an EC private key from CKA_EC_PARAMS and
// CKA_VALUE (the big-endian scalar, left-padded to the curve size if the
// caller stripped leading zeros).
func ecPrivateFromAttrs(a Attrs) (*ecdsa.PrivateKey, error) {
	params, err := needAttr(a, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, err
	}
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	c, err := curveOf(params)
	if err != nil {
		return nil, err
	}
	for len(v) > c.size && v[0] == 0 {
		v = v[1:]
	}
	if len(v) > c.size || len(v) == 0 {
		return nil, fmt.Errorf("mech: EC private value has the wrong length for %s: %w", c.name, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	buf := make([]byte, c.size)
	copy(buf[c.size-len(v):], v)
	defer clear(buf)
	priv, err := ecdsa.ParseRawPrivateKey(c.curve, buf)
	if err != nil {
		return nil, fmt.Errorf("mech: EC private value out of range for %s: %w", c.name, ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return priv, nil
}

// ecPublicFromAttrs builds an EC public key from CKA_EC_PARAMS and
// CKA_EC_POINT.
func ecPublicFromAttrs(a Attrs) (*ecdsa.PublicKey, error) {
	params, err := needAttr(a, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, err
	}
	point, err := needAttr(a, ck.CKA_EC_POINT)
	if err != nil {
		return nil, err
	}
	c, err := curveOf(params)
	if err != nil {
		return nil, err
	}
	return parseECPoint(c, point)
}

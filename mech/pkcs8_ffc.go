package mech

import (
	"crypto/dsa" //nolint:staticcheck // legacy DSA keys (dsa.go) in PKCS#8.
	"encoding/asn1"
	"fmt"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// PKCS#8 (RFC 5208 PrivateKeyInfo) for the finite-field keys crypto/x509
// neither writes nor reads: DSA (AlgorithmIdentifier id-dsa with
// Dss-Parms {p, q, g}, RFC 3279 section 2.3.2) and PKCS #3 DH
// (dhKeyAgreement with DHParameter {p, g}, PKCS #3 section 9), the private
// value x as a DER INTEGER in the privateKey OCTET STRING. These are the
// forms OpenSSL writes and reads for "DSA" and "DH" keys, so C_WrapKey and
// C_UnwrapKey carry such keys as they carry RSA and EC ones.

// privateKeyInfo is RFC 5208's PrivateKeyInfo; the optional attributes
// are not written and, when present, ignored.
type privateKeyInfo struct {
	Version    int
	Algorithm  algorithmIdentifier
	PrivateKey []byte
}

// dhParameterIn is DHParameter as read: privateValueLength is optional.
type dhParameterIn struct {
	P, G   *big.Int
	Length int `asn1:"optional"`
}

func ffcPKCS8Type(priv any) bool {
	switch priv.(type) {
	case *dsa.PrivateKey, *dhPrivateKey:
		return true
	}
	return false
}

// marshalFFCPKCS8 is the PKCS#8 DER of a DSA or DH private key.
func marshalFFCPKCS8(priv any) ([]byte, error) {
	var oid asn1.ObjectIdentifier
	var params any
	var x *big.Int
	switch p := priv.(type) {
	case *dsa.PrivateKey:
		oid, params, x = oidDSA, struct{ P, Q, G *big.Int }{p.P, p.Q, p.G}, p.X
	case *dhPrivateKey:
		oid, params, x = oidDHKeyAgreement, dhParameter{p.P, p.G}, p.X
	default:
		return nil, fmt.Errorf("mech: PKCS#8: %w", ck.CKR_KEY_NOT_WRAPPABLE)
	}
	pder, err := asn1.Marshal(params)
	if err != nil {
		return nil, fmt.Errorf("mech: PKCS#8: %w", ck.CKR_KEY_NOT_WRAPPABLE)
	}
	xder, err := asn1.Marshal(x)
	if err != nil {
		return nil, fmt.Errorf("mech: PKCS#8: %w", ck.CKR_KEY_NOT_WRAPPABLE)
	}
	defer clear(xder)
	return asn1.Marshal(privateKeyInfo{
		Algorithm:  algorithmIdentifier{oid, asn1.RawValue{FullBytes: pder}},
		PrivateKey: xder,
	})
}

// parseFFCPKCS8 reads a PKCS#8 DSA or DH private key into its attributes
// (the components, CKA_PUBLIC_KEY_INFO, and for DH CKA_VALUE_BITS). ok is
// false for any other value (crypto/x509 is asked then); a DSA or DH key
// that does not parse or whose values are out of range is
// CKR_WRAPPED_KEY_INVALID.
func parseFFCPKCS8(der []byte) (kt ck.KeyType, attrs []ck.Attribute, ok bool, err error) {
	var info privateKeyInfo
	if _, err := asn1.Unmarshal(der, &info); err != nil {
		return 0, nil, false, nil
	}
	alg := info.Algorithm.Algorithm
	if !alg.Equal(oidDSA) && !alg.Equal(oidDHKeyAgreement) {
		return 0, nil, false, nil
	}
	invalid := fmt.Errorf("mech: unwrapped PKCS#8 %v key: %w", alg, ck.CKR_WRAPPED_KEY_INVALID)
	x := new(big.Int)
	if rest, err := asn1.Unmarshal(info.PrivateKey, &x); err != nil || len(rest) != 0 || info.Version != 0 || x.Sign() <= 0 {
		return 0, nil, true, invalid
	}
	defer zeroBig(x)
	params := info.Algorithm.Parameters.FullBytes
	var m attrMap
	if alg.Equal(oidDSA) {
		var p struct{ P, Q, G *big.Int }
		// Negative integers would lose their sign in Bytes; an x of more
		// bytes than q does not fit the fixed-length CKA_VALUE (and is out
		// of range anyway).
		if rest, err := asn1.Unmarshal(params, &p); err != nil || len(rest) != 0 ||
			p.P.Sign() <= 0 || p.Q.Sign() <= 0 || p.G.Sign() <= 0 || x.Cmp(p.Q) >= 0 {
			return 0, nil, true, invalid
		}
		kt = ck.CKK_DSA
		m = attrMap{ck.CKA_PRIME: p.P.Bytes(), ck.CKA_SUBPRIME: p.Q.Bytes(), ck.CKA_BASE: p.G.Bytes(),
			ck.CKA_VALUE: x.FillBytes(make([]byte, (p.Q.BitLen()+7)/8))}
	} else {
		var p dhParameterIn
		if rest, err := asn1.Unmarshal(params, &p); err != nil || len(rest) != 0 || p.P.Sign() <= 0 || p.G.Sign() <= 0 {
			return 0, nil, true, invalid
		}
		kt = ck.CKK_DH
		m = attrMap{ck.CKA_PRIME: p.P.Bytes(), ck.CKA_BASE: p.G.Bytes(), ck.CKA_VALUE: x.Bytes()}
	}
	computed, err := ImportAttrs(ck.CKO_PRIVATE_KEY, kt, m)
	if err != nil {
		clear(m[ck.CKA_VALUE])
		return 0, nil, true, invalid
	}
	for _, t := range []ck.AttributeType{ck.CKA_PRIME, ck.CKA_SUBPRIME, ck.CKA_BASE, ck.CKA_VALUE} {
		if v, ok := m[t]; ok {
			attrs = append(attrs, ck.Attribute{Type: t, Value: v})
		}
	}
	return kt, append(attrs, computed...), true, nil
}

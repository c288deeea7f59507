package mech

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Key values as C_WrapKey and C_UnwrapKey carry them (PKCS#11 3.0 section
// 5.18): a secret key is its CKA_VALUE; a private key is its PKCS#8
// PrivateKeyInfo (RFC 5208) in DER.

// WrapValue returns the bytes C_WrapKey encrypts for k.
func WrapValue(k *Key) ([]byte, error) {
	switch {
	case k.Class == ck.CKO_SECRET_KEY && k.Secret != nil:
		return bytes.Clone(k.Secret), nil
	case k.Class == ck.CKO_PRIVATE_KEY && k.Private != nil && ffcPKCS8Type(k.Private):
		return marshalFFCPKCS8(k.Private)
	case k.Class == ck.CKO_PRIVATE_KEY && k.Private != nil:
		der, err := x509.MarshalPKCS8PrivateKey(k.Private)
		if err != nil {
			return nil, fmt.Errorf("mech: PKCS#8: %w", ck.CKR_KEY_NOT_WRAPPABLE)
		}
		return der, nil
	}
	return nil, fmt.Errorf("mech: only secret and private keys wrap: %w", ck.CKR_KEY_NOT_WRAPPABLE)
}

// UnwrapAttrs turns an unwrapped value into the attributes of a key of
// class and type kt: CKA_VALUE (with what ImportAttrs computes) for a secret
// key, the key's components for a private key. A value that is not a key of
// that type is CKR_WRAPPED_KEY_INVALID.
func UnwrapAttrs(class ck.ObjectClass, kt ck.KeyType, value []byte) ([]ck.Attribute, error) {
	switch class {
	case ck.CKO_SECRET_KEY:
		v := valueAttr(value)
		computed, err := ImportAttrs(class, kt, v)
		if err != nil {
			return nil, fmt.Errorf("mech: unwrapped secret key: %w", ck.CKR_WRAPPED_KEY_INVALID)
		}
		return append([]ck.Attribute{{Type: ck.CKA_VALUE, Value: bytes.Clone(value)}}, computed...), nil
	case ck.CKO_PRIVATE_KEY:
		if got, attrs, ok, err := parseFFCPKCS8(value); ok {
			if err != nil {
				return nil, err
			}
			if got != kt {
				return nil, fmt.Errorf("mech: unwrapped key is not of the template's type: %w", ck.CKR_TEMPLATE_INCONSISTENT)
			}
			return attrs, nil
		}
		priv, err := x509.ParsePKCS8PrivateKey(value)
		if err != nil {
			return nil, fmt.Errorf("mech: unwrapped value is not PKCS#8: %w", ck.CKR_WRAPPED_KEY_INVALID)
		}
		got, attrs, err := PrivateKeyAttrs(priv)
		if err != nil {
			return nil, err
		}
		if got != kt {
			return nil, fmt.Errorf("mech: unwrapped key is not of the template's type: %w", ck.CKR_TEMPLATE_INCONSISTENT)
		}
		return attrs, nil
	}
	return nil, fmt.Errorf("mech: only secret and private keys unwrap: %w", ck.CKR_TEMPLATE_INCONSISTENT)
}

// PrivateKeyAttrs is the attribute form of a parsed private key: its key
// type and components, and CKA_PUBLIC_KEY_INFO.
func PrivateKeyAttrs(priv any) (ck.KeyType, []ck.Attribute, error) {
	switch p := priv.(type) {
	case *rsa.PrivateKey:
		if len(p.Primes) != 2 {
			return 0, nil, fmt.Errorf("mech: multi-prime RSA: %w", ck.CKR_WRAPPED_KEY_INVALID)
		}
		p.Precompute()
		spki, err := publicKeyInfo(&p.PublicKey)
		if err != nil {
			return 0, nil, err
		}
		return ck.CKK_RSA, append([]ck.Attribute{
			{Type: ck.CKA_MODULUS, Value: p.N.Bytes()},
			{Type: ck.CKA_PUBLIC_EXPONENT, Value: big.NewInt(int64(p.E)).Bytes()},
			{Type: ck.CKA_PRIVATE_EXPONENT, Value: p.D.Bytes()},
			{Type: ck.CKA_PRIME_1, Value: p.Primes[0].Bytes()},
			{Type: ck.CKA_PRIME_2, Value: p.Primes[1].Bytes()},
			{Type: ck.CKA_EXPONENT_1, Value: p.Precomputed.Dp.Bytes()},
			{Type: ck.CKA_EXPONENT_2, Value: p.Precomputed.Dq.Bytes()},
			{Type: ck.CKA_COEFFICIENT, Value: p.Precomputed.Qinv.Bytes()},
		}, spki...), nil
	case *ecdsa.PrivateKey:
		c := curveOfKey(p.Curve)
		if c == nil {
			return 0, nil, fmt.Errorf("mech: unwrapped EC key: %w", ck.CKR_CURVE_NOT_SUPPORTED)
		}
		d, err := p.Bytes()
		if err != nil {
			return 0, nil, fmt.Errorf("mech: unwrapped EC key: %w", ck.CKR_WRAPPED_KEY_INVALID)
		}
		spki, err := publicKeyInfo(&p.PublicKey)
		if err != nil {
			return 0, nil, err
		}
		return ck.CKK_EC, append([]ck.Attribute{
			{Type: ck.CKA_EC_PARAMS, Value: bytes.Clone(c.oid)},
			{Type: ck.CKA_VALUE, Value: d},
		}, spki...), nil
	case ed25519.PrivateKey:
		spki, err := publicKeyInfo(p.Public())
		if err != nil {
			return 0, nil, err
		}
		return ck.CKK_EC_EDWARDS, append([]ck.Attribute{
			{Type: ck.CKA_EC_PARAMS, Value: bytes.Clone(oidEd25519)},
			{Type: ck.CKA_VALUE, Value: bytes.Clone(p.Seed())},
		}, spki...), nil
	}
	return 0, nil, fmt.Errorf("mech: unsupported private key: %w", ck.CKR_WRAPPED_KEY_INVALID)
}

// valueAttr is an Attrs holding only CKA_VALUE.
type valueAttr []byte

func (v valueAttr) Attr(t ck.AttributeType) ([]byte, bool) {
	if t == ck.CKA_VALUE {
		return v, true
	}
	return nil, false
}

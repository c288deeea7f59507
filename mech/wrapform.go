package mech

import (
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// The wrapped form of a key under one mechanism: what C_WrapKey encrypts
// and how C_UnwrapKey makes a key of what it decrypted (PKCS#11 3.0 section
// 5.18). For most wrapping mechanisms it is the key's value as WrapValue
// gives it (CKA_VALUE, or PKCS#8 for a private key): their ciphertext
// carries the length (CBC_PAD's padding, KWP's length indicator, RSA's
// encoding).
//
// The unpadded block modes (CKM_AES_ECB and CKM_AES_CBC, PKCS#11 3.0
// Current Mechanisms section 2.10; CKM_DES*_ECB and CKM_DES*_CBC, the
// general block cipher mechanisms of the same family; Spec.WrapNullPad)
// cannot: they "can wrap and unwrap any secret key" by encrypting its
// CKA_VALUE "padded on the trailing end with up to block size minus one
// null bytes", and unwrap by decrypting and truncating "according to the
// CKA_KEY_TYPE attribute of the template and, if it has one, and the key
// type supports it, the CKA_VALUE_LEN attribute of the template". So:
//
//   - A key type of fixed length (CKK_DES 8, CKK_DES2 16, CKK_DES3 24
//     bytes) takes that many bytes; fewer is CKR_WRAPPED_KEY_LEN_RANGE.
//   - Otherwise the template's CKA_VALUE_LEN, if it has one; a length the
//     key type cannot have (AES: 16, 24, 32) or longer than what was
//     decrypted is CKR_TEMPLATE_INCONSISTENT, the code C_DeriveKey gives
//     a CKA_VALUE_LEN the derivation cannot meet (derive.go, errTooLong).
//   - Otherwise all of it: a generic secret keeps every decrypted byte, and
//     an AES key must then be 16, 24 or 32 bytes (else
//     CKR_WRAPPED_KEY_INVALID, as for any unwrapped value that is not a
//     key of the template's type). An AES-192 key wrapped with AES blocks
//     comes back as 32 bytes unless the template says CKA_VALUE_LEN 24: the
//     specification leaves the length to the application.
//
// The bytes cut off are not checked to be zero: the specification says
// truncate, and no check of at most a block of padding could tell a wrong
// key from a right one anyway.
//
// Private keys are refused with these modes: CKR_KEY_NOT_WRAPPABLE on
// wrap, CKR_WRAPPED_KEY_INVALID on unwrap. PKCS#8 DER knows its own length,
// so null-padding it and trimming to the outer SEQUENCE would work, but it
// would be a form of kagi's own that no other token unwraps (the
// specification defines these modes for secret keys only), and SoftHSMv2
// 2.6 wraps a private key with CKM_AES_CBC only when its PKCS#8 happens to
// fill whole blocks and cannot unwrap it at all, so no working SoftHSMv2
// application depends on it. CKM_*_CBC_PAD and the key wrap mechanisms
// carry private keys.
//
// A template CKA_VALUE_LEN that disagrees with the unwrapped value is
// CKR_TEMPLATE_INCONSISTENT under every mechanism, not only these.

// WrapInput returns the bytes C_WrapKey encrypts with mechanism s for key k.
func (s *Spec) WrapInput(k *Key) ([]byte, error) {
	bs := s.WrapNullPad
	if bs == 0 {
		return WrapValue(k)
	}
	if k == nil || k.Class != ck.CKO_SECRET_KEY {
		return nil, fmt.Errorf("mech: %s wraps secret keys only: %w", s.Name, ck.CKR_KEY_NOT_WRAPPABLE)
	}
	v, err := WrapValue(k)
	if err != nil {
		return nil, err
	}
	if len(v)%bs == 0 {
		return v, nil
	}
	padded := make([]byte, len(v)+bs-len(v)%bs)
	copy(padded, v)
	clear(v)
	return padded, nil
}

// UnwrappedAttrs turns the bytes C_UnwrapKey decrypted with mechanism s
// into the attributes of a key of class and type kt that tmpl (the
// template) describes: UnwrapAttrs of the value, after truncation for the
// null-padding modes, with the template's CKA_VALUE_LEN checked.
func (s *Spec) UnwrappedAttrs(class ck.ObjectClass, kt ck.KeyType, tmpl Attrs, value []byte) ([]ck.Attribute, error) {
	valueLen, hasLen, err := attrULong(tmpl, ck.CKA_VALUE_LEN)
	if err != nil {
		return nil, err
	}
	if s.WrapNullPad != 0 {
		if class != ck.CKO_SECRET_KEY {
			return nil, fmt.Errorf("mech: %s unwraps secret keys only: %w", s.Name, ck.CKR_WRAPPED_KEY_INVALID)
		}
		if value, err = truncateNullPadded(kt, valueLen, hasLen, value); err != nil {
			return nil, err
		}
	}
	if hasLen && class == ck.CKO_SECRET_KEY && valueLen != ck.ULong(len(value)) {
		return nil, fmt.Errorf("mech: CKA_VALUE_LEN %d, the unwrapped key has %d bytes: %w", valueLen, len(value), ck.CKR_TEMPLATE_INCONSISTENT)
	}
	return UnwrapAttrs(class, kt, value)
}

// truncateNullPadded is the truncation of a null-padded secret key value
// (see above): the leading bytes of value the key type or CKA_VALUE_LEN
// asks for, all of value when neither does.
func truncateNullPadded(kt ck.KeyType, valueLen ck.ULong, hasLen bool, value []byte) ([]byte, error) {
	if len(value) == 0 {
		return nil, fmt.Errorf("mech: empty wrapped key: %w", ck.CKR_WRAPPED_KEY_LEN_RANGE)
	}
	if n, fixed := desKeyLens[kt]; fixed {
		if hasLen && valueLen != ck.ULong(n) {
			return nil, fmt.Errorf("mech: CKA_VALUE_LEN %d for a key of %d bytes: %w", valueLen, n, ck.CKR_TEMPLATE_INCONSISTENT)
		}
		if len(value) < n {
			return nil, fmt.Errorf("mech: %d unwrapped bytes for a key of %d: %w", len(value), n, ck.CKR_WRAPPED_KEY_LEN_RANGE)
		}
		return value[:n], nil
	}
	if !hasLen {
		return value, nil
	}
	if !secretLenValid(kt, valueLen) {
		return nil, fmt.Errorf("mech: CKA_VALUE_LEN %d for key type %#x: %w", valueLen, ck.ULong(kt), ck.CKR_TEMPLATE_INCONSISTENT)
	}
	if valueLen > ck.ULong(len(value)) {
		return nil, fmt.Errorf("mech: CKA_VALUE_LEN %d, %d bytes unwrapped: %w", valueLen, len(value), ck.CKR_TEMPLATE_INCONSISTENT)
	}
	return value[:valueLen], nil
}

// secretLenValid reports whether a secret key of type kt may have n bytes
// (checkSecretValue's rule).
func secretLenValid(kt ck.KeyType, n ck.ULong) bool {
	if kt == ck.CKK_AES {
		return n == 16 || n == 24 || n == 32
	}
	return n >= 1 && n <= maxSecretLen
}

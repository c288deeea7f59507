package mech

import (
	"fmt"
	"slices"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Key derivation (C_DeriveKey) shared rules, and the miscellaneous simple
// key derivation mechanisms of PKCS#11 3.0 current mechanisms ("Miscellaneous
// simple key derivation mechanisms": CKM_CONCATENATE_BASE_AND_KEY,
// CKM_CONCATENATE_BASE_AND_DATA, CKM_CONCATENATE_DATA_AND_BASE,
// CKM_XOR_BASE_AND_DATA, CKM_EXTRACT_KEY_FROM_KEY); the encryption of data
// is in encrypt_data.go. A Derive function returns the value of the new
// key; token makes the object (and keeps the protection of the keys whose
// bits these copy).
//
// Lengths follow SoftHSMv2 (SoftHSM::deriveSymmetric): without a
// CKA_VALUE_LEN the concatenations give all their bytes and the XOR the
// shorter operand's length (as the XOR mechanism defines), and the encryption of data,
// which has no natural length, is CKR_TEMPLATE_INCOMPLETE; a shorter
// CKA_VALUE_LEN keeps the leading bytes. A CKA_VALUE_LEN longer than what
// the mechanism yields is CKR_TEMPLATE_INCONSISTENT (the spec: "an error
// is generated"; SoftHSMv2 fails with CKR_FUNCTION_FAILED, which would
// blame the token for the caller's template).

// errTooLong is a CKA_VALUE_LEN beyond what the mechanism yields.
func errTooLong(keyLen, have int) error {
	return fmt.Errorf("mech: CKA_VALUE_LEN %d, the mechanism yields %d bytes: %w", keyLen, have, ck.CKR_TEMPLATE_INCONSISTENT)
}

// checkKeyLen rejects a negative CKA_VALUE_LEN (a CK_ULONG beyond int's
// range) or one beyond the largest secret kagi stores.
func checkKeyLen(keyLen int) error {
	if keyLen < 0 || keyLen > maxSecretLen {
		return fmt.Errorf("mech: CKA_VALUE_LEN out of range: %w", ck.CKR_TEMPLATE_INCONSISTENT)
	}
	return nil
}

// leading returns the first keyLen bytes of v (all of v when keyLen is 0).
// v is consumed: on error it is cleared.
func leading(v []byte, keyLen int) ([]byte, error) {
	if err := checkKeyLen(keyLen); err != nil {
		clear(v)
		return nil, err
	}
	if keyLen == 0 {
		return v, nil
	}
	if keyLen > len(v) {
		clear(v)
		return nil, errTooLong(keyLen, len(v))
	}
	clear(v[keyLen:])
	return v[:keyLen:keyLen], nil
}

// trailing returns the last keyLen bytes of a shared secret z (all of z
// when keyLen is 0), in a new slice: the truncation of the Diffie-Hellman
// derivations (CKM_ECDH1_DERIVE with CKD_NULL, CKM_DH_PKCS_DERIVE), which
// "removes bytes from the leading end of the secret value" (PKCS#11 3.0
// current mechanisms, both sections; SoftHSMv2 does the same). z is left
// to the caller to clear.
func trailing(z []byte, keyLen int) ([]byte, error) {
	if err := checkKeyLen(keyLen); err != nil {
		return nil, err
	}
	if keyLen == 0 {
		keyLen = len(z)
	}
	if keyLen > len(z) {
		return nil, errTooLong(keyLen, len(z))
	}
	out := make([]byte, keyLen)
	copy(out, z[len(z)-keyLen:])
	return out, nil
}

// secretOf returns the value of a secret key used as base or second key;
// any other key is CKR_KEY_TYPE_INCONSISTENT.
func secretOf(k *Key) ([]byte, error) {
	if k == nil || k.Class != ck.CKO_SECRET_KEY || len(k.Secret) == 0 {
		return nil, fmt.Errorf("mech: derivation needs a secret key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	return k.Secret, nil
}

// stringData decodes CK_KEY_DERIVATION_STRING_DATA; the data must not be
// empty (SoftHSMv2: "There must be data in the parameter").
func stringData(param any) ([]byte, error) {
	var d []byte
	switch p := param.(type) {
	case ck.KeyDerivationStringData:
		d = p.Data
	case *ck.KeyDerivationStringData:
		if p == nil {
			return nil, errParam("CK_KEY_DERIVATION_STRING_DATA expected")
		}
		d = p.Data
	default:
		return nil, errParam("CK_KEY_DERIVATION_STRING_DATA expected")
	}
	if len(d) == 0 {
		return nil, errParam("empty derivation data")
	}
	return d, nil
}

// handleParam decodes the CK_OBJECT_HANDLE parameter of
// CKM_CONCATENATE_BASE_AND_KEY: cmodule passes the raw CK_ULONG bytes; a
// Go caller may pass the handle itself. CK_INVALID_HANDLE is refused.
func handleParam(param any) (ck.ObjectHandle, error) {
	var h ck.ObjectHandle
	switch p := param.(type) {
	case []byte:
		v, ok := ck.BytesULong(p)
		if !ok {
			return 0, errParam("CK_OBJECT_HANDLE expected")
		}
		h = ck.ObjectHandle(v)
	case ck.ObjectHandle:
		h = p
	default:
		return 0, errParam("CK_OBJECT_HANDLE expected")
	}
	if h == 0 {
		return 0, errParam("CK_INVALID_HANDLE")
	}
	return h, nil
}

// concatenateBaseAndKey is CKM_CONCATENATE_BASE_AND_KEY:
// the base key's value followed by the other key's.
func concatenateBaseAndKey(base *Key, param any, keyLen int, other func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	h, err := handleParam(param)
	if err != nil {
		return nil, err
	}
	b, err := secretOf(base)
	if err != nil {
		return nil, err
	}
	if other == nil {
		return nil, fmt.Errorf("mech: no key resolver: %w", ck.CKR_GENERAL_ERROR)
	}
	ok, err := other(h)
	if err != nil {
		return nil, err
	}
	o, err := secretOf(ok)
	if err != nil {
		return nil, err
	}
	return leading(slices.Concat(b, o), keyLen)
}

// baseAndData is what the data derivations read: the base key's value and
// the parameter's data.
func baseAndData(base *Key, param any) (b, d []byte, err error) {
	if d, err = stringData(param); err != nil {
		return nil, nil, err
	}
	if b, err = secretOf(base); err != nil {
		return nil, nil, err
	}
	return b, d, nil
}

// concatenateBaseAndData is CKM_CONCATENATE_BASE_AND_DATA: the base
// key's value followed by the data.
func concatenateBaseAndData(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	b, d, err := baseAndData(base, param)
	if err != nil {
		return nil, err
	}
	return leading(slices.Concat(b, d), keyLen)
}

// concatenateDataAndBase is CKM_CONCATENATE_DATA_AND_BASE: the data
// followed by the base key's value.
func concatenateDataAndBase(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	b, d, err := baseAndData(base, param)
	if err != nil {
		return nil, err
	}
	return leading(slices.Concat(d, b), keyLen)
}

// xorBaseAndData is CKM_XOR_BASE_AND_DATA: the XOR of the
// base key's value and the data, as long as the shorter of the two.
func xorBaseAndData(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	b, d, err := baseAndData(base, param)
	if err != nil {
		return nil, err
	}
	out := make([]byte, min(len(b), len(d)))
	for i := range out {
		out[i] = b[i] ^ d[i]
	}
	return leading(out, keyLen)
}

// extractKeyFromKey is CKM_EXTRACT_KEY_FROM_KEY: CKA_VALUE_LEN bytes of the
// base key's bits from the bit the parameter (CK_EXTRACT_PARAMS, a
// CK_ULONG) names on, bit 0 being the first byte's most significant bit,
// wrapping around the end of the value. The length is required and may not
// exceed the base key's; a bit index past the key is a parameter error.
func extractKeyFromKey(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	p, ok := param.([]byte)
	if !ok {
		return nil, errParam("CK_EXTRACT_PARAMS expected")
	}
	first, ok := ck.BytesULong(p)
	if !ok {
		return nil, errParam("CK_EXTRACT_PARAMS expected")
	}
	b, err := secretOf(base)
	if err != nil {
		return nil, err
	}
	nbits := 8 * len(b)
	if first >= ck.ULong(nbits) {
		return nil, errParam(fmt.Sprintf("CK_EXTRACT_PARAMS bit %d of a %d-bit key", first, nbits))
	}
	if keyLen == 0 {
		return nil, fmt.Errorf("mech: CKM_EXTRACT_KEY_FROM_KEY needs CKA_VALUE_LEN: %w", ck.CKR_TEMPLATE_INCOMPLETE)
	}
	if err := checkKeyLen(keyLen); err != nil {
		return nil, err
	}
	if keyLen > len(b) {
		return nil, errTooLong(keyLen, len(b))
	}
	out := make([]byte, keyLen)
	for i := range 8 * keyLen {
		j := (int(first) + i) % nbits
		bit := b[j/8] >> (7 - j%8) & 1
		out[i/8] |= bit << (7 - i%8)
	}
	return out, nil
}

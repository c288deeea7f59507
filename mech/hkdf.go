package mech

import (
	"crypto/hkdf"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// HKDF (RFC 5869): CKM_HKDF_DERIVE and CKM_HKDF_DATA (PKCS#11 3.0 current
// mechanisms, "HKDF Mechanisms") with CK_HKDF_PARAMS. bExtract and bExpand
// select the two steps (at least one; both runs extract then expand). The
// extract step's salt is absent (CKF_HKDF_SALT_NULL: HashLen zero octets,
// RFC 5869 section 2.2), given (CKF_HKDF_SALT_DATA, not empty), or the
// value of a secret key (CKF_HKDF_SALT_KEY, hSaltKey); without bExtract
// the salt is ignored, as the specification says, and the base key is the
// PRK. The spec asks for a CKK_HKDF or CKK_GENERIC_SECRET base key of the
// hash's length; kagi takes the value of any secret key of any length, as
// RFC 5869 allows.
//
// Lengths: with bExpand the output is CKA_VALUE_LEN bytes, at most
// 255·HashLen (RFC 5869 section 2.3); CKM_HKDF_DERIVE requires it ("should
// be set"), CKM_HKDF_DATA, whose CKO_DATA template has no CKA_VALUE_LEN,
// defaults to HashLen (kryoptic does the same). Extract alone gives the
// HashLen-byte PRK; CKA_VALUE_LEN "may be set to the length of the hash"
// and to nothing else.

// hkdfParams decodes CK_HKDF_PARAMS.
func hkdfParams(param any) (ck.HKDFParams, error) {
	switch p := param.(type) {
	case ck.HKDFParams:
		return p, nil
	case *ck.HKDFParams:
		if p != nil {
			return *p, nil
		}
	}
	return ck.HKDFParams{}, errParam("CK_HKDF_PARAMS expected")
}

// deriveHKDF returns the Derive of CKM_HKDF_DERIVE (data false) or
// CKM_HKDF_DATA (data true).
func deriveHKDF(data bool) func(*Key, any, int, func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	return func(base *Key, param any, keyLen int, other func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
		p, err := hkdfParams(param)
		if err != nil {
			return nil, err
		}
		if !p.Extract && !p.Expand {
			return nil, errParam("HKDF with neither extract nor expand")
		}
		id, ok := hashByMech[p.PRFHash]
		if !ok {
			return nil, errParam(fmt.Sprintf("HKDF hash %#x not supported", p.PRFHash))
		}
		alg := hashes[id]
		if err := checkKeyLen(keyLen); err != nil {
			return nil, err
		}
		switch {
		case !p.Expand:
			if keyLen != 0 && keyLen != alg.size {
				return nil, fmt.Errorf("mech: HKDF extract gives %d bytes, CKA_VALUE_LEN is %d: %w", alg.size, keyLen, ck.CKR_TEMPLATE_INCONSISTENT)
			}
		case keyLen == 0 && data:
			keyLen = alg.size
		case keyLen == 0:
			return nil, fmt.Errorf("mech: HKDF expand needs CKA_VALUE_LEN: %w", ck.CKR_TEMPLATE_INCOMPLETE)
		case keyLen > 255*alg.size:
			return nil, errTooLong(keyLen, 255*alg.size)
		}
		ikm, err := secretOf(base)
		if err != nil {
			return nil, err
		}
		prk := ikm
		if p.Extract {
			salt, err := hkdfSalt(p, other)
			if err != nil {
				return nil, err
			}
			if prk, err = hkdf.Extract(alg.new, ikm, salt); err != nil {
				return nil, fmt.Errorf("mech: HKDF extract: %w", ck.CKR_FUNCTION_FAILED)
			}
			if !p.Expand {
				return prk, nil
			}
			defer clear(prk)
		}
		out, err := hkdf.Expand(alg.new, prk, string(p.Info), keyLen)
		if err != nil {
			return nil, fmt.Errorf("mech: HKDF expand: %w", ck.CKR_FUNCTION_FAILED)
		}
		return out, nil
	}
}

// hkdfSalt returns the extract step's salt (nil for CKF_HKDF_SALT_NULL,
// which crypto/hkdf turns into HashLen zeros).
func hkdfSalt(p ck.HKDFParams, other func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	switch p.SaltType {
	case ck.CKF_HKDF_SALT_NULL:
		if len(p.Salt) != 0 {
			return nil, errParam("CKF_HKDF_SALT_NULL with a salt")
		}
		return nil, nil
	case ck.CKF_HKDF_SALT_DATA:
		if len(p.Salt) == 0 {
			return nil, errParam("CKF_HKDF_SALT_DATA without a salt")
		}
		return p.Salt, nil
	case ck.CKF_HKDF_SALT_KEY:
		if p.SaltKey == 0 {
			return nil, errParam("CKF_HKDF_SALT_KEY without a key")
		}
		if other == nil {
			return nil, fmt.Errorf("mech: no key resolver: %w", ck.CKR_GENERAL_ERROR)
		}
		k, err := other(p.SaltKey)
		if err != nil {
			return nil, err
		}
		return secretOf(k)
	}
	return nil, errParam(fmt.Sprintf("HKDF salt type %#x", p.SaltType))
}

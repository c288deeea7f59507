package mech

import (
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Signatures with message recovery (PKCS#11 3.0 sections 5.13 and 5.14) for
// CKM_RSA_PKCS and CKM_RSA_X_509. C_SignRecover makes the same signature as
// C_Sign with these mechanisms; C_VerifyRecover returns the data, here.

// recovering gives an RSA row C_SignRecover and C_VerifyRecover.
func recovering(s *Spec, pkcs bool) *Spec {
	s.Info.Flags |= ck.CKF_SIGN_RECOVER | ck.CKF_VERIFY_RECOVER
	s.VerifyRecover = rsaVerifyRecover(pkcs)
	return s
}

// rsaVerifyRecover opens sig with the public key: for PKCS#1 v1.5 it
// checks the type 1 encoding (RFC 8017 section 9.2 steps 2-4, 00 01 FF..FF
// 00 D, at least eight FF) and returns D; for raw RSA it returns the whole
// k-byte block.
func rsaVerifyRecover(pkcs bool) func(k *Key, param any, sig []byte) ([]byte, error) {
	return func(k *Key, param any, sig []byte) ([]byte, error) {
		if err := noParam(param); err != nil {
			return nil, err
		}
		pub, err := k.rsaPublic()
		if err != nil {
			return nil, err
		}
		size := (pub.N.BitLen() + 7) / 8
		if len(sig) != size {
			return nil, fmt.Errorf("mech: RSA signature is %d bytes, want %d: %w", len(sig), size, ck.CKR_SIGNATURE_LEN_RANGE)
		}
		em, err := rsaRawPublic(pub, sig, ck.CKR_SIGNATURE_INVALID)
		if err != nil {
			return nil, err
		}
		if !pkcs {
			return em, nil
		}
		sep := -1
		for i := 2; i < len(em); i++ {
			if em[i] == 0 {
				sep = i
				break
			}
			if em[i] != 0xff {
				break
			}
		}
		// A signature block is public: no need for constant time here.
		if em[0] != 0 || em[1] != 1 || sep < 10 {
			return nil, fmt.Errorf("mech: not a PKCS#1 v1.5 signature block: %w", ck.CKR_SIGNATURE_INVALID)
		}
		return em[sep+1:], nil
	}
}

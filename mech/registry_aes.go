package mech

import "github.com/kagi-hsm/kagi/token/ck"

// AES rows beyond CKM_AES_KEY_GEN and CKM_AES_GCM (which are in
// coreRegistry). MechanismInfo as SoftHSMv2 2.6 reports it (SoftHSM.cpp,
// C_GetMechanismInfo), key sizes in bytes, with these differences:
//
//   - CKF_WRAP|CKF_UNWRAP on CKM_AES_ECB, CKM_AES_CBC, CKM_AES_CBC_PAD and
//     the key wrap rows, a superset of SoftHSMv2's (CKF_WRAP alone on
//     CKM_AES_CBC, nothing on CKM_AES_ECB). ECB and CBC wrap secret keys
//     null-padded to whole blocks and unwrap them truncated by the
//     template, as PKCS#11 3.0 section 2.10 defines (wrapform.go); SoftHSMv2
//     wraps with CKM_AES_CBC only keys that fill whole blocks, and does not
//     unwrap with it.
//   - The key wrap rows have CKF_ENCRYPT|CKF_DECRYPT (PKCS#11 3.0 section
//     2.14 allows single-part encryption with them; SoftHSMv2 lists only
//     wrap/unwrap) and key sizes 16..32 (SoftHSMv2: 16..0x80000000, the
//     size of the key being wrapped rather than the AES key).
//   - CKM_AES_KEY_WRAP_KWP (PKCS#11 3.0) instead of SoftHSMv2's
//     CKM_AES_KEY_WRAP_PAD; CKM_AES_CMAC_GENERAL, which SoftHSMv2 2.6 does
//     not list, copies CKM_AES_CMAC.

const (
	aesMinKey = 16
	aesMaxKey = 32
	encDec    = ck.CKF_ENCRYPT | ck.CKF_DECRYPT
)

func aesCipherSpec(t ck.MechanismType, name string, singlePart bool, enc, dec func(k *Key, param any) (CipherOp, error)) *Spec {
	return &Spec{
		Type: t, Name: name,
		Info:       ck.MechanismInfo{MinKeySize: aesMinKey, MaxKeySize: aesMaxKey, Flags: encDec},
		KeyTypes:   []ck.KeyType{ck.CKK_AES},
		SinglePart: singlePart,
		Encrypt:    enc, Decrypt: dec,
	}
}

func cmacSpec(t ck.MechanismType, name string, general bool) *Spec {
	m := cmacMech{name: name, general: general, key: aesBlockFor}
	return &Spec{
		Type: t, Name: name,
		Info:     ck.MechanismInfo{MinKeySize: aesMinKey, MaxKeySize: aesMaxKey, Flags: signVerify},
		KeyTypes: []ck.KeyType{ck.CKK_AES},
		Sign:     m.sign, Verify: m.verify,
	}
}

// aesRegistry holds the rows of the AES block-cipher mechanisms beyond
// CKM_AES_KEY_GEN and CKM_AES_GCM; TestRegistryConformance takes them
// through aesConformance (aes_modes_test.go), since their rules differ from
// an AEAD's.
var aesRegistry = aesModeRows

// wrapping marks a cipher row usable by C_WrapKey and C_UnwrapKey.
func wrapping(s *Spec) *Spec {
	s.Info.Flags |= ck.CKF_WRAP | ck.CKF_UNWRAP
	return s
}

// nullPadWrapping marks an unpadded block mode (ECB, CBC) over blocks of bs
// bytes usable by C_WrapKey and C_UnwrapKey: secret keys only, null-padded
// to whole blocks (Spec.WrapNullPad, wrapform.go).
func nullPadWrapping(s *Spec, bs int) *Spec {
	s.WrapNullPad = bs
	return wrapping(s)
}

// aesModeRows are the AES rows, tested by TestAESModeRows.
var aesModeRows = []*Spec{
	nullPadWrapping(aesCipherSpec(ck.CKM_AES_ECB, "CKM_AES_ECB", false, newBlockOp(modeECB, true), newBlockOp(modeECB, false)), aesBlock),
	nullPadWrapping(aesCipherSpec(ck.CKM_AES_CBC, "CKM_AES_CBC", false, newBlockOp(modeCBC, true), newBlockOp(modeCBC, false)), aesBlock),
	wrapping(aesCipherSpec(ck.CKM_AES_CBC_PAD, "CKM_AES_CBC_PAD", false, newBlockOp(modeCBCPad, true), newBlockOp(modeCBCPad, false))),
	aesCipherSpec(ck.CKM_AES_CTR, "CKM_AES_CTR", false, newCTR(true), newCTR(false)),
	cmacSpec(ck.CKM_AES_CMAC, "CKM_AES_CMAC", false),
	cmacSpec(ck.CKM_AES_CMAC_GENERAL, "CKM_AES_CMAC_GENERAL", true),
	wrapping(aesCipherSpec(ck.CKM_AES_KEY_WRAP, "CKM_AES_KEY_WRAP", true, newWrap(false, true), newWrap(false, false))),
	wrapping(aesCipherSpec(ck.CKM_AES_KEY_WRAP_KWP, "CKM_AES_KEY_WRAP_KWP", true, newWrap(true, true), newWrap(true, false))),
	// CKM_AES_KEY_WRAP_PAD is the vendor-era name SoftHSMv2 gives RFC 5649
	// (0x210A, from the 2.40 draft); kagi answers to it as to KWP.
	wrapping(aesCipherSpec(ck.CKM_AES_KEY_WRAP_PAD, "CKM_AES_KEY_WRAP_PAD", true, newWrap(true, true), newWrap(true, false))),
}

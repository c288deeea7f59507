package mech

import "github.com/kagi-hsm/kagi/token/ck"

// AES rows beyond CKM_AES_KEY_GEN and CKM_AES_GCM (which are in
// coreRegistry). MechanismInfo as SoftHSMv2 2.6 reports it (SoftHSM.cpp,
// C_GetMechanismInfo), key sizes in bytes, with these differences:
//
//   - No CKF_WRAP/CKF_UNWRAP yet: SoftHSMv2 sets them on CKM_AES_CBC,
//     CKM_AES_CBC_PAD and the key wrap rows, but kagi's C_WrapKey and
//     C_UnwrapKey are not built yet; the flags say only what works.
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
	m := cmacMech{general: general}
	return &Spec{
		Type: t, Name: name,
		Info:     ck.MechanismInfo{MinKeySize: aesMinKey, MaxKeySize: aesMaxKey, Flags: signVerify},
		KeyTypes: []ck.KeyType{ck.CKK_AES},
		Sign:     m.sign, Verify: m.verify,
	}
}

// aesRegistry holds the rows of the AES block-cipher mechanisms beyond
// CKM_AES_KEY_GEN and CKM_AES_GCM (ECB, CBC, CBC_PAD, CTR, CMAC, key wrap).
//
// It stays empty until TestRegistryConformance can take these rows: its
// cipher checks assume an AEAD (any length, tampering detected) and its
// sign checks an HMAC or public-key reference. aesModeRows is ready;
// aesConformance (aes_modes_test.go) is the conformance for it, to be
// called from TestRegistryConformance, and then aesRegistry = aesModeRows.
var aesRegistry = []*Spec{}

// aesModeRows are the AES rows, tested by TestAESModeRows.
var aesModeRows = []*Spec{
	aesCipherSpec(ck.CKM_AES_ECB, "CKM_AES_ECB", false, newBlockOp(modeECB, true), newBlockOp(modeECB, false)),
	aesCipherSpec(ck.CKM_AES_CBC, "CKM_AES_CBC", false, newBlockOp(modeCBC, true), newBlockOp(modeCBC, false)),
	aesCipherSpec(ck.CKM_AES_CBC_PAD, "CKM_AES_CBC_PAD", false, newBlockOp(modeCBCPad, true), newBlockOp(modeCBCPad, false)),
	aesCipherSpec(ck.CKM_AES_CTR, "CKM_AES_CTR", false, newCTR(true), newCTR(false)),
	cmacSpec(ck.CKM_AES_CMAC, "CKM_AES_CMAC", false),
	cmacSpec(ck.CKM_AES_CMAC_GENERAL, "CKM_AES_CMAC_GENERAL", true),
	aesCipherSpec(ck.CKM_AES_KEY_WRAP, "CKM_AES_KEY_WRAP", true, newWrap(false, true), newWrap(false, false)),
	aesCipherSpec(ck.CKM_AES_KEY_WRAP_KWP, "CKM_AES_KEY_WRAP_KWP", true, newWrap(true, true), newWrap(true, false)),
}

package mech

import (
	"crypto/cipher"
	"slices"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Rows of the key derivation mechanisms (derive.go, ecdh.go, hkdf.go) and
// of X25519 key generation (x25519.go). MechanismInfo follows SoftHSMv2
// where it lists the mechanism: CKM_ECDH1_DERIVE with CKF_DERIVE and the EC
// key sizes (kagi's curves, 224..521 bits, X25519's 255 inside; the EC
// capability flags added, as on every kagi row taking CKK_EC keys, where
// SoftHSMv2 2.6 reports CKF_DERIVE alone), the *_ENCRYPT_DATA rows with
// 0/0 and CKF_DERIVE, and the CKM_CONCATENATE_* rows of SoftHSMv2 after 2.6
// (1..512, CKF_DERIVE). Rows SoftHSMv2 lacks copy their family:
// CKM_ECDH1_COFACTOR_DERIVE copies CKM_ECDH1_DERIVE,
// CKM_EC_MONTGOMERY_KEY_PAIR_GEN copies CKM_EC_EDWARDS_KEY_PAIR_GEN (255
// bits), CKM_XOR_BASE_AND_DATA and CKM_EXTRACT_KEY_FROM_KEY the
// concatenations, and the HKDF rows take
// secret keys of CKM_GENERIC_SECRET_KEY_GEN's range.

// deriveSecretKeyTypes are the base key types of the derivations that take
// any secret key's value, in ascending order.
var deriveSecretKeyTypes = func() []ck.KeyType {
	var ts []ck.KeyType
	for kt := range secretKeyTypes {
		ts = append(ts, kt)
	}
	slices.Sort(ts)
	return ts
}()

var deriveRegistry = []*Spec{
	{
		Type: ck.CKM_ECDH1_DERIVE, Name: "CKM_ECDH1_DERIVE",
		Info:     ck.MechanismInfo{MinKeySize: ecMinBits, MaxKeySize: ecMaxBits, Flags: ck.CKF_DERIVE | ecFlags},
		KeyTypes: []ck.KeyType{ck.CKK_EC, ck.CKK_EC_MONTGOMERY},
		Derive:   deriveECDH,
	},
	{
		Type: ck.CKM_ECDH1_COFACTOR_DERIVE, Name: "CKM_ECDH1_COFACTOR_DERIVE",
		Info:     ck.MechanismInfo{MinKeySize: ecMinBits, MaxKeySize: ecMaxBits, Flags: ck.CKF_DERIVE | ecFlags},
		KeyTypes: []ck.KeyType{ck.CKK_EC, ck.CKK_EC_MONTGOMERY},
		Derive:   deriveECDH,
	},
	{
		Type: ck.CKM_EC_MONTGOMERY_KEY_PAIR_GEN, Name: "CKM_EC_MONTGOMERY_KEY_PAIR_GEN",
		Info:            ck.MechanismInfo{MinKeySize: x25519Bits, MaxKeySize: x25519Bits, Flags: ck.CKF_GENERATE_KEY_PAIR},
		KeyTypes:        []ck.KeyType{ck.CKK_EC_MONTGOMERY},
		GenerateKeyPair: generateX25519,
	},
	{
		Type: ck.CKM_HKDF_DERIVE, Name: "CKM_HKDF_DERIVE",
		Info:     ck.MechanismInfo{MinKeySize: 1, MaxKeySize: 0x80000000, Flags: ck.CKF_DERIVE},
		KeyTypes: deriveSecretKeyTypes,
		Derive:   deriveHKDF(false),
	},
	{
		Type: ck.CKM_HKDF_DATA, Name: "CKM_HKDF_DATA",
		Info:     ck.MechanismInfo{MinKeySize: 1, MaxKeySize: 0x80000000, Flags: ck.CKF_DERIVE},
		KeyTypes: deriveSecretKeyTypes,
		Derive:   deriveHKDF(true),
	},
	{
		Type: ck.CKM_CONCATENATE_BASE_AND_KEY, Name: "CKM_CONCATENATE_BASE_AND_KEY",
		Info:     ck.MechanismInfo{MinKeySize: 1, MaxKeySize: 512, Flags: ck.CKF_DERIVE},
		KeyTypes: deriveSecretKeyTypes,
		Derive:   concatenateBaseAndKey,
	},
	{
		Type: ck.CKM_EXTRACT_KEY_FROM_KEY, Name: "CKM_EXTRACT_KEY_FROM_KEY",
		Info:     ck.MechanismInfo{MinKeySize: 1, MaxKeySize: 512, Flags: ck.CKF_DERIVE},
		KeyTypes: deriveSecretKeyTypes,
		Derive:   extractKeyFromKey,
	},
	{
		Type: ck.CKM_CONCATENATE_BASE_AND_DATA, Name: "CKM_CONCATENATE_BASE_AND_DATA",
		Info:     ck.MechanismInfo{MinKeySize: 1, MaxKeySize: 512, Flags: ck.CKF_DERIVE},
		KeyTypes: deriveSecretKeyTypes,
		Derive:   concatenateBaseAndData,
	},
	{
		Type: ck.CKM_CONCATENATE_DATA_AND_BASE, Name: "CKM_CONCATENATE_DATA_AND_BASE",
		Info:     ck.MechanismInfo{MinKeySize: 1, MaxKeySize: 512, Flags: ck.CKF_DERIVE},
		KeyTypes: deriveSecretKeyTypes,
		Derive:   concatenateDataAndBase,
	},
	{
		Type: ck.CKM_XOR_BASE_AND_DATA, Name: "CKM_XOR_BASE_AND_DATA",
		Info:     ck.MechanismInfo{MinKeySize: 1, MaxKeySize: 512, Flags: ck.CKF_DERIVE},
		KeyTypes: deriveSecretKeyTypes,
		Derive:   xorBaseAndData,
	},
	encryptDataRow(ck.CKM_AES_ECB_ENCRYPT_DATA, "CKM_AES_ECB_ENCRYPT_DATA", false, []ck.KeyType{ck.CKK_AES}, aesBlockFor),
	encryptDataRow(ck.CKM_AES_CBC_ENCRYPT_DATA, "CKM_AES_CBC_ENCRYPT_DATA", true, []ck.KeyType{ck.CKK_AES}, aesBlockFor),
	encryptDataRow(ck.CKM_DES_ECB_ENCRYPT_DATA, "CKM_DES_ECB_ENCRYPT_DATA", false, desKeyTypes, desBlockFor),
	encryptDataRow(ck.CKM_DES_CBC_ENCRYPT_DATA, "CKM_DES_CBC_ENCRYPT_DATA", true, desKeyTypes, desBlockFor),
	encryptDataRow(ck.CKM_DES3_ECB_ENCRYPT_DATA, "CKM_DES3_ECB_ENCRYPT_DATA", false, des3KeyTypes, des3BlockFor),
	encryptDataRow(ck.CKM_DES3_CBC_ENCRYPT_DATA, "CKM_DES3_CBC_ENCRYPT_DATA", true, des3KeyTypes, des3BlockFor),
	{
		// Base key sizes in bits, as the SP 800-108 section asks: any
		// generic secret kagi stores (AES keys lie inside).
		Type: ck.CKM_SP800_108_COUNTER_KDF, Name: "CKM_SP800_108_COUNTER_KDF",
		Info:     ck.MechanismInfo{MinKeySize: 8, MaxKeySize: 8 * maxSecretLen, Flags: ck.CKF_DERIVE},
		KeyTypes: sp800108KeyTypes,
		Derive:   deriveSP800108Counter,
	},
	{
		Type: ck.CKM_SP800_108_FEEDBACK_KDF, Name: "CKM_SP800_108_FEEDBACK_KDF",
		Info:     ck.MechanismInfo{MinKeySize: 8, MaxKeySize: 8 * maxSecretLen, Flags: ck.CKF_DERIVE},
		KeyTypes: sp800108KeyTypes,
		Derive:   deriveSP800108Feedback,
	},
}

// encryptDataRow is a row of encrypt_data.go: MechanismInfo 0/0 with
// CKF_DERIVE, as SoftHSMv2 reports for all six.
func encryptDataRow(t ck.MechanismType, name string, cbc bool, kts []ck.KeyType, key func(*Key, string) (cipher.Block, error)) *Spec {
	return &Spec{
		Type: t, Name: name,
		Info:     ck.MechanismInfo{Flags: ck.CKF_DERIVE},
		KeyTypes: kts,
		Derive:   encryptDataMech{name: name, cbc: cbc, key: key}.derive,
	}
}

package mech

import "github.com/kagi-hsm/kagi/token/ck"

// Legacy rows, for SoftHSMv2 parity (issue 4): DES, two- and three-key TDEA
// (des.go), DSA (dsa.go) and PKCS #3 Diffie-Hellman (dh.go). Listed, never
// used by default. MechanismInfo as SoftHSMv2 2.6 reports it (SoftHSM.cpp,
// C_GetMechanismInfo) with these differences:
//
//   - DES rows report key sizes 0..0 as SoftHSMv2 does (the sizes are fixed
//     by the key type); all six modes carry CKF_WRAP|CKF_UNWRAP, a superset
//     of SoftHSMv2's (CKF_WRAP|CKF_UNWRAP on the _CBC_PAD rows, CKF_WRAP
//     alone on CKM_DES_ECB, CKM_DES_CBC and CKM_DES3_CBC, nothing on
//     CKM_DES3_ECB). The _CBC_PAD rows wrap like CKM_AES_CBC_PAD; ECB and
//     CBC null-pad secret keys to 8-byte blocks (wrapform.go).
//   - CKM_DES3_CMAC_GENERAL, which SoftHSMv2 2.6 does not list, copies
//     CKM_DES3_CMAC.
//   - DSA key sizes are bits of the prime, 512..3072 (SoftHSMv2 caps them at
//     1024; crypto/dsa handles the FIPS 186-4 sizes up to L = 3072).
//   - CKM_DSA_PARAMETER_GEN and CKM_DH_PKCS_PARAMETER_GEN report 1024..3072
//     bits, the sizes crypto/dsa generates (1024, 2048 and 3072 only;
//     SoftHSMv2 reports the key pair sizes).
//   - DH key pairs and derivations take primes of 512..10000 bits, as
//     SoftHSMv2 on OpenSSL.

const dsaFlags = signVerify

func desCipherSpec(t ck.MechanismType, m desMode) *Spec {
	m.name = t.String()
	return &Spec{
		Type: t, Name: m.name,
		Info:     ck.MechanismInfo{Flags: encDec},
		KeyTypes: m.kts,
		Encrypt:  newDESBlockOp(m, true), Decrypt: newDESBlockOp(m, false),
	}
}

func desKeyGenSpec(t ck.MechanismType, kt ck.KeyType) *Spec {
	return &Spec{
		Type: t, Name: t.String(),
		Info:        ck.MechanismInfo{Flags: ck.CKF_GENERATE},
		KeyTypes:    []ck.KeyType{kt},
		GenerateKey: generateDES(kt),
	}
}

func des3CMACSpec(t ck.MechanismType, general bool) *Spec {
	m := cmacMech{name: t.String(), general: general, key: des3BlockFor}
	return &Spec{
		Type: t, Name: t.String(),
		Info:     ck.MechanismInfo{Flags: signVerify},
		KeyTypes: des3KeyTypes,
		Sign:     m.sign, Verify: m.verify,
	}
}

// dsaSpec is CKM_DSA (h < 0) or CKM_DSA_SHA*.
func dsaSpec(t ck.MechanismType, h hashID) *Spec {
	m := &dsaMech{}
	if h >= 0 {
		m.alg = hashes[h]
	}
	return &Spec{
		Type: t, Name: t.String(),
		Info:       ck.MechanismInfo{MinKeySize: dsaMinBits, MaxKeySize: dsaMaxBits, Flags: dsaFlags},
		KeyTypes:   []ck.KeyType{ck.CKK_DSA},
		SinglePart: m.alg == nil,
		Sign:       m.sign, Verify: m.verify,
	}
}

// legacyRegistry holds the legacy rows; TestRegistryConformance takes them
// through legacyConformance (des_test.go, dsa_test.go).
var legacyRegistry = []*Spec{
	desKeyGenSpec(ck.CKM_DES_KEY_GEN, ck.CKK_DES),
	desKeyGenSpec(ck.CKM_DES2_KEY_GEN, ck.CKK_DES2),
	desKeyGenSpec(ck.CKM_DES3_KEY_GEN, ck.CKK_DES3),
	nullPadWrapping(desCipherSpec(ck.CKM_DES_ECB, desMode{mode: modeECB, kts: desKeyTypes}), desBlock),
	nullPadWrapping(desCipherSpec(ck.CKM_DES_CBC, desMode{mode: modeCBC, kts: desKeyTypes}), desBlock),
	wrapping(desCipherSpec(ck.CKM_DES_CBC_PAD, desMode{mode: modeCBCPad, kts: desKeyTypes})),
	nullPadWrapping(desCipherSpec(ck.CKM_DES3_ECB, desMode{mode: modeECB, kts: des3KeyTypes}), desBlock),
	nullPadWrapping(desCipherSpec(ck.CKM_DES3_CBC, desMode{mode: modeCBC, kts: des3KeyTypes}), desBlock),
	wrapping(desCipherSpec(ck.CKM_DES3_CBC_PAD, desMode{mode: modeCBCPad, kts: des3KeyTypes})),
	des3CMACSpec(ck.CKM_DES3_CMAC, false),
	des3CMACSpec(ck.CKM_DES3_CMAC_GENERAL, true),

	{
		Type: ck.CKM_DSA_KEY_PAIR_GEN, Name: "CKM_DSA_KEY_PAIR_GEN",
		Info:            ck.MechanismInfo{MinKeySize: dsaMinBits, MaxKeySize: dsaMaxBits, Flags: ck.CKF_GENERATE_KEY_PAIR},
		KeyTypes:        []ck.KeyType{ck.CKK_DSA},
		GenerateKeyPair: generateDSA,
	},
	dsaSpec(ck.CKM_DSA, noHash),
	dsaSpec(ck.CKM_DSA_SHA1, hashSHA1),
	dsaSpec(ck.CKM_DSA_SHA224, hashSHA224),
	dsaSpec(ck.CKM_DSA_SHA256, hashSHA256),
	dsaSpec(ck.CKM_DSA_SHA384, hashSHA384),
	dsaSpec(ck.CKM_DSA_SHA512, hashSHA512),
	{
		Type: ck.CKM_DSA_PARAMETER_GEN, Name: "CKM_DSA_PARAMETER_GEN",
		Info:        ck.MechanismInfo{MinKeySize: dsaParamGenMinBits, MaxKeySize: dsaParamGenMaxBits, Flags: ck.CKF_GENERATE},
		KeyTypes:    []ck.KeyType{ck.CKK_DSA},
		GenerateKey: generateDSAParameters,
	},

	{
		Type: ck.CKM_DH_PKCS_KEY_PAIR_GEN, Name: "CKM_DH_PKCS_KEY_PAIR_GEN",
		Info:            ck.MechanismInfo{MinKeySize: dhMinBits, MaxKeySize: dhMaxBits, Flags: ck.CKF_GENERATE_KEY_PAIR},
		KeyTypes:        []ck.KeyType{ck.CKK_DH},
		GenerateKeyPair: generateDH,
	},
	{
		Type: ck.CKM_DH_PKCS_PARAMETER_GEN, Name: "CKM_DH_PKCS_PARAMETER_GEN",
		Info:        ck.MechanismInfo{MinKeySize: dhParamGenMinBits, MaxKeySize: dhParamGenMaxBits, Flags: ck.CKF_GENERATE},
		KeyTypes:    []ck.KeyType{ck.CKK_DH},
		GenerateKey: generateDHParameters,
	},
	{
		Type: ck.CKM_DH_PKCS_DERIVE, Name: "CKM_DH_PKCS_DERIVE",
		Info:     ck.MechanismInfo{MinKeySize: dhMinBits, MaxKeySize: dhMaxBits, Flags: ck.CKF_DERIVE},
		KeyTypes: []ck.KeyType{ck.CKK_DH},
		Derive:   deriveDH,
	},
}

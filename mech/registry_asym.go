package mech

import "github.com/kagi-hsm/kagi/token/ck"

// Rows of the RSA encryption and PSS mechanisms, EdDSA, and the digests and
// HMACs beyond SHA-1/SHA-2. MechanismInfo follows SoftHSMv2 2.6 where it
// lists the mechanism (CKM_RSA_X_509, CKM_RSA_PKCS_OAEP, the PSS rows, CKM_MD5,
// CKM_MD5_HMAC with 16..512-byte keys, CKM_EC_EDWARDS_KEY_PAIR_GEN and
// CKM_EDDSA with 255 bits where SoftHSMv2 says 255..448, kagi having no
// Ed448); rows SoftHSMv2 lacks copy their family: digests 0/0, CKM_*_HMAC
// and _GENERAL with keys of the hash size to 512 bytes, RSA rows as RSA.

// asymRegistry holds the rows the generic conformance test of
// registry_test.go covers as it is.
var asymRegistry = []*Spec{
	hmacSpec(ck.CKM_SHA3_224_HMAC, "CKM_SHA3_224_HMAC", hashSHA3_224, ck.CKK_SHA3_224_HMAC),
	hmacSpec(ck.CKM_SHA3_256_HMAC, "CKM_SHA3_256_HMAC", hashSHA3_256, ck.CKK_SHA3_256_HMAC),
	hmacSpec(ck.CKM_SHA3_384_HMAC, "CKM_SHA3_384_HMAC", hashSHA3_384, ck.CKK_SHA3_384_HMAC),
	hmacSpec(ck.CKM_SHA3_512_HMAC, "CKM_SHA3_512_HMAC", hashSHA3_512, ck.CKK_SHA3_512_HMAC),
	hmacSpec(ck.CKM_MD5_HMAC, "CKM_MD5_HMAC", hashMD5, ck.CKK_MD5_HMAC),

	// Legacy, for SoftHSMv2 parity: MD5 with RSA PKCS#1 v1.5.
	rsaPKCSSpec(ck.CKM_MD5_RSA_PKCS, "CKM_MD5_RSA_PKCS", hashMD5),
	rsaPKCSSpec(ck.CKM_SHA3_224_RSA_PKCS, "CKM_SHA3_224_RSA_PKCS", hashSHA3_224),
	rsaPKCSSpec(ck.CKM_SHA3_256_RSA_PKCS, "CKM_SHA3_256_RSA_PKCS", hashSHA3_256),
	rsaPKCSSpec(ck.CKM_SHA3_384_RSA_PKCS, "CKM_SHA3_384_RSA_PKCS", hashSHA3_384),
	rsaPKCSSpec(ck.CKM_SHA3_512_RSA_PKCS, "CKM_SHA3_512_RSA_PKCS", hashSHA3_512),
	// RSA-OAEP + AES-KWP (rsa_aes_wrap.go); its conformance is conformRSAAESWrap.
	wrapping(&Spec{
		Type: ck.CKM_RSA_AES_KEY_WRAP, Name: "CKM_RSA_AES_KEY_WRAP",
		Info:       ck.MechanismInfo{MinKeySize: rsaMinBits, MaxKeySize: rsaMaxBits, Flags: ck.CKF_ENCRYPT | ck.CKF_DECRYPT},
		KeyTypes:   []ck.KeyType{ck.CKK_RSA},
		SinglePart: true,
		Encrypt:    rsaAESWrapEncrypt, Decrypt: rsaAESWrapDecrypt,
	}),
}

// asymPendingRegistry holds finished rows whose conformance needs the
// per-mechanism hook (conformBy in registry_asym_test.go: parameters that
// are required, randomised or length-limited outputs, new digests with
// their own known answers). registry_asym_test.go runs them through it
// now; once registry_test.go consults conformBy, registry.go concatenates
// this slice too.
var asymPendingRegistry = []*Spec{
	digestSpec(ck.CKM_SHA512_224, "CKM_SHA512_224", hashSHA512_224),
	digestSpec(ck.CKM_SHA512_256, "CKM_SHA512_256", hashSHA512_256),
	digestSpec(ck.CKM_SHA3_224, "CKM_SHA3_224", hashSHA3_224),
	digestSpec(ck.CKM_SHA3_256, "CKM_SHA3_256", hashSHA3_256),
	digestSpec(ck.CKM_SHA3_384, "CKM_SHA3_384", hashSHA3_384),
	digestSpec(ck.CKM_SHA3_512, "CKM_SHA3_512", hashSHA3_512),
	digestSpec(ck.CKM_MD5, "CKM_MD5", hashMD5),

	hmacGeneralSpec(ck.CKM_SHA_1_HMAC_GENERAL, "CKM_SHA_1_HMAC_GENERAL", hashSHA1, ck.CKK_SHA_1_HMAC),
	hmacGeneralSpec(ck.CKM_SHA224_HMAC_GENERAL, "CKM_SHA224_HMAC_GENERAL", hashSHA224, ck.CKK_SHA224_HMAC),
	hmacGeneralSpec(ck.CKM_SHA256_HMAC_GENERAL, "CKM_SHA256_HMAC_GENERAL", hashSHA256, ck.CKK_SHA256_HMAC),
	hmacGeneralSpec(ck.CKM_SHA384_HMAC_GENERAL, "CKM_SHA384_HMAC_GENERAL", hashSHA384, ck.CKK_SHA384_HMAC),
	hmacGeneralSpec(ck.CKM_SHA512_HMAC_GENERAL, "CKM_SHA512_HMAC_GENERAL", hashSHA512, ck.CKK_SHA512_HMAC),
	hmacGeneralSpec(ck.CKM_SHA3_224_HMAC_GENERAL, "CKM_SHA3_224_HMAC_GENERAL", hashSHA3_224, ck.CKK_SHA3_224_HMAC),
	hmacGeneralSpec(ck.CKM_SHA3_256_HMAC_GENERAL, "CKM_SHA3_256_HMAC_GENERAL", hashSHA3_256, ck.CKK_SHA3_256_HMAC),
	hmacGeneralSpec(ck.CKM_SHA3_384_HMAC_GENERAL, "CKM_SHA3_384_HMAC_GENERAL", hashSHA3_384, ck.CKK_SHA3_384_HMAC),
	hmacGeneralSpec(ck.CKM_SHA3_512_HMAC_GENERAL, "CKM_SHA3_512_HMAC_GENERAL", hashSHA3_512, ck.CKK_SHA3_512_HMAC),
	hmacGeneralSpec(ck.CKM_MD5_HMAC_GENERAL, "CKM_MD5_HMAC_GENERAL", hashMD5, ck.CKK_MD5_HMAC),

	recovering(&Spec{
		Type: ck.CKM_RSA_X_509, Name: "CKM_RSA_X_509",
		Info:       ck.MechanismInfo{MinKeySize: rsaMinBits, MaxKeySize: rsaMaxBits, Flags: signVerify | ck.CKF_ENCRYPT | ck.CKF_DECRYPT},
		KeyTypes:   []ck.KeyType{ck.CKK_RSA},
		SinglePart: true,
		Sign:       rsaX509Mech{}.sign, Verify: rsaX509Mech{}.verify,
		Encrypt: rsaSchemeRaw.encrypt, Decrypt: rsaSchemeRaw.decrypt,
	}, false),
	{
		Type: ck.CKM_RSA_PKCS_OAEP, Name: "CKM_RSA_PKCS_OAEP",
		Info:       ck.MechanismInfo{MinKeySize: rsaMinBits, MaxKeySize: rsaMaxBits, Flags: ck.CKF_ENCRYPT | ck.CKF_DECRYPT | ck.CKF_WRAP | ck.CKF_UNWRAP},
		KeyTypes:   []ck.KeyType{ck.CKK_RSA},
		SinglePart: true,
		Encrypt:    rsaSchemeOAEP.encrypt, Decrypt: rsaSchemeOAEP.decrypt,
	},
	rsaPSSSpec(ck.CKM_RSA_PKCS_PSS, "CKM_RSA_PKCS_PSS", noHash),
	rsaPSSSpec(ck.CKM_SHA1_RSA_PKCS_PSS, "CKM_SHA1_RSA_PKCS_PSS", hashSHA1),
	rsaPSSSpec(ck.CKM_SHA224_RSA_PKCS_PSS, "CKM_SHA224_RSA_PKCS_PSS", hashSHA224),
	rsaPSSSpec(ck.CKM_SHA256_RSA_PKCS_PSS, "CKM_SHA256_RSA_PKCS_PSS", hashSHA256),
	rsaPSSSpec(ck.CKM_SHA384_RSA_PKCS_PSS, "CKM_SHA384_RSA_PKCS_PSS", hashSHA384),
	rsaPSSSpec(ck.CKM_SHA512_RSA_PKCS_PSS, "CKM_SHA512_RSA_PKCS_PSS", hashSHA512),
	rsaPSSSpec(ck.CKM_SHA3_224_RSA_PKCS_PSS, "CKM_SHA3_224_RSA_PKCS_PSS", hashSHA3_224),
	rsaPSSSpec(ck.CKM_SHA3_256_RSA_PKCS_PSS, "CKM_SHA3_256_RSA_PKCS_PSS", hashSHA3_256),
	rsaPSSSpec(ck.CKM_SHA3_384_RSA_PKCS_PSS, "CKM_SHA3_384_RSA_PKCS_PSS", hashSHA3_384),
	rsaPSSSpec(ck.CKM_SHA3_512_RSA_PKCS_PSS, "CKM_SHA3_512_RSA_PKCS_PSS", hashSHA3_512),

	{
		Type: ck.CKM_EC_EDWARDS_KEY_PAIR_GEN, Name: "CKM_EC_EDWARDS_KEY_PAIR_GEN",
		Info:            ck.MechanismInfo{MinKeySize: edKeyBits, MaxKeySize: edKeyBits, Flags: ck.CKF_GENERATE_KEY_PAIR},
		KeyTypes:        []ck.KeyType{ck.CKK_EC_EDWARDS},
		GenerateKeyPair: generateEd25519,
	},
	{
		Type: ck.CKM_EDDSA, Name: "CKM_EDDSA",
		Info:       ck.MechanismInfo{MinKeySize: edKeyBits, MaxKeySize: edKeyBits, Flags: signVerify},
		KeyTypes:   []ck.KeyType{ck.CKK_EC_EDWARDS},
		SinglePart: true,
		Sign:       eddsaSign, Verify: eddsaVerify,
	},
}

// hmacGeneralSpec is CKM_*_HMAC_GENERAL: CKM_*_HMAC with an output length.
func hmacGeneralSpec(t ck.MechanismType, name string, h hashID, kt ck.KeyType) *Spec {
	s := hmacSpec(t, name, h, kt)
	m := &hmacMech{alg: hashes[h], keyType: kt, minKey: hashes[h].size, general: true}
	s.Sign, s.Verify = m.sign, m.verify
	return s
}

// rsaPSSSpec is CKM_RSA_PKCS_PSS (h < 0, single-part) or CKM_*_RSA_PKCS_PSS.
func rsaPSSSpec(t ck.MechanismType, name string, h hashID) *Spec {
	m := &rsaPSSMech{}
	if h >= 0 {
		m.alg = hashes[h]
	}
	return &Spec{
		Type: t, Name: name,
		Info:       ck.MechanismInfo{MinKeySize: rsaMinBits, MaxKeySize: rsaMaxBits, Flags: signVerify},
		KeyTypes:   []ck.KeyType{ck.CKK_RSA},
		SinglePart: m.alg == nil,
		Sign:       m.sign, Verify: m.verify,
	}
}

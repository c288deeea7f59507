package mech

import (
	"slices"

	"github.com/kagi-hsm/kagi/token/ck"
)

// The mechanism registry: one row per mechanism, what C_GetMechanismInfo
// reports and the constructors of what kagi does with it.
//
// MechanismInfo follows SoftHSMv2 2.6 (src/lib/SoftHSM.cpp,
// C_GetMechanismInfo) with these differences: the flags list only what kagi
// implements (CKF_WRAP/CKF_UNWRAP on the rows C_WrapKey and C_UnwrapKey can
// use, a superset of the rows SoftHSMv2 flags for wrapping: both flags on
// every AES and DES block mode but CTR, and on CKM_AES_GCM); RSA keys are
// 1024 bits at least because Go refuses smaller ones, and generation stops
// at 8192 bits (SoftHSMv2: 512..16384); EC key sizes are those of the
// curves kagi has, P-224 to P-521 (SoftHSMv2: 112..521); the CKM_ECDSA_SHA*
// rows, which SoftHSMv2 2.6 does not list, copy CKM_ECDSA. Units are those
// of PKCS#11 3.0 for each mechanism: bytes for AES and HMAC/generic secret
// keys, bits for RSA and EC.

const (
	signVerify = ck.CKF_SIGN | ck.CKF_VERIFY
	// ecFlags are the EC capability flags (PKCS#11 3.0 section 2.3.2):
	// prime fields, named curves, uncompressed points.
	ecFlags   = ck.CKF_EC_F_P | ck.CKF_EC_NAMEDCURVE | ck.CKF_EC_UNCOMPRESS
	ecMinBits = 224
	ecMaxBits = 521
)

// hmacKeyTypes are the key types CKM_*_HMAC takes: generic secret and the
// dedicated type.
func hmacKeyTypes(kt ck.KeyType) []ck.KeyType { return []ck.KeyType{ck.CKK_GENERIC_SECRET, kt} }

func digestSpec(t ck.MechanismType, name string, h hashID) *Spec {
	return &Spec{
		Type: t, Name: name,
		Info:   ck.MechanismInfo{Flags: ck.CKF_DIGEST},
		Digest: newDigest(hashes[h]),
	}
}

func hmacSpec(t ck.MechanismType, name string, h hashID, kt ck.KeyType) *Spec {
	m := &hmacMech{alg: hashes[h], keyType: kt, minKey: hashes[h].size}
	return &Spec{
		Type: t, Name: name,
		Info:     ck.MechanismInfo{MinKeySize: ck.ULong(m.minKey), MaxKeySize: 512, Flags: signVerify},
		KeyTypes: hmacKeyTypes(kt),
		Sign:     m.sign, Verify: m.verify,
	}
}

// rsaPKCSSpec is CKM_RSA_PKCS (h < 0) or CKM_SHA*_RSA_PKCS.
func rsaPKCSSpec(t ck.MechanismType, name string, h hashID) *Spec {
	m := &rsaPKCSMech{}
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

// ecdsaSpec is CKM_ECDSA (h < 0) or CKM_ECDSA_SHA*.
func ecdsaSpec(t ck.MechanismType, name string, h hashID) *Spec {
	m := &ecdsaMech{}
	if h >= 0 {
		m.alg = hashes[h]
	}
	return &Spec{
		Type: t, Name: name,
		Info:       ck.MechanismInfo{MinKeySize: ecMinBits, MaxKeySize: ecMaxBits, Flags: signVerify | ecFlags},
		KeyTypes:   []ck.KeyType{ck.CKK_EC},
		SinglePart: m.alg == nil,
		Sign:       m.sign, Verify: m.verify,
	}
}

const noHash hashID = -1

// registry is the table: the rows below and the families kept in their own
// files (registry_aes.go, registry_asym.go).
var registry = slices.Concat(coreRegistry, aesRegistry, asymRegistry, asymPendingRegistry, legacyRegistry, deriveRegistry)

var coreRegistry = []*Spec{
	digestSpec(ck.CKM_SHA_1, "CKM_SHA_1", hashSHA1),
	digestSpec(ck.CKM_SHA224, "CKM_SHA224", hashSHA224),
	digestSpec(ck.CKM_SHA256, "CKM_SHA256", hashSHA256),
	digestSpec(ck.CKM_SHA384, "CKM_SHA384", hashSHA384),
	digestSpec(ck.CKM_SHA512, "CKM_SHA512", hashSHA512),

	hmacSpec(ck.CKM_SHA_1_HMAC, "CKM_SHA_1_HMAC", hashSHA1, ck.CKK_SHA_1_HMAC),
	hmacSpec(ck.CKM_SHA224_HMAC, "CKM_SHA224_HMAC", hashSHA224, ck.CKK_SHA224_HMAC),
	hmacSpec(ck.CKM_SHA256_HMAC, "CKM_SHA256_HMAC", hashSHA256, ck.CKK_SHA256_HMAC),
	hmacSpec(ck.CKM_SHA384_HMAC, "CKM_SHA384_HMAC", hashSHA384, ck.CKK_SHA384_HMAC),
	hmacSpec(ck.CKM_SHA512_HMAC, "CKM_SHA512_HMAC", hashSHA512, ck.CKK_SHA512_HMAC),
	{
		Type: ck.CKM_GENERIC_SECRET_KEY_GEN, Name: "CKM_GENERIC_SECRET_KEY_GEN",
		Info:        ck.MechanismInfo{MinKeySize: 1, MaxKeySize: 0x80000000, Flags: ck.CKF_GENERATE},
		KeyTypes:    []ck.KeyType{ck.CKK_GENERIC_SECRET},
		GenerateKey: generateGenericSecret,
	},

	{
		Type: ck.CKM_AES_KEY_GEN, Name: "CKM_AES_KEY_GEN",
		Info:        ck.MechanismInfo{MinKeySize: 16, MaxKeySize: 32, Flags: ck.CKF_GENERATE},
		KeyTypes:    []ck.KeyType{ck.CKK_AES},
		GenerateKey: generateAES,
	},
	{
		Type: ck.CKM_AES_GCM, Name: "CKM_AES_GCM",
		Info:     ck.MechanismInfo{MinKeySize: 16, MaxKeySize: 32, Flags: ck.CKF_ENCRYPT | ck.CKF_DECRYPT | ck.CKF_WRAP | ck.CKF_UNWRAP},
		KeyTypes: []ck.KeyType{ck.CKK_AES},
		Encrypt:  newGCM(true), Decrypt: newGCM(false),
	},

	{
		Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN, Name: "CKM_RSA_PKCS_KEY_PAIR_GEN",
		Info:            ck.MechanismInfo{MinKeySize: rsaMinBits, MaxKeySize: rsaMaxGenBits, Flags: ck.CKF_GENERATE_KEY_PAIR},
		KeyTypes:        []ck.KeyType{ck.CKK_RSA},
		GenerateKeyPair: generateRSA,
	},
	recovering(wrapping(withRSAPKCSEncryption(rsaPKCSSpec(ck.CKM_RSA_PKCS, "CKM_RSA_PKCS", noHash))), true),
	rsaPKCSSpec(ck.CKM_SHA1_RSA_PKCS, "CKM_SHA1_RSA_PKCS", hashSHA1),
	rsaPKCSSpec(ck.CKM_SHA224_RSA_PKCS, "CKM_SHA224_RSA_PKCS", hashSHA224),
	rsaPKCSSpec(ck.CKM_SHA256_RSA_PKCS, "CKM_SHA256_RSA_PKCS", hashSHA256),
	rsaPKCSSpec(ck.CKM_SHA384_RSA_PKCS, "CKM_SHA384_RSA_PKCS", hashSHA384),
	rsaPKCSSpec(ck.CKM_SHA512_RSA_PKCS, "CKM_SHA512_RSA_PKCS", hashSHA512),

	{
		Type: ck.CKM_EC_KEY_PAIR_GEN, Name: "CKM_EC_KEY_PAIR_GEN",
		Info:            ck.MechanismInfo{MinKeySize: ecMinBits, MaxKeySize: ecMaxBits, Flags: ck.CKF_GENERATE_KEY_PAIR | ecFlags},
		KeyTypes:        []ck.KeyType{ck.CKK_EC},
		GenerateKeyPair: generateEC,
	},
	ecdsaSpec(ck.CKM_ECDSA, "CKM_ECDSA", noHash),
	ecdsaSpec(ck.CKM_ECDSA_SHA1, "CKM_ECDSA_SHA1", hashSHA1),
	ecdsaSpec(ck.CKM_ECDSA_SHA224, "CKM_ECDSA_SHA224", hashSHA224),
	ecdsaSpec(ck.CKM_ECDSA_SHA256, "CKM_ECDSA_SHA256", hashSHA256),
	ecdsaSpec(ck.CKM_ECDSA_SHA384, "CKM_ECDSA_SHA384", hashSHA384),
	ecdsaSpec(ck.CKM_ECDSA_SHA512, "CKM_ECDSA_SHA512", hashSHA512),
}

// byType indexes registry; built once at package initialisation.
var byType, sortedTypes = func() (map[ck.MechanismType]*Spec, []ck.MechanismType) {
	m := make(map[ck.MechanismType]*Spec, len(registry))
	ts := make([]ck.MechanismType, 0, len(registry))
	for _, s := range registry {
		if _, dup := m[s.Type]; dup {
			panic("mech: duplicate registry row " + s.Name)
		}
		m[s.Type] = s
		ts = append(ts, s.Type)
	}
	slices.Sort(ts)
	return m, ts
}()

// Lookup returns the registry row of mechanism t.
func Lookup(t ck.MechanismType) (*Spec, bool) {
	s, ok := byType[t]
	return s, ok
}

// Types returns the supported mechanism types in ascending order (for
// C_GetMechanismList).
func Types() []ck.MechanismType {
	return slices.Clone(sortedTypes)
}

package integration

// Issue 4, "Operations": every error code the paragraph lists, provoked at
// least once through the module, each case named for the call and the
// condition and asserting the exact CK_RV. Some of these are also checked
// next to the mechanism they belong to (crypto_test.go, asym4_test.go,
// aesmodes_test.go); this file is the one place that lists them all.
//
// Not expressible through miekg/pkcs11 v1.1.2, and so left out:
// CKM_CONCATENATE_BASE_AND_DATA and CKM_XOR_BASE_AND_DATA take a
// CK_KEY_DERIVATION_STRING_DATA, a structure holding a pointer, for which
// miekg has no constructor (a []byte parameter is copied as it is, so the
// pointer cannot be built honestly). The "CKA_VALUE_LEN longer than the
// derivation yields" case uses CKM_ECDH1_DERIVE with CKD_NULL instead,
// whose CK_ECDH1_DERIVE_PARAMS miekg does build.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"testing"

	"github.com/miekg/pkcs11"
)

// errors4Keys are the objects the cases use, all session objects made on
// the test's first session (visible to the case sessions of the same
// application).
type errors4Keys struct {
	ecPriv, ecPub    pkcs11.ObjectHandle // P-256, sign / verify
	ecNoSign         pkcs11.ObjectHandle // P-256 private, CKA_SIGN false
	ecDerive         pkcs11.ObjectHandle // P-256 private, CKA_DERIVE true
	ecNoDerive       pkcs11.ObjectHandle // P-256 private, CKA_DERIVE false
	ecAlwaysAuth     pkcs11.ObjectHandle // P-256 private, CKA_ALWAYS_AUTHENTICATE
	peer             []byte              // an uncompressed P-256 point
	rsaPub, rsaPriv  pkcs11.ObjectHandle // RSA-2048, all four functions
	rsaModulus       []byte
	aes              pkcs11.ObjectHandle // AES-256, encrypt/decrypt/wrap/unwrap
	aesNoEncrypt     pkcs11.ObjectHandle
	aesNoDecrypt     pkcs11.ObjectHandle
	aesNoWrap        pkcs11.ObjectHandle
	aesTarget        pkcs11.ObjectHandle // AES-128, extractable: a key to wrap
	aesUnextractable pkcs11.ObjectHandle // AES-128, CKA_EXTRACTABLE false
	aesWrapTrusted   pkcs11.ObjectHandle // AES-128, CKA_WRAP_WITH_TRUSTED
	generic          pkcs11.ObjectHandle // generic secret, encrypt true
	hmac             pkcs11.ObjectHandle // generic secret, sign / verify
}

func errors4Setup(t *testing.T, sh pkcs11.SessionHandle) *errors4Keys {
	t.Helper()
	var k errors4Keys
	k.ecPub, k.ecPriv = generateEC(t, sh, ecParams(t, curves[0].oid), false, "errors4-ec")

	goKey := func() *ecdsa.PrivateKey {
		key, err := ecdsa.GenerateKey(curves[0].curve, rand.Reader)
		must(t, "ecdsa.GenerateKey", err)
		return key
	}
	oid := curves[0].oid
	k.ecNoSign = create(t, sh, ecPrivateTemplate(t, oid, goKey(), attr(pkcs11.CKA_SIGN, false)))
	k.ecDerive = create(t, sh, ecPrivateTemplate(t, oid, goKey(), attr(pkcs11.CKA_DERIVE, true)))
	k.ecNoDerive = create(t, sh, ecPrivateTemplate(t, oid, goKey(), attr(pkcs11.CKA_DERIVE, false)))
	k.ecAlwaysAuth = create(t, sh, ecPrivateTemplate(t, oid, goKey(),
		attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_ALWAYS_AUTHENTICATE, true)))
	peer, err := goKey().PublicKey.Bytes()
	must(t, "ecdsa.PublicKey.Bytes", err)
	k.peer = peer

	k.rsaPub, k.rsaPriv, err = p11.GenerateKeyPair(sh, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{
			attr(pkcs11.CKA_MODULUS_BITS, 2048), attr(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
			attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_VERIFY, true),
		},
		[]*pkcs11.Attribute{attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_DECRYPT, true)})
	must(t, "C_GenerateKeyPair(RSA-2048)", err)
	k.rsaModulus = getAttr(t, sh, k.rsaPub, pkcs11.CKA_MODULUS)

	all := []*pkcs11.Attribute{
		attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, true),
		attr(pkcs11.CKA_WRAP, true), attr(pkcs11.CKA_UNWRAP, true),
	}
	k32 := bytes.Repeat([]byte{0x5a}, 32)
	k.aes = create(t, sh, aesTemplate(k32, all...))
	k.aesNoEncrypt = create(t, sh, aesTemplate(k32, attr(pkcs11.CKA_ENCRYPT, false), attr(pkcs11.CKA_DECRYPT, true)))
	k.aesNoDecrypt = create(t, sh, aesTemplate(k32, attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, false)))
	k.aesNoWrap = create(t, sh, aesTemplate(k32, attr(pkcs11.CKA_WRAP, false), attr(pkcs11.CKA_UNWRAP, true)))
	k16 := bytes.Repeat([]byte{0x3c}, 16)
	k.aesTarget = create(t, sh, aesTemplate(k16, attr(pkcs11.CKA_EXTRACTABLE, true)))
	k.aesUnextractable = create(t, sh, aesTemplate(k16, attr(pkcs11.CKA_EXTRACTABLE, false)))
	k.aesWrapTrusted = create(t, sh, aesTemplate(k16,
		attr(pkcs11.CKA_EXTRACTABLE, true), attr(pkcs11.CKA_WRAP_WITH_TRUSTED, true)))

	secret := []byte("a generic secret of 32 bytes....")
	k.generic = create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_VALUE, secret),
		attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, true),
	})
	k.hmac = create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_VALUE, secret),
		attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_VERIFY, true),
	})
	return &k
}

func m1(m uint, param any) []*pkcs11.Mechanism {
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(m, param)}
}

// flip returns a copy of b with one bit of byte i (from the end if i < 0)
// changed.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	if i < 0 {
		i += len(c)
	}
	c[i] ^= 0x01
	return c
}

// encrypt4 runs a single-part encryption that must succeed.
func encrypt4(t *testing.T, sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, key pkcs11.ObjectHandle, in []byte) []byte {
	t.Helper()
	must(t, "C_EncryptInit", p11.EncryptInit(sh, m, key))
	out, err := p11.Encrypt(sh, in)
	must(t, "C_Encrypt", err)
	return out
}

// sign4 runs a single-part signature that must succeed.
func sign4(t *testing.T, sh pkcs11.SessionHandle, m []*pkcs11.Mechanism, key pkcs11.ObjectHandle, in []byte) []byte {
	t.Helper()
	must(t, "C_SignInit", p11.SignInit(sh, m, key))
	out, err := p11.Sign(sh, in)
	must(t, "C_Sign", err)
	return out
}

// wrap4 wraps k.aesTarget under k.aes with CKM_AES_KEY_WRAP.
func wrap4(t *testing.T, sh pkcs11.SessionHandle, k *errors4Keys) []byte {
	t.Helper()
	blob, err := p11.WrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP), k.aes, k.aesTarget)
	must(t, "C_WrapKey(CKM_AES_KEY_WRAP)", err)
	return blob
}

func TestErrors4Codes(t *testing.T) {
	slot, main := userSession(t)
	k := errors4Setup(t, main)
	iv := bytes.Repeat([]byte{9}, 16)
	digest := sha256.Sum256([]byte("errors4"))
	aesSecret := []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
	}
	genericLen := func(n int) []*pkcs11.Attribute {
		return []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			attr(pkcs11.CKA_VALUE_LEN, n),
		}
	}
	gcm := func(tagBits int) (*pkcs11.GCMParams, []*pkcs11.Mechanism) {
		p := pkcs11.NewGCMParams(bytes.Repeat([]byte{7}, 12), []byte("aad"), tagBits)
		return p, m1(pkcs11.CKM_AES_GCM, p)
	}
	oaep := func() []*pkcs11.Mechanism {
		return m1(pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.NewOAEPParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, pkcs11.CKZ_DATA_SPECIFIED, nil))
	}

	cases := []struct {
		name string
		want uint
		run  func(t *testing.T, sh pkcs11.SessionHandle) error
	}{
		// CKR_KEY_FUNCTION_NOT_PERMITTED
		{"SignInit/CKA_SIGN_false", pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), k.ecNoSign)
		}},
		{"EncryptInit/CKA_ENCRYPT_false", pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.EncryptInit(sh, m1(pkcs11.CKM_AES_CBC, iv), k.aesNoEncrypt)
		}},
		{"DecryptInit/CKA_DECRYPT_false", pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.DecryptInit(sh, m1(pkcs11.CKM_AES_CBC, iv), k.aesNoDecrypt)
		}},
		{"WrapKey/CKA_WRAP_false", pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, func(t *testing.T, sh pkcs11.SessionHandle) error {
			_, err := p11.WrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP), k.aesNoWrap, k.aesTarget)
			return err
		}},
		{"DeriveKey/CKA_DERIVE_false", pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, func(t *testing.T, sh pkcs11.SessionHandle) error {
			_, err := p11.DeriveKey(sh, m1(pkcs11.CKM_ECDH1_DERIVE, pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, k.peer)),
				k.ecNoDerive, genericLen(32))
			return err
		}},

		// CKR_KEY_TYPE_INCONSISTENT
		{"SignInit/ECDSA_with_RSA_key", pkcs11.CKR_KEY_TYPE_INCONSISTENT, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), k.rsaPriv)
		}},
		{"EncryptInit/AES_GCM_with_generic_secret", pkcs11.CKR_KEY_TYPE_INCONSISTENT, func(t *testing.T, sh pkcs11.SessionHandle) error {
			p, m := gcm(128)
			defer p.Free()
			return p11.EncryptInit(sh, m, k.generic)
		}},

		// CKR_MECHANISM_INVALID
		{"EncryptInit/mechanism_0x80001234", pkcs11.CKR_MECHANISM_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.EncryptInit(sh, mech(0x80001234), k.aes)
		}},
		{"SignInit/encryption_only_mechanism_AES_CBC", pkcs11.CKR_MECHANISM_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.SignInit(sh, m1(pkcs11.CKM_AES_CBC, iv), k.aes)
		}},

		// CKR_MECHANISM_PARAM_INVALID
		{"EncryptInit/AES_CBC_15_byte_IV", pkcs11.CKR_MECHANISM_PARAM_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.EncryptInit(sh, m1(pkcs11.CKM_AES_CBC, iv[:15]), k.aes)
		}},
		{"EncryptInit/AES_GCM_tag_bits_200", pkcs11.CKR_MECHANISM_PARAM_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			p, m := gcm(200)
			defer p.Free()
			return p11.EncryptInit(sh, m, k.aes)
		}},
		{"SignInit/SHA256_RSA_PKCS_PSS_unknown_MGF", pkcs11.CKR_MECHANISM_PARAM_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.SignInit(sh, m1(pkcs11.CKM_SHA256_RSA_PKCS_PSS, pkcs11.NewPSSParams(pkcs11.CKM_SHA256, 99, 32)), k.rsaPriv)
		}},
		{"SignInit/SHA256_RSA_PKCS_PSS_hashAlg_SHA384", pkcs11.CKR_MECHANISM_PARAM_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.SignInit(sh, m1(pkcs11.CKM_SHA256_RSA_PKCS_PSS, pkcs11.NewPSSParams(pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384, 32)), k.rsaPriv)
		}},
		{"DecryptInit/RSA_OAEP_unknown_MGF", pkcs11.CKR_MECHANISM_PARAM_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			return p11.DecryptInit(sh, m1(pkcs11.CKM_RSA_PKCS_OAEP,
				pkcs11.NewOAEPParams(pkcs11.CKM_SHA256, 99, pkcs11.CKZ_DATA_SPECIFIED, nil)), k.rsaPriv)
		}},

		// CKR_DATA_LEN_RANGE
		{"Encrypt/AES_ECB_15_bytes", pkcs11.CKR_DATA_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_EncryptInit(CKM_AES_ECB)", p11.EncryptInit(sh, mech(pkcs11.CKM_AES_ECB), k.aes))
			_, err := p11.Encrypt(sh, make([]byte, 15))
			return err
		}},
		{"Encrypt/AES_CBC_15_bytes", pkcs11.CKR_DATA_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_EncryptInit(CKM_AES_CBC)", p11.EncryptInit(sh, m1(pkcs11.CKM_AES_CBC, iv), k.aes))
			_, err := p11.Encrypt(sh, make([]byte, 15))
			return err
		}},
		{"Sign/RSA_PKCS_longer_than_k-11", pkcs11.CKR_DATA_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_SignInit(CKM_RSA_PKCS)", p11.SignInit(sh, mech(pkcs11.CKM_RSA_PKCS), k.rsaPriv))
			_, err := p11.Sign(sh, make([]byte, len(k.rsaModulus)-11+1))
			return err
		}},
		{"Encrypt/RSA_X_509_data_equal_to_modulus", pkcs11.CKR_DATA_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_EncryptInit(CKM_RSA_X_509)", p11.EncryptInit(sh, mech(pkcs11.CKM_RSA_X_509), k.rsaPub))
			_, err := p11.Encrypt(sh, k.rsaModulus)
			return err
		}},
		{"Encrypt/RSA_X_509_longer_than_modulus", pkcs11.CKR_DATA_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_EncryptInit(CKM_RSA_X_509)", p11.EncryptInit(sh, mech(pkcs11.CKM_RSA_X_509), k.rsaPub))
			_, err := p11.Encrypt(sh, append([]byte{1}, k.rsaModulus...))
			return err
		}},

		// CKR_ENCRYPTED_DATA_LEN_RANGE
		{"Decrypt/AES_CBC_17_bytes", pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_DecryptInit(CKM_AES_CBC)", p11.DecryptInit(sh, m1(pkcs11.CKM_AES_CBC, iv), k.aes))
			_, err := p11.Decrypt(sh, make([]byte, 17))
			return err
		}},
		{"Decrypt/RSA_OAEP_100_bytes", pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_DecryptInit(CKM_RSA_PKCS_OAEP)", p11.DecryptInit(sh, oaep(), k.rsaPriv))
			_, err := p11.Decrypt(sh, make([]byte, 100))
			return err
		}},

		// CKR_SIGNATURE_LEN_RANGE
		{"Verify/ECDSA_63_byte_signature", pkcs11.CKR_SIGNATURE_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_VerifyInit(CKM_ECDSA)", p11.VerifyInit(sh, mech(pkcs11.CKM_ECDSA), k.ecPub))
			return p11.Verify(sh, digest[:], make([]byte, 63))
		}},
		{"Verify/SHA256_HMAC_33_byte_MAC", pkcs11.CKR_SIGNATURE_LEN_RANGE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_VerifyInit(CKM_SHA256_HMAC)", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_HMAC), k.hmac))
			return p11.Verify(sh, []byte("data"), make([]byte, 33))
		}},

		// CKR_ENCRYPTED_DATA_INVALID
		{"Decrypt/AES_GCM_changed_tag", pkcs11.CKR_ENCRYPTED_DATA_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			p, m := gcm(128)
			defer p.Free()
			ct := encrypt4(t, sh, m, k.aes, []byte("authenticated plaintext"))
			must(t, "C_DecryptInit(CKM_AES_GCM)", p11.DecryptInit(sh, m, k.aes))
			_, err := p11.Decrypt(sh, flip(ct, -1))
			return err
		}},
		{"Decrypt/AES_CBC_PAD_bad_padding", pkcs11.CKR_ENCRYPTED_DATA_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			// A zero block encrypted without padding decrypts to a last
			// byte of 0, which is no PKCS#7 padding.
			ct := encrypt4(t, sh, m1(pkcs11.CKM_AES_CBC, iv), k.aes, make([]byte, 16))
			must(t, "C_DecryptInit(CKM_AES_CBC_PAD)", p11.DecryptInit(sh, m1(pkcs11.CKM_AES_CBC_PAD, iv), k.aes))
			_, err := p11.Decrypt(sh, ct)
			return err
		}},
		{"Decrypt/RSA_OAEP_changed_byte", pkcs11.CKR_ENCRYPTED_DATA_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			ct := encrypt4(t, sh, oaep(), k.rsaPub, []byte("oaep plaintext"))
			must(t, "C_DecryptInit(CKM_RSA_PKCS_OAEP)", p11.DecryptInit(sh, oaep(), k.rsaPriv))
			_, err := p11.Decrypt(sh, flip(ct, 10))
			return err
		}},

		// CKR_SIGNATURE_INVALID
		{"Verify/ECDSA_changed_byte", pkcs11.CKR_SIGNATURE_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			sig := sign4(t, sh, mech(pkcs11.CKM_ECDSA), k.ecPriv, digest[:])
			must(t, "C_VerifyInit(CKM_ECDSA)", p11.VerifyInit(sh, mech(pkcs11.CKM_ECDSA), k.ecPub))
			return p11.Verify(sh, digest[:], flip(sig, -1))
		}},
		{"Verify/SHA256_RSA_PKCS_changed_byte", pkcs11.CKR_SIGNATURE_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			msg := []byte("pkcs1 v1.5")
			sig := sign4(t, sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), k.rsaPriv, msg)
			must(t, "C_VerifyInit(CKM_SHA256_RSA_PKCS)", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS), k.rsaPub))
			return p11.Verify(sh, msg, flip(sig, 100))
		}},
		{"Verify/SHA256_HMAC_changed_byte", pkcs11.CKR_SIGNATURE_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			msg := []byte("hmac")
			mac := sign4(t, sh, mech(pkcs11.CKM_SHA256_HMAC), k.hmac, msg)
			must(t, "C_VerifyInit(CKM_SHA256_HMAC)", p11.VerifyInit(sh, mech(pkcs11.CKM_SHA256_HMAC), k.hmac))
			return p11.Verify(sh, msg, flip(mac, 0))
		}},

		// CKR_USER_NOT_LOGGED_IN: a CKA_ALWAYS_AUTHENTICATE key needs a
		// CKU_CONTEXT_SPECIFIC login for each operation (PKCS#11 3.0
		// section 4.9 and 5.6, C_Login).
		{"Sign/CKA_ALWAYS_AUTHENTICATE_before_context_login", pkcs11.CKR_USER_NOT_LOGGED_IN, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_SignInit(always-authenticate key)", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), k.ecAlwaysAuth))
			_, err := p11.Sign(sh, digest[:])
			wantRV(t, "C_Sign before C_Login(CKU_CONTEXT_SPECIFIC)", err, pkcs11.CKR_USER_NOT_LOGGED_IN)
			must(t, "C_Login(CKU_CONTEXT_SPECIFIC)", p11.Login(sh, pkcs11.CKU_CONTEXT_SPECIFIC, userPIN))
			sig, err := p11.Sign(sh, digest[:])
			must(t, "C_Sign after C_Login(CKU_CONTEXT_SPECIFIC)", err)
			if len(sig) != 64 {
				t.Errorf("P-256 signature of %d bytes", len(sig))
			}
			// The login served that one operation only.
			must(t, "C_SignInit again", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), k.ecAlwaysAuth))
			_, err = p11.Sign(sh, digest[:])
			return err
		}},

		// CKR_OPERATION_NOT_INITIALIZED / CKR_OPERATION_ACTIVE
		{"Encrypt/without_EncryptInit", pkcs11.CKR_OPERATION_NOT_INITIALIZED, func(t *testing.T, sh pkcs11.SessionHandle) error {
			_, err := p11.Encrypt(sh, make([]byte, 16))
			return err
		}},
		{"EncryptInit/twice", pkcs11.CKR_OPERATION_ACTIVE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			must(t, "C_EncryptInit", p11.EncryptInit(sh, mech(pkcs11.CKM_AES_ECB), k.aes))
			return p11.EncryptInit(sh, mech(pkcs11.CKM_AES_ECB), k.aes)
		}},

		// Wrapping.
		{"WrapKey/CKA_EXTRACTABLE_false", pkcs11.CKR_KEY_UNEXTRACTABLE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			_, err := p11.WrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP), k.aes, k.aesUnextractable)
			return err
		}},
		{"WrapKey/CKA_WRAP_WITH_TRUSTED_under_untrusted_key", pkcs11.CKR_KEY_NOT_WRAPPABLE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			_, err := p11.WrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP), k.aes, k.aesWrapTrusted)
			return err
		}},
		{"UnwrapKey/AES_KEY_WRAP_corrupted_blob", pkcs11.CKR_WRAPPED_KEY_INVALID, func(t *testing.T, sh pkcs11.SessionHandle) error {
			blob := wrap4(t, sh, k)
			_, err := p11.UnwrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP), k.aes, flip(blob, 3), aesSecret)
			return err
		}},
		{"UnwrapKey/no_CKA_KEY_TYPE", pkcs11.CKR_TEMPLATE_INCOMPLETE, func(t *testing.T, sh pkcs11.SessionHandle) error {
			blob := wrap4(t, sh, k)
			_, err := p11.UnwrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP), k.aes, blob,
				[]*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY)})
			return err
		}},
		{"UnwrapKey/CKA_CLASS_CKO_DATA", pkcs11.CKR_TEMPLATE_INCONSISTENT, func(t *testing.T, sh pkcs11.SessionHandle) error {
			// C_UnwrapKey makes keys only: a CKO_DATA class contradicts it.
			blob := wrap4(t, sh, k)
			_, err := p11.UnwrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP), k.aes, blob,
				[]*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA)})
			return err
		}},
		{"DeriveKey/ECDH1_CKD_NULL_CKA_VALUE_LEN_64_of_32", pkcs11.CKR_TEMPLATE_INCONSISTENT, func(t *testing.T, sh pkcs11.SessionHandle) error {
			// Sanity: the 32 bytes P-256 yields are accepted.
			_, err := p11.DeriveKey(sh, m1(pkcs11.CKM_ECDH1_DERIVE, pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, k.peer)),
				k.ecDerive, genericLen(32))
			must(t, "C_DeriveKey(CKM_ECDH1_DERIVE, CKA_VALUE_LEN 32)", err)
			_, err = p11.DeriveKey(sh, m1(pkcs11.CKM_ECDH1_DERIVE, pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, k.peer)),
				k.ecDerive, genericLen(64))
			return err
		}},
	}

	provoked := map[uint]bool{}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Each case has a session of its own, so that an operation one
			// leaves behind cannot change what the next one sees.
			sh := openRW(t, slot)
			defer func() { _ = p11.CloseSession(sh) }()
			err := c.run(t, sh)
			wantRV(t, c.name, err, c.want)
			if rvOf(err) == c.want {
				provoked[c.want] = true
			}
		})
	}

	// The codes of issue 4, "Operations", plus the ones this brief adds.
	for _, rv := range []uint{
		pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED,
		pkcs11.CKR_KEY_TYPE_INCONSISTENT,
		pkcs11.CKR_MECHANISM_INVALID,
		pkcs11.CKR_MECHANISM_PARAM_INVALID,
		pkcs11.CKR_DATA_LEN_RANGE,
		pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE,
		pkcs11.CKR_SIGNATURE_LEN_RANGE,
		pkcs11.CKR_ENCRYPTED_DATA_INVALID,
		pkcs11.CKR_SIGNATURE_INVALID,
		pkcs11.CKR_USER_NOT_LOGGED_IN,
		pkcs11.CKR_OPERATION_NOT_INITIALIZED,
		pkcs11.CKR_OPERATION_ACTIVE,
		pkcs11.CKR_KEY_UNEXTRACTABLE,
		pkcs11.CKR_WRAPPED_KEY_INVALID,
		pkcs11.CKR_KEY_NOT_WRAPPABLE,
		pkcs11.CKR_TEMPLATE_INCONSISTENT,
		pkcs11.CKR_TEMPLATE_INCOMPLETE,
	} {
		if !provoked[rv] {
			t.Errorf("%s was not provoked by any case", rvName(rv))
		}
	}
}

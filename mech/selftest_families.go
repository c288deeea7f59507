package mech

import "github.com/kagi-hsm/kagi/token/ck"

// Power-up known-answer tests of the families beyond the first set (one
// vector each, through the registry as C_* calls use it).

// selfTestAESModes: SP 800-38A F.2.5 (CBC-AES256.Encrypt, block 1),
// RFC 4493 example 2 (AES-CMAC, 16-byte message) and RFC 3394 section 4.1
// (128-bit KEK, 128-bit key data).
func selfTestAESModes() error {
	cbc, _ := Lookup(ck.CKM_AES_CBC)
	k := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_AES,
		Secret: unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")}
	op, err := cbc.Encrypt(k, unhex("000102030405060708090a0b0c0d0e0f"))
	if err != nil {
		return err
	}
	ct, err := op.One(unhex("6bc1bee22e409f96e93d7e117393172a"))
	if err != nil {
		return err
	}
	if err := expect(ct, "f58c4c04d6e5f1ba779eabfb5f7bfbd6"); err != nil {
		return err
	}
	cmac, _ := Lookup(ck.CKM_AES_CMAC)
	k128 := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_AES, Secret: unhex("2b7e151628aed2a6abf7158809cf4f3c")}
	s, err := cmac.Sign(k128, nil)
	if err != nil {
		return err
	}
	mac, err := s.Sign(unhex("6bc1bee22e409f96e93d7e117393172a"))
	if err != nil {
		return err
	}
	if err := expect(mac, "070a16b46b4d4144f79bdd9dd04a287c"); err != nil {
		return err
	}
	kw, _ := Lookup(ck.CKM_AES_KEY_WRAP)
	kek := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_AES, Secret: unhex("000102030405060708090a0b0c0d0e0f")}
	w, err := kw.Encrypt(kek, nil)
	if err != nil {
		return err
	}
	wrapped, err := w.One(unhex("00112233445566778899aabbccddeeff"))
	if err != nil {
		return err
	}
	return expect(wrapped, "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5")
}

// selfTestDES: FIPS 81 appendix C table C1 (DES-CBC), through CKM_DES_CBC.
func selfTestDES() error {
	spec, _ := Lookup(ck.CKM_DES_CBC)
	k := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_DES, Secret: unhex("0123456789abcdef")}
	op, err := spec.Encrypt(k, unhex("1234567890abcdef"))
	if err != nil {
		return err
	}
	ct, err := op.One(unhex("4e6f77206973207468652074696d6520666f7220616c6c20"))
	if err != nil {
		return err
	}
	return expect(ct, "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6")
}

// selfTestHKDF: RFC 5869 appendix A.1 (SHA-256), through CKM_HKDF_DERIVE.
func selfTestHKDF() error {
	spec, _ := Lookup(ck.CKM_HKDF_DERIVE)
	ikm := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_GENERIC_SECRET, Secret: unhex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b")}
	okm, err := spec.Derive(ikm, ck.HKDFParams{
		Extract: true, Expand: true, PRFHash: ck.CKM_SHA256,
		SaltType: ck.CKF_HKDF_SALT_DATA, Salt: unhex("000102030405060708090a0b0c"),
		Info: unhex("f0f1f2f3f4f5f6f7f8f9"),
	}, 42, nil)
	if err != nil {
		return err
	}
	return expect(okm, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
}

// selfTestX25519: RFC 7748 section 6.1 (Alice's private key, Bob's public
// key), through CKM_ECDH1_DERIVE.
func selfTestX25519() error {
	spec, _ := Lookup(ck.CKM_ECDH1_DERIVE)
	k, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC_MONTGOMERY, valueAttrs{
		ck.CKA_EC_PARAMS: oidX25519,
		ck.CKA_VALUE:     unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"),
	})
	if err != nil {
		return err
	}
	z, err := spec.Derive(k, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL,
		PublicData: unhex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")}, 0, nil)
	if err != nil {
		return err
	}
	return expect(z, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
}

// valueAttrs is an Attrs from a map, for the self-tests.
type valueAttrs map[ck.AttributeType][]byte

func (m valueAttrs) Attr(t ck.AttributeType) ([]byte, bool) {
	v, ok := m[t]
	return v, ok
}

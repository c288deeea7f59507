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

// selfTestDH: RFC 5114 section 3.1 (the 1024-bit MODP group with a 160-bit
// subgroup, party A's private value and party B's public value; Z as in
// testdata/rfc5114_dh.txt), through CKM_DH_PKCS_DERIVE.
func selfTestDH() error {
	spec, _ := Lookup(ck.CKM_DH_PKCS_DERIVE)
	k, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DH, valueAttrs{
		ck.CKA_PRIME: unhex("b10b8f96a080e01dde92de5eae5d54ec52c99fbcfb06a3c69a6a9dca52d23b61" +
			"6073e28675a23d189838ef1e2ee652c013ecb4aea906112324975c3cd49b83bf" +
			"accbdd7d90c4bd7098488e9c219a73724effd6fae5644738faa31a4ff55bccc0" +
			"a151af5f0dc8b4bd45bf37df365c1a65e68cfda76d4da708df1fb2bc2e4a4371"),
		ck.CKA_BASE: unhex("a4d1cbd5c3fd34126765a442efb99905f8104dd258ac507fd6406cff14266d31" +
			"266fea1e5c41564b777e690f5504f213160217b4b01b886a5e91547f9e2749f4" +
			"d7fbd7d3b9a92ee1909d0d2263f80a76a6a24c087a091f531dbf0a0169b6a28a" +
			"d662a4d18e73afa32d779d5918d08bc8858f4dcef97c2a24855e6eeb22b3b2e5"),
		ck.CKA_VALUE: unhex("b9a3b3ae8fefc1a2930496507086f8455d48943e"),
	})
	if err != nil {
		return err
	}
	z, err := spec.Derive(k, unhex("717a6cb053371ff4a3b932941c1e5663f861a1d6ad34ae66576dfb98f6c6cbf9"+
		"ddd5a56c7833f6bcfdff095582ad868e440e8d09fd769e3ceccdc3d3b1e4cfa0"+
		"57776caaf9739b6a9fee8e7411f8d6dac09d6a4edb46cc2b5d5203090eae6126"+
		"311e53fd2c14b574e6a3109a3da1be41bdceaa186f5ce06716a2b6a07b3c33fe"), 0, nil)
	if err != nil {
		return err
	}
	return expect(z, "5c804f454d30d9c4df85271f93528c91df6b48ab5f80b3b59caac1b28f8acba9"+
		"cd3e39f3cb614525d9521d2e644c53b807b810f340062f257d7d6fbfe8d5e8f0"+
		"72e9b6e9afda9413eafb2e8b0699b1fb5a0caceddeaead7e9cfbb36ae2b42083"+
		"5bd83a19fb0b5e96bf8fa4d09e345525167ecd9155416f46f408ed31b63c6e6d")
}

// valueAttrs is an Attrs from a map, for the self-tests.
type valueAttrs map[ck.AttributeType][]byte

func (m valueAttrs) Attr(t ck.AttributeType) ([]byte, bool) {
	v, ok := m[t]
	return v, ok
}

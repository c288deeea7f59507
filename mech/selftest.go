package mech

import (
	"bytes"
	"crypto/x509"
	"encoding/hex"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// SelfTest runs the start-up known-answer tests, one or more per algorithm
// family, through the same code paths the mechanisms use (FIPS 140-3 IG
// 10.3.A style conditional self-tests, run once at C_Initialize): SHA-256,
// HMAC-SHA-256, AES-GCM (encrypt, decrypt, tag rejection), RSA PKCS#1 v1.5
// with SHA-256 (a fixed key and signature), ECDSA P-256 with SHA-256
// (verification of a fixed signature and a pairwise sign/verify),
// HMAC_DRBG and PBKDF2. It takes a few milliseconds. The vectors and where
// they come from are in testdata/README.md; unit tests live elsewhere.
func SelfTest() error {
	for _, t := range selfTests {
		if err := t.run(); err != nil {
			return fmt.Errorf("mech: self-test %s failed (%v): %w", t.name, err, ck.CKR_GENERAL_ERROR)
		}
	}
	return nil
}

var selfTests = []struct {
	name string
	run  func() error
}{
	{"SHA-256", selfTestSHA256},
	{"HMAC-SHA-256", selfTestHMAC},
	{"AES-256-GCM", selfTestGCM},
	{"RSA PKCS#1 v1.5 SHA-256", selfTestRSA},
	{"ECDSA P-256 SHA-256", selfTestECDSA},
	{"HMAC_DRBG SHA-256", selfTestDRBG},
	{"PBKDF2-HMAC-SHA-256", selfTestPBKDF2},
	{"SHA3-256", selfTestSHA3},
	{"RSA-OAEP/PSS", selfTestRSAOAEPPSS},
	{"Ed25519", selfTestEd25519},
	{"AES-CBC/CMAC/KW", selfTestAESModes},
	{"DES-CBC", selfTestDES},
	{"HKDF-SHA-256", selfTestHKDF},
	{"X25519", selfTestX25519},
	{"DH (PKCS #3)", selfTestDH},
}

var errKAT = fmt.Errorf("known answer mismatch")

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic("mech: bad self-test vector")
	}
	return b
}

func expect(got []byte, want string) error {
	if !bytes.Equal(got, unhex(want)) {
		return errKAT
	}
	return nil
}

// selfTestSHA256: FIPS 180-4 example "abc" (NIST CSRC SHA256.pdf).
func selfTestSHA256() error {
	d, err := newDigest(hashes[hashSHA256])(nil)
	if err != nil {
		return err
	}
	d.Update([]byte("abc"))
	return expect(d.Sum(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
}

// selfTestHMAC: RFC 4231 test cases 2 (a key shorter than the block, below
// CKM_SHA256_HMAC's minimum, so through the mechanism type without the
// size check) and 6 (a key longer than the block, through the registry).
func selfTestHMAC() error {
	short := &hmacMech{alg: hashes[hashSHA256], keyType: ck.CKK_SHA256_HMAC}
	k := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_GENERIC_SECRET, Secret: []byte("Jefe")}
	op, err := short.sign(k, nil)
	if err != nil {
		return err
	}
	mac, err := op.Sign([]byte("what do ya want for nothing?"))
	if err != nil {
		return err
	}
	if err := expect(mac, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"); err != nil {
		return err
	}
	spec, _ := Lookup(ck.CKM_SHA256_HMAC)
	k = &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_SHA256_HMAC, Secret: bytes.Repeat([]byte{0xaa}, 131)}
	v, err := spec.Verify(k, nil)
	if err != nil {
		return err
	}
	return v.Verify([]byte("Test Using Larger Than Block-Size Key - Hash Key First"),
		unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"))
}

// selfTestGCM: NIST CAVP gcmEncryptExtIV256.rsp, [Keylen = 256] [IVlen =
// 96] [PTlen = 256] [AADlen = 128] [Taglen = 128] Count = 0.
func selfTestGCM() error {
	spec, _ := Lookup(ck.CKM_AES_GCM)
	k := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_AES,
		Secret: unhex("37ccdba1d929d6436c16bba5b5ff34deec88ed7df3d15d0f4ddf80c0c731ee1f")}
	p := &ck.GCMParams{
		IV:      unhex("5c1b21c8998ed6299006d3f9"),
		AAD:     unhex("22ed235946235a85a45bc5fad7140bfa"),
		TagBits: 128,
	}
	pt := unhex("ad4260e3cdc76bcc10c7b2c06b80b3be948258e5ef20c508a81f51e96a518388")
	const ctTag = "3b335f8b08d33ccdcad228a74700f1007542a4d1e7fc1ebe3f447fe71af29816" + "1fbf49cc46f458bf6e88f6370975e6d4"
	enc, err := spec.Encrypt(k, p)
	if err != nil {
		return err
	}
	ct, err := enc.One(pt)
	if err != nil {
		return err
	}
	if err := expect(ct, ctTag); err != nil {
		return err
	}
	dec, err := spec.Decrypt(k, p)
	if err != nil {
		return err
	}
	got, err := dec.One(ct)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, pt) {
		return errKAT
	}
	ct[len(ct)-1] ^= 1
	if dec, err = spec.Decrypt(k, p); err != nil {
		return err
	}
	if _, err := dec.One(ct); ck.ErrorRV(err) != ck.CKR_ENCRYPTED_DATA_INVALID {
		return fmt.Errorf("tampered tag accepted")
	}
	return nil
}

// selfTestRSA signs "abc" with CKM_SHA256_RSA_PKCS under a fixed 2048-bit
// key and compares with the signature OpenSSL made (RSASSA-PKCS1-v1_5 is
// deterministic), then verifies it.
func selfTestRSA() error {
	priv, err := x509.ParsePKCS1PrivateKey(unhex(selfTestRSAKey))
	if err != nil {
		return err
	}
	k := &Key{Class: ck.CKO_PRIVATE_KEY, Type: ck.CKK_RSA, Private: priv, Public: &priv.PublicKey}
	spec, _ := Lookup(ck.CKM_SHA256_RSA_PKCS)
	s, err := spec.Sign(k, nil)
	if err != nil {
		return err
	}
	sig, err := s.Sign([]byte("abc"))
	if err != nil {
		return err
	}
	if err := expect(sig, selfTestRSASig); err != nil {
		return err
	}
	v, err := spec.Verify(k, nil)
	if err != nil {
		return err
	}
	return v.Verify([]byte("abc"), sig)
}

// selfTestECDSA verifies a fixed OpenSSL signature of "abc" (ECDSA P-256
// with SHA-256, converted from DER to r||s) and runs a pairwise sign/verify
// with the same fixed key (ECDSA signatures are randomised).
func selfTestECDSA() error {
	params, _ := ECParams(curves[1].curve)
	a := attrMap{ck.CKA_EC_PARAMS: params, ck.CKA_VALUE: unhex(selfTestECKey)}
	k, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC, a)
	if err != nil {
		return err
	}
	spec, _ := Lookup(ck.CKM_ECDSA_SHA256)
	v, err := spec.Verify(k, nil)
	if err != nil {
		return err
	}
	fixed, ok := ecdsaRaw(unhex(selfTestECSig), 32)
	if !ok {
		return errKAT
	}
	if err := v.Verify([]byte("abc"), fixed); err != nil {
		return err
	}
	s, err := spec.Sign(k, nil)
	if err != nil {
		return err
	}
	sig, err := s.Sign([]byte("abc"))
	if err != nil {
		return err
	}
	if err := v.Verify([]byte("abc"), sig); err != nil {
		return err
	}
	sig[0] ^= 1
	if v.Verify([]byte("abc"), sig) == nil {
		return fmt.Errorf("bad signature accepted")
	}
	return nil
}

// selfTestDRBG: NIST CAVP drbgvectors_pr_false/HMAC_DRBG.rsp, [SHA-256]
// [PersonalizationStringLen = 256] [AdditionalInputLen = 256] COUNT = 0:
// instantiate, reseed, generate twice, compare the second output.
func selfTestDRBG() error {
	var s hmacDRBG
	s.instantiate(
		unhex("cdb0d9117cc6dbc9ef9dcb06a97579841d72dc18b2d46a1cb61e314012bdf416"),
		unhex("d0c0d01d156016d0eb6b7e9c7c3c8da8"),
		unhex("6f0fb9eab3f9ea7ab0a719bfa879bf0aaed683307fda0c6d73ce018b6e34faaa"))
	s.reseed(
		unhex("8ec6f7d5a8e2e88f43986f70b86e050d07c84b931bcf18e601c5a3eee3064c82"),
		unhex("1ab4ca9014fa98a55938316de8ba5a68c629b0741bdd058c4d70c91cda5099b3"))
	out := make([]byte, 1024/8)
	s.generate(out, unhex("16e2d0721b58d839a122852abd3bf2c942a31c84d82fca74211871880d7162ff"))
	s.generate(out, unhex("53686f042a7b087d5d2eca0d2a96de131f275ed7151189f7ca52deaa78b79fb2"))
	return expect(out, "dda04a2ca7b8147af1548f5d086591ca4fd951a345ce52b3cd49d47e84aa31a1"+
		"83e31fbc42a1ff1d95afec7143c8008c97bc2a9c091df0a763848391f68cb4a3"+
		"66ad89857ac725a53b303ddea767be8dc5f605b1b95f6d24c9f06be65a973a08"+
		"9320b3cc42569dcfd4b92b62a993785b0301b3fc452445656fce22664827b88f")
}

// selfTestPBKDF2: RFC 7914 section 11, PBKDF2-HMAC-SHA256 (P="passwd",
// S="salt", c=1), first 32 bytes of dkLen=64.
func selfTestPBKDF2() error {
	return expect(PINKey([]byte("passwd"), []byte("salt"), 1),
		"55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc")
}

// attrMap is a minimal Attrs.
type attrMap map[ck.AttributeType][]byte

func (m attrMap) Attr(t ck.AttributeType) ([]byte, bool) {
	v, ok := m[t]
	return v, ok
}

// selfTestRSAKey is testdata/rsa2048_pkcs1.der, a 2048-bit RSA key made with
// OpenSSL for the self-test only (PKCS #1 RSAPrivateKey, DER).
const selfTestRSAKey = "" +
	"308204a302010002820101009a40fd9801cc3c34974aeb1be726839838ae309fe808f6670f3d4e884dccd65f24a7298a" +
	"990a4650f89fe40a8b259e9482cf88accd03662467790e2f4c512c085709c5b2a7be2c7c2e4f796cbd987f9334b1332a" +
	"681bce85d514e259fb27b0b697f4441be486bac5e5769fe04cc83553459b13ea871465f2cc2b0ee68af432da142288bf" +
	"f211a7b0956ef7c644eb3a016f2df6a9b135e9cd08fc278ccd9832657ae0bfa0970c0db468ef078c2d08b9c9a08c971e" +
	"1e989f2eaafb12f81b35944918fb2d99504fd52699de31f615e2cba344af6cf93d79cff65c5d901305154163cd014480" +
	"74d1cf8e447484b0572285a0f45821c60f690ea855a0b61dd67030c9020301000102820100091aa4dcffde29ff809e6f" +
	"59ea3e9fadb04ab79bf879eef10e3934155f622394e1f8ebbebe6198dcd68fb949d60496637585023010b98ea1bf69a9" +
	"a8a8fc7178dc8a3b1cdc41a126832535a971573ad0595fcc0148bbbb68b2b6d4d532b998f86de780cd94a34f0ab70c55" +
	"4b4bbcd548e0e6d23a1956dedd81a758edca6db742883bdef38f015574cc0a1f1fbb44e388d6fc38ba8ef2e3f5b210e7" +
	"c635fd7eab2f91117409c4b4e35eba94f97596d69888ddaf91042539ff5abf95a3a20eed4588083ed7441ee75d6d6134" +
	"13d887d43d33520d9044a765de903232c12d99b8f8faa329da7231bc73ef7cdbf51f350faba66adcd109195dd983f604" +
	"7ec943c63102818100d7f6268b190e95aef4ff4f8cd3d3c3269bf1252b82a8a22871e60eaa811c4ca7c33b2b8889ba26" +
	"bdca526d7dd040f29c9851b59b704135f3f94b3effb52e7aec37d367b9bc1cd3448116f870edbad722244661ba954e35" +
	"a1ee312acfc93c3060bb493e572194d3dcf7c8dc2696cc6a9dfe20ff1779632f0fcae1725267ca156f02818100b6da1a" +
	"c3f0c77960916af27e1d64d8b15c0936b3f1d4d4b56633e3fec604752ee0663d2fee08213345006d501cb1caec78dc57" +
	"676ea803883663d2b2cafcd196c53d8e4fa18ea3e140d812450ce8e59c6c7065e54b451d825b976b20cb68621b7365a8" +
	"9a5d4940260d58915ffa6f10a3c883b1e93b0f3571c548e5c2945631470281802b87c8391d71dd2608e83586b363e9e0" +
	"2c6aad0d5a26d798c36c95e4346619e56eeacc5997395879c5005c6591c6a5a07eeb6969cd74b78557e89ce83a03066f" +
	"fac8b80dae27394683a6b7a93ba1ff9f38249faa56520f6976739ea7876e8469db16666475b664061443fe6c20d54f60" +
	"4d4b255ffbedcc1ca8ce4c96e3a8ce2d0281801d1f63bfed6b77d37f95af05931ceabe64d03adc321a19bec286653bc0" +
	"c218ffdc51ac5123f23b8774e7fa8115f0e3470280e592ddb6f8c90b109f1046f039597014bbc3c71176dc7b7d6e7b7c" +
	"f0e31124dc49fe591caaf4862df9ac0179a0968aac984bedabab01e48244b52aa7e1d89429157ef61f17fe04d3f57426" +
	"380c25028181008af979ff2b8a1b60c7b3b7a7e4811d7910c6809d6be45cc58c6f8da7225b505a64ff3732a8a69d2cfd" +
	"0d8c05191199128bccf73f2f7f50be995d6732d28d63c8f662a1a952d0cf4af554fb3013b4a3da4b0ba3274dcf48ad2c" +
	"32a1e82a96831b037ce466a42737b24f78814fd3c65c9271ae41c31759132e49b807e97c639b72"

// selfTestRSASig is testdata/rsa2048_sha256_abc.sig:
// "openssl dgst -sha256 -sign" of "abc" under selfTestRSAKey.
const selfTestRSASig = "" +
	"485b431f67780253dca278a00da04a35cf16dbe512287bca948b750b1d50ae038b010e9069104a20f62977c021ff43bc" +
	"23038396c6b2317115144dce432c141f7c6e6848c694d331b1ae0128848e194932e75d0052738aad46bac270f5f05380" +
	"46f8098ca11db67fafc3b887d3aa0abd3048ab34d33947442d6b5ed92ae9f85117ad0481181822beebe69be24e0c1b79" +
	"962db4a8d3656fd8e6065c25d919c150383733bc3e6a73239376b1d9e2821211d2ace697961198381e1540a7839b13c9" +
	"50330ddeb4a8c448dac9f589714d137aceb89f20261c9411e19910008b5a0cfed513b83c39bcae4807682681759df390" +
	"cd5e1b05794b1e2df160c16db538935d"

// selfTestECKey is the private scalar of testdata/ec_p256_sec1.der (P-256).
const selfTestECKey = "4668a81e544e56f54975d13616b42327fc64d28470b8e722167559704e7d2e19"

// selfTestECSig is testdata/ec_p256_sha256_abc.sig.der: "openssl dgst
// -sha256 -sign" of "abc" under selfTestECKey (DER Ecdsa-Sig-Value).
const selfTestECSig = "3045022100ab9a456f634e81f6462a8e0424f7f1e4ad66c64fe5a0c703e0fc04fd064a68fc022060d063f8f091542193f7cf91a48c77159ead0323e3708c72882a95867dde559b"

package token

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/x509"
	"math/big"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

func TestWrapUnwrapWithGCM(t *testing.T) {
	l, _, sh, _ := ready(t)
	kek := bytes.Repeat([]byte{0x4b}, 32)
	wrapping, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, kek),
		attr(ck.CKA_WRAP, true), attr(ck.CKA_UNWRAP, true),
	})
	if err != nil {
		t.Fatal(err)
	}
	secret := bytes.Repeat([]byte{0x77}, 16)
	aesKey, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, secret),
		attr(ck.CKA_EXTRACTABLE, true), attr(ck.CKA_SENSITIVE, true),
	})
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_EC_PARAMS, p256OID)}, []ck.Attribute{attr(ck.CKA_EXTRACTABLE, true)})
	if err != nil {
		t.Fatal(err)
	}
	iv := bytes.Repeat([]byte{2}, 12)
	m := ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: iv, TagBits: 128}}
	block, _ := aes.NewCipher(kek)
	gcm, _ := cipher.NewGCM(block)

	wrap := func(key ck.ObjectHandle) []byte {
		t.Helper()
		n, err := l.WrapKey(sh, m, wrapping, key, nil)
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.WrapKey(sh, m, wrapping, key, make([]byte, n-1))
		wantRV(t, err, ck.CKR_BUFFER_TOO_SMALL)
		out := make([]byte, n)
		if _, err := l.WrapKey(sh, m, wrapping, key, out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The wrapped secret key is the value under GCM, checked by crypto/cipher.
	wrapped := wrap(aesKey)
	if got, err := gcm.Open(nil, iv, wrapped, nil); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("wrapped AES key opens to %x (%v)", got, err)
	}
	h, err := l.UnwrapKey(sh, m, wrapping, wrapped, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_EXTRACTABLE, true),
	})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_VALUE, ck.CKA_LOCAL, ck.CKA_ALWAYS_SENSITIVE, ck.CKA_VALUE_LEN})
	if !bytes.Equal(vals[0].Value, secret) {
		t.Fatalf("unwrapped value %x", vals[0].Value)
	}
	if loc, _ := ck.BytesBool(vals[1].Value); loc {
		t.Error("unwrapped key is CKA_LOCAL")
	}
	if n, _ := ck.BytesULong(vals[3].Value); n != 16 {
		t.Errorf("CKA_VALUE_LEN %d", n)
	}

	// The wrapped private key is PKCS#8; unwrapped again it signs for the
	// original public key.
	wrappedEC := wrap(priv)
	der, err := gcm.Open(nil, iv, wrappedEC, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x509.ParsePKCS8PrivateKey(der); err != nil {
		t.Fatalf("wrapped EC key is not PKCS#8: %v", err)
	}
	ecCopy, err := l.UnwrapKey(sh, m, wrapping, wrappedEC, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_EC), attr(ck.CKA_SIGN, true),
	})
	if err != nil {
		t.Fatal(err)
	}
	digest := bytes.Repeat([]byte{3}, 32)
	if err := l.SignInit(sh, ck.Mechanism{Type: ck.CKM_ECDSA}, ecCopy); err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	if _, err := l.Sign(sh, digest, sig); err != nil {
		t.Fatal(err)
	}
	pv, _ := l.GetAttributeValue(sh, pub, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
	k, _ := x509.ParsePKIXPublicKey(pv[0].Value)
	if !ecdsa.Verify(k.(*ecdsa.PublicKey), digest, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		t.Fatal("the unwrapped EC key does not sign for the original public key")
	}

	// The rules.
	unextractable, _ := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, secret),
	})
	_, err = l.WrapKey(sh, m, wrapping, unextractable, nil)
	wantRV(t, err, ck.CKR_KEY_UNEXTRACTABLE)
	_, err = l.WrapKey(sh, ck.Mechanism{Type: ck.CKM_SHA256_HMAC}, wrapping, aesKey, nil)
	wantRV(t, err, ck.CKR_MECHANISM_INVALID)
	_, err = l.WrapKey(sh, m, 0xdead, aesKey, nil)
	wantRV(t, err, ck.CKR_WRAPPING_KEY_HANDLE_INVALID)
	noWrap, _ := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, kek),
		attr(ck.CKA_WRAP, false),
	})
	_, err = l.WrapKey(sh, m, noWrap, aesKey, nil)
	wantRV(t, err, ck.CKR_KEY_FUNCTION_NOT_PERMITTED)
	trusted, _ := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, secret),
		attr(ck.CKA_EXTRACTABLE, true), attr(ck.CKA_WRAP_WITH_TRUSTED, true),
	})
	_, err = l.WrapKey(sh, m, wrapping, trusted, nil)
	wantRV(t, err, ck.CKR_KEY_NOT_WRAPPABLE)
	tampered := bytes.Clone(wrapped)
	tampered[0] ^= 1
	_, err = l.UnwrapKey(sh, m, wrapping, tampered, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES)})
	wantRV(t, err, ck.CKR_WRAPPED_KEY_INVALID)
	_, err = l.UnwrapKey(sh, m, wrapping, wrapped, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY)})
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	_, err = l.UnwrapKey(sh, m, wrapping, wrapped, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_EC)})
	wantRV(t, err, ck.CKR_WRAPPED_KEY_INVALID)
}

func TestDeriveKeyRefusals(t *testing.T) {
	l, _, sh, _ := ready(t)
	base, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
		attr(ck.CKA_VALUE, bytes.Repeat([]byte{1}, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_SHA256}, base, nil)
	wantRV(t, err, ck.CKR_MECHANISM_INVALID)
	_, err = l.DeriveKey(0xbad, ck.Mechanism{Type: ck.CKM_SHA256}, base, nil)
	wantRV(t, err, ck.CKR_SESSION_HANDLE_INVALID)
}

func TestDeriveECDHAndConcatenate(t *testing.T) {
	l, _, sh, _ := ready(t)
	pair := func() (ck.ObjectHandle, []byte) {
		pub, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
			[]ck.Attribute{attr(ck.CKA_EC_PARAMS, p256OID)},
			[]ck.Attribute{attr(ck.CKA_DERIVE, true), attr(ck.CKA_SENSITIVE, true)})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := l.GetAttributeValue(sh, pub, []ck.AttributeType{ck.CKA_EC_POINT})
		return priv, v[0].Value
	}
	a, pointA := pair()
	b, pointB := pair()
	derive := func(priv ck.ObjectHandle, peer []byte) (ck.ObjectHandle, []byte) {
		h, err := l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: peer}}, priv,
			[]ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
				attr(ck.CKA_EXTRACTABLE, true), attr(ck.CKA_DERIVE, true)})
		if err != nil {
			t.Fatal(err)
		}
		v, _ := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_VALUE})
		return h, v[0].Value
	}
	ha, za := derive(a, pointB)
	_, zb := derive(b, pointA)
	if len(za) != 32 || !bytes.Equal(za, zb) {
		t.Fatalf("ECDH secrets differ: %x / %x", za, zb)
	}
	vals, _ := l.GetAttributeValue(sh, ha, []ck.AttributeType{ck.CKA_LOCAL, ck.CKA_ALWAYS_SENSITIVE, ck.CKA_NEVER_EXTRACTABLE})
	for i, name := range []string{"LOCAL", "ALWAYS_SENSITIVE", "NEVER_EXTRACTABLE"} {
		if v, _ := ck.BytesBool(vals[i].Value); v {
			t.Errorf("derived extractable key has CKA_%s true", name)
		}
	}
	// A DES3 key has a fixed length and no CKA_VALUE_LEN: it takes 24 bytes
	// of the secret, the trailing ones as CKM_ECDH1_DERIVE truncates.
	h3, err := l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: pointB}}, a,
		[]ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_DES3), attr(ck.CKA_EXTRACTABLE, true)})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := l.GetAttributeValue(sh, h3, []ck.AttributeType{ck.CKA_VALUE}); !bytes.Equal(v[0].Value, za[8:]) {
		t.Fatalf("ECDH DES3 key %x, want %x", v[0].Value, za[8:])
	}
	// CKM_CONCATENATE_BASE_AND_DATA into an AES-128 key: the first 16 bytes
	// of base || data.
	h, err := l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_CONCATENATE_BASE_AND_DATA, Param: ck.KeyDerivationStringData{Data: []byte("suffix")}}, ha,
		[]ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE_LEN, 16), attr(ck.CKA_EXTRACTABLE, true)})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_VALUE})
	if !bytes.Equal(v[0].Value, za[:16]) {
		t.Fatalf("concatenated AES key %x, want %x", v[0].Value, za[:16])
	}
	noDerive, _ := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET), attr(ck.CKA_VALUE, za),
	})
	_, err = l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_CONCATENATE_BASE_AND_DATA, Param: ck.KeyDerivationStringData{Data: []byte("x")}}, noDerive, nil)
	wantRV(t, err, ck.CKR_KEY_FUNCTION_NOT_PERMITTED)
}

func TestWrapAndUnwrapTemplates(t *testing.T) {
	l, _, sh, _ := ready(t)
	enc := func(as ...ck.Attribute) []byte { return ck.EncodeTemplate(as) }
	kek, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, bytes.Repeat([]byte{9}, 32)),
		attr(ck.CKA_WRAP_TEMPLATE, enc(attr(ck.CKA_KEY_TYPE, ck.CKK_AES))),
		attr(ck.CKA_UNWRAP_TEMPLATE, enc(attr(ck.CKA_SENSITIVE, true))),
	})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := l.GetAttributeValue(sh, kek, []ck.AttributeType{ck.CKA_WRAP_TEMPLATE, ck.CKA_DERIVE_TEMPLATE})
	if got, ok := ck.DecodeTemplate(vals[0].Value); !ok || len(got) != 1 || got[0].Type != ck.CKA_KEY_TYPE {
		t.Fatalf("CKA_WRAP_TEMPLATE read back as %v", got)
	}
	if vals[1].Err != 0 || len(vals[1].Value) != 0 {
		t.Fatalf("CKA_DERIVE_TEMPLATE default: %v %x", vals[1].Err, vals[1].Value)
	}
	aesKey, _ := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, bytes.Repeat([]byte{1}, 16)),
		attr(ck.CKA_EXTRACTABLE, true),
	})
	generic, _ := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET), attr(ck.CKA_VALUE, bytes.Repeat([]byte{2}, 16)),
		attr(ck.CKA_EXTRACTABLE, true),
	})
	m := ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP}
	wrapped := make([]byte, 24)
	if _, err := l.WrapKey(sh, m, kek, aesKey, wrapped); err != nil {
		t.Fatal(err)
	}
	_, err = l.WrapKey(sh, m, kek, generic, make([]byte, 24))
	wantRV(t, err, ck.CKR_KEY_NOT_WRAPPABLE)

	h, err := l.UnwrapKey(sh, m, kek, wrapped, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES)})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_SENSITIVE})
	if s, _ := ck.BytesBool(v[0].Value); !s {
		t.Fatal("CKA_UNWRAP_TEMPLATE's CKA_SENSITIVE was not applied")
	}
	_, err = l.UnwrapKey(sh, m, kek, wrapped, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_SENSITIVE, false)})
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	_, err = l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, bytes.Repeat([]byte{1}, 16)),
		attr(ck.CKA_WRAP_TEMPLATE, []byte{1, 2, 3}),
	})
	wantRV(t, err, ck.CKR_ATTRIBUTE_VALUE_INVALID)
}

// TestWrapKeyLengthQuery: a length query answers the mechanism's output
// length without wrapping, so a value the mechanism cannot wrap (20 bytes
// under RFC 3394, which takes multiples of 8) is refused by the call with
// a buffer; KWP answers the exact length and wraps into it.
func TestWrapKeyLengthQuery(t *testing.T) {
	l, _, sh, _ := ready(t)
	kek := bytes.Repeat([]byte{0x4b}, 32)
	wrapping, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, kek),
		attr(ck.CKA_WRAP, true),
	})
	if err != nil {
		t.Fatal(err)
	}
	odd, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
		attr(ck.CKA_VALUE, bytes.Repeat([]byte{1}, 20)), attr(ck.CKA_EXTRACTABLE, true),
	})
	if err != nil {
		t.Fatal(err)
	}
	kw := ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP}
	n, err := l.WrapKey(sh, kw, wrapping, odd, nil)
	if err != nil || n != 28 {
		t.Fatalf("KW length query of a 20-byte key: %d, %v; want 28", n, err)
	}
	_, err = l.WrapKey(sh, kw, wrapping, odd, make([]byte, n))
	wantRV(t, err, ck.CKR_KEY_SIZE_RANGE)

	kwp := ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP_KWP}
	n, err = l.WrapKey(sh, kwp, wrapping, odd, nil)
	if err != nil || n != 32 {
		t.Fatalf("KWP length query of a 20-byte key: %d, %v; want 32", n, err)
	}
	out := make([]byte, n)
	if got, err := l.WrapKey(sh, kwp, wrapping, odd, out); err != nil || got != n {
		t.Fatalf("KWP wrap gave %d, %v; want %d", got, err, n)
	}
}

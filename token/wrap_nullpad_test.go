package token

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"slices"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// The AES and DES block modes as C_WrapKey/C_UnwrapKey mechanisms: ECB and
// CBC wrap a secret key's CKA_VALUE null-padded to whole blocks and unwrap
// it truncated by the template (PKCS#11 3.0 section 2.10 and the general
// block cipher mechanisms); CKM_DES_CBC_PAD and CKM_DES3_CBC_PAD wrap with
// PKCS #7 padding like CKM_AES_CBC_PAD. The expected wrapped bytes come
// from crypto/aes, crypto/des and crypto/cipher, not from kagi.

// refBlock is the standard library's block cipher for a key value of type kt
// (a DES2 key K1||K2 is TDEA with K3 = K1).
func refBlock(t *testing.T, kt ck.KeyType, v []byte) cipher.Block {
	t.Helper()
	var b cipher.Block
	var err error
	switch kt {
	case ck.CKK_AES:
		b, err = aes.NewCipher(v)
	case ck.CKK_DES:
		b, err = des.NewCipher(v)
	case ck.CKK_DES2:
		b, err = des.NewTripleDESCipher(slices.Concat(v, v[:8]))
	case ck.CKK_DES3:
		b, err = des.NewTripleDESCipher(v)
	default:
		t.Fatalf("no reference cipher for %v", kt)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// refWrap encrypts pt, a whole number of blocks, in ECB (iv nil) or CBC.
func refWrap(b cipher.Block, iv, pt []byte) []byte {
	out := make([]byte, len(pt))
	if iv != nil {
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, pt)
		return out
	}
	for i := 0; i < len(pt); i += b.BlockSize() {
		b.Encrypt(out[i:], pt[i:])
	}
	return out
}

// nullPad pads v with zero bytes to a multiple of bs (none when it is one).
func nullPad(v []byte, bs int) []byte {
	return append(bytes.Clone(v), make([]byte, (bs-len(v)%bs)%bs)...)
}

// pkcs7Pad pads v with 1..bs bytes of the pad length (RFC 5652 section 6.3).
func pkcs7Pad(v []byte, bs int) []byte {
	p := bs - len(v)%bs
	return append(bytes.Clone(v), bytes.Repeat([]byte{byte(p)}, p)...)
}

// blockWrapCase is one wrapping mechanism with the type of its wrapping key.
type blockWrapCase struct {
	mech    ck.MechanismType
	kekType ck.KeyType
	kekLen  int
	ivLen   int // 0 for ECB
	pkcs7   bool
}

var blockWrapCases = []blockWrapCase{
	{ck.CKM_AES_ECB, ck.CKK_AES, 32, 0, false},
	{ck.CKM_AES_ECB, ck.CKK_AES, 16, 0, false},
	{ck.CKM_AES_CBC, ck.CKK_AES, 24, 16, false},
	{ck.CKM_AES_CBC, ck.CKK_AES, 32, 16, false},
	{ck.CKM_DES_ECB, ck.CKK_DES, 8, 0, false},
	{ck.CKM_DES_CBC, ck.CKK_DES, 8, 8, false},
	{ck.CKM_DES3_ECB, ck.CKK_DES3, 24, 0, false},
	{ck.CKM_DES3_ECB, ck.CKK_DES2, 16, 0, false},
	{ck.CKM_DES3_CBC, ck.CKK_DES3, 24, 8, false},
	{ck.CKM_DES3_CBC, ck.CKK_DES2, 16, 8, false},
	{ck.CKM_DES_CBC_PAD, ck.CKK_DES, 8, 8, true},
	{ck.CKM_DES3_CBC_PAD, ck.CKK_DES3, 24, 8, true},
	{ck.CKM_DES3_CBC_PAD, ck.CKK_DES2, 16, 8, true},
}

// blockWrapTargets are the keys wrapped: every AES and DES length and a
// generic secret that fills no block.
var blockWrapTargets = []struct {
	kt ck.KeyType
	n  int
}{
	{ck.CKK_AES, 16}, {ck.CKK_AES, 24}, {ck.CKK_AES, 32},
	{ck.CKK_DES, 8}, {ck.CKK_DES2, 16}, {ck.CKK_DES3, 24},
	{ck.CKK_GENERIC_SECRET, 20},
}

// pattern is n bytes that differ from key to key and from byte to byte.
func pattern(seed byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i)*37
	}
	return b
}

func secretKey(t *testing.T, l *Library, sh ck.SessionHandle, kt ck.KeyType, v []byte, extra ...ck.Attribute) ck.ObjectHandle {
	t.Helper()
	h, err := l.CreateObject(sh, append([]ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, kt), attr(ck.CKA_VALUE, v),
	}, extra...))
	if err != nil {
		t.Fatalf("C_CreateObject(%v, %d bytes): %v", kt, len(v), err)
	}
	return h
}

// unwrapTemplate asks for an extractable, non-sensitive secret key of type
// kt, with CKA_VALUE_LEN n where the key type has one.
func unwrapTemplate(kt ck.KeyType, n int) []ck.Attribute {
	tmpl := []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, kt),
		attr(ck.CKA_EXTRACTABLE, true), attr(ck.CKA_SENSITIVE, false),
	}
	if kt != ck.CKK_DES && kt != ck.CKK_DES2 && kt != ck.CKK_DES3 {
		tmpl = append(tmpl, attr(ck.CKA_VALUE_LEN, n))
	}
	return tmpl
}

func TestBlockModeWrapUnwrap(t *testing.T) {
	l, _, sh, _ := ready(t)
	for i, c := range blockWrapCases {
		kekValue := pattern(byte(0x40+i), c.kekLen)
		kek := secretKey(t, l, sh, c.kekType, kekValue, attr(ck.CKA_WRAP, true), attr(ck.CKA_UNWRAP, true))
		var iv []byte
		if c.ivLen != 0 {
			iv = pattern(byte(0x90+i), c.ivLen)
		}
		m := ck.Mechanism{Type: c.mech}
		if iv != nil {
			m.Param = iv
		}
		ref := refBlock(t, c.kekType, kekValue)
		bs := ref.BlockSize()
		for j, target := range blockWrapTargets {
			value := pattern(byte(j*19+i), target.n)
			name := c.mech.String() + "/" + c.kekType.String() + "/" + target.kt.String()
			h := secretKey(t, l, sh, target.kt, value, attr(ck.CKA_EXTRACTABLE, true))

			// The wrapped form, byte for byte.
			padded := nullPad(value, bs)
			if c.pkcs7 {
				padded = pkcs7Pad(value, bs)
			}
			want := refWrap(ref, iv, padded)
			n, err := l.WrapKey(sh, m, kek, h, nil)
			if err != nil || n != len(want) {
				t.Fatalf("%s: length query %d, %v; want %d", name, n, err, len(want))
			}
			wrapped := make([]byte, n)
			if _, err := l.WrapKey(sh, m, kek, h, wrapped); err != nil {
				t.Fatalf("%s: C_WrapKey: %v", name, err)
			}
			if !bytes.Equal(wrapped, want) {
				t.Fatalf("%s: wrapped %x, want %x", name, wrapped, want)
			}

			// And back: the same value, the length in CKA_VALUE_LEN.
			back, err := l.UnwrapKey(sh, m, kek, wrapped, unwrapTemplate(target.kt, target.n))
			if err != nil {
				t.Fatalf("%s: C_UnwrapKey: %v", name, err)
			}
			vals, err := l.GetAttributeValue(sh, back, []ck.AttributeType{ck.CKA_VALUE, ck.CKA_VALUE_LEN, ck.CKA_KEY_TYPE})
			wantRV(t, err, ck.CKR_OK)
			if target.kt == ck.CKK_DES || target.kt == ck.CKK_DES2 || target.kt == ck.CKK_DES3 {
				// A DES key has no CKA_VALUE_LEN.
				if vals[1].Err != ck.CKR_ATTRIBUTE_TYPE_INVALID {
					t.Fatalf("%s: CKA_VALUE_LEN of a DES key: %v %x", name, vals[1].Err, vals[1].Value)
				}
			} else {
				if got, ok := ck.BytesULong(vals[1].Value); !ok || got != ck.ULong(target.n) {
					t.Fatalf("%s: CKA_VALUE_LEN %d, want %d", name, got, target.n)
				}
			}
			if !bytes.Equal(vals[0].Value, value) {
				t.Fatalf("%s: unwrapped %x, want %x", name, vals[0].Value, value)
			}
			if got, _ := ck.BytesULong(vals[2].Value); ck.KeyType(got) != target.kt {
				t.Fatalf("%s: CKA_KEY_TYPE %v", name, ck.KeyType(got))
			}
			if i == 0 && j == 0 {
				// An unwrapped key was never local and has no sensitive
				// past (PKCS#11 3.0 section 4.10).
				vals, _ := l.GetAttributeValue(sh, back, []ck.AttributeType{ck.CKA_LOCAL, ck.CKA_ALWAYS_SENSITIVE, ck.CKA_NEVER_EXTRACTABLE})
				for k, a := range []string{"CKA_LOCAL", "CKA_ALWAYS_SENSITIVE", "CKA_NEVER_EXTRACTABLE"} {
					if v, ok := ck.BytesBool(vals[k].Value); !ok || v {
						t.Errorf("unwrapped key: %s %x, want false", a, vals[k].Value)
					}
				}
			}
		}
	}
}

// TestBlockModeWrapRefusals: the exact codes where the block modes cannot
// wrap or unwrap.
func TestBlockModeWrapRefusals(t *testing.T) {
	l, _, sh, _ := ready(t)
	kekValue := pattern(0x11, 32)
	kek := secretKey(t, l, sh, ck.CKK_AES, kekValue, attr(ck.CKA_WRAP, true), attr(ck.CKA_UNWRAP, true))
	iv := pattern(0x22, 16)
	cbc := ck.Mechanism{Type: ck.CKM_AES_CBC, Param: iv}
	ecb := ck.Mechanism{Type: ck.CKM_AES_ECB}
	aes256 := pattern(0x33, 32)
	target := secretKey(t, l, sh, ck.CKK_AES, aes256, attr(ck.CKA_EXTRACTABLE, true))
	wrapped := make([]byte, 32)
	if _, err := l.WrapKey(sh, cbc, kek, target, wrapped); err != nil {
		t.Fatal(err)
	}
	aesTmpl := func(extra ...ck.Attribute) []ck.Attribute {
		return append([]ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES)}, extra...)
	}
	unwrap := func(m ck.Mechanism, blob []byte, tmpl []ck.Attribute) error {
		t.Helper()
		_, err := l.UnwrapKey(sh, m, kek, blob, tmpl)
		return err
	}

	// A CKA_VALUE_LEN the wrapped key cannot meet: AES has no 40-byte keys
	// and the blob holds 32 bytes; 20 bytes is no AES length either.
	wantRV(t, unwrap(cbc, wrapped, aesTmpl(attr(ck.CKA_VALUE_LEN, 40))), ck.CKR_TEMPLATE_INCONSISTENT)
	wantRV(t, unwrap(cbc, wrapped, aesTmpl(attr(ck.CKA_VALUE_LEN, 20))), ck.CKR_TEMPLATE_INCONSISTENT)
	// Under a mechanism that carries the length the template must agree
	// too (it was silently overwritten before).
	kwp := ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP_KWP}
	kwpBlob := make([]byte, 40)
	if _, err := l.WrapKey(sh, kwp, kek, target, kwpBlob); err != nil {
		t.Fatal(err)
	}
	wantRV(t, unwrap(kwp, kwpBlob, aesTmpl(attr(ck.CKA_VALUE_LEN, 16))), ck.CKR_TEMPLATE_INCONSISTENT)
	if err := unwrap(kwp, kwpBlob, aesTmpl(attr(ck.CKA_VALUE_LEN, 32))); err != nil {
		t.Fatalf("KWP unwrap with the right CKA_VALUE_LEN: %v", err)
	}

	// Wrapped data that is not whole blocks.
	wantRV(t, unwrap(cbc, wrapped[:31], aesTmpl()), ck.CKR_WRAPPED_KEY_LEN_RANGE)
	wantRV(t, unwrap(ecb, append(bytes.Clone(wrapped), 0), aesTmpl()), ck.CKR_WRAPPED_KEY_LEN_RANGE)
	des3 := pattern(0x44, 24)
	des3KEK := secretKey(t, l, sh, ck.CKK_DES3, des3, attr(ck.CKA_WRAP, true), attr(ck.CKA_UNWRAP, true))
	_, err := l.UnwrapKey(sh, ck.Mechanism{Type: ck.CKM_DES3_CBC_PAD, Param: pattern(0x55, 8)}, des3KEK, make([]byte, 15), aesTmpl())
	wantRV(t, err, ck.CKR_WRAPPED_KEY_LEN_RANGE)
	// Fewer bytes than the key type's fixed length: 16 for a DES3 key.
	wantRV(t, unwrap(ecb, wrapped[:16], []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_DES3)}),
		ck.CKR_WRAPPED_KEY_LEN_RANGE)
	// No CKA_VALUE_LEN and 48 bytes: not an AES key.
	wantRV(t, unwrap(ecb, make([]byte, 48), aesTmpl()), ck.CKR_WRAPPED_KEY_INVALID)
	// Nothing at all.
	wantRV(t, unwrap(ecb, nil, aesTmpl()), ck.CKR_WRAPPED_KEY_LEN_RANGE)

	// The key usage flags.
	noWrap := secretKey(t, l, sh, ck.CKK_AES, kekValue, attr(ck.CKA_WRAP, false), attr(ck.CKA_UNWRAP, false))
	_, err = l.WrapKey(sh, cbc, noWrap, target, nil)
	wantRV(t, err, ck.CKR_KEY_FUNCTION_NOT_PERMITTED)
	_, err = l.UnwrapKey(sh, cbc, noWrap, wrapped, aesTmpl())
	wantRV(t, err, ck.CKR_KEY_FUNCTION_NOT_PERMITTED)
	// The wrapping key's type and the IV.
	_, err = l.WrapKey(sh, ck.Mechanism{Type: ck.CKM_DES_ECB}, kek, target, nil)
	wantRV(t, err, ck.CKR_WRAPPING_KEY_TYPE_INCONSISTENT)
	_, err = l.UnwrapKey(sh, ck.Mechanism{Type: ck.CKM_DES3_ECB}, kek, wrapped, aesTmpl())
	wantRV(t, err, ck.CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT)
	_, err = l.WrapKey(sh, ck.Mechanism{Type: ck.CKM_AES_CBC}, kek, target, nil)
	wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	_, err = l.WrapKey(sh, ck.Mechanism{Type: ck.CKM_DES3_CBC, Param: iv}, des3KEK, target, nil)
	wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	// DES keys have no CKA_VALUE_LEN (attribute rules).
	_, err = l.UnwrapKey(sh, ecb, kek, wrapped, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_DES3), attr(ck.CKA_VALUE_LEN, 24),
	})
	wantRV(t, err, ck.CKR_ATTRIBUTE_TYPE_INVALID)

	// Private keys: not with the null-padding modes (wrapform.go says
	// why), but with CKM_DES3_CBC_PAD as with CKM_AES_CBC_PAD.
	_, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_EC_PARAMS, p256OID)}, []ck.Attribute{attr(ck.CKA_EXTRACTABLE, true)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.WrapKey(sh, cbc, kek, priv, nil)
	wantRV(t, err, ck.CKR_KEY_NOT_WRAPPABLE)
	_, err = l.WrapKey(sh, ck.Mechanism{Type: ck.CKM_DES3_ECB}, des3KEK, priv, nil)
	wantRV(t, err, ck.CKR_KEY_NOT_WRAPPABLE)
	ecTmpl := []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_EC), attr(ck.CKA_EXTRACTABLE, true)}
	wantRV(t, unwrap(cbc, make([]byte, 144), ecTmpl), ck.CKR_WRAPPED_KEY_INVALID)
	pad := ck.Mechanism{Type: ck.CKM_DES3_CBC_PAD, Param: pattern(0x66, 8)}
	n, err := l.WrapKey(sh, pad, des3KEK, priv, nil)
	if err != nil {
		t.Fatal(err)
	}
	p8Wrapped := make([]byte, n)
	if _, err := l.WrapKey(sh, pad, des3KEK, priv, p8Wrapped); err != nil {
		t.Fatal(err)
	}
	back, err := l.UnwrapKey(sh, pad, des3KEK, p8Wrapped, ecTmpl)
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := l.GetAttributeValue(sh, priv, []ck.AttributeType{ck.CKA_VALUE})
	got, _ := l.GetAttributeValue(sh, back, []ck.AttributeType{ck.CKA_VALUE})
	if !bytes.Equal(orig[0].Value, got[0].Value) {
		t.Fatal("the EC key unwrapped with CKM_DES3_CBC_PAD has another private value")
	}
}

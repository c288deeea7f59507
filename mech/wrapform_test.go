package mech

import (
	"bytes"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// wrapRowKeys gives, for each row with CKF_WRAP|CKF_UNWRAP, a wrapping key,
// the matching unwrapping key and a parameter. conformWrapping fails for a
// wrapping row without a line here, so a new one is tested by adding it.
var wrapRowKeys = map[ck.MechanismType]func(t *testing.T) (wrapKey, unwrapKey *Key, param any){
	ck.CKM_AES_ECB:          aesWrapKey(nil),
	ck.CKM_AES_CBC:          aesWrapKey(bytes.Repeat([]byte{0xa5}, 16)),
	ck.CKM_AES_CBC_PAD:      aesWrapKey(bytes.Repeat([]byte{0x5a}, 16)),
	ck.CKM_AES_KEY_WRAP:     aesWrapKey(nil),
	ck.CKM_AES_KEY_WRAP_KWP: aesWrapKey(nil),
	ck.CKM_AES_KEY_WRAP_PAD: aesWrapKey(nil),
	ck.CKM_AES_GCM:          aesWrapKey(ck.GCMParams{IV: bytes.Repeat([]byte{7}, 12), TagBits: 128}),
	ck.CKM_DES_ECB:          desWrapKey(ck.CKK_DES, nil),
	ck.CKM_DES_CBC:          desWrapKey(ck.CKK_DES, bytes.Repeat([]byte{1}, 8)),
	ck.CKM_DES_CBC_PAD:      desWrapKey(ck.CKK_DES, bytes.Repeat([]byte{2}, 8)),
	ck.CKM_DES3_ECB:         desWrapKey(ck.CKK_DES3, nil),
	ck.CKM_DES3_CBC:         desWrapKey(ck.CKK_DES2, bytes.Repeat([]byte{3}, 8)),
	ck.CKM_DES3_CBC_PAD:     desWrapKey(ck.CKK_DES3, bytes.Repeat([]byte{4}, 8)),
	ck.CKM_RSA_PKCS:         rsaWrapKey(nil),
	ck.CKM_RSA_PKCS_OAEP: rsaWrapKey(ck.RSAPKCSOAEPParams{
		Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, Source: ck.CKZ_DATA_SPECIFIED,
	}),
	ck.CKM_RSA_AES_KEY_WRAP: func(t *testing.T) (*Key, *Key, any) {
		f := rsaAESFixture()
		return f.pub, f.priv, rsaAESCases[0].param()
	},
}

func aesWrapKey(param any) func(t *testing.T) (*Key, *Key, any) {
	return func(t *testing.T) (*Key, *Key, any) {
		k := fixtureOf(t, "AES-256").priv
		return k, k, param
	}
}

func desWrapKey(kt ck.KeyType, param any) func(t *testing.T) (*Key, *Key, any) {
	return func(t *testing.T) (*Key, *Key, any) {
		k := desKey(kt, randBytes(desKeyLens[kt]))
		return k, k, param
	}
}

func rsaWrapKey(param any) func(t *testing.T) (*Key, *Key, any) {
	return func(t *testing.T) (*Key, *Key, any) {
		f := fixtureOf(t, "RSA-2048")
		return f.pub, f.priv, param
	}
}

// wrapTargets are the secret keys wrapped: every fixed and usual length.
func wrapTargets(t *testing.T) []fixture {
	fs := []fixture{
		fixtureOf(t, "AES-128"), fixtureOf(t, "AES-192"), fixtureOf(t, "AES-256"),
		fixtureOf(t, "generic-64"), fixtureOf(t, "sha256-hmac-32"),
	}
	for _, kt := range []ck.KeyType{ck.CKK_DES, ck.CKK_DES2, ck.CKK_DES3} {
		k := desKey(kt, randBytes(desKeyLens[kt]))
		fs = append(fs, fixture{kt.String(), k, k})
	}
	g, err := KeyFromAttrs(ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, attrMap{ck.CKA_VALUE: randBytes(20)})
	if err != nil {
		t.Fatal(err)
	}
	return append(fs, fixture{"generic-20", g, g})
}

// lenTemplate is an unwrap template with CKA_VALUE_LEN n, or none for the
// DES key types, which have no CKA_VALUE_LEN.
func lenTemplate(kt ck.KeyType, n int) attrMap {
	if isDESKeyType(kt) {
		return attrMap{}
	}
	return attrMap{ck.CKA_VALUE_LEN: ck.ULongBytes(ck.ULong(n))}
}

// conformWrapping takes a row with CKF_WRAP|CKF_UNWRAP through what
// C_WrapKey and C_UnwrapKey do with it: WrapInput, the cipher, and
// UnwrappedAttrs give back every secret key of wrapTargets; the
// null-padding rows pad to exactly their cipher's block and refuse private
// keys, the others carry a PKCS#8 private key; a template CKA_VALUE_LEN
// that disagrees with the key is CKR_TEMPLATE_INCONSISTENT.
func conformWrapping(t *testing.T, s *Spec) {
	if s.Info.Flags&(ck.CKF_WRAP|ck.CKF_UNWRAP) != ck.CKF_WRAP|ck.CKF_UNWRAP {
		t.Fatalf("flags %#x: C_WrapKey and C_UnwrapKey come together", s.Info.Flags)
	}
	keys, ok := wrapRowKeys[s.Type]
	if !ok {
		t.Fatalf("no wrapRowKeys line for %s", s.Name)
	}
	wk, uk, param := keys(t)
	encrypt := func(in []byte) ([]byte, error) {
		t.Helper()
		op, err := s.Encrypt(wk, param)
		wantRV(t, err, ck.CKR_OK)
		return op.One(in)
	}
	decrypt := func(in []byte) []byte {
		t.Helper()
		op, err := s.Decrypt(uk, param)
		wantRV(t, err, ck.CKR_OK)
		out, err := op.One(in)
		wantRV(t, err, ck.CKR_OK)
		return out
	}

	if bs := s.WrapNullPad; bs != 0 {
		// WrapNullPad is the block of an unpadded mode: the cipher takes
		// whole blocks of exactly that size and nothing else.
		for n := 1; n <= 2*bs; n++ {
			_, err := encrypt(make([]byte, n))
			want := ck.CKR_DATA_LEN_RANGE
			if n%bs == 0 {
				want = ck.CKR_OK
			}
			if ck.ErrorRV(err) != want {
				t.Fatalf("encrypting %d bytes: %v, want %v (WrapNullPad %d)", n, err, want, bs)
			}
		}
	}

	for _, f := range wrapTargets(t) {
		k, v := f.priv, f.priv.Secret
		in, err := s.WrapInput(k)
		wantRV(t, err, ck.CKR_OK)
		if bs := s.WrapNullPad; bs != 0 {
			want := append(bytes.Clone(v), make([]byte, (bs-len(v)%bs)%bs)...)
			if !bytes.Equal(in, want) {
				t.Fatalf("%s: wraps %x, want the value null-padded to %d-byte blocks", f.name, in, bs)
			}
		} else if !bytes.Equal(in, v) {
			t.Fatalf("%s: wraps %x, want the value", f.name, in)
		}
		ct, err := encrypt(in)
		if s.Type == ck.CKM_AES_KEY_WRAP && (len(in)%semiblock != 0 || len(in) < kwMinPlain) {
			// KW takes two or more whole semiblocks (token: CKR_KEY_SIZE_RANGE).
			wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
			continue
		}
		wantRV(t, err, ck.CKR_OK)
		if s.WrapNullPad != 0 && len(ct) != len(in) {
			t.Fatalf("%s: %d bytes wrapped into %d", f.name, len(in), len(ct))
		}
		pt := decrypt(ct)
		got, err := s.UnwrappedAttrs(ck.CKO_SECRET_KEY, k.Type, lenTemplate(k.Type, len(v)), pt)
		wantRV(t, err, ck.CKR_OK)
		m := attrsToMap(got)
		if !bytes.Equal(m[ck.CKA_VALUE], v) {
			t.Fatalf("%s: unwrapped %x, want %x", f.name, m[ck.CKA_VALUE], v)
		}
		if n, ok := ck.BytesULong(m[ck.CKA_VALUE_LEN]); !isDESKeyType(k.Type) && (!ok || n != ck.ULong(len(v))) {
			t.Fatalf("%s: CKA_VALUE_LEN %x", f.name, m[ck.CKA_VALUE_LEN])
		}
		if len(in) == len(v) {
			// Nothing padded: no CKA_VALUE_LEN is needed.
			got, err := s.UnwrappedAttrs(ck.CKO_SECRET_KEY, k.Type, nil, pt)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(attrsToMap(got)[ck.CKA_VALUE], v) {
				t.Fatalf("%s: unwrapped without CKA_VALUE_LEN to %x", f.name, attrsToMap(got)[ck.CKA_VALUE])
			}
		}
		if !isDESKeyType(k.Type) {
			// A CKA_VALUE_LEN the key cannot have. The null-padding
			// modes truncate to any shorter length the key type allows
			// (TestUnwrapTruncation), so for them only more than was
			// decrypted is wrong.
			bad := []int{len(pt) + 1}
			if s.WrapNullPad == 0 {
				bad = append(bad, len(v)-1)
			}
			for _, n := range bad {
				_, err := s.UnwrappedAttrs(ck.CKO_SECRET_KEY, k.Type, lenTemplate(k.Type, n), pt)
				wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
			}
		}
	}

	ec := fixtureOf(t, "EC-P-256").priv
	p8, err := WrapValue(ec)
	wantRV(t, err, ck.CKR_OK)
	in, err := s.WrapInput(ec)
	if s.WrapNullPad != 0 {
		wantRV(t, err, ck.CKR_KEY_NOT_WRAPPABLE)
		_, err = s.UnwrappedAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC, nil, p8)
		wantRV(t, err, ck.CKR_WRAPPED_KEY_INVALID)
		return
	}
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(in, p8) {
		t.Fatal("a private key wraps as something else than its PKCS#8")
	}
	ct, err := encrypt(in)
	if s.Type == ck.CKM_AES_KEY_WRAP && len(in)%semiblock != 0 {
		wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
		return
	}
	wantRV(t, err, ck.CKR_OK)
	got, err := s.UnwrappedAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC, nil, decrypt(ct))
	wantRV(t, err, ck.CKR_OK)
	d, _ := ec.Private.(interface{ Bytes() ([]byte, error) }).Bytes()
	if !bytes.Equal(attrsToMap(got)[ck.CKA_VALUE], d) {
		t.Fatal("the unwrapped EC key has another private value")
	}
}

// TestUnwrapTruncation: how the null-padding modes cut what they decrypt,
// per key type and template (wrapform.go), and the codes when they cannot.
func TestUnwrapTruncation(t *testing.T) {
	ecb, _ := Lookup(ck.CKM_AES_ECB)
	kwp, _ := Lookup(ck.CKM_AES_KEY_WRAP_KWP)
	value := make([]byte, 48)
	for i := range value {
		value[i] = byte(i + 1)
	}
	none := -1
	for _, c := range []struct {
		s        *Spec
		class    ck.ObjectClass
		kt       ck.KeyType
		valueLen int // -1: no CKA_VALUE_LEN
		n        int // bytes decrypted
		want     int // length of the key, or 0 for an error
		rv       ck.RV
	}{
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, none, 16, 16, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, none, 32, 32, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, 24, 32, 24, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, 16, 48, 16, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, none, 48, 0, ck.CKR_WRAPPED_KEY_INVALID},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, 40, 32, 0, ck.CKR_TEMPLATE_INCONSISTENT},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, 40, 48, 0, ck.CKR_TEMPLATE_INCONSISTENT},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, 20, 32, 0, ck.CKR_TEMPLATE_INCONSISTENT},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, 0, 32, 0, ck.CKR_TEMPLATE_INCONSISTENT},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_AES, 32, 16, 0, ck.CKR_TEMPLATE_INCONSISTENT},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_DES, none, 16, 8, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_DES2, none, 16, 16, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_DES3, none, 32, 24, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_DES3, none, 16, 0, ck.CKR_WRAPPED_KEY_LEN_RANGE},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_DES2, 16, 16, 16, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_DES2, 24, 32, 0, ck.CKR_TEMPLATE_INCONSISTENT},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, none, 32, 32, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, 20, 32, 20, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, 1, 16, 1, ck.CKR_OK},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, 33, 32, 0, ck.CKR_TEMPLATE_INCONSISTENT},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, none, 0, 0, ck.CKR_WRAPPED_KEY_LEN_RANGE},
		{ecb, ck.CKO_SECRET_KEY, ck.CKK_DES, none, 0, 0, ck.CKR_WRAPPED_KEY_LEN_RANGE},
		{ecb, ck.CKO_PRIVATE_KEY, ck.CKK_EC, none, 32, 0, ck.CKR_WRAPPED_KEY_INVALID},
		// A mechanism that carries the length: CKA_VALUE_LEN must agree.
		{kwp, ck.CKO_SECRET_KEY, ck.CKK_AES, none, 24, 24, ck.CKR_OK},
		{kwp, ck.CKO_SECRET_KEY, ck.CKK_AES, 24, 24, 24, ck.CKR_OK},
		{kwp, ck.CKO_SECRET_KEY, ck.CKK_AES, 16, 24, 0, ck.CKR_TEMPLATE_INCONSISTENT},
		{kwp, ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, 40, 20, 0, ck.CKR_TEMPLATE_INCONSISTENT},
	} {
		tmpl := attrMap{}
		if c.valueLen >= 0 {
			tmpl[ck.CKA_VALUE_LEN] = ck.ULongBytes(ck.ULong(c.valueLen))
		}
		got, err := c.s.UnwrappedAttrs(c.class, c.kt, tmpl, bytes.Clone(value[:c.n]))
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s, key type %v, CKA_VALUE_LEN %d, %d bytes: %v, want %v", c.s.Name, c.kt, c.valueLen, c.n, err, c.rv)
			continue
		}
		if c.rv != ck.CKR_OK {
			continue
		}
		if v := attrsToMap(got)[ck.CKA_VALUE]; !bytes.Equal(v, value[:c.want]) {
			t.Errorf("%s, key type %v, CKA_VALUE_LEN %d, %d bytes: key %x, want the first %d bytes", c.s.Name, c.kt, c.valueLen, c.n, v, c.want)
		}
	}
	// A CKA_VALUE_LEN that is not a CK_ULONG (token's template check
	// refuses it first).
	_, err := ecb.UnwrappedAttrs(ck.CKO_SECRET_KEY, ck.CKK_AES, attrMap{ck.CKA_VALUE_LEN: {1}}, value[:16])
	wantRV(t, err, ck.CKR_ATTRIBUTE_VALUE_INVALID)
}

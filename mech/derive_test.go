package mech

import (
	"bytes"
	"errors"
	"slices"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// The conformance of the rows in registry_derive.go: each row has its
// check in conformBy (registry_test.go runs them), and the known answers
// are in ecdh_test.go, hkdf_test.go and x25519_test.go.

func init() {
	for _, s := range deriveRegistry {
		switch s.Type {
		case ck.CKM_ECDH1_DERIVE, ck.CKM_ECDH1_COFACTOR_DERIVE:
			conformBy[s.Type] = conformECDH
		case ck.CKM_EC_MONTGOMERY_KEY_PAIR_GEN:
			conformBy[s.Type] = conformX25519KeyPair
		case ck.CKM_HKDF_DERIVE, ck.CKM_HKDF_DATA:
			conformBy[s.Type] = conformHKDF
		default:
			conformBy[s.Type] = conformSimpleDerive
		}
	}
}

// noOther is the key resolver of a derivation that names no second key.
func noOther(ck.ObjectHandle) (*Key, error) {
	return nil, errors.New("unexpected key lookup")
}

// resolver resolves handle h to k and every other handle to
// CKR_KEY_HANDLE_INVALID, as token does.
func resolver(h ck.ObjectHandle, k *Key) func(ck.ObjectHandle) (*Key, error) {
	return func(got ck.ObjectHandle) (*Key, error) {
		if got != h {
			return nil, ck.CKR_KEY_HANDLE_INVALID
		}
		return k, nil
	}
}

func secretKey(t testing.TB, kt ck.KeyType, v []byte) *Key {
	t.Helper()
	k, err := KeyFromAttrs(ck.CKO_SECRET_KEY, kt, attrMap{ck.CKA_VALUE: v})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// conformSimpleDerive: the concatenations and XOR against their
// definitions, with every length rule and refusal.
func conformSimpleDerive(t *testing.T, s *Spec) {
	base := secretKey(t, ck.CKK_GENERIC_SECRET, randBytes(24))
	otherKey := secretKey(t, ck.CKK_AES, randBytes(16))
	data := randBytes(32)
	param := any(ck.KeyDerivationStringData{Data: data})
	other := noOther
	var want []byte // the mechanism's full output
	switch s.Type {
	case ck.CKM_CONCATENATE_BASE_AND_KEY:
		param = ck.ULongBytes(7)
		other = resolver(7, otherKey)
		want = slices.Concat(base.Secret, otherKey.Secret)
	case ck.CKM_CONCATENATE_BASE_AND_DATA:
		want = slices.Concat(base.Secret, data)
	case ck.CKM_CONCATENATE_DATA_AND_BASE:
		want = slices.Concat(data, base.Secret)
	case ck.CKM_XOR_BASE_AND_DATA:
		want = make([]byte, len(base.Secret))
		for i := range want {
			want[i] = base.Secret[i] ^ data[i]
		}
	default:
		t.Fatalf("no conformance for %s", s.Name)
	}

	// The natural length, where there is one, and every shorter length
	// keeps the leading bytes.
	got, err := s.Derive(base, param, 0, other)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, want) {
		t.Fatalf("derived %x, want %x", got, want)
	}
	for _, n := range []int{1, 16, len(want) - 1, len(want)} {
		got, err := s.Derive(base, param, n, other)
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(got, want[:n]) {
			t.Fatalf("keyLen %d: derived %x, want %x", n, got, want[:n])
		}
	}
	for _, n := range []int{len(want) + 1, -1, maxSecretLen + 1} {
		_, err := s.Derive(base, param, n, other)
		wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	}
	// The pointer form of the parameter works as well.
	if p, ok := param.(ck.KeyDerivationStringData); ok {
		got, err := s.Derive(base, &p, len(want), other)
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(got, want) {
			t.Fatal("pointer parameter derives otherwise")
		}
	}

	// Refused parameters.
	var bad []any
	if s.Type == ck.CKM_CONCATENATE_BASE_AND_KEY {
		bad = []any{nil, []byte{}, []byte{7}, ck.ULongBytes(0), ck.KeyDerivationStringData{Data: data}}
		got, err := s.Derive(base, ck.ObjectHandle(7), 0, other)
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(got, want) {
			t.Fatal("handle parameter derives otherwise")
		}
		_, err = s.Derive(base, ck.ULongBytes(8), 0, other)
		wantRV(t, err, ck.CKR_KEY_HANDLE_INVALID)
		// The second key must be a secret key.
		_, err = s.Derive(base, param, 0, resolver(7, fixtureOf(t, "EC-P-256").priv))
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	} else {
		bad = []any{nil, data, (*ck.KeyDerivationStringData)(nil), ck.KeyDerivationStringData{},
			&ck.KeyDerivationStringData{}, ck.ECDH1DeriveParams{PublicData: data}}
	}
	for _, p := range bad {
		_, err := s.Derive(base, p, 16, other)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}

	// Base keys the mechanism cannot use.
	for _, f := range []string{"EC-P-256", "RSA-2048"} {
		_, err := s.Derive(fixtureOf(t, f).priv, param, 16, other)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	for _, kt := range s.KeyTypes {
		if !secretKeyTypes[kt] {
			t.Errorf("key type %#x is not a secret key type", kt)
		}
	}
}

// TestXORShorterData: the XOR is as long as the shorter operand
// (PKCS#11 3.0 "XORing of a key and data").
func TestXORShorterData(t *testing.T) {
	base := secretKey(t, ck.CKK_GENERIC_SECRET, []byte{0x01, 0x23, 0x45, 0x67})
	got, err := xorBaseAndData(base, ck.KeyDerivationStringData{Data: []byte{0x89, 0xab, 0xcd}}, 0, noOther)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, []byte{0x88, 0x88, 0x88}) {
		t.Fatalf("got %x", got)
	}
	_, err = xorBaseAndData(base, ck.KeyDerivationStringData{Data: []byte{0x89, 0xab, 0xcd}}, 4, noOther)
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
}

// TestConcatenateExamples: the examples of the specification.
func TestConcatenateExamples(t *testing.T) {
	base := secretKey(t, ck.CKK_GENERIC_SECRET, []byte{0x01, 0x23, 0x45, 0x67})
	otherKey := secretKey(t, ck.CKK_GENERIC_SECRET, []byte{0x89, 0xab, 0xcd, 0xef})
	data := ck.KeyDerivationStringData{Data: []byte{0x89, 0xab, 0xcd, 0xef}}
	for _, c := range []struct {
		m     ck.MechanismType
		param any
		want  []byte
	}{
		{ck.CKM_CONCATENATE_BASE_AND_KEY, ck.ULongBytes(2), []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}},
		{ck.CKM_CONCATENATE_BASE_AND_DATA, data, []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}},
		{ck.CKM_CONCATENATE_DATA_AND_BASE, data, []byte{0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67}},
	} {
		s, ok := Lookup(c.m)
		if !ok {
			t.Fatalf("%#x not in the registry", c.m)
		}
		got, err := s.Derive(base, c.param, 0, resolver(2, otherKey))
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(got, c.want) {
			t.Errorf("%s: %x, want %x", s.Name, got, c.want)
		}
	}
}

package mech

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// CKM_EXTRACT_KEY_FROM_KEY: the specification's own example, and every
// start bit and length of a random key against a reference that rotates
// the key's value as one big integer.

// This init runs after derive_test.go's (files initialise in name order).
func init() {
	conformBy[ck.CKM_EXTRACT_KEY_FROM_KEY] = conformExtractKey
}

// extractRef rotates v left by first bits (as a len(v)*8-bit integer) and
// keeps the leading n bytes.
func extractRef(v []byte, first, n int) []byte {
	bits := uint(8 * len(v))
	x := new(big.Int).SetBytes(v)
	mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), bits), big.NewInt(1))
	rot := new(big.Int).Lsh(x, uint(first))
	rot.Or(rot, new(big.Int).Rsh(x, bits-uint(first)))
	rot.And(rot, mask)
	return rot.FillBytes(make([]byte, len(v)))[:n]
}

func conformExtractKey(t *testing.T, s *Spec) {
	// PKCS#11 (v2.10 onwards, "Extraction of one key from another key"):
	// 0x329F84A9 from bit 21, two bytes, is 0x9526.
	got, err := s.Derive(secretKey(t, ck.CKK_GENERIC_SECRET, []byte{0x32, 0x9f, 0x84, 0xa9}), ck.ULongBytes(21), 2, noOther)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, []byte{0x95, 0x26}) {
		t.Fatalf("the specification's example gives %x, want 9526", got)
	}

	v := randBytes(5)
	base := secretKey(t, ck.CKK_GENERIC_SECRET, v)
	for first := range 8 * len(v) {
		for n := 1; n <= len(v); n++ {
			got, err := s.Derive(base, ck.ULongBytes(ck.ULong(first)), n, noOther)
			wantRV(t, err, ck.CKR_OK)
			if want := extractRef(v, first, n); !bytes.Equal(got, want) {
				t.Fatalf("bit %d, %d bytes: %x, want %x", first, n, got, want)
			}
		}
	}
	_, err = s.Derive(base, ck.ULongBytes(0), 0, noOther)
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	for _, n := range []int{len(v) + 1, -1, maxSecretLen + 1} {
		_, err = s.Derive(base, ck.ULongBytes(0), n, noOther)
		wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	}
	for _, p := range []any{nil, []byte{}, []byte{1, 2, 3}, ck.ULongBytes(40), ck.ULongBytes(1 << 40), ck.ObjectHandle(1),
		ck.KeyDerivationStringData{Data: []byte{1}}} {
		_, err = s.Derive(base, p, 1, noOther)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	for _, f := range []string{"EC-P-256", "RSA-2048"} {
		_, err = s.Derive(fixtureOf(t, f).priv, ck.ULongBytes(0), 1, noOther)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
}

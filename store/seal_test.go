package store

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
)

func testKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func testSealer(t testing.TB) *Sealer {
	t.Helper()
	s, err := NewSealer(testKey(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealRoundTrip(t *testing.T) {
	s := testSealer(t)
	for _, n := range []int{0, 1, 15, 16, 17, 32, 1000, 70000} {
		pt := make([]byte, n)
		rand.Read(pt)
		aad := []byte("aad")
		sealed := s.Seal(aad, pt)
		if len(sealed) != n+Overhead || sealed[0] != sealV1 {
			t.Fatalf("len %d: sealed is %d bytes, version %d", n, len(sealed), sealed[0])
		}
		got, err := s.Open(aad, sealed)
		if err != nil || !bytes.Equal(got, pt) || got == nil {
			t.Fatalf("len %d: Open = %x, %v", n, got, err)
		}
		if again := s.Seal(aad, pt); bytes.Equal(again, sealed) {
			t.Fatalf("len %d: two seals are equal (nonce reused)", n)
		}
	}
}

func TestSealEveryBitFlipIsTampered(t *testing.T) {
	s := testSealer(t)
	aad := []byte("token/object/attr")
	sealed := s.Seal(aad, []byte("secret key material"))
	for i := range len(sealed) * 8 {
		c := bytes.Clone(sealed)
		c[i/8] ^= 1 << (i % 8)
		if _, err := s.Open(aad, c); !errors.Is(err, ErrTampered) {
			t.Fatalf("bit %d flipped: Open error %v, want ErrTampered", i, err)
		}
	}
	for _, c := range [][]byte{nil, {}, sealed[:1], sealed[:Overhead-1], sealed[:len(sealed)-1], append(bytes.Clone(sealed), 0)} {
		if _, err := s.Open(aad, c); !errors.Is(err, ErrTampered) {
			t.Fatalf("%d bytes: Open error %v, want ErrTampered", len(c), err)
		}
	}
	if _, err := s.Open([]byte("token/object/attR"), sealed); !errors.Is(err, ErrTampered) {
		t.Fatalf("other aad: Open error %v, want ErrTampered", err)
	}
	if _, err := testSealer(t).Open(aad, sealed); !errors.Is(err, ErrTampered) {
		t.Fatalf("other key: Open error %v, want ErrTampered", err)
	}
}

func TestSealerZero(t *testing.T) {
	s := testSealer(t)
	sealed := s.Seal(nil, []byte("x"))
	s.Zero()
	if got := s.Seal(nil, []byte("x")); got != nil {
		t.Fatalf("Seal after Zero = %x, want nil", got)
	}
	if _, err := s.Open(nil, sealed); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open after Zero: %v, want ErrLocked", err)
	}
	var nilSealer *Sealer
	nilSealer.Zero()
	if _, err := nilSealer.Open(nil, sealed); !errors.Is(err, ErrLocked) {
		t.Fatalf("Open on nil Sealer: %v, want ErrLocked", err)
	}
}

func TestNewSealerKeySize(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33} {
		if _, err := NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer(%d bytes) succeeded", n)
		}
	}
}

func TestTMK(t *testing.T) {
	kek, tmk := testKey(t), testKey(t)
	uuid := []byte("0123456789abcdef")
	sealed, err := SealTMK(kek, uuid, "so", tmk)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, tmk) {
		t.Fatal("sealed TMK contains the TMK")
	}
	got, err := OpenTMK(kek, uuid, "so", sealed)
	if err != nil || !bytes.Equal(got, tmk) {
		t.Fatalf("OpenTMK = %x, %v", got, err)
	}
	cases := []struct {
		name string
		kek  []byte
		uuid []byte
		role string
	}{
		{"wrong PIN (KEK)", testKey(t), uuid, "so"},
		{"other token", kek, []byte("0123456789abcdeF"), "so"},
		{"other role", kek, uuid, "user"},
	}
	for _, c := range cases {
		_, err := OpenTMK(c.kek, c.uuid, c.role, sealed)
		if !errors.Is(err, ErrTampered) {
			t.Errorf("%s: OpenTMK error %v, want ErrTampered", c.name, err)
		}
		if err != nil && (strings.Contains(err.Error(), string(tmk)) || strings.Contains(err.Error(), string(c.kek))) {
			t.Errorf("%s: error mentions key material", c.name)
		}
	}
	if _, err := OpenTMK(kek, uuid, "admin", sealed); err == nil || errors.Is(err, ErrTampered) {
		t.Errorf("bad role: OpenTMK error %v, want a usage error", err)
	}
	if _, err := SealTMK(kek, uuid, "so", tmk[:16]); err == nil {
		t.Error("SealTMK accepted a 16-byte TMK")
	}
	if _, err := SealTMK(kek[:16], uuid, "so", tmk); err == nil {
		t.Error("SealTMK accepted a 16-byte KEK")
	}
}

package main

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"testing"
)

// The two examples of RFC 5649 section 6.
func TestKWP(t *testing.T) {
	kek, _ := hex.DecodeString("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8")
	b, err := aes.NewCipher(kek)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []struct{ key, wrapped string }{
		{"c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a"},
		{"466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f"},
	} {
		key, _ := hex.DecodeString(v.key)
		want, _ := hex.DecodeString(v.wrapped)
		got := kwpWrap(b, key)
		if !bytes.Equal(got, want) {
			t.Errorf("kwpWrap(%s) = %x, want %x", v.key, got, want)
		}
		back, err := kwpUnwrap(b, want)
		if err != nil || !bytes.Equal(back, key) {
			t.Errorf("kwpUnwrap(%s) = %x, %v, want %s", v.wrapped, back, err, v.key)
		}
		want[len(want)-1] ^= 1
		if _, err := kwpUnwrap(b, want); err == nil {
			t.Errorf("kwpUnwrap accepted a corrupted %s", v.wrapped)
		}
	}
}

package mech

import (
	"bytes"
	"crypto/sha256"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestHashPool: a pooled hash comes back empty, whatever the last user
// left in it (the registry conformance test covers the digest mechanisms
// themselves).
func TestHashPool(t *testing.T) {
	alg := hashes[hashSHA256]
	for range 3 {
		h := alg.get()
		h.Write([]byte("left over"))
		alg.put(h)
	}
	want := sha256.Sum256([]byte("abc"))
	if got := alg.sum([]byte("abc")); !bytes.Equal(got, want[:]) {
		t.Fatalf("pooled hash not reset: %x", got)
	}
	alg.put(nil)
}

// TestNoParam: mechanisms without a parameter accept nil or an empty byte
// string and nothing else.
func TestNoParam(t *testing.T) {
	for _, p := range []any{nil, []byte{}, []byte(nil)} {
		wantRV(t, noParam(p), ck.CKR_OK)
	}
	for _, p := range []any{[]byte{0}, 0, ck.GCMParams{}, &ck.GCMParams{}, ""} {
		wantRV(t, noParam(p), ck.CKR_MECHANISM_PARAM_INVALID)
	}
}

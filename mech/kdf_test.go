package mech

import (
	"bytes"
	"strconv"
	"testing"
)

// TestPINKeyRFC7914: RFC 7914 section 11 PBKDF2-HMAC-SHA-256 vectors; PINKey
// returns the first 32 bytes of the 64 the RFC lists.
func TestPINKeyRFC7914(t *testing.T) {
	for _, r := range readVectors(t, "pbkdf2_hmac_sha256.txt", "P") {
		c, err := strconv.Atoi(r.get("c", 0))
		if err != nil {
			t.Fatal(err)
		}
		got := PINKey([]byte(r.get("P", 0)), []byte(r.get("S", 0)), c)
		if want := r.hex(t, "DK", 0)[:PINKeyLen]; !bytes.Equal(got, want) {
			t.Errorf("P=%q c=%d: %x", r.get("P", 0), c, got)
		}
	}
}

func TestPINKeyIterations(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("zero iterations accepted")
		}
	}()
	PINKey([]byte("1234"), []byte("salt"), 0)
}

package mech

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestEd25519RFC8032: RFC 8032 section 7.1 tests 1-3, 7.2 (Ed25519ctx,
// context "foo") and 7.3 (Ed25519ph, "abc") through CKM_EDDSA: the key
// from its seed, the public key derived, the (deterministic) signature
// byte for byte, and verification.
func TestEd25519RFC8032(t *testing.T) {
	s := pendingSpec(t, ck.CKM_EDDSA)
	for _, r := range readVectors(t, "rfc8032_ed25519.txt", "Name") {
		name := r.get("Name", 0)
		var param any
		switch r.get("Variant", 0) {
		case "ctx":
			param = ck.EDDSAParams{ContextData: r.hex(t, "Context", 0)}
		case "ph":
			param = &ck.EDDSAParams{PHFlag: true, ContextData: r.hex(t, "Context", 0)}
		}
		f := edFixture(t, r.hex(t, "Seed", 0))
		if got := f.priv.Public.(ed25519.PublicKey); !bytes.Equal(got, r.hex(t, "Public", 0)) {
			t.Fatalf("%s: public key %x", name, got)
		}
		op, err := s.Sign(f.priv, param)
		wantRV(t, err, ck.CKR_OK)
		sig, err := op.Sign(r.hex(t, "Msg", 0))
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(sig, r.hex(t, "Sig", 0)) {
			t.Errorf("%s: signature %x", name, sig)
		}
		v, err := s.Verify(f.pub, param)
		wantRV(t, err, ck.CKR_OK)
		wantRV(t, v.Verify(r.hex(t, "Msg", 0), r.hex(t, "Sig", 0)), ck.CKR_OK)
		// The same signature under the other variants fails.
		others := map[string]any{"pure": nil, "ctx": ck.EDDSAParams{ContextData: []byte("bar")}, "ph": ck.EDDSAParams{PHFlag: true}}
		for variant, other := range others {
			if variant == r.get("Variant", 0) {
				continue
			}
			v, _ := s.Verify(f.pub, other)
			wantRV(t, v.Verify(r.hex(t, "Msg", 0), sig), ck.CKR_SIGNATURE_INVALID)
		}
	}
}

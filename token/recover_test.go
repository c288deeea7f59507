package token

import (
	"bytes"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

func TestSignRecoverVerifyRecoverRSA(t *testing.T) {
	l, _, sh, _ := ready(t)
	pub, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_MODULUS_BITS, 2048)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("recover me")
	for _, mt := range []ck.MechanismType{ck.CKM_RSA_PKCS, ck.CKM_RSA_X_509} {
		m := ck.Mechanism{Type: mt}
		if err := l.SignRecoverInit(sh, m, priv); err != nil {
			t.Fatal(err)
		}
		n, err := l.SignRecover(sh, data, nil)
		if err != nil || n != 256 {
			t.Fatalf("%v length query: %d %v", mt, n, err)
		}
		sig := make([]byte, n)
		if _, err := l.SignRecover(sh, data, sig); err != nil {
			t.Fatal(err)
		}
		if err := l.VerifyRecoverInit(sh, m, pub); err != nil {
			t.Fatal(err)
		}
		n, err = l.VerifyRecover(sh, sig, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]byte, n)
		if _, err := l.VerifyRecover(sh, sig, got); err != nil {
			t.Fatal(err)
		}
		want := data
		if mt == ck.CKM_RSA_X_509 {
			// Raw RSA recovers the whole block: the data left-padded with zeros.
			want = append(make([]byte, 256-len(data)), data...)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%v recovered %x", mt, got)
		}
		sig[100] ^= 1
		if err := l.VerifyRecoverInit(sh, ck.Mechanism{Type: ck.CKM_RSA_PKCS}, pub); err != nil {
			t.Fatal(err)
		}
		_, err = l.VerifyRecover(sh, sig, got)
		wantRV(t, err, ck.CKR_SIGNATURE_INVALID)
		_, err = l.VerifyRecover(sh, sig, got)
		wantRV(t, err, ck.CKR_OPERATION_NOT_INITIALIZED)
	}
	if err := l.VerifyRecoverInit(sh, ck.Mechanism{Type: ck.CKM_RSA_PKCS}, pub); err != nil {
		t.Fatal(err)
	}
	_, err = l.VerifyRecover(sh, make([]byte, 100), nil)
	wantRV(t, err, ck.CKR_SIGNATURE_LEN_RANGE)
	wantRV(t, l.SignRecoverInit(sh, ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS}, priv), ck.CKR_MECHANISM_INVALID)
	wantRV(t, l.VerifyRecoverInit(sh, ck.Mechanism{Type: ck.CKM_RSA_PKCS}, priv), ck.CKR_KEY_TYPE_INCONSISTENT)
}

package token

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"math/big"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestSigningWhileAttributesChange: one session signs with a key while
// another renames it, over and over (and a second library on the same
// database, as another process would, renames it too). An object changed
// in place is a new version of itself; operations running with the old
// version's key must still compute with the right key material, so every
// signature verifies.
func TestSigningWhileAttributesChange(t *testing.T) {
	l, slot, sh, db := ready(t)
	pub, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_EC_PARAMS, p256OID), attr(ck.CKA_TOKEN, true), attr(ck.CKA_LABEL, "k")},
		[]ck.Attribute{attr(ck.CKA_TOKEN, true), attr(ck.CKA_LABEL, "k"), attr(ck.CKA_SENSITIVE, true)})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := l.GetAttributeValue(sh, pub, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
	spki, err := x509.ParsePKIXPublicKey(vals[0].Value)
	if err != nil {
		t.Fatal(err)
	}
	key := spki.(*ecdsa.PublicKey)
	signer, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	other := open(t, db)
	osh, err := other.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Login(osh, ck.CKU_USER, userPIN); err != nil {
		t.Fatal(err)
	}
	ohs, err := findByLabel(other, osh, "k", ck.CKO_PRIVATE_KEY)
	if err != nil || len(ohs) != 1 {
		t.Fatalf("the other library finds %d keys: %v", len(ohs), err)
	}

	const rounds = 200
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range rounds {
			l.SetAttributeValue(sh, priv, []ck.Attribute{attr(ck.CKA_LABEL, fmt.Sprintf("k%d", i))})
		}
	}()
	go func() {
		defer wg.Done()
		for i := range rounds {
			other.SetAttributeValue(osh, ohs[0], []ck.Attribute{attr(ck.CKA_APPLICATION, fmt.Sprintf("a%d", i))})
		}
	}()
	digest := sha256.Sum256([]byte("while renamed"))
	for i := range rounds {
		if err := l.SignInit(signer, ck.Mechanism{Type: ck.CKM_ECDSA}, priv); err != nil {
			t.Fatalf("round %d: SignInit: %v", i, err)
		}
		sig := make([]byte, 64)
		if _, err := l.Sign(signer, digest[:], sig); err != nil {
			t.Fatalf("round %d: Sign: %v", i, err)
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(key, digest[:], r, s) {
			t.Fatalf("round %d: the signature does not verify", i)
		}
	}
	wg.Wait()
}

func findByLabel(l *Library, sh ck.SessionHandle, label string, class ck.ObjectClass) ([]ck.ObjectHandle, error) {
	if err := l.FindObjectsInit(sh, []ck.Attribute{attr(ck.CKA_LABEL, label), attr(ck.CKA_CLASS, class)}); err != nil {
		return nil, err
	}
	defer l.FindObjectsFinal(sh)
	return l.FindObjects(sh, 10)
}

package token

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

var (
	soPIN   = []byte("so-secret")
	userPIN = []byte("user-1234")
	p256OID = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
)

func wantRV(t *testing.T, err error, want ck.RV) {
	t.Helper()
	if got := ck.ErrorRV(err); got != want {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func open(t *testing.T, db string) *Library {
	t.Helper()
	l, err := New(Config{DBPath: db, Iterations: 1000, MaxPINFailures: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Finalize() })
	return l
}

// ready opens a fresh database with one initialised token whose user PIN is
// set, and returns the library, its slot and a logged-in R/W session.
func ready(t *testing.T) (*Library, ck.SlotID, ck.SessionHandle, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "kagi.db")
	l := open(t, db)
	slots := mustSlots(t, l)
	if len(slots) != 1 {
		t.Fatalf("fresh database: %d slots, want 1", len(slots))
	}
	slot := slots[0]
	if err := l.InitToken(slot, soPIN, "unit"); err != nil {
		t.Fatal(err)
	}
	sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Login(sh, ck.CKU_SO, soPIN); err != nil {
		t.Fatal(err)
	}
	if err := l.InitPIN(sh, userPIN); err != nil {
		t.Fatal(err)
	}
	if err := l.Logout(sh); err != nil {
		t.Fatal(err)
	}
	if err := l.Login(sh, ck.CKU_USER, userPIN); err != nil {
		t.Fatal(err)
	}
	return l, slot, sh, db
}

func mustSlots(t testing.TB, l *Library) []ck.SlotID {
	t.Helper()
	ids, err := l.Slots(true)
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func attr(t ck.AttributeType, v any) ck.Attribute {
	switch x := v.(type) {
	case bool:
		return ck.Attribute{Type: t, Value: ck.BoolBytes(x)}
	case int:
		return ck.Attribute{Type: t, Value: ck.ULongBytes(ck.ULong(x))}
	case ck.ObjectClass:
		return ck.Attribute{Type: t, Value: ck.ULongBytes(ck.ULong(x))}
	case ck.KeyType:
		return ck.Attribute{Type: t, Value: ck.ULongBytes(ck.ULong(x))}
	case string:
		return ck.Attribute{Type: t, Value: []byte(x)}
	case []byte:
		return ck.Attribute{Type: t, Value: x}
	}
	panic("attr: unsupported value")
}

func TestInitTokenAddsFreeSlotAndKeepsIDs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kagi.db")
	l := open(t, db)
	first := mustSlots(t, l)
	if err := l.InitToken(first[0], soPIN, "a"); err != nil {
		t.Fatal(err)
	}
	after := mustSlots(t, l)
	if len(after) != 2 || after[0] != first[0] {
		t.Fatalf("slots after init: %v (before %v)", after, first)
	}
	info, _ := l.TokenInfo(after[0])
	if info.Label != "a" || info.Flags&ck.CKF_TOKEN_INITIALIZED == 0 || info.Flags&ck.CKF_USER_PIN_INITIALIZED != 0 {
		t.Fatalf("token info: %+v", info)
	}
	serial := info.SerialNumber
	wantRV(t, l.InitToken(after[0], []byte("wrong-pin"), "b"), ck.CKR_PIN_INCORRECT)
	wantRV(t, l.InitToken(after[0], []byte("abc"), "b"), ck.CKR_PIN_LEN_RANGE)
	if err := l.InitToken(after[0], soPIN, "b"); err != nil {
		t.Fatal(err)
	}
	info, _ = l.TokenInfo(after[0])
	if info.Label != "b" || info.SerialNumber != serial {
		t.Fatalf("re-initialised token: %+v, serial was %s", info, serial)
	}
	l.Finalize()
	l2 := open(t, db)
	if got := mustSlots(t, l2); len(got) != 2 || got[0] != after[0] || got[1] != after[1] {
		t.Fatalf("slots after restart: %v, want %v", got, after)
	}
}

func TestLoginRules(t *testing.T) {
	l, slot, sh, _ := ready(t)
	wantRV(t, l.Login(sh, ck.CKU_USER, userPIN), ck.CKR_USER_ALREADY_LOGGED_IN)
	wantRV(t, l.Login(sh, ck.CKU_SO, soPIN), ck.CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
	wantRV(t, l.Login(sh, 7, userPIN), ck.CKR_USER_TYPE_INVALID)
	if err := l.Logout(sh); err != nil {
		t.Fatal(err)
	}
	wantRV(t, l.Logout(sh), ck.CKR_USER_NOT_LOGGED_IN)
	ro, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	wantRV(t, l.Login(sh, ck.CKU_SO, soPIN), ck.CKR_SESSION_READ_ONLY_EXISTS)
	if err := l.CloseSession(ro); err != nil {
		t.Fatal(err)
	}
	_, err = l.OpenSession(slot, 0)
	wantRV(t, err, ck.CKR_SESSION_PARALLEL_NOT_SUPPORTED)
}

func TestPINLockoutPersists(t *testing.T) {
	l, slot, sh, db := ready(t)
	l.Logout(sh)
	for i := 0; i < 3; i++ {
		wantRV(t, l.Login(sh, ck.CKU_USER, []byte("bad-pin")), ck.CKR_PIN_INCORRECT)
	}
	wantRV(t, l.Login(sh, ck.CKU_USER, userPIN), ck.CKR_PIN_LOCKED)
	info, _ := l.TokenInfo(slot)
	if info.Flags&ck.CKF_USER_PIN_LOCKED == 0 {
		t.Fatalf("flags %#x lack CKF_USER_PIN_LOCKED", info.Flags)
	}
	l.Finalize()
	l2 := open(t, db)
	sh2, _ := l2.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	wantRV(t, l2.Login(sh2, ck.CKU_USER, userPIN), ck.CKR_PIN_LOCKED)
	if err := l2.Login(sh2, ck.CKU_SO, soPIN); err != nil {
		t.Fatal(err)
	}
	if err := l2.InitPIN(sh2, userPIN); err != nil {
		t.Fatal(err)
	}
	l2.Logout(sh2)
	if err := l2.Login(sh2, ck.CKU_USER, userPIN); err != nil {
		t.Fatalf("after SO reset: %v", err)
	}
}

func TestSetPINKeepsObjects(t *testing.T) {
	l, slot, sh, db := ready(t)
	key := []byte("0123456789abcdef0123456789abcdef")
	if _, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES),
		attr(ck.CKA_TOKEN, true), attr(ck.CKA_LABEL, "k"), attr(ck.CKA_VALUE, key),
	}); err != nil {
		t.Fatal(err)
	}
	newPIN := []byte("new-pin-5678")
	wantRV(t, l.SetPIN(sh, []byte("wrong-old"), newPIN), ck.CKR_PIN_INCORRECT)
	if err := l.SetPIN(sh, userPIN, newPIN); err != nil {
		t.Fatal(err)
	}
	l.Finalize()
	l2 := open(t, db)
	sh2, _ := l2.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	wantRV(t, l2.Login(sh2, ck.CKU_USER, userPIN), ck.CKR_PIN_INCORRECT)
	if err := l2.Login(sh2, ck.CKU_USER, newPIN); err != nil {
		t.Fatal(err)
	}
	if hs := find(t, l2, sh2, attr(ck.CKA_LABEL, "k")); len(hs) != 1 {
		t.Fatalf("found %d keys after PIN change", len(hs))
	}
}

func find(t *testing.T, l *Library, sh ck.SessionHandle, tmpl ...ck.Attribute) []ck.ObjectHandle {
	t.Helper()
	if err := l.FindObjectsInit(sh, tmpl); err != nil {
		t.Fatal(err)
	}
	defer l.FindObjectsFinal(sh)
	hs, err := l.FindObjects(sh, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

func TestCreateObjectRules(t *testing.T) {
	l, _, sh, _ := ready(t)
	aes32 := bytes.Repeat([]byte{7}, 32)
	cases := []struct {
		name string
		tmpl []ck.Attribute
		want ck.RV
	}{
		{"no class", []ck.Attribute{attr(ck.CKA_LABEL, "x")}, ck.CKR_TEMPLATE_INCOMPLETE},
		{"class of wrong length", []ck.Attribute{attr(ck.CKA_CLASS, []byte{1})}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"AES without value", []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES)}, ck.CKR_TEMPLATE_INCOMPLETE},
		{"AES 15 bytes", []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, aes32[:15])}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"CKA_LOCAL given", []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, aes32), attr(ck.CKA_LOCAL, true)}, ck.CKR_ATTRIBUTE_READ_ONLY},
		{"label twice, different", []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DATA), attr(ck.CKA_LABEL, "a"), attr(ck.CKA_LABEL, "b")}, ck.CKR_TEMPLATE_INCONSISTENT},
		{"unknown key type", []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.KeyType(0x7777)), attr(ck.CKA_VALUE, aes32)}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"EC attribute on a data object", []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DATA), attr(ck.CKA_EC_PARAMS, p256OID)}, ck.CKR_ATTRIBUTE_TYPE_INVALID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := l.CreateObject(sh, c.tmpl)
			wantRV(t, err, c.want)
		})
	}
}

func TestSecretKeyDefaultsAndSensitivity(t *testing.T) {
	l, _, sh, _ := ready(t)
	key := bytes.Repeat([]byte{0x42}, 32)
	h, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES),
		attr(ck.CKA_VALUE, key), attr(ck.CKA_EXTRACTABLE, true),
	})
	if err != nil {
		t.Fatal(err)
	}
	vals, err := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_VALUE_LEN, ck.CKA_CHECK_VALUE, ck.CKA_PRIVATE, ck.CKA_LOCAL, ck.CKA_VALUE, ck.CKA_MODULUS})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	zero := make([]byte, 16)
	block.Encrypt(zero, zero)
	if n, _ := ck.BytesULong(vals[0].Value); n != 32 {
		t.Errorf("CKA_VALUE_LEN %d", n)
	}
	if !bytes.Equal(vals[1].Value, zero[:3]) {
		t.Errorf("CKA_CHECK_VALUE %x, want %x", vals[1].Value, zero[:3])
	}
	if p, _ := ck.BytesBool(vals[2].Value); !p {
		t.Error("secret key not private by default")
	}
	if loc, _ := ck.BytesBool(vals[3].Value); loc {
		t.Error("imported key has CKA_LOCAL true")
	}
	if !bytes.Equal(vals[4].Value, key) || vals[4].Err != 0 {
		t.Errorf("extractable non-sensitive key value not readable: %v", vals[4].Err)
	}
	if vals[5].Err != ck.CKR_ATTRIBUTE_TYPE_INVALID {
		t.Errorf("CKA_MODULUS of an AES key: %v", vals[5].Err)
	}
	if err := l.SetAttributeValue(sh, h, []ck.Attribute{attr(ck.CKA_SENSITIVE, true)}); err != nil {
		t.Fatal(err)
	}
	wantRV(t, l.SetAttributeValue(sh, h, []ck.Attribute{attr(ck.CKA_SENSITIVE, false)}), ck.CKR_ATTRIBUTE_READ_ONLY)
	vals, _ = l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_VALUE})
	if vals[0].Err != ck.CKR_ATTRIBUTE_SENSITIVE || vals[0].Value != nil {
		t.Errorf("sensitive key value: %v %x", vals[0].Err, vals[0].Value)
	}
	wantRV(t, l.SetAttributeValue(sh, h, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DATA)}), ck.CKR_ATTRIBUTE_READ_ONLY)
}

func TestGeneratedECKeySignsAndSurvivesRestart(t *testing.T) {
	l, slot, sh, db := ready(t)
	pub, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_EC_PARAMS, p256OID), attr(ck.CKA_TOKEN, true), attr(ck.CKA_LABEL, "ec")},
		[]ck.Attribute{attr(ck.CKA_TOKEN, true), attr(ck.CKA_LABEL, "ec"), attr(ck.CKA_SENSITIVE, true)})
	if err != nil {
		t.Fatal(err)
	}
	vals, _ := l.GetAttributeValue(sh, priv, []ck.AttributeType{ck.CKA_LOCAL, ck.CKA_KEY_GEN_MECHANISM, ck.CKA_ALWAYS_SENSITIVE, ck.CKA_NEVER_EXTRACTABLE, ck.CKA_VALUE})
	for i, name := range []string{"LOCAL", "", "ALWAYS_SENSITIVE", "NEVER_EXTRACTABLE"} {
		if i == 1 {
			if m, _ := ck.BytesULong(vals[1].Value); m != ck.ULong(ck.CKM_EC_KEY_PAIR_GEN) {
				t.Errorf("CKA_KEY_GEN_MECHANISM %#x", m)
			}
			continue
		}
		if b, _ := ck.BytesBool(vals[i].Value); !b {
			t.Errorf("CKA_%s false on a generated sensitive key", name)
		}
	}
	wantRV(t, vals[4].Err, ck.CKR_ATTRIBUTE_SENSITIVE)
	sign := func(l *Library, sh ck.SessionHandle, priv, pub ck.ObjectHandle) {
		t.Helper()
		digest := sha256.Sum256([]byte("message"))
		if err := l.SignInit(sh, ck.Mechanism{Type: ck.CKM_ECDSA}, priv); err != nil {
			t.Fatal(err)
		}
		n, err := l.Sign(sh, digest[:], nil)
		if err != nil || n != 64 {
			t.Fatalf("length query: %d %v", n, err)
		}
		n, err = l.Sign(sh, digest[:], make([]byte, 10))
		wantRV(t, err, ck.CKR_BUFFER_TOO_SMALL)
		sig := make([]byte, n)
		if _, err := l.Sign(sh, digest[:], sig); err != nil {
			t.Fatal(err)
		}
		vals, _ := l.GetAttributeValue(sh, pub, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
		k, err := x509.ParsePKIXPublicKey(vals[0].Value)
		if err != nil {
			t.Fatal(err)
		}
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(k.(*ecdsa.PublicKey), digest[:], r, s) {
			t.Fatal("signature does not verify with crypto/ecdsa")
		}
		_, err = l.Sign(sh, digest[:], sig)
		wantRV(t, err, ck.CKR_OPERATION_NOT_INITIALIZED)
	}
	sign(l, sh, priv, pub)

	// A second library on the same database (another process, in effect)
	// finds and uses the keys.
	other := open(t, db)
	osh, _ := other.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if hs := find(t, other, osh, attr(ck.CKA_LABEL, "ec")); len(hs) != 1 {
		t.Fatalf("before login the other library sees %d objects labelled ec, want the public key only", len(hs))
	}
	if err := other.Login(osh, ck.CKU_USER, userPIN); err != nil {
		t.Fatal(err)
	}
	opriv := find(t, other, osh, attr(ck.CKA_LABEL, "ec"), attr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY))
	opub := find(t, other, osh, attr(ck.CKA_LABEL, "ec"), attr(ck.CKA_CLASS, ck.CKO_PUBLIC_KEY))
	if len(opriv) != 1 || len(opub) != 1 {
		t.Fatalf("other library: %d private, %d public", len(opriv), len(opub))
	}
	sign(other, osh, opriv[0], opub[0])

	// A key made here now is found there at its next search.
	if _, err := l.GenerateKey(sh, ck.Mechanism{Type: ck.CKM_AES_KEY_GEN},
		[]ck.Attribute{attr(ck.CKA_VALUE_LEN, 32), attr(ck.CKA_TOKEN, true), attr(ck.CKA_LABEL, "late")}); err != nil {
		t.Fatal(err)
	}
	if hs := find(t, other, osh, attr(ck.CKA_LABEL, "late")); len(hs) != 1 {
		t.Fatalf("other library found %d keys labelled late", len(hs))
	}
}

func TestSessionObjectsVanish(t *testing.T) {
	l, slot, sh, _ := ready(t)
	s2, _ := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	h, err := l.CreateObject(s2, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DATA), attr(ck.CKA_LABEL, "tmp")})
	if err != nil {
		t.Fatal(err)
	}
	if hs := find(t, l, sh, attr(ck.CKA_LABEL, "tmp")); len(hs) != 1 {
		t.Fatalf("other session sees %d session objects", len(hs))
	}
	l.CloseSession(s2)
	_, err = l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_LABEL})
	wantRV(t, err, ck.CKR_OBJECT_HANDLE_INVALID)
	_, err = l.GetAttributeValue(s2, h, []ck.AttributeType{ck.CKA_LABEL})
	wantRV(t, err, ck.CKR_SESSION_HANDLE_INVALID)
}

func TestTokenObjectNeedsRWSession(t *testing.T) {
	l, slot, _, _ := ready(t)
	ro, _ := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	_, err := l.CreateObject(ro, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DATA), attr(ck.CKA_TOKEN, true), attr(ck.CKA_PRIVATE, false)})
	wantRV(t, err, ck.CKR_SESSION_READ_ONLY)
}

func TestWrongPINNeverRevealsPrivateObjects(t *testing.T) {
	l, slot, sh, db := ready(t)
	if _, err := l.CreateObject(sh, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DATA), attr(ck.CKA_TOKEN, true), attr(ck.CKA_LABEL, "secret-data"), attr(ck.CKA_VALUE, "x")}); err != nil {
		t.Fatal(err)
	}
	other := open(t, db)
	osh, _ := other.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	wantRV(t, other.Login(osh, ck.CKU_USER, []byte("not-the-pin")), ck.CKR_PIN_INCORRECT)
	if hs := find(t, other, osh); len(hs) != 0 {
		t.Fatalf("%d objects visible without login", len(hs))
	}
	if !errors.Is(other.Login(osh, ck.CKU_USER, userPIN), nil) {
		t.Fatal("login with the right PIN failed")
	}
	if hs := find(t, other, osh, attr(ck.CKA_LABEL, "secret-data")); len(hs) != 1 {
		t.Fatalf("after login: %d", len(hs))
	}
}

func TestKeyMaterialIsSealedEvenInPublicObjects(t *testing.T) {
	l, slot, sh, db := ready(t)
	h, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_TOKEN, true),
		attr(ck.CKA_PRIVATE, false), attr(ck.CKA_LABEL, "pub-aes"), attr(ck.CKA_VALUE, bytes.Repeat([]byte{1}, 16)),
	})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("pub-aes")) {
		t.Fatal("the label of a key is stored in the clear")
	}
	if err := l.Logout(sh); err != nil {
		t.Fatal(err)
	}
	if hs := find(t, l, sh, attr(ck.CKA_LABEL, "pub-aes")); len(hs) != 0 {
		t.Fatal("a key is visible without login")
	}
	_, err = l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_LABEL})
	wantRV(t, err, ck.CKR_OBJECT_HANDLE_INVALID)
	other := open(t, db)
	osh, _ := other.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if err := other.Login(osh, ck.CKU_USER, userPIN); err != nil {
		t.Fatal(err)
	}
	hs := find(t, other, osh, attr(ck.CKA_LABEL, "pub-aes"))
	if len(hs) != 1 {
		t.Fatalf("after login: %d", len(hs))
	}
	vals, _ := other.GetAttributeValue(osh, hs[0], []ck.AttributeType{ck.CKA_PRIVATE})
	if p, _ := ck.BytesBool(vals[0].Value); p {
		t.Fatal("CKA_PRIVATE changed by storage")
	}
}

// Sessions create durable objects and sign at the same time; the race
// detector checks the locking, the count checks nothing was lost.
func TestConcurrentCreateAndSign(t *testing.T) {
	l, slot, sh, _ := ready(t)
	hmacKey, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
		attr(ck.CKA_VALUE, bytes.Repeat([]byte{9}, 32)),
	})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := 0; g < 2; g++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			s, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
			if err != nil {
				errs <- err
				return
			}
			for i := 0; i < 20; i++ {
				if _, err := l.GenerateKey(s, ck.Mechanism{Type: ck.CKM_AES_KEY_GEN},
					[]ck.Attribute{attr(ck.CKA_VALUE_LEN, 16), attr(ck.CKA_TOKEN, true), attr(ck.CKA_LABEL, "many")}); err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() {
			defer wg.Done()
			s, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
			if err != nil {
				errs <- err
				return
			}
			mac := make([]byte, 32)
			for i := 0; i < 200; i++ {
				if err := l.SignInit(s, ck.Mechanism{Type: ck.CKM_SHA256_HMAC}, hmacKey); err != nil {
					errs <- err
					return
				}
				if _, err := l.Sign(s, []byte("data"), mac); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if hs := find(t, l, sh, attr(ck.CKA_LABEL, "many")); len(hs) != 40 {
		t.Fatalf("found %d keys, want 40", len(hs))
	}
}

func TestMultiPartGCMAndDigestKey(t *testing.T) {
	l, _, sh, _ := ready(t)
	key := bytes.Repeat([]byte{0x5a}, 32)
	h, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, key),
	})
	if err != nil {
		t.Fatal(err)
	}
	iv, aad := bytes.Repeat([]byte{1}, 12), []byte("header")
	m := ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: iv, AAD: aad, TagBits: 128}}
	msg := []byte("a message sent in three parts")
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	want := gcm.Seal(nil, iv, msg, aad)

	run := func(encrypt bool, in []byte) []byte {
		t.Helper()
		initFn, update, final := l.EncryptInit, l.EncryptUpdate, l.EncryptFinal
		if !encrypt {
			initFn, update, final = l.DecryptInit, l.DecryptUpdate, l.DecryptFinal
		}
		if err := initFn(sh, m, h); err != nil {
			t.Fatal(err)
		}
		var out []byte
		for _, part := range [][]byte{in[:5], in[5:17], in[17:]} {
			n, err := update(sh, part, nil) // length query, then the real call
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, n)
			if _, err := update(sh, part, buf); err != nil {
				t.Fatal(err)
			}
			out = append(out, buf...)
		}
		n, err := final(sh, nil)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			_, err = final(sh, make([]byte, n-1))
			wantRV(t, err, ck.CKR_BUFFER_TOO_SMALL)
		}
		buf := make([]byte, n)
		if _, err := final(sh, buf); err != nil {
			t.Fatal(err)
		}
		_, err = final(sh, buf)
		wantRV(t, err, ck.CKR_OPERATION_NOT_INITIALIZED)
		return append(out, buf...)
	}
	if got := run(true, msg); !bytes.Equal(got, want) {
		t.Fatalf("multi-part GCM: %x, want %x", got, want)
	}
	if got := run(false, want); !bytes.Equal(got, msg) {
		t.Fatalf("multi-part GCM decrypt: %q", got)
	}

	// C_DigestKey: SHA-256 over the key value, joined to data parts.
	if err := l.DigestInit(sh, ck.Mechanism{Type: ck.CKM_SHA256}); err != nil {
		t.Fatal(err)
	}
	if err := l.DigestUpdate(sh, []byte("prefix")); err != nil {
		t.Fatal(err)
	}
	if err := l.DigestKey(sh, h); err != nil {
		t.Fatal(err)
	}
	sum := make([]byte, 32)
	if _, err := l.DigestFinal(sh, sum); err != nil {
		t.Fatal(err)
	}
	if wantSum := sha256.Sum256(append([]byte("prefix"), key...)); !bytes.Equal(sum, wantSum[:]) {
		t.Fatalf("C_DigestKey: %x, want %x", sum, wantSum)
	}
	_, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_EC_PARAMS, p256OID)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.DigestInit(sh, ck.Mechanism{Type: ck.CKM_SHA256})
	wantRV(t, l.DigestKey(sh, priv), ck.CKR_KEY_INDIGESTIBLE)
	wantRV(t, l.DigestKey(sh, 0xdead), ck.CKR_KEY_HANDLE_INVALID)
}

func TestSessionCancel(t *testing.T) {
	l, _, sh, _ := ready(t)
	if err := l.DigestInit(sh, ck.Mechanism{Type: ck.CKM_SHA256}); err != nil {
		t.Fatal(err)
	}
	if err := l.FindObjectsInit(sh, nil); err != nil {
		t.Fatal(err)
	}
	if err := l.SessionCancel(sh, ck.CKF_DIGEST|ck.CKF_SIGN); err != nil {
		t.Fatal(err)
	}
	_, err := l.Digest(sh, []byte("x"), nil)
	wantRV(t, err, ck.CKR_OPERATION_NOT_INITIALIZED)
	if _, err := l.FindObjects(sh, 1); err != nil {
		t.Fatalf("the search was not named, yet: %v", err)
	}
	if err := l.DigestInit(sh, ck.Mechanism{Type: ck.CKM_SHA256}); err != nil {
		t.Fatalf("digest after cancel: %v", err)
	}
	wantRV(t, l.SessionCancel(0xbad, ck.CKF_DIGEST), ck.CKR_SESSION_HANDLE_INVALID)
}

func TestAlwaysAuthenticate(t *testing.T) {
	l, _, sh, _ := ready(t)
	_, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_EC_PARAMS, p256OID)},
		[]ck.Attribute{attr(ck.CKA_ALWAYS_AUTHENTICATE, true)})
	if err != nil {
		t.Fatal(err)
	}
	digest := make([]byte, 32)
	sig := make([]byte, 64)
	for round := 0; round < 2; round++ {
		if err := l.SignInit(sh, ck.Mechanism{Type: ck.CKM_ECDSA}, priv); err != nil {
			t.Fatal(err)
		}
		_, err := l.Sign(sh, digest, sig)
		wantRV(t, err, ck.CKR_USER_NOT_LOGGED_IN)
		wantRV(t, l.Login(sh, ck.CKU_CONTEXT_SPECIFIC, []byte("wrong-pin")), ck.CKR_PIN_INCORRECT)
		if err := l.Login(sh, ck.CKU_CONTEXT_SPECIFIC, userPIN); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Sign(sh, digest, sig); err != nil {
			t.Fatalf("round %d: sign after context-specific login: %v", round, err)
		}
	}
	wantRV(t, l.Login(sh, ck.CKU_CONTEXT_SPECIFIC, userPIN), ck.CKR_OPERATION_NOT_INITIALIZED)
}

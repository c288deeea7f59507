package integration

// Bad input that miekg/pkcs11 lets through: invalid handles of every kind,
// PINs of wrong lengths, writes in R/O sessions, and calls after
// C_Finalize (init_test.go). NULL pointers and short output buffers cannot
// be produced through miekg; the C tests cover them.

import (
	"bytes"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestInvalidSessionHandle(t *testing.T) {
	slot, sh := userSession(t)
	obj := create(t, sh, dataTemplate("o"))
	closed := openRW(t, slot)
	must(t, "C_CloseSession", p11.CloseSession(closed))
	tmpl := dataTemplate("x")

	calls := []struct {
		name string
		call func(pkcs11.SessionHandle) error
	}{
		{"C_CloseSession", func(h pkcs11.SessionHandle) error { return p11.CloseSession(h) }},
		{"C_GetSessionInfo", func(h pkcs11.SessionHandle) error { _, err := p11.GetSessionInfo(h); return err }},
		{"C_Login", func(h pkcs11.SessionHandle) error { return p11.Login(h, pkcs11.CKU_USER, userPIN) }},
		{"C_Logout", func(h pkcs11.SessionHandle) error { return p11.Logout(h) }},
		{"C_InitPIN", func(h pkcs11.SessionHandle) error { return p11.InitPIN(h, userPIN) }},
		{"C_SetPIN", func(h pkcs11.SessionHandle) error { return p11.SetPIN(h, userPIN, "other-pin") }},
		{"C_CreateObject", func(h pkcs11.SessionHandle) error { _, err := p11.CreateObject(h, tmpl); return err }},
		{"C_CopyObject", func(h pkcs11.SessionHandle) error { _, err := p11.CopyObject(h, obj, nil); return err }},
		{"C_DestroyObject", func(h pkcs11.SessionHandle) error { return p11.DestroyObject(h, obj) }},
		{"C_GetObjectSize", func(h pkcs11.SessionHandle) error { _, err := p11.GetObjectSize(h, obj); return err }},
		{"C_GetAttributeValue", func(h pkcs11.SessionHandle) error {
			_, err := p11.GetAttributeValue(h, obj, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, nil)})
			return err
		}},
		{"C_SetAttributeValue", func(h pkcs11.SessionHandle) error {
			return p11.SetAttributeValue(h, obj, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "y")})
		}},
		{"C_FindObjectsInit", func(h pkcs11.SessionHandle) error { return p11.FindObjectsInit(h, nil) }},
		{"C_FindObjects", func(h pkcs11.SessionHandle) error { _, _, err := p11.FindObjects(h, 10); return err }},
		{"C_FindObjectsFinal", func(h pkcs11.SessionHandle) error { return p11.FindObjectsFinal(h) }},
		{"C_EncryptInit", func(h pkcs11.SessionHandle) error { return p11.EncryptInit(h, mech(pkcs11.CKM_AES_GCM), obj) }},
		{"C_Encrypt", func(h pkcs11.SessionHandle) error { _, err := p11.Encrypt(h, []byte("x")); return err }},
		{"C_DecryptInit", func(h pkcs11.SessionHandle) error { return p11.DecryptInit(h, mech(pkcs11.CKM_AES_GCM), obj) }},
		{"C_Decrypt", func(h pkcs11.SessionHandle) error { _, err := p11.Decrypt(h, []byte("x")); return err }},
		{"C_DigestInit", func(h pkcs11.SessionHandle) error { return p11.DigestInit(h, mech(pkcs11.CKM_SHA256)) }},
		{"C_Digest", func(h pkcs11.SessionHandle) error { _, err := p11.Digest(h, []byte("x")); return err }},
		{"C_DigestUpdate", func(h pkcs11.SessionHandle) error { return p11.DigestUpdate(h, []byte("x")) }},
		{"C_DigestFinal", func(h pkcs11.SessionHandle) error { _, err := p11.DigestFinal(h); return err }},
		{"C_SignInit", func(h pkcs11.SessionHandle) error { return p11.SignInit(h, mech(pkcs11.CKM_ECDSA), obj) }},
		{"C_Sign", func(h pkcs11.SessionHandle) error { _, err := p11.Sign(h, []byte("x")); return err }},
		{"C_SignUpdate", func(h pkcs11.SessionHandle) error { return p11.SignUpdate(h, []byte("x")) }},
		{"C_SignFinal", func(h pkcs11.SessionHandle) error { _, err := p11.SignFinal(h); return err }},
		{"C_VerifyInit", func(h pkcs11.SessionHandle) error { return p11.VerifyInit(h, mech(pkcs11.CKM_ECDSA), obj) }},
		{"C_Verify", func(h pkcs11.SessionHandle) error { return p11.Verify(h, []byte("x"), []byte("y")) }},
		{"C_GenerateKey", func(h pkcs11.SessionHandle) error {
			_, err := p11.GenerateKey(h, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE_LEN, 32)})
			return err
		}},
		{"C_GenerateKeyPair", func(h pkcs11.SessionHandle) error {
			_, _, err := p11.GenerateKeyPair(h, mech(pkcs11.CKM_EC_KEY_PAIR_GEN),
				[]*pkcs11.Attribute{attr(pkcs11.CKA_EC_PARAMS, ecParams(t, curves[0].oid))}, nil)
			return err
		}},
		{"C_GenerateRandom", func(h pkcs11.SessionHandle) error { _, err := p11.GenerateRandom(h, 16); return err }},
		{"C_SeedRandom", func(h pkcs11.SessionHandle) error { return p11.SeedRandom(h, []byte("seed")) }},
	}
	for _, h := range []struct {
		name string
		h    pkcs11.SessionHandle
	}{{"CK_INVALID_HANDLE", 0}, {"never issued", badSession}, {"closed", closed}} {
		for _, c := range calls {
			wantRV(t, c.name+" on a "+h.name+" session", c.call(h.h), pkcs11.CKR_SESSION_HANDLE_INVALID)
		}
	}
	// The good session is untouched by all that.
	if got := sessionState(t, sh); got != pkcs11.CKS_RW_USER_FUNCTIONS {
		t.Errorf("the valid session's state changed to %d", got)
	}
}

func TestInvalidObjectHandle(t *testing.T) {
	_, sh := userSession(t)
	destroyed := create(t, sh, dataTemplate("gone"))
	must(t, "C_DestroyObject", p11.DestroyObject(sh, destroyed))

	for _, h := range []struct {
		name string
		o    pkcs11.ObjectHandle
	}{{"CK_INVALID_HANDLE", 0}, {"never issued", badObject}, {"destroyed", destroyed}} {
		_, err := p11.GetAttributeValue(sh, h.o, []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, nil)})
		wantRV(t, "C_GetAttributeValue on a "+h.name+" object", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
		wantRV(t, "C_SetAttributeValue on a "+h.name+" object",
			p11.SetAttributeValue(sh, h.o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "x")}), pkcs11.CKR_OBJECT_HANDLE_INVALID)
		wantRV(t, "C_DestroyObject on a "+h.name+" object", p11.DestroyObject(sh, h.o), pkcs11.CKR_OBJECT_HANDLE_INVALID)
		_, err = p11.GetObjectSize(sh, h.o)
		wantRV(t, "C_GetObjectSize on a "+h.name+" object", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
		_, err = p11.CopyObject(sh, h.o, nil)
		wantRV(t, "C_CopyObject on a "+h.name+" object", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)

		// Key arguments are CKR_KEY_HANDLE_INVALID.
		wantRV(t, "C_SignInit with a "+h.name+" key", p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), h.o), pkcs11.CKR_KEY_HANDLE_INVALID)
		wantRV(t, "C_VerifyInit with a "+h.name+" key", p11.VerifyInit(sh, mech(pkcs11.CKM_ECDSA), h.o), pkcs11.CKR_KEY_HANDLE_INVALID)
		gcm := pkcs11.NewGCMParams(make([]byte, 12), nil, 128)
		wantRV(t, "C_EncryptInit with a "+h.name+" key",
			p11.EncryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, gcm)}, h.o), pkcs11.CKR_KEY_HANDLE_INVALID)
		wantRV(t, "C_DecryptInit with a "+h.name+" key",
			p11.DecryptInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, gcm)}, h.o), pkcs11.CKR_KEY_HANDLE_INVALID)
		gcm.Free()
	}

	// A data object is no key: using it as one is a key type error.
	d := create(t, sh, dataTemplate("not a key"))
	if rv := rvOf(p11.SignInit(sh, mech(pkcs11.CKM_ECDSA), d)); rv != pkcs11.CKR_KEY_TYPE_INCONSISTENT && rv != pkcs11.CKR_KEY_HANDLE_INVALID {
		t.Errorf("C_SignInit with a data object: got %s, want CKR_KEY_TYPE_INCONSISTENT or CKR_KEY_HANDLE_INVALID", rvName(rv))
	}
}

func TestPINLengthsEverywhere(t *testing.T) {
	fresh(t)
	slot := newToken(t, "pins")
	sh := openRW(t, slot)
	long := strings.Repeat("x", 256)
	huge := strings.Repeat("x", 100000)

	wantRV(t, "C_Login(user) with a 256-byte PIN", p11.Login(sh, pkcs11.CKU_USER, long), pkcs11.CKR_PIN_INCORRECT)
	wantRV(t, "C_Login(user) with a 100000-byte PIN", p11.Login(sh, pkcs11.CKU_USER, huge), pkcs11.CKR_PIN_INCORRECT)
	wantRV(t, "C_Login(SO) with a 256-byte PIN", p11.Login(sh, pkcs11.CKU_SO, long), pkcs11.CKR_PIN_INCORRECT)
	wantRV(t, "C_Login(SO) with pPin NULL", p11.Login(sh, pkcs11.CKU_SO, ""), pkcs11.CKR_ARGUMENTS_BAD)

	// Old PIN of a wrong length: incorrect. New PIN of a wrong length: out
	// of range.
	wantRV(t, "C_SetPIN(public) with a 256-byte old PIN", p11.SetPIN(sh, long, "new-user-pin"), pkcs11.CKR_PIN_INCORRECT)
	wantRV(t, "C_SetPIN(public) to an empty PIN", p11.SetPIN(sh, userPIN, ""), pkcs11.CKR_PIN_LEN_RANGE)
	wantRV(t, "C_SetPIN(public) to a 100000-byte PIN", p11.SetPIN(sh, userPIN, huge), pkcs11.CKR_PIN_LEN_RANGE)

	login(t, sh, pkcs11.CKU_SO, soPIN)
	wantRV(t, "C_InitPIN with a 100000-byte PIN", p11.InitPIN(sh, huge), pkcs11.CKR_PIN_LEN_RANGE)
	wantRV(t, "C_SetPIN(SO) to a 3-byte PIN", p11.SetPIN(sh, soPIN, "abc"), pkcs11.CKR_PIN_LEN_RANGE)
	must(t, "C_Logout", p11.Logout(sh))
	must(t, "C_CloseSession", p11.CloseSession(sh))

	wantRV(t, "C_InitToken with an empty SO PIN", p11.InitToken(freeSlot(t), "", "x"), pkcs11.CKR_PIN_LEN_RANGE)

	// None of it changed a PIN.
	sh = openRW(t, slot)
	login(t, sh, pkcs11.CKU_USER, userPIN)
	must(t, "C_Logout", p11.Logout(sh))
	login(t, sh, pkcs11.CKU_SO, soPIN)
}

// Writes in R/O sessions: token objects and PINs cannot change there.
func TestReadOnlySessionWrites(t *testing.T) {
	slot, rw := userSession(t)
	tok := create(t, rw, dataTemplate("tok", attr(pkcs11.CKA_TOKEN, true)))
	ro := openRO(t, slot)
	if got := sessionState(t, ro); got != pkcs11.CKS_RO_USER_FUNCTIONS {
		t.Fatalf("R/O session state %d, want CKS_RO_USER_FUNCTIONS", got)
	}
	key := bytes.Repeat([]byte{1}, 32)

	_, err := p11.CreateObject(ro, dataTemplate("x", attr(pkcs11.CKA_TOKEN, true)))
	wantRV(t, "C_CreateObject(token) in R/O", err, pkcs11.CKR_SESSION_READ_ONLY)
	_, err = p11.CreateObject(ro, aesTemplate(key, attr(pkcs11.CKA_TOKEN, true)))
	wantRV(t, "C_CreateObject(token key) in R/O", err, pkcs11.CKR_SESSION_READ_ONLY)
	_, err = p11.CopyObject(ro, tok, nil)
	wantRV(t, "C_CopyObject(token object) in R/O", err, pkcs11.CKR_SESSION_READ_ONLY)
	wantRV(t, "C_SetAttributeValue(token object) in R/O",
		p11.SetAttributeValue(ro, tok, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "y")}), pkcs11.CKR_SESSION_READ_ONLY)
	wantRV(t, "C_DestroyObject(token object) in R/O", p11.DestroyObject(ro, tok), pkcs11.CKR_SESSION_READ_ONLY)
	_, err = p11.GenerateKey(ro, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_VALUE_LEN, 32),
	})
	wantRV(t, "C_GenerateKey(token) in R/O", err, pkcs11.CKR_SESSION_READ_ONLY)
	_, _, err = p11.GenerateKeyPair(ro, mech(pkcs11.CKM_EC_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_EC_PARAMS, ecParams(t, curves[0].oid))},
		[]*pkcs11.Attribute{attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_SIGN, true)})
	wantRV(t, "C_GenerateKeyPair(token) in R/O", err, pkcs11.CKR_SESSION_READ_ONLY)
	wantRV(t, "C_SetPIN in R/O", p11.SetPIN(ro, userPIN, "new-user-pin"), pkcs11.CKR_SESSION_READ_ONLY)

	// The token object is untouched; session objects and session keys are
	// fine in R/O sessions.
	if got := string(getAttr(t, ro, tok, pkcs11.CKA_LABEL)); got != "tok" {
		t.Errorf("token object label %q", got)
	}
	_, err = p11.GenerateKey(ro, mech(pkcs11.CKM_AES_KEY_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE_LEN, 32)})
	must(t, "C_GenerateKey(session key) in R/O", err)
	s := create(t, ro, aesTemplate(key))
	must(t, "C_DestroyObject(session object) in R/O", p11.DestroyObject(ro, s))
}

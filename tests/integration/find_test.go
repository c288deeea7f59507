package integration

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestFindObjectsTemplates(t *testing.T) {
	slot, sh := userSession(t)
	key := bytes.Repeat([]byte{5}, 32)

	pubTok := create(t, sh, dataTemplate("alpha", attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_APPLICATION, "app-1")))
	pubSes := create(t, sh, dataTemplate("alpha", attr(pkcs11.CKA_APPLICATION, "app-2")))
	privTok := create(t, sh, privateDataTemplate("beta", attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_APPLICATION, "app-1")))
	aesTok := create(t, sh, aesTemplate(key, attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "aes"), attr(pkcs11.CKA_ID, []byte{1})))
	aesSes := create(t, sh, aesTemplate(key, attr(pkcs11.CKA_LABEL, "aes"), attr(pkcs11.CKA_ID, []byte{2})))
	gen := create(t, sh, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_VALUE, key),
		attr(pkcs11.CKA_LABEL, "hmac"),
		attr(pkcs11.CKA_ID, []byte{1}),
	})
	all := []pkcs11.ObjectHandle{pubTok, pubSes, privTok, aesTok, aesSes, gen}

	cases := []struct {
		name string
		tmpl []*pkcs11.Attribute
		want []pkcs11.ObjectHandle
	}{
		{"empty template", nil, all},
		{"class data", []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA)}, []pkcs11.ObjectHandle{pubTok, pubSes, privTok}},
		{"class secret key", []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY)}, []pkcs11.ObjectHandle{aesTok, aesSes, gen}},
		{"class private key", []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)}, nil},
		{"label alpha", []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "alpha")}, []pkcs11.ObjectHandle{pubTok, pubSes}},
		{"label prefix is not a match", []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "alp")}, nil},
		{"id 01", []*pkcs11.Attribute{attr(pkcs11.CKA_ID, []byte{1})}, []pkcs11.ObjectHandle{aesTok, gen}},
		{"id 02", []*pkcs11.Attribute{attr(pkcs11.CKA_ID, []byte{2})}, []pkcs11.ObjectHandle{aesSes}},
		{"application app-1", []*pkcs11.Attribute{attr(pkcs11.CKA_APPLICATION, "app-1")}, []pkcs11.ObjectHandle{pubTok, privTok}},
		{"key type AES", []*pkcs11.Attribute{attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES)}, []pkcs11.ObjectHandle{aesTok, aesSes}},
		{"key type generic", []*pkcs11.Attribute{attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET)}, []pkcs11.ObjectHandle{gen}},
		{"token true", []*pkcs11.Attribute{attr(pkcs11.CKA_TOKEN, true)}, []pkcs11.ObjectHandle{pubTok, privTok, aesTok}},
		{"token false", []*pkcs11.Attribute{attr(pkcs11.CKA_TOKEN, false)}, []pkcs11.ObjectHandle{pubSes, aesSes, gen}},
		{"private true", []*pkcs11.Attribute{attr(pkcs11.CKA_PRIVATE, true)}, []pkcs11.ObjectHandle{privTok, aesTok, aesSes, gen}},
		{"class + token + label", []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "aes"),
		}, []pkcs11.ObjectHandle{aesTok}},
		{"value-len 32", []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE_LEN, 32)}, []pkcs11.ObjectHandle{aesTok, aesSes, gen}},
		{"unknown attribute type", []*pkcs11.Attribute{attr(pkcs11.CKA_VENDOR_DEFINED|0x4242, []byte{1})}, nil},
		{"attribute of another class", []*pkcs11.Attribute{attr(pkcs11.CKA_MODULUS, []byte{1})}, nil},
	}
	check := func(who string, visible func(pkcs11.ObjectHandle) bool) {
		t.Helper()
		for _, c := range cases {
			var want []pkcs11.ObjectHandle
			for _, o := range c.want {
				if visible(o) {
					want = append(want, o)
				}
			}
			got := findAll(t, sh, c.tmpl)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s, %s: found %v, want %v", who, c.name, got, want)
			}
		}
	}
	check("logged in", func(pkcs11.ObjectHandle) bool { return true })

	// Logged out: only public objects, and the private session objects are
	// gone (destroyed at logout).
	must(t, "C_Logout", p11.Logout(sh))
	check("logged out", func(o pkcs11.ObjectHandle) bool { return o == pubTok || o == pubSes })

	// Another session of the same application sees the same.
	ro := openRO(t, slot)
	got := findAll(t, ro, nil)
	slices.Sort(got)
	want := []pkcs11.ObjectHandle{pubTok, pubSes}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("R/O session, logged out, empty template: found %v, want %v", got, want)
	}
}

func TestFindObjectsChunks(t *testing.T) {
	_, sh := userSession(t)
	const n = 25
	made := map[pkcs11.ObjectHandle]bool{}
	for i := 0; i < n; i++ {
		made[create(t, sh, dataTemplate("chunk", attr(pkcs11.CKA_VALUE, fmt.Sprint(i))))] = true
	}
	create(t, sh, dataTemplate("not a chunk"))

	must(t, "C_FindObjectsInit", p11.FindObjectsInit(sh, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "chunk")}))
	seen := map[pkcs11.ObjectHandle]bool{}
	var sizes []int
	for _, max := range []int{1, 10, 10, 10, 10} {
		hs, _, err := p11.FindObjects(sh, max)
		must(t, "C_FindObjects", err)
		sizes = append(sizes, len(hs))
		for _, h := range hs {
			if !made[h] {
				t.Errorf("C_FindObjects returned %d, not one of the objects", h)
			}
			if seen[h] {
				t.Errorf("C_FindObjects returned %d twice", h)
			}
			seen[h] = true
		}
	}
	must(t, "C_FindObjectsFinal", p11.FindObjectsFinal(sh))
	if want := []int{1, 10, 10, 4, 0}; !slices.Equal(sizes, want) {
		t.Errorf("C_FindObjects chunk sizes %v, want %v", sizes, want)
	}
	if len(seen) != n {
		t.Errorf("found %d objects, want %d", len(seen), n)
	}
}

func TestFindObjectsOperationState(t *testing.T) {
	slot, sh := userSession(t)

	_, _, err := p11.FindObjects(sh, 10)
	wantRV(t, "C_FindObjects without C_FindObjectsInit", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	wantRV(t, "C_FindObjectsFinal without C_FindObjectsInit", p11.FindObjectsFinal(sh), pkcs11.CKR_OPERATION_NOT_INITIALIZED)

	must(t, "C_FindObjectsInit", p11.FindObjectsInit(sh, nil))
	wantRV(t, "C_FindObjectsInit twice", p11.FindObjectsInit(sh, nil), pkcs11.CKR_OPERATION_ACTIVE)
	// A search in one session does not block another session.
	other := openRO(t, slot)
	must(t, "C_FindObjectsInit in another session", p11.FindObjectsInit(other, nil))
	must(t, "C_FindObjectsFinal in another session", p11.FindObjectsFinal(other))

	must(t, "C_FindObjectsFinal", p11.FindObjectsFinal(sh))
	_, _, err = p11.FindObjects(sh, 10)
	wantRV(t, "C_FindObjects after C_FindObjectsFinal", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	wantRV(t, "C_FindObjectsFinal twice", p11.FindObjectsFinal(sh), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	must(t, "C_FindObjectsInit after C_FindObjectsFinal", p11.FindObjectsInit(sh, nil))
	must(t, "C_FindObjectsFinal", p11.FindObjectsFinal(sh))
}

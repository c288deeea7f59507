package integration

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/miekg/pkcs11"
)

// miekg's GetAttributeValue always makes the two calls of the length
// convention: first with every pValue NULL (the lengths come back in
// ulValueLen), then with buffers of those lengths. So every successful read
// here also checks the length query. If the first call fails, miekg returns
// the error and no values (per-attribute results are checked from C).

func TestGetAttributeValueLengths(t *testing.T) {
	_, sh := userSession(t)
	value := bytes.Repeat([]byte("v"), 1000)
	o := create(t, sh, dataTemplate("lengths", attr(pkcs11.CKA_VALUE, value)))

	got, err := p11.GetAttributeValue(sh, o, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, nil),
		attr(pkcs11.CKA_TOKEN, nil),
		attr(pkcs11.CKA_LABEL, nil),
		attr(pkcs11.CKA_VALUE, nil),
		attr(pkcs11.CKA_APPLICATION, nil), // empty by default
		attr(pkcs11.CKA_OBJECT_ID, nil),   // empty by default
	})
	must(t, "C_GetAttributeValue", err)
	wantLens := []int{8, 1, len("lengths"), len(value), 0, 0}
	for i, w := range wantLens {
		if len(got[i].Value) != w {
			t.Errorf("attribute 0x%x: %d bytes, want %d", got[i].Type, len(got[i].Value), w)
		}
	}
	if !bytes.Equal(got[3].Value, value) {
		t.Errorf("CKA_VALUE differs")
	}
}

func TestGetAttributeValueSensitive(t *testing.T) {
	_, sh := userSession(t)
	key := bytes.Repeat([]byte{9}, 32)

	sensitive := create(t, sh, aesTemplate(key, attr(pkcs11.CKA_SENSITIVE, true), attr(pkcs11.CKA_EXTRACTABLE, true)))
	unextractable := create(t, sh, aesTemplate(key, attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, false)))
	open := create(t, sh, aesTemplate(key, attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true)))

	// CKA_VALUE of a key with CKA_SENSITIVE true or CKA_EXTRACTABLE false
	// cannot be revealed (footnote 7 of the key tables).
	for _, c := range []struct {
		name string
		o    pkcs11.ObjectHandle
	}{{"sensitive", sensitive}, {"unextractable", unextractable}} {
		_, err := p11.GetAttributeValue(sh, c.o, []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE, nil)})
		wantRV(t, "C_GetAttributeValue(CKA_VALUE) of a "+c.name+" key", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)
		// With readable attributes in the same call the answer is the same.
		_, err = p11.GetAttributeValue(sh, c.o, []*pkcs11.Attribute{
			attr(pkcs11.CKA_LABEL, nil), attr(pkcs11.CKA_VALUE, nil), attr(pkcs11.CKA_VALUE_LEN, nil),
		})
		wantRV(t, "C_GetAttributeValue(LABEL, VALUE, VALUE_LEN) of a "+c.name+" key", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)
		// The non-secret attributes stay readable.
		if got := getULong(t, sh, c.o, pkcs11.CKA_VALUE_LEN); got != 32 {
			t.Errorf("%s key: CKA_VALUE_LEN = %d", c.name, got)
		}
		if got := getAttr(t, sh, c.o, pkcs11.CKA_CHECK_VALUE); !bytes.Equal(got, aesCheckValue(t, key)) {
			t.Errorf("%s key: CKA_CHECK_VALUE = %x", c.name, got)
		}
	}
	if got := getAttr(t, sh, open, pkcs11.CKA_VALUE); !bytes.Equal(got, key) {
		t.Errorf("non-sensitive extractable key: CKA_VALUE = %x, want %x", got, key)
	}

	// RSA private key components.
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, "rsa.GenerateKey", err)
	rsaPriv := create(t, sh, rsaPrivateTemplate(rk, attr(pkcs11.CKA_SENSITIVE, true)))
	for _, typ := range []uint{pkcs11.CKA_PRIVATE_EXPONENT, pkcs11.CKA_PRIME_1, pkcs11.CKA_PRIME_2,
		pkcs11.CKA_EXPONENT_1, pkcs11.CKA_EXPONENT_2, pkcs11.CKA_COEFFICIENT} {
		_, err := p11.GetAttributeValue(sh, rsaPriv, []*pkcs11.Attribute{attr(typ, nil)})
		wantRV(t, "C_GetAttributeValue of a sensitive RSA key's secret component", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)
	}
	if got := getAttr(t, sh, rsaPriv, pkcs11.CKA_MODULUS); !bytes.Equal(got, rk.N.Bytes()) {
		t.Errorf("sensitive RSA key: CKA_MODULUS not readable as given")
	}
}

func TestGetAttributeValueTypeInvalid(t *testing.T) {
	_, sh := userSession(t)
	k := create(t, sh, aesTemplate(bytes.Repeat([]byte{1}, 16), attr(pkcs11.CKA_EXTRACTABLE, true)))
	d := create(t, sh, dataTemplate("d"))

	_, err := p11.GetAttributeValue(sh, k, []*pkcs11.Attribute{attr(pkcs11.CKA_MODULUS, nil)})
	wantRV(t, "C_GetAttributeValue(CKA_MODULUS) of an AES key", err, pkcs11.CKR_ATTRIBUTE_TYPE_INVALID)
	_, err = p11.GetAttributeValue(sh, d, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, nil), attr(pkcs11.CKA_KEY_TYPE, nil)})
	wantRV(t, "C_GetAttributeValue(CKA_LABEL, CKA_KEY_TYPE) of a data object", err, pkcs11.CKR_ATTRIBUTE_TYPE_INVALID)
	_, err = p11.GetAttributeValue(sh, d, []*pkcs11.Attribute{attr(pkcs11.CKA_VENDOR_DEFINED|0x4242, nil)})
	wantRV(t, "C_GetAttributeValue(vendor attribute)", err, pkcs11.CKR_ATTRIBUTE_TYPE_INVALID)
}

func TestSetAttributeValue(t *testing.T) {
	slot, sh := userSession(t)
	o := create(t, sh, aesTemplate(bytes.Repeat([]byte{2}, 32),
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "old label")))

	must(t, "C_SetAttributeValue(CKA_LABEL)", p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "new label")}))
	if got := string(getAttr(t, sh, o, pkcs11.CKA_LABEL)); got != "new label" {
		t.Errorf("CKA_LABEL = %q after set", got)
	}
	must(t, "C_SetAttributeValue(CKA_ID, CKA_ENCRYPT)", p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{
		attr(pkcs11.CKA_ID, []byte{0xca, 0xfe}), attr(pkcs11.CKA_ENCRYPT, false),
	}))

	// Read-only attributes (PKCS#11 3.0 section 4.1.1 rule 3 and the
	// footnotes of the object tables: only attributes marked 8 change).
	for _, c := range []struct {
		name string
		a    *pkcs11.Attribute
	}{
		{"CKA_CLASS", attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA)},
		{"CKA_KEY_TYPE", attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET)},
		{"CKA_LOCAL", attr(pkcs11.CKA_LOCAL, true)},
		{"CKA_VALUE", attr(pkcs11.CKA_VALUE, bytes.Repeat([]byte{3}, 32))},
		{"CKA_VALUE_LEN", attr(pkcs11.CKA_VALUE_LEN, 16)},
		{"CKA_KEY_GEN_MECHANISM", attr(pkcs11.CKA_KEY_GEN_MECHANISM, pkcs11.CKM_AES_KEY_GEN)},
		{"CKA_ALWAYS_SENSITIVE", attr(pkcs11.CKA_ALWAYS_SENSITIVE, true)},
		{"CKA_NEVER_EXTRACTABLE", attr(pkcs11.CKA_NEVER_EXTRACTABLE, true)},
		// CKA_TOKEN, CKA_PRIVATE and CKA_MODIFIABLE change only in a copy.
		{"CKA_TOKEN", attr(pkcs11.CKA_TOKEN, false)},
		{"CKA_PRIVATE", attr(pkcs11.CKA_PRIVATE, false)},
	} {
		wantRV(t, "C_SetAttributeValue("+c.name+")", p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{c.a}), pkcs11.CKR_ATTRIBUTE_READ_ONLY)
	}
	// A refused template changes nothing, not even its valid entries.
	wantRV(t, "C_SetAttributeValue(CKA_LABEL, CKA_CLASS)", p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{
		attr(pkcs11.CKA_LABEL, "half-written"), attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
	}), pkcs11.CKR_ATTRIBUTE_READ_ONLY)
	if got := string(getAttr(t, sh, o, pkcs11.CKA_LABEL)); got != "new label" {
		t.Errorf("a refused C_SetAttributeValue changed CKA_LABEL to %q", got)
	}
	wantRV(t, "C_SetAttributeValue(attribute invalid for the class)",
		p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_MODULUS, []byte{1})}), pkcs11.CKR_ATTRIBUTE_TYPE_INVALID)

	// Token objects change only in R/W sessions.
	ro := openRO(t, slot)
	wantRV(t, "C_SetAttributeValue(token object) in a R/O session",
		p11.SetAttributeValue(ro, o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "ro")}), pkcs11.CKR_SESSION_READ_ONLY)
	// Session objects may change in R/O sessions.
	so := create(t, ro, dataTemplate("session"))
	must(t, "C_SetAttributeValue(session object) in a R/O session",
		p11.SetAttributeValue(ro, so, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "changed")}))

	// The change is stored.
	reinit(t)
	sh = openRW(t, slot)
	login(t, sh, pkcs11.CKU_USER, userPIN)
	o = findOne(t, sh, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "new label")})
	if got := getAttr(t, sh, o, pkcs11.CKA_ID); !bytes.Equal(got, []byte{0xca, 0xfe}) {
		t.Errorf("CKA_ID after restart = %x, want cafe", got)
	}
	if getBool(t, sh, o, pkcs11.CKA_ENCRYPT) {
		t.Errorf("CKA_ENCRYPT after restart = true, want false")
	}
}

func TestSetAttributeValueNotModifiable(t *testing.T) {
	_, sh := userSession(t)
	o := create(t, sh, dataTemplate("frozen", attr(pkcs11.CKA_MODIFIABLE, false)))
	wantRV(t, "C_SetAttributeValue with CKA_MODIFIABLE false",
		p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_LABEL, "thawed")}), pkcs11.CKR_ACTION_PROHIBITED)
	if got := string(getAttr(t, sh, o, pkcs11.CKA_LABEL)); got != "frozen" {
		t.Errorf("CKA_LABEL = %q", got)
	}
	// CKA_MODIFIABLE does not stop destruction.
	must(t, "C_DestroyObject(unmodifiable)", p11.DestroyObject(sh, o))
}

// CKA_SENSITIVE may only become true, CKA_EXTRACTABLE only false
// (footnote 11 and 12 of the key tables).
func TestSensitiveExtractableOneWay(t *testing.T) {
	_, sh := userSession(t)
	o := create(t, sh, aesTemplate(bytes.Repeat([]byte{4}, 32),
		attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true)))

	must(t, "C_SetAttributeValue(CKA_SENSITIVE false->true)",
		p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_SENSITIVE, true)}))
	wantRV(t, "C_SetAttributeValue(CKA_SENSITIVE true->false)",
		p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_SENSITIVE, false)}), pkcs11.CKR_ATTRIBUTE_READ_ONLY)
	if !getBool(t, sh, o, pkcs11.CKA_SENSITIVE) {
		t.Errorf("CKA_SENSITIVE went back to false")
	}
	if getBool(t, sh, o, pkcs11.CKA_ALWAYS_SENSITIVE) {
		t.Errorf("CKA_ALWAYS_SENSITIVE true for a key that was not always sensitive")
	}

	must(t, "C_SetAttributeValue(CKA_EXTRACTABLE true->false)",
		p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_EXTRACTABLE, false)}))
	wantRV(t, "C_SetAttributeValue(CKA_EXTRACTABLE false->true)",
		p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_EXTRACTABLE, true)}), pkcs11.CKR_ATTRIBUTE_READ_ONLY)
	if getBool(t, sh, o, pkcs11.CKA_EXTRACTABLE) {
		t.Errorf("CKA_EXTRACTABLE went back to true")
	}
	if getBool(t, sh, o, pkcs11.CKA_NEVER_EXTRACTABLE) {
		t.Errorf("CKA_NEVER_EXTRACTABLE true for a key that was extractable")
	}
	_, err := p11.GetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE, nil)})
	wantRV(t, "C_GetAttributeValue(CKA_VALUE) after CKA_SENSITIVE became true", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)

	// Setting the value it already has is not a change.
	must(t, "C_SetAttributeValue(CKA_SENSITIVE true->true)",
		p11.SetAttributeValue(sh, o, []*pkcs11.Attribute{attr(pkcs11.CKA_SENSITIVE, true)}))
}

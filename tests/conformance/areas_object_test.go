package conformance

import (
	"bytes"
	"fmt"

	"github.com/miekg/pkcs11"
)

// Object templates.

func dataObj(token, private bool, label string) []*pkcs11.Attribute {
	return tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_DATA, pkcs11.CKA_TOKEN, token, pkcs11.CKA_PRIVATE, private,
		pkcs11.CKA_LABEL, label, pkcs11.CKA_VALUE, []byte("data of "+label))
}

var aesValue = []byte("0123456789abcdef")

func aesObj(extra ...any) []*pkcs11.Attribute {
	t := tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES,
		pkcs11.CKA_TOKEN, false, pkcs11.CKA_VALUE, aesValue)
	return append(t, tmpl(extra...)...)
}

func objectCases() []tcase {
	cs := []tcase{
		{name: "CreateDataObjectReadOnlySession", run: func(x *X) {
			sh := x.ro()
			o, err := x.p.CreateObject(sh, dataObj(false, false, "ro-session"))
			if x.ok("C_CreateObject(session object, R/O)", err) {
				x.eq("CKA_VALUE", x.mustGet(sh, o, pkcs11.CKA_VALUE), []byte("data of ro-session"))
			}
		}},
		{name: "CreateTokenObjectReadOnlySession", run: func(x *X) {
			sh := x.ro()
			x.must("C_Login", x.p.Login(sh, pkcs11.CKU_USER, userPIN))
			_, err := x.p.CreateObject(sh, dataObj(true, false, "ro-token"))
			x.rv("C_CreateObject(token object, R/O)", err, pkcs11.CKR_SESSION_READ_ONLY)
		}},
		{name: "CreatePrivateNotLoggedIn", run: func(x *X) {
			_, err := x.p.CreateObject(x.rw(), dataObj(false, true, "private"))
			x.rv("C_CreateObject(private, public session)", err, pkcs11.CKR_USER_NOT_LOGGED_IN)
		}},
		{name: "CreateNoClass", run: func(x *X) {
			_, err := x.p.CreateObject(x.user(), tmpl(pkcs11.CKA_LABEL, "x"))
			x.rv("C_CreateObject(no CKA_CLASS)", err, pkcs11.CKR_TEMPLATE_INCOMPLETE)
		}},
		{name: "CreateBadBoolLength", run: func(x *X) {
			_, err := x.p.CreateObject(x.user(), tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_DATA, pkcs11.CKA_TOKEN, []byte{0, 0, 0, 0}))
			x.rv("C_CreateObject(4-byte CKA_TOKEN)", err, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID)
		}},
		{name: "CreateSecretNoValue", run: func(x *X) {
			_, err := x.p.CreateObject(x.user(), tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES))
			x.rv("C_CreateObject(AES key without CKA_VALUE)", err, pkcs11.CKR_TEMPLATE_INCOMPLETE)
		}},
		{name: "CreateSecretNoKeyType", run: func(x *X) {
			_, err := x.p.CreateObject(x.user(), tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_VALUE, aesValue))
			x.rv("C_CreateObject(secret key without CKA_KEY_TYPE)", err, pkcs11.CKR_TEMPLATE_INCOMPLETE)
		}},
		{name: "CreateAESBadLength", run: func(x *X) {
			_, err := x.p.CreateObject(x.user(), tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES,
				pkcs11.CKA_VALUE, make([]byte, 15)))
			x.rv("C_CreateObject(15-byte AES key)", err, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID)
		}},
		{name: "CreateWithLocal", run: func(x *X) {
			_, err := x.p.CreateObject(x.user(), aesObj(pkcs11.CKA_LOCAL, true))
			x.rv("C_CreateObject(CKA_LOCAL true)", err, pkcs11.CKR_ATTRIBUTE_READ_ONLY)
		}},
		{name: "CreateAESValueLen", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, aesObj())
			x.eq("CKA_VALUE_LEN", x.getULong(sh, o, pkcs11.CKA_VALUE_LEN), uint(16))
			x.eq("CKA_LOCAL", x.getBool(sh, o, pkcs11.CKA_LOCAL), false)
			x.eq("CKA_ALWAYS_SENSITIVE", x.getBool(sh, o, pkcs11.CKA_ALWAYS_SENSITIVE), false)
			x.eq("CKA_NEVER_EXTRACTABLE", x.getBool(sh, o, pkcs11.CKA_NEVER_EXTRACTABLE), false)
		}},
		{name: "DestroyObject", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, dataObj(false, false, "destroy"))
			x.ok("C_DestroyObject", x.p.DestroyObject(sh, o))
			_, err := x.get(sh, o, pkcs11.CKA_LABEL)
			x.rv("C_GetAttributeValue after destroy", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
			x.rv("second C_DestroyObject", x.p.DestroyObject(sh, o), pkcs11.CKR_OBJECT_HANDLE_INVALID)
		}},
		{name: "DestroyInvalidHandle", run: func(x *X) {
			x.rv("C_DestroyObject", x.p.DestroyObject(x.user(), badObject), pkcs11.CKR_OBJECT_HANDLE_INVALID)
		}},
		{name: "DestroyTokenObjectReadOnly", run: func(x *X) {
			w := x.user()
			o := x.create(w, dataObj(true, false, "destroy-ro"))
			x.rv("C_DestroyObject(token object, R/O)", x.p.DestroyObject(x.ro(), o), pkcs11.CKR_SESSION_READ_ONLY)
			x.must("cleanup", x.p.DestroyObject(w, o))
		}},
		{name: "DestroyNotDestroyable", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, append(dataObj(false, false, "keep"), at(pkcs11.CKA_DESTROYABLE, false)))
			x.rv("C_DestroyObject(CKA_DESTROYABLE false)", x.p.DestroyObject(sh, o), pkcs11.CKR_ACTION_PROHIBITED)
		}},
		{name: "SessionObjectSharedAndClosed", run: func(x *X) {
			a := x.user()
			b := x.ro()
			o := x.create(a, dataObj(false, false, "shared"))
			x.eq("label read through another session", string(x.mustGet(b, o, pkcs11.CKA_LABEL)), "shared")
			x.must("C_CloseSession", x.p.CloseSession(a))
			_, err := x.get(b, o, pkcs11.CKA_LABEL)
			x.rv("C_GetAttributeValue after its session closed", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
		}},
		{name: "TokenObjectPersists", run: func(x *X) {
			sh := x.user()
			x.create(sh, dataObj(true, false, "persist"))
			x.must("C_Finalize", x.p.Finalize())
			x.must("C_Initialize", x.p.Initialize())
			slot, err := x.m.findSlot()
			x.must("finding the token", err)
			x.slot = slot
			sh = x.user()
			hs := x.findAll(sh, tmpl(pkcs11.CKA_LABEL, "persist"))
			if x.eq("found after C_Finalize/C_Initialize", len(hs), 1) {
				x.must("cleanup", x.p.DestroyObject(sh, hs[0]))
			}
		}},
		{name: "PrivateObjectInvisibleBeforeLogin", run: func(x *X) {
			w := x.user()
			o := x.create(w, dataObj(true, true, "secret-data"))
			x.must("C_Logout", x.p.Logout(w))
			r := x.ro()
			x.eq("found before login", len(x.findAll(r, tmpl(pkcs11.CKA_LABEL, "secret-data"))), 0)
			_, err := x.get(r, o, pkcs11.CKA_LABEL)
			x.rv("C_GetAttributeValue before login", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
			x.must("C_Login", x.p.Login(r, pkcs11.CKU_USER, userPIN))
			hs := x.findAll(r, tmpl(pkcs11.CKA_LABEL, "secret-data"))
			if x.eq("found after login", len(hs), 1) {
				x.must("cleanup", x.p.DestroyObject(w, hs[0]))
			}
		}},
		{name: "CopyObject", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, dataObj(false, false, "original"))
			c, err := x.p.CopyObject(sh, o, tmpl(pkcs11.CKA_LABEL, "copy"))
			if x.ok("C_CopyObject", err) {
				x.eq("copy's label", string(x.mustGet(sh, c, pkcs11.CKA_LABEL)), "copy")
				x.eq("copy's value", x.mustGet(sh, c, pkcs11.CKA_VALUE), []byte("data of original"))
				x.eq("original's label", string(x.mustGet(sh, o, pkcs11.CKA_LABEL)), "original")
			}
		}},
		{name: "CopyToTokenReadOnly", run: func(x *X) {
			r := x.ro()
			x.must("C_Login", x.p.Login(r, pkcs11.CKU_USER, userPIN))
			o := x.create(r, dataObj(false, false, "c"))
			_, err := x.p.CopyObject(r, o, tmpl(pkcs11.CKA_TOKEN, true))
			x.rv("C_CopyObject(CKA_TOKEN true, R/O)", err, pkcs11.CKR_SESSION_READ_ONLY)
		}},
		{name: "CopyChangeClass", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, dataObj(false, false, "c"))
			_, err := x.p.CopyObject(sh, o, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY))
			x.rv("C_CopyObject(CKA_CLASS)", err, pkcs11.CKR_ATTRIBUTE_READ_ONLY)
		}},
		{name: "CopyNotCopyable", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, append(dataObj(false, false, "c"), at(pkcs11.CKA_COPYABLE, false)))
			_, err := x.p.CopyObject(sh, o, tmpl(pkcs11.CKA_LABEL, "copy"))
			x.rv("C_CopyObject(CKA_COPYABLE false)", err, pkcs11.CKR_ACTION_PROHIBITED)
		}},
		{name: "CopySensitiveToFalse", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, aesObj(pkcs11.CKA_SENSITIVE, true))
			_, err := x.p.CopyObject(sh, o, tmpl(pkcs11.CKA_SENSITIVE, false))
			x.rv("C_CopyObject(CKA_SENSITIVE false)", err, pkcs11.CKR_ATTRIBUTE_READ_ONLY)
		}},
		{name: "CopyInvalidHandle", run: func(x *X) {
			_, err := x.p.CopyObject(x.user(), badObject, tmpl(pkcs11.CKA_LABEL, "copy"))
			x.rv("C_CopyObject", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
		}},
		{name: "GetObjectSize", run: func(x *X) {
			sh := x.user()
			_, err := x.p.GetObjectSize(sh, x.create(sh, dataObj(false, false, "size")))
			x.ok("C_GetObjectSize", err)
			_, err = x.p.GetObjectSize(sh, badObject)
			x.rv("C_GetObjectSize(bad handle)", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
		}},
		{name: "SOCannotCreatePrivate", run: func(x *X) {
			_, err := x.p.CreateObject(x.so(), dataObj(false, true, "so-private"))
			x.rv("C_CreateObject(private, SO)", err, pkcs11.CKR_USER_NOT_LOGGED_IN)
		}},
	}
	// Each object class can be created with its least template.
	for _, c := range []struct {
		name string
		t    []*pkcs11.Attribute
	}{
		{"Data", tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_DATA)},
		{"AES", aesObj()},
		{"GenericSecret", tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET, pkcs11.CKA_VALUE, []byte("secret"))},
		{"DES3", tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_DES3, pkcs11.CKA_VALUE, des3Value)},
		{"RSAPublic", rsaPublicTemplate(false)},
		{"RSAPrivate", rsaPrivateTemplate(false)},
		{"ECPublic", ecPublicTemplate(false)},
		{"ECPrivate", ecPrivateTemplate(false)},
	} {
		cs = append(cs, tcase{name: "CreateClass/" + c.name, run: func(x *X) {
			sh := x.user()
			o, err := x.p.CreateObject(sh, c.t)
			if x.ok("C_CreateObject", err) {
				x.eq("CKA_CLASS", x.getULong(sh, o, pkcs11.CKA_CLASS), classOf(c.t))
				x.ok("C_DestroyObject", x.p.DestroyObject(sh, o))
			}
		}})
	}
	return cs
}

func classOf(t []*pkcs11.Attribute) uint {
	for _, a := range t {
		if a.Type == pkcs11.CKA_CLASS {
			return uint(a.Value[0]) // small class numbers, little-endian
		}
	}
	return ^uint(0)
}

func findCases() []tcase {
	// populate creates four public session data objects and two secret keys.
	populate := func(x *X, sh pkcs11.SessionHandle) {
		x.Helper()
		for i := 0; i < 4; i++ {
			x.create(sh, append(dataObj(false, false, fmt.Sprintf("find-%d", i)), at(pkcs11.CKA_APPLICATION, "conf")))
		}
		x.create(sh, aesObj(pkcs11.CKA_LABEL, "find-key", pkcs11.CKA_ID, []byte{1}))
		x.create(sh, aesObj(pkcs11.CKA_LABEL, "find-key", pkcs11.CKA_ID, []byte{2}))
	}
	return []tcase{
		{name: "ByClass", run: func(x *X) {
			sh := x.user()
			populate(x, sh)
			x.eq("data objects", len(x.findAll(sh, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_DATA, pkcs11.CKA_APPLICATION, "conf"))), 4)
			x.eq("secret keys", len(x.findAll(sh, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY))), 2)
		}},
		{name: "ByLabelAndID", run: func(x *X) {
			sh := x.user()
			populate(x, sh)
			x.eq("label find-2", len(x.findAll(sh, tmpl(pkcs11.CKA_LABEL, "find-2"))), 1)
			x.eq("label find-key", len(x.findAll(sh, tmpl(pkcs11.CKA_LABEL, "find-key"))), 2)
			x.eq("label and id", len(x.findAll(sh, tmpl(pkcs11.CKA_LABEL, "find-key", pkcs11.CKA_ID, []byte{2}))), 1)
			x.eq("no such label", len(x.findAll(sh, tmpl(pkcs11.CKA_LABEL, "none"))), 0)
		}},
		{name: "EmptyTemplateFindsAll", run: func(x *X) {
			sh := x.user()
			populate(x, sh)
			x.eq("all objects", len(x.findAll(sh, nil)), 6)
		}},
		{name: "ByTokenFalse", run: func(x *X) {
			sh := x.user()
			populate(x, sh)
			t := x.create(sh, dataObj(true, false, "find-token"))
			x.eq("session objects", len(x.findAll(sh, tmpl(pkcs11.CKA_TOKEN, false))), 6)
			x.eq("token objects", len(x.findAll(sh, tmpl(pkcs11.CKA_TOKEN, true))), 1)
			x.must("cleanup", x.p.DestroyObject(sh, t))
		}},
		{name: "Paging", run: func(x *X) {
			sh := x.user()
			populate(x, sh)
			x.must("C_FindObjectsInit", x.p.FindObjectsInit(sh, nil))
			n := 0
			for i := 0; i < 10; i++ {
				hs, _, err := x.p.FindObjects(sh, 1)
				x.must("C_FindObjects", err)
				if len(hs) > 1 {
					x.Errorf("C_FindObjects(max 1) returned %d", len(hs))
				}
				n += len(hs)
			}
			x.eq("objects in pages of one", n, 6)
			x.ok("C_FindObjectsFinal", x.p.FindObjectsFinal(sh))
		}},
		{name: "FindWithoutInit", run: func(x *X) {
			_, _, err := x.p.FindObjects(x.user(), 1)
			x.rv("C_FindObjects", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		{name: "FinalWithoutInit", run: func(x *X) {
			x.rv("C_FindObjectsFinal", x.p.FindObjectsFinal(x.user()), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		{name: "InitTwice", run: func(x *X) {
			sh := x.user()
			x.must("C_FindObjectsInit", x.p.FindObjectsInit(sh, nil))
			x.rv("second C_FindObjectsInit", x.p.FindObjectsInit(sh, nil), pkcs11.CKR_OPERATION_ACTIVE)
			x.must("C_FindObjectsFinal", x.p.FindObjectsFinal(sh))
		}},
		{name: "FindAfterFinal", run: func(x *X) {
			sh := x.user()
			x.must("C_FindObjectsInit", x.p.FindObjectsInit(sh, nil))
			x.must("C_FindObjectsFinal", x.p.FindObjectsFinal(sh))
			_, _, err := x.p.FindObjects(sh, 1)
			x.rv("C_FindObjects after Final", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
			x.ok("C_FindObjectsInit after Final", x.p.FindObjectsInit(sh, nil))
			x.must("C_FindObjectsFinal", x.p.FindObjectsFinal(sh))
		}},
		{name: "TwoSessionsAtOnce", run: func(x *X) {
			a := x.user()
			b := x.ro()
			populate(x, a)
			x.must("C_FindObjectsInit(a)", x.p.FindObjectsInit(a, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_DATA, pkcs11.CKA_APPLICATION, "conf")))
			x.must("C_FindObjectsInit(b)", x.p.FindObjectsInit(b, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY)))
			ha, _, err := x.p.FindObjects(a, 10)
			x.must("C_FindObjects(a)", err)
			hb, _, err := x.p.FindObjects(b, 10)
			x.must("C_FindObjects(b)", err)
			x.eq("found in a", len(ha), 4)
			x.eq("found in b", len(hb), 2)
			x.must("C_FindObjectsFinal(a)", x.p.FindObjectsFinal(a))
			x.must("C_FindObjectsFinal(b)", x.p.FindObjectsFinal(b))
		}},
		{name: "UnknownAttributeMatchesNothing", run: func(x *X) {
			sh := x.user()
			populate(x, sh)
			// A vendor-defined type no module knows (CKA_VENDOR_DEFINED
			// | 0x1234; bit 30, CKF_ARRAY_ATTRIBUTE, clear).
			err := x.p.FindObjectsInit(sh, tmpl(uint(0x80001234), []byte{1}))
			if !x.proceed("C_FindObjectsInit(unknown attribute type)", err) {
				return
			}
			hs, _, err := x.p.FindObjects(sh, 10)
			x.must("C_FindObjects", err)
			x.eq("found", len(hs), 0)
			x.must("C_FindObjectsFinal", x.p.FindObjectsFinal(sh))
		}},
		{name: "ArrayAttributeNotAnArray", run: func(x *X) {
			sh := x.user()
			populate(x, sh)
			// 0x7ffffff0 has CKF_ARRAY_ATTRIBUTE (bit 30) set, so its
			// value must be an array of CK_ATTRIBUTE; one byte is not.
			err := x.p.FindObjectsInit(sh, tmpl(uint(0x7ffffff0), []byte{1}))
			if !x.proceed("C_FindObjectsInit(array attribute, 1-byte value)", err) {
				return
			}
			hs, _, err := x.p.FindObjects(sh, 10)
			x.must("C_FindObjects", err)
			x.eq("found", len(hs), 0)
			x.must("C_FindObjectsFinal", x.p.FindObjectsFinal(sh))
		}},
		{name: "ValueMismatchLength", run: func(x *X) {
			sh := x.user()
			populate(x, sh)
			x.eq("label with a trailing byte", len(x.findAll(sh, tmpl(pkcs11.CKA_LABEL, "find-1\x00"))), 0)
		}},
		{name: "InvalidSession", run: func(x *X) {
			x.rv("C_FindObjectsInit", x.p.FindObjectsInit(badSession, nil), pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "PrivateHiddenFromPublicSession", run: func(x *X) {
			w := x.user()
			o := x.create(w, dataObj(true, true, "find-private"))
			x.must("C_Logout", x.p.Logout(w))
			x.eq("found", len(x.findAll(w, tmpl(pkcs11.CKA_LABEL, "find-private"))), 0)
			x.must("C_Login", x.p.Login(w, pkcs11.CKU_USER, userPIN))
			hs := x.findAll(w, tmpl(pkcs11.CKA_LABEL, "find-private"))
			if x.eq("found after login", len(hs), 1) {
				x.must("cleanup", x.p.DestroyObject(w, hs[0]))
			}
			_ = o
		}},
	}
}

func attributeCases() []tcase {
	setRO := func(name string, t func() []*pkcs11.Attribute, set []*pkcs11.Attribute, want uint) tcase {
		return tcase{name: "Set/" + name, run: func(x *X) {
			sh := x.user()
			o := x.create(sh, t())
			x.rv("C_SetAttributeValue", x.p.SetAttributeValue(sh, o, set), want)
		}}
	}
	cs := []tcase{
		setRO("LabelOnData", func() []*pkcs11.Attribute { return dataObj(false, false, "a") }, tmpl(pkcs11.CKA_LABEL, "b"), pkcs11.CKR_OK),
		setRO("ClassReadOnly", func() []*pkcs11.Attribute { return dataObj(false, false, "a") }, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), pkcs11.CKR_ATTRIBUTE_READ_ONLY),
		setRO("TokenReadOnly", func() []*pkcs11.Attribute { return dataObj(false, false, "a") }, tmpl(pkcs11.CKA_TOKEN, true), pkcs11.CKR_ATTRIBUTE_READ_ONLY),
		setRO("PrivateReadOnly", func() []*pkcs11.Attribute { return dataObj(false, false, "a") }, tmpl(pkcs11.CKA_PRIVATE, true), pkcs11.CKR_ATTRIBUTE_READ_ONLY),
		setRO("KeyTypeReadOnly", func() []*pkcs11.Attribute { return aesObj() }, tmpl(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_DES3), pkcs11.CKR_ATTRIBUTE_READ_ONLY),
		setRO("SensitiveTrueToFalse", func() []*pkcs11.Attribute { return aesObj(pkcs11.CKA_SENSITIVE, true) }, tmpl(pkcs11.CKA_SENSITIVE, false), pkcs11.CKR_ATTRIBUTE_READ_ONLY),
		setRO("SensitiveFalseToTrue", func() []*pkcs11.Attribute { return aesObj(pkcs11.CKA_SENSITIVE, false) }, tmpl(pkcs11.CKA_SENSITIVE, true), pkcs11.CKR_OK),
		setRO("ExtractableFalseToTrue", func() []*pkcs11.Attribute { return aesObj(pkcs11.CKA_EXTRACTABLE, false) }, tmpl(pkcs11.CKA_EXTRACTABLE, true), pkcs11.CKR_ATTRIBUTE_READ_ONLY),
		setRO("ExtractableTrueToFalse", func() []*pkcs11.Attribute { return aesObj(pkcs11.CKA_EXTRACTABLE, true) }, tmpl(pkcs11.CKA_EXTRACTABLE, false), pkcs11.CKR_OK),
		setRO("LocalReadOnly", func() []*pkcs11.Attribute { return aesObj() }, tmpl(pkcs11.CKA_LOCAL, true), pkcs11.CKR_ATTRIBUTE_READ_ONLY),
		setRO("ValueLenReadOnly", func() []*pkcs11.Attribute { return aesObj() }, tmpl(pkcs11.CKA_VALUE_LEN, 32), pkcs11.CKR_ATTRIBUTE_READ_ONLY),
		setRO("NotModifiable", func() []*pkcs11.Attribute {
			return append(dataObj(false, false, "a"), at(pkcs11.CKA_MODIFIABLE, false))
		}, tmpl(pkcs11.CKA_LABEL, "b"), pkcs11.CKR_ACTION_PROHIBITED),
		setRO("EncryptFlag", func() []*pkcs11.Attribute { return aesObj(pkcs11.CKA_ENCRYPT, false) }, tmpl(pkcs11.CKA_ENCRYPT, true), pkcs11.CKR_OK),
		setRO("IDOnKey", func() []*pkcs11.Attribute { return aesObj() }, tmpl(pkcs11.CKA_ID, []byte{9, 9}), pkcs11.CKR_OK),
		setRO("BadBoolLength", func() []*pkcs11.Attribute { return aesObj() }, tmpl(pkcs11.CKA_ENCRYPT, []byte{1, 0}), pkcs11.CKR_ATTRIBUTE_VALUE_INVALID),
		{name: "Set/TokenObjectReadOnlySession", run: func(x *X) {
			w := x.user()
			o := x.create(w, dataObj(true, false, "set-ro"))
			x.rv("C_SetAttributeValue(token object, R/O)", x.p.SetAttributeValue(x.ro(), o, tmpl(pkcs11.CKA_LABEL, "b")), pkcs11.CKR_SESSION_READ_ONLY)
			x.must("cleanup", x.p.DestroyObject(w, o))
		}},
		{name: "Set/LabelIsRead", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, dataObj(false, false, "before"))
			x.must("C_SetAttributeValue", x.p.SetAttributeValue(sh, o, tmpl(pkcs11.CKA_LABEL, "after")))
			x.eq("label", string(x.mustGet(sh, o, pkcs11.CKA_LABEL)), "after")
		}},
		{name: "Get/SensitiveValue", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, aesObj(pkcs11.CKA_SENSITIVE, true))
			_, err := x.get(sh, o, pkcs11.CKA_VALUE)
			x.rv("C_GetAttributeValue(CKA_VALUE)", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)
		}},
		{name: "Get/UnextractableValue", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, aesObj(pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, false))
			_, err := x.get(sh, o, pkcs11.CKA_VALUE)
			x.rv("C_GetAttributeValue(CKA_VALUE)", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)
		}},
		{name: "Get/ClearValue", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, aesObj(pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true))
			v, err := x.get(sh, o, pkcs11.CKA_VALUE)
			if x.ok("C_GetAttributeValue(CKA_VALUE)", err) {
				x.eq("CKA_VALUE", bytes.Equal(v, aesValue), true)
			}
		}},
		{name: "Get/UnknownType", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, dataObj(false, false, "a"))
			_, err := x.get(sh, o, uint(0x7ffffff0))
			x.rv("C_GetAttributeValue(unknown type)", err, pkcs11.CKR_ATTRIBUTE_TYPE_INVALID)
		}},
		{name: "Get/InapplicableType", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, dataObj(false, false, "a"))
			_, err := x.get(sh, o, pkcs11.CKA_MODULUS)
			x.rv("C_GetAttributeValue(CKA_MODULUS of a data object)", err, pkcs11.CKR_ATTRIBUTE_TYPE_INVALID)
		}},
		{name: "Get/InvalidObject", run: func(x *X) {
			_, err := x.get(x.user(), badObject, pkcs11.CKA_LABEL)
			x.rv("C_GetAttributeValue", err, pkcs11.CKR_OBJECT_HANDLE_INVALID)
		}},
		{name: "Get/PublicKeyModulus", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, rsaPublicTemplate(false))
			x.eq("CKA_MODULUS", bytes.Equal(x.mustGet(sh, o, pkcs11.CKA_MODULUS), rsaKey().N.Bytes()), true)
			x.eq("CKA_MODULUS_BITS", x.getULong(sh, o, pkcs11.CKA_MODULUS_BITS), uint(2048))
		}},
		{name: "Get/PrivateKeySensitiveParts", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, rsaPrivateTemplate(true))
			for _, a := range []uint{pkcs11.CKA_PRIVATE_EXPONENT, pkcs11.CKA_PRIME_1, pkcs11.CKA_PRIME_2, pkcs11.CKA_EXPONENT_1, pkcs11.CKA_EXPONENT_2, pkcs11.CKA_COEFFICIENT} {
				_, err := x.get(sh, o, a)
				x.rv(fmt.Sprintf("C_GetAttributeValue(0x%x)", a), err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)
			}
			x.eq("CKA_MODULUS readable", bytes.Equal(x.mustGet(sh, o, pkcs11.CKA_MODULUS), rsaKey().N.Bytes()), true)
		}},
		{name: "GeneratedKeyFlags", run: func(x *X) {
			sh := x.user()
			k, err := x.p.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN, nil), tmpl(pkcs11.CKA_VALUE_LEN, 32, pkcs11.CKA_SENSITIVE, true, pkcs11.CKA_EXTRACTABLE, false))
			x.must("C_GenerateKey", err)
			x.eq("CKA_LOCAL", x.getBool(sh, k, pkcs11.CKA_LOCAL), true)
			x.eq("CKA_ALWAYS_SENSITIVE", x.getBool(sh, k, pkcs11.CKA_ALWAYS_SENSITIVE), true)
			x.eq("CKA_NEVER_EXTRACTABLE", x.getBool(sh, k, pkcs11.CKA_NEVER_EXTRACTABLE), true)
			x.eq("CKA_KEY_GEN_MECHANISM", x.getULong(sh, k, pkcs11.CKA_KEY_GEN_MECHANISM), uint(pkcs11.CKM_AES_KEY_GEN))
			x.eq("CKA_VALUE_LEN", x.getULong(sh, k, pkcs11.CKA_VALUE_LEN), uint(32))
		}},
		{name: "AlwaysSensitiveStaysFalse", run: func(x *X) {
			sh := x.user()
			k, err := x.p.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN, nil), tmpl(pkcs11.CKA_VALUE_LEN, 16, pkcs11.CKA_SENSITIVE, false))
			x.must("C_GenerateKey", err)
			x.eq("CKA_ALWAYS_SENSITIVE before", x.getBool(sh, k, pkcs11.CKA_ALWAYS_SENSITIVE), false)
			x.must("C_SetAttributeValue(CKA_SENSITIVE true)", x.p.SetAttributeValue(sh, k, tmpl(pkcs11.CKA_SENSITIVE, true)))
			x.eq("CKA_ALWAYS_SENSITIVE after", x.getBool(sh, k, pkcs11.CKA_ALWAYS_SENSITIVE), false)
			x.eq("CKA_SENSITIVE after", x.getBool(sh, k, pkcs11.CKA_SENSITIVE), true)
		}},
		{name: "NeverExtractableStaysFalse", run: func(x *X) {
			sh := x.user()
			k, err := x.p.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN, nil), tmpl(pkcs11.CKA_VALUE_LEN, 16, pkcs11.CKA_EXTRACTABLE, true))
			x.must("C_GenerateKey", err)
			x.must("C_SetAttributeValue(CKA_EXTRACTABLE false)", x.p.SetAttributeValue(sh, k, tmpl(pkcs11.CKA_EXTRACTABLE, false)))
			x.eq("CKA_NEVER_EXTRACTABLE", x.getBool(sh, k, pkcs11.CKA_NEVER_EXTRACTABLE), false)
		}},
		{name: "DefaultsOfCreatedData", run: func(x *X) {
			sh := x.user()
			o := x.create(sh, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_DATA))
			x.eq("CKA_TOKEN", x.getBool(sh, o, pkcs11.CKA_TOKEN), false)
			x.eq("CKA_MODIFIABLE", x.getBool(sh, o, pkcs11.CKA_MODIFIABLE), true)
			x.eq("CKA_LABEL length", len(x.mustGet(sh, o, pkcs11.CKA_LABEL)), 0)
		}},
	}
	return cs
}

package conformance

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

// X is the context of one case on one module.
type X struct {
	*testing.T
	m    *module
	p    *pkcs11.Ctx
	name string // Area/Case
	slot uint
}

// expect returns what the check labelled label must give on this module:
// the module's entry in deviations if the check is listed there, else spec.
func (x *X) expect(label string, spec any) any {
	key := x.name + ": " + label
	d, ok := deviations[key]
	if !ok {
		return spec
	}
	markUsed(x.m.name, key)
	if v, ok := d.expect[x.m.name]; ok {
		return v
	}
	return spec
}

// rv checks the CK_RV carried by err.
func (x *X) rv(label string, err error, spec uint) bool {
	x.Helper()
	want := x.expect(label, spec).(uint)
	if got := rvOf(err); got != want {
		note := ""
		if want != spec {
			note = " (a recorded deviation; the spec's result is " + rvName(spec) + ")"
		}
		x.Errorf("%s: got %s, want %s%s", label, rvName(got), rvName(want), note)
		return false
	}
	return true
}

// ok checks that err is nil (CKR_OK, unless a deviation says otherwise).
func (x *X) ok(label string, err error) bool {
	x.Helper()
	return x.rv(label, err, pkcs11.CKR_OK)
}

// eq checks a value.
func (x *X) eq(label string, got, spec any) bool {
	x.Helper()
	want := x.expect(label, spec)
	if !reflect.DeepEqual(got, want) {
		x.Errorf("%s: got %v, want %v%s", label, got, want, specNote(want, spec))
		return false
	}
	return true
}

func specNote(want, spec any) string {
	if reflect.DeepEqual(want, spec) {
		return ""
	}
	return fmt.Sprintf(" (a recorded deviation; the spec's result is %v)", spec)
}

// must stops the case on an error: the setup of a case, not its subject.
func (x *X) must(what string, err error) {
	x.Helper()
	if err != nil {
		x.Fatalf("%s: %v", what, err)
	}
}

// rvOf returns the CK_RV carried by err (CKR_OK for nil).
func rvOf(err error) uint {
	if err == nil {
		return pkcs11.CKR_OK
	}
	var e pkcs11.Error
	if errors.As(err, &e) {
		return uint(e)
	}
	return ^uint(0)
}

// rvName names a CK_RV.
func rvName(rv uint) string {
	switch rv {
	case pkcs11.CKR_OK:
		return "CKR_OK"
	case ^uint(0):
		return "a non-PKCS#11 error"
	}
	return strings.TrimPrefix(pkcs11.Error(rv).Error(), "pkcs11: ")
}

// Sessions.

func (x *X) open(flags uint) pkcs11.SessionHandle {
	x.Helper()
	sh, err := x.p.OpenSession(x.slot, pkcs11.CKF_SERIAL_SESSION|flags)
	x.must("C_OpenSession", err)
	return sh
}

func (x *X) rw() pkcs11.SessionHandle { x.Helper(); return x.open(pkcs11.CKF_RW_SESSION) }
func (x *X) ro() pkcs11.SessionHandle { x.Helper(); return x.open(0) }

// user opens a R/W session and logs the user in.
func (x *X) user() pkcs11.SessionHandle {
	x.Helper()
	sh := x.rw()
	x.must("C_Login(USER)", x.p.Login(sh, pkcs11.CKU_USER, userPIN))
	return sh
}

// so opens a R/W session and logs the SO in.
func (x *X) so() pkcs11.SessionHandle {
	x.Helper()
	sh := x.rw()
	x.must("C_Login(SO)", x.p.Login(sh, pkcs11.CKU_SO, soPIN))
	return sh
}

// initToken initialises the fresh case's token (x.slot) with the SO PIN and
// the label, sets the user PIN and returns the token's slot.
func (x *X) initToken(label string) uint {
	x.Helper()
	x.must("C_InitToken", x.p.InitToken(x.slot, soPIN, label))
	x.m.label = label
	slot, err := x.m.findSlot()
	x.must("finding the token", err)
	x.slot = slot
	sh := x.so()
	x.must("C_InitPIN", x.p.InitPIN(sh, userPIN))
	x.must("C_Logout", x.p.Logout(sh))
	x.must("C_CloseSession", x.p.CloseSession(sh))
	return slot
}

// Attributes.

func at(typ uint, v any) *pkcs11.Attribute { return pkcs11.NewAttribute(typ, v) }

func tmpl(kv ...any) []*pkcs11.Attribute {
	var a []*pkcs11.Attribute
	for i := 0; i < len(kv); i += 2 {
		var typ uint
		switch v := kv[i].(type) {
		case int:
			typ = uint(v)
		case uint:
			typ = v
		default:
			panic(fmt.Sprintf("tmpl: attribute type %T", kv[i]))
		}
		a = append(a, at(typ, kv[i+1]))
	}
	return a
}

func ulongBytes(v uint) []byte {
	b := make([]byte, 8)
	binary.NativeEndian.PutUint64(b, uint64(v))
	return b
}

// get reads one attribute; err is the call's error.
func (x *X) get(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) ([]byte, error) {
	a, err := x.p.GetAttributeValue(sh, o, []*pkcs11.Attribute{at(typ, nil)})
	if err != nil {
		return nil, err
	}
	return a[0].Value, nil
}

func (x *X) mustGet(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) []byte {
	x.Helper()
	v, err := x.get(sh, o, typ)
	x.must(fmt.Sprintf("C_GetAttributeValue(0x%x)", typ), err)
	return v
}

func (x *X) getBool(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) bool {
	x.Helper()
	v := x.mustGet(sh, o, typ)
	if len(v) != 1 {
		x.Fatalf("CK_BBOOL attribute 0x%x has %d bytes", typ, len(v))
	}
	return v[0] != 0
}

func (x *X) getULong(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, typ uint) uint {
	x.Helper()
	v := x.mustGet(sh, o, typ)
	if len(v) != 8 {
		x.Fatalf("CK_ULONG attribute 0x%x has %d bytes", typ, len(v))
	}
	return uint(binary.NativeEndian.Uint64(v))
}

// create creates an object, stopping the case on an error.
func (x *X) create(sh pkcs11.SessionHandle, t []*pkcs11.Attribute) pkcs11.ObjectHandle {
	x.Helper()
	o, err := x.p.CreateObject(sh, t)
	x.must("C_CreateObject", err)
	return o
}

// findAll runs a whole search.
func (x *X) findAll(sh pkcs11.SessionHandle, t []*pkcs11.Attribute) []pkcs11.ObjectHandle {
	x.Helper()
	x.must("C_FindObjectsInit", x.p.FindObjectsInit(sh, t))
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := x.p.FindObjects(sh, 16)
		if err != nil {
			_ = x.p.FindObjectsFinal(sh)
			x.Fatalf("C_FindObjects: %v", err)
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	x.must("C_FindObjectsFinal", x.p.FindObjectsFinal(sh))
	return all
}

func mech(m uint, param any) []*pkcs11.Mechanism {
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(m, param)}
}

// Handles no module returned in these tests.
const (
	badSlot    = uint(0x7eadbeef)
	badSession = pkcs11.SessionHandle(0x7eadbeef)
	badObject  = pkcs11.ObjectHandle(0x7eadbeef)
)

func hasBytes(list [][]byte, b []byte) bool {
	for _, l := range list {
		if bytes.Equal(l, b) {
			return true
		}
	}
	return false
}

// unsupported lists, per module, the (function, mechanism) pairs the module
// does not offer at all; DEVIATIONS.md lists them under "Mechanisms". Such
// a call must fail with CKR_MECHANISM_INVALID, and the case stops there.
var unsupported = map[string]map[string]bool{
	"softhsm": {
		"C_SignInit:" + itoa(pkcs11.CKM_ECDSA_SHA1):                 true,
		"C_SignInit:" + itoa(pkcs11.CKM_ECDSA_SHA256):               true,
		"C_SignInit:" + itoa(pkcs11.CKM_ECDSA_SHA384):               true,
		"C_SignInit:" + itoa(pkcs11.CKM_ECDSA_SHA512):               true,
		"C_WrapKey:" + itoa(pkcs11.CKM_AES_CBC_PAD):                 true,
		"C_DeriveKey:" + itoa(pkcs11.CKM_CONCATENATE_BASE_AND_KEY):  true,
		"C_DeriveKey:" + itoa(pkcs11.CKM_CONCATENATE_BASE_AND_DATA): true,
		"C_DeriveKey:" + itoa(pkcs11.CKM_CONCATENATE_DATA_AND_BASE): true,
		"C_DeriveKey:" + itoa(pkcs11.CKM_XOR_BASE_AND_DATA):         true,
	},
}

// initOK checks the result of a call that starts an operation with m: CKR_OK,
// or CKR_MECHANISM_INVALID where the module does not offer m. It reports
// whether the case may go on.
func (x *X) initOK(label string, m []*pkcs11.Mechanism, err error) bool {
	x.Helper()
	key := label + ":" + itoa(int(m[0].Mechanism))
	if unsupported[x.m.name][key] {
		markUsed(x.m.name, "unsupported "+key)
		x.rv(label+" (mechanism not offered)", err, pkcs11.CKR_MECHANISM_INVALID)
		return false
	}
	return x.proceed(label, err)
}

// proceed checks err like ok and reports whether the call succeeded, so
// that the case may go on (a deviation may expect a failure).
func (x *X) proceed(label string, err error) bool {
	x.Helper()
	return x.ok(label, err) && err == nil
}

package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/kagi-hsm/kagi/token/ck"
)

//export kagiGo_CreateObject
func kagiGo_CreateObject(hSession C.CK_SESSION_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG, phObject C.CK_OBJECT_HANDLE_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if phObject == nil {
		return rvArgumentsBad
	}
	tmpl, r := template(pTemplate, ulCount)
	if r != rvOK {
		return r
	}
	h, err := l.CreateObject(ck.SessionHandle(hSession), tmpl)
	if err != nil {
		return rvErr(err)
	}
	*phObject = C.CK_OBJECT_HANDLE(h)
	return rvOK
}

//export kagiGo_CopyObject
func kagiGo_CopyObject(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG, phNewObject C.CK_OBJECT_HANDLE_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if phNewObject == nil {
		return rvArgumentsBad
	}
	tmpl, r := template(pTemplate, ulCount)
	if r != rvOK {
		return r
	}
	h, err := l.CopyObject(ck.SessionHandle(hSession), ck.ObjectHandle(hObject), tmpl)
	if err != nil {
		return rvErr(err)
	}
	*phNewObject = C.CK_OBJECT_HANDLE(h)
	return rvOK
}

//export kagiGo_DestroyObject
func kagiGo_DestroyObject(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.DestroyObject(ck.SessionHandle(hSession), ck.ObjectHandle(hObject)))
}

//export kagiGo_GetObjectSize
func kagiGo_GetObjectSize(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE, pulSize C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pulSize == nil {
		return rvArgumentsBad
	}
	n, err := l.ObjectSize(ck.SessionHandle(hSession), ck.ObjectHandle(hObject))
	if err != nil {
		return rvErr(err)
	}
	*pulSize = C.CK_ULONG(n)
	return rvOK
}

// kagiGo_GetAttributeValue fills the caller's template entry by entry as
// section 5.7 (C_GetAttributeValue) says, and processes every entry even
// when some fail. When several of the three non-fatal codes apply, the
// answer is, in this order, CKR_ATTRIBUTE_SENSITIVE, then
// CKR_ATTRIBUTE_TYPE_INVALID, then CKR_BUFFER_TOO_SMALL, whatever the order
// of the entries: the spec allows any of them, and this is SoftHSMv2's order
// (P11Object::loadTemplate), so clients see the same codes from both.
//
//export kagiGo_GetAttributeValue
func kagiGo_GetAttributeValue(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if (pTemplate == nil && ulCount != 0) || ulCount > maxCount {
		return rvArgumentsBad
	}
	var cs []C.CK_ATTRIBUTE
	if ulCount != 0 {
		cs = unsafe.Slice(pTemplate, int(ulCount))
	}
	var small [16]ck.AttributeType
	types := small[:0]
	for i := range cs {
		types = append(types, ck.AttributeType(cs[i]._type))
	}
	vals, err := l.GetAttributeValue(ck.SessionHandle(hSession), ck.ObjectHandle(hObject), types)
	if err != nil {
		return rvErr(err)
	}
	if len(vals) != len(cs) {
		return rvGeneralError
	}
	const unavailable = C.CK_ULONG(ck.CK_UNAVAILABLE_INFORMATION)
	var sensitive, invalid, tooSmall bool
	for i := range cs {
		a, v := &cs[i], vals[i]
		n := C.CK_ULONG(len(v.Value))
		switch {
		case v.Err == ck.CKR_ATTRIBUTE_SENSITIVE: // case 1
			a.ulValueLen = unavailable
			sensitive = true
		case v.Err != ck.CKR_OK: // case 2: token reports only TYPE_INVALID here
			a.ulValueLen = unavailable
			invalid = true
		case ck.IsArrayAttribute(ck.AttributeType(a._type)):
			tooSmall = fillArray(a, v.Value) || tooSmall
		case a.pValue == nil: // case 3
			a.ulValueLen = n
		case a.ulValueLen >= n: // case 4
			copy(unsafe.Slice((*byte)(a.pValue), len(v.Value)), v.Value)
			a.ulValueLen = n
		default: // case 5
			a.ulValueLen = unavailable
			tooSmall = true
		}
	}
	switch {
	case sensitive:
		return rv(ck.CKR_ATTRIBUTE_SENSITIVE)
	case invalid:
		return rv(ck.CKR_ATTRIBUTE_TYPE_INVALID)
	case tooSmall:
		return rvBufferTooSmall
	}
	return rvOK
}

//export kagiGo_SetAttributeValue
func kagiGo_SetAttributeValue(hSession C.CK_SESSION_HANDLE, hObject C.CK_OBJECT_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	tmpl, r := template(pTemplate, ulCount)
	if r != rvOK {
		return r
	}
	return rvErr(l.SetAttributeValue(ck.SessionHandle(hSession), ck.ObjectHandle(hObject), tmpl))
}

//export kagiGo_FindObjectsInit
func kagiGo_FindObjectsInit(hSession C.CK_SESSION_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	tmpl, r := template(pTemplate, ulCount)
	if r != rvOK {
		return r
	}
	return rvErr(l.FindObjectsInit(ck.SessionHandle(hSession), tmpl))
}

//export kagiGo_FindObjects
func kagiGo_FindObjects(hSession C.CK_SESSION_HANDLE, phObject C.CK_OBJECT_HANDLE_PTR, ulMaxObjectCount C.CK_ULONG, pulObjectCount C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if phObject == nil || pulObjectCount == nil {
		return rvArgumentsBad
	}
	hs, err := l.FindObjects(ck.SessionHandle(hSession), int(min(ulMaxObjectCount, maxCount)))
	if err != nil {
		return rvErr(err)
	}
	if len(hs) > 0 {
		out := unsafe.Slice(phObject, len(hs))
		for i, h := range hs {
			out[i] = C.CK_OBJECT_HANDLE(h)
		}
	}
	*pulObjectCount = C.CK_ULONG(len(hs))
	return rvOK
}

//export kagiGo_FindObjectsFinal
func kagiGo_FindObjectsFinal(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.FindObjectsFinal(ck.SessionHandle(hSession)))
}

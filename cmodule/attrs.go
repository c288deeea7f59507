package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/kagi-hsm/kagi/token/ck"
)

// template copies a caller's template into Go memory: token keeps its
// values (new objects, a search), so they must not alias the caller's
// buffers. Two allocations: the entries and one block for all the values.
//
// A NULL pValue with a non-zero ulValueLen is CKR_ARGUMENTS_BAD: only
// C_GetAttributeValue gives NULL pValue a meaning (a length query).
//
// CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE and CKA_DERIVE_TEMPLATE
// (CKF_ARRAY_ATTRIBUTE types) hold a nested CK_ATTRIBUTE array: it is copied
// too, one level deep, and handed to token in ck.EncodeTemplate form.
func template(p C.CK_ATTRIBUTE_PTR, n C.CK_ULONG) ([]ck.Attribute, C.CK_RV) {
	return copyTemplate(p, n, true)
}

// attrSize is sizeof(CK_ATTRIBUTE).
const attrSize = C.CK_ULONG(unsafe.Sizeof(C.CK_ATTRIBUTE{}))

func copyTemplate(p C.CK_ATTRIBUTE_PTR, n C.CK_ULONG, nest bool) ([]ck.Attribute, C.CK_RV) {
	if n == 0 {
		return nil, rvOK
	}
	if p == nil || n > maxCount {
		return nil, rvArgumentsBad
	}
	cs := unsafe.Slice(p, int(n))
	total := 0
	for i := range cs {
		vl := cs[i].ulValueLen
		if vl > maxLen || (cs[i].pValue == nil && vl != 0) {
			return nil, rvArgumentsBad
		}
		total += int(vl)
		if total > maxLen {
			return nil, rvArgumentsBad
		}
	}
	buf := make([]byte, total)
	out := make([]ck.Attribute, len(cs))
	for i := range cs {
		vl := int(cs[i].ulValueLen)
		v := buf[:vl:vl]
		buf = buf[vl:]
		if vl > 0 {
			copy(v, unsafe.Slice((*byte)(cs[i].pValue), vl))
		}
		t := ck.AttributeType(cs[i]._type)
		if ck.IsArrayAttribute(t) {
			if !nest || cs[i].ulValueLen%attrSize != 0 {
				return nil, rv(ck.CKR_ATTRIBUTE_VALUE_INVALID)
			}
			inner, r := copyTemplate((*C.CK_ATTRIBUTE)(cs[i].pValue), cs[i].ulValueLen/attrSize, false)
			if r != rvOK {
				return nil, r
			}
			v = ck.EncodeTemplate(inner)
		}
		out[i] = ck.Attribute{Type: t, Value: v}
	}
	return out, rvOK
}

// fillArray answers C_GetAttributeValue for a nested template (section
// 5.7): the array's length in ulValueLen, and in each element of the
// caller's array the type and, under the usual length convention, the
// value. It reports whether a buffer was too small.
func fillArray(a *C.CK_ATTRIBUTE, encoded []byte) (tooSmall bool) {
	inner, _ := ck.DecodeTemplate(encoded)
	size := C.CK_ULONG(len(inner)) * attrSize
	if a.pValue == nil {
		a.ulValueLen = size
		return false
	}
	if a.ulValueLen < size {
		a.ulValueLen = C.CK_ULONG(ck.CK_UNAVAILABLE_INFORMATION)
		return true
	}
	dst := unsafe.Slice((*C.CK_ATTRIBUTE)(a.pValue), len(inner))
	for i, in := range inner {
		d := &dst[i]
		d._type = C.CK_ATTRIBUTE_TYPE(in.Type)
		n := C.CK_ULONG(len(in.Value))
		switch {
		case d.pValue == nil:
			d.ulValueLen = n
		case d.ulValueLen >= n:
			copy(unsafe.Slice((*byte)(d.pValue), len(in.Value)), in.Value)
			d.ulValueLen = n
		default:
			d.ulValueLen = C.CK_ULONG(ck.CK_UNAVAILABLE_INFORMATION)
			tooSmall = true
		}
	}
	a.ulValueLen = size
	return tooSmall
}

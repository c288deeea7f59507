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
// TODO(wrap templates): CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE and
// CKA_DERIVE_TEMPLATE hold a nested CK_ATTRIBUTE array whose pointers are
// copied as raw bytes here; they need a deep copy when token supports them.
func template(p C.CK_ATTRIBUTE_PTR, n C.CK_ULONG) ([]ck.Attribute, C.CK_RV) {
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
		out[i] = ck.Attribute{Type: ck.AttributeType(cs[i]._type), Value: v}
	}
	return out, rvOK
}

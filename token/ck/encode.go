package ck

import (
	"encoding/binary"
	"errors"
	"unsafe"
)

// ulongSize is sizeof(CK_ULONG) in the C ABI.
const ulongSize = int(unsafe.Sizeof(ULong(0)))

// ULongBytes encodes v as a CK_ULONG attribute value.
func ULongBytes(v ULong) []byte {
	b := make([]byte, ulongSize)
	binary.NativeEndian.PutUint64(b, uint64(v))
	return b
}

// BytesULong decodes a CK_ULONG attribute value; ok is false on a wrong length.
func BytesULong(b []byte) (v ULong, ok bool) {
	if len(b) != ulongSize {
		return 0, false
	}
	return ULong(binary.NativeEndian.Uint64(b)), true
}

// BoolBytes encodes a CK_BBOOL.
func BoolBytes(v bool) []byte {
	if v {
		return []byte{1}
	}
	return []byte{0}
}

// BytesBool decodes a CK_BBOOL; ok is false unless the value is one byte.
func BytesBool(b []byte) (v, ok bool) {
	if len(b) != 1 {
		return false, false
	}
	return b[0] != 0, true
}

// ErrorRV is the one mapping from a Go error to a CK_RV: a typed RV anywhere in
// the chain wins; anything else is CKR_GENERAL_ERROR.
func ErrorRV(err error) RV {
	if err == nil {
		return CKR_OK
	}
	var rv RV
	if errors.As(err, &rv) {
		return rv
	}
	return CKR_GENERAL_ERROR
}

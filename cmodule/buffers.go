package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"unicode/utf8"
	"unsafe"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Bounds on what a caller can mean. A length or count beyond them cannot
// describe real memory (or a real template) and would make unsafe.Slice
// panic; the call fails with CKR_ARGUMENTS_BAD instead.
const (
	maxLen   = 1 << 40 // bytes in one buffer
	maxCount = 1 << 24 // entries in one template or handle array
)

// inBytes is a view of the caller's input buffer p[:n], without a copy (see
// the package comment: token must not keep it). ok is false when p is NULL
// with a non-zero length.
func inBytes[T ~uint8](p *T, n C.CK_ULONG) (b []byte, ok bool) {
	if n == 0 {
		return nil, true
	}
	if p == nil || n > maxLen {
		return nil, false
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n)), true
}

// pinBytes is a view of a PIN. kagi has no protected authentication path
// (CKF_PROTECTED_AUTHENTICATION_PATH is never set), so a NULL pPin is
// CKR_ARGUMENTS_BAD whatever its length, as in SoftHSMv2.
func pinBytes(p C.CK_UTF8CHAR_PTR, n C.CK_ULONG) (b []byte, ok bool) {
	if p == nil {
		return nil, false
	}
	return inBytes(p, n)
}

// outBytes is the Go form of an output buffer: nil when p is NULL (a length
// query), else a view of its *pulLen bytes, non-nil even when that is 0, so
// that token answers CKR_BUFFER_TOO_SMALL rather than the length. pulLen is
// not NULL.
func outBytes[T ~uint8](p *T, pulLen *C.CK_ULONG) []byte {
	if p == nil {
		return nil
	}
	n := min(*pulLen, maxLen) // a buffer can only be shorter than it claims
	return unsafe.Slice((*byte)(unsafe.Pointer(p)), int(n))
}

// outLen finishes a call with an output buffer: the length token reported is
// written back on success and with CKR_BUFFER_TOO_SMALL (section 5.2), and
// left alone on any other error.
func outLen(pulLen *C.CK_ULONG, n int, err error) C.CK_RV {
	r := rvErr(err)
	if r == rvOK || r == rvBufferTooSmall {
		*pulLen = C.CK_ULONG(n)
	}
	return r
}

// copyBytes copies p[:n] into Go memory (nil when n is 0); ok is false when p
// is NULL with a non-zero length.
func copyBytes(p unsafe.Pointer, n C.CK_ULONG) (b []byte, ok bool) {
	if n == 0 {
		return nil, true
	}
	if p == nil || n > maxLen {
		return nil, false
	}
	return append([]byte(nil), unsafe.Slice((*byte)(p), int(n))...), true
}

// pad fills a fixed-width CK_UTF8CHAR field with s, blank padded and never
// NUL terminated (section 3.2); a longer s is cut at a character boundary.
func pad[T ~uint8](field []T, s string) {
	if len(s) > len(field) {
		n := len(field)
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
	}
	for i := range field {
		if i < len(s) {
			field[i] = T(s[i])
		} else {
			field[i] = ' '
		}
	}
}

// version converts a ck.Version.
func version(v ck.Version) C.CK_VERSION {
	return C.CK_VERSION{major: C.CK_BYTE(v.Major), minor: C.CK_BYTE(v.Minor)}
}

// blankTrimmed returns a blank-padded fixed-width field as a string without
// its trailing blanks (a C_InitToken label).
func blankTrimmed(b []byte) string {
	n := len(b)
	for n > 0 && b[n-1] == ' ' {
		n--
	}
	return string(b[:n])
}

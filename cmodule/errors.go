package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"os"
	"runtime/debug"

	"github.com/kagi-hsm/kagi/token/ck"
)

// rvErr is the one place where a Go error becomes a CK_RV.
func rvErr(err error) C.CK_RV {
	if err == nil {
		return C.CK_RV(ck.CKR_OK)
	}
	if r, ok := err.(ck.RV); ok { // the common case, without errors.As
		return C.CK_RV(r)
	}
	return C.CK_RV(ck.ErrorRV(err))
}

// rv converts a code to its C form.
func rv(r ck.RV) C.CK_RV { return C.CK_RV(r) }

// Codes used before the token is reached.
const (
	rvOK             = C.CK_RV(ck.CKR_OK)
	rvArgumentsBad   = C.CK_RV(ck.CKR_ARGUMENTS_BAD)
	rvBufferTooSmall = C.CK_RV(ck.CKR_BUFFER_TOO_SMALL)
	rvNotInitialized = C.CK_RV(ck.CKR_CRYPTOKI_NOT_INITIALIZED)
	rvNotSupported   = C.CK_RV(ck.CKR_FUNCTION_NOT_SUPPORTED)
	rvGeneralError   = C.CK_RV(ck.CKR_GENERAL_ERROR)
)

// notSupported is the answer of an entry point not built yet: the library
// must be initialised first (section 5.1: CKR_CRYPTOKI_NOT_INITIALIZED
// comes before anything else).
func notSupported() C.CK_RV {
	if lib.Load() == nil {
		return rvNotInitialized
	}
	return rvNotSupported
}

// guard turns a panic in kagi into CKR_GENERAL_ERROR with the stack on
// stderr, so that a bug fails one call instead of killing the host process.
// Every kagiGo_* function defers it.
func guard(r *C.CK_RV) {
	if p := recover(); p != nil {
		msg := "kagi: internal error (please report this bug): "
		switch v := p.(type) {
		case error:
			msg += v.Error()
		case string:
			msg += v
		default:
			msg += "panic"
		}
		os.Stderr.WriteString(msg + "\n" + string(debug.Stack()))
		*r = rvGeneralError
	}
}

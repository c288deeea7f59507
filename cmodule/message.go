package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// The PKCS#11 3.0 message-based encryption entry points. The per-message
// parameter's structure depends on the mechanism the operation was
// initialised with, which token knows: it asks the decoder made here.

// messageDecoder reads a message parameter from the caller's memory, as
// views (the IV and tag may be outputs).
func messageDecoder(p C.CK_VOID_PTR, n C.CK_ULONG) token.ParamDecoder {
	return func(mt ck.MechanismType) (any, error) {
		dec := messageParams[mt]
		switch {
		case dec == nil:
			return nil, ck.CKR_MECHANISM_PARAM_INVALID
		case p == nil:
			return nil, ck.CKR_ARGUMENTS_BAD
		}
		v, r := dec(unsafe.Pointer(p), n)
		if r != rvOK {
			return nil, ck.RV(r)
		}
		return v, nil
	}
}

// oneMessage is the shape of C_EncryptMessage and C_DecryptMessage.
func oneMessage(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG,
	pAD C.CK_BYTE_PTR, ulADLen C.CK_ULONG, pIn C.CK_BYTE_PTR, ulInLen C.CK_ULONG, pOut C.CK_BYTE_PTR, pulOutLen C.CK_ULONG_PTR,
	f func(*token.Library, ck.SessionHandle, token.ParamDecoder, []byte, []byte, []byte) (int, error)) C.CK_RV {
	l, r := library()
	if r != rvOK {
		return r
	}
	aad, ok1 := inBytes(pAD, ulADLen)
	in, ok2 := inBytes(pIn, ulInLen)
	if !ok1 || !ok2 || pulOutLen == nil {
		return rvArgumentsBad
	}
	n, err := f(l, ck.SessionHandle(hSession), messageDecoder(pParameter, ulParameterLen), aad, in, outBytes(pOut, pulOutLen))
	return outLen(pulOutLen, n, err)
}

//export kagiGo_MessageEncryptInit
func kagiGo_MessageEncryptInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return keyInit(hSession, pMechanism, hKey, (*token.Library).MessageEncryptInit)
}

//export kagiGo_EncryptMessage
func kagiGo_EncryptMessage(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pAssociatedData C.CK_BYTE_PTR, ulAssociatedDataLen C.CK_ULONG, pPlaintext C.CK_BYTE_PTR, ulPlaintextLen C.CK_ULONG, pCiphertext C.CK_BYTE_PTR, pulCiphertextLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneMessage(hSession, pParameter, ulParameterLen, pAssociatedData, ulAssociatedDataLen, pPlaintext, ulPlaintextLen, pCiphertext, pulCiphertextLen, (*token.Library).EncryptMessage)
}

//export kagiGo_MessageEncryptFinal
func kagiGo_MessageEncryptFinal(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.MessageEncryptFinal(ck.SessionHandle(hSession)))
}

//export kagiGo_MessageDecryptInit
func kagiGo_MessageDecryptInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return keyInit(hSession, pMechanism, hKey, (*token.Library).MessageDecryptInit)
}

//export kagiGo_DecryptMessage
func kagiGo_DecryptMessage(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pAssociatedData C.CK_BYTE_PTR, ulAssociatedDataLen C.CK_ULONG, pCiphertext C.CK_BYTE_PTR, ulCiphertextLen C.CK_ULONG, pPlaintext C.CK_BYTE_PTR, pulPlaintextLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneMessage(hSession, pParameter, ulParameterLen, pAssociatedData, ulAssociatedDataLen, pCiphertext, ulCiphertextLen, pPlaintext, pulPlaintextLen, (*token.Library).DecryptMessage)
}

//export kagiGo_MessageDecryptFinal
func kagiGo_MessageDecryptFinal(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.MessageDecryptFinal(ck.SessionHandle(hSession)))
}

// messageBegin is the shape of C_EncryptMessageBegin and C_DecryptMessageBegin.
func messageBegin(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pAD C.CK_BYTE_PTR, ulADLen C.CK_ULONG,
	f func(*token.Library, ck.SessionHandle, token.ParamDecoder, []byte) error) C.CK_RV {
	l, r := library()
	if r != rvOK {
		return r
	}
	aad, ok := inBytes(pAD, ulADLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(f(l, ck.SessionHandle(hSession), messageDecoder(pParameter, ulParameterLen), aad))
}

// messageNext is the shape of C_EncryptMessageNext and C_DecryptMessageNext.
func messageNext(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG,
	pIn C.CK_BYTE_PTR, ulInLen C.CK_ULONG, pOut C.CK_BYTE_PTR, pulOutLen C.CK_ULONG_PTR, flags C.CK_FLAGS,
	f func(*token.Library, ck.SessionHandle, token.ParamDecoder, []byte, []byte, ck.Flags) (int, error)) C.CK_RV {
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pIn, ulInLen)
	if !ok || pulOutLen == nil {
		return rvArgumentsBad
	}
	n, err := f(l, ck.SessionHandle(hSession), messageDecoder(pParameter, ulParameterLen), in, outBytes(pOut, pulOutLen), ck.Flags(flags))
	return outLen(pulOutLen, n, err)
}

//export kagiGo_EncryptMessageBegin
func kagiGo_EncryptMessageBegin(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pAssociatedData C.CK_BYTE_PTR, ulAssociatedDataLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return messageBegin(hSession, pParameter, ulParameterLen, pAssociatedData, ulAssociatedDataLen, (*token.Library).EncryptMessageBegin)
}

//export kagiGo_EncryptMessageNext
func kagiGo_EncryptMessageNext(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pPlaintextPart C.CK_BYTE_PTR, ulPlaintextPartLen C.CK_ULONG, pCiphertextPart C.CK_BYTE_PTR, pulCiphertextPartLen C.CK_ULONG_PTR, flags C.CK_FLAGS) (r C.CK_RV) {
	defer guard(&r)
	return messageNext(hSession, pParameter, ulParameterLen, pPlaintextPart, ulPlaintextPartLen, pCiphertextPart, pulCiphertextPartLen, flags, (*token.Library).EncryptMessageNext)
}

//export kagiGo_DecryptMessageBegin
func kagiGo_DecryptMessageBegin(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pAssociatedData C.CK_BYTE_PTR, ulAssociatedDataLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return messageBegin(hSession, pParameter, ulParameterLen, pAssociatedData, ulAssociatedDataLen, (*token.Library).DecryptMessageBegin)
}

//export kagiGo_DecryptMessageNext
func kagiGo_DecryptMessageNext(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pCiphertextPart C.CK_BYTE_PTR, ulCiphertextPartLen C.CK_ULONG, pPlaintextPart C.CK_BYTE_PTR, pulPlaintextPartLen C.CK_ULONG_PTR, flags C.CK_FLAGS) (r C.CK_RV) {
	defer guard(&r)
	return messageNext(hSession, pParameter, ulParameterLen, pCiphertextPart, ulCiphertextPartLen, pPlaintextPart, pulPlaintextPartLen, flags, (*token.Library).DecryptMessageNext)
}

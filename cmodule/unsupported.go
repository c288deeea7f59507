package main

/*
#include "pkcs11.h"
*/
import "C"

// Entry points that exist with their exact signatures but are not built yet:
// CKR_CRYPTOKI_NOT_INITIALIZED before C_Initialize, CKR_FUNCTION_NOT_SUPPORTED
// after. A later issue fills them (multi-part encryption, wrapping,
// derivation, the 3.0 message API, ...); each then moves to the file of its
// area.

//export kagiGo_GetOperationState
func kagiGo_GetOperationState(hSession C.CK_SESSION_HANDLE, pOperationState C.CK_BYTE_PTR, pulOperationStateLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_SetOperationState
func kagiGo_SetOperationState(hSession C.CK_SESSION_HANDLE, pOperationState C.CK_BYTE_PTR, ulOperationStateLen C.CK_ULONG, hEncryptionKey C.CK_OBJECT_HANDLE, hAuthenticationKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_DigestEncryptUpdate
func kagiGo_DigestEncryptUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG, pEncryptedPart C.CK_BYTE_PTR, pulEncryptedPartLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_DecryptDigestUpdate
func kagiGo_DecryptDigestUpdate(hSession C.CK_SESSION_HANDLE, pEncryptedPart C.CK_BYTE_PTR, ulEncryptedPartLen C.CK_ULONG, pPart C.CK_BYTE_PTR, pulPartLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_SignEncryptUpdate
func kagiGo_SignEncryptUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG, pEncryptedPart C.CK_BYTE_PTR, pulEncryptedPartLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_DecryptVerifyUpdate
func kagiGo_DecryptVerifyUpdate(hSession C.CK_SESSION_HANDLE, pEncryptedPart C.CK_BYTE_PTR, ulEncryptedPartLen C.CK_ULONG, pPart C.CK_BYTE_PTR, pulPartLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_MessageSignInit
func kagiGo_MessageSignInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_SignMessage
func kagiGo_SignMessage(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_SignMessageBegin
func kagiGo_SignMessageBegin(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_SignMessageNext
func kagiGo_SignMessageNext(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_MessageSignFinal
func kagiGo_MessageSignFinal(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_MessageVerifyInit
func kagiGo_MessageVerifyInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_VerifyMessage
func kagiGo_VerifyMessage(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_VerifyMessageBegin
func kagiGo_VerifyMessageBegin(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_VerifyMessageNext
func kagiGo_VerifyMessageNext(hSession C.CK_SESSION_HANDLE, pParameter C.CK_VOID_PTR, ulParameterLen C.CK_ULONG, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

//export kagiGo_MessageVerifyFinal
func kagiGo_MessageVerifyFinal(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return notSupported()
}

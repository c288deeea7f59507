package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"github.com/kagi-hsm/kagi/token/ck"
)

// The cryptographic entry points. These are the hot path (a sign is
// C_SignInit + C_Sign): no allocation here beyond what token does, input
// and output buffers are views of the caller's memory, and a mechanism
// without a parameter is decoded without a table lookup.

//export kagiGo_EncryptInit
func kagiGo_EncryptInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	return rvErr(l.EncryptInit(ck.SessionHandle(hSession), m, ck.ObjectHandle(hKey)))
}

//export kagiGo_Encrypt
func kagiGo_Encrypt(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pEncryptedData C.CK_BYTE_PTR, pulEncryptedDataLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pData, ulDataLen)
	if !ok || pulEncryptedDataLen == nil {
		return rvArgumentsBad
	}
	n, err := l.Encrypt(ck.SessionHandle(hSession), in, outBytes(pEncryptedData, pulEncryptedDataLen))
	return outLen(pulEncryptedDataLen, n, err)
}

//export kagiGo_DecryptInit
func kagiGo_DecryptInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	return rvErr(l.DecryptInit(ck.SessionHandle(hSession), m, ck.ObjectHandle(hKey)))
}

//export kagiGo_Decrypt
func kagiGo_Decrypt(hSession C.CK_SESSION_HANDLE, pEncryptedData C.CK_BYTE_PTR, ulEncryptedDataLen C.CK_ULONG, pData C.CK_BYTE_PTR, pulDataLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pEncryptedData, ulEncryptedDataLen)
	if !ok || pulDataLen == nil {
		return rvArgumentsBad
	}
	n, err := l.Decrypt(ck.SessionHandle(hSession), in, outBytes(pData, pulDataLen))
	return outLen(pulDataLen, n, err)
}

//export kagiGo_DigestInit
func kagiGo_DigestInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	return rvErr(l.DigestInit(ck.SessionHandle(hSession), m))
}

//export kagiGo_Digest
func kagiGo_Digest(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pDigest C.CK_BYTE_PTR, pulDigestLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pData, ulDataLen)
	if !ok || pulDigestLen == nil {
		return rvArgumentsBad
	}
	n, err := l.Digest(ck.SessionHandle(hSession), in, outBytes(pDigest, pulDigestLen))
	return outLen(pulDigestLen, n, err)
}

//export kagiGo_DigestUpdate
func kagiGo_DigestUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pPart, ulPartLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(l.DigestUpdate(ck.SessionHandle(hSession), in))
}

//export kagiGo_DigestFinal
func kagiGo_DigestFinal(hSession C.CK_SESSION_HANDLE, pDigest C.CK_BYTE_PTR, pulDigestLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pulDigestLen == nil {
		return rvArgumentsBad
	}
	n, err := l.DigestFinal(ck.SessionHandle(hSession), outBytes(pDigest, pulDigestLen))
	return outLen(pulDigestLen, n, err)
}

//export kagiGo_SignInit
func kagiGo_SignInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	return rvErr(l.SignInit(ck.SessionHandle(hSession), m, ck.ObjectHandle(hKey)))
}

//export kagiGo_Sign
func kagiGo_Sign(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pData, ulDataLen)
	if !ok || pulSignatureLen == nil {
		return rvArgumentsBad
	}
	n, err := l.Sign(ck.SessionHandle(hSession), in, outBytes(pSignature, pulSignatureLen))
	return outLen(pulSignatureLen, n, err)
}

//export kagiGo_SignUpdate
func kagiGo_SignUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pPart, ulPartLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(l.SignUpdate(ck.SessionHandle(hSession), in))
}

//export kagiGo_SignFinal
func kagiGo_SignFinal(hSession C.CK_SESSION_HANDLE, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pulSignatureLen == nil {
		return rvArgumentsBad
	}
	n, err := l.SignFinal(ck.SessionHandle(hSession), outBytes(pSignature, pulSignatureLen))
	return outLen(pulSignatureLen, n, err)
}

//export kagiGo_VerifyInit
func kagiGo_VerifyInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	return rvErr(l.VerifyInit(ck.SessionHandle(hSession), m, ck.ObjectHandle(hKey)))
}

//export kagiGo_Verify
func kagiGo_Verify(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok1 := inBytes(pData, ulDataLen)
	sig, ok2 := inBytes(pSignature, ulSignatureLen)
	if !ok1 || !ok2 {
		return rvArgumentsBad
	}
	return rvErr(l.Verify(ck.SessionHandle(hSession), in, sig))
}

//export kagiGo_VerifyUpdate
func kagiGo_VerifyUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pPart, ulPartLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(l.VerifyUpdate(ck.SessionHandle(hSession), in))
}

//export kagiGo_VerifyFinal
func kagiGo_VerifyFinal(hSession C.CK_SESSION_HANDLE, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	sig, ok := inBytes(pSignature, ulSignatureLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(l.VerifyFinal(ck.SessionHandle(hSession), sig))
}

//export kagiGo_GenerateKey
func kagiGo_GenerateKey(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, pTemplate C.CK_ATTRIBUTE_PTR, ulCount C.CK_ULONG, phKey C.CK_OBJECT_HANDLE_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if phKey == nil {
		return rvArgumentsBad
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	tmpl, r := template(pTemplate, ulCount)
	if r != rvOK {
		return r
	}
	h, err := l.GenerateKey(ck.SessionHandle(hSession), m, tmpl)
	if err != nil {
		return rvErr(err)
	}
	*phKey = C.CK_OBJECT_HANDLE(h)
	return rvOK
}

//export kagiGo_GenerateKeyPair
func kagiGo_GenerateKeyPair(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, pPublicKeyTemplate C.CK_ATTRIBUTE_PTR, ulPublicKeyAttributeCount C.CK_ULONG, pPrivateKeyTemplate C.CK_ATTRIBUTE_PTR, ulPrivateKeyAttributeCount C.CK_ULONG, phPublicKey C.CK_OBJECT_HANDLE_PTR, phPrivateKey C.CK_OBJECT_HANDLE_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if phPublicKey == nil || phPrivateKey == nil {
		return rvArgumentsBad
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	pub, r := template(pPublicKeyTemplate, ulPublicKeyAttributeCount)
	if r != rvOK {
		return r
	}
	priv, r := template(pPrivateKeyTemplate, ulPrivateKeyAttributeCount)
	if r != rvOK {
		return r
	}
	hPub, hPriv, err := l.GenerateKeyPair(ck.SessionHandle(hSession), m, pub, priv)
	if err != nil {
		return rvErr(err)
	}
	*phPublicKey = C.CK_OBJECT_HANDLE(hPub)
	*phPrivateKey = C.CK_OBJECT_HANDLE(hPriv)
	return rvOK
}

//export kagiGo_SeedRandom
func kagiGo_SeedRandom(hSession C.CK_SESSION_HANDLE, pSeed C.CK_BYTE_PTR, ulSeedLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	seed, ok := inBytes(pSeed, ulSeedLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(l.SeedRandom(ck.SessionHandle(hSession), seed))
}

//export kagiGo_GenerateRandom
func kagiGo_GenerateRandom(hSession C.CK_SESSION_HANDLE, RandomData C.CK_BYTE_PTR, ulRandomLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	// The output is exactly ulRandomLen bytes, so it is a view like an input.
	out, ok := inBytes(RandomData, ulRandomLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(l.GenerateRandom(ck.SessionHandle(hSession), out))
}

package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// The cryptographic entry points. These are the hot path (a sign is
// C_SignInit + C_Sign): no allocation here beyond what token does, input
// and output buffers are views of the caller's memory, and a mechanism
// without a parameter is decoded without a table lookup. Each export keeps
// its own deferred guard (recover works only there) and hands the rest to
// one of the shapes below, given the token method as a method expression.

// keyInit is the shape of C_EncryptInit, C_SignInit and the like.
func keyInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE,
	f func(*token.Library, ck.SessionHandle, ck.Mechanism, ck.ObjectHandle) error) C.CK_RV {
	l, r := library()
	if r != rvOK {
		return r
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	return rvErr(f(l, ck.SessionHandle(hSession), m, ck.ObjectHandle(hKey)))
}

// oneShot is the shape of C_Encrypt, C_Sign, C_Digest and C_EncryptUpdate:
// input in, output under the length convention.
func oneShot(hSession C.CK_SESSION_HANDLE, pIn C.CK_BYTE_PTR, ulInLen C.CK_ULONG, pOut C.CK_BYTE_PTR, pulOutLen C.CK_ULONG_PTR,
	f func(*token.Library, ck.SessionHandle, []byte, []byte) (int, error)) C.CK_RV {
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pIn, ulInLen)
	if !ok || pulOutLen == nil {
		return rvArgumentsBad
	}
	n, err := f(l, ck.SessionHandle(hSession), in, outBytes(pOut, pulOutLen))
	return outLen(pulOutLen, n, err)
}

// inputOnly is the shape of C_*Update without output, C_VerifyFinal and
// C_SeedRandom: one input buffer.
func inputOnly(hSession C.CK_SESSION_HANDLE, pIn C.CK_BYTE_PTR, ulInLen C.CK_ULONG,
	f func(*token.Library, ck.SessionHandle, []byte) error) C.CK_RV {
	l, r := library()
	if r != rvOK {
		return r
	}
	in, ok := inBytes(pIn, ulInLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(f(l, ck.SessionHandle(hSession), in))
}

// final is the shape of C_SignFinal, C_DigestFinal and C_EncryptFinal:
// output only.
func final(hSession C.CK_SESSION_HANDLE, pOut C.CK_BYTE_PTR, pulOutLen C.CK_ULONG_PTR,
	f func(*token.Library, ck.SessionHandle, []byte) (int, error)) C.CK_RV {
	l, r := library()
	if r != rvOK {
		return r
	}
	if pulOutLen == nil {
		return rvArgumentsBad
	}
	n, err := f(l, ck.SessionHandle(hSession), outBytes(pOut, pulOutLen))
	return outLen(pulOutLen, n, err)
}

//export kagiGo_EncryptInit
func kagiGo_EncryptInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return keyInit(hSession, pMechanism, hKey, (*token.Library).EncryptInit)
}

//export kagiGo_Encrypt
func kagiGo_Encrypt(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pEncryptedData C.CK_BYTE_PTR, pulEncryptedDataLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneShot(hSession, pData, ulDataLen, pEncryptedData, pulEncryptedDataLen, (*token.Library).Encrypt)
}

//export kagiGo_EncryptUpdate
func kagiGo_EncryptUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG, pEncryptedPart C.CK_BYTE_PTR, pulEncryptedPartLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneShot(hSession, pPart, ulPartLen, pEncryptedPart, pulEncryptedPartLen, (*token.Library).EncryptUpdate)
}

//export kagiGo_EncryptFinal
func kagiGo_EncryptFinal(hSession C.CK_SESSION_HANDLE, pLastEncryptedPart C.CK_BYTE_PTR, pulLastEncryptedPartLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return final(hSession, pLastEncryptedPart, pulLastEncryptedPartLen, (*token.Library).EncryptFinal)
}

//export kagiGo_DecryptInit
func kagiGo_DecryptInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return keyInit(hSession, pMechanism, hKey, (*token.Library).DecryptInit)
}

//export kagiGo_Decrypt
func kagiGo_Decrypt(hSession C.CK_SESSION_HANDLE, pEncryptedData C.CK_BYTE_PTR, ulEncryptedDataLen C.CK_ULONG, pData C.CK_BYTE_PTR, pulDataLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneShot(hSession, pEncryptedData, ulEncryptedDataLen, pData, pulDataLen, (*token.Library).Decrypt)
}

//export kagiGo_DecryptUpdate
func kagiGo_DecryptUpdate(hSession C.CK_SESSION_HANDLE, pEncryptedPart C.CK_BYTE_PTR, ulEncryptedPartLen C.CK_ULONG, pPart C.CK_BYTE_PTR, pulPartLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneShot(hSession, pEncryptedPart, ulEncryptedPartLen, pPart, pulPartLen, (*token.Library).DecryptUpdate)
}

//export kagiGo_DecryptFinal
func kagiGo_DecryptFinal(hSession C.CK_SESSION_HANDLE, pLastPart C.CK_BYTE_PTR, pulLastPartLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return final(hSession, pLastPart, pulLastPartLen, (*token.Library).DecryptFinal)
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
	return oneShot(hSession, pData, ulDataLen, pDigest, pulDigestLen, (*token.Library).Digest)
}

//export kagiGo_DigestUpdate
func kagiGo_DigestUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return inputOnly(hSession, pPart, ulPartLen, (*token.Library).DigestUpdate)
}

//export kagiGo_DigestKey
func kagiGo_DigestKey(hSession C.CK_SESSION_HANDLE, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.DigestKey(ck.SessionHandle(hSession), ck.ObjectHandle(hKey)))
}

//export kagiGo_DigestFinal
func kagiGo_DigestFinal(hSession C.CK_SESSION_HANDLE, pDigest C.CK_BYTE_PTR, pulDigestLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return final(hSession, pDigest, pulDigestLen, (*token.Library).DigestFinal)
}

//export kagiGo_SignInit
func kagiGo_SignInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return keyInit(hSession, pMechanism, hKey, (*token.Library).SignInit)
}

//export kagiGo_Sign
func kagiGo_Sign(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneShot(hSession, pData, ulDataLen, pSignature, pulSignatureLen, (*token.Library).Sign)
}

//export kagiGo_SignUpdate
func kagiGo_SignUpdate(hSession C.CK_SESSION_HANDLE, pPart C.CK_BYTE_PTR, ulPartLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return inputOnly(hSession, pPart, ulPartLen, (*token.Library).SignUpdate)
}

//export kagiGo_SignFinal
func kagiGo_SignFinal(hSession C.CK_SESSION_HANDLE, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return final(hSession, pSignature, pulSignatureLen, (*token.Library).SignFinal)
}

//export kagiGo_VerifyInit
func kagiGo_VerifyInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return keyInit(hSession, pMechanism, hKey, (*token.Library).VerifyInit)
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
	return inputOnly(hSession, pPart, ulPartLen, (*token.Library).VerifyUpdate)
}

//export kagiGo_VerifyFinal
func kagiGo_VerifyFinal(hSession C.CK_SESSION_HANDLE, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return inputOnly(hSession, pSignature, ulSignatureLen, (*token.Library).VerifyFinal)
}

//export kagiGo_SignRecoverInit
func kagiGo_SignRecoverInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return keyInit(hSession, pMechanism, hKey, (*token.Library).SignRecoverInit)
}

//export kagiGo_SignRecover
func kagiGo_SignRecover(hSession C.CK_SESSION_HANDLE, pData C.CK_BYTE_PTR, ulDataLen C.CK_ULONG, pSignature C.CK_BYTE_PTR, pulSignatureLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneShot(hSession, pData, ulDataLen, pSignature, pulSignatureLen, (*token.Library).SignRecover)
}

//export kagiGo_VerifyRecoverInit
func kagiGo_VerifyRecoverInit(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hKey C.CK_OBJECT_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	return keyInit(hSession, pMechanism, hKey, (*token.Library).VerifyRecoverInit)
}

//export kagiGo_VerifyRecover
func kagiGo_VerifyRecover(hSession C.CK_SESSION_HANDLE, pSignature C.CK_BYTE_PTR, ulSignatureLen C.CK_ULONG, pData C.CK_BYTE_PTR, pulDataLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	return oneShot(hSession, pSignature, ulSignatureLen, pData, pulDataLen, (*token.Library).VerifyRecover)
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

//export kagiGo_WrapKey
func kagiGo_WrapKey(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hWrappingKey C.CK_OBJECT_HANDLE, hKey C.CK_OBJECT_HANDLE, pWrappedKey C.CK_BYTE_PTR, pulWrappedKeyLen C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pulWrappedKeyLen == nil {
		return rvArgumentsBad
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	n, err := l.WrapKey(ck.SessionHandle(hSession), m, ck.ObjectHandle(hWrappingKey), ck.ObjectHandle(hKey), outBytes(pWrappedKey, pulWrappedKeyLen))
	return outLen(pulWrappedKeyLen, n, err)
}

//export kagiGo_UnwrapKey
func kagiGo_UnwrapKey(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hUnwrappingKey C.CK_OBJECT_HANDLE, pWrappedKey C.CK_BYTE_PTR, ulWrappedKeyLen C.CK_ULONG, pTemplate C.CK_ATTRIBUTE_PTR, ulAttributeCount C.CK_ULONG, phKey C.CK_OBJECT_HANDLE_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	wrapped, ok := inBytes(pWrappedKey, ulWrappedKeyLen)
	if !ok || phKey == nil {
		return rvArgumentsBad
	}
	m, r := mechanism(pMechanism)
	if r != rvOK {
		return r
	}
	tmpl, r := template(pTemplate, ulAttributeCount)
	if r != rvOK {
		return r
	}
	h, err := l.UnwrapKey(ck.SessionHandle(hSession), m, ck.ObjectHandle(hUnwrappingKey), wrapped, tmpl)
	if err != nil {
		return rvErr(err)
	}
	*phKey = C.CK_OBJECT_HANDLE(h)
	return rvOK
}

//export kagiGo_DeriveKey
func kagiGo_DeriveKey(hSession C.CK_SESSION_HANDLE, pMechanism C.CK_MECHANISM_PTR, hBaseKey C.CK_OBJECT_HANDLE, pTemplate C.CK_ATTRIBUTE_PTR, ulAttributeCount C.CK_ULONG, phKey C.CK_OBJECT_HANDLE_PTR) (r C.CK_RV) {
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
	tmpl, r := template(pTemplate, ulAttributeCount)
	if r != rvOK {
		return r
	}
	h, err := l.DeriveKey(ck.SessionHandle(hSession), m, ck.ObjectHandle(hBaseKey), tmpl)
	if err != nil {
		return rvErr(err)
	}
	*phKey = C.CK_OBJECT_HANDLE(h)
	return rvOK
}

//export kagiGo_SeedRandom
func kagiGo_SeedRandom(hSession C.CK_SESSION_HANDLE, pSeed C.CK_BYTE_PTR, ulSeedLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return inputOnly(hSession, pSeed, ulSeedLen, (*token.Library).SeedRandom)
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

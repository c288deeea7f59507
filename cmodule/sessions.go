package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"unicode/utf8"

	"github.com/kagi-hsm/kagi/token/ck"
)

//export kagiGo_OpenSession
func kagiGo_OpenSession(slotID C.CK_SLOT_ID, flags C.CK_FLAGS, pApplication C.CK_VOID_PTR, Notify C.CK_NOTIFY, phSession C.CK_SESSION_HANDLE_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if phSession == nil {
		return rvArgumentsBad
	}
	// pApplication and Notify are ignored: kagi sends no notifications
	// (CKN_SURRENDER is for functions that run long, section 5.16).
	h, err := l.OpenSession(ck.SlotID(slotID), ck.Flags(flags))
	if err != nil {
		return rvErr(err)
	}
	*phSession = C.CK_SESSION_HANDLE(h)
	return rvOK
}

//export kagiGo_CloseSession
func kagiGo_CloseSession(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.CloseSession(ck.SessionHandle(hSession)))
}

//export kagiGo_CloseAllSessions
func kagiGo_CloseAllSessions(slotID C.CK_SLOT_ID) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.CloseAllSessions(ck.SlotID(slotID)))
}

//export kagiGo_GetSessionInfo
func kagiGo_GetSessionInfo(hSession C.CK_SESSION_HANDLE, pInfo C.CK_SESSION_INFO_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pInfo == nil {
		return rvArgumentsBad
	}
	si, err := l.SessionInfo(ck.SessionHandle(hSession))
	if err != nil {
		return rvErr(err)
	}
	*pInfo = C.CK_SESSION_INFO{
		slotID:        C.CK_SLOT_ID(si.SlotID),
		state:         C.CK_STATE(si.State),
		flags:         C.CK_FLAGS(si.Flags),
		ulDeviceError: C.CK_ULONG(si.DeviceError),
	}
	return rvOK
}

//export kagiGo_Login
func kagiGo_Login(hSession C.CK_SESSION_HANDLE, userType C.CK_USER_TYPE, pPin C.CK_UTF8CHAR_PTR, ulPinLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	return login(hSession, userType, pPin, ulPinLen)
}

// login is C_Login's call, C_LoginUser's too.
func login(hSession C.CK_SESSION_HANDLE, userType C.CK_USER_TYPE, pPin C.CK_UTF8CHAR_PTR, ulPinLen C.CK_ULONG) C.CK_RV {
	l, r := library()
	if r != rvOK {
		return r
	}
	pin, ok := pinBytes(pPin, ulPinLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(l.Login(ck.SessionHandle(hSession), ck.UserType(userType), pin))
}

// kagiGo_LoginUser is C_LoginUser (PKCS#11 3.0). A kagi token has one user
// per role, as NSS's softoken, so the name says nothing the PIN does not:
// it must be readable UTF-8 and is otherwise C_Login's call.
//
//export kagiGo_LoginUser
func kagiGo_LoginUser(hSession C.CK_SESSION_HANDLE, userType C.CK_USER_TYPE, pPin C.CK_UTF8CHAR_PTR, ulPinLen C.CK_ULONG, pUsername C.CK_UTF8CHAR_PTR, ulUsernameLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	if _, r := library(); r != rvOK {
		return r
	}
	if name, ok := inBytes(pUsername, ulUsernameLen); !ok || !utf8.Valid(name) {
		return rvArgumentsBad
	}
	return login(hSession, userType, pPin, ulPinLen)
}

//export kagiGo_Logout
func kagiGo_Logout(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.Logout(ck.SessionHandle(hSession)))
}

//export kagiGo_InitPIN
func kagiGo_InitPIN(hSession C.CK_SESSION_HANDLE, pPin C.CK_UTF8CHAR_PTR, ulPinLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	pin, ok := pinBytes(pPin, ulPinLen)
	if !ok {
		return rvArgumentsBad
	}
	return rvErr(l.InitPIN(ck.SessionHandle(hSession), pin))
}

//export kagiGo_SetPIN
func kagiGo_SetPIN(hSession C.CK_SESSION_HANDLE, pOldPin C.CK_UTF8CHAR_PTR, ulOldLen C.CK_ULONG, pNewPin C.CK_UTF8CHAR_PTR, ulNewLen C.CK_ULONG) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	oldPIN, ok1 := pinBytes(pOldPin, ulOldLen)
	newPIN, ok2 := pinBytes(pNewPin, ulNewLen)
	if !ok1 || !ok2 {
		return rvArgumentsBad
	}
	return rvErr(l.SetPIN(ck.SessionHandle(hSession), oldPIN, newPIN))
}

// C_GetFunctionStatus and C_CancelFunction are legacy: kagi runs no function
// in parallel with the application (section 5.20).

//export kagiGo_GetFunctionStatus
func kagiGo_GetFunctionStatus(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	if _, r := library(); r != rvOK {
		return r
	}
	return rv(ck.CKR_FUNCTION_NOT_PARALLEL)
}

//export kagiGo_CancelFunction
func kagiGo_CancelFunction(hSession C.CK_SESSION_HANDLE) (r C.CK_RV) {
	defer guard(&r)
	if _, r := library(); r != rvOK {
		return r
	}
	return rv(ck.CKR_FUNCTION_NOT_PARALLEL)
}

//export kagiGo_SessionCancel
func kagiGo_SessionCancel(hSession C.CK_SESSION_HANDLE, flags C.CK_FLAGS) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	return rvErr(l.SessionCancel(ck.SessionHandle(hSession), ck.Flags(flags)))
}

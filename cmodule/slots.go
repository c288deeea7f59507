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

//export kagiGo_GetSlotList
func kagiGo_GetSlotList(tokenPresent C.CK_BBOOL, pSlotList C.CK_SLOT_ID_PTR, pulCount C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pulCount == nil {
		return rvArgumentsBad
	}
	ids, err := l.Slots(tokenPresent != 0)
	if err != nil {
		return rvErr(err)
	}
	if pSlotList == nil {
		*pulCount = C.CK_ULONG(len(ids))
		return rvOK
	}
	if *pulCount < C.CK_ULONG(len(ids)) {
		*pulCount = C.CK_ULONG(len(ids))
		return rvBufferTooSmall
	}
	out := unsafe.Slice(pSlotList, len(ids))
	for i, id := range ids {
		out[i] = C.CK_SLOT_ID(id)
	}
	*pulCount = C.CK_ULONG(len(ids))
	return rvOK
}

//export kagiGo_GetSlotInfo
func kagiGo_GetSlotInfo(slotID C.CK_SLOT_ID, pInfo C.CK_SLOT_INFO_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pInfo == nil {
		return rvArgumentsBad
	}
	si, err := l.SlotInfo(ck.SlotID(slotID))
	if err != nil {
		return rvErr(err)
	}
	*pInfo = C.CK_SLOT_INFO{
		flags:           C.CK_FLAGS(si.Flags),
		hardwareVersion: version(si.HardwareVersion),
		firmwareVersion: version(si.FirmwareVersion),
	}
	pad(pInfo.slotDescription[:], si.Description)
	pad(pInfo.manufacturerID[:], si.ManufacturerID)
	return rvOK
}

//export kagiGo_GetTokenInfo
func kagiGo_GetTokenInfo(slotID C.CK_SLOT_ID, pInfo C.CK_TOKEN_INFO_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pInfo == nil {
		return rvArgumentsBad
	}
	ti, err := l.TokenInfo(ck.SlotID(slotID))
	if err != nil {
		return rvErr(err)
	}
	fillTokenInfo(pInfo, &ti)
	return rvOK
}

func fillTokenInfo(p *C.CK_TOKEN_INFO, ti *token.TokenInfo) {
	*p = C.CK_TOKEN_INFO{
		flags:                C.CK_FLAGS(ti.Flags),
		ulMaxSessionCount:    C.CK_ULONG(ti.MaxSessionCount),
		ulSessionCount:       C.CK_ULONG(ti.SessionCount),
		ulMaxRwSessionCount:  C.CK_ULONG(ti.MaxRwSessionCount),
		ulRwSessionCount:     C.CK_ULONG(ti.RwSessionCount),
		ulMaxPinLen:          C.CK_ULONG(ti.MaxPinLen),
		ulMinPinLen:          C.CK_ULONG(ti.MinPinLen),
		ulTotalPublicMemory:  C.CK_ULONG(ti.TotalPublicMemory),
		ulFreePublicMemory:   C.CK_ULONG(ti.FreePublicMemory),
		ulTotalPrivateMemory: C.CK_ULONG(ti.TotalPrivateMemory),
		ulFreePrivateMemory:  C.CK_ULONG(ti.FreePrivateMemory),
		hardwareVersion:      version(ti.HardwareVersion),
		firmwareVersion:      version(ti.FirmwareVersion),
	}
	pad(p.label[:], ti.Label)
	pad(p.manufacturerID[:], ti.ManufacturerID)
	pad(p.model[:], ti.Model)
	pad(p.serialNumber[:], ti.SerialNumber)
	pad(p.utcTime[:], ti.UTCTime)
}

//export kagiGo_GetMechanismList
func kagiGo_GetMechanismList(slotID C.CK_SLOT_ID, pMechanismList C.CK_MECHANISM_TYPE_PTR, pulCount C.CK_ULONG_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pulCount == nil {
		return rvArgumentsBad
	}
	ms, err := l.Mechanisms(ck.SlotID(slotID))
	if err != nil {
		return rvErr(err)
	}
	if pMechanismList == nil {
		*pulCount = C.CK_ULONG(len(ms))
		return rvOK
	}
	if *pulCount < C.CK_ULONG(len(ms)) {
		*pulCount = C.CK_ULONG(len(ms))
		return rvBufferTooSmall
	}
	out := unsafe.Slice(pMechanismList, len(ms))
	for i, m := range ms {
		out[i] = C.CK_MECHANISM_TYPE(m)
	}
	*pulCount = C.CK_ULONG(len(ms))
	return rvOK
}

//export kagiGo_GetMechanismInfo
func kagiGo_GetMechanismInfo(slotID C.CK_SLOT_ID, typ C.CK_MECHANISM_TYPE, pInfo C.CK_MECHANISM_INFO_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	if pInfo == nil {
		return rvArgumentsBad
	}
	mi, err := l.MechanismInfo(ck.SlotID(slotID), ck.MechanismType(typ))
	if err != nil {
		return rvErr(err)
	}
	*pInfo = C.CK_MECHANISM_INFO{
		ulMinKeySize: C.CK_ULONG(mi.MinKeySize),
		ulMaxKeySize: C.CK_ULONG(mi.MaxKeySize),
		flags:        C.CK_FLAGS(mi.Flags),
	}
	return rvOK
}

// labelLen is the width of CK_TOKEN_INFO.label and of C_InitToken's pLabel.
const labelLen = 32

//export kagiGo_InitToken
func kagiGo_InitToken(slotID C.CK_SLOT_ID, pPin C.CK_UTF8CHAR_PTR, ulPinLen C.CK_ULONG, pLabel C.CK_UTF8CHAR_PTR) (r C.CK_RV) {
	defer guard(&r)
	l, r := library()
	if r != rvOK {
		return r
	}
	pin, ok := pinBytes(pPin, ulPinLen)
	if !ok || pLabel == nil {
		return rvArgumentsBad
	}
	// The label is 32 bytes, blank padded (section 5.6, C_InitToken).
	label := blankTrimmed(unsafe.Slice((*byte)(unsafe.Pointer(pLabel)), labelLen))
	return rvErr(l.InitToken(ck.SlotID(slotID), pin, label))
}

//export kagiGo_WaitForSlotEvent
func kagiGo_WaitForSlotEvent(flags C.CK_FLAGS, pSlot C.CK_SLOT_ID_PTR, pReserved C.CK_VOID_PTR) (r C.CK_RV) {
	defer guard(&r)
	if _, r := library(); r != rvOK {
		return r
	}
	if pSlot == nil || pReserved != nil {
		return rvArgumentsBad
	}
	// Slots are not removable, so there is never an event; waiting for one
	// would block forever.
	if ck.Flags(flags)&ck.CKF_DONT_BLOCK != 0 {
		return rv(ck.CKR_NO_EVENT)
	}
	return rvNotSupported
}

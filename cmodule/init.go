package main

/*
#include <stdlib.h>
#include "pkcs11.h"
*/
import "C"

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// lib is the library between C_Initialize and C_Finalize; nil otherwise.
var lib atomic.Pointer[token.Library]

// lifecycle serialises C_Initialize and C_Finalize with each other (not with
// the other calls, which only load lib).
var lifecycle sync.Mutex

// library returns the initialised library or CKR_CRYPTOKI_NOT_INITIALIZED.
func library() (*token.Library, C.CK_RV) {
	l := lib.Load()
	if l == nil {
		return nil, rvNotInitialized
	}
	return l, rvOK
}

//export kagiGo_Initialize
func kagiGo_Initialize(pInitArgs C.CK_VOID_PTR) (r C.CK_RV) {
	defer guard(&r)
	lifecycle.Lock()
	defer lifecycle.Unlock()
	// As SoftHSMv2: a second call is reported before the arguments are read.
	if lib.Load() != nil {
		return rv(ck.CKR_CRYPTOKI_ALREADY_INITIALIZED)
	}
	if pInitArgs != nil {
		if r := initArgs((*C.CK_C_INITIALIZE_ARGS)(pInitArgs)); r != rvOK {
			return r
		}
	}
	cfg, err := token.ConfigFrom(cgetenv)
	if err != nil {
		initFailed(err)
		return rvErr(err)
	}
	l, err := token.New(cfg)
	if err != nil {
		initFailed(err)
		return rvErr(err)
	}
	lib.Store(l)
	return rvOK
}

// cgetenv reads the C library's environment. The Go runtime of a c-shared
// library copies the environment once, when it is loaded, so os.Getenv would
// miss a KAGI_DB that the host sets (setenv) between loading the module and
// C_Initialize, as tests and wrappers commonly do.
func cgetenv(name string) string {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	if v := C.getenv(cs); v != nil {
		return C.GoString(v)
	}
	return ""
}

// initArgs checks CK_C_INITIALIZE_ARGS (section 5.4, C_Initialize). kagi
// always uses its own OS-level locking, so either set of locking callbacks
// is accepted and never called.
//
// CKF_LIBRARY_CANT_CREATE_OS_THREADS is accepted and has no effect, as in
// SoftHSMv2. GnuTLS (through p11-kit) and NSS set it on every module they
// load, so refusing it with CKR_NEED_TO_CREATE_THREADS made kagi unusable
// from p11tool, certtool, certutil and modutil. The only threads kagi has
// are the Go runtime's, which it started when the library was loaded,
// before any C_Initialize; they never run application code or call the
// application's locking functions, so refusing the flag would not honour it
// anyway.
func initArgs(a *C.CK_C_INITIALIZE_ARGS) C.CK_RV {
	if a.pReserved != nil {
		return rvArgumentsBad
	}
	set := 0
	for _, f := range [...]unsafe.Pointer{
		unsafe.Pointer(a.CreateMutex), unsafe.Pointer(a.DestroyMutex),
		unsafe.Pointer(a.LockMutex), unsafe.Pointer(a.UnlockMutex),
	} {
		if f != nil {
			set++
		}
	}
	if set != 0 && set != 4 {
		return rvArgumentsBad
	}
	return rvOK
}

// initFailed says on stderr why C_Initialize failed: the caller only sees
// a code, and the reason (a locked or corrupt database, a bad KAGI_CONF) is
// what the user needs.
func initFailed(err error) {
	name := ck.ErrorRV(err).Error()
	msg := strings.TrimPrefix(err.Error(), name+": ")
	msg = strings.TrimPrefix(msg, "kagi: ")
	os.Stderr.WriteString("kagi: C_Initialize failed (" + name + "): " + msg + "\n")
}

//export kagiGo_Finalize
func kagiGo_Finalize(pReserved C.CK_VOID_PTR) (r C.CK_RV) {
	defer guard(&r)
	lifecycle.Lock()
	defer lifecycle.Unlock()
	l := lib.Load()
	if l == nil {
		return rvNotInitialized
	}
	if pReserved != nil {
		return rvArgumentsBad
	}
	// Calls that already loaded l finish on it; new calls see
	// CKR_CRYPTOKI_NOT_INITIALIZED. (Section 5.4: the application must not
	// call C_Finalize while other threads are still in the library.)
	lib.Store(nil)
	return rvErr(l.Finalize())
}

//export kagiGo_GetInfo
func kagiGo_GetInfo(pInfo C.CK_INFO_PTR) (r C.CK_RV) {
	defer guard(&r)
	if _, r := library(); r != rvOK {
		return r
	}
	if pInfo == nil {
		return rvArgumentsBad
	}
	*pInfo = C.CK_INFO{
		cryptokiVersion: C.CK_VERSION{major: 3, minor: 0},
		libraryVersion:  version(token.LibraryVersion),
	}
	pad(pInfo.manufacturerID[:], token.ManufacturerID)
	pad(pInfo.libraryDescription[:], token.LibraryDescription)
	return rvOK
}

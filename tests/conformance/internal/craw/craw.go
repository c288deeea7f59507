// Package craw calls a PKCS#11 module's functions through its raw function
// list, for the conformance cases miekg/pkcs11 cannot express: NULL pointer
// arguments, the length convention with a NULL or a short output buffer,
// C_GetAttributeValue with several attributes of chosen buffer sizes,
// C_Initialize with mutex callbacks, and derive mechanisms whose parameter
// is a CK_KEY_DERIVATION_STRING_DATA.
//
// It is a test helper: cgo is not allowed in _test.go files, so the C lives
// here. It dlopens the same path the suite loaded with miekg/pkcs11, which
// yields the same loaded module, so handles and state are shared with the
// suite's pkcs11.Ctx. Every buffer handed to the module is C memory.
package craw

/*
#cgo CFLAGS: -I${SRCDIR}/../../../..
#cgo LDFLAGS: -ldl -lpthread
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "pkcs11.h"

static CK_FUNCTION_LIST *craw_open(const char *path, char **err) {
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) { *err = dlerror(); return NULL; }
	CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList");
	if (!get) { *err = "no C_GetFunctionList"; return NULL; }
	CK_FUNCTION_LIST *fl = NULL;
	if (get(&fl) != CKR_OK || !fl) { *err = "C_GetFunctionList failed"; return NULL; }
	return fl;
}

// Application-supplied mutexes for C_Initialize; created counts CreateMutex.
static long craw_mutexes_created;
static CK_RV craw_create(CK_VOID_PTR_PTR pp) {
	if (!pp) return CKR_ARGUMENTS_BAD;
	pthread_mutex_t *m = malloc(sizeof *m);
	if (!m) return CKR_HOST_MEMORY;
	pthread_mutex_init(m, NULL);
	__atomic_add_fetch(&craw_mutexes_created, 1, __ATOMIC_SEQ_CST);
	*pp = m;
	return CKR_OK;
}
static CK_RV craw_destroy(CK_VOID_PTR p) {
	if (!p) return CKR_MUTEX_BAD;
	pthread_mutex_destroy(p);
	free(p);
	return CKR_OK;
}
static CK_RV craw_lock(CK_VOID_PTR p) {
	if (!p) return CKR_MUTEX_BAD;
	return pthread_mutex_lock(p) ? CKR_GENERAL_ERROR : CKR_OK;
}
static CK_RV craw_unlock(CK_VOID_PTR p) {
	if (!p) return CKR_MUTEX_BAD;
	return pthread_mutex_unlock(p) ? CKR_MUTEX_NOT_LOCKED : CKR_OK;
}
static long craw_created(void) { return __atomic_load_n(&craw_mutexes_created, __ATOMIC_SEQ_CST); }

static CK_RV craw_initialize(CK_FUNCTION_LIST *f, int null_args, int mask, CK_FLAGS flags, int reserved) {
	if (null_args) return f->C_Initialize(NULL);
	static CK_C_INITIALIZE_ARGS a;
	static char r;
	memset(&a, 0, sizeof a);
	if (mask & 1) a.CreateMutex = craw_create;
	if (mask & 2) a.DestroyMutex = craw_destroy;
	if (mask & 4) a.LockMutex = craw_lock;
	if (mask & 8) a.UnlockMutex = craw_unlock;
	a.flags = flags;
	a.pReserved = reserved ? &r : NULL;
	return f->C_Initialize(&a);
}

static CK_RV craw_finalize(CK_FUNCTION_LIST *f) { return f->C_Finalize(NULL); }

// NULL-argument calls: which names the call, a/b its handle arguments.
static CK_RV craw_null(CK_FUNCTION_LIST *f, int which, CK_ULONG a, CK_ULONG b, CK_ULONG n) {
	CK_ULONG count = 0;
	CK_OBJECT_HANDLE obj = 0;
	CK_SESSION_HANDLE sh = 0;
	CK_BYTE buf[64];
	switch (which) {
	case 0: return f->C_GetSlotList(CK_FALSE, NULL, NULL);
	case 1: return f->C_GetInfo(NULL);
	case 2: return f->C_GetSlotInfo(a, NULL);
	case 3: return f->C_GetTokenInfo(a, NULL);
	case 4: return f->C_GetSessionInfo(a, NULL);
	case 5: return f->C_OpenSession(a, CKF_SERIAL_SESSION, NULL, NULL, NULL);
	case 6: return f->C_SignInit(a, NULL, b);
	case 7: return f->C_DigestInit(a, NULL);
	case 8: return f->C_CreateObject(a, NULL, n, &obj);
	case 9: return f->C_FindObjectsInit(a, NULL, n);
	case 10: return f->C_GetAttributeValue(a, b, NULL, n);
	case 11: return f->C_GenerateRandom(a, NULL, n);
	case 12: return f->C_GetMechanismList(a, NULL, NULL);
	case 13: return f->C_FindObjects(a, NULL, n, &count);
	case 14: return f->C_FindObjects(a, &obj, n, NULL);
	case 15: return f->C_EncryptInit(a, NULL, b);
	case 16: return f->C_GetMechanismInfo(a, b, NULL);
	case 17: return f->C_Login(a, CKU_USER, NULL, n);
	case 18: (void)sh; (void)buf; return f->C_SeedRandom(a, NULL, n);
	}
	return CKR_FUNCTION_FAILED;
}

// Single-part calls with an output buffer: which is 0 C_Sign, 1 C_Encrypt,
// 2 C_Digest, 3 C_Decrypt. out may be NULL, outLen may be NULL.
static CK_RV craw_out(CK_FUNCTION_LIST *f, int which, CK_SESSION_HANDLE sh,
		CK_BYTE *in, CK_ULONG inLen, CK_BYTE *out, CK_ULONG *outLen) {
	switch (which) {
	case 0: return f->C_Sign(sh, in, inLen, out, outLen);
	case 1: return f->C_Encrypt(sh, in, inLen, out, outLen);
	case 2: return f->C_Digest(sh, in, inLen, out, outLen);
	case 3: return f->C_Decrypt(sh, in, inLen, out, outLen);
	}
	return CKR_FUNCTION_FAILED;
}

static CK_RV craw_get_attrs(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE sh, CK_OBJECT_HANDLE o,
		CK_ATTRIBUTE *t, CK_ULONG n) {
	return f->C_GetAttributeValue(sh, o, t, n);
}

static CK_RV craw_derive(CK_FUNCTION_LIST *f, CK_SESSION_HANDLE sh, CK_MECHANISM_TYPE m,
		int null_param, CK_BYTE *data, CK_ULONG dataLen, CK_OBJECT_HANDLE base,
		CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE *out) {
	CK_KEY_DERIVATION_STRING_DATA p = { data, dataLen };
	CK_MECHANISM mech = { m, null_param ? NULL : &p, null_param ? 0 : sizeof p };
	return f->C_DeriveKey(sh, &mech, base, t, n, out);
}
*/
import "C"

import (
	"errors"
	"unsafe"

	"github.com/miekg/pkcs11"
)

// Module is a loaded module's function list.
type Module struct {
	fl *C.CK_FUNCTION_LIST
}

// Open dlopens path (the module already loaded by the suite) and takes its
// function list. The module is never closed.
func Open(path string) (*Module, error) {
	cp := C.CString(path)
	defer C.free(unsafe.Pointer(cp))
	var msg *C.char
	fl := C.craw_open(cp, &msg)
	if fl == nil {
		return nil, errors.New("craw: " + path + ": " + C.GoString(msg))
	}
	return &Module{fl: fl}, nil
}

// InitArgs describes a CK_C_INITIALIZE_ARGS. Create, Destroy, Lock and
// Unlock set the matching callback (real pthread mutexes).
type InitArgs struct {
	Create, Destroy, Lock, Unlock bool
	Flags                         uint
	Reserved                      bool // a non-NULL pReserved
}

// AllMutexes is InitArgs with the four callbacks and flags.
func AllMutexes(flags uint) *InitArgs {
	return &InitArgs{Create: true, Destroy: true, Lock: true, Unlock: true, Flags: flags}
}

// Initialize calls C_Initialize with a (nil: a NULL pInitArgs).
func (m *Module) Initialize(a *InitArgs) uint {
	if a == nil {
		return uint(C.craw_initialize(m.fl, 1, 0, 0, 0))
	}
	mask := 0
	for i, b := range []bool{a.Create, a.Destroy, a.Lock, a.Unlock} {
		if b {
			mask |= 1 << i
		}
	}
	res := 0
	if a.Reserved {
		res = 1
	}
	return uint(C.craw_initialize(m.fl, 0, C.int(mask), C.CK_FLAGS(a.Flags), C.int(res)))
}

// MutexesCreated counts the calls of the CreateMutex callback so far.
func MutexesCreated() int { return int(C.craw_created()) }

// Finalize calls C_Finalize(NULL).
func (m *Module) Finalize() uint { return uint(C.craw_finalize(m.fl)) }

// NullCall names a call made with a NULL pointer argument.
type NullCall int

// The NULL-argument calls. a and b are the handle arguments (slot or
// session, then key or object or mechanism type), n the count or length.
const (
	GetSlotListNullCount          NullCall = iota // C_GetSlotList(FALSE, NULL, NULL)
	GetInfoNull                                   // C_GetInfo(NULL)
	GetSlotInfoNull                               // C_GetSlotInfo(a, NULL)
	GetTokenInfoNull                              // C_GetTokenInfo(a, NULL)
	GetSessionInfoNull                            // C_GetSessionInfo(a, NULL)
	OpenSessionNullHandle                         // C_OpenSession(a, SERIAL, NULL, NULL, NULL)
	SignInitNullMechanism                         // C_SignInit(a, NULL, b)
	DigestInitNullMechanism                       // C_DigestInit(a, NULL)
	CreateObjectNullTemplate                      // C_CreateObject(a, NULL, n, &h)
	FindObjectsInitNullTemplate                   // C_FindObjectsInit(a, NULL, n)
	GetAttributeValueNullTemplate                 // C_GetAttributeValue(a, b, NULL, n)
	GenerateRandomNull                            // C_GenerateRandom(a, NULL, n)
	GetMechanismListNullCount                     // C_GetMechanismList(a, NULL, NULL)
	FindObjectsNullHandles                        // C_FindObjects(a, NULL, n, &count)
	FindObjectsNullCount                          // C_FindObjects(a, &h, n, NULL)
	EncryptInitNullMechanism                      // C_EncryptInit(a, NULL, b)
	GetMechanismInfoNull                          // C_GetMechanismInfo(a, b, NULL)
	LoginNullPIN                                  // C_Login(a, CKU_USER, NULL, n)
	SeedRandomNull                                // C_SeedRandom(a, NULL, n)
)

// Null makes the call c and returns its CK_RV.
func (m *Module) Null(c NullCall, a, b, n uint) uint {
	return uint(C.craw_null(m.fl, C.int(c), C.CK_ULONG(a), C.CK_ULONG(b), C.CK_ULONG(n)))
}

// OutCall names a single-part call with an output buffer.
type OutCall int

// The single-part calls.
const (
	Sign OutCall = iota
	Encrypt
	Digest
	Decrypt
)

// Null is an output buffer length meaning a NULL pointer.
const Null = -1

// Out calls c on session sh with input in and an output buffer of outLen
// bytes (Null: a NULL pointer), or a NULL length pointer when nullLen. It
// returns the CK_RV, the length the module wrote back (the buffer's length
// when nullLen) and the buffer's first n bytes when the call succeeded with
// a buffer.
func (m *Module) Out(c OutCall, sh pkcs11.SessionHandle, in []byte, outLen int, nullLen bool) (rv, n uint, out []byte) {
	cin := cbytes(in)
	defer C.free(cin)
	var cout unsafe.Pointer
	if outLen != Null {
		cout = C.calloc(C.size_t(outLen+1), 1)
		defer C.free(cout)
	}
	lenp := (*C.CK_ULONG)(C.malloc(C.size_t(unsafe.Sizeof(C.CK_ULONG(0)))))
	defer C.free(unsafe.Pointer(lenp))
	if outLen != Null {
		*lenp = C.CK_ULONG(outLen)
	}
	var lp *C.CK_ULONG
	if !nullLen {
		lp = lenp
	}
	r := C.craw_out(m.fl, C.int(c), C.CK_SESSION_HANDLE(sh), (*C.CK_BYTE)(cin), C.CK_ULONG(len(in)),
		(*C.CK_BYTE)(cout), lp)
	n = uint(*lenp)
	if r == C.CKR_OK && cout != nil && n <= uint(outLen) {
		out = C.GoBytes(cout, C.int(n))
	}
	return uint(r), n, out
}

// Attr is one CK_ATTRIBUTE of a C_GetAttributeValue call: Len is the
// buffer's length (Null: a NULL pValue). After the call RetLen is the
// ulValueLen the module wrote and Value the buffer's first RetLen bytes when
// RetLen fits the buffer.
type Attr struct {
	Type   uint
	Len    int
	RetLen uint
	Value  []byte
}

// GetAttributeValue calls C_GetAttributeValue with attrs and fills them in.
func (m *Module) GetAttributeValue(sh pkcs11.SessionHandle, o pkcs11.ObjectHandle, attrs []Attr) uint {
	t, free := ctemplate(len(attrs))
	defer free()
	for i, a := range attrs {
		t[i]._type = C.CK_ATTRIBUTE_TYPE(a.Type)
		if a.Len != Null {
			t[i].pValue = C.CK_VOID_PTR(C.calloc(C.size_t(a.Len+1), 1))
			t[i].ulValueLen = C.CK_ULONG(a.Len)
		}
	}
	r := C.craw_get_attrs(m.fl, C.CK_SESSION_HANDLE(sh), C.CK_OBJECT_HANDLE(o), &t[0], C.CK_ULONG(len(attrs)))
	for i := range attrs {
		attrs[i].RetLen = uint(t[i].ulValueLen)
		attrs[i].Value = nil
		if t[i].pValue != nil && attrs[i].RetLen <= uint(attrs[i].Len) {
			attrs[i].Value = C.GoBytes(unsafe.Pointer(t[i].pValue), C.int(attrs[i].RetLen))
		}
		C.free(unsafe.Pointer(t[i].pValue))
		t[i].pValue = nil
	}
	return uint(r)
}

// DeriveStringData calls C_DeriveKey with mechanism mech, whose parameter is
// a CK_KEY_DERIVATION_STRING_DATA holding data (nullParam: no parameter at
// all), on base with the template.
func (m *Module) DeriveStringData(sh pkcs11.SessionHandle, mech uint, base pkcs11.ObjectHandle, data []byte, nullParam bool, template []*pkcs11.Attribute) (uint, pkcs11.ObjectHandle) {
	cdata := cbytes(data)
	defer C.free(cdata)
	n := len(template)
	t, free := ctemplate(n)
	defer free()
	for i, a := range template {
		t[i]._type = C.CK_ATTRIBUTE_TYPE(a.Type)
		t[i].pValue = C.CK_VOID_PTR(cbytes(a.Value))
		t[i].ulValueLen = C.CK_ULONG(len(a.Value))
	}
	np := 0
	if nullParam {
		np = 1
	}
	h := (*C.CK_OBJECT_HANDLE)(C.malloc(C.size_t(unsafe.Sizeof(C.CK_OBJECT_HANDLE(0)))))
	defer C.free(unsafe.Pointer(h))
	*h = 0
	var tp *C.CK_ATTRIBUTE
	if n > 0 {
		tp = &t[0]
	}
	r := C.craw_derive(m.fl, C.CK_SESSION_HANDLE(sh), C.CK_MECHANISM_TYPE(mech), C.int(np),
		(*C.CK_BYTE)(cdata), C.CK_ULONG(len(data)), C.CK_OBJECT_HANDLE(base), tp, C.CK_ULONG(n), h)
	for i := range t {
		C.free(unsafe.Pointer(t[i].pValue))
		t[i].pValue = nil
	}
	return uint(r), pkcs11.ObjectHandle(*h)
}

// ctemplate allocates n zeroed CK_ATTRIBUTEs (at least one) in C memory.
func ctemplate(n int) ([]C.CK_ATTRIBUTE, func()) {
	if n == 0 {
		n = 1
	}
	p := C.calloc(C.size_t(n), C.size_t(unsafe.Sizeof(C.CK_ATTRIBUTE{})))
	return unsafe.Slice((*C.CK_ATTRIBUTE)(p), n), func() { C.free(p) }
}

// cbytes copies b into C memory (never NULL, so free is always safe).
func cbytes(b []byte) unsafe.Pointer {
	p := C.malloc(C.size_t(len(b) + 1))
	if len(b) > 0 {
		C.memcpy(p, unsafe.Pointer(&b[0]), C.size_t(len(b)))
	}
	return p
}

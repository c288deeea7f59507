//go:build ignore

/*
 * cabi_test.c - the C-level ABI checks of libkagi.so that a Go binding such
 * as miekg/pkcs11 cannot express (issue 3, "bad input"): NULL pointers for
 * every pointer argument, invalid slot/session/object handles, short output
 * buffers, wrong and too-long PINs, writes in R/O sessions, every function
 * before C_Initialize and after C_Finalize, the completeness of the function
 * lists, C_Initialize's argument handling, and a database that cannot be
 * opened at C_Initialize.
 *
 * Usage:
 *   cabi MODULE [MODE]
 *
 * MODE is one of
 *   all         (the default) every in-process check, on a fresh $KAGI_DB
 *   init-error  C_Initialize must fail with CKR_DEVICE_ERROR or
 *               CKR_GENERAL_ERROR (a corrupt or unreachable database)
 *   init-general-error
 *               C_Initialize must fail with CKR_GENERAL_ERROR (a bad
 *               KAGI_CONF)
 *   lock        C_Initialize, then C_InitToken on the free slot, while
 *               another process holds a lock on the database: each call
 *               must return CKR_OK or CKR_DEVICE_ERROR; prints the codes as
 *               "rv <call> 0x..." for cabi_test.go
 *
 * One line per check: "ok   <name>" or "FAIL <name>: got 0x.. want 0x..";
 * the exit status is 1 if any check failed, 2 on a usage or set-up error.
 *
 * cabi_test.go compiles and runs this program; the "//go:build ignore" line
 * keeps the go tool from taking it for cgo source of package cabi.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../pkcs11.h"

/* ---- reporting ---- */

static int failures, checks;

static const char *rv_name(CK_RV rv)
{
	switch (rv) {
#define N(x) case x: return #x
	N(CKR_OK);
	N(CKR_SLOT_ID_INVALID);
	N(CKR_GENERAL_ERROR);
	N(CKR_FUNCTION_FAILED);
	N(CKR_ARGUMENTS_BAD);
	N(CKR_NO_EVENT);
	N(CKR_NEED_TO_CREATE_THREADS);
	N(CKR_ATTRIBUTE_READ_ONLY);
	N(CKR_ATTRIBUTE_SENSITIVE);
	N(CKR_ATTRIBUTE_TYPE_INVALID);
	N(CKR_ATTRIBUTE_VALUE_INVALID);
	N(CKR_DEVICE_ERROR);
	N(CKR_FUNCTION_NOT_PARALLEL);
	N(CKR_FUNCTION_NOT_SUPPORTED);
	N(CKR_KEY_HANDLE_INVALID);
	N(CKR_KEY_TYPE_INCONSISTENT);
	N(CKR_KEY_FUNCTION_NOT_PERMITTED);
	N(CKR_MECHANISM_INVALID);
	N(CKR_MECHANISM_PARAM_INVALID);
	N(CKR_OBJECT_HANDLE_INVALID);
	N(CKR_OPERATION_ACTIVE);
	N(CKR_OPERATION_NOT_INITIALIZED);
	N(CKR_PIN_INCORRECT);
	N(CKR_PIN_INVALID);
	N(CKR_PIN_LEN_RANGE);
	N(CKR_PIN_LOCKED);
	N(CKR_SESSION_HANDLE_INVALID);
	N(CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	N(CKR_SESSION_READ_ONLY);
	N(CKR_SESSION_EXISTS);
	N(CKR_SESSION_READ_ONLY_EXISTS);
	N(CKR_SIGNATURE_INVALID);
	N(CKR_TEMPLATE_INCOMPLETE);
	N(CKR_TEMPLATE_INCONSISTENT);
	N(CKR_USER_ALREADY_LOGGED_IN);
	N(CKR_USER_NOT_LOGGED_IN);
	N(CKR_USER_PIN_NOT_INITIALIZED);
	N(CKR_USER_TYPE_INVALID);
	N(CKR_BUFFER_TOO_SMALL);
	N(CKR_CRYPTOKI_NOT_INITIALIZED);
	N(CKR_CRYPTOKI_ALREADY_INITIALIZED);
#undef N
	}
	return "?";
}

static void vreport(int ok, const char *detail, const char *fmt, va_list ap)
{
	char name[512];

	vsnprintf(name, sizeof name, fmt, ap);
	checks++;
	if (ok) {
		printf("ok   %s\n", name);
	} else {
		failures++;
		printf("FAIL %s: %s\n", name, detail);
	}
	fflush(stdout);
}

/* chk: a return code. */
static int chk(CK_RV got, CK_RV want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int chk(CK_RV got, CK_RV want, const char *fmt, ...)
{
	char d[160];
	va_list ap;

	snprintf(d, sizeof d, "got 0x%lx (%s) want 0x%lx (%s)", got,
		 rv_name(got), want, rv_name(want));
	va_start(ap, fmt);
	vreport(got == want, d, fmt, ap);
	va_end(ap);
	return got == want;
}

/* chk2: a return code that may be one of two. */
static int chk2(CK_RV got, CK_RV w1, CK_RV w2, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int chk2(CK_RV got, CK_RV w1, CK_RV w2, const char *fmt, ...)
{
	char d[200];
	va_list ap;

	snprintf(d, sizeof d, "got 0x%lx (%s) want 0x%lx (%s) or 0x%lx (%s)",
		 got, rv_name(got), w1, rv_name(w1), w2, rv_name(w2));
	va_start(ap, fmt);
	vreport(got == w1 || got == w2, d, fmt, ap);
	va_end(ap);
	return got == w1 || got == w2;
}

/* chkn: a number (a length, a count). */
static int chkn(CK_ULONG got, CK_ULONG want, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int chkn(CK_ULONG got, CK_ULONG want, const char *fmt, ...)
{
	char d[160];
	va_list ap;

	snprintf(d, sizeof d, "got 0x%lx (%lu) want 0x%lx (%lu)", got, got,
		 want, want);
	va_start(ap, fmt);
	vreport(got == want, d, fmt, ap);
	va_end(ap);
	return got == want;
}

/* truth: anything else, with its own detail. */
static int truth(int ok, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int truth(int ok, const char *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(ok, detail, fmt, ap);
	va_end(ap);
	return ok;
}

static void die(const char *msg)
{
	printf("FAIL setup: %s\n", msg);
	fflush(stdout);
	exit(2);
}

/* ---- the module ---- */

static void *module;
static CK_FUNCTION_LIST *f2;	 /* from C_GetFunctionList */
static CK_FUNCTION_LIST_3_0 *f3; /* from C_GetInterface(NULL, NULL) */
static CK_C_GetInterfaceList get_interface_list;
static CK_C_GetInterface get_interface;

/* The names of the entry points in CK_FUNCTION_LIST_3_0 order. */
static const char *const fn_names[] = {
	"C_Initialize", "C_Finalize", "C_GetInfo", "C_GetFunctionList",
	"C_GetSlotList", "C_GetSlotInfo", "C_GetTokenInfo",
	"C_GetMechanismList", "C_GetMechanismInfo", "C_InitToken",
	"C_InitPIN", "C_SetPIN", "C_OpenSession", "C_CloseSession",
	"C_CloseAllSessions", "C_GetSessionInfo", "C_GetOperationState",
	"C_SetOperationState", "C_Login", "C_Logout", "C_CreateObject",
	"C_CopyObject", "C_DestroyObject", "C_GetObjectSize",
	"C_GetAttributeValue", "C_SetAttributeValue", "C_FindObjectsInit",
	"C_FindObjects", "C_FindObjectsFinal", "C_EncryptInit", "C_Encrypt",
	"C_EncryptUpdate", "C_EncryptFinal", "C_DecryptInit", "C_Decrypt",
	"C_DecryptUpdate", "C_DecryptFinal", "C_DigestInit", "C_Digest",
	"C_DigestUpdate", "C_DigestKey", "C_DigestFinal", "C_SignInit",
	"C_Sign", "C_SignUpdate", "C_SignFinal", "C_SignRecoverInit",
	"C_SignRecover", "C_VerifyInit", "C_Verify", "C_VerifyUpdate",
	"C_VerifyFinal", "C_VerifyRecoverInit", "C_VerifyRecover",
	"C_DigestEncryptUpdate", "C_DecryptDigestUpdate",
	"C_SignEncryptUpdate", "C_DecryptVerifyUpdate", "C_GenerateKey",
	"C_GenerateKeyPair", "C_WrapKey", "C_UnwrapKey", "C_DeriveKey",
	"C_SeedRandom", "C_GenerateRandom", "C_GetFunctionStatus",
	"C_CancelFunction", "C_WaitForSlotEvent",
	/* 3.0 */
	"C_GetInterfaceList", "C_GetInterface", "C_LoginUser",
	"C_SessionCancel", "C_MessageEncryptInit", "C_EncryptMessage",
	"C_EncryptMessageBegin", "C_EncryptMessageNext",
	"C_MessageEncryptFinal", "C_MessageDecryptInit", "C_DecryptMessage",
	"C_DecryptMessageBegin", "C_DecryptMessageNext",
	"C_MessageDecryptFinal", "C_MessageSignInit", "C_SignMessage",
	"C_SignMessageBegin", "C_SignMessageNext", "C_MessageSignFinal",
	"C_MessageVerifyInit", "C_VerifyMessage", "C_VerifyMessageBegin",
	"C_VerifyMessageNext", "C_MessageVerifyFinal",
};

#define N_240 68
#define N_300 92
_Static_assert(sizeof fn_names / sizeof fn_names[0] == N_300,
	       "92 entry points in PKCS#11 3.0");
_Static_assert(sizeof(CK_FUNCTION_LIST) ==
		       offsetof(CK_FUNCTION_LIST, C_Initialize) + N_240 * sizeof(void *),
	       "CK_FUNCTION_LIST has 68 entries");
_Static_assert(sizeof(CK_FUNCTION_LIST_3_0) ==
		       offsetof(CK_FUNCTION_LIST_3_0, C_Initialize) + N_300 * sizeof(void *),
	       "CK_FUNCTION_LIST_3_0 has 92 entries");

/* list_entry is the i-th function pointer of a function list, read as the
 * bytes it is. */
static void *list_entry(const void *list, size_t first, size_t i)
{
	void *p;

	memcpy(&p, (const char *)list + first + i * sizeof p, sizeof p);
	return p;
}

static void load(const char *path)
{
	CK_C_GetFunctionList gfl;
	CK_INTERFACE *it = NULL;

	module = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (module == NULL) {
		printf("FAIL setup: dlopen %s: %s\n", path, dlerror());
		exit(2);
	}
	gfl = (CK_C_GetFunctionList)dlsym(module, "C_GetFunctionList");
	get_interface_list = (CK_C_GetInterfaceList)dlsym(module, "C_GetInterfaceList");
	get_interface = (CK_C_GetInterface)dlsym(module, "C_GetInterface");
	if (gfl == NULL)
		die("C_GetFunctionList is not exported");
	if (gfl(&f2) != CKR_OK || f2 == NULL)
		die("C_GetFunctionList failed");
	if (get_interface == NULL || get_interface_list == NULL)
		die("C_GetInterface / C_GetInterfaceList are not exported");
	if (get_interface(NULL, NULL, &it, 0) != CKR_OK || it == NULL ||
	    it->pFunctionList == NULL)
		die("C_GetInterface(NULL, NULL) failed");
	f3 = it->pFunctionList;
}

/* ---- 1. the function lists and interfaces ---- */

static void check_lists(void)
{
	CK_C_GetFunctionList gfl = (CK_C_GetFunctionList)dlsym(module, "C_GetFunctionList");
	CK_INTERFACE list[4], one[1], *it;
	CK_ULONG n;
	CK_VERSION v240 = {2, 40}, v300 = {3, 0}, v999 = {9, 9};
	CK_FUNCTION_LIST *l2 = NULL;
	size_t i;

	chkn(f2->version.major, 2, "lists: CK_FUNCTION_LIST version major");
	chkn(f2->version.minor, 40, "lists: CK_FUNCTION_LIST version minor");
	chkn(f3->version.major, 3, "lists: CK_FUNCTION_LIST_3_0 version major");
	chkn(f3->version.minor, 0, "lists: CK_FUNCTION_LIST_3_0 version minor");
	for (i = 0; i < N_240; i++)
		truth(list_entry(f2, offsetof(CK_FUNCTION_LIST, C_Initialize), i) != NULL,
		      "NULL pointer", "lists: 2.40 %s non-NULL", fn_names[i]);
	for (i = 0; i < N_300; i++)
		truth(list_entry(f3, offsetof(CK_FUNCTION_LIST_3_0, C_Initialize), i) != NULL,
		      "NULL pointer", "lists: 3.0 %s non-NULL", fn_names[i]);
	/* Each exported symbol is what the lists hold. */
	for (i = 0; i < N_300; i++) {
		void *sym = dlsym(module, fn_names[i]);
		void *p = list_entry(f3, offsetof(CK_FUNCTION_LIST_3_0, C_Initialize), i);

		truth(sym != NULL && sym == p, "not exported, or not the list's entry",
		      "lists: %s exported and in the 3.0 list", fn_names[i]);
	}

	chk(gfl(NULL), CKR_ARGUMENTS_BAD, "lists: C_GetFunctionList(NULL)");
	chk(gfl(&l2), CKR_OK, "lists: C_GetFunctionList again");
	truth(l2 == f2, "a different list", "lists: C_GetFunctionList returns the same list");
	chk(f3->C_GetFunctionList(&l2), CKR_OK, "lists: 3.0 list's C_GetFunctionList");
	truth(l2 != NULL && l2->version.major == 2 && l2->version.minor == 40,
	      "not the 2.40 list", "lists: 3.0 list's C_GetFunctionList gives 2.40");

	/* C_GetInterfaceList: the two-call convention. */
	n = 99;
	chk(get_interface_list(NULL, &n), CKR_OK, "lists: C_GetInterfaceList(NULL, &n)");
	chkn(n, 2, "lists: C_GetInterfaceList count");
	n = 1;
	chk(get_interface_list(one, &n), CKR_BUFFER_TOO_SMALL,
	    "lists: C_GetInterfaceList buffer of 1");
	chkn(n, 2, "lists: C_GetInterfaceList buffer of 1 sets count");
	chk(get_interface_list(list, NULL), CKR_ARGUMENTS_BAD,
	    "lists: C_GetInterfaceList(list, NULL)");
	chk(get_interface_list(NULL, NULL), CKR_ARGUMENTS_BAD,
	    "lists: C_GetInterfaceList(NULL, NULL)");
	n = 4;
	memset(list, 0, sizeof list);
	if (chk(get_interface_list(list, &n), CKR_OK, "lists: C_GetInterfaceList(list of 4)") &&
	    chkn(n, 2, "lists: C_GetInterfaceList(list of 4) count")) {
		int saw240 = 0, saw300 = 0;

		for (i = 0; i < 2; i++) {
			CK_VERSION *v = list[i].pFunctionList;

			truth(list[i].pInterfaceName != NULL &&
			      strcmp((char *)list[i].pInterfaceName, "PKCS 11") == 0,
			      "name is not \"PKCS 11\"", "lists: interface %zu name", i);
			if (v != NULL && v->major == 2 && v->minor == 40)
				saw240 = 1;
			if (v != NULL && v->major == 3 && v->minor == 0)
				saw300 = 1;
		}
		truth(saw240 && saw300, "versions are not 3.0 and 2.40",
		      "lists: C_GetInterfaceList offers 3.0 and 2.40");
	}

	/* C_GetInterface. */
	it = NULL;
	if (chk(get_interface(NULL, NULL, &it, 0), CKR_OK, "lists: C_GetInterface(NULL, NULL)")) {
		CK_VERSION *v = it->pFunctionList;
		chkn(v->major * 100 + v->minor, 300, "lists: C_GetInterface(NULL, NULL) is 3.0");
	}
	it = NULL;
	if (chk(get_interface((CK_UTF8CHAR_PTR) "PKCS 11", &v240, &it, 0), CKR_OK,
		"lists: C_GetInterface(\"PKCS 11\", 2.40)")) {
		CK_VERSION *v = it->pFunctionList;
		chkn(v->major * 100 + v->minor, 240, "lists: C_GetInterface(\"PKCS 11\", 2.40) version");
		truth(it->pFunctionList == (void *)f2, "not the C_GetFunctionList list",
		      "lists: C_GetInterface 2.40 is C_GetFunctionList's list");
	}
	it = NULL;
	if (chk(get_interface((CK_UTF8CHAR_PTR) "PKCS 11", &v300, &it, 0), CKR_OK,
		"lists: C_GetInterface(\"PKCS 11\", 3.0)")) {
		CK_VERSION *v = it->pFunctionList;
		chkn(v->major * 100 + v->minor, 300, "lists: C_GetInterface(\"PKCS 11\", 3.0) version");
	}
	chk(get_interface((CK_UTF8CHAR_PTR) "PKCS 11", NULL, NULL, 0), CKR_ARGUMENTS_BAD,
	    "lists: C_GetInterface ppInterface NULL");
	it = NULL;
	chk(get_interface((CK_UTF8CHAR_PTR) "No such interface", NULL, &it, 0),
	    CKR_ARGUMENTS_BAD, "lists: C_GetInterface unknown name");
	it = NULL;
	chk(get_interface((CK_UTF8CHAR_PTR) "PKCS 11", &v999, &it, 0), CKR_ARGUMENTS_BAD,
	    "lists: C_GetInterface unknown version 9.9");
	it = NULL;
	chk(get_interface(NULL, NULL, &it, CKF_INTERFACE_FORK_SAFE), CKR_ARGUMENTS_BAD,
	    "lists: C_GetInterface with CKF_INTERFACE_FORK_SAFE (none is)");
}

/* ---- 2. every function before C_Initialize and after C_Finalize ---- */

/* call_all calls every entry point of list f (the 2.40 prefix only when
 * only240) except C_Initialize, C_GetFunctionList, C_GetInterfaceList and
 * C_GetInterface, with zero and NULL arguments, and wants code want. */
static void call_all(const char *phase, const char *which, CK_FUNCTION_LIST_3_0 *f,
		     int only240, CK_RV want)
{
#define A(fn, args) chk(f->fn args, want, "%s: %s %s", phase, which, #fn)
	A(C_Finalize, (NULL));
	A(C_GetInfo, (NULL));
	A(C_GetSlotList, (CK_FALSE, NULL, NULL));
	A(C_GetSlotInfo, (0, NULL));
	A(C_GetTokenInfo, (0, NULL));
	A(C_GetMechanismList, (0, NULL, NULL));
	A(C_GetMechanismInfo, (0, 0, NULL));
	A(C_InitToken, (0, NULL, 0, NULL));
	A(C_InitPIN, (0, NULL, 0));
	A(C_SetPIN, (0, NULL, 0, NULL, 0));
	A(C_OpenSession, (0, 0, NULL, NULL, NULL));
	A(C_CloseSession, (0));
	A(C_CloseAllSessions, (0));
	A(C_GetSessionInfo, (0, NULL));
	A(C_GetOperationState, (0, NULL, NULL));
	A(C_SetOperationState, (0, NULL, 0, 0, 0));
	A(C_Login, (0, 0, NULL, 0));
	A(C_Logout, (0));
	A(C_CreateObject, (0, NULL, 0, NULL));
	A(C_CopyObject, (0, 0, NULL, 0, NULL));
	A(C_DestroyObject, (0, 0));
	A(C_GetObjectSize, (0, 0, NULL));
	A(C_GetAttributeValue, (0, 0, NULL, 0));
	A(C_SetAttributeValue, (0, 0, NULL, 0));
	A(C_FindObjectsInit, (0, NULL, 0));
	A(C_FindObjects, (0, NULL, 0, NULL));
	A(C_FindObjectsFinal, (0));
	A(C_EncryptInit, (0, NULL, 0));
	A(C_Encrypt, (0, NULL, 0, NULL, NULL));
	A(C_EncryptUpdate, (0, NULL, 0, NULL, NULL));
	A(C_EncryptFinal, (0, NULL, NULL));
	A(C_DecryptInit, (0, NULL, 0));
	A(C_Decrypt, (0, NULL, 0, NULL, NULL));
	A(C_DecryptUpdate, (0, NULL, 0, NULL, NULL));
	A(C_DecryptFinal, (0, NULL, NULL));
	A(C_DigestInit, (0, NULL));
	A(C_Digest, (0, NULL, 0, NULL, NULL));
	A(C_DigestUpdate, (0, NULL, 0));
	A(C_DigestKey, (0, 0));
	A(C_DigestFinal, (0, NULL, NULL));
	A(C_SignInit, (0, NULL, 0));
	A(C_Sign, (0, NULL, 0, NULL, NULL));
	A(C_SignUpdate, (0, NULL, 0));
	A(C_SignFinal, (0, NULL, NULL));
	A(C_SignRecoverInit, (0, NULL, 0));
	A(C_SignRecover, (0, NULL, 0, NULL, NULL));
	A(C_VerifyInit, (0, NULL, 0));
	A(C_Verify, (0, NULL, 0, NULL, 0));
	A(C_VerifyUpdate, (0, NULL, 0));
	A(C_VerifyFinal, (0, NULL, 0));
	A(C_VerifyRecoverInit, (0, NULL, 0));
	A(C_VerifyRecover, (0, NULL, 0, NULL, NULL));
	A(C_DigestEncryptUpdate, (0, NULL, 0, NULL, NULL));
	A(C_DecryptDigestUpdate, (0, NULL, 0, NULL, NULL));
	A(C_SignEncryptUpdate, (0, NULL, 0, NULL, NULL));
	A(C_DecryptVerifyUpdate, (0, NULL, 0, NULL, NULL));
	A(C_GenerateKey, (0, NULL, NULL, 0, NULL));
	A(C_GenerateKeyPair, (0, NULL, NULL, 0, NULL, 0, NULL, NULL));
	A(C_WrapKey, (0, NULL, 0, 0, NULL, NULL));
	A(C_UnwrapKey, (0, NULL, 0, NULL, 0, NULL, 0, NULL));
	A(C_DeriveKey, (0, NULL, 0, NULL, 0, NULL));
	A(C_SeedRandom, (0, NULL, 0));
	A(C_GenerateRandom, (0, NULL, 0));
	A(C_GetFunctionStatus, (0));
	A(C_CancelFunction, (0));
	A(C_WaitForSlotEvent, (0, NULL, NULL));
	chk(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), want,
	    "%s: %s C_WaitForSlotEvent(CKF_DONT_BLOCK)", phase, which);
	if (only240)
		return;
	A(C_LoginUser, (0, 0, NULL, 0, NULL, 0));
	A(C_SessionCancel, (0, 0));
	A(C_MessageEncryptInit, (0, NULL, 0));
	A(C_EncryptMessage, (0, NULL, 0, NULL, 0, NULL, 0, NULL, NULL));
	A(C_EncryptMessageBegin, (0, NULL, 0, NULL, 0));
	A(C_EncryptMessageNext, (0, NULL, 0, NULL, 0, NULL, NULL, 0));
	A(C_MessageEncryptFinal, (0));
	A(C_MessageDecryptInit, (0, NULL, 0));
	A(C_DecryptMessage, (0, NULL, 0, NULL, 0, NULL, 0, NULL, NULL));
	A(C_DecryptMessageBegin, (0, NULL, 0, NULL, 0));
	A(C_DecryptMessageNext, (0, NULL, 0, NULL, 0, NULL, NULL, 0));
	A(C_MessageDecryptFinal, (0));
	A(C_MessageSignInit, (0, NULL, 0));
	A(C_SignMessage, (0, NULL, 0, NULL, 0, NULL, NULL));
	A(C_SignMessageBegin, (0, NULL, 0));
	A(C_SignMessageNext, (0, NULL, 0, NULL, 0, NULL, NULL));
	A(C_MessageSignFinal, (0));
	A(C_MessageVerifyInit, (0, NULL, 0));
	A(C_VerifyMessage, (0, NULL, 0, NULL, 0, NULL, 0));
	A(C_VerifyMessageBegin, (0, NULL, 0));
	A(C_VerifyMessageNext, (0, NULL, 0, NULL, 0, NULL, 0));
	A(C_MessageVerifyFinal, (0));
#undef A
}

static void not_initialized(const char *phase)
{
	call_all(phase, "3.0", f3, 0, CKR_CRYPTOKI_NOT_INITIALIZED);
	/* The 2.40 list is a prefix of the 3.0 one; only that prefix is read. */
	call_all(phase, "2.40", (CK_FUNCTION_LIST_3_0 *)f2, 1, CKR_CRYPTOKI_NOT_INITIALIZED);
}

/* ---- 3. C_Initialize arguments ---- */

static CK_RV dummy_create(CK_VOID_PTR_PTR pp)
{
	static int m;

	*pp = &m;
	return CKR_OK;
}
static CK_RV dummy_mutex(CK_VOID_PTR p)
{
	(void)p;
	return CKR_OK;
}

static void check_init_args(void)
{
	CK_C_INITIALIZE_ARGS a;
	int dummy;

	memset(&a, 0, sizeof a);
	a.flags = CKF_OS_LOCKING_OK;
	a.pReserved = &dummy;
	chk(f3->C_Initialize(&a), CKR_ARGUMENTS_BAD, "init: pReserved non-NULL");

	memset(&a, 0, sizeof a);
	a.CreateMutex = dummy_create;
	a.DestroyMutex = dummy_mutex;
	chk(f3->C_Initialize(&a), CKR_ARGUMENTS_BAD, "init: two of four mutex callbacks");
	memset(&a, 0, sizeof a);
	a.UnlockMutex = dummy_mutex;
	a.flags = CKF_OS_LOCKING_OK;
	chk(f3->C_Initialize(&a), CKR_ARGUMENTS_BAD,
	    "init: one of four mutex callbacks with CKF_OS_LOCKING_OK");

	/* None of the refused calls left the library initialised. */
	chk(f3->C_GetInfo(NULL), CKR_CRYPTOKI_NOT_INITIALIZED,
	    "init: still not initialised after refused C_Initialize calls");

	memset(&a, 0, sizeof a);
	a.CreateMutex = dummy_create;
	a.DestroyMutex = dummy_mutex;
	a.LockMutex = dummy_mutex;
	a.UnlockMutex = dummy_mutex;
	chk(f3->C_Initialize(&a), CKR_OK, "init: all four mutex callbacks");
	chk(f3->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED, "init: second C_Initialize(NULL)");
	chk(f2->C_Initialize(&a), CKR_CRYPTOKI_ALREADY_INITIALIZED,
	    "init: second C_Initialize(args) through the 2.40 list");
	chk(f3->C_Finalize(&dummy), CKR_ARGUMENTS_BAD, "init: C_Finalize(non-NULL)");
	{
		CK_INFO info;
		chk(f3->C_GetInfo(&info), CKR_OK, "init: still initialised after C_Finalize(non-NULL)");
	}
	chk(f3->C_Finalize(NULL), CKR_OK, "init: C_Finalize(NULL)");

	not_initialized("after-finalize");

	memset(&a, 0, sizeof a);
	a.flags = CKF_OS_LOCKING_OK;
	chk(f3->C_Initialize(&a), CKR_OK, "init: CKF_OS_LOCKING_OK");
	chk(f3->C_Finalize(NULL), CKR_OK, "init: C_Finalize after CKF_OS_LOCKING_OK");

	/* GnuTLS (through p11-kit) and NSS pass CKF_LIBRARY_CANT_CREATE_OS_THREADS
	 * on every load; kagi, like SoftHSMv2, accepts it. NSS's form also has
	 * its four mutex callbacks. */
	memset(&a, 0, sizeof a);
	a.flags = CKF_LIBRARY_CANT_CREATE_OS_THREADS | CKF_OS_LOCKING_OK;
	chk(f3->C_Initialize(&a), CKR_OK, "init: CKF_LIBRARY_CANT_CREATE_OS_THREADS | CKF_OS_LOCKING_OK (GnuTLS)");
	chk(f3->C_Finalize(NULL), CKR_OK, "init: C_Finalize after the GnuTLS flags");
	a.CreateMutex = dummy_create;
	a.DestroyMutex = dummy_mutex;
	a.LockMutex = dummy_mutex;
	a.UnlockMutex = dummy_mutex;
	chk(f3->C_Initialize(&a), CKR_OK, "init: CKF_LIBRARY_CANT_CREATE_OS_THREADS with mutex callbacks (NSS)");
	chk(f3->C_Finalize(NULL), CKR_OK, "init: C_Finalize after the NSS flags");
	chk(f3->C_Initialize(NULL), CKR_OK, "init: C_Initialize(NULL)");
}

/* ---- set-up for the checks after C_Initialize ---- */

static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
static CK_BYTE p256_oid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static CK_UTF8CHAR so_pin[] = "so-pin-1234";
static CK_UTF8CHAR user_pin[] = "user-pin-1234";
#define SO_LEN (sizeof so_pin - 1)
#define USER_LEN (sizeof user_pin - 1)
static CK_BYTE hash32[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
			     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static CK_BYTE iv12[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
static CK_GCM_PARAMS gcm = {iv12, sizeof iv12, 96, NULL, 0, 128};

static CK_MECHANISM m_ecdsa = {CKM_ECDSA, NULL, 0};
static CK_MECHANISM m_ec_gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
static CK_MECHANISM m_aes_gen = {CKM_AES_KEY_GEN, NULL, 0};
static CK_MECHANISM m_gcm = {CKM_AES_GCM, &gcm, sizeof gcm};
static CK_MECHANISM m_sha256 = {CKM_SHA256, NULL, 0};
static CK_MECHANISM m_hmac = {CKM_SHA256_HMAC, NULL, 0};
static CK_MECHANISM m_gen_secret = {CKM_GENERIC_SECRET_KEY_GEN, NULL, 0};

static CK_ULONG len32 = 32;
static CK_ATTRIBUTE aes_tmpl[] = {
	{CKA_TOKEN, &no, 1}, {CKA_SENSITIVE, &yes, 1}, {CKA_ENCRYPT, &yes, 1},
	{CKA_DECRYPT, &yes, 1}, {CKA_VALUE_LEN, &len32, sizeof len32},
};
static CK_ATTRIBUTE aes_token_tmpl[] = {
	{CKA_TOKEN, &yes, 1}, {CKA_ENCRYPT, &yes, 1}, {CKA_VALUE_LEN, &len32, sizeof len32},
};
static CK_ATTRIBUTE hmac_tmpl[] = {
	{CKA_TOKEN, &no, 1}, {CKA_SIGN, &yes, 1}, {CKA_VERIFY, &yes, 1},
	{CKA_VALUE_LEN, &len32, sizeof len32},
};
static CK_ATTRIBUTE ec_pub_tmpl[] = {
	{CKA_TOKEN, &no, 1}, {CKA_EC_PARAMS, p256_oid, sizeof p256_oid}, {CKA_VERIFY, &yes, 1},
};
static CK_ATTRIBUTE ec_priv_tmpl[] = {
	{CKA_TOKEN, &no, 1}, {CKA_SIGN, &yes, 1}, {CKA_SENSITIVE, &yes, 1}, {CKA_PRIVATE, &yes, 1},
};
static CK_ATTRIBUTE ec_pub_token_tmpl[] = {
	{CKA_TOKEN, &yes, 1}, {CKA_EC_PARAMS, p256_oid, sizeof p256_oid}, {CKA_VERIFY, &yes, 1},
};
static CK_ATTRIBUTE ec_priv_token_tmpl[] = {
	{CKA_TOKEN, &yes, 1}, {CKA_SIGN, &yes, 1},
};
static CK_OBJECT_CLASS cko_data = CKO_DATA;
static CK_BYTE data_label[] = "cabi-label"; /* 10 bytes */
static CK_BYTE data_value[] = "hello";
static CK_ATTRIBUTE data_tmpl[] = {
	{CKA_CLASS, &cko_data, sizeof cko_data}, {CKA_TOKEN, &no, 1},
	{CKA_PRIVATE, &no, 1}, {CKA_LABEL, data_label, sizeof data_label - 1},
	{CKA_VALUE, data_value, sizeof data_value - 1},
};
static CK_BYTE token_label[] = "cabi-token-data";
static CK_ATTRIBUTE token_data_tmpl[] = {
	{CKA_CLASS, &cko_data, sizeof cko_data}, {CKA_TOKEN, &yes, 1},
	{CKA_PRIVATE, &no, 1}, {CKA_LABEL, token_label, sizeof token_label - 1},
};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static CK_SLOT_ID slot;	     /* the initialised token's slot */
static CK_SLOT_ID free_slot; /* the slot of the uninitialised token */
static CK_SESSION_HANDLE rw; /* R/W session, user logged in */
static CK_OBJECT_HANDLE h_data, h_token_data, h_aes, h_hmac, h_ec_pub, h_ec_priv;

static CK_SLOT_ID find_free_slot(void)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;

	if (f3->C_GetSlotList(CK_FALSE, ids, &n) != CKR_OK)
		die("C_GetSlotList");
	for (i = 0; i < n; i++)
		if (f3->C_GetTokenInfo(ids[i], &ti) == CKR_OK &&
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			return ids[i];
	die("no slot with an uninitialised token");
	return 0;
}

static void pad32(CK_UTF8CHAR *dst, const char *s)
{
	memset(dst, ' ', 32);
	memcpy(dst, s, strlen(s));
}

/* ---- 7 (part). PINs and the set-up of the token ---- */

static void setup_token_and_pins(void)
{
	CK_UTF8CHAR label[32], long_pin[256];
	CK_SESSION_HANDLE so;
	CK_RV rv;

	memset(long_pin, 'a', sizeof long_pin);
	pad32(label, "cabi");
	free_slot = find_free_slot();

	chk(f3->C_InitToken(free_slot, (CK_UTF8CHAR_PTR) "123", 3, label), CKR_PIN_LEN_RANGE,
	    "pin: C_InitToken 3-byte SO PIN");
	chk(f3->C_InitToken(free_slot, long_pin, 256, label), CKR_PIN_LEN_RANGE,
	    "pin: C_InitToken 256-byte SO PIN");
	chk(f3->C_InitToken(free_slot, NULL, SO_LEN, label), CKR_ARGUMENTS_BAD,
	    "null: C_InitToken pPin NULL with length");
	chk(f3->C_InitToken(free_slot, so_pin, SO_LEN, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_InitToken pLabel NULL");
	rv = f3->C_InitToken(free_slot, so_pin, SO_LEN, label);
	if (!chk(rv, CKR_OK, "setup: C_InitToken"))
		die("cannot initialise a token");
	slot = free_slot;
	free_slot = find_free_slot();

	if (!chk(f3->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &so),
		 CKR_OK, "setup: C_OpenSession R/W"))
		die("cannot open a session");
	chk(f3->C_Login(so, CKU_SO, NULL, SO_LEN), CKR_ARGUMENTS_BAD, "null: C_Login SO pPin NULL");
	if (!chk(f3->C_Login(so, CKU_SO, so_pin, SO_LEN), CKR_OK, "setup: C_Login SO"))
		die("cannot log in as SO");
	chk(f3->C_InitPIN(so, NULL, USER_LEN), CKR_ARGUMENTS_BAD, "null: C_InitPIN pPin NULL");
	chk(f3->C_InitPIN(so, (CK_UTF8CHAR_PTR) "12", 2), CKR_PIN_LEN_RANGE,
	    "pin: C_InitPIN 2-byte PIN");
	chk(f3->C_InitPIN(so, long_pin, 256), CKR_PIN_LEN_RANGE, "pin: C_InitPIN 256-byte PIN");
	if (!chk(f3->C_InitPIN(so, user_pin, USER_LEN), CKR_OK, "setup: C_InitPIN"))
		die("cannot set the user PIN");
	chk(f3->C_SetPIN(so, NULL, SO_LEN, so_pin, SO_LEN), CKR_ARGUMENTS_BAD,
	    "null: C_SetPIN pOldPin NULL");
	chk(f3->C_SetPIN(so, so_pin, SO_LEN, NULL, SO_LEN), CKR_ARGUMENTS_BAD,
	    "null: C_SetPIN pNewPin NULL");
	chk(f3->C_Logout(so), CKR_OK, "setup: C_Logout SO");
	chk(f3->C_CloseSession(so), CKR_OK, "setup: C_CloseSession SO session");

	if (!chk(f3->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &rw),
		 CKR_OK, "setup: C_OpenSession R/W for the user"))
		die("cannot open a session");
	chk(f3->C_Login(rw, CKU_USER, NULL, USER_LEN), CKR_ARGUMENTS_BAD,
	    "null: C_Login user pPin NULL");
	chk(f3->C_Login(rw, CKU_USER, (CK_UTF8CHAR_PTR) "wrong-pin", 9), CKR_PIN_INCORRECT,
	    "pin: C_Login wrong PIN");
	chk(f3->C_Login(rw, CKU_USER, long_pin, 256), CKR_PIN_INCORRECT, "pin: C_Login 256-byte PIN");
	chk(f3->C_Login(rw, CKU_SO, (CK_UTF8CHAR_PTR) "wrong-pin", 9), CKR_PIN_INCORRECT,
	    "pin: C_Login SO wrong PIN");
	/* C_LoginUser: one user per role, the name is not checked, only its shape. */
	chk(f3->C_LoginUser(rw, CKU_USER, user_pin, USER_LEN, NULL, 5), CKR_ARGUMENTS_BAD,
	    "null: C_LoginUser pUsername NULL");
	chk(f3->C_LoginUser(rw, CKU_USER, user_pin, USER_LEN, (CK_UTF8CHAR_PTR) "\xff\xfe", 2),
	    CKR_ARGUMENTS_BAD, "login-user: C_LoginUser name not UTF-8");
	chk(f3->C_LoginUser(rw, CKU_USER, (CK_UTF8CHAR_PTR) "wrong-pin", 9, (CK_UTF8CHAR_PTR) "alice", 5),
	    CKR_PIN_INCORRECT, "login-user: C_LoginUser wrong PIN");
	chk(f3->C_LoginUser(rw, CKU_USER, user_pin, USER_LEN, (CK_UTF8CHAR_PTR) "alice", 5), CKR_OK,
	    "login-user: C_LoginUser");
	chk(f3->C_LoginUser(rw, CKU_USER, user_pin, USER_LEN, NULL, 0), CKR_USER_ALREADY_LOGGED_IN,
	    "login-user: C_LoginUser without a name, logged in");
	chk(f3->C_Logout(rw), CKR_OK, "login-user: C_Logout");
	if (!chk(f3->C_Login(rw, CKU_USER, user_pin, USER_LEN), CKR_OK, "setup: C_Login user"))
		die("cannot log in as user");
	chk(f3->C_SetPIN(rw, user_pin, USER_LEN, long_pin, 256), CKR_PIN_LEN_RANGE,
	    "pin: C_SetPIN new PIN 256 bytes");
	chk(f3->C_SetPIN(rw, user_pin, USER_LEN, (CK_UTF8CHAR_PTR) "123", 3), CKR_PIN_LEN_RANGE,
	    "pin: C_SetPIN new PIN 3 bytes");
	chk(f3->C_SetPIN(rw, (CK_UTF8CHAR_PTR) "wrong-pin", 9, user_pin, USER_LEN), CKR_PIN_INCORRECT,
	    "pin: C_SetPIN wrong old PIN");
	/* The wrong PINs did not lock anything or log the user out. */
	chk(f3->C_Login(rw, CKU_USER, user_pin, USER_LEN), CKR_USER_ALREADY_LOGGED_IN,
	    "pin: still logged in after the PIN checks");
}

static void setup_objects(void)
{
	if (!chk(f3->C_CreateObject(rw, data_tmpl, COUNT(data_tmpl), &h_data), CKR_OK,
		 "setup: C_CreateObject session data object") ||
	    !chk(f3->C_CreateObject(rw, token_data_tmpl, COUNT(token_data_tmpl), &h_token_data),
		 CKR_OK, "setup: C_CreateObject token data object") ||
	    !chk(f3->C_GenerateKey(rw, &m_aes_gen, aes_tmpl, COUNT(aes_tmpl), &h_aes), CKR_OK,
		 "setup: C_GenerateKey AES-256") ||
	    !chk(f3->C_GenerateKey(rw, &m_gen_secret, hmac_tmpl, COUNT(hmac_tmpl), &h_hmac), CKR_OK,
		 "setup: C_GenerateKey generic secret") ||
	    !chk(f3->C_GenerateKeyPair(rw, &m_ec_gen, ec_pub_tmpl, COUNT(ec_pub_tmpl), ec_priv_tmpl,
				       COUNT(ec_priv_tmpl), &h_ec_pub, &h_ec_priv),
		 CKR_OK, "setup: C_GenerateKeyPair P-256"))
		die("cannot create the objects the checks need");
}

/* ---- 4. NULL pointers after C_Initialize ---- */

static void check_null_pointers(void)
{
	CK_ULONG n = 8, len = 64;
	CK_BYTE buf[128];
	CK_OBJECT_HANDLE h, hs[8];
	CK_ATTRIBUTE label_get = {CKA_LABEL, buf, sizeof buf};
	CK_MECHANISM bad_param = {CKM_AES_GCM, NULL, sizeof gcm};
	CK_RV rv;

	chk(f3->C_GetInfo(NULL), CKR_ARGUMENTS_BAD, "null: C_GetInfo");
	chk(f3->C_GetSlotList(CK_FALSE, NULL, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_GetSlotList pulCount NULL (list NULL)");
	{
		CK_SLOT_ID ids[8];
		chk(f3->C_GetSlotList(CK_TRUE, ids, NULL), CKR_ARGUMENTS_BAD,
		    "null: C_GetSlotList pulCount NULL (list given)");
	}
	chk(f3->C_GetSlotInfo(slot, NULL), CKR_ARGUMENTS_BAD, "null: C_GetSlotInfo");
	chk(f3->C_GetTokenInfo(slot, NULL), CKR_ARGUMENTS_BAD, "null: C_GetTokenInfo");
	chk(f3->C_GetMechanismList(slot, NULL, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_GetMechanismList pulCount NULL");
	chk(f3->C_GetMechanismInfo(slot, CKM_SHA256, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_GetMechanismInfo pInfo NULL");
	chk(f3->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_OpenSession phSession NULL");
	chk(f3->C_GetSessionInfo(rw, NULL), CKR_ARGUMENTS_BAD, "null: C_GetSessionInfo");

	chk(f3->C_CreateObject(rw, NULL, 3, &h), CKR_ARGUMENTS_BAD,
	    "null: C_CreateObject pTemplate NULL with count 3");
	chk(f3->C_CreateObject(rw, data_tmpl, COUNT(data_tmpl), NULL), CKR_ARGUMENTS_BAD,
	    "null: C_CreateObject phObject NULL");
	{
		CK_ATTRIBUTE t[] = {{CKA_CLASS, &cko_data, sizeof cko_data}, {CKA_TOKEN, &no, 1},
				    {CKA_LABEL, NULL, 5}};
		chk(f3->C_CreateObject(rw, t, COUNT(t), &h), CKR_ARGUMENTS_BAD,
		    "null: C_CreateObject attribute pValue NULL with length 5");
	}
	chk(f3->C_CopyObject(rw, h_data, NULL, 0, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_CopyObject phNewObject NULL");
	chk(f3->C_CopyObject(rw, h_data, NULL, 2, &h), CKR_ARGUMENTS_BAD,
	    "null: C_CopyObject pTemplate NULL with count 2");
	chk(f3->C_GetObjectSize(rw, h_data, NULL), CKR_ARGUMENTS_BAD, "null: C_GetObjectSize");
	chk(f3->C_GetAttributeValue(rw, h_data, NULL, 1), CKR_ARGUMENTS_BAD,
	    "null: C_GetAttributeValue pTemplate NULL with count 1");
	chk(f3->C_SetAttributeValue(rw, h_data, NULL, 1), CKR_ARGUMENTS_BAD,
	    "null: C_SetAttributeValue pTemplate NULL with count 1");
	{
		CK_ATTRIBUTE t = {CKA_LABEL, NULL, 4};
		chk(f3->C_SetAttributeValue(rw, h_data, &t, 1), CKR_ARGUMENTS_BAD,
		    "null: C_SetAttributeValue pValue NULL with length 4");
	}
	/* The object is untouched by the refused calls. */
	label_get.ulValueLen = sizeof buf;
	if (chk(f3->C_GetAttributeValue(rw, h_data, &label_get, 1), CKR_OK,
		"null: C_GetAttributeValue label after refused calls"))
		truth(label_get.ulValueLen == sizeof data_label - 1 &&
			      memcmp(buf, data_label, label_get.ulValueLen) == 0,
		      "label changed", "null: label unchanged after refused C_SetAttributeValue");

	chk(f3->C_FindObjectsInit(rw, NULL, 2), CKR_ARGUMENTS_BAD,
	    "null: C_FindObjectsInit pTemplate NULL with count 2");
	rv = f3->C_FindObjectsInit(rw, NULL, 0);
	if (chk(rv, CKR_OK, "null: C_FindObjectsInit(NULL, 0) finds all")) {
		chk(f3->C_FindObjects(rw, NULL, 8, &n), CKR_ARGUMENTS_BAD,
		    "null: C_FindObjects phObject NULL");
		chk(f3->C_FindObjects(rw, hs, 8, NULL), CKR_ARGUMENTS_BAD,
		    "null: C_FindObjects pulObjectCount NULL");
		n = 0;
		chk(f3->C_FindObjects(rw, hs, 8, &n), CKR_OK,
		    "null: C_FindObjects after refused calls");
		truth(n >= 6, "fewer than the 6 objects created",
		      "null: C_FindObjects(NULL, 0) template finds every object (%lu)", n);
		chk(f3->C_FindObjectsFinal(rw), CKR_OK, "null: C_FindObjectsFinal");
	}

	chk(f3->C_EncryptInit(rw, NULL, h_aes), CKR_ARGUMENTS_BAD, "null: C_EncryptInit pMechanism");
	chk(f3->C_DecryptInit(rw, NULL, h_aes), CKR_ARGUMENTS_BAD, "null: C_DecryptInit pMechanism");
	chk(f3->C_SignInit(rw, NULL, h_ec_priv), CKR_ARGUMENTS_BAD, "null: C_SignInit pMechanism");
	chk(f3->C_VerifyInit(rw, NULL, h_ec_pub), CKR_ARGUMENTS_BAD, "null: C_VerifyInit pMechanism");
	chk(f3->C_DigestInit(rw, NULL), CKR_ARGUMENTS_BAD, "null: C_DigestInit pMechanism");
	chk(f3->C_EncryptInit(rw, &bad_param, h_aes), CKR_ARGUMENTS_BAD,
	    "null: C_EncryptInit pParameter NULL with length");

	/* Single-part calls, with no operation active (the arguments are
	 * refused before the session state is looked at). */
	len = sizeof buf;
	chk(f3->C_Encrypt(rw, hash32, 32, buf, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_Encrypt pulEncryptedDataLen NULL");
	chk(f3->C_Encrypt(rw, NULL, 32, buf, &len), CKR_ARGUMENTS_BAD,
	    "null: C_Encrypt pData NULL with length");
	chk(f3->C_Decrypt(rw, hash32, 32, buf, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_Decrypt pulDataLen NULL");
	chk(f3->C_Decrypt(rw, NULL, 32, buf, &len), CKR_ARGUMENTS_BAD,
	    "null: C_Decrypt pEncryptedData NULL with length");
	chk(f3->C_Sign(rw, hash32, 32, buf, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_Sign pulSignatureLen NULL");
	chk(f3->C_Sign(rw, NULL, 32, buf, &len), CKR_ARGUMENTS_BAD,
	    "null: C_Sign pData NULL with length");
	chk(f3->C_SignUpdate(rw, NULL, 32), CKR_ARGUMENTS_BAD, "null: C_SignUpdate pPart NULL");
	chk(f3->C_SignFinal(rw, buf, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_SignFinal pulSignatureLen NULL");
	chk(f3->C_Digest(rw, hash32, 32, buf, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_Digest pulDigestLen NULL");
	chk(f3->C_Digest(rw, NULL, 32, buf, &len), CKR_ARGUMENTS_BAD,
	    "null: C_Digest pData NULL with length");
	chk(f3->C_DigestUpdate(rw, NULL, 32), CKR_ARGUMENTS_BAD, "null: C_DigestUpdate pPart NULL");
	chk(f3->C_DigestFinal(rw, buf, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_DigestFinal pulDigestLen NULL");
	chk(f3->C_Verify(rw, hash32, 32, NULL, 64), CKR_ARGUMENTS_BAD,
	    "null: C_Verify pSignature NULL with length");
	chk(f3->C_Verify(rw, NULL, 32, buf, 64), CKR_ARGUMENTS_BAD,
	    "null: C_Verify pData NULL with length");
	chk(f3->C_VerifyUpdate(rw, NULL, 32), CKR_ARGUMENTS_BAD, "null: C_VerifyUpdate pPart NULL");
	chk(f3->C_VerifyFinal(rw, NULL, 32), CKR_ARGUMENTS_BAD,
	    "null: C_VerifyFinal pSignature NULL with length");

	/* With an operation active, a refused argument leaves it usable. */
	if (chk(f3->C_SignInit(rw, &m_ecdsa, h_ec_priv), CKR_OK, "null: C_SignInit ECDSA")) {
		len = sizeof buf;
		chk(f3->C_Sign(rw, hash32, 32, buf, NULL), CKR_ARGUMENTS_BAD,
		    "null: C_Sign pulSignatureLen NULL during an operation");
		chk(f3->C_Sign(rw, hash32, 32, buf, &len), CKR_OK,
		    "null: C_Sign after the refused call still signs");
	}

	chk(f3->C_GenerateKey(rw, NULL, aes_tmpl, COUNT(aes_tmpl), &h), CKR_ARGUMENTS_BAD,
	    "null: C_GenerateKey pMechanism NULL");
	chk(f3->C_GenerateKey(rw, &m_aes_gen, aes_tmpl, COUNT(aes_tmpl), NULL), CKR_ARGUMENTS_BAD,
	    "null: C_GenerateKey phKey NULL");
	chk(f3->C_GenerateKey(rw, &m_aes_gen, NULL, 3, &h), CKR_ARGUMENTS_BAD,
	    "null: C_GenerateKey pTemplate NULL with count 3");
	chk(f3->C_GenerateKeyPair(rw, NULL, ec_pub_tmpl, COUNT(ec_pub_tmpl), ec_priv_tmpl,
				  COUNT(ec_priv_tmpl), &h, &hs[0]),
	    CKR_ARGUMENTS_BAD, "null: C_GenerateKeyPair pMechanism NULL");
	chk(f3->C_GenerateKeyPair(rw, &m_ec_gen, ec_pub_tmpl, COUNT(ec_pub_tmpl), ec_priv_tmpl,
				  COUNT(ec_priv_tmpl), NULL, &hs[0]),
	    CKR_ARGUMENTS_BAD, "null: C_GenerateKeyPair phPublicKey NULL");
	chk(f3->C_GenerateKeyPair(rw, &m_ec_gen, ec_pub_tmpl, COUNT(ec_pub_tmpl), ec_priv_tmpl,
				  COUNT(ec_priv_tmpl), &h, NULL),
	    CKR_ARGUMENTS_BAD, "null: C_GenerateKeyPair phPrivateKey NULL");
	chk(f3->C_GenerateKeyPair(rw, &m_ec_gen, NULL, 3, ec_priv_tmpl, COUNT(ec_priv_tmpl), &h,
				  &hs[0]),
	    CKR_ARGUMENTS_BAD, "null: C_GenerateKeyPair pPublicKeyTemplate NULL with count 3");
	chk(f3->C_GenerateKeyPair(rw, &m_ec_gen, ec_pub_tmpl, COUNT(ec_pub_tmpl), NULL, 2, &h,
				  &hs[0]),
	    CKR_ARGUMENTS_BAD, "null: C_GenerateKeyPair pPrivateKeyTemplate NULL with count 2");
	chk(f3->C_GenerateRandom(rw, NULL, 16), CKR_ARGUMENTS_BAD,
	    "null: C_GenerateRandom pRandomData NULL with length");
	chk(f3->C_SeedRandom(rw, NULL, 16), CKR_ARGUMENTS_BAD,
	    "null: C_SeedRandom pSeed NULL with length");
	chk(f3->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD,
	    "null: C_WaitForSlotEvent pSlot NULL");
	{
		CK_SLOT_ID s;
		chk(f3->C_WaitForSlotEvent(CKF_DONT_BLOCK, &s, NULL), CKR_NO_EVENT,
		    "null: C_WaitForSlotEvent(CKF_DONT_BLOCK) has no event");
	}
	/* Zero-length buffers where a length of 0 is meaningful. */
	chk(f3->C_GenerateRandom(rw, NULL, 0), CKR_OK, "null: C_GenerateRandom(NULL, 0)");
	chk(f3->C_SeedRandom(rw, buf, 16), CKR_OK, "null: C_SeedRandom with a seed");
}

/* ---- 5. invalid handles ---- */

static void check_bad_slot(void)
{
	CK_SLOT_ID bad = 9999;
	CK_SLOT_INFO si;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_INFO mi;
	CK_SESSION_HANDLE s;
	CK_ULONG n = 0;
	CK_UTF8CHAR label[32];

	pad32(label, "bad");
	chk(f3->C_GetSlotInfo(bad, &si), CKR_SLOT_ID_INVALID, "slot 9999: C_GetSlotInfo");
	chk(f3->C_GetTokenInfo(bad, &ti), CKR_SLOT_ID_INVALID, "slot 9999: C_GetTokenInfo");
	chk(f3->C_OpenSession(bad, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_SLOT_ID_INVALID,
	    "slot 9999: C_OpenSession");
	chk(f3->C_GetMechanismList(bad, NULL, &n), CKR_SLOT_ID_INVALID,
	    "slot 9999: C_GetMechanismList");
	chk(f3->C_GetMechanismInfo(bad, CKM_SHA256, &mi), CKR_SLOT_ID_INVALID,
	    "slot 9999: C_GetMechanismInfo");
	chk(f3->C_InitToken(bad, so_pin, SO_LEN, label), CKR_SLOT_ID_INVALID,
	    "slot 9999: C_InitToken");
	chk(f3->C_CloseAllSessions(bad), CKR_SLOT_ID_INVALID, "slot 9999: C_CloseAllSessions");
}

/* session_calls calls every implemented function that takes a session
 * handle, with h and otherwise valid arguments, and wants want. */
static void session_calls(CK_SESSION_HANDLE h, const char *tag, CK_RV want)
{
	CK_BYTE buf[256];
	CK_ULONG len = sizeof buf, n;
	CK_SESSION_INFO si;
	CK_OBJECT_HANDLE oh, oh2, found[4];
	CK_ATTRIBUTE get = {CKA_LABEL, buf, sizeof buf};
	CK_ATTRIBUTE set = {CKA_LABEL, data_label, 4};

#define S(fn, args) chk(f3->fn args, want, "%s: %s", tag, #fn)
	S(C_GetSessionInfo, (h, &si));
	S(C_Login, (h, CKU_USER, user_pin, USER_LEN));
	S(C_Logout, (h));
	S(C_InitPIN, (h, user_pin, USER_LEN));
	S(C_SetPIN, (h, user_pin, USER_LEN, user_pin, USER_LEN));
	S(C_CreateObject, (h, data_tmpl, COUNT(data_tmpl), &oh));
	S(C_CopyObject, (h, h_data, NULL, 0, &oh));
	S(C_DestroyObject, (h, h_data));
	S(C_GetObjectSize, (h, h_data, &n));
	S(C_GetAttributeValue, (h, h_data, &get, 1));
	S(C_SetAttributeValue, (h, h_data, &set, 1));
	S(C_FindObjectsInit, (h, NULL, 0));
	S(C_FindObjects, (h, found, 4, &n));
	S(C_FindObjectsFinal, (h));
	S(C_EncryptInit, (h, &m_gcm, h_aes));
	len = sizeof buf;
	S(C_Encrypt, (h, hash32, 32, buf, &len));
	S(C_DecryptInit, (h, &m_gcm, h_aes));
	len = sizeof buf;
	S(C_Decrypt, (h, buf, 48, buf, &len));
	S(C_DigestInit, (h, &m_sha256));
	len = sizeof buf;
	S(C_Digest, (h, hash32, 32, buf, &len));
	S(C_DigestUpdate, (h, hash32, 32));
	len = sizeof buf;
	S(C_DigestFinal, (h, buf, &len));
	S(C_SignInit, (h, &m_ecdsa, h_ec_priv));
	len = sizeof buf;
	S(C_Sign, (h, hash32, 32, buf, &len));
	S(C_SignUpdate, (h, hash32, 32));
	len = sizeof buf;
	S(C_SignFinal, (h, buf, &len));
	S(C_VerifyInit, (h, &m_ecdsa, h_ec_pub));
	S(C_Verify, (h, hash32, 32, buf, 64));
	S(C_VerifyUpdate, (h, hash32, 32));
	S(C_VerifyFinal, (h, buf, 32));
	S(C_GenerateKey, (h, &m_aes_gen, aes_tmpl, COUNT(aes_tmpl), &oh));
	S(C_GenerateKeyPair, (h, &m_ec_gen, ec_pub_tmpl, COUNT(ec_pub_tmpl), ec_priv_tmpl,
			      COUNT(ec_priv_tmpl), &oh, &oh2));
	S(C_SeedRandom, (h, hash32, 32));
	S(C_GenerateRandom, (h, buf, 16));
	S(C_CloseSession, (h));
#undef S
}

static void check_bad_session(void)
{
	CK_SESSION_HANDLE closed;

	session_calls(0, "session 0", CKR_SESSION_HANDLE_INVALID);
	session_calls(0xdeadbeef, "session 0xdeadbeef", CKR_SESSION_HANDLE_INVALID);
	if (chk(f3->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &closed), CKR_OK,
		"closed session: C_OpenSession") &&
	    chk(f3->C_CloseSession(closed), CKR_OK, "closed session: closing it"))
		session_calls(closed, "closed session", CKR_SESSION_HANDLE_INVALID);
	/* The real session is unharmed. */
	{
		CK_SESSION_INFO si;
		if (chk(f3->C_GetSessionInfo(rw, &si), CKR_OK, "bad session: R/W session still open"))
			chkn(si.state, CKS_RW_USER_FUNCTIONS, "bad session: R/W session still logged in");
	}
}

static void check_bad_object(void)
{
	CK_OBJECT_HANDLE bad[2] = {0, 0xdeadbeef}, h;
	CK_BYTE buf[64];
	CK_ATTRIBUTE get = {CKA_LABEL, buf, sizeof buf};
	CK_ATTRIBUTE set = {CKA_LABEL, data_label, 4};
	CK_ULONG n;
	int i;

	for (i = 0; i < 2; i++) {
		CK_OBJECT_HANDLE b = bad[i];
		chk(f3->C_GetAttributeValue(rw, b, &get, 1), CKR_OBJECT_HANDLE_INVALID,
		    "object 0x%lx: C_GetAttributeValue", b);
		chk(f3->C_SetAttributeValue(rw, b, &set, 1), CKR_OBJECT_HANDLE_INVALID,
		    "object 0x%lx: C_SetAttributeValue", b);
		chk(f3->C_DestroyObject(rw, b), CKR_OBJECT_HANDLE_INVALID,
		    "object 0x%lx: C_DestroyObject", b);
		chk(f3->C_CopyObject(rw, b, NULL, 0, &h), CKR_OBJECT_HANDLE_INVALID,
		    "object 0x%lx: C_CopyObject", b);
		chk(f3->C_GetObjectSize(rw, b, &n), CKR_OBJECT_HANDLE_INVALID,
		    "object 0x%lx: C_GetObjectSize", b);
		chk(f3->C_SignInit(rw, &m_ecdsa, b), CKR_KEY_HANDLE_INVALID,
		    "object 0x%lx: C_SignInit", b);
		chk(f3->C_VerifyInit(rw, &m_ecdsa, b), CKR_KEY_HANDLE_INVALID,
		    "object 0x%lx: C_VerifyInit", b);
		chk(f3->C_EncryptInit(rw, &m_gcm, b), CKR_KEY_HANDLE_INVALID,
		    "object 0x%lx: C_EncryptInit", b);
		chk(f3->C_DecryptInit(rw, &m_gcm, b), CKR_KEY_HANDLE_INVALID,
		    "object 0x%lx: C_DecryptInit", b);
	}
	/* A destroyed object's handle is invalid too. */
	if (chk(f3->C_CopyObject(rw, h_data, NULL, 0, &h), CKR_OK, "destroyed object: C_CopyObject") &&
	    chk(f3->C_DestroyObject(rw, h), CKR_OK, "destroyed object: C_DestroyObject")) {
		chk(f3->C_GetAttributeValue(rw, h, &get, 1), CKR_OBJECT_HANDLE_INVALID,
		    "destroyed object: C_GetAttributeValue");
		chk(f3->C_DestroyObject(rw, h), CKR_OBJECT_HANDLE_INVALID,
		    "destroyed object: C_DestroyObject again");
	}
}

/* ---- 6. the length convention ---- */

static void check_lists_lengths(void)
{
	CK_SLOT_ID ids[16];
	CK_MECHANISM_TYPE mechs[256];
	CK_ULONG n, want, i;
	int saw;

	n = 0;
	if (chk(f3->C_GetSlotList(CK_FALSE, NULL, &n), CKR_OK, "length: C_GetSlotList(NULL)")) {
		truth(n >= 2, "fewer than 2 slots", "length: C_GetSlotList counts the token and the free slot (%lu)", n);
		want = n;
		n = want - 1;
		ids[want - 1] = 0x5a5a;
		chk(f3->C_GetSlotList(CK_FALSE, ids, &n), CKR_BUFFER_TOO_SMALL,
		    "length: C_GetSlotList buffer one short");
		chkn(n, want, "length: C_GetSlotList buffer one short sets the count");
		n = 0;
		chk(f3->C_GetSlotList(CK_FALSE, ids, &n), CKR_BUFFER_TOO_SMALL,
		    "length: C_GetSlotList buffer of 0");
		chkn(n, want, "length: C_GetSlotList buffer of 0 sets the count");
		n = 16;
		chk(f3->C_GetSlotList(CK_FALSE, ids, &n), CKR_OK, "length: C_GetSlotList buffer of 16");
		chkn(n, want, "length: C_GetSlotList buffer of 16 count");
		for (saw = 0, i = 0; i < n; i++)
			saw += ids[i] == slot || ids[i] == free_slot;
		chkn(saw, 2, "length: C_GetSlotList lists the token's and the free slot");
	}

	n = 0;
	if (chk(f3->C_GetMechanismList(slot, NULL, &n), CKR_OK, "length: C_GetMechanismList(NULL)")) {
		truth(n >= 8 && n <= 256, "count out of 8..256", "length: C_GetMechanismList count (%lu)", n);
		want = n;
		n = want - 1;
		chk(f3->C_GetMechanismList(slot, mechs, &n), CKR_BUFFER_TOO_SMALL,
		    "length: C_GetMechanismList buffer one short");
		chkn(n, want, "length: C_GetMechanismList buffer one short sets the count");
		n = 256;
		chk(f3->C_GetMechanismList(slot, mechs, &n), CKR_OK, "length: C_GetMechanismList buffer of 256");
		chkn(n, want, "length: C_GetMechanismList count");
		for (saw = 0, i = 0; i < n; i++)
			saw += mechs[i] == CKM_ECDSA || mechs[i] == CKM_AES_GCM ||
			       mechs[i] == CKM_SHA256 || mechs[i] == CKM_SHA256_HMAC;
		chkn(saw, 4, "length: C_GetMechanismList has ECDSA, AES-GCM, SHA256, SHA256-HMAC");
	}
}

static void check_attribute_lengths(void)
{
	CK_BYTE lbuf[64], vbuf[64];
	CK_OBJECT_CLASS cls = 0x5a5a;
	CK_ULONG vlen = 0;
	CK_BBOOL tok = 0x5a;

	/* NULL pValue: the length. */
	{
		CK_ATTRIBUTE t[] = {{CKA_LABEL, NULL, 0}, {CKA_VALUE, NULL, 12345}};
		chk(f3->C_GetAttributeValue(rw, h_data, t, 2), CKR_OK, "attr: NULL pValue length query");
		chkn(t[0].ulValueLen, 10, "attr: NULL pValue gives the label length");
		chkn(t[1].ulValueLen, 5, "attr: NULL pValue gives the value length");
	}
	/* A short buffer: that entry unavailable, the others filled. */
	{
		CK_ATTRIBUTE t[] = {{CKA_CLASS, &cls, sizeof cls}, {CKA_LABEL, lbuf, 3},
				    {CKA_TOKEN, &tok, 1}};
		chk(f3->C_GetAttributeValue(rw, h_data, t, 3), CKR_BUFFER_TOO_SMALL,
		    "attr: label into 3 bytes");
		chkn(t[1].ulValueLen, CK_UNAVAILABLE_INFORMATION,
		     "attr: short label entry is CK_UNAVAILABLE_INFORMATION");
		chkn(t[0].ulValueLen, sizeof cls, "attr: class entry next to the short one has its length");
		chkn(cls, CKO_DATA, "attr: class entry next to the short one is filled");
		chkn(t[2].ulValueLen, 1, "attr: token entry after the short one has its length");
		chkn(tok, CK_FALSE, "attr: token entry after the short one is filled");
	}
	/* The exact size is enough. */
	{
		CK_ATTRIBUTE t = {CKA_LABEL, lbuf, 10};
		chk(f3->C_GetAttributeValue(rw, h_data, &t, 1), CKR_OK, "attr: label into exactly 10 bytes");
		truth(t.ulValueLen == 10 && memcmp(lbuf, data_label, 10) == 0, "wrong label",
		      "attr: label read back");
	}
	/* A sensitive attribute. */
	{
		CK_ATTRIBUTE t[] = {{CKA_VALUE, vbuf, sizeof vbuf}, {CKA_VALUE_LEN, &vlen, sizeof vlen}};
		chk(f3->C_GetAttributeValue(rw, h_aes, t, 2), CKR_ATTRIBUTE_SENSITIVE,
		    "attr: CKA_VALUE of a sensitive AES key");
		chkn(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION,
		     "attr: sensitive entry is CK_UNAVAILABLE_INFORMATION");
		chkn(vlen, 32, "attr: CKA_VALUE_LEN next to the sensitive entry is filled");
	}
	{
		CK_ATTRIBUTE t = {CKA_VALUE, NULL, 0};
		chk(f3->C_GetAttributeValue(rw, h_aes, &t, 1), CKR_ATTRIBUTE_SENSITIVE,
		    "attr: length query of a sensitive CKA_VALUE");
		chkn(t.ulValueLen, CK_UNAVAILABLE_INFORMATION,
		     "attr: sensitive length query is CK_UNAVAILABLE_INFORMATION");
	}
	/* A type the object does not have. */
	{
		CK_BYTE mod[16];
		CK_ATTRIBUTE t[] = {{CKA_MODULUS, mod, sizeof mod}, {CKA_CLASS, &cls, sizeof cls}};
		cls = 0x5a5a;
		chk(f3->C_GetAttributeValue(rw, h_data, t, 2), CKR_ATTRIBUTE_TYPE_INVALID,
		    "attr: CKA_MODULUS of a data object");
		chkn(t[0].ulValueLen, CK_UNAVAILABLE_INFORMATION,
		     "attr: invalid type entry is CK_UNAVAILABLE_INFORMATION");
		chkn(cls, CKO_DATA, "attr: class entry next to the invalid type is filled");
	}
	{
		CK_ATTRIBUTE t = {0x7ffffff0UL, NULL, 0};
		chk(f3->C_GetAttributeValue(rw, h_data, &t, 1), CKR_ATTRIBUTE_TYPE_INVALID,
		    "attr: unknown attribute type 0x7ffffff0");
		chkn(t.ulValueLen, CK_UNAVAILABLE_INFORMATION,
		     "attr: unknown type is CK_UNAVAILABLE_INFORMATION");
	}
}

/* out_convention runs the three-call convention on a single-part call that
 * produces want bytes: NULL output (length, operation stays), a 10-byte
 * buffer (CKR_BUFFER_TOO_SMALL, length, operation stays), the right buffer
 * (CKR_OK), then again (CKR_OPERATION_NOT_INITIALIZED). out receives the
 * result. */
typedef CK_RV (*single_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG, CK_BYTE_PTR, CK_ULONG_PTR);
typedef CK_RV (*final_fn)(CK_SESSION_HANDLE, CK_BYTE_PTR, CK_ULONG_PTR);

static CK_RV call_out(single_fn s, final_fn fin, CK_BYTE *in, CK_ULONG inlen, CK_BYTE *out,
		      CK_ULONG *outlen)
{
	if (fin != NULL)
		return fin(rw, out, outlen);
	return s(rw, in, inlen, out, outlen);
}

static void out_convention(const char *name, single_fn s, final_fn fin, CK_BYTE *in,
			   CK_ULONG inlen, CK_ULONG want, CK_BYTE *out, int exact)
{
	CK_BYTE small[10];
	CK_ULONG len;

	len = 0x5a5a;
	chk(call_out(s, fin, in, inlen, NULL, &len), CKR_OK, "length: %s NULL output", name);
	if (exact)
		chkn(len, want, "length: %s NULL output gives the length", name);
	else
		truth(len >= want && len < 0x5a5a, "less than the result",
		      "length: %s NULL output gives at least %lu (%lu)", name, want, len);
	len = sizeof small;
	chk(call_out(s, fin, in, inlen, small, &len), CKR_BUFFER_TOO_SMALL,
	    "length: %s 10-byte buffer", name);
	if (exact)
		chkn(len, want, "length: %s 10-byte buffer gives the length", name);
	else
		truth(len >= want && len < 0x5a5a, "less than the result",
		      "length: %s 10-byte buffer gives at least %lu (%lu)", name, want, len);
	len = want;
	chk(call_out(s, fin, in, inlen, out, &len), CKR_OK,
	    "length: %s right buffer (operation still active)", name);
	chkn(len, want, "length: %s result length", name);
	len = want;
	chk(call_out(s, fin, in, inlen, out, &len), CKR_OPERATION_NOT_INITIALIZED,
	    "length: %s again after the result", name);
}

static void check_output_lengths(void)
{
	static const CK_BYTE abc_sha256[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
		0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
		0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	CK_BYTE sig[64], ct[48], pt[48], dig[32], mac[32], mac2[32], inplace[64];
	CK_ULONG len;

	/* ECDSA P-256 over a 32-byte hash: 64 bytes. */
	if (chk(f3->C_SignInit(rw, &m_ecdsa, h_ec_priv), CKR_OK, "length: C_SignInit ECDSA")) {
		out_convention("C_Sign ECDSA", f3->C_Sign, NULL, hash32, 32, 64, sig, 1);
		if (chk(f3->C_VerifyInit(rw, &m_ecdsa, h_ec_pub), CKR_OK, "length: C_VerifyInit ECDSA"))
			chk(f3->C_Verify(rw, hash32, 32, sig, 64), CKR_OK,
			    "length: the ECDSA signature verifies");
	}

	/* AES-256-GCM, 32 bytes in, 48 out. */
	if (chk(f3->C_EncryptInit(rw, &m_gcm, h_aes), CKR_OK, "length: C_EncryptInit AES-GCM"))
		out_convention("C_Encrypt AES-GCM", f3->C_Encrypt, NULL, hash32, 32, 48, ct, 1);
	if (chk(f3->C_DecryptInit(rw, &m_gcm, h_aes), CKR_OK, "length: C_DecryptInit AES-GCM")) {
		out_convention("C_Decrypt AES-GCM", f3->C_Decrypt, NULL, ct, 48, 32, pt, 0);
		truth(memcmp(pt, hash32, 32) == 0, "plaintext differs", "length: AES-GCM round trip");
	}

	/* In place: input and output are one buffer. */
	memset(inplace, 0, sizeof inplace);
	memcpy(inplace, hash32, 32);
	if (chk(f3->C_EncryptInit(rw, &m_gcm, h_aes), CKR_OK, "inplace: C_EncryptInit")) {
		len = sizeof inplace;
		if (chk(f3->C_Encrypt(rw, inplace, 32, inplace, &len), CKR_OK,
			"inplace: C_Encrypt in place") &&
		    chkn(len, 48, "inplace: ciphertext length"))
			truth(memcmp(inplace, ct, 48) == 0, "differs from the out-of-place ciphertext",
			      "inplace: ciphertext equals the out-of-place one (same key and IV)");
	}
	if (chk(f3->C_DecryptInit(rw, &m_gcm, h_aes), CKR_OK, "inplace: C_DecryptInit")) {
		len = sizeof inplace;
		if (chk(f3->C_Decrypt(rw, inplace, 48, inplace, &len), CKR_OK,
			"inplace: C_Decrypt in place") &&
		    chkn(len, 32, "inplace: plaintext length"))
			truth(memcmp(inplace, hash32, 32) == 0, "plaintext not restored",
			      "inplace: C_Decrypt restores the plaintext");
	}

	/* SHA-256: 32 bytes. */
	if (chk(f3->C_DigestInit(rw, &m_sha256), CKR_OK, "length: C_DigestInit SHA256")) {
		out_convention("C_Digest SHA256", f3->C_Digest, NULL, (CK_BYTE *)"abc", 3, 32, dig, 1);
		truth(memcmp(dig, abc_sha256, 32) == 0, "wrong digest", "length: SHA256(\"abc\")");
	}
	if (chk(f3->C_DigestInit(rw, &m_sha256), CKR_OK, "length: C_DigestInit SHA256 multi-part") &&
	    chk(f3->C_DigestUpdate(rw, (CK_BYTE *)"abc", 3), CKR_OK, "length: C_DigestUpdate")) {
		memset(dig, 0, sizeof dig);
		out_convention("C_DigestFinal SHA256", NULL, f3->C_DigestFinal, NULL, 0, 32, dig, 1);
		truth(memcmp(dig, abc_sha256, 32) == 0, "wrong digest",
		      "length: multi-part SHA256(\"abc\")");
	}

	/* HMAC-SHA256 through C_SignFinal: 32 bytes. */
	if (chk(f3->C_SignInit(rw, &m_hmac, h_hmac), CKR_OK, "length: C_SignInit HMAC") &&
	    chk(f3->C_SignUpdate(rw, hash32, 32), CKR_OK, "length: C_SignUpdate HMAC"))
		out_convention("C_SignFinal HMAC-SHA256", NULL, f3->C_SignFinal, NULL, 0, 32, mac, 1);
	if (chk(f3->C_SignInit(rw, &m_hmac, h_hmac), CKR_OK, "length: C_SignInit HMAC single-part")) {
		len = sizeof mac2;
		if (chk(f3->C_Sign(rw, hash32, 32, mac2, &len), CKR_OK, "length: C_Sign HMAC"))
			truth(len == 32 && memcmp(mac, mac2, 32) == 0, "MACs differ",
			      "length: C_SignFinal and C_Sign agree");
	}
	if (chk(f3->C_VerifyInit(rw, &m_hmac, h_hmac), CKR_OK, "length: C_VerifyInit HMAC"))
		chk(f3->C_Verify(rw, hash32, 32, mac, 32), CKR_OK, "length: the HMAC verifies");
}

/* ---- 8. writes in a R/O session ---- */

static void check_read_only(void)
{
	CK_SESSION_HANDLE ro;
	CK_OBJECT_HANDLE h, h2;
	CK_SESSION_INFO si;
	CK_ATTRIBUTE set = {CKA_LABEL, (CK_BYTE *)"renamed", 7};
	CK_BYTE buf[64];
	CK_ATTRIBUTE get = {CKA_LABEL, buf, sizeof buf};
	CK_ATTRIBUTE to_token = {CKA_TOKEN, &yes, 1};

	if (!chk(f3->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK,
		 "ro: C_OpenSession R/O"))
		return;
	if (chk(f3->C_GetSessionInfo(ro, &si), CKR_OK, "ro: C_GetSessionInfo"))
		chkn(si.state, CKS_RO_USER_FUNCTIONS, "ro: state is CKS_RO_USER_FUNCTIONS");
	chk(f3->C_CreateObject(ro, token_data_tmpl, COUNT(token_data_tmpl), &h), CKR_SESSION_READ_ONLY,
	    "ro: C_CreateObject token data object");
	chk(f3->C_GenerateKey(ro, &m_aes_gen, aes_token_tmpl, COUNT(aes_token_tmpl), &h),
	    CKR_SESSION_READ_ONLY, "ro: C_GenerateKey CKA_TOKEN true");
	chk(f3->C_GenerateKeyPair(ro, &m_ec_gen, ec_pub_token_tmpl, COUNT(ec_pub_token_tmpl),
				  ec_priv_token_tmpl, COUNT(ec_priv_token_tmpl), &h, &h2),
	    CKR_SESSION_READ_ONLY, "ro: C_GenerateKeyPair CKA_TOKEN true");
	chk(f3->C_SetPIN(ro, user_pin, USER_LEN, (CK_UTF8CHAR_PTR) "new-pin-5678", 12),
	    CKR_SESSION_READ_ONLY, "ro: C_SetPIN");
	chk(f3->C_DestroyObject(ro, h_token_data), CKR_SESSION_READ_ONLY,
	    "ro: C_DestroyObject token object");
	chk(f3->C_SetAttributeValue(ro, h_token_data, &set, 1), CKR_SESSION_READ_ONLY,
	    "ro: C_SetAttributeValue token object");
	chk(f3->C_CopyObject(ro, h_token_data, NULL, 0, &h), CKR_SESSION_READ_ONLY,
	    "ro: C_CopyObject of a token object");
	chk(f3->C_CopyObject(ro, h_data, &to_token, 1, &h), CKR_SESSION_READ_ONLY,
	    "ro: C_CopyObject of a session object to the token");

	/* Nothing changed, and session objects are still allowed. */
	if (chk(f3->C_GetAttributeValue(rw, h_token_data, &get, 1), CKR_OK,
		"ro: token object still there"))
		truth(get.ulValueLen == sizeof token_label - 1 &&
			      memcmp(buf, token_label, get.ulValueLen) == 0,
		      "label changed", "ro: token object label unchanged");
	if (chk(f3->C_CreateObject(ro, data_tmpl, COUNT(data_tmpl), &h), CKR_OK,
		"ro: C_CreateObject session object is allowed"))
		chk(f3->C_DestroyObject(ro, h), CKR_OK, "ro: C_DestroyObject session object is allowed");
	chk(f3->C_CloseSession(ro), CKR_OK, "ro: C_CloseSession");
	/* The PIN did not change. */
	chk(f3->C_Logout(rw), CKR_OK, "ro: C_Logout");
	chk(f3->C_Login(rw, CKU_USER, user_pin, USER_LEN), CKR_OK, "ro: the user PIN is unchanged");

	/* Section 5.6, C_Logout: handles of private objects became invalid and
	 * private session objects are destroyed; public ones stay. */
	{
		CK_ULONG n;
		chk(f3->C_GetObjectSize(rw, h_aes, &n), CKR_OBJECT_HANDLE_INVALID,
		    "logout: private session key handle invalid after C_Logout");
		chk(f3->C_GetObjectSize(rw, h_data, &n), CKR_OK,
		    "logout: public session object still valid after C_Logout");
	}
	if (!chk(f3->C_GenerateKey(rw, &m_aes_gen, aes_tmpl, COUNT(aes_tmpl), &h_aes), CKR_OK,
		 "logout: C_GenerateKey AES-256 again"))
		die("cannot generate an AES key");
}

/* ---- more bad input: nested NULLs, overlapping buffers, odd lengths ---- */

/* Nested templates (CKF_ARRAY_ATTRIBUTE, section 5.7): a key made with a
 * CKA_WRAP_TEMPLATE gives it back in three calls (array length, element
 * types and lengths, values), and a wrap under it follows the template. */
static void check_array_attributes(void)
{
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES, generic = CKK_GENERIC_SECRET;
	CK_BYTE kek_value[32], key_value[16];
	CK_ATTRIBUTE inner[] = {{CKA_KEY_TYPE, &aes, sizeof aes}, {CKA_EXTRACTABLE, &yes, 1}};
	CK_ATTRIBUTE kek_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &aes, sizeof aes},
				   {CKA_VALUE, kek_value, sizeof kek_value}, {CKA_WRAP, &yes, 1},
				   {CKA_WRAP_TEMPLATE, inner, sizeof inner}};
	CK_ATTRIBUTE key_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &generic, sizeof generic},
				   {CKA_VALUE, key_value, sizeof key_value}, {CKA_EXTRACTABLE, &yes, 1}};
	CK_ATTRIBUTE out[2];
	CK_ATTRIBUTE get = {CKA_WRAP_TEMPLATE, NULL, 0};
	CK_KEY_TYPE kt = 0;
	CK_BBOOL ext = 0;
	CK_OBJECT_HANDLE kek, key;
	CK_MECHANISM kw = {CKM_AES_KEY_WRAP, NULL, 0};
	CK_BYTE wrapped[64];
	CK_ULONG wlen = sizeof wrapped;

	memset(kek_value, 0x4b, sizeof kek_value);
	memset(key_value, 0x11, sizeof key_value);
	if (!chk(f3->C_CreateObject(rw, kek_tmpl, 5, &kek), CKR_OK, "array: C_CreateObject with CKA_WRAP_TEMPLATE"))
		return;
	chk(f3->C_GetAttributeValue(rw, kek, &get, 1), CKR_OK, "array: length query");
	chkn(get.ulValueLen, sizeof out, "array: the length is two CK_ATTRIBUTEs");
	memset(out, 0, sizeof out);
	get.pValue = out;
	chk(f3->C_GetAttributeValue(rw, kek, &get, 1), CKR_OK, "array: element types and lengths");
	chkn(out[0].type, CKA_KEY_TYPE, "array: first element type");
	chkn(out[0].ulValueLen, sizeof(CK_KEY_TYPE), "array: first element length");
	chkn(out[1].type, CKA_EXTRACTABLE, "array: second element type");
	out[0].pValue = &kt;
	out[1].pValue = &ext;
	out[1].ulValueLen = 0;
	chk(f3->C_GetAttributeValue(rw, kek, &get, 1), CKR_BUFFER_TOO_SMALL, "array: an element buffer too small");
	chkn(out[1].ulValueLen, CK_UNAVAILABLE_INFORMATION, "array: the short element is unavailable");
	out[1].ulValueLen = 1;
	chk(f3->C_GetAttributeValue(rw, kek, &get, 1), CKR_OK, "array: element values");
	chkn(kt, CKK_AES, "array: CKA_KEY_TYPE value");
	chkn(ext, CK_TRUE, "array: CKA_EXTRACTABLE value");
	get.ulValueLen = sizeof(CK_ATTRIBUTE); /* room for one of two */
	chk(f3->C_GetAttributeValue(rw, kek, &get, 1), CKR_BUFFER_TOO_SMALL, "array: array too short");
	chkn(get.ulValueLen, CK_UNAVAILABLE_INFORMATION, "array: short array is unavailable");

	chk(f3->C_CreateObject(rw, key_tmpl, 4, &key), CKR_OK, "array: generic secret key");
	chk(f3->C_WrapKey(rw, &kw, kek, key, wrapped, &wlen), CKR_KEY_NOT_WRAPPABLE,
	    "array: C_WrapKey of a key outside CKA_WRAP_TEMPLATE");
	{
		CK_ATTRIBUTE bad = {CKA_WRAP_TEMPLATE, inner, sizeof inner - 1};
		CK_ATTRIBUTE t[] = {kek_tmpl[0], kek_tmpl[1], kek_tmpl[2], bad};
		CK_OBJECT_HANDLE h;

		chk(f3->C_CreateObject(rw, t, 4, &h), CKR_ATTRIBUTE_VALUE_INVALID,
		    "array: a template length that is not a whole number of CK_ATTRIBUTEs");
	}
}

/* PKCS#11 3.0 message-based AES-GCM: a token-generated counter IV written
 * back into the parameter, the tag into its buffer, then decryption of the
 * message, whole and in parts; a changed tag is refused. */
static void check_messages(void)
{
	CK_MECHANISM gcm_msg = {CKM_AES_GCM, NULL, 0};
	CK_BYTE iv[12] = {0xaa, 0xbb, 0xcc, 0xdd}, tag[16], msg[40], ct[40], pt[40], aad[] = "header";
	CK_GCM_MESSAGE_PARAMS p = {iv, sizeof iv, 32, CKG_GENERATE_COUNTER, tag, 128};
	CK_ULONG n;
	int i, same = 1;

	for (i = 0; i < 40; i++)
		msg[i] = (CK_BYTE)i;
	chk(f3->C_MessageEncryptInit(rw, &gcm_msg, h_aes), CKR_OK, "msg: C_MessageEncryptInit");
	n = 0;
	chk(f3->C_EncryptMessage(rw, &p, sizeof p, aad, 6, msg, 40, NULL, &n), CKR_OK, "msg: length query");
	chkn(n, 40, "msg: ciphertext as long as the plaintext");
	n = sizeof ct;
	chk(f3->C_EncryptMessage(rw, &p, sizeof p, aad, 6, msg, 40, ct, &n), CKR_OK, "msg: C_EncryptMessage");
	truth(iv[0] == 0xaa && iv[3] == 0xdd, "", "msg: the fixed IV bits kept");
	chk(f3->C_EncryptMessage(rw, &p, sizeof p - 1, aad, 6, msg, 40, ct, &n), CKR_MECHANISM_PARAM_INVALID,
	    "msg: a parameter of the wrong size");
	chk(f3->C_MessageEncryptFinal(rw), CKR_OK, "msg: C_MessageEncryptFinal");

	p.ivGenerator = CKG_NO_GENERATE;
	chk(f3->C_MessageDecryptInit(rw, &gcm_msg, h_aes), CKR_OK, "msg: C_MessageDecryptInit");
	n = sizeof pt;
	chk(f3->C_DecryptMessage(rw, &p, sizeof p, aad, 6, ct, 40, pt, &n), CKR_OK, "msg: C_DecryptMessage");
	for (i = 0; i < 40; i++)
		same &= pt[i] == msg[i];
	truth(same && n == 40, "", "msg: the plaintext comes back");
	chk(f3->C_DecryptMessageBegin(rw, &p, sizeof p, aad, 6), CKR_OK, "msg: C_DecryptMessageBegin");
	n = sizeof pt;
	chk(f3->C_DecryptMessageNext(rw, &p, sizeof p, ct, 25, pt, &n, 0), CKR_OK, "msg: an inner part");
	chkn(n, 0, "msg: an inner part releases nothing before the tag is checked");
	n = sizeof pt;
	chk(f3->C_DecryptMessageNext(rw, &p, sizeof p, ct + 25, 15, pt, &n, CKF_END_OF_MESSAGE), CKR_OK,
	    "msg: the last part");
	chkn(n, 40, "msg: the whole plaintext with the last part");
	tag[0] ^= 1;
	n = sizeof pt;
	chk(f3->C_DecryptMessage(rw, &p, sizeof p, aad, 6, ct, 40, pt, &n), CKR_ENCRYPTED_DATA_INVALID,
	    "msg: a changed tag");
	chk(f3->C_MessageDecryptFinal(rw), CKR_OK, "msg: C_MessageDecryptFinal");
}

/* CKM_SP800_108_COUNTER_KDF through the C structures (nested data
 * parameters): NIST CAVP KDFCTR_gen.rsp, HMAC_SHA256, counter before the
 * fixed data, 32-bit counter, COUNT=0. */
static int unhex_into(const char *h, CK_BYTE *out)
{
	int n = 0;

	for (; h[0] && h[1]; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[n++] = (CK_BYTE)v;
	}
	return n;
}

static void check_sp800_108(void)
{
	CK_BYTE ki[32], fixed[60], ko[16], got[16];
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
	CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
	CK_ULONG ko_len = sizeof ko;
	CK_ATTRIBUTE base_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &generic, sizeof generic},
				    {CKA_VALUE, ki, sizeof ki}, {CKA_DERIVE, &yes, 1}};
	CK_ATTRIBUTE out_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &generic, sizeof generic},
				   {CKA_VALUE_LEN, &ko_len, sizeof ko_len}, {CKA_EXTRACTABLE, &yes, 1},
				   {CKA_SENSITIVE, &no, 1}};
	CK_SP800_108_COUNTER_FORMAT ctr = {CK_FALSE, 32};
	CK_PRF_DATA_PARAM data[] = {{CK_SP800_108_ITERATION_VARIABLE, &ctr, sizeof ctr},
				    {CK_SP800_108_BYTE_ARRAY, fixed, sizeof fixed}};
	CK_SP800_108_KDF_PARAMS kdf = {CKM_SHA256_HMAC, 2, data, 0, NULL};
	CK_MECHANISM m = {CKM_SP800_108_COUNTER_KDF, &kdf, sizeof kdf};
	CK_OBJECT_HANDLE base, key;
	CK_ATTRIBUTE value = {CKA_VALUE, got, sizeof got};
	int same = 1, i;

	unhex_into("dd1d91b7d90b2bd3138533ce92b272fbf8a369316aefe242e659cc0ae238afe0", ki);
	unhex_into("01322b96b30acd197979444e468e1c5c6859bf1b1cf951b7e725303e237e46b8"
		   "64a145fab25e517b08f8683d0315bb2911d80a0e8aba17f3b413faac", fixed);
	unhex_into("10621342bfb0fd40046c0e29f2cfdbf0", ko);
	if (!chk(f3->C_CreateObject(rw, base_tmpl, 4, &base), CKR_OK, "kbkdf: base key"))
		return;
	if (!chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_OK, "kbkdf: C_DeriveKey"))
		return;
	chk(f3->C_GetAttributeValue(rw, key, &value, 1), CKR_OK, "kbkdf: derived value");
	for (i = 0; i < 16; i++)
		same &= got[i] == ko[i];
	truth(same && value.ulValueLen == 16, "", "kbkdf: the CAVP KO");
	kdf.ulNumberOfDataParams = 1; /* no fixed data: still a valid KDF, another key */
	data[0].ulValueLen = sizeof ctr - 1;
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_MECHANISM_PARAM_INVALID,
	    "kbkdf: a counter format of the wrong size");
}

/* CKM_AES_CBC_ENCRYPT_DATA through CK_AES_CBC_ENCRYPT_DATA_PARAMS (the IV
 * is an array inside the structure): SP 800-38A F.2.1, CBC-AES128.Encrypt,
 * first two blocks, as a 32-byte AES key. */
static void check_cbc_encrypt_data(void)
{
	CK_BYTE k[16], pt[32], ct[32], got[32];
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
	CK_KEY_TYPE aes = CKK_AES;
	CK_ULONG len32 = 32;
	CK_ATTRIBUTE base_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &aes, sizeof aes},
				    {CKA_VALUE, k, sizeof k}, {CKA_DERIVE, &yes, 1}};
	CK_ATTRIBUTE out_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &aes, sizeof aes},
				   {CKA_VALUE_LEN, &len32, sizeof len32}, {CKA_EXTRACTABLE, &yes, 1},
				   {CKA_SENSITIVE, &no, 1}};
	CK_AES_CBC_ENCRYPT_DATA_PARAMS p;
	CK_DES_CBC_ENCRYPT_DATA_PARAMS dp;
	CK_MECHANISM m = {CKM_AES_CBC_ENCRYPT_DATA, &p, sizeof p};
	CK_OBJECT_HANDLE base, key;
	CK_ATTRIBUTE value = {CKA_VALUE, got, sizeof got};
	int same = 1, i;

	unhex_into("2b7e151628aed2a6abf7158809cf4f3c", k);
	unhex_into("000102030405060708090a0b0c0d0e0f", p.iv);
	unhex_into("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", pt);
	unhex_into("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2", ct);
	p.pData = pt;
	p.length = sizeof pt;
	if (!chk(f3->C_CreateObject(rw, base_tmpl, 4, &base), CKR_OK, "cbc data: base key"))
		return;
	if (!chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_OK, "cbc data: C_DeriveKey"))
		return;
	chk(f3->C_GetAttributeValue(rw, key, &value, 1), CKR_OK, "cbc data: derived value");
	for (i = 0; i < 32; i++)
		same &= got[i] == ct[i];
	truth(same && value.ulValueLen == 32, "", "cbc data: the SP 800-38A ciphertext");
	p.length = 31;
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_MECHANISM_PARAM_INVALID,
	    "cbc data: data not whole blocks");
	p.pData = NULL;
	p.length = 32;
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_MECHANISM_PARAM_INVALID,
	    "cbc data: pData NULL with a length");
	/* The DES structure (an 8-byte IV) is not the AES one. */
	dp.pData = pt;
	dp.length = 32;
	m.pParameter = &dp;
	m.ulParameterLen = sizeof dp;
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_MECHANISM_PARAM_INVALID,
	    "cbc data: CK_DES_CBC_ENCRYPT_DATA_PARAMS for AES");
	m.mechanism = CKM_DES3_CBC_ENCRYPT_DATA;
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_KEY_TYPE_INCONSISTENT,
	    "cbc data: DES3 derivation from an AES key");
}

/* CKM_SP800_108_FEEDBACK_KDF through CK_SP800_108_FEEDBACK_KDF_PARAMS (the
 * IV pointer, an iteration variable with no value): NIST CAVP
 * FeedbackModeNOzeroiv KDFFeedback_gen.rsp, HMAC_SHA256, counter before
 * K(i-1), 32-bit counter, COUNT=0. */
static void check_sp800_108_feedback(void)
{
	CK_BYTE ki[32], iv[32], fixed[51], ko[64], got[64];
	CK_OBJECT_CLASS sk = CKO_SECRET_KEY;
	CK_KEY_TYPE generic = CKK_GENERIC_SECRET;
	CK_ULONG ko_len = sizeof ko;
	CK_ATTRIBUTE base_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &generic, sizeof generic},
				    {CKA_VALUE, ki, sizeof ki}, {CKA_DERIVE, &yes, 1}};
	CK_ATTRIBUTE out_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &generic, sizeof generic},
				   {CKA_VALUE_LEN, &ko_len, sizeof ko_len}, {CKA_EXTRACTABLE, &yes, 1},
				   {CKA_SENSITIVE, &no, 1}};
	CK_SP800_108_COUNTER_FORMAT ctr = {CK_FALSE, 32};
	CK_PRF_DATA_PARAM data[] = {{CK_SP800_108_OPTIONAL_COUNTER, &ctr, sizeof ctr},
				    {CK_SP800_108_ITERATION_VARIABLE, NULL, 0},
				    {CK_SP800_108_BYTE_ARRAY, fixed, sizeof fixed}};
	CK_SP800_108_FEEDBACK_KDF_PARAMS kdf = {CKM_SHA256_HMAC, 3, data, sizeof iv, iv, 0, NULL};
	CK_MECHANISM m = {CKM_SP800_108_FEEDBACK_KDF, &kdf, sizeof kdf};
	CK_OBJECT_HANDLE base, key;
	CK_ATTRIBUTE value = {CKA_VALUE, got, sizeof got};
	int same = 1, i;

	unhex_into("7fc03e5206d7b9afac296874f662b5ce5a56d09b035e6d345ef46fef09e37bac", ki);
	unhex_into("158e5080b675fb4d01be6ac2060f6f065b2960052e953d182c5df545084d15b5", iv);
	unhex_into("c53d131516e5cc6600c6f03ce1315be549ff0ea1a174fab8699c3f99de70c247"
		   "9296e7ef043ae765d108283fee53b2ed139472", fixed);
	unhex_into("13930082409ceb4c9833422c42c837769dec20be932f7ef46b945edf056d0ca4"
		   "7829b1a84ace1047370b07a5b6fe4f7311d63562f1e379034f67c90d396070d4", ko);
	if (!chk(f3->C_CreateObject(rw, base_tmpl, 4, &base), CKR_OK, "kbkdf fb: base key"))
		return;
	if (!chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_OK, "kbkdf fb: C_DeriveKey"))
		return;
	chk(f3->C_GetAttributeValue(rw, key, &value, 1), CKR_OK, "kbkdf fb: derived value");
	for (i = 0; i < 64; i++)
		same &= got[i] == ko[i];
	truth(same && value.ulValueLen == 64, "", "kbkdf fb: the CAVP KO");
	kdf.pIV = NULL; /* a length without the bytes */
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_MECHANISM_PARAM_INVALID,
	    "kbkdf fb: pIV NULL with ulIVLen 32");
	kdf.pIV = iv;
	m.ulParameterLen = sizeof(CK_SP800_108_KDF_PARAMS); /* the counter mode's structure */
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_MECHANISM_PARAM_INVALID,
	    "kbkdf fb: ulParameterLen of CK_SP800_108_KDF_PARAMS");
}

/* CKM_DH_PKCS_DERIVE: the parameter is the other party's public value
 * itself, a byte string (no structure). RFC 5114 section 3.1, the 1024-bit
 * group with a 160-bit subgroup: A's private value with B's public value
 * gives Z, 128 bytes. */
static void check_dh_derive(void)
{
	CK_BYTE p[128], g[128], xa[20], yb[128], z[128], got[128], one = 1;
	CK_OBJECT_CLASS pk = CKO_PRIVATE_KEY, sk = CKO_SECRET_KEY;
	CK_KEY_TYPE dh = CKK_DH, generic = CKK_GENERIC_SECRET;
	CK_ULONG z_len = sizeof z;
	CK_ATTRIBUTE base_tmpl[] = {{CKA_CLASS, &pk, sizeof pk}, {CKA_KEY_TYPE, &dh, sizeof dh},
				    {CKA_PRIME, p, sizeof p}, {CKA_BASE, g, sizeof g},
				    {CKA_VALUE, xa, sizeof xa}, {CKA_DERIVE, &yes, 1}};
	CK_ATTRIBUTE out_tmpl[] = {{CKA_CLASS, &sk, sizeof sk}, {CKA_KEY_TYPE, &generic, sizeof generic},
				   {CKA_VALUE_LEN, &z_len, sizeof z_len}, {CKA_EXTRACTABLE, &yes, 1},
				   {CKA_SENSITIVE, &no, 1}};
	CK_MECHANISM m = {CKM_DH_PKCS_DERIVE, yb, sizeof yb};
	CK_OBJECT_HANDLE base, key;
	CK_ATTRIBUTE value = {CKA_VALUE, got, sizeof got};
	int same = 1, i;

	unhex_into("b10b8f96a080e01dde92de5eae5d54ec52c99fbcfb06a3c69a6a9dca52d23b61"
		   "6073e28675a23d189838ef1e2ee652c013ecb4aea906112324975c3cd49b83bf"
		   "accbdd7d90c4bd7098488e9c219a73724effd6fae5644738faa31a4ff55bccc0"
		   "a151af5f0dc8b4bd45bf37df365c1a65e68cfda76d4da708df1fb2bc2e4a4371", p);
	unhex_into("a4d1cbd5c3fd34126765a442efb99905f8104dd258ac507fd6406cff14266d31"
		   "266fea1e5c41564b777e690f5504f213160217b4b01b886a5e91547f9e2749f4"
		   "d7fbd7d3b9a92ee1909d0d2263f80a76a6a24c087a091f531dbf0a0169b6a28a"
		   "d662a4d18e73afa32d779d5918d08bc8858f4dcef97c2a24855e6eeb22b3b2e5", g);
	unhex_into("b9a3b3ae8fefc1a2930496507086f8455d48943e", xa);
	unhex_into("717a6cb053371ff4a3b932941c1e5663f861a1d6ad34ae66576dfb98f6c6cbf9"
		   "ddd5a56c7833f6bcfdff095582ad868e440e8d09fd769e3ceccdc3d3b1e4cfa0"
		   "57776caaf9739b6a9fee8e7411f8d6dac09d6a4edb46cc2b5d5203090eae6126"
		   "311e53fd2c14b574e6a3109a3da1be41bdceaa186f5ce06716a2b6a07b3c33fe", yb);
	unhex_into("5c804f454d30d9c4df85271f93528c91df6b48ab5f80b3b59caac1b28f8acba9"
		   "cd3e39f3cb614525d9521d2e644c53b807b810f340062f257d7d6fbfe8d5e8f0"
		   "72e9b6e9afda9413eafb2e8b0699b1fb5a0caceddeaead7e9cfbb36ae2b42083"
		   "5bd83a19fb0b5e96bf8fa4d09e345525167ecd9155416f46f408ed31b63c6e6d", z);
	if (!chk(f3->C_CreateObject(rw, base_tmpl, 6, &base), CKR_OK, "dh: base key"))
		return;
	if (!chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_OK, "dh: C_DeriveKey"))
		return;
	chk(f3->C_GetAttributeValue(rw, key, &value, 1), CKR_OK, "dh: derived value");
	for (i = 0; i < 128; i++)
		same &= got[i] == z[i];
	truth(same && value.ulValueLen == 128, "", "dh: the RFC 5114 Z");
	m.pParameter = &one;
	m.ulParameterLen = 1;
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_MECHANISM_PARAM_INVALID,
	    "dh: a public value of 1");
	m.pParameter = NULL;
	m.ulParameterLen = 0;
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_MECHANISM_PARAM_INVALID,
	    "dh: no public value");
	m.ulParameterLen = sizeof yb;
	chk(f3->C_DeriveKey(rw, &m, base, out_tmpl, 5, &key), CKR_ARGUMENTS_BAD,
	    "dh: pParameter NULL with a length");
}

static void check_misc(void)
{
	CK_SESSION_HANDLE h;
	CK_OBJECT_HANDLE oh, found[2];
	CK_MECHANISM_INFO mi;
	CK_UTF8CHAR label[32];
	CK_BYTE buf[128], orig[128], want[64], dig[32];
	CK_ULONG len, cnt, i;
	CK_GCM_PARAMS p;
	CK_MECHANISM pm = {CKM_AES_GCM, &p, sizeof p};

	chk(f3->C_OpenSession(slot, CKF_RW_SESSION, NULL, NULL, &h), CKR_SESSION_PARALLEL_NOT_SUPPORTED,
	    "misc: C_OpenSession without CKF_SERIAL_SESSION");
	chk(f3->C_GetMechanismInfo(slot, 0x7fffffUL, &mi), CKR_MECHANISM_INVALID,
	    "misc: C_GetMechanismInfo unknown mechanism");

	/* Re-initialising with the right SO PIN while a session is open is
	 * refused, and destroys nothing. */
	pad32(label, "cabi");
	chk(f3->C_InitToken(slot, so_pin, SO_LEN, label), CKR_SESSION_EXISTS,
	    "misc: C_InitToken with a session open");
	chk(f3->C_GetObjectSize(rw, h_token_data, &len), CKR_OK,
	    "misc: token object survives the refused C_InitToken");

	/* Nested NULL pointers in a mechanism parameter: refused, no crash
	 * (the spec's code is CKR_MECHANISM_PARAM_INVALID; SoftHSMv2 says
	 * CKR_ARGUMENTS_BAD). */
	p = gcm;
	p.pIv = NULL;
	chk2(f3->C_EncryptInit(rw, &pm, h_aes), CKR_MECHANISM_PARAM_INVALID, CKR_ARGUMENTS_BAD,
	     "misc: GCM pIv NULL with ulIvLen 12");
	p = gcm;
	p.ulAADLen = 5;
	chk2(f3->C_EncryptInit(rw, &pm, h_aes), CKR_MECHANISM_PARAM_INVALID, CKR_ARGUMENTS_BAD,
	     "misc: GCM pAAD NULL with ulAADLen 5");
	p = gcm;
	pm.ulParameterLen = 8;
	chk2(f3->C_EncryptInit(rw, &pm, h_aes), CKR_MECHANISM_PARAM_INVALID, CKR_ARGUMENTS_BAD,
	     "misc: GCM ulParameterLen 8");
	pm.ulParameterLen = sizeof p;

	/* Overlapping input and output (not the same start): the result is
	 * that of separate buffers. */
	for (i = 0; i < sizeof buf; i++)
		orig[i] = (CK_BYTE)(i * 7 + 1);
	{
		static const long shifts[] = {16, -4};
		int k;

		for (k = 0; k < 2; k++) {
			long sh = shifts[k];
			CK_BYTE *in = sh > 0 ? buf : buf - sh, *out = sh > 0 ? buf + sh : buf;

			len = sizeof want;
			if (!chk(f3->C_EncryptInit(rw, &m_gcm, h_aes), CKR_OK,
				 "misc: C_EncryptInit reference (%+ld)", sh) ||
			    !chk(f3->C_Encrypt(rw, sh > 0 ? orig : orig - sh, 32, want, &len), CKR_OK,
				 "misc: C_Encrypt reference (%+ld)", sh))
				continue;
			memcpy(buf, orig, sizeof buf);
			len = 64;
			if (chk(f3->C_EncryptInit(rw, &m_gcm, h_aes), CKR_OK,
				"misc: C_EncryptInit overlapping (%+ld)", sh) &&
			    chk(f3->C_Encrypt(rw, in, 32, out, &len), CKR_OK,
				"misc: C_Encrypt output overlapping input at %+ld", sh) &&
			    chkn(len, 48, "misc: overlapping C_Encrypt length (%+ld)", sh))
				truth(memcmp(out, want, 48) == 0, "differs from separate buffers",
				      "misc: overlapping C_Encrypt result (%+ld)", sh);
		}
	}

	/* An output length that claims more room than needed. */
	if (chk(f3->C_DigestInit(rw, &m_sha256), CKR_OK, "misc: C_DigestInit")) {
		len = ~0UL;
		chk(f3->C_Digest(rw, (CK_BYTE *)"abc", 3, dig, &len), CKR_OK,
		    "misc: C_Digest with *pulDigestLen = ~0");
		chkn(len, 32, "misc: C_Digest with *pulDigestLen = ~0 sets 32");
	}
	/* A length no buffer can have, with a real pointer. */
	{
		CK_ATTRIBUTE t[] = {{CKA_CLASS, &cko_data, sizeof cko_data}, {CKA_TOKEN, &no, 1},
				    {CKA_LABEL, buf, ~0UL}};
		chk2(f3->C_CreateObject(rw, t, COUNT(t), &oh), CKR_ARGUMENTS_BAD,
		     CKR_ATTRIBUTE_VALUE_INVALID, "misc: C_CreateObject ulValueLen ~0");
	}
	/* C_FindObjects with room for none. */
	if (chk(f3->C_FindObjectsInit(rw, NULL, 0), CKR_OK, "misc: C_FindObjectsInit")) {
		cnt = 99;
		chk(f3->C_FindObjects(rw, found, 0, &cnt), CKR_OK, "misc: C_FindObjects max 0");
		chkn(cnt, 0, "misc: C_FindObjects max 0 finds 0");
		chk(f3->C_FindObjectsFinal(rw), CKR_OK, "misc: C_FindObjectsFinal");
	}
}

/* ---- modes ---- */

static int mode_all(void)
{
	check_lists();
	not_initialized("before-init");
	check_init_args();
	setup_token_and_pins();
	setup_objects();
	check_null_pointers();
	check_bad_slot();
	check_bad_session();
	check_bad_object();
	check_lists_lengths();
	check_attribute_lengths();
	check_array_attributes();
	check_messages();
	check_sp800_108();
	check_sp800_108_feedback();
	check_cbc_encrypt_data();
	check_dh_derive();
	check_output_lengths();
	check_read_only();
	check_misc();
	chk(f3->C_CloseAllSessions(slot), CKR_OK, "end: C_CloseAllSessions");
	{
		CK_SESSION_INFO si;
		chk(f3->C_GetSessionInfo(rw, &si), CKR_SESSION_HANDLE_INVALID,
		    "end: session handle invalid after C_CloseAllSessions");
	}
	chk(f3->C_Finalize(NULL), CKR_OK, "end: C_Finalize");
	chk(f3->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED, "end: C_Finalize twice");
	return 0;
}

/* init_error: C_Initialize refuses, and leaves the library down. */
static int mode_init_error(CK_RV w1, CK_RV w2)
{
	CK_INFO info;

	chk2(f3->C_Initialize(NULL), w1, w2, "initerr: C_Initialize");
	chk(f3->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED, "initerr: C_GetInfo after it");
	chk(f3->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED, "initerr: C_Finalize after it");
	return 0;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* lock: another process holds the database; each call either succeeds or
 * fails cleanly with CKR_DEVICE_ERROR. */
static int mode_lock(void)
{
	CK_RV rv;
	CK_UTF8CHAR label[32];
	double t0 = now();

	rv = f3->C_Initialize(NULL);
	printf("rv C_Initialize 0x%lx %.1fs\n", rv, now() - t0);
	chk2(rv, CKR_OK, CKR_DEVICE_ERROR, "lock: C_Initialize");
	if (rv != CKR_OK)
		return 0;
	pad32(label, "locked");
	t0 = now();
	rv = f3->C_InitToken(find_free_slot(), so_pin, SO_LEN, label);
	printf("rv C_InitToken 0x%lx %.1fs\n", rv, now() - t0);
	chk2(rv, CKR_OK, CKR_DEVICE_ERROR, "lock: C_InitToken");
	chk(f3->C_Finalize(NULL), CKR_OK, "lock: C_Finalize");
	return 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[2] : "all";

	if (argc < 2) {
		fprintf(stderr, "usage: %s MODULE [all|init-error|init-general-error|lock]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	load(argv[1]);
	if (strcmp(mode, "all") == 0)
		mode_all();
	else if (strcmp(mode, "init-error") == 0)
		mode_init_error(CKR_DEVICE_ERROR, CKR_GENERAL_ERROR);
	else if (strcmp(mode, "init-general-error") == 0)
		mode_init_error(CKR_GENERAL_ERROR, CKR_GENERAL_ERROR);
	else if (strcmp(mode, "lock") == 0)
		mode_lock();
	else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	printf("%d checks, %d failed\n", checks, failures);
	return failures ? 1 : 0;
}

/*
 * entry.c - the C face of libkagi.so: every exported PKCS#11 2.40 and 3.0
 * entry point, the function lists and the interface table.
 *
 * Why the entry points are C and not cgo exports:
 *
 *  - Fork. The Go runtime does not survive fork() without exec: only the
 *    forking thread is copied, so the runtime's other threads (scheduler,
 *    GC workers, the threads that held its locks) are gone, and a child that
 *    calls into Go can hang forever (golang/go#15538, #16855). Each C_*
 *    function therefore checks, before entering Go, whether this process is a
 *    fork child of the process that loaded kagi, and if so answers at once
 *    from C (kagi_child_answer). A later issue replaces that answer by
 *    forwarding the call to a helper process; the dispatch is kept in one
 *    place (KAGI_ENTER_GO / kagi_child_answer) for that reason.
 *
 *  - Go hosts. A c-shared Go library carries its own Go runtime, which
 *    installs a SIGURG handler (the signal Go uses to preempt goroutines) and
 *    never forwards SIGURG to the handler it replaced (runtime/signal_unix.go:
 *    sigInstallGoHandler, sigfwdgo; golang/go#18976). In a Go host (crypto11,
 *    miekg/pkcs11) the host's scheduler then can no longer preempt its
 *    goroutines, and a program with busy goroutines hangs. kagi records the
 *    host's SIGURG handler in a constructor that runs before its Go runtime
 *    starts and puts it back after the first call into Go has returned. kagi's
 *    own runtime then preempts its goroutines cooperatively only, which its
 *    short calls do not mind.
 *
 * C_GetFunctionList, C_GetInterfaceList and C_GetInterface are pure C: they
 * never enter Go and work in any process.
 */

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../pkcs11.h"
#include "_cgo_export.h"

#define KAGI_EXPORT __attribute__((visibility("default")))

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 */
#endif

/* One id per entry point, in function-list order; kagi_child_answer (and,
 * later, the forwarding to a helper process) is keyed by it. */
enum kagi_fn {
	KAGI_FN_Initialize,
	KAGI_FN_Finalize,
	KAGI_FN_GetInfo,
	KAGI_FN_GetFunctionList,
	KAGI_FN_GetSlotList,
	KAGI_FN_GetSlotInfo,
	KAGI_FN_GetTokenInfo,
	KAGI_FN_GetMechanismList,
	KAGI_FN_GetMechanismInfo,
	KAGI_FN_InitToken,
	KAGI_FN_InitPIN,
	KAGI_FN_SetPIN,
	KAGI_FN_OpenSession,
	KAGI_FN_CloseSession,
	KAGI_FN_CloseAllSessions,
	KAGI_FN_GetSessionInfo,
	KAGI_FN_GetOperationState,
	KAGI_FN_SetOperationState,
	KAGI_FN_Login,
	KAGI_FN_Logout,
	KAGI_FN_CreateObject,
	KAGI_FN_CopyObject,
	KAGI_FN_DestroyObject,
	KAGI_FN_GetObjectSize,
	KAGI_FN_GetAttributeValue,
	KAGI_FN_SetAttributeValue,
	KAGI_FN_FindObjectsInit,
	KAGI_FN_FindObjects,
	KAGI_FN_FindObjectsFinal,
	KAGI_FN_EncryptInit,
	KAGI_FN_Encrypt,
	KAGI_FN_EncryptUpdate,
	KAGI_FN_EncryptFinal,
	KAGI_FN_DecryptInit,
	KAGI_FN_Decrypt,
	KAGI_FN_DecryptUpdate,
	KAGI_FN_DecryptFinal,
	KAGI_FN_DigestInit,
	KAGI_FN_Digest,
	KAGI_FN_DigestUpdate,
	KAGI_FN_DigestKey,
	KAGI_FN_DigestFinal,
	KAGI_FN_SignInit,
	KAGI_FN_Sign,
	KAGI_FN_SignUpdate,
	KAGI_FN_SignFinal,
	KAGI_FN_SignRecoverInit,
	KAGI_FN_SignRecover,
	KAGI_FN_VerifyInit,
	KAGI_FN_Verify,
	KAGI_FN_VerifyUpdate,
	KAGI_FN_VerifyFinal,
	KAGI_FN_VerifyRecoverInit,
	KAGI_FN_VerifyRecover,
	KAGI_FN_DigestEncryptUpdate,
	KAGI_FN_DecryptDigestUpdate,
	KAGI_FN_SignEncryptUpdate,
	KAGI_FN_DecryptVerifyUpdate,
	KAGI_FN_GenerateKey,
	KAGI_FN_GenerateKeyPair,
	KAGI_FN_WrapKey,
	KAGI_FN_UnwrapKey,
	KAGI_FN_DeriveKey,
	KAGI_FN_SeedRandom,
	KAGI_FN_GenerateRandom,
	KAGI_FN_GetFunctionStatus,
	KAGI_FN_CancelFunction,
	KAGI_FN_WaitForSlotEvent,
	KAGI_FN_GetInterfaceList,
	KAGI_FN_GetInterface,
	KAGI_FN_LoginUser,
	KAGI_FN_SessionCancel,
	KAGI_FN_MessageEncryptInit,
	KAGI_FN_EncryptMessage,
	KAGI_FN_EncryptMessageBegin,
	KAGI_FN_EncryptMessageNext,
	KAGI_FN_MessageEncryptFinal,
	KAGI_FN_MessageDecryptInit,
	KAGI_FN_DecryptMessage,
	KAGI_FN_DecryptMessageBegin,
	KAGI_FN_DecryptMessageNext,
	KAGI_FN_MessageDecryptFinal,
	KAGI_FN_MessageSignInit,
	KAGI_FN_SignMessage,
	KAGI_FN_SignMessageBegin,
	KAGI_FN_SignMessageNext,
	KAGI_FN_MessageSignFinal,
	KAGI_FN_MessageVerifyInit,
	KAGI_FN_VerifyMessage,
	KAGI_FN_VerifyMessageBegin,
	KAGI_FN_VerifyMessageNext,
	KAGI_FN_MessageVerifyFinal,
};

/* ------------------------------------------------------------------------
 * Process state, kept in C so that a fork child can read it without Go.
 * ------------------------------------------------------------------------ */

/* The pid of the process that loaded kagi (recorded by the constructor). */
static pid_t kagi_load_pid;

/* A page marked MADV_WIPEONFORK whose first byte is 1 in the process that
 * loaded kagi: the kernel hands every fork child (whether or not it went
 * through pthread_atfork, e.g. a raw clone or syscall(SYS_fork)) a zero-filled
 * copy. It replaces a getpid() per call (a system call, ~100 ns, which the
 * benchmark would feel); when the kernel lacks MADV_WIPEONFORK it is NULL and
 * kagi_forked compares getpid() with kagi_load_pid instead. */
static volatile unsigned char *kagi_wipe_page;

/* Set by the pthread_atfork child handler, or by kagi_forked once it saw a
 * fork: this process is a child of the one that loaded kagi. */
static int kagi_in_child;

/* Whether C_Initialize succeeded and C_Finalize has not run since (the Go
 * side's state, mirrored here so that a fork child knows it). */
static int kagi_initialized;

/* In a fork child: C_Finalize was called (the child's view of the library). */
static int kagi_child_finalized;

/* The pid that already wrote the fork message, so it is written once per
 * process. */
static pid_t kagi_warned_pid;

/* The host's SIGURG disposition before kagi's Go runtime started, and
 * whether it has to be put back (it was a real handler, not SIG_DFL/SIG_IGN). */
static struct sigaction kagi_host_sigurg;
static int kagi_host_sigurg_set;
static int kagi_sigurg_done;

static void kagi_atfork_child(void)
{
	__atomic_store_n(&kagi_in_child, 1, __ATOMIC_RELAXED);
}

/* Priority 101 runs this before the constructors without a priority, among
 * them the Go runtime's initialisation of this library (its .init_array
 * entry), so the SIGURG handler seen here is still the host's. */
__attribute__((constructor(101))) static void kagi_early_init(void)
{
	long pagesize = sysconf(_SC_PAGESIZE);
	void *page;

	kagi_load_pid = getpid();

	if (sigaction(SIGURG, NULL, &kagi_host_sigurg) == 0 &&
	    kagi_host_sigurg.sa_handler != SIG_DFL &&
	    kagi_host_sigurg.sa_handler != SIG_IGN)
		kagi_host_sigurg_set = 1;

	pthread_atfork(NULL, NULL, kagi_atfork_child);

	if (pagesize <= 0)
		pagesize = 4096;
	page = mmap(NULL, (size_t)pagesize, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page != MAP_FAILED) {
		if (madvise(page, (size_t)pagesize, MADV_WIPEONFORK) == 0) {
			*(volatile unsigned char *)page = 1;
			kagi_wipe_page = page;
		} else {
			munmap(page, (size_t)pagesize);
		}
	}
}

/* kagi_forked reports whether this process forked since kagi was loaded.
 * Only a real fork child (its own copy of memory, where the wipe-on-fork page
 * reads 0) records that; a vfork or posix_spawn child shares the parent's
 * memory, reads 1 and must not write anything here. */
static inline int kagi_forked(void)
{
	if (__builtin_expect(__atomic_load_n(&kagi_in_child, __ATOMIC_RELAXED), 0))
		return 1;
	if (__builtin_expect(kagi_wipe_page != NULL, 1)) {
		if (__builtin_expect(kagi_wipe_page[0] != 0, 1))
			return 0;
		__atomic_store_n(&kagi_in_child, 1, __ATOMIC_RELAXED);
		return 1;
	}
	return getpid() != kagi_load_pid;
}

static void kagi_warn_forked(void)
{
	static const char msg[] =
		"kagi: this process forked after loading libkagi.so, and the Go "
		"runtime inside kagi cannot run in a forked child, so PKCS#11 "
		"calls here fail with CKR_GENERAL_ERROR; call exec() in the child, "
		"or load the module (dlopen) only after fork()\n";
	pid_t me = getpid();
	ssize_t n;

	if (__atomic_exchange_n(&kagi_warned_pid, me, __ATOMIC_RELAXED) == me)
		return;
	/* write(2), not stdio: another thread of the parent may have held the
	 * stdio lock at the time of the fork. */
	n = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)n;
}

/* kagi_child_answer is the answer of entry point fn in a fork child, given
 * without entering Go. C_Initialize reports the parent's state, as SoftHSMv2
 * does; C_Finalize ends the child's use of the library; anything else fails
 * with a one-line explanation on stderr. */
static CK_RV kagi_child_answer(enum kagi_fn fn)
{
	int live = __atomic_load_n(&kagi_initialized, __ATOMIC_ACQUIRE) &&
		   !kagi_child_finalized;

	switch (fn) {
	case KAGI_FN_Initialize:
		if (live)
			return CKR_CRYPTOKI_ALREADY_INITIALIZED;
		break;
	case KAGI_FN_Finalize:
		if (!live)
			return CKR_CRYPTOKI_NOT_INITIALIZED;
		kagi_child_finalized = 1;
		return CKR_OK;
	default:
		break;
	}
	kagi_warn_forked();
	return CKR_GENERAL_ERROR;
}

/* kagi_left_go runs after every call into Go has returned: it mirrors the
 * library state for fork children and, the first time, gives SIGURG back to
 * the host (see the comment at the top). fn is a constant at every call site,
 * so the branches fold away. */
static inline CK_RV kagi_left_go(enum kagi_fn fn, CK_RV rv)
{
	if (fn == KAGI_FN_Initialize &&
	    (rv == CKR_OK || rv == CKR_CRYPTOKI_ALREADY_INITIALIZED))
		__atomic_store_n(&kagi_initialized, 1, __ATOMIC_RELEASE);
	/* C_Finalize leaves the library up only when it refused its argument;
	 * otherwise it is down, even when closing the database reported an
	 * error. */
	if (fn == KAGI_FN_Finalize && rv != CKR_ARGUMENTS_BAD)
		__atomic_store_n(&kagi_initialized, 0, __ATOMIC_RELEASE);

	/* A call into a c-shared library waits until its Go runtime has
	 * initialised, so kagi's handler is installed by now and can be
	 * replaced for good. */
	if (__builtin_expect(!__atomic_load_n(&kagi_sigurg_done, __ATOMIC_ACQUIRE), 0) &&
	    __atomic_exchange_n(&kagi_sigurg_done, 1, __ATOMIC_ACQ_REL) == 0 &&
	    kagi_host_sigurg_set)
		sigaction(SIGURG, &kagi_host_sigurg, NULL);
	return rv;
}

/* KAGI_ENTER_GO is the body of every entry point that Go implements. */
#define KAGI_ENTER_GO(fn, call)                                \
	do {                                                   \
		if (kagi_forked())                             \
			return kagi_child_answer(fn);          \
		return kagi_left_go(fn, (call));               \
	} while (0)

/* ------------------------------------------------------------------------
 * Entry points implemented in Go (kagiGo_* in the .go files).
 * ------------------------------------------------------------------------ */

CK_RV KAGI_EXPORT C_Initialize(CK_VOID_PTR pInitArgs)
{
	KAGI_ENTER_GO(KAGI_FN_Initialize, kagiGo_Initialize(pInitArgs));
}

CK_RV KAGI_EXPORT C_Finalize(CK_VOID_PTR pReserved)
{
	KAGI_ENTER_GO(KAGI_FN_Finalize, kagiGo_Finalize(pReserved));
}

CK_RV KAGI_EXPORT C_GetInfo(CK_INFO_PTR pInfo)
{
	KAGI_ENTER_GO(KAGI_FN_GetInfo, kagiGo_GetInfo(pInfo));
}

CK_RV KAGI_EXPORT C_GetSlotList(CK_BBOOL tokenPresent,
	CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
	KAGI_ENTER_GO(KAGI_FN_GetSlotList,
		kagiGo_GetSlotList(tokenPresent, pSlotList, pulCount));
}

CK_RV KAGI_EXPORT C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	KAGI_ENTER_GO(KAGI_FN_GetSlotInfo, kagiGo_GetSlotInfo(slotID, pInfo));
}

CK_RV KAGI_EXPORT C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	KAGI_ENTER_GO(KAGI_FN_GetTokenInfo, kagiGo_GetTokenInfo(slotID, pInfo));
}

CK_RV KAGI_EXPORT C_GetMechanismList(CK_SLOT_ID slotID,
	CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount)
{
	KAGI_ENTER_GO(KAGI_FN_GetMechanismList,
		kagiGo_GetMechanismList(slotID, pMechanismList, pulCount));
}

CK_RV KAGI_EXPORT C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
	CK_MECHANISM_INFO_PTR pInfo)
{
	KAGI_ENTER_GO(KAGI_FN_GetMechanismInfo,
		kagiGo_GetMechanismInfo(slotID, type, pInfo));
}

CK_RV KAGI_EXPORT C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin,
	CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
{
	KAGI_ENTER_GO(KAGI_FN_InitToken,
		kagiGo_InitToken(slotID, pPin, ulPinLen, pLabel));
}

CK_RV KAGI_EXPORT C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
	CK_ULONG ulPinLen)
{
	KAGI_ENTER_GO(KAGI_FN_InitPIN,
		kagiGo_InitPIN(hSession, pPin, ulPinLen));
}

CK_RV KAGI_EXPORT C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
	CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	KAGI_ENTER_GO(KAGI_FN_SetPIN,
		kagiGo_SetPIN(hSession, pOldPin, ulOldLen, pNewPin, ulNewLen));
}

CK_RV KAGI_EXPORT C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags,
	CK_VOID_PTR pApplication, CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	KAGI_ENTER_GO(KAGI_FN_OpenSession,
		kagiGo_OpenSession(slotID, flags, pApplication, Notify,
			phSession));
}

CK_RV KAGI_EXPORT C_CloseSession(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_CloseSession, kagiGo_CloseSession(hSession));
}

CK_RV KAGI_EXPORT C_CloseAllSessions(CK_SLOT_ID slotID)
{
	KAGI_ENTER_GO(KAGI_FN_CloseAllSessions,
		kagiGo_CloseAllSessions(slotID));
}

CK_RV KAGI_EXPORT C_GetSessionInfo(CK_SESSION_HANDLE hSession,
	CK_SESSION_INFO_PTR pInfo)
{
	KAGI_ENTER_GO(KAGI_FN_GetSessionInfo,
		kagiGo_GetSessionInfo(hSession, pInfo));
}

CK_RV KAGI_EXPORT C_GetOperationState(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pOperationState, CK_ULONG_PTR pulOperationStateLen)
{
	KAGI_ENTER_GO(KAGI_FN_GetOperationState,
		kagiGo_GetOperationState(hSession, pOperationState,
			pulOperationStateLen));
}

CK_RV KAGI_EXPORT C_SetOperationState(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen,
	CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey)
{
	KAGI_ENTER_GO(KAGI_FN_SetOperationState,
		kagiGo_SetOperationState(hSession, pOperationState,
			ulOperationStateLen, hEncryptionKey,
			hAuthenticationKey));
}

CK_RV KAGI_EXPORT C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
	CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	KAGI_ENTER_GO(KAGI_FN_Login,
		kagiGo_Login(hSession, userType, pPin, ulPinLen));
}

CK_RV KAGI_EXPORT C_Logout(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_Logout, kagiGo_Logout(hSession));
}

CK_RV KAGI_EXPORT C_CreateObject(CK_SESSION_HANDLE hSession,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	KAGI_ENTER_GO(KAGI_FN_CreateObject,
		kagiGo_CreateObject(hSession, pTemplate, ulCount, phObject));
}

CK_RV KAGI_EXPORT C_CopyObject(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
	CK_OBJECT_HANDLE_PTR phNewObject)
{
	KAGI_ENTER_GO(KAGI_FN_CopyObject,
		kagiGo_CopyObject(hSession, hObject, pTemplate, ulCount,
			phNewObject));
}

CK_RV KAGI_EXPORT C_DestroyObject(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject)
{
	KAGI_ENTER_GO(KAGI_FN_DestroyObject,
		kagiGo_DestroyObject(hSession, hObject));
}

CK_RV KAGI_EXPORT C_GetObjectSize(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
	KAGI_ENTER_GO(KAGI_FN_GetObjectSize,
		kagiGo_GetObjectSize(hSession, hObject, pulSize));
}

CK_RV KAGI_EXPORT C_GetAttributeValue(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	KAGI_ENTER_GO(KAGI_FN_GetAttributeValue,
		kagiGo_GetAttributeValue(hSession, hObject, pTemplate,
			ulCount));
}

CK_RV KAGI_EXPORT C_SetAttributeValue(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	KAGI_ENTER_GO(KAGI_FN_SetAttributeValue,
		kagiGo_SetAttributeValue(hSession, hObject, pTemplate,
			ulCount));
}

CK_RV KAGI_EXPORT C_FindObjectsInit(CK_SESSION_HANDLE hSession,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	KAGI_ENTER_GO(KAGI_FN_FindObjectsInit,
		kagiGo_FindObjectsInit(hSession, pTemplate, ulCount));
}

CK_RV KAGI_EXPORT C_FindObjects(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
	CK_ULONG_PTR pulObjectCount)
{
	KAGI_ENTER_GO(KAGI_FN_FindObjects,
		kagiGo_FindObjects(hSession, phObject, ulMaxObjectCount,
			pulObjectCount));
}

CK_RV KAGI_EXPORT C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_FindObjectsFinal,
		kagiGo_FindObjectsFinal(hSession));
}

CK_RV KAGI_EXPORT C_EncryptInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_EncryptInit,
		kagiGo_EncryptInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData,
	CK_ULONG_PTR pulEncryptedDataLen)
{
	KAGI_ENTER_GO(KAGI_FN_Encrypt,
		kagiGo_Encrypt(hSession, pData, ulDataLen, pEncryptedData,
			pulEncryptedDataLen));
}

CK_RV KAGI_EXPORT C_EncryptUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG_PTR pulEncryptedPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_EncryptUpdate,
		kagiGo_EncryptUpdate(hSession, pPart, ulPartLen, pEncryptedPart,
			pulEncryptedPartLen));
}

CK_RV KAGI_EXPORT C_EncryptFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pLastEncryptedPart, CK_ULONG_PTR pulLastEncryptedPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_EncryptFinal,
		kagiGo_EncryptFinal(hSession, pLastEncryptedPart,
			pulLastEncryptedPartLen));
}

CK_RV KAGI_EXPORT C_DecryptInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_DecryptInit,
		kagiGo_DecryptInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_Decrypt(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData,
	CK_ULONG_PTR pulDataLen)
{
	KAGI_ENTER_GO(KAGI_FN_Decrypt,
		kagiGo_Decrypt(hSession, pEncryptedData, ulEncryptedDataLen,
			pData, pulDataLen));
}

CK_RV KAGI_EXPORT C_DecryptUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
	CK_ULONG_PTR pulPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_DecryptUpdate,
		kagiGo_DecryptUpdate(hSession, pEncryptedPart,
			ulEncryptedPartLen, pPart, pulPartLen));
}

CK_RV KAGI_EXPORT C_DecryptFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_DecryptFinal,
		kagiGo_DecryptFinal(hSession, pLastPart, pulLastPartLen));
}

CK_RV KAGI_EXPORT C_DigestInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism)
{
	KAGI_ENTER_GO(KAGI_FN_DigestInit,
		kagiGo_DigestInit(hSession, pMechanism));
}

CK_RV KAGI_EXPORT C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	KAGI_ENTER_GO(KAGI_FN_Digest,
		kagiGo_Digest(hSession, pData, ulDataLen, pDigest,
			pulDigestLen));
}

CK_RV KAGI_EXPORT C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
	CK_ULONG ulPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_DigestUpdate,
		kagiGo_DigestUpdate(hSession, pPart, ulPartLen));
}

CK_RV KAGI_EXPORT C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_DigestKey, kagiGo_DigestKey(hSession, hKey));
}

CK_RV KAGI_EXPORT C_DigestFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	KAGI_ENTER_GO(KAGI_FN_DigestFinal,
		kagiGo_DigestFinal(hSession, pDigest, pulDigestLen));
}

CK_RV KAGI_EXPORT C_SignInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_SignInit,
		kagiGo_SignInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_Sign,
		kagiGo_Sign(hSession, pData, ulDataLen, pSignature,
			pulSignatureLen));
}

CK_RV KAGI_EXPORT C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
	CK_ULONG ulPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_SignUpdate,
		kagiGo_SignUpdate(hSession, pPart, ulPartLen));
}

CK_RV KAGI_EXPORT C_SignFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_SignFinal,
		kagiGo_SignFinal(hSession, pSignature, pulSignatureLen));
}

CK_RV KAGI_EXPORT C_SignRecoverInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_SignRecoverInit,
		kagiGo_SignRecoverInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_SignRecover,
		kagiGo_SignRecover(hSession, pData, ulDataLen, pSignature,
			pulSignatureLen));
}

CK_RV KAGI_EXPORT C_VerifyInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_VerifyInit,
		kagiGo_VerifyInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_Verify,
		kagiGo_Verify(hSession, pData, ulDataLen, pSignature,
			ulSignatureLen));
}

CK_RV KAGI_EXPORT C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
	CK_ULONG ulPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_VerifyUpdate,
		kagiGo_VerifyUpdate(hSession, pPart, ulPartLen));
}

CK_RV KAGI_EXPORT C_VerifyFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_VerifyFinal,
		kagiGo_VerifyFinal(hSession, pSignature, ulSignatureLen));
}

CK_RV KAGI_EXPORT C_VerifyRecoverInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_VerifyRecoverInit,
		kagiGo_VerifyRecoverInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_VerifyRecover(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData,
	CK_ULONG_PTR pulDataLen)
{
	KAGI_ENTER_GO(KAGI_FN_VerifyRecover,
		kagiGo_VerifyRecover(hSession, pSignature, ulSignatureLen,
			pData, pulDataLen));
}

CK_RV KAGI_EXPORT C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG_PTR pulEncryptedPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_DigestEncryptUpdate,
		kagiGo_DigestEncryptUpdate(hSession, pPart, ulPartLen,
			pEncryptedPart, pulEncryptedPartLen));
}

CK_RV KAGI_EXPORT C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
	CK_ULONG_PTR pulPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_DecryptDigestUpdate,
		kagiGo_DecryptDigestUpdate(hSession, pEncryptedPart,
			ulEncryptedPartLen, pPart, pulPartLen));
}

CK_RV KAGI_EXPORT C_SignEncryptUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG_PTR pulEncryptedPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_SignEncryptUpdate,
		kagiGo_SignEncryptUpdate(hSession, pPart, ulPartLen,
			pEncryptedPart, pulEncryptedPartLen));
}

CK_RV KAGI_EXPORT C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
	CK_ULONG_PTR pulPartLen)
{
	KAGI_ENTER_GO(KAGI_FN_DecryptVerifyUpdate,
		kagiGo_DecryptVerifyUpdate(hSession, pEncryptedPart,
			ulEncryptedPartLen, pPart, pulPartLen));
}

CK_RV KAGI_EXPORT C_GenerateKey(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
	CK_OBJECT_HANDLE_PTR phKey)
{
	KAGI_ENTER_GO(KAGI_FN_GenerateKey,
		kagiGo_GenerateKey(hSession, pMechanism, pTemplate, ulCount,
			phKey));
}

CK_RV KAGI_EXPORT C_GenerateKeyPair(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPublicKeyTemplate,
	CK_ULONG ulPublicKeyAttributeCount, CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
	CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey,
	CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	KAGI_ENTER_GO(KAGI_FN_GenerateKeyPair,
		kagiGo_GenerateKeyPair(hSession, pMechanism, pPublicKeyTemplate,
			ulPublicKeyAttributeCount, pPrivateKeyTemplate,
			ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey));
}

CK_RV KAGI_EXPORT C_WrapKey(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
	CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen)
{
	KAGI_ENTER_GO(KAGI_FN_WrapKey,
		kagiGo_WrapKey(hSession, pMechanism, hWrappingKey, hKey,
			pWrappedKey, pulWrappedKeyLen));
}

CK_RV KAGI_EXPORT C_UnwrapKey(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey,
	CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
	CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	KAGI_ENTER_GO(KAGI_FN_UnwrapKey,
		kagiGo_UnwrapKey(hSession, pMechanism, hUnwrappingKey,
			pWrappedKey, ulWrappedKeyLen, pTemplate,
			ulAttributeCount, phKey));
}

CK_RV KAGI_EXPORT C_DeriveKey(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount,
	CK_OBJECT_HANDLE_PTR phKey)
{
	KAGI_ENTER_GO(KAGI_FN_DeriveKey,
		kagiGo_DeriveKey(hSession, pMechanism, hBaseKey, pTemplate,
			ulAttributeCount, phKey));
}

CK_RV KAGI_EXPORT C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
	CK_ULONG ulSeedLen)
{
	KAGI_ENTER_GO(KAGI_FN_SeedRandom,
		kagiGo_SeedRandom(hSession, pSeed, ulSeedLen));
}

CK_RV KAGI_EXPORT C_GenerateRandom(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
	KAGI_ENTER_GO(KAGI_FN_GenerateRandom,
		kagiGo_GenerateRandom(hSession, RandomData, ulRandomLen));
}

CK_RV KAGI_EXPORT C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_GetFunctionStatus,
		kagiGo_GetFunctionStatus(hSession));
}

CK_RV KAGI_EXPORT C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_CancelFunction, kagiGo_CancelFunction(hSession));
}

CK_RV KAGI_EXPORT C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
	CK_VOID_PTR pReserved)
{
	KAGI_ENTER_GO(KAGI_FN_WaitForSlotEvent,
		kagiGo_WaitForSlotEvent(flags, pSlot, pReserved));
}

CK_RV KAGI_EXPORT C_LoginUser(CK_SESSION_HANDLE hSession,
	CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
	CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
	KAGI_ENTER_GO(KAGI_FN_LoginUser,
		kagiGo_LoginUser(hSession, userType, pPin, ulPinLen, pUsername,
			ulUsernameLen));
}

CK_RV KAGI_EXPORT C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	KAGI_ENTER_GO(KAGI_FN_SessionCancel,
		kagiGo_SessionCancel(hSession, flags));
}

CK_RV KAGI_EXPORT C_MessageEncryptInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_MessageEncryptInit,
		kagiGo_MessageEncryptInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_EncryptMessage(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
	CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen,
	CK_BYTE_PTR pCiphertext, CK_ULONG_PTR pulCiphertextLen)
{
	KAGI_ENTER_GO(KAGI_FN_EncryptMessage,
		kagiGo_EncryptMessage(hSession, pParameter, ulParameterLen,
			pAssociatedData, ulAssociatedDataLen, pPlaintext,
			ulPlaintextLen, pCiphertext, pulCiphertextLen));
}

CK_RV KAGI_EXPORT C_EncryptMessageBegin(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
	CK_ULONG ulAssociatedDataLen)
{
	KAGI_ENTER_GO(KAGI_FN_EncryptMessageBegin,
		kagiGo_EncryptMessageBegin(hSession, pParameter, ulParameterLen,
			pAssociatedData, ulAssociatedDataLen));
}

CK_RV KAGI_EXPORT C_EncryptMessageNext(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart,
	CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
	CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
	KAGI_ENTER_GO(KAGI_FN_EncryptMessageNext,
		kagiGo_EncryptMessageNext(hSession, pParameter, ulParameterLen,
			pPlaintextPart, ulPlaintextPartLen, pCiphertextPart,
			pulCiphertextPartLen, flags));
}

CK_RV KAGI_EXPORT C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_MessageEncryptFinal,
		kagiGo_MessageEncryptFinal(hSession));
}

CK_RV KAGI_EXPORT C_MessageDecryptInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_MessageDecryptInit,
		kagiGo_MessageDecryptInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_DecryptMessage(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
	CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext,
	CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext, CK_ULONG_PTR pulPlaintextLen)
{
	KAGI_ENTER_GO(KAGI_FN_DecryptMessage,
		kagiGo_DecryptMessage(hSession, pParameter, ulParameterLen,
			pAssociatedData, ulAssociatedDataLen, pCiphertext,
			ulCiphertextLen, pPlaintext, pulPlaintextLen));
}

CK_RV KAGI_EXPORT C_DecryptMessageBegin(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
	CK_ULONG ulAssociatedDataLen)
{
	KAGI_ENTER_GO(KAGI_FN_DecryptMessageBegin,
		kagiGo_DecryptMessageBegin(hSession, pParameter, ulParameterLen,
			pAssociatedData, ulAssociatedDataLen));
}

CK_RV KAGI_EXPORT C_DecryptMessageNext(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart,
	CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
	CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
	KAGI_ENTER_GO(KAGI_FN_DecryptMessageNext,
		kagiGo_DecryptMessageNext(hSession, pParameter, ulParameterLen,
			pCiphertextPart, ulCiphertextPartLen, pPlaintextPart,
			pulPlaintextPartLen, flags));
}

CK_RV KAGI_EXPORT C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_MessageDecryptFinal,
		kagiGo_MessageDecryptFinal(hSession));
}

CK_RV KAGI_EXPORT C_MessageSignInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_MessageSignInit,
		kagiGo_MessageSignInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_SignMessage(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_SignMessage,
		kagiGo_SignMessage(hSession, pParameter, ulParameterLen, pData,
			ulDataLen, pSignature, pulSignatureLen));
}

CK_RV KAGI_EXPORT C_SignMessageBegin(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)
{
	KAGI_ENTER_GO(KAGI_FN_SignMessageBegin,
		kagiGo_SignMessageBegin(hSession, pParameter, ulParameterLen));
}

CK_RV KAGI_EXPORT C_SignMessageNext(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_SignMessageNext,
		kagiGo_SignMessageNext(hSession, pParameter, ulParameterLen,
			pData, ulDataLen, pSignature, pulSignatureLen));
}

CK_RV KAGI_EXPORT C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_MessageSignFinal,
		kagiGo_MessageSignFinal(hSession));
}

CK_RV KAGI_EXPORT C_MessageVerifyInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTER_GO(KAGI_FN_MessageVerifyInit,
		kagiGo_MessageVerifyInit(hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_VerifyMessage(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_VerifyMessage,
		kagiGo_VerifyMessage(hSession, pParameter, ulParameterLen,
			pData, ulDataLen, pSignature, ulSignatureLen));
}

CK_RV KAGI_EXPORT C_VerifyMessageBegin(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)
{
	KAGI_ENTER_GO(KAGI_FN_VerifyMessageBegin,
		kagiGo_VerifyMessageBegin(hSession, pParameter,
			ulParameterLen));
}

CK_RV KAGI_EXPORT C_VerifyMessageNext(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KAGI_ENTER_GO(KAGI_FN_VerifyMessageNext,
		kagiGo_VerifyMessageNext(hSession, pParameter, ulParameterLen,
			pData, ulDataLen, pSignature, ulSignatureLen));
}

CK_RV KAGI_EXPORT C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTER_GO(KAGI_FN_MessageVerifyFinal,
		kagiGo_MessageVerifyFinal(hSession));
}

/* ------------------------------------------------------------------------
 * Function lists and interfaces (pure C; PKCS#11 3.0 sections 5.4, 5.2).
 * ------------------------------------------------------------------------ */

static CK_FUNCTION_LIST kagi_functions = {
	.version = {2, 40},
	.C_Initialize = C_Initialize,
	.C_Finalize = C_Finalize,
	.C_GetInfo = C_GetInfo,
	.C_GetFunctionList = C_GetFunctionList,
	.C_GetSlotList = C_GetSlotList,
	.C_GetSlotInfo = C_GetSlotInfo,
	.C_GetTokenInfo = C_GetTokenInfo,
	.C_GetMechanismList = C_GetMechanismList,
	.C_GetMechanismInfo = C_GetMechanismInfo,
	.C_InitToken = C_InitToken,
	.C_InitPIN = C_InitPIN,
	.C_SetPIN = C_SetPIN,
	.C_OpenSession = C_OpenSession,
	.C_CloseSession = C_CloseSession,
	.C_CloseAllSessions = C_CloseAllSessions,
	.C_GetSessionInfo = C_GetSessionInfo,
	.C_GetOperationState = C_GetOperationState,
	.C_SetOperationState = C_SetOperationState,
	.C_Login = C_Login,
	.C_Logout = C_Logout,
	.C_CreateObject = C_CreateObject,
	.C_CopyObject = C_CopyObject,
	.C_DestroyObject = C_DestroyObject,
	.C_GetObjectSize = C_GetObjectSize,
	.C_GetAttributeValue = C_GetAttributeValue,
	.C_SetAttributeValue = C_SetAttributeValue,
	.C_FindObjectsInit = C_FindObjectsInit,
	.C_FindObjects = C_FindObjects,
	.C_FindObjectsFinal = C_FindObjectsFinal,
	.C_EncryptInit = C_EncryptInit,
	.C_Encrypt = C_Encrypt,
	.C_EncryptUpdate = C_EncryptUpdate,
	.C_EncryptFinal = C_EncryptFinal,
	.C_DecryptInit = C_DecryptInit,
	.C_Decrypt = C_Decrypt,
	.C_DecryptUpdate = C_DecryptUpdate,
	.C_DecryptFinal = C_DecryptFinal,
	.C_DigestInit = C_DigestInit,
	.C_Digest = C_Digest,
	.C_DigestUpdate = C_DigestUpdate,
	.C_DigestKey = C_DigestKey,
	.C_DigestFinal = C_DigestFinal,
	.C_SignInit = C_SignInit,
	.C_Sign = C_Sign,
	.C_SignUpdate = C_SignUpdate,
	.C_SignFinal = C_SignFinal,
	.C_SignRecoverInit = C_SignRecoverInit,
	.C_SignRecover = C_SignRecover,
	.C_VerifyInit = C_VerifyInit,
	.C_Verify = C_Verify,
	.C_VerifyUpdate = C_VerifyUpdate,
	.C_VerifyFinal = C_VerifyFinal,
	.C_VerifyRecoverInit = C_VerifyRecoverInit,
	.C_VerifyRecover = C_VerifyRecover,
	.C_DigestEncryptUpdate = C_DigestEncryptUpdate,
	.C_DecryptDigestUpdate = C_DecryptDigestUpdate,
	.C_SignEncryptUpdate = C_SignEncryptUpdate,
	.C_DecryptVerifyUpdate = C_DecryptVerifyUpdate,
	.C_GenerateKey = C_GenerateKey,
	.C_GenerateKeyPair = C_GenerateKeyPair,
	.C_WrapKey = C_WrapKey,
	.C_UnwrapKey = C_UnwrapKey,
	.C_DeriveKey = C_DeriveKey,
	.C_SeedRandom = C_SeedRandom,
	.C_GenerateRandom = C_GenerateRandom,
	.C_GetFunctionStatus = C_GetFunctionStatus,
	.C_CancelFunction = C_CancelFunction,
	.C_WaitForSlotEvent = C_WaitForSlotEvent,
};

static CK_FUNCTION_LIST_3_0 kagi_functions_3_0 = {
	.version = {3, 0},
	.C_Initialize = C_Initialize,
	.C_Finalize = C_Finalize,
	.C_GetInfo = C_GetInfo,
	.C_GetFunctionList = C_GetFunctionList,
	.C_GetSlotList = C_GetSlotList,
	.C_GetSlotInfo = C_GetSlotInfo,
	.C_GetTokenInfo = C_GetTokenInfo,
	.C_GetMechanismList = C_GetMechanismList,
	.C_GetMechanismInfo = C_GetMechanismInfo,
	.C_InitToken = C_InitToken,
	.C_InitPIN = C_InitPIN,
	.C_SetPIN = C_SetPIN,
	.C_OpenSession = C_OpenSession,
	.C_CloseSession = C_CloseSession,
	.C_CloseAllSessions = C_CloseAllSessions,
	.C_GetSessionInfo = C_GetSessionInfo,
	.C_GetOperationState = C_GetOperationState,
	.C_SetOperationState = C_SetOperationState,
	.C_Login = C_Login,
	.C_Logout = C_Logout,
	.C_CreateObject = C_CreateObject,
	.C_CopyObject = C_CopyObject,
	.C_DestroyObject = C_DestroyObject,
	.C_GetObjectSize = C_GetObjectSize,
	.C_GetAttributeValue = C_GetAttributeValue,
	.C_SetAttributeValue = C_SetAttributeValue,
	.C_FindObjectsInit = C_FindObjectsInit,
	.C_FindObjects = C_FindObjects,
	.C_FindObjectsFinal = C_FindObjectsFinal,
	.C_EncryptInit = C_EncryptInit,
	.C_Encrypt = C_Encrypt,
	.C_EncryptUpdate = C_EncryptUpdate,
	.C_EncryptFinal = C_EncryptFinal,
	.C_DecryptInit = C_DecryptInit,
	.C_Decrypt = C_Decrypt,
	.C_DecryptUpdate = C_DecryptUpdate,
	.C_DecryptFinal = C_DecryptFinal,
	.C_DigestInit = C_DigestInit,
	.C_Digest = C_Digest,
	.C_DigestUpdate = C_DigestUpdate,
	.C_DigestKey = C_DigestKey,
	.C_DigestFinal = C_DigestFinal,
	.C_SignInit = C_SignInit,
	.C_Sign = C_Sign,
	.C_SignUpdate = C_SignUpdate,
	.C_SignFinal = C_SignFinal,
	.C_SignRecoverInit = C_SignRecoverInit,
	.C_SignRecover = C_SignRecover,
	.C_VerifyInit = C_VerifyInit,
	.C_Verify = C_Verify,
	.C_VerifyUpdate = C_VerifyUpdate,
	.C_VerifyFinal = C_VerifyFinal,
	.C_VerifyRecoverInit = C_VerifyRecoverInit,
	.C_VerifyRecover = C_VerifyRecover,
	.C_DigestEncryptUpdate = C_DigestEncryptUpdate,
	.C_DecryptDigestUpdate = C_DecryptDigestUpdate,
	.C_SignEncryptUpdate = C_SignEncryptUpdate,
	.C_DecryptVerifyUpdate = C_DecryptVerifyUpdate,
	.C_GenerateKey = C_GenerateKey,
	.C_GenerateKeyPair = C_GenerateKeyPair,
	.C_WrapKey = C_WrapKey,
	.C_UnwrapKey = C_UnwrapKey,
	.C_DeriveKey = C_DeriveKey,
	.C_SeedRandom = C_SeedRandom,
	.C_GenerateRandom = C_GenerateRandom,
	.C_GetFunctionStatus = C_GetFunctionStatus,
	.C_CancelFunction = C_CancelFunction,
	.C_WaitForSlotEvent = C_WaitForSlotEvent,
	/* the 3.0 additions */
	.C_GetInterfaceList = C_GetInterfaceList,
	.C_GetInterface = C_GetInterface,
	.C_LoginUser = C_LoginUser,
	.C_SessionCancel = C_SessionCancel,
	.C_MessageEncryptInit = C_MessageEncryptInit,
	.C_EncryptMessage = C_EncryptMessage,
	.C_EncryptMessageBegin = C_EncryptMessageBegin,
	.C_EncryptMessageNext = C_EncryptMessageNext,
	.C_MessageEncryptFinal = C_MessageEncryptFinal,
	.C_MessageDecryptInit = C_MessageDecryptInit,
	.C_DecryptMessage = C_DecryptMessage,
	.C_DecryptMessageBegin = C_DecryptMessageBegin,
	.C_DecryptMessageNext = C_DecryptMessageNext,
	.C_MessageDecryptFinal = C_MessageDecryptFinal,
	.C_MessageSignInit = C_MessageSignInit,
	.C_SignMessage = C_SignMessage,
	.C_SignMessageBegin = C_SignMessageBegin,
	.C_SignMessageNext = C_SignMessageNext,
	.C_MessageSignFinal = C_MessageSignFinal,
	.C_MessageVerifyInit = C_MessageVerifyInit,
	.C_VerifyMessage = C_VerifyMessage,
	.C_VerifyMessageBegin = C_VerifyMessageBegin,
	.C_VerifyMessageNext = C_VerifyMessageNext,
	.C_MessageVerifyFinal = C_MessageVerifyFinal,
};

static CK_CHAR kagi_interface_name[] = "PKCS 11";

/* The interfaces on offer, the default first. Neither is flagged
 * CKF_INTERFACE_FORK_SAFE: a fork child cannot use the library yet. */
static CK_INTERFACE kagi_interfaces[] = {
	{kagi_interface_name, &kagi_functions_3_0, 0},
	{kagi_interface_name, &kagi_functions, 0},
};

#define KAGI_NUM_INTERFACES (sizeof kagi_interfaces / sizeof kagi_interfaces[0])

CK_RV KAGI_EXPORT C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList)
{
	if (ppFunctionList == NULL)
		return CKR_ARGUMENTS_BAD;
	*ppFunctionList = &kagi_functions;
	return CKR_OK;
}

/* C_GetInterfaceList follows the length convention of section 5.2: a NULL
 * list asks for the count; a short one gets CKR_BUFFER_TOO_SMALL and the
 * count. */
CK_RV KAGI_EXPORT C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
	CK_ULONG_PTR pulCount)
{
	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	if (pInterfacesList == NULL) {
		*pulCount = KAGI_NUM_INTERFACES;
		return CKR_OK;
	}
	if (*pulCount < KAGI_NUM_INTERFACES) {
		*pulCount = KAGI_NUM_INTERFACES;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(pInterfacesList, kagi_interfaces, sizeof kagi_interfaces);
	*pulCount = KAGI_NUM_INTERFACES;
	return CKR_OK;
}

/* C_GetInterface returns the first interface that has the name (any, when
 * NULL: the default, 3.0), the version (any, when NULL) and every requested
 * flag; there is none → CKR_ARGUMENTS_BAD, as SoftHSMv2. */
CK_RV KAGI_EXPORT C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName,
	CK_VERSION_PTR pVersion, CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags)
{
	size_t i;

	if (ppInterface == NULL)
		return CKR_ARGUMENTS_BAD;
	for (i = 0; i < KAGI_NUM_INTERFACES; i++) {
		CK_INTERFACE *it = &kagi_interfaces[i];
		CK_VERSION *v = it->pFunctionList; /* each list starts with it */

		if (pInterfaceName != NULL &&
		    strcmp((const char *)pInterfaceName, (const char *)it->pInterfaceName) != 0)
			continue;
		if (pVersion != NULL &&
		    (pVersion->major != v->major || pVersion->minor != v->minor))
			continue;
		if ((it->flags & flags) != flags)
			continue;
		*ppInterface = it;
		return CKR_OK;
	}
	return CKR_ARGUMENTS_BAD;
}

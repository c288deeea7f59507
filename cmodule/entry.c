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
 *    fork child of the process that loaded kagi, and if so forwards the call
 *    from C to a helper process of the child's own (`p11-kit remote` loading
 *    this library afresh, see "A fork child is served by a helper process"
 *    below); without p11-kit it fails cleanly with a message that says what
 *    to install.
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

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* dladdr, dup3 */
#endif
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../pkcs11.h"
#include "_cgo_export.h"

#define KAGI_EXPORT __attribute__((visibility("default")))

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18 /* Linux 4.14 */
#endif

/* One id per entry point, in function-list order (kagi_left_go is keyed by
 * it). */
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

/* The absolute path of this libkagi.so, found when it was loaded: a fork
 * child's helper process loads the same file, and the child may have changed
 * directory since. Empty if it could not be found. */
static char kagi_module_path[PATH_MAX];

/* The host's SIGURG disposition before kagi's Go runtime started, and
 * whether it has to be put back (it was a real handler, not SIG_DFL/SIG_IGN). */
static struct sigaction kagi_host_sigurg;
static int kagi_host_sigurg_set;
static int kagi_sigurg_done;

/* ------------------------------------------------------------------------
 * A fork child is served by a helper process.
 *
 * The Go runtime cannot run in a fork child, but a fresh process can: on the
 * child's first call that needs the token, kagi has p11-kit's RPC client
 * (p11-kit-client.so, Debian package p11-kit-modules) start
 * `p11-kit remote <this libkagi.so>` (Debian package p11-kit) as the child's
 * own child, connected to it by a socketpair, and forwards every call of the
 * child to the client's function list. P11_KIT_SERVER_ADDRESS="|command" is
 * the client's documented way to name a command whose stdin/stdout is the
 * transport; it is set only around the client's C_GetFunctionList, which is
 * where the client reads it. The helper is exec'd, so its Go runtime is new;
 * it inherits the child's environment, hence the same KAGI_DB/KAGI_CONF, and
 * serves the same database. It is private to the child (no socket file) and
 * exits when the connection closes: at the child's C_Finalize, or when the
 * child exits, however it exits.
 *
 * The child starts fresh, as PKCS#11 has it for a forked child: the
 * parent's sessions, handles and login state are not the child's; its
 * handles are the helper's. A fork of the child (a grandchild) is a fork
 * child too and starts a helper of its own.
 *
 * All of it is C: no Go runs in a fork child.
 * ------------------------------------------------------------------------ */

/* The most sockets the client may open in one C_Initialize (it opens one). */
#define KAGI_MAX_CLIENT_FDS 4

struct kagi_child {
	/* The process this state belongs to: a different pid means the
	 * process forked since, and the helper is not its own. */
	pid_t owner;
	/* The library is initialised as this process sees it: inherited from
	 * the parent (so C_Initialize answers ALREADY_INITIALIZED, as libp11
	 * expects after fork), or by a C_Initialize here. */
	int live;
	/* Starting the helper failed in this process (said on stderr); calls
	 * fail with CKR_GENERAL_ERROR until C_Finalize/C_Initialize. */
	int failed;
	/* p11-kit-client.so's function list, made in this process. */
	CK_FUNCTION_LIST *client;
	/* client->C_Initialize succeeded (the helper runs) and client's
	 * C_Finalize has not run since. */
	int client_up;
	/* The client's entry points as a 3.0 list: the 3.0 ones are NULL
	 * (CKR_FUNCTION_NOT_SUPPORTED) unless the client offers a 3.0 list. */
	CK_FUNCTION_LIST_3_0 table;
	/* The client's connection to the helper, so that a fork of this
	 * process does not keep the helper alive after this one exits. */
	int fds[KAGI_MAX_CLIENT_FDS];
	int nfds;
};

/* One per process; kagi_child_lock guards it. */
static struct kagi_child kagi_child;
static pthread_mutex_t kagi_child_lock = PTHREAD_MUTEX_INITIALIZER;

/* The pid that already wrote a message, so it is written once per process. */
static pid_t kagi_warned_pid;

static void kagi_atfork_child(void)
{
	int i, null;

	__atomic_store_n(&kagi_in_child, 1, __ATOMIC_RELAXED);
	/* Another thread of the parent may have held the lock at the fork. */
	pthread_mutex_init(&kagi_child_lock, NULL);
	/* The parent's connection to its helper is not this process's: put
	 * /dev/null in its place, so that the helper sees the end of its
	 * connection when the parent exits, and the client's stale copy of
	 * the descriptor number stays harmless. Only async-signal-safe calls
	 * here. */
	if (kagi_child.nfds == 0)
		return;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (i = 0; i < kagi_child.nfds; i++) {
		if (null >= 0)
			dup3(null, kagi_child.fds[i], O_CLOEXEC);
		else
			close(kagi_child.fds[i]);
	}
	if (null >= 0)
		close(null);
	kagi_child.nfds = 0;
}

/* The host's asynchronous signals: what a program sends itself or gets from
 * the kernel for the process as a whole (a child's exit, the terminal, a
 * timer, kill), as opposed to the synchronous faults and SIGURG, which the
 * Go runtime needs on its own threads. */
static const int kagi_host_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM,
	SIGVTALRM, SIGWINCH, SIGIO, SIGTSTP, SIGTTIN, SIGTTOU, SIGXCPU, SIGXFSZ,
	SIGPWR,
};

int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*start)(void *), void *arg);

/* Every thread of this library starts here: cgo.go links with
 * -Wl,--wrap=pthread_create, so runtime/cgo's calls come to this function.
 * A thread inherits its creator's signal mask, and the Go runtime gives all
 * its later threads the mask its first thread started with, so blocking the
 * host's asynchronous signals around each creation keeps them off every Go
 * thread. They are the host's: a pre-forking server (nginx's master) blocks
 * SIGCHLD and SIGQUIT while it works and takes them in sigsuspend(); had a
 * Go thread taken one, the host's handler would have run there and the
 * master would have slept on. The Go runtime unblocks SIGCHLD and SIGPROF
 * again on each of its threads (minit), so those two can still land on a Go
 * thread; README's Fork section says what that means for nginx. */
int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*start)(void *), void *arg)
{
	sigset_t host, old;
	size_t i;
	int rc;

	sigemptyset(&host);
	for (i = 0; i < sizeof kagi_host_signals / sizeof kagi_host_signals[0]; i++)
		sigaddset(&host, kagi_host_signals[i]);
	pthread_sigmask(SIG_BLOCK, &host, &old);
	rc = __real_pthread_create(thread, attr, start, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

/* Priority 101 runs this before the constructors without a priority, among
 * them the Go runtime's initialisation of this library (its .init_array
 * entry), so the SIGURG handler seen here is still the host's. */
__attribute__((constructor(101))) static void kagi_early_init(void)
{
	long pagesize = sysconf(_SC_PAGESIZE);
	void *page;
	Dl_info info;

	kagi_load_pid = getpid();

	if (dladdr((void *)kagi_early_init, &info) != 0 && info.dli_fname != NULL &&
	    realpath(info.dli_fname, kagi_module_path) == NULL)
		kagi_module_path[0] = 0;

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

/* kagi_say writes one line on stderr, once per process (the first message
 * wins). write(2), not stdio: another thread of the parent may have held the
 * stdio lock at the time of the fork. */
static void kagi_say(const char *fmt, ...)
{
	char line[3 * PATH_MAX + 512];
	pid_t me = getpid();
	va_list ap;
	int n;

	if (__atomic_exchange_n(&kagi_warned_pid, me, __ATOMIC_RELAXED) == me)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

#define KAGI_FORK_PREFIX \
	"kagi: this process forked after loading libkagi.so; the Go runtime " \
	"inside kagi cannot run in a forked child, so kagi serves it through " \
	"a helper process started with p11-kit, "
#define KAGI_FORK_SUFFIX \
	"; PKCS#11 calls in this process fail with CKR_GENERAL_ERROR"

/* kagi_find_p11kit puts the path of the p11-kit command in out: $KAGI_P11KIT
 * if set (the tests point it at a missing file), else the first p11-kit on
 * $PATH, else /usr/bin/p11-kit. It reports whether that file is executable. */
static int kagi_find_p11kit(char *out, size_t n)
{
	const char *env = getenv("KAGI_P11KIT"), *path = getenv("PATH"), *p;

	if (env != NULL && env[0] != 0) {
		snprintf(out, n, "%s", env);
		return access(out, X_OK) == 0;
	}
	for (p = path; p != NULL && *p != 0;) {
		const char *end = strchr(p, ':');
		size_t len = end != NULL ? (size_t)(end - p) : strlen(p);

		if (len > 0 && p[0] == '/' &&
		    (size_t)snprintf(out, n, "%.*s/p11-kit", (int)len, p) < n &&
		    access(out, X_OK) == 0)
			return 1;
		p = end != NULL ? end + 1 : NULL;
	}
	snprintf(out, n, "/usr/bin/p11-kit");
	return access(out, X_OK) == 0;
}

/* kagi_find_client puts the path of p11-kit-client.so in out:
 * $KAGI_P11KIT_CLIENT if set, else the first that exists of the places
 * distributions install it (Debian's multiarch directory first). */
static int kagi_find_client(char *out, size_t n)
{
	static const char *const places[] = {
#if defined(__x86_64__)
		"/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so",
#elif defined(__aarch64__)
		"/usr/lib/aarch64-linux-gnu/pkcs11/p11-kit-client.so",
#elif defined(__i386__)
		"/usr/lib/i386-linux-gnu/pkcs11/p11-kit-client.so",
#endif
		"/usr/lib64/pkcs11/p11-kit-client.so",
		"/usr/lib/pkcs11/p11-kit-client.so",
	};
	const char *env = getenv("KAGI_P11KIT_CLIENT");
	size_t i;

	if (env != NULL && env[0] != 0) {
		snprintf(out, n, "%s", env);
		return access(out, R_OK) == 0;
	}
	for (i = 0; i < sizeof places / sizeof places[0]; i++) {
		snprintf(out, n, "%s", places[i]);
		if (access(out, R_OK) == 0)
			return 1;
	}
	snprintf(out, n, "%s", places[0]);
	return 0;
}

/* kagi_client_load loads p11-kit-client.so into this process and makes its
 * function list, aimed at `p11-kit remote <libkagi.so>`. Lock held. */
static CK_RV kagi_client_load(struct kagi_child *c)
{
	char p11kit[PATH_MAX], client[PATH_MAX];
	char address[2 * PATH_MAX + 32];
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST *fl = NULL;
	const char *old;
	char *saved = NULL;
	int have_p11kit, have_client;
	void *h;
	CK_RV rv;

	have_p11kit = kagi_find_p11kit(p11kit, sizeof p11kit);
	have_client = kagi_find_client(client, sizeof client);
	if (!have_p11kit || !have_client) {
		kagi_say(KAGI_FORK_PREFIX "but %s%s%s %s missing: install the "
			 "Debian packages p11-kit and p11-kit-modules (or call "
			 "exec() in the child, or load the module only after "
			 "fork())" KAGI_FORK_SUFFIX,
			 have_p11kit ? "" : p11kit,
			 !have_p11kit && !have_client ? " and " : "",
			 have_client ? "" : client,
			 !have_p11kit && !have_client ? "are" : "is");
		return CKR_GENERAL_ERROR;
	}
	if (kagi_module_path[0] == 0) {
		kagi_say(KAGI_FORK_PREFIX "but the path of libkagi.so is "
			 "unknown" KAGI_FORK_SUFFIX);
		return CKR_GENERAL_ERROR;
	}
	/* The client splits the command like a shell; single quotes keep a
	 * path with spaces whole, and a path with a quote or backslash is
	 * refused rather than mangled. */
	if (strpbrk(p11kit, "'\\") != NULL ||
	    strpbrk(kagi_module_path, "'\\") != NULL) {
		kagi_say(KAGI_FORK_PREFIX "but the path %s has a quote or "
			 "backslash, which p11-kit's command line cannot "
			 "carry" KAGI_FORK_SUFFIX,
			 strpbrk(p11kit, "'\\") ? p11kit : kagi_module_path);
		return CKR_GENERAL_ERROR;
	}
	snprintf(address, sizeof address, "|'%s' remote '%s'", p11kit,
		 kagi_module_path);

	h = dlopen(client, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		kagi_say(KAGI_FORK_PREFIX "but loading %s failed: %s"
			 KAGI_FORK_SUFFIX, client, dlerror());
		return CKR_GENERAL_ERROR;
	}
	*(void **)&get = dlsym(h, "C_GetFunctionList");
	if (get == NULL) {
		kagi_say(KAGI_FORK_PREFIX "but %s has no C_GetFunctionList"
			 KAGI_FORK_SUFFIX, client);
		return CKR_GENERAL_ERROR;
	}
	old = getenv("P11_KIT_SERVER_ADDRESS");
	if (old != NULL)
		saved = strdup(old);
	setenv("P11_KIT_SERVER_ADDRESS", address, 1);
	rv = get(&fl);
	if (saved != NULL) {
		setenv("P11_KIT_SERVER_ADDRESS", saved, 1);
		free(saved);
	} else {
		unsetenv("P11_KIT_SERVER_ADDRESS");
	}
	if (rv != CKR_OK || fl == NULL) {
		kagi_say(KAGI_FORK_PREFIX "but C_GetFunctionList of %s returned "
			 "0x%lx" KAGI_FORK_SUFFIX, client, (unsigned long)rv);
		return CKR_GENERAL_ERROR;
	}
	c->client = fl;
	memset(&c->table, 0, sizeof c->table);
	memcpy(&c->table, fl, fl->version.major >= 3 ?
	       sizeof(CK_FUNCTION_LIST_3_0) : sizeof(CK_FUNCTION_LIST));
	return CKR_OK;
}

/* kagi_sockets marks in set (bits for descriptors below 1024) the sockets
 * open in this process. */
#define KAGI_FD_WORDS (1024 / (8 * sizeof(unsigned long)))
#define KAGI_FD_BIT (8 * sizeof(unsigned long))

static void kagi_sockets(unsigned long *set)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	memset(set, 0, KAGI_FD_WORDS * sizeof *set);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		struct stat st;
		int fd = atoi(e->d_name);

		if (e->d_name[0] < '0' || e->d_name[0] > '9' || fd >= 1024 ||
		    fd == dirfd(d) || fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode))
			continue;
		set[fd / KAGI_FD_BIT] |= 1UL << (fd % KAGI_FD_BIT);
	}
	closedir(d);
}

/* kagi_client_up starts the helper: the client's C_Initialize connects to a
 * fresh `p11-kit remote`. args are the application's C_Initialize arguments,
 * or NULL for OS locking. It returns the client's answer; a failure other
 * than a refusal of the arguments is said on stderr and becomes
 * CKR_GENERAL_ERROR. Lock held. */
static CK_RV kagi_client_up(struct kagi_child *c, CK_VOID_PTR args)
{
	CK_C_INITIALIZE_ARGS os_locking;
	unsigned long before[KAGI_FD_WORDS], after[KAGI_FD_WORDS];
	size_t w;
	CK_RV rv;

	if (c->client == NULL && (rv = kagi_client_load(c)) != CKR_OK)
		return rv;
	memset(&os_locking, 0, sizeof os_locking);
	os_locking.flags = CKF_OS_LOCKING_OK;
	kagi_sockets(before);
	rv = c->client->C_Initialize(args != NULL ? args : &os_locking);
	if (rv == CKR_ARGUMENTS_BAD || rv == CKR_CANT_LOCK)
		return rv;
	if (rv != CKR_OK) {
		kagi_say(KAGI_FORK_PREFIX "but it did not start: C_Initialize "
			 "through p11-kit-client.so returned 0x%lx (see p11-kit's "
			 "messages above)" KAGI_FORK_SUFFIX, (unsigned long)rv);
		return CKR_GENERAL_ERROR;
	}
	c->client_up = 1;
	/* The new socket is the connection to the helper: keep it out of
	 * programs this process execs, and remember it for kagi_atfork_child. */
	kagi_sockets(after);
	c->nfds = 0;
	for (w = 0; w < KAGI_FD_WORDS; w++) {
		unsigned long fresh = after[w] & ~before[w];

		while (fresh != 0 && c->nfds < KAGI_MAX_CLIENT_FDS) {
			int bit = __builtin_ctzl(fresh);
			int fd = (int)(w * KAGI_FD_BIT) + bit;

			fresh &= fresh - 1;
			fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
			c->fds[c->nfds++] = fd;
		}
	}
	return CKR_OK;
}

/* kagi_child_here returns this process's child state, starting it afresh
 * in a process that forked since it was last used. Lock held. */
static struct kagi_child *kagi_child_here(void)
{
	pid_t me = getpid();

	if (kagi_child.owner != me) {
		/* The first fork child sees the library as the parent left
		 * it; a fork of a child inherits that child's view. Neither
		 * inherits a helper. */
		if (kagi_child.owner == 0)
			kagi_child.live = __atomic_load_n(&kagi_initialized,
							  __ATOMIC_ACQUIRE);
		kagi_child.owner = me;
		kagi_child.failed = 0;
		kagi_child.client = NULL;
		kagi_child.client_up = 0;
		kagi_child.nfds = 0;
	}
	return &kagi_child;
}

/* kagi_child_enter readies the forwarding of a call in a fork child: the
 * library must be initialised (as the child sees it), and the helper is
 * started on the first call that needs it. On CKR_OK *table is the list to
 * forward to. */
static CK_RV kagi_child_enter(CK_FUNCTION_LIST_3_0 **table)
{
	struct kagi_child *c;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&kagi_child_lock);
	c = kagi_child_here();
	if (!c->live)
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	else if (c->failed)
		rv = CKR_GENERAL_ERROR;
	else if (!c->client_up && kagi_client_up(c, NULL) != CKR_OK) {
		c->failed = 1;
		rv = CKR_GENERAL_ERROR;
	}
	*table = &c->table;
	pthread_mutex_unlock(&kagi_child_lock);
	return rv;
}

/* kagi_child_initialize is C_Initialize in a fork child. While the library
 * is up as the child sees it, CKR_CRYPTOKI_ALREADY_INITIALIZED (libp11 takes
 * that and goes on; the helper starts at the next call). After the child's
 * C_Finalize, or in the child of a parent that never initialised, it starts
 * the helper now with the application's arguments. */
static CK_RV kagi_child_initialize(CK_VOID_PTR args)
{
	struct kagi_child *c;
	CK_RV rv;

	pthread_mutex_lock(&kagi_child_lock);
	c = kagi_child_here();
	if (c->live) {
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
	} else {
		c->failed = 0;
		rv = kagi_client_up(c, args);
		if (rv == CKR_OK)
			c->live = 1;
	}
	pthread_mutex_unlock(&kagi_child_lock);
	return rv;
}

/* kagi_child_finalize is C_Finalize in a fork child: it ends the child's use
 * of the library and, if the helper runs, stops it (the client closes the
 * connection and waits for the helper to exit). */
static CK_RV kagi_child_finalize(CK_VOID_PTR reserved)
{
	struct kagi_child *c;
	CK_RV rv = CKR_OK;

	pthread_mutex_lock(&kagi_child_lock);
	c = kagi_child_here();
	if (reserved != NULL) {
		rv = CKR_ARGUMENTS_BAD;
	} else if (!c->live) {
		rv = CKR_CRYPTOKI_NOT_INITIALIZED;
	} else {
		if (c->client_up)
			c->client->C_Finalize(NULL);
		c->client_up = 0;
		c->nfds = 0;
		c->live = 0;
		c->failed = 0;
	}
	pthread_mutex_unlock(&kagi_child_lock);
	return rv;
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

/* KAGI_ENTRY is the body of every entry point that Go implements: in the
 * process that loaded kagi it calls kagiGo_<name>; in a fork child it
 * forwards the call to the helper through p11-kit-client.so's C_<name>. */
#define KAGI_ENTRY(name, args)                                          \
	do {                                                            \
		if (kagi_forked()) {                                    \
			CK_FUNCTION_LIST_3_0 *fwd_;                     \
			CK_RV rv_ = kagi_child_enter(&fwd_);            \
			if (rv_ != CKR_OK)                              \
				return rv_;                             \
			if (fwd_->C_##name == NULL)                     \
				return CKR_FUNCTION_NOT_SUPPORTED;      \
			return fwd_->C_##name args;                     \
		}                                                       \
		return kagi_left_go(KAGI_FN_##name, kagiGo_##name args); \
	} while (0)

/* ------------------------------------------------------------------------
 * Entry points implemented in Go (kagiGo_* in the .go files).
 * ------------------------------------------------------------------------ */

CK_RV KAGI_EXPORT C_Initialize(CK_VOID_PTR pInitArgs)
{
	if (kagi_forked())
		return kagi_child_initialize(pInitArgs);
	return kagi_left_go(KAGI_FN_Initialize, kagiGo_Initialize(pInitArgs));
}

CK_RV KAGI_EXPORT C_Finalize(CK_VOID_PTR pReserved)
{
	if (kagi_forked())
		return kagi_child_finalize(pReserved);
	return kagi_left_go(KAGI_FN_Finalize, kagiGo_Finalize(pReserved));
}

CK_RV KAGI_EXPORT C_GetInfo(CK_INFO_PTR pInfo)
{
	KAGI_ENTRY(GetInfo, (pInfo));
}

CK_RV KAGI_EXPORT C_GetSlotList(CK_BBOOL tokenPresent,
	CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
	KAGI_ENTRY(GetSlotList, (tokenPresent, pSlotList, pulCount));
}

CK_RV KAGI_EXPORT C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo)
{
	KAGI_ENTRY(GetSlotInfo, (slotID, pInfo));
}

CK_RV KAGI_EXPORT C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo)
{
	KAGI_ENTRY(GetTokenInfo, (slotID, pInfo));
}

CK_RV KAGI_EXPORT C_GetMechanismList(CK_SLOT_ID slotID,
	CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount)
{
	KAGI_ENTRY(GetMechanismList, (slotID, pMechanismList, pulCount));
}

CK_RV KAGI_EXPORT C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type,
	CK_MECHANISM_INFO_PTR pInfo)
{
	KAGI_ENTRY(GetMechanismInfo, (slotID, type, pInfo));
}

CK_RV KAGI_EXPORT C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin,
	CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
{
	KAGI_ENTRY(InitToken, (slotID, pPin, ulPinLen, pLabel));
}

CK_RV KAGI_EXPORT C_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin,
	CK_ULONG ulPinLen)
{
	KAGI_ENTRY(InitPIN, (hSession, pPin, ulPinLen));
}

CK_RV KAGI_EXPORT C_SetPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin,
	CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen)
{
	KAGI_ENTRY(SetPIN, (hSession, pOldPin, ulOldLen, pNewPin, ulNewLen));
}

CK_RV KAGI_EXPORT C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags,
	CK_VOID_PTR pApplication, CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession)
{
	KAGI_ENTRY(OpenSession, (slotID, flags, pApplication, Notify,
			phSession));
}

CK_RV KAGI_EXPORT C_CloseSession(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(CloseSession, (hSession));
}

CK_RV KAGI_EXPORT C_CloseAllSessions(CK_SLOT_ID slotID)
{
	KAGI_ENTRY(CloseAllSessions, (slotID));
}

CK_RV KAGI_EXPORT C_GetSessionInfo(CK_SESSION_HANDLE hSession,
	CK_SESSION_INFO_PTR pInfo)
{
	KAGI_ENTRY(GetSessionInfo, (hSession, pInfo));
}

CK_RV KAGI_EXPORT C_GetOperationState(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pOperationState, CK_ULONG_PTR pulOperationStateLen)
{
	KAGI_ENTRY(GetOperationState, (hSession, pOperationState,
			pulOperationStateLen));
}

CK_RV KAGI_EXPORT C_SetOperationState(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen,
	CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey)
{
	KAGI_ENTRY(SetOperationState, (hSession, pOperationState,
			ulOperationStateLen, hEncryptionKey,
			hAuthenticationKey));
}

CK_RV KAGI_EXPORT C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType,
	CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	KAGI_ENTRY(Login, (hSession, userType, pPin, ulPinLen));
}

CK_RV KAGI_EXPORT C_Logout(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(Logout, (hSession));
}

CK_RV KAGI_EXPORT C_CreateObject(CK_SESSION_HANDLE hSession,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject)
{
	KAGI_ENTRY(CreateObject, (hSession, pTemplate, ulCount, phObject));
}

CK_RV KAGI_EXPORT C_CopyObject(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
	CK_OBJECT_HANDLE_PTR phNewObject)
{
	KAGI_ENTRY(CopyObject, (hSession, hObject, pTemplate, ulCount,
			phNewObject));
}

CK_RV KAGI_EXPORT C_DestroyObject(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject)
{
	KAGI_ENTRY(DestroyObject, (hSession, hObject));
}

CK_RV KAGI_EXPORT C_GetObjectSize(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize)
{
	KAGI_ENTRY(GetObjectSize, (hSession, hObject, pulSize));
}

CK_RV KAGI_EXPORT C_GetAttributeValue(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	KAGI_ENTRY(GetAttributeValue, (hSession, hObject, pTemplate,
			ulCount));
}

CK_RV KAGI_EXPORT C_SetAttributeValue(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	KAGI_ENTRY(SetAttributeValue, (hSession, hObject, pTemplate,
			ulCount));
}

CK_RV KAGI_EXPORT C_FindObjectsInit(CK_SESSION_HANDLE hSession,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount)
{
	KAGI_ENTRY(FindObjectsInit, (hSession, pTemplate, ulCount));
}

CK_RV KAGI_EXPORT C_FindObjects(CK_SESSION_HANDLE hSession,
	CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount,
	CK_ULONG_PTR pulObjectCount)
{
	KAGI_ENTRY(FindObjects, (hSession, phObject, ulMaxObjectCount,
			pulObjectCount));
}

CK_RV KAGI_EXPORT C_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(FindObjectsFinal, (hSession));
}

CK_RV KAGI_EXPORT C_EncryptInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(EncryptInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData,
	CK_ULONG_PTR pulEncryptedDataLen)
{
	KAGI_ENTRY(Encrypt, (hSession, pData, ulDataLen, pEncryptedData,
			pulEncryptedDataLen));
}

CK_RV KAGI_EXPORT C_EncryptUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG_PTR pulEncryptedPartLen)
{
	KAGI_ENTRY(EncryptUpdate, (hSession, pPart, ulPartLen, pEncryptedPart,
			pulEncryptedPartLen));
}

CK_RV KAGI_EXPORT C_EncryptFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pLastEncryptedPart, CK_ULONG_PTR pulLastEncryptedPartLen)
{
	KAGI_ENTRY(EncryptFinal, (hSession, pLastEncryptedPart,
			pulLastEncryptedPartLen));
}

CK_RV KAGI_EXPORT C_DecryptInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(DecryptInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_Decrypt(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData,
	CK_ULONG_PTR pulDataLen)
{
	KAGI_ENTRY(Decrypt, (hSession, pEncryptedData, ulEncryptedDataLen,
			pData, pulDataLen));
}

CK_RV KAGI_EXPORT C_DecryptUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
	CK_ULONG_PTR pulPartLen)
{
	KAGI_ENTRY(DecryptUpdate, (hSession, pEncryptedPart,
			ulEncryptedPartLen, pPart, pulPartLen));
}

CK_RV KAGI_EXPORT C_DecryptFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen)
{
	KAGI_ENTRY(DecryptFinal, (hSession, pLastPart, pulLastPartLen));
}

CK_RV KAGI_EXPORT C_DigestInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism)
{
	KAGI_ENTRY(DigestInit, (hSession, pMechanism));
}

CK_RV KAGI_EXPORT C_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	KAGI_ENTRY(Digest, (hSession, pData, ulDataLen, pDigest,
			pulDigestLen));
}

CK_RV KAGI_EXPORT C_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
	CK_ULONG ulPartLen)
{
	KAGI_ENTRY(DigestUpdate, (hSession, pPart, ulPartLen));
}

CK_RV KAGI_EXPORT C_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(DigestKey, (hSession, hKey));
}

CK_RV KAGI_EXPORT C_DigestFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen)
{
	KAGI_ENTRY(DigestFinal, (hSession, pDigest, pulDigestLen));
}

CK_RV KAGI_EXPORT C_SignInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(SignInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTRY(Sign, (hSession, pData, ulDataLen, pSignature,
			pulSignatureLen));
}

CK_RV KAGI_EXPORT C_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
	CK_ULONG ulPartLen)
{
	KAGI_ENTRY(SignUpdate, (hSession, pPart, ulPartLen));
}

CK_RV KAGI_EXPORT C_SignFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTRY(SignFinal, (hSession, pSignature, pulSignatureLen));
}

CK_RV KAGI_EXPORT C_SignRecoverInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(SignRecoverInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_SignRecover(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTRY(SignRecover, (hSession, pData, ulDataLen, pSignature,
			pulSignatureLen));
}

CK_RV KAGI_EXPORT C_VerifyInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(VerifyInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KAGI_ENTRY(Verify, (hSession, pData, ulDataLen, pSignature,
			ulSignatureLen));
}

CK_RV KAGI_EXPORT C_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart,
	CK_ULONG ulPartLen)
{
	KAGI_ENTRY(VerifyUpdate, (hSession, pPart, ulPartLen));
}

CK_RV KAGI_EXPORT C_VerifyFinal(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KAGI_ENTRY(VerifyFinal, (hSession, pSignature, ulSignatureLen));
}

CK_RV KAGI_EXPORT C_VerifyRecoverInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(VerifyRecoverInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_VerifyRecover(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData,
	CK_ULONG_PTR pulDataLen)
{
	KAGI_ENTRY(VerifyRecover, (hSession, pSignature, ulSignatureLen,
			pData, pulDataLen));
}

CK_RV KAGI_EXPORT C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG_PTR pulEncryptedPartLen)
{
	KAGI_ENTRY(DigestEncryptUpdate, (hSession, pPart, ulPartLen,
			pEncryptedPart, pulEncryptedPartLen));
}

CK_RV KAGI_EXPORT C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
	CK_ULONG_PTR pulPartLen)
{
	KAGI_ENTRY(DecryptDigestUpdate, (hSession, pEncryptedPart,
			ulEncryptedPartLen, pPart, pulPartLen));
}

CK_RV KAGI_EXPORT C_SignEncryptUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart,
	CK_ULONG_PTR pulEncryptedPartLen)
{
	KAGI_ENTRY(SignEncryptUpdate, (hSession, pPart, ulPartLen,
			pEncryptedPart, pulEncryptedPartLen));
}

CK_RV KAGI_EXPORT C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart,
	CK_ULONG_PTR pulPartLen)
{
	KAGI_ENTRY(DecryptVerifyUpdate, (hSession, pEncryptedPart,
			ulEncryptedPartLen, pPart, pulPartLen));
}

CK_RV KAGI_EXPORT C_GenerateKey(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount,
	CK_OBJECT_HANDLE_PTR phKey)
{
	KAGI_ENTRY(GenerateKey, (hSession, pMechanism, pTemplate, ulCount,
			phKey));
}

CK_RV KAGI_EXPORT C_GenerateKeyPair(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPublicKeyTemplate,
	CK_ULONG ulPublicKeyAttributeCount, CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
	CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey,
	CK_OBJECT_HANDLE_PTR phPrivateKey)
{
	KAGI_ENTRY(GenerateKeyPair, (hSession, pMechanism, pPublicKeyTemplate,
			ulPublicKeyAttributeCount, pPrivateKeyTemplate,
			ulPrivateKeyAttributeCount, phPublicKey, phPrivateKey));
}

CK_RV KAGI_EXPORT C_WrapKey(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey,
	CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen)
{
	KAGI_ENTRY(WrapKey, (hSession, pMechanism, hWrappingKey, hKey,
			pWrappedKey, pulWrappedKeyLen));
}

CK_RV KAGI_EXPORT C_UnwrapKey(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey,
	CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate,
	CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey)
{
	KAGI_ENTRY(UnwrapKey, (hSession, pMechanism, hUnwrappingKey,
			pWrappedKey, ulWrappedKeyLen, pTemplate,
			ulAttributeCount, phKey));
}

CK_RV KAGI_EXPORT C_DeriveKey(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey,
	CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount,
	CK_OBJECT_HANDLE_PTR phKey)
{
	KAGI_ENTRY(DeriveKey, (hSession, pMechanism, hBaseKey, pTemplate,
			ulAttributeCount, phKey));
}

CK_RV KAGI_EXPORT C_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed,
	CK_ULONG ulSeedLen)
{
	KAGI_ENTRY(SeedRandom, (hSession, pSeed, ulSeedLen));
}

CK_RV KAGI_EXPORT C_GenerateRandom(CK_SESSION_HANDLE hSession,
	CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen)
{
	KAGI_ENTRY(GenerateRandom, (hSession, RandomData, ulRandomLen));
}

CK_RV KAGI_EXPORT C_GetFunctionStatus(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(GetFunctionStatus, (hSession));
}

CK_RV KAGI_EXPORT C_CancelFunction(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(CancelFunction, (hSession));
}

CK_RV KAGI_EXPORT C_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot,
	CK_VOID_PTR pReserved)
{
	KAGI_ENTRY(WaitForSlotEvent, (flags, pSlot, pReserved));
}

CK_RV KAGI_EXPORT C_LoginUser(CK_SESSION_HANDLE hSession,
	CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
	CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen)
{
	KAGI_ENTRY(LoginUser, (hSession, userType, pPin, ulPinLen, pUsername,
			ulUsernameLen));
}

CK_RV KAGI_EXPORT C_SessionCancel(CK_SESSION_HANDLE hSession, CK_FLAGS flags)
{
	KAGI_ENTRY(SessionCancel, (hSession, flags));
}

CK_RV KAGI_EXPORT C_MessageEncryptInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(MessageEncryptInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_EncryptMessage(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
	CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen,
	CK_BYTE_PTR pCiphertext, CK_ULONG_PTR pulCiphertextLen)
{
	KAGI_ENTRY(EncryptMessage, (hSession, pParameter, ulParameterLen,
			pAssociatedData, ulAssociatedDataLen, pPlaintext,
			ulPlaintextLen, pCiphertext, pulCiphertextLen));
}

CK_RV KAGI_EXPORT C_EncryptMessageBegin(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
	CK_ULONG ulAssociatedDataLen)
{
	KAGI_ENTRY(EncryptMessageBegin, (hSession, pParameter, ulParameterLen,
			pAssociatedData, ulAssociatedDataLen));
}

CK_RV KAGI_EXPORT C_EncryptMessageNext(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart,
	CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart,
	CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags)
{
	KAGI_ENTRY(EncryptMessageNext, (hSession, pParameter, ulParameterLen,
			pPlaintextPart, ulPlaintextPartLen, pCiphertextPart,
			pulCiphertextPartLen, flags));
}

CK_RV KAGI_EXPORT C_MessageEncryptFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(MessageEncryptFinal, (hSession));
}

CK_RV KAGI_EXPORT C_MessageDecryptInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(MessageDecryptInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_DecryptMessage(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
	CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext,
	CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext, CK_ULONG_PTR pulPlaintextLen)
{
	KAGI_ENTRY(DecryptMessage, (hSession, pParameter, ulParameterLen,
			pAssociatedData, ulAssociatedDataLen, pCiphertext,
			ulCiphertextLen, pPlaintext, pulPlaintextLen));
}

CK_RV KAGI_EXPORT C_DecryptMessageBegin(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData,
	CK_ULONG ulAssociatedDataLen)
{
	KAGI_ENTRY(DecryptMessageBegin, (hSession, pParameter, ulParameterLen,
			pAssociatedData, ulAssociatedDataLen));
}

CK_RV KAGI_EXPORT C_DecryptMessageNext(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart,
	CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart,
	CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags)
{
	KAGI_ENTRY(DecryptMessageNext, (hSession, pParameter, ulParameterLen,
			pCiphertextPart, ulCiphertextPartLen, pPlaintextPart,
			pulPlaintextPartLen, flags));
}

CK_RV KAGI_EXPORT C_MessageDecryptFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(MessageDecryptFinal, (hSession));
}

CK_RV KAGI_EXPORT C_MessageSignInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(MessageSignInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_SignMessage(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTRY(SignMessage, (hSession, pParameter, ulParameterLen, pData,
			ulDataLen, pSignature, pulSignatureLen));
}

CK_RV KAGI_EXPORT C_SignMessageBegin(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)
{
	KAGI_ENTRY(SignMessageBegin, (hSession, pParameter, ulParameterLen));
}

CK_RV KAGI_EXPORT C_SignMessageNext(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen)
{
	KAGI_ENTRY(SignMessageNext, (hSession, pParameter, ulParameterLen,
			pData, ulDataLen, pSignature, pulSignatureLen));
}

CK_RV KAGI_EXPORT C_MessageSignFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(MessageSignFinal, (hSession));
}

CK_RV KAGI_EXPORT C_MessageVerifyInit(CK_SESSION_HANDLE hSession,
	CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey)
{
	KAGI_ENTRY(MessageVerifyInit, (hSession, pMechanism, hKey));
}

CK_RV KAGI_EXPORT C_VerifyMessage(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KAGI_ENTRY(VerifyMessage, (hSession, pParameter, ulParameterLen,
			pData, ulDataLen, pSignature, ulSignatureLen));
}

CK_RV KAGI_EXPORT C_VerifyMessageBegin(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen)
{
	KAGI_ENTRY(VerifyMessageBegin, (hSession, pParameter,
			ulParameterLen));
}

CK_RV KAGI_EXPORT C_VerifyMessageNext(CK_SESSION_HANDLE hSession,
	CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData,
	CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen)
{
	KAGI_ENTRY(VerifyMessageNext, (hSession, pParameter, ulParameterLen,
			pData, ulDataLen, pSignature, ulSignatureLen));
}

CK_RV KAGI_EXPORT C_MessageVerifyFinal(CK_SESSION_HANDLE hSession)
{
	KAGI_ENTRY(MessageVerifyFinal, (hSession));
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
 * CKF_INTERFACE_FORK_SAFE: a fork child can use the library, but starts
 * fresh (its own sessions and login), while that flag promises that the
 * child keeps copies of the parent's sessions and login state. */
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

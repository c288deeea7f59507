//go:build ignore

/*
 * fork_test.c — what happens to a process that loaded libkagi.so and forks.
 *
 * The Go runtime does not survive fork() without exec (golang/go#15538,
 * #16855): only the forking thread is copied, so a child that calls into Go
 * can hang forever. Issue 3 asks the module's C entry layer to notice the
 * fork and answer at once without entering Go:
 *
 *   - child C_Initialize           -> CKR_CRYPTOKI_ALREADY_INITIALIZED (0x191)
 *   - any other child call         -> CKR_GENERAL_ERROR (5), with a one-line
 *                                     message on stderr that says why
 *   - child C_Finalize             -> CKR_OK
 *   - child C_Initialize after it  -> CKR_GENERAL_ERROR
 *
 * and a parent that forked, or ran system(), popen() or fork+exec, keeps
 * working, as does the exec'd child.
 *
 * Usage:
 *   fork_test MODULE [WORKDIR]        run every case, one line per check
 *   fork_test --exec-child MODULE     (internal) load MODULE fresh, initialise
 *                                     it on $KAGI_DB and exit 0 if it works
 *
 * Every case runs in its own process (a "case runner", forked by the
 * supervisor before the module is ever loaded, so that fork is clean). The
 * supervisor kills a runner that does not finish in time, so a hang is a
 * failure and never a stuck CI. Inside a runner, every forked child is
 * likewise waited for with a deadline, and arms alarm() as a backstop.
 *
 * Each check prints "ok   ..." or "FAIL ..."; the program exits non-zero if
 * any check failed.
 *
 * The PKCS#11 types are declared here (only what this program needs) so the
 * test does not depend on the header it is testing. fork_test.go compiles
 * and runs this program; the "//go:build ignore" line on top keeps the go
 * tool from taking it for cgo source of package fork.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- the slice of PKCS#11 (v2.40 / v3.0 ABI) this test uses ---- */

typedef unsigned long CK_ULONG;
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_FLAGS;
typedef unsigned char CK_BYTE;
typedef unsigned char CK_BBOOL;

typedef struct {
	CK_BYTE major, minor;
} CK_VERSION;

typedef struct {
	CK_BYTE label[32];
	CK_BYTE manufacturerID[32];
	CK_BYTE model[16];
	CK_BYTE serialNumber[16];
	CK_FLAGS flags;
	CK_ULONG ulMaxSessionCount, ulSessionCount;
	CK_ULONG ulMaxRwSessionCount, ulRwSessionCount;
	CK_ULONG ulMaxPinLen, ulMinPinLen;
	CK_ULONG ulTotalPublicMemory, ulFreePublicMemory;
	CK_ULONG ulTotalPrivateMemory, ulFreePrivateMemory;
	CK_VERSION hardwareVersion, firmwareVersion;
	CK_BYTE utcTime[16];
} CK_TOKEN_INFO;

#define CKR_OK 0x0UL
#define CKR_GENERAL_ERROR 0x5UL
#define CKR_CRYPTOKI_NOT_INITIALIZED 0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL
#define CKF_RW_SESSION 0x2UL
#define CKF_SERIAL_SESSION 0x4UL
#define CKF_TOKEN_INITIALIZED 0x400UL

typedef CK_RV (*fn_void_ptr)(void *);
typedef CK_RV (*fn_get_function_list)(void **);
typedef CK_RV (*fn_get_slot_list)(CK_BBOOL, CK_SLOT_ID *, CK_ULONG *);
typedef CK_RV (*fn_get_token_info)(CK_SLOT_ID, CK_TOKEN_INFO *);
typedef CK_RV (*fn_init_token)(CK_SLOT_ID, CK_BYTE *, CK_ULONG, CK_BYTE *);
typedef CK_RV (*fn_open_session)(CK_SLOT_ID, CK_FLAGS, void *, void *,
				 CK_SESSION_HANDLE *);
typedef CK_RV (*fn_close_session)(CK_SESSION_HANDLE);
typedef CK_RV (*fn_generate_random)(CK_SESSION_HANDLE, CK_BYTE *, CK_ULONG);

/*
 * CK_FUNCTION_LIST (v2.40): a version, then 68 function pointers in the
 * order of the specification. Only the ones named here are called; the rest
 * are kept as opaque slots so that the offsets are right.
 */
typedef struct {
	CK_VERSION version;
	fn_void_ptr C_Initialize;
	fn_void_ptr C_Finalize;
	void *C_GetInfo;
	fn_get_function_list C_GetFunctionList;
	fn_get_slot_list C_GetSlotList;
	void *C_GetSlotInfo;
	fn_get_token_info C_GetTokenInfo;
	void *C_GetMechanismList;
	void *C_GetMechanismInfo;
	fn_init_token C_InitToken;
	void *C_InitPIN;
	void *C_SetPIN;
	fn_open_session C_OpenSession;
	fn_close_session C_CloseSession;
	void *rest1[50]; /* C_CloseAllSessions .. C_SeedRandom */
	fn_generate_random C_GenerateRandom;
	void *rest2[3]; /* C_GetFunctionStatus, C_CancelFunction, C_WaitForSlotEvent */
} CK_FUNCTION_LIST;

_Static_assert(sizeof(CK_FUNCTION_LIST) == 8 + 68 * sizeof(void *),
	       "CK_FUNCTION_LIST must have 68 entries");

/* ---- reporting ---- */

static int failures; /* checks failed in this process */
static const char *who = "";

static void report(int ok, const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	printf("%s %s%s\n", ok ? "ok  " : "FAIL", who, line);
	fflush(stdout);
	if (!ok)
		failures++;
}

static void info(const char *fmt, ...)
{
	va_list ap;
	char line[1024];

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	printf("     %s%s\n", who, line);
	fflush(stdout);
}

static const char *rv_name(CK_RV rv)
{
	switch (rv) {
	case CKR_OK:
		return "CKR_OK";
	case CKR_GENERAL_ERROR:
		return "CKR_GENERAL_ERROR";
	case CKR_CRYPTOKI_NOT_INITIALIZED:
		return "CKR_CRYPTOKI_NOT_INITIALIZED";
	case CKR_CRYPTOKI_ALREADY_INITIALIZED:
		return "CKR_CRYPTOKI_ALREADY_INITIALIZED";
	default:
		return "?";
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * expect_rv checks a return code and, when limit > 0, that the call took no
 * longer than limit seconds.
 */
static void expect_rv(const char *call, CK_RV got, CK_RV want, double took,
		      double limit)
{
	int ok = got == want && (limit <= 0 || took <= limit);

	report(ok, "%s = 0x%lx %s (want 0x%lx %s) in %.3fs%s", call, got,
	       rv_name(got), want, rv_name(want), took,
	       limit > 0 && took > limit ? " (too slow)" : "");
}

/* ---- loading the module ---- */

static CK_FUNCTION_LIST *load_module(const char *path)
{
	void *h;
	fn_get_function_list get;
	CK_FUNCTION_LIST *fl = NULL;
	CK_RV rv;

	/* Never dlclose: a Go c-shared library must not be unloaded. */
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		report(0, "dlopen %s: %s", path, dlerror());
		return NULL;
	}
	get = (fn_get_function_list)dlsym(h, "C_GetFunctionList");
	if (!get) {
		report(0, "dlsym C_GetFunctionList: %s", dlerror());
		return NULL;
	}
	rv = get((void **)&fl);
	if (rv != CKR_OK || !fl) {
		report(0, "C_GetFunctionList = 0x%lx", rv);
		return NULL;
	}
	return fl;
}

/* ---- waiting for a child with a deadline ---- */

/*
 * wait_child waits up to limit seconds for pid. On timeout it kills pid's
 * process group (or pid itself) and returns -1; otherwise it returns the
 * wait status.
 */
static int wait_child(pid_t pid, double limit, int group)
{
	double deadline = now() + limit;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -2;
		if (now() > deadline) {
			kill(group ? -pid : pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(2000);
	}
}

static void describe_status(char *buf, size_t n, int status)
{
	if (status == -1)
		snprintf(buf, n, "timed out (killed)");
	else if (status == -2)
		snprintf(buf, n, "waitpid failed");
	else if (WIFEXITED(status))
		snprintf(buf, n, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, n, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, n, "status 0x%x", status);
}

/* ---- shared set-up of a case runner ---- */

static const char *module_path;
static const char *workdir;

/*
 * runner_setup loads the module and initialises it. If token is non-zero it
 * also initialises a token labelled fork-NAME in the free slot and returns
 * its slot id in *slot, so that sessions can be opened.
 *
 * Each runner asks for its own database, workdir/NAME.db, with setenv()
 * before dlopen, as a C host configures a library. Should the module not
 * see that (a Go c-shared library's os.Getenv reads the environment the
 * process started with), it uses the database main() put in the starting
 * environment instead, which the cases share: hence a label per case and
 * the free slot rather than slot 0.
 */
static CK_FUNCTION_LIST *runner_setup(const char *name, int token,
				      CK_SLOT_ID *slot)
{
	char db[4096];
	CK_FUNCTION_LIST *fl;
	CK_RV rv;
	CK_SLOT_ID slots[64], free_slot = 0;
	CK_ULONG n = 64, i;
	CK_BYTE label[32];
	char text[40];
	int found = 0;
	static char so_pin[] = "12345678";

	snprintf(db, sizeof db, "%s/%s.db", workdir, name);
	setenv("KAGI_DB", db, 1);
	fl = load_module(module_path);
	if (!fl)
		return NULL;
	rv = fl->C_Initialize(NULL);
	if (rv != CKR_OK) {
		report(0, "parent C_Initialize = 0x%lx", rv);
		return NULL;
	}
	if (!token)
		return fl;

	rv = fl->C_GetSlotList(0, slots, &n);
	if (rv != CKR_OK || n == 0) {
		report(0, "parent C_GetSlotList = 0x%lx, %lu slots", rv, n);
		return NULL;
	}
	for (i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			free_slot = slots[i];
			found = 1;
		}
	}
	if (!found) {
		report(0, "parent: no slot with an uninitialised token");
		return NULL;
	}
	snprintf(text, sizeof text, "fork-%s", name);
	memset(label, ' ', sizeof label);
	memcpy(label, text, strlen(text));
	rv = fl->C_InitToken(free_slot, (CK_BYTE *)so_pin, strlen(so_pin),
			     label);
	if (rv != CKR_OK) {
		report(0, "parent C_InitToken(slot %lu) = 0x%lx", free_slot, rv);
		return NULL;
	}
	/* Find the initialised token, wherever its slot is. */
	n = 64;
	rv = fl->C_GetSlotList(1, slots, &n);
	if (rv != CKR_OK) {
		report(0, "parent C_GetSlotList after C_InitToken = 0x%lx", rv);
		return NULL;
	}
	for (i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    (ti.flags & CKF_TOKEN_INITIALIZED) &&
		    memcmp(ti.label, label, sizeof label) == 0) {
			*slot = slots[i];
			return fl;
		}
	}
	report(0, "parent: no initialised token labelled %s after C_InitToken", text);
	return NULL;
}

/* parent_works checks that the (parent) process can still use the module. */
static void parent_works(CK_FUNCTION_LIST *fl, CK_SLOT_ID slot,
			 const char *when)
{
	CK_SESSION_HANDLE s = 0;
	CK_BYTE buf[32];
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_RV rv;
	double t0;

	t0 = now();
	rv = fl->C_GetSlotList(0, slots, &n);
	report(rv == CKR_OK && n > 0, "parent %s: C_GetSlotList = 0x%lx (%lu slots) in %.3fs",
	       when, rv, n, now() - t0);
	t0 = now();
	rv = fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	report(rv == CKR_OK, "parent %s: C_OpenSession = 0x%lx in %.3fs", when,
	       rv, now() - t0);
	if (rv != CKR_OK)
		return;
	memset(buf, 0, sizeof buf);
	t0 = now();
	rv = fl->C_GenerateRandom(s, buf, sizeof buf);
	{
		int nonzero = 0;
		for (size_t i = 0; i < sizeof buf; i++)
			nonzero |= buf[i];
		report(rv == CKR_OK && nonzero,
		       "parent %s: C_GenerateRandom(32) = 0x%lx%s in %.3fs",
		       when, rv, nonzero ? "" : " (all zero bytes)",
		       now() - t0);
	}
	rv = fl->C_CloseSession(s);
	report(rv == CKR_OK, "parent %s: C_CloseSession = 0x%lx", when, rv);
}

/* ---- case (a): the forked child of an initialised parent ---- */

/*
 * forked_child_calls runs in the child. Each call must return at once with
 * the code the issue specifies. The child's stderr is a pipe that the parent
 * reads; its stdout is shared with the parent.
 */
static void forked_child_calls(CK_FUNCTION_LIST *fl, CK_SLOT_ID slot,
			       CK_SESSION_HANDLE parent_session)
{
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_SESSION_HANDLE s = 0;
	CK_BYTE buf[16];
	CK_RV rv;
	double t0;

	t0 = now();
	rv = fl->C_Initialize(NULL);
	expect_rv("child C_Initialize", rv, CKR_CRYPTOKI_ALREADY_INITIALIZED,
		  now() - t0, 1.0);

	t0 = now();
	rv = fl->C_GetSlotList(0, slots, &n);
	expect_rv("child C_GetSlotList", rv, CKR_GENERAL_ERROR, now() - t0, 1.0);

	t0 = now();
	rv = fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	expect_rv("child C_OpenSession", rv, CKR_GENERAL_ERROR, now() - t0, 1.0);

	/* A session handle inherited from the parent is no good either. */
	t0 = now();
	rv = fl->C_GenerateRandom(parent_session, buf, sizeof buf);
	expect_rv("child C_GenerateRandom(parent's session)", rv,
		  CKR_GENERAL_ERROR, now() - t0, 1.0);

	t0 = now();
	rv = fl->C_Finalize(NULL);
	expect_rv("child C_Finalize", rv, CKR_OK, now() - t0, 1.0);

	t0 = now();
	rv = fl->C_Initialize(NULL);
	expect_rv("child C_Initialize after C_Finalize", rv, CKR_GENERAL_ERROR,
		  now() - t0, 1.0);

	t0 = now();
	n = 16;
	rv = fl->C_GetSlotList(0, slots, &n);
	expect_rv("child C_GetSlotList after C_Finalize", rv,
		  CKR_CRYPTOKI_NOT_INITIALIZED, now() - t0, 1.0);
}

/* read_all reads fd until EOF or until limit seconds have passed. */
static size_t read_all(int fd, char *buf, size_t cap, double limit)
{
	double deadline = now() + limit;
	size_t len = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int ms = (int)((deadline - now()) * 1000);
		ssize_t r;

		if (ms <= 0)
			break;
		if (poll(&p, 1, ms) <= 0)
			continue;
		if (len + 1 >= cap) {
			char sink[512];
			r = read(fd, sink, sizeof sink); /* drain, keep going */
		} else {
			r = read(fd, buf + len, cap - 1 - len);
			if (r > 0)
				len += r;
		}
		if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
			break;
	}
	buf[len] = 0;
	return len;
}

static int case_forked_child(void)
{
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID slot = 0;
	CK_SESSION_HANDLE ps = 0;
	CK_RV rv;
	int errpipe[2], status;
	pid_t pid;
	char err[8192], desc[128];
	size_t len;

	fl = runner_setup("a", 1, &slot);
	if (!fl)
		return failures;
	/* A parent session, open across the fork. */
	rv = fl->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			       NULL, &ps);
	report(rv == CKR_OK, "parent C_OpenSession before fork = 0x%lx", rv);

	if (pipe(errpipe) != 0) {
		report(0, "pipe: %s", strerror(errno));
		return failures;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		report(0, "fork: %s", strerror(errno));
		return failures;
	}
	if (pid == 0) {
		/* The child: stderr goes to the pipe; a hang dies by SIGALRM. */
		alarm(10);
		close(errpipe[0]);
		dup2(errpipe[1], 2);
		close(errpipe[1]);
		who = "(a) ";
		forked_child_calls(fl, slot, ps);
		fflush(stdout);
		_exit(failures > 100 ? 100 : failures);
	}
	close(errpipe[1]);
	len = read_all(errpipe[0], err, sizeof err, 15.0);
	close(errpipe[0]);
	status = wait_child(pid, 15.0, 0);
	describe_status(desc, sizeof desc, status);
	report(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "(a) forked child finished: %s", desc);

	/* The child's stderr: present, one line per message, mentions fork. */
	{
		int lines = 0;
		for (size_t i = 0; i < len; i++)
			lines += err[i] == '\n';
		if (len > 0 && err[len - 1] != '\n')
			lines++;
		info("(a) child stderr (%zu bytes, %d lines):", len, lines);
		{
			char *save = NULL, *copy = strdup(err);
			for (char *l = strtok_r(copy, "\n", &save); l;
			     l = strtok_r(NULL, "\n", &save))
				info("(a)   | %s", l);
			free(copy);
		}
		report(len > 0, "(a) child wrote a message on stderr");
		report(strcasestr(err, "fork") != NULL,
		       "(a) the child's stderr message mentions fork");
		report(strstr(err, "p11-kit-modules") != NULL &&
			       strstr(err, "p11-kit ") != NULL,
		       "(a) the child's stderr message names the Debian packages "
		       "p11-kit and p11-kit-modules");
	}

	/* (b) The parent keeps working after the fork. */
	who = "(b) ";
	parent_works(fl, slot, "after fork");
	if (ps) {
		CK_BYTE buf[16];
		rv = fl->C_GenerateRandom(ps, buf, sizeof buf);
		report(rv == CKR_OK,
		       "parent C_GenerateRandom on its pre-fork session = 0x%lx", rv);
	}
	rv = fl->C_Finalize(NULL);
	report(rv == CKR_OK, "parent C_Finalize = 0x%lx", rv);
	return failures;
}

/* ---- case (c): system() and popen() from an initialised parent ---- */

static int case_system_popen(void)
{
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID slot = 0;
	FILE *p;
	char line[64] = "";
	int st;
	CK_RV rv;

	fl = runner_setup("c", 1, &slot);
	if (!fl)
		return failures;
	parent_works(fl, slot, "before system()");

	st = system("true");
	report(st == 0, "system(\"true\") = %d", st);
	parent_works(fl, slot, "after system()");

	p = popen("echo hi", "r");
	if (!p) {
		report(0, "popen(\"echo hi\"): %s", strerror(errno));
	} else {
		if (!fgets(line, sizeof line, p))
			line[0] = 0;
		st = pclose(p);
		report(strcmp(line, "hi\n") == 0 && st == 0,
		       "popen(\"echo hi\") read \"%.*s\", pclose = %d",
		       (int)strcspn(line, "\n"), line, st);
	}
	parent_works(fl, slot, "after popen()");

	rv = fl->C_Finalize(NULL);
	report(rv == CKR_OK, "parent C_Finalize = 0x%lx", rv);
	return failures;
}

/* ---- case (d): fork+exec of a fresh process that loads the module ---- */

static const char *self_path;
extern char **environ;

static int case_exec_child(void)
{
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID slot = 0;
	char db[4200], desc[128];
	char **envp;
	pid_t pid;
	int status;
	CK_RV rv;

	fl = runner_setup("d", 1, &slot);
	if (!fl)
		return failures;
	/*
	 * The child's environment is ours with its own KAGI_DB, prepared
	 * before fork: between fork and exec only async-signal-safe calls.
	 */
	snprintf(db, sizeof db, "KAGI_DB=%s/d-exec-child.db", workdir);
	{
		size_t n = 0, j = 0;
		while (environ[n])
			n++;
		envp = calloc(n + 2, sizeof *envp);
		for (size_t k = 0; k < n; k++)
			if (strncmp(environ[k], "KAGI_DB=", 8) != 0)
				envp[j++] = environ[k];
		envp[j++] = db;
		envp[j] = NULL;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		report(0, "fork: %s", strerror(errno));
		return failures;
	}
	if (pid == 0) {
		char *argv[] = {(char *)self_path, "--exec-child",
				(char *)module_path, NULL};
		execve(self_path, argv, envp);
		_exit(127);
	}
	free(envp);
	status = wait_child(pid, 20.0, 0);
	describe_status(desc, sizeof desc, status);
	report(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "(d) exec'd child (fresh KAGI_DB) loaded and initialised the module: %s",
	       desc);
	parent_works(fl, slot, "after fork+exec");
	rv = fl->C_Finalize(NULL);
	report(rv == CKR_OK, "parent C_Finalize = 0x%lx", rv);
	return failures;
}

/* exec_child_main is the exec'd process of case (d). */
static int exec_child_main(const char *path)
{
	CK_FUNCTION_LIST *fl;
	CK_SLOT_ID slots[16];
	CK_ULONG n = 16;
	CK_RV rv;
	double t0;

	alarm(15);
	who = "(d) exec'd child: ";
	fl = load_module(path);
	if (!fl)
		return 1;
	t0 = now();
	rv = fl->C_Initialize(NULL);
	expect_rv("C_Initialize", rv, CKR_OK, now() - t0, 0);
	rv = fl->C_GetSlotList(0, slots, &n);
	report(rv == CKR_OK && n > 0, "C_GetSlotList = 0x%lx (%lu slots)", rv, n);
	rv = fl->C_Finalize(NULL);
	expect_rv("C_Finalize", rv, CKR_OK, 0, 0);
	return failures ? 1 : 0;
}

/* ---- case (e): the forked child of a parent that only loaded the module ---- */

/*
 * A pre-forking server (the scenario of golang/go#16855) loads the module in
 * its master and initialises it in each worker. The Go runtime started at
 * dlopen, so the worker is a forked child all the same. The issue does not
 * fix the code here, but it says "never a hang": each call must return
 * within a second, whatever it returns.
 */
static int case_loaded_not_initialised(void)
{
	CK_FUNCTION_LIST *fl;
	char db[4096], desc[128];
	pid_t pid;
	int status;

	snprintf(db, sizeof db, "%s/e.db", workdir);
	setenv("KAGI_DB", db, 1);
	fl = load_module(module_path);
	if (!fl)
		return failures;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CK_SLOT_ID slots[16];
		CK_ULONG n = 16;
		CK_RV rv;
		double t0;

		alarm(10);
		who = "(e) ";
		t0 = now();
		rv = fl->C_Initialize(NULL);
		report(now() - t0 <= 1.0,
		       "child of a loaded-only parent: C_Initialize returned 0x%lx %s in %.3fs",
		       rv, rv_name(rv), now() - t0);
		t0 = now();
		rv = fl->C_GetSlotList(0, slots, &n);
		report(now() - t0 <= 1.0,
		       "child of a loaded-only parent: C_GetSlotList returned 0x%lx %s in %.3fs",
		       rv, rv_name(rv), now() - t0);
		fflush(stdout);
		_exit(failures > 100 ? 100 : failures);
	}
	status = wait_child(pid, 15.0, 0);
	describe_status(desc, sizeof desc, status);
	report(status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "(e) child of a loaded-only parent finished without hanging: %s",
	       desc);
	return failures;
}

/* ---- the supervisor ---- */

struct test_case {
	const char *name;
	int (*run)(void);
};

static const struct test_case cases[] = {
	{"(a)+(b) forked child of an initialised parent; parent keeps working",
	 case_forked_child},
	{"(c) system() and popen() from an initialised parent", case_system_popen},
	{"(d) fork+exec of a fresh process that loads the module", case_exec_child},
	{"(e) forked child of a parent that only loaded the module",
	 case_loaded_not_initialised},
};

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/kagi-fork-XXXXXX";
	int own_workdir = 0, total = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child_main(argv[2]);
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s MODULE [WORKDIR]\n", argv[0]);
		return 2;
	}
	module_path = argv[1];
	self_path = realpath("/proc/self/exe", NULL);
	if (argc == 3) {
		workdir = argv[2];
	} else {
		workdir = mkdtemp(tmpl);
		own_workdir = 1;
		if (!workdir) {
			perror("mkdtemp");
			return 2;
		}
	}
	/*
	 * Never let the module fall back to the user's default database: make
	 * sure KAGI_DB is in the environment this process starts with (see
	 * runner_setup), re-executing once with it if it is not.
	 */
	if (!getenv("KAGI_FORK_TEST_STARTED")) {
		char db[4200];
		char *args[] = {(char *)self_path, (char *)module_path,
				(char *)workdir, NULL};
		snprintf(db, sizeof db, "%s/shared.db", workdir);
		setenv("KAGI_DB", db, 1);
		setenv("KAGI_FORK_TEST_STARTED", own_workdir ? "own" : "given", 1);
		unsetenv("KAGI_CONF");
		fflush(stdout);
		execv(self_path, args);
		perror("execv");
		return 2;
	}
	own_workdir = strcmp(getenv("KAGI_FORK_TEST_STARTED"), "own") == 0;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pid_t pid;
		int status;
		char desc[128];

		printf("=== %s\n", cases[i].name);
		fflush(stdout);
		pid = fork(); /* clean: the supervisor never loads the module */
		if (pid == 0) {
			setpgid(0, 0);
			alarm(40);
			_exit(cases[i].run() > 0 ? 1 : 0);
		}
		setpgid(pid, pid); /* also here, so a kill never misses */
		status = wait_child(pid, 45.0, 1);
		describe_status(desc, sizeof desc, status);
		if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			printf("FAIL case runner: %s\n", desc);
			total++;
		}
	}

	if (own_workdir)
		nftw(workdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	printf(total ? "FAIL: %d case(s) failed\n" : "PASS\n", total);
	return total ? 1 : 0;
}

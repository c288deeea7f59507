//go:build ignore

/*
 * fork_helper_test.c — fork children served through a helper process
 * (issue 5, "Forked children work").
 *
 * A child of a process that loaded libkagi.so cannot run kagi's Go runtime;
 * the module's C layer starts `p11-kit remote libkagi.so` for it through
 * p11-kit-client.so and forwards its calls there. This program checks, each
 * case in its own process with a deadline (a hang is a failure):
 *
 *   libp11      the child calls C_Initialize (CKR_CRYPTOKI_ALREADY_INITIALIZED,
 *               as libp11 expects), then opens a session, logs in, signs with
 *               the token key the parent made and verifies; no helper runs
 *               before the first call that needs the token; the parent's
 *               session handle is not the child's; the parent verifies the
 *               child's signature; the helper is gone once the child exited
 *               (without C_Finalize).
 *   reinit      the child calls C_Finalize and C_Initialize and works; its
 *               C_Finalize stops the helper; it can initialise again.
 *   loadedonly  a parent that loaded the module but is not initialised at
 *               the fork (a pre-forking server): the child's C_Initialize
 *               is CKR_OK and the child works.
 *   hundred     100 children in a row, each signing and verifying.
 *   grandchild  a child forks a grandchild, which gets a helper of its own
 *               and signs; the child's own helper and session keep working.
 *   threads     four threads of a child make their first calls at once:
 *               one helper, every call succeeds.
 *   noclient    $KAGI_P11KIT_CLIENT names a missing file: the child's calls
 *               fail at once with CKR_GENERAL_ERROR and a message naming the
 *               Debian packages.
 *   perf        ECDSA P-256 signatures per second in the parent and in a
 *               child (information for the README, not a pass criterion).
 *
 * Signatures are CKM_ECDSA over 32 random bytes. Each is also printed as
 * "SIG case data r||s", with the key's point as "PUB case point", and
 * fork_test.go checks every one with crypto/ecdsa.
 *
 * Helpers are recognised as processes named p11-kit-remote whose environment
 * has this case's KAGI_DB (each case has its own database).
 *
 * Usage: fork_helper_test MODULE WORKDIR
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pkcs11.h"

static CK_FUNCTION_LIST *fl;
static const char *module_path, *workdir;
static char db_path[4096];
static char case_name[32];
static CK_SLOT_ID slot;
static CK_SESSION_HANDLE parent_session;
static const char *who = "";
static int failures;

static CK_UTF8CHAR so_pin[] = "12345678";
static CK_UTF8CHAR user_pin[] = "1234";
static CK_UTF8CHAR key_label[] = "fork-key";

/* ---- reporting ---- */

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

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void expect(const char *call, CK_RV got, CK_RV want)
{
	report(got == want, "%s = 0x%lx (want 0x%lx)", call, got, want);
}

static void hex(char *out, const CK_BYTE *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = 0;
}

/* set_who prefixes this process's lines with the case and role. */
static void set_who(const char *role)
{
	static char w[96];

	snprintf(w, sizeof w, "[%s %s] ", case_name, role);
	who = w;
}

/* ---- helpers of this case ---- */

/*
 * helpers lists the live p11-kit-remote processes whose environment holds
 * this case's KAGI_DB; with parent > 0 only the children of parent. It
 * returns how many, and their pids in pids (up to max).
 */
static int helpers(pid_t parent, pid_t *pids, int max)
{
	char want[4200], path[64], buf[8192];
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	snprintf(want, sizeof want, "KAGI_DB=%s", db_path);
	if (!d)
		return -1;
	while ((e = readdir(d)) != NULL) {
		pid_t pid = atoi(e->d_name);
		char comm[64], state;
		int ppid;
		FILE *f;
		size_t len;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof path, "/proc/%d/stat", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%*d (%63[^)]) %c %d", comm, &state, &ppid) != 3) {
			fclose(f);
			continue;
		}
		fclose(f);
		if (strcmp(comm, "p11-kit-remote") != 0 || state == 'Z' ||
		    (parent > 0 && ppid != parent))
			continue;
		snprintf(path, sizeof path, "/proc/%d/environ", pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		len = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[len] = 0;
		for (size_t i = 0; i < len; i += strlen(buf + i) + 1) {
			if (strcmp(buf + i, want) == 0) {
				if (n < max)
					pids[n] = pid;
				n++;
				break;
			}
		}
	}
	closedir(d);
	return n;
}

/* helpers_gone waits up to limit seconds for this case to have no helper. */
static int helpers_gone(double limit)
{
	double deadline = now() + limit;
	pid_t p[8];

	while (helpers(0, p, 8) != 0) {
		if (now() > deadline)
			return 0;
		usleep(10000);
	}
	return 1;
}

/* ---- token set-up, in the case runner before any fork ---- */

static CK_OBJECT_HANDLE find_key(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls)
{
	CK_ATTRIBUTE t[] = {
		{CKA_CLASS, &cls, sizeof cls},
		{CKA_LABEL, key_label, sizeof key_label - 1},
	};
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
	CK_ULONG n = 0;

	if (fl->C_FindObjectsInit(s, t, 2) != CKR_OK)
		return CK_INVALID_HANDLE;
	if (fl->C_FindObjects(s, &h, 1, &n) != CKR_OK || n != 1)
		h = CK_INVALID_HANDLE;
	fl->C_FindObjectsFinal(s);
	return h;
}

static int setup(const char *name, int stay_initialised)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64, i;
	CK_UTF8CHAR label[32];
	CK_RV rv;
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	void *h;
	int found = 0;
	CK_SESSION_HANDLE s;

	snprintf(case_name, sizeof case_name, "%s", name);
	snprintf(db_path, sizeof db_path, "%s/%s.db", workdir, name);
	setenv("KAGI_DB", db_path, 1);
	h = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		report(0, "dlopen %s: %s", module_path, dlerror());
		return -1;
	}
	*(void **)&get = dlsym(h, "C_GetFunctionList");
	if (!get || get(&fl) != CKR_OK) {
		report(0, "C_GetFunctionList");
		return -1;
	}
	if ((rv = fl->C_Initialize(NULL)) != CKR_OK) {
		report(0, "parent C_Initialize = 0x%lx", rv);
		return -1;
	}
	if (fl->C_GetSlotList(0, slots, &n) != CKR_OK)
		return report(0, "parent C_GetSlotList"), -1;
	for (i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    !(ti.flags & CKF_TOKEN_INITIALIZED)) {
			slot = slots[i];
			found = 1;
		}
	}
	if (!found)
		return report(0, "parent: no free slot"), -1;
	memset(label, ' ', sizeof label);
	memcpy(label, name, strlen(name));
	rv = fl->C_InitToken(slot, so_pin, sizeof so_pin - 1, label);
	if (rv != CKR_OK)
		return report(0, "parent C_InitToken = 0x%lx", rv), -1;
	/* The token may move to another slot id once initialised. */
	n = 64;
	found = 0;
	if (fl->C_GetSlotList(1, slots, &n) != CKR_OK)
		return report(0, "parent C_GetSlotList(true)"), -1;
	for (i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		if (fl->C_GetTokenInfo(slots[i], &ti) == CKR_OK &&
		    memcmp(ti.label, label, sizeof label) == 0) {
			slot = slots[i];
			found = 1;
		}
	}
	if (!found)
		return report(0, "parent: token %s not found", name), -1;
	rv = fl->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			       NULL, &s);
	if (rv == CKR_OK)
		rv = fl->C_Login(s, CKU_SO, so_pin, sizeof so_pin - 1);
	if (rv == CKR_OK)
		rv = fl->C_InitPIN(s, user_pin, sizeof user_pin - 1);
	if (rv == CKR_OK)
		rv = fl->C_Logout(s);
	if (rv == CKR_OK)
		rv = fl->C_Login(s, CKU_USER, user_pin, sizeof user_pin - 1);
	if (rv != CKR_OK)
		return report(0, "parent session/SO login/InitPIN/user login = 0x%lx", rv), -1;
	{
		static CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
					 0x3d, 0x03, 0x01, 0x07};
		CK_BBOOL yes = CK_TRUE;
		CK_MECHANISM gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
		CK_ATTRIBUTE pub[] = {
			{CKA_TOKEN, &yes, sizeof yes},
			{CKA_VERIFY, &yes, sizeof yes},
			{CKA_EC_PARAMS, p256, sizeof p256},
			{CKA_LABEL, key_label, sizeof key_label - 1},
		};
		CK_ATTRIBUTE priv[] = {
			{CKA_TOKEN, &yes, sizeof yes},
			{CKA_PRIVATE, &yes, sizeof yes},
			{CKA_SENSITIVE, &yes, sizeof yes},
			{CKA_SIGN, &yes, sizeof yes},
			{CKA_LABEL, key_label, sizeof key_label - 1},
		};
		CK_OBJECT_HANDLE hpub, hpriv;
		CK_BYTE point[100];
		CK_ATTRIBUTE pt = {CKA_EC_POINT, point, sizeof point};
		char text[256];

		rv = fl->C_GenerateKeyPair(s, &gen, pub, 4, priv, 5, &hpub, &hpriv);
		if (rv != CKR_OK)
			return report(0, "parent C_GenerateKeyPair = 0x%lx", rv), -1;
		rv = fl->C_GetAttributeValue(s, hpub, &pt, 1);
		/* DER OCTET STRING 04 41 around the 65-byte point */
		if (rv != CKR_OK || pt.ulValueLen != 67 || point[0] != 0x04 ||
		    point[1] != 0x41)
			return report(0, "parent CKA_EC_POINT = 0x%lx, %lu bytes", rv,
				      pt.ulValueLen), -1;
		hex(text, point + 2, 65);
		printf("PUB %s %s\n", name, text);
	}
	parent_session = s;
	if (!stay_initialised) {
		rv = fl->C_Finalize(NULL);
		if (rv != CKR_OK)
			return report(0, "parent C_Finalize = 0x%lx", rv), -1;
	}
	return 0;
}

/* ---- what a child does ---- */

/* open_login opens a session on the case's token and logs the user in. */
static CK_SESSION_HANDLE open_login(void)
{
	CK_SESSION_HANDLE s = 0;
	CK_RV rv;

	rv = fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s);
	expect("C_OpenSession", rv, CKR_OK);
	if (rv != CKR_OK)
		return 0;
	rv = fl->C_Login(s, CKU_USER, user_pin, sizeof user_pin - 1);
	expect("C_Login(CKU_USER)", rv, CKR_OK);
	return rv == CKR_OK ? s : 0;
}

/*
 * sign_verify signs 32 random bytes with the token key, verifies the
 * signature through the module (and that a changed one is refused), prints
 * the SIG line and, if out is not NULL, leaves data||signature there.
 */
static int sign_verify(CK_SESSION_HANDLE s, CK_BYTE out[96])
{
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_BYTE data[32], sig[64];
	CK_ULONG siglen = sizeof sig;
	CK_OBJECT_HANDLE priv, pub;
	char dh[65], sh[129];
	CK_RV rv;
	int before = failures;

	rv = fl->C_GenerateRandom(s, data, sizeof data);
	expect("C_GenerateRandom", rv, CKR_OK);
	priv = find_key(s, CKO_PRIVATE_KEY);
	pub = find_key(s, CKO_PUBLIC_KEY);
	report(priv != CK_INVALID_HANDLE && pub != CK_INVALID_HANDLE,
	       "found the parent's token key pair");
	rv = fl->C_SignInit(s, &m, priv);
	expect("C_SignInit(CKM_ECDSA)", rv, CKR_OK);
	rv = fl->C_Sign(s, data, sizeof data, sig, &siglen);
	report(rv == CKR_OK && siglen == 64, "C_Sign = 0x%lx, %lu bytes", rv, siglen);
	rv = fl->C_VerifyInit(s, &m, pub);
	expect("C_VerifyInit", rv, CKR_OK);
	rv = fl->C_Verify(s, data, sizeof data, sig, siglen);
	expect("C_Verify (own signature)", rv, CKR_OK);
	sig[10] ^= 1;
	fl->C_VerifyInit(s, &m, pub);
	rv = fl->C_Verify(s, data, sizeof data, sig, siglen);
	expect("C_Verify (changed signature)", rv, CKR_SIGNATURE_INVALID);
	sig[10] ^= 1;
	hex(dh, data, 32);
	hex(sh, sig, 64);
	printf("SIG %s %s %s\n", case_name, dh, sh);
	fflush(stdout);
	if (out) {
		memcpy(out, data, 32);
		memcpy(out + 32, sig, 64);
	}
	return failures == before ? 0 : -1;
}

static int count_my_helpers(pid_t *p)
{
	pid_t buf[8];
	int n = helpers(getpid(), buf, 8);

	if (p && n > 0)
		*p = buf[0];
	return n;
}

/* ---- waiting for a child ---- */

static int wait_child(pid_t pid, double limit)
{
	double deadline = now() + limit;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
		if (r < 0 && errno != EINTR)
			return -1;
		if (now() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			report(0, "child %d timed out (killed)", (int)pid);
			return -1;
		}
		usleep(2000);
	}
}

/* child_exit ends a child with its number of failures as the status. */
static void child_exit(void)
{
	fflush(stdout);
	_exit(failures > 100 ? 100 : failures);
}

/* ---- the cases ---- */

static int case_libp11(void)
{
	int pfd[2];
	pid_t pid;
	CK_BYTE got[96];

	if (setup("libp11", 1) || pipe(pfd))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CK_BYTE buf[16], out[96];
		CK_SESSION_HANDLE s;
		pid_t h = 0;

		alarm(20);
		set_who("child");
		close(pfd[0]);
		expect("C_Initialize", fl->C_Initialize(NULL),
		       CKR_CRYPTOKI_ALREADY_INITIALIZED);
		report(count_my_helpers(NULL) == 0,
		       "no helper before the first call that needs the token");
		expect("C_GenerateRandom on the parent's session handle",
		       fl->C_GenerateRandom(parent_session, buf, sizeof buf),
		       CKR_SESSION_HANDLE_INVALID);
		report(count_my_helpers(&h) == 1, "one helper, a child of this process (pid %d)", (int)h);
		s = open_login();
		if (s && sign_verify(s, out) == 0) {
			if (write(pfd[1], out, sizeof out) != sizeof out)
				report(0, "write to parent");
		}
		/* nginx's workers exit without C_Finalize */
		child_exit();
	}
	close(pfd[1]);
	report(wait_child(pid, 25) == 0, "child finished cleanly");
	if (read(pfd[0], got, sizeof got) == sizeof got) {
		CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
		CK_OBJECT_HANDLE pub = find_key(parent_session, CKO_PUBLIC_KEY);
		expect("parent C_VerifyInit",
		       fl->C_VerifyInit(parent_session, &m, pub), CKR_OK);
		expect("parent C_Verify of the child's signature",
		       fl->C_Verify(parent_session, got, 32, got + 32, 64), CKR_OK);
	} else {
		report(0, "parent got the child's signature");
	}
	report(helpers_gone(5), "no helper left after the child exited");
	expect("parent C_Finalize", fl->C_Finalize(NULL), CKR_OK);
	return failures;
}

static int case_reinit(void)
{
	pid_t pid;

	if (setup("reinit", 1))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		pid_t h1 = 0, h2 = 0;

		alarm(20);
		set_who("child");
		expect("C_Finalize", fl->C_Finalize(NULL), CKR_OK);
		expect("C_Finalize again", fl->C_Finalize(NULL),
		       CKR_CRYPTOKI_NOT_INITIALIZED);
		expect("C_Initialize", fl->C_Initialize(NULL), CKR_OK);
		report(count_my_helpers(&h1) == 1, "C_Initialize started one helper");
		s = open_login();
		if (s)
			sign_verify(s, NULL);
		expect("C_Finalize", fl->C_Finalize(NULL), CKR_OK);
		report(count_my_helpers(NULL) == 0, "C_Finalize stopped the helper");
		{
			CK_SESSION_HANDLE x;
			expect("C_OpenSession after C_Finalize",
			       fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &x),
			       CKR_CRYPTOKI_NOT_INITIALIZED);
		}
		expect("C_Initialize again", fl->C_Initialize(NULL), CKR_OK);
		report(count_my_helpers(&h2) == 1 && h2 != h1,
		       "a new helper (pid %d, the first was %d)", (int)h2, (int)h1);
		s = open_login();
		if (s)
			sign_verify(s, NULL);
		child_exit();
	}
	report(wait_child(pid, 25) == 0, "child finished cleanly");
	report(helpers_gone(5), "no helper left after the child exited");
	expect("parent C_Finalize", fl->C_Finalize(NULL), CKR_OK);
	return failures;
}

static int case_loadedonly(void)
{
	pid_t pid;

	if (setup("loadedonly", 0))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CK_SESSION_HANDLE s;

		alarm(20);
		set_who("child");
		expect("C_Initialize in the child of an uninitialised parent",
		       fl->C_Initialize(NULL), CKR_OK);
		s = open_login();
		if (s)
			sign_verify(s, NULL);
		expect("C_Finalize", fl->C_Finalize(NULL), CKR_OK);
		child_exit();
	}
	report(wait_child(pid, 25) == 0, "child finished cleanly");
	report(helpers_gone(5), "no helper left after the child exited");
	return failures;
}

static int case_hundred(void)
{
	const int children = 100;
	int ok = 0, i;
	double t0, took;

	if (setup("hundred", 1))
		return 1;
	t0 = now();
	for (i = 0; i < children; i++) {
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0) {
			CK_SESSION_HANDLE s;
			char w[32];

			alarm(20);
			snprintf(w, sizeof w, "child %d", i);
			set_who(w);
			if (fl->C_Initialize(NULL) != CKR_CRYPTOKI_ALREADY_INITIALIZED)
				report(0, "C_Initialize");
			s = open_login();
			if (s)
				sign_verify(s, NULL);
			child_exit();
		}
		ok += wait_child(pid, 25) == 0;
	}
	took = now() - t0;
	report(ok == children, "%d of %d children signed and verified, %.1f ms per child "
	       "(fork, helper start, login, sign, verify, exit)", ok, children,
	       took * 1000 / children);
	report(helpers_gone(5), "no helper left after the children exited");
	expect("parent C_Finalize", fl->C_Finalize(NULL), CKR_OK);
	return failures;
}

static int case_grandchild(void)
{
	pid_t pid;

	if (setup("grandchild", 1))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		pid_t h1 = 0, gc;
		int pfd[2];

		alarm(25);
		set_who("child");
		expect("C_Initialize", fl->C_Initialize(NULL),
		       CKR_CRYPTOKI_ALREADY_INITIALIZED);
		s = open_login();
		if (s)
			sign_verify(s, NULL);
		report(count_my_helpers(&h1) == 1, "the child's helper (pid %d)", (int)h1);
		if (pipe(pfd))
			child_exit();
		fflush(stdout);
		gc = fork();
		if (gc == 0) {
			CK_SESSION_HANDLE gs;
			pid_t h2 = 0;

			alarm(20);
			set_who("grandchild");
			close(pfd[0]);
			expect("C_Initialize", fl->C_Initialize(NULL),
			       CKR_CRYPTOKI_ALREADY_INITIALIZED);
			gs = open_login();
			if (gs)
				sign_verify(gs, NULL);
			report(count_my_helpers(&h2) == 1 && h2 != h1,
			       "a helper of its own (pid %d)", (int)h2);
			if (write(pfd[1], &h2, sizeof h2) != sizeof h2)
				report(0, "write to child");
			child_exit();
		}
		close(pfd[1]);
		report(wait_child(gc, 20) == 0, "grandchild finished cleanly");
		{
			pid_t h2 = 0;
			double deadline = now() + 5;
			if (read(pfd[0], &h2, sizeof h2) != sizeof h2)
				report(0, "read the grandchild's helper pid");
			while (h2 > 0 && kill(h2, 0) == 0 && now() < deadline) {
				char p[64], st = 0;
				FILE *f;
				snprintf(p, sizeof p, "/proc/%d/stat", (int)h2);
				f = fopen(p, "r");
				if (f) {
					if (fscanf(f, "%*d (%*[^)]) %c", &st) != 1)
						st = 0;
					fclose(f);
				}
				if (st == 'Z')
					break;
				usleep(10000);
			}
			report(h2 > 0 && now() < deadline,
			       "the grandchild's helper (pid %d) exited with it", (int)h2);
		}
		report(count_my_helpers(NULL) == 1, "the child's helper still runs");
		if (s)
			sign_verify(s, NULL); /* the child's session still works */
		child_exit();
	}
	report(wait_child(pid, 30) == 0, "child finished cleanly");
	report(helpers_gone(5), "no helper left after the children exited");
	expect("parent C_Finalize", fl->C_Finalize(NULL), CKR_OK);
	return failures;
}

static pthread_barrier_t barrier;
static CK_RV thread_rv[4];
static CK_SESSION_HANDLE thread_session[4];

static void *first_call(void *arg)
{
	long i = (long)arg;

	pthread_barrier_wait(&barrier);
	thread_rv[i] = fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL,
					 &thread_session[i]);
	return NULL;
}

static int case_threads(void)
{
	pid_t pid;

	if (setup("threads", 1))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		pthread_t th[4];
		long i;

		alarm(20);
		set_who("child");
		pthread_barrier_init(&barrier, NULL, 4);
		for (i = 0; i < 4; i++)
			pthread_create(&th[i], NULL, first_call, (void *)i);
		for (i = 0; i < 4; i++)
			pthread_join(th[i], NULL);
		for (i = 0; i < 4; i++)
			expect("C_OpenSession from a thread", thread_rv[i], CKR_OK);
		report(count_my_helpers(NULL) == 1, "one helper for four threads");
		if (thread_rv[0] == CKR_OK &&
		    fl->C_Login(thread_session[0], CKU_USER, user_pin,
				sizeof user_pin - 1) == CKR_OK)
			sign_verify(thread_session[3], NULL);
		else
			report(0, "C_Login");
		child_exit();
	}
	report(wait_child(pid, 25) == 0, "child finished cleanly");
	report(helpers_gone(5), "no helper left after the child exited");
	expect("parent C_Finalize", fl->C_Finalize(NULL), CKR_OK);
	return failures;
}

static int case_noclient(void)
{
	int epipe[2];
	pid_t pid;
	char err[4096] = "";
	ssize_t n;

	if (setup("noclient", 1) || pipe(epipe))
		return 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		double t0;

		alarm(10);
		set_who("child");
		close(epipe[0]);
		dup2(epipe[1], 2);
		setenv("KAGI_P11KIT_CLIENT", "/nonexistent/p11-kit-client.so", 1);
		t0 = now();
		expect("C_OpenSession without p11-kit-client.so",
		       fl->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s),
		       CKR_GENERAL_ERROR);
		expect("C_GetSlotList without p11-kit-client.so",
		       fl->C_GetSlotList(0, NULL, &(CK_ULONG){0}), CKR_GENERAL_ERROR);
		report(now() - t0 < 1, "answered in %.3fs", now() - t0);
		report(count_my_helpers(NULL) == 0, "no helper");
		expect("C_Finalize", fl->C_Finalize(NULL), CKR_OK);
		child_exit();
	}
	close(epipe[1]);
	report(wait_child(pid, 15) == 0, "child finished cleanly");
	n = read(epipe[0], err, sizeof err - 1);
	err[n > 0 ? n : 0] = 0;
	printf("     child stderr: %s", err);
	report(strstr(err, "fork") && strstr(err, "p11-kit-modules") &&
		       strstr(err, "/nonexistent/p11-kit-client.so"),
	       "the message says fork, names the missing file and the packages");
	expect("parent C_Finalize", fl->C_Finalize(NULL), CKR_OK);
	return failures;
}

/* sign_rate signs for about secs seconds and returns signatures/s. */
static double sign_rate(CK_SESSION_HANDLE s, double secs)
{
	CK_MECHANISM m = {CKM_ECDSA, NULL, 0};
	CK_OBJECT_HANDLE priv = find_key(s, CKO_PRIVATE_KEY);
	CK_BYTE data[32] = {1}, sig[64];
	double t0 = now(), t;
	long n = 0;

	do {
		CK_ULONG len = sizeof sig;
		if (fl->C_SignInit(s, &m, priv) != CKR_OK ||
		    fl->C_Sign(s, data, sizeof data, sig, &len) != CKR_OK)
			return -1;
		n++;
		t = now() - t0;
	} while (t < secs);
	return n / t;
}

static int case_perf(void)
{
	int pfd[2];
	double parent_rate, child_rate = -1;
	pid_t pid;

	if (setup("perf", 1) || pipe(pfd))
		return 1;
	parent_rate = sign_rate(parent_session, 1.0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CK_SESSION_HANDLE s;
		double r = -1;

		alarm(20);
		set_who("child");
		close(pfd[0]);
		fl->C_Initialize(NULL);
		s = open_login();
		if (s)
			r = sign_rate(s, 1.0);
		if (write(pfd[1], &r, sizeof r) != sizeof r)
			report(0, "write to parent");
		child_exit();
	}
	close(pfd[1]);
	report(wait_child(pid, 25) == 0, "child finished cleanly");
	if (read(pfd[0], &child_rate, sizeof child_rate) != sizeof child_rate)
		child_rate = -1;
	report(parent_rate > 0 && child_rate > 0,
	       "ECDSA P-256 (CKM_ECDSA) signatures/s, one thread: parent %.0f, "
	       "fork child through the helper %.0f (%.2fx)", parent_rate,
	       child_rate, child_rate / parent_rate);
	printf("PERF parent %.0f child %.0f\n", parent_rate, child_rate);
	report(helpers_gone(5), "no helper left after the child exited");
	expect("parent C_Finalize", fl->C_Finalize(NULL), CKR_OK);
	return failures;
}

/* ---- the supervisor ---- */

static const struct {
	const char *name;
	int (*run)(void);
} cases[] = {
	{"libp11: C_Initialize says ALREADY_INITIALIZED, then the child works", case_libp11},
	{"reinit: C_Finalize + C_Initialize in the child", case_reinit},
	{"loadedonly: the child of a parent that only loaded the module", case_loadedonly},
	{"hundred: 100 children in a row", case_hundred},
	{"grandchild: a child's child has a helper of its own", case_grandchild},
	{"threads: four threads make a child's first calls at once", case_threads},
	{"noclient: p11-kit-client.so missing", case_noclient},
	{"perf: signatures per second, parent and child", case_perf},
};

#define NCASES (sizeof cases / sizeof cases[0])

int main(int argc, char **argv)
{
	pid_t pids[NCASES];
	int total = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr, "usage: %s MODULE WORKDIR\n", argv[0]);
		return 2;
	}
	module_path = argv[1];
	workdir = argv[2];
	unsetenv("KAGI_CONF");
	/*
	 * The cases run in parallel, each in its own process (forked before
	 * the module is loaded) on its own database; perf runs last, alone.
	 */
	for (i = 0; i < NCASES; i++) {
		int last = i == NCASES - 1;

		if (last) {
			for (size_t j = 0; j < i; j++) {
				int st;
				waitpid(pids[j], &st, 0);
				if (!WIFEXITED(st) || WEXITSTATUS(st)) {
					printf("FAIL case %s\n", cases[j].name);
					total++;
				}
			}
		}
		fflush(stdout);
		pids[i] = fork();
		if (pids[i] == 0) {
			char w[64];
			snprintf(w, sizeof w, "[%.*s] ", (int)strcspn(cases[i].name, ":"),
				 cases[i].name);
			who = strdup(w);
			printf("=== %s\n", cases[i].name);
			alarm(80);
			_exit(cases[i].run() > 0 ? 1 : 0);
		}
	}
	{
		int st;
		waitpid(pids[NCASES - 1], &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("FAIL case %s\n", cases[NCASES - 1].name);
			total++;
		}
	}
	printf(total ? "FAIL: %d case(s) failed\n" : "PASS\n", total);
	return total ? 1 : 0;
}

//go:build ignore

/* hostsignals_test.c: the host's asynchronous signals reach the host's own
 * threads, never the Go runtime's threads in libkagi.so.
 *
 * A pre-forking server (nginx's master) blocks SIGCHLD, SIGHUP, SIGQUIT and
 * the like while it works and takes them in sigsuspend(). A process-directed
 * signal goes to some thread that does not block it; if the Go runtime's
 * threads left these unblocked, the host's handler would run on one of them
 * while the main thread sleeps in sigsuspend() and never wakes: nginx's
 * master then misses its workers' exit and hangs at quit.
 *
 * SIGCHLD and SIGPROF are not checked: the Go runtime unblocks them on every
 * thread it starts (runtime/sigtab_linux_generic.go, _SigUnblock; minit),
 * whatever mask the thread was created with, so kagi cannot keep them off
 * its threads. README's Fork section says what that means for nginx.
 *
 * Usage: hostsignals_test MODULE WORKDIR. Prints "ok ..." / "FAIL ..." lines
 * and exits non-zero if any check failed. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "pkcs11.h"

static volatile sig_atomic_t handled_on; /* tid of the thread that ran the handler */
static volatile sig_atomic_t handled_sig;
static int failures;

static void handler(int sig)
{
	handled_sig = sig;
	handled_on = (sig_atomic_t)syscall(SYS_gettid);
}

static void check(int ok, const char *what)
{
	printf("%s %s\n", ok ? "ok  " : "FAIL", what);
	if (!ok)
		failures++;
}

/* take sends sig to the process (kill, process-directed) while the main
 * thread blocks it, gives the kernel time to deliver it to any thread that
 * does not block it, and then takes it in sigsuspend(). It reports whether
 * the handler ran on the main thread, and only there. */
static int take(int sig)
{
	sigset_t block, wait;
	struct timespec pause = {0, 200 * 1000 * 1000};

	handled_on = 0;
	handled_sig = 0;
	sigemptyset(&block);
	sigaddset(&block, sig);
	pthread_sigmask(SIG_BLOCK, &block, &wait);
	sigdelset(&wait, sig);
	kill(getpid(), sig);
	nanosleep(&pause, NULL);
	if (handled_on != 0) {
		/* Another thread took it while the main thread blocked it. */
		pthread_sigmask(SIG_UNBLOCK, &block, NULL);
		return 0;
	}
	while (handled_sig == 0)
		sigsuspend(&wait);
	pthread_sigmask(SIG_UNBLOCK, &block, NULL);
	return handled_on == (sig_atomic_t)getpid();
}

int main(int argc, char **argv)
{
	static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM, SIGWINCH, SIGIO};
	static const char *names[] = {"SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGWINCH", "SIGIO"};
	CK_RV (*get_list)(CK_FUNCTION_LIST_PTR_PTR);
	CK_FUNCTION_LIST_PTR f;
	CK_INFO info;
	struct sigaction sa;
	char db[4096], what[128];
	void *mod;
	int i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s MODULE WORKDIR\n", argv[0]);
		return 2;
	}
	snprintf(db, sizeof db, "%s/kagi.db", argv[2]);
	setenv("KAGI_DB", db, 1);
	setvbuf(stdout, NULL, _IOLBF, 0);

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < (int)(sizeof sigs / sizeof sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);

	mod = dlopen(argv[1], RTLD_NOW);
	if (mod == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	get_list = (CK_RV(*)(CK_FUNCTION_LIST_PTR_PTR))dlsym(mod, "C_GetFunctionList");
	if (get_list == NULL || get_list(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK) {
		fprintf(stderr, "cannot initialise the module\n");
		return 2;
	}
	/* A few calls, so the Go runtime has started its threads. */
	for (i = 0; i < 100; i++)
		f->C_GetInfo(&info);

	for (i = 0; i < (int)(sizeof sigs / sizeof sigs[0]); i++) {
		snprintf(what, sizeof what, "kill(%s) runs the host's handler on its main thread", names[i]);
		check(take(sigs[i]), what);
	}
	check(f->C_GetInfo(&info) == CKR_OK, "the module still answers");
	f->C_Finalize(NULL);
	printf("%d failed\n", failures);
	return failures != 0;
}

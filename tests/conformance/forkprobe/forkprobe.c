//go:build ignore

/*
 * forkprobe.c — the conformance suite's Fork area (SoftHSMv2's ForkTests):
 * can a child of a process that initialised the module use it?
 *
 * Usage: forkprobe MODULE TOKEN_LABEL USER_PIN KEY_LABEL MODE
 *
 * The parent loads MODULE with dlopen, calls C_Initialize (not in MODE
 * "noinit"), finds the slot of TOKEN_LABEL and forks. The child then does
 * what a client does after fork:
 *   libp11  C_Initialize (libp11 takes CKR_CRYPTOKI_ALREADY_INITIALIZED as
 *           success) and carries on;
 *   reinit  C_Finalize, then C_Initialize;
 *   noinit  C_Initialize (the parent never initialised the module);
 * then C_OpenSession on the parent's slot id, C_Login, finds the private key
 * KEY_LABEL and signs 32 bytes with CKM_ECDSA, and C_Finalize. The parent
 * waits for it, then signs too. Every result is a line the Go test parses:
 *   RV <step> <hex CK_RV>
 *   SIG <who> <hex data> <hex signature>
 *   EXIT <status>
 * The Go test (fork_test.go) checks the codes and verifies the signatures.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pkcs11.h"

static CK_FUNCTION_LIST *f;

static void rv(const char *step, CK_RV r)
{
	printf("RV %s 0x%lx\n", step, (unsigned long)r);
	fflush(stdout);
}

static void hex(const CK_BYTE *b, CK_ULONG n)
{
	for (CK_ULONG i = 0; i < n; i++)
		printf("%02x", b[i]);
}

static CK_SLOT_ID find_slot(const char *label)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return (CK_SLOT_ID)-1;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		if (f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;
		char l[33];
		memcpy(l, ti.label, 32);
		l[32] = 0;
		for (int j = 31; j >= 0 && l[j] == ' '; j--)
			l[j] = 0;
		if (strcmp(l, label) == 0)
			return slots[i];
	}
	return (CK_SLOT_ID)-1;
}

/* use opens a session on slot, logs in, signs with the key; prefix names
 * the steps. It returns 0 when everything worked. */
static int use(const char *who, CK_SLOT_ID slot, const char *pin, const char *key)
{
	char step[64];
	CK_SESSION_HANDLE sh;
	CK_RV r;
#define STEP(s) (snprintf(step, sizeof step, "%s_%s", who, s), step)
	r = f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &sh);
	rv(STEP("open_session"), r);
	if (r != CKR_OK)
		return 1;
	r = f->C_Login(sh, CKU_USER, (CK_BYTE *)pin, strlen(pin));
	rv(STEP("login"), r);
	if (r != CKR_OK && r != CKR_USER_ALREADY_LOGGED_IN)
		return 1;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls },
		{ CKA_LABEL, (void *)key, strlen(key) },
	};
	CK_OBJECT_HANDLE k = 0;
	CK_ULONG found = 0;
	r = f->C_FindObjectsInit(sh, t, 2);
	if (r == CKR_OK)
		r = f->C_FindObjects(sh, &k, 1, &found);
	f->C_FindObjectsFinal(sh);
	rv(STEP("find_key"), r == CKR_OK && found != 1 ? CKR_OBJECT_HANDLE_INVALID : r);
	if (r != CKR_OK || found != 1)
		return 1;
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	r = f->C_SignInit(sh, &m, k);
	rv(STEP("sign_init"), r);
	if (r != CKR_OK)
		return 1;
	CK_BYTE data[32], sig[128];
	CK_ULONG sl = sizeof sig;
	for (int i = 0; i < 32; i++)
		data[i] = (CK_BYTE)(i * 7 + getpid());
	r = f->C_Sign(sh, data, sizeof data, sig, &sl);
	rv(STEP("sign"), r);
	if (r != CKR_OK)
		return 1;
	printf("SIG %s ", who);
	hex(data, sizeof data);
	printf(" ");
	hex(sig, sl);
	printf("\n");
	fflush(stdout);
	r = f->C_CloseSession(sh);
	rv(STEP("close_session"), r);
	return 0;
#undef STEP
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: forkprobe MODULE TOKEN_LABEL USER_PIN KEY_LABEL libp11|reinit|noinit\n");
		return 2;
	}
	const char *mode = argv[5];
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 2;
	}
	CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(h, "C_GetFunctionList");
	if (!get || get(&f) != CKR_OK) {
		fprintf(stderr, "C_GetFunctionList failed\n");
		return 2;
	}
	CK_SLOT_ID slot = (CK_SLOT_ID)-1;
	int init = strcmp(mode, "noinit") != 0;
	if (init) {
		rv("parent_initialize", f->C_Initialize(NULL));
		slot = find_slot(argv[2]);
		rv("parent_find_slot", slot == (CK_SLOT_ID)-1 ? CKR_SLOT_ID_INVALID : CKR_OK);
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		alarm(20); /* a hang is a failure, never a stuck test */
		if (strcmp(mode, "reinit") == 0)
			rv("child_finalize", f->C_Finalize(NULL));
		rv("child_initialize", f->C_Initialize(NULL));
		if (!init)
			slot = find_slot(argv[2]);
		use("child", slot, argv[3], argv[4]);
		rv("child_final_finalize", f->C_Finalize(NULL));
		fflush(stdout);
		_exit(0);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	printf("EXIT %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	fflush(stdout);
	if (init) {
		use("parent", slot, argv[3], argv[4]);
		rv("parent_finalize", f->C_Finalize(NULL));
	}
	return 0;
}

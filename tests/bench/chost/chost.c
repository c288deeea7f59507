/*
 * chost: ECDSA P-256 signing throughput of a PKCS#11 module from a plain C
 * host with 1 and 2 POSIX threads, one session each.
 *
 * The Go benchmark (../main.go) drives modules through miekg/pkcs11, so its
 * two-thread figures include the Go host's own cgo scheduling; this program
 * shows what the module itself does with threads. Run by ./build.sh bench:
 *
 *   chost MODULE [SECONDS]
 *
 * The module's configuration comes from the environment (KAGI_DB,
 * SOFTHSM2_CONF); the first slot's token is initialised.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../../pkcs11.h"

static CK_FUNCTION_LIST_PTR p11;
static CK_SLOT_ID slot;
static CK_OBJECT_HANDLE key;
static volatile int stop;

#define MUST(call)                                                     \
	do {                                                               \
		CK_RV rv_ = (call);                                            \
		if (rv_ != CKR_OK) {                                           \
			fprintf(stderr, "chost: %s: 0x%lx\n", #call, rv_);         \
			exit(1);                                                   \
		}                                                              \
	} while (0)

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* signer counts C_SignInit + C_Sign pairs on its own session until stop. */
static void *signer(void *arg)
{
	long *done = arg;
	CK_SESSION_HANDLE s;
	CK_MECHANISM ecdsa = {CKM_ECDSA, NULL, 0};
	unsigned char digest[32] = {1}, sig[132];
	CK_ULONG n;

	MUST(p11->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s));
	while (!stop) {
		MUST(p11->C_SignInit(s, &ecdsa, key));
		n = sizeof sig;
		MUST(p11->C_Sign(s, digest, sizeof digest, sig, &n));
		(*done)++;
	}
	return NULL;
}

/* setup initialises a token, logs the user in and makes a P-256 key pair. */
static void setup(void)
{
	CK_C_INITIALIZE_ARGS args;
	CK_SLOT_ID slots[16];
	CK_ULONG count = 16;
	CK_UTF8CHAR label[32];
	CK_TOKEN_INFO info;
	CK_SESSION_HANDLE s;
	CK_BBOOL yes = CK_TRUE;
	unsigned char p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	CK_ATTRIBUTE pub[] = {{CKA_EC_PARAMS, p256, sizeof p256}, {CKA_VERIFY, &yes, 1}};
	CK_ATTRIBUTE priv[] = {{CKA_SIGN, &yes, 1}};
	CK_MECHANISM gen = {CKM_EC_KEY_PAIR_GEN, NULL, 0};
	CK_OBJECT_HANDLE pubkey;

	memset(&args, 0, sizeof args);
	args.flags = CKF_OS_LOCKING_OK;
	MUST(p11->C_Initialize(&args));
	MUST(p11->C_GetSlotList(CK_TRUE, slots, &count));
	memset(label, ' ', sizeof label);
	memcpy(label, "chost", 5);
	MUST(p11->C_InitToken(slots[0], (CK_UTF8CHAR_PTR) "so-pin-1", 8, label));
	/* SoftHSMv2 moves an initialised token to a new slot: find it by label. */
	count = 16;
	MUST(p11->C_GetSlotList(CK_TRUE, slots, &count));
	for (CK_ULONG i = 0; i < count; i++) {
		MUST(p11->C_GetTokenInfo(slots[i], &info));
		if (memcmp(info.label, label, sizeof label) == 0)
			slot = slots[i];
	}
	MUST(p11->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s));
	MUST(p11->C_Login(s, CKU_SO, (CK_UTF8CHAR_PTR) "so-pin-1", 8));
	MUST(p11->C_InitPIN(s, (CK_UTF8CHAR_PTR) "user-pin", 8));
	MUST(p11->C_Logout(s));
	MUST(p11->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR) "user-pin", 8));
	MUST(p11->C_GenerateKeyPair(s, &gen, pub, 2, priv, 1, &pubkey, &key));
}

int main(int argc, char **argv)
{
	void *lib;
	CK_C_GetFunctionList get;
	double secs = argc > 2 ? atof(argv[2]) : 2.0;

	if (argc < 2) {
		fprintf(stderr, "usage: chost MODULE [SECONDS]\n");
		return 2;
	}
	if ((lib = dlopen(argv[1], RTLD_NOW)) == NULL) {
		fprintf(stderr, "chost: %s\n", dlerror());
		return 1;
	}
	get = (CK_C_GetFunctionList) dlsym(lib, "C_GetFunctionList");
	if (get == NULL || get(&p11) != CKR_OK) {
		fprintf(stderr, "chost: no C_GetFunctionList in %s\n", argv[1]);
		return 1;
	}
	setup();
	for (int threads = 1; threads <= 2; threads++) {
		pthread_t tid[2];
		long done[2] = {0, 0};
		struct timespec wait = {(time_t) secs, (long) ((secs - (time_t) secs) * 1e9)};
		double start = seconds();

		stop = 0;
		for (int i = 0; i < threads; i++)
			pthread_create(&tid[i], NULL, signer, &done[i]);
		nanosleep(&wait, NULL);
		stop = 1;
		for (int i = 0; i < threads; i++)
			pthread_join(tid[i], NULL);
		printf("%-40s ECDSA P-256 sign, %d thread(s): %8.0f ops/s\n", argv[1], threads,
		       (done[0] + done[1]) / (seconds() - start));
	}
	MUST(p11->C_Finalize(NULL));
	return 0;
}

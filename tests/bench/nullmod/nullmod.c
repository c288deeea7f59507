/*
 * nullmod: a PKCS#11 module that does no cryptography, the bench's
 * "client floor".
 *
 * The bench (../main.go) drives every module through miekg/pkcs11: cgo
 * calls, C allocations and Go copies, the two-call length convention. This
 * module answers the calls the bench's crypto cases make as fast as a module
 * can: it checks its arguments minimally and produces output of the LENGTH
 * the real mechanism would (the input copied, or zeros), so that measuring
 * the bench's own workers against it gives the best rate any module can
 * reach through that client path. It is information, never a result: its
 * outputs are not signatures or ciphertexts.
 *
 * Built by the bench into its temporary directory:
 *
 *   cc -O2 -shared -fPIC -fvisibility=hidden -pthread -o libnullmod.so nullmod.c
 *
 * Only C_GetFunctionList is exported; the table it returns is complete, with
 * CKR_FUNCTION_NOT_SUPPORTED for what the bench does not use.
 *
 * What it keeps:
 *  - one slot (id 1) whose token C_InitToken initialises, the SO and user
 *    PINs, the login state, as a token does;
 *  - per object handle, what its template said that fixes output lengths:
 *    class, key type, CKA_VALUE length (secret keys), modulus length (RSA),
 *    curve (CKA_EC_PARAMS: P-256, P-384, P-521, Ed25519, Ed448), label;
 *  - per session, the active operations (Init ... one-shot or Update/Final)
 *    with the PKCS#11 rules of when they end.
 * Keys made by C_UnwrapKey and C_DeriveKey are not stored: their handle
 * encodes what they are (flag, key type, length, session, counter), so that
 * the bench can make a key per operation for as long as it measures.
 *
 * Output lengths: signatures from the key (RSA: modulus bytes; ECDSA:
 * 2 x field bytes; EdDSA: 64 or 114), HMAC from the hash; AES-GCM input + tag
 * on encryption, input - tag on decryption; ECB, CBC and CBC-PAD parts in
 * whole blocks (CBC-PAD decryption holds back the last block and reports the
 * padding as a whole block); digests from the hash; AES key wrap (RFC 3394,
 * RFC 5649) 8 bytes over the key rounded up to 8. RSA decryption cannot
 * know its plaintext's length without decrypting: it gives
 * NULLMOD_RSA_PLAIN_LEN bytes, the AES-256 key the bench's OAEP ciphertext
 * holds.
 *
 * Concurrency: sessions and objects are set up under one mutex; an operation
 * touches only its own session (padded to a cache line) and reads objects
 * published with release stores, so threads on their own sessions never
 * contend, as they should not in the best module.
 */
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "../../../pkcs11.h"

#define NL_EXPORT __attribute__((visibility("default")))

#define NL_SLOT 1UL
#define NL_MAX_SESSIONS 4096UL
#define NL_MAX_OBJECTS 65536UL
#define NL_MAX_PIN 64
#define NL_MAX_LABEL 64

/* The plaintext length of RSA decryption: an AES-256 key (the bench's
 * oaepPlain). */
#define NULLMOD_RSA_PLAIN_LEN 32UL

/* Handles of unwrapped and derived keys: bit 62 set; key type code in bits
 * 56-61, session index in 44-55, CKA_VALUE length in 32-43, a per-session
 * counter in 0-31. */
#define DYN_FLAG (1UL << 62)

/* ------------------------------------------------------------------------
 * State
 * ------------------------------------------------------------------------ */

/* key is what an object's template said that output lengths depend on. */
struct key {
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE type;       /* CK_UNAVAILABLE_INFORMATION: not a key */
	CK_ULONG value_len;     /* secret keys: bytes of CKA_VALUE */
	CK_ULONG size;          /* RSA: modulus bytes; EC: field bytes; EdDSA: signature bytes */
};

struct object {
	int live; /* published with a release store once the rest is set */
	struct key k;
	CK_ULONG label_len;
	CK_BYTE label[NL_MAX_LABEL];
};

struct op {
	int active;
	CK_MECHANISM_TYPE mech;
	CK_ULONG len;           /* signature, digest or tag length; RSA size */
	CK_ULONG buffered;      /* block modes: bytes held over between parts */
};

struct find {
	int active, matches_nothing;
	int has_class, has_type, has_label;
	CK_OBJECT_CLASS cls;
	CK_KEY_TYPE type;
	CK_ULONG label_len;
	CK_BYTE label[NL_MAX_LABEL];
	CK_ULONG next; /* object index to look at next */
};

struct session {
	int open; /* published with a release store */
	CK_FLAGS flags;
	CK_ULONG next_key; /* counter of unwrapped and derived keys */
	struct op enc, dec, sign, verify, digest;
	struct find find;
} __attribute__((aligned(64)));

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static int token_initialized;
static CK_UTF8CHAR token_label[32];
static CK_BYTE so_pin[NL_MAX_PIN], user_pin[NL_MAX_PIN];
static CK_ULONG so_pin_len, user_pin_len; /* user_pin_len 0: not set */
static CK_USER_TYPE logged_in = CK_UNAVAILABLE_INFORMATION;
static CK_ULONG session_count, rw_session_count;

static struct session sessions[NL_MAX_SESSIONS];
static struct object objects[NL_MAX_OBJECTS]; /* handle = index + 1 */
static CK_ULONG object_count; /* high-water mark of the table */

static int is_init(void) { return __atomic_load_n(&initialized, __ATOMIC_ACQUIRE); }

#define MUST_INIT()                                                    \
	do {                                                               \
		if (!is_init())                                                \
			return CKR_CRYPTOKI_NOT_INITIALIZED;                       \
	} while (0)

static struct session *get_session(CK_SESSION_HANDLE h)
{
	struct session *s;
	if (h == 0 || h > NL_MAX_SESSIONS)
		return NULL;
	s = &sessions[h - 1];
	return __atomic_load_n(&s->open, __ATOMIC_ACQUIRE) ? s : NULL;
}

#define SESSION(var, h)                                                \
	struct session *var;                                               \
	MUST_INIT();                                                       \
	if ((var = get_session(h)) == NULL)                                \
		return CKR_SESSION_HANDLE_INVALID

/* Key type codes of unwrapped and derived keys' handles. */
static const CK_KEY_TYPE dyn_types[] = {CKK_GENERIC_SECRET, CKK_AES};

static CK_OBJECT_HANDLE dyn_handle(struct session *s, CK_KEY_TYPE type, CK_ULONG value_len)
{
	CK_ULONG code = type == CKK_AES ? 1 : 0;
	CK_ULONG idx = (CK_ULONG)(s - sessions);
	CK_ULONG n = ++s->next_key & 0xffffffffUL;
	return DYN_FLAG | code << 56 | idx << 44 | (value_len & 0xfff) << 32 | n;
}

/* get_key fills k with what handle h is; 0 if it is no object. */
static int get_key(CK_OBJECT_HANDLE h, struct key *k)
{
	if (h & DYN_FLAG) {
		CK_ULONG code = (h >> 56) & 0x3f;
		if (code >= sizeof dyn_types / sizeof dyn_types[0] || ((h >> 44) & 0xfff) >= NL_MAX_SESSIONS)
			return 0;
		k->cls = CKO_SECRET_KEY;
		k->type = dyn_types[code];
		k->value_len = (h >> 32) & 0xfff;
		k->size = 0;
		return 1;
	}
	if (h == 0 || h > NL_MAX_OBJECTS || !__atomic_load_n(&objects[h - 1].live, __ATOMIC_ACQUIRE))
		return 0;
	*k = objects[h - 1].k;
	return 1;
}

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

static void pad(CK_UTF8CHAR *dst, size_t n, const char *src)
{
	size_t l = strlen(src);
	memset(dst, ' ', n);
	memcpy(dst, src, l < n ? l : n);
}

/* put applies the length convention: no buffer gives the length; a short
 * buffer CKR_BUFFER_TOO_SMALL and the length; otherwise n bytes are written,
 * the first from src (up to srclen), the rest zeros. */
static CK_RV put(CK_BYTE_PTR out, CK_ULONG_PTR outlen, CK_ULONG n, const CK_BYTE *src, CK_ULONG srclen)
{
	if (outlen == NULL)
		return CKR_ARGUMENTS_BAD;
	if (out == NULL) {
		*outlen = n;
		return CKR_OK;
	}
	if (*outlen < n) {
		*outlen = n;
		return CKR_BUFFER_TOO_SMALL;
	}
	if (srclen > n)
		srclen = n;
	if (src != NULL && srclen > 0)
		memmove(out, src, srclen);
	else
		srclen = 0;
	memset(out + srclen, 0, n - srclen);
	*outlen = n;
	return CKR_OK;
}

/* ends reports whether a call that gave rv with output buffer out ends its
 * operation: all do but a length query and CKR_BUFFER_TOO_SMALL. */
static int ends(CK_RV rv, CK_BYTE_PTR out)
{
	return !(rv == CKR_BUFFER_TOO_SMALL || (rv == CKR_OK && out == NULL));
}

/* delivered reports whether the call wrote its output. */
static int delivered(CK_RV rv, CK_BYTE_PTR out) { return rv == CKR_OK && out != NULL; }

static const CK_ATTRIBUTE *find_attr(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type)
{
	for (CK_ULONG i = 0; i < n; i++)
		if (t[i].type == type)
			return &t[i];
	return NULL;
}

/* attr_ulong reads a CK_ULONG attribute; 0 if absent, -1 if malformed. */
static int attr_ulong(const CK_ATTRIBUTE *t, CK_ULONG n, CK_ATTRIBUTE_TYPE type, CK_ULONG *v)
{
	const CK_ATTRIBUTE *a = find_attr(t, n, type);
	if (a == NULL)
		return 0;
	if (a->pValue == NULL || a->ulValueLen != sizeof(CK_ULONG))
		return -1;
	memcpy(v, a->pValue, sizeof *v);
	return 1;
}

static int template_ok(const CK_ATTRIBUTE *t, CK_ULONG n)
{
	return n == 0 || t != NULL;
}

/* curve gives the field bytes of an EC curve (or the signature bytes of an
 * Edwards curve) from CKA_EC_PARAMS; 0 if unknown. */
static CK_ULONG curve(const CK_ATTRIBUTE *a, int edwards)
{
	static const CK_BYTE p256[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
	static const CK_BYTE p384[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22};
	static const CK_BYTE p521[] = {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23};
	static const CK_BYTE ed25519[] = {0x06, 0x03, 0x2b, 0x65, 0x70};
	static const CK_BYTE ed448[] = {0x06, 0x03, 0x2b, 0x65, 0x71};
	static const struct {
		const CK_BYTE *oid;
		CK_ULONG len, size;
		int edwards;
	} known[] = {
		{p256, sizeof p256, 32, 0}, {p384, sizeof p384, 48, 0}, {p521, sizeof p521, 66, 0},
		{ed25519, sizeof ed25519, 64, 1}, {ed448, sizeof ed448, 114, 1},
	};
	if (a == NULL || a->pValue == NULL)
		return 0;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (known[i].edwards == edwards && a->ulValueLen == known[i].len &&
		    memcmp(a->pValue, known[i].oid, known[i].len) == 0)
			return known[i].size;
	return 0;
}

/* add_object records k with the template's label and returns its handle
 * in *h. */
static CK_RV add_object(const struct key *k, const CK_ATTRIBUTE *t, CK_ULONG n, CK_OBJECT_HANDLE_PTR h)
{
	const CK_ATTRIBUTE *label = find_attr(t, n, CKA_LABEL);
	struct object *o = NULL;
	CK_ULONG i;

	if (label != NULL && (label->ulValueLen > NL_MAX_LABEL || (label->pValue == NULL && label->ulValueLen > 0)))
		return CKR_ATTRIBUTE_VALUE_INVALID;
	pthread_mutex_lock(&mu);
	for (i = 0; i < object_count; i++)
		if (!objects[i].live) {
			o = &objects[i];
			break;
		}
	if (o == NULL && object_count < NL_MAX_OBJECTS) {
		o = &objects[i = object_count];
		__atomic_store_n(&object_count, object_count + 1, __ATOMIC_RELEASE);
	}
	if (o == NULL) {
		pthread_mutex_unlock(&mu);
		return CKR_DEVICE_MEMORY;
	}
	o->k = *k;
	o->label_len = label != NULL ? label->ulValueLen : 0;
	if (o->label_len > 0)
		memcpy(o->label, label->pValue, o->label_len);
	__atomic_store_n(&o->live, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mu);
	*h = i + 1;
	return CKR_OK;
}

/* ------------------------------------------------------------------------
 * General, slot and token functions
 * ------------------------------------------------------------------------ */

static CK_RV nl_Initialize(CK_VOID_PTR pInitArgs)
{
	CK_RV rv = CKR_OK;
	if (pInitArgs != NULL) {
		CK_C_INITIALIZE_ARGS *a = pInitArgs;
		int set = (a->CreateMutex != NULL) + (a->DestroyMutex != NULL) + (a->LockMutex != NULL) +
			  (a->UnlockMutex != NULL);
		if ((set != 0 && set != 4) || a->pReserved != NULL)
			return CKR_ARGUMENTS_BAD;
		if (set == 4 && !(a->flags & CKF_OS_LOCKING_OK))
			return CKR_CANT_LOCK;
	}
	pthread_mutex_lock(&mu);
	if (initialized)
		rv = CKR_CRYPTOKI_ALREADY_INITIALIZED;
	else
		__atomic_store_n(&initialized, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mu);
	return rv;
}

static CK_RV nl_Finalize(CK_VOID_PTR pReserved)
{
	if (pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&mu);
	if (!initialized) {
		pthread_mutex_unlock(&mu);
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	for (CK_ULONG i = 0; i < NL_MAX_SESSIONS; i++)
		__atomic_store_n(&sessions[i].open, 0, __ATOMIC_RELEASE);
	session_count = rw_session_count = 0;
	logged_in = CK_UNAVAILABLE_INFORMATION;
	__atomic_store_n(&initialized, 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mu);
	return CKR_OK;
}

static CK_RV nl_GetInfo(CK_INFO_PTR p)
{
	MUST_INIT();
	if (p == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(p, 0, sizeof *p);
	p->cryptokiVersion = (CK_VERSION){3, 0};
	pad(p->manufacturerID, sizeof p->manufacturerID, "kagi bench");
	pad(p->libraryDescription, sizeof p->libraryDescription, "null module: no cryptography");
	p->libraryVersion = (CK_VERSION){1, 0};
	return CKR_OK;
}

static CK_RV nl_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp);

static CK_RV nl_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount)
{
	(void)tokenPresent; /* the one slot always has its token */
	MUST_INIT();
	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	if (pSlotList == NULL) {
		*pulCount = 1;
		return CKR_OK;
	}
	if (*pulCount < 1) {
		*pulCount = 1;
		return CKR_BUFFER_TOO_SMALL;
	}
	pSlotList[0] = NL_SLOT;
	*pulCount = 1;
	return CKR_OK;
}

static CK_RV nl_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR p)
{
	MUST_INIT();
	if (slotID != NL_SLOT)
		return CKR_SLOT_ID_INVALID;
	if (p == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(p, 0, sizeof *p);
	pad(p->slotDescription, sizeof p->slotDescription, "kagi bench null slot");
	pad(p->manufacturerID, sizeof p->manufacturerID, "kagi bench");
	p->flags = CKF_TOKEN_PRESENT;
	return CKR_OK;
}

static CK_RV nl_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR p)
{
	MUST_INIT();
	if (slotID != NL_SLOT)
		return CKR_SLOT_ID_INVALID;
	if (p == NULL)
		return CKR_ARGUMENTS_BAD;
	memset(p, 0, sizeof *p);
	pthread_mutex_lock(&mu);
	if (token_initialized)
		memcpy(p->label, token_label, sizeof p->label);
	else
		pad(p->label, sizeof p->label, "");
	p->flags = CKF_LOGIN_REQUIRED | (token_initialized ? CKF_TOKEN_INITIALIZED : 0) |
		   (user_pin_len > 0 ? CKF_USER_PIN_INITIALIZED : 0);
	p->ulSessionCount = session_count;
	p->ulRwSessionCount = rw_session_count;
	pthread_mutex_unlock(&mu);
	pad(p->manufacturerID, sizeof p->manufacturerID, "kagi bench");
	pad(p->model, sizeof p->model, "null");
	pad((CK_UTF8CHAR *)p->serialNumber, sizeof p->serialNumber, "0");
	p->ulMaxSessionCount = NL_MAX_SESSIONS;
	p->ulMaxRwSessionCount = NL_MAX_SESSIONS;
	p->ulMaxPinLen = NL_MAX_PIN;
	p->ulMinPinLen = 4;
	p->ulTotalPublicMemory = p->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
	p->ulTotalPrivateMemory = p->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
	pad(p->utcTime, sizeof p->utcTime, "");
	return CKR_OK;
}

/* The mechanisms and what they do. */
static const struct {
	CK_MECHANISM_TYPE type;
	CK_FLAGS flags;
} mechanisms[] = {
	{CKM_RSA_PKCS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR},
	{CKM_RSA_PKCS, CKF_ENCRYPT | CKF_DECRYPT | CKF_SIGN | CKF_VERIFY},
	{CKM_RSA_PKCS_OAEP, CKF_ENCRYPT | CKF_DECRYPT},
	{CKM_RSA_PKCS_PSS, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA1_RSA_PKCS, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA224_RSA_PKCS, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA256_RSA_PKCS, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA384_RSA_PKCS, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA512_RSA_PKCS, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA256_RSA_PKCS_PSS, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA384_RSA_PKCS_PSS, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA512_RSA_PKCS_PSS, CKF_SIGN | CKF_VERIFY},
	{CKM_EC_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR},
	{CKM_ECDSA, CKF_SIGN | CKF_VERIFY},
	{CKM_ECDSA_SHA1, CKF_SIGN | CKF_VERIFY},
	{CKM_ECDSA_SHA224, CKF_SIGN | CKF_VERIFY},
	{CKM_ECDSA_SHA256, CKF_SIGN | CKF_VERIFY},
	{CKM_ECDSA_SHA384, CKF_SIGN | CKF_VERIFY},
	{CKM_ECDSA_SHA512, CKF_SIGN | CKF_VERIFY},
	{CKM_ECDH1_DERIVE, CKF_DERIVE},
	{CKM_EC_EDWARDS_KEY_PAIR_GEN, CKF_GENERATE_KEY_PAIR},
	{CKM_EDDSA, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA_1, CKF_DIGEST},
	{CKM_SHA224, CKF_DIGEST},
	{CKM_SHA256, CKF_DIGEST},
	{CKM_SHA384, CKF_DIGEST},
	{CKM_SHA512, CKF_DIGEST},
	{CKM_SHA_1_HMAC, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA224_HMAC, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA256_HMAC, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA384_HMAC, CKF_SIGN | CKF_VERIFY},
	{CKM_SHA512_HMAC, CKF_SIGN | CKF_VERIFY},
	{CKM_GENERIC_SECRET_KEY_GEN, CKF_GENERATE},
	{CKM_AES_KEY_GEN, CKF_GENERATE},
	{CKM_AES_ECB, CKF_ENCRYPT | CKF_DECRYPT},
	{CKM_AES_CBC, CKF_ENCRYPT | CKF_DECRYPT},
	{CKM_AES_CBC_PAD, CKF_ENCRYPT | CKF_DECRYPT},
	{CKM_AES_GCM, CKF_ENCRYPT | CKF_DECRYPT},
	{CKM_AES_CMAC, CKF_SIGN | CKF_VERIFY},
	{CKM_AES_KEY_WRAP, CKF_WRAP | CKF_UNWRAP},
	{CKM_AES_KEY_WRAP_PAD, CKF_WRAP | CKF_UNWRAP},
	{CKM_AES_KEY_WRAP_KWP, CKF_WRAP | CKF_UNWRAP},
};
#define NMECH (sizeof mechanisms / sizeof mechanisms[0])

static CK_RV nl_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR p, CK_ULONG_PTR pulCount)
{
	MUST_INIT();
	if (slotID != NL_SLOT)
		return CKR_SLOT_ID_INVALID;
	if (pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	if (p == NULL) {
		*pulCount = NMECH;
		return CKR_OK;
	}
	if (*pulCount < NMECH) {
		*pulCount = NMECH;
		return CKR_BUFFER_TOO_SMALL;
	}
	for (size_t i = 0; i < NMECH; i++)
		p[i] = mechanisms[i].type;
	*pulCount = NMECH;
	return CKR_OK;
}

static CK_RV nl_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR p)
{
	MUST_INIT();
	if (slotID != NL_SLOT)
		return CKR_SLOT_ID_INVALID;
	if (p == NULL)
		return CKR_ARGUMENTS_BAD;
	for (size_t i = 0; i < NMECH; i++)
		if (mechanisms[i].type == type) {
			p->ulMinKeySize = 0;
			p->ulMaxKeySize = 8192;
			p->flags = mechanisms[i].flags;
			return CKR_OK;
		}
	return CKR_MECHANISM_INVALID;
}

static CK_RV nl_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel)
{
	CK_RV rv = CKR_OK;
	MUST_INIT();
	if (slotID != NL_SLOT)
		return CKR_SLOT_ID_INVALID;
	if (pPin == NULL || pLabel == NULL)
		return CKR_ARGUMENTS_BAD;
	if (ulPinLen < 4 || ulPinLen > NL_MAX_PIN)
		return CKR_PIN_LEN_RANGE;
	pthread_mutex_lock(&mu);
	if (session_count > 0)
		rv = CKR_SESSION_EXISTS;
	else if (token_initialized && (ulPinLen != so_pin_len || memcmp(pPin, so_pin, ulPinLen) != 0))
		rv = CKR_PIN_INCORRECT;
	else {
		memcpy(token_label, pLabel, sizeof token_label);
		memcpy(so_pin, pPin, ulPinLen);
		so_pin_len = ulPinLen;
		user_pin_len = 0;
		for (CK_ULONG i = 0; i < object_count; i++)
			__atomic_store_n(&objects[i].live, 0, __ATOMIC_RELEASE);
		__atomic_store_n(&object_count, 0, __ATOMIC_RELEASE);
		token_initialized = 1;
	}
	pthread_mutex_unlock(&mu);
	return rv;
}

static CK_RV nl_InitPIN(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	CK_RV rv = CKR_OK;
	SESSION(s, hSession);
	if (pPin == NULL)
		return CKR_ARGUMENTS_BAD;
	if (ulPinLen < 4 || ulPinLen > NL_MAX_PIN)
		return CKR_PIN_LEN_RANGE;
	pthread_mutex_lock(&mu);
	if (logged_in != CKU_SO)
		rv = CKR_USER_NOT_LOGGED_IN;
	else if (!(s->flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_ONLY;
	else {
		memcpy(user_pin, pPin, ulPinLen);
		user_pin_len = ulPinLen;
	}
	pthread_mutex_unlock(&mu);
	return rv;
}

/* ------------------------------------------------------------------------
 * Sessions and login
 * ------------------------------------------------------------------------ */

static CK_RV nl_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify,
			    CK_SESSION_HANDLE_PTR phSession)
{
	CK_RV rv = CKR_SESSION_COUNT;
	(void)pApplication;
	(void)Notify;
	MUST_INIT();
	if (slotID != NL_SLOT)
		return CKR_SLOT_ID_INVALID;
	if (phSession == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!(flags & CKF_SERIAL_SESSION))
		return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
	pthread_mutex_lock(&mu);
	if (!token_initialized)
		rv = CKR_TOKEN_NOT_RECOGNIZED;
	else if (logged_in == CKU_SO && !(flags & CKF_RW_SESSION))
		rv = CKR_SESSION_READ_WRITE_SO_EXISTS;
	else
		for (CK_ULONG i = 0; i < NL_MAX_SESSIONS; i++) {
			struct session *s = &sessions[i];
			if (s->open)
				continue;
			memset(s, 0, sizeof *s);
			s->flags = flags;
			__atomic_store_n(&s->open, 1, __ATOMIC_RELEASE);
			session_count++;
			if (flags & CKF_RW_SESSION)
				rw_session_count++;
			*phSession = i + 1;
			rv = CKR_OK;
			break;
		}
	pthread_mutex_unlock(&mu);
	return rv;
}

/* close_locked closes s; mu is held. The login state ends with the last
 * session. */
static void close_locked(struct session *s)
{
	__atomic_store_n(&s->open, 0, __ATOMIC_RELEASE);
	session_count--;
	if (s->flags & CKF_RW_SESSION)
		rw_session_count--;
	if (session_count == 0)
		logged_in = CK_UNAVAILABLE_INFORMATION;
}

static CK_RV nl_CloseSession(CK_SESSION_HANDLE hSession)
{
	CK_RV rv = CKR_SESSION_HANDLE_INVALID;
	MUST_INIT();
	pthread_mutex_lock(&mu);
	if (hSession > 0 && hSession <= NL_MAX_SESSIONS && sessions[hSession - 1].open) {
		close_locked(&sessions[hSession - 1]);
		rv = CKR_OK;
	}
	pthread_mutex_unlock(&mu);
	return rv;
}

static CK_RV nl_CloseAllSessions(CK_SLOT_ID slotID)
{
	MUST_INIT();
	if (slotID != NL_SLOT)
		return CKR_SLOT_ID_INVALID;
	pthread_mutex_lock(&mu);
	for (CK_ULONG i = 0; i < NL_MAX_SESSIONS; i++)
		if (sessions[i].open)
			close_locked(&sessions[i]);
	pthread_mutex_unlock(&mu);
	return CKR_OK;
}

static CK_RV nl_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR p)
{
	int rw;
	SESSION(s, hSession);
	if (p == NULL)
		return CKR_ARGUMENTS_BAD;
	rw = (s->flags & CKF_RW_SESSION) != 0;
	memset(p, 0, sizeof *p);
	p->slotID = NL_SLOT;
	p->flags = s->flags;
	pthread_mutex_lock(&mu);
	if (logged_in == CKU_SO)
		p->state = CKS_RW_SO_FUNCTIONS;
	else if (logged_in == CKU_USER)
		p->state = rw ? CKS_RW_USER_FUNCTIONS : CKS_RO_USER_FUNCTIONS;
	else
		p->state = rw ? CKS_RW_PUBLIC_SESSION : CKS_RO_PUBLIC_SESSION;
	pthread_mutex_unlock(&mu);
	return CKR_OK;
}

static CK_RV nl_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen)
{
	CK_RV rv = CKR_OK;
	SESSION(s, hSession);
	(void)s;
	if (userType != CKU_SO && userType != CKU_USER)
		return CKR_USER_TYPE_INVALID;
	if (pPin == NULL)
		return CKR_ARGUMENTS_BAD;
	pthread_mutex_lock(&mu);
	if (logged_in == userType)
		rv = CKR_USER_ALREADY_LOGGED_IN;
	else if (logged_in != CK_UNAVAILABLE_INFORMATION)
		rv = CKR_USER_ANOTHER_ALREADY_LOGGED_IN;
	else if (userType == CKU_USER && user_pin_len == 0)
		rv = CKR_USER_PIN_NOT_INITIALIZED;
	else if (userType == CKU_SO && rw_session_count != session_count)
		rv = CKR_SESSION_READ_ONLY_EXISTS;
	else {
		const CK_BYTE *want = userType == CKU_SO ? so_pin : user_pin;
		CK_ULONG n = userType == CKU_SO ? so_pin_len : user_pin_len;
		if (ulPinLen != n || memcmp(pPin, want, n) != 0)
			rv = CKR_PIN_INCORRECT;
		else
			logged_in = userType;
	}
	pthread_mutex_unlock(&mu);
	return rv;
}

static CK_RV nl_Logout(CK_SESSION_HANDLE hSession)
{
	CK_RV rv = CKR_OK;
	SESSION(s, hSession);
	(void)s;
	pthread_mutex_lock(&mu);
	if (logged_in == CK_UNAVAILABLE_INFORMATION)
		rv = CKR_USER_NOT_LOGGED_IN;
	logged_in = CK_UNAVAILABLE_INFORMATION;
	pthread_mutex_unlock(&mu);
	return rv;
}

/* ------------------------------------------------------------------------
 * Objects
 * ------------------------------------------------------------------------ */

/* key_from_template reads what a template of class cls and key type type
 * says about output lengths. */
static CK_RV key_from_template(const CK_ATTRIBUTE *t, CK_ULONG n, struct key *k)
{
	const CK_ATTRIBUTE *a;
	CK_ULONG v;
	int r;

	k->value_len = k->size = 0;
	switch (k->type) {
	case CKK_AES:
	case CKK_GENERIC_SECRET:
		if ((a = find_attr(t, n, CKA_VALUE)) != NULL) {
			if (a->pValue == NULL)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			k->value_len = a->ulValueLen;
		} else if ((r = attr_ulong(t, n, CKA_VALUE_LEN, &v)) != 0) {
			if (r < 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			k->value_len = v;
		} else
			return CKR_TEMPLATE_INCOMPLETE;
		if (k->type == CKK_AES && k->value_len != 16 && k->value_len != 24 && k->value_len != 32)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		if (k->value_len == 0 || k->value_len > 0xfff)
			return CKR_ATTRIBUTE_VALUE_INVALID;
		return CKR_OK;
	case CKK_RSA:
		if ((a = find_attr(t, n, CKA_MODULUS)) != NULL) {
			const CK_BYTE *m = a->pValue;
			if (m == NULL || a->ulValueLen == 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			for (v = a->ulValueLen; v > 0 && *m == 0; v--, m++)
				;
			k->size = v;
		} else if ((r = attr_ulong(t, n, CKA_MODULUS_BITS, &v)) != 0) {
			if (r < 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			k->size = (v + 7) / 8;
		} else
			return CKR_TEMPLATE_INCOMPLETE;
		return k->size >= 64 ? CKR_OK : CKR_ATTRIBUTE_VALUE_INVALID;
	case CKK_EC:
	case CKK_EC_EDWARDS:
		if ((a = find_attr(t, n, CKA_EC_PARAMS)) == NULL)
			return CKR_TEMPLATE_INCOMPLETE;
		k->size = curve(a, k->type == CKK_EC_EDWARDS);
		return k->size ? CKR_OK : CKR_CURVE_NOT_SUPPORTED;
	}
	return CKR_OK; /* other key types: nothing recorded */
}

static CK_RV nl_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR phObject)
{
	struct key k;
	CK_RV rv;
	int r;
	SESSION(s, hSession);
	(void)s;
	if (!template_ok(t, n) || phObject == NULL)
		return CKR_ARGUMENTS_BAD;
	if ((r = attr_ulong(t, n, CKA_CLASS, &k.cls)) <= 0)
		return r < 0 ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_TEMPLATE_INCOMPLETE;
	k.type = CK_UNAVAILABLE_INFORMATION;
	if (k.cls == CKO_SECRET_KEY || k.cls == CKO_PUBLIC_KEY || k.cls == CKO_PRIVATE_KEY) {
		if ((r = attr_ulong(t, n, CKA_KEY_TYPE, &k.type)) <= 0)
			return r < 0 ? CKR_ATTRIBUTE_VALUE_INVALID : CKR_TEMPLATE_INCOMPLETE;
		if ((rv = key_from_template(t, n, &k)) != CKR_OK)
			return rv;
	} else {
		k.value_len = k.size = 0;
	}
	return add_object(&k, t, n, phObject);
}

static CK_RV nl_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject)
{
	struct key k;
	CK_RV rv = CKR_OK;
	SESSION(s, hSession);
	(void)s;
	if (!get_key(hObject, &k))
		return CKR_OBJECT_HANDLE_INVALID;
	if (hObject & DYN_FLAG)
		return CKR_OK; /* nothing stored */
	pthread_mutex_lock(&mu);
	if (objects[hObject - 1].live)
		__atomic_store_n(&objects[hObject - 1].live, 0, __ATOMIC_RELEASE);
	else
		rv = CKR_OBJECT_HANDLE_INVALID;
	pthread_mutex_unlock(&mu);
	return rv;
}

/* get_ulong_attr answers one CK_ULONG attribute of C_GetAttributeValue. */
static CK_RV get_ulong_attr(CK_ATTRIBUTE *a, CK_ULONG v)
{
	if (a->pValue == NULL) {
		a->ulValueLen = sizeof v;
		return CKR_OK;
	}
	if (a->ulValueLen < sizeof v) {
		a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		return CKR_BUFFER_TOO_SMALL;
	}
	memcpy(a->pValue, &v, sizeof v);
	a->ulValueLen = sizeof v;
	return CKR_OK;
}

/* C_GetAttributeValue knows CKA_CLASS, CKA_KEY_TYPE, CKA_VALUE_LEN,
 * CKA_MODULUS_BITS and CKA_LABEL, what the module records. */
static CK_RV nl_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	struct key k;
	CK_RV rv = CKR_OK, r;
	SESSION(s, hSession);
	(void)s;
	if (!template_ok(t, n))
		return CKR_ARGUMENTS_BAD;
	if (!get_key(hObject, &k))
		return CKR_OBJECT_HANDLE_INVALID;
	for (CK_ULONG i = 0; i < n; i++) {
		CK_ATTRIBUTE *a = &t[i];
		int secret = k.cls == CKO_SECRET_KEY;
		switch (a->type) {
		case CKA_CLASS:
			r = get_ulong_attr(a, k.cls);
			break;
		case CKA_KEY_TYPE:
			r = k.type != CK_UNAVAILABLE_INFORMATION ? get_ulong_attr(a, k.type) : CKR_ATTRIBUTE_TYPE_INVALID;
			break;
		case CKA_VALUE_LEN:
			r = secret ? get_ulong_attr(a, k.value_len) : CKR_ATTRIBUTE_TYPE_INVALID;
			break;
		case CKA_MODULUS_BITS:
			r = k.type == CKK_RSA ? get_ulong_attr(a, k.size * 8) : CKR_ATTRIBUTE_TYPE_INVALID;
			break;
		case CKA_LABEL: {
			CK_ULONG l = hObject & DYN_FLAG ? 0 : objects[hObject - 1].label_len;
			if (a->pValue == NULL) {
				a->ulValueLen = l;
				r = CKR_OK;
			} else if (a->ulValueLen < l) {
				a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
				r = CKR_BUFFER_TOO_SMALL;
			} else {
				if (l > 0)
					memcpy(a->pValue, objects[hObject - 1].label, l);
				a->ulValueLen = l;
				r = CKR_OK;
			}
			break;
		}
		default:
			r = CKR_ATTRIBUTE_TYPE_INVALID;
		}
		if (r == CKR_ATTRIBUTE_TYPE_INVALID)
			a->ulValueLen = CK_UNAVAILABLE_INFORMATION;
		if (r != CKR_OK && rv == CKR_OK)
			rv = r;
	}
	return rv;
}

/* C_FindObjects matches CKA_CLASS, CKA_KEY_TYPE and CKA_LABEL; a template
 * with any other attribute matches nothing (the module does not keep it). */
static CK_RV nl_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	struct find *f;
	SESSION(s, hSession);
	if (!template_ok(t, n))
		return CKR_ARGUMENTS_BAD;
	f = &s->find;
	if (f->active)
		return CKR_OPERATION_ACTIVE;
	memset(f, 0, sizeof *f);
	for (CK_ULONG i = 0; i < n; i++) {
		const CK_ATTRIBUTE *a = &t[i];
		switch (a->type) {
		case CKA_CLASS:
		case CKA_KEY_TYPE:
			if (a->pValue == NULL || a->ulValueLen != sizeof(CK_ULONG))
				return CKR_ATTRIBUTE_VALUE_INVALID;
			if (a->type == CKA_CLASS) {
				f->has_class = 1;
				memcpy(&f->cls, a->pValue, sizeof f->cls);
			} else {
				f->has_type = 1;
				memcpy(&f->type, a->pValue, sizeof f->type);
			}
			break;
		case CKA_LABEL:
			if (a->ulValueLen > NL_MAX_LABEL) {
				f->matches_nothing = 1;
				break;
			}
			if (a->pValue == NULL && a->ulValueLen > 0)
				return CKR_ATTRIBUTE_VALUE_INVALID;
			f->has_label = 1;
			f->label_len = a->ulValueLen;
			if (f->label_len > 0)
				memcpy(f->label, a->pValue, f->label_len);
			break;
		default:
			f->matches_nothing = 1;
		}
	}
	f->active = 1;
	return CKR_OK;
}

static CK_RV nl_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR ph, CK_ULONG max, CK_ULONG_PTR pulCount)
{
	struct find *f;
	CK_ULONG found = 0, end;
	SESSION(s, hSession);
	f = &s->find;
	if (!f->active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if ((ph == NULL && max > 0) || pulCount == NULL)
		return CKR_ARGUMENTS_BAD;
	end = __atomic_load_n(&object_count, __ATOMIC_ACQUIRE);
	while (!f->matches_nothing && found < max && f->next < end) {
		struct object *o = &objects[f->next++];
		if (!__atomic_load_n(&o->live, __ATOMIC_ACQUIRE))
			continue;
		if ((f->has_class && o->k.cls != f->cls) || (f->has_type && o->k.type != f->type) ||
		    (f->has_label && (o->label_len != f->label_len || memcmp(o->label, f->label, f->label_len) != 0)))
			continue;
		ph[found++] = (CK_OBJECT_HANDLE)(o - objects) + 1;
	}
	*pulCount = found;
	return CKR_OK;
}

static CK_RV nl_FindObjectsFinal(CK_SESSION_HANDLE hSession)
{
	SESSION(s, hSession);
	if (!s->find.active)
		return CKR_OPERATION_NOT_INITIALIZED;
	s->find.active = 0;
	return CKR_OK;
}

/* ------------------------------------------------------------------------
 * Encryption and decryption
 * ------------------------------------------------------------------------ */

/* cipher_init starts op with mechanism m under key h. */
static CK_RV cipher_init(struct op *op, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE h, int encrypt)
{
	struct key k;
	if (op->active)
		return CKR_OPERATION_ACTIVE;
	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!get_key(h, &k))
		return CKR_KEY_HANDLE_INVALID;
	op->len = op->buffered = 0;
	switch (m->mechanism) {
	case CKM_AES_ECB:
	case CKM_AES_CBC:
	case CKM_AES_CBC_PAD:
		if (k.type != CKK_AES)
			return CKR_KEY_TYPE_INCONSISTENT;
		if (m->mechanism != CKM_AES_ECB && (m->pParameter == NULL || m->ulParameterLen != 16))
			return CKR_MECHANISM_PARAM_INVALID;
		break;
	case CKM_AES_GCM: {
		const CK_GCM_PARAMS *p = m->pParameter;
		if (k.type != CKK_AES)
			return CKR_KEY_TYPE_INCONSISTENT;
		if (p == NULL || m->ulParameterLen != sizeof *p || p->pIv == NULL || p->ulIvLen == 0 ||
		    p->ulTagBits < 32 || p->ulTagBits > 128 || p->ulTagBits % 8 != 0 ||
		    (p->pAAD == NULL && p->ulAADLen > 0))
			return CKR_MECHANISM_PARAM_INVALID;
		op->len = p->ulTagBits / 8;
		break;
	}
	case CKM_RSA_PKCS_OAEP:
		if (m->pParameter == NULL || m->ulParameterLen != sizeof(CK_RSA_PKCS_OAEP_PARAMS))
			return CKR_MECHANISM_PARAM_INVALID;
		/* fall through */
	case CKM_RSA_PKCS:
		if (k.type != CKK_RSA || k.cls != (encrypt ? CKO_PUBLIC_KEY : CKO_PRIVATE_KEY))
			return CKR_KEY_TYPE_INCONSISTENT;
		op->len = k.size;
		break;
	default:
		return CKR_MECHANISM_INVALID;
	}
	op->mech = m->mechanism;
	op->active = 1;
	return CKR_OK;
}

static int is_rsa(CK_MECHANISM_TYPE m) { return m == CKM_RSA_PKCS || m == CKM_RSA_PKCS_OAEP; }

static CK_RV nl_EncryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE hKey)
{
	SESSION(s, hSession);
	return cipher_init(&s->enc, m, hKey, 1);
}

static CK_RV nl_Encrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	struct op *op;
	CK_ULONG n;
	CK_RV rv;
	SESSION(s, hSession);
	op = &s->enc;
	if (!op->active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if ((in == NULL && inLen > 0) || outLen == NULL) {
		op->active = 0;
		return CKR_ARGUMENTS_BAD;
	}
	switch (op->mech) {
	case CKM_AES_GCM:
		n = inLen + op->len;
		break;
	case CKM_AES_CBC_PAD:
		n = (inLen / 16 + 1) * 16;
		break;
	case CKM_AES_ECB:
	case CKM_AES_CBC:
		if (inLen % 16 != 0) {
			op->active = 0;
			return CKR_DATA_LEN_RANGE;
		}
		n = inLen;
		break;
	default: /* RSA */
		if (inLen > op->len - 11) {
			op->active = 0;
			return CKR_DATA_LEN_RANGE;
		}
		n = op->len;
		in = NULL; /* not a copy of the input */
	}
	rv = put(out, outLen, n, in, inLen);
	if (ends(rv, out))
		op->active = 0;
	return rv;
}

/* block_update gives the output of a block-mode part: whole blocks, less
 * the last one if hold (CBC-PAD decryption keeps it for the padding). */
static CK_ULONG block_update(const struct op *op, CK_ULONG inLen, int hold, CK_ULONG *buffered)
{
	CK_ULONG total = op->buffered + inLen, n = total - total % 16;
	if (hold && n > 0 && n == total)
		n -= 16;
	*buffered = total - n;
	return n;
}

static CK_RV cipher_update(struct op *op, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen, int decrypt)
{
	CK_ULONG n, buffered = op->buffered;
	CK_RV rv;
	if (!op->active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if ((in == NULL && inLen > 0) || outLen == NULL || is_rsa(op->mech)) {
		op->active = 0;
		return is_rsa(op->mech) ? CKR_FUNCTION_NOT_SUPPORTED : CKR_ARGUMENTS_BAD;
	}
	if (op->mech == CKM_AES_GCM) {
		/* Encryption streams; decryption holds everything for the tag. */
		n = decrypt ? 0 : inLen;
		buffered = decrypt ? op->buffered + inLen : 0;
	} else
		n = block_update(op, inLen, decrypt && op->mech == CKM_AES_CBC_PAD, &buffered);
	rv = put(out, outLen, n, in, inLen);
	if (delivered(rv, out))
		op->buffered = buffered;
	else if (ends(rv, out))
		op->active = 0;
	return rv;
}

static CK_RV nl_EncryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out,
			      CK_ULONG_PTR outLen)
{
	SESSION(s, hSession);
	return cipher_update(&s->enc, in, inLen, out, outLen, 0);
}

static CK_RV cipher_final(struct op *op, CK_BYTE_PTR out, CK_ULONG_PTR outLen, int decrypt)
{
	CK_ULONG n = 0;
	CK_RV rv;
	if (!op->active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (outLen == NULL || is_rsa(op->mech)) {
		op->active = 0;
		return is_rsa(op->mech) ? CKR_FUNCTION_NOT_SUPPORTED : CKR_ARGUMENTS_BAD;
	}
	switch (op->mech) {
	case CKM_AES_GCM:
		if (decrypt && op->buffered < op->len) {
			op->active = 0;
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		}
		n = decrypt ? op->buffered - op->len : op->len;
		break;
	case CKM_AES_CBC_PAD:
		if (decrypt && op->buffered != 16) {
			op->active = 0;
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		}
		n = decrypt ? 0 : 16; /* the padding taken as a whole block */
		break;
	default:
		if (op->buffered != 0) {
			op->active = 0;
			return decrypt ? CKR_ENCRYPTED_DATA_LEN_RANGE : CKR_DATA_LEN_RANGE;
		}
	}
	rv = put(out, outLen, n, NULL, 0);
	if (ends(rv, out))
		op->active = 0;
	return rv;
}

static CK_RV nl_EncryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	SESSION(s, hSession);
	return cipher_final(&s->enc, out, outLen, 0);
}

static CK_RV nl_DecryptInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE hKey)
{
	SESSION(s, hSession);
	return cipher_init(&s->dec, m, hKey, 0);
}

static CK_RV nl_Decrypt(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	struct op *op;
	CK_ULONG n;
	CK_RV rv;
	SESSION(s, hSession);
	op = &s->dec;
	if (!op->active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if ((in == NULL && inLen > 0) || outLen == NULL) {
		op->active = 0;
		return CKR_ARGUMENTS_BAD;
	}
	switch (op->mech) {
	case CKM_AES_GCM:
		if (inLen < op->len) {
			op->active = 0;
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		}
		n = inLen - op->len;
		break;
	case CKM_AES_CBC_PAD:
		if (inLen == 0 || inLen % 16 != 0) {
			op->active = 0;
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		}
		n = inLen - 16; /* the padding taken as a whole block */
		break;
	case CKM_AES_ECB:
	case CKM_AES_CBC:
		if (inLen % 16 != 0) {
			op->active = 0;
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		}
		n = inLen;
		break;
	default: /* RSA */
		if (inLen != op->len) {
			op->active = 0;
			return CKR_ENCRYPTED_DATA_LEN_RANGE;
		}
		n = NULLMOD_RSA_PLAIN_LEN;
		in = NULL;
	}
	rv = put(out, outLen, n, in, inLen);
	if (ends(rv, out))
		op->active = 0;
	return rv;
}

static CK_RV nl_DecryptUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out,
			      CK_ULONG_PTR outLen)
{
	SESSION(s, hSession);
	return cipher_update(&s->dec, in, inLen, out, outLen, 1);
}

static CK_RV nl_DecryptFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	SESSION(s, hSession);
	return cipher_final(&s->dec, out, outLen, 1);
}

/* ------------------------------------------------------------------------
 * Digests
 * ------------------------------------------------------------------------ */

static CK_ULONG hash_len(CK_MECHANISM_TYPE m)
{
	switch (m) {
	case CKM_SHA_1:
	case CKM_SHA_1_HMAC:
		return 20;
	case CKM_SHA224:
	case CKM_SHA224_HMAC:
		return 28;
	case CKM_SHA256:
	case CKM_SHA256_HMAC:
		return 32;
	case CKM_SHA384:
	case CKM_SHA384_HMAC:
		return 48;
	case CKM_SHA512:
	case CKM_SHA512_HMAC:
		return 64;
	}
	return 0;
}

static CK_RV nl_DigestInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m)
{
	struct op *op;
	SESSION(s, hSession);
	op = &s->digest;
	if (op->active)
		return CKR_OPERATION_ACTIVE;
	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	switch (m->mechanism) {
	case CKM_SHA_1:
	case CKM_SHA224:
	case CKM_SHA256:
	case CKM_SHA384:
	case CKM_SHA512:
		break;
	default:
		return CKR_MECHANISM_INVALID;
	}
	op->mech = m->mechanism;
	op->len = hash_len(m->mechanism);
	op->active = 1;
	return CKR_OK;
}

/* one_shot answers the single-part call of op (C_Digest, C_Sign): n bytes
 * of zeros. */
static CK_RV one_shot(struct op *op, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	CK_RV rv;
	if (!op->active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (in == NULL && inLen > 0) {
		op->active = 0;
		return CKR_ARGUMENTS_BAD;
	}
	rv = put(out, outLen, op->len, NULL, 0);
	if (ends(rv, out))
		op->active = 0;
	return rv;
}

static CK_RV update(struct op *op, CK_BYTE_PTR in, CK_ULONG inLen)
{
	if (!op->active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (in == NULL && inLen > 0) {
		op->active = 0;
		return CKR_ARGUMENTS_BAD;
	}
	return CKR_OK;
}

static CK_RV nl_Digest(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	SESSION(s, hSession);
	return one_shot(&s->digest, in, inLen, out, outLen);
}

static CK_RV nl_DigestUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen)
{
	SESSION(s, hSession);
	return update(&s->digest, in, inLen);
}

static CK_RV nl_DigestKey(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey)
{
	struct key k;
	SESSION(s, hSession);
	if (!s->digest.active)
		return CKR_OPERATION_NOT_INITIALIZED;
	if (!get_key(hKey, &k) || k.cls != CKO_SECRET_KEY) {
		s->digest.active = 0;
		return CKR_KEY_HANDLE_INVALID;
	}
	return CKR_OK;
}

static CK_RV nl_DigestFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	SESSION(s, hSession);
	return one_shot(&s->digest, NULL, 0, out, outLen);
}

/* ------------------------------------------------------------------------
 * Signatures and MACs
 * ------------------------------------------------------------------------ */

/* sig_init starts a signing or verifying op: its length from the key and
 * mechanism. */
static CK_RV sig_init(struct op *op, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE h, int sign)
{
	struct key k;
	CK_OBJECT_CLASS want = sign ? CKO_PRIVATE_KEY : CKO_PUBLIC_KEY;
	if (op->active)
		return CKR_OPERATION_ACTIVE;
	if (m == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!get_key(h, &k))
		return CKR_KEY_HANDLE_INVALID;
	switch (m->mechanism) {
	case CKM_RSA_PKCS_PSS:
	case CKM_SHA256_RSA_PKCS_PSS:
	case CKM_SHA384_RSA_PKCS_PSS:
	case CKM_SHA512_RSA_PKCS_PSS:
		if (m->pParameter == NULL || m->ulParameterLen != sizeof(CK_RSA_PKCS_PSS_PARAMS))
			return CKR_MECHANISM_PARAM_INVALID;
		/* fall through */
	case CKM_RSA_PKCS:
	case CKM_SHA1_RSA_PKCS:
	case CKM_SHA224_RSA_PKCS:
	case CKM_SHA256_RSA_PKCS:
	case CKM_SHA384_RSA_PKCS:
	case CKM_SHA512_RSA_PKCS:
		if (k.type != CKK_RSA || k.cls != want)
			return CKR_KEY_TYPE_INCONSISTENT;
		op->len = k.size;
		break;
	case CKM_ECDSA:
	case CKM_ECDSA_SHA1:
	case CKM_ECDSA_SHA224:
	case CKM_ECDSA_SHA256:
	case CKM_ECDSA_SHA384:
	case CKM_ECDSA_SHA512:
		if (k.type != CKK_EC || k.cls != want)
			return CKR_KEY_TYPE_INCONSISTENT;
		op->len = 2 * k.size;
		break;
	case CKM_EDDSA:
		if (k.type != CKK_EC_EDWARDS || k.cls != want)
			return CKR_KEY_TYPE_INCONSISTENT;
		op->len = k.size;
		break;
	case CKM_SHA_1_HMAC:
	case CKM_SHA224_HMAC:
	case CKM_SHA256_HMAC:
	case CKM_SHA384_HMAC:
	case CKM_SHA512_HMAC:
	case CKM_AES_CMAC:
		if (k.cls != CKO_SECRET_KEY || (m->mechanism == CKM_AES_CMAC && k.type != CKK_AES))
			return CKR_KEY_TYPE_INCONSISTENT;
		op->len = m->mechanism == CKM_AES_CMAC ? 16 : hash_len(m->mechanism);
		break;
	default:
		return CKR_MECHANISM_INVALID;
	}
	op->mech = m->mechanism;
	op->active = 1;
	return CKR_OK;
}

static CK_RV nl_SignInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE hKey)
{
	SESSION(s, hSession);
	return sig_init(&s->sign, m, hKey, 1);
}

static CK_RV nl_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	SESSION(s, hSession);
	return one_shot(&s->sign, in, inLen, out, outLen);
}

static CK_RV nl_SignUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen)
{
	SESSION(s, hSession);
	return update(&s->sign, in, inLen);
}

static CK_RV nl_SignFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	SESSION(s, hSession);
	return one_shot(&s->sign, NULL, 0, out, outLen);
}

static CK_RV nl_VerifyInit(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE hKey)
{
	SESSION(s, hSession);
	return sig_init(&s->verify, m, hKey, 0);
}

/* verify_end ends a verification: any signature of the right length is
 * taken (there is nothing to verify it against). */
static CK_RV verify_end(struct op *op, CK_BYTE_PTR sig, CK_ULONG sigLen)
{
	if (!op->active)
		return CKR_OPERATION_NOT_INITIALIZED;
	op->active = 0;
	if (sig == NULL)
		return CKR_ARGUMENTS_BAD;
	return sigLen == op->len ? CKR_OK : CKR_SIGNATURE_LEN_RANGE;
}

static CK_RV nl_Verify(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen, CK_BYTE_PTR sig, CK_ULONG sigLen)
{
	SESSION(s, hSession);
	if (s->verify.active && in == NULL && inLen > 0) {
		s->verify.active = 0;
		return CKR_ARGUMENTS_BAD;
	}
	return verify_end(&s->verify, sig, sigLen);
}

static CK_RV nl_VerifyUpdate(CK_SESSION_HANDLE hSession, CK_BYTE_PTR in, CK_ULONG inLen)
{
	SESSION(s, hSession);
	return update(&s->verify, in, inLen);
}

static CK_RV nl_VerifyFinal(CK_SESSION_HANDLE hSession, CK_BYTE_PTR sig, CK_ULONG sigLen)
{
	SESSION(s, hSession);
	return verify_end(&s->verify, sig, sigLen);
}

/* ------------------------------------------------------------------------
 * Keys
 * ------------------------------------------------------------------------ */

static CK_RV nl_GenerateKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n,
			    CK_OBJECT_HANDLE_PTR phKey)
{
	struct key k = {CKO_SECRET_KEY, CKK_AES, 0, 0};
	CK_RV rv;
	SESSION(s, hSession);
	(void)s;
	if (m == NULL || !template_ok(t, n) || phKey == NULL)
		return CKR_ARGUMENTS_BAD;
	if (m->mechanism == CKM_GENERIC_SECRET_KEY_GEN)
		k.type = CKK_GENERIC_SECRET;
	else if (m->mechanism != CKM_AES_KEY_GEN)
		return CKR_MECHANISM_INVALID;
	if (find_attr(t, n, CKA_VALUE) != NULL)
		return CKR_ATTRIBUTE_READ_ONLY;
	if ((rv = key_from_template(t, n, &k)) != CKR_OK)
		return rv;
	return add_object(&k, t, n, phKey);
}

static CK_RV nl_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR pub, CK_ULONG npub,
				CK_ATTRIBUTE_PTR priv, CK_ULONG npriv, CK_OBJECT_HANDLE_PTR phPub,
				CK_OBJECT_HANDLE_PTR phPriv)
{
	struct key k;
	CK_RV rv;
	SESSION(s, hSession);
	(void)s;
	if (m == NULL || !template_ok(pub, npub) || !template_ok(priv, npriv) || phPub == NULL || phPriv == NULL)
		return CKR_ARGUMENTS_BAD;
	switch (m->mechanism) {
	case CKM_RSA_PKCS_KEY_PAIR_GEN:
		k.type = CKK_RSA;
		if (find_attr(pub, npub, CKA_MODULUS_BITS) == NULL)
			return CKR_TEMPLATE_INCOMPLETE;
		break;
	case CKM_EC_KEY_PAIR_GEN:
		k.type = CKK_EC;
		break;
	case CKM_EC_EDWARDS_KEY_PAIR_GEN:
		k.type = CKK_EC_EDWARDS;
		break;
	default:
		return CKR_MECHANISM_INVALID;
	}
	if ((rv = key_from_template(pub, npub, &k)) != CKR_OK)
		return rv;
	k.cls = CKO_PUBLIC_KEY;
	if ((rv = add_object(&k, pub, npub, phPub)) != CKR_OK)
		return rv;
	k.cls = CKO_PRIVATE_KEY;
	if ((rv = add_object(&k, priv, npriv, phPriv)) != CKR_OK) {
		nl_DestroyObject(hSession, *phPub);
		return rv;
	}
	return CKR_OK;
}

static int is_aes_wrap(CK_MECHANISM_TYPE m)
{
	return m == CKM_AES_KEY_WRAP || m == CKM_AES_KEY_WRAP_PAD || m == CKM_AES_KEY_WRAP_KWP;
}

static CK_RV nl_WrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE hWrappingKey,
			CK_OBJECT_HANDLE hKey, CK_BYTE_PTR out, CK_ULONG_PTR outLen)
{
	struct key w, k;
	CK_ULONG n;
	SESSION(s, hSession);
	(void)s;
	if (m == NULL || outLen == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!get_key(hWrappingKey, &w))
		return CKR_WRAPPING_KEY_HANDLE_INVALID;
	if (!get_key(hKey, &k))
		return CKR_KEY_HANDLE_INVALID;
	if (k.cls != CKO_SECRET_KEY)
		return CKR_KEY_NOT_WRAPPABLE;
	if (is_aes_wrap(m->mechanism)) {
		if (w.type != CKK_AES)
			return CKR_WRAPPING_KEY_TYPE_INCONSISTENT;
		if (m->mechanism == CKM_AES_KEY_WRAP && (k.value_len % 8 != 0 || k.value_len < 16))
			return CKR_KEY_SIZE_RANGE;
		n = (k.value_len + 7) / 8 * 8 + 8;
	} else if (m->mechanism == CKM_RSA_PKCS || m->mechanism == CKM_RSA_PKCS_OAEP) {
		if (w.type != CKK_RSA || w.cls != CKO_PUBLIC_KEY)
			return CKR_WRAPPING_KEY_TYPE_INCONSISTENT;
		n = w.size;
	} else
		return CKR_MECHANISM_INVALID;
	return put(out, outLen, n, NULL, 0);
}

/* new_secret gives the handle of a secret key a template describes, of
 * value_len bytes unless the template says CKA_VALUE_LEN. */
static CK_RV new_secret(struct session *s, const CK_ATTRIBUTE *t, CK_ULONG n, CK_ULONG value_len,
			CK_OBJECT_HANDLE_PTR ph)
{
	CK_ULONG cls = CKO_SECRET_KEY, type = CKK_GENERIC_SECRET;
	if (attr_ulong(t, n, CKA_CLASS, &cls) < 0 || attr_ulong(t, n, CKA_KEY_TYPE, &type) < 0 ||
	    attr_ulong(t, n, CKA_VALUE_LEN, &value_len) < 0)
		return CKR_ATTRIBUTE_VALUE_INVALID;
	if (cls != CKO_SECRET_KEY || (type != CKK_GENERIC_SECRET && type != CKK_AES))
		return CKR_TEMPLATE_INCONSISTENT;
	if (value_len == 0 || value_len > 0xfff ||
	    (type == CKK_AES && value_len != 16 && value_len != 24 && value_len != 32))
		return CKR_TEMPLATE_INCONSISTENT;
	*ph = dyn_handle(s, type, value_len);
	return CKR_OK;
}

static CK_RV nl_UnwrapKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE hUnwrappingKey,
			  CK_BYTE_PTR in, CK_ULONG inLen, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR phKey)
{
	struct key w;
	SESSION(s, hSession);
	if (m == NULL || in == NULL || !template_ok(t, n) || phKey == NULL)
		return CKR_ARGUMENTS_BAD;
	if (!is_aes_wrap(m->mechanism))
		return CKR_MECHANISM_INVALID;
	if (!get_key(hUnwrappingKey, &w))
		return CKR_UNWRAPPING_KEY_HANDLE_INVALID;
	if (w.type != CKK_AES)
		return CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT;
	if (inLen < 16 || inLen % 8 != 0)
		return CKR_WRAPPED_KEY_LEN_RANGE;
	/* The key's length is in the wrapping (RFC 5649's AIV): taken as
	 * whole 8-byte words. */
	return new_secret(s, t, n, inLen - 8, phKey);
}

static CK_RV nl_DeriveKey(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE hBaseKey,
			  CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR phKey)
{
	struct key b;
	const CK_ECDH1_DERIVE_PARAMS *p;
	SESSION(s, hSession);
	if (m == NULL || !template_ok(t, n) || phKey == NULL)
		return CKR_ARGUMENTS_BAD;
	if (m->mechanism != CKM_ECDH1_DERIVE)
		return CKR_MECHANISM_INVALID;
	p = m->pParameter;
	if (p == NULL || m->ulParameterLen != sizeof *p || p->pPublicData == NULL || p->ulPublicDataLen == 0 ||
	    (p->kdf == CKD_NULL && p->ulSharedDataLen != 0))
		return CKR_MECHANISM_PARAM_INVALID;
	if (!get_key(hBaseKey, &b))
		return CKR_KEY_HANDLE_INVALID;
	if (b.type != CKK_EC || b.cls != CKO_PRIVATE_KEY)
		return CKR_KEY_TYPE_INCONSISTENT;
	return new_secret(s, t, n, b.size, phKey);
}

static CK_RV nl_SeedRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen)
{
	SESSION(s, hSession);
	(void)s;
	return pSeed == NULL && ulSeedLen > 0 ? CKR_ARGUMENTS_BAD : CKR_OK;
}

/* Zeros: there is no generator here. */
static CK_RV nl_GenerateRandom(CK_SESSION_HANDLE hSession, CK_BYTE_PTR out, CK_ULONG n)
{
	SESSION(s, hSession);
	(void)s;
	if (out == NULL && n > 0)
		return CKR_ARGUMENTS_BAD;
	if (n > 0)
		memset(out, 0, n);
	return CKR_OK;
}

/* ------------------------------------------------------------------------
 * What the bench does not use
 * ------------------------------------------------------------------------ */

#define UNSUPPORTED(name, params)                                      \
	static CK_RV nl_##name params                                      \
	{                                                                  \
		return is_init() ? CKR_FUNCTION_NOT_SUPPORTED                  \
				 : CKR_CRYPTOKI_NOT_INITIALIZED;               \
	}

UNSUPPORTED(SetPIN, (CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR o, CK_ULONG ol, CK_UTF8CHAR_PTR n, CK_ULONG nl))
UNSUPPORTED(GetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG_PTR l))
UNSUPPORTED(SetOperationState, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG l, CK_OBJECT_HANDLE e, CK_OBJECT_HANDLE a))
UNSUPPORTED(CopyObject, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR p))
UNSUPPORTED(GetObjectSize, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ULONG_PTR p))
UNSUPPORTED(SetAttributeValue, (CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n))
UNSUPPORTED(SignRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
UNSUPPORTED(SignRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR d, CK_ULONG dl, CK_BYTE_PTR s, CK_ULONG_PTR sl))
UNSUPPORTED(VerifyRecoverInit, (CK_SESSION_HANDLE h, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE k))
UNSUPPORTED(VerifyRecover, (CK_SESSION_HANDLE h, CK_BYTE_PTR s, CK_ULONG sl, CK_BYTE_PTR d, CK_ULONG_PTR dl))
UNSUPPORTED(DigestEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG pl, CK_BYTE_PTR e, CK_ULONG_PTR el))
UNSUPPORTED(DecryptDigestUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR e, CK_ULONG el, CK_BYTE_PTR p, CK_ULONG_PTR pl))
UNSUPPORTED(SignEncryptUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG pl, CK_BYTE_PTR e, CK_ULONG_PTR el))
UNSUPPORTED(DecryptVerifyUpdate, (CK_SESSION_HANDLE h, CK_BYTE_PTR e, CK_ULONG el, CK_BYTE_PTR p, CK_ULONG_PTR pl))
UNSUPPORTED(GetFunctionStatus, (CK_SESSION_HANDLE h))
UNSUPPORTED(CancelFunction, (CK_SESSION_HANDLE h))
UNSUPPORTED(WaitForSlotEvent, (CK_FLAGS f, CK_SLOT_ID_PTR s, CK_VOID_PTR r))

/* ------------------------------------------------------------------------
 * The function list
 * ------------------------------------------------------------------------ */

static CK_FUNCTION_LIST functions = {
	.version = {2, 40},
	.C_Initialize = nl_Initialize,
	.C_Finalize = nl_Finalize,
	.C_GetInfo = nl_GetInfo,
	.C_GetFunctionList = nl_GetFunctionList,
	.C_GetSlotList = nl_GetSlotList,
	.C_GetSlotInfo = nl_GetSlotInfo,
	.C_GetTokenInfo = nl_GetTokenInfo,
	.C_GetMechanismList = nl_GetMechanismList,
	.C_GetMechanismInfo = nl_GetMechanismInfo,
	.C_InitToken = nl_InitToken,
	.C_InitPIN = nl_InitPIN,
	.C_SetPIN = nl_SetPIN,
	.C_OpenSession = nl_OpenSession,
	.C_CloseSession = nl_CloseSession,
	.C_CloseAllSessions = nl_CloseAllSessions,
	.C_GetSessionInfo = nl_GetSessionInfo,
	.C_GetOperationState = nl_GetOperationState,
	.C_SetOperationState = nl_SetOperationState,
	.C_Login = nl_Login,
	.C_Logout = nl_Logout,
	.C_CreateObject = nl_CreateObject,
	.C_CopyObject = nl_CopyObject,
	.C_DestroyObject = nl_DestroyObject,
	.C_GetObjectSize = nl_GetObjectSize,
	.C_GetAttributeValue = nl_GetAttributeValue,
	.C_SetAttributeValue = nl_SetAttributeValue,
	.C_FindObjectsInit = nl_FindObjectsInit,
	.C_FindObjects = nl_FindObjects,
	.C_FindObjectsFinal = nl_FindObjectsFinal,
	.C_EncryptInit = nl_EncryptInit,
	.C_Encrypt = nl_Encrypt,
	.C_EncryptUpdate = nl_EncryptUpdate,
	.C_EncryptFinal = nl_EncryptFinal,
	.C_DecryptInit = nl_DecryptInit,
	.C_Decrypt = nl_Decrypt,
	.C_DecryptUpdate = nl_DecryptUpdate,
	.C_DecryptFinal = nl_DecryptFinal,
	.C_DigestInit = nl_DigestInit,
	.C_Digest = nl_Digest,
	.C_DigestUpdate = nl_DigestUpdate,
	.C_DigestKey = nl_DigestKey,
	.C_DigestFinal = nl_DigestFinal,
	.C_SignInit = nl_SignInit,
	.C_Sign = nl_Sign,
	.C_SignUpdate = nl_SignUpdate,
	.C_SignFinal = nl_SignFinal,
	.C_SignRecoverInit = nl_SignRecoverInit,
	.C_SignRecover = nl_SignRecover,
	.C_VerifyInit = nl_VerifyInit,
	.C_Verify = nl_Verify,
	.C_VerifyUpdate = nl_VerifyUpdate,
	.C_VerifyFinal = nl_VerifyFinal,
	.C_VerifyRecoverInit = nl_VerifyRecoverInit,
	.C_VerifyRecover = nl_VerifyRecover,
	.C_DigestEncryptUpdate = nl_DigestEncryptUpdate,
	.C_DecryptDigestUpdate = nl_DecryptDigestUpdate,
	.C_SignEncryptUpdate = nl_SignEncryptUpdate,
	.C_DecryptVerifyUpdate = nl_DecryptVerifyUpdate,
	.C_GenerateKey = nl_GenerateKey,
	.C_GenerateKeyPair = nl_GenerateKeyPair,
	.C_WrapKey = nl_WrapKey,
	.C_UnwrapKey = nl_UnwrapKey,
	.C_DeriveKey = nl_DeriveKey,
	.C_SeedRandom = nl_SeedRandom,
	.C_GenerateRandom = nl_GenerateRandom,
	.C_GetFunctionStatus = nl_GetFunctionStatus,
	.C_CancelFunction = nl_CancelFunction,
	.C_WaitForSlotEvent = nl_WaitForSlotEvent,
};

static CK_RV nl_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp)
{
	if (pp == NULL)
		return CKR_ARGUMENTS_BAD;
	*pp = &functions;
	return CKR_OK;
}

NL_EXPORT CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR pp) { return nl_GetFunctionList(pp); }

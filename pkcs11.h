/*
 * pkcs11.h - the PKCS#11 (Cryptoki) 3.0 interface as kagi implements it.
 *
 * Written for the kagi project. The names and numeric values below are those
 * fixed by the OASIS PKCS#11 3.0 specification (with its 2.40 base); the
 * layout, comments and wording are our own.
 *
 * Platform conventions: Linux and other LP64 Unix systems. CK_ULONG is
 * `unsigned long` (64 bits), pointers are plain C pointers, structures use the
 * compiler's natural alignment (no packing), and functions use the default C
 * calling convention. The constants are kept one per line in the form
 * `#define NAME VALUE` because token/ck/gen reads them to produce the Go
 * constants (token/ck/zconst.go): run `go generate ./token/ck` after editing.
 */

#ifndef KAGI_PKCS11_H
#define KAGI_PKCS11_H

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the interface described here. */
#define CRYPTOKI_VERSION_MAJOR 3
#define CRYPTOKI_VERSION_MINOR 0
#define CRYPTOKI_VERSION_AMENDMENT 0

#ifndef NULL_PTR
#define NULL_PTR 0
#endif

/* ------------------------------------------------------------------------
 * Scalar types
 * ------------------------------------------------------------------------ */

typedef unsigned char CK_BYTE;      /* an unsigned 8-bit value */
typedef CK_BYTE CK_CHAR;            /* a character of a printable string */
typedef CK_BYTE CK_UTF8CHAR;        /* one byte of a UTF-8 string */
typedef CK_BYTE CK_BBOOL;           /* CK_TRUE or CK_FALSE */
typedef unsigned long CK_ULONG;     /* at least 32 bits; 64 bits on LP64 */
typedef long CK_LONG;               /* signed counterpart of CK_ULONG */
typedef CK_ULONG CK_FLAGS;          /* a set of bit flags */

typedef CK_BYTE *CK_BYTE_PTR;
typedef CK_CHAR *CK_CHAR_PTR;
typedef CK_UTF8CHAR *CK_UTF8CHAR_PTR;
typedef CK_BBOOL *CK_BBOOL_PTR;
typedef CK_ULONG *CK_ULONG_PTR;
typedef CK_LONG *CK_LONG_PTR;
typedef CK_FLAGS *CK_FLAGS_PTR;
typedef void *CK_VOID_PTR;
typedef CK_VOID_PTR *CK_VOID_PTR_PTR;

/* Identifiers and enumerations; all of them are CK_ULONG values. */
typedef CK_ULONG CK_RV;
typedef CK_ULONG CK_SLOT_ID;
typedef CK_ULONG CK_SESSION_HANDLE;
typedef CK_ULONG CK_OBJECT_HANDLE;
typedef CK_ULONG CK_OBJECT_CLASS;
typedef CK_ULONG CK_KEY_TYPE;
typedef CK_ULONG CK_ATTRIBUTE_TYPE;
typedef CK_ULONG CK_MECHANISM_TYPE;
typedef CK_ULONG CK_USER_TYPE;
typedef CK_ULONG CK_STATE;
typedef CK_ULONG CK_CERTIFICATE_TYPE;
typedef CK_ULONG CK_CERTIFICATE_CATEGORY;
typedef CK_ULONG CK_JAVA_MIDP_SECURITY_DOMAIN;
typedef CK_ULONG CK_NOTIFICATION;
typedef CK_ULONG CK_HW_FEATURE_TYPE;
typedef CK_ULONG CK_PROFILE_ID;
typedef CK_ULONG CK_RSA_PKCS_MGF_TYPE;
typedef CK_ULONG CK_RSA_PKCS_OAEP_SOURCE_TYPE;
typedef CK_ULONG CK_EC_KDF_TYPE;
typedef CK_ULONG CK_X9_42_DH_KDF_TYPE;
typedef CK_ULONG CK_X3DH_KDF_TYPE;
typedef CK_ULONG CK_X2RATCHET_KDF_TYPE;
typedef CK_ULONG CK_XEDDSA_HASH_TYPE;
typedef CK_ULONG CK_GENERATOR_FUNCTION;
typedef CK_ULONG CK_PKCS5_PBKD2_PSEUDO_RANDOM_FUNCTION_TYPE;
typedef CK_ULONG CK_PKCS5_PBKDF2_SALT_SOURCE_TYPE;
typedef CK_ULONG CK_OTP_PARAM_TYPE;
typedef CK_ULONG CK_PARAM_TYPE;
typedef CK_ULONG CK_PRF_DATA_TYPE;
typedef CK_ULONG CK_SP800_108_DKM_LENGTH_METHOD;
typedef CK_MECHANISM_TYPE CK_SP800_108_PRF_TYPE;
typedef CK_ULONG CK_MAC_GENERAL_PARAMS;
typedef CK_ULONG CK_EXTRACT_PARAMS;
typedef CK_ULONG CK_RC2_PARAMS;

typedef CK_RV *CK_RV_PTR;
typedef CK_SLOT_ID *CK_SLOT_ID_PTR;
typedef CK_SESSION_HANDLE *CK_SESSION_HANDLE_PTR;
typedef CK_OBJECT_HANDLE *CK_OBJECT_HANDLE_PTR;
typedef CK_OBJECT_CLASS *CK_OBJECT_CLASS_PTR;
typedef CK_KEY_TYPE *CK_KEY_TYPE_PTR;
typedef CK_ATTRIBUTE_TYPE *CK_ATTRIBUTE_TYPE_PTR;
typedef CK_MECHANISM_TYPE *CK_MECHANISM_TYPE_PTR;
typedef CK_USER_TYPE *CK_USER_TYPE_PTR;
typedef CK_STATE *CK_STATE_PTR;
typedef CK_CERTIFICATE_TYPE *CK_CERTIFICATE_TYPE_PTR;
typedef CK_CERTIFICATE_CATEGORY *CK_CERTIFICATE_CATEGORY_PTR;
typedef CK_JAVA_MIDP_SECURITY_DOMAIN *CK_JAVA_MIDP_SECURITY_DOMAIN_PTR;
typedef CK_NOTIFICATION *CK_NOTIFICATION_PTR;
typedef CK_HW_FEATURE_TYPE *CK_HW_FEATURE_TYPE_PTR;
typedef CK_PROFILE_ID *CK_PROFILE_ID_PTR;
typedef CK_RSA_PKCS_MGF_TYPE *CK_RSA_PKCS_MGF_TYPE_PTR;
typedef CK_RSA_PKCS_OAEP_SOURCE_TYPE *CK_RSA_PKCS_OAEP_SOURCE_TYPE_PTR;
typedef CK_EC_KDF_TYPE *CK_EC_KDF_TYPE_PTR;
typedef CK_X9_42_DH_KDF_TYPE *CK_X9_42_DH_KDF_TYPE_PTR;
typedef CK_X3DH_KDF_TYPE *CK_X3DH_KDF_TYPE_PTR;
typedef CK_X2RATCHET_KDF_TYPE *CK_X2RATCHET_KDF_TYPE_PTR;
typedef CK_XEDDSA_HASH_TYPE *CK_XEDDSA_HASH_TYPE_PTR;
typedef CK_GENERATOR_FUNCTION *CK_GENERATOR_FUNCTION_PTR;
typedef CK_PKCS5_PBKD2_PSEUDO_RANDOM_FUNCTION_TYPE *CK_PKCS5_PBKD2_PSEUDO_RANDOM_FUNCTION_TYPE_PTR;
typedef CK_PKCS5_PBKDF2_SALT_SOURCE_TYPE *CK_PKCS5_PBKDF2_SALT_SOURCE_TYPE_PTR;
typedef CK_OTP_PARAM_TYPE *CK_OTP_PARAM_TYPE_PTR;
typedef CK_PRF_DATA_TYPE *CK_PRF_DATA_TYPE_PTR;
typedef CK_SP800_108_DKM_LENGTH_METHOD *CK_SP800_108_DKM_LENGTH_METHOD_PTR;
typedef CK_SP800_108_PRF_TYPE *CK_SP800_108_PRF_TYPE_PTR;
typedef CK_MAC_GENERAL_PARAMS *CK_MAC_GENERAL_PARAMS_PTR;
typedef CK_EXTRACT_PARAMS *CK_EXTRACT_PARAMS_PTR;
typedef CK_RC2_PARAMS *CK_RC2_PARAMS_PTR;

/* ------------------------------------------------------------------------
 * Constants
 * ------------------------------------------------------------------------ */

/* Boolean values and special CK_ULONG values */
#define CK_TRUE                                      1
#define CK_FALSE                                     0
#define CK_UNAVAILABLE_INFORMATION                   (~0UL)
#define CK_EFFECTIVELY_INFINITE                      0UL
#define CK_INVALID_HANDLE                            0UL

/* Notifications passed to a CK_NOTIFY callback (CK_NOTIFICATION) */
#define CKN_SURRENDER                                0UL
#define CKN_OTP_CHANGED                              1UL

/* Flags: CK_SLOT_INFO.flags */
#define CKF_TOKEN_PRESENT                            1UL
#define CKF_REMOVABLE_DEVICE                         2UL
#define CKF_HW_SLOT                                  4UL

/* Flags: CK_TOKEN_INFO.flags */
#define CKF_RNG                                      1UL
#define CKF_WRITE_PROTECTED                          2UL
#define CKF_LOGIN_REQUIRED                           4UL
#define CKF_USER_PIN_INITIALIZED                     8UL
#define CKF_RESTORE_KEY_NOT_NEEDED                   0x20UL
#define CKF_CLOCK_ON_TOKEN                           0x40UL
#define CKF_PROTECTED_AUTHENTICATION_PATH            0x100UL
#define CKF_DUAL_CRYPTO_OPERATIONS                   0x200UL
#define CKF_TOKEN_INITIALIZED                        0x400UL
#define CKF_SECONDARY_AUTHENTICATION                 0x800UL
#define CKF_USER_PIN_COUNT_LOW                       0x10000UL
#define CKF_USER_PIN_FINAL_TRY                       0x20000UL
#define CKF_USER_PIN_LOCKED                          0x40000UL
#define CKF_USER_PIN_TO_BE_CHANGED                   0x80000UL
#define CKF_SO_PIN_COUNT_LOW                         0x100000UL
#define CKF_SO_PIN_FINAL_TRY                         0x200000UL
#define CKF_SO_PIN_LOCKED                            0x400000UL
#define CKF_SO_PIN_TO_BE_CHANGED                     0x800000UL
#define CKF_ERROR_STATE                              0x1000000UL

/* User types (CK_USER_TYPE) */
#define CKU_SO                                       0UL
#define CKU_USER                                     1UL
#define CKU_CONTEXT_SPECIFIC                         2UL

/* Session states (CK_STATE) */
#define CKS_RO_PUBLIC_SESSION                        0UL
#define CKS_RO_USER_FUNCTIONS                        1UL
#define CKS_RW_PUBLIC_SESSION                        2UL
#define CKS_RW_USER_FUNCTIONS                        3UL
#define CKS_RW_SO_FUNCTIONS                          4UL

/* Flags: CK_SESSION_INFO.flags and the flags argument of C_OpenSession */
#define CKF_RW_SESSION                               2UL
#define CKF_SERIAL_SESSION                           4UL

/* Object classes (CK_OBJECT_CLASS) */
#define CKO_DATA                                     0UL
#define CKO_CERTIFICATE                              1UL
#define CKO_PUBLIC_KEY                               2UL
#define CKO_PRIVATE_KEY                              3UL
#define CKO_SECRET_KEY                               4UL
#define CKO_HW_FEATURE                               5UL
#define CKO_DOMAIN_PARAMETERS                        6UL
#define CKO_MECHANISM                                7UL
#define CKO_OTP_KEY                                  8UL
#define CKO_PROFILE                                  9UL
#define CKO_VENDOR_DEFINED                           0x80000000UL

/* Profile identifiers (CK_PROFILE_ID) */
#define CKP_INVALID_ID                               0UL
#define CKP_BASELINE_PROVIDER                        1UL
#define CKP_EXTENDED_PROVIDER                        2UL
#define CKP_AUTHENTICATION_TOKEN                     3UL
#define CKP_PUBLIC_CERTIFICATES_TOKEN                4UL
#define CKP_COMPLETE_PROVIDER                        5UL  /* PKCS#11 3.1 */
#define CKP_HKDF_TLS_TOKEN                           6UL  /* PKCS#11 3.1 */
#define CKP_VENDOR_DEFINED                           0x80000000UL

/* Hardware feature types (CK_HW_FEATURE_TYPE) */
#define CKH_MONOTONIC_COUNTER                        1UL
#define CKH_CLOCK                                    2UL
#define CKH_USER_INTERFACE                           3UL
#define CKH_VENDOR_DEFINED                           0x80000000UL

/* Key types (CK_KEY_TYPE) */
#define CKK_RSA                                      0UL
#define CKK_DSA                                      1UL
#define CKK_DH                                       2UL
#define CKK_EC                                       3UL
#define CKK_ECDSA                                    CKK_EC  /* deprecated spelling */
#define CKK_X9_42_DH                                 4UL
#define CKK_KEA                                      5UL
#define CKK_GENERIC_SECRET                           0x10UL
#define CKK_RC2                                      0x11UL
#define CKK_RC4                                      0x12UL
#define CKK_DES                                      0x13UL
#define CKK_DES2                                     0x14UL
#define CKK_DES3                                     0x15UL
#define CKK_CAST                                     0x16UL
#define CKK_CAST3                                    0x17UL
#define CKK_CAST128                                  0x18UL
#define CKK_CAST5                                    CKK_CAST128  /* deprecated spelling */
#define CKK_RC5                                      0x19UL
#define CKK_IDEA                                     0x1AUL
#define CKK_SKIPJACK                                 0x1BUL
#define CKK_BATON                                    0x1CUL
#define CKK_JUNIPER                                  0x1DUL
#define CKK_CDMF                                     0x1EUL
#define CKK_AES                                      0x1FUL
#define CKK_BLOWFISH                                 0x20UL
#define CKK_TWOFISH                                  0x21UL
#define CKK_SECURID                                  0x22UL
#define CKK_HOTP                                     0x23UL
#define CKK_ACTI                                     0x24UL
#define CKK_CAMELLIA                                 0x25UL
#define CKK_ARIA                                     0x26UL
#define CKK_MD5_HMAC                                 0x27UL
#define CKK_SHA_1_HMAC                               0x28UL
#define CKK_RIPEMD128_HMAC                           0x29UL
#define CKK_RIPEMD160_HMAC                           0x2AUL
#define CKK_SHA256_HMAC                              0x2BUL
#define CKK_SHA384_HMAC                              0x2CUL
#define CKK_SHA512_HMAC                              0x2DUL
#define CKK_SHA224_HMAC                              0x2EUL
#define CKK_SEED                                     0x2FUL
#define CKK_GOSTR3410                                0x30UL
#define CKK_GOSTR3411                                0x31UL
#define CKK_GOST28147                                0x32UL
#define CKK_CHACHA20                                 0x33UL
#define CKK_POLY1305                                 0x34UL
#define CKK_AES_XTS                                  0x35UL
#define CKK_SHA3_224_HMAC                            0x36UL
#define CKK_SHA3_256_HMAC                            0x37UL
#define CKK_SHA3_384_HMAC                            0x38UL
#define CKK_SHA3_512_HMAC                            0x39UL
#define CKK_BLAKE2B_160_HMAC                         0x3AUL
#define CKK_BLAKE2B_256_HMAC                         0x3BUL
#define CKK_BLAKE2B_384_HMAC                         0x3CUL
#define CKK_BLAKE2B_512_HMAC                         0x3DUL
#define CKK_SALSA20                                  0x3EUL
#define CKK_X2RATCHET                                0x3FUL
#define CKK_EC_EDWARDS                               0x40UL
#define CKK_EC_MONTGOMERY                            0x41UL
#define CKK_HKDF                                     0x42UL
#define CKK_SHA512_224_HMAC                          0x43UL
#define CKK_SHA512_256_HMAC                          0x44UL
#define CKK_SHA512_T_HMAC                            0x45UL
#define CKK_VENDOR_DEFINED                           0x80000000UL

/* Values of CKA_CERTIFICATE_CATEGORY */
#define CK_CERTIFICATE_CATEGORY_UNSPECIFIED          0UL
#define CK_CERTIFICATE_CATEGORY_TOKEN_USER           1UL
#define CK_CERTIFICATE_CATEGORY_AUTHORITY            2UL
#define CK_CERTIFICATE_CATEGORY_OTHER_ENTITY         3UL

/* Values of CKA_JAVA_MIDP_SECURITY_DOMAIN */
#define CK_SECURITY_DOMAIN_UNSPECIFIED               0UL
#define CK_SECURITY_DOMAIN_MANUFACTURER              1UL
#define CK_SECURITY_DOMAIN_OPERATOR                  2UL
#define CK_SECURITY_DOMAIN_THIRD_PARTY               3UL

/* Certificate types (CK_CERTIFICATE_TYPE) */
#define CKC_X_509                                    0UL
#define CKC_X_509_ATTR_CERT                          1UL
#define CKC_WTLS                                     2UL
#define CKC_VENDOR_DEFINED                           0x80000000UL

/* Flags: marks attribute types whose value is an array of CK_ATTRIBUTE */
#define CKF_ARRAY_ATTRIBUTE                          0x40000000UL

/* OTP output formats (CKA_OTP_FORMAT) */
#define CK_OTP_FORMAT_DECIMAL                        0UL
#define CK_OTP_FORMAT_HEXADECIMAL                    1UL
#define CK_OTP_FORMAT_ALPHANUMERIC                   2UL
#define CK_OTP_FORMAT_BINARY                         3UL

/* OTP parameter requirements (CKA_OTP_*_REQUIREMENT) */
#define CK_OTP_PARAM_IGNORED                         0UL
#define CK_OTP_PARAM_OPTIONAL                        1UL
#define CK_OTP_PARAM_MANDATORY                       2UL

/* Attribute types (CK_ATTRIBUTE_TYPE) */
#define CKA_CLASS                                    0UL
#define CKA_TOKEN                                    1UL
#define CKA_PRIVATE                                  2UL
#define CKA_LABEL                                    3UL
#define CKA_UNIQUE_ID                                4UL
#define CKA_APPLICATION                              0x10UL
#define CKA_VALUE                                    0x11UL
#define CKA_OBJECT_ID                                0x12UL
#define CKA_CERTIFICATE_TYPE                         0x80UL
#define CKA_ISSUER                                   0x81UL
#define CKA_SERIAL_NUMBER                            0x82UL
#define CKA_AC_ISSUER                                0x83UL
#define CKA_OWNER                                    0x84UL
#define CKA_ATTR_TYPES                               0x85UL
#define CKA_TRUSTED                                  0x86UL
#define CKA_CERTIFICATE_CATEGORY                     0x87UL
#define CKA_JAVA_MIDP_SECURITY_DOMAIN                0x88UL
#define CKA_URL                                      0x89UL
#define CKA_HASH_OF_SUBJECT_PUBLIC_KEY               0x8AUL
#define CKA_HASH_OF_ISSUER_PUBLIC_KEY                0x8BUL
#define CKA_NAME_HASH_ALGORITHM                      0x8CUL
#define CKA_CHECK_VALUE                              0x90UL
#define CKA_KEY_TYPE                                 0x100UL
#define CKA_SUBJECT                                  0x101UL
#define CKA_ID                                       0x102UL
#define CKA_SENSITIVE                                0x103UL
#define CKA_ENCRYPT                                  0x104UL
#define CKA_DECRYPT                                  0x105UL
#define CKA_WRAP                                     0x106UL
#define CKA_UNWRAP                                   0x107UL
#define CKA_SIGN                                     0x108UL
#define CKA_SIGN_RECOVER                             0x109UL
#define CKA_VERIFY                                   0x10AUL
#define CKA_VERIFY_RECOVER                           0x10BUL
#define CKA_DERIVE                                   0x10CUL
#define CKA_START_DATE                               0x110UL
#define CKA_END_DATE                                 0x111UL
#define CKA_MODULUS                                  0x120UL
#define CKA_MODULUS_BITS                             0x121UL
#define CKA_PUBLIC_EXPONENT                          0x122UL
#define CKA_PRIVATE_EXPONENT                         0x123UL
#define CKA_PRIME_1                                  0x124UL
#define CKA_PRIME_2                                  0x125UL
#define CKA_EXPONENT_1                               0x126UL
#define CKA_EXPONENT_2                               0x127UL
#define CKA_COEFFICIENT                              0x128UL
#define CKA_PUBLIC_KEY_INFO                          0x129UL
#define CKA_PRIME                                    0x130UL
#define CKA_SUBPRIME                                 0x131UL
#define CKA_BASE                                     0x132UL
#define CKA_PRIME_BITS                               0x133UL
#define CKA_SUBPRIME_BITS                            0x134UL
#define CKA_SUB_PRIME_BITS                           CKA_SUBPRIME_BITS  /* deprecated spelling */
#define CKA_VALUE_BITS                               0x160UL
#define CKA_VALUE_LEN                                0x161UL
#define CKA_EXTRACTABLE                              0x162UL
#define CKA_LOCAL                                    0x163UL
#define CKA_NEVER_EXTRACTABLE                        0x164UL
#define CKA_ALWAYS_SENSITIVE                         0x165UL
#define CKA_KEY_GEN_MECHANISM                        0x166UL
#define CKA_MODIFIABLE                               0x170UL
#define CKA_COPYABLE                                 0x171UL
#define CKA_DESTROYABLE                              0x172UL
#define CKA_EC_PARAMS                                0x180UL
#define CKA_ECDSA_PARAMS                             CKA_EC_PARAMS  /* deprecated spelling */
#define CKA_EC_POINT                                 0x181UL
#define CKA_SECONDARY_AUTH                           0x200UL
#define CKA_AUTH_PIN_FLAGS                           0x201UL
#define CKA_ALWAYS_AUTHENTICATE                      0x202UL
#define CKA_WRAP_WITH_TRUSTED                        0x210UL
#define CKA_OTP_FORMAT                               0x220UL
#define CKA_OTP_LENGTH                               0x221UL
#define CKA_OTP_TIME_INTERVAL                        0x222UL
#define CKA_OTP_USER_FRIENDLY_MODE                   0x223UL
#define CKA_OTP_CHALLENGE_REQUIREMENT                0x224UL
#define CKA_OTP_TIME_REQUIREMENT                     0x225UL
#define CKA_OTP_COUNTER_REQUIREMENT                  0x226UL
#define CKA_OTP_PIN_REQUIREMENT                      0x227UL
#define CKA_OTP_USER_IDENTIFIER                      0x22AUL
#define CKA_OTP_SERVICE_IDENTIFIER                   0x22BUL
#define CKA_OTP_SERVICE_LOGO                         0x22CUL
#define CKA_OTP_SERVICE_LOGO_TYPE                    0x22DUL
#define CKA_OTP_COUNTER                              0x22EUL
#define CKA_OTP_TIME                                 0x22FUL
#define CKA_GOSTR3410_PARAMS                         0x250UL
#define CKA_GOSTR3411_PARAMS                         0x251UL
#define CKA_GOST28147_PARAMS                         0x252UL
#define CKA_HW_FEATURE_TYPE                          0x300UL
#define CKA_RESET_ON_INIT                            0x301UL
#define CKA_HAS_RESET                                0x302UL
#define CKA_PIXEL_X                                  0x400UL
#define CKA_PIXEL_Y                                  0x401UL
#define CKA_RESOLUTION                               0x402UL
#define CKA_CHAR_ROWS                                0x403UL
#define CKA_CHAR_COLUMNS                             0x404UL
#define CKA_COLOR                                    0x405UL
#define CKA_BITS_PER_PIXEL                           0x406UL
#define CKA_CHAR_SETS                                0x480UL
#define CKA_ENCODING_METHODS                         0x481UL
#define CKA_MIME_TYPES                               0x482UL
#define CKA_MECHANISM_TYPE                           0x500UL
#define CKA_REQUIRED_CMS_ATTRIBUTES                  0x501UL
#define CKA_DEFAULT_CMS_ATTRIBUTES                   0x502UL
#define CKA_SUPPORTED_CMS_ATTRIBUTES                 0x503UL
#define CKA_PROFILE_ID                               0x601UL
#define CKA_X2RATCHET_BAG                            0x602UL
#define CKA_X2RATCHET_BAGSIZE                        0x603UL
#define CKA_X2RATCHET_BOBS1STMSG                     0x604UL
#define CKA_X2RATCHET_CKR                            0x605UL
#define CKA_X2RATCHET_CKS                            0x606UL
#define CKA_X2RATCHET_DHP                            0x607UL
#define CKA_X2RATCHET_DHR                            0x608UL
#define CKA_X2RATCHET_DHS                            0x609UL
#define CKA_X2RATCHET_HKR                            0x60AUL
#define CKA_X2RATCHET_HKS                            0x60BUL
#define CKA_X2RATCHET_ISALICE                        0x60CUL
#define CKA_X2RATCHET_NHKR                           0x60DUL
#define CKA_X2RATCHET_NHKS                           0x60EUL
#define CKA_X2RATCHET_NR                             0x60FUL
#define CKA_X2RATCHET_NS                             0x610UL
#define CKA_X2RATCHET_PNS                            0x611UL
#define CKA_X2RATCHET_RK                             0x612UL
#define CKA_WRAP_TEMPLATE                            (CKF_ARRAY_ATTRIBUTE | 0x211UL)
#define CKA_UNWRAP_TEMPLATE                          (CKF_ARRAY_ATTRIBUTE | 0x212UL)
#define CKA_DERIVE_TEMPLATE                          (CKF_ARRAY_ATTRIBUTE | 0x213UL)
#define CKA_ALLOWED_MECHANISMS                       (CKF_ARRAY_ATTRIBUTE | 0x600UL)
#define CKA_VENDOR_DEFINED                           0x80000000UL

/* Mechanism types (CK_MECHANISM_TYPE) */
#define CKM_RSA_PKCS_KEY_PAIR_GEN                    0UL
#define CKM_RSA_PKCS                                 1UL
#define CKM_RSA_9796                                 2UL
#define CKM_RSA_X_509                                3UL
#define CKM_MD2_RSA_PKCS                             4UL
#define CKM_MD5_RSA_PKCS                             5UL
#define CKM_SHA1_RSA_PKCS                            6UL
#define CKM_RIPEMD128_RSA_PKCS                       7UL
#define CKM_RIPEMD160_RSA_PKCS                       8UL
#define CKM_RSA_PKCS_OAEP                            9UL
#define CKM_RSA_X9_31_KEY_PAIR_GEN                   0xAUL
#define CKM_RSA_X9_31                                0xBUL
#define CKM_SHA1_RSA_X9_31                           0xCUL
#define CKM_RSA_PKCS_PSS                             0xDUL
#define CKM_SHA1_RSA_PKCS_PSS                        0xEUL
#define CKM_DSA_KEY_PAIR_GEN                         0x10UL
#define CKM_DSA                                      0x11UL
#define CKM_DSA_SHA1                                 0x12UL
#define CKM_DSA_SHA224                               0x13UL
#define CKM_DSA_SHA256                               0x14UL
#define CKM_DSA_SHA384                               0x15UL
#define CKM_DSA_SHA512                               0x16UL
#define CKM_DSA_SHA3_224                             0x18UL
#define CKM_DSA_SHA3_256                             0x19UL
#define CKM_DSA_SHA3_384                             0x1AUL
#define CKM_DSA_SHA3_512                             0x1BUL
#define CKM_DH_PKCS_KEY_PAIR_GEN                     0x20UL
#define CKM_DH_PKCS_DERIVE                           0x21UL
#define CKM_X9_42_DH_KEY_PAIR_GEN                    0x30UL
#define CKM_X9_42_DH_DERIVE                          0x31UL
#define CKM_X9_42_DH_HYBRID_DERIVE                   0x32UL
#define CKM_X9_42_MQV_DERIVE                         0x33UL
#define CKM_SHA256_RSA_PKCS                          0x40UL
#define CKM_SHA384_RSA_PKCS                          0x41UL
#define CKM_SHA512_RSA_PKCS                          0x42UL
#define CKM_SHA256_RSA_PKCS_PSS                      0x43UL
#define CKM_SHA384_RSA_PKCS_PSS                      0x44UL
#define CKM_SHA512_RSA_PKCS_PSS                      0x45UL
#define CKM_SHA224_RSA_PKCS                          0x46UL
#define CKM_SHA224_RSA_PKCS_PSS                      0x47UL
#define CKM_SHA512_224                               0x48UL
#define CKM_SHA512_224_HMAC                          0x49UL
#define CKM_SHA512_224_HMAC_GENERAL                  0x4AUL
#define CKM_SHA512_224_KEY_DERIVATION                0x4BUL
#define CKM_SHA512_256                               0x4CUL
#define CKM_SHA512_256_HMAC                          0x4DUL
#define CKM_SHA512_256_HMAC_GENERAL                  0x4EUL
#define CKM_SHA512_256_KEY_DERIVATION                0x4FUL
#define CKM_SHA512_T                                 0x50UL
#define CKM_SHA512_T_HMAC                            0x51UL
#define CKM_SHA512_T_HMAC_GENERAL                    0x52UL
#define CKM_SHA512_T_KEY_DERIVATION                  0x53UL
#define CKM_SHA3_256_RSA_PKCS                        0x60UL
#define CKM_SHA3_384_RSA_PKCS                        0x61UL
#define CKM_SHA3_512_RSA_PKCS                        0x62UL
#define CKM_SHA3_256_RSA_PKCS_PSS                    0x63UL
#define CKM_SHA3_384_RSA_PKCS_PSS                    0x64UL
#define CKM_SHA3_512_RSA_PKCS_PSS                    0x65UL
#define CKM_SHA3_224_RSA_PKCS                        0x66UL
#define CKM_SHA3_224_RSA_PKCS_PSS                    0x67UL
#define CKM_RC2_KEY_GEN                              0x100UL
#define CKM_RC2_ECB                                  0x101UL
#define CKM_RC2_CBC                                  0x102UL
#define CKM_RC2_MAC                                  0x103UL
#define CKM_RC2_MAC_GENERAL                          0x104UL
#define CKM_RC2_CBC_PAD                              0x105UL
#define CKM_RC4_KEY_GEN                              0x110UL
#define CKM_RC4                                      0x111UL
#define CKM_DES_KEY_GEN                              0x120UL
#define CKM_DES_ECB                                  0x121UL
#define CKM_DES_CBC                                  0x122UL
#define CKM_DES_MAC                                  0x123UL
#define CKM_DES_MAC_GENERAL                          0x124UL
#define CKM_DES_CBC_PAD                              0x125UL
#define CKM_DES2_KEY_GEN                             0x130UL
#define CKM_DES3_KEY_GEN                             0x131UL
#define CKM_DES3_ECB                                 0x132UL
#define CKM_DES3_CBC                                 0x133UL
#define CKM_DES3_MAC                                 0x134UL
#define CKM_DES3_MAC_GENERAL                         0x135UL
#define CKM_DES3_CBC_PAD                             0x136UL
#define CKM_DES3_CMAC_GENERAL                        0x137UL
#define CKM_DES3_CMAC                                0x138UL
#define CKM_CDMF_KEY_GEN                             0x140UL
#define CKM_CDMF_ECB                                 0x141UL
#define CKM_CDMF_CBC                                 0x142UL
#define CKM_CDMF_MAC                                 0x143UL
#define CKM_CDMF_MAC_GENERAL                         0x144UL
#define CKM_CDMF_CBC_PAD                             0x145UL
#define CKM_DES_OFB64                                0x150UL
#define CKM_DES_OFB8                                 0x151UL
#define CKM_DES_CFB64                                0x152UL
#define CKM_DES_CFB8                                 0x153UL
#define CKM_MD2                                      0x200UL
#define CKM_MD2_HMAC                                 0x201UL
#define CKM_MD2_HMAC_GENERAL                         0x202UL
#define CKM_MD5                                      0x210UL
#define CKM_MD5_HMAC                                 0x211UL
#define CKM_MD5_HMAC_GENERAL                         0x212UL
#define CKM_SHA_1                                    0x220UL
#define CKM_SHA_1_HMAC                               0x221UL
#define CKM_SHA_1_HMAC_GENERAL                       0x222UL
#define CKM_RIPEMD128                                0x230UL
#define CKM_RIPEMD128_HMAC                           0x231UL
#define CKM_RIPEMD128_HMAC_GENERAL                   0x232UL
#define CKM_RIPEMD160                                0x240UL
#define CKM_RIPEMD160_HMAC                           0x241UL
#define CKM_RIPEMD160_HMAC_GENERAL                   0x242UL
#define CKM_SHA256                                   0x250UL
#define CKM_SHA256_HMAC                              0x251UL
#define CKM_SHA256_HMAC_GENERAL                      0x252UL
#define CKM_SHA224                                   0x255UL
#define CKM_SHA224_HMAC                              0x256UL
#define CKM_SHA224_HMAC_GENERAL                      0x257UL
#define CKM_SHA384                                   0x260UL
#define CKM_SHA384_HMAC                              0x261UL
#define CKM_SHA384_HMAC_GENERAL                      0x262UL
#define CKM_SHA512                                   0x270UL
#define CKM_SHA512_HMAC                              0x271UL
#define CKM_SHA512_HMAC_GENERAL                      0x272UL
#define CKM_SECURID_KEY_GEN                          0x280UL
#define CKM_SECURID                                  0x282UL
#define CKM_HOTP_KEY_GEN                             0x290UL
#define CKM_HOTP                                     0x291UL
#define CKM_ACTI                                     0x2A0UL
#define CKM_ACTI_KEY_GEN                             0x2A1UL
#define CKM_SHA3_256                                 0x2B0UL
#define CKM_SHA3_256_HMAC                            0x2B1UL
#define CKM_SHA3_256_HMAC_GENERAL                    0x2B2UL
#define CKM_SHA3_256_KEY_GEN                         0x2B3UL
#define CKM_SHA3_224                                 0x2B5UL
#define CKM_SHA3_224_HMAC                            0x2B6UL
#define CKM_SHA3_224_HMAC_GENERAL                    0x2B7UL
#define CKM_SHA3_224_KEY_GEN                         0x2B8UL
#define CKM_SHA3_384                                 0x2C0UL
#define CKM_SHA3_384_HMAC                            0x2C1UL
#define CKM_SHA3_384_HMAC_GENERAL                    0x2C2UL
#define CKM_SHA3_384_KEY_GEN                         0x2C3UL
#define CKM_SHA3_512                                 0x2D0UL
#define CKM_SHA3_512_HMAC                            0x2D1UL
#define CKM_SHA3_512_HMAC_GENERAL                    0x2D2UL
#define CKM_SHA3_512_KEY_GEN                         0x2D3UL
#define CKM_CAST_KEY_GEN                             0x300UL
#define CKM_CAST_ECB                                 0x301UL
#define CKM_CAST_CBC                                 0x302UL
#define CKM_CAST_MAC                                 0x303UL
#define CKM_CAST_MAC_GENERAL                         0x304UL
#define CKM_CAST_CBC_PAD                             0x305UL
#define CKM_CAST3_KEY_GEN                            0x310UL
#define CKM_CAST3_ECB                                0x311UL
#define CKM_CAST3_CBC                                0x312UL
#define CKM_CAST3_MAC                                0x313UL
#define CKM_CAST3_MAC_GENERAL                        0x314UL
#define CKM_CAST3_CBC_PAD                            0x315UL
#define CKM_CAST128_KEY_GEN                          0x320UL
#define CKM_CAST5_KEY_GEN                            CKM_CAST128_KEY_GEN  /* deprecated spelling */
#define CKM_CAST128_ECB                              0x321UL
#define CKM_CAST5_ECB                                CKM_CAST128_ECB  /* deprecated spelling */
#define CKM_CAST128_CBC                              0x322UL
#define CKM_CAST5_CBC                                CKM_CAST128_CBC  /* deprecated spelling */
#define CKM_CAST128_MAC                              0x323UL
#define CKM_CAST5_MAC                                CKM_CAST128_MAC  /* deprecated spelling */
#define CKM_CAST128_MAC_GENERAL                      0x324UL
#define CKM_CAST5_MAC_GENERAL                        CKM_CAST128_MAC_GENERAL  /* deprecated spelling */
#define CKM_CAST128_CBC_PAD                          0x325UL
#define CKM_CAST5_CBC_PAD                            CKM_CAST128_CBC_PAD  /* deprecated spelling */
#define CKM_RC5_KEY_GEN                              0x330UL
#define CKM_RC5_ECB                                  0x331UL
#define CKM_RC5_CBC                                  0x332UL
#define CKM_RC5_MAC                                  0x333UL
#define CKM_RC5_MAC_GENERAL                          0x334UL
#define CKM_RC5_CBC_PAD                              0x335UL
#define CKM_IDEA_KEY_GEN                             0x340UL
#define CKM_IDEA_ECB                                 0x341UL
#define CKM_IDEA_CBC                                 0x342UL
#define CKM_IDEA_MAC                                 0x343UL
#define CKM_IDEA_MAC_GENERAL                         0x344UL
#define CKM_IDEA_CBC_PAD                             0x345UL
#define CKM_GENERIC_SECRET_KEY_GEN                   0x350UL
#define CKM_CONCATENATE_BASE_AND_KEY                 0x360UL
#define CKM_CONCATENATE_BASE_AND_DATA                0x362UL
#define CKM_CONCATENATE_DATA_AND_BASE                0x363UL
#define CKM_XOR_BASE_AND_DATA                        0x364UL
#define CKM_EXTRACT_KEY_FROM_KEY                     0x365UL
#define CKM_SSL3_PRE_MASTER_KEY_GEN                  0x370UL
#define CKM_SSL3_MASTER_KEY_DERIVE                   0x371UL
#define CKM_SSL3_KEY_AND_MAC_DERIVE                  0x372UL
#define CKM_SSL3_MASTER_KEY_DERIVE_DH                0x373UL
#define CKM_TLS_PRE_MASTER_KEY_GEN                   0x374UL
#define CKM_TLS_MASTER_KEY_DERIVE                    0x375UL
#define CKM_TLS_KEY_AND_MAC_DERIVE                   0x376UL
#define CKM_TLS_MASTER_KEY_DERIVE_DH                 0x377UL
#define CKM_TLS_PRF                                  0x378UL
#define CKM_SSL3_MD5_MAC                             0x380UL
#define CKM_SSL3_SHA1_MAC                            0x381UL
#define CKM_MD5_KEY_DERIVATION                       0x390UL
#define CKM_MD2_KEY_DERIVATION                       0x391UL
#define CKM_SHA1_KEY_DERIVATION                      0x392UL
#define CKM_SHA256_KEY_DERIVATION                    0x393UL
#define CKM_SHA384_KEY_DERIVATION                    0x394UL
#define CKM_SHA512_KEY_DERIVATION                    0x395UL
#define CKM_SHA224_KEY_DERIVATION                    0x396UL
#define CKM_SHA3_256_KEY_DERIVATION                  0x397UL
#define CKM_SHA3_256_KEY_DERIVE                      CKM_SHA3_256_KEY_DERIVATION  /* deprecated spelling */
#define CKM_SHA3_224_KEY_DERIVATION                  0x398UL
#define CKM_SHA3_224_KEY_DERIVE                      CKM_SHA3_224_KEY_DERIVATION  /* deprecated spelling */
#define CKM_SHA3_384_KEY_DERIVATION                  0x399UL
#define CKM_SHA3_384_KEY_DERIVE                      CKM_SHA3_384_KEY_DERIVATION  /* deprecated spelling */
#define CKM_SHA3_512_KEY_DERIVATION                  0x39AUL
#define CKM_SHA3_512_KEY_DERIVE                      CKM_SHA3_512_KEY_DERIVATION  /* deprecated spelling */
#define CKM_SHAKE_128_KEY_DERIVATION                 0x39BUL
#define CKM_SHAKE_128_KEY_DERIVE                     CKM_SHAKE_128_KEY_DERIVATION  /* deprecated spelling */
#define CKM_SHAKE_256_KEY_DERIVATION                 0x39CUL
#define CKM_SHAKE_256_KEY_DERIVE                     CKM_SHAKE_256_KEY_DERIVATION  /* deprecated spelling */
#define CKM_PBE_MD2_DES_CBC                          0x3A0UL
#define CKM_PBE_MD5_DES_CBC                          0x3A1UL
#define CKM_PBE_MD5_CAST_CBC                         0x3A2UL
#define CKM_PBE_MD5_CAST3_CBC                        0x3A3UL
#define CKM_PBE_MD5_CAST128_CBC                      0x3A4UL
#define CKM_PBE_MD5_CAST5_CBC                        CKM_PBE_MD5_CAST128_CBC  /* deprecated spelling */
#define CKM_PBE_SHA1_CAST128_CBC                     0x3A5UL
#define CKM_PBE_SHA1_CAST5_CBC                       CKM_PBE_SHA1_CAST128_CBC  /* deprecated spelling */
#define CKM_PBE_SHA1_RC4_128                         0x3A6UL
#define CKM_PBE_SHA1_RC4_40                          0x3A7UL
#define CKM_PBE_SHA1_DES3_EDE_CBC                    0x3A8UL
#define CKM_PBE_SHA1_DES2_EDE_CBC                    0x3A9UL
#define CKM_PBE_SHA1_RC2_128_CBC                     0x3AAUL
#define CKM_PBE_SHA1_RC2_40_CBC                      0x3ABUL
#define CKM_SP800_108_COUNTER_KDF                    0x3ACUL
#define CKM_SP800_108_FEEDBACK_KDF                   0x3ADUL
#define CKM_SP800_108_DOUBLE_PIPELINE_KDF            0x3AEUL
#define CKM_PKCS5_PBKD2                              0x3B0UL
#define CKM_PBA_SHA1_WITH_SHA1_HMAC                  0x3C0UL
#define CKM_WTLS_PRE_MASTER_KEY_GEN                  0x3D0UL
#define CKM_WTLS_MASTER_KEY_DERIVE                   0x3D1UL
#define CKM_WTLS_MASTER_KEY_DERIVE_DH_ECC            0x3D2UL
#define CKM_WTLS_PRF                                 0x3D3UL
#define CKM_WTLS_SERVER_KEY_AND_MAC_DERIVE           0x3D4UL
#define CKM_WTLS_CLIENT_KEY_AND_MAC_DERIVE           0x3D5UL
#define CKM_TLS10_MAC_SERVER                         0x3D6UL
#define CKM_TLS10_MAC_CLIENT                         0x3D7UL
#define CKM_TLS12_MAC                                0x3D8UL
#define CKM_TLS12_KDF                                0x3D9UL
#define CKM_TLS12_MASTER_KEY_DERIVE                  0x3E0UL
#define CKM_TLS12_KEY_AND_MAC_DERIVE                 0x3E1UL
#define CKM_TLS12_MASTER_KEY_DERIVE_DH               0x3E2UL
#define CKM_TLS12_KEY_SAFE_DERIVE                    0x3E3UL
#define CKM_TLS_MAC                                  0x3E4UL
#define CKM_TLS_KDF                                  0x3E5UL
#define CKM_KEY_WRAP_LYNKS                           0x400UL
#define CKM_KEY_WRAP_SET_OAEP                        0x401UL
#define CKM_CMS_SIG                                  0x500UL
#define CKM_KIP_DERIVE                               0x510UL
#define CKM_KIP_WRAP                                 0x511UL
#define CKM_KIP_MAC                                  0x512UL
#define CKM_CAMELLIA_KEY_GEN                         0x550UL
#define CKM_CAMELLIA_ECB                             0x551UL
#define CKM_CAMELLIA_CBC                             0x552UL
#define CKM_CAMELLIA_MAC                             0x553UL
#define CKM_CAMELLIA_MAC_GENERAL                     0x554UL
#define CKM_CAMELLIA_CBC_PAD                         0x555UL
#define CKM_CAMELLIA_ECB_ENCRYPT_DATA                0x556UL
#define CKM_CAMELLIA_CBC_ENCRYPT_DATA                0x557UL
#define CKM_CAMELLIA_CTR                             0x558UL
#define CKM_ARIA_KEY_GEN                             0x560UL
#define CKM_ARIA_ECB                                 0x561UL
#define CKM_ARIA_CBC                                 0x562UL
#define CKM_ARIA_MAC                                 0x563UL
#define CKM_ARIA_MAC_GENERAL                         0x564UL
#define CKM_ARIA_CBC_PAD                             0x565UL
#define CKM_ARIA_ECB_ENCRYPT_DATA                    0x566UL
#define CKM_ARIA_CBC_ENCRYPT_DATA                    0x567UL
#define CKM_SEED_KEY_GEN                             0x650UL
#define CKM_SEED_ECB                                 0x651UL
#define CKM_SEED_CBC                                 0x652UL
#define CKM_SEED_MAC                                 0x653UL
#define CKM_SEED_MAC_GENERAL                         0x654UL
#define CKM_SEED_CBC_PAD                             0x655UL
#define CKM_SEED_ECB_ENCRYPT_DATA                    0x656UL
#define CKM_SEED_CBC_ENCRYPT_DATA                    0x657UL
#define CKM_SKIPJACK_KEY_GEN                         0x1000UL
#define CKM_SKIPJACK_ECB64                           0x1001UL
#define CKM_SKIPJACK_CBC64                           0x1002UL
#define CKM_SKIPJACK_OFB64                           0x1003UL
#define CKM_SKIPJACK_CFB64                           0x1004UL
#define CKM_SKIPJACK_CFB32                           0x1005UL
#define CKM_SKIPJACK_CFB16                           0x1006UL
#define CKM_SKIPJACK_CFB8                            0x1007UL
#define CKM_SKIPJACK_WRAP                            0x1008UL
#define CKM_SKIPJACK_PRIVATE_WRAP                    0x1009UL
#define CKM_SKIPJACK_RELAYX                          0x100AUL
#define CKM_KEA_KEY_PAIR_GEN                         0x1010UL
#define CKM_KEA_KEY_DERIVE                           0x1011UL
#define CKM_KEA_DERIVE                               0x1012UL
#define CKM_FORTEZZA_TIMESTAMP                       0x1020UL
#define CKM_BATON_KEY_GEN                            0x1030UL
#define CKM_BATON_ECB128                             0x1031UL
#define CKM_BATON_ECB96                              0x1032UL
#define CKM_BATON_CBC128                             0x1033UL
#define CKM_BATON_COUNTER                            0x1034UL
#define CKM_BATON_SHUFFLE                            0x1035UL
#define CKM_BATON_WRAP                               0x1036UL
#define CKM_EC_KEY_PAIR_GEN                          0x1040UL
#define CKM_ECDSA_KEY_PAIR_GEN                       CKM_EC_KEY_PAIR_GEN  /* deprecated spelling */
#define CKM_ECDSA                                    0x1041UL
#define CKM_ECDSA_SHA1                               0x1042UL
#define CKM_ECDSA_SHA224                             0x1043UL
#define CKM_ECDSA_SHA256                             0x1044UL
#define CKM_ECDSA_SHA384                             0x1045UL
#define CKM_ECDSA_SHA512                             0x1046UL
#define CKM_ECDSA_SHA3_224                           0x1047UL
#define CKM_ECDSA_SHA3_256                           0x1048UL
#define CKM_ECDSA_SHA3_384                           0x1049UL
#define CKM_ECDSA_SHA3_512                           0x104AUL
#define CKM_ECDH1_DERIVE                             0x1050UL
#define CKM_ECDH1_COFACTOR_DERIVE                    0x1051UL
#define CKM_ECMQV_DERIVE                             0x1052UL
#define CKM_ECDH_AES_KEY_WRAP                        0x1053UL
#define CKM_RSA_AES_KEY_WRAP                         0x1054UL
#define CKM_EC_EDWARDS_KEY_PAIR_GEN                  0x1055UL
#define CKM_EC_MONTGOMERY_KEY_PAIR_GEN               0x1056UL
#define CKM_EDDSA                                    0x1057UL
#define CKM_JUNIPER_KEY_GEN                          0x1060UL
#define CKM_JUNIPER_ECB128                           0x1061UL
#define CKM_JUNIPER_CBC128                           0x1062UL
#define CKM_JUNIPER_COUNTER                          0x1063UL
#define CKM_JUNIPER_SHUFFLE                          0x1064UL
#define CKM_JUNIPER_WRAP                             0x1065UL
#define CKM_FASTHASH                                 0x1070UL
#define CKM_AES_XTS                                  0x1071UL
#define CKM_AES_XTS_KEY_GEN                          0x1072UL
#define CKM_AES_KEY_GEN                              0x1080UL
#define CKM_AES_ECB                                  0x1081UL
#define CKM_AES_CBC                                  0x1082UL
#define CKM_AES_MAC                                  0x1083UL
#define CKM_AES_MAC_GENERAL                          0x1084UL
#define CKM_AES_CBC_PAD                              0x1085UL
#define CKM_AES_CTR                                  0x1086UL
#define CKM_AES_GCM                                  0x1087UL
#define CKM_AES_CCM                                  0x1088UL
#define CKM_AES_CTS                                  0x1089UL
#define CKM_AES_CMAC                                 0x108AUL
#define CKM_AES_CMAC_GENERAL                         0x108BUL
#define CKM_AES_XCBC_MAC                             0x108CUL
#define CKM_AES_XCBC_MAC_96                          0x108DUL
#define CKM_AES_GMAC                                 0x108EUL
#define CKM_BLOWFISH_KEY_GEN                         0x1090UL
#define CKM_BLOWFISH_CBC                             0x1091UL
#define CKM_TWOFISH_KEY_GEN                          0x1092UL
#define CKM_TWOFISH_CBC                              0x1093UL
#define CKM_BLOWFISH_CBC_PAD                         0x1094UL
#define CKM_TWOFISH_CBC_PAD                          0x1095UL
#define CKM_DES_ECB_ENCRYPT_DATA                     0x1100UL
#define CKM_DES_CBC_ENCRYPT_DATA                     0x1101UL
#define CKM_DES3_ECB_ENCRYPT_DATA                    0x1102UL
#define CKM_DES3_CBC_ENCRYPT_DATA                    0x1103UL
#define CKM_AES_ECB_ENCRYPT_DATA                     0x1104UL
#define CKM_AES_CBC_ENCRYPT_DATA                     0x1105UL
#define CKM_GOSTR3410_KEY_PAIR_GEN                   0x1200UL
#define CKM_GOSTR3410                                0x1201UL
#define CKM_GOSTR3410_WITH_GOSTR3411                 0x1202UL
#define CKM_GOSTR3410_KEY_WRAP                       0x1203UL
#define CKM_GOSTR3410_DERIVE                         0x1204UL
#define CKM_GOSTR3411                                0x1210UL
#define CKM_GOSTR3411_HMAC                           0x1211UL
#define CKM_GOST28147_KEY_GEN                        0x1220UL
#define CKM_GOST28147_ECB                            0x1221UL
#define CKM_GOST28147                                0x1222UL
#define CKM_GOST28147_MAC                            0x1223UL
#define CKM_GOST28147_KEY_WRAP                       0x1224UL
#define CKM_CHACHA20_KEY_GEN                         0x1225UL
#define CKM_CHACHA20                                 0x1226UL
#define CKM_POLY1305_KEY_GEN                         0x1227UL
#define CKM_POLY1305                                 0x1228UL
#define CKM_EC_KEY_PAIR_GEN_W_EXTRA_BITS             0x140BUL
#define CKM_DSA_PARAMETER_GEN                        0x2000UL
#define CKM_DH_PKCS_PARAMETER_GEN                    0x2001UL
#define CKM_X9_42_DH_PARAMETER_GEN                   0x2002UL
#define CKM_DSA_PROBABILISTIC_PARAMETER_GEN          0x2003UL
#define CKM_DSA_PROBABLISTIC_PARAMETER_GEN           CKM_DSA_PROBABILISTIC_PARAMETER_GEN  /* deprecated spelling */
#define CKM_DSA_SHAWE_TAYLOR_PARAMETER_GEN           0x2004UL
#define CKM_DSA_FIPS_G_GEN                           0x2005UL
#define CKM_AES_OFB                                  0x2104UL
#define CKM_AES_CFB64                                0x2105UL
#define CKM_AES_CFB8                                 0x2106UL
#define CKM_AES_CFB128                               0x2107UL
#define CKM_AES_CFB1                                 0x2108UL
#define CKM_AES_KEY_WRAP                             0x2109UL
#define CKM_AES_KEY_WRAP_PAD                         0x210AUL
#define CKM_AES_KEY_WRAP_KWP                         0x210BUL
#define CKM_RSA_PKCS_TPM_1_1                         0x4001UL
#define CKM_RSA_PKCS_OAEP_TPM_1_1                    0x4002UL
#define CKM_SHA_1_KEY_GEN                            0x4003UL
#define CKM_SHA224_KEY_GEN                           0x4004UL
#define CKM_SHA256_KEY_GEN                           0x4005UL
#define CKM_SHA384_KEY_GEN                           0x4006UL
#define CKM_SHA512_KEY_GEN                           0x4007UL
#define CKM_SHA512_224_KEY_GEN                       0x4008UL
#define CKM_SHA512_256_KEY_GEN                       0x4009UL
#define CKM_SHA512_T_KEY_GEN                         0x400AUL
#define CKM_NULL                                     0x400BUL
#define CKM_BLAKE2B_160                              0x400CUL
#define CKM_BLAKE2B_160_HMAC                         0x400DUL
#define CKM_BLAKE2B_160_HMAC_GENERAL                 0x400EUL
#define CKM_BLAKE2B_160_KEY_DERIVE                   0x400FUL
#define CKM_BLAKE2B_160_KEY_GEN                      0x4010UL
#define CKM_BLAKE2B_256                              0x4011UL
#define CKM_BLAKE2B_256_HMAC                         0x4012UL
#define CKM_BLAKE2B_256_HMAC_GENERAL                 0x4013UL
#define CKM_BLAKE2B_256_KEY_DERIVE                   0x4014UL
#define CKM_BLAKE2B_256_KEY_GEN                      0x4015UL
#define CKM_BLAKE2B_384                              0x4016UL
#define CKM_BLAKE2B_384_HMAC                         0x4017UL
#define CKM_BLAKE2B_384_HMAC_GENERAL                 0x4018UL
#define CKM_BLAKE2B_384_KEY_DERIVE                   0x4019UL
#define CKM_BLAKE2B_384_KEY_GEN                      0x401AUL
#define CKM_BLAKE2B_512                              0x401BUL
#define CKM_BLAKE2B_512_HMAC                         0x401CUL
#define CKM_BLAKE2B_512_HMAC_GENERAL                 0x401DUL
#define CKM_BLAKE2B_512_KEY_DERIVE                   0x401EUL
#define CKM_BLAKE2B_512_KEY_GEN                      0x401FUL
#define CKM_SALSA20                                  0x4020UL
#define CKM_CHACHA20_POLY1305                        0x4021UL
#define CKM_SALSA20_POLY1305                         0x4022UL
#define CKM_X3DH_INITIALIZE                          0x4023UL
#define CKM_X3DH_RESPOND                             0x4024UL
#define CKM_X2RATCHET_INITIALIZE                     0x4025UL
#define CKM_X2RATCHET_RESPOND                        0x4026UL
#define CKM_X2RATCHET_ENCRYPT                        0x4027UL
#define CKM_X2RATCHET_DECRYPT                        0x4028UL
#define CKM_XEDDSA                                   0x4029UL
#define CKM_HKDF_DERIVE                              0x402AUL
#define CKM_HKDF_DATA                                0x402BUL
#define CKM_HKDF_KEY_GEN                             0x402CUL
#define CKM_SALSA20_KEY_GEN                          0x402DUL
#define CKM_VENDOR_DEFINED                           0x80000000UL

/* Flags: CK_MECHANISM_INFO.flags */
#define CKF_HW                                       1UL
#define CKF_MESSAGE_ENCRYPT                          2UL
#define CKF_MESSAGE_DECRYPT                          4UL
#define CKF_MESSAGE_SIGN                             8UL
#define CKF_MESSAGE_VERIFY                           0x10UL
#define CKF_MULTI_MESSAGE                            0x20UL
#define CKF_MULTI_MESSGE                             CKF_MULTI_MESSAGE  /* deprecated spelling */
#define CKF_FIND_OBJECTS                             0x40UL
#define CKF_ENCRYPT                                  0x100UL
#define CKF_DECRYPT                                  0x200UL
#define CKF_DIGEST                                   0x400UL
#define CKF_SIGN                                     0x800UL
#define CKF_SIGN_RECOVER                             0x1000UL
#define CKF_VERIFY                                   0x2000UL
#define CKF_VERIFY_RECOVER                           0x4000UL
#define CKF_GENERATE                                 0x8000UL
#define CKF_GENERATE_KEY_PAIR                        0x10000UL
#define CKF_WRAP                                     0x20000UL
#define CKF_UNWRAP                                   0x40000UL
#define CKF_DERIVE                                   0x80000UL
#define CKF_EC_F_P                                   0x100000UL
#define CKF_EC_F_2M                                  0x200000UL
#define CKF_EC_ECPARAMETERS                          0x400000UL
#define CKF_EC_OID                                   0x800000UL
#define CKF_EC_NAMEDCURVE                            CKF_EC_OID  /* deprecated spelling */
#define CKF_EC_UNCOMPRESS                            0x1000000UL
#define CKF_EC_COMPRESS                              0x2000000UL
#define CKF_EC_CURVENAME                             0x4000000UL
#define CKF_EXTENSION                                0x80000000UL

/* Return values (CK_RV) */
#define CKR_OK                                       0UL
#define CKR_CANCEL                                   1UL
#define CKR_HOST_MEMORY                              2UL
#define CKR_SLOT_ID_INVALID                          3UL
#define CKR_GENERAL_ERROR                            5UL
#define CKR_FUNCTION_FAILED                          6UL
#define CKR_ARGUMENTS_BAD                            7UL
#define CKR_NO_EVENT                                 8UL
#define CKR_NEED_TO_CREATE_THREADS                   9UL
#define CKR_CANT_LOCK                                0xAUL
#define CKR_ATTRIBUTE_READ_ONLY                      0x10UL
#define CKR_ATTRIBUTE_SENSITIVE                      0x11UL
#define CKR_ATTRIBUTE_TYPE_INVALID                   0x12UL
#define CKR_ATTRIBUTE_VALUE_INVALID                  0x13UL
#define CKR_ACTION_PROHIBITED                        0x1BUL
#define CKR_DATA_INVALID                             0x20UL
#define CKR_DATA_LEN_RANGE                           0x21UL
#define CKR_DEVICE_ERROR                             0x30UL
#define CKR_DEVICE_MEMORY                            0x31UL
#define CKR_DEVICE_REMOVED                           0x32UL
#define CKR_ENCRYPTED_DATA_INVALID                   0x40UL
#define CKR_ENCRYPTED_DATA_LEN_RANGE                 0x41UL
#define CKR_AEAD_DECRYPT_FAILED                      0x42UL
#define CKR_FUNCTION_CANCELED                        0x50UL
#define CKR_FUNCTION_NOT_PARALLEL                    0x51UL
#define CKR_FUNCTION_NOT_SUPPORTED                   0x54UL
#define CKR_KEY_HANDLE_INVALID                       0x60UL
#define CKR_KEY_SIZE_RANGE                           0x62UL
#define CKR_KEY_TYPE_INCONSISTENT                    0x63UL
#define CKR_KEY_NOT_NEEDED                           0x64UL
#define CKR_KEY_CHANGED                              0x65UL
#define CKR_KEY_NEEDED                               0x66UL
#define CKR_KEY_INDIGESTIBLE                         0x67UL
#define CKR_KEY_FUNCTION_NOT_PERMITTED               0x68UL
#define CKR_KEY_NOT_WRAPPABLE                        0x69UL
#define CKR_KEY_UNEXTRACTABLE                        0x6AUL
#define CKR_MECHANISM_INVALID                        0x70UL
#define CKR_MECHANISM_PARAM_INVALID                  0x71UL
#define CKR_OBJECT_HANDLE_INVALID                    0x82UL
#define CKR_OPERATION_ACTIVE                         0x90UL
#define CKR_OPERATION_NOT_INITIALIZED                0x91UL
#define CKR_PIN_INCORRECT                            0xA0UL
#define CKR_PIN_INVALID                              0xA1UL
#define CKR_PIN_LEN_RANGE                            0xA2UL
#define CKR_PIN_EXPIRED                              0xA3UL
#define CKR_PIN_LOCKED                               0xA4UL
#define CKR_SESSION_CLOSED                           0xB0UL
#define CKR_SESSION_COUNT                            0xB1UL
#define CKR_SESSION_HANDLE_INVALID                   0xB3UL
#define CKR_SESSION_PARALLEL_NOT_SUPPORTED           0xB4UL
#define CKR_SESSION_READ_ONLY                        0xB5UL
#define CKR_SESSION_EXISTS                           0xB6UL
#define CKR_SESSION_READ_ONLY_EXISTS                 0xB7UL
#define CKR_SESSION_READ_WRITE_SO_EXISTS             0xB8UL
#define CKR_SIGNATURE_INVALID                        0xC0UL
#define CKR_SIGNATURE_LEN_RANGE                      0xC1UL
#define CKR_TEMPLATE_INCOMPLETE                      0xD0UL
#define CKR_TEMPLATE_INCONSISTENT                    0xD1UL
#define CKR_TOKEN_NOT_PRESENT                        0xE0UL
#define CKR_TOKEN_NOT_RECOGNIZED                     0xE1UL
#define CKR_TOKEN_WRITE_PROTECTED                    0xE2UL
#define CKR_UNWRAPPING_KEY_HANDLE_INVALID            0xF0UL
#define CKR_UNWRAPPING_KEY_SIZE_RANGE                0xF1UL
#define CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT         0xF2UL
#define CKR_USER_ALREADY_LOGGED_IN                   0x100UL
#define CKR_USER_NOT_LOGGED_IN                       0x101UL
#define CKR_USER_PIN_NOT_INITIALIZED                 0x102UL
#define CKR_USER_TYPE_INVALID                        0x103UL
#define CKR_USER_ANOTHER_ALREADY_LOGGED_IN           0x104UL
#define CKR_USER_TOO_MANY_TYPES                      0x105UL
#define CKR_WRAPPED_KEY_INVALID                      0x110UL
#define CKR_WRAPPED_KEY_LEN_RANGE                    0x112UL
#define CKR_WRAPPING_KEY_HANDLE_INVALID              0x113UL
#define CKR_WRAPPING_KEY_SIZE_RANGE                  0x114UL
#define CKR_WRAPPING_KEY_TYPE_INCONSISTENT           0x115UL
#define CKR_RANDOM_SEED_NOT_SUPPORTED                0x120UL
#define CKR_RANDOM_NO_RNG                            0x121UL
#define CKR_DOMAIN_PARAMS_INVALID                    0x130UL
#define CKR_CURVE_NOT_SUPPORTED                      0x140UL
#define CKR_BUFFER_TOO_SMALL                         0x150UL
#define CKR_SAVED_STATE_INVALID                      0x160UL
#define CKR_INFORMATION_SENSITIVE                    0x170UL
#define CKR_STATE_UNSAVEABLE                         0x180UL
#define CKR_CRYPTOKI_NOT_INITIALIZED                 0x190UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED             0x191UL
#define CKR_MUTEX_BAD                                0x1A0UL
#define CKR_MUTEX_NOT_LOCKED                         0x1A1UL
#define CKR_NEW_PIN_MODE                             0x1B0UL
#define CKR_NEXT_OTP                                 0x1B1UL
#define CKR_EXCEEDED_MAX_ITERATIONS                  0x1B5UL
#define CKR_FIPS_SELF_TEST_FAILED                    0x1B6UL
#define CKR_LIBRARY_LOAD_FAILED                      0x1B7UL
#define CKR_PIN_TOO_WEAK                             0x1B8UL
#define CKR_PUBLIC_KEY_INVALID                       0x1B9UL
#define CKR_FUNCTION_REJECTED                        0x200UL
#define CKR_TOKEN_RESOURCE_EXCEEDED                  0x201UL
#define CKR_OPERATION_CANCEL_FAILED                  0x202UL
#define CKR_VENDOR_DEFINED                           0x80000000UL

/* Flags: flags argument of C_EncryptMessageNext / C_DecryptMessageNext */
#define CKF_END_OF_MESSAGE                           1UL

/* Flags: CK_INTERFACE.flags */
#define CKF_INTERFACE_FORK_SAFE                      1UL

/* Flags: CK_C_INITIALIZE_ARGS.flags */
#define CKF_LIBRARY_CANT_CREATE_OS_THREADS           1UL
#define CKF_OS_LOCKING_OK                            2UL

/* Flags: flags argument of C_WaitForSlotEvent */
#define CKF_DONT_BLOCK                               1UL

/* Mask generation functions (CK_RSA_PKCS_MGF_TYPE) */
#define CKG_MGF1_SHA1                                1UL
#define CKG_MGF1_SHA256                              2UL
#define CKG_MGF1_SHA384                              3UL
#define CKG_MGF1_SHA512                              4UL
#define CKG_MGF1_SHA224                              5UL
#define CKG_MGF1_SHA3_224                            6UL
#define CKG_MGF1_SHA3_256                            7UL
#define CKG_MGF1_SHA3_384                            8UL
#define CKG_MGF1_SHA3_512                            9UL

/* Source of the OAEP encoding parameter (CK_RSA_PKCS_OAEP_SOURCE_TYPE) */
#define CKZ_DATA_SPECIFIED                           1UL

/* Key derivation functions for ECDH and X9.42 DH (CK_EC_KDF_TYPE, CK_X9_42_DH_KDF_TYPE) */
#define CKD_NULL                                     1UL
#define CKD_SHA1_KDF                                 2UL
#define CKD_SHA1_KDF_ASN1                            3UL
#define CKD_SHA1_KDF_CONCATENATE                     4UL
#define CKD_SHA224_KDF                               5UL
#define CKD_SHA256_KDF                               6UL
#define CKD_SHA384_KDF                               7UL
#define CKD_SHA512_KDF                               8UL
#define CKD_CPDIVERSIFY_KDF                          9UL
#define CKD_SHA3_224_KDF                             0xAUL
#define CKD_SHA3_256_KDF                             0xBUL
#define CKD_SHA3_384_KDF                             0xCUL
#define CKD_SHA3_512_KDF                             0xDUL
#define CKD_SHA1_KDF_SP800                           0xEUL
#define CKD_SHA224_KDF_SP800                         0xFUL
#define CKD_SHA256_KDF_SP800                         0x10UL
#define CKD_SHA384_KDF_SP800                         0x11UL
#define CKD_SHA512_KDF_SP800                         0x12UL
#define CKD_SHA3_224_KDF_SP800                       0x13UL
#define CKD_SHA3_256_KDF_SP800                       0x14UL
#define CKD_SHA3_384_KDF_SP800                       0x15UL
#define CKD_SHA3_512_KDF_SP800                       0x16UL
#define CKD_BLAKE2B_160_KDF                          0x17UL
#define CKD_BLAKE2B_256_KDF                          0x18UL
#define CKD_BLAKE2B_384_KDF                          0x19UL
#define CKD_BLAKE2B_512_KDF                          0x1AUL

/* PBKDF2 pseudo-random functions (CK_PKCS5_PBKD2_PSEUDO_RANDOM_FUNCTION_TYPE) */
#define CKP_PKCS5_PBKD2_HMAC_SHA1                    1UL
#define CKP_PKCS5_PBKD2_HMAC_GOSTR3411               2UL
#define CKP_PKCS5_PBKD2_HMAC_SHA224                  3UL
#define CKP_PKCS5_PBKD2_HMAC_SHA256                  4UL
#define CKP_PKCS5_PBKD2_HMAC_SHA384                  5UL
#define CKP_PKCS5_PBKD2_HMAC_SHA512                  6UL
#define CKP_PKCS5_PBKD2_HMAC_SHA512_224              7UL
#define CKP_PKCS5_PBKD2_HMAC_SHA512_256              8UL

/* PBKDF2 salt sources (CK_PKCS5_PBKDF2_SALT_SOURCE_TYPE) */
#define CKZ_SALT_SPECIFIED                           1UL

/* OTP parameter types (CK_OTP_PARAM_TYPE) */
#define CK_OTP_VALUE                                 0UL
#define CK_OTP_PIN                                   1UL
#define CK_OTP_CHALLENGE                             2UL
#define CK_OTP_TIME                                  3UL
#define CK_OTP_COUNTER                               4UL
#define CK_OTP_FLAGS                                 5UL
#define CK_OTP_OUTPUT_LENGTH                         6UL
#define CK_OTP_OUTPUT_FORMAT                         7UL

/* Flags: OTP mechanism parameter flags */
#define CKF_NEXT_OTP                                 1UL
#define CKF_EXCLUDE_TIME                             2UL
#define CKF_EXCLUDE_COUNTER                          4UL
#define CKF_EXCLUDE_CHALLENGE                        8UL
#define CKF_EXCLUDE_PIN                              0x10UL
#define CKF_USER_FRIENDLY_OTP                        0x20UL

/* IV and nonce generators of the message-based API (CK_GENERATOR_FUNCTION) */
#define CKG_NO_GENERATE                              0UL
#define CKG_GENERATE                                 1UL
#define CKG_GENERATE_COUNTER                         2UL
#define CKG_GENERATE_RANDOM                          3UL
#define CKG_GENERATE_COUNTER_XOR                     4UL  /* PKCS#11 3.1 */

/* SP 800-108 PRF input types (CK_PRF_DATA_TYPE) */
#define CK_SP800_108_ITERATION_VARIABLE              1UL
#define CK_SP800_108_OPTIONAL_COUNTER                2UL
#define CK_SP800_108_COUNTER                         CK_SP800_108_OPTIONAL_COUNTER  /* deprecated spelling */
#define CK_SP800_108_DKM_LENGTH                      3UL
#define CK_SP800_108_BYTE_ARRAY                      4UL

/* SP 800-108 DKM length methods (CK_SP800_108_DKM_LENGTH_METHOD) */
#define CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS          1UL
#define CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS      2UL

/* Flags: CK_HKDF_PARAMS.ulSaltType */
#define CKF_HKDF_SALT_NULL                           1UL
#define CKF_HKDF_SALT_DATA                           2UL
#define CKF_HKDF_SALT_KEY                            4UL

/* Validation authority and validation types (taken from PKCS#11 3.2; unused in 3.0) */
#define CKV_AUTHORITY_TYPE_UNSPECIFIED               0UL
#define CKV_AUTHORITY_TYPE_NIST_CMVP                 1UL
#define CKV_AUTHORITY_TYPE_COMMON_CRITERIA           2UL
#define CKV_TYPE_UNSPECIFIED                         0UL
#define CKV_TYPE_SOFTWARE                            1UL
#define CKV_TYPE_HARDWARE                            2UL
#define CKV_TYPE_FIRMWARE                            3UL

/* ------------------------------------------------------------------------
 * General structures
 * ------------------------------------------------------------------------ */

/* A version number: major.minor, e.g. 3.0. */
typedef struct CK_VERSION {
	CK_BYTE major;
	CK_BYTE minor;
} CK_VERSION;
typedef CK_VERSION *CK_VERSION_PTR;

/* What C_GetInfo reports about the library. Strings are blank padded. */
typedef struct CK_INFO {
	CK_VERSION cryptokiVersion;
	CK_UTF8CHAR manufacturerID[32];
	CK_FLAGS flags;                 /* reserved, zero */
	CK_UTF8CHAR libraryDescription[32];
	CK_VERSION libraryVersion;
} CK_INFO;
typedef CK_INFO *CK_INFO_PTR;

/* What C_GetSlotInfo reports about a slot. */
typedef struct CK_SLOT_INFO {
	CK_UTF8CHAR slotDescription[64];
	CK_UTF8CHAR manufacturerID[32];
	CK_FLAGS flags;                 /* CKF_TOKEN_PRESENT, ... */
	CK_VERSION hardwareVersion;
	CK_VERSION firmwareVersion;
} CK_SLOT_INFO;
typedef CK_SLOT_INFO *CK_SLOT_INFO_PTR;

/* What C_GetTokenInfo reports about a token. */
typedef struct CK_TOKEN_INFO {
	CK_UTF8CHAR label[32];
	CK_UTF8CHAR manufacturerID[32];
	CK_UTF8CHAR model[16];
	CK_CHAR serialNumber[16];
	CK_FLAGS flags;                 /* CKF_RNG, CKF_LOGIN_REQUIRED, ... */
	CK_ULONG ulMaxSessionCount;
	CK_ULONG ulSessionCount;
	CK_ULONG ulMaxRwSessionCount;
	CK_ULONG ulRwSessionCount;
	CK_ULONG ulMaxPinLen;
	CK_ULONG ulMinPinLen;
	CK_ULONG ulTotalPublicMemory;
	CK_ULONG ulFreePublicMemory;
	CK_ULONG ulTotalPrivateMemory;
	CK_ULONG ulFreePrivateMemory;
	CK_VERSION hardwareVersion;
	CK_VERSION firmwareVersion;
	CK_CHAR utcTime[16];            /* YYYYMMDDhhmmss00 when CKF_CLOCK_ON_TOKEN */
} CK_TOKEN_INFO;
typedef CK_TOKEN_INFO *CK_TOKEN_INFO_PTR;

/* What C_GetSessionInfo reports about a session. */
typedef struct CK_SESSION_INFO {
	CK_SLOT_ID slotID;
	CK_STATE state;
	CK_FLAGS flags;                 /* CKF_RW_SESSION, CKF_SERIAL_SESSION */
	CK_ULONG ulDeviceError;
} CK_SESSION_INFO;
typedef CK_SESSION_INFO *CK_SESSION_INFO_PTR;

/* One attribute of an object, or one entry of a template. */
typedef struct CK_ATTRIBUTE {
	CK_ATTRIBUTE_TYPE type;
	CK_VOID_PTR pValue;
	CK_ULONG ulValueLen;
} CK_ATTRIBUTE;
typedef CK_ATTRIBUTE *CK_ATTRIBUTE_PTR;

/* A calendar date, as ASCII digits: "YYYY", "MM", "DD". */
typedef struct CK_DATE {
	CK_CHAR year[4];
	CK_CHAR month[2];
	CK_CHAR day[2];
} CK_DATE;
typedef CK_DATE *CK_DATE_PTR;

/* A mechanism with its (optional) parameter block. */
typedef struct CK_MECHANISM {
	CK_MECHANISM_TYPE mechanism;
	CK_VOID_PTR pParameter;
	CK_ULONG ulParameterLen;
} CK_MECHANISM;
typedef CK_MECHANISM *CK_MECHANISM_PTR;

/* What C_GetMechanismInfo reports about a mechanism. */
typedef struct CK_MECHANISM_INFO {
	CK_ULONG ulMinKeySize;
	CK_ULONG ulMaxKeySize;
	CK_FLAGS flags;                 /* CKF_ENCRYPT, CKF_SIGN, ... */
} CK_MECHANISM_INFO;
typedef CK_MECHANISM_INFO *CK_MECHANISM_INFO_PTR;

/* Callback an application passes to C_OpenSession. */
typedef CK_RV (*CK_NOTIFY)(CK_SESSION_HANDLE hSession, CK_NOTIFICATION event,
                           CK_VOID_PTR pApplication);

/* Locking callbacks an application may pass to C_Initialize. */
typedef CK_RV (*CK_CREATEMUTEX)(CK_VOID_PTR_PTR ppMutex);
typedef CK_RV (*CK_DESTROYMUTEX)(CK_VOID_PTR pMutex);
typedef CK_RV (*CK_LOCKMUTEX)(CK_VOID_PTR pMutex);
typedef CK_RV (*CK_UNLOCKMUTEX)(CK_VOID_PTR pMutex);

/* The optional argument of C_Initialize. */
typedef struct CK_C_INITIALIZE_ARGS {
	CK_CREATEMUTEX CreateMutex;
	CK_DESTROYMUTEX DestroyMutex;
	CK_LOCKMUTEX LockMutex;
	CK_UNLOCKMUTEX UnlockMutex;
	CK_FLAGS flags;                 /* CKF_OS_LOCKING_OK, ... */
	CK_VOID_PTR pReserved;          /* must be NULL */
} CK_C_INITIALIZE_ARGS;
typedef CK_C_INITIALIZE_ARGS *CK_C_INITIALIZE_ARGS_PTR;

/* An interface returned by C_GetInterfaceList / C_GetInterface. For the
 * interface named "PKCS 11", pFunctionList points to a CK_FUNCTION_LIST
 * (version 2.x) or a CK_FUNCTION_LIST_3_0 (version 3.0). */
typedef struct CK_INTERFACE {
	CK_CHAR *pInterfaceName;
	CK_VOID_PTR pFunctionList;
	CK_FLAGS flags;                 /* CKF_INTERFACE_FORK_SAFE */
} CK_INTERFACE;
typedef CK_INTERFACE *CK_INTERFACE_PTR;
typedef CK_INTERFACE_PTR *CK_INTERFACE_PTR_PTR;

/* ------------------------------------------------------------------------
 * Mechanism parameters
 * ------------------------------------------------------------------------ */

/* CKM_RSA_PKCS_OAEP */
typedef struct CK_RSA_PKCS_OAEP_PARAMS {
	CK_MECHANISM_TYPE hashAlg;
	CK_RSA_PKCS_MGF_TYPE mgf;
	CK_RSA_PKCS_OAEP_SOURCE_TYPE source;    /* 0 or CKZ_DATA_SPECIFIED */
	CK_VOID_PTR pSourceData;                /* the label */
	CK_ULONG ulSourceDataLen;
} CK_RSA_PKCS_OAEP_PARAMS;
typedef CK_RSA_PKCS_OAEP_PARAMS *CK_RSA_PKCS_OAEP_PARAMS_PTR;

/* CKM_RSA_PKCS_PSS and CKM_SHAxxx_RSA_PKCS_PSS */
typedef struct CK_RSA_PKCS_PSS_PARAMS {
	CK_MECHANISM_TYPE hashAlg;
	CK_RSA_PKCS_MGF_TYPE mgf;
	CK_ULONG sLen;                          /* salt length in bytes */
} CK_RSA_PKCS_PSS_PARAMS;
typedef CK_RSA_PKCS_PSS_PARAMS *CK_RSA_PKCS_PSS_PARAMS_PTR;

/* CKM_RSA_AES_KEY_WRAP */
typedef struct CK_RSA_AES_KEY_WRAP_PARAMS {
	CK_ULONG ulAESKeyBits;
	CK_RSA_PKCS_OAEP_PARAMS_PTR pOAEPParams;
} CK_RSA_AES_KEY_WRAP_PARAMS;
typedef CK_RSA_AES_KEY_WRAP_PARAMS *CK_RSA_AES_KEY_WRAP_PARAMS_PTR;

/* CKM_ECDH1_DERIVE, CKM_ECDH1_COFACTOR_DERIVE */
typedef struct CK_ECDH1_DERIVE_PARAMS {
	CK_EC_KDF_TYPE kdf;
	CK_ULONG ulSharedDataLen;
	CK_BYTE_PTR pSharedData;
	CK_ULONG ulPublicDataLen;
	CK_BYTE_PTR pPublicData;                /* the other party's public value */
} CK_ECDH1_DERIVE_PARAMS;
typedef CK_ECDH1_DERIVE_PARAMS *CK_ECDH1_DERIVE_PARAMS_PTR;

/* CKM_ECMQV_DERIVE, CKM_ECDH2 style derivations */
typedef struct CK_ECDH2_DERIVE_PARAMS {
	CK_EC_KDF_TYPE kdf;
	CK_ULONG ulSharedDataLen;
	CK_BYTE_PTR pSharedData;
	CK_ULONG ulPublicDataLen;
	CK_BYTE_PTR pPublicData;
	CK_ULONG ulPrivateDataLen;
	CK_OBJECT_HANDLE hPrivateData;
	CK_ULONG ulPublicDataLen2;
	CK_BYTE_PTR pPublicData2;
} CK_ECDH2_DERIVE_PARAMS;
typedef CK_ECDH2_DERIVE_PARAMS *CK_ECDH2_DERIVE_PARAMS_PTR;

typedef struct CK_ECMQV_DERIVE_PARAMS {
	CK_EC_KDF_TYPE kdf;
	CK_ULONG ulSharedDataLen;
	CK_BYTE_PTR pSharedData;
	CK_ULONG ulPublicDataLen;
	CK_BYTE_PTR pPublicData;
	CK_ULONG ulPrivateDataLen;
	CK_OBJECT_HANDLE hPrivateData;
	CK_ULONG ulPublicDataLen2;
	CK_BYTE_PTR pPublicData2;
	CK_OBJECT_HANDLE publicKey;
} CK_ECMQV_DERIVE_PARAMS;
typedef CK_ECMQV_DERIVE_PARAMS *CK_ECMQV_DERIVE_PARAMS_PTR;

/* CKM_ECDH_AES_KEY_WRAP */
typedef struct CK_ECDH_AES_KEY_WRAP_PARAMS {
	CK_ULONG ulAESKeyBits;
	CK_EC_KDF_TYPE kdf;
	CK_ULONG ulSharedDataLen;
	CK_BYTE_PTR pSharedData;
} CK_ECDH_AES_KEY_WRAP_PARAMS;
typedef CK_ECDH_AES_KEY_WRAP_PARAMS *CK_ECDH_AES_KEY_WRAP_PARAMS_PTR;

/* CKM_X9_42_DH_DERIVE */
typedef struct CK_X9_42_DH1_DERIVE_PARAMS {
	CK_X9_42_DH_KDF_TYPE kdf;
	CK_ULONG ulOtherInfoLen;
	CK_BYTE_PTR pOtherInfo;
	CK_ULONG ulPublicDataLen;
	CK_BYTE_PTR pPublicData;
} CK_X9_42_DH1_DERIVE_PARAMS;
typedef CK_X9_42_DH1_DERIVE_PARAMS *CK_X9_42_DH1_DERIVE_PARAMS_PTR;

/* CKM_EDDSA: Ed25519ph / Ed25519ctx / Ed448 variants */
typedef struct CK_EDDSA_PARAMS {
	CK_BBOOL phFlag;                        /* prehash (the "ph" variants) */
	CK_ULONG ulContextDataLen;
	CK_BYTE_PTR pContextData;
} CK_EDDSA_PARAMS;
typedef CK_EDDSA_PARAMS *CK_EDDSA_PARAMS_PTR;

/* CKM_DSA_PROBABILISTIC_PARAMETER_GEN and friends */
typedef struct CK_DSA_PARAMETER_GEN_PARAM {
	CK_MECHANISM_TYPE hash;
	CK_BYTE_PTR pSeed;
	CK_ULONG ulSeedLen;
	CK_ULONG ulIndex;
} CK_DSA_PARAMETER_GEN_PARAM;
typedef CK_DSA_PARAMETER_GEN_PARAM *CK_DSA_PARAMETER_GEN_PARAM_PTR;

/* CKM_AES_GCM (the PKCS#11 3.0 layout, with ulIvBits) */
typedef struct CK_GCM_PARAMS {
	CK_BYTE_PTR pIv;
	CK_ULONG ulIvLen;
	CK_ULONG ulIvBits;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulTagBits;
} CK_GCM_PARAMS;
typedef CK_GCM_PARAMS *CK_GCM_PARAMS_PTR;
typedef CK_GCM_PARAMS CK_AES_GCM_PARAMS;        /* former name */
typedef CK_GCM_PARAMS_PTR CK_AES_GCM_PARAMS_PTR;

/* CKM_AES_CCM */
typedef struct CK_CCM_PARAMS {
	CK_ULONG ulDataLen;                     /* length of the whole message */
	CK_BYTE_PTR pNonce;
	CK_ULONG ulNonceLen;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
	CK_ULONG ulMACLen;                      /* tag length in bytes */
} CK_CCM_PARAMS;
typedef CK_CCM_PARAMS *CK_CCM_PARAMS_PTR;
typedef CK_CCM_PARAMS CK_AES_CCM_PARAMS;        /* former name */
typedef CK_CCM_PARAMS_PTR CK_AES_CCM_PARAMS_PTR;

/* CKM_AES_GCM with the message-based API (C_EncryptMessage, ...) */
typedef struct CK_GCM_MESSAGE_PARAMS {
	CK_BYTE_PTR pIv;
	CK_ULONG ulIvLen;
	CK_ULONG ulIvFixedBits;
	CK_GENERATOR_FUNCTION ivGenerator;      /* CKG_NO_GENERATE, ... */
	CK_BYTE_PTR pTag;
	CK_ULONG ulTagBits;
} CK_GCM_MESSAGE_PARAMS;
typedef CK_GCM_MESSAGE_PARAMS *CK_GCM_MESSAGE_PARAMS_PTR;

/* CKM_AES_CCM with the message-based API */
typedef struct CK_CCM_MESSAGE_PARAMS {
	CK_ULONG ulDataLen;
	CK_BYTE_PTR pNonce;
	CK_ULONG ulNonceLen;
	CK_ULONG ulNonceFixedBits;
	CK_GENERATOR_FUNCTION nonceGenerator;
	CK_BYTE_PTR pMAC;
	CK_ULONG ulMACLen;
} CK_CCM_MESSAGE_PARAMS;
typedef CK_CCM_MESSAGE_PARAMS *CK_CCM_MESSAGE_PARAMS_PTR;

/* CKM_AES_CTR */
typedef struct CK_AES_CTR_PARAMS {
	CK_ULONG ulCounterBits;                 /* low bits of cb that count */
	CK_BYTE cb[16];                         /* initial counter block */
} CK_AES_CTR_PARAMS;
typedef CK_AES_CTR_PARAMS *CK_AES_CTR_PARAMS_PTR;

/* CKM_CHACHA20 */
typedef struct CK_CHACHA20_PARAMS {
	CK_BYTE_PTR pBlockCounter;
	CK_ULONG blockCounterBits;
	CK_BYTE_PTR pNonce;
	CK_ULONG ulNonceBits;
} CK_CHACHA20_PARAMS;
typedef CK_CHACHA20_PARAMS *CK_CHACHA20_PARAMS_PTR;

/* CKM_CHACHA20_POLY1305, CKM_SALSA20_POLY1305 */
typedef struct CK_SALSA20_CHACHA20_POLY1305_PARAMS {
	CK_BYTE_PTR pNonce;
	CK_ULONG ulNonceLen;
	CK_BYTE_PTR pAAD;
	CK_ULONG ulAADLen;
} CK_SALSA20_CHACHA20_POLY1305_PARAMS;
typedef CK_SALSA20_CHACHA20_POLY1305_PARAMS *CK_SALSA20_CHACHA20_POLY1305_PARAMS_PTR;

typedef struct CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS {
	CK_BYTE_PTR pNonce;
	CK_ULONG ulNonceLen;
	CK_BYTE_PTR pTag;
} CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS;
typedef CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS *CK_SALSA20_CHACHA20_POLY1305_MSG_PARAMS_PTR;

/* CKM_CONCATENATE_BASE_AND_DATA, CKM_XOR_BASE_AND_DATA, ... */
typedef struct CK_KEY_DERIVATION_STRING_DATA {
	CK_BYTE_PTR pData;
	CK_ULONG ulLen;
} CK_KEY_DERIVATION_STRING_DATA;
typedef CK_KEY_DERIVATION_STRING_DATA *CK_KEY_DERIVATION_STRING_DATA_PTR;

/* CKM_AES_CBC_ENCRYPT_DATA */
typedef struct CK_AES_CBC_ENCRYPT_DATA_PARAMS {
	CK_BYTE iv[16];
	CK_BYTE_PTR pData;
	CK_ULONG length;
} CK_AES_CBC_ENCRYPT_DATA_PARAMS;
typedef CK_AES_CBC_ENCRYPT_DATA_PARAMS *CK_AES_CBC_ENCRYPT_DATA_PARAMS_PTR;

/* CKM_DES_CBC_ENCRYPT_DATA, CKM_DES3_CBC_ENCRYPT_DATA */
typedef struct CK_DES_CBC_ENCRYPT_DATA_PARAMS {
	CK_BYTE iv[8];
	CK_BYTE_PTR pData;
	CK_ULONG length;
} CK_DES_CBC_ENCRYPT_DATA_PARAMS;
typedef CK_DES_CBC_ENCRYPT_DATA_PARAMS *CK_DES_CBC_ENCRYPT_DATA_PARAMS_PTR;

/* CKM_HKDF_DERIVE, CKM_HKDF_DATA */
typedef struct CK_HKDF_PARAMS {
	CK_BBOOL bExtract;
	CK_BBOOL bExpand;
	CK_MECHANISM_TYPE prfHashMechanism;
	CK_ULONG ulSaltType;                    /* CKF_HKDF_SALT_NULL/_DATA/_KEY */
	CK_BYTE_PTR pSalt;
	CK_ULONG ulSaltLen;
	CK_OBJECT_HANDLE hSaltKey;
	CK_BYTE_PTR pInfo;
	CK_ULONG ulInfoLen;
} CK_HKDF_PARAMS;
typedef CK_HKDF_PARAMS *CK_HKDF_PARAMS_PTR;

/* CKM_PBE_* */
typedef struct CK_PBE_PARAMS {
	CK_BYTE_PTR pInitVector;
	CK_UTF8CHAR_PTR pPassword;
	CK_ULONG ulPasswordLen;
	CK_BYTE_PTR pSalt;
	CK_ULONG ulSaltLen;
	CK_ULONG ulIteration;
} CK_PBE_PARAMS;
typedef CK_PBE_PARAMS *CK_PBE_PARAMS_PTR;

/* CKM_PKCS5_PBKD2, historical form (the password length by pointer) */
typedef struct CK_PKCS5_PBKD2_PARAMS {
	CK_PKCS5_PBKDF2_SALT_SOURCE_TYPE saltSource;
	CK_VOID_PTR pSaltSourceData;
	CK_ULONG ulSaltSourceDataLen;
	CK_ULONG iterations;
	CK_PKCS5_PBKD2_PSEUDO_RANDOM_FUNCTION_TYPE prf;
	CK_VOID_PTR pPrfData;
	CK_ULONG ulPrfDataLen;
	CK_UTF8CHAR_PTR pPassword;
	CK_ULONG_PTR ulPasswordLen;
} CK_PKCS5_PBKD2_PARAMS;
typedef CK_PKCS5_PBKD2_PARAMS *CK_PKCS5_PBKD2_PARAMS_PTR;

/* CKM_PKCS5_PBKD2, corrected form (the password length by value) */
typedef struct CK_PKCS5_PBKD2_PARAMS2 {
	CK_PKCS5_PBKDF2_SALT_SOURCE_TYPE saltSource;
	CK_VOID_PTR pSaltSourceData;
	CK_ULONG ulSaltSourceDataLen;
	CK_ULONG iterations;
	CK_PKCS5_PBKD2_PSEUDO_RANDOM_FUNCTION_TYPE prf;
	CK_VOID_PTR pPrfData;
	CK_ULONG ulPrfDataLen;
	CK_UTF8CHAR_PTR pPassword;
	CK_ULONG ulPasswordLen;
} CK_PKCS5_PBKD2_PARAMS2;
typedef CK_PKCS5_PBKD2_PARAMS2 *CK_PKCS5_PBKD2_PARAMS2_PTR;

/* SP 800-108 KDFs (CKM_SP800_108_COUNTER_KDF, _FEEDBACK_KDF,
 * _DOUBLE_PIPELINE_KDF). The PRF input is a list of CK_PRF_DATA_PARAM whose
 * type is one of CK_SP800_108_ITERATION_VARIABLE, CK_SP800_108_COUNTER,
 * CK_SP800_108_DKM_LENGTH, CK_SP800_108_BYTE_ARRAY; pValue then points to,
 * respectively, a CK_SP800_108_COUNTER_FORMAT (or nothing), a
 * CK_SP800_108_COUNTER_FORMAT, a CK_SP800_108_DKM_LENGTH_FORMAT, or bytes. */
typedef struct CK_PRF_DATA_PARAM {
	CK_PRF_DATA_TYPE type;
	CK_VOID_PTR pValue;
	CK_ULONG ulValueLen;
} CK_PRF_DATA_PARAM;
typedef CK_PRF_DATA_PARAM *CK_PRF_DATA_PARAM_PTR;

typedef struct CK_SP800_108_COUNTER_FORMAT {
	CK_BBOOL bLittleEndian;
	CK_ULONG ulWidthInBits;
} CK_SP800_108_COUNTER_FORMAT;
typedef CK_SP800_108_COUNTER_FORMAT *CK_SP800_108_COUNTER_FORMAT_PTR;

typedef struct CK_SP800_108_DKM_LENGTH_FORMAT {
	CK_SP800_108_DKM_LENGTH_METHOD dkmLengthMethod;
	CK_BBOOL bLittleEndian;
	CK_ULONG ulWidthInBits;
} CK_SP800_108_DKM_LENGTH_FORMAT;
typedef CK_SP800_108_DKM_LENGTH_FORMAT *CK_SP800_108_DKM_LENGTH_FORMAT_PTR;

/* A further key to derive along with the base derivation. */
typedef struct CK_DERIVED_KEY {
	CK_ATTRIBUTE_PTR pTemplate;
	CK_ULONG ulAttributeCount;
	CK_OBJECT_HANDLE_PTR phKey;             /* receives the new handle */
} CK_DERIVED_KEY;
typedef CK_DERIVED_KEY *CK_DERIVED_KEY_PTR;

typedef struct CK_SP800_108_KDF_PARAMS {
	CK_SP800_108_PRF_TYPE prfType;
	CK_ULONG ulNumberOfDataParams;
	CK_PRF_DATA_PARAM_PTR pDataParams;
	CK_ULONG ulAdditionalDerivedKeys;
	CK_DERIVED_KEY_PTR pAdditionalDerivedKeys;
} CK_SP800_108_KDF_PARAMS;
typedef CK_SP800_108_KDF_PARAMS *CK_SP800_108_KDF_PARAMS_PTR;

typedef struct CK_SP800_108_FEEDBACK_KDF_PARAMS {
	CK_SP800_108_PRF_TYPE prfType;
	CK_ULONG ulNumberOfDataParams;
	CK_PRF_DATA_PARAM_PTR pDataParams;
	CK_ULONG ulIVLen;
	CK_BYTE_PTR pIV;
	CK_ULONG ulAdditionalDerivedKeys;
	CK_DERIVED_KEY_PTR pAdditionalDerivedKeys;
} CK_SP800_108_FEEDBACK_KDF_PARAMS;
typedef CK_SP800_108_FEEDBACK_KDF_PARAMS *CK_SP800_108_FEEDBACK_KDF_PARAMS_PTR;

/* ------------------------------------------------------------------------
 * Functions
 * ------------------------------------------------------------------------ */

/* The function tables (defined below). */
struct CK_FUNCTION_LIST;
struct CK_FUNCTION_LIST_3_0;
typedef struct CK_FUNCTION_LIST CK_FUNCTION_LIST;
typedef struct CK_FUNCTION_LIST_3_0 CK_FUNCTION_LIST_3_0;
typedef CK_FUNCTION_LIST *CK_FUNCTION_LIST_PTR;
typedef CK_FUNCTION_LIST_PTR *CK_FUNCTION_LIST_PTR_PTR;
typedef CK_FUNCTION_LIST_3_0 *CK_FUNCTION_LIST_3_0_PTR;
typedef CK_FUNCTION_LIST_3_0_PTR *CK_FUNCTION_LIST_3_0_PTR_PTR;

/* Entry points (PKCS#11 2.40 first, then the 3.0 additions). */
CK_RV C_Initialize(CK_VOID_PTR pInitArgs);
CK_RV C_Finalize(CK_VOID_PTR pReserved);
CK_RV C_GetInfo(CK_INFO_PTR pInfo);
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR ppFunctionList);
CK_RV C_GetSlotList(CK_BBOOL tokenPresent,
                    CK_SLOT_ID_PTR pSlotList,
                    CK_ULONG_PTR pulCount);
CK_RV C_GetSlotInfo(CK_SLOT_ID slotID,
                    CK_SLOT_INFO_PTR pInfo);
CK_RV C_GetTokenInfo(CK_SLOT_ID slotID,
                     CK_TOKEN_INFO_PTR pInfo);
CK_RV C_GetMechanismList(CK_SLOT_ID slotID,
                         CK_MECHANISM_TYPE_PTR pMechanismList,
                         CK_ULONG_PTR pulCount);
CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID,
                         CK_MECHANISM_TYPE type,
                         CK_MECHANISM_INFO_PTR pInfo);
CK_RV C_InitToken(CK_SLOT_ID slotID,
                  CK_UTF8CHAR_PTR pPin,
                  CK_ULONG ulPinLen,
                  CK_UTF8CHAR_PTR pLabel);
CK_RV C_InitPIN(CK_SESSION_HANDLE hSession,
                CK_UTF8CHAR_PTR pPin,
                CK_ULONG ulPinLen);
CK_RV C_SetPIN(CK_SESSION_HANDLE hSession,
               CK_UTF8CHAR_PTR pOldPin,
               CK_ULONG ulOldLen,
               CK_UTF8CHAR_PTR pNewPin,
               CK_ULONG ulNewLen);
CK_RV C_OpenSession(CK_SLOT_ID slotID,
                    CK_FLAGS flags,
                    CK_VOID_PTR pApplication,
                    CK_NOTIFY Notify,
                    CK_SESSION_HANDLE_PTR phSession);
CK_RV C_CloseSession(CK_SESSION_HANDLE hSession);
CK_RV C_CloseAllSessions(CK_SLOT_ID slotID);
CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession,
                       CK_SESSION_INFO_PTR pInfo);
CK_RV C_GetOperationState(CK_SESSION_HANDLE hSession,
                          CK_BYTE_PTR pOperationState,
                          CK_ULONG_PTR pulOperationStateLen);
CK_RV C_SetOperationState(CK_SESSION_HANDLE hSession,
                          CK_BYTE_PTR pOperationState,
                          CK_ULONG ulOperationStateLen,
                          CK_OBJECT_HANDLE hEncryptionKey,
                          CK_OBJECT_HANDLE hAuthenticationKey);
CK_RV C_Login(CK_SESSION_HANDLE hSession,
              CK_USER_TYPE userType,
              CK_UTF8CHAR_PTR pPin,
              CK_ULONG ulPinLen);
CK_RV C_Logout(CK_SESSION_HANDLE hSession);
CK_RV C_CreateObject(CK_SESSION_HANDLE hSession,
                     CK_ATTRIBUTE_PTR pTemplate,
                     CK_ULONG ulCount,
                     CK_OBJECT_HANDLE_PTR phObject);
CK_RV C_CopyObject(CK_SESSION_HANDLE hSession,
                   CK_OBJECT_HANDLE hObject,
                   CK_ATTRIBUTE_PTR pTemplate,
                   CK_ULONG ulCount,
                   CK_OBJECT_HANDLE_PTR phNewObject);
CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession,
                      CK_OBJECT_HANDLE hObject);
CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession,
                      CK_OBJECT_HANDLE hObject,
                      CK_ULONG_PTR pulSize);
CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession,
                          CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate,
                          CK_ULONG ulCount);
CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession,
                          CK_OBJECT_HANDLE hObject,
                          CK_ATTRIBUTE_PTR pTemplate,
                          CK_ULONG ulCount);
CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession,
                        CK_ATTRIBUTE_PTR pTemplate,
                        CK_ULONG ulCount);
CK_RV C_FindObjects(CK_SESSION_HANDLE hSession,
                    CK_OBJECT_HANDLE_PTR phObject,
                    CK_ULONG ulMaxObjectCount,
                    CK_ULONG_PTR pulObjectCount);
CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession);
CK_RV C_EncryptInit(CK_SESSION_HANDLE hSession,
                    CK_MECHANISM_PTR pMechanism,
                    CK_OBJECT_HANDLE hKey);
CK_RV C_Encrypt(CK_SESSION_HANDLE hSession,
                CK_BYTE_PTR pData,
                CK_ULONG ulDataLen,
                CK_BYTE_PTR pEncryptedData,
                CK_ULONG_PTR pulEncryptedDataLen);
CK_RV C_EncryptUpdate(CK_SESSION_HANDLE hSession,
                      CK_BYTE_PTR pPart,
                      CK_ULONG ulPartLen,
                      CK_BYTE_PTR pEncryptedPart,
                      CK_ULONG_PTR pulEncryptedPartLen);
CK_RV C_EncryptFinal(CK_SESSION_HANDLE hSession,
                     CK_BYTE_PTR pLastEncryptedPart,
                     CK_ULONG_PTR pulLastEncryptedPartLen);
CK_RV C_DecryptInit(CK_SESSION_HANDLE hSession,
                    CK_MECHANISM_PTR pMechanism,
                    CK_OBJECT_HANDLE hKey);
CK_RV C_Decrypt(CK_SESSION_HANDLE hSession,
                CK_BYTE_PTR pEncryptedData,
                CK_ULONG ulEncryptedDataLen,
                CK_BYTE_PTR pData,
                CK_ULONG_PTR pulDataLen);
CK_RV C_DecryptUpdate(CK_SESSION_HANDLE hSession,
                      CK_BYTE_PTR pEncryptedPart,
                      CK_ULONG ulEncryptedPartLen,
                      CK_BYTE_PTR pPart,
                      CK_ULONG_PTR pulPartLen);
CK_RV C_DecryptFinal(CK_SESSION_HANDLE hSession,
                     CK_BYTE_PTR pLastPart,
                     CK_ULONG_PTR pulLastPartLen);
CK_RV C_DigestInit(CK_SESSION_HANDLE hSession,
                   CK_MECHANISM_PTR pMechanism);
CK_RV C_Digest(CK_SESSION_HANDLE hSession,
               CK_BYTE_PTR pData,
               CK_ULONG ulDataLen,
               CK_BYTE_PTR pDigest,
               CK_ULONG_PTR pulDigestLen);
CK_RV C_DigestUpdate(CK_SESSION_HANDLE hSession,
                     CK_BYTE_PTR pPart,
                     CK_ULONG ulPartLen);
CK_RV C_DigestKey(CK_SESSION_HANDLE hSession,
                  CK_OBJECT_HANDLE hKey);
CK_RV C_DigestFinal(CK_SESSION_HANDLE hSession,
                    CK_BYTE_PTR pDigest,
                    CK_ULONG_PTR pulDigestLen);
CK_RV C_SignInit(CK_SESSION_HANDLE hSession,
                 CK_MECHANISM_PTR pMechanism,
                 CK_OBJECT_HANDLE hKey);
CK_RV C_Sign(CK_SESSION_HANDLE hSession,
             CK_BYTE_PTR pData,
             CK_ULONG ulDataLen,
             CK_BYTE_PTR pSignature,
             CK_ULONG_PTR pulSignatureLen);
CK_RV C_SignUpdate(CK_SESSION_HANDLE hSession,
                   CK_BYTE_PTR pPart,
                   CK_ULONG ulPartLen);
CK_RV C_SignFinal(CK_SESSION_HANDLE hSession,
                  CK_BYTE_PTR pSignature,
                  CK_ULONG_PTR pulSignatureLen);
CK_RV C_SignRecoverInit(CK_SESSION_HANDLE hSession,
                        CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey);
CK_RV C_SignRecover(CK_SESSION_HANDLE hSession,
                    CK_BYTE_PTR pData,
                    CK_ULONG ulDataLen,
                    CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen);
CK_RV C_VerifyInit(CK_SESSION_HANDLE hSession,
                   CK_MECHANISM_PTR pMechanism,
                   CK_OBJECT_HANDLE hKey);
CK_RV C_Verify(CK_SESSION_HANDLE hSession,
               CK_BYTE_PTR pData,
               CK_ULONG ulDataLen,
               CK_BYTE_PTR pSignature,
               CK_ULONG ulSignatureLen);
CK_RV C_VerifyUpdate(CK_SESSION_HANDLE hSession,
                     CK_BYTE_PTR pPart,
                     CK_ULONG ulPartLen);
CK_RV C_VerifyFinal(CK_SESSION_HANDLE hSession,
                    CK_BYTE_PTR pSignature,
                    CK_ULONG ulSignatureLen);
CK_RV C_VerifyRecoverInit(CK_SESSION_HANDLE hSession,
                          CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hKey);
CK_RV C_VerifyRecover(CK_SESSION_HANDLE hSession,
                      CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen,
                      CK_BYTE_PTR pData,
                      CK_ULONG_PTR pulDataLen);
CK_RV C_DigestEncryptUpdate(CK_SESSION_HANDLE hSession,
                            CK_BYTE_PTR pPart,
                            CK_ULONG ulPartLen,
                            CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG_PTR pulEncryptedPartLen);
CK_RV C_DecryptDigestUpdate(CK_SESSION_HANDLE hSession,
                            CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG ulEncryptedPartLen,
                            CK_BYTE_PTR pPart,
                            CK_ULONG_PTR pulPartLen);
CK_RV C_SignEncryptUpdate(CK_SESSION_HANDLE hSession,
                          CK_BYTE_PTR pPart,
                          CK_ULONG ulPartLen,
                          CK_BYTE_PTR pEncryptedPart,
                          CK_ULONG_PTR pulEncryptedPartLen);
CK_RV C_DecryptVerifyUpdate(CK_SESSION_HANDLE hSession,
                            CK_BYTE_PTR pEncryptedPart,
                            CK_ULONG ulEncryptedPartLen,
                            CK_BYTE_PTR pPart,
                            CK_ULONG_PTR pulPartLen);
CK_RV C_GenerateKey(CK_SESSION_HANDLE hSession,
                    CK_MECHANISM_PTR pMechanism,
                    CK_ATTRIBUTE_PTR pTemplate,
                    CK_ULONG ulCount,
                    CK_OBJECT_HANDLE_PTR phKey);
CK_RV C_GenerateKeyPair(CK_SESSION_HANDLE hSession,
                        CK_MECHANISM_PTR pMechanism,
                        CK_ATTRIBUTE_PTR pPublicKeyTemplate,
                        CK_ULONG ulPublicKeyAttributeCount,
                        CK_ATTRIBUTE_PTR pPrivateKeyTemplate,
                        CK_ULONG ulPrivateKeyAttributeCount,
                        CK_OBJECT_HANDLE_PTR phPublicKey,
                        CK_OBJECT_HANDLE_PTR phPrivateKey);
CK_RV C_WrapKey(CK_SESSION_HANDLE hSession,
                CK_MECHANISM_PTR pMechanism,
                CK_OBJECT_HANDLE hWrappingKey,
                CK_OBJECT_HANDLE hKey,
                CK_BYTE_PTR pWrappedKey,
                CK_ULONG_PTR pulWrappedKeyLen);
CK_RV C_UnwrapKey(CK_SESSION_HANDLE hSession,
                  CK_MECHANISM_PTR pMechanism,
                  CK_OBJECT_HANDLE hUnwrappingKey,
                  CK_BYTE_PTR pWrappedKey,
                  CK_ULONG ulWrappedKeyLen,
                  CK_ATTRIBUTE_PTR pTemplate,
                  CK_ULONG ulAttributeCount,
                  CK_OBJECT_HANDLE_PTR phKey);
CK_RV C_DeriveKey(CK_SESSION_HANDLE hSession,
                  CK_MECHANISM_PTR pMechanism,
                  CK_OBJECT_HANDLE hBaseKey,
                  CK_ATTRIBUTE_PTR pTemplate,
                  CK_ULONG ulAttributeCount,
                  CK_OBJECT_HANDLE_PTR phKey);
CK_RV C_SeedRandom(CK_SESSION_HANDLE hSession,
                   CK_BYTE_PTR pSeed,
                   CK_ULONG ulSeedLen);
CK_RV C_GenerateRandom(CK_SESSION_HANDLE hSession,
                       CK_BYTE_PTR RandomData,
                       CK_ULONG ulRandomLen);
CK_RV C_GetFunctionStatus(CK_SESSION_HANDLE hSession);
CK_RV C_CancelFunction(CK_SESSION_HANDLE hSession);
CK_RV C_WaitForSlotEvent(CK_FLAGS flags,
                         CK_SLOT_ID_PTR pSlot,
                         CK_VOID_PTR pReserved);
CK_RV C_GetInterfaceList(CK_INTERFACE_PTR pInterfacesList,
                         CK_ULONG_PTR pulCount);
CK_RV C_GetInterface(CK_UTF8CHAR_PTR pInterfaceName,
                     CK_VERSION_PTR pVersion,
                     CK_INTERFACE_PTR_PTR ppInterface,
                     CK_FLAGS flags);
CK_RV C_LoginUser(CK_SESSION_HANDLE hSession,
                  CK_USER_TYPE userType,
                  CK_UTF8CHAR_PTR pPin,
                  CK_ULONG ulPinLen,
                  CK_UTF8CHAR_PTR pUsername,
                  CK_ULONG ulUsernameLen);
CK_RV C_SessionCancel(CK_SESSION_HANDLE hSession,
                      CK_FLAGS flags);
CK_RV C_MessageEncryptInit(CK_SESSION_HANDLE hSession,
                           CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey);
CK_RV C_EncryptMessage(CK_SESSION_HANDLE hSession,
                       CK_VOID_PTR pParameter,
                       CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData,
                       CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pPlaintext,
                       CK_ULONG ulPlaintextLen,
                       CK_BYTE_PTR pCiphertext,
                       CK_ULONG_PTR pulCiphertextLen);
CK_RV C_EncryptMessageBegin(CK_SESSION_HANDLE hSession,
                            CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen,
                            CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen);
CK_RV C_EncryptMessageNext(CK_SESSION_HANDLE hSession,
                           CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen,
                           CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG ulPlaintextPartLen,
                           CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG_PTR pulCiphertextPartLen,
                           CK_FLAGS flags);
CK_RV C_MessageEncryptFinal(CK_SESSION_HANDLE hSession);
CK_RV C_MessageDecryptInit(CK_SESSION_HANDLE hSession,
                           CK_MECHANISM_PTR pMechanism,
                           CK_OBJECT_HANDLE hKey);
CK_RV C_DecryptMessage(CK_SESSION_HANDLE hSession,
                       CK_VOID_PTR pParameter,
                       CK_ULONG ulParameterLen,
                       CK_BYTE_PTR pAssociatedData,
                       CK_ULONG ulAssociatedDataLen,
                       CK_BYTE_PTR pCiphertext,
                       CK_ULONG ulCiphertextLen,
                       CK_BYTE_PTR pPlaintext,
                       CK_ULONG_PTR pulPlaintextLen);
CK_RV C_DecryptMessageBegin(CK_SESSION_HANDLE hSession,
                            CK_VOID_PTR pParameter,
                            CK_ULONG ulParameterLen,
                            CK_BYTE_PTR pAssociatedData,
                            CK_ULONG ulAssociatedDataLen);
CK_RV C_DecryptMessageNext(CK_SESSION_HANDLE hSession,
                           CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen,
                           CK_BYTE_PTR pCiphertextPart,
                           CK_ULONG ulCiphertextPartLen,
                           CK_BYTE_PTR pPlaintextPart,
                           CK_ULONG_PTR pulPlaintextPartLen,
                           CK_FLAGS flags);
CK_RV C_MessageDecryptFinal(CK_SESSION_HANDLE hSession);
CK_RV C_MessageSignInit(CK_SESSION_HANDLE hSession,
                        CK_MECHANISM_PTR pMechanism,
                        CK_OBJECT_HANDLE hKey);
CK_RV C_SignMessage(CK_SESSION_HANDLE hSession,
                    CK_VOID_PTR pParameter,
                    CK_ULONG ulParameterLen,
                    CK_BYTE_PTR pData,
                    CK_ULONG ulDataLen,
                    CK_BYTE_PTR pSignature,
                    CK_ULONG_PTR pulSignatureLen);
CK_RV C_SignMessageBegin(CK_SESSION_HANDLE hSession,
                         CK_VOID_PTR pParameter,
                         CK_ULONG ulParameterLen);
CK_RV C_SignMessageNext(CK_SESSION_HANDLE hSession,
                        CK_VOID_PTR pParameter,
                        CK_ULONG ulParameterLen,
                        CK_BYTE_PTR pData,
                        CK_ULONG ulDataLen,
                        CK_BYTE_PTR pSignature,
                        CK_ULONG_PTR pulSignatureLen);
CK_RV C_MessageSignFinal(CK_SESSION_HANDLE hSession);
CK_RV C_MessageVerifyInit(CK_SESSION_HANDLE hSession,
                          CK_MECHANISM_PTR pMechanism,
                          CK_OBJECT_HANDLE hKey);
CK_RV C_VerifyMessage(CK_SESSION_HANDLE hSession,
                      CK_VOID_PTR pParameter,
                      CK_ULONG ulParameterLen,
                      CK_BYTE_PTR pData,
                      CK_ULONG ulDataLen,
                      CK_BYTE_PTR pSignature,
                      CK_ULONG ulSignatureLen);
CK_RV C_VerifyMessageBegin(CK_SESSION_HANDLE hSession,
                           CK_VOID_PTR pParameter,
                           CK_ULONG ulParameterLen);
CK_RV C_VerifyMessageNext(CK_SESSION_HANDLE hSession,
                          CK_VOID_PTR pParameter,
                          CK_ULONG ulParameterLen,
                          CK_BYTE_PTR pData,
                          CK_ULONG ulDataLen,
                          CK_BYTE_PTR pSignature,
                          CK_ULONG ulSignatureLen);
CK_RV C_MessageVerifyFinal(CK_SESSION_HANDLE hSession);

/* Pointer-to-function types, one per entry point. */

typedef CK_RV (*CK_C_Initialize)(CK_VOID_PTR pInitArgs);
typedef CK_RV (*CK_C_Finalize)(CK_VOID_PTR pReserved);
typedef CK_RV (*CK_C_GetInfo)(CK_INFO_PTR pInfo);
typedef CK_RV (*CK_C_GetFunctionList)(CK_FUNCTION_LIST_PTR_PTR ppFunctionList);
typedef CK_RV (*CK_C_GetSlotList)(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount);
typedef CK_RV (*CK_C_GetSlotInfo)(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo);
typedef CK_RV (*CK_C_GetTokenInfo)(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo);
typedef CK_RV (*CK_C_GetMechanismList)(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount);
typedef CK_RV (*CK_C_GetMechanismInfo)(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo);
typedef CK_RV (*CK_C_InitToken)(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel);
typedef CK_RV (*CK_C_InitPIN)(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen);
typedef CK_RV (*CK_C_SetPIN)(CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR pOldPin, CK_ULONG ulOldLen, CK_UTF8CHAR_PTR pNewPin, CK_ULONG ulNewLen);
typedef CK_RV (*CK_C_OpenSession)(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession);
typedef CK_RV (*CK_C_CloseSession)(CK_SESSION_HANDLE hSession);
typedef CK_RV (*CK_C_CloseAllSessions)(CK_SLOT_ID slotID);
typedef CK_RV (*CK_C_GetSessionInfo)(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo);
typedef CK_RV (*CK_C_GetOperationState)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG_PTR pulOperationStateLen);
typedef CK_RV (*CK_C_SetOperationState)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pOperationState, CK_ULONG ulOperationStateLen, CK_OBJECT_HANDLE hEncryptionKey, CK_OBJECT_HANDLE hAuthenticationKey);
typedef CK_RV (*CK_C_Login)(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen);
typedef CK_RV (*CK_C_Logout)(CK_SESSION_HANDLE hSession);
typedef CK_RV (*CK_C_CreateObject)(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject);
typedef CK_RV (*CK_C_CopyObject)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phNewObject);
typedef CK_RV (*CK_C_DestroyObject)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject);
typedef CK_RV (*CK_C_GetObjectSize)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize);
typedef CK_RV (*CK_C_GetAttributeValue)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount);
typedef CK_RV (*CK_C_SetAttributeValue)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount);
typedef CK_RV (*CK_C_FindObjectsInit)(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount);
typedef CK_RV (*CK_C_FindObjects)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount);
typedef CK_RV (*CK_C_FindObjectsFinal)(CK_SESSION_HANDLE hSession);
typedef CK_RV (*CK_C_EncryptInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_Encrypt)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pEncryptedData, CK_ULONG_PTR pulEncryptedDataLen);
typedef CK_RV (*CK_C_EncryptUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen);
typedef CK_RV (*CK_C_EncryptFinal)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastEncryptedPart, CK_ULONG_PTR pulLastEncryptedPartLen);
typedef CK_RV (*CK_C_DecryptInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_Decrypt)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedData, CK_ULONG ulEncryptedDataLen, CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen);
typedef CK_RV (*CK_C_DecryptUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen);
typedef CK_RV (*CK_C_DecryptFinal)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pLastPart, CK_ULONG_PTR pulLastPartLen);
typedef CK_RV (*CK_C_DigestInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism);
typedef CK_RV (*CK_C_Digest)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen);
typedef CK_RV (*CK_C_DigestUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen);
typedef CK_RV (*CK_C_DigestKey)(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_DigestFinal)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pDigest, CK_ULONG_PTR pulDigestLen);
typedef CK_RV (*CK_C_SignInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_Sign)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
typedef CK_RV (*CK_C_SignUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen);
typedef CK_RV (*CK_C_SignFinal)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
typedef CK_RV (*CK_C_SignRecoverInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_SignRecover)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
typedef CK_RV (*CK_C_VerifyInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_Verify)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen);
typedef CK_RV (*CK_C_VerifyUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen);
typedef CK_RV (*CK_C_VerifyFinal)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen);
typedef CK_RV (*CK_C_VerifyRecoverInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_VerifyRecover)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen, CK_BYTE_PTR pData, CK_ULONG_PTR pulDataLen);
typedef CK_RV (*CK_C_DigestEncryptUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen);
typedef CK_RV (*CK_C_DecryptDigestUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen);
typedef CK_RV (*CK_C_SignEncryptUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pPart, CK_ULONG ulPartLen, CK_BYTE_PTR pEncryptedPart, CK_ULONG_PTR pulEncryptedPartLen);
typedef CK_RV (*CK_C_DecryptVerifyUpdate)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pEncryptedPart, CK_ULONG ulEncryptedPartLen, CK_BYTE_PTR pPart, CK_ULONG_PTR pulPartLen);
typedef CK_RV (*CK_C_GenerateKey)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phKey);
typedef CK_RV (*CK_C_GenerateKeyPair)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_ATTRIBUTE_PTR pPublicKeyTemplate, CK_ULONG ulPublicKeyAttributeCount, CK_ATTRIBUTE_PTR pPrivateKeyTemplate, CK_ULONG ulPrivateKeyAttributeCount, CK_OBJECT_HANDLE_PTR phPublicKey, CK_OBJECT_HANDLE_PTR phPrivateKey);
typedef CK_RV (*CK_C_WrapKey)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hWrappingKey, CK_OBJECT_HANDLE hKey, CK_BYTE_PTR pWrappedKey, CK_ULONG_PTR pulWrappedKeyLen);
typedef CK_RV (*CK_C_UnwrapKey)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hUnwrappingKey, CK_BYTE_PTR pWrappedKey, CK_ULONG ulWrappedKeyLen, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey);
typedef CK_RV (*CK_C_DeriveKey)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hBaseKey, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulAttributeCount, CK_OBJECT_HANDLE_PTR phKey);
typedef CK_RV (*CK_C_SeedRandom)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR pSeed, CK_ULONG ulSeedLen);
typedef CK_RV (*CK_C_GenerateRandom)(CK_SESSION_HANDLE hSession, CK_BYTE_PTR RandomData, CK_ULONG ulRandomLen);
typedef CK_RV (*CK_C_GetFunctionStatus)(CK_SESSION_HANDLE hSession);
typedef CK_RV (*CK_C_CancelFunction)(CK_SESSION_HANDLE hSession);
typedef CK_RV (*CK_C_WaitForSlotEvent)(CK_FLAGS flags, CK_SLOT_ID_PTR pSlot, CK_VOID_PTR pReserved);
typedef CK_RV (*CK_C_GetInterfaceList)(CK_INTERFACE_PTR pInterfacesList, CK_ULONG_PTR pulCount);
typedef CK_RV (*CK_C_GetInterface)(CK_UTF8CHAR_PTR pInterfaceName, CK_VERSION_PTR pVersion, CK_INTERFACE_PTR_PTR ppInterface, CK_FLAGS flags);
typedef CK_RV (*CK_C_LoginUser)(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen);
typedef CK_RV (*CK_C_SessionCancel)(CK_SESSION_HANDLE hSession, CK_FLAGS flags);
typedef CK_RV (*CK_C_MessageEncryptInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_EncryptMessage)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pPlaintext, CK_ULONG ulPlaintextLen, CK_BYTE_PTR pCiphertext, CK_ULONG_PTR pulCiphertextLen);
typedef CK_RV (*CK_C_EncryptMessageBegin)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen);
typedef CK_RV (*CK_C_EncryptMessageNext)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pPlaintextPart, CK_ULONG ulPlaintextPartLen, CK_BYTE_PTR pCiphertextPart, CK_ULONG_PTR pulCiphertextPartLen, CK_FLAGS flags);
typedef CK_RV (*CK_C_MessageEncryptFinal)(CK_SESSION_HANDLE hSession);
typedef CK_RV (*CK_C_MessageDecryptInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_DecryptMessage)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen, CK_BYTE_PTR pCiphertext, CK_ULONG ulCiphertextLen, CK_BYTE_PTR pPlaintext, CK_ULONG_PTR pulPlaintextLen);
typedef CK_RV (*CK_C_DecryptMessageBegin)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pAssociatedData, CK_ULONG ulAssociatedDataLen);
typedef CK_RV (*CK_C_DecryptMessageNext)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pCiphertextPart, CK_ULONG ulCiphertextPartLen, CK_BYTE_PTR pPlaintextPart, CK_ULONG_PTR pulPlaintextPartLen, CK_FLAGS flags);
typedef CK_RV (*CK_C_MessageDecryptFinal)(CK_SESSION_HANDLE hSession);
typedef CK_RV (*CK_C_MessageSignInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_SignMessage)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
typedef CK_RV (*CK_C_SignMessageBegin)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen);
typedef CK_RV (*CK_C_SignMessageNext)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG_PTR pulSignatureLen);
typedef CK_RV (*CK_C_MessageSignFinal)(CK_SESSION_HANDLE hSession);
typedef CK_RV (*CK_C_MessageVerifyInit)(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR pMechanism, CK_OBJECT_HANDLE hKey);
typedef CK_RV (*CK_C_VerifyMessage)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen);
typedef CK_RV (*CK_C_VerifyMessageBegin)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen);
typedef CK_RV (*CK_C_VerifyMessageNext)(CK_SESSION_HANDLE hSession, CK_VOID_PTR pParameter, CK_ULONG ulParameterLen, CK_BYTE_PTR pData, CK_ULONG ulDataLen, CK_BYTE_PTR pSignature, CK_ULONG ulSignatureLen);
typedef CK_RV (*CK_C_MessageVerifyFinal)(CK_SESSION_HANDLE hSession);

/* The table C_GetFunctionList returns: the 2.40 entry points, in order. */
struct CK_FUNCTION_LIST {
	CK_VERSION version;
	CK_C_Initialize C_Initialize;
	CK_C_Finalize C_Finalize;
	CK_C_GetInfo C_GetInfo;
	CK_C_GetFunctionList C_GetFunctionList;
	CK_C_GetSlotList C_GetSlotList;
	CK_C_GetSlotInfo C_GetSlotInfo;
	CK_C_GetTokenInfo C_GetTokenInfo;
	CK_C_GetMechanismList C_GetMechanismList;
	CK_C_GetMechanismInfo C_GetMechanismInfo;
	CK_C_InitToken C_InitToken;
	CK_C_InitPIN C_InitPIN;
	CK_C_SetPIN C_SetPIN;
	CK_C_OpenSession C_OpenSession;
	CK_C_CloseSession C_CloseSession;
	CK_C_CloseAllSessions C_CloseAllSessions;
	CK_C_GetSessionInfo C_GetSessionInfo;
	CK_C_GetOperationState C_GetOperationState;
	CK_C_SetOperationState C_SetOperationState;
	CK_C_Login C_Login;
	CK_C_Logout C_Logout;
	CK_C_CreateObject C_CreateObject;
	CK_C_CopyObject C_CopyObject;
	CK_C_DestroyObject C_DestroyObject;
	CK_C_GetObjectSize C_GetObjectSize;
	CK_C_GetAttributeValue C_GetAttributeValue;
	CK_C_SetAttributeValue C_SetAttributeValue;
	CK_C_FindObjectsInit C_FindObjectsInit;
	CK_C_FindObjects C_FindObjects;
	CK_C_FindObjectsFinal C_FindObjectsFinal;
	CK_C_EncryptInit C_EncryptInit;
	CK_C_Encrypt C_Encrypt;
	CK_C_EncryptUpdate C_EncryptUpdate;
	CK_C_EncryptFinal C_EncryptFinal;
	CK_C_DecryptInit C_DecryptInit;
	CK_C_Decrypt C_Decrypt;
	CK_C_DecryptUpdate C_DecryptUpdate;
	CK_C_DecryptFinal C_DecryptFinal;
	CK_C_DigestInit C_DigestInit;
	CK_C_Digest C_Digest;
	CK_C_DigestUpdate C_DigestUpdate;
	CK_C_DigestKey C_DigestKey;
	CK_C_DigestFinal C_DigestFinal;
	CK_C_SignInit C_SignInit;
	CK_C_Sign C_Sign;
	CK_C_SignUpdate C_SignUpdate;
	CK_C_SignFinal C_SignFinal;
	CK_C_SignRecoverInit C_SignRecoverInit;
	CK_C_SignRecover C_SignRecover;
	CK_C_VerifyInit C_VerifyInit;
	CK_C_Verify C_Verify;
	CK_C_VerifyUpdate C_VerifyUpdate;
	CK_C_VerifyFinal C_VerifyFinal;
	CK_C_VerifyRecoverInit C_VerifyRecoverInit;
	CK_C_VerifyRecover C_VerifyRecover;
	CK_C_DigestEncryptUpdate C_DigestEncryptUpdate;
	CK_C_DecryptDigestUpdate C_DecryptDigestUpdate;
	CK_C_SignEncryptUpdate C_SignEncryptUpdate;
	CK_C_DecryptVerifyUpdate C_DecryptVerifyUpdate;
	CK_C_GenerateKey C_GenerateKey;
	CK_C_GenerateKeyPair C_GenerateKeyPair;
	CK_C_WrapKey C_WrapKey;
	CK_C_UnwrapKey C_UnwrapKey;
	CK_C_DeriveKey C_DeriveKey;
	CK_C_SeedRandom C_SeedRandom;
	CK_C_GenerateRandom C_GenerateRandom;
	CK_C_GetFunctionStatus C_GetFunctionStatus;
	CK_C_CancelFunction C_CancelFunction;
	CK_C_WaitForSlotEvent C_WaitForSlotEvent;
};

/* The table of the "PKCS 11" interface, version 3.0: the 2.40 table
 * followed by the 3.0 entry points. */
struct CK_FUNCTION_LIST_3_0 {
	CK_VERSION version;
	CK_C_Initialize C_Initialize;
	CK_C_Finalize C_Finalize;
	CK_C_GetInfo C_GetInfo;
	CK_C_GetFunctionList C_GetFunctionList;
	CK_C_GetSlotList C_GetSlotList;
	CK_C_GetSlotInfo C_GetSlotInfo;
	CK_C_GetTokenInfo C_GetTokenInfo;
	CK_C_GetMechanismList C_GetMechanismList;
	CK_C_GetMechanismInfo C_GetMechanismInfo;
	CK_C_InitToken C_InitToken;
	CK_C_InitPIN C_InitPIN;
	CK_C_SetPIN C_SetPIN;
	CK_C_OpenSession C_OpenSession;
	CK_C_CloseSession C_CloseSession;
	CK_C_CloseAllSessions C_CloseAllSessions;
	CK_C_GetSessionInfo C_GetSessionInfo;
	CK_C_GetOperationState C_GetOperationState;
	CK_C_SetOperationState C_SetOperationState;
	CK_C_Login C_Login;
	CK_C_Logout C_Logout;
	CK_C_CreateObject C_CreateObject;
	CK_C_CopyObject C_CopyObject;
	CK_C_DestroyObject C_DestroyObject;
	CK_C_GetObjectSize C_GetObjectSize;
	CK_C_GetAttributeValue C_GetAttributeValue;
	CK_C_SetAttributeValue C_SetAttributeValue;
	CK_C_FindObjectsInit C_FindObjectsInit;
	CK_C_FindObjects C_FindObjects;
	CK_C_FindObjectsFinal C_FindObjectsFinal;
	CK_C_EncryptInit C_EncryptInit;
	CK_C_Encrypt C_Encrypt;
	CK_C_EncryptUpdate C_EncryptUpdate;
	CK_C_EncryptFinal C_EncryptFinal;
	CK_C_DecryptInit C_DecryptInit;
	CK_C_Decrypt C_Decrypt;
	CK_C_DecryptUpdate C_DecryptUpdate;
	CK_C_DecryptFinal C_DecryptFinal;
	CK_C_DigestInit C_DigestInit;
	CK_C_Digest C_Digest;
	CK_C_DigestUpdate C_DigestUpdate;
	CK_C_DigestKey C_DigestKey;
	CK_C_DigestFinal C_DigestFinal;
	CK_C_SignInit C_SignInit;
	CK_C_Sign C_Sign;
	CK_C_SignUpdate C_SignUpdate;
	CK_C_SignFinal C_SignFinal;
	CK_C_SignRecoverInit C_SignRecoverInit;
	CK_C_SignRecover C_SignRecover;
	CK_C_VerifyInit C_VerifyInit;
	CK_C_Verify C_Verify;
	CK_C_VerifyUpdate C_VerifyUpdate;
	CK_C_VerifyFinal C_VerifyFinal;
	CK_C_VerifyRecoverInit C_VerifyRecoverInit;
	CK_C_VerifyRecover C_VerifyRecover;
	CK_C_DigestEncryptUpdate C_DigestEncryptUpdate;
	CK_C_DecryptDigestUpdate C_DecryptDigestUpdate;
	CK_C_SignEncryptUpdate C_SignEncryptUpdate;
	CK_C_DecryptVerifyUpdate C_DecryptVerifyUpdate;
	CK_C_GenerateKey C_GenerateKey;
	CK_C_GenerateKeyPair C_GenerateKeyPair;
	CK_C_WrapKey C_WrapKey;
	CK_C_UnwrapKey C_UnwrapKey;
	CK_C_DeriveKey C_DeriveKey;
	CK_C_SeedRandom C_SeedRandom;
	CK_C_GenerateRandom C_GenerateRandom;
	CK_C_GetFunctionStatus C_GetFunctionStatus;
	CK_C_CancelFunction C_CancelFunction;
	CK_C_WaitForSlotEvent C_WaitForSlotEvent;
	CK_C_GetInterfaceList C_GetInterfaceList;
	CK_C_GetInterface C_GetInterface;
	CK_C_LoginUser C_LoginUser;
	CK_C_SessionCancel C_SessionCancel;
	CK_C_MessageEncryptInit C_MessageEncryptInit;
	CK_C_EncryptMessage C_EncryptMessage;
	CK_C_EncryptMessageBegin C_EncryptMessageBegin;
	CK_C_EncryptMessageNext C_EncryptMessageNext;
	CK_C_MessageEncryptFinal C_MessageEncryptFinal;
	CK_C_MessageDecryptInit C_MessageDecryptInit;
	CK_C_DecryptMessage C_DecryptMessage;
	CK_C_DecryptMessageBegin C_DecryptMessageBegin;
	CK_C_DecryptMessageNext C_DecryptMessageNext;
	CK_C_MessageDecryptFinal C_MessageDecryptFinal;
	CK_C_MessageSignInit C_MessageSignInit;
	CK_C_SignMessage C_SignMessage;
	CK_C_SignMessageBegin C_SignMessageBegin;
	CK_C_SignMessageNext C_SignMessageNext;
	CK_C_MessageSignFinal C_MessageSignFinal;
	CK_C_MessageVerifyInit C_MessageVerifyInit;
	CK_C_VerifyMessage C_VerifyMessage;
	CK_C_VerifyMessageBegin C_VerifyMessageBegin;
	CK_C_VerifyMessageNext C_VerifyMessageNext;
	CK_C_MessageVerifyFinal C_MessageVerifyFinal;
};

#ifdef __cplusplus
}
#endif

#endif /* KAGI_PKCS11_H */

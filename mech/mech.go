// Package mech holds kagi's cryptographic mechanisms: pure functions over key
// material and parameters, one file per algorithm family, and one registry
// table (registry.go) from mechanism type to its info and constructors. It
// knows nothing of sessions, objects or storage.
package mech

import (
	"crypto"
	"io"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Attrs is read access to an object's attributes (a template or a stored
// object); token's objects and templates implement it.
type Attrs interface {
	Attr(t ck.AttributeType) (value []byte, ok bool)
}

// Key is unsealed key material in the form the algorithms use. token builds
// it once per object (KeyFromAttrs) and caches it while the user is logged in.
type Key struct {
	Class ck.ObjectClass
	Type  ck.KeyType
	// Secret is the CKA_VALUE of a secret key.
	Secret []byte
	// Private is *rsa.PrivateKey, *ecdsa.PrivateKey, ed25519.PrivateKey,
	// *ecdh.PrivateKey (X25519), *dsa.PrivateKey or *dhPrivateKey (PKCS #3
	// DH, dh.go).
	Private crypto.PrivateKey
	// Public is the matching public key; set for public keys and, derived,
	// for private keys.
	Public crypto.PublicKey

	// cache holds per-key precomputation (an AES block cipher, a GCM AEAD)
	// built on first use; safe for concurrent use.
	cache keyCache
}

// SignOp is one signing (or MAC) operation. Sign is the single-part call;
// Update/Final the multi-part one. A mechanism without multi-part support
// returns ck.CKR_FUNCTION_NOT_SUPPORTED... from Update (token checks the
// registry flags first, so this is a backstop).
type SignOp interface {
	// SigLen is the exact length of the signature Sign/Final will return.
	SigLen() int
	Sign(data []byte) ([]byte, error)
	Update(part []byte) error
	Final() ([]byte, error)
}

// VerifyOp is one verification; a bad signature is ck.CKR_SIGNATURE_INVALID,
// a signature of the wrong length ck.CKR_SIGNATURE_LEN_RANGE.
type VerifyOp interface {
	Verify(data, sig []byte) error
	Update(part []byte) error
	Final(sig []byte) error
}

// CipherOp is one encryption or decryption.
type CipherOp interface {
	// OutLen is an upper bound of the output of One for an input of n bytes
	// (exact where the mechanism allows), used for length queries.
	OutLen(n int) int
	// One is the single-part operation.
	One(in []byte) ([]byte, error)
	// OneInto is One writing into dst, which holds at least OutLen(len(in))
	// bytes and may be in itself (exactly, not shifted); it returns the
	// output length. It saves the output allocation on the hot path.
	OneInto(dst, in []byte) (int, error)
	// Update and Final are the multi-part operation (issue 4 completes them).
	Update(in []byte) ([]byte, error)
	Final() ([]byte, error)
}

// UpdateIntoOp is a CipherOp whose Update output length is known before it
// runs (the block modes and CTR), so a part can be written straight into
// the caller's buffer and a length query costs nothing.
type UpdateIntoOp interface {
	CipherOp
	// UpdateLen is the exact output length of Update for n more bytes.
	UpdateLen(n int) int
	// UpdateInto is Update writing into dst, which holds at least
	// UpdateLen(len(in)) bytes and may overlap in.
	UpdateInto(dst, in []byte) (int, error)
}

// DigestOp is one message digest.
type DigestOp interface {
	Size() int
	Update(p []byte)
	Sum() []byte
}

// Spec describes one mechanism: what C_GetMechanismInfo reports, which key
// types it takes, and the constructors for the functions it supports. A nil
// constructor means the function is not supported.
type Spec struct {
	Type     ck.MechanismType
	Info     ck.MechanismInfo
	KeyTypes []ck.KeyType
	// Name is the mechanism's name in the specification, "CKM_AES_GCM".
	Name string
	// SinglePart is set for mechanisms whose sign/verify (or
	// encrypt/decrypt) is single-part only (CKM_RSA_PKCS, CKM_ECDSA):
	// C_SignUpdate and friends are CKR_FUNCTION_NOT_SUPPORTED (the op's
	// Update says so too, as a backstop).
	SinglePart bool

	// WrapNullPad, when not 0, marks an unpadded block mode (ECB, CBC) of
	// a cipher with blocks of WrapNullPad bytes that wraps by null-padding:
	// C_WrapKey encrypts a secret key's CKA_VALUE padded with up to
	// WrapNullPad-1 zero bytes, and C_UnwrapKey truncates what it decrypts
	// by the template (WrapInput and UnwrappedAttrs, wrapform.go). Other
	// wrapping rows carry the value's length themselves (padding, a length
	// indicator, RSA) and leave it 0.
	WrapNullPad int

	Sign    func(k *Key, param any) (SignOp, error)
	Verify  func(k *Key, param any) (VerifyOp, error)
	Encrypt func(k *Key, param any) (CipherOp, error)
	Decrypt func(k *Key, param any) (CipherOp, error)
	Digest  func(param any) (DigestOp, error)

	// GenerateKey makes a secret key from the template t; it returns the
	// attributes it computes (CKA_VALUE, CKA_VALUE_LEN, CKA_KEY_TYPE,
	// CKA_CHECK_VALUE where defined; a zero-length CKA_CHECK_VALUE in t
	// asks for an empty one). For the *_PARAMETER_GEN mechanisms it makes
	// domain parameters instead (CKA_KEY_TYPE, CKA_PRIME, CKA_BASE, ...,
	// CKA_PRIME_BITS). rnd is the token's DRBG.
	GenerateKey func(rnd io.Reader, t Attrs) ([]ck.Attribute, error)
	// GenerateKeyPair makes a key pair from the public and private
	// templates and returns the attributes it computes for each
	// (CKA_KEY_TYPE, the key components, CKA_PUBLIC_KEY_INFO; see
	// generateRSA and generateEC).
	GenerateKeyPair func(rnd io.Reader, pub, priv Attrs) (pubAttrs, privAttrs []ck.Attribute, err error)

	// VerifyRecover opens a signature with message recovery and returns
	// the data (C_VerifyRecover); such rows also sign for C_SignRecover
	// with their Sign constructor.
	VerifyRecover func(k *Key, param any, sig []byte) ([]byte, error)

	// Derive computes the value of a key derived from base (C_DeriveKey).
	// keyLen is the CKA_VALUE_LEN the template asks for, 0 when it gives
	// none (the mechanism's natural length then, or
	// ck.CKR_TEMPLATE_INCOMPLETE where there is none). other resolves a
	// second key the parameter names by handle (CKM_CONCATENATE_BASE_AND_KEY,
	// a CKM_HKDF_* salt key); token checks that key may be used so.
	Derive func(base *Key, param any, keyLen int, other func(ck.ObjectHandle) (*Key, error)) ([]byte, error)
}

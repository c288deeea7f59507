package mech

import (
	"crypto/aes"
	"crypto/rand"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// CKM_RSA_AES_KEY_WRAP (PKCS#11 3.0 current mechanisms section 2.1.21),
// the scheme AWS KMS key import ("RSA_AES_KEY_WRAP_SHA_*") and OpenSSL's
// id-aes*-wrap-pad envelope use. With CK_RSA_AES_KEY_WRAP_PARAMS
// (ulAESKeyBits, pOAEPParams):
//
//   - wrapping (step 1-4 of the section): generate a temporary AES key of
//     ulAESKeyBits (128, 192 or 256), encrypt it with RSA-OAEP
//     (CKM_RSA_PKCS_OAEP with pOAEPParams) under the wrapping public key,
//     wrap the key value with AES-KWP (CKM_AES_KEY_WRAP_KWP, RFC 5649,
//     default ICV) under the temporary key, zero the temporary key; the
//     result is the RSA ciphertext (modulus length) followed by the KWP
//     ciphertext;
//   - unwrapping reverses it: split at the modulus length, RSA-OAEP-decrypt
//     the temporary key with the private key, KWP-unwrap the rest.
//
// The specification lists the mechanism for C_WrapKey and C_UnwrapKey
// only. kagi's wrap functions run a row's Encrypt/Decrypt over the key
// value (token/wrap.go), so the row has CKF_ENCRYPT|CKF_DECRYPT as well
// and C_Encrypt/C_Decrypt with it apply the same envelope to any data of
// 1 to 2^32-1 bytes. Single-part only.
//
// Either half failing (OAEP padding, a temporary key of the wrong length,
// the KWP integrity check) is CKR_ENCRYPTED_DATA_INVALID, with nothing to
// tell which (token renames it CKR_WRAPPED_KEY_INVALID); a ciphertext too
// short to hold both halves, or whose KWP half is not a whole number of
// semiblocks, is CKR_ENCRYPTED_DATA_LEN_RANGE.

// rsaAESWrap is one CKM_RSA_AES_KEY_WRAP encryption or decryption.
type rsaAESWrap struct {
	rsa      *rsaCipher // RSA-OAEP with the parameter's hash and label
	aesBytes int        // the temporary key's length: 16, 24 or 32
}

// rsaAESWrapParams parses CK_RSA_AES_KEY_WRAP_PARAMS: the AES key length in
// bits and the OAEP parameters (checked by oaepParams).
func rsaAESWrapParams(param any) (aesBytes int, oaep ck.RSAPKCSOAEPParams, err error) {
	var p ck.RSAAESKeyWrapParams
	switch v := param.(type) {
	case ck.RSAAESKeyWrapParams:
		p = v
	case *ck.RSAAESKeyWrapParams:
		if v == nil {
			return 0, oaep, errParam("CK_RSA_AES_KEY_WRAP_PARAMS is NULL")
		}
		p = *v
	default:
		return 0, oaep, errParam("CKM_RSA_AES_KEY_WRAP needs CK_RSA_AES_KEY_WRAP_PARAMS")
	}
	switch p.AESKeyBits {
	case 128, 192, 256:
	default:
		return 0, oaep, errParam(fmt.Sprintf("CKM_RSA_AES_KEY_WRAP AES key of %d bits", p.AESKeyBits))
	}
	return int(p.AESKeyBits / 8), p.OAEP, nil
}

func rsaAESWrapInit(k *Key, param any, encrypt bool) (*rsaAESWrap, error) {
	aesBytes, oaep, err := rsaAESWrapParams(param)
	if err != nil {
		return nil, err
	}
	newRSA := rsaSchemeOAEP.decrypt
	if encrypt {
		// Wrapping takes the RSA public key (section 2.1.21), not a
		// private key's public half.
		if k == nil || k.Class != ck.CKO_PUBLIC_KEY {
			return nil, fmt.Errorf("mech: CKM_RSA_AES_KEY_WRAP wraps with an RSA public key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
		}
		newRSA = rsaSchemeOAEP.encrypt
	}
	op, err := newRSA(k, oaep)
	if err != nil {
		return nil, err
	}
	w := &rsaAESWrap{rsa: op.(*rsaCipher), aesBytes: aesBytes}
	// The temporary key must fit one OAEP block (RFC 8017 section 7.1.1
	// step 1b): RSA-1024 with SHA-384 carries at most 30 bytes.
	if w.rsa.maxIn() < aesBytes {
		return nil, fmt.Errorf("mech: RSA key too small for an AES-%d key under OAEP with %s: %w",
			aesBytes*8, w.rsa.oaep.name, ck.CKR_KEY_SIZE_RANGE)
	}
	return w, nil
}

// rsaAESWrapEncrypt and rsaAESWrapDecrypt are the row's constructors: an RSA
// public key wraps, an RSA private key unwraps.
func rsaAESWrapEncrypt(k *Key, param any) (CipherOp, error) { return rsaAESWrapInit(k, param, true) }
func rsaAESWrapDecrypt(k *Key, param any) (CipherOp, error) { return rsaAESWrapInit(k, param, false) }

// kwpWrapLen is the length of the KWP ciphertext of n bytes (SP 800-38F
// section 6.3: the padded plaintext plus one semiblock).
func kwpWrapLen(n int) int { return (n+semiblock-1)/semiblock*semiblock + semiblock }

// OutLen is exact for wrapping (modulus length plus the KWP length) and
// an upper bound for unwrapping.
func (w *rsaAESWrap) OutLen(n int) int {
	if w.rsa.priv == nil {
		return w.rsa.k + kwpWrapLen(n)
	}
	return max(n-w.rsa.k-semiblock, 0)
}

func (w *rsaAESWrap) One(in []byte) ([]byte, error) {
	if w.rsa.priv == nil {
		return w.wrap(in)
	}
	return w.unwrap(in)
}

// kwp is AES-KWP (wrap.go) under the temporary key, with ICV2.
func (w *rsaAESWrap) kwp(key []byte, encrypt bool) (*wrapOp, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("mech: CKM_RSA_AES_KEY_WRAP temporary key: %w", ck.CKR_FUNCTION_FAILED)
	}
	o := &wrapOp{b: b, kwp: true, encrypt: encrypt}
	copy(o.icv[:], kwICV2[:])
	return o, nil
}

func (w *rsaAESWrap) wrap(in []byte) ([]byte, error) {
	if len(in) < 1 || len(in) > kwpMaxPlain {
		return nil, lenErr(true, "CKM_RSA_AES_KEY_WRAP input of %d bytes (1 to 2^32-1)", len(in))
	}
	// Section 2.1.21 step 1: a fresh temporary AES key. Go cannot clear
	// the key schedule aes.NewCipher expands from it; the key bytes
	// themselves are zeroed as soon as both halves are made.
	tmp := make([]byte, w.aesBytes)
	defer clear(tmp)
	if _, err := rand.Read(tmp); err != nil {
		return nil, fmt.Errorf("mech: random: %w", ck.CKR_FUNCTION_FAILED)
	}
	// Step 2: wrap the value with KWP under the temporary key.
	o, err := w.kwp(tmp, true)
	if err != nil {
		return nil, err
	}
	wrapped, err := o.wrapKWP(in)
	if err != nil {
		return nil, err
	}
	// Step 3: the temporary key under RSA-OAEP.
	encKey, err := w.rsa.encryptOne(tmp)
	if err != nil {
		return nil, err
	}
	// Step 4: concatenate, RSA half first.
	out := make([]byte, 0, len(encKey)+len(wrapped))
	return append(append(out, encKey...), wrapped...), nil
}

func (w *rsaAESWrap) unwrap(in []byte) ([]byte, error) {
	// The RSA half is exactly the modulus length; the KWP half at least
	// two semiblocks and whole semiblocks (unwrapKWP checks the latter).
	if len(in) < w.rsa.k+2*semiblock {
		return nil, lenErr(false, "CKM_RSA_AES_KEY_WRAP input of %d bytes, at least %d", len(in), w.rsa.k+2*semiblock)
	}
	if (len(in)-w.rsa.k)%semiblock != 0 {
		return nil, lenErr(false, "CKM_RSA_AES_KEY_WRAP input of %d bytes: the AES-KWP part is not a multiple of 8", len(in))
	}
	tmp, err := w.rsa.decryptOne(in[:w.rsa.k])
	if err != nil {
		return nil, err // CKR_ENCRYPTED_DATA_INVALID
	}
	defer clear(tmp)
	if len(tmp) != w.aesBytes {
		return nil, fmt.Errorf("mech: CKM_RSA_AES_KEY_WRAP temporary key of %d bytes, the parameter says %d: %w",
			len(tmp), w.aesBytes, ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	o, err := w.kwp(tmp, false)
	if err != nil {
		return nil, err
	}
	return o.unwrapKWP(in[w.rsa.k:])
}

func (w *rsaAESWrap) OneInto(dst, in []byte) (int, error) {
	out, err := w.One(in)
	if err != nil {
		return 0, err
	}
	n := copy(dst, out)
	clear(out)
	return n, nil
}

// Update and Final: the mechanism is single-part (the row says SinglePart,
// which token checks first).
func (w *rsaAESWrap) Update([]byte) ([]byte, error) { return nil, errNoMultiPart }
func (w *rsaAESWrap) Final() ([]byte, error)        { return nil, errNoMultiPart }

package kmsbridge

import (
	"bytes"
	"encoding/binary"
	"time"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Wrapping keys and import tokens.
//
// A wrapping key is an RSA key pair generated on the token by
// GetParametersForImport. Only its private half is kept, as a token object
// (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, unextractable, CKA_UNWRAP and
// nothing else) labelled "kagi-kms/wrapping", so an import token stays good
// across restarts. Its CKA_ID is 16 random bytes || its expiry (Unix
// seconds, big-endian int64): the maintenance pass destroys it once every
// token made for it has expired, with no metadata of its own to keep in step.
//
// An import token is sealed with AES-256-GCM (on the token) under a secret
// key that the bridge generates on the token at first use, labelled
// "kagi-kms/import-token-key":
//
//	offset  size  field
//	0       1     format version, 0x01
//	1       12    IV, from the token's DRBG
//	13      n+16  AES-GCM of the body below, with its 16-byte tag
//
// body: the KMS key's 16 UUID bytes, the wrapping key's 24-byte CKA_ID, the
// wrapping algorithm (1 byte, importAlgs' code), the wrapping key's bits
// (uint16), the expiry (Unix milliseconds, int64). The AAD is the label of
// the sealing key followed by the version byte, so a token is opaque, cannot
// be forged or edited, and binds key, wrapping key, algorithm and expiry.

const (
	labelWrapping    = "kagi-kms/wrapping"
	labelTokenKey    = "kagi-kms/import-token-key"
	importTokenV1    = 0x01
	wrapIDLen        = 24
	importTokenBody  = 16 + wrapIDLen + 1 + 2 + 8
	importTokenIVLen = 12
)

// importAlg is one AWS wrapping algorithm and its token mechanism.
type importAlg struct {
	code byte
	name string
	mech ck.Mechanism
	aes  bool // RSA_AES_KEY_WRAP_*: fits material of any size
	hLen int  // the OAEP hash's length
}

var (
	oaepSHA1   = ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA_1, MGF: ck.CKG_MGF1_SHA1}
	oaepSHA256 = ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256}
)

// importAlgs is indexed by the code stored in import tokens.
var importAlgs = [...]importAlg{
	1: {1, "RSAES_OAEP_SHA_1", ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: oaepSHA1}, false, 20},
	2: {2, "RSAES_OAEP_SHA_256", ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: oaepSHA256}, false, 32},
	// AWS's RSA_AES wrapping uses a 256-bit AES key (its documentation's
	// openssl example draws 32 bytes).
	3: {3, "RSA_AES_KEY_WRAP_SHA_1", ck.Mechanism{Type: ck.CKM_RSA_AES_KEY_WRAP, Param: ck.RSAAESKeyWrapParams{AESKeyBits: 256, OAEP: oaepSHA1}}, true, 20},
	4: {4, "RSA_AES_KEY_WRAP_SHA_256", ck.Mechanism{Type: ck.CKM_RSA_AES_KEY_WRAP, Param: ck.RSAAESKeyWrapParams{AESKeyBits: 256, OAEP: oaepSHA256}}, true, 32},
}

func wrappingAlgorithm(name string) (importAlg, error) {
	for _, a := range importAlgs[1:] {
		if a.name == name {
			return a, nil
		}
	}
	switch name {
	case "":
		return importAlg{}, ValidationException("WrappingAlgorithm is required")
	case "SM2PKE":
		return importAlg{}, UnsupportedOperationException("WrappingAlgorithm SM2PKE is not supported by this KMS")
	case "RSAES_PKCS1_V1_5":
		return importAlg{}, ValidationException("WrappingAlgorithm RSAES_PKCS1_V1_5 is no longer supported")
	}
	return importAlg{}, ValidationException("WrappingAlgorithm %q is not valid", name)
}

func wrappingKeyBits(spec string) (int, error) {
	switch spec {
	case "RSA_2048":
		return 2048, nil
	case "RSA_3072":
		return 3072, nil
	case "RSA_4096":
		return 4096, nil
	case "":
		return 0, ValidationException("WrappingKeySpec is required")
	case "SM2":
		return 0, UnsupportedOperationException("WrappingKeySpec SM2 is not supported by this KMS")
	}
	return 0, ValidationException("WrappingKeySpec %q is not valid", spec)
}

// checkWrappingFits refuses, as AWS does, the combinations whose material
// cannot fit in one RSA-OAEP block: RSA private keys with RSAES_OAEP_*, and
// ECC_NIST_P521 with RSAES_OAEP_* under RSA_2048.
func checkWrappingFits(spec string, alg importAlg, bits int) error {
	if alg.aes {
		return nil
	}
	if asymSpecs[spec].rsaBits != 0 {
		return ValidationException("%s cannot wrap RSA key material; use RSA_AES_KEY_WRAP_SHA_1 or RSA_AES_KEY_WRAP_SHA_256", alg.name)
	}
	if spec == "ECC_NIST_P521" && bits == 2048 {
		return ValidationException("%s with an RSA_2048 wrapping key cannot wrap ECC_NIST_P521 key material; use a larger wrapping key or an RSA_AES_KEY_WRAP algorithm", alg.name)
	}
	return nil
}

// newWrappingKey generates a wrapping key pair of that many bits, keeps its
// private half on the token and answers its id and public key (DER SPKI).
func (b *Bridge) newWrappingKey(sh ck.SessionHandle, bits int, expiry Timestamp) ([]byte, []byte, error) {
	id := make([]byte, wrapIDLen)
	if err := b.lib.GenerateRandom(sh, id[:16]); err != nil {
		return nil, nil, tokenError("generating a wrapping key id", err)
	}
	binary.BigEndian.PutUint64(id[16:], uint64(expiry.Unix()))
	label := []byte(labelWrapping)
	pub := []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_PUBLIC_KEY)),
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_RSA)),
		ulongAttr(ck.CKA_MODULUS_BITS, ck.ULong(bits)),
		bytesAttr(ck.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
		boolAttr(ck.CKA_TOKEN, false), // only its DER leaves, once
		boolAttr(ck.CKA_WRAP, true),
		boolAttr(ck.CKA_ENCRYPT, false),
		boolAttr(ck.CKA_VERIFY, false),
		bytesAttr(ck.CKA_LABEL, label),
	}
	priv := []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_PRIVATE_KEY)),
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_RSA)),
		boolAttr(ck.CKA_TOKEN, true),
		boolAttr(ck.CKA_PRIVATE, true),
		boolAttr(ck.CKA_SENSITIVE, true),
		boolAttr(ck.CKA_EXTRACTABLE, false),
		boolAttr(ck.CKA_UNWRAP, true),
		boolAttr(ck.CKA_DECRYPT, false),
		boolAttr(ck.CKA_SIGN, false),
		boolAttr(ck.CKA_SIGN_RECOVER, false),
		boolAttr(ck.CKA_DERIVE, false),
		bytesAttr(ck.CKA_LABEL, label),
		bytesAttr(ck.CKA_ID, id),
	}
	hpub, _, err := b.lib.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN}, pub, priv)
	if err != nil {
		return nil, nil, tokenError("generating a wrapping key pair", err)
	}
	defer b.lib.DestroyObject(sh, hpub)
	vs, err := b.lib.GetAttributeValue(sh, hpub, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
	if err == nil && vs[0].Err != 0 {
		err = vs[0].Err
	}
	if err != nil {
		return nil, nil, tokenError("reading the wrapping public key", err)
	}
	return id, vs[0].Value, nil
}

// wrappingKey finds the wrapping private key of an import token. One that
// is gone (the maintenance pass destroyed it) makes the token unusable.
func (b *Bridge) wrappingKey(sh ck.SessionHandle, id []byte) (ck.ObjectHandle, error) {
	hs, err := b.findAll(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_PRIVATE_KEY)),
		bytesAttr(ck.CKA_LABEL, []byte(labelWrapping)),
		bytesAttr(ck.CKA_ID, id),
	})
	if err != nil {
		return 0, tokenError("finding the wrapping key", err)
	}
	if len(hs) != 1 {
		return 0, newError(CodeInvalidImportToken, "The wrapping key of the import token no longer exists; call GetParametersForImport again.")
	}
	return hs[0], nil
}

// dropExpiredWrappingKeys destroys the wrapping keys whose expiry has
// passed (import tokens for them are refused as expired anyway).
func (b *Bridge) dropExpiredWrappingKeys(sh ck.SessionHandle, now Timestamp) error {
	if err := b.checkLogin(sh); err != nil {
		return err
	}
	hs, err := b.findAll(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_PRIVATE_KEY)),
		bytesAttr(ck.CKA_LABEL, []byte(labelWrapping)),
	})
	if err != nil {
		return tokenError("finding wrapping keys", err)
	}
	for _, h := range hs {
		vs, err := b.lib.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_ID})
		if err != nil || vs[0].Err != 0 {
			continue // destroyed meanwhile by another session
		}
		id := vs[0].Value
		if len(id) == wrapIDLen && now.Unix() < int64(binary.BigEndian.Uint64(id[16:])) {
			continue
		}
		if err := b.lib.DestroyObject(sh, h); err != nil {
			return tokenError("destroying an expired wrapping key", err)
		}
	}
	return nil
}

// tokenKeys returns the import-token sealing keys on the token, making one
// if there is none. (Two processes starting on one database at once could
// each make one; opening a token tries them all.)
func (b *Bridge) tokenKeys(sh ck.SessionHandle, create bool) ([]ck.ObjectHandle, error) {
	tmpl := []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)),
		bytesAttr(ck.CKA_LABEL, []byte(labelTokenKey)),
	}
	hs, err := b.findAll(sh, tmpl)
	if err != nil {
		return nil, tokenError("finding the import token key", err)
	}
	if len(hs) > 0 || !create {
		return hs, nil
	}
	h, err := b.lib.GenerateKey(sh, ck.Mechanism{Type: ck.CKM_AES_KEY_GEN}, aesKeyTemplate(labelTokenKey))
	if err != nil {
		return nil, tokenError("generating the import token key", err)
	}
	return []ck.ObjectHandle{h}, nil
}

// importToken is the content of an import token.
type importToken struct {
	keyID  [16]byte
	wrapID []byte
	alg    byte
	bits   int
	expiry Timestamp
}

func importTokenAAD() []byte { return append([]byte(labelTokenKey), importTokenV1) }

// sealImportToken seals t under the import token key.
func (b *Bridge) sealImportToken(sh ck.SessionHandle, t importToken) ([]byte, error) {
	keys, err := b.tokenKeys(sh, true)
	if err != nil {
		return nil, err
	}
	body := make([]byte, 0, importTokenBody)
	body = append(body, t.keyID[:]...)
	body = append(body, t.wrapID...)
	body = append(body, t.alg)
	body = binary.BigEndian.AppendUint16(body, uint16(t.bits))
	body = binary.BigEndian.AppendUint64(body, uint64(t.expiry.UnixMilli()))
	out := make([]byte, 1+importTokenIVLen+len(body)+blobTagLen)
	out[0] = importTokenV1
	iv := out[1 : 1+importTokenIVLen]
	if err := b.lib.GenerateRandom(sh, iv); err != nil {
		return nil, tokenError("generating an IV", err)
	}
	p := ck.GCMParams{IV: iv, IVBits: gcmIVBits, AAD: importTokenAAD(), TagBits: gcmTagBits}
	if err := b.lib.EncryptInit(sh, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: p}, keys[0]); err != nil {
		return nil, tokenError("sealing the import token", err)
	}
	n, err := b.lib.Encrypt(sh, body, out[1+importTokenIVLen:])
	if err != nil {
		return nil, tokenError("sealing the import token", err)
	}
	return out[:1+importTokenIVLen+n], nil
}

// openImportToken checks and opens an import token: anything that is not a
// token this bridge sealed is InvalidImportTokenException.
func (b *Bridge) openImportToken(sh ck.SessionHandle, tok []byte) (importToken, error) {
	invalid := newError(CodeInvalidImportToken, "The import token is not valid.")
	if len(tok) != 1+importTokenIVLen+importTokenBody+blobTagLen || tok[0] != importTokenV1 {
		return importToken{}, invalid
	}
	keys, err := b.tokenKeys(sh, false)
	if err != nil {
		return importToken{}, err
	}
	iv := tok[1 : 1+importTokenIVLen]
	p := ck.GCMParams{IV: iv, IVBits: gcmIVBits, AAD: importTokenAAD(), TagBits: gcmTagBits}
	body := make([]byte, len(tok))
	for _, k := range keys {
		if err := b.lib.DecryptInit(sh, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: p}, k); err != nil {
			return importToken{}, tokenError("opening the import token", err)
		}
		n, err := b.lib.Decrypt(sh, tok[1+importTokenIVLen:], body)
		switch rv := ck.ErrorRV(err); {
		case err == nil && n == importTokenBody:
			var t importToken
			copy(t.keyID[:], body)
			t.wrapID = bytes.Clone(body[16 : 16+wrapIDLen])
			t.alg = body[16+wrapIDLen]
			t.bits = int(binary.BigEndian.Uint16(body[17+wrapIDLen:]))
			t.expiry = Timestamp{time.UnixMilli(int64(binary.BigEndian.Uint64(body[19+wrapIDLen:]))).UTC()}
			if int(t.alg) >= len(importAlgs) || t.alg == 0 {
				return importToken{}, invalid
			}
			return t, nil
		case err == nil:
			return importToken{}, invalid
		case rv == ck.CKR_ENCRYPTED_DATA_INVALID || rv == ck.CKR_ENCRYPTED_DATA_LEN_RANGE:
			continue // sealed under another key, or not at all
		default:
			return importToken{}, tokenError("opening the import token", err)
		}
	}
	return importToken{}, invalid
}

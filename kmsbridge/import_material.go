package kmsbridge

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Unwrapping imported material. The material is first unwrapped into a
// session object (CKA_TOKEN false, so a crash leaves nothing) labelled
// "kagi-kms/import", where it is checked against the key spec and the key's
// check value; only then is it copied into token objects with the key's
// label and version-1 CKA_ID, the templates of generated material.

const labelImporting = "kagi-kms/import"

// hmacImportLens are the lengths AWS accepts for imported HMAC material:
// from the hash's output length up to its block size.
var hmacImportLens = map[string][2]int{
	"HMAC_224": {28, 64}, "HMAC_256": {32, 64}, "HMAC_384": {48, 128}, "HMAC_512": {64, 128},
}

// checkValueData is what an HMAC key's check value is the MAC of.
var checkValueData = []byte("kagi-kms imported key material check value")

// material is unwrapped key material in a session object.
type material struct {
	h     ck.ObjectHandle
	class ck.ObjectClass
	check []byte
	pub   []ck.Attribute // the public key object's key attributes (RSA, ECC)
}

// discard destroys the session object (a copy on the token stays).
func (m *material) discard(sh ck.SessionHandle, b *Bridge) { b.lib.DestroyObject(sh, m.h) }

// importTemplate is the unwrap template for material of k's spec and usage:
// the attributes of generated material (asymmetric.go, store.go), but a
// session object under a temporary label.
func importTemplate(rec *keyRecord) []ck.Attribute {
	common := func(class ck.ObjectClass, kt ck.KeyType, derive bool) []ck.Attribute {
		return []ck.Attribute{
			ulongAttr(ck.CKA_CLASS, ck.ULong(class)),
			ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(kt)),
			boolAttr(ck.CKA_TOKEN, false),
			boolAttr(ck.CKA_PRIVATE, true),
			boolAttr(ck.CKA_SENSITIVE, true),
			boolAttr(ck.CKA_EXTRACTABLE, false),
			boolAttr(ck.CKA_UNWRAP, false),
			boolAttr(ck.CKA_DERIVE, derive),
			bytesAttr(ck.CKA_LABEL, []byte(labelImporting)),
		}
	}
	switch {
	case rec.KeySpec == KeySpecSymmetricDefault:
		return append(common(ck.CKO_SECRET_KEY, ck.CKK_AES, false),
			boolAttr(ck.CKA_ENCRYPT, true), boolAttr(ck.CKA_DECRYPT, true),
			boolAttr(ck.CKA_WRAP, false), boolAttr(ck.CKA_SIGN, false), boolAttr(ck.CKA_VERIFY, false))
	case hmacImportLens[rec.KeySpec] != [2]int{}:
		return append(common(ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, false),
			boolAttr(ck.CKA_SIGN, true), boolAttr(ck.CKA_VERIFY, true),
			boolAttr(ck.CKA_ENCRYPT, false), boolAttr(ck.CKA_DECRYPT, false), boolAttr(ck.CKA_WRAP, false))
	}
	kt := ck.CKK_EC
	if asymSpecs[rec.KeySpec].rsaBits != 0 {
		kt = ck.CKK_RSA
	}
	sign, decrypt, derive := pairUsage(rec.KeyUsage)
	return append(common(ck.CKO_PRIVATE_KEY, kt, derive), boolAttr(ck.CKA_SIGN, sign), boolAttr(ck.CKA_DECRYPT, decrypt))
}

// unwrapMaterial unwraps wrapped with the wrapping key into a session
// object and checks it: a ciphertext the wrapping key cannot open is
// InvalidCiphertextException; material that opens but does not fit the key
// spec, or differs from the material imported before, is
// IncorrectKeyMaterialException.
func (b *Bridge) unwrapMaterial(sh ck.SessionHandle, k *kmsKey, wrapper ck.ObjectHandle, alg importAlg, wrapped []byte) (*material, error) {
	tmpl := importTemplate(&k.rec)
	h, err := b.lib.UnwrapKey(sh, alg.mech, wrapper, wrapped, tmpl)
	if err != nil {
		switch ck.ErrorRV(err) {
		case ck.CKR_WRAPPED_KEY_INVALID, ck.CKR_WRAPPED_KEY_LEN_RANGE, ck.CKR_TEMPLATE_INCONSISTENT,
			ck.CKR_CURVE_NOT_SUPPORTED, ck.CKR_KEY_SIZE_RANGE, ck.CKR_ATTRIBUTE_VALUE_INVALID:
			return nil, b.diagnoseUnwrap(sh, wrapper, alg, wrapped)
		}
		return nil, tokenError("unwrapping the key material", err)
	}
	m := &material{h: h, class: ck.CKO_SECRET_KEY}
	if err := b.checkMaterial(sh, k, m); err != nil {
		b.lib.DestroyObject(sh, h)
		return nil, err
	}
	if old := k.rec.Import.CheckValue; old != nil && subtle.ConstantTimeCompare(old, m.check) != 1 {
		b.lib.DestroyObject(sh, h)
		return nil, newError(CodeIncorrectKeyMaterial, "The key material is not the material previously imported into %s.", b.keyARN(k.id))
	}
	return m, nil
}

// diagnoseUnwrap tells a ciphertext the wrapping key cannot open from
// material of the wrong kind: it unwraps again as a generic secret, which
// takes any bytes, and destroys that at once.
func (b *Bridge) diagnoseUnwrap(sh ck.SessionHandle, wrapper ck.ObjectHandle, alg importAlg, wrapped []byte) error {
	h, err := b.lib.UnwrapKey(sh, alg.mech, wrapper, wrapped, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)),
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_GENERIC_SECRET)),
		boolAttr(ck.CKA_TOKEN, false),
		boolAttr(ck.CKA_SENSITIVE, true),
		boolAttr(ck.CKA_EXTRACTABLE, false),
		boolAttr(ck.CKA_SIGN, false),
		boolAttr(ck.CKA_VERIFY, false),
		boolAttr(ck.CKA_ENCRYPT, false),
		boolAttr(ck.CKA_DECRYPT, false),
		boolAttr(ck.CKA_DERIVE, false),
		bytesAttr(ck.CKA_LABEL, []byte(labelImporting)),
	})
	if err != nil {
		return InvalidCiphertextException("The wrapped key material could not be decrypted with the import token's wrapping key and algorithm.")
	}
	b.lib.DestroyObject(sh, h)
	return newError(CodeIncorrectKeyMaterial, "The key material is not valid for a key of this key spec.")
}

// attrs reads attributes of an object the bridge knows has them.
func (b *Bridge) attrs(sh ck.SessionHandle, h ck.ObjectHandle, types ...ck.AttributeType) ([][]byte, error) {
	vs, err := b.lib.GetAttributeValue(sh, h, types)
	if err != nil {
		return nil, tokenError("reading key attributes", err)
	}
	out := make([][]byte, len(vs))
	for i, v := range vs {
		if v.Err != 0 {
			return nil, tokenError("reading key attributes", v.Err)
		}
		out[i] = v.Value
	}
	return out, nil
}

// checkMaterial checks unwrapped material against k's spec and computes its
// check value and, for a key pair, its public key object's attributes.
func (b *Bridge) checkMaterial(sh ck.SessionHandle, k *kmsKey, m *material) error {
	spec := k.rec.KeySpec
	wrong := func(format string, args ...any) error {
		return newError(CodeIncorrectKeyMaterial, format, args...)
	}
	if spec == KeySpecSymmetricDefault || hmacImportLens[spec] != [2]int{} {
		vs, err := b.attrs(sh, m.h, ck.CKA_VALUE_LEN)
		if err != nil {
			return err
		}
		ln, _ := ck.BytesULong(vs[0])
		n := int(ln)
		if spec == KeySpecSymmetricDefault {
			if n != 32 {
				return wrong("SYMMETRIC_DEFAULT key material must be 32 bytes, not %d", n)
			}
			// AES-ECB of a zero block, on the token.
			if err := b.lib.EncryptInit(sh, ck.Mechanism{Type: ck.CKM_AES_ECB}, m.h); err != nil {
				return tokenError("computing the check value", err)
			}
			m.check = make([]byte, 16)
			if _, err := b.lib.Encrypt(sh, make([]byte, 16), m.check); err != nil {
				return tokenError("computing the check value", err)
			}
			return nil
		}
		if r := hmacImportLens[spec]; n < r[0] || n > r[1] {
			return wrong("%s key material must be %d to %d bytes, not %d", spec, r[0], r[1], n)
		}
		if err := b.lib.SignInit(sh, ck.Mechanism{Type: hmacSpecs[spec].mech}, m.h); err != nil {
			return tokenError("computing the check value", err)
		}
		m.check = make([]byte, 64)
		n, err = b.lib.Sign(sh, checkValueData, m.check)
		if err != nil {
			return tokenError("computing the check value", err)
		}
		m.check = m.check[:n]
		return nil
	}
	m.class = ck.CKO_PRIVATE_KEY
	a := asymSpecs[spec]
	vs, err := b.attrs(sh, m.h, ck.CKA_PUBLIC_KEY_INFO)
	if err != nil {
		return err
	}
	spki := vs[0]
	if a.rsaBits != 0 {
		vs, err := b.attrs(sh, m.h, ck.CKA_MODULUS, ck.CKA_PUBLIC_EXPONENT)
		if err != nil {
			return err
		}
		if bits := new(big.Int).SetBytes(vs[0]).BitLen(); bits != a.rsaBits {
			return wrong("%s key material must be an RSA key of %d bits, not %d", spec, a.rsaBits, bits)
		}
		m.pub = []ck.Attribute{
			ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_RSA)),
			bytesAttr(ck.CKA_MODULUS, vs[0]),
			bytesAttr(ck.CKA_PUBLIC_EXPONENT, vs[1]),
		}
	} else {
		vs, err := b.attrs(sh, m.h, ck.CKA_EC_PARAMS)
		if err != nil {
			return err
		}
		if !bytes.Equal(vs[0], a.ecParams) {
			return wrong("%s key material must be a key on that curve", spec)
		}
		pk, err := x509.ParsePKIXPublicKey(spki)
		ec, ok := pk.(*ecdsa.PublicKey)
		if err != nil || !ok {
			return KMSInternalException("the token gave an EC key's public key info that does not parse")
		}
		raw, err := ec.Bytes()
		if err != nil {
			return KMSInternalException("encoding an EC public key: %v", err)
		}
		point, err := asn1.Marshal(raw) // CKA_EC_POINT is the DER OCTET STRING
		if err != nil {
			return KMSInternalException("encoding an EC public key: %v", err)
		}
		m.pub = []ck.Attribute{
			ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC)),
			bytesAttr(ck.CKA_EC_PARAMS, a.ecParams),
			bytesAttr(ck.CKA_EC_POINT, point),
		}
	}
	sum := sha256.Sum256(spki)
	m.check = sum[:]
	return nil
}

// install copies the checked material to token objects of k, version 1 (and
// makes the public key object of a key pair), and answers their handles.
func (m *material) install(sh ck.SessionHandle, b *Bridge, k *kmsKey) ([]ck.ObjectHandle, error) {
	id := hbkID(k.uuid, 1)
	h, err := b.lib.CopyObject(sh, m.h, []ck.Attribute{
		boolAttr(ck.CKA_TOKEN, true),
		bytesAttr(ck.CKA_LABEL, []byte(k.id)),
		bytesAttr(ck.CKA_ID, id),
	})
	if err != nil {
		return nil, tokenError("storing the key material", err)
	}
	made := []ck.ObjectHandle{h}
	if m.pub != nil {
		sign, decrypt, _ := pairUsage(k.rec.KeyUsage)
		pub := append([]ck.Attribute{
			ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_PUBLIC_KEY)),
			boolAttr(ck.CKA_TOKEN, true),
			boolAttr(ck.CKA_PRIVATE, true),
			bytesAttr(ck.CKA_LABEL, []byte(k.id)),
			bytesAttr(ck.CKA_ID, id),
			boolAttr(ck.CKA_VERIFY, sign),
			boolAttr(ck.CKA_ENCRYPT, decrypt),
			boolAttr(ck.CKA_WRAP, false),
			boolAttr(ck.CKA_DERIVE, false),
		}, m.pub...)
		hp, err := b.lib.CreateObject(sh, pub)
		if err != nil {
			b.lib.DestroyObject(sh, h)
			return nil, tokenError("storing the public key", err)
		}
		made = append(made, hp)
	}
	return made, nil
}

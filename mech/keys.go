package mech

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/dsa" //nolint:staticcheck // legacy DSA keys (dsa.go), zeroed in Zero.
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"fmt"
	"math/big"
	"sync"
	"sync/atomic"

	"github.com/kagi-hsm/kagi/token/ck"
)

// keyCache is the per-key precomputation a Key carries so that an operation
// does no key parsing and no key schedule: the AES block cipher and the GCM
// AEAD for the standard 12-byte nonce and 16-byte tag, the HMAC inner and
// outer hash states per hash function, and the RSA CRT precomputation. Each
// part is built on first use; the read path is one atomic load. A Key holding
// a keyCache must not be copied.
type keyCache struct {
	mu      sync.Mutex // serialises building and Zero
	aes     atomic.Pointer[aesCache]
	hmac    [numHashes]atomic.Pointer[hmacPads]
	rsaOnce sync.Once
	// ecdh is an EC private key in crypto/ecdh form, converted once: the
	// conversion costs about a third of an ECDH.
	ecdh atomic.Pointer[ecdh.PrivateKey]
}

// aesCache is an expanded AES key.
type aesCache struct {
	block cipher.Block
	gcm   cipher.AEAD // 12-byte nonce, 16-byte tag
}

// aesState returns the cached AES key schedule, building it on first use.
func (k *Key) aesState() (*aesCache, error) {
	if c := k.cache.aes.Load(); c != nil {
		return c, nil
	}
	k.cache.mu.Lock()
	defer k.cache.mu.Unlock()
	if c := k.cache.aes.Load(); c != nil {
		return c, nil
	}
	if err := checkAESKeyLen(len(k.Secret), ck.CKR_KEY_SIZE_RANGE); err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k.Secret)
	if err != nil {
		return nil, fmt.Errorf("mech: AES key: %w", ck.CKR_KEY_SIZE_RANGE)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("mech: AES-GCM: %w", ck.CKR_GENERAL_ERROR)
	}
	c := &aesCache{block: block, gcm: gcm}
	k.cache.aes.Store(c)
	return c, nil
}

// Zero overwrites the key material the Key holds (Secret, and the private
// components of RSA, EC and Ed25519 keys as far as Go lets us reach them)
// and drops the cached precomputation; token calls it at logout and
// finalize. The Key must not be used afterwards. Copies the Go runtime or
// the standard library made internally (the AES key schedule, the RSA
// implementation's own representation) are out of reach and are left to
// the garbage collector.
func (k *Key) Zero() {
	k.cache.mu.Lock()
	defer k.cache.mu.Unlock()
	clear(k.Secret)
	k.Secret = nil
	switch p := k.Private.(type) {
	case *rsa.PrivateKey:
		zeroBig(p.D)
		for _, q := range p.Primes {
			zeroBig(q)
		}
		zeroBig(p.Precomputed.Dp)
		zeroBig(p.Precomputed.Dq)
		zeroBig(p.Precomputed.Qinv)
		for i := range p.Precomputed.CRTValues {
			zeroBig(p.Precomputed.CRTValues[i].Exp)
			zeroBig(p.Precomputed.CRTValues[i].Coeff)
		}
	case *ecdsa.PrivateKey:
		zeroBig(p.D) //nolint:staticcheck // D is the only reachable copy.
	case ed25519.PrivateKey:
		clear(p)
	case *dsa.PrivateKey: //nolint:staticcheck // legacy DSA keys (dsa.go).
		zeroBig(p.X)
	case *dhPrivateKey:
		zeroBig(p.X)
	}
	k.Private = nil
	k.cache.aes.Store(nil)
	k.cache.ecdh.Store(nil)
	for i := range k.cache.hmac {
		if p := k.cache.hmac[i].Swap(nil); p != nil {
			clear(p.inner)
			clear(p.outer)
		}
	}
}

func zeroBig(x *big.Int) {
	if x == nil {
		return
	}
	clear(x.Bits())
	x.SetInt64(0)
}

// Attribute access helpers. A nil Attrs is an empty template.

func attr(a Attrs, t ck.AttributeType) ([]byte, bool) {
	if a == nil {
		return nil, false
	}
	return a.Attr(t)
}

// needAttr returns a required attribute: CKR_TEMPLATE_INCOMPLETE when it is
// absent.
func needAttr(a Attrs, t ck.AttributeType) ([]byte, error) {
	v, ok := attr(a, t)
	if !ok {
		return nil, fmt.Errorf("mech: missing %s: %w", attrName(t), ck.CKR_TEMPLATE_INCOMPLETE)
	}
	return v, nil
}

// attrULong decodes a CK_ULONG attribute; a malformed value is
// CKR_ATTRIBUTE_VALUE_INVALID.
func attrULong(a Attrs, t ck.AttributeType) (v ck.ULong, ok bool, err error) {
	b, ok := attr(a, t)
	if !ok {
		return 0, false, nil
	}
	v, ok = ck.BytesULong(b)
	if !ok {
		return 0, true, fmt.Errorf("mech: %s is not a CK_ULONG: %w", attrName(t), ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return v, true, nil
}

// checkTemplateKind rejects a template whose CKA_CLASS or CKA_KEY_TYPE, when
// given, disagrees with what the mechanism makes (CKR_TEMPLATE_INCONSISTENT,
// PKCS#11 3.0 section 5.14, C_GenerateKey). keyTypes lists the acceptable key
// types; the first is the default.
func checkTemplateKind(a Attrs, class ck.ObjectClass, keyTypes ...ck.KeyType) (ck.KeyType, error) {
	if v, ok, err := attrULong(a, ck.CKA_CLASS); err != nil {
		return 0, err
	} else if ok && ck.ObjectClass(v) != class {
		return 0, fmt.Errorf("mech: CKA_CLASS does not match the mechanism: %w", ck.CKR_TEMPLATE_INCONSISTENT)
	}
	v, ok, err := attrULong(a, ck.CKA_KEY_TYPE)
	if err != nil {
		return 0, err
	}
	if !ok {
		return keyTypes[0], nil
	}
	for _, kt := range keyTypes {
		if ck.KeyType(v) == kt {
			return kt, nil
		}
	}
	return 0, fmt.Errorf("mech: CKA_KEY_TYPE does not match the mechanism: %w", ck.CKR_TEMPLATE_INCONSISTENT)
}

// attrName names an attribute in error messages (never its value).
func attrName(t ck.AttributeType) string {
	if n, ok := attrNames[t]; ok {
		return n
	}
	return fmt.Sprintf("attribute 0x%x", ck.ULong(t))
}

var attrNames = map[ck.AttributeType]string{
	ck.CKA_CLASS:            "CKA_CLASS",
	ck.CKA_KEY_TYPE:         "CKA_KEY_TYPE",
	ck.CKA_VALUE:            "CKA_VALUE",
	ck.CKA_VALUE_LEN:        "CKA_VALUE_LEN",
	ck.CKA_CHECK_VALUE:      "CKA_CHECK_VALUE",
	ck.CKA_MODULUS:          "CKA_MODULUS",
	ck.CKA_MODULUS_BITS:     "CKA_MODULUS_BITS",
	ck.CKA_PUBLIC_EXPONENT:  "CKA_PUBLIC_EXPONENT",
	ck.CKA_PRIVATE_EXPONENT: "CKA_PRIVATE_EXPONENT",
	ck.CKA_PRIME_1:          "CKA_PRIME_1",
	ck.CKA_PRIME_2:          "CKA_PRIME_2",
	ck.CKA_EXPONENT_1:       "CKA_EXPONENT_1",
	ck.CKA_EXPONENT_2:       "CKA_EXPONENT_2",
	ck.CKA_COEFFICIENT:      "CKA_COEFFICIENT",
	ck.CKA_EC_PARAMS:        "CKA_EC_PARAMS",
	ck.CKA_EC_POINT:         "CKA_EC_POINT",
	ck.CKA_PRIME:            "CKA_PRIME",
	ck.CKA_SUBPRIME:         "CKA_SUBPRIME",
	ck.CKA_BASE:             "CKA_BASE",
	ck.CKA_PRIME_BITS:       "CKA_PRIME_BITS",
	ck.CKA_SUBPRIME_BITS:    "CKA_SUBPRIME_BITS",
	ck.CKA_VALUE_BITS:       "CKA_VALUE_BITS",
}

func ulongAttr(t ck.AttributeType, v ck.ULong) ck.Attribute {
	return ck.Attribute{Type: t, Value: ck.ULongBytes(v)}
}

// secretKeyTypes are the key types of CKO_SECRET_KEY objects mech can use.
var secretKeyTypes = map[ck.KeyType]bool{
	ck.CKK_AES:            true,
	ck.CKK_GENERIC_SECRET: true,
	ck.CKK_SHA_1_HMAC:     true,
	ck.CKK_SHA224_HMAC:    true,
	ck.CKK_SHA256_HMAC:    true,
	ck.CKK_SHA384_HMAC:    true,
	ck.CKK_SHA512_HMAC:    true,
	ck.CKK_SHA3_224_HMAC:  true,
	ck.CKK_SHA3_256_HMAC:  true,
	ck.CKK_SHA3_384_HMAC:  true,
	ck.CKK_SHA3_512_HMAC:  true,
	ck.CKK_MD5_HMAC:       true,
}

// maxSecretLen bounds a secret key value (SoftHSMv2 2.6 uses the same bound
// for CKM_GENERIC_SECRET_KEY_GEN).
const maxSecretLen = 0x8000000

// checkSecretValue validates a secret key value of key type kt.
func checkSecretValue(kt ck.KeyType, v []byte) error {
	if kt == ck.CKK_AES {
		return checkAESKeyLen(len(v), ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	if len(v) == 0 || len(v) > maxSecretLen {
		return fmt.Errorf("mech: secret key length out of range: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return nil
}

// checkValue computes CKA_CHECK_VALUE for a secret key (PKCS#11 3.0 section
// 4.10): for AES the first 3 bytes of the ECB encryption of one zero block
// (section 6.7.1); for generic secret keys the first 3 bytes of the SHA-1
// hash of the value (section 6.5.1, as SoftHSMv2 does). Other key types
// have none (nil).
func checkValue(kt ck.KeyType, v []byte) []byte {
	switch kt {
	case ck.CKK_AES:
		b, err := aes.NewCipher(v)
		if err != nil {
			return nil
		}
		var blk [aes.BlockSize]byte
		b.Encrypt(blk[:], blk[:])
		return blk[:3:3]
	case ck.CKK_GENERIC_SECRET:
		s := sha1.Sum(v)
		return s[:3:3]
	}
	return nil
}

// checkValueAttr returns CKA_CHECK_VALUE for a new secret key, honouring the
// template: a zero-length CKA_CHECK_VALUE in it asks for none (PKCS#11 3.0
// section 4.10), a non-empty one must equal the computed value.
func checkValueAttr(t Attrs, kt ck.KeyType, v []byte) ([]ck.Attribute, error) {
	cv := checkValue(kt, v)
	if cv == nil {
		return nil, nil
	}
	if given, ok := attr(t, ck.CKA_CHECK_VALUE); ok {
		if len(given) == 0 {
			return []ck.Attribute{{Type: ck.CKA_CHECK_VALUE, Value: []byte{}}}, nil
		}
		if !bytes.Equal(given, cv) {
			return nil, fmt.Errorf("mech: CKA_CHECK_VALUE does not match the key: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
		}
	}
	return []ck.Attribute{{Type: ck.CKA_CHECK_VALUE, Value: cv}}, nil
}

// pairReader reads the keys of one key pair type from their attributes: a
// private key with the public key it carries, or a public key.
type pairReader struct {
	private func(Attrs) (crypto.PrivateKey, crypto.PublicKey, error)
	public  func(Attrs) (crypto.PublicKey, error)
}

// pairReaders are KeyFromAttrs's key pair types (X25519 keys, which need
// more than a reader, are montgomeryKeyFromAttrs's).
var pairReaders = map[ck.KeyType]pairReader{
	ck.CKK_RSA: {
		private: func(a Attrs) (crypto.PrivateKey, crypto.PublicKey, error) {
			priv, err := rsaPrivateFromAttrs(a)
			if err == nil {
				err = checkRSASize(priv.N)
			}
			if err != nil {
				return nil, nil, err
			}
			return priv, &priv.PublicKey, nil
		},
		public: func(a Attrs) (crypto.PublicKey, error) {
			pub, err := rsaPublicFromAttrs(a)
			if err == nil {
				err = checkRSASize(pub.N)
			}
			if err != nil {
				return nil, err
			}
			return pub, nil
		},
	},
	ck.CKK_EC: {
		private: func(a Attrs) (crypto.PrivateKey, crypto.PublicKey, error) {
			priv, err := ecPrivateFromAttrs(a)
			if err != nil {
				return nil, nil, err
			}
			return priv, &priv.PublicKey, nil
		},
		public: publicReader(ecPublicFromAttrs),
	},
	ck.CKK_EC_EDWARDS: {
		private: func(a Attrs) (crypto.PrivateKey, crypto.PublicKey, error) {
			priv, err := edPrivateFromAttrs(a)
			if err != nil {
				return nil, nil, err
			}
			return priv, priv.Public(), nil
		},
		public: publicReader(edPublicFromAttrs),
	},
	// Legacy (dsa.go, dh.go).
	ck.CKK_DSA: {
		private: func(a Attrs) (crypto.PrivateKey, crypto.PublicKey, error) {
			priv, err := dsaPrivateFromAttrs(a)
			if err != nil {
				return nil, nil, err
			}
			return priv, &priv.PublicKey, nil
		},
		public: publicReader(dsaPublicFromAttrs),
	},
	ck.CKK_DH: {
		private: func(a Attrs) (crypto.PrivateKey, crypto.PublicKey, error) {
			priv, err := dhPrivateFromAttrs(a)
			if err != nil {
				return nil, nil, err
			}
			return priv, &priv.dhPublicKey, nil
		},
		public: publicReader(dhPublicFromAttrs),
	},
}

// publicReader adapts a typed public key reader to pairReader.public,
// keeping a failed read's nil from becoming a non-nil interface.
func publicReader[P crypto.PublicKey](read func(Attrs) (P, error)) func(Attrs) (crypto.PublicKey, error) {
	return func(a Attrs) (crypto.PublicKey, error) {
		pub, err := read(a)
		if err != nil {
			return nil, err
		}
		return pub, nil
	}
}

// KeyFromAttrs builds a usable Key from the attributes of a stored key
// object. Secret keys need CKA_VALUE; RSA private keys CKA_MODULUS,
// CKA_PUBLIC_EXPONENT, CKA_PRIVATE_EXPONENT, CKA_PRIME_1 and CKA_PRIME_2
// (Go's RSA has no non-CRT private key operation, so a key without its
// primes is CKR_TEMPLATE_INCOMPLETE; CKA_EXPONENT_1/2 and CKA_COEFFICIENT
// are used when present and computed otherwise); RSA public keys CKA_MODULUS
// and CKA_PUBLIC_EXPONENT; EC private keys CKA_EC_PARAMS and CKA_VALUE (the
// public point is derived); EC public keys CKA_EC_PARAMS and CKA_EC_POINT.
// Key material is copied, so Zero never touches a's storage.
func KeyFromAttrs(class ck.ObjectClass, kt ck.KeyType, a Attrs) (*Key, error) {
	k := &Key{Class: class, Type: kt}
	switch {
	case class == ck.CKO_SECRET_KEY && secretKeyTypes[kt]:
		v, err := needAttr(a, ck.CKA_VALUE)
		if err != nil {
			return nil, err
		}
		if err := checkSecretValue(kt, v); err != nil {
			return nil, err
		}
		k.Secret = bytes.Clone(v)
	case (class == ck.CKO_PRIVATE_KEY || class == ck.CKO_PUBLIC_KEY) && pairReaders[kt].public != nil:
		r := pairReaders[kt]
		var err error
		if class == ck.CKO_PRIVATE_KEY {
			k.Private, k.Public, err = r.private(a)
		} else {
			k.Public, err = r.public(a)
		}
		if err != nil {
			return nil, err
		}
	case kt == ck.CKK_EC_MONTGOMERY:
		return montgomeryKeyFromAttrs(class, a)
	// Legacy key types (des.go, dsa.go).
	case class == ck.CKO_SECRET_KEY && isDESKeyType(kt):
		v, err := desKeyValue(kt, a)
		if err != nil {
			return nil, err
		}
		k.Secret = v
	default:
		return nil, fmt.Errorf("mech: unsupported key class/type: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	return k, nil
}

// ImportAttrs validates the key components given to C_CreateObject for a key
// of class and type kt and returns the attributes the token computes for
// it: CKA_VALUE_LEN and (AES, generic secret) CKA_CHECK_VALUE for secret
// keys; CKA_MODULUS_BITS for RSA public keys; CKA_PUBLIC_KEY_INFO for public
// keys and for private keys (and CKA_VALUE_BITS for DH private keys);
// CKA_PRIME_BITS (and for DSA CKA_SUBPRIME_BITS) for domain parameter
// objects (class CKO_DOMAIN_PARAMETERS). A missing component is
// CKR_TEMPLATE_INCOMPLETE, a malformed one CKR_ATTRIBUTE_VALUE_INVALID, an
// unknown curve CKR_CURVE_NOT_SUPPORTED.
func ImportAttrs(class ck.ObjectClass, kt ck.KeyType, a Attrs) ([]ck.Attribute, error) {
	switch {
	case class == ck.CKO_SECRET_KEY && secretKeyTypes[kt]:
		v, err := needAttr(a, ck.CKA_VALUE)
		if err != nil {
			return nil, err
		}
		if err := checkSecretValue(kt, v); err != nil {
			return nil, err
		}
		out := []ck.Attribute{ulongAttr(ck.CKA_VALUE_LEN, ck.ULong(len(v)))}
		cv, err := checkValueAttr(a, kt, v)
		if err != nil {
			return nil, err
		}
		return append(out, cv...), nil
	case class == ck.CKO_PRIVATE_KEY && kt == ck.CKK_RSA:
		priv, err := rsaPrivateFromAttrs(a)
		if err != nil {
			return nil, err
		}
		return publicKeyInfo(&priv.PublicKey)
	case class == ck.CKO_PUBLIC_KEY && kt == ck.CKK_RSA:
		pub, err := rsaPublicFromAttrs(a)
		if err != nil {
			return nil, err
		}
		out, err := publicKeyInfo(pub)
		if err != nil {
			return nil, err
		}
		return append(out, ulongAttr(ck.CKA_MODULUS_BITS, ck.ULong(pub.N.BitLen()))), nil
	case class == ck.CKO_PRIVATE_KEY && kt == ck.CKK_EC:
		priv, err := ecPrivateFromAttrs(a)
		if err != nil {
			return nil, err
		}
		return publicKeyInfo(&priv.PublicKey)
	case class == ck.CKO_PUBLIC_KEY && kt == ck.CKK_EC:
		pub, err := ecPublicFromAttrs(a)
		if err != nil {
			return nil, err
		}
		return publicKeyInfo(pub)
	case class == ck.CKO_PRIVATE_KEY && kt == ck.CKK_EC_EDWARDS:
		priv, err := edPrivateFromAttrs(a)
		if err != nil {
			return nil, err
		}
		defer clear(priv)
		return publicKeyInfo(priv.Public())
	case class == ck.CKO_PUBLIC_KEY && kt == ck.CKK_EC_EDWARDS:
		pub, err := edPublicFromAttrs(a)
		if err != nil {
			return nil, err
		}
		return publicKeyInfo(pub)
	case kt == ck.CKK_EC_MONTGOMERY:
		return montgomeryImportAttrs(class, a)
	// Legacy key types (des.go, dsa.go): DES keys have no CKA_VALUE_LEN.
	case class == ck.CKO_SECRET_KEY && isDESKeyType(kt):
		return desImportAttrs(kt, a)
	case (class == ck.CKO_PRIVATE_KEY || class == ck.CKO_PUBLIC_KEY) && kt == ck.CKK_DSA:
		return dsaImportAttrs(class, a)
	case (class == ck.CKO_PRIVATE_KEY || class == ck.CKO_PUBLIC_KEY) && kt == ck.CKK_DH:
		return dhImportAttrs(class, a)
	// Domain parameter objects (PKCS#11 3.0 section 4.11) of DSA and DH.
	case class == ck.CKO_DOMAIN_PARAMETERS && kt == ck.CKK_DSA:
		return dsaDomainImportAttrs(a)
	case class == ck.CKO_DOMAIN_PARAMETERS && kt == ck.CKK_DH:
		return dhDomainImportAttrs(a)
	}
	return nil, fmt.Errorf("mech: unsupported key class/type: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
}

// publicKeyInfo is CKA_PUBLIC_KEY_INFO: the DER SubjectPublicKeyInfo.
func publicKeyInfo(pub any) ([]ck.Attribute, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("mech: public key info: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	return []ck.Attribute{{Type: ck.CKA_PUBLIC_KEY_INFO, Value: der}}, nil
}

package conformance

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"math/big"
	"sync"

	"github.com/miekg/pkcs11"
)

// The suite imports fixed-per-run keys with C_CreateObject instead of
// generating them in every module (SoftHSMv2's RSA key generation is slow),
// and checks each module's output with Go's standard library.

var (
	rsaOnce sync.Once
	rsaPriv *rsa.PrivateKey
	ecOnce  sync.Once
	ecPriv  *ecdsa.PrivateKey
)

func rsaKey() *rsa.PrivateKey {
	rsaOnce.Do(func() {
		var err error
		if rsaPriv, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		rsaPriv.Precompute()
	})
	return rsaPriv
}

func ecKey() *ecdsa.PrivateKey {
	ecOnce.Do(func() {
		var err error
		if ecPriv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
	return ecPriv
}

var des3Value = []byte("0123456789abcdefABCDEFGH")

// p256OID is the DER of the OID of P-256 (CKA_EC_PARAMS).
var p256OID = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

func rsaPublicTemplate(token bool) []*pkcs11.Attribute {
	k := rsaKey()
	return tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA, pkcs11.CKA_TOKEN, token,
		pkcs11.CKA_MODULUS, k.N.Bytes(), pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes(),
		pkcs11.CKA_VERIFY, true, pkcs11.CKA_ENCRYPT, true, pkcs11.CKA_WRAP, true)
}

func rsaPrivateTemplate(token bool) []*pkcs11.Attribute {
	k := rsaKey()
	return tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA, pkcs11.CKA_TOKEN, token,
		pkcs11.CKA_PRIVATE, true, pkcs11.CKA_SENSITIVE, true,
		pkcs11.CKA_MODULUS, k.N.Bytes(), pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes(),
		pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes(), pkcs11.CKA_PRIME_1, k.Primes[0].Bytes(), pkcs11.CKA_PRIME_2, k.Primes[1].Bytes(),
		pkcs11.CKA_EXPONENT_1, k.Precomputed.Dp.Bytes(), pkcs11.CKA_EXPONENT_2, k.Precomputed.Dq.Bytes(),
		pkcs11.CKA_COEFFICIENT, k.Precomputed.Qinv.Bytes(),
		pkcs11.CKA_SIGN, true, pkcs11.CKA_DECRYPT, true, pkcs11.CKA_UNWRAP, true)
}

// ecPoint is the DER OCTET STRING of the uncompressed public point.
func ecPoint(pub *ecdsa.PublicKey) []byte {
	raw := elliptic.Marshal(elliptic.P256(), pub.X, pub.Y) //nolint:staticcheck // the uncompressed point, as PKCS#11 wants
	return append([]byte{0x04, byte(len(raw))}, raw...)
}

func ecPublicTemplate(token bool) []*pkcs11.Attribute {
	return tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC, pkcs11.CKA_TOKEN, token,
		pkcs11.CKA_EC_PARAMS, p256OID, pkcs11.CKA_EC_POINT, ecPoint(&ecKey().PublicKey), pkcs11.CKA_VERIFY, true)
}

func ecPrivateTemplate(token bool) []*pkcs11.Attribute {
	d := make([]byte, 32)
	ecKey().D.FillBytes(d)
	return tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC, pkcs11.CKA_TOKEN, token,
		pkcs11.CKA_PRIVATE, true, pkcs11.CKA_SENSITIVE, true,
		pkcs11.CKA_EC_PARAMS, p256OID, pkcs11.CKA_VALUE, d, pkcs11.CKA_SIGN, true, pkcs11.CKA_DERIVE, true)
}

// secret imports a session secret key with the value and the flags.
func (x *X) secret(sh pkcs11.SessionHandle, keyType uint, value []byte, extra ...any) pkcs11.ObjectHandle {
	x.Helper()
	t := tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, keyType, pkcs11.CKA_TOKEN, false,
		pkcs11.CKA_VALUE, value)
	return x.create(sh, append(t, tmpl(extra...)...))
}

// aesKey imports a session AES key allowed everything but wrapping.
func (x *X) aesKey(sh pkcs11.SessionHandle, value []byte) pkcs11.ObjectHandle {
	x.Helper()
	return x.secret(sh, pkcs11.CKK_AES, value, pkcs11.CKA_ENCRYPT, true, pkcs11.CKA_DECRYPT, true,
		pkcs11.CKA_SIGN, true, pkcs11.CKA_VERIFY, true)
}

func mechName(m uint) string {
	names := map[uint]string{
		pkcs11.CKM_SHA256: "CKM_SHA256", pkcs11.CKM_AES_KEY_GEN: "CKM_AES_KEY_GEN", pkcs11.CKM_AES_CBC_PAD: "CKM_AES_CBC_PAD",
		pkcs11.CKM_AES_GCM: "CKM_AES_GCM", pkcs11.CKM_RSA_PKCS: "CKM_RSA_PKCS", pkcs11.CKM_RSA_PKCS_OAEP: "CKM_RSA_PKCS_OAEP",
		pkcs11.CKM_SHA256_RSA_PKCS_PSS: "CKM_SHA256_RSA_PKCS_PSS", pkcs11.CKM_ECDSA: "CKM_ECDSA",
		pkcs11.CKM_ECDH1_DERIVE: "CKM_ECDH1_DERIVE", pkcs11.CKM_SHA256_HMAC: "CKM_SHA256_HMAC",
		pkcs11.CKM_AES_KEY_WRAP: "CKM_AES_KEY_WRAP", pkcs11.CKM_DES3_CBC: "CKM_DES3_CBC",
	}
	if n, ok := names[m]; ok {
		return n
	}
	return "mechanism"
}

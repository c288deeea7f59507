package mech

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"encoding/binary"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Elliptic curve Diffie-Hellman: CKM_ECDH1_DERIVE and
// CKM_ECDH1_COFACTOR_DERIVE (PKCS#11 3.0 current mechanisms, "Elliptic
// curve Diffie-Hellman key derivation" and "Elliptic curve Diffie-Hellman
// with cofactor key derivation"), with CK_ECDH1_DERIVE_PARAMS. The shared
// secret Z is the x-coordinate of d·Q (SP 800-56A rev. 3 section 5.7.1.2,
// the ECC CDH primitive); with the cofactor it is of h·d·Q, and every curve
// kagi has is of prime order (h = 1), so the two mechanisms compute the
// same. A CKK_EC_MONTGOMERY base key (X25519) gives Z = X25519(d, u)
// (RFC 7748 section 6.1), as PKCS#11 3.0 specifies ECDH1 for Montgomery
// keys.
//
// The peer's public value (pPublicData) is the X9.62 point, bare or as the
// DER OCTET STRING of CKA_EC_POINT (SoftHSMv2 accepts both), or the 32-byte
// u-coordinate for X25519; a point not on the curve, or an X25519 result
// of all zeros (a low-order point), is CKR_MECHANISM_PARAM_INVALID.
//
// Key derivation functions: CKD_NULL gives Z itself, which the
// mechanism's rule truncates to CKA_VALUE_LEN by removing bytes "from the
// leading end" (SoftHSMv2 does the same); shared data is not allowed with
// it. CKD_SHA*_KDF and CKD_SHA3_*_KDF are the ANSI X9.63 KDF
// (ANSI X9.63-2001 section 5.6.3, SEC 1 v2 section 3.6.1) over Z with
// pSharedData as SharedInfo, and need CKA_VALUE_LEN.

// x963Hashes maps the CKD_ key derivation functions kagi implements to
// their hash.
var x963Hashes = map[ck.KDF]hashID{
	ck.CKD_SHA1_KDF:     hashSHA1,
	ck.CKD_SHA224_KDF:   hashSHA224,
	ck.CKD_SHA256_KDF:   hashSHA256,
	ck.CKD_SHA384_KDF:   hashSHA384,
	ck.CKD_SHA512_KDF:   hashSHA512,
	ck.CKD_SHA3_224_KDF: hashSHA3_224,
	ck.CKD_SHA3_256_KDF: hashSHA3_256,
	ck.CKD_SHA3_384_KDF: hashSHA3_384,
	ck.CKD_SHA3_512_KDF: hashSHA3_512,
}

// ecdh1Params decodes CK_ECDH1_DERIVE_PARAMS.
func ecdh1Params(param any) (ck.ECDH1DeriveParams, error) {
	switch p := param.(type) {
	case ck.ECDH1DeriveParams:
		return p, nil
	case *ck.ECDH1DeriveParams:
		if p != nil {
			return *p, nil
		}
	}
	return ck.ECDH1DeriveParams{}, errParam("CK_ECDH1_DERIVE_PARAMS expected")
}

// deriveECDH is the Derive of CKM_ECDH1_DERIVE and CKM_ECDH1_COFACTOR_DERIVE.
func deriveECDH(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	p, err := ecdh1Params(param)
	if err != nil {
		return nil, err
	}
	var alg *hashAlg
	if p.KDF == ck.CKD_NULL {
		if len(p.SharedData) != 0 {
			return nil, errParam("CKD_NULL takes no shared data")
		}
	} else {
		h, ok := x963Hashes[p.KDF]
		if !ok {
			return nil, errParam(fmt.Sprintf("key derivation function %#x not supported", p.KDF))
		}
		alg = hashes[h]
	}
	if len(p.PublicData) == 0 {
		return nil, errParam("no public data")
	}
	if err := checkKeyLen(keyLen); err != nil {
		return nil, err
	}
	if alg != nil && keyLen == 0 {
		return nil, fmt.Errorf("mech: an X9.63 KDF needs CKA_VALUE_LEN: %w", ck.CKR_TEMPLATE_INCOMPLETE)
	}
	z, err := sharedSecret(base, p.PublicData)
	if err != nil {
		return nil, err
	}
	defer clear(z)
	if alg != nil {
		return x963KDF(alg, z, p.SharedData, keyLen), nil
	}
	return trailing(z, keyLen)
}

// sharedSecret computes Z between the private key base and the peer's
// public value.
func sharedSecret(base *Key, peer []byte) ([]byte, error) {
	if base == nil || base.Class != ck.CKO_PRIVATE_KEY {
		return nil, fmt.Errorf("mech: ECDH needs a private key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	switch base.Type {
	case ck.CKK_EC:
		priv, c, err := base.ecPrivate()
		if err != nil {
			return nil, err
		}
		return ecdhNIST(base, priv, c, peer)
	case ck.CKK_EC_MONTGOMERY:
		priv, ok := base.Private.(*ecdh.PrivateKey)
		if !ok || priv == nil || priv.Curve() != ecdh.X25519() {
			return nil, fmt.Errorf("mech: not an X25519 private key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
		}
		u, err := montgomeryPoint(peer)
		if err != nil {
			return nil, errParam("the public data is not an X25519 public key")
		}
		pub, err := ecdh.X25519().NewPublicKey(u)
		if err != nil {
			return nil, errParam("the public data is not an X25519 public key")
		}
		z, err := priv.ECDH(pub)
		if err != nil {
			// RFC 7748 section 6.1: an all-zero result (a low-order
			// point) must be refused.
			return nil, errParam("X25519 with a low-order point")
		}
		return z, nil
	}
	return nil, fmt.Errorf("mech: ECDH needs an EC or Montgomery key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
}

// ecdhCurves are crypto/ecdh's NIST curves; it has no P-224.
var ecdhCurves = map[elliptic.Curve]ecdh.Curve{
	elliptic.P256(): ecdh.P256(),
	elliptic.P384(): ecdh.P384(),
	elliptic.P521(): ecdh.P521(),
}

// ecdhNIST is the ECC CDH primitive on a NIST curve. An uncompressed peer
// point goes to crypto/ecdh as it is (NewPublicKey checks that it is on the
// curve); other forms, and P-224, go through parseECPoint, and P-224's
// product through crypto/elliptic's constant-time implementation.
func ecdhNIST(base *Key, priv *ecdsa.PrivateKey, c *curveInfo, peer []byte) ([]byte, error) {
	notOnCurve := errParam("the public data is not a point on " + c.name)
	ec, ok := ecdhCurves[c.curve]
	if !ok {
		pub, err := parseECPoint(c, peer)
		if err != nil {
			return nil, notOnCurve
		}
		d, err := priv.Bytes()
		if err != nil {
			return nil, fmt.Errorf("mech: EC private key: %w", ck.CKR_GENERAL_ERROR)
		}
		defer clear(d)
		x, y := c.curve.ScalarMult(pub.X, pub.Y, d) //nolint:staticcheck // crypto/ecdh has no P-224
		if x.Sign() == 0 && y.Sign() == 0 {
			return nil, errParam("ECDH result is the point at infinity")
		}
		return x.FillBytes(make([]byte, c.size)), nil
	}
	raw := peer
	if !(len(raw) == 1+2*c.size && raw[0] == 4) {
		if tag, content, ok := derValue(peer); ok && tag == derOctetString && len(content) == 1+2*c.size && content[0] == 4 {
			raw = content
		} else {
			pub, err := parseECPoint(c, peer) // compressed
			if err != nil {
				return nil, notOnCurve
			}
			if raw, err = pub.Bytes(); err != nil {
				return nil, notOnCurve
			}
		}
	}
	pk, err := ec.NewPublicKey(raw)
	if err != nil {
		return nil, notOnCurve
	}
	dk, err := base.ecdhPrivate(priv)
	if err != nil {
		return nil, err
	}
	z, err := dk.ECDH(pk)
	if err != nil {
		return nil, errParam("ECDH with " + c.name + " failed")
	}
	return z, nil
}

// x963KDF is the ANSI X9.63 key derivation function: the concatenation of
// Hash(Z || Counter || SharedInfo) for Counter = 1, 2, ... as 32-bit
// big-endian integers, truncated to n bytes. n is bounded by maxSecretLen,
// far below the (2^32-1)·hashLen limit of the standard.
func x963KDF(alg *hashAlg, z, sharedInfo []byte, n int) []byte {
	h := alg.get()
	defer alg.put(h)
	out := make([]byte, 0, n+alg.size)
	var ctr [4]byte
	for i := uint32(1); len(out) < n; i++ {
		h.Reset()
		h.Write(z)
		binary.BigEndian.PutUint32(ctr[:], i)
		h.Write(ctr[:])
		h.Write(sharedInfo)
		out = h.Sum(out)
	}
	clear(out[n:cap(out)])
	return out[:n:n]
}

// ecdhPrivate returns the cached crypto/ecdh form of an EC private key.
func (k *Key) ecdhPrivate(priv *ecdsa.PrivateKey) (*ecdh.PrivateKey, error) {
	if dk := k.cache.ecdh.Load(); dk != nil {
		return dk, nil
	}
	dk, err := priv.ECDH()
	if err != nil {
		return nil, fmt.Errorf("mech: EC private key: %w", ck.CKR_GENERAL_ERROR)
	}
	// Under the cache lock, and only while the key is not zeroed, so Zero
	// cannot be undone by a conversion that raced with it.
	k.cache.mu.Lock()
	if k.Private != nil {
		k.cache.ecdh.Store(dk)
	}
	k.cache.mu.Unlock()
	return dk, nil
}

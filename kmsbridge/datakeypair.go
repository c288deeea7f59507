package kmsbridge

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext: an RSA or EC
// key pair for use outside KMS, its private key sealed under a symmetric KMS
// key as an ordinary ciphertext blob (blob.go), so Decrypt with the same
// encryption context gives back the PKCS#8 PrivateKeyInfo.
//
// The pair comes from the token's C_GenerateKeyPair (its DRBG), as a pair of
// session objects (CKA_TOKEN false): the library keeps session objects in
// memory only and never writes them to the database (token/objects.go
// persists token objects alone). The private key is made non-sensitive and
// extractable, with no usage of its own, so that its components can be read
// once; both objects are destroyed before the call returns, and a crash in
// between loses them with the session. Wrapping the private key instead
// would not keep it from the bridge: the bridge has to hold the PKCS#8 in
// the clear anyway, to return it and to seal it under the KMS key's HBK
// (which is an AES-GCM key without CKA_WRAP).

// unsupportedPairSpecs are the KeyPairSpec values AWS defines that kagi does not
// generate: secp256k1 is not a curve the token has, and SM2 exists only in
// AWS's China Regions. AWS answers a spec it does not offer with
// UnsupportedOperationException; a value outside AWS's enumeration is a
// ValidationException.
var unsupportedPairSpecs = map[string]bool{"ECC_SECG_P256K1": true, "SM2": true}

type GenerateDataKeyPairRequest struct {
	KeyId             string
	KeyPairSpec       string
	EncryptionContext map[string]string `json:",omitempty"`
	GrantTokens       []string          `json:",omitempty"`
	// Recipient is the Nitro Enclaves attestation document; kagi has no
	// enclaves, so a request with one is refused.
	Recipient json.RawMessage `json:",omitempty"`
	DryRun    bool            `json:",omitempty"`
}

type GenerateDataKeyPairResponse struct {
	PrivateKeyCiphertextBlob []byte
	PrivateKeyPlaintext      []byte // PKCS#8 DER
	PublicKey                []byte // DER SubjectPublicKeyInfo
	KeyId                    string // ARN
	KeyPairSpec              string
}

type GenerateDataKeyPairWithoutPlaintextRequest = GenerateDataKeyPairRequest

type GenerateDataKeyPairWithoutPlaintextResponse struct {
	PrivateKeyCiphertextBlob []byte
	PublicKey                []byte
	KeyId                    string
	KeyPairSpec              string
}

// GenerateDataKeyPair returns a fresh key pair: the public key, the private
// key in plaintext and sealed under the KMS key.
func (b *Bridge) GenerateDataKeyPair(ctx context.Context, in *GenerateDataKeyPairRequest) (out *GenerateDataKeyPairResponse, err error) {
	ctx, done := b.begin(ctx, "GenerateDataKeyPair")
	defer func() { done(out, err) }()
	uk, pub, priv, blob, err := b.generateDataKeyPair(ctx, in, "kms:GenerateDataKeyPair")
	if err != nil {
		return nil, err
	}
	return &GenerateDataKeyPairResponse{PrivateKeyCiphertextBlob: blob, PrivateKeyPlaintext: priv, PublicKey: pub,
		KeyId: b.keyARN(uk.keyID), KeyPairSpec: in.KeyPairSpec}, nil
}

// GenerateDataKeyPairWithoutPlaintext returns a fresh key pair's public key
// and its private key only sealed.
func (b *Bridge) GenerateDataKeyPairWithoutPlaintext(ctx context.Context, in *GenerateDataKeyPairWithoutPlaintextRequest) (out *GenerateDataKeyPairWithoutPlaintextResponse, err error) {
	ctx, done := b.begin(ctx, "GenerateDataKeyPairWithoutPlaintext")
	defer func() { done(out, err) }()
	uk, pub, priv, blob, err := b.generateDataKeyPair(ctx, in, "kms:GenerateDataKeyPairWithoutPlaintext")
	if err != nil {
		return nil, err
	}
	clear(priv)
	return &GenerateDataKeyPairWithoutPlaintextResponse{PrivateKeyCiphertextBlob: blob, PublicKey: pub,
		KeyId: b.keyARN(uk.keyID), KeyPairSpec: in.KeyPairSpec}, nil
}

// generateDataKeyPair checks the request, generates the pair on the token
// and seals its PKCS#8 under the KMS key's current HBK.
func (b *Bridge) generateDataKeyPair(ctx context.Context, in *GenerateDataKeyPairRequest, action string) (usableKey, []byte, []byte, []byte, error) {
	fail := func(err error) (usableKey, []byte, []byte, []byte, error) { return usableKey{}, nil, nil, nil, err }
	spec, ok := asymSpecs[in.KeyPairSpec]
	switch {
	case ok:
	case in.KeyPairSpec == "":
		return fail(ValidationException("KeyPairSpec is required"))
	case unsupportedPairSpecs[in.KeyPairSpec]:
		return fail(UnsupportedOperationException("KeyPairSpec %s is not supported", in.KeyPairSpec))
	default:
		return fail(ValidationException("KeyPairSpec %q is not valid", in.KeyPairSpec))
	}
	if len(in.Recipient) != 0 && !bytes.Equal(bytes.TrimSpace(in.Recipient), []byte("null")) {
		return fail(UnsupportedOperationException("Recipient (a Nitro Enclaves attestation document) is not supported"))
	}
	if err := checkContext(in.EncryptionContext); err != nil {
		return fail(err)
	}
	uk, err := b.encryptingKey(ctx, in.KeyId, access{action: action, ectx: in.EncryptionContext, grantTokens: in.GrantTokens})
	if err != nil {
		return fail(err)
	}
	if in.DryRun {
		return fail(DryRunOperationException())
	}
	var pub, priv, blob []byte
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		pub, priv, err = b.sessionKeyPair(sh, spec.rsaBits, spec.ecParams)
		if err != nil {
			return err
		}
		blob, err = b.seal(sh, uk, priv, in.EncryptionContext)
		return err
	})
	if err != nil {
		clear(priv)
		return fail(err)
	}
	return uk, pub, priv, blob, nil
}

// sessionKeyPair generates a pair as session objects (see the top of this
// file), reads it out and destroys it: the public key as DER
// SubjectPublicKeyInfo, the private key as PKCS#8 DER.
func (b *Bridge) sessionKeyPair(sh ck.SessionHandle, rsaBits int, ecParams []byte) (spki, pkcs8 []byte, err error) {
	pubT := []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_PUBLIC_KEY)),
		boolAttr(ck.CKA_TOKEN, false),
		boolAttr(ck.CKA_PRIVATE, false),
	}
	privT := []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_PRIVATE_KEY)),
		boolAttr(ck.CKA_TOKEN, false),
		boolAttr(ck.CKA_PRIVATE, true),
		boolAttr(ck.CKA_SENSITIVE, false),
		boolAttr(ck.CKA_EXTRACTABLE, true),
		boolAttr(ck.CKA_SIGN, false),
		boolAttr(ck.CKA_DECRYPT, false),
		boolAttr(ck.CKA_UNWRAP, false),
		boolAttr(ck.CKA_DERIVE, false),
	}
	m, pubT, privT := pairShape(rsaBits, ecParams, pubT, privT)
	hpub, hpriv, err := b.lib.GenerateKeyPair(sh, m, pubT, privT)
	if err != nil {
		return nil, nil, tokenError("generating a data key pair", err)
	}
	defer func() {
		// Destroy both whatever happened; a failure leaves them to die
		// with the session, still never stored.
		b.lib.DestroyObject(sh, hpriv)
		b.lib.DestroyObject(sh, hpub)
	}()
	spki, err = b.attribute(sh, hpub, ck.CKA_PUBLIC_KEY_INFO, "reading the data key pair's public key")
	if err != nil {
		return nil, nil, err
	}
	var key crypto.Signer
	if rsaBits != 0 {
		key, err = b.rsaPrivate(sh, hpriv)
	} else {
		key, err = b.ecPrivate(sh, hpriv, ecParams)
	}
	if err != nil {
		return nil, nil, err
	}
	// The PKCS#8 must hold the private half of the public key returned: a
	// mismatch would be a token fault, caught here rather than by a user.
	mine, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil || !bytes.Equal(mine, spki) {
		return nil, nil, KMSInternalException("the generated data key pair's halves do not match")
	}
	pkcs8, err = x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, KMSInternalException("encoding the data key pair's private key")
	}
	return spki, pkcs8, nil
}

// attribute reads one attribute of an object.
func (b *Bridge) attribute(sh ck.SessionHandle, h ck.ObjectHandle, t ck.AttributeType, what string) ([]byte, error) {
	vs, err := b.lib.GetAttributeValue(sh, h, []ck.AttributeType{t})
	if err == nil && vs[0].Err != 0 {
		err = vs[0].Err
	}
	if err != nil {
		return nil, tokenError(what, err)
	}
	return vs[0].Value, nil
}

// rsaPrivate reads an RSA private key's components (PKCS#11 current
// mechanisms section 2.1.3); Go recomputes the CRT values from the primes.
func (b *Bridge) rsaPrivate(sh ck.SessionHandle, h ck.ObjectHandle) (*rsa.PrivateKey, error) {
	types := []ck.AttributeType{ck.CKA_MODULUS, ck.CKA_PUBLIC_EXPONENT, ck.CKA_PRIVATE_EXPONENT, ck.CKA_PRIME_1, ck.CKA_PRIME_2}
	vs, err := b.lib.GetAttributeValue(sh, h, types)
	for i := 0; err == nil && i < len(vs); i++ {
		if vs[i].Err != 0 {
			err = vs[i].Err
		}
	}
	if err != nil {
		return nil, tokenError("reading the data key pair's private key", err)
	}
	defer func() {
		for _, v := range vs {
			clear(v.Value)
		}
	}()
	n := func(i int) *big.Int { return new(big.Int).SetBytes(vs[i].Value) }
	e := n(1)
	if !e.IsInt64() || e.Int64() > 1<<31-1 {
		return nil, KMSInternalException("the token gave an RSA public exponent out of range")
	}
	k := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: n(0), E: int(e.Int64())}, D: n(2), Primes: []*big.Int{n(3), n(4)}}
	k.Precompute()
	if err := k.Validate(); err != nil {
		return nil, KMSInternalException("the token gave an inconsistent RSA private key")
	}
	return k, nil
}

// ecCurve maps a key pair spec's CKA_EC_PARAMS to Go's curve.
func ecCurve(params []byte) elliptic.Curve {
	for _, c := range []struct {
		spec  string
		curve elliptic.Curve
	}{{"ECC_NIST_P256", elliptic.P256()}, {"ECC_NIST_P384", elliptic.P384()}, {"ECC_NIST_P521", elliptic.P521()}} {
		if bytes.Equal(asymSpecs[c.spec].ecParams, params) {
			return c.curve
		}
	}
	return nil
}

// ecPrivate reads an EC private key's scalar (CKA_VALUE, PKCS#11 current
// mechanisms section 2.3.5); Go derives the public point from it.
func (b *Bridge) ecPrivate(sh ck.SessionHandle, h ck.ObjectHandle, params []byte) (*ecdsa.PrivateKey, error) {
	curve := ecCurve(params)
	if curve == nil {
		return nil, KMSInternalException("no curve for the data key pair's parameters")
	}
	d, err := b.attribute(sh, h, ck.CKA_VALUE, "reading the data key pair's private key")
	if err != nil {
		return nil, err
	}
	defer clear(d)
	size := (curve.Params().BitSize + 7) / 8
	if len(d) > size {
		return nil, KMSInternalException("the token gave an EC private key of %d bytes", len(d))
	}
	fixed := make([]byte, size) // ParseRawPrivateKey wants the fixed-length scalar
	copy(fixed[size-len(d):], d)
	defer clear(fixed)
	k, err := ecdsa.ParseRawPrivateKey(curve, fixed)
	if err != nil {
		return nil, KMSInternalException("the token gave an invalid EC private key")
	}
	return k, nil
}

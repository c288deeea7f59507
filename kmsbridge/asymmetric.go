package kmsbridge

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"hash"
	"math/big"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// Asymmetric KMS keys (RSA_2048/3072/4096, ECC_NIST_P256/P384/P521) are key
// pairs generated on the token with C_GenerateKeyPair: the private key is
// CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, unextractable, with CKA_SIGN (usage
// SIGN_VERIFY), CKA_DECRYPT (ENCRYPT_DECRYPT) or CKA_DERIVE (KEY_AGREEMENT,
// EC only); the public key object has CKA_VERIFY, CKA_ENCRYPT or neither
// (a KEY_AGREEMENT key's public half is only given out). Both carry CKA_LABEL = the key id and CKA_ID =
// the UUID's 16 bytes || the version (1) as big-endian uint32, as backing
// keys do. HMAC keys (mac.go) are one secret key, labelled the same way.

// Key usages and specs beyond the symmetric ones (AWS's spellings).
const (
	KeyUsageSignVerify        = "SIGN_VERIFY"
	KeyUsageGenerateVerifyMac = "GENERATE_VERIFY_MAC"
	KeyUsageKeyAgreement      = "KEY_AGREEMENT"

	MessageTypeRaw    = "RAW"
	MessageTypeDigest = "DIGEST"

	maxSignMessage = 4096 // Sign/Verify Message, GenerateMac Message
)

var (
	rsaEncryptionAlgs = []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}
	rsaSigningAlgs    = []string{
		"RSASSA_PSS_SHA_256", "RSASSA_PSS_SHA_384", "RSASSA_PSS_SHA_512",
		"RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PKCS1_V1_5_SHA_384", "RSASSA_PKCS1_V1_5_SHA_512",
	}
)

// asymSpecs are the key pair specs: RSA modulus bits or the EC curve's
// CKA_EC_PARAMS (the namedCurve OID in DER) and its signing algorithm.
var asymSpecs = map[string]struct {
	rsaBits   int
	ecParams  []byte
	ecSignAlg string
	ecBytes   int // field element length (r and s in PKCS#11's r || s)
}{
	"RSA_2048":      {rsaBits: 2048},
	"RSA_3072":      {rsaBits: 3072},
	"RSA_4096":      {rsaBits: 4096},
	"ECC_NIST_P256": {ecParams: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, ecSignAlg: "ECDSA_SHA_256", ecBytes: 32},
	"ECC_NIST_P384": {ecParams: []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}, ecSignAlg: "ECDSA_SHA_384", ecBytes: 48},
	"ECC_NIST_P521": {ecParams: []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23}, ecSignAlg: "ECDSA_SHA_512", ecBytes: 66},
}

// keyAlgorithms lists what DescribeKey and GetPublicKey answer for a key of
// that spec and usage: AWS lists only the algorithms of the key's usage.
func keyAlgorithms(spec, usage string) (enc, sign, mac []string) {
	if spec == KeySpecSymmetricDefault {
		return []string{EncryptionAlgorithmSymmetricDefault}, nil, nil
	}
	if h, ok := hmacSpecs[spec]; ok {
		return nil, nil, []string{h.alg}
	}
	a, ok := asymSpecs[spec]
	if !ok {
		return nil, nil, nil
	}
	switch {
	case a.rsaBits != 0 && usage == KeyUsageEncryptDecrypt:
		return append([]string(nil), rsaEncryptionAlgs...), nil, nil
	case a.rsaBits != 0:
		return nil, append([]string(nil), rsaSigningAlgs...), nil
	case usage == KeyUsageKeyAgreement:
		return nil, nil, nil // keyAgreementAlgorithms
	}
	return nil, []string{a.ecSignAlg}, nil
}

// pairUsage is which of its operations a key pair's private key allows on
// the token for a key usage; the public key object allows the matching
// verify or encrypt. A KEY_AGREEMENT key's private key only derives.
func pairUsage(usage string) (sign, decrypt, derive bool) {
	switch usage {
	case KeyUsageSignVerify:
		return true, false, false
	case KeyUsageKeyAgreement:
		return false, false, true
	}
	return false, true, false
}

// generateMaterial makes version v of a new key's material on the token and
// returns the handles it created (the HBK first for symmetric keys).
func (b *Bridge) generateMaterial(sh ck.SessionHandle, spec, usage, keyID string, uuid [16]byte, v uint32) ([]ck.ObjectHandle, error) {
	if spec == KeySpecSymmetricDefault {
		h, err := b.generateHBK(sh, keyID, uuid, v)
		if err != nil {
			return nil, err
		}
		return []ck.ObjectHandle{h}, nil
	}
	if h, ok := hmacSpecs[spec]; ok {
		k, err := b.lib.GenerateKey(sh, ck.Mechanism{Type: ck.CKM_GENERIC_SECRET_KEY_GEN}, []ck.Attribute{
			ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)),
			ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_GENERIC_SECRET)),
			ulongAttr(ck.CKA_VALUE_LEN, ck.ULong(h.keyLen)),
			boolAttr(ck.CKA_TOKEN, true),
			boolAttr(ck.CKA_PRIVATE, true),
			boolAttr(ck.CKA_SENSITIVE, true),
			boolAttr(ck.CKA_EXTRACTABLE, false),
			boolAttr(ck.CKA_SIGN, true),
			boolAttr(ck.CKA_VERIFY, true),
			boolAttr(ck.CKA_ENCRYPT, false),
			boolAttr(ck.CKA_DECRYPT, false),
			boolAttr(ck.CKA_WRAP, false),
			boolAttr(ck.CKA_UNWRAP, false),
			boolAttr(ck.CKA_DERIVE, false),
			bytesAttr(ck.CKA_LABEL, []byte(keyID)),
			bytesAttr(ck.CKA_ID, hbkID(uuid, v)),
		})
		if err != nil {
			return nil, err
		}
		return []ck.ObjectHandle{k}, nil
	}
	a := asymSpecs[spec]
	sign, decrypt, derive := pairUsage(usage)
	common := func(class ck.ObjectClass) []ck.Attribute {
		return []ck.Attribute{
			ulongAttr(ck.CKA_CLASS, ck.ULong(class)),
			boolAttr(ck.CKA_TOKEN, true),
			boolAttr(ck.CKA_PRIVATE, true),
			bytesAttr(ck.CKA_LABEL, []byte(keyID)),
			bytesAttr(ck.CKA_ID, hbkID(uuid, v)),
		}
	}
	pub := append(common(ck.CKO_PUBLIC_KEY),
		boolAttr(ck.CKA_VERIFY, sign),
		boolAttr(ck.CKA_ENCRYPT, decrypt),
		boolAttr(ck.CKA_WRAP, false),
		boolAttr(ck.CKA_DERIVE, false),
	)
	priv := append(common(ck.CKO_PRIVATE_KEY),
		boolAttr(ck.CKA_SENSITIVE, true),
		boolAttr(ck.CKA_EXTRACTABLE, false),
		boolAttr(ck.CKA_SIGN, sign),
		boolAttr(ck.CKA_DECRYPT, decrypt),
		boolAttr(ck.CKA_UNWRAP, false),
		boolAttr(ck.CKA_DERIVE, derive),
	)
	m, pub, priv := pairShape(a.rsaBits, a.ecParams, pub, priv)
	hpub, hpriv, err := b.lib.GenerateKeyPair(sh, m, pub, priv)
	if err != nil {
		return nil, err
	}
	return []ck.ObjectHandle{hpriv, hpub}, nil
}

// pairShape adds to key pair templates what the kind of pair fixes — key
// type, modulus size and exponent (65537) or curve — and returns the
// generation mechanism: RSA when rsaBits is set, else EC on ecParams.
func pairShape(rsaBits int, ecParams []byte, pub, priv []ck.Attribute) (ck.Mechanism, []ck.Attribute, []ck.Attribute) {
	if rsaBits != 0 {
		return ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN},
			append(pub, ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_RSA)),
				ulongAttr(ck.CKA_MODULUS_BITS, ck.ULong(rsaBits)),
				bytesAttr(ck.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1})),
			append(priv, ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_RSA)))
	}
	return ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		append(pub, ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC)), bytesAttr(ck.CKA_EC_PARAMS, ecParams)),
		append(priv, ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC)))
}

// keyObject finds the object of that class that holds the current version
// of k's material (private or public key of a pair, or an HMAC key).
func (b *Bridge) keyObject(sh ck.SessionHandle, k *kmsKey, v uint32, class ck.ObjectClass) (ck.ObjectHandle, error) {
	hs, err := b.findAll(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(class)),
		bytesAttr(ck.CKA_ID, hbkID(k.uuid, v)),
		bytesAttr(ck.CKA_LABEL, []byte(k.id)),
	})
	if err != nil {
		return 0, tokenError("finding key material", err)
	}
	switch len(hs) {
	case 0:
		if err := b.checkLogin(sh); err != nil {
			return 0, err
		}
		return 0, KMSInvalidStateException("%s: key material version %d is missing from the token", b.keyARN(k.id), v)
	case 1:
		return hs[0], nil
	}
	return 0, KMSInternalException("%s: %d key objects for version %d on the token", b.keyARN(k.id), len(hs), v)
}

// cachedKeyObject is keyObject through a cache of handles, for the
// operations that run on every request (keyCall.run): a search of the token
// costs a query of the database for changes each time. Its callers must
// forget a handle the token refuses (forgetObject) and look it up again.
func (b *Bridge) cachedKeyObject(sh ck.SessionHandle, k *kmsKey, v uint32, class ck.ObjectClass) (ck.ObjectHandle, error) {
	slot := objSlot{version: v, class: class}
	b.hbkMu.Lock()
	h, ok := k.objs[slot]
	b.hbkMu.Unlock()
	if ok {
		return h, nil
	}
	h, err := b.keyObject(sh, k, v, class)
	if err != nil {
		return 0, err
	}
	b.hbkMu.Lock()
	if k.objs == nil {
		k.objs = map[objSlot]ck.ObjectHandle{}
	}
	k.objs[slot] = h
	b.hbkMu.Unlock()
	return h, nil
}

// forgetObject drops a cached key object handle that the token no longer
// knows (a PKCS#11 client destroyed the object, or the token was logged out
// and its private objects' handles went with it).
func (b *Bridge) forgetObject(k *kmsKey, v uint32, class ck.ObjectClass) {
	b.hbkMu.Lock()
	delete(k.objs, objSlot{version: v, class: class})
	b.hbkMu.Unlock()
}

// keyFor resolves keyID to a usable key of that usage, copied under b.mu.
// A key of another usage or spec family gives InvalidKeyUsageException.
func (b *Bridge) keyFor(ctx context.Context, keyID, usage string, a access) (usableKey, keyRecord, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolve(keyID)
	if err != nil {
		return usableKey{}, keyRecord{}, err
	}
	if err := b.authorise(ctx, k, a); err != nil {
		return usableKey{}, keyRecord{}, err
	}
	if err := b.checkEnabled(&k.rec); err != nil {
		return usableKey{}, keyRecord{}, err
	}
	if k.rec.KeyUsage != usage || k.rec.KeySpec == KeySpecSymmetricDefault {
		return usableKey{}, keyRecord{}, InvalidKeyUsageException("%s key usage is %s and key spec is %s", b.keyARN(k.rec.KeyId), k.rec.KeyUsage, k.rec.KeySpec)
	}
	return usableKey{k: k, keyID: k.rec.KeyId, version: k.rec.CurrentVersion}, k.rec, nil
}

// Request and response types (AWS's field names).

type GetPublicKeyRequest struct {
	KeyId       string
	GrantTokens []string `json:",omitempty"`
}

type GetPublicKeyResponse struct {
	KeyId                 string // ARN
	PublicKey             []byte // DER SubjectPublicKeyInfo
	CustomerMasterKeySpec string
	KeySpec               string
	KeyUsage              string
	EncryptionAlgorithms  []string `json:",omitempty"`
	SigningAlgorithms     []string `json:",omitempty"`
	// KEY_AGREEMENT keys only (keyagreement.go).
	KeyAgreementAlgorithms []string `json:",omitempty"`
}

type SignRequest struct {
	KeyId            string
	Message          []byte
	MessageType      string   `json:",omitempty"`
	SigningAlgorithm string   `json:",omitempty"`
	GrantTokens      []string `json:",omitempty"`
	DryRun           bool     `json:",omitempty"`
}

type SignResponse struct {
	KeyId            string // ARN
	Signature        []byte
	SigningAlgorithm string
}

type VerifyRequest struct {
	KeyId            string
	Message          []byte
	MessageType      string `json:",omitempty"`
	Signature        []byte
	SigningAlgorithm string   `json:",omitempty"`
	GrantTokens      []string `json:",omitempty"`
	DryRun           bool     `json:",omitempty"`
}

type VerifyResponse struct {
	KeyId            string // ARN
	SignatureValid   bool
	SigningAlgorithm string
}

// GetPublicKey answers the public key of an asymmetric key as DER
// SubjectPublicKeyInfo, read from the token's CKA_PUBLIC_KEY_INFO.
func (b *Bridge) GetPublicKey(ctx context.Context, in *GetPublicKeyRequest) (out *GetPublicKeyResponse, err error) {
	ctx, done := b.begin(ctx, "GetPublicKey")
	defer func() { done(out, err) }()
	b.mu.RLock()
	k, err := b.resolve(in.KeyId)
	var rec keyRecord
	if err == nil {
		err = b.authorise(ctx, k, access{action: "kms:GetPublicKey", grantTokens: in.GrantTokens})
		rec = k.rec
	}
	b.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if _, ok := asymSpecs[rec.KeySpec]; !ok {
		return nil, UnsupportedOperationException("%s is not an asymmetric key", b.keyARN(rec.KeyId))
	}
	if err := b.checkEnabled(&rec); err != nil {
		return nil, err
	}
	var der []byte
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		h, err := b.keyObject(sh, k, rec.CurrentVersion, ck.CKO_PUBLIC_KEY)
		if err != nil {
			return err
		}
		vs, err := b.lib.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
		if err == nil && vs[0].Err != 0 {
			err = vs[0].Err
		}
		if err != nil {
			return tokenError("reading the public key", err)
		}
		der = vs[0].Value
		return nil
	})
	if err != nil {
		return nil, err
	}
	enc, sign, _ := keyAlgorithms(rec.KeySpec, rec.KeyUsage)
	return &GetPublicKeyResponse{
		KeyId: b.keyARN(rec.KeyId), PublicKey: der,
		CustomerMasterKeySpec: rec.KeySpec, KeySpec: rec.KeySpec, KeyUsage: rec.KeyUsage,
		EncryptionAlgorithms: enc, SigningAlgorithms: sign,
		KeyAgreementAlgorithms: keyAgreementAlgorithms(rec.KeyUsage),
	}, nil
}

// signAlg is how one AWS signing algorithm maps onto token mechanisms.
type signAlg struct {
	ec      bool
	pss     bool
	hash    ck.MechanismType // digest of PSS params / MGF
	mgf     ck.MGF
	newHash func() hash.Hash
	raw     ck.MechanismType // message in, hashed on the token
	digest  ck.MechanismType // digest in
	info    []byte           // DigestInfo prefix for PKCS #1 v1.5 over a digest
}

var signAlgs = map[string]signAlg{
	"RSASSA_PSS_SHA_256":        {pss: true, hash: ck.CKM_SHA256, mgf: ck.CKG_MGF1_SHA256, newHash: sha256.New, raw: ck.CKM_SHA256_RSA_PKCS_PSS, digest: ck.CKM_RSA_PKCS_PSS},
	"RSASSA_PSS_SHA_384":        {pss: true, hash: ck.CKM_SHA384, mgf: ck.CKG_MGF1_SHA384, newHash: sha512.New384, raw: ck.CKM_SHA384_RSA_PKCS_PSS, digest: ck.CKM_RSA_PKCS_PSS},
	"RSASSA_PSS_SHA_512":        {pss: true, hash: ck.CKM_SHA512, mgf: ck.CKG_MGF1_SHA512, newHash: sha512.New, raw: ck.CKM_SHA512_RSA_PKCS_PSS, digest: ck.CKM_RSA_PKCS_PSS},
	"RSASSA_PKCS1_V1_5_SHA_256": {newHash: sha256.New, raw: ck.CKM_SHA256_RSA_PKCS, digest: ck.CKM_RSA_PKCS, info: []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}},
	"RSASSA_PKCS1_V1_5_SHA_384": {newHash: sha512.New384, raw: ck.CKM_SHA384_RSA_PKCS, digest: ck.CKM_RSA_PKCS, info: []byte{0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30}},
	"RSASSA_PKCS1_V1_5_SHA_512": {newHash: sha512.New, raw: ck.CKM_SHA512_RSA_PKCS, digest: ck.CKM_RSA_PKCS, info: []byte{0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40}},
	"ECDSA_SHA_256":             {ec: true, newHash: sha256.New, raw: ck.CKM_ECDSA_SHA256, digest: ck.CKM_ECDSA},
	"ECDSA_SHA_384":             {ec: true, newHash: sha512.New384, raw: ck.CKM_ECDSA_SHA384, digest: ck.CKM_ECDSA},
	"ECDSA_SHA_512":             {ec: true, newHash: sha512.New, raw: ck.CKM_ECDSA_SHA512, digest: ck.CKM_ECDSA},
}

// signMechanism checks a Sign/Verify request against the key and returns
// the token mechanism and the data to give it.
func (b *Bridge) signMechanism(rec keyRecord, algName, msgType string, msg []byte) (signAlg, ck.Mechanism, []byte, error) {
	if len(msg) < 1 || len(msg) > maxSignMessage {
		return signAlg{}, ck.Mechanism{}, nil, ValidationException("Message must be 1 to %d bytes", maxSignMessage)
	}
	alg, ok := signAlgs[algName]
	if !ok {
		if algName == "" {
			return signAlg{}, ck.Mechanism{}, nil, ValidationException("SigningAlgorithm is required")
		}
		return signAlg{}, ck.Mechanism{}, nil, ValidationException("SigningAlgorithm %q is not valid", algName)
	}
	_, sign, _ := keyAlgorithms(rec.KeySpec, rec.KeyUsage)
	valid := false
	for _, s := range sign {
		valid = valid || s == algName
	}
	if !valid {
		return signAlg{}, ck.Mechanism{}, nil, InvalidKeyUsageException("SigningAlgorithm %s is not compatible with %s (%s)", algName, b.keyARN(rec.KeyId), rec.KeySpec)
	}
	var m ck.Mechanism
	data := msg
	switch msgType {
	case "", MessageTypeRaw:
		m.Type = alg.raw
	case MessageTypeDigest:
		if len(msg) != alg.newHash().Size() {
			return signAlg{}, ck.Mechanism{}, nil, ValidationException("Digest is invalid length for algorithm %s", algName)
		}
		m.Type = alg.digest
		if alg.info != nil {
			data = append(append([]byte(nil), alg.info...), msg...)
		}
	default:
		return signAlg{}, ck.Mechanism{}, nil, ValidationException("MessageType %q is not valid", msgType)
	}
	if alg.pss {
		m.Param = ck.RSAPKCSPSSParams{Hash: alg.hash, MGF: alg.mgf, SaltLen: ck.ULong(alg.newHash().Size())}
	}
	return alg, m, data, nil
}

// Sign signs a message or digest with an asymmetric SIGN_VERIFY key's
// private key on the token. ECDSA signatures are DER, as AWS returns them.
func (b *Bridge) Sign(ctx context.Context, in *SignRequest) (out *SignResponse, err error) {
	ctx, done := b.begin(ctx, "Sign")
	defer func() { done(out, err) }()
	uk, rec, err := b.keyFor(ctx, in.KeyId, KeyUsageSignVerify, access{action: "kms:Sign", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	alg, m, data, err := b.signMechanism(rec, in.SigningAlgorithm, in.MessageType, in.Message)
	if err != nil {
		return nil, err
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	sig, err := b.produce(ctx, uk, keyCall{class: ck.CKO_PRIVATE_KEY, mech: m, init: (*token.Library).SignInit, what: "signing"},
		(*token.Library).Sign, data, 1024)
	if err != nil {
		return nil, err
	}
	if alg.ec {
		if sig, err = ecdsaDER(sig); err != nil {
			return nil, err
		}
	}
	return &SignResponse{KeyId: b.keyARN(uk.keyID), Signature: sig, SigningAlgorithm: in.SigningAlgorithm}, nil
}

// Verify checks a signature with the key's public key on the token: valid
// gives SignatureValid true, invalid KMSInvalidSignatureException.
func (b *Bridge) Verify(ctx context.Context, in *VerifyRequest) (out *VerifyResponse, err error) {
	ctx, done := b.begin(ctx, "Verify")
	defer func() { done(out, err) }()
	uk, rec, err := b.keyFor(ctx, in.KeyId, KeyUsageSignVerify, access{action: "kms:Verify", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	alg, m, data, err := b.signMechanism(rec, in.SigningAlgorithm, in.MessageType, in.Message)
	if err != nil {
		return nil, err
	}
	if len(in.Signature) < 1 || len(in.Signature) > 6144 {
		return nil, ValidationException("Signature must be 1 to 6144 bytes")
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	sig := in.Signature
	if alg.ec {
		var ok bool
		if sig, ok = ecdsaRaw(sig, asymSpecs[rec.KeySpec].ecBytes); !ok {
			return nil, invalidSignature()
		}
	}
	err = b.check(ctx, uk, keyCall{class: ck.CKO_PUBLIC_KEY, mech: m, init: (*token.Library).VerifyInit, what: "verifying",
		refused: refusedSignature(invalidSignature)}, data, sig)
	if err != nil {
		return nil, err
	}
	return &VerifyResponse{KeyId: b.keyARN(uk.keyID), SignatureValid: true, SigningAlgorithm: in.SigningAlgorithm}, nil
}

func invalidSignature() *Error {
	return newError(CodeKMSInvalidSignature, "The signature is not valid for the message, key and signing algorithm.")
}

type ecdsaSig struct{ R, S *big.Int }

// ecdsaDER turns PKCS#11's r || s into the DER ECDSA-Sig-Value.
func ecdsaDER(rs []byte) ([]byte, error) {
	if len(rs) == 0 || len(rs)%2 != 0 {
		return nil, KMSInternalException("the token gave an ECDSA signature of %d bytes", len(rs))
	}
	h := len(rs) / 2
	der, err := asn1.Marshal(ecdsaSig{new(big.Int).SetBytes(rs[:h]), new(big.Int).SetBytes(rs[h:])})
	if err != nil {
		return nil, KMSInternalException("encoding an ECDSA signature: %v", err)
	}
	return der, nil
}

// ecdsaRaw turns a DER ECDSA-Sig-Value into r || s of n bytes each.
func ecdsaRaw(der []byte, n int) ([]byte, bool) {
	var s ecdsaSig
	rest, err := asn1.Unmarshal(der, &s)
	if err != nil || len(rest) != 0 || s.R.Sign() <= 0 || s.S.Sign() <= 0 ||
		len(s.R.Bytes()) > n || len(s.S.Bytes()) > n {
		return nil, false
	}
	out := make([]byte, 2*n)
	s.R.FillBytes(out[:n])
	s.S.FillBytes(out[n:])
	return out, true
}

// RSA encryption (RSAES_OAEP_SHA_1 / RSAES_OAEP_SHA_256): the ciphertext is
// the raw OAEP ciphertext, as AWS's is, not a kagi blob.

func isRSAEncryption(alg string) bool {
	return alg == "RSAES_OAEP_SHA_1" || alg == "RSAES_OAEP_SHA_256"
}

func oaepMechanism(alg string) (ck.Mechanism, int) {
	if alg == "RSAES_OAEP_SHA_1" {
		return ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA_1, MGF: ck.CKG_MGF1_SHA1}}, 20
	}
	return ck.Mechanism{Type: ck.CKM_RSA_PKCS_OAEP, Param: ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256}}, 32
}

// rsaCryptKey resolves an ENCRYPT_DECRYPT RSA key for alg.
func (b *Bridge) rsaCryptKey(ctx context.Context, keyID, alg string, a access) (usableKey, int, error) {
	uk, rec, err := b.keyFor(ctx, keyID, KeyUsageEncryptDecrypt, a)
	if err != nil {
		return usableKey{}, 0, err
	}
	bits := asymSpecs[rec.KeySpec].rsaBits
	if bits == 0 {
		return usableKey{}, 0, InvalidKeyUsageException("EncryptionAlgorithm %s is not compatible with %s (%s)", alg, b.keyARN(rec.KeyId), rec.KeySpec)
	}
	return uk, bits / 8, nil
}

// checkNotAsymmetric: Decrypt with SYMMETRIC_DEFAULT (or no algorithm)
// and a KeyId that names an RSA key is InvalidKeyUsageException, as AWS
// answers an algorithm that does not fit the key, rather than the
// InvalidCiphertextException that parsing RSA ciphertext as a blob gives.
func (b *Bridge) checkNotAsymmetric(ctx context.Context, keyID, alg string, a access) error {
	if keyID == "" {
		return nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolve(keyID)
	if err != nil {
		return nil // Decrypt reports it in its usual order
	}
	if err := b.authorise(ctx, k, a); err != nil {
		return err
	}
	if _, ok := asymSpecs[k.rec.KeySpec]; ok {
		if alg == "" {
			alg = EncryptionAlgorithmSymmetricDefault
		}
		return InvalidKeyUsageException("EncryptionAlgorithm %s is not compatible with %s (%s)", alg, b.keyARN(k.rec.KeyId), k.rec.KeySpec)
	}
	return nil
}

// encryptRSA is Encrypt with an RSAES_OAEP_* algorithm.
func (b *Bridge) encryptRSA(ctx context.Context, in *EncryptRequest) (*EncryptResponse, error) {
	if len(in.EncryptionContext) != 0 {
		return nil, ValidationException("EncryptionContext is not supported with asymmetric keys")
	}
	uk, k, err := b.rsaCryptKey(ctx, in.KeyId, in.EncryptionAlgorithm, access{action: "kms:Encrypt", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	m, hLen := oaepMechanism(in.EncryptionAlgorithm)
	if max := k - 2*hLen - 2; len(in.Plaintext) < 1 || len(in.Plaintext) > max {
		return nil, ValidationException("Plaintext must be 1 to %d bytes for %s with this key", max, in.EncryptionAlgorithm)
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	ct, err := b.produce(ctx, uk, keyCall{class: ck.CKO_PUBLIC_KEY, mech: m, init: (*token.Library).EncryptInit, what: "RSA-OAEP encryption"},
		(*token.Library).Encrypt, in.Plaintext, k)
	if err != nil {
		return nil, err
	}
	return &EncryptResponse{CiphertextBlob: ct, KeyId: b.keyARN(uk.keyID), EncryptionAlgorithm: in.EncryptionAlgorithm}, nil
}

// decryptRSA is Decrypt with an RSAES_OAEP_* algorithm: KeyId is required.
func (b *Bridge) decryptRSA(ctx context.Context, in *DecryptRequest) (*DecryptResponse, error) {
	if in.KeyId == "" {
		return nil, ValidationException("KeyId is required to decrypt with an asymmetric key")
	}
	if len(in.EncryptionContext) != 0 {
		return nil, ValidationException("EncryptionContext is not supported with asymmetric keys")
	}
	uk, k, err := b.rsaCryptKey(ctx, in.KeyId, in.EncryptionAlgorithm, access{action: "kms:Decrypt", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	if len(in.CiphertextBlob) != k {
		return nil, InvalidCiphertextException("the ciphertext is not valid for this key and algorithm")
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	m, _ := oaepMechanism(in.EncryptionAlgorithm)
	pt, err := b.produce(ctx, uk, keyCall{class: ck.CKO_PRIVATE_KEY, mech: m, init: (*token.Library).DecryptInit, what: "RSA-OAEP decryption",
		refused: func(rv ck.RV) error {
			if rv == ck.CKR_ENCRYPTED_DATA_INVALID || rv == ck.CKR_ENCRYPTED_DATA_LEN_RANGE {
				return InvalidCiphertextException("the ciphertext is not valid for this key and algorithm")
			}
			return nil
		}}, (*token.Library).Decrypt, in.CiphertextBlob, k)
	if err != nil {
		return nil, err
	}
	return &DecryptResponse{KeyId: b.keyARN(uk.keyID), Plaintext: pt, EncryptionAlgorithm: in.EncryptionAlgorithm}, nil
}

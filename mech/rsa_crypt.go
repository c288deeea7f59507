package mech

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// RSA encryption (RFC 8017 section 7) and raw RSA:
//
//   - CKM_RSA_PKCS encrypt/decrypt (PKCS#11 3.0 current mechanisms section
//     2.1.6): RSAES-PKCS1-v1_5, RFC 8017 section 7.2. The constructors are
//     rsaPKCSEncrypt and rsaPKCSDecrypt; the row is CKM_RSA_PKCS's in
//     registry.go, which also signs.
//   - CKM_RSA_PKCS_OAEP (section 2.1.8): RSAES-OAEP, RFC 8017 section 7.1,
//     with CK_RSA_PKCS_OAEP_PARAMS.
//   - CKM_RSA_X_509 (section 2.1.9): raw RSA, RFC 8017 sections 5.1 and
//     5.2, for encrypt/decrypt and sign/verify.
//
// All are single-part. Decryption failures are CKR_ENCRYPTED_DATA_INVALID
// whatever the cause, and the error carries no detail of the padding.

// rsaCipherMech is one RSA encryption mechanism; its scheme is chosen by
// the parameter the constructor parses.
type rsaCipherMech int

const (
	rsaSchemePKCS rsaCipherMech = iota
	rsaSchemeOAEP
	rsaSchemeRaw
)

// rsaPKCSEncrypt and rsaPKCSDecrypt are the encrypt/decrypt constructors of
// CKM_RSA_PKCS (the registry row is in registry.go).
func rsaPKCSEncrypt(k *Key, param any) (CipherOp, error) { return rsaSchemePKCS.encrypt(k, param) }
func rsaPKCSDecrypt(k *Key, param any) (CipherOp, error) { return rsaSchemePKCS.decrypt(k, param) }

// withRSAPKCSEncryption adds RSAES-PKCS1-v1_5 encryption and decryption to
// the CKM_RSA_PKCS row of registry.go, which signs already.
func withRSAPKCSEncryption(s *Spec) *Spec {
	s.Encrypt, s.Decrypt = rsaPKCSEncrypt, rsaPKCSDecrypt
	s.Info.Flags |= ck.CKF_ENCRYPT | ck.CKF_DECRYPT
	return s
}

// rsaCipher is one RSA encryption or decryption.
type rsaCipher struct {
	scheme rsaCipherMech
	pub    *rsa.PublicKey
	priv   *rsa.PrivateKey // nil when encrypting
	oaep   *hashAlg        // the OAEP hash
	mgf    *hashAlg        // MGF1's hash, nil when it is the OAEP hash
	label  []byte
	k      int // modulus length in bytes
}

// oaepParams parses CK_RSA_PKCS_OAEP_PARAMS (PKCS#11 3.0 section 2.1.8):
// the hash is SHA-1, SHA-2 or SHA-3, MGF1 any of those (SoftHSMv2 insists
// on the same one; RFC 8017 section 7.1 and Wycheproof's mgf1sha1 files do
// not, and Java's default OAEPParameterSpec pairs SHA-256 with MGF1-SHA-1),
// the source is CKZ_DATA_SPECIFIED with an optional label, or none (0) with
// no data. mgf is nil when MGF1 uses the OAEP hash, the common case.
func oaepParams(param any) (alg, mgf *hashAlg, label []byte, err error) {
	var p ck.RSAPKCSOAEPParams
	switch v := param.(type) {
	case ck.RSAPKCSOAEPParams:
		p = v
	case *ck.RSAPKCSOAEPParams:
		if v == nil {
			return nil, nil, nil, errParam("CK_RSA_PKCS_OAEP_PARAMS is NULL")
		}
		p = *v
	default:
		return nil, nil, nil, errParam("CKM_RSA_PKCS_OAEP needs CK_RSA_PKCS_OAEP_PARAMS")
	}
	h, ok := hashByMech[p.Hash]
	if !ok {
		return nil, nil, nil, errParam("unsupported OAEP hash")
	}
	mh, ok := mgfHash[p.MGF]
	if !ok {
		return nil, nil, nil, errParam("unsupported OAEP mask generation function")
	}
	if mh != h {
		mgf = hashes[mh]
	}
	switch {
	case p.Source == ck.CKZ_DATA_SPECIFIED:
	case p.Source == 0 && len(p.SourceData) == 0:
	default:
		return nil, nil, nil, errParam("OAEP source must be CKZ_DATA_SPECIFIED")
	}
	return hashes[h], mgf, p.SourceData, nil
}

func errParam(msg string) error {
	return fmt.Errorf("mech: %s: %w", msg, ck.CKR_MECHANISM_PARAM_INVALID)
}

func (m rsaCipherMech) init(k *Key, param any) (*rsaCipher, error) {
	c := &rsaCipher{scheme: m}
	if m == rsaSchemeOAEP {
		alg, mgf, label, err := oaepParams(param)
		if err != nil {
			return nil, err
		}
		c.oaep, c.mgf, c.label = alg, mgf, label
	} else if err := noParam(param); err != nil {
		return nil, err
	}
	return c, nil
}

func (m rsaCipherMech) encrypt(k *Key, param any) (CipherOp, error) {
	c, err := m.init(k, param)
	if err != nil {
		return nil, err
	}
	if c.pub, err = k.rsaPublic(); err != nil {
		return nil, err
	}
	if err := c.setLen(); err != nil {
		return nil, err
	}
	return c, nil
}

func (m rsaCipherMech) decrypt(k *Key, param any) (CipherOp, error) {
	c, err := m.init(k, param)
	if err != nil {
		return nil, err
	}
	if c.priv, err = k.rsaPrivate(); err != nil {
		return nil, err
	}
	c.pub = &c.priv.PublicKey
	if err := c.setLen(); err != nil {
		return nil, err
	}
	return c, nil
}

// setLen records the modulus length; an OAEP hash too large for the key
// (k < 2hLen+2, RFC 8017 section 7.1.1 step 1b) is CKR_KEY_SIZE_RANGE.
func (c *rsaCipher) setLen() error {
	c.k = (c.pub.N.BitLen() + 7) / 8
	if c.oaep != nil && c.k < 2*c.oaep.size+2 {
		return fmt.Errorf("mech: RSA key too small for OAEP with %s: %w", c.oaep.name, ck.CKR_KEY_SIZE_RANGE)
	}
	return nil
}

// OutLen is the modulus length: exact for encryption and raw decryption,
// an upper bound for padded decryption.
func (c *rsaCipher) OutLen(int) int { return c.k }

func (c *rsaCipher) One(in []byte) ([]byte, error) {
	if c.priv == nil {
		return c.encryptOne(in)
	}
	return c.decryptOne(in)
}

// maxIn is the longest plaintext: k-11 (RFC 8017 section 7.2.1 step 1),
// k-2hLen-2 (section 7.1.1 step 1b), k for raw RSA (the value must also be
// below the modulus, checked on the integer).
func (c *rsaCipher) maxIn() int {
	switch c.scheme {
	case rsaSchemePKCS:
		return c.k - 11
	case rsaSchemeOAEP:
		return c.k - 2*c.oaep.size - 2
	}
	return c.k
}

func (c *rsaCipher) encryptOne(in []byte) ([]byte, error) {
	if len(in) > c.maxIn() {
		return nil, fmt.Errorf("mech: RSA plaintext of %d bytes, at most %d: %w", len(in), c.maxIn(), ck.CKR_DATA_LEN_RANGE)
	}
	var (
		out []byte
		err error
	)
	switch c.scheme {
	case rsaSchemePKCS:
		out, err = rsa.EncryptPKCS1v15(rand.Reader, c.pub, in) //nolint:staticcheck // CKM_RSA_PKCS is PKCS #1 v1.5 by definition.
	case rsaSchemeOAEP:
		if c.mgf != nil {
			out, err = rsa.EncryptOAEPWithOptions(rand.Reader, c.pub, in, c.oaepOptions())
			break
		}
		h := c.oaep.get()
		out, err = rsa.EncryptOAEP(h, rand.Reader, c.pub, in, c.label)
		c.oaep.put(h)
	default:
		return rsaRawPublic(c.pub, in, ck.CKR_DATA_LEN_RANGE)
	}
	if err != nil {
		return nil, fmt.Errorf("mech: RSA encrypt: %w", ck.CKR_FUNCTION_FAILED)
	}
	return out, nil
}

func (c *rsaCipher) decryptOne(in []byte) ([]byte, error) {
	if len(in) != c.k {
		return nil, fmt.Errorf("mech: RSA ciphertext of %d bytes, want %d: %w", len(in), c.k, ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
	}
	var (
		out []byte
		err error
	)
	switch c.scheme {
	case rsaSchemePKCS:
		// RSAES-PKCS1-v1_5 decryption (RFC 8017 section 7.2.2). Go's
		// unpadding runs in constant time, but PKCS#11 makes a padding
		// failure visible as CKR_ENCRYPTED_DATA_INVALID, so a caller
		// who can submit chosen ciphertexts has a Bleichenbacher oracle:
		// that is inherent to the mechanism (RFC 8017 section 7.2 advises
		// OAEP for new applications), not something kagi can hide.
		out, err = rsa.DecryptPKCS1v15(nil, c.priv, in) //nolint:staticcheck // see above.
	case rsaSchemeOAEP:
		if c.mgf != nil {
			out, err = c.priv.Decrypt(nil, in, c.oaepOptions())
			break
		}
		h := c.oaep.get()
		out, err = rsa.DecryptOAEP(h, nil, c.priv, in, c.label)
		c.oaep.put(h)
	default:
		return rsaRawPrivate(c.priv, in, ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	if err != nil {
		return nil, fmt.Errorf("mech: RSA decrypt: %w", ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	return out, nil
}

// oaepOptions names both hashes for Go's OAEP when they differ; the pooled
// hash.Hash path above serves the common case without the allocation.
func (c *rsaCipher) oaepOptions() *rsa.OAEPOptions {
	return &rsa.OAEPOptions{Hash: c.oaep.crypto, MGFHash: c.mgf.crypto, Label: c.label}
}

func (c *rsaCipher) OneInto(dst, in []byte) (int, error) {
	out, err := c.One(in)
	if err != nil {
		return 0, err
	}
	return copy(dst, out), nil
}

// Update and Final: RSA encryption is single-part (the rows say
// SinglePart; token checks that first).
func (c *rsaCipher) Update([]byte) ([]byte, error) { return nil, errNoMultiPart }
func (c *rsaCipher) Final() ([]byte, error)        { return nil, errNoMultiPart }

// Raw RSA. Go's crypto/rsa has no unpadded operation and its constant-time
// implementation (crypto/internal/fips140/rsa) cannot be imported, so
// CKM_RSA_X_509 uses math/big:
//
//   - the public operation (RFC 8017 section 5.1.1 RSAEP, 5.2.2 RSAVP1)
//     handles no secret and needs no care;
//   - the private operation (section 5.1.2 RSADP, 5.2.1 RSASP1) uses the
//     CRT values Precompute made, with the input blinded by a random r^e
//     (so the timing of math/big, which is not constant-time, does not
//     depend on the caller's input) and the result checked with the public
//     exponent before it is released (a CRT fault would otherwise leak a
//     prime). math/big's variable-time arithmetic over the secret exponents
//     and primes remains a local timing side channel; CKM_RSA_X_509 is a
//     legacy mechanism and callers who care should use OAEP or PSS.

// rsaRawPublic computes in^e mod n for in of at most k bytes, as a k-byte
// big-endian string. A value not below n is tooBig.
func rsaRawPublic(pub *rsa.PublicKey, in []byte, tooBig ck.RV) ([]byte, error) {
	k := (pub.N.BitLen() + 7) / 8
	if len(in) > k {
		return nil, fmt.Errorf("mech: raw RSA input of %d bytes, at most %d: %w", len(in), k, tooBig)
	}
	m := new(big.Int).SetBytes(in)
	if m.Cmp(pub.N) >= 0 {
		return nil, fmt.Errorf("mech: raw RSA input not below the modulus: %w", tooBig)
	}
	c := new(big.Int).Exp(m, big.NewInt(int64(pub.E)), pub.N)
	return c.FillBytes(make([]byte, k)), nil
}

// rsaRawPrivate computes in^d mod n (see above) as a k-byte string. A value
// not below n is tooBig.
func rsaRawPrivate(priv *rsa.PrivateKey, in []byte, tooBig ck.RV) ([]byte, error) {
	n := priv.N
	k := (n.BitLen() + 7) / 8
	if len(in) > k {
		return nil, fmt.Errorf("mech: raw RSA input of %d bytes, at most %d: %w", len(in), k, tooBig)
	}
	c := new(big.Int).SetBytes(in)
	if c.Cmp(n) >= 0 {
		return nil, fmt.Errorf("mech: raw RSA input not below the modulus: %w", tooBig)
	}
	pc := &priv.Precomputed
	if len(priv.Primes) != 2 || pc.Dp == nil || pc.Dq == nil || pc.Qinv == nil {
		return nil, fmt.Errorf("mech: RSA key without CRT values: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	e := big.NewInt(int64(priv.E))
	// Blinding: r uniform in [1, n), invertible mod n (else n is factored,
	// which a valid key makes negligible); c' = c * r^e.
	var r, rInv *big.Int
	for {
		var err error
		if r, err = rand.Int(rand.Reader, n); err != nil {
			return nil, fmt.Errorf("mech: random: %w", ck.CKR_FUNCTION_FAILED)
		}
		if r.Sign() != 0 {
			if rInv = new(big.Int).ModInverse(r, n); rInv != nil {
				break
			}
		}
	}
	cb := new(big.Int).Exp(r, e, n)
	cb.Mul(cb, c).Mod(cb, n)
	// CRT (RFC 8017 section 5.1.2 step 2b): m1 = c^dP mod p, m2 = c^dQ mod
	// q, h = (m1 - m2) qInv mod p, m = m2 + q h.
	p, q := priv.Primes[0], priv.Primes[1]
	m1 := new(big.Int).Exp(new(big.Int).Mod(cb, p), pc.Dp, p)
	m2 := new(big.Int).Exp(new(big.Int).Mod(cb, q), pc.Dq, q)
	h := m1.Sub(m1, m2)
	h.Mul(h, pc.Qinv).Mod(h, p)
	m := h.Mul(h, q).Add(h, m2)
	m.Mul(m, rInv).Mod(m, n)
	// Check m^e = c before releasing m.
	if new(big.Int).Exp(m, e, n).Cmp(c) != 0 {
		return nil, fmt.Errorf("mech: raw RSA private operation failed its check: %w", ck.CKR_FUNCTION_FAILED)
	}
	out := m.FillBytes(make([]byte, k))
	zeroBig(m)
	zeroBig(m2)
	zeroBig(cb)
	zeroBig(r)
	zeroBig(rInv)
	return out, nil
}

// rsaX509Mech is CKM_RSA_X_509 sign/verify: the data, left-padded with
// zeros to the modulus length, is the signature representative (RFC 8017
// section 5.2.1); verification recovers it and compares.
type rsaX509Mech struct{}

func (rsaX509Mech) sign(k *Key, param any) (SignOp, error) {
	if err := noParam(param); err != nil {
		return nil, err
	}
	priv, err := k.rsaPrivate()
	if err != nil {
		return nil, err
	}
	return rsaX509Sign{priv}, nil
}

func (rsaX509Mech) verify(k *Key, param any) (VerifyOp, error) {
	if err := noParam(param); err != nil {
		return nil, err
	}
	pub, err := k.rsaPublic()
	if err != nil {
		return nil, err
	}
	return rsaX509Verify{pub}, nil
}

type rsaX509Sign struct{ priv *rsa.PrivateKey }

func (o rsaX509Sign) SigLen() int { return (o.priv.N.BitLen() + 7) / 8 }
func (o rsaX509Sign) Sign(data []byte) ([]byte, error) {
	return rsaRawPrivate(o.priv, data, ck.CKR_DATA_LEN_RANGE)
}
func (o rsaX509Sign) Update([]byte) error      { return errNoMultiPart }
func (o rsaX509Sign) Final() ([]byte, error)   { return nil, errNoMultiPart }
func (o rsaX509Verify) Update([]byte) error    { return errNoMultiPart }
func (o rsaX509Verify) Final(sig []byte) error { return errNoMultiPart }

type rsaX509Verify struct{ pub *rsa.PublicKey }

func (o rsaX509Verify) Verify(data, sig []byte) error {
	k := (o.pub.N.BitLen() + 7) / 8
	if len(data) > k || new(big.Int).SetBytes(data).Cmp(o.pub.N) >= 0 {
		return fmt.Errorf("mech: raw RSA data not below the modulus: %w", ck.CKR_DATA_LEN_RANGE)
	}
	if len(sig) != k {
		return fmt.Errorf("mech: RSA signature is %d bytes, want %d: %w", len(sig), k, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	got, err := rsaRawPublic(o.pub, sig, ck.CKR_SIGNATURE_INVALID)
	if err != nil {
		return err
	}
	want := make([]byte, k)
	copy(want[k-len(data):], data)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return fmt.Errorf("mech: RSA verify: %w", ck.CKR_SIGNATURE_INVALID)
	}
	return nil
}

// Self-tests for RSA encryption and PSS, ready for selftest.go's table:
// OpenSSL's RSA-OAEP (SHA-256, label "kagi") encryption of "kagi OAEP test
// message" and its RSA-PSS (SHA-256, 32-byte salt) signature of "abc", both
// under selfTestRSAKey (testdata/rsa2048_openssl.txt).
const (
	selfTestOAEPCiphertext = "830df5e32afa9cdd51d5b840eb326043edf1506b1dca970a0d25b9fca6c366ef" +
		"bffd23f5711f7a4a25fe2cb9a217de0e927294dcda15345c4f42f96500055fdc" +
		"b7a944b38acef734e9a81e1a312e931d28d5232ce67229a51beb6cf3643654dc" +
		"bd38b612adfbf021287031452e56c938abe5cdb01fe6ad2c4727767c1d7fa750" +
		"af1d2d6435dc6dba085f37f4aebc3a9919e3ddb8c0654c248af122f16d3c2f24" +
		"0b236681f8a787faf1a740729a884ec9b56649fc00c9ebb50855df2756501a8c" +
		"d91ab23d60958ef7252efc0d7c3f6471cccbc4bfd50031fbebe9d223b64c652f" +
		"1d89d5e43ab02408eec3505eacf346673900c588bde32aa5b43e2fdf3d14118d"
	selfTestPSSSig = "18b11935d4cfc9da088ef5ceb8756124494f61c6b6edd41f1eacdc6f0a2355f1" +
		"28e9eb774aaa26e5a34a55c4670c4f2f733d6164c61e22c88428eb326fe82e59" +
		"07e084c389505555c107b4c0ab1597524936fbe4653baaa64b75efb091492e73" +
		"ed19739a2f4c0630394880400f734cb85a74da6afc349170fa16607fea9b51e4" +
		"4e180011e0ff2224c4b92e3d4d94bca26a4ca0789420fd7934794e7c8c34c35d" +
		"6e7e35f2bd6bc9b50e26809b5e94095ade78f976ad2cb78b9d47210b447952b7" +
		"434349fb35b1a06ff2eb04448c88bc4632532d934286cf1c1fba0fb72c797fb7" +
		"7603036dbf6fe28f7e328e93e7b0eb7c11f493dd33397202ca625e08bc7c0333"
)

// selfTestRSAOAEPPSS decrypts the OAEP ciphertext, checks a pairwise
// encryption, and verifies the PSS signature, through the mechanisms.
func selfTestRSAOAEPPSS() error {
	priv, err := x509.ParsePKCS1PrivateKey(unhex(selfTestRSAKey))
	if err != nil {
		return err
	}
	k := &Key{Class: ck.CKO_PRIVATE_KEY, Type: ck.CKK_RSA, Private: priv, Public: &priv.PublicKey}
	p := ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, Source: ck.CKZ_DATA_SPECIFIED, SourceData: []byte("kagi")}
	dec, err := rsaSchemeOAEP.decrypt(k, p)
	if err != nil {
		return err
	}
	pt, err := dec.One(unhex(selfTestOAEPCiphertext))
	if err != nil {
		return err
	}
	if string(pt) != "kagi OAEP test message" {
		return errKAT
	}
	enc, err := rsaSchemeOAEP.encrypt(k, p)
	if err != nil {
		return err
	}
	ct, err := enc.One(pt)
	if err != nil {
		return err
	}
	if pt2, err := dec.One(ct); err != nil || string(pt2) != string(pt) {
		return errKAT
	}
	m := &rsaPSSMech{alg: hashes[hashSHA256]}
	v, err := m.verify(k, ck.RSAPKCSPSSParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, SaltLen: 32})
	if err != nil {
		return err
	}
	return v.Verify([]byte("abc"), unhex(selfTestPSSSig))
}

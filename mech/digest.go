package mech

import (
	"crypto"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"fmt"
	"hash"
	"sync"

	"github.com/kagi-hsm/kagi/token/ck"
)

// hashID indexes the hash functions mech uses: SHA-1 and SHA-2 (FIPS
// 180-4, SHA-512/224 and SHA-512/256 included), SHA-3 (FIPS 202) and MD5
// (RFC 1321; legacy, for CKM_MD5 and CKM_MD5_HMAC only). It is also the
// index of a key's cached HMAC states.
type hashID int

const (
	hashSHA1 hashID = iota
	hashSHA224
	hashSHA256
	hashSHA384
	hashSHA512
	hashSHA512_224
	hashSHA512_256
	hashSHA3_224
	hashSHA3_256
	hashSHA3_384
	hashSHA3_512
	hashMD5
	numHashes
)

// hashAlg is one hash function: its crypto.Hash (for RSA's DigestInfo), a
// constructor, and a pool of reset instances so an operation allocates no
// hash state. Pooled instances hold no data: they are Reset before Put.
type hashAlg struct {
	id        hashID
	name      string
	crypto    crypto.Hash
	size      int
	blockSize int
	new       func() hash.Hash
	pool      sync.Pool
}

var hashes = [numHashes]*hashAlg{
	hashSHA1:       {id: hashSHA1, name: "SHA-1", crypto: crypto.SHA1, size: sha1.Size, blockSize: sha1.BlockSize, new: sha1.New},
	hashSHA224:     {id: hashSHA224, name: "SHA-224", crypto: crypto.SHA224, size: sha256.Size224, blockSize: sha256.BlockSize, new: sha256.New224},
	hashSHA256:     {id: hashSHA256, name: "SHA-256", crypto: crypto.SHA256, size: sha256.Size, blockSize: sha256.BlockSize, new: sha256.New},
	hashSHA384:     {id: hashSHA384, name: "SHA-384", crypto: crypto.SHA384, size: sha512.Size384, blockSize: sha512.BlockSize, new: sha512.New384},
	hashSHA512:     {id: hashSHA512, name: "SHA-512", crypto: crypto.SHA512, size: sha512.Size, blockSize: sha512.BlockSize, new: sha512.New},
	hashSHA512_224: {id: hashSHA512_224, name: "SHA-512/224", crypto: crypto.SHA512_224, size: sha512.Size224, blockSize: sha512.BlockSize, new: sha512.New512_224},
	hashSHA512_256: {id: hashSHA512_256, name: "SHA-512/256", crypto: crypto.SHA512_256, size: sha512.Size256, blockSize: sha512.BlockSize, new: sha512.New512_256},
	// The block size of a SHA-3 function, for HMAC, is its rate (FIPS 202
	// section 6.1; NIST's HMAC-SHA-3 vectors use it too).
	hashSHA3_224: {id: hashSHA3_224, name: "SHA3-224", crypto: crypto.SHA3_224, size: 28, blockSize: 144, new: newSHA3_224},
	hashSHA3_256: {id: hashSHA3_256, name: "SHA3-256", crypto: crypto.SHA3_256, size: 32, blockSize: 136, new: newSHA3_256},
	hashSHA3_384: {id: hashSHA3_384, name: "SHA3-384", crypto: crypto.SHA3_384, size: 48, blockSize: 104, new: newSHA3_384},
	hashSHA3_512: {id: hashSHA3_512, name: "SHA3-512", crypto: crypto.SHA3_512, size: 64, blockSize: 72, new: newSHA3_512},
	hashMD5:      {id: hashMD5, name: "MD5", crypto: crypto.MD5, size: md5.Size, blockSize: md5.BlockSize, new: md5.New},
}

// crypto/sha3's constructors return *sha3.SHA3; hashAlg wants hash.Hash.
func newSHA3_224() hash.Hash { return sha3.New224() }
func newSHA3_256() hash.Hash { return sha3.New256() }
func newSHA3_384() hash.Hash { return sha3.New384() }
func newSHA3_512() hash.Hash { return sha3.New512() }

// hashByMech maps the digest mechanism a parameter names (the hashAlg of
// CK_RSA_PKCS_PSS_PARAMS and CK_RSA_PKCS_OAEP_PARAMS) to its hash.
var hashByMech = map[ck.MechanismType]hashID{
	ck.CKM_SHA_1: hashSHA1, ck.CKM_SHA224: hashSHA224, ck.CKM_SHA256: hashSHA256,
	ck.CKM_SHA384: hashSHA384, ck.CKM_SHA512: hashSHA512,
	ck.CKM_SHA3_224: hashSHA3_224, ck.CKM_SHA3_256: hashSHA3_256,
	ck.CKM_SHA3_384: hashSHA3_384, ck.CKM_SHA3_512: hashSHA3_512,
}

// mgfHash maps the MGF1 variants (CKG_MGF1_*, PKCS#11 3.0 section 2.1.7)
// to their hash.
var mgfHash = map[ck.MGF]hashID{
	ck.CKG_MGF1_SHA1: hashSHA1, ck.CKG_MGF1_SHA224: hashSHA224, ck.CKG_MGF1_SHA256: hashSHA256,
	ck.CKG_MGF1_SHA384: hashSHA384, ck.CKG_MGF1_SHA512: hashSHA512,
	ck.CKG_MGF1_SHA3_224: hashSHA3_224, ck.CKG_MGF1_SHA3_256: hashSHA3_256,
	ck.CKG_MGF1_SHA3_384: hashSHA3_384, ck.CKG_MGF1_SHA3_512: hashSHA3_512,
}

// get returns an empty hash state.
func (a *hashAlg) get() hash.Hash {
	if h, ok := a.pool.Get().(hash.Hash); ok {
		return h
	}
	return a.new()
}

// put resets h and returns it to the pool.
func (a *hashAlg) put(h hash.Hash) {
	if h == nil {
		return
	}
	h.Reset()
	a.pool.Put(h)
}

// sum hashes data in one go into a new slice.
func (a *hashAlg) sum(data []byte) []byte {
	h := a.get()
	h.Write(data)
	out := h.Sum(make([]byte, 0, a.size))
	a.put(h)
	return out
}

// cryptoHash is alg's crypto.Hash, or 0 (no hash) for nil.
func cryptoHash(alg *hashAlg) crypto.Hash {
	if alg == nil {
		return 0
	}
	return alg.crypto
}

// noParam checks that a mechanism without a parameter was given none; an
// empty byte string counts as none.
func noParam(param any) error {
	switch p := param.(type) {
	case nil:
		return nil
	case []byte:
		if len(p) == 0 {
			return nil
		}
	}
	return fmt.Errorf("mech: mechanism takes no parameter: %w", ck.CKR_MECHANISM_PARAM_INVALID)
}

// digestOp is C_Digest over one hash function.
type digestOp struct {
	alg *hashAlg
	h   hash.Hash
}

func newDigest(alg *hashAlg) func(param any) (DigestOp, error) {
	return func(param any) (DigestOp, error) {
		if err := noParam(param); err != nil {
			return nil, err
		}
		return &digestOp{alg: alg, h: alg.new()}, nil
	}
}

func (d *digestOp) Size() int       { return d.alg.size }
func (d *digestOp) Update(p []byte) { d.h.Write(p) }
func (d *digestOp) Sum() []byte     { return d.h.Sum(make([]byte, 0, d.alg.size)) }

// selfTestSHA3 is SHA3-256 of "abc" (FIPS 202; NIST CSRC example
// SHA3-256.pdf), ready for selftest.go's table.
func selfTestSHA3() error {
	d, err := newDigest(hashes[hashSHA3_256])(nil)
	if err != nil {
		return err
	}
	d.Update([]byte("abc"))
	return expect(d.Sum(), "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532")
}

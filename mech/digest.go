package mech

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"sync"

	"github.com/kagi-hsm/kagi/token/ck"
)

// hashID indexes the hash functions mech uses (FIPS 180-4). It is also the
// index of a key's cached HMAC states.
type hashID int

const (
	hashSHA1 hashID = iota
	hashSHA224
	hashSHA256
	hashSHA384
	hashSHA512
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
	hashSHA1:   {id: hashSHA1, name: "SHA-1", crypto: crypto.SHA1, size: sha1.Size, blockSize: sha1.BlockSize, new: sha1.New},
	hashSHA224: {id: hashSHA224, name: "SHA-224", crypto: crypto.SHA224, size: sha256.Size224, blockSize: sha256.BlockSize, new: sha256.New224},
	hashSHA256: {id: hashSHA256, name: "SHA-256", crypto: crypto.SHA256, size: sha256.Size, blockSize: sha256.BlockSize, new: sha256.New},
	hashSHA384: {id: hashSHA384, name: "SHA-384", crypto: crypto.SHA384, size: sha512.Size384, blockSize: sha512.BlockSize, new: sha512.New384},
	hashSHA512: {id: hashSHA512, name: "SHA-512", crypto: crypto.SHA512, size: sha512.Size, blockSize: sha512.BlockSize, new: sha512.New},
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

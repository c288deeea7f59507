package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
)

// ErrTampered is returned when a sealed value does not authenticate: it was
// edited, moved to another place (other token, object or attribute), or the
// key is wrong (a wrong PIN gives a wrong KEK). The error never says more,
// so it cannot leak key material or plaintext.
var ErrTampered = errors.New("store: sealed value does not authenticate")

// ErrLocked is returned when a sealed value is needed but no Sealer was
// given (the user is not logged in), or the Sealer was zeroed.
var ErrLocked = errors.New("store: sealed value needs the token master key")

// Sealed value format, version 1:
//
//	version (1 byte, sealV1) || nonce (12 bytes) || AES-256-GCM ciphertext || tag (16 bytes)
//
// The version byte comes first so another AEAD or nonce scheme can be added
// later without ambiguity. Nonces are random (NIST SP 800-38D §8.2.2, the
// RBG-based construction); with 96-bit random nonces one key may seal up to
// 2^32 values (SP 800-38D §8.3), far more than a token ever stores.
const (
	sealV1    = 1
	nonceSize = 12
	tagSize   = 16
	keySize   = 32 // AES-256
)

// Overhead is the number of bytes Seal adds to a plaintext.
const Overhead = 1 + nonceSize + tagSize

// Sealer seals and opens values under one 256-bit key (a token master key, or
// a KEK derived from a PIN) with AES-256-GCM. It is safe for concurrent use.
type Sealer struct {
	aead atomic.Pointer[cipher.AEAD]
}

// NewSealer returns a Sealer under key, which must be 32 bytes. The Sealer
// does not keep key itself (only the AES key schedule inside crypto/aes); the
// caller clears its copy.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("store: sealing key must be %d bytes, not %d", keySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("store: sealing key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: sealing key: %w", err)
	}
	s := &Sealer{}
	s.aead.Store(&aead)
	return s, nil
}

// Seal encrypts and authenticates plaintext, binding it to aad. The result is
// a fresh slice (version || nonce || ciphertext || tag). Seal returns nil if s
// is nil or was zeroed, or if the operating system's random source fails;
// callers in this package turn that into ErrLocked.
func (s *Sealer) Seal(aad, plaintext []byte) []byte {
	aead := s.get()
	if aead == nil {
		return nil
	}
	out := make([]byte, 1+nonceSize, Overhead+len(plaintext))
	out[0] = sealV1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil
	}
	return aead.Seal(out, out[1:1+nonceSize], plaintext, aad)
}

// Open authenticates and decrypts a value sealed by Seal with the same aad.
// Any mismatch (other key, other aad, an edited or truncated value, an
// unknown version) gives ErrTampered.
func (s *Sealer) Open(aad, sealed []byte) ([]byte, error) {
	aead := s.get()
	if aead == nil {
		return nil, ErrLocked
	}
	if len(sealed) < Overhead || sealed[0] != sealV1 {
		return nil, ErrTampered
	}
	pt, err := aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], aad)
	if err != nil {
		return nil, ErrTampered
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// Zero drops the key: afterwards Seal returns nil and Open ErrLocked. Go
// gives no way to wipe the AES key schedule held inside crypto/aes, so Zero
// only makes it unreachable for the garbage collector to reclaim; that is as
// far as Go allows.
func (s *Sealer) Zero() {
	if s != nil {
		s.aead.Store(nil)
	}
}

func (s *Sealer) get() cipher.AEAD {
	if s == nil {
		return nil
	}
	p := s.aead.Load()
	if p == nil {
		return nil
	}
	return *p
}

// tmkTag starts the associated data of a sealed token master key.
const tmkTag = "kagi tmk v1"

// tmkAAD binds a sealed TMK to its token and PIN role, so a sealed TMK cannot
// be copied to another token or from the user to the SO column.
func tmkAAD(tokenUUID []byte, role string) []byte {
	aad := make([]byte, 0, len(tmkTag)+2+len(tokenUUID)+len(role))
	aad = append(aad, tmkTag...)
	aad = binary.BigEndian.AppendUint16(aad, uint16(len(tokenUUID)))
	aad = append(aad, tokenUUID...)
	return append(aad, role...)
}

func checkRole(role string) error {
	if role != "so" && role != "user" {
		return fmt.Errorf("store: PIN role must be \"so\" or \"user\", not %q", role)
	}
	return nil
}

// SealTMK seals a token master key under kek (a 32-byte key derived from the
// PIN of role "so" or "user"), bound to the token's uuid and the role.
func SealTMK(kek, tokenUUID []byte, role string, tmk []byte) ([]byte, error) {
	if err := checkRole(role); err != nil {
		return nil, err
	}
	if len(tmk) != keySize {
		return nil, fmt.Errorf("store: token master key must be %d bytes, not %d", keySize, len(tmk))
	}
	if len(tokenUUID) > 0xffff {
		return nil, errors.New("store: token uuid too long")
	}
	s, err := NewSealer(kek)
	if err != nil {
		return nil, err
	}
	defer s.Zero()
	sealed := s.Seal(tmkAAD(tokenUUID, role), tmk)
	if sealed == nil {
		return nil, errors.New("store: cannot read random bytes for a nonce")
	}
	return sealed, nil
}

// OpenTMK opens a token master key sealed by SealTMK. A wrong PIN (hence a
// wrong kek), another token's uuid or another role gives ErrTampered.
func OpenTMK(kek, tokenUUID []byte, role string, sealed []byte) ([]byte, error) {
	if err := checkRole(role); err != nil {
		return nil, err
	}
	if len(tokenUUID) > 0xffff {
		return nil, ErrTampered
	}
	s, err := NewSealer(kek)
	if err != nil {
		return nil, err
	}
	defer s.Zero()
	tmk, err := s.Open(tmkAAD(tokenUUID, role), sealed)
	if err != nil {
		return nil, err
	}
	if len(tmk) != keySize {
		clear(tmk)
		return nil, ErrTampered
	}
	return tmk, nil
}

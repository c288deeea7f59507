package main

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
)

// AES key wrap with padding (RFC 5649, NIST SP 800-38F KWP) over
// crypto/aes: the Go standard library has no key wrap, so this is the
// bench's independent implementation, the baseline of the KWP cases and
// the reference their output check compares with.

// kwpWrap wraps key (1 byte or more) under the AES block b.
func kwpWrap(b cipher.Block, key []byte) []byte {
	n := (len(key) + 7) / 8 // 64-bit semiblocks after padding
	out := make([]byte, 8+8*n)
	binary.BigEndian.PutUint32(out, 0xa65959a6)
	binary.BigEndian.PutUint32(out[4:], uint32(len(key)))
	copy(out[8:], key) // the padding is the zeros make left
	if n == 1 {
		b.Encrypt(out, out)
		return out
	}
	var buf [16]byte
	t := uint64(1)
	for range 6 {
		for i := 1; i <= n; i++ {
			copy(buf[:8], out[:8])
			copy(buf[8:], out[8*i:8*i+8])
			b.Encrypt(buf[:], buf[:])
			binary.BigEndian.PutUint64(out, binary.BigEndian.Uint64(buf[:8])^t)
			copy(out[8*i:], buf[8:])
			t++
		}
	}
	return out
}

var errKWP = errors.New("AES-KWP: integrity check failed")

// kwpUnwrap reverses kwpWrap and checks the integrity value and padding.
func kwpUnwrap(b cipher.Block, wrapped []byte) ([]byte, error) {
	if len(wrapped) < 16 || len(wrapped)%8 != 0 {
		return nil, errKWP
	}
	n := len(wrapped)/8 - 1
	out := make([]byte, len(wrapped))
	if n == 1 {
		b.Decrypt(out, wrapped)
	} else {
		copy(out, wrapped)
		var buf [16]byte
		t := uint64(6 * n)
		for range 6 {
			for i := n; i >= 1; i-- {
				binary.BigEndian.PutUint64(buf[:8], binary.BigEndian.Uint64(out[:8])^t)
				copy(buf[8:], out[8*i:8*i+8])
				b.Decrypt(buf[:], buf[:])
				copy(out[:8], buf[:8])
				copy(out[8*i:], buf[8:])
				t--
			}
		}
	}
	mli := int(binary.BigEndian.Uint32(out[4:8]))
	if binary.BigEndian.Uint32(out) != 0xa65959a6 || mli > 8*n || mli <= 8*(n-1) {
		return nil, errKWP
	}
	pad := out[8+mli:]
	if subtle.ConstantTimeCompare(pad, make([]byte, len(pad))) != 1 {
		return nil, errKWP
	}
	return out[8 : 8+mli], nil
}

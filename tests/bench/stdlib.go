package main

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// The data every implementation works on.
var (
	// digest is what ECDSA signs and verifies (CKM_ECDSA takes a hash).
	digest = sha256.Sum256([]byte("kagi benchmark"))
	// rsaData is signed with SHA-256 included (CKM_SHA256_RSA_PKCS).
	rsaData = make([]byte, 256)
	// gcmPlaintext is one 4 KiB message for AES-256-GCM.
	gcmPlaintext = make([]byte, 4096)
	// hmacData is one 1 KiB message for HMAC-SHA256.
	hmacData = make([]byte, 1024)
)

// stdlib holds the keys of the in-process Go standard library baseline.
type stdlib struct {
	ec      *ecdsa.PrivateKey
	ecSig   []byte
	rsa     *rsa.PrivateKey
	aesKey  []byte
	hmacKey []byte
	x       stdlib4 // the issue 4 cases
}

func newStdlib() (*stdlib, error) {
	s := &stdlib{aesKey: make([]byte, 32), hmacKey: make([]byte, 32)}
	var err error
	if s.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	if s.ecSig, err = ecdsa.SignASN1(rand.Reader, s.ec, digest[:]); err != nil {
		return nil, err
	}
	if s.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		return nil, err
	}
	rand.Read(s.aesKey)
	rand.Read(s.hmacKey)
	if err := s.init4(); err != nil {
		return nil, err
	}
	return s, nil
}

// plain wraps an op that needs no per-thread state beyond what build makes.
func plain(build func(i int) (op, error)) worker {
	return func(i int) (op, func(), error) {
		o, err := build(i)
		return o, func() {}, err
	}
}

func (s *stdlib) ecdsaSign() worker {
	return plain(func(int) (op, error) {
		return func() error {
			_, err := ecdsa.SignASN1(rand.Reader, s.ec, digest[:])
			return err
		}, nil
	})
}

func (s *stdlib) ecdsaVerify() worker {
	return plain(func(int) (op, error) {
		return func() error {
			if !ecdsa.VerifyASN1(&s.ec.PublicKey, digest[:], s.ecSig) {
				return fmt.Errorf("ecdsa.VerifyASN1 failed")
			}
			return nil
		}, nil
	})
}

func (s *stdlib) rsaSign() worker {
	return plain(func(int) (op, error) {
		return func() error {
			h := sha256.Sum256(rsaData)
			_, err := rsa.SignPKCS1v15(nil, s.rsa, crypto.SHA256, h[:])
			return err
		}, nil
	})
}

func (s *stdlib) aesGCM() worker {
	return plain(func(i int) (op, error) {
		block, err := aes.NewCipher(s.aesKey)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		nonce := make([]byte, 12)
		binary.BigEndian.PutUint32(nonce, uint32(i))
		counter := uint64(0)
		out := make([]byte, 0, len(gcmPlaintext)+16)
		return func() error {
			counter++
			binary.BigEndian.PutUint64(nonce[4:], counter)
			out = aead.Seal(out[:0], nonce, gcmPlaintext, nil)
			return nil
		}, nil
	})
}

func (s *stdlib) hmacSHA256() worker {
	return plain(func(int) (op, error) {
		return func() error {
			h := hmac.New(sha256.New, s.hmacKey)
			h.Write(hmacData)
			h.Sum(nil)
			return nil
		}, nil
	})
}

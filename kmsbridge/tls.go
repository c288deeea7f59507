package kmsbridge

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// The endpoint's TLS key may live on the token the bridge serves: TokenSigner
// is a crypto.Signer whose Sign runs on the token, for crypto/tls's
// tls.Certificate.PrivateKey. It is here rather than in cmd/kagi because it
// borrows the bridge's session pool, with its login retry and its end at
// Close, and shares the bridge's ECDSA and DigestInfo encodings; cmd/kagi
// only reads the configuration and the certificate. SessionSigner is the
// same signer on one session its caller holds, for a command that has just
// made the key and needs no KMS (kagi tls-key signs the key's certificate).

// tlsSignTimeout bounds the wait for a free token session during a handshake.
const tlsSignTimeout = 30 * time.Second

// sha1DigestInfo is the DER DigestInfo prefix of SHA-1 (RFC 8017 section
// 9.2, note 1): TLS 1.2 clients may still ask for rsa_pkcs1_sha1.
var sha1DigestInfo = []byte{0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14}

// pkcs1Info is the DigestInfo prefix for PKCS #1 v1.5 signatures by hash.
var pkcs1Info = map[crypto.Hash][]byte{
	crypto.SHA1:   sha1DigestInfo,
	crypto.SHA256: signAlgs["RSASSA_PKCS1_V1_5_SHA_256"].info,
	crypto.SHA384: signAlgs["RSASSA_PKCS1_V1_5_SHA_384"].info,
	crypto.SHA512: signAlgs["RSASSA_PKCS1_V1_5_SHA_512"].info,
}

// pssHash maps a hash to the PSS parameters' digest and MGF.
var pssHash = map[crypto.Hash]struct {
	mech ck.MechanismType
	mgf  ck.MGF
}{
	crypto.SHA1:   {ck.CKM_SHA_1, ck.CKG_MGF1_SHA1},
	crypto.SHA256: {ck.CKM_SHA256, ck.CKG_MGF1_SHA256},
	crypto.SHA384: {ck.CKM_SHA384, ck.CKG_MGF1_SHA384},
	crypto.SHA512: {ck.CKM_SHA512, ck.CKG_MGF1_SHA512},
}

// sessionSource lends a token session to fn: a Bridge's pool, or the one
// session of a SessionSigner's caller.
type sessionSource interface {
	withSession(ctx context.Context, fn func(sh ck.SessionHandle) error) error
}

// heldSession is a session its owner keeps open and logged in; the mutex
// keeps the signer's calls on it one at a time, as PKCS#11 sessions need.
type heldSession struct {
	mu sync.Mutex
	sh ck.SessionHandle
}

func (h *heldSession) withSession(_ context.Context, fn func(sh ck.SessionHandle) error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return fn(h.sh)
}

// tokenSigner signs with the private key labelled label on the token.
type tokenSigner struct {
	lib   *token.Library
	src   sessionSource
	label string
	pub   crypto.PublicKey
	ec    bool
	size  int // signature bytes: the RSA modulus length, or 2 × the EC field size
}

// TokenSigner returns a crypto.Signer for the one private key on the token
// whose CKA_LABEL is label (an RSA or EC key with CKA_SIGN), whose public
// key is pub, the certificate's. It signs a test digest and checks it with
// pub first, so a certificate that does not belong to the key is refused
// now rather than at every handshake.
func (b *Bridge) TokenSigner(label string, pub crypto.PublicKey) (crypto.Signer, error) {
	return newTokenSigner(b.lib, b, label, pub)
}

// SessionSigner is TokenSigner without a Bridge: it signs on sh, a session
// of lib that the caller has logged in and keeps open while it uses the
// signer. Signatures on it run one at a time.
func SessionSigner(lib *token.Library, sh ck.SessionHandle, label string, pub crypto.PublicKey) (crypto.Signer, error) {
	return newTokenSigner(lib, &heldSession{sh: sh}, label, pub)
}

func newTokenSigner(lib *token.Library, src sessionSource, label string, pub crypto.PublicKey) (crypto.Signer, error) {
	s := &tokenSigner{lib: lib, src: src, label: label, pub: pub}
	var kt ck.KeyType
	err := src.withSession(context.Background(), func(sh ck.SessionHandle) error {
		h, err := s.find(sh)
		if err != nil {
			return err
		}
		vs, err := lib.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_KEY_TYPE})
		if err == nil && vs[0].Err != 0 {
			err = vs[0].Err
		}
		if err != nil {
			return tokenError("reading the TLS key's type", err)
		}
		t, ok := ck.BytesULong(vs[0].Value)
		if !ok {
			return fmt.Errorf("the token key %q has a malformed CKA_KEY_TYPE", label)
		}
		kt = ck.KeyType(t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		s.size = k.Size()
		if kt != ck.CKK_RSA {
			return nil, fmt.Errorf("the certificate's key is RSA, the token key %q is not", label)
		}
	case *ecdsa.PublicKey:
		s.ec, s.size = true, 2*((k.Curve.Params().BitSize+7)/8)
		if kt != ck.CKK_EC {
			return nil, fmt.Errorf("the certificate's key is ECDSA, the token key %q is not", label)
		}
	default:
		return nil, fmt.Errorf("the certificate's key is %T; a token TLS key is RSA or ECDSA", pub)
	}
	digest := sha256.Sum256([]byte("kagi: does the token key match the certificate?"))
	var opts crypto.SignerOpts = crypto.SHA256
	if !s.ec {
		opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
	}
	sig, err := s.Sign(rand.Reader, digest[:], opts)
	if err != nil {
		return nil, err
	}
	ok := false
	switch k := pub.(type) {
	case *rsa.PublicKey:
		ok = rsa.VerifyPSS(k, crypto.SHA256, digest[:], sig, opts.(*rsa.PSSOptions)) == nil
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, digest[:], sig)
	}
	if !ok {
		return nil, fmt.Errorf("the token key %q does not match the certificate's public key", label)
	}
	return s, nil
}

// find returns the handle of the labelled private key; looked up at each
// use, so a key replaced on the token is found again. Two matches are
// enough to know the label is not unique.
func (s *tokenSigner) find(sh ck.SessionHandle) (ck.ObjectHandle, error) {
	err := s.lib.FindObjectsInit(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_PRIVATE_KEY)),
		bytesAttr(ck.CKA_LABEL, []byte(s.label)),
	})
	if err != nil {
		return 0, tokenError("finding the TLS key", err)
	}
	hs, err := s.lib.FindObjects(sh, 2)
	if ferr := s.lib.FindObjectsFinal(sh); err == nil {
		err = ferr
	}
	if err != nil {
		return 0, tokenError("finding the TLS key", err)
	}
	switch len(hs) {
	case 0:
		return 0, fmt.Errorf("no private key labelled %q on the token", s.label)
	case 1:
		return hs[0], nil
	}
	return 0, fmt.Errorf("more than one private key labelled %q on the token; the TLS key's label must be unique", s.label)
}

// Public is the certificate's public key, which TokenSigner checked.
func (s *tokenSigner) Public() crypto.PublicKey { return s.pub }

// Sign signs a digest as crypto.Signer does: ECDSA gives DER, RSA gives PSS
// when opts is *rsa.PSSOptions and PKCS #1 v1.5 otherwise. The token's
// own DRBG supplies any randomness; rand is not used.
func (s *tokenSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h := opts.HashFunc()
	if h != 0 && len(digest) != h.Size() {
		return nil, fmt.Errorf("kmsbridge: a %s digest is %d bytes, not %d", h, h.Size(), len(digest))
	}
	m, data, err := s.mechanism(h, digest, opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), tlsSignTimeout)
	defer cancel()
	var sig []byte
	err = s.src.withSession(ctx, func(sh ck.SessionHandle) error {
		k, err := s.find(sh)
		if err != nil {
			return err
		}
		if err := s.lib.SignInit(sh, m, k); err != nil {
			return tokenError("starting the TLS signature", err)
		}
		out := make([]byte, s.size)
		n, err := s.lib.Sign(sh, data, out)
		if err != nil {
			return tokenError("the TLS signature", err)
		}
		sig = out[:n]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if s.ec {
		return ecdsaDER(sig)
	}
	return sig, nil
}

// mechanism chooses the token mechanism and its input for one signature.
func (s *tokenSigner) mechanism(h crypto.Hash, digest []byte, opts crypto.SignerOpts) (ck.Mechanism, []byte, error) {
	if s.ec {
		return ck.Mechanism{Type: ck.CKM_ECDSA}, digest, nil
	}
	if pss, ok := opts.(*rsa.PSSOptions); ok {
		p, ok := pssHash[h]
		if !ok {
			return ck.Mechanism{}, nil, fmt.Errorf("kmsbridge: RSA-PSS with %s is not supported", h)
		}
		salt := pss.SaltLength
		switch salt {
		case rsa.PSSSaltLengthEqualsHash, rsa.PSSSaltLengthAuto:
			// Auto lets the verifier accept any length; the hash length is
			// what TLS 1.3 requires (RFC 8446 section 4.2.3).
			salt = h.Size()
		}
		if salt < 0 {
			return ck.Mechanism{}, nil, errors.New("kmsbridge: invalid RSA-PSS salt length")
		}
		return ck.Mechanism{Type: ck.CKM_RSA_PKCS_PSS, Param: ck.RSAPKCSPSSParams{Hash: p.mech, MGF: p.mgf, SaltLen: ck.ULong(salt)}}, digest, nil
	}
	if h == 0 {
		// A bare value (TLS 1.0's MD5+SHA-1), signed as it is.
		return ck.Mechanism{Type: ck.CKM_RSA_PKCS}, digest, nil
	}
	info, ok := pkcs1Info[h]
	if !ok {
		return ck.Mechanism{}, nil, fmt.Errorf("kmsbridge: RSA PKCS #1 v1.5 with %s is not supported", h)
	}
	return ck.Mechanism{Type: ck.CKM_RSA_PKCS}, append(bytes.Clone(info), digest...), nil
}

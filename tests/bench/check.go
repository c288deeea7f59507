package main

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/miekg/pkcs11"
)

// The outputs checkOutputs compares with the standard library.
const (
	checkECDSA = "ECDSA P-256"
	checkRSA   = "RSA PKCS#1 v1.5"
	checkGCM   = "AES-GCM"
	checkHMAC  = "HMAC-SHA256"
)

// checkOutputs verifies, once before measuring, that the module computes
// the right thing: its ECDSA and RSA signatures verify with the standard
// library under the public keys it reports, and its AES-GCM ciphertext and
// HMAC equal the standard library's under the same keys. A fast wrong
// answer must not count. It returns the failures by check.
func (m *module) checkOutputs(std *stdlib) map[string]error {
	wrong := map[string]error{}
	s := m.login
	if err := m.checkECDSA(s); err != nil {
		wrong[checkECDSA] = err
	}
	if err := m.checkRSA(s); err != nil {
		wrong[checkRSA] = err
	}

	iv := make([]byte, 12)
	params := pkcs11.NewGCMParams(iv, nil, 128)
	ct, err := func() ([]byte, error) {
		defer params.Free()
		if err := m.ctx.EncryptInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, m.aesKey); err != nil {
			return nil, fmt.Errorf("C_EncryptInit(CKM_AES_GCM): %w", err)
		}
		return m.ctx.Encrypt(s, gcmPlaintext)
	}()
	block, _ := aes.NewCipher(std.aesKey)
	aead, _ := cipher.NewGCM(block)
	switch want := aead.Seal(nil, iv, gcmPlaintext, nil); {
	case err != nil:
		wrong[checkGCM] = err
	case !bytes.Equal(ct, want):
		wrong[checkGCM] = errors.New("AES-GCM ciphertext differs from the standard library's")
	}

	mac, err := func() ([]byte, error) {
		if err := m.ctx.SignInit(s, mech(pkcs11.CKM_SHA256_HMAC), m.hmacKey); err != nil {
			return nil, fmt.Errorf("C_SignInit(CKM_SHA256_HMAC): %w", err)
		}
		return m.ctx.Sign(s, hmacData)
	}()
	h := hmac.New(sha256.New, std.hmacKey)
	h.Write(hmacData)
	switch {
	case err != nil:
		wrong[checkHMAC] = err
	case !hmac.Equal(mac, h.Sum(nil)):
		wrong[checkHMAC] = errors.New("HMAC-SHA256 differs from the standard library's")
	}
	return wrong
}

func (m *module) checkECDSA(s pkcs11.SessionHandle) error {
	attrs, err := m.ctx.GetAttributeValue(s, m.ecPub, []*pkcs11.Attribute{attr(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		return fmt.Errorf("C_GetAttributeValue(CKA_EC_POINT): %w", err)
	}
	point := attrs[0].Value
	var inner []byte // CKA_EC_POINT is a DER OCTET STRING around the point
	if rest, err := asn1.Unmarshal(point, &inner); err == nil && len(rest) == 0 {
		point = inner
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
	if err != nil {
		return fmt.Errorf("CKA_EC_POINT %x: %w", attrs[0].Value, err)
	}
	if err := m.ctx.SignInit(s, mech(pkcs11.CKM_ECDSA), m.ecPriv); err != nil {
		return fmt.Errorf("C_SignInit(CKM_ECDSA): %w", err)
	}
	sig, err := m.ctx.Sign(s, digest[:])
	if err != nil {
		return fmt.Errorf("C_Sign(CKM_ECDSA): %w", err)
	}
	if len(sig) != 64 {
		return fmt.Errorf("ECDSA signature of %d bytes, want 64", len(sig))
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])})
	if err != nil {
		return err
	}
	if !ecdsa.VerifyASN1(pub, digest[:], der) {
		return errors.New("the ECDSA signature does not verify with the standard library")
	}
	return nil
}

func (m *module) checkRSA(s pkcs11.SessionHandle) error {
	attrs, err := m.ctx.GetAttributeValue(s, m.rsaPub, []*pkcs11.Attribute{
		attr(pkcs11.CKA_MODULUS, nil), attr(pkcs11.CKA_PUBLIC_EXPONENT, nil),
	})
	if err != nil {
		return fmt.Errorf("C_GetAttributeValue(CKA_MODULUS, CKA_PUBLIC_EXPONENT): %w", err)
	}
	pub := &rsa.PublicKey{
		N: new(big.Int).SetBytes(attrs[0].Value),
		E: int(new(big.Int).SetBytes(attrs[1].Value).Int64()),
	}
	if err := m.ctx.SignInit(s, mech(pkcs11.CKM_SHA256_RSA_PKCS), m.rsaPriv); err != nil {
		return fmt.Errorf("C_SignInit(CKM_SHA256_RSA_PKCS): %w", err)
	}
	sig, err := m.ctx.Sign(s, rsaData)
	if err != nil {
		return fmt.Errorf("C_Sign(CKM_SHA256_RSA_PKCS): %w", err)
	}
	h := sha256.Sum256(rsaData)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		return fmt.Errorf("the RSA signature does not verify with the standard library: %w", err)
	}
	return nil
}

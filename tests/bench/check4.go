package main

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"

	"github.com/miekg/pkcs11"
)

// The outputs checkOutputs4 compares with the standard library (issue 4).
const (
	checkPSS     = "RSA PSS"
	checkOAEP    = "RSA OAEP"
	checkRSA4096 = "RSA-4096 PKCS#1 v1.5"
	checkP384    = "ECDSA P-384"
	checkEd25519 = "Ed25519"
	checkCBCPad  = "AES-CBC-PAD"
	checkGCMDec  = "AES-GCM decrypt"
	checkSHA256  = "SHA-256"
	checkKWP     = "AES-KWP"
	checkECDH    = "ECDH P-256"
)

// checkOutputs4 runs the output checks of the issue 4 cases that set-up
// has not already ruled out (those in wrong), adding the failures to wrong.
func (m *module) checkOutputs4(wrong map[string]error) {
	s := m.login
	for _, c := range []struct {
		name string
		f    func(pkcs11.SessionHandle) error
	}{
		{checkPSS, m.checkPSS}, {checkOAEP, m.checkOAEP}, {checkRSA4096, m.checkRSA4096},
		{checkP384, m.checkP384}, {checkEd25519, m.checkEd25519}, {checkCBCPad, m.checkCBCPad},
		{checkGCMDec, m.checkGCMDecrypt}, {checkSHA256, m.checkSHA256}, {checkKWP, m.checkKWP},
		{checkECDH, m.checkECDH},
	} {
		if wrong[c.name] != nil {
			continue
		}
		if err := c.f(s); err != nil {
			wrong[c.name] = classify(err)
		}
	}
}

// ecPoint reads CKA_EC_POINT, unwrapping the DER OCTET STRING around it.
func (m *module) ecPoint(s pkcs11.SessionHandle, h pkcs11.ObjectHandle) ([]byte, error) {
	attrs, err := m.ctx.GetAttributeValue(s, h, []*pkcs11.Attribute{attr(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		return nil, fmt.Errorf("C_GetAttributeValue(CKA_EC_POINT): %w", err)
	}
	point := attrs[0].Value
	var inner []byte
	if rest, err := asn1.Unmarshal(point, &inner); err == nil && len(rest) == 0 {
		point = inner
	}
	return point, nil
}

func (m *module) rsaPublic(s pkcs11.SessionHandle, h pkcs11.ObjectHandle) (*rsa.PublicKey, error) {
	attrs, err := m.ctx.GetAttributeValue(s, h, []*pkcs11.Attribute{
		attr(pkcs11.CKA_MODULUS, nil), attr(pkcs11.CKA_PUBLIC_EXPONENT, nil),
	})
	if err != nil {
		return nil, fmt.Errorf("C_GetAttributeValue(CKA_MODULUS, CKA_PUBLIC_EXPONENT): %w", err)
	}
	return &rsa.PublicKey{
		N: new(big.Int).SetBytes(attrs[0].Value),
		E: int(new(big.Int).SetBytes(attrs[1].Value).Int64()),
	}, nil
}

func (m *module) sign(s pkcs11.SessionHandle, name string, mc []*pkcs11.Mechanism, key pkcs11.ObjectHandle, data []byte) ([]byte, error) {
	if err := m.ctx.SignInit(s, mc, key); err != nil {
		return nil, fmt.Errorf("C_SignInit(%s): %w", name, err)
	}
	sig, err := m.ctx.Sign(s, data)
	if err != nil {
		return nil, fmt.Errorf("C_Sign(%s): %w", name, err)
	}
	return sig, nil
}

// checkPSS: the PSS signature verifies with the standard library with a
// salt of exactly 32 bytes.
func (m *module) checkPSS(s pkcs11.SessionHandle) error {
	pub, err := m.rsaPublic(s, m.rsaPub)
	if err != nil {
		return err
	}
	sig, err := m.sign(s, "CKM_SHA256_RSA_PKCS_PSS", pssMech(), m.rsaPriv, rsaData)
	if err != nil {
		return err
	}
	h := sha256.Sum256(rsaData)
	if err := rsa.VerifyPSS(pub, crypto.SHA256, h[:], sig, &rsa.PSSOptions{SaltLength: 32}); err != nil {
		return fmt.Errorf("the PSS signature does not verify with the standard library (salt 32): %w", err)
	}
	return nil
}

// checkOAEP: the module decrypts the standard library's ciphertext. A
// module that refuses SHA-256 parameters (SoftHSMv2 2.6 takes only SHA-1,
// with CKR_ARGUMENTS_BAD) is checked and measured with SHA-1, the RSA
// private operation being the cost of the case either way; the note says so.
func (m *module) checkOAEP(s pkcs11.SessionHandle) error {
	err := m.ctx.DecryptInit(s, m.oaepMech(), m.x.rsaOAEP)
	var code pkcs11.Error
	if errors.As(err, &code) && (code == pkcs11.CKR_ARGUMENTS_BAD || code == pkcs11.CKR_MECHANISM_PARAM_INVALID) {
		m.x.oaepSHA1 = true
		if err2 := m.ctx.DecryptInit(s, m.oaepMech(), m.x.rsaOAEP); err2 != nil {
			m.x.oaepSHA1 = false
		} else {
			err = nil
			m.note(checkOAEP, fmt.Sprintf("OAEP with SHA-256 refused (%v); measured with SHA-1 and MGF1-SHA-1", code))
		}
	}
	if err != nil {
		return fmt.Errorf("C_DecryptInit(CKM_RSA_PKCS_OAEP): %w", err)
	}
	pt, err := m.ctx.Decrypt(s, m.oaepInput())
	if err != nil {
		return fmt.Errorf("C_Decrypt(CKM_RSA_PKCS_OAEP): %w", err)
	}
	if !bytes.Equal(pt, oaepPlain) {
		return errors.New("the OAEP plaintext differs from what the standard library encrypted")
	}
	return nil
}

// checkRSA4096: PKCS#1 v1.5 is deterministic, so the signature under the
// imported key equals the standard library's byte for byte.
func (m *module) checkRSA4096(s pkcs11.SessionHandle) error {
	sig, err := m.sign(s, "CKM_SHA256_RSA_PKCS", mech(pkcs11.CKM_SHA256_RSA_PKCS), m.x.rsa4096, rsaData)
	if err != nil {
		return err
	}
	h := sha256.Sum256(rsaData)
	want, err := rsa.SignPKCS1v15(nil, m.std.x.rsa4096, crypto.SHA256, h[:])
	if err != nil {
		return err
	}
	if !bytes.Equal(sig, want) {
		return errors.New("the RSA-4096 signature differs from the standard library's")
	}
	return nil
}

func (m *module) checkP384(s pkcs11.SessionHandle) error {
	point, err := m.ecPoint(s, m.x.ec384Pub)
	if err != nil {
		return err
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P384(), point)
	if err != nil {
		return fmt.Errorf("CKA_EC_POINT %x: %w", point, err)
	}
	sig, err := m.sign(s, "CKM_ECDSA", mech(pkcs11.CKM_ECDSA), m.x.ec384, digest384[:])
	if err != nil {
		return err
	}
	if len(sig) != 96 {
		return fmt.Errorf("ECDSA P-384 signature of %d bytes, want 96", len(sig))
	}
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(sig[:48]), new(big.Int).SetBytes(sig[48:])})
	if err != nil {
		return err
	}
	if !ecdsa.VerifyASN1(pub, digest384[:], der) {
		return errors.New("the ECDSA P-384 signature does not verify with the standard library")
	}
	return nil
}

// checkEd25519: the module's signature verifies with the standard
// library, and the module's C_Verify accepts it and rejects it altered.
func (m *module) checkEd25519(s pkcs11.SessionHandle) error {
	point, err := m.ecPoint(s, m.x.edPub)
	if err != nil {
		return err
	}
	if len(point) != ed25519.PublicKeySize {
		return fmt.Errorf("Ed25519 CKA_EC_POINT of %d bytes", len(point))
	}
	sig, err := m.edSign(s, edMessage)
	if err != nil {
		return err
	}
	if !ed25519.Verify(ed25519.PublicKey(point), edMessage, sig) {
		return errors.New("the Ed25519 signature does not verify with the standard library")
	}
	verify := func(sig []byte) error {
		if err := m.ctx.VerifyInit(s, mech(ckmEdDSA), m.x.edPub); err != nil {
			return fmt.Errorf("C_VerifyInit(CKM_EDDSA): %w", err)
		}
		return m.ctx.Verify(s, edMessage, sig)
	}
	if err := verify(sig); err != nil {
		return fmt.Errorf("C_Verify(CKM_EDDSA) of a good signature: %w", err)
	}
	bad := append([]byte(nil), sig...)
	bad[10] ^= 1
	if err := verify(bad); err == nil {
		return errors.New("C_Verify(CKM_EDDSA) accepted an altered signature")
	}
	return nil
}

func (m *module) checkCBCPad(s pkcs11.SessionHandle) error {
	_, ct, err := m.cbcPadEncrypt(s, cbcPadMech(), true)
	if err != nil {
		return err
	}
	if !bytes.Equal(ct, m.std.cbcPadReference()) {
		return fmt.Errorf("the AES-CBC-PAD ciphertext (%d bytes) differs from the standard library's", len(ct))
	}
	return nil
}

// checkGCMDecrypt: the module decrypts the standard library's ciphertext,
// and refuses it with one bit changed.
func (m *module) checkGCMDecrypt(s pkcs11.SessionHandle) error {
	decrypt := func(ct []byte) ([]byte, error) {
		params := pkcs11.NewGCMParams(gcmDecIV, nil, 128)
		defer params.Free()
		if err := m.ctx.DecryptInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, m.aesKey); err != nil {
			return nil, fmt.Errorf("C_DecryptInit(CKM_AES_GCM): %w", err)
		}
		return m.ctx.Decrypt(s, ct)
	}
	pt, err := decrypt(m.std.x.gcmDecCT)
	if err != nil {
		return fmt.Errorf("C_Decrypt(CKM_AES_GCM): %w", err)
	}
	if !bytes.Equal(pt, gcmDecPlain) {
		return errors.New("the AES-GCM plaintext differs from what the standard library encrypted")
	}
	bad := append([]byte(nil), m.std.x.gcmDecCT...)
	bad[100] ^= 1
	if _, err := decrypt(bad); err == nil {
		return errors.New("C_Decrypt(CKM_AES_GCM) accepted an altered ciphertext")
	}
	return nil
}

func (m *module) checkSHA256(s pkcs11.SessionHandle) error {
	sum, err := m.digestBulk(s, mech(pkcs11.CKM_SHA256))
	if err != nil {
		return err
	}
	if want := sha256.Sum256(bulkData); !bytes.Equal(sum, want[:]) {
		return errors.New("the SHA-256 digest differs from the standard library's")
	}
	return nil
}

// checkKWP: C_WrapKey gives what RFC 5649 over crypto/aes gives, and the
// key C_UnwrapKey makes from that blob encrypts like the original. A module
// without CKM_AES_KEY_WRAP_KWP is tried with CKM_AES_KEY_WRAP_PAD, which
// SoftHSMv2 2.6 implements as RFC 5649; the note says so.
func (m *module) checkKWP(s pkcs11.SessionHandle) error {
	m.x.kwpMech = ckmAESKeyWrapKWP
	w, err := m.ctx.WrapKey(s, mech(ckmAESKeyWrapKWP), m.x.kwKEK, m.x.kwTarget)
	if err != nil && mechInvalid(err) {
		var err2 error
		if w, err2 = m.ctx.WrapKey(s, mech(ckmAESKeyWrapPadSoft), m.x.kwKEK, m.x.kwTarget); err2 == nil {
			m.x.kwpMech, err = ckmAESKeyWrapPadSoft, nil
			m.note(checkKWP, "CKM_AES_KEY_WRAP_KWP is CKR_MECHANISM_INVALID; measured with CKM_AES_KEY_WRAP_PAD (0x210A), RFC 5649 as well (same output checked)")
		}
	}
	if err != nil {
		return fmt.Errorf("C_WrapKey(CKM_AES_KEY_WRAP_KWP): %w", err)
	}
	if !bytes.Equal(w, m.std.x.kwBlob) {
		return fmt.Errorf("C_WrapKey(%#x) gave %x, RFC 5649 gives %x", m.x.kwpMech, w, m.std.x.kwBlob)
	}
	h, err := m.ctx.UnwrapKey(s, mech(m.x.kwpMech), m.x.kwKEK, m.std.x.kwBlob, unwrapTemplate())
	if err != nil {
		return fmt.Errorf("C_UnwrapKey(%#x): %w", m.x.kwpMech, err)
	}
	defer m.ctx.DestroyObject(s, h)
	if err := m.ctx.EncryptInit(s, mech(pkcs11.CKM_AES_ECB), h); err != nil {
		return fmt.Errorf("C_EncryptInit(CKM_AES_ECB) with the unwrapped key: %w", err)
	}
	block := fill(16, 7)
	got, err := m.ctx.Encrypt(s, block)
	if err != nil {
		return fmt.Errorf("C_Encrypt(CKM_AES_ECB) with the unwrapped key: %w", err)
	}
	c, _ := aes.NewCipher(m.std.x.kwTarget)
	want := make([]byte, 16)
	c.Encrypt(want, block)
	if !bytes.Equal(got, want) {
		return errors.New("the unwrapped key is not the key that was wrapped")
	}
	return nil
}

// checkECDH: the derived value is the x-coordinate the standard library
// computes from the peer's private key and the module's public point.
func (m *module) checkECDH(s pkcs11.SessionHandle) error {
	h, err := m.ctx.DeriveKey(s, m.ecdhMech(), m.x.ecdh, deriveTemplate())
	if err != nil {
		return fmt.Errorf("C_DeriveKey(CKM_ECDH1_DERIVE, CKD_NULL): %w", err)
	}
	defer m.ctx.DestroyObject(s, h)
	attrs, err := m.ctx.GetAttributeValue(s, h, []*pkcs11.Attribute{attr(pkcs11.CKA_VALUE, nil)})
	if err != nil {
		return fmt.Errorf("C_GetAttributeValue(CKA_VALUE) of the derived key: %w", err)
	}
	point, err := m.ecPoint(s, m.x.ecdhPub)
	if err != nil {
		return err
	}
	pub, err := ecdh.P256().NewPublicKey(point)
	if err != nil {
		return fmt.Errorf("CKA_EC_POINT %x: %w", point, err)
	}
	want, err := m.std.x.ecdhPeer.ECDH(pub)
	if err != nil {
		return err
	}
	if !bytes.Equal(attrs[0].Value, want) {
		return errors.New("the ECDH shared secret differs from the standard library's")
	}
	return nil
}

// note records something the report should say about a module's case.
func (m *module) note(check, text string) {
	if m.notes == nil {
		m.notes = map[string]string{}
	}
	m.notes[check] = text
}

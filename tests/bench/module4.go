package main

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"math/big"

	"github.com/miekg/pkcs11"
)

// PKCS#11 3.0 values that miekg/pkcs11 v1.1.2 lacks.
const (
	ckmEdDSA             = 0x1057 // CKM_EDDSA
	ckmECEdwardsKeyGen   = 0x1055 // CKM_EC_EDWARDS_KEY_PAIR_GEN
	ckkECEdwards         = 0x40   // CKK_EC_EDWARDS
	ckmAESKeyWrapKWP     = 0x210B // CKM_AES_KEY_WRAP_KWP (RFC 5649)
	ckmAESKeyWrapPadSoft = pkcs11.CKM_AES_KEY_WRAP_PAD
)

// CKA_EC_PARAMS of the other curves: the DER of their OIDs.
var (
	p384OID    = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22} // 1.3.132.0.34
	ed25519OID = []byte{0x06, 0x03, 0x2b, 0x65, 0x70}             // 1.3.101.112
)

// module4 holds a module's keys of the issue 4 cases.
type module4 struct {
	rsaOAEP  pkcs11.ObjectHandle // the stdlib's RSA-2048 key, imported, CKA_DECRYPT
	oaepSHA1 bool                // OAEP with SHA-256 refused: measured with SHA-1
	rsa4096  pkcs11.ObjectHandle // the stdlib's RSA-4096 key, imported, CKA_SIGN
	ec384Pub pkcs11.ObjectHandle
	ec384    pkcs11.ObjectHandle
	edPub    pkcs11.ObjectHandle
	ed       pkcs11.ObjectHandle
	kwKEK    pkcs11.ObjectHandle // imported AES-256 wrapping key
	kwTarget pkcs11.ObjectHandle // imported AES-256 key that is wrapped
	kwpMech  uint                // the RFC 5649 mechanism the module knows
	ecdhPub  pkcs11.ObjectHandle
	ecdh     pkcs11.ObjectHandle // P-256 private key with CKA_DERIVE
}

// notAvailable marks a case the module does not offer (its mechanism is
// CKR_MECHANISM_INVALID): shown as not available, not as a failure.
type notAvailable struct{ err error }

func (e notAvailable) Error() string { return "not available: " + e.err.Error() }
func (e notAvailable) Unwrap() error { return e.err }

// mechInvalid reports whether err is CKR_MECHANISM_INVALID.
func mechInvalid(err error) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && e == pkcs11.CKR_MECHANISM_INVALID
}

// classify turns CKR_MECHANISM_INVALID into notAvailable.
func classify(err error) error {
	if err != nil && mechInvalid(err) {
		var na notAvailable
		if !errors.As(err, &na) {
			return notAvailable{err}
		}
	}
	return err
}

func rsaPrivateTemplate(label string, k *rsa.PrivateKey, usage uint) []*pkcs11.Attribute {
	k.Precompute()
	b := func(i *big.Int) []byte { return i.Bytes() }
	return []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true), attr(usage, true),
		attr(pkcs11.CKA_MODULUS, b(k.N)), attr(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
		attr(pkcs11.CKA_PRIVATE_EXPONENT, b(k.D)),
		attr(pkcs11.CKA_PRIME_1, b(k.Primes[0])), attr(pkcs11.CKA_PRIME_2, b(k.Primes[1])),
		attr(pkcs11.CKA_EXPONENT_1, b(k.Precomputed.Dp)), attr(pkcs11.CKA_EXPONENT_2, b(k.Precomputed.Dq)),
		attr(pkcs11.CKA_COEFFICIENT, b(k.Precomputed.Qinv)),
	}
}

func aesImportTemplate(label string, value []byte, extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	return append([]*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label), attr(pkcs11.CKA_VALUE, value),
		attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
	}, extra...)
}

func curveKeyPairTemplates(label string, params []byte, usage uint) (pub, priv []*pkcs11.Attribute) {
	pubUsage := uint(pkcs11.CKA_VERIFY)
	if usage == pkcs11.CKA_DERIVE {
		pubUsage = pkcs11.CKA_DERIVE
	}
	pub = []*pkcs11.Attribute{
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_EC_PARAMS, params), attr(pubUsage, true),
	}
	priv = []*pkcs11.Attribute{
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true), attr(usage, true),
	}
	return pub, priv
}

func rsaKeyPairTemplates(label string, bits int) (pub, priv []*pkcs11.Attribute) {
	pub = []*pkcs11.Attribute{
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_MODULUS_BITS, bits), attr(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
		attr(pkcs11.CKA_VERIFY, true),
	}
	priv = []*pkcs11.Attribute{
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true), attr(pkcs11.CKA_SIGN, true),
	}
	return pub, priv
}

// unwrapTemplate is the session AES key C_UnwrapKey makes.
func unwrapTemplate() []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
		attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, true),
	}
}

// deriveTemplate is the session generic secret C_DeriveKey makes (not
// sensitive, so the output check can read it).
func deriveTemplate() []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_TOKEN, false), attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true),
		attr(pkcs11.CKA_VALUE_LEN, 32),
	}
}

func (m *module) ecdhMech() []*pkcs11.Mechanism {
	p := pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, m.std.x.ecdhPeer.PublicKey().Bytes())
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_ECDH1_DERIVE, p)}
}

func pssMech() []*pkcs11.Mechanism {
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS_PSS,
		pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32))}
}

// oaepMech is CKM_RSA_PKCS_OAEP with SHA-256 and MGF1-SHA-256, or with
// SHA-1 for a module that has only that (SoftHSMv2 2.6); oaepInput is the
// standard library's ciphertext that goes with it.
func (m *module) oaepMech() []*pkcs11.Mechanism {
	h, mgf := uint(pkcs11.CKM_SHA256), uint(pkcs11.CKG_MGF1_SHA256)
	if m.x.oaepSHA1 {
		h, mgf = pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1
	}
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_OAEP,
		pkcs11.NewOAEPParams(h, mgf, pkcs11.CKZ_DATA_SPECIFIED, nil))}
}

func (m *module) oaepInput() []byte {
	if m.x.oaepSHA1 {
		return m.std.x.oaepCT1
	}
	return m.std.x.oaepCT
}

func cbcPadMech() []*pkcs11.Mechanism {
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_CBC_PAD, cbcIV)}
}

// setUpKeys4 makes the keys of the issue 4 cases. A key the module cannot
// make disqualifies only the cases that use it: the failures are returned
// by check, CKR_MECHANISM_INVALID as notAvailable.
func (m *module) setUpKeys4(std *stdlib) map[string]error {
	c, s, x := m.ctx, m.login, &m.x
	wrong := map[string]error{}
	var err error
	if x.rsaOAEP, err = c.CreateObject(s, rsaPrivateTemplate("bench-rsa-oaep", std.rsa, pkcs11.CKA_DECRYPT)); err != nil {
		wrong[checkOAEP] = fmt.Errorf("C_CreateObject(RSA-2048 private key): %w", err)
	}
	if x.rsa4096, err = c.CreateObject(s, rsaPrivateTemplate("bench-rsa4096", std.x.rsa4096, pkcs11.CKA_SIGN)); err != nil {
		wrong[checkRSA4096] = fmt.Errorf("C_CreateObject(RSA-4096 private key): %w", err)
	}
	pub, priv := curveKeyPairTemplates("bench-ec384", p384OID, pkcs11.CKA_SIGN)
	if x.ec384Pub, x.ec384, err = c.GenerateKeyPair(s, mech(pkcs11.CKM_EC_KEY_PAIR_GEN), pub, priv); err != nil {
		wrong[checkP384] = classify(fmt.Errorf("C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN, P-384): %w", err))
	}
	pub, priv = curveKeyPairTemplates("bench-ed25519", ed25519OID, pkcs11.CKA_SIGN)
	if x.edPub, x.ed, err = c.GenerateKeyPair(s, mech(ckmECEdwardsKeyGen), pub, priv); err != nil {
		wrong[checkEd25519] = classify(fmt.Errorf("C_GenerateKeyPair(CKM_EC_EDWARDS_KEY_PAIR_GEN, Ed25519): %w", err))
	}
	if x.kwKEK, err = c.CreateObject(s, aesImportTemplate("bench-kek", std.x.kwKEK,
		attr(pkcs11.CKA_WRAP, true), attr(pkcs11.CKA_UNWRAP, true))); err != nil {
		wrong[checkKWP] = fmt.Errorf("C_CreateObject(AES-256 wrapping key): %w", err)
	} else if x.kwTarget, err = c.CreateObject(s, aesImportTemplate("bench-kw-target", std.x.kwTarget,
		attr(pkcs11.CKA_EXTRACTABLE, true), attr(pkcs11.CKA_ENCRYPT, true))); err != nil {
		wrong[checkKWP] = fmt.Errorf("C_CreateObject(AES-256 key to wrap): %w", err)
	}
	pub, priv = curveKeyPairTemplates("bench-ecdh", p256OID, pkcs11.CKA_DERIVE)
	if x.ecdhPub, x.ecdh, err = c.GenerateKeyPair(s, mech(pkcs11.CKM_EC_KEY_PAIR_GEN), pub, priv); err != nil {
		wrong[checkECDH] = fmt.Errorf("C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN, P-256, CKA_DERIVE): %w", err)
	}
	return wrong
}

// The PKCS#11 side of the issue 4 cases.

// signing is the worker of a single-part signature of data, checking the
// signature's length.
func (m *module) signing(name string, mc func() []*pkcs11.Mechanism, key func() pkcs11.ObjectHandle, data []byte, sigLen int) worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc, key := mc(), key()
		return func() error {
			if err := m.ctx.SignInit(s, mc, key); err != nil {
				return fmt.Errorf("C_SignInit(%s): %w", name, err)
			}
			sig, err := m.ctx.Sign(s, data)
			if err != nil {
				return fmt.Errorf("C_Sign(%s): %w", name, err)
			}
			if len(sig) != sigLen {
				return fmt.Errorf("C_Sign(%s) gave %d bytes, want %d", name, len(sig), sigLen)
			}
			return nil
		}, nil
	})
}

func (m *module) rsaPSSSign() worker {
	return m.signing("CKM_SHA256_RSA_PKCS_PSS", pssMech, func() pkcs11.ObjectHandle { return m.rsaPriv }, rsaData, 256)
}

func (m *module) rsa4096Sign() worker {
	return m.signing("CKM_SHA256_RSA_PKCS", func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_SHA256_RSA_PKCS) },
		func() pkcs11.ObjectHandle { return m.x.rsa4096 }, rsaData, 512)
}

func (m *module) ecdsaP384Sign() worker {
	return m.signing("CKM_ECDSA", func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_ECDSA) },
		func() pkcs11.ObjectHandle { return m.x.ec384 }, digest384[:], 96)
}

func (m *module) ed25519Sign() worker {
	return m.signing("CKM_EDDSA", func() []*pkcs11.Mechanism { return mech(ckmEdDSA) },
		func() pkcs11.ObjectHandle { return m.x.ed }, edMessage, 64)
}

func (m *module) ed25519Verify() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc := mech(ckmEdDSA)
		sig, err := m.edSign(s, edMessage)
		if err != nil {
			return nil, err
		}
		return func() error {
			if err := m.ctx.VerifyInit(s, mc, m.x.edPub); err != nil {
				return fmt.Errorf("C_VerifyInit(CKM_EDDSA): %w", err)
			}
			if err := m.ctx.Verify(s, edMessage, sig); err != nil {
				return fmt.Errorf("C_Verify(CKM_EDDSA): %w", err)
			}
			return nil
		}, nil
	})
}

func (m *module) edSign(s pkcs11.SessionHandle, msg []byte) ([]byte, error) {
	if err := m.ctx.SignInit(s, mech(ckmEdDSA), m.x.ed); err != nil {
		return nil, fmt.Errorf("C_SignInit(CKM_EDDSA): %w", err)
	}
	sig, err := m.ctx.Sign(s, msg)
	if err != nil {
		return nil, fmt.Errorf("C_Sign(CKM_EDDSA): %w", err)
	}
	return sig, nil
}

func (m *module) rsaOAEPDecrypt() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc, ct := m.oaepMech(), m.oaepInput()
		return func() error {
			if err := m.ctx.DecryptInit(s, mc, m.x.rsaOAEP); err != nil {
				return fmt.Errorf("C_DecryptInit(CKM_RSA_PKCS_OAEP): %w", err)
			}
			pt, err := m.ctx.Decrypt(s, ct)
			if err != nil {
				return fmt.Errorf("C_Decrypt(CKM_RSA_PKCS_OAEP): %w", err)
			}
			if len(pt) != len(oaepPlain) {
				return fmt.Errorf("C_Decrypt(CKM_RSA_PKCS_OAEP) gave %d bytes, want %d", len(pt), len(oaepPlain))
			}
			return nil
		}, nil
	})
}

// cbcPadEncrypt is C_EncryptInit, C_EncryptUpdate of bulkData in
// bulkPart parts, C_EncryptFinal; it returns the ciphertext's length, or
// the ciphertext itself if keep.
func (m *module) cbcPadEncrypt(s pkcs11.SessionHandle, mc []*pkcs11.Mechanism, keep bool) (int, []byte, error) {
	if err := m.ctx.EncryptInit(s, mc, m.aesKey); err != nil {
		return 0, nil, fmt.Errorf("C_EncryptInit(CKM_AES_CBC_PAD): %w", err)
	}
	n := 0
	var all []byte
	for p := 0; p < len(bulkData); p += bulkPart {
		ct, err := m.ctx.EncryptUpdate(s, bulkData[p:p+bulkPart])
		if err != nil {
			return 0, nil, fmt.Errorf("C_EncryptUpdate(CKM_AES_CBC_PAD): %w", err)
		}
		n += len(ct)
		if keep {
			all = append(all, ct...)
		}
	}
	ct, err := m.ctx.EncryptFinal(s)
	if err != nil {
		return 0, nil, fmt.Errorf("C_EncryptFinal(CKM_AES_CBC_PAD): %w", err)
	}
	return n + len(ct), append(all, ct...), nil
}

func (m *module) aesCBCPad() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc := cbcPadMech()
		return func() error {
			n, _, err := m.cbcPadEncrypt(s, mc, false)
			if err == nil && n != len(bulkData)+16 {
				err = fmt.Errorf("CKM_AES_CBC_PAD gave %d bytes, want %d", n, len(bulkData)+16)
			}
			return err
		}, nil
	})
}

func (m *module) aesGCMDecrypt() worker {
	std := m.std
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		ct := std.x.gcmDecCT
		return func() error {
			params := pkcs11.NewGCMParams(gcmDecIV, nil, 128)
			defer params.Free()
			if err := m.ctx.DecryptInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, m.aesKey); err != nil {
				return fmt.Errorf("C_DecryptInit(CKM_AES_GCM): %w", err)
			}
			pt, err := m.ctx.Decrypt(s, ct)
			if err != nil {
				return fmt.Errorf("C_Decrypt(CKM_AES_GCM): %w", err)
			}
			if len(pt) != len(gcmDecPlain) {
				return fmt.Errorf("C_Decrypt(CKM_AES_GCM) gave %d bytes, want %d", len(pt), len(gcmDecPlain))
			}
			return nil
		}, nil
	})
}

// digestBulk is C_DigestInit(CKM_SHA256), C_DigestUpdate of bulkData in
// bulkPart parts, C_DigestFinal.
func (m *module) digestBulk(s pkcs11.SessionHandle, mc []*pkcs11.Mechanism) ([]byte, error) {
	if err := m.ctx.DigestInit(s, mc); err != nil {
		return nil, fmt.Errorf("C_DigestInit(CKM_SHA256): %w", err)
	}
	for p := 0; p < len(bulkData); p += bulkPart {
		if err := m.ctx.DigestUpdate(s, bulkData[p:p+bulkPart]); err != nil {
			return nil, fmt.Errorf("C_DigestUpdate(CKM_SHA256): %w", err)
		}
	}
	sum, err := m.ctx.DigestFinal(s)
	if err != nil {
		return nil, fmt.Errorf("C_DigestFinal(CKM_SHA256): %w", err)
	}
	return sum, nil
}

func (m *module) sha256Bulk() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc := mech(pkcs11.CKM_SHA256)
		return func() error {
			sum, err := m.digestBulk(s, mc)
			if err == nil && len(sum) != 32 {
				err = fmt.Errorf("C_DigestFinal(CKM_SHA256) gave %d bytes, want 32", len(sum))
			}
			return err
		}, nil
	})
}

func (m *module) kwpWrap() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc := mech(m.x.kwpMech)
		return func() error {
			w, err := m.ctx.WrapKey(s, mc, m.x.kwKEK, m.x.kwTarget)
			if err != nil {
				return fmt.Errorf("C_WrapKey(%#x): %w", m.x.kwpMech, err)
			}
			if len(w) != 40 {
				return fmt.Errorf("C_WrapKey(%#x) gave %d bytes, want 40", m.x.kwpMech, len(w))
			}
			return nil
		}, nil
	})
}

// kwpUnwrap makes a session key per op; the keys are destroyed once the
// clock has stopped (generating), so the destruction is not timed.
func (m *module) kwpUnwrap() worker {
	std := m.std
	return m.generating(func(s pkcs11.SessionHandle) (func() ([]pkcs11.ObjectHandle, error), error) {
		mc, tmpl, blob := mech(m.x.kwpMech), unwrapTemplate(), std.x.kwBlob
		return func() ([]pkcs11.ObjectHandle, error) {
			h, err := m.ctx.UnwrapKey(s, mc, m.x.kwKEK, blob, tmpl)
			if err != nil {
				return nil, fmt.Errorf("C_UnwrapKey(%#x): %w", m.x.kwpMech, err)
			}
			return []pkcs11.ObjectHandle{h}, nil
		}, nil
	})
}

// ecdhDerive derives a session generic secret per op from the module's
// P-256 key and the fixed peer point; the keys are destroyed once the
// clock has stopped, untimed.
func (m *module) ecdhDerive() worker {
	return m.generating(func(s pkcs11.SessionHandle) (func() ([]pkcs11.ObjectHandle, error), error) {
		mc, tmpl := m.ecdhMech(), deriveTemplate()
		return func() ([]pkcs11.ObjectHandle, error) {
			h, err := m.ctx.DeriveKey(s, mc, m.x.ecdh, tmpl)
			if err != nil {
				return nil, classify(fmt.Errorf("C_DeriveKey(CKM_ECDH1_DERIVE): %w", err))
			}
			return []pkcs11.ObjectHandle{h}, nil
		}, nil
	})
}

func (m *module) rsaKeyGen() worker {
	return m.generating(func(s pkcs11.SessionHandle) (func() ([]pkcs11.ObjectHandle, error), error) {
		mc := mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN)
		pub, priv := rsaKeyPairTemplates("bench-rsa-gen", 2048)
		return func() ([]pkcs11.ObjectHandle, error) {
			hPub, hPriv, err := m.ctx.GenerateKeyPair(s, mc, pub, priv)
			if err != nil {
				return nil, fmt.Errorf("C_GenerateKeyPair(CKM_RSA_PKCS_KEY_PAIR_GEN, 2048, token): %w", err)
			}
			return []pkcs11.ObjectHandle{hPub, hPriv}, nil
		}, nil
	})
}

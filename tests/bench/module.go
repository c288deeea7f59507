package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/miekg/pkcs11"
)

// The token every module gets, with the same PINs.
const (
	tokenLabel = "bench"
	soPIN      = "12345678"
	userPIN    = "12345678"
)

// p256OID is CKA_EC_PARAMS for P-256: the DER of OID 1.2.840.10045.3.1.7.
var p256OID = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

// module is one PKCS#11 library under test, loaded in this process, with an
// initialised token, the user logged in, and the keys the cases use.
type module struct {
	name string
	ctx  *pkcs11.Ctx
	slot uint

	login   pkcs11.SessionHandle // keeps the login state alive
	ecPriv  pkcs11.ObjectHandle
	ecPub   pkcs11.ObjectHandle
	rsaPriv pkcs11.ObjectHandle
	rsaPub  pkcs11.ObjectHandle
	aesKey  pkcs11.ObjectHandle
	hmacKey pkcs11.ObjectHandle

	x   module4 // the keys of the issue 4 cases
	std *stdlib // the baseline, whose keys and inputs some cases share

	objects int // token data objects created for the find case

	// wrong holds the checks of checkOutputs that failed: those cases are
	// not measured on this module.
	wrong map[string]error
	// notes says, by check, how a case was measured on this module when
	// that differs from the others.
	notes map[string]string
}

// loadModule loads path (never to be unloaded: no Destroy, as a Go c-shared
// library must stay loaded), initialises it, sets up a token in its free
// slot and logs the user in. The caller has set the module's environment.
func loadModule(name, path string) (*module, error) {
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("cannot load %s", path)
	}
	if err := ctx.Initialize(); err != nil {
		return nil, fmt.Errorf("C_Initialize: %w", err)
	}
	m := &module{name: name, ctx: ctx}
	slot, err := initFreeToken(ctx)
	if err != nil {
		return nil, err
	}
	m.slot = slot

	s, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		return nil, fmt.Errorf("C_OpenSession: %w", err)
	}
	if err := ctx.Login(s, pkcs11.CKU_SO, soPIN); err != nil {
		return nil, fmt.Errorf("C_Login(SO): %w", err)
	}
	if err := ctx.InitPIN(s, userPIN); err != nil {
		return nil, fmt.Errorf("C_InitPIN: %w", err)
	}
	if err := ctx.Logout(s); err != nil {
		return nil, fmt.Errorf("C_Logout(SO): %w", err)
	}
	if err := ctx.Login(s, pkcs11.CKU_USER, userPIN); err != nil {
		return nil, fmt.Errorf("C_Login(user): %w", err)
	}
	m.login = s
	return m, nil
}

// initFreeToken initialises the token of the free slot and returns the slot
// where it then is (SoftHSMv2 moves a token to a new slot id).
func initFreeToken(ctx *pkcs11.Ctx) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	for _, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			return 0, fmt.Errorf("C_GetTokenInfo: %w", err)
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
			continue
		}
		if err := ctx.InitToken(s, soPIN, tokenLabel); err != nil {
			return 0, fmt.Errorf("C_InitToken: %w", err)
		}
		return findToken(ctx, tokenLabel)
	}
	return 0, errors.New("no slot with an uninitialised token (is the database fresh?)")
}

// findToken returns the slot of the token labelled label.
func findToken(ctx *pkcs11.Ctx, label string) (uint, error) {
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		return 0, fmt.Errorf("C_GetSlotList: %w", err)
	}
	for _, s := range slots {
		if ti, err := ctx.GetTokenInfo(s); err == nil && ti.Label == label {
			return s, nil
		}
	}
	return 0, fmt.Errorf("no token labelled %q", label)
}

func attr(t uint, v any) *pkcs11.Attribute { return pkcs11.NewAttribute(t, v) }

func mech(t uint) []*pkcs11.Mechanism { return []*pkcs11.Mechanism{pkcs11.NewMechanism(t, nil)} }

// The templates of the keys the cases use, all token objects.

func ecKeyPairTemplates(label string) (pub, priv []*pkcs11.Attribute) {
	pub = []*pkcs11.Attribute{
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_EC_PARAMS, p256OID), attr(pkcs11.CKA_VERIFY, true),
	}
	priv = []*pkcs11.Attribute{
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
		attr(pkcs11.CKA_SIGN, true),
	}
	return pub, priv
}

func aesKeyTemplate(label string) []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, label),
		attr(pkcs11.CKA_VALUE_LEN, 32), attr(pkcs11.CKA_PRIVATE, true),
		attr(pkcs11.CKA_SENSITIVE, true), attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, true),
	}
}

// setUpKeys makes the keys of the sign, verify, encrypt and HMAC cases.
func (m *module) setUpKeys(std *stdlib) error {
	c, s := m.ctx, m.login
	var err error
	pub, priv := ecKeyPairTemplates("bench-ec")
	if m.ecPub, m.ecPriv, err = c.GenerateKeyPair(s, mech(pkcs11.CKM_EC_KEY_PAIR_GEN), pub, priv); err != nil {
		return fmt.Errorf("C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN, P-256): %w", err)
	}
	m.rsaPub, m.rsaPriv, err = c.GenerateKeyPair(s, mech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{
			attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "bench-rsa"),
			attr(pkcs11.CKA_MODULUS_BITS, 2048), attr(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
			attr(pkcs11.CKA_VERIFY, true),
		},
		[]*pkcs11.Attribute{
			attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "bench-rsa"),
			attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true), attr(pkcs11.CKA_SIGN, true),
		})
	if err != nil {
		return fmt.Errorf("C_GenerateKeyPair(CKM_RSA_PKCS_KEY_PAIR_GEN, 2048): %w", err)
	}
	// The AES and HMAC keys are imported with the values the standard
	// library baseline uses, so that checkOutputs can compare results.
	m.aesKey, err = c.CreateObject(s, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "bench-aes"), attr(pkcs11.CKA_VALUE, std.aesKey),
		attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
		attr(pkcs11.CKA_ENCRYPT, true), attr(pkcs11.CKA_DECRYPT, true),
	})
	if err != nil {
		return fmt.Errorf("C_CreateObject(AES-256 key): %w", err)
	}
	m.hmacKey, err = c.CreateObject(s, []*pkcs11.Attribute{
		attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
		attr(pkcs11.CKA_TOKEN, true), attr(pkcs11.CKA_LABEL, "bench-hmac"), attr(pkcs11.CKA_VALUE, std.hmacKey),
		attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_SENSITIVE, true),
		attr(pkcs11.CKA_SIGN, true), attr(pkcs11.CKA_VERIFY, true),
	})
	if err != nil {
		return fmt.Errorf("C_CreateObject(generic secret key for HMAC): %w", err)
	}
	return nil
}

// objectLabel is the label of the i-th data object of the find case.
func objectLabel(i int) string { return fmt.Sprintf("bench-obj-%06d", i) }

// findTemplate is what the find case and the start-up child look for.
func findTemplate(label string) []*pkcs11.Attribute {
	return []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA), attr(pkcs11.CKA_LABEL, label)}
}

// createObjects creates n small private token data objects with unique
// labels, one C_CreateObject each, and returns the creation rate.
func (m *module) createObjects(n int, progress func(done int)) (float64, error) {
	value := make([]byte, 32)
	t0 := time.Now()
	for i := range n {
		binary.BigEndian.PutUint64(value, uint64(i))
		_, err := m.ctx.CreateObject(m.login, []*pkcs11.Attribute{
			attr(pkcs11.CKA_CLASS, pkcs11.CKO_DATA), attr(pkcs11.CKA_TOKEN, true),
			attr(pkcs11.CKA_PRIVATE, true), attr(pkcs11.CKA_LABEL, objectLabel(i)),
			attr(pkcs11.CKA_APPLICATION, "kagi-bench"), attr(pkcs11.CKA_VALUE, value),
		})
		if err != nil {
			return 0, fmt.Errorf("C_CreateObject #%d: %w", i, err)
		}
		if progress != nil && (i+1)%1000 == 0 {
			progress(i + 1)
		}
	}
	m.objects = n
	return float64(n) / time.Since(t0).Seconds(), nil
}

// session wraps a worker: its own R/W session on the token, closed after.
func (m *module) session(build func(s pkcs11.SessionHandle, i int) (op, error)) worker {
	return func(i int) (op, func(), error) {
		s, err := m.ctx.OpenSession(m.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return nil, nil, fmt.Errorf("C_OpenSession: %w", err)
		}
		cleanup := func() { m.ctx.CloseSession(s) }
		o, err := build(s, i)
		if err != nil {
			cleanup()
			return nil, nil, err
		}
		return o, cleanup, nil
	}
}

// The PKCS#11 side of each case: Init + the single-part call, as users do.

func (m *module) ecdsaSign() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc := mech(pkcs11.CKM_ECDSA)
		return func() error {
			if err := m.ctx.SignInit(s, mc, m.ecPriv); err != nil {
				return fmt.Errorf("C_SignInit(CKM_ECDSA): %w", err)
			}
			sig, err := m.ctx.Sign(s, digest[:])
			if err != nil {
				return fmt.Errorf("C_Sign(CKM_ECDSA): %w", err)
			}
			if len(sig) != 64 {
				return fmt.Errorf("C_Sign(CKM_ECDSA) gave %d bytes, want 64", len(sig))
			}
			return nil
		}, nil
	})
}

func (m *module) ecdsaVerify() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc := mech(pkcs11.CKM_ECDSA)
		if err := m.ctx.SignInit(s, mc, m.ecPriv); err != nil {
			return nil, fmt.Errorf("C_SignInit(CKM_ECDSA): %w", err)
		}
		sig, err := m.ctx.Sign(s, digest[:])
		if err != nil {
			return nil, fmt.Errorf("C_Sign(CKM_ECDSA): %w", err)
		}
		return func() error {
			if err := m.ctx.VerifyInit(s, mc, m.ecPub); err != nil {
				return fmt.Errorf("C_VerifyInit(CKM_ECDSA): %w", err)
			}
			if err := m.ctx.Verify(s, digest[:], sig); err != nil {
				return fmt.Errorf("C_Verify(CKM_ECDSA): %w", err)
			}
			return nil
		}, nil
	})
}

func (m *module) rsaSign() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc := mech(pkcs11.CKM_SHA256_RSA_PKCS)
		return func() error {
			if err := m.ctx.SignInit(s, mc, m.rsaPriv); err != nil {
				return fmt.Errorf("C_SignInit(CKM_SHA256_RSA_PKCS): %w", err)
			}
			sig, err := m.ctx.Sign(s, rsaData)
			if err != nil {
				return fmt.Errorf("C_Sign(CKM_SHA256_RSA_PKCS): %w", err)
			}
			if len(sig) != 256 {
				return fmt.Errorf("C_Sign(CKM_SHA256_RSA_PKCS) gave %d bytes, want 256", len(sig))
			}
			return nil
		}, nil
	})
}

func (m *module) aesGCM() worker {
	return m.session(func(s pkcs11.SessionHandle, i int) (op, error) {
		iv := make([]byte, 12)
		binary.BigEndian.PutUint32(iv, uint32(i))
		counter := uint64(0)
		return func() error {
			counter++
			binary.BigEndian.PutUint64(iv[4:], counter) // a fresh IV for every message
			params := pkcs11.NewGCMParams(iv, nil, 128)
			defer params.Free()
			if err := m.ctx.EncryptInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, m.aesKey); err != nil {
				return fmt.Errorf("C_EncryptInit(CKM_AES_GCM): %w", err)
			}
			ct, err := m.ctx.Encrypt(s, gcmPlaintext)
			if err != nil {
				return fmt.Errorf("C_Encrypt(CKM_AES_GCM): %w", err)
			}
			if len(ct) != len(gcmPlaintext)+16 {
				return fmt.Errorf("C_Encrypt(CKM_AES_GCM) gave %d bytes, want %d", len(ct), len(gcmPlaintext)+16)
			}
			return nil
		}, nil
	})
}

func (m *module) hmacSHA256() worker {
	return m.session(func(s pkcs11.SessionHandle, _ int) (op, error) {
		mc := mech(pkcs11.CKM_SHA256_HMAC)
		return func() error {
			if err := m.ctx.SignInit(s, mc, m.hmacKey); err != nil {
				return fmt.Errorf("C_SignInit(CKM_SHA256_HMAC): %w", err)
			}
			mac, err := m.ctx.Sign(s, hmacData)
			if err != nil {
				return fmt.Errorf("C_Sign(CKM_SHA256_HMAC): %w", err)
			}
			if len(mac) != 32 {
				return fmt.Errorf("C_Sign(CKM_SHA256_HMAC) gave %d bytes, want 32", len(mac))
			}
			return nil
		}, nil
	})
}

// The key generation cases make durable token objects. Each worker
// destroys what it made once the clock has stopped, so the tokens hold the
// same objects for every later case.

func (m *module) aesKeyGen() worker {
	return m.generating(func(s pkcs11.SessionHandle) (func() ([]pkcs11.ObjectHandle, error), error) {
		mc, tmpl := mech(pkcs11.CKM_AES_KEY_GEN), aesKeyTemplate("bench-aes-gen")
		return func() ([]pkcs11.ObjectHandle, error) {
			h, err := m.ctx.GenerateKey(s, mc, tmpl)
			if err != nil {
				return nil, fmt.Errorf("C_GenerateKey(CKM_AES_KEY_GEN, token): %w", err)
			}
			return []pkcs11.ObjectHandle{h}, nil
		}, nil
	})
}

func (m *module) ecKeyGen() worker {
	return m.generating(func(s pkcs11.SessionHandle) (func() ([]pkcs11.ObjectHandle, error), error) {
		mc := mech(pkcs11.CKM_EC_KEY_PAIR_GEN)
		pub, priv := ecKeyPairTemplates("bench-ec-gen")
		return func() ([]pkcs11.ObjectHandle, error) {
			hPub, hPriv, err := m.ctx.GenerateKeyPair(s, mc, pub, priv)
			if err != nil {
				return nil, fmt.Errorf("C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN, P-256, token): %w", err)
			}
			return []pkcs11.ObjectHandle{hPub, hPriv}, nil
		}, nil
	})
}

// generating is session for ops that create objects: it records them and
// destroys them in the worker's cleanup.
func (m *module) generating(build func(s pkcs11.SessionHandle) (func() ([]pkcs11.ObjectHandle, error), error)) worker {
	return func(i int) (op, func(), error) {
		s, err := m.ctx.OpenSession(m.slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			return nil, nil, fmt.Errorf("C_OpenSession: %w", err)
		}
		gen, err := build(s)
		if err != nil {
			m.ctx.CloseSession(s)
			return nil, nil, err
		}
		var made []pkcs11.ObjectHandle
		o := func() error {
			hs, err := gen()
			made = append(made, hs...)
			return err
		}
		cleanup := func() {
			for _, h := range made {
				if err := m.ctx.DestroyObject(s, h); err != nil {
					progress("%s: C_DestroyObject of a generated key: %v", m.name, err)
					break
				}
			}
			m.ctx.CloseSession(s)
		}
		return o, cleanup, nil
	}
}

// find looks one object up by label among m.objects: Init, one FindObjects,
// Final; exactly one must match.
func (m *module) find() worker {
	return m.session(func(s pkcs11.SessionHandle, i int) (op, error) {
		rng := rand.New(rand.NewPCG(uint64(i), 42))
		return func() error {
			label := objectLabel(rng.IntN(m.objects))
			if err := m.ctx.FindObjectsInit(s, findTemplate(label)); err != nil {
				return fmt.Errorf("C_FindObjectsInit: %w", err)
			}
			found, _, err := m.ctx.FindObjects(s, 2)
			if err != nil {
				return fmt.Errorf("C_FindObjects: %w", err)
			}
			if err := m.ctx.FindObjectsFinal(s); err != nil {
				return fmt.Errorf("C_FindObjectsFinal: %w", err)
			}
			if len(found) != 1 {
				return fmt.Errorf("C_FindObjects for %q found %d objects, want 1", label, len(found))
			}
			return nil
		}, nil
	})
}

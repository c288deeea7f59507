package interop

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
	"github.com/miekg/pkcs11"
)

// Cross-module interoperability: kagi and SoftHSMv2 loaded into one process
// through miekg/pkcs11, each with a fresh token. What one wraps the other
// unwraps to the same key, what one signs the other verifies, what one
// encrypts the other decrypts.
//
// A Go c-shared library reads its environment as the process started with
// it, and can be loaded only once per process; so TestCrossModule runs its
// checks in a child test process started with KAGI_DB and SOFTHSM2_CONF
// naming fresh temporary stores, and other tests of this package that load
// kagi in-process are not disturbed.

const (
	xmodSoftHSM  = "/usr/lib/softhsm/libsofthsm2.so"
	xmodChildEnv = "KAGI_INTEROP_XMOD_CHILD"
	xmodLabel    = "xmod"
	xmodSOPIN    = "12345678"
	xmodPIN      = "87654321"

	// CKM_AES_KEY_WRAP_PAD (0x210A) is what SoftHSMv2 2.6 calls RFC 5649;
	// CKM_AES_KEY_WRAP_KWP (0x210B) is PKCS#11 3.0's name for it.
	xmodKWPSoft = 0x210A
	xmodKWP     = 0x210B
)

var xmodP256 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

// xmodRequireSoftHSM skips (fails under CI) when SoftHSMv2 is missing.
func xmodRequireSoftHSM(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(xmodSoftHSM); err != nil {
		msg := fmt.Sprintf("%s is missing (Debian package softhsm2)", xmodSoftHSM)
		if inCI() {
			t.Fatalf("%s; CI must install it", msg)
		}
		t.Skipf("%s; skipping (under CI=true this is a failure)", msg)
	}
}

// xmodSoftHSMConf writes a SoftHSMv2 configuration with its token
// directory in dir and returns its path.
func xmodSoftHSMConf(t *testing.T, dir string) string {
	t.Helper()
	tokens := filepath.Join(dir, "softhsm-tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

func TestCrossModule(t *testing.T) {
	if os.Getenv(xmodChildEnv) != "" {
		xmodChild(t)
		return
	}
	t.Parallel()
	xmodRequireSoftHSM(t)
	requireTools(t, "pkcs11-tool", "openssl")
	module := moduleUnderTest(t)
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, "-test.run=^TestCrossModule$", "-test.v", "-test.count=1")
	cmd.Env = append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF", "SOFTHSM2_CONF", "KAGI_MODULE"),
		xmodChildEnv+"=1", "KAGI_MODULE="+module,
		"KAGI_DB="+filepath.Join(dir, "kagi.db"), "SOFTHSM2_CONF="+xmodSoftHSMConf(t, dir))
	out, err := cmd.CombinedOutput()
	t.Logf("child test process:\n%s", out)
	if err != nil {
		t.Fatalf("child test process: %v", err)
	}
	passes := strings.Count(string(out), "--- PASS: TestCrossModule/")
	if passes == 0 || strings.Contains(string(out), "--- SKIP") {
		t.Fatalf("the child ran no cross-module check, or skipped one")
	}
	t.Logf("%d cross-module checks pass", passes)
}

// xmodModule is one module in the child, with a token and the user logged
// in on session s.
type xmodModule struct {
	name string
	path string
	ctx  *pkcs11.Ctx
	s    pkcs11.SessionHandle
}

func xmodLoad(t *testing.T, name, path string) *xmodModule {
	t.Helper()
	ctx := pkcs11.New(path) // never Destroy: a Go c-shared library stays loaded
	if ctx == nil {
		t.Fatalf("cannot load %s", path)
	}
	if err := ctx.Initialize(); err != nil {
		t.Fatalf("%s C_Initialize: %v", name, err)
	}
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatalf("%s C_GetSlotList: %v", name, err)
	}
	var free = -1
	for i, s := range slots {
		ti, err := ctx.GetTokenInfo(s)
		if err != nil {
			t.Fatalf("%s C_GetTokenInfo: %v", name, err)
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			free = i
			break
		}
	}
	if free < 0 {
		t.Fatalf("%s: no free slot", name)
	}
	if err := ctx.InitToken(slots[free], xmodSOPIN, xmodLabel); err != nil {
		t.Fatalf("%s C_InitToken: %v", name, err)
	}
	// SoftHSMv2 moves an initialised token to a new slot id.
	slots, _ = ctx.GetSlotList(true)
	slot := ^uint(0)
	for _, s := range slots {
		if ti, err := ctx.GetTokenInfo(s); err == nil && ti.Label == xmodLabel {
			slot = s
		}
	}
	s, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatalf("%s C_OpenSession: %v", name, err)
	}
	for _, step := range []func() error{
		func() error { return ctx.Login(s, pkcs11.CKU_SO, xmodSOPIN) },
		func() error { return ctx.InitPIN(s, xmodPIN) },
		func() error { return ctx.Logout(s) },
		func() error { return ctx.Login(s, pkcs11.CKU_USER, xmodPIN) },
	} {
		if err := step(); err != nil {
			t.Fatalf("%s setting up the token: %v", name, err)
		}
	}
	return &xmodModule{name: name, path: path, ctx: ctx, s: s}
}

func xa(typ uint, v any) *pkcs11.Attribute { return pkcs11.NewAttribute(typ, v) }

func xmech(typ uint, param any) []*pkcs11.Mechanism {
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(typ, param)}
}

// create makes a session object.
func (m *xmodModule) create(t *testing.T, tmpl ...*pkcs11.Attribute) pkcs11.ObjectHandle {
	t.Helper()
	h, err := m.ctx.CreateObject(m.s, append([]*pkcs11.Attribute{xa(pkcs11.CKA_TOKEN, false)}, tmpl...))
	if err != nil {
		t.Fatalf("%s C_CreateObject: %v", m.name, err)
	}
	return h
}

// aesKey imports an AES key with the given value for every use.
func (m *xmodModule) aesKey(t *testing.T, value []byte, extra ...*pkcs11.Attribute) pkcs11.ObjectHandle {
	t.Helper()
	return m.create(t, append([]*pkcs11.Attribute{
		xa(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), xa(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		xa(pkcs11.CKA_VALUE, value), xa(pkcs11.CKA_ENCRYPT, true), xa(pkcs11.CKA_DECRYPT, true),
		xa(pkcs11.CKA_WRAP, true), xa(pkcs11.CKA_UNWRAP, true),
	}, extra...)...)
}

// genAES generates an extractable, non-sensitive AES-256 session key.
func (m *xmodModule) genAES(t *testing.T) pkcs11.ObjectHandle {
	t.Helper()
	h, err := m.ctx.GenerateKey(m.s, xmech(pkcs11.CKM_AES_KEY_GEN, nil), []*pkcs11.Attribute{
		xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_VALUE_LEN, 32), xa(pkcs11.CKA_ENCRYPT, true),
		xa(pkcs11.CKA_DECRYPT, true), xa(pkcs11.CKA_EXTRACTABLE, true), xa(pkcs11.CKA_SENSITIVE, false),
	})
	if err != nil {
		t.Fatalf("%s C_GenerateKey(CKM_AES_KEY_GEN): %v", m.name, err)
	}
	return h
}

// unwrapTemplate is the template of an unwrapped AES key.
func xmodUnwrapAES() []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), xa(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		xa(pkcs11.CKA_ENCRYPT, true), xa(pkcs11.CKA_DECRYPT, true),
		xa(pkcs11.CKA_EXTRACTABLE, true), xa(pkcs11.CKA_SENSITIVE, false),
	}
}

func (m *xmodModule) value(t *testing.T, h pkcs11.ObjectHandle, typ uint) []byte {
	t.Helper()
	a, err := m.ctx.GetAttributeValue(m.s, h, []*pkcs11.Attribute{xa(typ, nil)})
	if err != nil {
		t.Fatalf("%s C_GetAttributeValue(%#x): %v", m.name, typ, err)
	}
	return a[0].Value
}

func (m *xmodModule) encrypt(t *testing.T, mech []*pkcs11.Mechanism, h pkcs11.ObjectHandle, data []byte) []byte {
	t.Helper()
	if err := m.ctx.EncryptInit(m.s, mech, h); err != nil {
		t.Fatalf("%s C_EncryptInit(%#x): %v", m.name, mech[0].Mechanism, err)
	}
	out, err := m.ctx.Encrypt(m.s, data)
	if err != nil {
		t.Fatalf("%s C_Encrypt(%#x): %v", m.name, mech[0].Mechanism, err)
	}
	return out
}

func (m *xmodModule) decrypt(mech []*pkcs11.Mechanism, h pkcs11.ObjectHandle, data []byte) ([]byte, error) {
	if err := m.ctx.DecryptInit(m.s, mech, h); err != nil {
		return nil, fmt.Errorf("%s C_DecryptInit(%#x): %w", m.name, mech[0].Mechanism, err)
	}
	out, err := m.ctx.Decrypt(m.s, data)
	if err != nil {
		return nil, fmt.Errorf("%s C_Decrypt(%#x): %w", m.name, mech[0].Mechanism, err)
	}
	return out, nil
}

func (m *xmodModule) sign(t *testing.T, mech []*pkcs11.Mechanism, h pkcs11.ObjectHandle, data []byte) []byte {
	t.Helper()
	if err := m.ctx.SignInit(m.s, mech, h); err != nil {
		t.Fatalf("%s C_SignInit(%#x): %v", m.name, mech[0].Mechanism, err)
	}
	sig, err := m.ctx.Sign(m.s, data)
	if err != nil {
		t.Fatalf("%s C_Sign(%#x): %v", m.name, mech[0].Mechanism, err)
	}
	return sig
}

func (m *xmodModule) verify(mech []*pkcs11.Mechanism, h pkcs11.ObjectHandle, data, sig []byte) error {
	if err := m.ctx.VerifyInit(m.s, mech, h); err != nil {
		return fmt.Errorf("%s C_VerifyInit(%#x): %w", m.name, mech[0].Mechanism, err)
	}
	return m.ctx.Verify(m.s, data, sig)
}

// xmodIsRV reports whether err is the PKCS#11 error rv.
func xmodIsRV(err error, rv uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == rv
}

// xmodPair is a key pair on one module.
type xmodPair struct{ pub, priv pkcs11.ObjectHandle }

// genRSA generates an RSA-2048 key pair for signing and decryption.
func (m *xmodModule) genRSA(t *testing.T) xmodPair {
	t.Helper()
	pub, priv, err := m.ctx.GenerateKeyPair(m.s, xmech(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil),
		[]*pkcs11.Attribute{xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_MODULUS_BITS, 2048),
			xa(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}), xa(pkcs11.CKA_VERIFY, true),
			xa(pkcs11.CKA_ENCRYPT, true), xa(pkcs11.CKA_WRAP, true)},
		[]*pkcs11.Attribute{xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_PRIVATE, true), xa(pkcs11.CKA_SENSITIVE, true),
			xa(pkcs11.CKA_SIGN, true), xa(pkcs11.CKA_DECRYPT, true), xa(pkcs11.CKA_UNWRAP, true)})
	if err != nil {
		t.Fatalf("%s C_GenerateKeyPair(RSA): %v", m.name, err)
	}
	return xmodPair{pub, priv}
}

// genEC generates a P-256 key pair for signing.
func (m *xmodModule) genEC(t *testing.T) xmodPair {
	t.Helper()
	pub, priv, err := m.ctx.GenerateKeyPair(m.s, xmech(pkcs11.CKM_EC_KEY_PAIR_GEN, nil),
		[]*pkcs11.Attribute{xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_EC_PARAMS, xmodP256), xa(pkcs11.CKA_VERIFY, true)},
		[]*pkcs11.Attribute{xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_PRIVATE, true), xa(pkcs11.CKA_SENSITIVE, true),
			xa(pkcs11.CKA_SIGN, true)})
	if err != nil {
		t.Fatalf("%s C_GenerateKeyPair(EC): %v", m.name, err)
	}
	return xmodPair{pub, priv}
}

// copyPublic reads the public key h of from and creates it on to; it also
// returns it as a Go key for a third opinion.
func xmodCopyPublic(t *testing.T, from, to *xmodModule, h pkcs11.ObjectHandle) (pkcs11.ObjectHandle, crypto.PublicKey) {
	t.Helper()
	if xmodULong(from.value(t, h, pkcs11.CKA_KEY_TYPE)) == pkcs11.CKK_RSA {
		n, e := from.value(t, h, pkcs11.CKA_MODULUS), from.value(t, h, pkcs11.CKA_PUBLIC_EXPONENT)
		dst := to.create(t, xa(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY), xa(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			xa(pkcs11.CKA_MODULUS, n), xa(pkcs11.CKA_PUBLIC_EXPONENT, e),
			xa(pkcs11.CKA_VERIFY, true), xa(pkcs11.CKA_ENCRYPT, true), xa(pkcs11.CKA_WRAP, true))
		return dst, &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	}
	{
		params, point := from.value(t, h, pkcs11.CKA_EC_PARAMS), from.value(t, h, pkcs11.CKA_EC_POINT)
		dst := to.create(t, xa(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY), xa(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
			xa(pkcs11.CKA_EC_PARAMS, params), xa(pkcs11.CKA_EC_POINT, point), xa(pkcs11.CKA_VERIFY, true))
		var raw []byte
		if _, err := asn1.Unmarshal(point, &raw); err != nil {
			t.Fatalf("%s CKA_EC_POINT %x is not a DER OCTET STRING: %v", from.name, point, err)
		}
		x, y := elliptic.Unmarshal(elliptic.P256(), raw)
		if x == nil {
			t.Fatalf("%s CKA_EC_POINT %x is not a P-256 point", from.name, point)
		}
		return dst, &ecdsa.PublicKey{Curve: elliptic.P256(), X: x, Y: y}
	}
}

// xmodULong decodes a CK_ULONG attribute value (native byte order, as
// miekg/pkcs11 returns it).
func xmodULong(b []byte) uint {
	var v uint
	for i := len(b) - 1; i >= 0; i-- {
		v = v<<8 | uint(b[i])
	}
	return v
}

// xmodChild runs the checks with both modules loaded.
func xmodChild(t *testing.T) {
	kagi := xmodLoad(t, "kagi", os.Getenv("KAGI_MODULE"))
	soft := xmodLoad(t, "SoftHSMv2", xmodSoftHSM)
	pairs := [][2]*xmodModule{{soft, kagi}, {kagi, soft}}
	msg := []byte("the same message through two PKCS#11 modules")

	for _, p := range pairs {
		from, to := p[0], p[1]
		name := from.name + " to " + to.name

		t.Run("AES-KW "+name, func(t *testing.T) {
			kek := make([]byte, 32)
			rand.Read(kek)
			fk, tk := from.aesKey(t, kek), to.aesKey(t, kek)
			target := from.genAES(t)
			blob, err := from.ctx.WrapKey(from.s, xmech(pkcs11.CKM_AES_KEY_WRAP, nil), fk, target)
			if err != nil {
				t.Fatalf("%s C_WrapKey(CKM_AES_KEY_WRAP): %v", from.name, err)
			}
			got, err := to.ctx.UnwrapKey(to.s, xmech(pkcs11.CKM_AES_KEY_WRAP, nil), tk, blob, xmodUnwrapAES())
			if err != nil {
				t.Fatalf("%s C_UnwrapKey(CKM_AES_KEY_WRAP): %v", to.name, err)
			}
			xmodSameAESKey(t, from, target, to, got)
			// AES-KW is deterministic: the other module wraps the key it
			// unwrapped to the same bytes.
			again, err := to.ctx.WrapKey(to.s, xmech(pkcs11.CKM_AES_KEY_WRAP, nil), tk, got)
			if err != nil {
				t.Fatalf("%s C_WrapKey(CKM_AES_KEY_WRAP): %v", to.name, err)
			}
			if !bytes.Equal(again, blob) {
				t.Errorf("%s wraps to %x, %s to %x", to.name, again, from.name, blob)
			}
			bad := append([]byte(nil), blob...)
			bad[3] ^= 1
			if _, err := to.ctx.UnwrapKey(to.s, xmech(pkcs11.CKM_AES_KEY_WRAP, nil), tk, bad, xmodUnwrapAES()); err == nil {
				t.Errorf("%s unwraps an altered AES-KW blob", to.name)
			}
		})

		t.Run("AES-KWP EC private key "+name, func(t *testing.T) {
			// An extractable EC private key, wrapped with RFC 5649 (its
			// PKCS#8 encoding is not a multiple of 8 bytes long), signs in
			// the other module; its public key, copied, verifies there.
			kek := make([]byte, 32)
			rand.Read(kek)
			fk, tk := from.aesKey(t, kek), to.aesKey(t, kek)
			pub, priv, err := from.ctx.GenerateKeyPair(from.s, xmech(pkcs11.CKM_EC_KEY_PAIR_GEN, nil),
				[]*pkcs11.Attribute{xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_EC_PARAMS, xmodP256), xa(pkcs11.CKA_VERIFY, true)},
				[]*pkcs11.Attribute{xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_PRIVATE, true), xa(pkcs11.CKA_SENSITIVE, true),
					xa(pkcs11.CKA_EXTRACTABLE, true), xa(pkcs11.CKA_SIGN, true)})
			if err != nil {
				t.Fatalf("%s C_GenerateKeyPair(EC): %v", from.name, err)
			}
			// SoftHSMv2 knows RFC 5649 only as CKM_AES_KEY_WRAP_PAD; kagi
			// uses the PKCS#11 3.0 CKM_AES_KEY_WRAP_KWP and answers to
			// SoftHSMv2's name as well (checked below).
			kwpOf := func(m *xmodModule) uint {
				if m == soft {
					return xmodKWPSoft
				}
				return xmodKWP
			}
			fromMech, toMech := kwpOf(from), kwpOf(to)
			blob, err := from.ctx.WrapKey(from.s, xmech(fromMech, nil), fk, priv)
			if err != nil {
				t.Fatalf("%s C_WrapKey(%#x): %v", from.name, fromMech, err)
			}
			h, err := to.ctx.UnwrapKey(to.s, xmech(toMech, nil), tk, blob, []*pkcs11.Attribute{
				xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), xa(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
				xa(pkcs11.CKA_PRIVATE, true), xa(pkcs11.CKA_SENSITIVE, true), xa(pkcs11.CKA_SIGN, true)})
			if err != nil {
				t.Fatalf("%s C_UnwrapKey(%#x) of %s's blob: %v", to.name, toMech, from.name, err)
			}
			digest := sha256.Sum256(msg)
			sig := to.sign(t, xmech(pkcs11.CKM_ECDSA, nil), h, digest[:])
			if err := from.verify(xmech(pkcs11.CKM_ECDSA, nil), pub, digest[:], sig); err != nil {
				t.Errorf("%s rejects the signature of the key %s unwrapped: %v", from.name, to.name, err)
			}
			_, goPub := xmodCopyPublic(t, from, to, pub)
			if !xmodVerifyECDSA(goPub.(*ecdsa.PublicKey), digest[:], sig) {
				t.Errorf("crypto/ecdsa rejects the signature of the key %s unwrapped", to.name)
			}
			if to != kagi {
				return
			}
			if _, err := to.ctx.UnwrapKey(to.s, xmech(xmodKWPSoft, nil), tk, blob, []*pkcs11.Attribute{
				xa(pkcs11.CKA_TOKEN, false), xa(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), xa(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
				xa(pkcs11.CKA_SIGN, true)}); err != nil {
				t.Errorf("kagi C_UnwrapKey(CKM_AES_KEY_WRAP_PAD), SoftHSMv2's name, of SoftHSMv2's blob: %v", err)
			}
		})

		t.Run("RSA-OAEP SHA-1 wrap "+name, func(t *testing.T) {
			// The unwrapping module owns the RSA key; the wrapping module
			// holds a copy of its public key.
			pair := to.genRSA(t)
			pub, _ := xmodCopyPublic(t, to, from, pair.pub)
			oaep := xmech(pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.NewOAEPParams(pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1, pkcs11.CKZ_DATA_SPECIFIED, nil))
			target := from.genAES(t)
			blob, err := from.ctx.WrapKey(from.s, oaep, pub, target)
			if err != nil {
				t.Fatalf("%s C_WrapKey(CKM_RSA_PKCS_OAEP): %v", from.name, err)
			}
			got, err := to.ctx.UnwrapKey(to.s, oaep, pair.priv, blob, xmodUnwrapAES())
			if err != nil {
				t.Fatalf("%s C_UnwrapKey(CKM_RSA_PKCS_OAEP): %v", to.name, err)
			}
			xmodSameAESKey(t, from, target, to, got)
		})

		t.Run("RSA and ECDSA signatures "+name, func(t *testing.T) {
			rsaPair, ecPair := from.genRSA(t), from.genEC(t)
			rsaPub, goRSA := xmodCopyPublic(t, from, to, rsaPair.pub)
			ecPub, goEC := xmodCopyPublic(t, from, to, ecPair.pub)
			digest := sha256.Sum256(msg)
			pss := pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32)
			for _, c := range []struct {
				name  string
				mech  []*pkcs11.Mechanism
				key   pkcs11.ObjectHandle
				pub   pkcs11.ObjectHandle
				data  []byte
				check func(sig []byte) error
			}{
				{"CKM_SHA256_RSA_PKCS", xmech(pkcs11.CKM_SHA256_RSA_PKCS, nil), rsaPair.priv, rsaPub, msg,
					func(sig []byte) error {
						return rsa.VerifyPKCS1v15(goRSA.(*rsa.PublicKey), crypto.SHA256, digest[:], sig)
					}},
				{"CKM_SHA256_RSA_PKCS_PSS", xmech(pkcs11.CKM_SHA256_RSA_PKCS_PSS, pss), rsaPair.priv, rsaPub, msg,
					func(sig []byte) error {
						return rsa.VerifyPSS(goRSA.(*rsa.PublicKey), crypto.SHA256, digest[:], sig, &rsa.PSSOptions{SaltLength: 32})
					}},
				{"CKM_ECDSA (SHA-256 digest)", xmech(pkcs11.CKM_ECDSA, nil), ecPair.priv, ecPub, digest[:],
					func(sig []byte) error {
						if !xmodVerifyECDSA(goEC.(*ecdsa.PublicKey), digest[:], sig) {
							return errors.New("crypto/ecdsa rejects it")
						}
						return nil
					}},
			} {
				sig := from.sign(t, c.mech, c.key, c.data)
				if err := to.verify(c.mech, c.pub, c.data, sig); err != nil {
					t.Errorf("%s: %s rejects %s's signature: %v", c.name, to.name, from.name, err)
				}
				if err := c.check(sig); err != nil {
					t.Errorf("%s: the Go standard library rejects %s's signature: %v", c.name, from.name, err)
				}
				bad := append([]byte(nil), sig...)
				bad[len(bad)/2] ^= 1
				if err := to.verify(c.mech, c.pub, c.data, bad); !xmodIsRV(err, pkcs11.CKR_SIGNATURE_INVALID) {
					t.Errorf("%s: %s on an altered signature: %v, want CKR_SIGNATURE_INVALID", c.name, to.name, err)
				}
			}
		})

		t.Run("AES-CBC-PAD and AES-GCM "+name, func(t *testing.T) {
			key := make([]byte, 32)
			rand.Read(key)
			fk, tk := from.aesKey(t, key), to.aesKey(t, key)
			iv := make([]byte, 16)
			rand.Read(iv)
			data := bytes.Repeat([]byte("0123456789abcdef!"), 61) // not a multiple of the block size
			cbc := xmech(pkcs11.CKM_AES_CBC_PAD, iv)
			ct := from.encrypt(t, cbc, fk, data)
			if got, err := to.decrypt(cbc, tk, ct); err != nil || !bytes.Equal(got, data) {
				t.Errorf("CKM_AES_CBC_PAD: %s does not decrypt %s's ciphertext (%v)", to.name, from.name, err)
			}
			if other := to.encrypt(t, cbc, tk, data); !bytes.Equal(other, ct) {
				t.Errorf("CKM_AES_CBC_PAD: the modules' ciphertexts differ")
			}

			nonce := make([]byte, 12)
			rand.Read(nonce)
			aad := []byte("associated data")
			gcm := func() []*pkcs11.Mechanism { return xmech(pkcs11.CKM_AES_GCM, pkcs11.NewGCMParams(nonce, aad, 128)) }
			ct = from.encrypt(t, gcm(), fk, data)
			if len(ct) != len(data)+16 {
				t.Fatalf("CKM_AES_GCM: %s gives %d bytes for %d", from.name, len(ct), len(data))
			}
			if got, err := to.decrypt(gcm(), tk, ct); err != nil || !bytes.Equal(got, data) {
				t.Errorf("CKM_AES_GCM: %s does not decrypt %s's ciphertext (%v)", to.name, from.name, err)
			}
			ct[7] ^= 1
			if _, err := to.decrypt(gcm(), tk, ct); err == nil {
				t.Errorf("CKM_AES_GCM: %s decrypts an altered ciphertext", to.name)
			}
		})

		t.Run("RSA-OAEP SHA-1 encryption "+name, func(t *testing.T) {
			pair := to.genRSA(t)
			pub, goPub := xmodCopyPublic(t, to, from, pair.pub)
			oaep := xmech(pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.NewOAEPParams(pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1, pkcs11.CKZ_DATA_SPECIFIED, nil))
			ct := from.encrypt(t, oaep, pub, msg)
			if got, err := to.decrypt(oaep, pair.priv, ct); err != nil || !bytes.Equal(got, msg) {
				t.Errorf("%s does not decrypt %s's OAEP ciphertext (%v)", to.name, from.name, err)
			}
			// And a ciphertext of the Go standard library.
			ct2, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, goPub.(*rsa.PublicKey), msg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := to.decrypt(oaep, pair.priv, ct2); err != nil || !bytes.Equal(got, msg) {
				t.Errorf("%s does not decrypt crypto/rsa's OAEP ciphertext (%v)", to.name, err)
			}
		})
	}

	t.Run("pkcs11-tool moves a certificate and key pair from SoftHSMv2 to kagi", func(t *testing.T) { xmodMove(t, soft, kagi) })

	t.Run("same imported key pair signs alike", func(t *testing.T) {
		// RSA PKCS#1 v1.5 is deterministic: the same private key imported
		// into both modules gives the same signature.
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		k.Precompute()
		var sigs [][]byte
		for _, m := range []*xmodModule{soft, kagi} {
			h := m.create(t, xa(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), xa(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
				xa(pkcs11.CKA_PRIVATE, true), xa(pkcs11.CKA_SENSITIVE, true), xa(pkcs11.CKA_SIGN, true),
				xa(pkcs11.CKA_MODULUS, k.N.Bytes()), xa(pkcs11.CKA_PUBLIC_EXPONENT, big.NewInt(int64(k.E)).Bytes()),
				xa(pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes()), xa(pkcs11.CKA_PRIME_1, k.Primes[0].Bytes()),
				xa(pkcs11.CKA_PRIME_2, k.Primes[1].Bytes()), xa(pkcs11.CKA_EXPONENT_1, k.Precomputed.Dp.Bytes()),
				xa(pkcs11.CKA_EXPONENT_2, k.Precomputed.Dq.Bytes()), xa(pkcs11.CKA_COEFFICIENT, k.Precomputed.Qinv.Bytes()))
			sigs = append(sigs, m.sign(t, xmech(pkcs11.CKM_SHA256_RSA_PKCS, nil), h, msg))
		}
		if !bytes.Equal(sigs[0], sigs[1]) {
			t.Errorf("the same RSA key signs differently: SoftHSMv2 %x, kagi %x", sigs[0], sigs[1])
		}
		digest := sha256.Sum256(msg)
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, crypto.SHA256, digest[:], sigs[1]); err != nil {
			t.Errorf("crypto/rsa rejects the signature: %v", err)
		}
	})
}

// xmodMove moves a certificate and its RSA key pair from SoftHSMv2 to kagi
// as an administrator would: pkcs11-tool generates the key pair on SoftHSMv2
// (private key extractable), reads the public key and, once a CA has
// certified it, the certificate, and writes both into kagi. pkcs11-tool
// 0.23 neither reads nor wraps private keys, so the private key moves by
// C_WrapKey on SoftHSMv2 and C_UnwrapKey on kagi (RFC 5649 under a shared
// KEK). kagi then signs with pkcs11-tool, and OpenSSL verifies with the
// certificate read back from kagi.
func xmodMove(t *testing.T, soft, kagi *xmodModule) {
	dir := t.TempDir()
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		t.Logf("%s %s\n%s", name, strings.Join(args, " "), out)
		if err != nil {
			t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
		}
		return string(out)
	}
	tool := func(module string, args ...string) string {
		t.Helper()
		return run("pkcs11-tool", append([]string{"--module", module, "--token-label", xmodLabel, "--login", "--pin", xmodPIN}, args...)...)
	}
	const id = "a1"
	tool(xmodSoftHSM, "--keypairgen", "--key-type", "rsa:2048", "--id", id, "--label", "moved", "--extractable", "--usage-sign")
	tool(xmodSoftHSM, "--read-object", "--type", "pubkey", "--id", id, "-o", "soft-pub.der")
	run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=kagi interop CA", "-days", "30")
	run("openssl", "x509", "-new", "-force_pubkey", "soft-pub.der", "-subj", "/CN=moved", "-CA", "ca.pem", "-CAkey", "ca.key",
		"-days", "30", "-outform", "DER", "-out", "issued.der")
	tool(xmodSoftHSM, "--write-object", "issued.der", "--type", "cert", "--id", id, "--label", "moved")

	// Certificate and public key: read from SoftHSMv2, written into kagi.
	tool(xmodSoftHSM, "--read-object", "--type", "cert", "--id", id, "-o", "soft-cert.der")
	tool(kagi.modulePath(), "--write-object", "soft-cert.der", "--type", "cert", "--id", id, "--label", "moved")
	tool(kagi.modulePath(), "--write-object", "soft-pub.der", "--type", "pubkey", "--id", id, "--label", "moved", "--usage-sign")

	// The private key, found by CKA_ID on SoftHSMv2 (pkcs11-tool made it in
	// another process).
	idBytes := []byte{0xa1}
	if err := soft.ctx.FindObjectsInit(soft.s, []*pkcs11.Attribute{xa(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), xa(pkcs11.CKA_ID, idBytes)}); err != nil {
		t.Fatal(err)
	}
	found, _, err := soft.ctx.FindObjects(soft.s, 2)
	soft.ctx.FindObjectsFinal(soft.s)
	if err != nil || len(found) != 1 {
		t.Fatalf("SoftHSMv2: %d private keys with CKA_ID %s (%v), want 1", len(found), id, err)
	}
	kek := make([]byte, 32)
	rand.Read(kek)
	blob, err := soft.ctx.WrapKey(soft.s, xmech(xmodKWPSoft, nil), soft.aesKey(t, kek), found[0])
	if err != nil {
		t.Fatalf("SoftHSMv2 C_WrapKey(CKM_AES_KEY_WRAP_PAD) of the extractable private key: %v", err)
	}
	if _, err := kagi.ctx.UnwrapKey(kagi.s, xmech(xmodKWP, nil), kagi.aesKey(t, kek), blob, []*pkcs11.Attribute{
		xa(pkcs11.CKA_TOKEN, true), xa(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY), xa(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
		xa(pkcs11.CKA_ID, idBytes), xa(pkcs11.CKA_LABEL, "moved"), xa(pkcs11.CKA_PRIVATE, true),
		xa(pkcs11.CKA_SENSITIVE, true), xa(pkcs11.CKA_SIGN, true)}); err != nil {
		t.Fatalf("kagi C_UnwrapKey(CKM_AES_KEY_WRAP_KWP) into a token object: %v", err)
	}

	// On kagi: the certificate and public key read back are the ones
	// written, and the key signs what OpenSSL verifies with the
	// certificate's key.
	tool(kagi.modulePath(), "--read-object", "--type", "cert", "--id", id, "-o", "kagi-cert.der")
	tool(kagi.modulePath(), "--read-object", "--type", "pubkey", "--id", id, "-o", "kagi-pub.der")
	for _, pair := range [][2]string{{"soft-cert.der", "kagi-cert.der"}, {"soft-pub.der", "kagi-pub.der"}, {"issued.der", "kagi-cert.der"}} {
		a, _ := os.ReadFile(filepath.Join(dir, pair[0]))
		b, _ := os.ReadFile(filepath.Join(dir, pair[1]))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s and %s differ", pair[0], pair[1])
		}
	}
	run("openssl", "x509", "-inform", "DER", "-in", "kagi-cert.der", "-out", "kagi-cert.pem")
	run("openssl", "verify", "-CAfile", "ca.pem", "kagi-cert.pem")
	run("openssl", "x509", "-in", "kagi-cert.pem", "-pubkey", "-noout", "-out", "cert-pub.pem")
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("signed by a key that moved from SoftHSMv2 to kagi\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tool(kagi.modulePath(), "--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", id, "-i", "data", "-o", "sig")
	if out := run("openssl", "dgst", "-sha256", "-verify", "cert-pub.pem", "-signature", "sig", "data"); !strings.Contains(out, "Verified OK") {
		t.Errorf("openssl does not report Verified OK")
	}
	tool(kagi.modulePath(), "--sign", "--mechanism", "SHA256-RSA-PKCS-PSS", "--id", id, "-i", "data", "-o", "sig-pss")
	if out := run("openssl", "dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:-1",
		"-verify", "cert-pub.pem", "-signature", "sig-pss", "data"); !strings.Contains(out, "Verified OK") {
		t.Errorf("openssl does not report Verified OK for the PSS signature")
	}
	// And a signature over other data does not verify.
	if err := os.WriteFile(filepath.Join(dir, "data"), []byte("other data\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("openssl", "dgst", "-sha256", "-verify", "cert-pub.pem", "-signature", "sig", "data")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil || strings.Contains(string(out), "Verified OK") {
		t.Errorf("openssl verifies the signature over other data: %s", out)
	}
}

func (m *xmodModule) modulePath() string { return m.path }

// xmodSameAESKey checks that two AES keys on two modules are the same key:
// their CKA_VALUEs match and they encrypt a block alike.
func xmodSameAESKey(t *testing.T, a *xmodModule, ah pkcs11.ObjectHandle, b *xmodModule, bh pkcs11.ObjectHandle) {
	t.Helper()
	av, bv := a.value(t, ah, pkcs11.CKA_VALUE), b.value(t, bh, pkcs11.CKA_VALUE)
	if len(av) != 32 || !bytes.Equal(av, bv) {
		t.Errorf("CKA_VALUE: %s has %x, %s has %x", a.name, av, b.name, bv)
	}
	block := []byte("sixteen byte blk")
	ea := a.encrypt(t, xmech(pkcs11.CKM_AES_ECB, nil), ah, block)
	eb := b.encrypt(t, xmech(pkcs11.CKM_AES_ECB, nil), bh, block)
	if !bytes.Equal(ea, eb) {
		t.Errorf("CKM_AES_ECB: %s gives %x, %s gives %x", a.name, ea, b.name, eb)
	}
}

// xmodVerifyECDSA checks a PKCS#11 ECDSA signature (r || s) over digest.
func xmodVerifyECDSA(pub *ecdsa.PublicKey, digest, sig []byte) bool {
	if len(sig) != 64 {
		return false
	}
	return ecdsa.Verify(pub, digest, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
}

package clients

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

const (
	c11Token = "c11"
	c11SOPIN = "12345678"
	c11PIN   = "1234"
)

// keep holds every crypto11 context that must never be closed.
//
// crypto11 shares one module handle per path between its contexts and
// reference-counts it: Context.Close of the last context calls C_Finalize
// and then pkcs11.Ctx.Destroy, which dlcloses the module. A Go c-shared
// library must never be unloaded, so this test always keeps one context
// open (and never calls Destroy on its own miekg context either).
var keep []*crypto11.Context

// TestCrypto11 generates an RSA and an EC key pair through crypto11, finds
// them (and an EC key pair made by pkcs11-tool) by label, signs through
// crypto.Signer and verifies with the Go standard library; then a new
// context, opened after the first one is closed, finds the same keys.
func TestCrypto11(t *testing.T) {
	setUpToken(t)

	// A key pair from another client, if pkcs11-tool is at hand. It runs in
	// another process on the same database, before crypto11 loads.
	toolKey := false
	if _, err := exec.LookPath("pkcs11-tool"); err == nil {
		p := &p11tool{t: t, env: envWithDB(inProcessDB), dir: filepath.Dir(inProcessDB)}
		p.must("--token-label", c11Token, "--login", "--pin", c11PIN,
			"--keypairgen", "--key-type", "EC:prime256v1", "--label", "tool-ec", "--id", "0a")
		toolKey = true
	} else if ciSet() {
		t.Fatalf("pkcs11-tool is not installed (Debian package opensc); CI must install it")
	} else {
		t.Logf("pkcs11-tool is not installed: skipping the key pair it would make")
	}

	config := &crypto11.Config{Path: module, TokenLabel: c11Token, Pin: c11PIN}
	ctx1, err := crypto11.Configure(config)
	if err != nil {
		t.Fatalf("crypto11.Configure: %v", err)
	}

	if _, err := ctx1.GenerateRSAKeyPairWithLabel(randomID(t), []byte("c11-rsa"), 2048); err != nil {
		t.Errorf("GenerateRSAKeyPairWithLabel(2048): %v", err)
	}
	if _, err := ctx1.GenerateECDSAKeyPairWithLabel(randomID(t), []byte("c11-ec"), elliptic.P256()); err != nil {
		t.Errorf("GenerateECDSAKeyPairWithLabel(P-256): %v", err)
	}

	labels := []string{"c11-rsa", "c11-ec"}
	if toolKey {
		labels = append(labels, "tool-ec")
	}
	for _, label := range labels {
		t.Run("first-context/"+label, func(t *testing.T) { signAndVerify(t, ctx1, label) })
	}

	// A second context holds the module while the first one closes; a
	// third, opened after that, must find the same keys by label.
	ctx2, err := crypto11.Configure(config)
	if err != nil {
		t.Fatalf("crypto11.Configure (second context): %v", err)
	}
	keep = append(keep, ctx2)
	if err := ctx1.Close(); err != nil {
		t.Errorf("first context Close: %v", err)
	}
	ctx3, err := crypto11.Configure(config)
	if err != nil {
		t.Fatalf("crypto11.Configure after the first context closed: %v", err)
	}
	for _, label := range labels {
		t.Run("after-close/"+label, func(t *testing.T) { signAndVerify(t, ctx3, label) })
	}
	if err := ctx3.Close(); err != nil { // not the last reference: ctx2 stays
		t.Errorf("third context Close: %v", err)
	}
}

// signAndVerify finds the key pair labelled label, signs a SHA-256 digest
// through crypto.Signer and checks the signature with the Go standard
// library (and that it fails on another digest).
func signAndVerify(t *testing.T, ctx *crypto11.Context, label string) {
	signer, err := ctx.FindKeyPair(nil, []byte(label))
	if err != nil {
		t.Fatalf("FindKeyPair(label %q): %v", label, err)
	}
	if signer == nil {
		t.Fatalf("FindKeyPair(label %q) found nothing", label)
	}
	digest := sha256.Sum256([]byte("signed through crypto11: " + label))
	other := sha256.Sum256([]byte("something else"))
	sig, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("Sign with %q (%T): %v", label, signer.Public(), err)
	}
	switch pub := signer.Public().(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			t.Errorf("rsa.VerifyPKCS1v15: %v", err)
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, other[:], sig) == nil {
			t.Errorf("the RSA signature also verifies over another digest")
		}
	case *ecdsa.PublicKey:
		if pub.Curve != elliptic.P256() {
			t.Errorf("curve %v, want P-256", pub.Curve.Params().Name)
		}
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Errorf("ecdsa.VerifyASN1 rejects the signature")
		}
		if ecdsa.VerifyASN1(pub, other[:], sig) {
			t.Errorf("the ECDSA signature also verifies over another digest")
		}
	default:
		t.Errorf("unexpected public key type %T", pub)
	}
}

// setUpToken initialises a token and its user PIN with miekg/pkcs11 in this
// process, then finalises, so that crypto11 can C_Initialize for itself.
// The miekg context is never destroyed (no dlclose).
func setUpToken(t *testing.T) {
	t.Helper()
	p := pkcs11.New(module)
	if p == nil {
		t.Fatalf("cannot load %s", module)
	}
	if err := p.Initialize(); err != nil {
		t.Fatalf("C_Initialize: %v", err)
	}
	defer func() {
		if err := p.Finalize(); err != nil {
			t.Errorf("C_Finalize: %v", err)
		}
	}()
	slot, err := initFreeToken(p, c11Token, c11SOPIN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatalf("C_OpenSession: %v", err)
	}
	defer p.CloseSession(s)
	if err := p.Login(s, pkcs11.CKU_SO, c11SOPIN); err != nil {
		t.Fatalf("C_Login(SO): %v", err)
	}
	if err := p.InitPIN(s, c11PIN); err != nil {
		t.Fatalf("C_InitPIN: %v", err)
	}
	if err := p.Logout(s); err != nil {
		t.Fatalf("C_Logout: %v", err)
	}
}

// initFreeToken initialises the token in the free slot with label and SO
// PIN and returns the slot where the initialised token is.
func initFreeToken(p *pkcs11.Ctx, label, soPIN string) (uint, error) {
	slots, err := p.GetSlotList(true)
	if err != nil {
		return 0, err
	}
	for _, s := range slots {
		ti, err := p.GetTokenInfo(s)
		if err != nil {
			return 0, err
		}
		if ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0 {
			continue
		}
		if err := p.InitToken(s, soPIN, label); err != nil {
			return 0, err
		}
		slots, err := p.GetSlotList(true)
		if err != nil {
			return 0, err
		}
		for _, s := range slots {
			if ti, err := p.GetTokenInfo(s); err == nil && ti.Label == label {
				return s, nil
			}
		}
		return 0, errors.New("the initialised token is not in the slot list")
	}
	return 0, errors.New("no slot with an uninitialised token")
}

func randomID(t *testing.T) []byte {
	id := make([]byte, 8)
	if _, err := rand.Read(id); err != nil {
		t.Fatal(err)
	}
	return id
}

package interop

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ThalesGroup/crypto11"
	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
	"github.com/miekg/pkcs11"
)

// The Go clients run in child processes of the test binary, each with its
// own KAGI_DB from the start and its own load of the module: no other test
// of this package shares their module state, and crypto11's rule that the
// last Context.Close finalises and dlcloses the module (which a Go c-shared
// library must never see) cannot bite: the children never close their last
// context, they exit. Phase "create" initialises a token, makes and uses
// keys and a certificate through crypto11 (Ed25519 through miekg/pkcs11:
// crypto11 v1.6.2 has no Ed25519) and leaves public values in files; phase
// "find", a new process with new contexts, finds everything by id and by
// label and checks it against those files. Go's standard library checks
// every signature, ciphertext and MAC.

const (
	cliGoChildEnv = "KAGI_INTEROP_GOCLIENTS_PHASE" // "create" or "find"
	cliGoDirEnv   = "KAGI_INTEROP_GOCLIENTS_DIR"
	cliGoToken    = "goclients"
)

// TestGoClients runs the two phases as child processes: the test binary
// again, running this test with the phase in the environment.
func TestGoClients(t *testing.T) {
	if phase := os.Getenv(cliGoChildEnv); phase != "" {
		cliGoChild(t, phase)
		return
	}
	t.Parallel()
	module := moduleUnderTest(t)
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, phase := range []string{"create", "find"} {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		cmd := exec.CommandContext(ctx, self, "-test.run", "^TestGoClients$", "-test.v", "-test.count=1")
		cmd.Env = append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF", "KAGI_MODULE", cliGoChildEnv, cliGoDirEnv),
			"KAGI_DB="+filepath.Join(dir, "kagi.db"), "KAGI_MODULE="+module, cliGoChildEnv+"="+phase, cliGoDirEnv+"="+dir)
		out, err := cmd.CombinedOutput()
		cancel()
		t.Logf("phase %s:\n%s", phase, out)
		if err != nil {
			t.Fatalf("phase %s: %v", phase, err)
		}
		if !bytes.Contains(out, []byte("--- PASS: TestGoClients")) {
			t.Fatalf("phase %s did not run its checks", phase)
		}
	}
}

// cliGoChild is one phase of TestGoClients, in its child process.
func cliGoChild(t *testing.T, phase string) {
	dir := os.Getenv(cliGoDirEnv)
	module := os.Getenv("KAGI_MODULE")
	switch phase {
	case "create":
		cliGoCreate(t, module, dir)
	case "find":
		cliGoFind(t, module, dir)
	default:
		t.Fatalf("unknown phase %q", phase)
	}
}

func cliGoConfig(module string) *crypto11.Config {
	// 12-byte GCM nonces, the standard size (crypto11 defaults to 16).
	return &crypto11.Config{Path: module, TokenLabel: cliGoToken, Pin: cliPIN, GCMIVLength: 12}
}

// cliGoInitToken initialises the free token with miekg/pkcs11, then
// finalises (never Destroy: no dlclose) so crypto11 can initialise.
func cliGoInitToken(t *testing.T, module string) {
	p := pkcs11.New(module)
	if p == nil {
		t.Fatalf("cannot load %s", module)
	}
	if err := p.Initialize(); err != nil {
		t.Fatalf("C_Initialize: %v", err)
	}
	slots, err := p.GetSlotList(true)
	if err != nil || len(slots) != 1 {
		t.Fatalf("C_GetSlotList on a fresh database: %v %v", slots, err)
	}
	if err := p.InitToken(slots[0], cliSOPIN, cliGoToken); err != nil {
		t.Fatalf("C_InitToken: %v", err)
	}
	slot := cliGoSlot(t, p)
	s, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Login(s, pkcs11.CKU_SO, cliSOPIN); err != nil {
		t.Fatalf("C_Login(SO): %v", err)
	}
	if err := p.InitPIN(s, cliPIN); err != nil {
		t.Fatalf("C_InitPIN: %v", err)
	}
	p.CloseSession(s)
	if err := p.Finalize(); err != nil {
		t.Fatalf("C_Finalize: %v", err)
	}
}

func cliGoSlot(t *testing.T, p *pkcs11.Ctx) uint {
	slots, err := p.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		if ti, err := p.GetTokenInfo(s); err == nil && ti.Label == cliGoToken {
			return s
		}
	}
	t.Fatalf("no token labelled %s", cliGoToken)
	return 0
}

var cliGoMessage = []byte("signed and sealed through crypto11, checked by Go's standard library")

func cliGoCreate(t *testing.T, module, dir string) {
	cliGoInitToken(t, module)
	ctx, err := crypto11.Configure(cliGoConfig(module))
	if err != nil {
		t.Fatalf("crypto11.Configure: %v", err)
	}
	// Never closed: the process exits instead (see above).

	rsaKey, err := ctx.GenerateRSAKeyPairWithLabel([]byte("go-rsa-id"), []byte("go-rsa"), 2048)
	if err != nil {
		t.Fatalf("GenerateRSAKeyPairWithLabel: %v", err)
	}
	p256, err := ctx.GenerateECDSAKeyPairWithLabel([]byte("go-p256-id"), []byte("go-p256"), elliptic.P256())
	if err != nil {
		t.Fatalf("GenerateECDSAKeyPairWithLabel(P-256): %v", err)
	}
	p384, err := ctx.GenerateECDSAKeyPairWithLabel([]byte("go-p384-id"), []byte("go-p384"), elliptic.P384())
	if err != nil {
		t.Fatalf("GenerateECDSAKeyPairWithLabel(P-384): %v", err)
	}
	for name, s := range map[string]crypto11.Signer{"rsa": rsaKey, "p256": p256, "p384": p384} {
		der, err := x509.MarshalPKIXPublicKey(s.Public())
		if err != nil {
			t.Fatal(err)
		}
		cliWrite(t, dir, name+".pub", der)
		cliGoSign(t, name, s, s.Public())
	}
	cliGoRSADecrypt(t, rsaKey, rsaKey.Public().(*rsa.PublicKey))

	// A certificate signed by the token's P-256 key, stored on the token.
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(20260505),
		Subject:      pkix.Name{CommonName: "kagi crypto11 interop"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, p256.Public(), p256)
	if err != nil {
		t.Fatalf("x509.CreateCertificate signed by the token: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignature(cert.SignatureAlgorithm, cert.RawTBSCertificate, cert.Signature); err != nil {
		t.Errorf("the certificate the token signed does not verify: %v", err)
	}
	if err := ctx.ImportCertificateWithLabel([]byte("go-cert-id"), []byte("go-cert"), cert); err != nil {
		t.Fatalf("ImportCertificateWithLabel: %v", err)
	}
	cliWrite(t, dir, "cert.der", der)

	// Symmetric keys whose value Go may read (CKA_SENSITIVE false,
	// CKA_EXTRACTABLE true), so the standard library can redo the work.
	aesKey := cliGoSecret(t, ctx, "go-aes", 256, crypto11.CipherAES)
	// CipherGeneric (CKM_GENERIC_SECRET_KEY_GEN): crypto11's CipherHMACSHA256
	// first tries an nShield vendor mechanism and gives up on the
	// CKR_MECHANISM_INVALID any other token answers (see
	// tests/crypto11suite/README.md, TestHmac).
	hmacKey := cliGoSecret(t, ctx, "go-hmac", 256, crypto11.CipherGeneric)
	aesValue, hmacValue := cliGoValue(t, ctx, aesKey), cliGoValue(t, ctx, hmacKey)
	cliWrite(t, dir, "aes.key", aesValue)
	cliWrite(t, dir, "hmac.key", hmacValue)
	cliGoAES(t, aesKey, aesValue)
	cliGoHMAC(t, hmacKey, hmacValue)
	// A GCM ciphertext for the next process to open with the key it finds.
	gcm, err := aesKey.NewGCM()
	if err != nil {
		t.Fatal(err)
	}
	nonce := bytes.Repeat([]byte{7}, 12)
	cliWrite(t, dir, "sealed", gcm.Seal(nil, nonce, cliGoMessage, []byte("phase create")))

	// A default (sensitive, unextractable) AES key: usable, never readable.
	secret, err := ctx.GenerateSecretKeyWithLabel([]byte("go-aes-sensitive-id"), []byte("go-aes-sensitive"), 128, crypto11.CipherAES)
	if err != nil {
		t.Fatalf("GenerateSecretKeyWithLabel(AES-128): %v", err)
	}
	if _, err := ctx.GetAttribute(secret, crypto11.CkaValue); !errors.Is(err, pkcs11.Error(pkcs11.CKR_ATTRIBUTE_SENSITIVE)) {
		t.Errorf("CKA_VALUE of a sensitive key: %v, want CKR_ATTRIBUTE_SENSITIVE", err)
	}
	g2, err := secret.NewGCM()
	if err != nil {
		t.Fatal(err)
	}
	sealed := g2.Seal(nil, nonce, cliGoMessage, nil)
	if opened, err := g2.Open(nil, nonce, sealed, nil); err != nil || !bytes.Equal(opened, cliGoMessage) {
		t.Errorf("AES-GCM round trip with a sensitive key: %v", err)
	}
	sealed[3] ^= 1
	if _, err := g2.Open(nil, nonce, sealed, nil); err == nil {
		t.Errorf("AES-GCM Open accepted a tampered ciphertext")
	}

	cliGoEd25519(t, module, dir)
}

// cliGoSign signs with s through crypto.Signer and verifies with pub.
func cliGoSign(t *testing.T, name string, s crypto.Signer, pub crypto.PublicKey) {
	t.Helper()
	digest := sha256.Sum256(append([]byte(name+": "), cliGoMessage...))
	other := sha256.Sum256([]byte("something else"))
	sig, err := s.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("%s: Sign: %v", name, err)
	}
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			t.Errorf("%s: rsa.VerifyPKCS1v15: %v", name, err)
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, other[:], sig) == nil {
			t.Errorf("%s: the signature verifies over another digest", name)
		}
		// PSS with a salt as long as the hash, and with SHA-512.
		pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
		sig, err := s.Sign(rand.Reader, digest[:], pss)
		if err != nil {
			t.Fatalf("%s: Sign(PSS): %v", name, err)
		}
		if err := rsa.VerifyPSS(pub, crypto.SHA256, digest[:], sig, pss); err != nil {
			t.Errorf("%s: rsa.VerifyPSS: %v", name, err)
		}
		d512 := sha512.Sum512(cliGoMessage)
		pss512 := &rsa.PSSOptions{SaltLength: 20, Hash: crypto.SHA512}
		sig, err = s.Sign(rand.Reader, d512[:], pss512)
		if err != nil {
			t.Fatalf("%s: Sign(PSS SHA-512): %v", name, err)
		}
		if err := rsa.VerifyPSS(pub, crypto.SHA512, d512[:], sig, pss512); err != nil {
			t.Errorf("%s: rsa.VerifyPSS(SHA-512, salt 20): %v", name, err)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			t.Errorf("%s: ecdsa.VerifyASN1 rejects the signature", name)
		}
		if ecdsa.VerifyASN1(pub, other[:], sig) {
			t.Errorf("%s: the signature verifies over another digest", name)
		}
	default:
		t.Fatalf("%s: public key %T", name, pub)
	}
}

// cliGoRSADecrypt: Go encrypts (OAEP SHA-256 with a label, PKCS#1 v1.5),
// the token decrypts.
func cliGoRSADecrypt(t *testing.T, d crypto.Decrypter, pub *rsa.PublicKey) {
	t.Helper()
	secret := []byte("key material for the token")
	ct, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, secret, []byte("label"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := d.Decrypt(rand.Reader, ct, &rsa.OAEPOptions{Hash: crypto.SHA256, Label: []byte("label")})
	if err != nil || !bytes.Equal(pt, secret) {
		t.Errorf("RSA-OAEP Decrypt: %q, %v", pt, err)
	}
	ct, err = rsa.EncryptPKCS1v15(rand.Reader, pub, secret)
	if err != nil {
		t.Fatal(err)
	}
	pt, err = d.Decrypt(rand.Reader, ct, nil)
	if err != nil || !bytes.Equal(pt, secret) {
		t.Errorf("RSA-PKCS Decrypt: %q, %v", pt, err)
	}
}

// cliGoSecret generates a token secret key Go may read.
func cliGoSecret(t *testing.T, ctx *crypto11.Context, label string, bits int, c *crypto11.SymmetricCipher) *crypto11.SecretKey {
	t.Helper()
	tmpl, err := crypto11.NewAttributeSetWithIDAndLabel([]byte(label+"-id"), []byte(label))
	if err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Set(crypto11.CkaSensitive, false); err != nil {
		t.Fatal(err)
	}
	if err := tmpl.Set(crypto11.CkaExtractable, true); err != nil {
		t.Fatal(err)
	}
	k, err := ctx.GenerateSecretKeyWithAttributes(tmpl, bits, c)
	if err != nil {
		t.Fatalf("GenerateSecretKeyWithAttributes(%s): %v", label, err)
	}
	return k
}

func cliGoValue(t *testing.T, ctx *crypto11.Context, k *crypto11.SecretKey) []byte {
	t.Helper()
	a, err := ctx.GetAttribute(k, crypto11.CkaValue)
	if err != nil {
		t.Fatalf("CKA_VALUE: %v", err)
	}
	if len(a.Value) != 32 || bytes.Equal(a.Value, make([]byte, 32)) {
		t.Fatalf("CKA_VALUE of a 256-bit key is %x", a.Value)
	}
	return a.Value
}

// cliGoAES checks crypto11's AES-GCM and AES-CBC against Go's, both ways.
func cliGoAES(t *testing.T, k *crypto11.SecretKey, value []byte) {
	t.Helper()
	block, err := aes.NewCipher(value)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	gcm, err := k.NewGCM()
	if err != nil {
		t.Fatalf("NewGCM: %v", err)
	}
	if gcm.NonceSize() != 12 || gcm.Overhead() != 16 {
		t.Errorf("crypto11 GCM: nonce %d, overhead %d", gcm.NonceSize(), gcm.Overhead())
	}
	nonce, aad := make([]byte, 12), []byte("associated data")
	rand.Read(nonce)
	sealed := gcm.Seal(nil, nonce, cliGoMessage, aad)
	if want := ref.Seal(nil, nonce, cliGoMessage, aad); !bytes.Equal(sealed, want) {
		t.Errorf("AES-GCM: token %x, Go %x", sealed, want)
	}
	if pt, err := ref.Open(nil, nonce, sealed, aad); err != nil || !bytes.Equal(pt, cliGoMessage) {
		t.Errorf("Go cannot open the token's AES-GCM: %v", err)
	}
	goSealed := ref.Seal(nil, nonce, []byte("sealed by Go"), aad)
	if pt, err := gcm.Open(nil, nonce, goSealed, aad); err != nil || string(pt) != "sealed by Go" {
		t.Errorf("the token cannot open Go's AES-GCM: %q, %v", pt, err)
	}
	if _, err := gcm.Open(nil, nonce, goSealed, []byte("other aad")); err == nil {
		t.Errorf("the token opened AES-GCM with the wrong associated data")
	}

	iv := make([]byte, 16)
	rand.Read(iv)
	plain := bytes.Repeat([]byte("sixteen byte blk"), 4)
	enc, err := k.NewCBCEncrypter(iv)
	if err != nil {
		t.Fatalf("NewCBCEncrypter: %v", err)
	}
	ct := make([]byte, len(plain))
	enc.CryptBlocks(ct, plain)
	want := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(want, plain)
	if !bytes.Equal(ct, want) {
		t.Errorf("AES-CBC: token %x, Go %x", ct, want)
	}
	dec, err := k.NewCBCDecrypter(iv)
	if err != nil {
		t.Fatalf("NewCBCDecrypter: %v", err)
	}
	pt := make([]byte, len(want))
	dec.CryptBlocks(pt, want)
	if !bytes.Equal(pt, plain) {
		t.Errorf("AES-CBC: the token decrypts Go's ciphertext to %x", pt)
	}
}

func cliGoHMAC(t *testing.T, k *crypto11.SecretKey, value []byte) {
	t.Helper()
	h, err := k.NewHMAC(pkcs11.CKM_SHA256_HMAC, 0)
	if err != nil {
		t.Fatalf("NewHMAC(CKM_SHA256_HMAC): %v", err)
	}
	h.Write(cliGoMessage[:10])
	h.Write(cliGoMessage[10:])
	ref := hmac.New(sha256.New, value)
	ref.Write(cliGoMessage)
	if got, want := h.Sum(nil), ref.Sum(nil); !bytes.Equal(got, want) {
		t.Errorf("HMAC-SHA256: token %x, Go %x", got, want)
	}
}

// PKCS#11 3.0 mechanisms that miekg/pkcs11 v1.1.2 has no names for.
const (
	cliCKMECEdwardsKeyPairGen = 0x1055 // CKM_EC_EDWARDS_KEY_PAIR_GEN
	cliCKMEdDSA               = 0x1057 // CKM_EDDSA
)

// ed25519OID is id-Ed25519 (RFC 8410), DER, for CKA_EC_PARAMS.
var ed25519OID, _ = asn1.Marshal(asn1.ObjectIdentifier{1, 3, 101, 112})

// cliGoEd25519 does with miekg/pkcs11 what crypto11 v1.6.2 cannot: an
// Ed25519 key pair (CKM_EC_EDWARDS_KEY_PAIR_GEN) and a CKM_EDDSA signature,
// verified with crypto/ed25519. It runs after crypto11 has the module
// initialised, so C_Initialize says CKR_CRYPTOKI_ALREADY_INITIALIZED.
func cliGoEd25519(t *testing.T, module, dir string) {
	p := pkcs11.New(module) // never Destroy
	if err := p.Initialize(); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
		t.Fatalf("C_Initialize: %v", err)
	}
	s, err := p.OpenSession(cliGoSlot(t, p), pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer p.CloseSession(s)
	// crypto11 logged its sessions in; login state is per token.
	if err := p.Login(s, pkcs11.CKU_USER, cliPIN); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
		t.Fatalf("C_Login: %v", err)
	}
	pubH, _, err := p.GenerateKeyPair(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(cliCKMECEdwardsKeyPairGen, nil)},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, ed25519OID),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_ID, []byte("go-ed25519-id")),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, "go-ed25519"),
		},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
			pkcs11.NewAttribute(pkcs11.CKA_ID, []byte("go-ed25519-id")),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, "go-ed25519"),
		})
	if err != nil {
		t.Fatalf("C_GenerateKeyPair(CKM_EC_EDWARDS_KEY_PAIR_GEN): %v", err)
	}
	pub := cliGoEdPublic(t, p, s, pubH)
	cliWrite(t, dir, "ed25519.pub", pub)
	cliGoEdSign(t, p, s, pub)
}

// cliGoEdPublic reads CKA_EC_POINT (a DER OCTET STRING of the 32-byte key).
func cliGoEdPublic(t *testing.T, p *pkcs11.Ctx, s pkcs11.SessionHandle, h pkcs11.ObjectHandle) ed25519.PublicKey {
	t.Helper()
	attrs, err := p.GetAttributeValue(s, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
	if err != nil {
		t.Fatalf("CKA_EC_POINT: %v", err)
	}
	var point []byte
	if rest, err := asn1.Unmarshal(attrs[0].Value, &point); err != nil || len(rest) != 0 || len(point) != ed25519.PublicKeySize {
		t.Fatalf("CKA_EC_POINT %x is not a DER OCTET STRING of 32 bytes: %v", attrs[0].Value, err)
	}
	return ed25519.PublicKey(point)
}

// cliGoEdSign signs with the private key labelled go-ed25519 and verifies.
func cliGoEdSign(t *testing.T, p *pkcs11.Ctx, s pkcs11.SessionHandle, pub ed25519.PublicKey) {
	t.Helper()
	priv := cliGoFindOne(t, p, s, pkcs11.CKO_PRIVATE_KEY, "go-ed25519")
	if err := p.SignInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(cliCKMEdDSA, nil)}, priv); err != nil {
		t.Fatalf("C_SignInit(CKM_EDDSA): %v", err)
	}
	sig, err := p.Sign(s, cliGoMessage)
	if err != nil {
		t.Fatalf("C_Sign(CKM_EDDSA): %v", err)
	}
	if !ed25519.Verify(pub, cliGoMessage, sig) {
		t.Errorf("ed25519.Verify rejects the token's EdDSA signature")
	}
	if ed25519.Verify(pub, []byte("other"), sig) {
		t.Errorf("the EdDSA signature verifies over other data")
	}
}

func cliGoFindOne(t *testing.T, p *pkcs11.Ctx, s pkcs11.SessionHandle, class uint, label string) pkcs11.ObjectHandle {
	t.Helper()
	if err := p.FindObjectsInit(s, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, class), pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}); err != nil {
		t.Fatal(err)
	}
	hs, _, err := p.FindObjects(s, 10)
	p.FindObjectsFinal(s)
	if err != nil || len(hs) != 1 {
		t.Fatalf("find class %d label %s: %d objects, %v", class, label, len(hs), err)
	}
	return hs[0]
}

func cliGoFind(t *testing.T, module, dir string) {
	ctx, err := crypto11.Configure(cliGoConfig(module))
	if err != nil {
		t.Fatalf("crypto11.Configure: %v", err)
	}
	// Key pairs by id, then by label: the same public key as in phase
	// create, and signatures that verify under it.
	for _, name := range []string{"rsa", "p256", "p384"} {
		want, err := x509.ParsePKIXPublicKey(cliRead(t, dir, name+".pub"))
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range []struct {
			how       string
			id, label []byte
		}{{"id", []byte("go-" + name + "-id"), nil}, {"label", nil, []byte("go-" + name)}} {
			s, err := ctx.FindKeyPair(by.id, by.label)
			if err != nil || s == nil {
				t.Errorf("%s: FindKeyPair by %s: %v, %v", name, by.how, s, err)
				continue
			}
			if !s.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(want) {
				t.Errorf("%s: the key pair found by %s has another public key", name, by.how)
			}
			cliGoSign(t, name+" by "+by.how, s, want)
		}
	}
	// (crypto11 v1.6 reports "not found" as an error, not as (nil, nil).)
	if s, err := ctx.FindKeyPair(nil, []byte("no such key")); s != nil {
		t.Errorf("FindKeyPair of a missing label found %v (err %v)", s.Public(), err)
	}
	rsaKey, err := ctx.FindRSAKeyPair(nil, []byte("go-rsa"))
	if err != nil {
		t.Fatalf("FindRSAKeyPair: %v", err)
	}
	cliGoRSADecrypt(t, rsaKey, rsaKey.Public().(*rsa.PublicKey))

	// The certificate, by id and by label, byte for byte.
	wantCert := cliRead(t, dir, "cert.der")
	for _, by := range []struct{ id, label []byte }{{[]byte("go-cert-id"), nil}, {nil, []byte("go-cert")}} {
		c, err := ctx.FindCertificate(by.id, by.label, nil)
		if err != nil || c == nil {
			t.Errorf("FindCertificate(id %q, label %q): %v, %v", by.id, by.label, c, err)
			continue
		}
		if !bytes.Equal(c.Raw, wantCert) {
			t.Errorf("FindCertificate(id %q, label %q) found another certificate", by.id, by.label)
		}
	}
	if c, err := ctx.FindCertificate(nil, nil, big.NewInt(20260505)); err != nil || c == nil || !bytes.Equal(c.Raw, wantCert) {
		t.Errorf("FindCertificate by serial: %v, %v", c, err)
	}

	// Secret keys by id and by label: the ciphertext of phase create opens,
	// and the keys still match the values Go knows.
	aesValue, hmacValue := cliRead(t, dir, "aes.key"), cliRead(t, dir, "hmac.key")
	for _, by := range []struct{ id, label []byte }{{[]byte("go-aes-id"), nil}, {nil, []byte("go-aes")}} {
		k, err := ctx.FindKey(by.id, by.label)
		if err != nil || k == nil {
			t.Fatalf("FindKey(id %q, label %q): %v, %v", by.id, by.label, k, err)
		}
		gcm, err := k.NewGCM()
		if err != nil {
			t.Fatal(err)
		}
		pt, err := gcm.Open(nil, bytes.Repeat([]byte{7}, 12), cliRead(t, dir, "sealed"), []byte("phase create"))
		if err != nil || !bytes.Equal(pt, cliGoMessage) {
			t.Errorf("AES-GCM Open with the key found by id %q label %q: %v", by.id, by.label, err)
		}
		cliGoAES(t, k, aesValue)
	}
	hk, err := ctx.FindKey(nil, []byte("go-hmac"))
	if err != nil || hk == nil {
		t.Fatalf("FindKey(label go-hmac): %v, %v", hk, err)
	}
	cliGoHMAC(t, hk, hmacValue)

	// Ed25519 through miekg/pkcs11 in this new process.
	p := pkcs11.New(module) // never Destroy
	if err := p.Initialize(); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
		t.Fatalf("C_Initialize: %v", err)
	}
	s, err := p.OpenSession(cliGoSlot(t, p), pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer p.CloseSession(s)
	if err := p.Login(s, pkcs11.CKU_USER, cliPIN); err != nil && !errors.Is(err, pkcs11.Error(pkcs11.CKR_USER_ALREADY_LOGGED_IN)) {
		t.Fatalf("C_Login: %v", err)
	}
	pub := cliGoEdPublic(t, p, s, cliGoFindOne(t, p, s, pkcs11.CKO_PUBLIC_KEY, "go-ed25519"))
	if !bytes.Equal(pub, cliRead(t, dir, "ed25519.pub")) {
		t.Errorf("the Ed25519 public key found differs from phase create's")
	}
	cliGoEdSign(t, p, s, pub)
}

package clients

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

const (
	osslToken = "ossl"
	osslSOPIN = "12345678"
	osslPIN   = "1234"

	// PKCS#11 3.0 values that miekg/pkcs11 v1.1.2 does not define.
	osslCKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055
	osslCKM_EDDSA                   = 0x1057
	osslCKM_AES_KEY_WRAP_KWP        = 0x210B

	// The default initial values of RFC 3394 and RFC 5649, which
	// OpenSSL 3's enc needs spelled out for its wrap ciphers.
	osslKWIV  = "A6A6A6A6A6A6A6A6"
	osslKWPIV = "A65959A6"
)

// CKA_EC_PARAMS values: named-curve OIDs.
var (
	osslP256    = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}
	osslP384    = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}
	osslEd25519 = []byte{0x06, 0x03, 0x2b, 0x65, 0x70}
)

// osslKagi is a logged-in session of the module loaded into this process.
type osslKagi struct {
	p *pkcs11.Ctx
	s pkcs11.SessionHandle
}

// TestOpenSSL checks kagi's outputs with the openssl command and openssl's
// outputs with kagi: signatures made in kagi verify with openssl,
// ciphertexts made by openssl decrypt in kagi (and the reverse for AES),
// keys wrapped by kagi unwrap with openssl and the reverse. Every key is a
// session object of the token "ossl" in the in-process module.
func TestOpenSSL(t *testing.T) {
	requireTools(t, "openssl")
	k := osslOpen(t)

	t.Run("sign", func(t *testing.T) {
		t.Run("CKM_SHA256_RSA_PKCS", func(t *testing.T) {
			pub, priv := k.genRSA(t)
			dir := t.TempDir()
			osslPubPEM(t, dir, k.spki(t, pub))
			msg := []byte("signed in kagi with CKM_SHA256_RSA_PKCS, verified by openssl dgst")
			sig := k.sign(t, pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS, nil), priv, msg)
			osslVerify(t, dir, msg, sig, "dgst", "-sha256", "-verify", "pub.pem", "-signature", "sig.bin", "msg.bin")
		})
		t.Run("CKM_SHA256_RSA_PKCS_PSS", func(t *testing.T) {
			pub, priv := k.genRSA(t)
			dir := t.TempDir()
			osslPubPEM(t, dir, k.spki(t, pub))
			msg := []byte("signed in kagi with CKM_SHA256_RSA_PKCS_PSS, salt 32")
			m := pkcs11.NewMechanism(pkcs11.CKM_SHA256_RSA_PKCS_PSS,
				pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32))
			sig := k.sign(t, m, priv, msg)
			osslVerify(t, dir, msg, sig, "dgst", "-sha256", "-verify", "pub.pem",
				"-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32", "-sigopt", "rsa_mgf1_md:sha256",
				"-signature", "sig.bin", "msg.bin")
		})
		t.Run("CKM_RSA_PKCS_PSS", func(t *testing.T) {
			// The raw mechanism over a digest, checked by pkeyutl over
			// the same digest.
			pub, priv := k.genRSA(t)
			dir := t.TempDir()
			osslPubPEM(t, dir, k.spki(t, pub))
			digest := sha256.Sum256([]byte("signed in kagi with CKM_RSA_PKCS_PSS over a SHA-256 digest"))
			m := pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_PSS,
				pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32))
			sig := k.sign(t, m, priv, digest[:])
			osslVerify(t, dir, digest[:], sig, "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem",
				"-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32", "-pkeyopt", "digest:sha256",
				"-in", "msg.bin", "-sigfile", "sig.bin")
		})
		for _, c := range []struct {
			name   string
			params []byte
			mech   uint
			md     string
			size   int // of one of r and s
		}{
			{"CKM_ECDSA_SHA256/P-256", osslP256, pkcs11.CKM_ECDSA_SHA256, "-sha256", 32},
			{"CKM_ECDSA_SHA384/P-384", osslP384, pkcs11.CKM_ECDSA_SHA384, "-sha384", 48},
		} {
			t.Run(c.name, func(t *testing.T) {
				pub, priv := k.genEC(t, pkcs11.CKM_EC_KEY_PAIR_GEN, c.params)
				dir := t.TempDir()
				osslPubPEM(t, dir, k.spki(t, pub))
				msg := []byte("signed in kagi with " + c.name)
				raw := k.sign(t, pkcs11.NewMechanism(c.mech, nil), priv, msg)
				if len(raw) != 2*c.size {
					t.Fatalf("C_Sign(%s): signature of %d bytes, want r||s of %d", c.name, len(raw), 2*c.size)
				}
				sig, err := asn1.Marshal(struct{ R, S *big.Int }{
					new(big.Int).SetBytes(raw[:c.size]), new(big.Int).SetBytes(raw[c.size:])})
				if err != nil {
					t.Fatal(err)
				}
				osslVerify(t, dir, msg, sig, "dgst", c.md, "-verify", "pub.pem", "-signature", "sig.bin", "msg.bin")
			})
		}
		t.Run("CKM_EDDSA/Ed25519", func(t *testing.T) {
			pub, priv := k.genEC(t, osslCKM_EC_EDWARDS_KEY_PAIR_GEN, osslEd25519)
			dir := t.TempDir()
			osslPubPEM(t, dir, k.spki(t, pub))
			msg := []byte("signed in kagi with CKM_EDDSA (Ed25519), verified by openssl pkeyutl -rawin")
			sig := k.sign(t, pkcs11.NewMechanism(osslCKM_EDDSA, nil), priv, msg)
			if len(sig) != 64 {
				t.Fatalf("C_Sign(CKM_EDDSA): signature of %d bytes, want 64", len(sig))
			}
			osslVerify(t, dir, msg, sig, "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
				"-in", "msg.bin", "-sigfile", "sig.bin")
		})
	})

	t.Run("encrypt", func(t *testing.T) {
		for _, n := range []int{1, 16, 100} {
			t.Run(fmt.Sprintf("AES-256-CBC-PAD/%d-bytes", n), func(t *testing.T) {
				dir := t.TempDir()
				key, iv := osslRandom(t, 32), osslRandom(t, 16)
				h := k.secret(t, pkcs11.CKK_AES, key, false)
				m := pkcs11.NewMechanism(pkcs11.CKM_AES_CBC_PAD, iv)
				kh, ivh := hex.EncodeToString(key), hex.EncodeToString(iv)

				// openssl encrypts, kagi decrypts.
				pt := osslRandom(t, n)
				write(t, dir, "pt.bin", pt)
				osslMust(t, dir, "enc", "-aes-256-cbc", "-K", kh, "-iv", ivh, "-in", "pt.bin", "-out", "ct.bin")
				ct := read(t, dir, "ct.bin")
				if got := k.decrypt(t, m, h, ct); !bytes.Equal(got, pt) {
					t.Errorf("C_Decrypt(CKM_AES_CBC_PAD) of the output of openssl enc -aes-256-cbc:\n got %x\nwant %x", got, pt)
				}

				// kagi encrypts, openssl decrypts; the ciphertext is the
				// same bytes openssl makes.
				pt2 := osslRandom(t, n)
				write(t, dir, "pt2.bin", pt2)
				ct2 := k.encrypt(t, m, h, pt2)
				write(t, dir, "ct2.bin", ct2)
				osslMust(t, dir, "enc", "-d", "-aes-256-cbc", "-K", kh, "-iv", ivh, "-in", "ct2.bin", "-out", "back.bin")
				if got := read(t, dir, "back.bin"); !bytes.Equal(got, pt2) {
					t.Errorf("openssl enc -d -aes-256-cbc of C_Encrypt(CKM_AES_CBC_PAD):\n got %x\nwant %x", got, pt2)
				}
				osslMust(t, dir, "enc", "-aes-256-cbc", "-K", kh, "-iv", ivh, "-in", "pt2.bin", "-out", "ct3.bin")
				if want := read(t, dir, "ct3.bin"); !bytes.Equal(ct2, want) {
					t.Errorf("C_Encrypt(CKM_AES_CBC_PAD) differs from openssl enc -aes-256-cbc on the same input:\nkagi    %x\nopenssl %x", ct2, want)
				}
			})
		}
		for _, c := range []struct {
			name  string
			label []byte
		}{{"no-label", nil}, {"label", []byte("kagi OAEP label")}} {
			t.Run("CKM_RSA_PKCS_OAEP-SHA256/"+c.name, func(t *testing.T) {
				pub, priv := k.genRSA(t)
				dir := t.TempDir()
				osslPubPEM(t, dir, k.spki(t, pub))
				pt := []byte("encrypted by openssl pkeyutl with OAEP SHA-256, decrypted in kagi")
				write(t, dir, "pt.bin", pt)
				args := []string{"pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem",
					"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"}
				if c.label != nil {
					args = append(args, "-pkeyopt", "rsa_oaep_label:"+hex.EncodeToString(c.label))
				}
				osslMust(t, dir, append(args, "-in", "pt.bin", "-out", "ct.bin")...)
				m := pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_OAEP,
					pkcs11.NewOAEPParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, pkcs11.CKZ_DATA_SPECIFIED, c.label))
				if got := k.decrypt(t, m, priv, read(t, dir, "ct.bin")); !bytes.Equal(got, pt) {
					t.Errorf("C_Decrypt(CKM_RSA_PKCS_OAEP SHA-256, label %q) of the output of openssl %s:\n got %x\nwant %x",
						c.label, strings.Join(args, " "), got, pt)
				}
			})
		}
		t.Run("CKM_RSA_PKCS", func(t *testing.T) {
			pub, priv := k.genRSA(t)
			dir := t.TempDir()
			osslPubPEM(t, dir, k.spki(t, pub))
			pt := []byte("encrypted by openssl pkeyutl with PKCS#1 v1.5, decrypted in kagi")
			write(t, dir, "pt.bin", pt)
			args := []string{"pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-pkeyopt", "rsa_padding_mode:pkcs1",
				"-in", "pt.bin", "-out", "ct.bin"}
			osslMust(t, dir, args...)
			if got := k.decrypt(t, pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS, nil), priv, read(t, dir, "ct.bin")); !bytes.Equal(got, pt) {
				t.Errorf("C_Decrypt(CKM_RSA_PKCS) of the output of openssl %s:\n got %x\nwant %x", strings.Join(args, " "), got, pt)
			}
		})
	})

	wraps := []struct {
		name   string
		mech   uint
		cipher string
		iv     string
	}{
		{"CKM_AES_KEY_WRAP_KWP", osslCKM_AES_KEY_WRAP_KWP, "-id-aes256-wrap-pad", osslKWPIV},
		{"CKM_AES_KEY_WRAP", pkcs11.CKM_AES_KEY_WRAP, "-id-aes256-wrap", osslKWIV},
	}
	t.Run("wrap", func(t *testing.T) {
		for _, w := range wraps {
			// kagi wraps an AES-256 key, openssl unwraps it (and, both
			// schemes being deterministic, wraps it to the same bytes).
			t.Run(w.name+"/AES-256-by-kagi", func(t *testing.T) {
				dir := t.TempDir()
				kekValue, value := osslRandom(t, 32), osslRandom(t, 32)
				kek := k.secret(t, pkcs11.CKK_AES, kekValue, false)
				key := k.secret(t, pkcs11.CKK_AES, value, true)
				wrapped, err := k.p.WrapKey(k.s, []*pkcs11.Mechanism{pkcs11.NewMechanism(w.mech, nil)}, kek, key)
				if err != nil {
					t.Fatalf("C_WrapKey(%s, AES-256 key): %v", w.name, err)
				}
				write(t, dir, "wrapped.bin", wrapped)
				kh := hex.EncodeToString(kekValue)
				args := []string{"enc", "-d", w.cipher, "-K", kh, "-iv", w.iv, "-in", "wrapped.bin", "-out", "key.bin"}
				osslMust(t, dir, args...)
				if got := read(t, dir, "key.bin"); !bytes.Equal(got, value) {
					t.Errorf("openssl %s of C_WrapKey(%s):\n got %x\nwant %x", strings.Join(args, " "), w.name, got, value)
				}
				write(t, dir, "value.bin", value)
				args = []string{"enc", w.cipher, "-K", kh, "-iv", w.iv, "-in", "value.bin", "-out", "ossl.bin"}
				osslMust(t, dir, args...)
				if want := read(t, dir, "ossl.bin"); !bytes.Equal(wrapped, want) {
					t.Errorf("C_WrapKey(%s) differs from openssl %s:\nkagi    %x\nopenssl %x", w.name, strings.Join(args, " "), wrapped, want)
				}
			})

			// openssl wraps a key value, kagi unwraps it into a key whose
			// CKA_VALUE is that value.
			values := []struct {
				name    string
				keyType uint
				n       int
			}{{"AES-256", pkcs11.CKK_AES, 32}, {"AES-128", pkcs11.CKK_AES, 16}}
			if w.mech == osslCKM_AES_KEY_WRAP_KWP {
				// Not a multiple of 8 bytes: RFC 5649 padding.
				values = append(values, struct {
					name    string
					keyType uint
					n       int
				}{"generic-secret-20", pkcs11.CKK_GENERIC_SECRET, 20})
			}
			for _, v := range values {
				t.Run(w.name+"/"+v.name+"-by-openssl", func(t *testing.T) {
					dir := t.TempDir()
					kekValue, value := osslRandom(t, 32), osslRandom(t, v.n)
					kek := k.secret(t, pkcs11.CKK_AES, kekValue, false)
					write(t, dir, "value.bin", value)
					args := []string{"enc", w.cipher, "-K", hex.EncodeToString(kekValue), "-iv", w.iv,
						"-in", "value.bin", "-out", "wrapped.bin"}
					osslMust(t, dir, args...)
					h, err := k.p.UnwrapKey(k.s, []*pkcs11.Mechanism{pkcs11.NewMechanism(w.mech, nil)}, kek,
						read(t, dir, "wrapped.bin"), []*pkcs11.Attribute{
							pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
							pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, v.keyType),
							pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
							pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
							pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
						})
					if err != nil {
						t.Fatalf("C_UnwrapKey(%s) of the output of openssl %s: %v", w.name, strings.Join(args, " "), err)
					}
					if got := k.value(t, h); !bytes.Equal(got, value) {
						t.Errorf("CKA_VALUE of the key C_UnwrapKey(%s) made from openssl %s:\n got %x\nwant %x",
							w.name, strings.Join(args, " "), got, value)
					}
				})
			}
		}

		// kagi wraps a private key (PKCS#8) with KWP; openssl unwraps and
		// reads it, and its public key is the token's.
		for _, c := range []struct {
			name string
			gen  func(t *testing.T) (pkcs11.ObjectHandle, pkcs11.ObjectHandle)
		}{
			{"RSA-2048", k.genRSA},
			{"EC-P-256", func(t *testing.T) (pkcs11.ObjectHandle, pkcs11.ObjectHandle) {
				return k.genEC(t, pkcs11.CKM_EC_KEY_PAIR_GEN, osslP256)
			}},
		} {
			t.Run("CKM_AES_KEY_WRAP_KWP/"+c.name+"-private-by-kagi", func(t *testing.T) {
				dir := t.TempDir()
				pub, priv := c.gen(t)
				spki := k.spki(t, pub)
				kekValue := osslRandom(t, 32)
				kek := k.secret(t, pkcs11.CKK_AES, kekValue, false)
				wrapped, err := k.p.WrapKey(k.s, []*pkcs11.Mechanism{pkcs11.NewMechanism(osslCKM_AES_KEY_WRAP_KWP, nil)}, kek, priv)
				if err != nil {
					t.Fatalf("C_WrapKey(CKM_AES_KEY_WRAP_KWP, %s private key): %v", c.name, err)
				}
				write(t, dir, "wrapped.bin", wrapped)
				// (openssl enc -d handles wrapped inputs up to about 4 KiB,
				// enough for RSA-2048.)
				osslMust(t, dir, "enc", "-d", "-id-aes256-wrap-pad", "-K", hex.EncodeToString(kekValue), "-iv", osslKWPIV,
					"-in", "wrapped.bin", "-out", "key.p8")
				osslMust(t, dir, "pkey", "-inform", "DER", "-in", "key.p8", "-pubout", "-outform", "DER", "-out", "pub.der")
				if got := read(t, dir, "pub.der"); !bytes.Equal(got, spki) {
					t.Errorf("openssl pkey -pubout of the unwrapped PKCS#8 %s key differs from the token's CKA_PUBLIC_KEY_INFO:\nopenssl %x\ntoken   %x",
						c.name, got, spki)
				}
			})
		}

		// openssl makes a private key and wraps its PKCS#8 with KWP; kagi
		// unwraps it, signs, and openssl verifies with its public key.
		for _, c := range []struct {
			name    string
			genpkey []string
			keyType uint
			mech    uint
			md      string
			der     bool // r||s to convert to DER
		}{
			{"RSA-2048", []string{"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"}, pkcs11.CKK_RSA, pkcs11.CKM_SHA256_RSA_PKCS, "-sha256", false},
			{"EC-P-256", []string{"-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"}, pkcs11.CKK_EC, pkcs11.CKM_ECDSA_SHA256, "-sha256", true},
		} {
			t.Run("CKM_AES_KEY_WRAP_KWP/"+c.name+"-private-by-openssl", func(t *testing.T) {
				dir := t.TempDir()
				osslMust(t, dir, append(append([]string{"genpkey"}, c.genpkey...), "-out", "key.pem")...)
				osslMust(t, dir, "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.p8")
				osslMust(t, dir, "pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem")
				kekValue := osslRandom(t, 32)
				kek := k.secret(t, pkcs11.CKK_AES, kekValue, false)
				osslMust(t, dir, "enc", "-id-aes256-wrap-pad", "-K", hex.EncodeToString(kekValue), "-iv", osslKWPIV,
					"-in", "key.p8", "-out", "wrapped.bin")
				priv, err := k.p.UnwrapKey(k.s, []*pkcs11.Mechanism{pkcs11.NewMechanism(osslCKM_AES_KEY_WRAP_KWP, nil)}, kek,
					read(t, dir, "wrapped.bin"), []*pkcs11.Attribute{
						pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
						pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, c.keyType),
						pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
						pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
						pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
						pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
					})
				if err != nil {
					t.Fatalf("C_UnwrapKey(CKM_AES_KEY_WRAP_KWP) of an openssl-made %s PKCS#8 wrapped by openssl enc -id-aes256-wrap-pad: %v", c.name, err)
				}
				msg := []byte("signed in kagi with a key that openssl made and wrapped: " + c.name)
				sig := k.sign(t, pkcs11.NewMechanism(c.mech, nil), priv, msg)
				if c.der {
					n := len(sig) / 2
					sig, err = asn1.Marshal(struct{ R, S *big.Int }{
						new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])})
					if err != nil {
						t.Fatal(err)
					}
				}
				osslVerify(t, dir, msg, sig, "dgst", c.md, "-verify", "pub.pem", "-signature", "sig.bin", "msg.bin")
			})
		}
	})
}

// osslOpen initialises a token of its own in the in-process module, logs
// its user in and returns the session. C_Initialize may already have been
// called in this process (crypto11 keeps a context open); then the module
// is left initialised. The pkcs11 context is never destroyed (no dlclose).
func osslOpen(t *testing.T) *osslKagi {
	t.Helper()
	p := pkcs11.New(module)
	if p == nil {
		t.Fatalf("cannot load %s", module)
	}
	switch err := p.Initialize(); err {
	case nil:
		t.Cleanup(func() {
			if err := p.Finalize(); err != nil {
				t.Errorf("C_Finalize: %v", err)
			}
		})
	case pkcs11.Error(pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED):
	default:
		t.Fatalf("C_Initialize: %v", err)
	}
	slot, err := initFreeToken(p, osslToken, osslSOPIN)
	if err != nil {
		t.Fatalf("initialising the token %q: %v", osslToken, err)
	}
	s, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatalf("C_OpenSession: %v", err)
	}
	t.Cleanup(func() { p.CloseSession(s) })
	if err := p.Login(s, pkcs11.CKU_SO, osslSOPIN); err != nil {
		t.Fatalf("C_Login(SO): %v", err)
	}
	if err := p.InitPIN(s, osslPIN); err != nil {
		t.Fatalf("C_InitPIN: %v", err)
	}
	if err := p.Logout(s); err != nil {
		t.Fatalf("C_Logout: %v", err)
	}
	if err := p.Login(s, pkcs11.CKU_USER, osslPIN); err != nil {
		t.Fatalf("C_Login(USER): %v", err)
	}
	return &osslKagi{p: p, s: s}
}

// genRSA generates an RSA-2048 key pair (session objects) that can sign,
// decrypt and be wrapped.
func (k *osslKagi) genRSA(t *testing.T) (pub, priv pkcs11.ObjectHandle) {
	t.Helper()
	pub, priv, err := k.p.GenerateKeyPair(k.s,
		[]*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, 2048),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
		},
		osslPrivateTemplate(pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true)))
	if err != nil {
		t.Fatalf("C_GenerateKeyPair(CKM_RSA_PKCS_KEY_PAIR_GEN, 2048 bits): %v", err)
	}
	return pub, priv
}

// genEC generates an EC or Edwards key pair on the curve params.
func (k *osslKagi) genEC(t *testing.T, mech uint, params []byte) (pub, priv pkcs11.ObjectHandle) {
	t.Helper()
	pub, priv, err := k.p.GenerateKeyPair(k.s,
		[]*pkcs11.Mechanism{pkcs11.NewMechanism(mech, nil)},
		[]*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		},
		osslPrivateTemplate())
	if err != nil {
		t.Fatalf("C_GenerateKeyPair(mechanism %#x, CKA_EC_PARAMS %x): %v", mech, params, err)
	}
	return pub, priv
}

func osslPrivateTemplate(extra ...*pkcs11.Attribute) []*pkcs11.Attribute {
	return append([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
	}, extra...)
}

// secret imports a secret key with the given value: a key that encrypts,
// decrypts, wraps and unwraps, or (extractable) a key to be wrapped.
func (k *osslKagi) secret(t *testing.T, keyType uint, value []byte, extractable bool) pkcs11.ObjectHandle {
	t.Helper()
	h, err := k.p.CreateObject(k.s, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, keyType),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, value),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, extractable),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, true),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, !extractable),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, !extractable),
	})
	if err != nil {
		t.Fatalf("C_CreateObject(secret key, type %#x, %d bytes): %v", keyType, len(value), err)
	}
	return h
}

// spki returns CKA_PUBLIC_KEY_INFO of a public key.
func (k *osslKagi) spki(t *testing.T, pub pkcs11.ObjectHandle) []byte {
	t.Helper()
	attrs, err := k.p.GetAttributeValue(k.s, pub, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_KEY_INFO, nil)})
	if err != nil {
		t.Fatalf("C_GetAttributeValue(CKA_PUBLIC_KEY_INFO): %v", err)
	}
	if len(attrs[0].Value) == 0 {
		t.Fatalf("C_GetAttributeValue(CKA_PUBLIC_KEY_INFO) of a generated public key is empty")
	}
	return attrs[0].Value
}

// value returns CKA_VALUE of a secret key.
func (k *osslKagi) value(t *testing.T, h pkcs11.ObjectHandle) []byte {
	t.Helper()
	attrs, err := k.p.GetAttributeValue(k.s, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
	if err != nil {
		t.Fatalf("C_GetAttributeValue(CKA_VALUE): %v", err)
	}
	return attrs[0].Value
}

func (k *osslKagi) sign(t *testing.T, m *pkcs11.Mechanism, key pkcs11.ObjectHandle, msg []byte) []byte {
	t.Helper()
	if err := k.p.SignInit(k.s, []*pkcs11.Mechanism{m}, key); err != nil {
		t.Fatalf("C_SignInit(mechanism %#x): %v", m.Mechanism, err)
	}
	sig, err := k.p.Sign(k.s, msg)
	if err != nil {
		t.Fatalf("C_Sign(mechanism %#x): %v", m.Mechanism, err)
	}
	return sig
}

func (k *osslKagi) encrypt(t *testing.T, m *pkcs11.Mechanism, key pkcs11.ObjectHandle, pt []byte) []byte {
	t.Helper()
	if err := k.p.EncryptInit(k.s, []*pkcs11.Mechanism{m}, key); err != nil {
		t.Fatalf("C_EncryptInit(mechanism %#x): %v", m.Mechanism, err)
	}
	ct, err := k.p.Encrypt(k.s, pt)
	if err != nil {
		t.Fatalf("C_Encrypt(mechanism %#x, %d bytes): %v", m.Mechanism, len(pt), err)
	}
	return ct
}

func (k *osslKagi) decrypt(t *testing.T, m *pkcs11.Mechanism, key pkcs11.ObjectHandle, ct []byte) []byte {
	t.Helper()
	if err := k.p.DecryptInit(k.s, []*pkcs11.Mechanism{m}, key); err != nil {
		t.Fatalf("C_DecryptInit(mechanism %#x): %v", m.Mechanism, err)
	}
	pt, err := k.p.Decrypt(k.s, ct)
	if err != nil {
		t.Fatalf("C_Decrypt(mechanism %#x, %d bytes): %v", m.Mechanism, len(ct), err)
	}
	return pt
}

// osslMust runs openssl args... in dir and fails the test if it fails.
func osslMust(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := openssl(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// osslPubPEM writes the DER SubjectPublicKeyInfo spki to pub.der in dir and
// converts it with openssl to pub.pem.
func osslPubPEM(t *testing.T, dir string, spki []byte) {
	t.Helper()
	write(t, dir, "pub.der", spki)
	if out, err := openssl(t, dir, "pkey", "-pubin", "-inform", "DER", "-in", "pub.der", "-out", "pub.pem"); err != nil {
		t.Fatalf("openssl pkey -pubin -inform DER cannot read CKA_PUBLIC_KEY_INFO %x: %v\n%s", spki, err, out)
	}
}

// osslVerify writes msg to msg.bin and sig to sig.bin in dir, runs the
// openssl verification args (which name those files) and wants success;
// then it flips a bit of the message and wants openssl to refuse.
func osslVerify(t *testing.T, dir string, msg, sig []byte, args ...string) {
	t.Helper()
	write(t, dir, "msg.bin", msg)
	write(t, dir, "sig.bin", sig)
	if out, err := openssl(t, dir, args...); err != nil || !strings.Contains(out, "Verified OK") && !strings.Contains(out, "Signature Verified Successfully") {
		t.Fatalf("openssl %s rejects the signature kagi made (%x) over %x: %v\n%s", strings.Join(args, " "), sig, msg, err, out)
	}
	bad := bytes.Clone(msg)
	bad[0] ^= 1
	write(t, dir, "msg.bin", bad)
	if out, err := openssl(t, dir, args...); err == nil {
		t.Errorf("openssl %s also accepts the signature over a changed message:\n%s", strings.Join(args, " "), out)
	}
	write(t, dir, "msg.bin", msg)
}

func osslRandom(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

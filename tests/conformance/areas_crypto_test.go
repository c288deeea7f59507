package conformance

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"math/big"

	"github.com/miekg/pkcs11"
)

func randomCases() []tcase {
	cs := []tcase{
		{name: "SeedRandom", run: func(x *X) {
			x.ok("C_SeedRandom", x.p.SeedRandom(x.ro(), []byte("some seed")))
		}},
		{name: "InvalidSession", run: func(x *X) {
			_, err := x.p.GenerateRandom(badSession, 16)
			x.rv("C_GenerateRandom", err, pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "Distinct", run: func(x *X) {
			sh := x.ro()
			var seen [][]byte
			for i := 0; i < 16; i++ {
				b, err := x.p.GenerateRandom(sh, 32)
				x.must("C_GenerateRandom", err)
				if hasBytes(seen, b) {
					x.Errorf("C_GenerateRandom repeated a 32-byte output")
				}
				seen = append(seen, b)
			}
		}},
	}
	for _, n := range []int{1, 16, 33, 1000, 4096} {
		cs = append(cs, tcase{name: "Length" + itoa(n), run: func(x *X) {
			b, err := x.p.GenerateRandom(x.ro(), n)
			if x.ok("C_GenerateRandom", err) {
				x.eq("length", len(b), n)
				if n >= 16 && bytes.Equal(b, make([]byte, n)) {
					x.Errorf("C_GenerateRandom(%d) returned zeros", n)
				}
			}
		}})
	}
	return cs
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

var digests = []struct {
	name string
	m    uint
	h    func() hash.Hash
}{
	{"SHA1", pkcs11.CKM_SHA_1, sha1.New},
	{"SHA224", pkcs11.CKM_SHA224, sha256.New224},
	{"SHA256", pkcs11.CKM_SHA256, sha256.New},
	{"SHA384", pkcs11.CKM_SHA384, sha512.New384},
	{"SHA512", pkcs11.CKM_SHA512, sha512.New},
}

func digestCases() []tcase {
	var cs []tcase
	msg := bytes.Repeat([]byte("conformance digest "), 100)
	for _, d := range digests {
		want := func(b []byte) []byte { h := d.h(); h.Write(b); return h.Sum(nil) }
		cs = append(cs,
			tcase{name: d.name + "/Single", run: func(x *X) {
				sh := x.ro()
				x.must("C_DigestInit", x.p.DigestInit(sh, mech(d.m, nil)))
				got, err := x.p.Digest(sh, msg)
				if x.ok("C_Digest", err) {
					x.eq("digest", got, want(msg))
				}
			}},
			tcase{name: d.name + "/Empty", run: func(x *X) {
				sh := x.ro()
				x.must("C_DigestInit", x.p.DigestInit(sh, mech(d.m, nil)))
				got, err := x.p.Digest(sh, []byte{})
				if x.ok("C_Digest", err) {
					x.eq("digest", got, want(nil))
				}
			}},
			tcase{name: d.name + "/MultiPart", run: func(x *X) {
				sh := x.ro()
				x.must("C_DigestInit", x.p.DigestInit(sh, mech(d.m, nil)))
				for i := 0; i < len(msg); i += 77 {
					x.must("C_DigestUpdate", x.p.DigestUpdate(sh, msg[i:min(i+77, len(msg))]))
				}
				got, err := x.p.DigestFinal(sh)
				if x.ok("C_DigestFinal", err) {
					x.eq("digest", got, want(msg))
				}
			}},
			tcase{name: d.name + "/DigestKey", run: func(x *X) {
				sh := x.user()
				k := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, []byte("digest this key"), pkcs11.CKA_SENSITIVE, false)
				x.must("C_DigestInit", x.p.DigestInit(sh, mech(d.m, nil)))
				x.must("C_DigestUpdate", x.p.DigestUpdate(sh, []byte("a")))
				x.ok("C_DigestKey", x.p.DigestKey(sh, k))
				got, err := x.p.DigestFinal(sh)
				if x.ok("C_DigestFinal", err) {
					x.eq("digest", got, want([]byte("adigest this key")))
				}
			}},
		)
	}
	cs = append(cs,
		tcase{name: "UpdateWithoutInit", run: func(x *X) {
			x.rv("C_DigestUpdate", x.p.DigestUpdate(x.ro(), []byte("a")), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		tcase{name: "FinalWithoutInit", run: func(x *X) {
			_, err := x.p.DigestFinal(x.ro())
			x.rv("C_DigestFinal", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		tcase{name: "InitTwice", run: func(x *X) {
			sh := x.ro()
			x.must("C_DigestInit", x.p.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)))
			x.rv("second C_DigestInit", x.p.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)), pkcs11.CKR_OPERATION_ACTIVE)
		}},
		tcase{name: "InvalidMechanism", run: func(x *X) {
			x.rv("C_DigestInit(CKM_AES_CBC)", x.p.DigestInit(x.ro(), mech(pkcs11.CKM_AES_CBC, nil)), pkcs11.CKR_MECHANISM_INVALID)
		}},
		tcase{name: "OperationEndsAfterDigest", run: func(x *X) {
			sh := x.ro()
			x.must("C_DigestInit", x.p.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)))
			_, err := x.p.Digest(sh, []byte("a"))
			x.must("C_Digest", err)
			_, err = x.p.Digest(sh, []byte("a"))
			x.rv("second C_Digest", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		tcase{name: "DigestKeySensitive", run: func(x *X) {
			// Digesting a sensitive key is allowed: the digest is not the key.
			sh := x.user()
			k := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, []byte("digest this key"), pkcs11.CKA_SENSITIVE, true)
			x.must("C_DigestInit", x.p.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)))
			x.ok("C_DigestKey(sensitive)", x.p.DigestKey(sh, k))
			got, err := x.p.DigestFinal(sh)
			if x.ok("C_DigestFinal", err) {
				x.eq("digest", got, hashOf(crypto.SHA256, []byte("digest this key")))
			}
		}},
		tcase{name: "InvalidSession", run: func(x *X) {
			x.rv("C_DigestInit", x.p.DigestInit(badSession, mech(pkcs11.CKM_SHA256, nil)), pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
	)
	return cs
}

// Sign/verify.

type signer struct {
	name   string
	m      []*pkcs11.Mechanism
	kind   string // rsa, ec, hmac
	prep   func(msg []byte) []byte
	verify func(x *X, msg, sig []byte) bool
}

func hashOf(h crypto.Hash, msg []byte) []byte { w := h.New(); w.Write(msg); return w.Sum(nil) }

func rsaPKCS(name string, m uint, h crypto.Hash) signer {
	return signer{name: name, m: mech(m, nil), kind: "rsa", verify: func(x *X, msg, sig []byte) bool {
		return rsa.VerifyPKCS1v15(&rsaKey().PublicKey, h, hashOf(h, msg), sig) == nil
	}}
}

func rsaPSS(name string, m uint, h crypto.Hash, hm, mgf uint) signer {
	p := pkcs11.NewPSSParams(hm, mgf, uint(h.Size()))
	return signer{name: name, m: mech(m, p), kind: "rsa", verify: func(x *X, msg, sig []byte) bool {
		return rsa.VerifyPSS(&rsaKey().PublicKey, h, hashOf(h, msg), sig, &rsa.PSSOptions{SaltLength: h.Size()}) == nil
	}}
}

func ecdsaSig(name string, m uint, h crypto.Hash) signer {
	return signer{name: name, m: mech(m, nil), kind: "ec", verify: func(x *X, msg, sig []byte) bool {
		if len(sig) != 64 {
			return false
		}
		d := msg
		if h != 0 {
			d = hashOf(h, msg)
		}
		return ecdsa.Verify(&ecKey().PublicKey, d, new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	}}
}

var hmacKey = []byte("an HMAC key of sixty-four bytes, as long as SHA-512 output is....")

func hmacSig(name string, m uint, h func() hash.Hash) signer {
	return signer{name: name, m: mech(m, nil), kind: "hmac", verify: func(x *X, msg, sig []byte) bool {
		w := hmac.New(h, hmacKey)
		w.Write(msg)
		return hmac.Equal(w.Sum(nil), sig)
	}}
}

var signers = []signer{
	rsaPKCS("SHA1_RSA_PKCS", pkcs11.CKM_SHA1_RSA_PKCS, crypto.SHA1),
	rsaPKCS("SHA224_RSA_PKCS", pkcs11.CKM_SHA224_RSA_PKCS, crypto.SHA224),
	rsaPKCS("SHA256_RSA_PKCS", pkcs11.CKM_SHA256_RSA_PKCS, crypto.SHA256),
	rsaPKCS("SHA384_RSA_PKCS", pkcs11.CKM_SHA384_RSA_PKCS, crypto.SHA384),
	rsaPKCS("SHA512_RSA_PKCS", pkcs11.CKM_SHA512_RSA_PKCS, crypto.SHA512),
	rsaPSS("SHA1_RSA_PKCS_PSS", pkcs11.CKM_SHA1_RSA_PKCS_PSS, crypto.SHA1, pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1),
	rsaPSS("SHA256_RSA_PKCS_PSS", pkcs11.CKM_SHA256_RSA_PKCS_PSS, crypto.SHA256, pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256),
	rsaPSS("SHA384_RSA_PKCS_PSS", pkcs11.CKM_SHA384_RSA_PKCS_PSS, crypto.SHA384, pkcs11.CKM_SHA384, pkcs11.CKG_MGF1_SHA384),
	rsaPSS("SHA512_RSA_PKCS_PSS", pkcs11.CKM_SHA512_RSA_PKCS_PSS, crypto.SHA512, pkcs11.CKM_SHA512, pkcs11.CKG_MGF1_SHA512),
	ecdsaSig("ECDSA_SHA1", pkcs11.CKM_ECDSA_SHA1, crypto.SHA1),
	ecdsaSig("ECDSA_SHA256", pkcs11.CKM_ECDSA_SHA256, crypto.SHA256),
	ecdsaSig("ECDSA_SHA384", pkcs11.CKM_ECDSA_SHA384, crypto.SHA384),
	ecdsaSig("ECDSA_SHA512", pkcs11.CKM_ECDSA_SHA512, crypto.SHA512),
	hmacSig("SHA_1_HMAC", pkcs11.CKM_SHA_1_HMAC, sha1.New),
	hmacSig("SHA224_HMAC", pkcs11.CKM_SHA224_HMAC, sha256.New224),
	hmacSig("SHA256_HMAC", pkcs11.CKM_SHA256_HMAC, sha256.New),
	hmacSig("SHA384_HMAC", pkcs11.CKM_SHA384_HMAC, sha512.New384),
	hmacSig("SHA512_HMAC", pkcs11.CKM_SHA512_HMAC, sha512.New),
}

// signKeys imports the key pair (or the secret) of a kind.
func (x *X) signKeys(sh pkcs11.SessionHandle, kind string) (priv, pub pkcs11.ObjectHandle) {
	x.Helper()
	switch kind {
	case "rsa":
		return x.create(sh, rsaPrivateTemplate(false)), x.create(sh, rsaPublicTemplate(false))
	case "ec":
		return x.create(sh, ecPrivateTemplate(false)), x.create(sh, ecPublicTemplate(false))
	}
	k := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, hmacKey, pkcs11.CKA_SIGN, true, pkcs11.CKA_VERIFY, true)
	return k, k
}

func signVerifyCases() []tcase {
	var cs []tcase
	msg := bytes.Repeat([]byte("sign me "), 50)
	for _, s := range signers {
		cs = append(cs,
			tcase{name: s.name + "/Single", run: func(x *X) {
				sh := x.user()
				priv, pub := x.signKeys(sh, s.kind)
				if !x.initOK("C_SignInit", s.m, x.p.SignInit(sh, s.m, priv)) {
					return
				}
				sig, err := x.p.Sign(sh, msg)
				if !x.ok("C_Sign", err) {
					return
				}
				x.eq("signature verifies with Go", s.verify(x, msg, sig), true)
				x.must("C_VerifyInit", x.p.VerifyInit(sh, s.m, pub))
				x.ok("C_Verify", x.p.Verify(sh, msg, sig))
			}},
			tcase{name: s.name + "/MultiPart", run: func(x *X) {
				sh := x.user()
				priv, pub := x.signKeys(sh, s.kind)
				if !x.initOK("C_SignInit", s.m, x.p.SignInit(sh, s.m, priv)) {
					return
				}
				for i := 0; i < len(msg); i += 60 {
					x.must("C_SignUpdate", x.p.SignUpdate(sh, msg[i:min(i+60, len(msg))]))
				}
				sig, err := x.p.SignFinal(sh)
				if !x.ok("C_SignFinal", err) {
					return
				}
				x.eq("signature verifies with Go", s.verify(x, msg, sig), true)
				x.must("C_VerifyInit", x.p.VerifyInit(sh, s.m, pub))
				x.must("C_VerifyUpdate", x.p.VerifyUpdate(sh, msg[:100]))
				x.must("C_VerifyUpdate", x.p.VerifyUpdate(sh, msg[100:]))
				x.ok("C_VerifyFinal", x.p.VerifyFinal(sh, sig))
			}},
			tcase{name: s.name + "/BadSignature", run: func(x *X) {
				sh := x.user()
				priv, pub := x.signKeys(sh, s.kind)
				if !x.initOK("C_SignInit", s.m, x.p.SignInit(sh, s.m, priv)) {
					return
				}
				sig, err := x.p.Sign(sh, msg)
				x.must("C_Sign", err)
				sig[len(sig)/2] ^= 1
				x.must("C_VerifyInit", x.p.VerifyInit(sh, s.m, pub))
				x.rv("C_Verify(flipped bit)", x.p.Verify(sh, msg, sig), pkcs11.CKR_SIGNATURE_INVALID)
				x.must("C_VerifyInit", x.p.VerifyInit(sh, s.m, pub))
				x.rv("C_Verify(short signature)", x.p.Verify(sh, msg, sig[:len(sig)-1]), pkcs11.CKR_SIGNATURE_LEN_RANGE)
			}},
		)
	}
	cs = append(cs,
		tcase{name: "RSA_PKCS/Raw", run: func(x *X) {
			sh := x.user()
			priv, pub := x.signKeys(sh, "rsa")
			di := append([]byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
				hashOf(crypto.SHA256, msg)...)
			x.must("C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_RSA_PKCS, nil), priv))
			sig, err := x.p.Sign(sh, di)
			if x.ok("C_Sign", err) {
				x.eq("verifies with Go", rsa.VerifyPKCS1v15(&rsaKey().PublicKey, crypto.SHA256, hashOf(crypto.SHA256, msg), sig) == nil, true)
				x.must("C_VerifyInit", x.p.VerifyInit(sh, mech(pkcs11.CKM_RSA_PKCS, nil), pub))
				x.ok("C_Verify", x.p.Verify(sh, di, sig))
			}
		}},
		tcase{name: "RSA_PKCS/DataTooLong", run: func(x *X) {
			sh := x.user()
			priv, _ := x.signKeys(sh, "rsa")
			x.must("C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_RSA_PKCS, nil), priv))
			_, err := x.p.Sign(sh, make([]byte, 246))
			x.rv("C_Sign(246 bytes, 2048-bit key)", err, pkcs11.CKR_DATA_LEN_RANGE)
		}},
		tcase{name: "ECDSA/Raw", run: func(x *X) {
			sh := x.user()
			priv, pub := x.signKeys(sh, "ec")
			h := hashOf(crypto.SHA256, msg)
			x.must("C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_ECDSA, nil), priv))
			sig, err := x.p.Sign(sh, h)
			if x.ok("C_Sign", err) {
				x.eq("verifies with Go", ecdsaSig("", 0, 0).verify(x, h, sig), true)
				x.must("C_VerifyInit", x.p.VerifyInit(sh, mech(pkcs11.CKM_ECDSA, nil), pub))
				x.ok("C_Verify", x.p.Verify(sh, h, sig))
			}
		}},
		tcase{name: "PSS/Raw", run: func(x *X) {
			sh := x.user()
			priv, _ := x.signKeys(sh, "rsa")
			h := hashOf(crypto.SHA256, msg)
			x.must("C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_RSA_PKCS_PSS, pkcs11.NewPSSParams(pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256, 32)), priv))
			sig, err := x.p.Sign(sh, h)
			if x.ok("C_Sign", err) {
				x.eq("verifies with Go", rsa.VerifyPSS(&rsaKey().PublicKey, crypto.SHA256, h, sig, &rsa.PSSOptions{SaltLength: 32}) == nil, true)
			}
		}},
		tcase{name: "PSS/NoParams", run: func(x *X) {
			sh := x.user()
			priv, _ := x.signKeys(sh, "rsa")
			x.rv("C_SignInit(PSS without params)", x.p.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS_PSS, nil), priv), pkcs11.CKR_MECHANISM_PARAM_INVALID)
		}},
		tcase{name: "KeyWithoutSign", run: func(x *X) {
			sh := x.user()
			k := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, hmacKey, pkcs11.CKA_SIGN, false)
			x.rv("C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_SHA256_HMAC, nil), k), pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED)
		}},
		tcase{name: "KeyTypeInconsistent", run: func(x *X) {
			sh := x.user()
			priv, _ := x.signKeys(sh, "ec")
			x.rv("C_SignInit(RSA mechanism, EC key)", x.p.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), priv), pkcs11.CKR_KEY_TYPE_INCONSISTENT)
		}},
		tcase{name: "InvalidKeyHandle", run: func(x *X) {
			x.rv("C_SignInit", x.p.SignInit(x.user(), mech(pkcs11.CKM_SHA256_HMAC, nil), badObject), pkcs11.CKR_KEY_HANDLE_INVALID)
		}},
		tcase{name: "SignWithoutInit", run: func(x *X) {
			_, err := x.p.Sign(x.user(), msg)
			x.rv("C_Sign", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		tcase{name: "VerifyWithoutInit", run: func(x *X) {
			x.rv("C_Verify", x.p.Verify(x.user(), msg, make([]byte, 32)), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		tcase{name: "SignInitTwice", run: func(x *X) {
			sh := x.user()
			k, _ := x.signKeys(sh, "hmac")
			x.must("C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_SHA256_HMAC, nil), k))
			x.rv("second C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_SHA256_HMAC, nil), k), pkcs11.CKR_OPERATION_ACTIVE)
		}},
		tcase{name: "MechanismInvalid", run: func(x *X) {
			sh := x.user()
			k, _ := x.signKeys(sh, "hmac")
			x.rv("C_SignInit(CKM_SHA256)", x.p.SignInit(sh, mech(pkcs11.CKM_SHA256, nil), k), pkcs11.CKR_MECHANISM_INVALID)
		}},
		tcase{name: "PrivateKeyNeedsLogin", run: func(x *X) {
			sh := x.user()
			priv, _ := x.signKeys(sh, "ec")
			x.must("C_Logout", x.p.Logout(sh))
			x.rv("C_SignInit after logout", x.p.SignInit(sh, mech(pkcs11.CKM_ECDSA, nil), priv), pkcs11.CKR_KEY_HANDLE_INVALID)
		}},
	)
	return cs
}

// Symmetric encryption.

type symCase struct {
	name    string
	keyType uint
	key     []byte
	m       func() []*pkcs11.Mechanism
	// ref encrypts with Go's standard library.
	ref    func(pt []byte) []byte
	ptLen  int
	padded bool
}

var (
	iv16  = []byte("initialvector-16")
	iv8   = []byte("iv8bytes")
	aes24 = []byte("0123456789abcdef01234567")
	aes32 = []byte("0123456789abcdef0123456789abcdef")
)

func pkcs7(b []byte, n int) []byte {
	p := n - len(b)%n
	return append(append([]byte{}, b...), bytes.Repeat([]byte{byte(p)}, p)...)
}

func ecb(b cipher.Block, pt []byte) []byte {
	out := make([]byte, len(pt))
	for i := 0; i < len(pt); i += b.BlockSize() {
		b.Encrypt(out[i:], pt[i:])
	}
	return out
}

func cbc(b cipher.Block, iv, pt []byte) []byte {
	out := make([]byte, len(pt))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, pt)
	return out
}

func aesBlock(k []byte) cipher.Block { b, _ := aes.NewCipher(k); return b }
func des3Block() cipher.Block        { b, _ := des.NewTripleDESCipher(des3Value); return b }

func symCases() []symCase {
	var out []symCase
	for _, k := range [][]byte{aesValue, aes24, aes32} {
		bits := itoa(len(k) * 8)
		out = append(out,
			symCase{name: "AES" + bits + "_ECB", keyType: pkcs11.CKK_AES, key: k, ptLen: 64,
				m: func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_AES_ECB, nil) }, ref: func(pt []byte) []byte { return ecb(aesBlock(k), pt) }},
			symCase{name: "AES" + bits + "_CBC", keyType: pkcs11.CKK_AES, key: k, ptLen: 64,
				m: func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_AES_CBC, iv16) }, ref: func(pt []byte) []byte { return cbc(aesBlock(k), iv16, pt) }},
			symCase{name: "AES" + bits + "_CBC_PAD", keyType: pkcs11.CKK_AES, key: k, ptLen: 61, padded: true,
				m: func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_AES_CBC_PAD, iv16) }, ref: func(pt []byte) []byte { return cbc(aesBlock(k), iv16, pkcs7(pt, 16)) }},
			symCase{name: "AES" + bits + "_CTR", keyType: pkcs11.CKK_AES, key: k, ptLen: 61,
				m: func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_AES_CTR, ctrParams(128, iv16)) },
				ref: func(pt []byte) []byte {
					out := make([]byte, len(pt))
					cipher.NewCTR(aesBlock(k), iv16).XORKeyStream(out, pt)
					return out
				}},
			symCase{name: "AES" + bits + "_GCM", keyType: pkcs11.CKK_AES, key: k, ptLen: 61,
				m: func() []*pkcs11.Mechanism {
					return mech(pkcs11.CKM_AES_GCM, pkcs11.NewGCMParams(iv16[:12], []byte("aad"), 128))
				},
				ref: func(pt []byte) []byte {
					g, _ := cipher.NewGCM(aesBlock(k))
					return g.Seal(nil, iv16[:12], pt, []byte("aad"))
				}},
		)
	}
	out = append(out,
		symCase{name: "DES3_ECB", keyType: pkcs11.CKK_DES3, key: des3Value, ptLen: 64,
			m: func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_DES3_ECB, nil) }, ref: func(pt []byte) []byte { return ecb(des3Block(), pt) }},
		symCase{name: "DES3_CBC", keyType: pkcs11.CKK_DES3, key: des3Value, ptLen: 64,
			m: func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_DES3_CBC, iv8) }, ref: func(pt []byte) []byte { return cbc(des3Block(), iv8, pt) }},
		symCase{name: "DES3_CBC_PAD", keyType: pkcs11.CKK_DES3, key: des3Value, ptLen: 61, padded: true,
			m: func() []*pkcs11.Mechanism { return mech(pkcs11.CKM_DES3_CBC_PAD, iv8) }, ref: func(pt []byte) []byte { return cbc(des3Block(), iv8, pkcs7(pt, 8)) }},
	)
	return out
}

// ctrParams is CK_AES_CTR_PARAMS: ulCounterBits then the 16-byte counter block.
func ctrParams(bits uint, cb []byte) []byte { return append(ulongBytes(bits), cb...) }

func symmetricCases() []tcase {
	var cs []tcase
	for _, c := range symCases() {
		pt := bytes.Repeat([]byte("p"), c.ptLen)
		key := func(x *X, sh pkcs11.SessionHandle) pkcs11.ObjectHandle {
			return x.secret(sh, c.keyType, c.key, pkcs11.CKA_ENCRYPT, true, pkcs11.CKA_DECRYPT, true)
		}
		cs = append(cs,
			tcase{name: c.name + "/Single", run: func(x *X) {
				sh := x.user()
				k := key(x, sh)
				x.must("C_EncryptInit", x.p.EncryptInit(sh, c.m(), k))
				ct, err := x.p.Encrypt(sh, pt)
				if !x.ok("C_Encrypt", err) {
					return
				}
				x.eq("ciphertext equals Go's", ct, c.ref(pt))
				x.must("C_DecryptInit", x.p.DecryptInit(sh, c.m(), k))
				back, err := x.p.Decrypt(sh, ct)
				if x.ok("C_Decrypt", err) {
					x.eq("plaintext", back, pt)
				}
			}},
			tcase{name: c.name + "/MultiPart", run: func(x *X) {
				sh := x.user()
				k := key(x, sh)
				x.must("C_EncryptInit", x.p.EncryptInit(sh, c.m(), k))
				var ct []byte
				for i := 0; i < len(pt); i += 24 {
					part, err := x.p.EncryptUpdate(sh, pt[i:min(i+24, len(pt))])
					x.must("C_EncryptUpdate", err)
					ct = append(ct, part...)
				}
				last, err := x.p.EncryptFinal(sh)
				if !x.ok("C_EncryptFinal", err) {
					return
				}
				ct = append(ct, last...)
				x.eq("ciphertext equals Go's", ct, c.ref(pt))
				x.must("C_DecryptInit", x.p.DecryptInit(sh, c.m(), k))
				var back []byte
				for i := 0; i < len(ct); i += 20 {
					part, err := x.p.DecryptUpdate(sh, ct[i:min(i+20, len(ct))])
					x.must("C_DecryptUpdate", err)
					back = append(back, part...)
				}
				last, err = x.p.DecryptFinal(sh)
				if x.ok("C_DecryptFinal", err) {
					x.eq("plaintext", append(back, last...), pt)
				}
			}},
		)
		if c.ptLen%16 == 0 && !c.padded {
			cs = append(cs, tcase{name: c.name + "/PartialBlock", run: func(x *X) {
				sh := x.user()
				x.must("C_EncryptInit", x.p.EncryptInit(sh, c.m(), key(x, sh)))
				_, err := x.p.Encrypt(sh, pt[:len(pt)-1])
				x.rv("C_Encrypt(not a whole block)", err, pkcs11.CKR_DATA_LEN_RANGE)
			}})
		}
		if c.padded {
			cs = append(cs, tcase{name: c.name + "/BadPadding", run: func(x *X) {
				sh := x.user()
				k := key(x, sh)
				ct := c.ref(pt)
				// Decrypting the ciphertext of a whole-block plaintext with a
				// last byte of 0 (made by encrypting without padding).
				bs := 16
				if c.keyType == pkcs11.CKK_DES3 {
					bs = 8
				}
				bad := make([]byte, len(ct))
				copy(bad, ct)
				bad[len(bad)-bs-1] ^= 0x5a // garbles the padding block's plaintext
				x.must("C_DecryptInit", x.p.DecryptInit(sh, c.m(), k))
				_, err := x.p.Decrypt(sh, bad)
				x.rv("C_Decrypt(garbled padding)", err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)
			}})
		}
	}
	cs = append(cs,
		tcase{name: "GCM/BadTag", run: func(x *X) {
			sh := x.user()
			k := x.secret(sh, pkcs11.CKK_AES, aesValue, pkcs11.CKA_DECRYPT, true)
			g, _ := cipher.NewGCM(aesBlock(aesValue))
			ct := g.Seal(nil, iv16[:12], []byte("message"), nil)
			ct[len(ct)-1] ^= 1
			x.must("C_DecryptInit", x.p.DecryptInit(sh, mech(pkcs11.CKM_AES_GCM, pkcs11.NewGCMParams(iv16[:12], nil, 128)), k))
			_, err := x.p.Decrypt(sh, ct)
			x.rv("C_Decrypt(bad tag)", err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)
		}},
		tcase{name: "CBC/BadIVLength", run: func(x *X) {
			sh := x.user()
			k := x.aesKey(sh, aesValue)
			x.rv("C_EncryptInit(8-byte IV)", x.p.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC, iv8), k), pkcs11.CKR_MECHANISM_PARAM_INVALID)
		}},
		tcase{name: "KeyWithoutEncrypt", run: func(x *X) {
			sh := x.user()
			k := x.secret(sh, pkcs11.CKK_AES, aesValue, pkcs11.CKA_ENCRYPT, false)
			x.rv("C_EncryptInit", x.p.EncryptInit(sh, mech(pkcs11.CKM_AES_ECB, nil), k), pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED)
		}},
		tcase{name: "KeyWithoutDecrypt", run: func(x *X) {
			sh := x.user()
			k := x.secret(sh, pkcs11.CKK_AES, aesValue, pkcs11.CKA_DECRYPT, false)
			x.rv("C_DecryptInit", x.p.DecryptInit(sh, mech(pkcs11.CKM_AES_ECB, nil), k), pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED)
		}},
		tcase{name: "KeyTypeInconsistent", run: func(x *X) {
			sh := x.user()
			k := x.secret(sh, pkcs11.CKK_DES3, des3Value, pkcs11.CKA_ENCRYPT, true)
			x.rv("C_EncryptInit(AES mechanism, DES3 key)", x.p.EncryptInit(sh, mech(pkcs11.CKM_AES_ECB, nil), k), pkcs11.CKR_KEY_TYPE_INCONSISTENT)
		}},
		tcase{name: "EncryptWithoutInit", run: func(x *X) {
			_, err := x.p.Encrypt(x.user(), aesValue)
			x.rv("C_Encrypt", err, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		tcase{name: "EncryptInitTwice", run: func(x *X) {
			sh := x.user()
			k := x.aesKey(sh, aesValue)
			x.must("C_EncryptInit", x.p.EncryptInit(sh, mech(pkcs11.CKM_AES_ECB, nil), k))
			x.rv("second C_EncryptInit", x.p.EncryptInit(sh, mech(pkcs11.CKM_AES_ECB, nil), k), pkcs11.CKR_OPERATION_ACTIVE)
		}},
		tcase{name: "DecryptWholeBlocks", run: func(x *X) {
			sh := x.user()
			k := x.aesKey(sh, aesValue)
			x.must("C_DecryptInit", x.p.DecryptInit(sh, mech(pkcs11.CKM_AES_CBC, iv16), k))
			_, err := x.p.Decrypt(sh, make([]byte, 17))
			x.rv("C_Decrypt(17 bytes)", err, pkcs11.CKR_ENCRYPTED_DATA_LEN_RANGE)
		}},
		tcase{name: "GenerateAES", run: func(x *X) {
			sh := x.user()
			for _, n := range []int{16, 24, 32} {
				k, err := x.p.GenerateKey(sh, mech(pkcs11.CKM_AES_KEY_GEN, nil), tmpl(pkcs11.CKA_VALUE_LEN, n, pkcs11.CKA_ENCRYPT, true))
				if x.ok("C_GenerateKey(AES "+itoa(n)+")", err) {
					x.eq("CKA_VALUE_LEN", x.getULong(sh, k, pkcs11.CKA_VALUE_LEN), uint(n))
				}
			}
		}},
		tcase{name: "GenerateAESBadLength", run: func(x *X) {
			_, err := x.p.GenerateKey(x.user(), mech(pkcs11.CKM_AES_KEY_GEN, nil), tmpl(pkcs11.CKA_VALUE_LEN, 20))
			x.rv("C_GenerateKey(AES 20 bytes)", err, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID)
		}},
		tcase{name: "GenerateAESNoLength", run: func(x *X) {
			_, err := x.p.GenerateKey(x.user(), mech(pkcs11.CKM_AES_KEY_GEN, nil), tmpl(pkcs11.CKA_ENCRYPT, true))
			x.rv("C_GenerateKey(AES without CKA_VALUE_LEN)", err, pkcs11.CKR_TEMPLATE_INCOMPLETE)
		}},
		tcase{name: "GenerateDES3", run: func(x *X) {
			sh := x.user()
			k, err := x.p.GenerateKey(sh, mech(pkcs11.CKM_DES3_KEY_GEN, nil), tmpl(pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true))
			if x.ok("C_GenerateKey(DES3)", err) {
				v := x.mustGet(sh, k, pkcs11.CKA_VALUE)
				x.eq("length", len(v), 24)
				odd := true
				for _, b := range v {
					n := 0
					for ; b != 0; b &= b - 1 {
						n++
					}
					odd = odd && n%2 == 1
				}
				x.eq("odd parity", odd, true)
			}
		}},
	)
	return cs
}

// RSA encryption.

func asymEncryptCases() []tcase {
	pt := []byte("a secret of some length")
	oaep := func(h crypto.Hash, hm, mgf uint) []*pkcs11.Mechanism {
		return mech(pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.NewOAEPParams(hm, mgf, pkcs11.CKZ_DATA_SPECIFIED, nil))
	}
	type ac struct {
		name string
		m    []*pkcs11.Mechanism
		dec  func(ct []byte) ([]byte, error)
		enc  func(pt []byte) ([]byte, error)
	}
	k := func() *rsa.PrivateKey { return rsaKey() }
	list := []ac{
		{"RSA_PKCS", mech(pkcs11.CKM_RSA_PKCS, nil),
			func(ct []byte) ([]byte, error) { return rsa.DecryptPKCS1v15(nil, k(), ct) },
			func(pt []byte) ([]byte, error) { return rsa.EncryptPKCS1v15(rand.Reader, &k().PublicKey, pt) }},
		{"RSA_PKCS_OAEP_SHA1", oaep(crypto.SHA1, pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1),
			func(ct []byte) ([]byte, error) { return rsa.DecryptOAEP(sha1.New(), nil, k(), ct, nil) },
			func(pt []byte) ([]byte, error) {
				return rsa.EncryptOAEP(sha1.New(), rand.Reader, &k().PublicKey, pt, nil)
			}},
		{"RSA_PKCS_OAEP_SHA256", oaep(crypto.SHA256, pkcs11.CKM_SHA256, pkcs11.CKG_MGF1_SHA256),
			func(ct []byte) ([]byte, error) { return rsa.DecryptOAEP(sha256.New(), nil, k(), ct, nil) },
			func(pt []byte) ([]byte, error) {
				return rsa.EncryptOAEP(sha256.New(), rand.Reader, &k().PublicKey, pt, nil)
			}},
	}
	var cs []tcase
	for _, a := range list {
		cs = append(cs,
			tcase{name: a.name + "/EncryptGoDecrypts", run: func(x *X) {
				sh := x.user()
				pub := x.create(sh, rsaPublicTemplate(false))
				if !x.proceed("C_EncryptInit", x.p.EncryptInit(sh, a.m, pub)) {
					return
				}
				ct, err := x.p.Encrypt(sh, pt)
				if x.ok("C_Encrypt", err) {
					back, err := a.dec(ct)
					x.eq("Go decrypts", err == nil && bytes.Equal(back, pt), true)
				}
			}},
			tcase{name: a.name + "/GoEncryptsDecrypt", run: func(x *X) {
				sh := x.user()
				priv := x.create(sh, rsaPrivateTemplate(false))
				ct, err := a.enc(pt)
				x.must("Go encrypt", err)
				if !x.proceed("C_DecryptInit", x.p.DecryptInit(sh, a.m, priv)) {
					return
				}
				back, err := x.p.Decrypt(sh, ct)
				if x.ok("C_Decrypt", err) {
					x.eq("plaintext", back, pt)
				}
			}},
			tcase{name: a.name + "/TooLong", run: func(x *X) {
				sh := x.user()
				pub := x.create(sh, rsaPublicTemplate(false))
				if !x.proceed("C_EncryptInit", x.p.EncryptInit(sh, a.m, pub)) {
					return
				}
				_, err := x.p.Encrypt(sh, make([]byte, 256))
				x.rv("C_Encrypt(256 bytes)", err, pkcs11.CKR_DATA_LEN_RANGE)
			}},
		)
	}
	cs = append(cs,
		tcase{name: "RSA_X_509/RoundTrip", run: func(x *X) {
			sh := x.user()
			pub := x.create(sh, rsaPublicTemplate(false))
			priv := x.create(sh, rsaPrivateTemplate(false))
			m := make([]byte, 256)
			m[10] = 7
			x.must("C_EncryptInit", x.p.EncryptInit(sh, mech(pkcs11.CKM_RSA_X_509, nil), pub))
			ct, err := x.p.Encrypt(sh, m)
			if !x.ok("C_Encrypt", err) {
				return
			}
			e := new(big.Int).Exp(new(big.Int).SetBytes(m), big.NewInt(int64(rsaKey().E)), rsaKey().N)
			x.eq("c = m^e mod n", new(big.Int).SetBytes(ct).Cmp(e), 0)
			x.must("C_DecryptInit", x.p.DecryptInit(sh, mech(pkcs11.CKM_RSA_X_509, nil), priv))
			back, err := x.p.Decrypt(sh, ct)
			if x.ok("C_Decrypt", err) {
				x.eq("plaintext", back, m)
			}
		}},
		tcase{name: "OAEP/BadCiphertext", run: func(x *X) {
			sh := x.user()
			priv := x.create(sh, rsaPrivateTemplate(false))
			ct, _ := rsa.EncryptOAEP(sha1.New(), rand.Reader, &rsaKey().PublicKey, pt, nil)
			ct[5] ^= 1
			x.must("C_DecryptInit", x.p.DecryptInit(sh, oaep(crypto.SHA1, pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1), priv))
			_, err := x.p.Decrypt(sh, ct)
			x.rv("C_Decrypt(garbled)", err, pkcs11.CKR_ENCRYPTED_DATA_INVALID)
		}},
		tcase{name: "PublicKeyCannotDecrypt", run: func(x *X) {
			sh := x.user()
			pub := x.create(sh, rsaPublicTemplate(false))
			x.rv("C_DecryptInit(public key)", x.p.DecryptInit(sh, mech(pkcs11.CKM_RSA_PKCS, nil), pub), pkcs11.CKR_KEY_TYPE_INCONSISTENT)
		}},
	)
	return cs
}

// Wrap and unwrap.

// kwRef wraps with the AES key wrap of RFC 3394 (default IV).
func kwRef(kek, key []byte) []byte {
	b := aesBlock(kek)
	n := len(key) / 8
	a := []byte{0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6}
	r := make([][]byte, n)
	for i := range r {
		r[i] = append([]byte{}, key[8*i:8*i+8]...)
	}
	buf := make([]byte, 16)
	for j := 0; j < 6; j++ {
		for i := 0; i < n; i++ {
			copy(buf, a)
			copy(buf[8:], r[i])
			b.Encrypt(buf, buf)
			t := uint64(n*j + i + 1)
			a = append([]byte{}, buf[:8]...)
			for k := 7; k >= 0 && t > 0; k-- {
				a[k] ^= byte(t)
				t >>= 8
			}
			r[i] = append([]byte{}, buf[8:]...)
		}
	}
	out := a
	for _, ri := range r {
		out = append(out, ri...)
	}
	return out
}

func wrapCases() []tcase {
	target := []byte("the key to wrap!the key to wrap!")
	kek := aes32
	wrapKey := func(x *X, sh pkcs11.SessionHandle) pkcs11.ObjectHandle {
		return x.secret(sh, pkcs11.CKK_AES, kek, pkcs11.CKA_WRAP, true, pkcs11.CKA_UNWRAP, true)
	}
	toWrap := func(x *X, sh pkcs11.SessionHandle, extra ...any) pkcs11.ObjectHandle {
		if len(extra) == 0 {
			extra = []any{pkcs11.CKA_EXTRACTABLE, true}
		}
		return x.secret(sh, pkcs11.CKK_AES, target, append([]any{pkcs11.CKA_ENCRYPT, true}, extra...)...)
	}
	unwrapT := func() []*pkcs11.Attribute {
		return tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES, pkcs11.CKA_TOKEN, false,
			pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true)
	}
	type wc struct {
		name string
		m    []*pkcs11.Mechanism
		ref  func() []byte // nil: checked by round trip only
	}
	list := []wc{
		{"AES_KEY_WRAP", mech(pkcs11.CKM_AES_KEY_WRAP, nil), func() []byte { return kwRef(kek, target) }},
		{"AES_KEY_WRAP_PAD", mech(pkcs11.CKM_AES_KEY_WRAP_PAD, nil), nil},
		{"AES_CBC_PAD", mech(pkcs11.CKM_AES_CBC_PAD, iv16), func() []byte { return cbc(aesBlock(kek), iv16, pkcs7(target, 16)) }},
	}
	var cs []tcase
	for _, w := range list {
		cs = append(cs, tcase{name: w.name + "/RoundTrip", run: func(x *X) {
			sh := x.user()
			wk := wrapKey(x, sh)
			k := toWrap(x, sh)
			wrapped, err := x.p.WrapKey(sh, w.m, wk, k)
			if !x.initOK("C_WrapKey", w.m, err) {
				return
			}
			if w.ref != nil {
				x.eq("wrapped equals the reference", wrapped, w.ref())
			}
			u, err := x.p.UnwrapKey(sh, w.m, wk, wrapped, unwrapT())
			if x.ok("C_UnwrapKey", err) {
				x.eq("unwrapped value", x.mustGet(sh, u, pkcs11.CKA_VALUE), target)
			}
		}})
	}
	cs = append(cs,
		tcase{name: "RSA_PKCS/RoundTrip", run: func(x *X) {
			sh := x.user()
			pub := x.create(sh, rsaPublicTemplate(false))
			priv := x.create(sh, rsaPrivateTemplate(false))
			wrapped, err := x.p.WrapKey(sh, mech(pkcs11.CKM_RSA_PKCS, nil), pub, toWrap(x, sh))
			if !x.ok("C_WrapKey", err) {
				return
			}
			back, err := rsa.DecryptPKCS1v15(nil, rsaKey(), wrapped)
			x.eq("Go unwraps", err == nil && bytes.Equal(back, target), true)
			u, err := x.p.UnwrapKey(sh, mech(pkcs11.CKM_RSA_PKCS, nil), priv, wrapped, unwrapT())
			if x.ok("C_UnwrapKey", err) {
				x.eq("unwrapped value", x.mustGet(sh, u, pkcs11.CKA_VALUE), target)
			}
		}},
		tcase{name: "RSA_PKCS_OAEP/GoWraps", run: func(x *X) {
			sh := x.user()
			priv := x.create(sh, rsaPrivateTemplate(false))
			wrapped, _ := rsa.EncryptOAEP(sha1.New(), rand.Reader, &rsaKey().PublicKey, target, nil)
			m := mech(pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.NewOAEPParams(pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1, pkcs11.CKZ_DATA_SPECIFIED, nil))
			u, err := x.p.UnwrapKey(sh, m, priv, wrapped, unwrapT())
			if x.ok("C_UnwrapKey", err) {
				x.eq("unwrapped value", x.mustGet(sh, u, pkcs11.CKA_VALUE), target)
			}
		}},
		tcase{name: "Unextractable", run: func(x *X) {
			sh := x.user()
			_, err := x.p.WrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), wrapKey(x, sh), toWrap(x, sh, pkcs11.CKA_EXTRACTABLE, false))
			x.rv("C_WrapKey(CKA_EXTRACTABLE false)", err, pkcs11.CKR_KEY_UNEXTRACTABLE)
		}},
		tcase{name: "WrappingKeyWithoutWrap", run: func(x *X) {
			sh := x.user()
			wk := x.secret(sh, pkcs11.CKK_AES, kek, pkcs11.CKA_WRAP, false)
			_, err := x.p.WrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), wk, toWrap(x, sh))
			x.rv("C_WrapKey", err, pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED)
		}},
		tcase{name: "UnwrappingKeyWithoutUnwrap", run: func(x *X) {
			sh := x.user()
			wk := x.secret(sh, pkcs11.CKK_AES, kek, pkcs11.CKA_UNWRAP, false)
			_, err := x.p.UnwrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), wk, kwRef(kek, target), unwrapT())
			x.rv("C_UnwrapKey", err, pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED)
		}},
		tcase{name: "UnwrapCorrupt", run: func(x *X) {
			sh := x.user()
			w := kwRef(kek, target)
			w[3] ^= 1
			_, err := x.p.UnwrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), wrapKey(x, sh), w, unwrapT())
			x.rv("C_UnwrapKey(corrupt)", err, pkcs11.CKR_WRAPPED_KEY_INVALID)
		}},
		tcase{name: "UnwrapBadLength", run: func(x *X) {
			sh := x.user()
			_, err := x.p.UnwrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), wrapKey(x, sh), make([]byte, 33), unwrapT())
			x.rv("C_UnwrapKey(33 bytes)", err, pkcs11.CKR_WRAPPED_KEY_LEN_RANGE)
		}},
		tcase{name: "UnwrappedKeyFlags", run: func(x *X) {
			sh := x.user()
			u, err := x.p.UnwrapKey(sh, mech(pkcs11.CKM_AES_KEY_WRAP, nil), wrapKey(x, sh), kwRef(kek, target), unwrapT())
			x.must("C_UnwrapKey", err)
			x.eq("CKA_LOCAL", x.getBool(sh, u, pkcs11.CKA_LOCAL), false)
			x.eq("CKA_ALWAYS_SENSITIVE", x.getBool(sh, u, pkcs11.CKA_ALWAYS_SENSITIVE), false)
			x.eq("CKA_NEVER_EXTRACTABLE", x.getBool(sh, u, pkcs11.CKA_NEVER_EXTRACTABLE), false)
			x.eq("CKA_VALUE_LEN", x.getULong(sh, u, pkcs11.CKA_VALUE_LEN), uint(32))
		}},
	)
	return cs
}

// Derive.

func deriveCases() []tcase {
	derived := func(extra ...any) []*pkcs11.Attribute {
		return append(tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET,
			pkcs11.CKA_TOKEN, false, pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true), tmpl(extra...)...)
	}
	return []tcase{
		{name: "ECDH1/Null", run: func(x *X) {
			sh := x.user()
			priv := x.create(sh, ecPrivateTemplate(false))
			peer, _ := ecdh.P256().GenerateKey(rand.Reader)
			p := pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, peer.PublicKey().Bytes())
			k, err := x.p.DeriveKey(sh, mech(pkcs11.CKM_ECDH1_DERIVE, p), priv, derived(pkcs11.CKA_VALUE_LEN, 32))
			if !x.ok("C_DeriveKey", err) {
				return
			}
			mine, _ := ecKey().ECDH()
			want, _ := peer.ECDH(mine.PublicKey())
			x.eq("shared secret equals Go's", x.mustGet(sh, k, pkcs11.CKA_VALUE), want)
		}},
		{name: "ECDH1/DERPeerPoint", run: func(x *X) {
			sh := x.user()
			priv := x.create(sh, ecPrivateTemplate(false))
			peer, _ := ecdh.P256().GenerateKey(rand.Reader)
			raw := peer.PublicKey().Bytes()
			p := pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, append([]byte{0x04, byte(len(raw))}, raw...))
			k, err := x.p.DeriveKey(sh, mech(pkcs11.CKM_ECDH1_DERIVE, p), priv, derived(pkcs11.CKA_VALUE_LEN, 32))
			if !x.ok("C_DeriveKey(DER-wrapped peer point)", err) {
				return
			}
			mine, _ := ecKey().ECDH()
			want, _ := peer.ECDH(mine.PublicKey())
			x.eq("shared secret equals Go's", x.mustGet(sh, k, pkcs11.CKA_VALUE), want)
		}},
		{name: "ECDH1/KeyWithoutDerive", run: func(x *X) {
			sh := x.user()
			t := ecPrivateTemplate(false)
			for _, a := range t {
				if a.Type == pkcs11.CKA_DERIVE {
					a.Value = []byte{0}
				}
			}
			priv := x.create(sh, t)
			peer, _ := ecdh.P256().GenerateKey(rand.Reader)
			p := pkcs11.NewECDH1DeriveParams(pkcs11.CKD_NULL, nil, peer.PublicKey().Bytes())
			_, err := x.p.DeriveKey(sh, mech(pkcs11.CKM_ECDH1_DERIVE, p), priv, derived(pkcs11.CKA_VALUE_LEN, 32))
			x.rv("C_DeriveKey", err, pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED)
		}},
		{name: "ConcatenateBaseAndKey", run: func(x *X) {
			sh := x.user()
			a := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, []byte("first-"), pkcs11.CKA_DERIVE, true, pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true)
			b := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, []byte("second"), pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_DERIVE, true, pkcs11.CKA_EXTRACTABLE, true)
			m := mech(pkcs11.CKM_CONCATENATE_BASE_AND_KEY, ulongBytes(uint(b)))
			k, err := x.p.DeriveKey(sh, m, a, derived())
			if x.initOK("C_DeriveKey", m, err) {
				x.eq("value", x.mustGet(sh, k, pkcs11.CKA_VALUE), []byte("first-second"))
			}
		}},
		{name: "ConcatenateOtherKeyWithoutDerive", run: func(x *X) {
			sh := x.user()
			a := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, []byte("first-"), pkcs11.CKA_DERIVE, true, pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true)
			b := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, []byte("second"), pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_DERIVE, false)
			_, err := x.p.DeriveKey(sh, mech(pkcs11.CKM_CONCATENATE_BASE_AND_KEY, ulongBytes(uint(b))), a, derived())
			x.rv("C_DeriveKey", err, pkcs11.CKR_OK)
		}},
		{name: "ConcatenateSensitiveIsSensitive", run: func(x *X) {
			sh := x.user()
			a := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, []byte("first-"), pkcs11.CKA_DERIVE, true, pkcs11.CKA_SENSITIVE, true)
			b := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, []byte("second"), pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_DERIVE, true, pkcs11.CKA_EXTRACTABLE, true)
			m := mech(pkcs11.CKM_CONCATENATE_BASE_AND_KEY, ulongBytes(uint(b)))
			k, err := x.p.DeriveKey(sh, m,
				a, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET, pkcs11.CKA_TOKEN, false))
			if x.initOK("C_DeriveKey", m, err) {
				x.eq("CKA_SENSITIVE", x.getBool(sh, k, pkcs11.CKA_SENSITIVE), true)
				x.eq("CKA_ALWAYS_SENSITIVE", x.getBool(sh, k, pkcs11.CKA_ALWAYS_SENSITIVE), false)
			}
		}},
	}
}

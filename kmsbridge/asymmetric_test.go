package kmsbridge

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1" // crypto.SHA1
	"crypto/sha256"
	_ "crypto/sha512" // crypto.SHA384, crypto.SHA512
	"crypto/x509"
	"slices"
	"testing"

	"github.com/kagi-hsm/kagi/token"

	"github.com/kagi-hsm/kagi/token/ck"
)

func mustCreateSpec(t *testing.T, b *Bridge, spec, usage string) KeyMetadata {
	t.Helper()
	out, err := b.CreateKey(bg, &CreateKeyRequest{KeySpec: spec, KeyUsage: usage})
	if err != nil {
		t.Fatalf("CreateKey %s %s: %v", spec, usage, err)
	}
	return out.KeyMetadata
}

func publicKey(t *testing.T, b *Bridge, keyID string) crypto.PublicKey {
	t.Helper()
	out, err := b.GetPublicKey(bg, &GetPublicKeyRequest{KeyId: keyID})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		t.Fatalf("GetPublicKey's PublicKey: %v", err)
	}
	return pub
}

var algHash = map[string]crypto.Hash{
	"RSASSA_PSS_SHA_256": crypto.SHA256, "RSASSA_PSS_SHA_384": crypto.SHA384, "RSASSA_PSS_SHA_512": crypto.SHA512,
	"RSASSA_PKCS1_V1_5_SHA_256": crypto.SHA256, "RSASSA_PKCS1_V1_5_SHA_384": crypto.SHA384, "RSASSA_PKCS1_V1_5_SHA_512": crypto.SHA512,
	"ECDSA_SHA_256": crypto.SHA256, "ECDSA_SHA_384": crypto.SHA384, "ECDSA_SHA_512": crypto.SHA512,
}

// stdVerify checks a KMS signature with Go's standard library.
func stdVerify(t *testing.T, pub crypto.PublicKey, alg string, digest, sig []byte) {
	t.Helper()
	h := algHash[alg]
	var err error
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg[:10] == "RSASSA_PSS" {
			err = rsa.VerifyPSS(k, h, digest, sig, &rsa.PSSOptions{SaltLength: h.Size(), Hash: h})
		} else {
			err = rsa.VerifyPKCS1v15(k, h, digest, sig)
		}
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, digest, sig) {
			t.Fatalf("%s: crypto/ecdsa rejects the DER signature", alg)
		}
	default:
		t.Fatalf("public key of type %T", pub)
	}
	if err != nil {
		t.Fatalf("%s: the standard library rejects the signature: %v", alg, err)
	}
}

func digestOf(alg string, msg []byte) []byte {
	h := algHash[alg].New()
	h.Write(msg)
	return h.Sum(nil)
}

func TestAsymmetricMetadata(t *testing.T) {
	b, _, _ := newBridge(t)
	for _, c := range []struct {
		spec, usage    string
		enc, sign, mac []string
	}{
		{"RSA_2048", "SIGN_VERIFY", nil, rsaSigningAlgs, nil},
		{"RSA_3072", "ENCRYPT_DECRYPT", rsaEncryptionAlgs, nil, nil},
		{"ECC_NIST_P256", "SIGN_VERIFY", nil, []string{"ECDSA_SHA_256"}, nil},
		{"ECC_NIST_P384", "SIGN_VERIFY", nil, []string{"ECDSA_SHA_384"}, nil},
		{"ECC_NIST_P521", "SIGN_VERIFY", nil, []string{"ECDSA_SHA_512"}, nil},
		{"HMAC_224", "GENERATE_VERIFY_MAC", nil, nil, []string{"HMAC_SHA_224"}},
		{"HMAC_512", "GENERATE_VERIFY_MAC", nil, nil, []string{"HMAC_SHA_512"}},
	} {
		md := mustCreateSpec(t, b, c.spec, c.usage)
		d, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId})
		if err != nil {
			t.Fatal(err)
		}
		m := d.KeyMetadata
		if m.KeySpec != c.spec || m.CustomerMasterKeySpec != c.spec || m.KeyUsage != c.usage ||
			!slices.Equal(m.EncryptionAlgorithms, c.enc) || !slices.Equal(m.SigningAlgorithms, c.sign) || !slices.Equal(m.MacAlgorithms, c.mac) {
			t.Fatalf("%s %s: DescribeKey %+v", c.spec, c.usage, m)
		}
	}
	// RSA with no KeyUsage is ENCRYPT_DECRYPT, as AWS's default.
	if md := mustCreateSpec(t, b, "RSA_2048", ""); md.KeyUsage != KeyUsageEncryptDecrypt {
		t.Fatalf("RSA default usage %s", md.KeyUsage)
	}
}

func TestSignVerifyEveryAlgorithm(t *testing.T) {
	b, _, _ := newBridge(t)
	keys := map[string]KeyMetadata{
		"RSA_2048":      mustCreateSpec(t, b, "RSA_2048", "SIGN_VERIFY"),
		"ECC_NIST_P256": mustCreateSpec(t, b, "ECC_NIST_P256", "SIGN_VERIFY"),
		"ECC_NIST_P384": mustCreateSpec(t, b, "ECC_NIST_P384", "SIGN_VERIFY"),
		"ECC_NIST_P521": mustCreateSpec(t, b, "ECC_NIST_P521", "SIGN_VERIFY"),
	}
	msg := []byte("a message for KMS to sign")
	for spec, md := range keys {
		pub := publicKey(t, b, md.KeyId)
		for _, alg := range md.SigningAlgorithms {
			for _, mt := range []string{"", "RAW", "DIGEST"} {
				in := msg
				if mt == "DIGEST" {
					in = digestOf(alg, msg)
				}
				s, err := b.Sign(bg, &SignRequest{KeyId: md.KeyId, Message: in, MessageType: mt, SigningAlgorithm: alg})
				if err != nil {
					t.Fatalf("%s %s %s: %v", spec, alg, mt, err)
				}
				if s.KeyId != md.Arn || s.SigningAlgorithm != alg {
					t.Fatalf("Sign answer %+v", s)
				}
				stdVerify(t, pub, alg, digestOf(alg, msg), s.Signature)
				v, err := b.Verify(bg, &VerifyRequest{KeyId: md.KeyId, Message: in, MessageType: mt, Signature: s.Signature, SigningAlgorithm: alg})
				if err != nil || !v.SignatureValid || v.KeyId != md.Arn {
					t.Fatalf("%s %s %s: Verify %+v %v", spec, alg, mt, v, err)
				}
				bad := slices.Clone(s.Signature)
				bad[len(bad)-1] ^= 1
				_, err = b.Verify(bg, &VerifyRequest{KeyId: md.KeyId, Message: in, MessageType: mt, Signature: bad, SigningAlgorithm: alg})
				wantCode(t, err, CodeKMSInvalidSignature)
				other := slices.Clone(in)
				other[0] ^= 1
				_, err = b.Verify(bg, &VerifyRequest{KeyId: md.KeyId, Message: other, MessageType: mt, Signature: s.Signature, SigningAlgorithm: alg})
				wantCode(t, err, CodeKMSInvalidSignature)
			}
		}
	}
	// Signatures made by the standard library verify through KMS.
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	d := sha256.Sum256(msg)
	sig, _ := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	_, err := b.Verify(bg, &VerifyRequest{KeyId: keys["RSA_2048"].KeyId, Message: msg, Signature: sig, SigningAlgorithm: "RSASSA_PKCS1_V1_5_SHA_256"})
	wantCode(t, err, CodeKMSInvalidSignature) // another key's signature
}

func TestSignRejects(t *testing.T) {
	b, _, _ := newBridge(t)
	rsaSign := mustCreateSpec(t, b, "RSA_2048", "SIGN_VERIFY").KeyId
	rsaEnc := mustCreateSpec(t, b, "RSA_2048", "ENCRYPT_DECRYPT").KeyId
	p256 := mustCreateSpec(t, b, "ECC_NIST_P256", "SIGN_VERIFY").KeyId
	sym := mustCreate(t, b, "").KeyId
	hm := mustCreateSpec(t, b, "HMAC_256", "GENERATE_VERIFY_MAC").KeyId
	msg := []byte("m")
	for _, c := range []struct {
		name string
		in   SignRequest
		code string
	}{
		{"ECDSA with an RSA key", SignRequest{KeyId: rsaSign, Message: msg, SigningAlgorithm: "ECDSA_SHA_256"}, CodeInvalidKeyUsage},
		{"P-256 with SHA-384", SignRequest{KeyId: p256, Message: msg, SigningAlgorithm: "ECDSA_SHA_384"}, CodeInvalidKeyUsage},
		{"RSA PSS with an EC key", SignRequest{KeyId: p256, Message: msg, SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeInvalidKeyUsage},
		{"encryption key", SignRequest{KeyId: rsaEnc, Message: msg, SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeInvalidKeyUsage},
		{"symmetric key", SignRequest{KeyId: sym, Message: msg, SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeInvalidKeyUsage},
		{"HMAC key", SignRequest{KeyId: hm, Message: msg, SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeInvalidKeyUsage},
		{"unknown algorithm", SignRequest{KeyId: rsaSign, Message: msg, SigningAlgorithm: "RSA_MD5"}, CodeValidation},
		{"no algorithm", SignRequest{KeyId: rsaSign, Message: msg}, CodeValidation},
		{"empty message", SignRequest{KeyId: rsaSign, SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeValidation},
		{"4097 bytes", SignRequest{KeyId: rsaSign, Message: make([]byte, 4097), SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeValidation},
		{"short digest", SignRequest{KeyId: rsaSign, Message: make([]byte, 31), MessageType: "DIGEST", SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeValidation},
		{"SHA-384 digest for SHA-256", SignRequest{KeyId: p256, Message: make([]byte, 48), MessageType: "DIGEST", SigningAlgorithm: "ECDSA_SHA_256"}, CodeValidation},
		{"bad message type", SignRequest{KeyId: rsaSign, Message: msg, MessageType: "HASH", SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeValidation},
		{"unknown key", SignRequest{KeyId: "00000000-0000-4000-8000-000000000000", Message: msg, SigningAlgorithm: "RSASSA_PSS_SHA_256"}, CodeNotFound},
		{"dry run", SignRequest{KeyId: rsaSign, Message: msg, SigningAlgorithm: "RSASSA_PSS_SHA_256", DryRun: true}, CodeDryRunOperation},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.Sign(bg, &c.in)
			wantCode(t, err, c.code)
		})
	}
	_, err := b.Verify(bg, &VerifyRequest{KeyId: p256, Message: msg, Signature: []byte{0x30, 0x00}, SigningAlgorithm: "ECDSA_SHA_256"})
	wantCode(t, err, CodeKMSInvalidSignature)
	_, err = b.GetPublicKey(bg, &GetPublicKeyRequest{KeyId: sym})
	wantCode(t, err, CodeUnsupportedOperation)
	_, err = b.GetPublicKey(bg, &GetPublicKeyRequest{KeyId: hm})
	wantCode(t, err, CodeUnsupportedOperation)
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: rsaSign}); err != nil {
		t.Fatal(err)
	}
	_, err = b.Sign(bg, &SignRequest{KeyId: rsaSign, Message: msg, SigningAlgorithm: "RSASSA_PSS_SHA_256"})
	wantCode(t, err, CodeDisabled)
}

func TestRSAEncryptDecrypt(t *testing.T) {
	b, _, _ := newBridge(t)
	for _, spec := range []string{"RSA_2048", "RSA_3072", "RSA_4096"} {
		md := mustCreateSpec(t, b, spec, "ENCRYPT_DECRYPT")
		pub := publicKey(t, b, md.KeyId).(*rsa.PublicKey)
		if pub.N.BitLen() != asymSpecs[spec].rsaBits {
			t.Fatalf("%s: modulus of %d bits", spec, pub.N.BitLen())
		}
		for _, alg := range []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"} {
			h := crypto.SHA1.New()
			if alg == "RSAES_OAEP_SHA_256" {
				h = sha256.New()
			}
			max := pub.Size() - 2*h.Size() - 2
			pt := bytes.Repeat([]byte{7}, max)
			enc, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: pt, EncryptionAlgorithm: alg})
			if err != nil {
				t.Fatalf("%s %s: %v", spec, alg, err)
			}
			if len(enc.CiphertextBlob) != pub.Size() || enc.EncryptionAlgorithm != alg || enc.KeyId != md.Arn {
				t.Fatalf("Encrypt answer %+v", enc)
			}
			dec, err := b.Decrypt(bg, &DecryptRequest{KeyId: md.KeyId, CiphertextBlob: enc.CiphertextBlob, EncryptionAlgorithm: alg})
			if err != nil || !bytes.Equal(dec.Plaintext, pt) || dec.EncryptionAlgorithm != alg {
				t.Fatalf("%s %s: Decrypt %v", spec, alg, err)
			}
			// Ciphertext from the standard library decrypts through KMS.
			ct, err := rsa.EncryptOAEP(h, rand.Reader, pub, []byte("from crypto/rsa"), nil)
			if err != nil {
				t.Fatal(err)
			}
			dec, err = b.Decrypt(bg, &DecryptRequest{KeyId: md.Arn, CiphertextBlob: ct, EncryptionAlgorithm: alg})
			if err != nil || string(dec.Plaintext) != "from crypto/rsa" {
				t.Fatalf("%s %s: Decrypt of crypto/rsa's ciphertext: %v", spec, alg, err)
			}
			_, err = b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: append(pt, 1), EncryptionAlgorithm: alg})
			wantCode(t, err, CodeValidation)
			bad := slices.Clone(ct)
			bad[10] ^= 1
			_, err = b.Decrypt(bg, &DecryptRequest{KeyId: md.KeyId, CiphertextBlob: bad, EncryptionAlgorithm: alg})
			wantCode(t, err, CodeInvalidCiphertext)
		}
	}
}

func TestRSAEncryptRejects(t *testing.T) {
	b, _, _ := newBridge(t)
	enc := mustCreateSpec(t, b, "RSA_2048", "ENCRYPT_DECRYPT").KeyId
	sig := mustCreateSpec(t, b, "RSA_2048", "SIGN_VERIFY").KeyId
	ct, err := b.Encrypt(bg, &EncryptRequest{KeyId: enc, Plaintext: []byte("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Encrypt(bg, &EncryptRequest{KeyId: enc, Plaintext: []byte("x")})
	wantCode(t, err, CodeInvalidKeyUsage) // SYMMETRIC_DEFAULT with an RSA key
	_, err = b.Encrypt(bg, &EncryptRequest{KeyId: sig, Plaintext: []byte("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
	wantCode(t, err, CodeInvalidKeyUsage)
	_, err = b.Encrypt(bg, &EncryptRequest{KeyId: enc, Plaintext: []byte("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256", EncryptionContext: map[string]string{"a": "b"}})
	wantCode(t, err, CodeValidation)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: ct.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_256"})
	wantCode(t, err, CodeValidation) // no KeyId
	_, err = b.Decrypt(bg, &DecryptRequest{KeyId: enc, CiphertextBlob: ct.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_1"})
	wantCode(t, err, CodeInvalidCiphertext) // the other hash
	_, err = b.Decrypt(bg, &DecryptRequest{KeyId: enc, CiphertextBlob: ct.CiphertextBlob})
	wantCode(t, err, CodeInvalidKeyUsage) // no algorithm: SYMMETRIC_DEFAULT
	_, err = b.GenerateDataKey(bg, &GenerateDataKeyRequest{KeyId: enc, KeySpec: "AES_256"})
	wantCode(t, err, CodeInvalidKeyUsage)
}

func TestMACs(t *testing.T) {
	b, l, _ := newBridge(t)
	msg := []byte("a message to authenticate")
	for spec, h := range hmacSpecs {
		md := mustCreateSpec(t, b, spec, "GENERATE_VERIFY_MAC")
		g, err := b.GenerateMac(bg, &GenerateMacRequest{KeyId: md.KeyId, Message: msg, MacAlgorithm: h.alg})
		if err != nil {
			t.Fatalf("%s: %v", spec, err)
		}
		if len(g.Mac) != h.keyLen || g.MacAlgorithm != h.alg || g.KeyId != md.Arn {
			t.Fatalf("%s: GenerateMac %+v", spec, g)
		}
		again, _ := b.GenerateMac(bg, &GenerateMacRequest{KeyId: md.KeyId, Message: msg, MacAlgorithm: h.alg})
		if !bytes.Equal(again.Mac, g.Mac) {
			t.Fatalf("%s: HMAC is not deterministic", spec)
		}
		v, err := b.VerifyMac(bg, &VerifyMacRequest{KeyId: md.KeyId, Message: msg, MacAlgorithm: h.alg, Mac: g.Mac})
		if err != nil || !v.MacValid {
			t.Fatalf("%s: VerifyMac %+v %v", spec, v, err)
		}
		bad := slices.Clone(g.Mac)
		bad[0] ^= 1
		_, err = b.VerifyMac(bg, &VerifyMacRequest{KeyId: md.KeyId, Message: msg, MacAlgorithm: h.alg, Mac: bad})
		wantCode(t, err, CodeKMSInvalidMac)
		_, err = b.VerifyMac(bg, &VerifyMacRequest{KeyId: md.KeyId, Message: msg, MacAlgorithm: h.alg, Mac: g.Mac[:len(g.Mac)-1]})
		wantCode(t, err, CodeKMSInvalidMac)
		_, err = b.VerifyMac(bg, &VerifyMacRequest{KeyId: md.KeyId, Message: []byte("another"), MacAlgorithm: h.alg, Mac: g.Mac})
		wantCode(t, err, CodeKMSInvalidMac)

		// The token's own C_Sign with CKM_SHA*_HMAC on the object labelled
		// with the key id gives the same MAC; the key is not extractable.
		withUserSession(t, b, l, func(sh ck.SessionHandle) {
			hk := findLabelled(t, l, sh, md.KeyId, ck.CKO_SECRET_KEY)
			vs, err := l.GetAttributeValue(sh, hk, []ck.AttributeType{ck.CKA_VALUE_LEN, ck.CKA_SENSITIVE, ck.CKA_EXTRACTABLE})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(vs[0].Value, ck.ULongBytes(ck.ULong(h.keyLen))) || !bytes.Equal(vs[1].Value, ck.BoolBytes(true)) || !bytes.Equal(vs[2].Value, ck.BoolBytes(false)) {
				t.Fatalf("%s: HMAC key attributes %+v", spec, vs)
			}
			if err := l.SignInit(sh, ck.Mechanism{Type: h.mech}, hk); err != nil {
				t.Fatal(err)
			}
			out := make([]byte, 64)
			n, err := l.Sign(sh, msg, out)
			if err != nil || !bytes.Equal(out[:n], g.Mac) {
				t.Fatalf("%s: the token's C_Sign gives another MAC (%v)", spec, err)
			}
		})
	}
	hm := mustCreateSpec(t, b, "HMAC_256", "GENERATE_VERIFY_MAC").KeyId
	sym := mustCreate(t, b, "").KeyId
	for _, c := range []struct {
		name string
		in   GenerateMacRequest
		code string
	}{
		{"other hash", GenerateMacRequest{KeyId: hm, Message: msg, MacAlgorithm: "HMAC_SHA_384"}, CodeInvalidKeyUsage},
		{"symmetric key", GenerateMacRequest{KeyId: sym, Message: msg, MacAlgorithm: "HMAC_SHA_256"}, CodeInvalidKeyUsage},
		{"unknown algorithm", GenerateMacRequest{KeyId: hm, Message: msg, MacAlgorithm: "HMAC_MD5"}, CodeValidation},
		{"no algorithm", GenerateMacRequest{KeyId: hm, Message: msg}, CodeValidation},
		{"empty message", GenerateMacRequest{KeyId: hm, MacAlgorithm: "HMAC_SHA_256"}, CodeValidation},
		{"4097 bytes", GenerateMacRequest{KeyId: hm, Message: make([]byte, 4097), MacAlgorithm: "HMAC_SHA_256"}, CodeValidation},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.GenerateMac(bg, &c.in)
			wantCode(t, err, c.code)
		})
	}
	_, err := b.Encrypt(bg, &EncryptRequest{KeyId: hm, Plaintext: msg})
	wantCode(t, err, CodeInvalidKeyUsage)
}

// withUserSession runs fn in a fresh session of the bridge's token (the
// bridge keeps the user logged in, and login state is per token).
func withUserSession(t *testing.T, b *Bridge, l *token.Library, fn func(sh ck.SessionHandle)) {
	t.Helper()
	sh, err := l.OpenSession(b.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(sh)
	fn(sh)
}

func findLabelled(t *testing.T, l *token.Library, sh ck.SessionHandle, label string, class ck.ObjectClass) ck.ObjectHandle {
	t.Helper()
	if err := l.FindObjectsInit(sh, []ck.Attribute{
		{Type: ck.CKA_LABEL, Value: []byte(label)},
		{Type: ck.CKA_CLASS, Value: ck.ULongBytes(ck.ULong(class))},
	}); err != nil {
		t.Fatal(err)
	}
	hs, err := l.FindObjects(sh, 10)
	l.FindObjectsFinal(sh)
	if err != nil || len(hs) != 1 {
		t.Fatalf("objects labelled %s of class %v: %v %v", label, class, hs, err)
	}
	return hs[0]
}

// TestPKCS11CrossCheck: a KMS signing key is a key pair on the token that
// PKCS#11 clients use directly; what they sign verifies with GetPublicKey's
// key, and the private key is sensitive and unextractable.
func TestPKCS11CrossCheck(t *testing.T) {
	b, l, _ := newBridge(t)
	for _, c := range []struct {
		spec string
		mech ck.Mechanism
		alg  string
	}{
		{"RSA_2048", ck.Mechanism{Type: ck.CKM_SHA256_RSA_PKCS}, "RSASSA_PKCS1_V1_5_SHA_256"},
		{"ECC_NIST_P384", ck.Mechanism{Type: ck.CKM_ECDSA_SHA384}, "ECDSA_SHA_384"},
	} {
		md := mustCreateSpec(t, b, c.spec, "SIGN_VERIFY")
		pub := publicKey(t, b, md.KeyId)
		msg := []byte("signed through PKCS#11")
		withUserSession(t, b, l, func(sh ck.SessionHandle) {
			priv := findLabelled(t, l, sh, md.KeyId, ck.CKO_PRIVATE_KEY)
			findLabelled(t, l, sh, md.KeyId, ck.CKO_PUBLIC_KEY)
			vs, err := l.GetAttributeValue(sh, priv, []ck.AttributeType{ck.CKA_TOKEN, ck.CKA_PRIVATE, ck.CKA_SENSITIVE, ck.CKA_EXTRACTABLE, ck.CKA_SIGN, ck.CKA_DECRYPT, ck.CKA_ID})
			if err != nil {
				t.Fatal(err)
			}
			u, _ := parseUUID(md.KeyId)
			want := [][]byte{ck.BoolBytes(true), ck.BoolBytes(true), ck.BoolBytes(true), ck.BoolBytes(false), ck.BoolBytes(true), ck.BoolBytes(false), hbkID(u, 1)}
			for i, w := range want {
				if !bytes.Equal(vs[i].Value, w) {
					t.Fatalf("%s: private key attribute %d is %x, want %x", c.spec, i, vs[i].Value, w)
				}
			}
			if err := l.SignInit(sh, c.mech, priv); err != nil {
				t.Fatal(err)
			}
			out := make([]byte, 1024)
			n, err := l.Sign(sh, msg, out)
			if err != nil {
				t.Fatal(err)
			}
			sig := out[:n]
			if c.spec[:3] == "ECC" {
				if sig, err = ecdsaDER(sig); err != nil {
					t.Fatal(err)
				}
			}
			stdVerify(t, pub, c.alg, digestOf(c.alg, msg), sig)
			if v, err := b.Verify(bg, &VerifyRequest{KeyId: md.KeyId, Message: msg, Signature: sig, SigningAlgorithm: c.alg}); err != nil || !v.SignatureValid {
				t.Fatalf("%s: KMS Verify of the PKCS#11 signature: %v", c.spec, err)
			}
		})
	}
}

package mech

import (
	"bytes"
	"crypto/rsa"
	"math/big"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// pendingSpec is the row of t in the registry or, until registry.go takes
// them, in asymPendingRegistry.
func pendingSpec(t *testing.T, typ ck.MechanismType) *Spec {
	t.Helper()
	if s, ok := Lookup(typ); ok {
		return s
	}
	for _, s := range asymPendingRegistry {
		if s.Type == typ {
			return s
		}
	}
	t.Fatalf("no row %#x", typ)
	return nil
}

var hashMechByName = map[string]struct {
	digest, pss ck.MechanismType
	mgf         ck.MGF
}{
	"SHA-1":    {ck.CKM_SHA_1, ck.CKM_SHA1_RSA_PKCS_PSS, ck.CKG_MGF1_SHA1},
	"SHA-256":  {ck.CKM_SHA256, ck.CKM_SHA256_RSA_PKCS_PSS, ck.CKG_MGF1_SHA256},
	"SHA-384":  {ck.CKM_SHA384, ck.CKM_SHA384_RSA_PKCS_PSS, ck.CKG_MGF1_SHA384},
	"SHA3-256": {ck.CKM_SHA3_256, ck.CKM_SHA3_256_RSA_PKCS_PSS, ck.CKG_MGF1_SHA3_256},
}

// TestRSAOpenSSLVectors: ciphertexts and signatures OpenSSL made with the
// RSA-2048 test key (testdata/rsa2048_openssl.txt; commands in
// testdata/README.md) decrypt and verify; raw RSA, being deterministic,
// gives OpenSSL's ciphertext byte for byte.
func TestRSAOpenSSLVectors(t *testing.T) {
	f := fixtureOf(t, "RSA-2048")
	k := f.priv.Private.(*rsa.PrivateKey).Size()
	seen := 0
	for _, r := range readVectors(t, "rsa2048_openssl.txt", "Name") {
		name, msg, out := r.get("Name", 0), r.hex(t, "Msg", 0), r.hex(t, "Out", 0)
		h := hashMechByName[r.get("Hash", 0)]
		seen++
		switch name {
		case "oaep_sha1", "oaep_sha256_label":
			p := ck.RSAPKCSOAEPParams{Hash: h.digest, MGF: h.mgf, Source: ck.CKZ_DATA_SPECIFIED, SourceData: r.hex(t, "Label", 0)}
			dec, err := pendingSpec(t, ck.CKM_RSA_PKCS_OAEP).Decrypt(f.priv, p)
			wantRV(t, err, ck.CKR_OK)
			got, err := dec.One(out)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got, msg) {
				t.Errorf("%s: decrypts to %x", name, got)
			}
			// Another label does not decrypt.
			p.SourceData = []byte("other")
			dec, _ = pendingSpec(t, ck.CKM_RSA_PKCS_OAEP).Decrypt(f.priv, p)
			_, err = dec.One(out)
			wantRV(t, err, ck.CKR_ENCRYPTED_DATA_INVALID)
		case "pkcs1_encrypt":
			dec, err := rsaPKCSDecrypt(f.priv, nil)
			wantRV(t, err, ck.CKR_OK)
			got, err := dec.One(out)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got, msg) {
				t.Errorf("%s: decrypts to %x", name, got)
			}
		case "x509_encrypt":
			s := pendingSpec(t, ck.CKM_RSA_X_509)
			enc, _ := s.Encrypt(f.pub, nil)
			got, err := enc.One(msg)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got, out) {
				t.Errorf("%s: differs from OpenSSL's", name)
			}
			dec, _ := s.Decrypt(f.priv, nil)
			got, err = dec.One(out)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got[k-len(msg):], msg) || !bytes.Equal(got[:k-len(msg)], make([]byte, k-len(msg))) {
				t.Errorf("%s: decrypts to %x", name, got)
			}
		case "pss_sha256_salt32", "pss_sha384_salt0", "pss_sha3_256_saltmax":
			salt, _ := new(big.Int).SetString(r.get("SaltLen", 0), 10)
			p := ck.RSAPKCSPSSParams{Hash: h.digest, MGF: h.mgf, SaltLen: ck.ULong(salt.Int64())}
			v, err := pendingSpec(t, h.pss).Verify(f.pub, p)
			wantRV(t, err, ck.CKR_OK)
			wantRV(t, v.Verify(msg, out), ck.CKR_OK)
			// The salt length is checked exactly.
			if p.SaltLen > 0 {
				p.SaltLen--
			} else {
				p.SaltLen++
			}
			v, err = pendingSpec(t, h.pss).Verify(f.pub, p)
			wantRV(t, err, ck.CKR_OK)
			wantRV(t, v.Verify(msg, out), ck.CKR_SIGNATURE_INVALID)
		case "pkcs1_sha3_256":
			s, _ := Lookup(ck.CKM_SHA3_256_RSA_PKCS)
			op, _ := s.Sign(f.priv, nil)
			got, err := op.Sign(msg)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got, out) {
				t.Errorf("%s: differs from OpenSSL's", name)
			}
		default:
			t.Errorf("unknown vector %s", name)
		}
	}
	if seen != 8 {
		t.Fatalf("%d vectors", seen)
	}
}

// TestWycheproofRSA: the Wycheproof subset (testdata/wycheproof_rsa_subset.txt):
// RSA-OAEP decryption, valid and invalid, with SHA-256 throughout and with
// MGF1-SHA-1 under SHA-256 and SHA-512, and RSA-PSS verification: SHA-256
// with 32- and 0-byte salts, SHA-256 with MGF1-SHA-1 and SHA-512 with
// MGF1-SHA-256. The [MGF] header names MGF1's hash; absent, it is [Hash]
// (absent too, SHA-256).
func TestWycheproofRSA(t *testing.T) {
	hashes := map[string]struct {
		hash, pss ck.MechanismType
		mgf       ck.MGF
	}{
		"SHA-1":   {ck.CKM_SHA_1, ck.CKM_SHA1_RSA_PKCS_PSS, ck.CKG_MGF1_SHA1},
		"SHA-256": {ck.CKM_SHA256, ck.CKM_SHA256_RSA_PKCS_PSS, ck.CKG_MGF1_SHA256},
		"SHA-512": {ck.CKM_SHA512, ck.CKM_SHA512_RSA_PKCS_PSS, ck.CKG_MGF1_SHA512},
	}
	names := func(r record) (hash, mgf string) {
		hash, mgf = r.header["Hash"], r.header["MGF"]
		if hash == "" {
			hash = "SHA-256"
		}
		if mgf == "" {
			mgf = hash
		}
		return hash, mgf
	}
	const file = "wycheproof_rsa_subset.txt"
	keys := map[string]record{}
	for _, r := range readVectors(t, file, "Key") {
		keys[r.header["File"]] = r
	}
	bigHex := func(r record, name string) *big.Int { return new(big.Int).SetBytes(r.hex(t, name, 0)) }
	n := 0
	for _, r := range readVectors(t, file, "tcId") {
		kr := keys[r.header["File"]]
		valid := r.get("result", 0) == "valid"
		id := r.header["File"] + " #" + r.get("tcId", 0)
		n++
		if kr.get("Key", 0) == "oaep" {
			priv := &rsa.PrivateKey{
				PublicKey: rsa.PublicKey{N: bigHex(kr, "modulus"), E: int(bigHex(kr, "publicExponent").Int64())},
				D:         bigHex(kr, "privateExponent"),
				Primes:    []*big.Int{bigHex(kr, "prime1"), bigHex(kr, "prime2")},
			}
			privA, _ := rsaAttrs(priv)
			key, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_RSA, privA)
			wantRV(t, err, ck.CKR_OK)
			hash, mgf := names(r)
			p := ck.RSAPKCSOAEPParams{Hash: hashes[hash].hash, MGF: hashes[mgf].mgf, Source: ck.CKZ_DATA_SPECIFIED, SourceData: r.hex(t, "label", 0)}
			dec, err := pendingSpec(t, ck.CKM_RSA_PKCS_OAEP).Decrypt(key, p)
			wantRV(t, err, ck.CKR_OK)
			got, err := dec.One(r.hex(t, "ct", 0))
			switch {
			case valid && (err != nil || !bytes.Equal(got, r.hex(t, "msg", 0))):
				t.Errorf("%s: %x, %v", id, got, err)
			case !valid && err == nil:
				t.Errorf("%s: invalid ciphertext decrypted", id)
			case !valid:
				if rv := ck.ErrorRV(err); rv != ck.CKR_ENCRYPTED_DATA_INVALID && rv != ck.CKR_ENCRYPTED_DATA_LEN_RANGE {
					t.Errorf("%s: %v", id, err)
				}
			}
			continue
		}
		salt, _ := new(big.Int).SetString(r.header["SaltLen"], 10)
		pubA := attrMap{ck.CKA_MODULUS: kr.hex(t, "modulus", 0), ck.CKA_PUBLIC_EXPONENT: kr.hex(t, "publicExponent", 0)}
		key, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_RSA, pubA)
		wantRV(t, err, ck.CKR_OK)
		hash, mgf := names(r)
		v, err := pendingSpec(t, hashes[hash].pss).Verify(key, ck.RSAPKCSPSSParams{Hash: hashes[hash].hash, MGF: hashes[mgf].mgf, SaltLen: ck.ULong(salt.Int64())})
		wantRV(t, err, ck.CKR_OK)
		err = v.Verify(r.hex(t, "msg", 0), r.hex(t, "sig", 0))
		switch {
		case valid && err != nil:
			t.Errorf("%s: %v", id, err)
		case !valid && err == nil:
			t.Errorf("%s: invalid signature verified", id)
		case !valid:
			if rv := ck.ErrorRV(err); rv != ck.CKR_SIGNATURE_INVALID && rv != ck.CKR_SIGNATURE_LEN_RANGE {
				t.Errorf("%s: %v", id, err)
			}
		}
	}
	if n < 540 {
		t.Fatalf("only %d vectors", n)
	}
}

package mech

import (
	"bytes"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestRSAMixedMGFOpenSSL: OAEP and PSS with MGF1 over SHA-1 under SHA-256,
// both directions through the openssl command. crypto/rsa cannot check a
// PSS signature of that kind, and the Wycheproof vectors of
// TestWycheproofRSA only exercise decryption and verification, so this is
// where kagi's own encodings meet an independent implementation.
func TestRSAMixedMGFOpenSSL(t *testing.T) {
	f := rsaFix(t)
	priv := f.priv.Private.(*rsa.PrivateKey)
	ossl := newOpenSSLCLI(t, priv)

	t.Run("OAEP", func(t *testing.T) {
		s := pendingSpec(t, ck.CKM_RSA_PKCS_OAEP)
		label := []byte("mixed")
		p := ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA1, Source: ck.CKZ_DATA_SPECIFIED, SourceData: label}
		opts := []string{"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
			"-pkeyopt", "rsa_mgf1_md:sha1", "-pkeyopt", "rsa_oaep_label:6d69786564"}
		msg := []byte("OAEP with MGF1-SHA-1")
		enc, err := s.Encrypt(f.pub, p)
		wantRV(t, err, ck.CKR_OK)
		ct, err := enc.One(msg)
		wantRV(t, err, ck.CKR_OK)
		got := ossl.run(append([]string{"pkeyutl", "-decrypt", "-inkey", ossl.keyPEM, "-in", ossl.write("ct.bin", ct)}, opts...)...)
		if !bytes.Equal(got, msg) {
			t.Fatalf("openssl decrypts kagi's ciphertext to %q", got)
		}
		// MGF1-SHA-256 must not open it: the option is really applied.
		same := append(append([]string{}, opts[:4]...), "-pkeyopt", "rsa_mgf1_md:sha256", "-pkeyopt", "rsa_oaep_label:6d69786564")
		if _, err := ossl.try(append([]string{"pkeyutl", "-decrypt", "-inkey", ossl.keyPEM, "-in", ossl.write("ct.bin", ct)}, same...)...); err == nil {
			t.Fatal("openssl decrypts kagi's MGF1-SHA-1 ciphertext with MGF1-SHA-256")
		}
		oct := ossl.run(append([]string{"pkeyutl", "-encrypt", "-pubin", "-inkey", ossl.pubPEM, "-in", ossl.write("msg.bin", msg)}, opts...)...)
		dec, err := s.Decrypt(f.priv, p)
		wantRV(t, err, ck.CKR_OK)
		got, err = dec.One(oct)
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(got, msg) {
			t.Fatalf("kagi decrypts openssl's ciphertext to %q", got)
		}
	})

	t.Run("PSS", func(t *testing.T) {
		s := pendingSpec(t, ck.CKM_SHA256_RSA_PKCS_PSS)
		p := ck.RSAPKCSPSSParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA1, SaltLen: 20}
		opts := []string{"-pkeyopt", "digest:sha256", "-pkeyopt", "rsa_padding_mode:pss",
			"-pkeyopt", "rsa_pss_saltlen:20", "-pkeyopt", "rsa_mgf1_md:sha1"}
		msg := []byte("PSS with MGF1-SHA-1")
		digest := sha256.Sum256(msg)
		dgst := ossl.write("digest.bin", digest[:])
		sop, err := s.Sign(f.priv, p)
		wantRV(t, err, ck.CKR_OK)
		sig, err := sop.Sign(msg)
		wantRV(t, err, ck.CKR_OK)
		verify := func(mgf string) error {
			o := append(append([]string{}, opts[:6]...), "-pkeyopt", "rsa_mgf1_md:"+mgf)
			_, err := ossl.try(append([]string{"pkeyutl", "-verify", "-pubin", "-inkey", ossl.pubPEM, "-in", dgst, "-sigfile", ossl.write("sig.bin", sig)}, o...)...)
			return err
		}
		if err := verify("sha1"); err != nil {
			t.Fatalf("openssl rejects kagi's signature: %v", err)
		}
		if verify("sha256") == nil {
			t.Fatal("openssl accepts kagi's MGF1-SHA-1 signature as MGF1-SHA-256")
		}
		osig := ossl.run(append([]string{"pkeyutl", "-sign", "-inkey", ossl.keyPEM, "-in", dgst}, opts...)...)
		vop, err := s.Verify(f.pub, p)
		wantRV(t, err, ck.CKR_OK)
		wantRV(t, vop.Verify(msg, osig), ck.CKR_OK)
	})
}

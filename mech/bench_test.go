package mech

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Benchmarks of one operation through mech (constructor + single-part call,
// as token does per C_SignInit/C_Sign) against the standard library doing
// the same work directly. kagi's target is mech >= 0.9x the standard
// library's throughput.

func BenchmarkECDSAP256Sign(b *testing.B) {
	f := fixtureOf(b, "EC-P-256")
	digest := sha256.Sum256([]byte("benchmark"))
	b.Run("mech", func(b *testing.B) {
		spec, _ := Lookup(ck.CKM_ECDSA)
		b.ReportAllocs()
		for b.Loop() {
			op, err := spec.Sign(f.priv, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := op.Sign(digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		priv := f.priv.Private.(*ecdsa.PrivateKey)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ecdsa.SignASN1(rand.Reader, priv, digest[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRSA2048Sign(b *testing.B) {
	f := fixtureOf(b, "RSA-2048")
	msg := []byte("benchmark message")
	b.Run("mech", func(b *testing.B) {
		spec, _ := Lookup(ck.CKM_SHA256_RSA_PKCS)
		b.ReportAllocs()
		for b.Loop() {
			op, err := spec.Sign(f.priv, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := op.Sign(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		priv := f.priv.Private.(*rsa.PrivateKey)
		b.ReportAllocs()
		for b.Loop() {
			d := sha256.Sum256(msg)
			if _, err := rsa.SignPKCS1v15(nil, priv, 5 /* crypto.SHA256 */, d[:]); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkAESGCM4K(b *testing.B) {
	f := fixtureOf(b, "AES-256")
	pt := make([]byte, 4096)
	iv := make([]byte, 12)
	b.Run("mech", func(b *testing.B) {
		spec, _ := Lookup(ck.CKM_AES_GCM)
		p := &ck.GCMParams{IV: iv, TagBits: 128}
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			op, err := spec.Encrypt(f.priv, p)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := op.One(pt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		block, _ := aes.NewCipher(f.priv.Secret)
		aead, _ := cipher.NewGCM(block)
		b.SetBytes(int64(len(pt)))
		b.ReportAllocs()
		for b.Loop() {
			aead.Seal(make([]byte, 0, len(pt)+16), iv, pt, nil)
		}
	})
}

func BenchmarkHMACSHA256_1K(b *testing.B) {
	f := fixtureOf(b, "sha256-hmac-32")
	msg := make([]byte, 1024)
	b.Run("mech", func(b *testing.B) {
		spec, _ := Lookup(ck.CKM_SHA256_HMAC)
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for b.Loop() {
			op, err := spec.Sign(f.priv, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := op.Sign(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for b.Loop() {
			m := hmac.New(sha256.New, f.priv.Secret)
			m.Write(msg)
			m.Sum(nil)
		}
	})
	b.Run("stdlib-reused", func(b *testing.B) {
		m := hmac.New(sha256.New, f.priv.Secret)
		b.SetBytes(int64(len(msg)))
		b.ReportAllocs()
		for b.Loop() {
			m.Reset()
			m.Write(msg)
			m.Sum(nil)
		}
	})
}

// BenchmarkAESCBCPad1M is the bench's bulk case: CKM_AES_CBC_PAD over 1 MiB
// in 64 KiB UpdateInto parts and Final, against crypto/cipher's CBC over
// the same parts.
func BenchmarkAESCBCPad1M(b *testing.B) {
	f := fixtureOf(b, "AES-256")
	const part = 64 << 10
	in, iv := make([]byte, 1<<20), make([]byte, 16)
	b.Run("mech", func(b *testing.B) {
		spec, _ := Lookup(ck.CKM_AES_CBC_PAD)
		out := make([]byte, part)
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			op, err := spec.Encrypt(f.priv, iv)
			if err != nil {
				b.Fatal(err)
			}
			u := op.(UpdateIntoOp)
			for p := 0; p < len(in); p += part {
				if _, err := u.UpdateInto(out, in[p:p+part]); err != nil {
					b.Fatal(err)
				}
			}
			if _, err := op.Final(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		block, _ := aes.NewCipher(f.priv.Secret)
		out := make([]byte, part)
		b.SetBytes(int64(len(in)))
		b.ReportAllocs()
		for b.Loop() {
			enc := cipher.NewCBCEncrypter(block, iv)
			for p := 0; p < len(in); p += part {
				enc.CryptBlocks(out, in[p:p+part])
			}
			last := make([]byte, 16)
			enc.CryptBlocks(last, last)
		}
	})
}

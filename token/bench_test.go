package token

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// benchToken makes a logged-in token with one AES-256 key.
func benchToken(b *testing.B) (*Library, ck.SlotID, ck.ObjectHandle) {
	l, err := New(Config{DBPath: filepath.Join(b.TempDir(), "kagi.db"), Iterations: 1000, MaxPINFailures: 3})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Finalize() })
	slot := mustSlots(b, l)[0]
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(l.InitToken(slot, soPIN, "bench"))
	sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	must(err)
	must(l.Login(sh, ck.CKU_SO, soPIN))
	must(l.InitPIN(sh, userPIN))
	must(l.Logout(sh))
	must(l.Login(sh, ck.CKU_USER, userPIN))
	h, err := l.CreateObject(sh, []ck.Attribute{
		{Type: ck.CKA_CLASS, Value: ck.ULongBytes(ck.ULong(ck.CKO_SECRET_KEY))},
		{Type: ck.CKA_KEY_TYPE, Value: ck.ULongBytes(ck.ULong(ck.CKK_AES))},
		{Type: ck.CKA_VALUE, Value: bytes.Repeat([]byte{3}, 32)},
	})
	must(err)
	return l, slot, h
}

// BenchmarkGCMEncrypt4K measures EncryptInit+Encrypt of 4 KiB through the
// engine (the path of every PKCS#11 call after cmodule), one session per
// goroutine.
func BenchmarkGCMEncrypt4K(b *testing.B) {
	l, slot, h := benchToken(b)
	m := ck.Mechanism{Type: ck.CKM_AES_GCM, Param: ck.GCMParams{IV: make([]byte, 12), TagBits: 128}}
	b.SetBytes(4096)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
		if err != nil {
			b.Fatal(err)
		}
		in, out := make([]byte, 4096), make([]byte, 4096+16)
		for pb.Next() {
			if err := l.EncryptInit(sh, m, h); err != nil {
				b.Fatal(err)
			}
			if _, err := l.Encrypt(sh, in, out); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkGCMEncrypt4KStdlib(b *testing.B) {
	blk, _ := aes.NewCipher(bytes.Repeat([]byte{3}, 32))
	g, _ := cipher.NewGCM(blk)
	b.SetBytes(4096)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		in, out, iv := make([]byte, 4096), make([]byte, 0, 4096+16), make([]byte, 12)
		for pb.Next() {
			out = g.Seal(out[:0], iv, in, nil)
		}
	})
}

// BenchmarkStartup10k measures what an application waits for at start with
// 10,000 private token objects: New (C_Initialize), C_OpenSession, C_Login
// and the first find by label.
func BenchmarkStartup10k(b *testing.B) {
	db := filepath.Join(b.TempDir(), "kagi.db")
	cfg := Config{DBPath: db, Iterations: DefaultIterations, MaxPINFailures: 3}
	l, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	slot := mustSlots(b, l)[0]
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(l.InitToken(slot, soPIN, "bench"))
	sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	must(err)
	must(l.Login(sh, ck.CKU_SO, soPIN))
	must(l.InitPIN(sh, userPIN))
	must(l.Logout(sh))
	must(l.Login(sh, ck.CKU_USER, userPIN))
	for i := 0; i < 10000; i++ {
		_, err := l.CreateObject(sh, []ck.Attribute{
			{Type: ck.CKA_CLASS, Value: ck.ULongBytes(ck.ULong(ck.CKO_DATA))},
			{Type: ck.CKA_TOKEN, Value: ck.BoolBytes(true)},
			{Type: ck.CKA_LABEL, Value: []byte(fmt.Sprintf("object-%05d", i))},
			{Type: ck.CKA_VALUE, Value: bytes.Repeat([]byte{byte(i)}, 32)},
		})
		must(err)
	}
	l.Finalize()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		l, err := New(cfg)
		must(err)
		sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
		must(err)
		must(l.Login(sh, ck.CKU_USER, userPIN))
		must(l.FindObjectsInit(sh, []ck.Attribute{{Type: ck.CKA_LABEL, Value: []byte("object-04242")}}))
		hs, err := l.FindObjects(sh, 10)
		must(err)
		if len(hs) != 1 {
			b.Fatalf("found %d", len(hs))
		}
		l.Finalize()
	}
}

// BenchmarkECDSASign measures SignInit+Sign with an EC P-256 key through the
// engine, one session per goroutine, against ecdsa.SignASN1 alone.
func BenchmarkECDSASign(b *testing.B) {
	l, slot, _ := benchToken(b)
	sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		b.Fatal(err)
	}
	_, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{{Type: ck.CKA_EC_PARAMS, Value: p256OID}}, nil)
	if err != nil {
		b.Fatal(err)
	}
	digest := make([]byte, 32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
		if err != nil {
			b.Fatal(err)
		}
		sig := make([]byte, 64)
		for pb.Next() {
			if err := l.SignInit(sh, ck.Mechanism{Type: ck.CKM_ECDSA}, priv); err != nil {
				b.Fatal(err)
			}
			if _, err := l.Sign(sh, digest, sig); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkECDSASignStdlib(b *testing.B) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	digest := make([]byte, 32)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := ecdsa.SignASN1(rand.Reader, k, digest); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package token

import (
	"crypto/ecdh"
	"crypto/rand"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Engine-side benchmarks of the issue 4 cases that make objects: the
// operation as token runs it after cmodule, the created session key
// destroyed untimed in batches, as tests/bench does.

// unwrapBench runs op b.N times on one session, destroying the handles it
// returns every 1,000 ops with the timer stopped.
func unwrapBench(b *testing.B, l *Library, sh ck.SessionHandle, op func() (ck.ObjectHandle, error)) {
	b.Helper()
	b.ReportAllocs()
	made := make([]ck.ObjectHandle, 0, 1000)
	flush := func() {
		b.StopTimer()
		for _, h := range made {
			if err := l.DestroyObject(sh, h); err != nil {
				b.Fatal(err)
			}
		}
		made = made[:0]
		b.StartTimer()
	}
	for b.Loop() {
		h, err := op()
		if err != nil {
			b.Fatal(err)
		}
		if made = append(made, h); len(made) == cap(made) {
			flush()
		}
	}
	flush()
}

func BenchmarkKWPUnwrapAES256(b *testing.B) {
	l, slot, kek := benchToken(b)
	sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		b.Fatal(err)
	}
	m := ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP_KWP}
	target := make([]byte, 32)
	rand.Read(target)
	th, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, target),
		attr(ck.CKA_EXTRACTABLE, true),
	})
	if err != nil {
		b.Fatal(err)
	}
	blob := make([]byte, 40)
	if _, err := l.WrapKey(sh, m, kek, th, blob); err != nil {
		b.Fatal(err)
	}
	tmpl := []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES),
		attr(ck.CKA_TOKEN, false), attr(ck.CKA_PRIVATE, true), attr(ck.CKA_SENSITIVE, true),
		attr(ck.CKA_ENCRYPT, true), attr(ck.CKA_DECRYPT, true),
	}
	b.Run("wrap", func(b *testing.B) {
		b.ReportAllocs()
		out := make([]byte, 40)
		for b.Loop() {
			if _, err := l.WrapKey(sh, m, kek, th, out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("unwrap", func(b *testing.B) {
		unwrapBench(b, l, sh, func() (ck.ObjectHandle, error) { return l.UnwrapKey(sh, m, kek, blob, tmpl) })
	})
	b.Run("unwrap-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			s, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
			if err != nil {
				b.Fatal(err)
			}
			defer l.CloseSession(s)
			for pb.Next() {
				if _, err := l.UnwrapKey(s, m, kek, blob, tmpl); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}

func BenchmarkECDHDeriveP256(b *testing.B) {
	l, slot, _ := benchToken(b)
	sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		b.Fatal(err)
	}
	_, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN},
		[]ck.Attribute{{Type: ck.CKA_EC_PARAMS, Value: p256OID}}, []ck.Attribute{attr(ck.CKA_DERIVE, true)})
	if err != nil {
		b.Fatal(err)
	}
	peer, _ := ecdh.P256().GenerateKey(rand.Reader)
	m := ck.Mechanism{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: peer.PublicKey().Bytes()}}
	tmpl := []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
		attr(ck.CKA_TOKEN, false), attr(ck.CKA_SENSITIVE, false), attr(ck.CKA_EXTRACTABLE, true),
		attr(ck.CKA_VALUE_LEN, 32),
	}
	b.Run("derive", func(b *testing.B) {
		unwrapBench(b, l, sh, func() (ck.ObjectHandle, error) { return l.DeriveKey(sh, m, priv, tmpl) })
	})
	// Two sessions deriving at once, as the bench's 2-thread case: the
	// keys are destroyed when each goroutine ends.
	b.Run("derive-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			s, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
			if err != nil {
				b.Fatal(err)
			}
			defer l.CloseSession(s)
			for pb.Next() {
				if _, err := l.DeriveKey(s, m, priv, tmpl); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("stdlib", func(b *testing.B) {
		k, _ := ecdh.P256().GenerateKey(rand.Reader)
		pub := peer.PublicKey().Bytes()
		b.ReportAllocs()
		for b.Loop() {
			p, err := ecdh.P256().NewPublicKey(pub)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := k.ECDH(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

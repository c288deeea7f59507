package store

import (
	"testing"
)

// benchObject is an EncodeObject blob the size of an RSA-2048 private key.
func benchObject(b *testing.B, tok Token, id uint64, s *Sealer) Object {
	attrs := rsaPrivate()
	for i := range attrs {
		if attrs[i].Secret {
			attrs[i].Value = randBytes(b, 256)
		}
	}
	blob, err := EncodeObject(tok.UUID, id, true, attrs, s)
	if err != nil {
		b.Fatal(err)
	}
	return Object{ID: id, TokenID: tok.ID, Private: true, Blob: blob}
}

// BenchmarkPutObject writes one object per transaction, synced to disk
// (synchronous=FULL) before PutObjects returns.
func BenchmarkPutObject(b *testing.B) {
	s, _ := newTestDB(b)
	tok := initToken(b, s, "bench")
	obj := benchObject(b, tok, 1, testSealer(b))
	b.SetBytes(int64(len(obj.Blob)))
	id := uint64(0)
	for b.Loop() {
		id++
		obj.ID = id
		if _, err := s.PutObjects(obj); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadObjects10k reads all objects of a token holding 10,000.
func BenchmarkLoadObjects10k(b *testing.B) {
	const n = 10000
	s, _ := newTestDB(b)
	tok := initToken(b, s, "bench")
	sealer := testSealer(b)
	var batch []Object
	for id := uint64(1); id <= n; id++ {
		batch = append(batch, benchObject(b, tok, id, sealer))
		if len(batch) == 1000 {
			if _, err := s.PutObjects(batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	for b.Loop() {
		objs, err := s.LoadObjects(tok.ID, nil)
		if err != nil || len(objs) != n {
			b.Fatalf("%d objects, %v", len(objs), err)
		}
	}
}

// BenchmarkChanged is the per-call cost of change detection.
func BenchmarkChanged(b *testing.B) {
	s, _ := newTestDB(b)
	for b.Loop() {
		if _, err := s.Changed(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodePrivateObject(b *testing.B) {
	s := testSealer(b)
	attrs := rsaPrivate()
	for b.Loop() {
		if _, err := EncodeObject(uuidA, 1, true, attrs, s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodePrivateObject(b *testing.B) {
	s := testSealer(b)
	blob, _ := EncodeObject(uuidA, 1, true, rsaPrivate(), s)
	for b.Loop() {
		if _, err := DecodeObject(uuidA, 1, true, blob, s); err != nil {
			b.Fatal(err)
		}
	}
}

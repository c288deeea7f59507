package mech

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestHMACDRBGCAVP runs the NIST CAVP HMAC_DRBG SHA-256 vectors without
// prediction resistance through the explicit-input HMAC_DRBG:
// drbgvectors_pr_false (instantiate, reseed, generate, generate) and
// drbgvectors_no_reseed (instantiate, generate, generate); the second
// output is compared (SP 800-90A Rev. 1 CAVS DRBGVS section 6.2).
func TestHMACDRBGCAVP(t *testing.T) {
	for _, file := range []string{"HMAC_DRBG_SHA256_pr_false.rsp", "HMAC_DRBG_SHA256_no_reseed.rsp"} {
		n := 0
		for _, r := range readVectors(t, file, "COUNT") {
			var s hmacDRBG
			s.instantiate(r.hex(t, "EntropyInput", 0), r.hex(t, "Nonce", 0), r.hex(t, "PersonalizationString", 0))
			if r.has("EntropyInputReseed") {
				s.reseed(r.hex(t, "EntropyInputReseed", 0), r.hex(t, "AdditionalInputReseed", 0))
			}
			want := r.hex(t, "ReturnedBits", 0)
			out := make([]byte, len(want))
			if s.generate(out, r.hex(t, "AdditionalInput", 0)) || s.generate(out, r.hex(t, "AdditionalInput", 1)) {
				t.Fatal("reseed required")
			}
			if !bytes.Equal(out, want) {
				t.Errorf("%s %v COUNT %s: got %x", file, r.header, r.get("COUNT", 0), out)
			}
			n++
		}
		if n < 20 {
			t.Errorf("%s: only %d vectors", file, n)
		}
	}
}

// countingReader is an entropy source that counts what is drawn.
type countingReader struct {
	mu    sync.Mutex
	reads int
	bytes int
	fail  bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return 0, errors.New("entropy source failed")
	}
	c.reads++
	c.bytes += len(p)
	return rand.Read(p)
}

// TestDRBGInstantiate: 384 bits are drawn at instantiation; a failing
// source fails NewDRBG.
func TestDRBGInstantiate(t *testing.T) {
	src := &countingReader{}
	if _, err := NewDRBG(src); err != nil {
		t.Fatal(err)
	}
	if src.bytes != 48 {
		t.Errorf("instantiation drew %d bytes, want 48", src.bytes)
	}
	_, err := NewDRBG(&countingReader{fail: true})
	wantRV(t, err, ck.CKR_FUNCTION_FAILED)
	_, err = NewDRBG(bytes.NewReader(make([]byte, 47)))
	wantRV(t, err, ck.CKR_FUNCTION_FAILED)
}

// TestDRBGRead: reads of any size, including several maximum requests,
// produce distinct output; two instances differ.
func TestDRBGRead(t *testing.T) {
	d, err := NewDRBG(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 3*drbgMaxRequest+17)
	if n, err := io.ReadFull(d, big); err != nil || n != len(big) {
		t.Fatal(n, err)
	}
	// Every maximum-size chunk comes from a separate generate call.
	if bytes.Equal(big[:64], big[drbgMaxRequest:drbgMaxRequest+64]) {
		t.Fatal("repeated output")
	}
	if bytes.Count(big, make([]byte, 16)) != 0 {
		t.Fatal("suspicious zero run")
	}
	e, _ := NewDRBG(rand.Reader)
	a, b := make([]byte, 32), make([]byte, 32)
	d.Read(a)
	e.Read(b)
	if bytes.Equal(a, b) {
		t.Fatal("two instances gave the same output")
	}
	if n, err := d.Read(nil); n != 0 || err != nil {
		t.Fatal(n, err)
	}
}

// TestDRBGReseedSchedule: the DRBG reseeds from its source when the
// request counter passes the interval and when the byte bound is reached;
// a failing source then fails Read.
func TestDRBGReseedSchedule(t *testing.T) {
	src := &countingReader{}
	d, err := NewDRBG(src)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	d.s.reseedCounter = drbgReseedInterval
	d.Read(buf) // counter == interval: still allowed
	if src.reads != 1 {
		t.Fatalf("reseeded early (%d reads)", src.reads)
	}
	d.Read(buf)
	if src.reads != 2 || d.s.reseedCounter != 2 {
		t.Fatalf("no reseed after the interval (%d reads, counter %d)", src.reads, d.s.reseedCounter)
	}
	d.bytes = drbgReseedBytes
	d.Read(buf)
	if src.reads != 3 {
		t.Fatal("no reseed after the byte bound")
	}
	d.bytes = drbgReseedBytes
	src.fail = true
	n, err := d.Read(buf)
	if n != 0 {
		t.Fatal("output without the required reseed")
	}
	wantRV(t, err, ck.CKR_FUNCTION_FAILED)
}

// TestDRBGMix: C_SeedRandom's bytes are mixed in with fresh entropy; the
// state is never replaced, so the same seed given to two DRBGs does not
// make them agree.
func TestDRBGMix(t *testing.T) {
	src := &countingReader{}
	d, _ := NewDRBG(src)
	e, _ := NewDRBG(rand.Reader)
	seed := []byte("caller's seed")
	if err := d.Mix(seed); err != nil {
		t.Fatal(err)
	}
	if src.reads != 2 {
		t.Errorf("Mix drew no fresh entropy")
	}
	e.Mix(seed)
	a, b := make([]byte, 32), make([]byte, 32)
	d.Read(a)
	e.Read(b)
	if bytes.Equal(a, b) {
		t.Fatal("Mix replaced the state")
	}
	// Deterministically: the same state with and without the seed differs.
	var s1, s2 hmacDRBG
	s1.instantiate(make([]byte, 32), make([]byte, 16), nil)
	s2 = s1
	s1.reseed(make([]byte, 32), nil)
	s2.reseed(make([]byte, 32), seed)
	if s1.k == s2.k || s1.v == s2.v {
		t.Fatal("additional input ignored")
	}
	src.fail = true
	wantRV(t, d.Mix(seed), ck.CKR_FUNCTION_FAILED)
}

// TestDRBGConcurrent reads from many goroutines (run with -race).
func TestDRBGConcurrent(t *testing.T) {
	d, _ := NewDRBG(rand.Reader)
	var wg sync.WaitGroup
	outs := make([][]byte, 32)
	for i := range outs {
		wg.Go(func() {
			outs[i] = make([]byte, 64)
			if _, err := d.Read(outs[i]); err != nil {
				t.Error(err)
			}
			if i%4 == 0 {
				d.Mix([]byte{byte(i)})
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, o := range outs {
		if seen[string(o)] {
			t.Fatal("repeated output")
		}
		seen[string(o)] = true
	}
}

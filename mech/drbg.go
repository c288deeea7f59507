package mech

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/kagi-hsm/kagi/token/ck"
)

// DRBG is kagi's deterministic random bit generator: HMAC_DRBG with
// SHA-256 as specified in NIST SP 800-90A Rev. 1 section 10.1.2, without
// prediction resistance. It draws key material, IVs and C_GenerateRandom
// output.
//
// Per SP 800-90A Rev. 1 Table 2 (section 10.1), HMAC_DRBG with SHA-256 has a
// security strength of 256 bits, an outlen and seed length of 256 bits, a
// maximum request of 2^19 bits and a reseed interval of at most 2^48
// requests. kagi instantiates it with 384 bits from the entropy source (a
// 256-bit entropy input and a 128-bit nonce, section 8.6.7) and a
// personalization string naming the process, and reseeds far more often
// than the maximum interval allows: every drbgReseedInterval requests or
// drbgReseedBytes output bytes, whichever comes first.
type DRBG struct {
	mu      sync.Mutex
	entropy io.Reader
	s       hmacDRBG
	// bytes counts the output since the last reseed.
	bytes uint64
}

const (
	// drbgEntropyLen is the entropy input drawn at instantiation and at
	// each reseed: 256 bits of entropy input (the security strength) and,
	// at instantiation, a 128-bit nonce (section 8.6.7), 384 bits in all.
	drbgEntropyLen = 32
	drbgNonceLen   = 16
	// drbgMaxRequest is max_number_of_bits_per_request (Table 2): 2^19
	// bits. Larger reads are split.
	drbgMaxRequest = (1 << 19) / 8
	// drbgReseedInterval is kagi's reseed_interval (section 9.3.1, Table 2
	// allows up to 2^48).
	drbgReseedInterval = 1 << 16
	// drbgReseedBytes bounds the output between reseeds independently of
	// the request count.
	drbgReseedBytes = 1 << 24
	// drbgMaxAdditional bounds additional input and the personalization
	// string (Table 2: 2^35 bits).
	drbgMaxAdditional = (1 << 35) / 8
)

// NewDRBG instantiates a DRBG from the entropy source (crypto/rand.Reader in
// production), per SP 800-90A Rev. 1 section 9.1: entropy input and nonce
// from the source, and a personalization string of the process id and the
// time, so two instances started from the same source state still differ.
func NewDRBG(entropy io.Reader) (*DRBG, error) {
	var seed [drbgEntropyLen + drbgNonceLen]byte
	defer clear(seed[:])
	if _, err := io.ReadFull(entropy, seed[:]); err != nil {
		return nil, fmt.Errorf("mech: DRBG entropy: %w", ck.CKR_FUNCTION_FAILED)
	}
	pers := fmt.Appendf(nil, "kagi HMAC_DRBG pid=%d t=%d", os.Getpid(), time.Now().UnixNano())
	d := &DRBG{entropy: entropy}
	d.s.instantiate(seed[:drbgEntropyLen], seed[drbgEntropyLen:], pers)
	return d, nil
}

// Read fills p with random bytes (io.Reader); safe for concurrent use.
// Requests larger than the maximum request size are split. The DRBG
// reseeds itself from the entropy source when the reseed interval or the
// byte bound is reached (section 9.3.1 step 7); if that fails, Read returns
// what it produced so far and the error.
func (d *DRBG) Read(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for n < len(p) {
		chunk := p[n:min(len(p), n+drbgMaxRequest)]
		if d.s.reseedCounter > drbgReseedInterval || d.bytes >= drbgReseedBytes {
			if err := d.reseed(nil); err != nil {
				return n, err
			}
		}
		if d.s.generate(chunk, nil) {
			// Unreachable: reseedCounter was checked above.
			return n, errors.New("mech: DRBG reseed required")
		}
		d.bytes += uint64(len(chunk))
		n += len(chunk)
	}
	return n, nil
}

// Mix is C_SeedRandom: it reseeds the DRBG with fresh entropy from the
// source and the caller's seed as additional input (section 9.2). The
// caller's bytes are mixed into the state, never a replacement for it.
func (d *DRBG) Mix(seed []byte) error {
	if len(seed) > drbgMaxAdditional {
		return fmt.Errorf("mech: seed too long: %w", ck.CKR_ARGUMENTS_BAD)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.reseed(seed)
}

// reseed is the Reseed_function (section 9.2) with entropy from the source.
func (d *DRBG) reseed(additional []byte) error {
	var e [drbgEntropyLen]byte
	defer clear(e[:])
	if _, err := io.ReadFull(d.entropy, e[:]); err != nil {
		return fmt.Errorf("mech: DRBG entropy: %w", ck.CKR_FUNCTION_FAILED)
	}
	d.s.reseed(e[:], additional)
	d.bytes = 0
	return nil
}

// hmacDRBG is the HMAC_DRBG mechanism of SP 800-90A Rev. 1 section 10.1.2
// with SHA-256, with explicit inputs; the known-answer tests drive it
// directly.
type hmacDRBG struct {
	k, v          [sha256.Size]byte
	reseedCounter uint64
}

// update is HMAC_DRBG_Update (section 10.1.2.2). The provided data is the
// concatenation of parts; nil or empty parts count as no data.
func (s *hmacDRBG) update(parts ...[]byte) {
	empty := true
	for _, p := range parts {
		if len(p) > 0 {
			empty = false
		}
	}
	for _, sep := range []byte{0x00, 0x01} {
		// Steps 1 and 4: K = HMAC(K, V || sep || provided_data).
		m := hmac.New(sha256.New, s.k[:])
		m.Write(s.v[:])
		m.Write([]byte{sep})
		for _, p := range parts {
			m.Write(p)
		}
		m.Sum(s.k[:0])
		// Steps 2 and 5: V = HMAC(K, V).
		m = hmac.New(sha256.New, s.k[:])
		m.Write(s.v[:])
		m.Sum(s.v[:0])
		// Step 3: if provided_data = Null, return.
		if empty {
			return
		}
	}
}

// instantiate is HMAC_DRBG_Instantiate_algorithm (section 10.1.2.3).
func (s *hmacDRBG) instantiate(entropy, nonce, personalization []byte) {
	// Step 1: seed_material = entropy_input || nonce || personalization_string.
	// Step 2: Key = 0x00 00...00.
	clear(s.k[:])
	// Step 3: V = 0x01 01...01.
	for i := range s.v {
		s.v[i] = 0x01
	}
	// Step 4: (Key, V) = HMAC_DRBG_Update(seed_material, Key, V).
	s.update(entropy, nonce, personalization)
	// Step 5: reseed_counter = 1.
	s.reseedCounter = 1
}

// reseed is HMAC_DRBG_Reseed_algorithm (section 10.1.2.4).
func (s *hmacDRBG) reseed(entropy, additional []byte) {
	// Steps 1-2: seed_material = entropy_input || additional_input;
	// (Key, V) = HMAC_DRBG_Update(seed_material, Key, V).
	s.update(entropy, additional)
	// Step 3: reseed_counter = 1.
	s.reseedCounter = 1
}

// generate is HMAC_DRBG_Generate_algorithm (section 10.1.2.5); it fills out
// (at most drbgMaxRequest bytes) and reports whether a reseed is required
// instead.
func (s *hmacDRBG) generate(out, additional []byte) (reseedRequired bool) {
	if len(out) > drbgMaxRequest {
		panic("mech: DRBG request exceeds the maximum request size")
	}
	// Step 1: if reseed_counter > reseed_interval, return "reseed required".
	if s.reseedCounter > drbgReseedInterval {
		return true
	}
	// Step 2: if additional_input != Null, (Key, V) = HMAC_DRBG_Update(additional_input, Key, V).
	if len(additional) > 0 {
		s.update(additional)
	}
	// Steps 3-5: temp = Null; while len(temp) < requested_number_of_bits:
	// V = HMAC(Key, V), temp = temp || V; returned_bits = leftmost bits of temp.
	m := hmac.New(sha256.New, s.k[:])
	for n := 0; n < len(out); n += len(s.v) {
		m.Reset()
		m.Write(s.v[:])
		m.Sum(s.v[:0])
		copy(out[n:], s.v[:])
	}
	// Step 6: (Key, V) = HMAC_DRBG_Update(additional_input, Key, V).
	s.update(additional)
	// Step 7: reseed_counter = reseed_counter + 1.
	s.reseedCounter++
	return false
}

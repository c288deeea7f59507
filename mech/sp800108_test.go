package mech

import (
	"bytes"
	"crypto/aes"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"maps"
	"slices"
	"strconv"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// CKM_SP800_108_COUNTER_KDF: the CAVP known answers, and the conformance
// check of its registry row against a reference written here from SP
// 800-108r1 section 4.1 over crypto/hmac and a CMAC of its own.

// This init runs after derive_test.go's (files initialise in name order),
// so it replaces the generic conformSimpleDerive set there for every row.
func init() {
	conformBy[ck.CKM_SP800_108_COUNTER_KDF] = conformSP800108
}

// counterParam is the PRF input of the CAVP KBKDF counter-mode tests with
// CTRLOCATION=BEFORE_FIXED: [i]_r || fixed input data.
func counterParam(prf ck.MechanismType, rBits ck.ULong, fixed []byte) ck.SP800108Params {
	return ck.SP800108Params{PRF: prf, Data: []ck.PRFDataParam{
		{Type: ck.CK_SP800_108_ITERATION_VARIABLE, Counter: &ck.SP800108CounterFormat{WidthBits: rBits}},
		{Type: ck.CK_SP800_108_BYTE_ARRAY, Value: fixed},
	}}
}

// TestSP800108CAVP: KDFCTR_gen.rsp (CAVS 14.4) counts for CMAC-AES128 and
// HMAC-SHA256, counter before the fixed input, 32-bit counter; L = 128,
// 160, 256 and 320 bits (one block, a partial block, several blocks).
func TestSP800108CAVP(t *testing.T) {
	prfs := map[string]struct {
		mech ck.MechanismType
		kt   ck.KeyType
	}{
		"CMAC_AES128": {ck.CKM_AES_CMAC, ck.CKK_AES},
		"HMAC_SHA256": {ck.CKM_SHA256_HMAC, ck.CKK_GENERIC_SECRET},
	}
	spec, ok := Lookup(ck.CKM_SP800_108_COUNTER_KDF)
	if !ok {
		t.Fatal("CKM_SP800_108_COUNTER_KDF not in the registry")
	}
	n := 0
	for _, r := range readVectors(t, "KDFCTR_gen_subset.rsp", "COUNT") {
		prf, ok := prfs[r.header["PRF"]]
		if !ok || r.header["CTRLOCATION"] != "BEFORE_FIXED" || r.header["RLEN"] != "32_BITS" {
			t.Fatalf("unexpected section %v", r.header)
		}
		l, err := strconv.Atoi(r.get("L", 0))
		if err != nil || l%8 != 0 {
			t.Fatalf("L = %q", r.get("L", 0))
		}
		name := fmt.Sprintf("%s/COUNT=%s", r.header["PRF"], r.get("COUNT", 0))
		t.Run(name, func(t *testing.T) {
			base := secretKey(t, prf.kt, r.hex(t, "KI", 0))
			fixed := r.hex(t, "FixedInputData", 0)
			want := r.hex(t, "KO", 0)
			if len(want) != l/8 {
				t.Fatalf("KO is %d bytes, L is %d bits", len(want), l)
			}
			got, err := spec.Derive(base, counterParam(prf.mech, 32, fixed), l/8, noOther)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got, want) {
				t.Fatalf("derived %x, want %x", got, want)
			}
		})
		n++
	}
	if n != 10 {
		t.Fatalf("%d vectors, want 10", n)
	}
}

// refCMAC is AES-CMAC written from RFC 4493 section 2.4, apart from
// cmac.go: subkeys by doubling in GF(2^128), then CBC-MAC with the last
// block masked.
func refCMAC(key, msg []byte) []byte {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	double := func(v []byte) []byte {
		hi := binary.BigEndian.Uint64(v[:8])
		lo := binary.BigEndian.Uint64(v[8:])
		msb := hi >> 63
		out := binary.BigEndian.AppendUint64(nil, hi<<1|lo>>63)
		out = binary.BigEndian.AppendUint64(out, lo<<1^(0x87*msb))
		return out
	}
	l := make([]byte, 16)
	b.Encrypt(l, l)
	k1 := double(l)
	k2 := double(k1)
	nBlocks := (len(msg) + 15) / 16
	complete := nBlocks > 0 && len(msg)%16 == 0
	if nBlocks == 0 {
		nBlocks = 1
	}
	last := make([]byte, 16)
	tail := msg[(nBlocks-1)*16:]
	if complete {
		for i := range last {
			last[i] = tail[i] ^ k1[i]
		}
	} else {
		copy(last, tail)
		last[len(tail)] = 0x80
		for i := range last {
			last[i] ^= k2[i]
		}
	}
	x := make([]byte, 16)
	for i := 0; i < nBlocks-1; i++ {
		for j := range x {
			x[j] ^= msg[16*i+j]
		}
		b.Encrypt(x, x)
	}
	for j := range x {
		x[j] ^= last[j]
	}
	b.Encrypt(x, x)
	return x
}

// refPRFs are the reference PRFs, by mechanism.
var refPRFs = map[ck.MechanismType]func(key, msg []byte) []byte{
	ck.CKM_SHA_1_HMAC:    refHMAC(sha1.New),
	ck.CKM_SHA224_HMAC:   refHMAC(sha256.New224),
	ck.CKM_SHA256_HMAC:   refHMAC(sha256.New),
	ck.CKM_SHA384_HMAC:   refHMAC(sha512.New384),
	ck.CKM_SHA512_HMAC:   refHMAC(sha512.New),
	ck.CKM_SHA3_224_HMAC: refHMAC(func() hash.Hash { return sha3.New224() }),
	ck.CKM_SHA3_256_HMAC: refHMAC(func() hash.Hash { return sha3.New256() }),
	ck.CKM_SHA3_384_HMAC: refHMAC(func() hash.Hash { return sha3.New384() }),
	ck.CKM_SHA3_512_HMAC: refHMAC(func() hash.Hash { return sha3.New512() }),
	ck.CKM_AES_CMAC:      refCMAC,
}

func refHMAC(h func() hash.Hash) func(key, msg []byte) []byte {
	return func(key, msg []byte) []byte {
		m := hmac.New(h, key)
		m.Write(msg)
		return m.Sum(nil)
	}
}

// encodeRef encodes v in w bits (whole bytes) through encoding/binary.
func encodeRef(v uint64, w ck.ULong, le bool) []byte {
	n := int(w / 8)
	if le {
		return binary.LittleEndian.AppendUint64(nil, v)[:n]
	}
	return binary.BigEndian.AppendUint64(nil, v)[8-n:]
}

// refKBKDF is SP 800-108r1 section 4.1 over the PKCS#11 input layout:
// for i = 1..ceil(L/h), K(i) = PRF(K_I, the data parameters in order with
// i and the DKM length encoded in place); the key is the first L bytes.
func refKBKDF(prf func(key, msg []byte) []byte, h int, key []byte, p ck.SP800108Params, keyLen int) []byte {
	n := (keyLen + h - 1) / h
	var out []byte
	for i := 1; i <= n; i++ {
		var in []byte
		for _, d := range p.Data {
			switch d.Type {
			case ck.CK_SP800_108_ITERATION_VARIABLE:
				in = append(in, encodeRef(uint64(i), d.Counter.WidthBits, d.Counter.LittleEndian)...)
			case ck.CK_SP800_108_DKM_LENGTH:
				l := uint64(8 * keyLen)
				if d.DKMLength.Method == ck.CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS {
					l = uint64(8 * n * h)
				}
				in = append(in, encodeRef(l, d.DKMLength.WidthBits, d.DKMLength.LittleEndian)...)
			default:
				in = append(in, d.Value...)
			}
		}
		out = append(out, prf(key, in)...)
	}
	return out[:keyLen]
}

// Layouts of the PRF input the conformance test derives with.
func iter(w ck.ULong, le bool) ck.PRFDataParam {
	return ck.PRFDataParam{Type: ck.CK_SP800_108_ITERATION_VARIABLE, Counter: &ck.SP800108CounterFormat{LittleEndian: le, WidthBits: w}}
}

func dkm(m, w ck.ULong, le bool) ck.PRFDataParam {
	return ck.PRFDataParam{Type: ck.CK_SP800_108_DKM_LENGTH, DKMLength: &ck.SP800108DKMLengthFormat{Method: m, LittleEndian: le, WidthBits: w}}
}

func byteArray(b []byte) ck.PRFDataParam {
	return ck.PRFDataParam{Type: ck.CK_SP800_108_BYTE_ARRAY, Value: b}
}

func kbkdfLayouts() [][]ck.PRFDataParam {
	label, context := []byte("kagi label"), randBytes(20)
	return [][]ck.PRFDataParam{
		{iter(32, false)},
		// SP 800-108 section 4.1's example: [i]_2 || Label || 0x00 || Context || [L]_2.
		{iter(16, false), byteArray(label), byteArray([]byte{0}), byteArray(context), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 16, false)},
		// SCP03's: Label || 0x00 || [L]_2 || [i]_2 || Context.
		{byteArray(label), byteArray([]byte{0}), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 16, false), iter(8, false), byteArray(context)},
		// Counter after the data, little-endian fields, segment lengths.
		{byteArray(context), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS, 64, true), iter(24, true)},
		{dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS, 40, false), byteArray(label), iter(32, true)},
	}
}

// conformSP800108: every PRF and layout against the reference, the length
// rules, and every refusal with its code.
func conformSP800108(t *testing.T, s *Spec) {
	prfs := slices.Sorted(maps.Keys(kbkdfPRFs))
	if len(prfs) != len(refPRFs) {
		t.Fatalf("%d PRFs, %d references", len(prfs), len(refPRFs))
	}
	for _, m := range prfs {
		prf := kbkdfPRFs[m]
		base := secretKey(t, ck.CKK_GENERIC_SECRET, randBytes(40))
		if m == ck.CKM_AES_CMAC {
			base = fixtureOf(t, "AES-256").priv
		}
		h := prf.size
		for li, data := range kbkdfLayouts() {
			p := ck.SP800108Params{PRF: m, Data: data}
			for _, keyLen := range []int{1, 16, h - 1, h, h + 1, 3*h - 1, 3 * h} {
				got, err := s.Derive(base, p, keyLen, noOther)
				wantRV(t, err, ck.CKR_OK)
				if want := refKBKDF(refPRFs[m], h, base.Secret, p, keyLen); !bytes.Equal(got, want) {
					t.Fatalf("%v layout %d keyLen %d: derived %x, want %x", m, li, keyLen, got, want)
				}
			}
		}
	}

	base := secretKey(t, ck.CKK_GENERIC_SECRET, randBytes(32))
	p := counterParam(ck.CKM_SHA256_HMAC, 32, []byte("fixed"))
	want := refKBKDF(refPRFs[ck.CKM_SHA256_HMAC], 32, base.Secret, p, 48)

	// The pointer form of the parameter derives the same.
	got, err := s.Derive(base, &p, 48, noOther)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, want) {
		t.Fatal("pointer parameter derives otherwise")
	}
	// The key types the PRFs name are accepted, and only theirs.
	got, err = s.Derive(secretKey(t, ck.CKK_SHA256_HMAC, base.Secret), p, 48, noOther)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, want) {
		t.Fatal("CKK_SHA256_HMAC base key derives otherwise")
	}
	for _, k := range []*Key{
		secretKey(t, ck.CKK_SHA384_HMAC, base.Secret),
		fixtureOf(t, "AES-128").priv,
		fixtureOf(t, "EC-P-256").priv,
		fixtureOf(t, "RSA-2048").priv,
		nil,
	} {
		_, err := s.Derive(k, p, 16, noOther)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	cmac := counterParam(ck.CKM_AES_CMAC, 32, []byte("fixed"))
	for _, f := range []string{"generic-64", "EC-P-256"} {
		_, err := s.Derive(fixtureOf(t, f).priv, cmac, 16, noOther)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	for _, name := range []string{"AES-128", "AES-192", "AES-256"} {
		k := fixtureOf(t, name).priv
		got, err := s.Derive(k, cmac, 40, noOther)
		wantRV(t, err, ck.CKR_OK)
		if want := refKBKDF(refCMAC, 16, k.Secret, cmac, 40); !bytes.Equal(got, want) {
			t.Fatalf("%s: derived %x, want %x", name, got, want)
		}
	}
	for _, kt := range s.KeyTypes {
		if !secretKeyTypes[kt] {
			t.Errorf("key type %#x is not a secret key type", kt)
		}
	}
	if !slices.IsSorted(s.KeyTypes) {
		t.Error("key types not in ascending order")
	}

	// Lengths: CKA_VALUE_LEN is required; an 8-bit counter reaches
	// 255 blocks; a DKM length must fit its field.
	_, err = s.Derive(base, p, 0, noOther)
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	for _, n := range []int{-1, maxSecretLen + 1} {
		_, err := s.Derive(base, p, n, noOther)
		wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	}
	p8 := counterParam(ck.CKM_SHA256_HMAC, 8, []byte("fixed"))
	got, err = s.Derive(base, p8, 255*32, noOther)
	wantRV(t, err, ck.CKR_OK)
	if want := refKBKDF(refPRFs[ck.CKM_SHA256_HMAC], 32, base.Secret, p8, 255*32); !bytes.Equal(got, want) {
		t.Fatal("255 blocks derive otherwise")
	}
	_, err = s.Derive(base, p8, 255*32+1, noOther)
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	keys8 := ck.SP800108Params{PRF: ck.CKM_SHA256_HMAC, Data: []ck.PRFDataParam{iter(32, false), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 8, false)}}
	_, err = s.Derive(base, keys8, 31, noOther) // 248 bits
	wantRV(t, err, ck.CKR_OK)
	_, err = s.Derive(base, keys8, 32, noOther) // 256 bits
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	segs8 := ck.SP800108Params{PRF: ck.CKM_SHA256_HMAC, Data: []ck.PRFDataParam{iter(32, false), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS, 8, false)}}
	_, err = s.Derive(base, segs8, 1, noOther) // one segment: 256 bits
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)

	// Refused parameters.
	with := func(data ...ck.PRFDataParam) ck.SP800108Params {
		return ck.SP800108Params{PRF: ck.CKM_SHA256_HMAC, Data: data}
	}
	fixed := byteArray([]byte("fixed"))
	bad := []any{
		nil, []byte{1, 2, 3}, (*ck.SP800108Params)(nil), ck.KeyDerivationStringData{Data: []byte("x")},
		ck.SP800108Params{PRF: ck.CKM_SHA256, Data: p.Data},
		ck.SP800108Params{PRF: ck.CKM_MD5_HMAC, Data: p.Data},
		ck.SP800108Params{PRF: ck.CKM_DES3_CMAC, Data: p.Data},
		ck.SP800108Params{PRF: ck.CKM_SHA256_HMAC_GENERAL, Data: p.Data},
		ck.SP800108Params{PRF: ck.CKM_SHA256_HMAC, Data: p.Data, AdditionalKeys: 1},
		with(),
		with(fixed),
		with(iter(32, false), iter(32, false)),
		with(ck.PRFDataParam{Type: ck.CK_SP800_108_ITERATION_VARIABLE}, fixed),
		with(ck.PRFDataParam{Type: ck.CK_SP800_108_ITERATION_VARIABLE, Value: []byte{0, 0, 0, 32}}, fixed),
		with(iter(0, false)), with(iter(7, false)), with(iter(12, false)), with(iter(40, false)), with(iter(64, false)),
		with(iter(32, false), ck.PRFDataParam{Type: ck.CK_SP800_108_OPTIONAL_COUNTER, Counter: &ck.SP800108CounterFormat{WidthBits: 32}}),
		with(iter(32, false), ck.PRFDataParam{Type: ck.CK_SP800_108_DKM_LENGTH}),
		with(iter(32, false), dkm(0, 32, false)),
		with(iter(32, false), dkm(3, 32, false)),
		with(iter(32, false), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 0, false)),
		with(iter(32, false), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 12, false)),
		with(iter(32, false), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 72, false)),
		with(iter(32, false), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 32, false), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 32, false)),
		with(iter(32, false), byteArray(nil)),
		with(iter(32, false), ck.PRFDataParam{Type: 5, Value: []byte{1}}),
		with(iter(32, false), ck.PRFDataParam{Type: 0, Value: []byte{1}}),
	}
	for i, bp := range bad {
		_, err := s.Derive(base, bp, 16, noOther)
		if got := ck.ErrorRV(err); got != ck.CKR_MECHANISM_PARAM_INVALID {
			t.Errorf("bad parameter %d (%+v): got %v (%v)", i, bp, got, err)
		}
	}
}

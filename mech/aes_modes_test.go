package mech

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
	"slices"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// aesConformance is the registry conformance of the AES rows in
// registry_aes.go, per mechanism: what TestRegistryConformance's cipher and
// sign checks do for AEADs and HMACs, with the rules of each mode (block
// lengths, no integrity for ECB/CBC/CTR, single-part key wrap).
var aesConformance = map[ck.MechanismType]func(t *testing.T, s *Spec){
	ck.CKM_AES_ECB:          conformBlockCipher,
	ck.CKM_AES_CBC:          conformBlockCipher,
	ck.CKM_AES_CBC_PAD:      conformBlockCipher,
	ck.CKM_AES_CTR:          conformBlockCipher,
	ck.CKM_AES_CMAC:         conformCMAC,
	ck.CKM_AES_CMAC_GENERAL: conformCMAC,
	ck.CKM_AES_KEY_WRAP:     conformWrap,
	ck.CKM_AES_KEY_WRAP_KWP: conformWrap,
	ck.CKM_AES_KEY_WRAP_PAD: conformWrap,
}

// TestAESModeRows takes every AES row through checkInfo and its
// conformance, as TestRegistryConformance does for registry rows.
func TestAESModeRows(t *testing.T) {
	for _, s := range aesModeRows {
		if _, dup := Lookup(s.Type); dup && !slices.Contains(aesRegistry, s) {
			t.Errorf("%s is already in the registry", s.Name)
		}
		if s.Name != s.Type.String() {
			t.Errorf("row %s names %s", s.Type, s.Name)
		}
		t.Run(s.Name, func(t *testing.T) {
			checkInfo(t, s)
			f := aesConformance[s.Type]
			if f == nil {
				t.Fatal("no conformance")
			}
			f(t, s)
		})
	}
}

func aesTestKey(b []byte) *Key {
	return &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_AES, Secret: b}
}

// aesFixtures are the AES fixture keys; others is the rest.
func aesFixtures() (aesKeys, others []fixture) {
	for _, f := range fixtures() {
		if f.priv.Type == ck.CKK_AES {
			aesKeys = append(aesKeys, f)
		} else {
			others = append(others, f)
		}
	}
	return aesKeys, others
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// modeCase is one parameter set of a mode and crypto/cipher's result.
type modeCase struct {
	name  string
	param any
	ref   func(key, pt []byte) []byte
}

func pkcs7(pt []byte) []byte {
	p := 16 - len(pt)%16
	return append(bytes.Clone(pt), bytes.Repeat([]byte{byte(p)}, p)...)
}

func modeCases(typ ck.MechanismType) []modeCase {
	iv := randBytes(16)
	cbc := func(pad bool) func(key, pt []byte) []byte {
		return func(key, pt []byte) []byte {
			b, _ := aes.NewCipher(key)
			if pad {
				pt = pkcs7(pt)
			}
			out := make([]byte, len(pt))
			cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, pt)
			return out
		}
	}
	ctr := func(cb []byte) func(key, pt []byte) []byte {
		return func(key, pt []byte) []byte {
			b, _ := aes.NewCipher(key)
			out := make([]byte, len(pt))
			cipher.NewCTR(b, cb).XORKeyStream(out, pt)
			return out
		}
	}
	switch typ {
	case ck.CKM_AES_ECB:
		return []modeCase{{"nil", nil, func(key, pt []byte) []byte {
			b, _ := aes.NewCipher(key)
			out := make([]byte, len(pt))
			for i := 0; i < len(pt); i += 16 {
				b.Encrypt(out[i:], pt[i:])
			}
			return out
		}}, {"empty", []byte{}, nil}}
	case ck.CKM_AES_CBC:
		return []modeCase{{"iv", iv, cbc(false)}}
	case ck.CKM_AES_CBC_PAD:
		return []modeCase{{"iv", iv, cbc(true)}}
	case ck.CKM_AES_CTR:
		var cs []modeCase
		for _, bits := range []ck.ULong{128, 64, 32, 16} {
			p := ck.AESCTRParams{CounterBits: bits}
			copy(p.CB[:], randBytes(16))
			// Leave room for the longest test input in the counter.
			p.CB[15-int(bits-1)/8] = 0
			var param any = p
			if bits == 32 {
				param = &p
			}
			cs = append(cs, modeCase{fmt.Sprintf("ctr%d", bits), param, ctr(bytes.Clone(p.CB[:]))})
		}
		return cs
	}
	return nil
}

var badModeParams = map[ck.MechanismType][]any{
	ck.CKM_AES_ECB:     {[]byte{0}, make([]byte, 16), ck.AESCTRParams{CounterBits: 1}},
	ck.CKM_AES_CBC:     {nil, []byte{}, make([]byte, 15), make([]byte, 17), ck.AESCTRParams{CounterBits: 1}},
	ck.CKM_AES_CBC_PAD: {nil, []byte{}, make([]byte, 8), make([]byte, 32)},
	ck.CKM_AES_CTR: {nil, make([]byte, 16), (*ck.AESCTRParams)(nil), ck.GCMParams{},
		ck.AESCTRParams{CounterBits: 0}, ck.AESCTRParams{CounterBits: 129}, ck.AESCTRParams{CounterBits: 1 << 40}},
}

// blockLen is the input granularity of a mode: 16 for ECB and CBC, 1 for
// the others.
func blockLen(typ ck.MechanismType) int {
	if typ == ck.CKM_AES_ECB || typ == ck.CKM_AES_CBC {
		return 16
	}
	return 1
}

func conformBlockCipher(t *testing.T, s *Spec) {
	aesKeys, others := aesFixtures()
	cases := modeCases(s.Type)
	for _, f := range others {
		_, err := s.Encrypt(f.priv, cases[0].param)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		_, err = s.Decrypt(f.priv, cases[0].param)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	_, err := s.Encrypt(nil, cases[0].param)
	wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	for _, p := range badModeParams[s.Type] {
		_, err := s.Encrypt(aesKeys[0].priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		_, err = s.Decrypt(aesKeys[0].priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	// An AES key of a bad length (token never builds one) is refused.
	_, err = s.Encrypt(aesTestKey(make([]byte, 20)), cases[0].param)
	wantRV(t, err, ck.CKR_KEY_SIZE_RANGE)

	bl := blockLen(s.Type)
	for _, c := range cases {
		if c.ref == nil {
			continue
		}
		for _, f := range aesKeys {
			t.Run(c.name+"/"+f.name, func(t *testing.T) {
				for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 48, 100, 4096} {
					pt := randBytes(n)
					if n%bl != 0 {
						conformModeBadLen(t, s, f.priv, c, pt)
						continue
					}
					conformModeData(t, s, f.priv, c, pt)
				}
			})
		}
	}
}

// conformModeData: single-part, into buffers (exact, in place, shifted
// overlap both ways), multi-part over several splits, and back.
func conformModeData(t *testing.T, s *Spec, k *Key, c modeCase, pt []byte) {
	t.Helper()
	want := c.ref(k.Secret, pt)
	enc := func() CipherOp {
		o, err := s.Encrypt(k, c.param)
		wantRV(t, err, ck.CKR_OK)
		return o
	}
	dec := func() CipherOp {
		o, err := s.Decrypt(k, c.param)
		wantRV(t, err, ck.CKR_OK)
		return o
	}
	o := enc()
	if o.OutLen(len(pt)) != len(want) {
		t.Fatalf("OutLen(%d) = %d, want %d", len(pt), o.OutLen(len(pt)), len(want))
	}
	ct, err := o.One(pt)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(ct, want) {
		t.Fatalf("%d bytes: ciphertext differs from crypto/cipher", len(pt))
	}
	if d := dec(); d.OutLen(len(ct)) < len(pt) {
		t.Fatalf("decrypt OutLen(%d) = %d < %d", len(ct), d.OutLen(len(ct)), len(pt))
	}
	got, err := dec().One(ct)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, pt) {
		t.Fatal("round trip differs")
	}

	// OneInto: a separate buffer, in place, and shifted overlaps.
	into := func(o CipherOp, in, want []byte) {
		t.Helper()
		outLen := o.OutLen(len(in))
		size := max(outLen, len(in)) + 32
		for _, shape := range []string{"separate", "in-place", "dst-after", "dst-before"} {
			var dst, src []byte
			switch shape {
			case "separate":
				dst, src = make([]byte, outLen), bytes.Clone(in)
			case "in-place":
				buf := make([]byte, size)
				src, dst = buf[:len(in)], buf[:outLen]
			case "dst-after":
				buf := make([]byte, size)
				src, dst = buf[:len(in)], buf[7:7+outLen]
			case "dst-before":
				buf := make([]byte, size)
				src, dst = buf[9:9+len(in)], buf[:outLen]
			}
			copy(src, in)
			op := o
			if shape != "separate" {
				if op, err = s.Encrypt(k, c.param); bytes.Equal(in, ct) {
					op, err = s.Decrypt(k, c.param)
				}
				wantRV(t, err, ck.CKR_OK)
			}
			n, err := op.OneInto(dst, src)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(dst[:n], want) {
				t.Fatalf("OneInto %s of %d bytes differs", shape, len(in))
			}
		}
	}
	into(enc(), pt, ct)
	into(dec(), ct, pt)

	// Multi-part: uneven splits, one byte at a time, 16-byte parts.
	splits := [][][]byte{split(pt), chunks(pt, 1), chunks(pt, 16), chunks(pt, 33)}
	for i, parts := range splits {
		if got := multiPart(t, enc(), parts); !bytes.Equal(got, ct) {
			t.Fatalf("split %d: multi-part ciphertext differs", i)
		}
	}
	for i, parts := range [][][]byte{split(ct), chunks(ct, 1), chunks(ct, 16), chunks(ct, 33)} {
		if got := multiPart(t, dec(), parts); !bytes.Equal(got, pt) {
			t.Fatalf("split %d: multi-part plaintext differs", i)
		}
	}
	// UpdateInto, part by part, into separate, in-place and shifted buffers.
	for _, shape := range []string{"separate", "in-place", "dst-after", "dst-before"} {
		for i, parts := range [][][]byte{split(pt), chunks(pt, 1), chunks(pt, 33)} {
			if got := multiPartInto(t, enc(), parts, shape); !bytes.Equal(got, ct) {
				t.Fatalf("split %d %s: UpdateInto ciphertext differs", i, shape)
			}
		}
		for i, parts := range [][][]byte{split(ct), chunks(ct, 1), chunks(ct, 33)} {
			if got := multiPartInto(t, dec(), parts, shape); !bytes.Equal(got, pt) {
				t.Fatalf("split %d %s: UpdateInto plaintext differs", i, shape)
			}
		}
	}
	// Update releases whole blocks at once (ECB/CBC/CBC_PAD encryption),
	// everything (CTR), or all but a last whole block (CBC_PAD decryption).
	if len(pt) >= 32 {
		o := enc()
		out, err := o.Update(pt[:20])
		wantRV(t, err, ck.CKR_OK)
		wantOut := 16
		if s.Type == ck.CKM_AES_CTR {
			wantOut = 20
		}
		if len(out) != wantOut {
			t.Fatalf("Update of 20 bytes gave %d", len(out))
		}
		d := dec()
		out, err = d.Update(ct[:32])
		wantRV(t, err, ck.CKR_OK)
		wantOut = 32
		if s.Type == ck.CKM_AES_CBC_PAD {
			wantOut = 16
		}
		if len(out) != wantOut {
			t.Fatalf("decrypt Update of 32 bytes gave %d", len(out))
		}
	}
	if s.Type == ck.CKM_AES_CBC_PAD {
		conformPadding(t, s, k, c, ct)
	}
}

func chunks(b []byte, n int) [][]byte {
	var out [][]byte
	for len(b) > n {
		out = append(out, b[:n])
		b = b[n:]
	}
	return append(out, b)
}

func multiPart(t *testing.T, o CipherOp, parts [][]byte) []byte {
	t.Helper()
	var all []byte
	for _, p := range parts {
		out, err := o.Update(p)
		wantRV(t, err, ck.CKR_OK)
		all = append(all, out...)
	}
	out, err := o.Final()
	wantRV(t, err, ck.CKR_OK)
	return append(all, out...)
}

// multiPartInto is multiPart through UpdateInto, each part laid out against
// its output buffer as shape says (see conformModeData's OneInto shapes),
// checking UpdateLen is what each part gives.
func multiPartInto(t *testing.T, o CipherOp, parts [][]byte, shape string) []byte {
	t.Helper()
	u, ok := o.(UpdateIntoOp)
	if !ok {
		t.Fatalf("%T is not an UpdateIntoOp", o)
	}
	var all []byte
	for _, p := range parts {
		want := u.UpdateLen(len(p))
		buf := make([]byte, max(want, len(p))+32)
		var src, dst []byte
		switch shape {
		case "separate":
			src, dst = bytes.Clone(p), make([]byte, want)
		case "in-place":
			src, dst = buf[:len(p)], buf[:want]
		case "dst-after":
			src, dst = buf[:len(p)], buf[7:7+want]
		case "dst-before":
			src, dst = buf[9:9+len(p)], buf[:want]
		}
		copy(src, p)
		n, err := u.UpdateInto(dst, src)
		wantRV(t, err, ck.CKR_OK)
		if n != want {
			t.Fatalf("UpdateInto of %d bytes gave %d, UpdateLen said %d", len(p), n, want)
		}
		all = append(all, dst[:n]...)
	}
	out, err := o.Final()
	wantRV(t, err, ck.CKR_OK)
	return append(all, out...)
}

// conformModeBadLen: ECB and CBC take whole blocks only, in one part or
// several; the error ends at Final for multi-part.
func conformModeBadLen(t *testing.T, s *Spec, k *Key, c modeCase, in []byte) {
	t.Helper()
	for _, dir := range []struct {
		init func(k *Key, param any) (CipherOp, error)
		rv   ck.RV
	}{{s.Encrypt, ck.CKR_DATA_LEN_RANGE}, {s.Decrypt, ck.CKR_ENCRYPTED_DATA_LEN_RANGE}} {
		o, _ := dir.init(k, c.param)
		_, err := o.One(in)
		wantRV(t, err, dir.rv)
		o, _ = dir.init(k, c.param)
		_, err = o.OneInto(make([]byte, o.OutLen(len(in))), in)
		wantRV(t, err, dir.rv)
		o, _ = dir.init(k, c.param)
		for _, p := range split(in) {
			_, err := o.Update(p)
			wantRV(t, err, ck.CKR_OK)
		}
		_, err = o.Final()
		wantRV(t, err, dir.rv)
	}
}

// conformPadding: CBC_PAD ciphertext of a bad length or with bad padding.
func conformPadding(t *testing.T, s *Spec, k *Key, c modeCase, ct []byte) {
	t.Helper()
	dec := func(in []byte) error {
		o, _ := s.Decrypt(k, c.param)
		_, err := o.One(in)
		o, _ = s.Decrypt(k, c.param)
		for _, p := range split(in) {
			if _, err := o.Update(p); err != nil {
				t.Fatal(err)
			}
		}
		_, err2 := o.Final()
		if ck.ErrorRV(err) != ck.ErrorRV(err2) {
			t.Fatalf("single-part %v, multi-part %v", err, err2)
		}
		return err
	}
	wantRV(t, dec(nil), ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
	wantRV(t, dec(ct[:len(ct)-1]), ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
	wantRV(t, dec(append(bytes.Clone(ct), 1)), ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
	// Make the last plaintext block end in a chosen byte pattern by
	// encrypting it raw with CBC (no padding).
	b, _ := aes.NewCipher(k.Secret)
	iv := c.param.([]byte)
	raw := func(last []byte) []byte {
		out := make([]byte, 32)
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, append(make([]byte, 16), last...))
		return out
	}
	for _, last := range [][]byte{
		append(make([]byte, 15), 0),                         // pad 0
		append(make([]byte, 15), 17),                        // pad > 16
		append(make([]byte, 15), 0xff),                      // pad 255
		append(bytes.Repeat([]byte{3}, 14), 2, 3),           // inconsistent
		append([]byte{15}, bytes.Repeat([]byte{16}, 15)...), // 16, one byte wrong
	} {
		wantRV(t, dec(raw(last)), ck.CKR_ENCRYPTED_DATA_INVALID)
	}
	// A full block of padding and a single byte of it are fine.
	for _, last := range [][]byte{bytes.Repeat([]byte{16}, 16), append(make([]byte, 15), 1)} {
		o, _ := s.Decrypt(k, c.param)
		got, err := o.One(raw(last))
		wantRV(t, err, ck.CKR_OK)
		if len(got) != 32-int(last[15]) {
			t.Fatalf("unpadded to %d bytes", len(got))
		}
	}
}

// TestAESModesSP80038A checks ECB, CBC and CTR against SP 800-38A
// appendix F byte for byte, both directions, single- and multi-part; CBC
// also through CBC_PAD (the examples are whole blocks, so the ciphertext is
// the example followed by one block of padding).
func TestAESModesSP80038A(t *testing.T) {
	for _, r := range readVectors(t, "sp800_38a_aes.txt", "Example") {
		t.Run(r.get("Example", 0), func(t *testing.T) {
			k := aesTestKey(r.hex(t, "Key", 0))
			iv := r.hex(t, "IV", 0)
			pt, ct := r.hex(t, "Plaintext", 0), r.hex(t, "Ciphertext", 0)
			var typs []ck.MechanismType
			var param any
			switch r.get("Mode", 0) {
			case "ECB":
				typs = []ck.MechanismType{ck.CKM_AES_ECB}
			case "CBC":
				typs, param = []ck.MechanismType{ck.CKM_AES_CBC, ck.CKM_AES_CBC_PAD}, iv
			case "CTR":
				p := ck.AESCTRParams{CounterBits: 64}
				copy(p.CB[:], iv)
				typs, param = []ck.MechanismType{ck.CKM_AES_CTR}, p
			}
			for _, typ := range typs {
				s := aesRow(t, typ)
				enc, _ := s.Encrypt(k, param)
				got, err := enc.One(pt)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(got[:len(ct)], ct) {
					t.Fatalf("%s: ciphertext %x", s.Name, got)
				}
				full := got
				enc, _ = s.Encrypt(k, param)
				if got := multiPart(t, enc, split(pt)); !bytes.Equal(got, full) {
					t.Fatalf("%s: multi-part ciphertext %x", s.Name, got)
				}
				dec, _ := s.Decrypt(k, param)
				back, err := dec.One(full)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(back, pt) {
					t.Fatalf("%s: plaintext %x", s.Name, back)
				}
			}
		})
	}
}

func aesRow(t *testing.T, typ ck.MechanismType) *Spec {
	t.Helper()
	for _, s := range aesModeRows {
		if s.Type == typ {
			return s
		}
	}
	t.Fatalf("no row %s", typ)
	return nil
}

// TestAESCTRCounterBits: the counter may not carry out of its CounterBits
// (SoftHSMv2 refuses such input too): the block budget is 2^m - counter.
func TestAESCTRCounterBits(t *testing.T) {
	s := aesRow(t, ck.CKM_AES_CTR)
	k := aesTestKey(randBytes(32))
	p := ck.AESCTRParams{CounterBits: 8}
	copy(p.CB[:], randBytes(16))
	p.CB[15] = 0xfe // two counter values left: 0xfe, 0xff
	for _, dir := range []struct {
		init func(k *Key, param any) (CipherOp, error)
		rv   ck.RV
	}{{s.Encrypt, ck.CKR_DATA_LEN_RANGE}, {s.Decrypt, ck.CKR_ENCRYPTED_DATA_LEN_RANGE}} {
		o, _ := dir.init(k, p)
		_, err := o.One(make([]byte, 32))
		wantRV(t, err, ck.CKR_OK)
		o, _ = dir.init(k, p)
		_, err = o.One(make([]byte, 33))
		wantRV(t, err, dir.rv)
		o, _ = dir.init(k, p)
		_, err = o.OneInto(make([]byte, 33), make([]byte, 33))
		wantRV(t, err, dir.rv)
		o, _ = dir.init(k, p)
		_, err = o.Update(make([]byte, 20))
		wantRV(t, err, ck.CKR_OK)
		_, err = o.Update(make([]byte, 12))
		wantRV(t, err, ck.CKR_OK)
		_, err = o.Update(make([]byte, 1))
		wantRV(t, err, dir.rv)
	}
	// The last counter block of a full 128-bit counter: one block.
	var full ck.AESCTRParams
	full.CounterBits = 128
	copy(full.CB[:], bytes.Repeat([]byte{0xff}, 16))
	o, _ := s.Encrypt(k, full)
	_, err := o.One(make([]byte, 16))
	wantRV(t, err, ck.CKR_OK)
	o, _ = s.Encrypt(k, full)
	_, err = o.One(make([]byte, 17))
	wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
	// The counter bits above CounterBits do not count: CounterBits 1 with a
	// low bit of 0 allows two blocks whatever the rest.
	one := ck.AESCTRParams{CounterBits: 1}
	copy(one.CB[:], bytes.Repeat([]byte{0xff}, 16))
	one.CB[15] = 0xfe
	if got := ctrBudget(one); got != 32 {
		t.Errorf("budget %d, want 32", got)
	}
	// Wide counters are unlimited in practice.
	wide := ck.AESCTRParams{CounterBits: 100}
	if got := ctrBudget(wide); got != ctrUnlimited {
		t.Errorf("budget %d", got)
	}
	wide.CB = [16]byte{0, 0, 0, 0x0f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0}
	if got := ctrBudget(wide); got != 16*16 {
		t.Errorf("budget %d, want 256", got)
	}
}

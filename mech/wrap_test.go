package mech

import (
	"bytes"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestKeyWrapRFC: RFC 3394 section 4 and RFC 5649 section 6, both ways.
func TestKeyWrapRFC(t *testing.T) {
	for _, r := range readVectors(t, "rfc3394_rfc5649_wrap.txt", "Example") {
		typ := ck.CKM_AES_KEY_WRAP
		if r.get("Mode", 0) == "KWP" {
			typ = ck.CKM_AES_KEY_WRAP_KWP
		}
		checkWrapVector(t, r.get("Example", 0), typ, r.hex(t, "KEK", 0), r.hex(t, "Key", 0), r.hex(t, "Wrapped", 0), false)
	}
}

// TestKeyWrapCAVP: the SP 800-38F CAVP subsets (KW_subset.rsp,
// KWP_subset.rsp), AE and AD, FAIL cases included.
func TestKeyWrapCAVP(t *testing.T) {
	for _, f := range []struct {
		file string
		typ  ck.MechanismType
	}{{"KW_subset.rsp", ck.CKM_AES_KEY_WRAP}, {"KWP_subset.rsp", ck.CKM_AES_KEY_WRAP_KWP}} {
		recs := readVectors(t, f.file, "COUNT")
		fails := 0
		for _, r := range recs {
			fail := r.has("FAIL")
			if fail {
				fails++
			}
			name := f.file + "/" + r.header["PLAINTEXT LENGTH"] + "/" + r.get("COUNT", 0)
			checkWrapVector(t, name, f.typ, r.hex(t, "K", 0), r.hex(t, "P", 0), r.hex(t, "C", 0), fail)
		}
		if len(recs) < 40 || fails == 0 {
			t.Fatalf("%s: %d vectors, %d FAIL", f.file, len(recs), fails)
		}
	}
}

func checkWrapVector(t *testing.T, name string, typ ck.MechanismType, kek, p, c []byte, fail bool) {
	t.Helper()
	s := aesRow(t, typ)
	k := aesTestKey(kek)
	dec, err := s.Decrypt(k, nil)
	wantRV(t, err, ck.CKR_OK)
	got, err := dec.One(c)
	if fail {
		if ck.ErrorRV(err) != ck.CKR_ENCRYPTED_DATA_INVALID {
			t.Errorf("%s: unwrap of a FAIL vector: %v", name, err)
		}
		return
	}
	if err != nil || !bytes.Equal(got, p) {
		t.Errorf("%s: unwrap %x, %v", name, got, err)
	}
	enc, err := s.Encrypt(k, nil)
	wantRV(t, err, ck.CKR_OK)
	if enc.OutLen(len(p)) != len(c) {
		t.Errorf("%s: OutLen %d, want %d", name, enc.OutLen(len(p)), len(c))
	}
	if got, err := enc.One(p); err != nil || !bytes.Equal(got, c) {
		t.Errorf("%s: wrap %x, %v", name, got, err)
	}
}

// conformWrap is the registry conformance of the key wrap rows: round
// trips over lengths, the optional IV parameter, integrity failures,
// length errors, single-part only.
func conformWrap(t *testing.T, s *Spec) {
	kwp := s.Type == ck.CKM_AES_KEY_WRAP_KWP || s.Type == ck.CKM_AES_KEY_WRAP_PAD
	aesKeys, others := aesFixtures()
	ivLen, lens, badLens := 8, []int{16, 24, 32, 40, 64, 4096}, []int{0, 1, 8, 15, 17, 33}
	if kwp {
		ivLen, lens, badLens = 4, []int{1, 7, 8, 9, 15, 16, 17, 24, 31, 32, 64, 100, 4097}, []int{0}
	}
	for _, f := range others {
		_, err := s.Encrypt(f.priv, nil)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		_, err = s.Decrypt(f.priv, nil)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	for _, p := range []any{make([]byte, ivLen-1), make([]byte, ivLen+1), make([]byte, 16), ck.AESCTRParams{}, ck.ULong(8)} {
		_, err := s.Encrypt(aesKeys[0].priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		_, err = s.Decrypt(aesKeys[0].priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	iv := randBytes(ivLen)
	for _, f := range aesKeys {
		for _, param := range []any{nil, []byte{}, iv} {
			for _, n := range lens {
				pt := randBytes(n)
				enc, err := s.Encrypt(f.priv, param)
				wantRV(t, err, ck.CKR_OK)
				ct, err := enc.One(pt)
				wantRV(t, err, ck.CKR_OK)
				if len(ct) != enc.OutLen(n) || len(ct)%8 != 0 || len(ct) < n+8 || len(ct) > n+15 {
					t.Fatalf("%d bytes wrapped into %d, OutLen %d", n, len(ct), enc.OutLen(n))
				}
				dec, _ := s.Decrypt(f.priv, param)
				if dec.OutLen(len(ct)) < n {
					t.Fatalf("decrypt OutLen %d < %d", dec.OutLen(len(ct)), n)
				}
				// OneInto in place, as token calls it with the caller's buffer.
				buf := make([]byte, len(ct))
				copy(buf, ct)
				m, err := dec.OneInto(buf, buf)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(buf[:m], pt) {
					t.Fatal("round trip differs")
				}
				// The IV is part of the integrity check.
				other := []byte{}
				if param == nil || len(param.([]byte)) == 0 {
					other = iv
				}
				dec, _ = s.Decrypt(f.priv, other)
				_, err = dec.One(ct)
				wantRV(t, err, ck.CKR_ENCRYPTED_DATA_INVALID)
				for _, i := range []int{0, 7, len(ct) / 2, len(ct) - 1} {
					bad := bytes.Clone(ct)
					bad[i] ^= 0x10
					dec, _ = s.Decrypt(f.priv, param)
					_, err = dec.One(bad)
					wantRV(t, err, ck.CKR_ENCRYPTED_DATA_INVALID)
				}
				// Single-part only.
				enc, _ = s.Encrypt(f.priv, param)
				_, err = enc.Update(pt)
				wantRV(t, err, ck.CKR_FUNCTION_NOT_SUPPORTED)
				_, err = enc.Final()
				wantRV(t, err, ck.CKR_FUNCTION_NOT_SUPPORTED)
			}
			for _, n := range badLens {
				enc, _ := s.Encrypt(f.priv, param)
				_, err := enc.One(make([]byte, n))
				wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
			}
			for _, n := range []int{0, 8, 15, 17, 23, 25} {
				if kwp && n == 8 {
					continue
				}
				dec, _ := s.Decrypt(f.priv, param)
				_, err := dec.One(make([]byte, n))
				wantRV(t, err, ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
			}
			if !kwp {
				dec, _ := s.Decrypt(f.priv, param)
				_, err := dec.One(make([]byte, 16))
				wantRV(t, err, ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
			} else {
				dec, _ := s.Decrypt(f.priv, param)
				_, err := dec.One(make([]byte, 8))
				wantRV(t, err, ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
			}
		}
	}
}

// TestKWPPadding: KWP-AD rejects a length indicator outside (8(n-1), 8n]
// and non-zero padding even when the ICV matches (SP 800-38F section 6.3
// algorithm 6 steps 4-6). Such inputs are built by running KWP's W on a
// hand-made S.
func TestKWPPadding(t *testing.T) {
	s := aesRow(t, ck.CKM_AES_KEY_WRAP_KWP)
	k := aesTestKey(randBytes(16))
	c, _ := k.aesState()
	o := &wrapOp{b: c.block, kwp: true}
	build := func(mli uint32, body []byte) []byte {
		sb := append([]byte{0xA6, 0x59, 0x59, 0xA6, byte(mli >> 24), byte(mli >> 16), byte(mli >> 8), byte(mli)}, body...)
		if len(sb) == 16 {
			c.block.Encrypt(sb, sb)
		} else {
			o.w(sb)
		}
		return sb
	}
	body := append(randBytes(13), 0, 0, 0)
	body[12] |= 1 // the mli 12 case needs this padding byte non-zero
	for _, tc := range []struct {
		mli  uint32
		body []byte
		ok   bool
	}{
		{13, body, true},
		{16, body, true},
		{9, append(randBytes(9), 0, 0, 0, 0, 0, 0, 0), true},
		{8, body, false},  // too short for two semiblocks
		{17, body, false}, // longer than the data
		{0, body, false},
		{1 << 31, body, false},
		{0xffffffff, body, false},
		{12, body[:16], false}, // a non-zero byte in the padding
		{3, []byte{1, 2, 3, 0, 0, 0, 0, 0}, true},
		{3, []byte{1, 2, 3, 0, 0, 0, 0, 1}, false},
		{0, make([]byte, 8), false},
		{9, make([]byte, 8), false},
	} {
		dec, _ := s.Decrypt(k, nil)
		got, err := dec.One(build(tc.mli, tc.body))
		if tc.ok {
			if err != nil || !bytes.Equal(got, tc.body[:tc.mli]) {
				t.Errorf("mli %d: %x, %v", tc.mli, got, err)
			}
			continue
		}
		if ck.ErrorRV(err) != ck.CKR_ENCRYPTED_DATA_INVALID {
			t.Errorf("mli %d of %d bytes: %v, want CKR_ENCRYPTED_DATA_INVALID", tc.mli, len(tc.body), err)
		}
	}
}

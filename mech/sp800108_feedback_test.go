package mech

import (
	"bytes"
	"fmt"
	"strconv"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// CKM_SP800_108_FEEDBACK_KDF: CAVP answers (testdata/KDFFeedback_subset.rsp)
// with the counter before or after K(i-1), after the fixed data, absent,
// and with an empty IV; every PRF and layout against a reference of SP
// 800-108r1 section 4.2 written here; the feedback-mode refusals.

// This init runs after derive_test.go's (files initialise in name order).
func init() {
	conformBy[ck.CKM_SP800_108_FEEDBACK_KDF] = conformSP800108Feedback
}

func optCounter(w ck.ULong, le bool) ck.PRFDataParam {
	return ck.PRFDataParam{Type: ck.CK_SP800_108_OPTIONAL_COUNTER, Counter: &ck.SP800108CounterFormat{LittleEndian: le, WidthBits: w}}
}

// chain is feedback mode's CK_SP800_108_ITERATION_VARIABLE, K(i-1).
var chain = ck.PRFDataParam{Type: ck.CK_SP800_108_ITERATION_VARIABLE}

// refFeedbackKBKDF is SP 800-108r1 section 4.2 over the PKCS#11 layout:
// K(0) = IV, K(i) = PRF(K_I, the data parameters in order with K(i-1),
// i and the DKM length in place).
func refFeedbackKBKDF(prf func(key, msg []byte) []byte, h int, key []byte, p ck.SP800108FeedbackParams, keyLen int) []byte {
	n := (keyLen + h - 1) / h
	prev := p.IV
	var out []byte
	for i := 1; i <= n; i++ {
		var in []byte
		for _, d := range p.Data {
			switch d.Type {
			case ck.CK_SP800_108_ITERATION_VARIABLE:
				in = append(in, prev...)
			case ck.CK_SP800_108_OPTIONAL_COUNTER:
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
		prev = prf(key, in)
		out = append(out, prev...)
	}
	return out[:keyLen]
}

func TestSP800108FeedbackCAVP(t *testing.T) {
	prfs := map[string]struct {
		mech ck.MechanismType
		kt   ck.KeyType
	}{
		"CMAC_AES128": {ck.CKM_AES_CMAC, ck.CKK_AES},
		"HMAC_SHA256": {ck.CKM_SHA256_HMAC, ck.CKK_GENERIC_SECRET},
	}
	spec, ok := Lookup(ck.CKM_SP800_108_FEEDBACK_KDF)
	if !ok {
		t.Fatal("CKM_SP800_108_FEEDBACK_KDF not in the registry")
	}
	n := 0
	for _, r := range readVectors(t, "KDFFeedback_subset.rsp", "COUNT") {
		prf, ok := prfs[r.header["PRF"]]
		if !ok {
			t.Fatalf("unexpected section %v", r.header)
		}
		fixed := byteArray(r.hex(t, "FixedInputData", 0))
		var data []ck.PRFDataParam
		if r.header["MODE"] == "FeedbackModenocounter" {
			data = []ck.PRFDataParam{chain, fixed}
		} else {
			bits, err := strconv.Atoi(r.header["RLEN"][:len(r.header["RLEN"])-len("_BITS")])
			if err != nil {
				t.Fatalf("RLEN %q", r.header["RLEN"])
			}
			ctr := optCounter(ck.ULong(bits), false)
			data = map[string][]ck.PRFDataParam{
				"BEFORE_ITER": {ctr, chain, fixed},
				"AFTER_ITER":  {chain, ctr, fixed},
				"AFTER_FIXED": {chain, fixed, ctr},
			}[r.header["CTRLOCATION"]]
			if data == nil {
				t.Fatalf("CTRLOCATION %q", r.header["CTRLOCATION"])
			}
		}
		l, err := strconv.Atoi(r.get("L", 0))
		if err != nil || l%8 != 0 {
			t.Fatalf("L = %q", r.get("L", 0))
		}
		name := fmt.Sprintf("%s/%s/%s/COUNT=%s", r.header["MODE"], r.header["PRF"], r.header["CTRLOCATION"], r.get("COUNT", 0))
		t.Run(name, func(t *testing.T) {
			iv := r.hex(t, "IV", 0)
			if ivBits, _ := strconv.Atoi(r.get("IVlen", 0)); ivBits != 8*len(iv) {
				t.Fatalf("IVlen %s, IV of %d bytes", r.get("IVlen", 0), len(iv))
			}
			want := r.hex(t, "KO", 0)
			p := ck.SP800108FeedbackParams{SP800108Params: ck.SP800108Params{PRF: prf.mech, Data: data}, IV: iv}
			got, err := spec.Derive(secretKey(t, prf.kt, r.hex(t, "KI", 0)), p, l/8, noOther)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got, want) {
				t.Fatalf("derived %x, want %x", got, want)
			}
		})
		n++
	}
	if n != 8 {
		t.Fatalf("%d vectors, want 8", n)
	}
}

func conformSP800108Feedback(t *testing.T, s *Spec) {
	label, context := []byte("kagi label"), randBytes(20)
	layouts := [][]ck.PRFDataParam{
		{chain},
		{chain, optCounter(32, false), byteArray(label), byteArray([]byte{0}), byteArray(context), dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, 16, false)},
		{optCounter(8, true), byteArray(context), chain, dkm(ck.CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS, 64, true)},
	}
	for m, prf := range kbkdfPRFs {
		base := secretKey(t, ck.CKK_GENERIC_SECRET, randBytes(40))
		if m == ck.CKM_AES_CMAC {
			base = fixtureOf(t, "AES-256").priv
		}
		h := prf.size
		for li, data := range layouts {
			for _, iv := range [][]byte{nil, randBytes(h)} {
				p := ck.SP800108FeedbackParams{SP800108Params: ck.SP800108Params{PRF: m, Data: data}, IV: iv}
				for _, keyLen := range []int{1, h, h + 1, 3 * h} {
					got, err := s.Derive(base, p, keyLen, noOther)
					wantRV(t, err, ck.CKR_OK)
					if want := refFeedbackKBKDF(refPRFs[m], h, base.Secret, p, keyLen); !bytes.Equal(got, want) {
						t.Fatalf("%v layout %d IV %d bytes keyLen %d: derived %x, want %x", m, li, len(iv), keyLen, got, want)
					}
				}
			}
		}
	}

	base := secretKey(t, ck.CKK_GENERIC_SECRET, randBytes(32))
	good := ck.SP800108FeedbackParams{SP800108Params: ck.SP800108Params{PRF: ck.CKM_SHA256_HMAC, Data: []ck.PRFDataParam{chain, optCounter(8, false)}}, IV: randBytes(32)}
	got, err := s.Derive(base, &good, 40, noOther)
	wantRV(t, err, ck.CKR_OK)
	if want := refFeedbackKBKDF(refPRFs[ck.CKM_SHA256_HMAC], 32, base.Secret, good, 40); !bytes.Equal(got, want) {
		t.Fatal("pointer parameter derives otherwise")
	}
	_, err = s.Derive(base, good, 0, noOther)
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	_, err = s.Derive(base, good, 255*32+1, noOther) // past an 8-bit counter
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	_, err = s.Derive(base, good, 255*32, noOther)
	wantRV(t, err, ck.CKR_OK)

	with := func(data ...ck.PRFDataParam) ck.SP800108FeedbackParams {
		p := good
		p.Data = data
		return p
	}
	extra := good
	extra.AdditionalKeys = 1
	otherPRF := good
	otherPRF.PRF = ck.CKM_SHA256
	for i, p := range []any{
		nil, []byte{1}, (*ck.SP800108FeedbackParams)(nil),
		good.SP800108Params, // the counter mode's structure
		with(),
		with(optCounter(8, false)), // no K(i-1)
		with(iter(8, false)),       // K(i-1) with a counter format
		with(chain, chain),         // twice
		with(chain, optCounter(8, false), optCounter(16, false)),
		with(chain, optCounter(12, false)), // not whole bytes
		with(chain, ck.PRFDataParam{Type: ck.CK_SP800_108_OPTIONAL_COUNTER}),
		with(chain, byteArray(nil)),
		with(chain, ck.PRFDataParam{Type: 0x7f, Value: []byte{1}}),
		extra, otherPRF,
	} {
		_, err := s.Derive(base, p, 16, noOther)
		if ck.ErrorRV(err) != ck.CKR_MECHANISM_PARAM_INVALID {
			t.Errorf("parameter %d (%#v): %v", i, p, err)
		}
	}
	for _, k := range []*Key{fixtureOf(t, "EC-P-256").priv, nil} {
		_, err := s.Derive(k, good, 16, noOther)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
}

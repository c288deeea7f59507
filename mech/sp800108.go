package mech

import (
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// SP 800-108 key derivation in counter mode, CKM_SP800_108_COUNTER_KDF with
// CK_SP800_108_KDF_PARAMS, and in feedback mode, CKM_SP800_108_FEEDBACK_KDF
// with CK_SP800_108_FEEDBACK_KDF_PARAMS (PKCS#11 3.0 current mechanisms
// section 2.42, "SP 800-108 Key Derivation"; NIST SP 800-108r1 sections 4.1
// and 4.2). The double-pipeline mode is not offered.
//
// Feedback mode differs from what follows for counter mode in the PRF
// input only: K(0) is the IV (possibly empty), and
// CK_SP800_108_ITERATION_VARIABLE, carrying no value, stands for K(i-1);
// the counter is optional, as CK_SP800_108_OPTIONAL_COUNTER with its
// format, at most once, and without it n is not bounded by a counter width.
//
// SP 800-108r1 section 4.1: with h the PRF's output length and L the
// length of the derived key, n = ceil(L/h) (step 1), n must not exceed
// 2^r - 1 for an r-bit counter (step 2), K(i) = PRF(K_I, [i]_2 || fixed
// input) for i = 1..n (step 4), and the key is the leftmost L bits of
// K(1) || ... || K(n) (step 5). PKCS#11 lets the caller lay out the PRF
// input: it is the concatenation of the CK_PRF_DATA_PARAM array in its
// order ("Constructing PRF Input Data"), where
//
//   - CK_SP800_108_ITERATION_VARIABLE, mandatory and once, is the counter
//     i, encoded as its CK_SP800_108_COUNTER_FORMAT says (kagi: r is 8,
//     16, 24 or 32 bits, the widths of the CAVP KBKDF tests);
//   - CK_SP800_108_DKM_LENGTH, at most once, is [L]_2 encoded as its
//     CK_SP800_108_DKM_LENGTH_FORMAT says (8 to 64 bits in whole bytes):
//     the sum of the derived keys' lengths (SUM_OF_KEYS) or of the PRF
//     outputs computed (SUM_OF_SEGMENTS), in bits;
//   - CK_SP800_108_BYTE_ARRAY, any number of times, is its bytes (not
//     empty, as the specification requires);
//   - CK_SP800_108_OPTIONAL_COUNTER is not allowed in counter mode.
//
// Any other layout, an unknown data type, an unsupported PRF or a structure
// of the wrong size (cmodule) is CKR_MECHANISM_PARAM_INVALID.
//
// PRFs: CKM_SHA_1_HMAC, CKM_SHA224_HMAC ... CKM_SHA512_HMAC and
// CKM_SHA3_224_HMAC ... CKM_SHA3_512_HMAC over a CKK_GENERIC_SECRET key or
// the PRF's own HMAC key type (any length: SP 800-108 puts no floor on K_I,
// unlike SoftHSMv2's HMAC signing), and CKM_AES_CMAC over a CKK_AES key.
// CKM_DES3_CMAC, which the specification also lists, is not offered. A base
// key the PRF cannot take is CKR_KEY_TYPE_INCONSISTENT.
//
// Lengths: the output is CKA_VALUE_LEN bytes, which is required
// (CKR_TEMPLATE_INCOMPLETE without it, as for CKM_HKDF_DERIVE; the KDF has
// no natural length). A length the counter cannot reach, or whose DKM
// length does not fit its field, is CKR_TEMPLATE_INCONSISTENT like every
// CKA_VALUE_LEN beyond what a derivation yields (derive.go).
//
// Additional derived keys (ulAdditionalDerivedKeys > 0, "Deriving
// Additional Keys") are not supported: CKR_MECHANISM_PARAM_INVALID, so a
// caller never gets one key where it asked for several.

const (
	// kbkdfMaxCounterBits is the widest counter kagi encodes (r).
	kbkdfMaxCounterBits = 32
	// kbkdfMaxDKMBits is the widest DKM length field kagi encodes.
	kbkdfMaxDKMBits = 64
)

// kbkdfPRF is a PRF of SP 800-108 section 4: size is h in bytes; start
// checks the base key K_I and returns PRF(K_I, ·).
type kbkdfPRF struct {
	size  int
	start func(base *Key) (func(data []byte) ([]byte, error), error)
}

// kbkdfPRFs are the PRFs of CK_SP800_108_PRF_TYPE kagi supports.
var kbkdfPRFs = map[ck.MechanismType]kbkdfPRF{
	ck.CKM_SHA_1_HMAC:    hmacPRF(hashSHA1, ck.CKK_SHA_1_HMAC),
	ck.CKM_SHA224_HMAC:   hmacPRF(hashSHA224, ck.CKK_SHA224_HMAC),
	ck.CKM_SHA256_HMAC:   hmacPRF(hashSHA256, ck.CKK_SHA256_HMAC),
	ck.CKM_SHA384_HMAC:   hmacPRF(hashSHA384, ck.CKK_SHA384_HMAC),
	ck.CKM_SHA512_HMAC:   hmacPRF(hashSHA512, ck.CKK_SHA512_HMAC),
	ck.CKM_SHA3_224_HMAC: hmacPRF(hashSHA3_224, ck.CKK_SHA3_224_HMAC),
	ck.CKM_SHA3_256_HMAC: hmacPRF(hashSHA3_256, ck.CKK_SHA3_256_HMAC),
	ck.CKM_SHA3_384_HMAC: hmacPRF(hashSHA3_384, ck.CKK_SHA3_384_HMAC),
	ck.CKM_SHA3_512_HMAC: hmacPRF(hashSHA3_512, ck.CKK_SHA3_512_HMAC),
	ck.CKM_AES_CMAC:      {size: aesBlock, start: aesCMACPRF},
}

// sp800108KeyTypes are the base key types of CKM_SP800_108_COUNTER_KDF's
// PRFs, in ascending order.
var sp800108KeyTypes = []ck.KeyType{
	ck.CKK_GENERIC_SECRET, ck.CKK_AES,
	ck.CKK_SHA_1_HMAC, ck.CKK_SHA256_HMAC, ck.CKK_SHA384_HMAC, ck.CKK_SHA512_HMAC, ck.CKK_SHA224_HMAC,
	ck.CKK_SHA3_224_HMAC, ck.CKK_SHA3_256_HMAC, ck.CKK_SHA3_384_HMAC, ck.CKK_SHA3_512_HMAC,
}

// hmacPRF is HMAC with hash h over a generic secret key or one of type kt.
func hmacPRF(h hashID, kt ck.KeyType) kbkdfPRF {
	m := &hmacMech{alg: hashes[h], keyType: kt, minKey: 1}
	return kbkdfPRF{size: hashes[h].size, start: func(base *Key) (func([]byte) ([]byte, error), error) {
		o, err := m.init(base, nil)
		if err != nil {
			return nil, err
		}
		// hmacOp.Sign starts from the key's cached pads each time.
		return o.Sign, nil
	}}
}

// aesCMACPRF is AES-CMAC (SP 800-38B) over an AES key.
func aesCMACPRF(base *Key) (func([]byte) ([]byte, error), error) {
	m := cmacMech{name: "the SP 800-108 AES-CMAC PRF", key: aesBlockFor}
	if _, err := m.key(base, m.name); err != nil {
		return nil, err
	}
	return func(data []byte) ([]byte, error) {
		// A cmacOp computes one MAC; the block cipher is cached per key.
		o, err := m.init(base, nil)
		if err != nil {
			return nil, err
		}
		return o.Sign(data)
	}, nil
}

// sp800108Params decodes CK_SP800_108_KDF_PARAMS.
func sp800108Params(param any) (ck.SP800108Params, error) {
	switch p := param.(type) {
	case ck.SP800108Params:
		return p, nil
	case *ck.SP800108Params:
		if p != nil {
			return *p, nil
		}
	}
	return ck.SP800108Params{}, errParam("CK_SP800_108_KDF_PARAMS expected")
}

// kbkdfLayout is a checked counter-mode PRF input layout.
type kbkdfLayout struct {
	counter *ck.SP800108CounterFormat
	dkm     *ck.SP800108DKMLengthFormat
}

// checkWidth accepts a field of whole bytes, 8 to max bits wide.
func checkWidth(what string, bits ck.ULong, max ck.ULong) error {
	if bits < 8 || bits > max || bits%8 != 0 {
		return errParam(fmt.Sprintf("%s of %d bits (8 to %d in whole bytes)", what, bits, max))
	}
	return nil
}

// kbkdfLayoutOf checks the data parameters against the mode's requirements
// (the data field tables of "Counter Mode KDF" and "Feedback Mode KDF"). In
// counter mode the iteration variable is the counter and carries its format;
// in feedback mode it stands for K(i-1), carries nothing, and a counter may
// come as CK_SP800_108_OPTIONAL_COUNTER.
func kbkdfLayoutOf(data []ck.PRFDataParam, feedback bool) (kbkdfLayout, error) {
	var l kbkdfLayout
	iterSeen := false
	for _, d := range data {
		switch d.Type {
		case ck.CK_SP800_108_ITERATION_VARIABLE:
			if iterSeen {
				return l, errParam("more than one CK_SP800_108_ITERATION_VARIABLE")
			}
			iterSeen = true
			if feedback {
				if d.Counter != nil || len(d.Value) != 0 {
					return l, errParam("CK_SP800_108_ITERATION_VARIABLE carries no value in feedback mode")
				}
				continue
			}
			if d.Counter == nil {
				return l, errParam("CK_SP800_108_ITERATION_VARIABLE without CK_SP800_108_COUNTER_FORMAT")
			}
			if err := checkWidth("counter", d.Counter.WidthBits, kbkdfMaxCounterBits); err != nil {
				return l, err
			}
			l.counter = d.Counter
		case ck.CK_SP800_108_OPTIONAL_COUNTER:
			if !feedback {
				return l, errParam("CK_SP800_108_OPTIONAL_COUNTER is invalid in counter mode")
			}
			if l.counter != nil {
				return l, errParam("more than one CK_SP800_108_OPTIONAL_COUNTER")
			}
			if d.Counter == nil {
				return l, errParam("CK_SP800_108_OPTIONAL_COUNTER without CK_SP800_108_COUNTER_FORMAT")
			}
			if err := checkWidth("counter", d.Counter.WidthBits, kbkdfMaxCounterBits); err != nil {
				return l, err
			}
			l.counter = d.Counter
		case ck.CK_SP800_108_DKM_LENGTH:
			if l.dkm != nil {
				return l, errParam("more than one CK_SP800_108_DKM_LENGTH")
			}
			if d.DKMLength == nil {
				return l, errParam("CK_SP800_108_DKM_LENGTH without CK_SP800_108_DKM_LENGTH_FORMAT")
			}
			switch d.DKMLength.Method {
			case ck.CK_SP800_108_DKM_LENGTH_SUM_OF_KEYS, ck.CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS:
			default:
				return l, errParam(fmt.Sprintf("DKM length method %#x", d.DKMLength.Method))
			}
			if err := checkWidth("DKM length", d.DKMLength.WidthBits, kbkdfMaxDKMBits); err != nil {
				return l, err
			}
			l.dkm = d.DKMLength
		case ck.CK_SP800_108_BYTE_ARRAY:
			if len(d.Value) == 0 {
				return l, errParam("empty CK_SP800_108_BYTE_ARRAY")
			}
		default:
			return l, errParam(fmt.Sprintf("PRF data type %#x", d.Type))
		}
	}
	if !iterSeen {
		return l, errParam("no CK_SP800_108_ITERATION_VARIABLE")
	}
	return l, nil
}

// putUint writes v into b (len(b) bytes) in the byte order asked for.
func putUint(b []byte, v uint64, littleEndian bool) {
	n := len(b)
	for j := range n {
		shift := 8 * uint(n-1-j)
		if littleEndian {
			shift = 8 * uint(j)
		}
		b[j] = byte(v >> shift)
	}
}

// deriveSP800108Counter is CKM_SP800_108_COUNTER_KDF's Derive.
func deriveSP800108Counter(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	p, err := sp800108Params(param)
	if err != nil {
		return nil, err
	}
	return deriveKBKDF(base, p, nil, keyLen, false)
}

// deriveSP800108Feedback is CKM_SP800_108_FEEDBACK_KDF's Derive.
func deriveSP800108Feedback(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	var p ck.SP800108FeedbackParams
	switch v := param.(type) {
	case ck.SP800108FeedbackParams:
		p = v
	case *ck.SP800108FeedbackParams:
		if v == nil {
			return nil, errParam("CK_SP800_108_FEEDBACK_KDF_PARAMS expected")
		}
		p = *v
	default:
		return nil, errParam("CK_SP800_108_FEEDBACK_KDF_PARAMS expected")
	}
	return deriveKBKDF(base, p.SP800108Params, p.IV, keyLen, true)
}

// deriveKBKDF runs counter mode (SP 800-108r1 section 4.1) or feedback mode
// (section 4.2: K(0) = IV, K(i) = PRF(K_I, K(i-1) with the optional counter
// and the caller's data in the caller's order)); iv is feedback mode's.
func deriveKBKDF(base *Key, p ck.SP800108Params, iv []byte, keyLen int, feedback bool) ([]byte, error) {
	name := "CKM_SP800_108_COUNTER_KDF"
	if feedback {
		name = "CKM_SP800_108_FEEDBACK_KDF"
	}
	prf, ok := kbkdfPRFs[p.PRF]
	if !ok {
		return nil, errParam(fmt.Sprintf("SP 800-108 PRF %#x not supported", p.PRF))
	}
	if p.AdditionalKeys != 0 {
		return nil, errParam("additional derived keys are not supported")
	}
	l, err := kbkdfLayoutOf(p.Data, feedback)
	if err != nil {
		return nil, err
	}
	if err := checkKeyLen(keyLen); err != nil {
		return nil, err
	}
	if keyLen == 0 {
		return nil, fmt.Errorf("mech: %s needs CKA_VALUE_LEN: %w", name, ck.CKR_TEMPLATE_INCOMPLETE)
	}

	// Steps 1 and 2: n = ceil(L/h) iterations, at most 2^r - 1 with an
	// r-bit counter (without one, kagi's largest key stays far below the
	// 2^32 - 1 of section 4.2).
	n := (keyLen + prf.size - 1) / prf.size
	if l.counter != nil {
		if maxN := 1<<l.counter.WidthBits - 1; n > maxN {
			return nil, errTooLong(keyLen, maxN*prf.size)
		}
	}
	var dkmBits uint64
	if l.dkm != nil {
		dkmBits = 8 * uint64(keyLen)
		if l.dkm.Method == ck.CK_SP800_108_DKM_LENGTH_SUM_OF_SEGMENTS {
			dkmBits = 8 * uint64(n) * uint64(prf.size)
		}
		if w := l.dkm.WidthBits; w < 64 && dkmBits >= 1<<w {
			return nil, fmt.Errorf("mech: a DKM length of %d bits does not fit %d bits: %w", dkmBits, w, ck.CKR_TEMPLATE_INCONSISTENT)
		}
	}

	mac, err := prf.start(base)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, n*prf.size)
	prev := iv // feedback mode's K(0)
	var in []byte
	for i := 1; i <= n; i++ {
		in = in[:0]
		for _, d := range p.Data {
			switch d.Type {
			case ck.CK_SP800_108_ITERATION_VARIABLE:
				if feedback {
					in = append(in, prev...)
					continue
				}
				in = appendUint(in, uint64(i), l.counter)
			case ck.CK_SP800_108_OPTIONAL_COUNTER:
				in = appendUint(in, uint64(i), l.counter)
			case ck.CK_SP800_108_DKM_LENGTH:
				in = appendUint(in, dkmBits, &ck.SP800108CounterFormat{LittleEndian: l.dkm.LittleEndian, WidthBits: l.dkm.WidthBits})
			default:
				in = append(in, d.Value...)
			}
		}
		k, err := mac(in)
		if err != nil {
			clear(out)
			clear(in)
			return nil, err
		}
		out = append(out, k...)
		prev = out[len(out)-len(k):]
		clear(k)
	}
	clear(in)
	return leading(out, keyLen)
}

// appendUint appends v as a field of f's width and byte order.
func appendUint(b []byte, v uint64, f *ck.SP800108CounterFormat) []byte {
	field := make([]byte, f.WidthBits/8)
	putUint(field, v, f.LittleEndian)
	return append(b, field...)
}

package mech

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Wycheproof vectors (testdata/wycheproof/, subsets of C2SP/wycheproof's
// testvectors_v1 files in their own JSON schema; README.md says which
// commit and which subset). A small typed harness reads them and drives
// kagi's mechanisms through the registry (Lookup, KeyFromAttrs), as token
// does: AES-GCM encrypt and decrypt, ECDSA verify, ECDH and X25519 derive.
//
// The outcomes: a "valid" case must succeed with exactly the vector's
// output; an "invalid" case must fail, with the CK_RV PKCS#11 gives for
// it; an "acceptable" case may go either way (it is logged), but if it
// succeeds the output must still be the vector's. Where kagi refuses a
// parameter by design (a GCM IV outside 1..256 bytes, a tag under 96 bits,
// an X25519 all-zero shared secret) the case must fail with
// CKR_MECHANISM_PARAM_INVALID, checked, never skipped.

// hexBytes is a hex string of the vector files.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// wpCase is what every Wycheproof test case has.
type wpCase struct {
	TcID    int      `json:"tcId"`
	Comment string   `json:"comment"`
	Flags   []string `json:"flags"`
	Result  string   `json:"result"` // "valid", "invalid" or "acceptable"
}

func (c wpCase) name() string { return fmt.Sprintf("tcId=%d", c.TcID) }

// wpGroup is a test group of one schema.
type wpGroup interface{ cases() int }

// wpFile is the top level of every testvectors_v1 file.
type wpFile[G wpGroup] struct {
	Algorithm     string `json:"algorithm"`
	Schema        string `json:"schema"`
	NumberOfTests int    `json:"numberOfTests"`
	TestGroups    []G    `json:"testGroups"`
}

// loadWycheproof reads testdata/wycheproof/name, checks that it is of the
// schema the harness expects and that no case went missing.
func loadWycheproof[G wpGroup](t *testing.T, name, schema string) []G {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "wycheproof", name))
	if err != nil {
		t.Fatal(err)
	}
	var f wpFile[G]
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if f.Schema != schema {
		t.Fatalf("%s: schema %q, the harness reads %q", name, f.Schema, schema)
	}
	n := 0
	for _, g := range f.TestGroups {
		n += g.cases()
	}
	if n == 0 || n != f.NumberOfTests {
		t.Fatalf("%s: %d cases, numberOfTests says %d", name, n, f.NumberOfTests)
	}
	return f.TestGroups
}

// wpTally counts the cases that passed, by expected result; the
// by-design refusals are counted apart.
type wpTally struct {
	file                       string
	valid, invalid, acceptable int
	byDesign                   int
}

func (c *wpTally) pass(tc wpCase, byDesign bool) {
	switch {
	case byDesign:
		c.byDesign++
	case tc.Result == "valid":
		c.valid++
	case tc.Result == "invalid":
		c.invalid++
	default:
		c.acceptable++
	}
}

func (c *wpTally) log(t *testing.T) {
	t.Logf("%s: passed valid %d, invalid %d, acceptable %d, refused by design %d",
		c.file, c.valid, c.invalid, c.acceptable, c.byDesign)
}

// checkOutcome applies the rule for a case whose operation returned out
// and err: valid must give want exactly; invalid must fail with rv;
// acceptable is logged, and when it succeeds out must still be want.
func checkOutcome(t *testing.T, tc wpCase, call string, out, want []byte, err error, rv ck.RV) {
	t.Helper()
	switch tc.Result {
	case "valid":
		if err != nil {
			t.Fatalf("%s (%s %v): %v", call, tc.Comment, tc.Flags, err)
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("%s (%s %v):\n got %x\nwant %x", call, tc.Comment, tc.Flags, out, want)
		}
	case "invalid":
		if err == nil {
			t.Fatalf("%s (%s %v): succeeded, want %v", call, tc.Comment, tc.Flags, rv)
		}
		if got := ck.ErrorRV(err); got != rv {
			t.Fatalf("%s (%s %v): got %v (%v), want %v", call, tc.Comment, tc.Flags, got, err, rv)
		}
	case "acceptable":
		if err != nil {
			t.Logf("acceptable %s (%s %v): refused: %v", call, tc.Comment, tc.Flags, err)
			return
		}
		if !bytes.Equal(out, want) {
			t.Fatalf("acceptable %s (%s %v) succeeded with the wrong output:\n got %x\nwant %x", call, tc.Comment, tc.Flags, out, want)
		}
		t.Logf("acceptable %s (%s %v): accepted", call, tc.Comment, tc.Flags)
	default:
		t.Fatalf("unknown result %q", tc.Result)
	}
}

func wpSpec(t *testing.T, m ck.MechanismType) *Spec {
	t.Helper()
	s, ok := Lookup(m)
	if !ok {
		t.Fatalf("mechanism %#x is not in the registry", m)
	}
	return s
}

// wpCurveParams are CKA_EC_PARAMS (the DER OBJECT IDENTIFIER of the named
// curve, RFC 5480 section 2.1.1.1 and RFC 8410 section 3) of the curves the
// vector files name.
var wpCurveParams = map[string][]byte{
	"secp256r1":  {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}, // 1.2.840.10045.3.1.7
	"secp384r1":  {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22},                   // 1.3.132.0.34
	"secp521r1":  {0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23},                   // 1.3.132.0.35
	"curve25519": {0x06, 0x03, 0x2b, 0x65, 0x6e},                               // 1.3.101.110
}

func wpCurve(t *testing.T, name string) []byte {
	t.Helper()
	p, ok := wpCurveParams[name]
	if !ok {
		t.Fatalf("no CKA_EC_PARAMS for curve %q", name)
	}
	return p
}

// --- AES-GCM (aead_test_schema_v1) ---

type aeadCase struct {
	wpCase
	Key hexBytes `json:"key"`
	IV  hexBytes `json:"iv"`
	AAD hexBytes `json:"aad"`
	Msg hexBytes `json:"msg"`
	CT  hexBytes `json:"ct"`
	Tag hexBytes `json:"tag"`
}

type aeadGroup struct {
	IVSize  int        `json:"ivSize"`  // bits
	KeySize int        `json:"keySize"` // bits
	TagSize int        `json:"tagSize"` // bits
	Tests   []aeadCase `json:"tests"`
}

func (g aeadGroup) cases() int { return len(g.Tests) }

// gcmRun is one CKM_AES_GCM operation, single-part (One) or multi-part
// (Update in two parts, then Final).
func gcmRun(op CipherOp, in []byte, multi bool) ([]byte, error) {
	if !multi {
		return op.One(in)
	}
	var out []byte
	for _, part := range [][]byte{in[:len(in)/2], in[len(in)/2:]} {
		o, err := op.Update(part)
		if err != nil {
			return nil, err
		}
		out = append(out, o...)
	}
	o, err := op.Final()
	return append(out, o...), err
}

// TestWycheproofAESGCM: aes_gcm_test.json through CKM_AES_GCM. A valid
// case encrypts msg to ct||tag and decrypts it back, single- and
// multi-part, with the full tag and with the tag truncated to 120 and 96
// bits (SP 800-38D section 5.2.1.2: the truncated tag is the leftmost bits
// of the full one); a 64-bit tag and an IV outside 1..256 bytes (kagi's
// range, issue 4) are CKR_MECHANISM_PARAM_INVALID at init. An invalid case
// (a modified tag) must not decrypt: CKR_ENCRYPTED_DATA_INVALID.
func TestWycheproofAESGCM(t *testing.T) {
	const file = "aes_gcm_test.json"
	groups := loadWycheproof[aeadGroup](t, file, "aead_test_schema_v1.json")
	spec := wpSpec(t, ck.CKM_AES_GCM)
	tally := &wpTally{file: file}
	for _, g := range groups {
		for _, tc := range g.Tests {
			byDesign := len(tc.IV) < gcmMinIV || len(tc.IV) > gcmMaxIV
			ok := t.Run(fmt.Sprintf("%s/iv=%d", tc.name(), g.IVSize), func(t *testing.T) {
				if len(tc.Key)*8 != g.KeySize || len(tc.IV)*8 != g.IVSize || len(tc.Tag)*8 != g.TagSize {
					t.Fatalf("case does not match its group (key %d, iv %d, tag %d bits)", g.KeySize, g.IVSize, g.TagSize)
				}
				key, err := KeyFromAttrs(ck.CKO_SECRET_KEY, ck.CKK_AES, attrMap{ck.CKA_VALUE: tc.Key})
				if err != nil {
					t.Fatalf("KeyFromAttrs: %v", err)
				}
				p := ck.GCMParams{IV: tc.IV, AAD: tc.AAD, TagBits: ck.ULong(g.TagSize)}
				if byDesign {
					// Refused at C_EncryptInit/C_DecryptInit whatever
					// the vector's result.
					_, err := spec.Encrypt(key, p)
					wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
					_, err = spec.Decrypt(key, p)
					wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
					t.Logf("%s case (%s %v): IV of %d bytes refused by design", tc.Result, tc.Comment, tc.Flags, len(tc.IV))
					return
				}
				sealed := append(bytes.Clone(tc.CT), tc.Tag...)
				for _, multi := range []bool{false, true} {
					call := fmt.Sprintf("Decrypt(multi-part=%v)", multi)
					dec, err := spec.Decrypt(key, p)
					if err != nil {
						t.Fatalf("Decrypt init: %v", err)
					}
					pt, err := gcmRun(dec, sealed, multi)
					checkOutcome(t, tc.wpCase, call, pt, tc.Msg, err, ck.CKR_ENCRYPTED_DATA_INVALID)
				}
				if tc.Result != "valid" {
					return
				}
				for _, tagBits := range []int{128, 120, 96} {
					p.TagBits = ck.ULong(tagBits)
					want := append(bytes.Clone(tc.CT), tc.Tag[:tagBits/8]...)
					for _, multi := range []bool{false, true} {
						enc, err := spec.Encrypt(key, p)
						if err != nil {
							t.Fatalf("Encrypt init (tag %d bits): %v", tagBits, err)
						}
						ct, err := gcmRun(enc, tc.Msg, multi)
						checkOutcome(t, tc.wpCase, fmt.Sprintf("Encrypt(tag %d bits, multi-part=%v)", tagBits, multi), ct, want, err, 0)
						dec, err := spec.Decrypt(key, p)
						if err != nil {
							t.Fatalf("Decrypt init (tag %d bits): %v", tagBits, err)
						}
						pt, err := gcmRun(dec, want, multi)
						checkOutcome(t, tc.wpCase, fmt.Sprintf("Decrypt(tag %d bits, multi-part=%v)", tagBits, multi), pt, tc.Msg, err, 0)
					}
				}
				p.TagBits = 64
				_, err = spec.Encrypt(key, p)
				wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
				_, err = spec.Decrypt(key, p)
				wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
			})
			if ok {
				tally.pass(tc.wpCase, byDesign)
			}
		}
	}
	tally.log(t)
}

// --- ECDSA, IEEE P1363 signatures (ecdsa_p1363_verify_schema_v1) ---

type ecdsaCase struct {
	wpCase
	Msg hexBytes `json:"msg"`
	Sig hexBytes `json:"sig"` // r||s, each the size of the order
}

type ecdsaGroup struct {
	PublicKey struct {
		Curve        string   `json:"curve"`
		KeySize      int      `json:"keySize"`
		Uncompressed hexBytes `json:"uncompressed"` // 04||X||Y
	} `json:"publicKey"`
	SHA   string      `json:"sha"`
	Tests []ecdsaCase `json:"tests"`
}

func (g ecdsaGroup) cases() int { return len(g.Tests) }

// wpECDSAMechs are the CKM_ECDSA_SHA* mechanism and the CKM_SHA* digest of
// each hash the vector files name.
var wpECDSAMechs = map[string]struct{ sign, digest ck.MechanismType }{
	"SHA-256": {ck.CKM_ECDSA_SHA256, ck.CKM_SHA256},
	"SHA-384": {ck.CKM_ECDSA_SHA384, ck.CKM_SHA384},
	"SHA-512": {ck.CKM_ECDSA_SHA512, ck.CKM_SHA512},
}

// TestWycheproofECDSA: the P1363 files (the signature as PKCS#11 3.0
// section 6.3.1 gives it, r||s) through CKM_ECDSA_SHA* single- and
// multi-part, and through CKM_ECDSA over kagi's CKM_SHA* digest of msg. A
// valid signature verifies; an invalid one is CKR_SIGNATURE_LEN_RANGE if
// it is not twice the order's size, CKR_SIGNATURE_INVALID otherwise.
func TestWycheproofECDSA(t *testing.T) {
	for _, file := range []string{
		"ecdsa_secp256r1_sha256_p1363_test.json",
		"ecdsa_secp384r1_sha384_p1363_test.json",
		"ecdsa_secp521r1_sha512_p1363_test.json",
	} {
		t.Run(file, func(t *testing.T) {
			groups := loadWycheproof[ecdsaGroup](t, file, "ecdsa_p1363_verify_schema_v1.json")
			tally := &wpTally{file: file}
			for _, g := range groups {
				ms, ok := wpECDSAMechs[g.SHA]
				if !ok {
					t.Fatalf("no mechanism for %s", g.SHA)
				}
				hashed, raw, digest := wpSpec(t, ms.sign), wpSpec(t, ck.CKM_ECDSA), wpSpec(t, ms.digest)
				sigLen := 2 * ((g.PublicKey.KeySize + 7) / 8)
				pub, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_EC, attrMap{
					ck.CKA_EC_PARAMS: wpCurve(t, g.PublicKey.Curve),
					ck.CKA_EC_POINT:  g.PublicKey.Uncompressed,
				})
				if err != nil {
					t.Fatalf("KeyFromAttrs(%s %x): %v", g.PublicKey.Curve, g.PublicKey.Uncompressed, err)
				}
				for _, tc := range g.Tests {
					ok := t.Run(tc.name(), func(t *testing.T) {
						bad := ck.CKR_SIGNATURE_INVALID
						if len(tc.Sig) != sigLen {
							bad = ck.CKR_SIGNATURE_LEN_RANGE
						}
						// Verify has no output: a success "outputs" the
						// message, so checkOutcome compares like with like.
						result := func(err error) []byte {
							if err != nil {
								return nil
							}
							return tc.Msg
						}

						op, err := hashed.Verify(pub, nil)
						if err != nil {
							t.Fatalf("%s Verify init: %v", hashed.Name, err)
						}
						err = op.Verify(tc.Msg, tc.Sig)
						checkOutcome(t, tc.wpCase, hashed.Name+" Verify", result(err), tc.Msg, err, bad)

						if op, err = hashed.Verify(pub, nil); err != nil {
							t.Fatalf("%s Verify init: %v", hashed.Name, err)
						}
						for _, part := range [][]byte{tc.Msg[:len(tc.Msg)/2], tc.Msg[len(tc.Msg)/2:]} {
							if err := op.Update(part); err != nil {
								t.Fatalf("%s VerifyUpdate: %v", hashed.Name, err)
							}
						}
						err = op.Final(tc.Sig)
						checkOutcome(t, tc.wpCase, hashed.Name+" VerifyUpdate/VerifyFinal", result(err), tc.Msg, err, bad)

						d, err := digest.Digest(nil)
						if err != nil {
							t.Fatalf("%s: %v", digest.Name, err)
						}
						d.Update(tc.Msg)
						if op, err = raw.Verify(pub, nil); err != nil {
							t.Fatalf("CKM_ECDSA Verify init: %v", err)
						}
						err = op.Verify(d.Sum(), tc.Sig)
						checkOutcome(t, tc.wpCase, "CKM_ECDSA Verify of the "+digest.Name+" digest", result(err), tc.Msg, err, bad)
					})
					if ok {
						tally.pass(tc.wpCase, false)
					}
				}
			}
			tally.log(t)
		})
	}
}

// --- ECDH and X25519 (ecdh_ecpoint_test_schema_v1, xdh_comp_schema_v1) ---

type ecdhCase struct {
	wpCase
	Public  hexBytes `json:"public"`  // the peer's point (X9.62), or X25519 u
	Private hexBytes `json:"private"` // the scalar (ASN.1 INTEGER bytes for NIST curves)
	Shared  hexBytes `json:"shared"`
}

type ecdhGroup struct {
	Curve    string     `json:"curve"`
	Encoding string     `json:"encoding"` // "ecpoint" for the NIST curves
	Tests    []ecdhCase `json:"tests"`
}

func (g ecdhGroup) cases() int { return len(g.Tests) }

// wpDerive is CKM_ECDH1_DERIVE with CKD_NULL (Z itself, at its natural
// length) from the private key of kt (CKA_EC_PARAMS, CKA_VALUE) and the
// peer's public data.
func wpDerive(t *testing.T, spec *Spec, kt ck.KeyType, params []byte, tc ecdhCase) ([]byte, error) {
	t.Helper()
	priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, kt, attrMap{ck.CKA_EC_PARAMS: params, ck.CKA_VALUE: tc.Private})
	if err != nil {
		t.Fatalf("KeyFromAttrs(private %x): %v", tc.Private, err)
	}
	return spec.Derive(priv, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: tc.Public}, 0, nil)
}

// TestWycheproofECDH: the ecpoint files (the peer's public key as the raw
// X9.62 point PKCS#11 passes in CK_ECDH1_DERIVE_PARAMS.pPublicData)
// through CKM_ECDH1_DERIVE. A valid case derives the shared secret; an
// invalid public point (off the curve, of another curve, badly encoded)
// is CKR_MECHANISM_PARAM_INVALID; a compressed point is acceptable.
func TestWycheproofECDH(t *testing.T) {
	spec := wpSpec(t, ck.CKM_ECDH1_DERIVE)
	for _, file := range []string{
		"ecdh_secp256r1_ecpoint_test.json",
		"ecdh_secp384r1_ecpoint_test.json",
		"ecdh_secp521r1_ecpoint_test.json",
	} {
		t.Run(file, func(t *testing.T) {
			groups := loadWycheproof[ecdhGroup](t, file, "ecdh_ecpoint_test_schema_v1.json")
			tally := &wpTally{file: file}
			for _, g := range groups {
				if g.Encoding != "ecpoint" {
					t.Fatalf("encoding %q", g.Encoding)
				}
				params := wpCurve(t, g.Curve)
				for _, tc := range g.Tests {
					ok := t.Run(tc.name(), func(t *testing.T) {
						z, err := wpDerive(t, spec, ck.CKK_EC, params, tc)
						checkOutcome(t, tc.wpCase, "CKM_ECDH1_DERIVE", z, tc.Shared, err, ck.CKR_MECHANISM_PARAM_INVALID)
					})
					if ok {
						tally.pass(tc.wpCase, false)
					}
				}
			}
			tally.log(t)
		})
	}
}

// TestWycheproofX25519: x25519_test.json through CKM_ECDH1_DERIVE on a
// CKK_EC_MONTGOMERY key. The file has no invalid cases; its acceptable
// ones (low-order and twist points, non-canonical u) may go either way,
// except that an all-zero shared secret is refused by design (RFC 7748
// section 6.1): CKR_MECHANISM_PARAM_INVALID.
func TestWycheproofX25519(t *testing.T) {
	const file = "x25519_test.json"
	groups := loadWycheproof[ecdhGroup](t, file, "xdh_comp_schema_v1.json")
	spec := wpSpec(t, ck.CKM_ECDH1_DERIVE)
	tally := &wpTally{file: file}
	for _, g := range groups {
		params := wpCurve(t, g.Curve)
		for _, tc := range g.Tests {
			byDesign := bytes.Equal(tc.Shared, make([]byte, len(tc.Shared)))
			ok := t.Run(tc.name(), func(t *testing.T) {
				z, err := wpDerive(t, spec, ck.CKK_EC_MONTGOMERY, params, tc)
				if byDesign {
					wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
					return
				}
				checkOutcome(t, tc.wpCase, "CKM_ECDH1_DERIVE", z, tc.Shared, err, ck.CKR_MECHANISM_PARAM_INVALID)
			})
			if ok {
				tally.pass(tc.wpCase, byDesign)
			}
		}
	}
	tally.log(t)
}

package mech

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"math/big"
	"slices"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// The conformance of the rows in registry_asym.go. The rows of asymRegistry
// pass the generic test of registry_test.go with the reference hashes added
// below; those of asymPendingRegistry, and CKM_RSA_PKCS's encryption, need
// mechanism-specific checks (conformBy): registry_test.go will consult
// conformBy for a row that has an entry, and until then
// TestAsymPendingConformance runs them.

func init() {
	for m, h := range map[ck.MechanismType]crypto.Hash{
		ck.CKM_SHA3_224_HMAC: crypto.SHA3_224, ck.CKM_SHA3_256_HMAC: crypto.SHA3_256,
		ck.CKM_SHA3_384_HMAC: crypto.SHA3_384, ck.CKM_SHA3_512_HMAC: crypto.SHA3_512,
		ck.CKM_MD5_HMAC:          crypto.MD5,
		ck.CKM_MD5_RSA_PKCS:      crypto.MD5,
		ck.CKM_SHA3_224_RSA_PKCS: crypto.SHA3_224, ck.CKM_SHA3_256_RSA_PKCS: crypto.SHA3_256,
		ck.CKM_SHA3_384_RSA_PKCS: crypto.SHA3_384, ck.CKM_SHA3_512_RSA_PKCS: crypto.SHA3_512,
	} {
		signRef[m] = h
	}
}

// conformBy replaces the generic sign/cipher/digest/key-pair checks for a
// mechanism (checkInfo still runs).
var conformBy = map[ck.MechanismType]func(t *testing.T, s *Spec){}

func init() {
	for _, s := range asymPendingRegistry {
		switch {
		case s.Digest != nil:
			conformBy[s.Type] = conformDigestKAT
		case s.GenerateKeyPair != nil:
			conformBy[s.Type] = conformEdKeyPair
		case s.Type == ck.CKM_EDDSA:
			conformBy[s.Type] = conformEdDSA
		case s.Type == ck.CKM_RSA_X_509:
			conformBy[s.Type] = func(t *testing.T, s *Spec) {
				conformRSACipher(t, s)
				conformRSAX509Sign(t, s)
			}
		case s.Type == ck.CKM_RSA_PKCS_OAEP:
			conformBy[s.Type] = conformRSACipher
		case slices.Contains(s.KeyTypes, ck.CKK_RSA):
			conformBy[s.Type] = conformPSS
		default:
			conformBy[s.Type] = conformHMACGeneral
		}
	}
	conformBy[ck.CKM_RSA_PKCS] = func(t *testing.T, s *Spec) {
		conformSign(t, s)
		conformRSACipher(t, s)
	}
}

func TestAsymPendingConformance(t *testing.T) {
	for _, s := range asymPendingRegistry {
		if _, ok := Lookup(s.Type); ok {
			continue // registry_test.go covers it
		}
		t.Run(s.Name, func(t *testing.T) {
			checkInfo(t, s)
			conformBy[s.Type](t, s)
		})
	}
	// CKM_RSA_PKCS with its encryption constructors, as registry.go will have it.
	rsaPKCS, _ := Lookup(ck.CKM_RSA_PKCS)
	if rsaPKCS.Encrypt == nil {
		s := *rsaPKCS
		withRSAPKCSEncryption(&s)
		t.Run(s.Name, func(t *testing.T) {
			checkInfo(t, &s)
			conformBy[s.Type](t, &s)
		})
	}
	for _, s := range slices.Concat(asymRegistry, asymPendingRegistry) {
		if s.Type == ck.CKM_RSA_PKCS || byTypePending(s.Type) > 1 {
			t.Errorf("%s listed twice", s.Name)
		}
		if c, ok := Lookup(s.Type); ok && slices.Contains(asymPendingRegistry, s) && c != s {
			t.Errorf("%s is also a row elsewhere", s.Name)
		}
	}
}

func byTypePending(typ ck.MechanismType) int {
	n := 0
	for _, s := range slices.Concat(coreRegistry, aesRegistry, asymRegistry, asymPendingRegistry) {
		if s.Type == typ {
			n++
		}
	}
	return n
}

func rsaFix(t *testing.T) fixture { return fixtureOf(t, "RSA-2048") }

// --- digests

var digestKATRef = map[ck.MechanismType]struct {
	alg string
	h   crypto.Hash
}{
	ck.CKM_SHA512_224: {"SHA-512/224", crypto.SHA512_224}, ck.CKM_SHA512_256: {"SHA-512/256", crypto.SHA512_256},
	ck.CKM_SHA3_224: {"SHA3-224", crypto.SHA3_224}, ck.CKM_SHA3_256: {"SHA3-256", crypto.SHA3_256},
	ck.CKM_SHA3_384: {"SHA3-384", crypto.SHA3_384}, ck.CKM_SHA3_512: {"SHA3-512", crypto.SHA3_512},
	ck.CKM_MD5: {"MD5", crypto.MD5},
}

// conformDigestKAT: known answers from testdata/digest_examples.txt, then
// the standard library over a grid of lengths in uneven parts.
func conformDigestKAT(t *testing.T, s *Spec) {
	_, err := s.Digest([]byte{0})
	wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	ref, ok := digestKATRef[s.Type]
	if !ok {
		t.Fatalf("no reference for %s", s.Name)
	}
	n := 0
	for _, r := range readVectors(t, "digest_examples.txt", "Alg") {
		if r.get("Alg", 0) != ref.alg {
			continue
		}
		n++
		d, err := s.Digest(nil)
		wantRV(t, err, ck.CKR_OK)
		d.Update([]byte(r.get("Msg", 0)))
		if got := d.Sum(); !bytes.Equal(got, r.hex(t, "MD", 0)) || len(got) != d.Size() {
			t.Errorf("%s(%q) = %x", s.Name, r.get("Msg", 0), got)
		}
	}
	if n == 0 {
		t.Fatalf("no known answers for %s", s.Name)
	}
	for _, l := range []int{0, 1, 71, 72, 104, 136, 144, 1000} {
		msg := make([]byte, l)
		rand.Read(msg)
		d, _ := s.Digest(nil)
		for _, p := range split(msg) {
			d.Update(p)
		}
		h := ref.h.New()
		h.Write(msg)
		if !bytes.Equal(d.Sum(), h.Sum(nil)) {
			t.Errorf("%s of %d bytes differs from the standard library", s.Name, l)
		}
	}
}

// --- HMAC _GENERAL

var hmacGeneralRef = map[ck.MechanismType]crypto.Hash{
	ck.CKM_SHA_1_HMAC_GENERAL: crypto.SHA1, ck.CKM_SHA224_HMAC_GENERAL: crypto.SHA224,
	ck.CKM_SHA256_HMAC_GENERAL: crypto.SHA256, ck.CKM_SHA384_HMAC_GENERAL: crypto.SHA384,
	ck.CKM_SHA512_HMAC_GENERAL: crypto.SHA512, ck.CKM_SHA3_224_HMAC_GENERAL: crypto.SHA3_224,
	ck.CKM_SHA3_256_HMAC_GENERAL: crypto.SHA3_256, ck.CKM_SHA3_384_HMAC_GENERAL: crypto.SHA3_384,
	ck.CKM_SHA3_512_HMAC_GENERAL: crypto.SHA3_512, ck.CKM_MD5_HMAC_GENERAL: crypto.MD5,
}

func conformHMACGeneral(t *testing.T, s *Spec) {
	h, ok := hmacGeneralRef[s.Type]
	if !ok {
		t.Fatalf("no reference for %s", s.Name)
	}
	size := h.Size()
	used := 0
	for _, f := range fixtures() {
		if !slices.Contains(s.KeyTypes, f.priv.Type) {
			_, err := s.Sign(f.priv, ck.ULongBytes(1))
			wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
			continue
		}
		if len(f.priv.Secret) < int(s.Info.MinKeySize) {
			_, err := s.Sign(f.priv, ck.ULongBytes(1))
			wantRV(t, err, ck.CKR_KEY_SIZE_RANGE)
			continue
		}
		used++
		for _, p := range []any{nil, []byte{}, []byte{1}, ck.ULongBytes(0), ck.ULongBytes(ck.ULong(size + 1)), 42} {
			_, err := s.Sign(f.priv, p)
			wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
			_, err = s.Verify(f.pub, p)
			wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		}
		for _, n := range []int{1, size / 2, size - 1, size} {
			param := ck.ULongBytes(ck.ULong(n))
			data := make([]byte, 100)
			rand.Read(data)
			m := hmac.New(h.New, f.priv.Secret)
			m.Write(data)
			want := m.Sum(nil)[:n]
			op, err := s.Sign(f.priv, param)
			wantRV(t, err, ck.CKR_OK)
			if op.SigLen() != n {
				t.Fatalf("SigLen %d, want %d", op.SigLen(), n)
			}
			sig, err := op.Sign(data)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(sig, want) {
				t.Fatalf("%s/%d differs from crypto/hmac", s.Name, n)
			}
			op, _ = s.Sign(f.priv, ck.ULong(n))
			for _, p := range split(data) {
				wantRV(t, op.Update(p), ck.CKR_OK)
			}
			msig, err := op.Final()
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(msig, want) {
				t.Fatal("multi-part MAC differs")
			}
			v, _ := s.Verify(f.pub, param)
			wantRV(t, v.Verify(data, sig), ck.CKR_OK)
			bad := bytes.Clone(sig)
			bad[0] ^= 1
			v, _ = s.Verify(f.pub, param)
			wantRV(t, v.Verify(data, bad), ck.CKR_SIGNATURE_INVALID)
			v, _ = s.Verify(f.pub, param)
			wantRV(t, v.Verify(data, append(bytes.Clone(sig), 0)), ck.CKR_SIGNATURE_LEN_RANGE)
			v, _ = s.Verify(f.pub, param)
			for _, p := range split(data) {
				wantRV(t, v.Update(p), ck.CKR_OK)
			}
			wantRV(t, v.Final(sig), ck.CKR_OK)
		}
	}
	if used == 0 {
		t.Fatalf("%s: no fixture key", s.Name)
	}
}

// --- RSA encryption

// rsaCipherCase is one parameter of an RSA encryption mechanism with the
// standard library's decryption as the reference (nil for raw RSA, checked
// with math/big).
type rsaCipherCase struct {
	name   string
	param  any
	maxIn  func(k int) int
	refDec func(priv *rsa.PrivateKey, ct []byte) ([]byte, error)
}

func oaepCase(hashMech ck.MechanismType, mgf ck.MGF, h crypto.Hash, label []byte, ptr bool) rsaCipherCase {
	return oaepMGFCase(hashMech, mgf, h, h, label, ptr)
}

// oaepMGFCase is oaepCase with MGF1 over mgfH, which may differ from h.
func oaepMGFCase(hashMech ck.MechanismType, mgf ck.MGF, h, mgfH crypto.Hash, label []byte, ptr bool) rsaCipherCase {
	p := ck.RSAPKCSOAEPParams{Hash: hashMech, MGF: mgf, Source: ck.CKZ_DATA_SPECIFIED, SourceData: label}
	if label == nil {
		p.Source = 0
	}
	var param any = p
	if ptr {
		param = &p
	}
	return rsaCipherCase{
		name:  fmt.Sprintf("%v-mgf1%v-label%d", h, mgfH, len(label)),
		param: param,
		maxIn: func(k int) int { return k - 2*h.Size() - 2 },
		refDec: func(priv *rsa.PrivateKey, ct []byte) ([]byte, error) {
			return priv.Decrypt(nil, ct, &rsa.OAEPOptions{Hash: h, MGFHash: mgfH, Label: label})
		},
	}
}

var rsaCipherCases = map[ck.MechanismType][]rsaCipherCase{
	ck.CKM_RSA_PKCS: {{
		name: "pkcs1", maxIn: func(k int) int { return k - 11 },
		refDec: func(priv *rsa.PrivateKey, ct []byte) ([]byte, error) {
			return rsa.DecryptPKCS1v15(nil, priv, ct) //nolint:staticcheck // the reference for CKM_RSA_PKCS.
		},
	}},
	ck.CKM_RSA_X_509: {{name: "raw", maxIn: func(k int) int { return k }}},
	ck.CKM_RSA_PKCS_OAEP: {
		oaepCase(ck.CKM_SHA_1, ck.CKG_MGF1_SHA1, crypto.SHA1, nil, false),
		oaepCase(ck.CKM_SHA224, ck.CKG_MGF1_SHA224, crypto.SHA224, []byte("label"), true),
		oaepCase(ck.CKM_SHA256, ck.CKG_MGF1_SHA256, crypto.SHA256, nil, true),
		oaepCase(ck.CKM_SHA256, ck.CKG_MGF1_SHA256, crypto.SHA256, []byte{}, false),
		oaepCase(ck.CKM_SHA384, ck.CKG_MGF1_SHA384, crypto.SHA384, []byte("a longer label of some bytes"), false),
		oaepCase(ck.CKM_SHA512, ck.CKG_MGF1_SHA512, crypto.SHA512, nil, false),
		oaepCase(ck.CKM_SHA3_256, ck.CKG_MGF1_SHA3_256, crypto.SHA3_256, []byte("x"), false),
		// Java's default OAEPParameterSpec pairs SHA-256 with MGF1-SHA-1.
		oaepMGFCase(ck.CKM_SHA256, ck.CKG_MGF1_SHA1, crypto.SHA256, crypto.SHA1, nil, false),
		oaepMGFCase(ck.CKM_SHA_1, ck.CKG_MGF1_SHA512, crypto.SHA1, crypto.SHA512, []byte("label"), true),
	},
}

var rsaBadCipherParams = map[ck.MechanismType][]any{
	ck.CKM_RSA_PKCS:  {[]byte{1}, 42},
	ck.CKM_RSA_X_509: {[]byte{1}, ck.RSAPKCSOAEPParams{}},
	ck.CKM_RSA_PKCS_OAEP: {
		nil, []byte{}, (*ck.RSAPKCSOAEPParams)(nil), ck.RSAPKCSPSSParams{},
		ck.RSAPKCSOAEPParams{Hash: ck.CKM_MD5, MGF: ck.CKG_MGF1_SHA1, Source: ck.CKZ_DATA_SPECIFIED},
		ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA256, MGF: 99, Source: ck.CKZ_DATA_SPECIFIED},
		ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, Source: 2},
		ck.RSAPKCSOAEPParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256, Source: 0, SourceData: []byte{1}},
	},
}

func conformRSACipher(t *testing.T, s *Spec) {
	f := rsaFix(t)
	priv := f.priv.Private.(*rsa.PrivateKey)
	k := priv.Size()
	for _, p := range rsaBadCipherParams[s.Type] {
		_, err := s.Encrypt(f.pub, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		_, err = s.Decrypt(f.priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	cases := rsaCipherCases[s.Type]
	if len(cases) == 0 {
		t.Fatalf("no cases for %s", s.Name)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Other key types, and a public key to decrypt, are refused.
			for _, o := range fixtures() {
				if o.priv.Type != ck.CKK_RSA {
					_, err := s.Encrypt(o.pub, c.param)
					wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
					_, err = s.Decrypt(o.priv, c.param)
					wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
				}
			}
			_, err := s.Decrypt(f.pub, c.param)
			wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)

			max := c.maxIn(k)
			for _, n := range []int{0, 1, max / 2, max} {
				pt := make([]byte, n)
				rand.Read(pt)
				if c.refDec == nil && n == k {
					pt[0] = 0 // below the modulus
				}
				conformRSACipherData(t, s, f, c, pt)
			}
			enc, _ := s.Encrypt(f.pub, c.param)
			_, err = enc.One(make([]byte, max+1))
			wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
			_, err = enc.Update([]byte{1})
			wantRV(t, err, ck.CKR_FUNCTION_NOT_SUPPORTED)
			_, err = enc.Final()
			wantRV(t, err, ck.CKR_FUNCTION_NOT_SUPPORTED)
			if c.refDec == nil {
				// Raw RSA: the modulus itself is out of range.
				_, err = enc.One(priv.N.Bytes())
				wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
			}
			dec, _ := s.Decrypt(f.priv, c.param)
			for _, l := range []int{0, k - 1, k + 1} {
				_, err = dec.One(make([]byte, l))
				wantRV(t, err, ck.CKR_ENCRYPTED_DATA_LEN_RANGE)
			}
			_, err = dec.One(priv.N.Bytes())
			wantRV(t, err, ck.CKR_ENCRYPTED_DATA_INVALID)
			_, err = dec.Update(make([]byte, k))
			wantRV(t, err, ck.CKR_FUNCTION_NOT_SUPPORTED)
		})
	}
}

func conformRSACipherData(t *testing.T, s *Spec, f fixture, c rsaCipherCase, pt []byte) {
	t.Helper()
	priv := f.priv.Private.(*rsa.PrivateKey)
	k := priv.Size()
	enc, err := s.Encrypt(f.pub, c.param)
	wantRV(t, err, ck.CKR_OK)
	if enc.OutLen(len(pt)) != k {
		t.Fatalf("OutLen %d, want %d", enc.OutLen(len(pt)), k)
	}
	ct, err := enc.One(pt)
	wantRV(t, err, ck.CKR_OK)
	if len(ct) != k {
		t.Fatalf("ciphertext of %d bytes", len(ct))
	}
	want := pt
	if c.refDec == nil {
		// Raw RSA: c = m^e mod n, the output k bytes.
		e := new(big.Int).Exp(new(big.Int).SetBytes(pt), big.NewInt(int64(priv.E)), priv.N)
		if !bytes.Equal(ct, e.FillBytes(make([]byte, k))) {
			t.Fatal("raw RSA differs from m^e mod n")
		}
		want = make([]byte, k)
		copy(want[k-len(pt):], pt)
	} else {
		got, err := c.refDec(priv, ct)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("the standard library does not decrypt it: %v", err)
		}
		ct2, _ := enc.One(pt)
		if bytes.Equal(ct, ct2) {
			t.Fatal("two encryptions are equal: padding not randomised")
		}
	}
	dec, err := s.Decrypt(f.priv, c.param)
	wantRV(t, err, ck.CKR_OK)
	if dec.OutLen(k) < len(want) {
		t.Fatalf("decrypt OutLen %d too small", dec.OutLen(k))
	}
	got, err := dec.One(ct)
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(got, want) {
		t.Fatal("round trip differs")
	}
	// OneInto, in place.
	buf := make([]byte, dec.OutLen(k))
	copy(buf, ct)
	n, err := dec.OneInto(buf, buf[:k])
	wantRV(t, err, ck.CKR_OK)
	if !bytes.Equal(buf[:n], want) {
		t.Fatal("OneInto in place differs")
	}
	if c.refDec != nil {
		bad := bytes.Clone(ct)
		bad[k/2] ^= 1
		_, err = dec.One(bad)
		wantRV(t, err, ck.CKR_ENCRYPTED_DATA_INVALID)
	}
}

// --- CKM_RSA_X_509 sign/verify

func conformRSAX509Sign(t *testing.T, s *Spec) {
	f := rsaFix(t)
	priv := f.priv.Private.(*rsa.PrivateKey)
	k := priv.Size()
	_, err := s.Sign(f.priv, []byte{1})
	wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	_, err = s.Sign(fixtureOf(t, "EC-P-256").priv, nil)
	wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	for _, n := range []int{0, 1, 35, k - 1, k} {
		data := make([]byte, n)
		rand.Read(data)
		if n == k {
			data[0] = 0
		}
		op, err := s.Sign(f.priv, nil)
		wantRV(t, err, ck.CKR_OK)
		sig, err := op.Sign(data)
		wantRV(t, err, ck.CKR_OK)
		if len(sig) != op.SigLen() || len(sig) != k {
			t.Fatalf("signature of %d bytes", len(sig))
		}
		// sig^e mod n is the data, left-padded.
		m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(priv.E)), priv.N)
		if m.Cmp(new(big.Int).SetBytes(data)) != 0 {
			t.Fatal("sig^e mod n is not the data")
		}
		v, _ := s.Verify(f.pub, nil)
		wantRV(t, v.Verify(data, sig), ck.CKR_OK)
		bad := bytes.Clone(sig)
		bad[k/2] ^= 1
		v, _ = s.Verify(f.pub, nil)
		wantRV(t, v.Verify(data, bad), ck.CKR_SIGNATURE_INVALID)
		v, _ = s.Verify(f.pub, nil)
		wantRV(t, v.Verify(data, sig[1:]), ck.CKR_SIGNATURE_LEN_RANGE)
		v, _ = s.Verify(f.pub, nil)
		wantRV(t, v.Verify(data, priv.N.Bytes()), ck.CKR_SIGNATURE_INVALID)
		wantRV(t, op.Update(data), ck.CKR_FUNCTION_NOT_SUPPORTED)
		wantRV(t, v.Update(data), ck.CKR_FUNCTION_NOT_SUPPORTED)
	}
	op, _ := s.Sign(f.priv, nil)
	_, err = op.Sign(priv.N.Bytes())
	wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
	_, err = op.Sign(make([]byte, k+1))
	wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
}

// --- PSS

var pssRef = map[ck.MechanismType]struct {
	hash ck.MechanismType
	mgf  ck.MGF
	h    crypto.Hash
}{
	ck.CKM_SHA1_RSA_PKCS_PSS:     {ck.CKM_SHA_1, ck.CKG_MGF1_SHA1, crypto.SHA1},
	ck.CKM_SHA224_RSA_PKCS_PSS:   {ck.CKM_SHA224, ck.CKG_MGF1_SHA224, crypto.SHA224},
	ck.CKM_SHA256_RSA_PKCS_PSS:   {ck.CKM_SHA256, ck.CKG_MGF1_SHA256, crypto.SHA256},
	ck.CKM_SHA384_RSA_PKCS_PSS:   {ck.CKM_SHA384, ck.CKG_MGF1_SHA384, crypto.SHA384},
	ck.CKM_SHA512_RSA_PKCS_PSS:   {ck.CKM_SHA512, ck.CKG_MGF1_SHA512, crypto.SHA512},
	ck.CKM_SHA3_224_RSA_PKCS_PSS: {ck.CKM_SHA3_224, ck.CKG_MGF1_SHA3_224, crypto.SHA3_224},
	ck.CKM_SHA3_256_RSA_PKCS_PSS: {ck.CKM_SHA3_256, ck.CKG_MGF1_SHA3_256, crypto.SHA3_256},
	ck.CKM_SHA3_384_RSA_PKCS_PSS: {ck.CKM_SHA3_384, ck.CKG_MGF1_SHA3_384, crypto.SHA3_384},
	ck.CKM_SHA3_512_RSA_PKCS_PSS: {ck.CKM_SHA3_512, ck.CKG_MGF1_SHA3_512, crypto.SHA3_512},
}

func conformPSS(t *testing.T, s *Spec) {
	f := rsaFix(t)
	priv := f.priv.Private.(*rsa.PrivateKey)
	k := priv.Size()
	type hc struct {
		hash ck.MechanismType
		mgf  ck.MGF
		h    crypto.Hash
	}
	var hs []hc
	if r, ok := pssRef[s.Type]; ok {
		hs = []hc{{r.hash, r.mgf, r.h}}
	} else {
		for _, r := range pssRef {
			hs = append(hs, hc{r.hash, r.mgf, r.h})
		}
	}
	for _, p := range []any{nil, []byte{}, []byte{1}, (*ck.RSAPKCSPSSParams)(nil), ck.RSAPKCSOAEPParams{},
		ck.RSAPKCSPSSParams{Hash: hs[0].hash, MGF: 99, SaltLen: 0},
		ck.RSAPKCSPSSParams{Hash: ck.CKM_MD5, MGF: ck.CKG_MGF1_SHA1},
		ck.RSAPKCSPSSParams{Hash: hs[0].hash, MGF: hs[0].mgf, SaltLen: ck.ULong(k - hs[0].h.Size() - 1)},
		ck.RSAPKCSPSSParams{Hash: hs[0].hash, MGF: hs[0].mgf, SaltLen: 1 << 40},
	} {
		_, err := s.Sign(f.priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		_, err = s.Verify(f.pub, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	if s.Type != ck.CKM_RSA_PKCS_PSS {
		// hashAlg or MGF of another hash than the mechanism's.
		other := ck.RSAPKCSPSSParams{Hash: ck.CKM_SHA_1, MGF: ck.CKG_MGF1_SHA1}
		if hs[0].hash == ck.CKM_SHA_1 {
			other = ck.RSAPKCSPSSParams{Hash: ck.CKM_SHA256, MGF: ck.CKG_MGF1_SHA256}
		}
		_, err := s.Sign(f.priv, other)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	// MGF1 over another hash than hashAlg (RFC 8017 allows it; Wycheproof's
	// mgf1sha1 vectors check verification in TestWycheproofRSA): a round
	// trip, and the signature refused where MGF1 is told hashAlg's hash.
	mgfOther := ck.CKG_MGF1_SHA1
	if hs[0].mgf == ck.CKG_MGF1_SHA1 {
		mgfOther = ck.CKG_MGF1_SHA512
	}
	mixed := ck.RSAPKCSPSSParams{Hash: hs[0].hash, MGF: mgfOther, SaltLen: ck.ULong(hs[0].h.Size())}
	in := make([]byte, hs[0].h.Size())
	sop, err := s.Sign(f.priv, mixed)
	wantRV(t, err, ck.CKR_OK)
	sig, err := sop.Sign(in)
	wantRV(t, err, ck.CKR_OK)
	vop, err := s.Verify(f.pub, mixed)
	wantRV(t, err, ck.CKR_OK)
	wantRV(t, vop.Verify(in, sig), ck.CKR_OK)
	same := mixed
	same.MGF = hs[0].mgf
	vop, err = s.Verify(f.pub, same)
	wantRV(t, err, ck.CKR_OK)
	wantRV(t, vop.Verify(in, sig), ck.CKR_SIGNATURE_INVALID)
	for _, o := range fixtures() {
		if o.priv.Type != ck.CKK_RSA {
			p := ck.RSAPKCSPSSParams{Hash: hs[0].hash, MGF: hs[0].mgf}
			_, err := s.Sign(o.priv, p)
			wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
			_, err = s.Verify(o.pub, p)
			wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		}
	}
	for _, h := range hs {
		maxSalt := (priv.N.BitLen()-1+7)/8 - h.h.Size() - 2
		for _, salt := range []int{0, 20, h.h.Size(), maxSalt} {
			p := ck.RSAPKCSPSSParams{Hash: h.hash, MGF: h.mgf, SaltLen: ck.ULong(salt)}
			var param any = p
			if salt%2 == 1 {
				param = &p
			}
			t.Run(fmt.Sprintf("%v-salt%d", h.h, salt), func(t *testing.T) {
				conformPSSData(t, s, f, param, h.h, salt)
			})
		}
	}
}

func conformPSSData(t *testing.T, s *Spec, f fixture, param any, h crypto.Hash, salt int) {
	priv := f.priv.Private.(*rsa.PrivateKey)
	k := priv.Size()
	raw := s.Type == ck.CKM_RSA_PKCS_PSS
	lens := []int{0, 1, 100, 1000}
	if raw {
		lens = []int{h.Size()}
	}
	digest := func(data []byte) []byte {
		if raw {
			return data
		}
		hh := h.New()
		hh.Write(data)
		return hh.Sum(nil)
	}
	ref := func(data, sig []byte) {
		t.Helper()
		if err := rsa.VerifyPSS(&priv.PublicKey, h, digest(data), sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthAuto}); err != nil {
			t.Fatalf("rsa.VerifyPSS: %v", err)
		}
		if salt > 0 {
			if err := rsa.VerifyPSS(&priv.PublicKey, h, digest(data), sig, &rsa.PSSOptions{SaltLength: salt}); err != nil {
				t.Fatalf("rsa.VerifyPSS with salt %d: %v", salt, err)
			}
		}
	}
	verify := func(data, sig []byte) error {
		v, err := s.Verify(f.pub, param)
		wantRV(t, err, ck.CKR_OK)
		return v.Verify(data, sig)
	}
	for _, n := range lens {
		data := make([]byte, n)
		rand.Read(data)
		op, err := s.Sign(f.priv, param)
		wantRV(t, err, ck.CKR_OK)
		sig, err := op.Sign(data)
		wantRV(t, err, ck.CKR_OK)
		if len(sig) != k || op.SigLen() != k {
			t.Fatalf("signature of %d bytes, SigLen %d", len(sig), op.SigLen())
		}
		ref(data, sig)
		wantRV(t, verify(data, sig), ck.CKR_OK)
		bad := bytes.Clone(sig)
		bad[k/2] ^= 0x40
		wantRV(t, verify(data, bad), ck.CKR_SIGNATURE_INVALID)
		other := bytes.Clone(data)
		if len(other) == 0 {
			other = []byte{1}
		} else {
			other[0] ^= 1
		}
		if !raw || len(other) == len(data) {
			wantRV(t, verify(other, sig), ck.CKR_SIGNATURE_INVALID)
		}
		for _, l := range [][]byte{nil, sig[1:], append(bytes.Clone(sig), 0)} {
			wantRV(t, verify(data, l), ck.CKR_SIGNATURE_LEN_RANGE)
		}
		if raw {
			op, _ := s.Sign(f.priv, param)
			_, err := op.Sign(append(bytes.Clone(data), 0))
			wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
			wantRV(t, verify(data[1:], sig), ck.CKR_DATA_LEN_RANGE)
			wantRV(t, op.Update(data), ck.CKR_FUNCTION_NOT_SUPPORTED)
			continue
		}
		// Multi-part.
		op, _ = s.Sign(f.priv, param)
		for _, p := range split(data) {
			wantRV(t, op.Update(p), ck.CKR_OK)
		}
		msig, err := op.Final()
		wantRV(t, err, ck.CKR_OK)
		ref(data, msig)
		if salt == 0 && !bytes.Equal(msig, sig) {
			t.Fatal("PSS without salt is not deterministic")
		}
		v, _ := s.Verify(f.pub, param)
		for _, p := range split(data) {
			wantRV(t, v.Update(p), ck.CKR_OK)
		}
		wantRV(t, v.Final(sig), ck.CKR_OK)
		v, _ = s.Verify(f.pub, param)
		v.Update(data)
		wantRV(t, v.Final(bad), ck.CKR_SIGNATURE_INVALID)
		v, _ = s.Verify(f.pub, param)
		v.Update(data)
		wantRV(t, v.Final(sig[1:]), ck.CKR_SIGNATURE_LEN_RANGE)
	}
}

// --- EdDSA

// edFixture is an Ed25519 key pair through KeyFromAttrs.
func edFixture(t *testing.T, seed []byte) fixture {
	t.Helper()
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC_EDWARDS, attrMap{ck.CKA_EC_PARAMS: oidEd25519, ck.CKA_VALUE: seed})
	wantRV(t, err, ck.CKR_OK)
	pk, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_EC_EDWARDS, attrMap{ck.CKA_EC_PARAMS: oidEd25519, ck.CKA_EC_POINT: derAppend(nil, derOctetString, pub)})
	wantRV(t, err, ck.CKR_OK)
	return fixture{"Ed25519", priv, pk}
}

func conformEdDSA(t *testing.T, s *Spec) {
	seed := make([]byte, 32)
	rand.Read(seed)
	f := edFixture(t, seed)
	for _, o := range fixtures() {
		_, err := s.Sign(o.priv, nil)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		_, err = s.Verify(o.pub, nil)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	_, err := s.Sign(f.pub, nil)
	wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	for _, p := range []any{[]byte{1}, 42, ck.EDDSAParams{}, &ck.EDDSAParams{ContextData: []byte{}},
		ck.EDDSAParams{ContextData: make([]byte, 256)}, ck.EDDSAParams{PHFlag: true, ContextData: make([]byte, 256)}} {
		_, err := s.Sign(f.priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		_, err = s.Verify(f.pub, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	pub := f.pub.Public.(ed25519.PublicKey)
	for _, c := range []struct {
		name  string
		param any
		opts  ed25519.Options
	}{
		{"pure", nil, ed25519.Options{}},
		{"pure-empty", []byte{}, ed25519.Options{}},
		{"pure-nilptr", (*ck.EDDSAParams)(nil), ed25519.Options{}},
		{"ctx", ck.EDDSAParams{ContextData: []byte("kagi")}, ed25519.Options{Context: "kagi"}},
		{"ctx-255", &ck.EDDSAParams{ContextData: bytes.Repeat([]byte{7}, 255)}, ed25519.Options{Context: string(bytes.Repeat([]byte{7}, 255))}},
		{"ph", ck.EDDSAParams{PHFlag: true}, ed25519.Options{Hash: crypto.SHA512}},
		{"ph-ctx", ck.EDDSAParams{PHFlag: true, ContextData: []byte("c")}, ed25519.Options{Hash: crypto.SHA512, Context: "c"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, n := range []int{0, 1, 64, 1000} {
				data := make([]byte, n)
				rand.Read(data)
				op, err := s.Sign(f.priv, c.param)
				wantRV(t, err, ck.CKR_OK)
				sig, err := op.Sign(data)
				wantRV(t, err, ck.CKR_OK)
				if len(sig) != op.SigLen() {
					t.Fatalf("signature of %d bytes", len(sig))
				}
				msg := data
				if c.opts.Hash != 0 {
					d := crypto.SHA512.New()
					d.Write(data)
					msg = d.Sum(nil)
				}
				if err := ed25519.VerifyWithOptions(pub, msg, sig, &c.opts); err != nil {
					t.Fatalf("ed25519.VerifyWithOptions: %v", err)
				}
				verify := func(data, sig []byte) error {
					v, err := s.Verify(f.pub, c.param)
					wantRV(t, err, ck.CKR_OK)
					return v.Verify(data, sig)
				}
				wantRV(t, verify(data, sig), ck.CKR_OK)
				bad := bytes.Clone(sig)
				bad[10] ^= 1
				wantRV(t, verify(data, bad), ck.CKR_SIGNATURE_INVALID)
				wantRV(t, verify(append(bytes.Clone(data), 0), sig), ck.CKR_SIGNATURE_INVALID)
				wantRV(t, verify(data, sig[1:]), ck.CKR_SIGNATURE_LEN_RANGE)
				wantRV(t, verify(data, nil), ck.CKR_SIGNATURE_LEN_RANGE)
				// Another variant does not verify it.
				v, _ := s.Verify(f.pub, ck.EDDSAParams{ContextData: []byte("other")})
				wantRV(t, v.Verify(data, sig), ck.CKR_SIGNATURE_INVALID)
				wantRV(t, op.Update(data), ck.CKR_FUNCTION_NOT_SUPPORTED)
				wantRV(t, v.Update(data), ck.CKR_FUNCTION_NOT_SUPPORTED)
			}
		})
	}
}

func conformEdKeyPair(t *testing.T, s *Spec) {
	printable := append([]byte{derPrintableString, 12}, "edwards25519"...)
	eddsa, _ := Lookup(ck.CKM_EDDSA)
	if eddsa == nil {
		for _, p := range asymPendingRegistry {
			if p.Type == ck.CKM_EDDSA {
				eddsa = p
			}
		}
	}
	for _, params := range [][]byte{oidEd25519, printable} {
		pubA, privA, err := s.GenerateKeyPair(rand.Reader, attrMap{ck.CKA_EC_PARAMS: params}, attrMap{})
		wantRV(t, err, ck.CKR_OK)
		pm, km := attrsToMap(pubA), attrsToMap(privA)
		for _, m := range []attrMap{pm, km} {
			if kt, _ := ck.BytesULong(m[ck.CKA_KEY_TYPE]); ck.KeyType(kt) != ck.CKK_EC_EDWARDS {
				t.Fatalf("CKA_KEY_TYPE %#x", kt)
			}
			if !bytes.Equal(m[ck.CKA_EC_PARAMS], params) {
				t.Fatal("CKA_EC_PARAMS not copied")
			}
		}
		point := pm[ck.CKA_EC_POINT]
		if len(point) != 34 || point[0] != derOctetString || point[1] != 32 {
			t.Fatalf("CKA_EC_POINT %x is not a DER OCTET STRING of 32 bytes", point)
		}
		if len(km[ck.CKA_VALUE]) != 32 {
			t.Fatalf("CKA_VALUE of %d bytes", len(km[ck.CKA_VALUE]))
		}
		if !bytes.Equal(ed25519.NewKeyFromSeed(km[ck.CKA_VALUE]).Public().(ed25519.PublicKey), point[2:]) {
			t.Fatal("public key is not the seed's")
		}
		if !bytes.Equal(pm[ck.CKA_PUBLIC_KEY_INFO], km[ck.CKA_PUBLIC_KEY_INFO]) {
			t.Fatal("public key info differs between the keys")
		}
		for _, c := range []struct {
			class ck.ObjectClass
			m     attrMap
		}{{ck.CKO_PUBLIC_KEY, pm}, {ck.CKO_PRIVATE_KEY, km}} {
			imp, err := ImportAttrs(c.class, ck.CKK_EC_EDWARDS, c.m)
			wantRV(t, err, ck.CKR_OK)
			for _, a := range imp {
				if !bytes.Equal(c.m[a.Type], a.Value) {
					t.Errorf("attribute %#x: generated %x, import computes %x", a.Type, c.m[a.Type], a.Value)
				}
			}
		}
		pub, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_EC_EDWARDS, pm)
		wantRV(t, err, ck.CKR_OK)
		priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC_EDWARDS, km)
		wantRV(t, err, ck.CKR_OK)
		op, err := eddsa.Sign(priv, nil)
		wantRV(t, err, ck.CKR_OK)
		sig, _ := op.Sign([]byte("pairwise"))
		if !ed25519.Verify(point[2:], []byte("pairwise"), sig) {
			t.Fatal("pairwise signature does not verify")
		}
		v, _ := eddsa.Verify(pub, nil)
		wantRV(t, v.Verify([]byte("pairwise"), sig), ck.CKR_OK)
	}
	for _, c := range []struct {
		name      string
		pub, priv attrMap
		rv        ck.RV
	}{
		{"no params", attrMap{}, attrMap{}, ck.CKR_TEMPLATE_INCOMPLETE},
		{"nil templates", nil, nil, ck.CKR_TEMPLATE_INCOMPLETE},
		{"Ed448", attrMap{ck.CKA_EC_PARAMS: oidEd448}, nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"P-256", attrMap{ck.CKA_EC_PARAMS: curves[1].oid}, nil, ck.CKR_CURVE_NOT_SUPPORTED},
		{"not DER", attrMap{ck.CKA_EC_PARAMS: {6}}, nil, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		{"key type", attrMap{ck.CKA_EC_PARAMS: oidEd25519, ck.CKA_KEY_TYPE: ck.ULongBytes(ck.ULong(ck.CKK_EC))}, nil, ck.CKR_TEMPLATE_INCONSISTENT},
		{"private class", attrMap{ck.CKA_EC_PARAMS: oidEd25519}, attrMap{ck.CKA_CLASS: ck.ULongBytes(ck.ULong(ck.CKO_PUBLIC_KEY))}, ck.CKR_TEMPLATE_INCONSISTENT},
		{"params differ", attrMap{ck.CKA_EC_PARAMS: oidEd25519}, attrMap{ck.CKA_EC_PARAMS: printable}, ck.CKR_TEMPLATE_INCONSISTENT},
	} {
		_, _, err := s.GenerateKeyPair(rand.Reader, c.pub, c.priv)
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", c.name, err, c.rv)
		}
	}
	_, _, err := s.GenerateKeyPair(failReader{}, attrMap{ck.CKA_EC_PARAMS: oidEd25519}, nil)
	wantRV(t, err, ck.CKR_FUNCTION_FAILED)
}

// TestAsymSelfTests runs the self-tests this slice offers selftest.go.
func TestAsymSelfTests(t *testing.T) {
	for name, f := range map[string]func() error{
		"SHA3-256": selfTestSHA3, "RSA-OAEP/PSS": selfTestRSAOAEPPSS, "Ed25519": selfTestEd25519,
	} {
		if err := f(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

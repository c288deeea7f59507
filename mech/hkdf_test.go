package mech

import (
	"bytes"
	"crypto/hkdf"
	"crypto/sha512"
	"strconv"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

var rfc5869Hash = map[string]ck.MechanismType{"SHA-256": ck.CKM_SHA256, "SHA-1": ck.CKM_SHA_1}

// TestHKDFRFC5869: RFC 5869 appendix A test cases 1-4 through both HKDF
// mechanisms: extract and expand together (the salt given as data, or as
// a key, or absent for the empty salt), extract alone (the PRK), and
// expand alone from the PRK as base key.
func TestHKDFRFC5869(t *testing.T) {
	n := 0
	for _, r := range readVectors(t, "rfc5869_hkdf.txt", "COUNT") {
		h, ok := rfc5869Hash[r.get("Hash", 0)]
		if !ok {
			t.Fatalf("hash %q", r.get("Hash", 0))
		}
		ikm, salt, info := r.hex(t, "IKM", 0), r.hex(t, "salt", 0), r.hex(t, "info", 0)
		prk, okm := r.hex(t, "PRK", 0), r.hex(t, "OKM", 0)
		l, _ := strconv.Atoi(r.get("L", 0))
		base := secretKey(t, ck.CKK_GENERIC_SECRET, ikm)
		full := ck.HKDFParams{Extract: true, Expand: true, PRFHash: h, Info: info}
		withKey := full
		if len(salt) == 0 {
			full.SaltType = ck.CKF_HKDF_SALT_NULL
		} else {
			full.SaltType = ck.CKF_HKDF_SALT_DATA
			full.Salt = salt
		}
		other := noOther
		if len(salt) != 0 {
			withKey.SaltType, withKey.SaltKey = ck.CKF_HKDF_SALT_KEY, 9
			other = resolver(9, secretKey(t, ck.CKK_GENERIC_SECRET, salt))
		}
		extract := full
		extract.Expand, extract.Info = false, nil
		expand := ck.HKDFParams{Expand: true, PRFHash: h, Info: info}
		for _, m := range []ck.MechanismType{ck.CKM_HKDF_DERIVE, ck.CKM_HKDF_DATA} {
			s, _ := Lookup(m)
			check := func(what string, base *Key, p any, keyLen int, other func(ck.ObjectHandle) (*Key, error), want []byte) {
				t.Helper()
				got, err := s.Derive(base, p, keyLen, other)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(got, want) {
					t.Errorf("%s case %s %s: %x, want %x", s.Name, r.get("COUNT", 0), what, got, want)
				}
			}
			check("extract+expand", base, full, l, noOther, okm)
			check("extract+expand (pointer)", base, &full, l, noOther, okm)
			if len(salt) != 0 {
				check("salt key", base, withKey, l, other, okm)
			}
			check("extract", base, extract, 0, noOther, prk)
			check("extract, CKA_VALUE_LEN = HashLen", base, extract, len(prk), noOther, prk)
			check("expand", secretKey(t, ck.CKK_GENERIC_SECRET, prk), expand, l, noOther, okm)
			check("expand, shorter", secretKey(t, ck.CKK_GENERIC_SECRET, prk), expand, 5, noOther, okm[:5])
		}
		n++
	}
	if n != 4 {
		t.Fatalf("%d vectors, want 4", n)
	}
}

// conformHKDF: every hash against crypto/hkdf, the length rules, and the
// refusals.
func conformHKDF(t *testing.T, s *Spec) {
	data := s.Type == ck.CKM_HKDF_DATA
	ikm := randBytes(40)
	base := secretKey(t, ck.CKK_GENERIC_SECRET, ikm)
	salt, info := randBytes(16), randBytes(10)
	for m, id := range hashByMech {
		alg := hashes[id]
		p := ck.HKDFParams{Extract: true, Expand: true, PRFHash: m, SaltType: ck.CKF_HKDF_SALT_DATA, Salt: salt, Info: info}
		got, err := s.Derive(base, p, 100, noOther)
		wantRV(t, err, ck.CKR_OK)
		want, _ := hkdf.Key(alg.new, ikm, salt, string(info), 100)
		if !bytes.Equal(got, want) {
			t.Errorf("%s: %x, want %x", alg.name, got, want)
		}
		// The longest output, and one byte more.
		_, err = s.Derive(base, p, 255*alg.size, noOther)
		wantRV(t, err, ck.CKR_OK)
		_, err = s.Derive(base, p, 255*alg.size+1, noOther)
		wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
		// Without CKA_VALUE_LEN: HKDF_DATA gives HashLen bytes.
		got, err = s.Derive(base, p, 0, noOther)
		if data {
			wantRV(t, err, ck.CKR_OK)
			if want, _ := hkdf.Key(alg.new, ikm, salt, string(info), alg.size); !bytes.Equal(got, want) {
				t.Errorf("%s: default length output %x, want %x", alg.name, got, want)
			}
		} else {
			wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
		}
		// Extract alone gives HashLen bytes, nothing else.
		p.Expand = false
		for _, n := range []int{1, alg.size - 1, alg.size + 1} {
			_, err = s.Derive(base, p, n, noOther)
			wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
		}
	}

	// Without extract, the salt (whatever its type) is ignored.
	got, err := s.Derive(base, ck.HKDFParams{Expand: true, PRFHash: ck.CKM_SHA384, SaltType: 77, Salt: salt, Info: info}, 64, noOther)
	wantRV(t, err, ck.CKR_OK)
	if want, _ := hkdf.Expand(sha512.New384, ikm, string(info), 64); !bytes.Equal(got, want) {
		t.Errorf("expand only: %x, want %x", got, want)
	}

	ok := ck.HKDFParams{Extract: true, Expand: true, PRFHash: ck.CKM_SHA256, SaltType: ck.CKF_HKDF_SALT_NULL}
	with := func(f func(p *ck.HKDFParams)) ck.HKDFParams {
		p := ok
		f(&p)
		return p
	}
	for _, p := range []any{
		nil, []byte{1}, (*ck.HKDFParams)(nil), ck.ECDH1DeriveParams{},
		with(func(p *ck.HKDFParams) { p.Extract, p.Expand = false, false }),
		with(func(p *ck.HKDFParams) { p.PRFHash = ck.CKM_MD5 }),
		with(func(p *ck.HKDFParams) { p.PRFHash = ck.CKM_SHA256_HMAC }),
		with(func(p *ck.HKDFParams) { p.SaltType = 0 }),
		with(func(p *ck.HKDFParams) { p.SaltType = ck.CKF_HKDF_SALT_NULL | ck.CKF_HKDF_SALT_DATA }),
		with(func(p *ck.HKDFParams) { p.Salt = salt }),
		with(func(p *ck.HKDFParams) { p.SaltType = ck.CKF_HKDF_SALT_DATA }),
		with(func(p *ck.HKDFParams) { p.SaltType = ck.CKF_HKDF_SALT_KEY }),
	} {
		_, err := s.Derive(base, p, 32, noOther)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	// The salt key: resolved by handle, a secret key.
	saltKey := with(func(p *ck.HKDFParams) { p.SaltType, p.SaltKey = ck.CKF_HKDF_SALT_KEY, 5 })
	_, err = s.Derive(base, saltKey, 32, resolver(6, base))
	wantRV(t, err, ck.CKR_KEY_HANDLE_INVALID)
	_, err = s.Derive(base, saltKey, 32, resolver(5, fixtureOf(t, "EC-P-256").priv))
	wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	// Base keys: any secret key's value; not an asymmetric key.
	for _, f := range fixtures() {
		_, err := s.Derive(f.priv, ok, 32, noOther)
		if f.priv.Secret != nil {
			wantRV(t, err, ck.CKR_OK)
		} else {
			wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		}
	}
	for _, n := range []int{-1, maxSecretLen + 1} {
		_, err := s.Derive(base, ok, n, noOther)
		wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	}
}

package mech

import (
	"bytes"
	"crypto/rand"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// hmacAny is the HMAC of alg without kagi's minimum key size, to run
// published vectors with short keys through the same code.
func hmacAny(t *testing.T, id hashID, key, msg []byte) []byte {
	t.Helper()
	m := &hmacMech{alg: hashes[id], keyType: ck.CKK_GENERIC_SECRET}
	op, err := m.sign(&Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_GENERIC_SECRET, Secret: key}, nil)
	wantRV(t, err, ck.CKR_OK)
	mac, err := op.Sign(msg)
	wantRV(t, err, ck.CKR_OK)
	return mac
}

// TestHMACRFC4231: RFC 4231 section 4, HMAC-SHA-256 test cases; those with
// keys of at least 32 bytes also through the registry's CKM_SHA256_HMAC,
// the others must be refused there with CKR_KEY_SIZE_RANGE (SoftHSMv2's
// minimum).
func TestHMACRFC4231(t *testing.T) {
	spec, _ := Lookup(ck.CKM_SHA256_HMAC)
	for _, r := range readVectors(t, "rfc4231_hmac_sha256.txt", "Case") {
		key, data, want := r.hex(t, "Key", 0), r.hex(t, "Data", 0), r.hex(t, "HMAC", 0)
		if got := hmacAny(t, hashSHA256, key, data); !bytes.Equal(got, want) {
			t.Errorf("case %s: %x", r.get("Case", 0), got)
		}
		k := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_GENERIC_SECRET, Secret: key}
		v, err := spec.Verify(k, nil)
		if len(key) < 32 {
			wantRV(t, err, ck.CKR_KEY_SIZE_RANGE)
			continue
		}
		wantRV(t, err, ck.CKR_OK)
		wantRV(t, v.Verify(data, want), ck.CKR_OK)
	}
}

// TestHMACCAVP: NIST CAVP HMAC.rsp vectors with untruncated MACs, for every
// HMAC hash; keys shorter, equal to and longer than the block.
func TestHMACCAVP(t *testing.T) {
	byL := map[string]hashID{"20": hashSHA1, "28": hashSHA224, "32": hashSHA256, "48": hashSHA384, "64": hashSHA512}
	n := 0
	for _, r := range readVectors(t, "HMAC_subset.rsp", "Count") {
		id, ok := byL[r.header["L"]]
		if !ok {
			t.Fatalf("unknown section %v", r.header)
		}
		if got := hmacAny(t, id, r.hex(t, "Key", 0), r.hex(t, "Msg", 0)); !bytes.Equal(got, r.hex(t, "Mac", 0)) {
			t.Errorf("L=%s Count %s: %x", r.header["L"], r.get("Count", 0), got)
		}
		n++
	}
	if n < 25 {
		t.Errorf("only %d vectors", n)
	}
}

// TestHMACKeyCacheConcurrent: one key, several HMAC hashes, many goroutines
// (run with -race); the cached inner/outer states are built once per hash.
func TestHMACKeyCacheConcurrent(t *testing.T) {
	v := make([]byte, 64)
	rand.Read(v)
	k, err := KeyFromAttrs(ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, attrMap{ck.CKA_VALUE: v})
	wantRV(t, err, ck.CKR_OK)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			mt := []ck.MechanismType{ck.CKM_SHA256_HMAC, ck.CKM_SHA512_HMAC, ck.CKM_SHA_1_HMAC}[i%3]
			spec, _ := Lookup(mt)
			for range 100 {
				op, err := spec.Sign(k, nil)
				if err != nil {
					t.Error(err)
					return
				}
				mac, _ := op.Sign([]byte("data"))
				vo, _ := spec.Verify(k, nil)
				if err := vo.Verify([]byte("data"), mac); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestGenericSecretCheckValue: a generic secret key's CKA_CHECK_VALUE is the
// first three bytes of SHA-1 of its value (PKCS#11 3.0 section 6.5.1, as
// SoftHSMv2); SHA-1("abc") = a9993e36...
func TestGenericSecretCheckValue(t *testing.T) {
	got, err := ImportAttrs(ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET, attrMap{ck.CKA_VALUE: []byte("abc")})
	wantRV(t, err, ck.CKR_OK)
	if cv := attrsToMap(got)[ck.CKA_CHECK_VALUE]; !bytes.Equal(cv, []byte{0xa9, 0x99, 0x3e}) {
		t.Errorf("check value %x", cv)
	}
	got, err = ImportAttrs(ck.CKO_SECRET_KEY, ck.CKK_SHA256_HMAC, attrMap{ck.CKA_VALUE: []byte("abc")})
	wantRV(t, err, ck.CKR_OK)
	if _, ok := attrsToMap(got)[ck.CKA_CHECK_VALUE]; ok {
		t.Error("CKK_SHA256_HMAC keys have no check value")
	}
}

// TestHMACAbortedVerify: a multi-part verification ended by a wrong-length
// signature returns its hash to the pool clean; the next operation is
// unaffected.
func TestHMACAbortedVerify(t *testing.T) {
	spec, _ := Lookup(ck.CKM_SHA256_HMAC)
	k := fixtureOf(t, "sha256-hmac-32").priv
	for range 3 {
		v, _ := spec.Verify(k, nil)
		v.Update([]byte("partial"))
		wantRV(t, v.Final(make([]byte, 31)), ck.CKR_SIGNATURE_LEN_RANGE)
	}
	op, _ := spec.Sign(k, nil)
	a, _ := op.Sign([]byte("x"))
	op, _ = spec.Sign(k, nil)
	b, _ := op.Sign([]byte("x"))
	if !bytes.Equal(a, b) {
		t.Fatal("pooled state leaked between operations")
	}
}

// TestHMACSHA3MD5: HMAC-SHA3-224/256/384/512 and HMAC-MD5 known answers
// (testdata/hmac_sha3_md5.txt), without the minimum key size; those with a
// long enough key also through the registry rows.
func TestHMACSHA3MD5(t *testing.T) {
	ids := map[string]struct {
		id   hashID
		mech ck.MechanismType
	}{
		"sha3_224": {hashSHA3_224, ck.CKM_SHA3_224_HMAC}, "sha3_256": {hashSHA3_256, ck.CKM_SHA3_256_HMAC},
		"sha3_384": {hashSHA3_384, ck.CKM_SHA3_384_HMAC}, "sha3_512": {hashSHA3_512, ck.CKM_SHA3_512_HMAC},
		"md5": {hashMD5, ck.CKM_MD5_HMAC},
	}
	n := 0
	for _, r := range readVectors(t, "hmac_sha3_md5.txt", "Alg") {
		a, ok := ids[r.get("Alg", 0)]
		if !ok {
			t.Fatalf("unknown Alg %s", r.get("Alg", 0))
		}
		key, msg, want := r.hex(t, "Key", 0), r.hex(t, "Msg", 0), r.hex(t, "Mac", 0)
		if got := hmacAny(t, a.id, key, msg); !bytes.Equal(got, want) {
			t.Errorf("%s: %x", r.get("Alg", 0), got)
		}
		spec, _ := Lookup(a.mech)
		k := &Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_GENERIC_SECRET, Secret: key}
		op, err := spec.Sign(k, nil)
		if len(key) < hashes[a.id].size {
			wantRV(t, err, ck.CKR_KEY_SIZE_RANGE)
			continue
		}
		wantRV(t, err, ck.CKR_OK)
		if got, _ := op.Sign(msg); !bytes.Equal(got, want) {
			t.Errorf("%s through the registry: %x", r.get("Alg", 0), got)
		}
		n++
	}
	if n < 5 {
		t.Fatalf("only %d vectors through the registry", n)
	}
}

package mech

import (
	"bytes"
	"crypto/rand"
	"strconv"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// aesKey builds an AES Key from its value.
func aesKey(t testing.TB, v []byte) *Key {
	k, err := KeyFromAttrs(ck.CKO_SECRET_KEY, ck.CKK_AES, attrMap{ck.CKA_VALUE: v})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func headerInt(t *testing.T, r record, name string) int {
	n, err := strconv.Atoi(r.header[name])
	if err != nil {
		t.Fatalf("[%s]: %v", name, err)
	}
	return n
}

// TestGCMEncryptCAVP runs NIST CAVP gcmEncryptExtIV vectors through
// CKM_AES_GCM. Tags of 32 and 64 bits are refused with
// CKR_MECHANISM_PARAM_INVALID (kagi accepts 96..128 bits).
func TestGCMEncryptCAVP(t *testing.T) {
	spec, _ := Lookup(ck.CKM_AES_GCM)
	n := 0
	for _, r := range readVectors(t, "gcmEncryptExtIV_subset.rsp", "Count") {
		tagBits := headerInt(t, r, "Taglen")
		p := &ck.GCMParams{IV: r.hex(t, "IV", 0), AAD: r.hex(t, "AAD", 0), TagBits: ck.ULong(tagBits)}
		op, err := spec.Encrypt(aesKey(t, r.hex(t, "Key", 0)), p)
		if tagBits < gcmMinTagBits {
			wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
			continue
		}
		wantRV(t, err, ck.CKR_OK)
		got, err := op.One(r.hex(t, "PT", 0))
		wantRV(t, err, ck.CKR_OK)
		want := append(r.hex(t, "CT", 0), r.hex(t, "Tag", 0)...)
		if !bytes.Equal(got, want) {
			t.Errorf("%v Count %s: got %x, want %x", r.header, r.get("Count", 0), got, want)
		}
		n++
	}
	t.Logf("%d vectors", n)
}

// TestGCMDecryptCAVP runs NIST CAVP gcmDecrypt vectors: a FAIL vector is
// CKR_ENCRYPTED_DATA_INVALID and releases nothing.
func TestGCMDecryptCAVP(t *testing.T) {
	spec, _ := Lookup(ck.CKM_AES_GCM)
	fails := 0
	for _, r := range readVectors(t, "gcmDecrypt_subset.rsp", "Count") {
		p := ck.GCMParams{IV: r.hex(t, "IV", 0), AAD: r.hex(t, "AAD", 0), TagBits: ck.ULong(headerInt(t, r, "Taglen"))}
		op, err := spec.Decrypt(aesKey(t, r.hex(t, "Key", 0)), p)
		wantRV(t, err, ck.CKR_OK)
		got, err := op.One(append(r.hex(t, "CT", 0), r.hex(t, "Tag", 0)...))
		if r.has("FAIL") {
			fails++
			wantRV(t, err, ck.CKR_ENCRYPTED_DATA_INVALID)
			if got != nil {
				t.Error("plaintext released for a bad tag")
			}
			continue
		}
		wantRV(t, err, ck.CKR_OK)
		if want := r.hex(t, "PT", 0); !bytes.Equal(got, want) {
			t.Errorf("Count %s: got %x, want %x", r.get("Count", 0), got, want)
		}
	}
	if fails == 0 {
		t.Error("no FAIL vectors exercised")
	}
}

// TestAESCheckValue: CKA_CHECK_VALUE is the first three bytes of E_K(0^128)
// (PKCS#11 3.0 section 6.7.1); FIPS 197 / SP 800-38A give E for the zero
// keys.
func TestAESCheckValue(t *testing.T) {
	for _, c := range []struct {
		key  []byte
		want string
	}{
		{make([]byte, 16), "66e94b"}, // AES-128(0, 0) = 66e94bd4ef8a2c3b884cfa59ca342b2e
		{make([]byte, 32), "dc95c0"}, // AES-256(0, 0) = dc95c078a2408989ad48a21492842087
	} {
		got, err := ImportAttrs(ck.CKO_SECRET_KEY, ck.CKK_AES, attrMap{ck.CKA_VALUE: c.key})
		wantRV(t, err, ck.CKR_OK)
		m := attrsToMap(got)
		if !bytes.Equal(m[ck.CKA_CHECK_VALUE], unhexT(t, c.want)) {
			t.Errorf("check value %x, want %s", m[ck.CKA_CHECK_VALUE], c.want)
		}
		if n, _ := ck.BytesULong(m[ck.CKA_VALUE_LEN]); int(n) != len(c.key) {
			t.Errorf("CKA_VALUE_LEN %d", n)
		}
	}
}

// TestGCMKeyChecks: an AES key of a wrong length is CKR_KEY_SIZE_RANGE at
// Init, whatever built it.
func TestGCMKeyChecks(t *testing.T) {
	spec, _ := Lookup(ck.CKM_AES_GCM)
	p := ck.GCMParams{IV: make([]byte, 12), TagBits: 128}
	_, err := spec.Encrypt(&Key{Class: ck.CKO_SECRET_KEY, Type: ck.CKK_AES, Secret: make([]byte, 20)}, p)
	wantRV(t, err, ck.CKR_KEY_SIZE_RANGE)
	_, err = spec.Encrypt(nil, p)
	wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	_, err = KeyFromAttrs(ck.CKO_SECRET_KEY, ck.CKK_AES, attrMap{ck.CKA_VALUE: make([]byte, 20)})
	wantRV(t, err, ck.CKR_ATTRIBUTE_VALUE_INVALID)
}

// TestGCMParamsCopied: the operation keeps its own copy of IV and AAD, so a
// caller reusing its buffers after Init changes nothing.
func TestGCMParamsCopied(t *testing.T) {
	spec, _ := Lookup(ck.CKM_AES_GCM)
	k := fixtureOf(t, "AES-256").priv
	iv, aad := make([]byte, 12), []byte("aad")
	p := &ck.GCMParams{IV: iv, AAD: aad, TagBits: 128}
	op1, _ := spec.Encrypt(k, p)
	op2, _ := spec.Encrypt(k, p)
	a, _ := op1.One([]byte("msg"))
	iv[0], aad[0] = 1, 'x'
	b, _ := op2.One([]byte("msg"))
	if !bytes.Equal(a, b) {
		t.Fatal("operation followed the caller's buffers")
	}
}

// TestGCMConcurrent uses one key from many goroutines (run with -race): the
// cached AEAD is built once and shared.
func TestGCMConcurrent(t *testing.T) {
	spec, _ := Lookup(ck.CKM_AES_GCM)
	v := make([]byte, 32)
	rand.Read(v)
	k := aesKey(t, v)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			p := ck.GCMParams{IV: bytes.Repeat([]byte{byte(i)}, 12), TagBits: 128}
			for range 50 {
				enc, err := spec.Encrypt(k, p)
				if err != nil {
					t.Error(err)
					return
				}
				ct, _ := enc.One([]byte("concurrent"))
				dec, _ := spec.Decrypt(k, p)
				if pt, err := dec.One(ct); err != nil || string(pt) != "concurrent" {
					t.Error("round trip failed", err)
					return
				}
			}
		})
	}
	wg.Wait()
}

package mech

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// The test harness: a reader for the "Name = value" files of testdata
// (NIST CAVP .rsp and our own), the exact-CK_RV assertion, and the fixture
// keys every conformance test draws from.

// field is one "Name = value" line.
type field struct{ name, value string }

// record is one test vector: the [bracketed] section headers in force and
// its fields in file order (names may repeat, as AdditionalInput does).
type record struct {
	header map[string]string
	fields []field
}

// get returns the i-th value of name ("" if absent).
func (r record) get(name string, i int) string {
	for _, f := range r.fields {
		if f.name == name {
			if i == 0 {
				return f.value
			}
			i--
		}
	}
	return ""
}

func (r record) has(name string) bool {
	for _, f := range r.fields {
		if f.name == name {
			return true
		}
	}
	return false
}

// hexField decodes the i-th value of name.
func (r record) hex(t *testing.T, name string, i int) []byte {
	t.Helper()
	b, err := hex.DecodeString(r.get(name, i))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

// readVectors parses testdata/name: '#' comments, "[Name = value]" or
// "[Name]" section headers (a header line after records starts a new
// section), and records separated by blank lines; a record starts at
// startField.
func readVectors(t *testing.T, name, startField string) []record {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		out     []record
		header  = map[string]string{}
		cur     *record
		inHead  bool
		sc      = bufio.NewScanner(f)
		flushed = func() {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
		}
	)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "["):
			flushed()
			if !inHead {
				header = map[string]string{}
				inHead = true
			}
			h := strings.Trim(line, "[]")
			k, v, _ := strings.Cut(h, "=")
			header[strings.TrimSpace(k)] = strings.TrimSpace(v)
			continue
		}
		inHead = false
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			if cur != nil { // e.g. the bare "FAIL" of gcmDecrypt
				cur.fields = append(cur.fields, field{line, ""})
			}
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == startField {
			flushed()
			cur = &record{header: header}
		}
		if cur != nil {
			cur.fields = append(cur.fields, field{k, v})
		}
	}
	flushed()
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("no vectors in %s", name)
	}
	return out
}

func unhexT(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wantRV asserts that err carries exactly the CK_RV rv (CKR_OK for nil).
func wantRV(t *testing.T, err error, rv ck.RV) {
	t.Helper()
	if got := ck.ErrorRV(err); got != rv {
		t.Fatalf("got %v (%v), want %v", got, err, rv)
	}
}

// fixture is a test key: for secret keys priv and pub are the same Key.
type fixture struct {
	name      string
	priv, pub *Key
}

// fixtures are the keys the conformance tests use, built once through
// KeyFromAttrs from attribute sets as token stores them.
var fixtures = sync.OnceValue(func() []fixture {
	var fs []fixture
	secret := func(name string, kt ck.KeyType, n int) {
		v := make([]byte, n)
		rand.Read(v)
		k, err := KeyFromAttrs(ck.CKO_SECRET_KEY, kt, attrMap{ck.CKA_VALUE: v})
		if err != nil {
			panic(err)
		}
		fs = append(fs, fixture{name, k, k})
	}
	secret("AES-128", ck.CKK_AES, 16)
	secret("AES-192", ck.CKK_AES, 24)
	secret("AES-256", ck.CKK_AES, 32)
	secret("generic-64", ck.CKK_GENERIC_SECRET, 64)
	secret("generic-200", ck.CKK_GENERIC_SECRET, 200)
	secret("sha256-hmac-32", ck.CKK_SHA256_HMAC, 32)

	der, err := os.ReadFile(filepath.Join("testdata", "rsa2048_pkcs1.der"))
	if err != nil {
		panic(err)
	}
	rk, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		panic(err)
	}
	fs = append(fs, rsaFixture("RSA-2048", rk))

	for _, c := range []elliptic.Curve{elliptic.P224(), elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		ek, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			panic(err)
		}
		fs = append(fs, ecFixture("EC-"+c.Params().Name, ek))
	}
	return fs
})

func rsaAttrs(k *rsa.PrivateKey) (priv, pub attrMap) {
	e := big.NewInt(int64(k.E)).Bytes()
	pub = attrMap{
		ck.CKA_MODULUS:         k.N.Bytes(),
		ck.CKA_PUBLIC_EXPONENT: e,
	}
	k.Precompute()
	priv = attrMap{
		ck.CKA_MODULUS:          k.N.Bytes(),
		ck.CKA_PUBLIC_EXPONENT:  bytes.Clone(e),
		ck.CKA_PRIVATE_EXPONENT: k.D.Bytes(),
		ck.CKA_PRIME_1:          k.Primes[0].Bytes(),
		ck.CKA_PRIME_2:          k.Primes[1].Bytes(),
		ck.CKA_EXPONENT_1:       k.Precomputed.Dp.Bytes(),
		ck.CKA_EXPONENT_2:       k.Precomputed.Dq.Bytes(),
		ck.CKA_COEFFICIENT:      k.Precomputed.Qinv.Bytes(),
	}
	return priv, pub
}

func rsaFixture(name string, k *rsa.PrivateKey) fixture {
	privA, pubA := rsaAttrs(k)
	priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_RSA, privA)
	if err != nil {
		panic(err)
	}
	pub, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_RSA, pubA)
	if err != nil {
		panic(err)
	}
	return fixture{name, priv, pub}
}

func ecAttrs(k *ecdsa.PrivateKey) (priv, pub attrMap) {
	params, err := ECParams(k.Curve)
	if err != nil {
		panic(err)
	}
	d, err := k.Bytes()
	if err != nil {
		panic(err)
	}
	point, err := ecPointAttr(&k.PublicKey)
	if err != nil {
		panic(err)
	}
	return attrMap{ck.CKA_EC_PARAMS: params, ck.CKA_VALUE: d},
		attrMap{ck.CKA_EC_PARAMS: params, ck.CKA_EC_POINT: point}
}

func ecFixture(name string, k *ecdsa.PrivateKey) fixture {
	privA, pubA := ecAttrs(k)
	priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC, privA)
	if err != nil {
		panic(err)
	}
	pub, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_EC, pubA)
	if err != nil {
		panic(err)
	}
	return fixture{name, priv, pub}
}

// fixtureOf returns the fixture called name.
func fixtureOf(t testing.TB, name string) fixture {
	for _, f := range fixtures() {
		if f.name == name {
			return f
		}
	}
	t.Fatalf("no fixture %s", name)
	return fixture{}
}

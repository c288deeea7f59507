package store

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
)

// Attribute types as in PKCS#11 (the store does not import token/ck).
const (
	tClass    = 0x000
	tPrivate  = 0x002
	tLabel    = 0x003
	tValue    = 0x011
	tKeyType  = 0x100
	tID       = 0x102
	tModulus  = 0x120
	tPrivExp  = 0x123
	tPrime1   = 0x124
	tVendorHi = 0x80000000_00000001
)

var (
	uuidA = []byte("AAAAAAAAAAAAAAAA")
	uuidB = []byte("BBBBBBBBBBBBBBBB")
)

// rsaPrivate is the attribute list of an RSA private key: some plain, some
// key material.
func rsaPrivate() []Attr {
	return []Attr{
		{Type: tPrivExp, Value: []byte("private exponent"), Secret: true},
		{Type: tClass, Value: []byte{3, 0, 0, 0, 0, 0, 0, 0}},
		{Type: tLabel, Value: []byte("my key")},
		{Type: tModulus, Value: bytes.Repeat([]byte{0xa5}, 256)},
		{Type: tPrime1, Value: []byte("prime one"), Secret: true},
		{Type: tID, Value: []byte{}},
		{Type: tVendorHi, Value: []byte{1}},
	}
}

func sortedAttrs(a []Attr) []Attr {
	a = slices.Clone(a)
	slices.SortFunc(a, func(x, y Attr) int {
		if x.Type < y.Type {
			return -1
		}
		if x.Type > y.Type {
			return 1
		}
		return 0
	})
	return a
}

func sameAttrs(t *testing.T, got, want []Attr) {
	t.Helper()
	want = sortedAttrs(want)
	if len(got) != len(want) {
		t.Fatalf("got %d attributes, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Type != w.Type || g.Secret != w.Secret || !bytes.Equal(g.Value, w.Value) || !bytes.Equal(g.Sealed, w.Sealed) {
			t.Fatalf("attribute %d = %+v, want %+v", i, g, w)
		}
		if g.Value == nil && g.Sealed == nil {
			t.Fatalf("attribute 0x%x: nil value", g.Type)
		}
	}
}

func TestObjectRoundTrip(t *testing.T) {
	s := testSealer(t)
	for _, private := range []bool{false, true} {
		blob, err := EncodeObject(uuidA, 7, private, rsaPrivate(), s)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range rsaPrivate() {
			if a.Secret && bytes.Contains(blob, a.Value) {
				t.Fatalf("private=%v: blob contains secret attribute 0x%x in the clear", private, a.Type)
			}
			if private && len(a.Value) > 3 && bytes.Contains(blob, a.Value) {
				t.Fatalf("private object: blob contains attribute 0x%x in the clear", a.Type)
			}
		}
		got, err := DecodeObject(uuidA, 7, private, blob, s)
		if err != nil {
			t.Fatal(err)
		}
		sameAttrs(t, got, rsaPrivate())
	}
}

func TestObjectEncodingIsDeterministic(t *testing.T) {
	plain := []Attr{{Type: tLabel, Value: []byte("x")}, {Type: tClass, Value: []byte{1}}, {Type: tID, Value: []byte("id")}}
	a, err := EncodeObject(uuidA, 1, false, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	rev := slices.Clone(plain)
	slices.Reverse(rev)
	b, err := EncodeObject(uuidA, 1, false, rev, nil)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("encoding depends on attribute order: %x vs %x (%v)", a, b, err)
	}
	if _, err := EncodeObject(uuidA, 1, false, append(plain, Attr{Type: tLabel}), nil); err == nil {
		t.Fatal("a duplicate attribute was encoded")
	}
}

func TestPublicObjectWithoutSealer(t *testing.T) {
	s := testSealer(t)
	blob, err := EncodeObject(uuidA, 9, false, rsaPrivate(), s)
	if err != nil {
		t.Fatal(err)
	}
	// Before login: plain attributes readable, key material still sealed.
	locked, err := DecodeObject(uuidA, 9, false, blob, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range locked {
		if a.Secret != (a.Value == nil) || a.Secret != (a.Sealed != nil) {
			t.Fatalf("attribute 0x%x: secret %v, value %x, sealed %x", a.Type, a.Secret, a.Value, a.Sealed)
		}
	}
	// Rewritten before login (say the label changed): sealed values are
	// written as they are.
	for i := range locked {
		if locked[i].Type == tLabel {
			locked[i].Value = []byte("renamed")
		}
	}
	blob2, err := EncodeObject(uuidA, 9, false, locked, nil)
	if err != nil {
		t.Fatal(err)
	}
	// After login, OpenAttr and DecodeObject both open them.
	got, err := DecodeObject(uuidA, 9, false, blob2, s)
	if err != nil {
		t.Fatal(err)
	}
	want := rsaPrivate()
	for i := range want {
		if want[i].Type == tLabel {
			want[i].Value = []byte("renamed")
		}
	}
	sameAttrs(t, got, want)
	for _, a := range locked {
		if !a.Secret {
			continue
		}
		v, err := OpenAttr(uuidA, 9, a, s)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range want {
			if w.Type == a.Type && !bytes.Equal(v, w.Value) {
				t.Fatalf("OpenAttr(0x%x) = %q, want %q", a.Type, v, w.Value)
			}
		}
		if _, err := OpenAttr(uuidA, 9, a, nil); !errors.Is(err, ErrLocked) {
			t.Fatalf("OpenAttr without a Sealer: %v, want ErrLocked", err)
		}
	}
	// A secret value cannot be sealed without a Sealer.
	if _, err := EncodeObject(uuidA, 9, false, rsaPrivate(), nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("EncodeObject of key material without a Sealer: %v, want ErrLocked", err)
	}
	// A public object without secrets needs no Sealer either way.
	pub := []Attr{{Type: tClass, Value: []byte{2}}, {Type: tModulus, Value: []byte{1, 2, 3}}}
	b, err := EncodeObject(uuidA, 3, false, pub, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err = DecodeObject(uuidA, 3, false, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	sameAttrs(t, got, pub)
}

func TestPrivateObjectNeedsSealer(t *testing.T) {
	s := testSealer(t)
	if _, err := EncodeObject(uuidA, 1, true, rsaPrivate(), nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("EncodeObject private without a Sealer: %v, want ErrLocked", err)
	}
	blob, err := EncodeObject(uuidA, 1, true, rsaPrivate(), s)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeObject(uuidA, 1, true, blob, nil); !errors.Is(err, ErrLocked) {
		t.Fatalf("DecodeObject private without a Sealer: %v, want ErrLocked", err)
	}
	zeroed := testSealer(t)
	zeroed.Zero()
	if _, err := DecodeObject(uuidA, 1, true, blob, zeroed); !errors.Is(err, ErrLocked) {
		t.Fatalf("DecodeObject private with a zeroed Sealer: %v, want ErrLocked", err)
	}
}

// A public object's sealed values written before it became private (the
// token copies it with CKA_PRIVATE=true under the same id) are opened and
// sealed with the rest.
func TestSealedAttrIntoPrivateObject(t *testing.T) {
	s := testSealer(t)
	blob, _ := EncodeObject(uuidA, 4, false, rsaPrivate(), s)
	locked, _ := DecodeObject(uuidA, 4, false, blob, nil)
	priv, err := EncodeObject(uuidA, 4, true, locked, s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeObject(uuidA, 4, true, priv, s)
	if err != nil {
		t.Fatal(err)
	}
	sameAttrs(t, got, rsaPrivate())
	if _, err := EncodeObject(uuidA, 5, true, locked, s); !errors.Is(err, ErrTampered) {
		t.Fatalf("sealed values of object 4 into private object 5: %v, want ErrTampered", err)
	}
}

// attrSealed returns the sealed value of attribute typ in a public blob.
func attrSealed(t *testing.T, blob []byte, typ uint64) []byte {
	t.Helper()
	attrs, err := DecodeObject(uuidA, 1, false, blob, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrs {
		if a.Type == typ {
			return a.Sealed
		}
	}
	t.Fatalf("no attribute 0x%x", typ)
	return nil
}

func TestSealedAttrCannotMove(t *testing.T) {
	s := testSealer(t)
	blob, err := EncodeObject(uuidA, 1, false, rsaPrivate(), s)
	if err != nil {
		t.Fatal(err)
	}
	sealed := attrSealed(t, blob, tPrivExp)
	cases := []struct {
		name string
		uuid []byte
		id   uint64
		typ  uint64
	}{
		{"same place", uuidA, 1, tPrivExp},
		{"another object id", uuidA, 2, tPrivExp},
		{"another token", uuidB, 1, tPrivExp},
		{"another attribute type", uuidA, 1, tPrime1},
		{"another attribute type (CKA_VALUE)", uuidA, 1, tValue},
	}
	for _, c := range cases {
		_, err := OpenAttr(c.uuid, c.id, Attr{Type: c.typ, Secret: true, Sealed: sealed}, s)
		if c.name == "same place" {
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrTampered) {
			t.Errorf("%s: OpenAttr error %v, want ErrTampered", c.name, err)
		}
		// The same, through a whole object written for the other place.
		moved := []Attr{{Type: c.typ, Secret: true, Sealed: sealed}}
		mb, err := EncodeObject(c.uuid, c.id, false, moved, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeObject(c.uuid, c.id, false, mb, s); !errors.Is(err, ErrTampered) {
			t.Errorf("%s: DecodeObject error %v, want ErrTampered", c.name, err)
		}
	}
}

func TestObjectBlobCannotMove(t *testing.T) {
	s := testSealer(t)
	for _, private := range []bool{true, false} {
		blob, err := EncodeObject(uuidA, 1, private, rsaPrivate(), s)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name    string
			uuid    []byte
			id      uint64
			private bool
		}{
			{"another object id", uuidA, 2, private},
			{"another token", uuidB, 1, private},
			{"other privacy", uuidA, 1, !private},
		}
		for _, c := range cases {
			if _, err := DecodeObject(c.uuid, c.id, c.private, blob, s); !errors.Is(err, ErrTampered) {
				t.Errorf("private=%v, %s: DecodeObject error %v, want ErrTampered", private, c.name, err)
			}
		}
	}
	// The private body moved into another object's header is still bound
	// to the object it was sealed for.
	b1, _ := EncodeObject(uuidA, 1, true, rsaPrivate(), s)
	b2, _ := EncodeObject(uuidA, 2, true, []Attr{{Type: tClass, Value: []byte{4}}}, s)
	hdr := 2 + 1 + len(uuidA)
	swapped := append(bytes.Clone(b2[:hdr]), b1[hdr:]...)
	if _, err := DecodeObject(uuidA, 2, true, swapped, s); !errors.Is(err, ErrTampered) {
		t.Errorf("private body of object 1 in object 2: %v, want ErrTampered", err)
	}
}

func TestObjectBitFlips(t *testing.T) {
	s := testSealer(t)
	for _, private := range []bool{true, false} {
		blob, err := EncodeObject(uuidA, 1, private, rsaPrivate(), s)
		if err != nil {
			t.Fatal(err)
		}
		for i := range len(blob) * 8 {
			c := bytes.Clone(blob)
			c[i/8] ^= 1 << (i % 8)
			attrs, err := DecodeObject(uuidA, 1, private, c, s)
			if err == nil && (private || sealedByteFlipped(t, blob, i/8)) {
				t.Fatalf("private=%v: bit %d flipped, DecodeObject succeeded: %+v", private, i, attrs)
			}
			if err != nil && !errors.Is(err, ErrTampered) && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("private=%v: bit %d flipped: error %v is neither ErrTampered nor ErrCorrupt", private, i, err)
			}
		}
	}
}

// sealedByteFlipped reports whether byte i of a public blob lies inside a
// sealed value (the bytes that must authenticate).
func sealedByteFlipped(t *testing.T, blob []byte, i int) bool {
	t.Helper()
	attrs, err := DecodeObject(uuidA, 1, false, blob, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range attrs {
		if a.Sealed == nil {
			continue
		}
		at := bytes.Index(blob, a.Sealed)
		if i >= at && i < at+len(a.Sealed) {
			return true
		}
	}
	return false
}

func TestDecodeGarbage(t *testing.T) {
	s := testSealer(t)
	good, _ := EncodeObject(uuidA, 1, false, rsaPrivate(), s)
	cases := map[string][]byte{
		"nil":                     nil,
		"one byte":                {objectV1},
		"unknown format":          append([]byte{2}, good[1:]...),
		"unknown flags":           append([]byte{objectV1, 0x80}, good[2:]...),
		"huge uuid length":        {objectV1, 0, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge count":              append(append([]byte{objectV1, 0, 16}, uuidA...), 0xff, 0xff, 0xff, 0xff, 0x0f),
		"trailing byte":           append(bytes.Clone(good), 0),
		"non-minimal uuid length": append(append([]byte{objectV1, 0, 0x90, 0x00}, uuidA...), good[3+16:]...),
		"out of order": func() []byte {
			b := append([]byte{objectV1, 0, 16}, uuidA...)
			b = append(b, 2)
			b = appendAttr(b, 5, 0, []byte("a"))
			return appendAttr(b, 4, 0, []byte("b"))
		}(),
	}
	for i := range good {
		cases[fmt.Sprintf("truncated to %d bytes", i)] = good[:i]
	}
	for name, b := range cases {
		_, err := DecodeObject(uuidA, 1, false, b, s)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: DecodeObject error %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzDecodeObject checks that no blob makes DecodeObject panic or return
// anything but attributes, ErrCorrupt, ErrTampered or ErrLocked, and that
// what decodes encodes back to the same attributes.
func FuzzDecodeObject(f *testing.F) {
	key := bytes.Repeat([]byte{7}, 32)
	s, err := NewSealer(key)
	if err != nil {
		f.Fatal(err)
	}
	for _, private := range []bool{false, true} {
		for _, attrs := range [][]Attr{nil, rsaPrivate(), {{Type: tClass, Value: []byte{1}}}} {
			blob, err := EncodeObject(uuidA, 1, private, attrs, s)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(blob, private, true)
			f.Add(blob, private, false)
		}
	}
	f.Add([]byte{}, false, false)
	f.Fuzz(func(t *testing.T, blob []byte, private, withSealer bool) {
		var sl *Sealer
		if withSealer {
			sl = s
		}
		attrs, err := DecodeObject(uuidA, 1, private, blob, sl)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrTampered) && !errors.Is(err, ErrLocked) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		again, err := EncodeObject(uuidA, 1, private, attrs, sl)
		if err != nil {
			t.Fatalf("decoded attributes do not encode: %v", err)
		}
		back, err := DecodeObject(uuidA, 1, private, again, sl)
		if err != nil {
			t.Fatalf("re-encoded blob does not decode: %v", err)
		}
		sameAttrs(t, back, attrs)
		if !withSealer && !bytes.Equal(again, blob) {
			// Without a Sealer nothing is re-sealed, so the one canonical
			// encoding comes back byte for byte.
			t.Fatalf("re-encoding differs:\n%x\n%x", blob, again)
		}
	})
}

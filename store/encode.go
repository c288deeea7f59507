package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// ErrCorrupt is returned when an object blob cannot be parsed: garbage, a
// truncated row, or a format this build does not know.
var ErrCorrupt = errors.New("store: object blob is corrupt")

// Object blob format, version 1 (all integers are unsigned varints,
// encoding/binary.Uvarint, unless said otherwise):
//
//	format   1 byte  objectV1
//	flags    1 byte  bit 0: private object
//	uuid     varint length, then the token uuid
//	body
//
// The body of a public object is an attribute list:
//
//	count    varint
//	count times, in strictly increasing type order:
//	  type   varint  CKA_*
//	  flags  1 byte  bit 0: secret (the value is sealed, see below)
//	  length varint
//	  value  length bytes
//
// A secret attribute's value is Seal(attrAAD(uuid, id, type), value), so a
// sealed value only opens in the attribute, object and token it was written
// for. The body of a private object is Seal(objectAAD(uuid, id), list) of
// one attribute list as above whose values are all plain.
//
// The uuid in the header is not authenticated for a public object (nothing
// of a public object's plain attributes is); it lets DecodeObject reject a
// row that a stale writer put into a token re-initialised meanwhile.
// Decoding is strict (known version and flags, increasing types, no bytes
// left over) so there is only one encoding of each object.
const (
	objectV1 = 1

	blobPrivate = 1 << 0 // header flag
	attrSecret  = 1 << 0 // attribute flag

	// objectTag starts the associated data of every sealed value of an
	// object; it names the format so a later format never opens v1 values
	// in a different meaning.
	objectTag = "kagi object v1"
)

// objectAAD is the associated data of a private object's sealed body.
func objectAAD(tokenUUID []byte, id uint64) []byte {
	return append(baseAAD(tokenUUID, id, 6), "object"...)
}

// attrAAD is the associated data of one sealed attribute of a public object.
func attrAAD(tokenUUID []byte, id uint64, typ uint64) []byte {
	aad := append(baseAAD(tokenUUID, id, 12), "attr"...)
	return binary.BigEndian.AppendUint64(aad, typ)
}

// baseAAD is (format tag, token uuid, object id); the uuid is length-prefixed
// so the fields cannot run into each other.
func baseAAD(tokenUUID []byte, id uint64, extra int) []byte {
	aad := make([]byte, 0, len(objectTag)+2+len(tokenUUID)+8+extra)
	aad = append(aad, objectTag...)
	aad = binary.BigEndian.AppendUint16(aad, uint16(len(tokenUUID)))
	aad = append(aad, tokenUUID...)
	return binary.BigEndian.AppendUint64(aad, id)
}

// EncodeObject encodes an object's attributes for Object.Blob. For a private
// object every attribute is sealed under s as one value; for a public object
// only the Secret attributes are, one by one. A Secret attribute with Value
// nil and Sealed set (as DecodeObject returns it without a Sealer) is written
// as it is, so a public object can be rewritten before login; it is bound to
// this token and object id, so it only opens if they are the ones it was
// read from. s may be nil when nothing needs sealing; otherwise a nil or
// zeroed s gives ErrLocked.
func EncodeObject(tokenUUID []byte, id uint64, private bool, attrs []Attr, s *Sealer) ([]byte, error) {
	if len(tokenUUID) > 0xffff {
		return nil, errors.New("store: token uuid too long")
	}
	sorted := slices.Clone(attrs)
	slices.SortFunc(sorted, func(a, b Attr) int {
		switch {
		case a.Type < b.Type:
			return -1
		case a.Type > b.Type:
			return 1
		}
		return 0
	})
	size := 2 + binary.MaxVarintLen64 + len(tokenUUID) + binary.MaxVarintLen64 + Overhead
	for i, a := range sorted {
		if i > 0 && sorted[i-1].Type == a.Type {
			return nil, fmt.Errorf("store: attribute 0x%x appears twice", a.Type)
		}
		if !a.Secret && a.Sealed != nil {
			return nil, fmt.Errorf("store: attribute 0x%x is sealed but not secret", a.Type)
		}
		size += 2*binary.MaxVarintLen64 + 1 + len(a.Value) + len(a.Sealed) + Overhead
	}

	blob := make([]byte, 0, size)
	blob = append(blob, objectV1, 0)
	if private {
		blob[1] |= blobPrivate
	}
	blob = binary.AppendUvarint(blob, uint64(len(tokenUUID)))
	blob = append(blob, tokenUUID...)

	if !private {
		blob = binary.AppendUvarint(blob, uint64(len(sorted)))
		for _, a := range sorted {
			v, flags := a.Value, byte(0)
			if a.Secret {
				flags = attrSecret
				if a.Value == nil && a.Sealed != nil {
					v = a.Sealed
				} else if v = s.Seal(attrAAD(tokenUUID, id, a.Type), a.Value); v == nil {
					return nil, ErrLocked
				}
			}
			blob = appendAttr(blob, a.Type, flags, v)
		}
		return blob, nil
	}

	if s.get() == nil {
		return nil, ErrLocked
	}
	var list []byte
	defer func() { clear(list) }()
	list = make([]byte, 0, size)
	list = binary.AppendUvarint(list, uint64(len(sorted)))
	for _, a := range sorted {
		v := a.Value
		if a.Secret && a.Value == nil && a.Sealed != nil {
			// A value sealed for the public form of this object (the object
			// became private): open it to seal it with the rest.
			pt, err := OpenAttr(tokenUUID, id, a, s)
			if err != nil {
				return nil, err
			}
			v = pt
			defer clear(pt)
		}
		flags := byte(0)
		if a.Secret {
			flags = attrSecret
		}
		list = appendAttr(list, a.Type, flags, v)
	}
	body := s.Seal(objectAAD(tokenUUID, id), list)
	if body == nil {
		return nil, ErrLocked
	}
	return append(blob, body...), nil
}

func appendAttr(b []byte, typ uint64, flags byte, v []byte) []byte {
	b = binary.AppendUvarint(b, typ)
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

// DecodeObject decodes a blob written by EncodeObject for the same token
// uuid, object id and privacy. For a public object, Secret attributes are
// opened with s; without a Sealer (s nil: not logged in) they come back with
// Value nil and Sealed set, for OpenAttr later. A private object needs s
// (else ErrLocked). A sealed value that does not authenticate, or a blob of
// another token or privacy, gives ErrTampered; a blob that does not parse
// gives ErrCorrupt. Empty values come back as empty, non-nil slices.
func DecodeObject(tokenUUID []byte, id uint64, private bool, blob []byte, s *Sealer) ([]Attr, error) {
	if len(blob) < 2 {
		return nil, fmt.Errorf("%w: %d bytes", ErrCorrupt, len(blob))
	}
	if blob[0] != objectV1 {
		return nil, fmt.Errorf("%w: unknown format %d", ErrCorrupt, blob[0])
	}
	flags := blob[1]
	if flags&^blobPrivate != 0 {
		return nil, fmt.Errorf("%w: unknown flags 0x%02x", ErrCorrupt, flags)
	}
	r := reader{b: blob[2:]}
	uuid, ok := r.bytes()
	if !ok {
		return nil, fmt.Errorf("%w: truncated header", ErrCorrupt)
	}
	if string(uuid) != string(tokenUUID) || (flags&blobPrivate != 0) != private {
		// Written for another token (or an earlier initialisation of this
		// one), or its private column was edited.
		return nil, ErrTampered
	}

	if !private {
		attrs, err := decodeList(r.b, true)
		if err != nil {
			return nil, err
		}
		for i := range attrs {
			a := &attrs[i]
			if !a.Secret {
				continue
			}
			if s == nil {
				a.Sealed, a.Value = a.Value, nil
				continue
			}
			pt, err := s.Open(attrAAD(tokenUUID, id, a.Type), a.Value)
			if err != nil {
				return nil, err
			}
			a.Value = pt
		}
		return attrs, nil
	}

	if s.get() == nil {
		return nil, ErrLocked
	}
	list, err := s.Open(objectAAD(tokenUUID, id), r.b)
	if err != nil {
		return nil, err
	}
	// The values alias list (each capped so an append cannot run into the
	// next); list itself is not kept.
	attrs, err := decodeList(list, false)
	if err != nil {
		clear(list)
		return nil, err
	}
	return attrs, nil
}

// decodeList parses an attribute list. With copyValues the values are
// copied out of b; otherwise they alias it.
func decodeList(b []byte, copyValues bool) ([]Attr, error) {
	r := reader{b: b}
	n, ok := r.uvarint()
	if !ok {
		return nil, fmt.Errorf("%w: truncated attribute count", ErrCorrupt)
	}
	// Each attribute takes at least 3 bytes; a count larger than that is
	// garbage, and must not size an allocation.
	if n > uint64(len(r.b))/3 {
		return nil, fmt.Errorf("%w: %d attributes in %d bytes", ErrCorrupt, n, len(r.b))
	}
	attrs := make([]Attr, 0, n)
	for i := uint64(0); i < n; i++ {
		typ, ok := r.uvarint()
		if !ok {
			return nil, fmt.Errorf("%w: truncated attribute %d", ErrCorrupt, i)
		}
		if i > 0 && typ <= attrs[i-1].Type {
			return nil, fmt.Errorf("%w: attribute 0x%x out of order", ErrCorrupt, typ)
		}
		flags, ok := r.byte()
		if !ok || flags&^attrSecret != 0 {
			return nil, fmt.Errorf("%w: attribute 0x%x: bad flags", ErrCorrupt, typ)
		}
		v, ok := r.bytes()
		if !ok {
			return nil, fmt.Errorf("%w: attribute 0x%x: truncated value", ErrCorrupt, typ)
		}
		if copyValues {
			v = append([]byte{}, v...)
		}
		attrs = append(attrs, Attr{Type: typ, Value: v, Secret: flags&attrSecret != 0})
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last attribute", ErrCorrupt, len(r.b))
	}
	return attrs, nil
}

// OpenAttr opens the Sealed value of a Secret attribute of a public object,
// as DecodeObject returns it without a Sealer.
func OpenAttr(tokenUUID []byte, id uint64, a Attr, s *Sealer) ([]byte, error) {
	if !a.Secret || a.Sealed == nil {
		return nil, fmt.Errorf("store: attribute 0x%x is not sealed", a.Type)
	}
	return s.Open(attrAAD(tokenUUID, id, a.Type), a.Sealed)
}

// reader consumes a byte slice; every method reports false instead of
// reading past the end.
type reader struct{ b []byte }

func (r *reader) uvarint() (uint64, bool) {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || (n > 1 && r.b[n-1] == 0) {
		// Truncated, too long, or not minimal (a zero last group): one
		// encoding per value.
		return 0, false
	}
	r.b = r.b[n:]
	return v, true
}

func (r *reader) byte() (byte, bool) {
	if len(r.b) == 0 {
		return 0, false
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c, true
}

// bytes reads a length-prefixed value, capped at its length.
func (r *reader) bytes() ([]byte, bool) {
	n, ok := r.uvarint()
	if !ok || n > uint64(len(r.b)) {
		return nil, false
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v, true
}

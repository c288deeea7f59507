package ck

import "encoding/binary"

// Nested templates (CKA_WRAP_TEMPLATE, CKA_UNWRAP_TEMPLATE,
// CKA_DERIVE_TEMPLATE: CKF_ARRAY_ATTRIBUTE types) hold a CK_ATTRIBUTE array
// in C. In Go their value is this flat encoding of the attributes, so they
// travel, compare and persist like any other value: for each attribute its
// type and length as two big-endian uint64, then the value.

// IsArrayAttribute says whether t holds a nested template.
func IsArrayAttribute(t AttributeType) bool {
	return t&AttributeType(CKF_ARRAY_ATTRIBUTE) != 0
}

// EncodeTemplate encodes a nested template.
func EncodeTemplate(tmpl []Attribute) []byte {
	n := 0
	for _, a := range tmpl {
		n += 16 + len(a.Value)
	}
	out := make([]byte, 0, n)
	for _, a := range tmpl {
		out = binary.BigEndian.AppendUint64(out, uint64(a.Type))
		out = binary.BigEndian.AppendUint64(out, uint64(len(a.Value)))
		out = append(out, a.Value...)
	}
	return out
}

// DecodeTemplate decodes a nested template; ok is false for malformed input.
func DecodeTemplate(b []byte) (tmpl []Attribute, ok bool) {
	for len(b) > 0 {
		if len(b) < 16 {
			return nil, false
		}
		t, n := binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])
		b = b[16:]
		if n > uint64(len(b)) {
			return nil, false
		}
		tmpl = append(tmpl, Attribute{Type: AttributeType(t), Value: b[:n:n]})
		b = b[n:]
	}
	return tmpl, true
}

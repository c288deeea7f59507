package token

import (
	"bytes"
	"slices"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestDeriveKeepsProtection: the derivations that copy key bits make a
// sensitive key's copy sensitive and an unextractable key's copy
// unextractable, over a template that asks otherwise, so the bits cannot be
// read back; unprotected keys give what the template asks.
func TestDeriveKeepsProtection(t *testing.T) {
	l, _, sh, _ := ready(t)
	value := bytes.Repeat([]byte{0x5a}, 16)
	key := func(sensitive, extractable bool) ck.ObjectHandle {
		h, err := l.CreateObject(sh, []ck.Attribute{
			attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET), attr(ck.CKA_VALUE, value),
			attr(ck.CKA_SENSITIVE, sensitive), attr(ck.CKA_EXTRACTABLE, extractable), attr(ck.CKA_DERIVE, true),
		})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	plain := key(false, true)
	data := ck.KeyDerivationStringData{Data: make([]byte, 16)}
	open := []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
		attr(ck.CKA_SENSITIVE, false), attr(ck.CKA_EXTRACTABLE, true)}
	type protCase struct {
		name  string
		base  ck.ObjectHandle
		mech  ck.Mechanism
		sens  bool           // the derived key's CKA_SENSITIVE
		extr  bool           // the derived key's CKA_EXTRACTABLE
		value []byte         // nil: unreadable
		tmpl  []ck.Attribute // nil: open
	}
	sized := append(slices.Clip(open), attr(ck.CKA_VALUE_LEN, 16))
	// CKM_CONCATENATE_BASE_AND_KEY takes the protection of the second key too.
	other := key(true, false)
	cases := []protCase{
		{"concat-data/plain", plain, ck.Mechanism{Type: ck.CKM_CONCATENATE_BASE_AND_DATA, Param: data}, false, true, slices.Concat(value, data.Data), nil},
		{"concat-data/sensitive", key(true, true), ck.Mechanism{Type: ck.CKM_CONCATENATE_BASE_AND_DATA, Param: data}, true, true, nil, nil},
		{"data-concat/unextractable", key(false, false), ck.Mechanism{Type: ck.CKM_CONCATENATE_DATA_AND_BASE, Param: data}, false, false, nil, nil},
		{"xor/both", key(true, false), ck.Mechanism{Type: ck.CKM_XOR_BASE_AND_DATA, Param: data}, true, false, nil, nil},
		{"xor/plain", plain, ck.Mechanism{Type: ck.CKM_XOR_BASE_AND_DATA, Param: data}, false, true, value, nil},
		{"extract/plain", plain, ck.Mechanism{Type: ck.CKM_EXTRACT_KEY_FROM_KEY, Param: ck.ULongBytes(8)}, false, true, value, sized},
		{"extract/sensitive", key(true, true), ck.Mechanism{Type: ck.CKM_EXTRACT_KEY_FROM_KEY, Param: ck.ULongBytes(8)}, true, true, nil, sized},
		{"concat-key/second-protected", plain, ck.Mechanism{Type: ck.CKM_CONCATENATE_BASE_AND_KEY, Param: ck.ULongBytes(ck.ULong(other))}, true, false, nil, nil},
	}

	for _, c := range cases {
		tmpl := open
		if c.tmpl != nil {
			tmpl = c.tmpl
		}
		h, err := l.DeriveKey(sh, c.mech, c.base, tmpl)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		vals, _ := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_SENSITIVE, ck.CKA_EXTRACTABLE, ck.CKA_VALUE})
		sens, _ := ck.BytesBool(vals[0].Value)
		extr, _ := ck.BytesBool(vals[1].Value)
		if sens != c.sens || extr != c.extr {
			t.Errorf("%s: CKA_SENSITIVE %v, CKA_EXTRACTABLE %v; want %v, %v", c.name, sens, extr, c.sens, c.extr)
		}
		if c.value == nil {
			if vals[2].Err != ck.CKR_ATTRIBUTE_SENSITIVE || vals[2].Value != nil {
				t.Errorf("%s: the derived copy of a protected key reads as %x (%v)", c.name, vals[2].Value, vals[2].Err)
			}
		} else if !bytes.Equal(vals[2].Value, c.value) {
			t.Errorf("%s: CKA_VALUE %x, want %x", c.name, vals[2].Value, c.value)
		}
	}
}

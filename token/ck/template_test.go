package ck_test

import (
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

func TestTemplateEncoding(t *testing.T) {
	in := []ck.Attribute{{Type: ck.CKA_CLASS, Value: ck.ULongBytes(ck.ULong(ck.CKO_SECRET_KEY))}, {Type: ck.CKA_LABEL, Value: []byte{}}, {Type: ck.CKA_EXTRACTABLE, Value: ck.BoolBytes(true)}}
	out, ok := ck.DecodeTemplate(ck.EncodeTemplate(in))
	if !ok || len(out) != 3 || out[0].Type != ck.CKA_CLASS || string(out[2].Value) != "\x01" || len(out[1].Value) != 0 {
		t.Fatalf("round trip: %v %v", out, ok)
	}
	if _, ok := ck.DecodeTemplate([]byte{0, 0, 0}); ok {
		t.Fatal("a truncated template decoded")
	}
	if _, ok := ck.DecodeTemplate(append(ck.EncodeTemplate(in), 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9)); ok {
		t.Fatal("a value longer than the input decoded")
	}
	if !ck.IsArrayAttribute(ck.CKA_WRAP_TEMPLATE) || ck.IsArrayAttribute(ck.CKA_LABEL) {
		t.Fatal("ck.IsArrayAttribute")
	}
}

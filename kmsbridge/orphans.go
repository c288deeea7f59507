package kmsbridge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/kagi-hsm/kagi/token/ck"
)

// dropOrphans destroys key material on the token that no metadata claims:
// what a crash between writing material and writing the metadata that
// commits it leaves (CreateKey, a rotation, ImportKeyMaterial), or between
// committing a deletion of imported material and destroying it. Open runs
// it after load, before anything uses the keys.
//
// Bridge material is recognised by its layout (store.go): CKA_LABEL a key id
// and CKA_ID that id's 16 UUID bytes followed by a 4-byte version. It is an
// orphan when no key of that id exists, when the key has no such version,
// or when the key is an EXTERNAL key whose metadata says it has no material.
// Objects of any other layout (a PKCS#11 user's, the wrapping keys) are left
// alone.
func (b *Bridge) dropOrphans(sh ck.SessionHandle) error {
	for _, class := range []ck.ObjectClass{ck.CKO_SECRET_KEY, ck.CKO_PRIVATE_KEY, ck.CKO_PUBLIC_KEY} {
		hs, err := b.findAll(sh, []ck.Attribute{ulongAttr(ck.CKA_CLASS, ck.ULong(class))})
		if err != nil {
			return fmt.Errorf("kmsbridge: finding key objects: %w", err)
		}
		for _, h := range hs {
			vs, err := b.lib.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_LABEL, ck.CKA_ID})
			if err != nil || vs[0].Err != 0 || vs[1].Err != 0 {
				continue
			}
			if !b.orphan(string(vs[0].Value), vs[1].Value) {
				continue
			}
			if err := b.lib.DestroyObject(sh, h); err != nil {
				return fmt.Errorf("kmsbridge: destroying orphan key material: %w", err)
			}
		}
	}
	return nil
}

// orphan says whether an object labelled label with CKA_ID id is bridge
// material that no key claims.
func (b *Bridge) orphan(label string, id []byte) bool {
	u, ok := parseUUID(label)
	if !ok || label != formatUUID(u) || len(id) != 20 || !bytes.Equal(id[:16], u[:]) {
		return false
	}
	k, ok := b.keys[label]
	if !ok {
		return true
	}
	if im := k.rec.Import; im != nil && !im.Present {
		return true
	}
	v := binary.BigEndian.Uint32(id[16:])
	return !slices.ContainsFunc(k.rec.Versions, func(bv backingVersion) bool { return bv.Version == v })
}

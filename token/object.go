package token

import (
	"sync"
	"sync/atomic"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/store"
	"github.com/kagi-hsm/kagi/token/ck"
)

// attrMap is an object's attributes by type. Maps are replaced, never
// mutated, once an object is published, so a reader holding l.mu.RLock sees
// a consistent set.
type attrMap map[ck.AttributeType][]byte

// Attr implements mech.Attrs.
func (m attrMap) Attr(t ck.AttributeType) ([]byte, bool) {
	v, ok := m[t]
	return v, ok
}

func (m attrMap) bool(t ck.AttributeType) bool {
	v, _ := ck.BytesBool(m[t])
	return v
}

func (m attrMap) ulong(t ck.AttributeType) (ck.ULong, bool) {
	return ck.BytesULong(m[t])
}

func (m attrMap) clone() attrMap {
	c := make(attrMap, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// object is a token or session object.
type object struct {
	handle  ck.ObjectHandle
	id      uint64      // store id; 0 for session objects
	tok     *tokenState // the token it lives on
	owner   *session    // session objects: the session that made it
	version int64

	class   ck.ObjectClass
	keyType ck.KeyType
	private bool
	onToken bool
	// sealedRow says the stored row is sealed whole: private objects, and
	// any object holding key material (even with CKA_PRIVATE false), so
	// that no attribute of a key can be edited at rest undetected.
	sealedRow bool

	// attrs is nil while a sealed row is locked (no user logged in).
	attrs attrMap
	// blob is the stored form of a sealed row, kept to unlock at login.
	blob []byte

	keyMu sync.Mutex               // serialises building and dropping key
	key   atomic.Pointer[mech.Key] // parsed key material, built on first use while logged in
}

// readable says whether the object is visible in the current login state.
func (o *object) readable() bool {
	return o.attrs != nil && (!o.private || o.tok.login == ck.CKU_USER)
}

// rules is the attribute table of this object's class and key type.
func (o *object) rules() ruleSet {
	return rulesFor(o.class, o.attrs)
}

func rulesFor(class ck.ObjectClass, a attrMap) ruleSet {
	return rulesByClass[classKeyOf(class, a)]
}

// classKeyOf is the key of rulesByClass for an object of this class with
// these attributes.
func classKeyOf(class ck.ObjectClass, a attrMap) classKey {
	switch class {
	case ck.CKO_DATA:
		return classKey{class, 0}
	case ck.CKO_CERTIFICATE:
		ct, _ := a.ulong(ck.CKA_CERTIFICATE_TYPE)
		return classKey{class, ck.KeyType(ct)}
	default:
		kt, _ := a.ulong(ck.CKA_KEY_TYPE)
		return classKey{class, ck.KeyType(kt)}
	}
}

// mechKey returns the parsed key, building it once. The object must be
// readable and unlocked.
func (o *object) mechKey() (*mech.Key, error) {
	if k := o.key.Load(); k != nil {
		return k, nil
	}
	o.keyMu.Lock()
	defer o.keyMu.Unlock()
	if k := o.key.Load(); k != nil {
		return k, nil
	}
	k, err := mech.KeyFromAttrs(o.class, o.keyType, o.attrs)
	if err != nil {
		return nil, err
	}
	o.key.Store(k)
	return k, nil
}

// dropKey zeroes and forgets the parsed key: the object is destroyed, or
// its key material must leave memory (logout, session close, finalize).
func (o *object) dropKey() {
	o.keyMu.Lock()
	if k := o.key.Swap(nil); k != nil {
		k.Zero()
	}
	o.keyMu.Unlock()
}

// supersede forgets the parsed key of an object replaced by a newer
// version of itself (C_SetAttributeValue here, or a rewrite by another
// process). The key is not zeroed: operations started with the old version
// still hold it and must go on computing with it, and the new version
// holds the same material anyway (a key's value never changes). The
// collector takes it when the last of them ends.
func (o *object) supersede() {
	o.keyMu.Lock()
	o.key.Store(nil)
	o.keyMu.Unlock()
}

// storeAttrs turns the attribute map into store attributes, marking key
// material secret.
func (o *object) storeAttrs() []store.Attr {
	rules := o.rules()
	out := make([]store.Attr, 0, len(o.attrs))
	for t, v := range o.attrs {
		out = append(out, store.Attr{Type: uint64(t), Value: v, Secret: rules[t].flags&secret != 0})
	}
	return out
}

// setHeader caches the attributes every check needs.
func (o *object) setHeader() {
	c, _ := o.attrs.ulong(ck.CKA_CLASS)
	o.class = ck.ObjectClass(c)
	kt, _ := o.attrs.ulong(ck.CKA_KEY_TYPE)
	o.keyType = ck.KeyType(kt)
	o.private = o.attrs.bool(ck.CKA_PRIVATE)
	o.onToken = o.attrs.bool(ck.CKA_TOKEN)
	o.sealedRow = o.private || o.hasSecrets()
}

// decode builds an object from its stored row. Sealed rows stay locked
// unless the user is logged in.
func (t *tokenState) decode(rec store.Object) (*object, error) {
	o := &object{id: rec.ID, tok: t, version: rec.Version, onToken: true}
	if rec.Private {
		o.sealedRow, o.private, o.blob = true, true, rec.Blob
		if t.login == ck.CKU_USER {
			if err := o.unlock(); err != nil {
				return nil, err
			}
		}
		return o, nil
	}
	attrs, err := store.DecodeObject(t.rec.UUID, rec.ID, false, rec.Blob, nil)
	if err != nil {
		return nil, err
	}
	o.attrs = make(attrMap, len(attrs))
	for _, a := range attrs {
		if a.Secret {
			// Key material lives only in sealed rows.
			return nil, store.ErrCorrupt
		}
		o.attrs[ck.AttributeType(a.Type)] = a.Value
	}
	o.setHeader()
	return o, nil
}

// unlock opens a sealed row with the token master key.
func (o *object) unlock() error {
	if !o.sealedRow || o.attrs != nil {
		return nil
	}
	t := o.tok
	attrs, err := store.DecodeObject(t.rec.UUID, o.id, true, o.blob, t.sealer)
	if err != nil {
		return err
	}
	m := make(attrMap, len(attrs))
	for _, a := range attrs {
		m[ck.AttributeType(a.Type)] = a.Value
	}
	o.attrs = m
	o.setHeader()
	return nil
}

// lock forgets a sealed row's plaintext (logout).
func (o *object) lock() {
	o.dropKey()
	if o.sealedRow && o.onToken {
		o.attrs = nil
	}
}

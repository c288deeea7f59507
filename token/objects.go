package token

import (
	"bytes"
	"encoding/binary"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/store"
	"github.com/kagi-hsm/kagi/token/ck"
)

// visible finds an object the session may see. Caller holds l.mu.
func (l *Library) visible(s *session, oh ck.ObjectHandle, invalid ck.RV) (*object, error) {
	o := l.objects[oh]
	if o == nil || o.tok != s.tok || !o.readable() {
		return nil, invalid
	}
	return o, nil
}

// newObject makes an object from validated attributes. Caller holds l.mu.
func (l *Library) newObject(s *session, m attrMap) (*object, error) {
	s.stampOwner(m)
	o := &object{tok: s.tok, attrs: m}
	o.setHeader()
	if o.onToken && !s.rw {
		return nil, ck.CKR_SESSION_READ_ONLY
	}
	if o.private && s.tok.login != ck.CKU_USER {
		return nil, ck.CKR_USER_NOT_LOGGED_IN
	}
	if o.onToken && o.sealedRow && s.tok.sealer == nil {
		return nil, ck.CKR_USER_NOT_LOGGED_IN
	}
	return o, nil
}

// hasSecrets says whether the object carries key material.
func (o *object) hasSecrets() bool {
	rules := o.rules()
	for t := range o.attrs {
		if rules[t].flags&secret != 0 {
			return true
		}
	}
	return false
}

// persist writes changed token objects in one transaction and publishes
// them; session objects are only published. Caller holds l.mu for writing
// throughout, so no other change of the same objects can interleave.
func (l *Library) persist(s *session, objs ...*object) error {
	rows, err := l.encode(objs)
	if err != nil {
		return err
	}
	if err := l.write(objs, rows); err != nil {
		return err
	}
	l.register(s, objs)
	return nil
}

// addObject stores a new object made outside the library lock (generated,
// derived or unwrapped key material): under the lock, the session must
// still be open; the object is made and persisted, and its handle returned.
func (l *Library) addObject(sh ck.SessionHandle, s *session, attrs attrMap) (ck.ObjectHandle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.session(sh); err != nil {
		return 0, err
	}
	o, err := l.newObject(s, attrs)
	if err != nil {
		return 0, err
	}
	if err := l.persistNew(s, o); err != nil {
		return 0, err
	}
	return o.handle, nil
}

// persistNew is persist for objects that did not exist before (create,
// copy, generate). Nobody else can refer to them yet, so l.mu is released
// while the transaction reaches the disk: other sessions' operations do not
// wait for an fsync. The lock is held again on return.
func (l *Library) persistNew(s *session, objs ...*object) error {
	rows, err := l.encode(objs)
	if err != nil {
		return err
	}
	if len(rows) != 0 {
		l.mu.Unlock()
		err = l.write(objs, rows)
		l.mu.Lock()
		if err != nil {
			return err
		}
		if !bytes.Equal(objs[0].tok.rec.UUID, rows[0].TokenUUID) || l.sessions[s.handle] != s {
			// The token was re-initialised (the rows were refused or are
			// gone) or the session closed meanwhile: an application that
			// closes a session under its own call gets no handles.
			return ck.CKR_SESSION_HANDLE_INVALID
		}
	}
	l.register(s, objs)
	return nil
}

// encode gives new token objects an id and seals the rows of token objects.
// Caller holds l.mu.
func (l *Library) encode(objs []*object) ([]store.Object, error) {
	var rows []store.Object
	for _, o := range objs {
		if !o.onToken {
			continue
		}
		if o.id == 0 {
			id, err := l.newObjectID(o.tok)
			if err != nil {
				return nil, err
			}
			o.id = id
		}
		var sealer *store.Sealer
		if o.sealedRow {
			sealer = o.tok.sealer
		}
		blob, err := store.EncodeObject(o.tok.rec.UUID, o.id, o.sealedRow, o.storeAttrs(), sealer)
		if err != nil {
			return nil, err
		}
		rows = append(rows, store.Object{
			ID: o.id, TokenID: o.tok.rec.ID, TokenUUID: o.tok.rec.UUID,
			Private: o.sealedRow, Blob: blob,
		})
	}
	return rows, nil
}

// write stores the rows in one durable transaction and records their
// versions in the objects.
func (l *Library) write(objs []*object, rows []store.Object) error {
	if len(rows) == 0 {
		return nil
	}
	versions, err := l.st.PutObjects(rows...)
	if err != nil {
		return l.deviceError("storing object", err)
	}
	i := 0
	for _, o := range objs {
		if o.onToken {
			o.version = versions[i]
			if o.sealedRow {
				o.blob = rows[i].Blob
			}
			i++
		}
	}
	return nil
}

// register publishes stored objects in the handle tables. Caller holds l.mu
// for writing.
func (l *Library) register(s *session, objs []*object) {
	for _, o := range objs {
		l.publish(o, o.handle)
		if o.onToken {
			o.tok.objects[o.id] = o
			o.tok.byLabel = nil
			continue
		}
		if o.owner == nil {
			o.owner = s
		}
		if o.owner.objects == nil {
			o.owner.objects = map[ck.ObjectHandle]*object{}
		}
		o.owner.objects[o.handle] = o
	}
}

// newObjectID draws a random non-zero id not used on the token.
func (l *Library) newObjectID(t *tokenState) (uint64, error) {
	for {
		b, err := l.random(8)
		if err != nil {
			return 0, err
		}
		id := binary.LittleEndian.Uint64(b) >> 1 // fits SQLite's signed rowid
		if id != 0 && t.objects[id] == nil {
			return id, nil
		}
	}
}

// CreateObject is C_CreateObject.
func (l *Library) CreateObject(sh ck.SessionHandle, tmpl []ck.Attribute) (ck.ObjectHandle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.session(sh)
	if err != nil {
		return 0, err
	}
	na, err := checkTemplate(s.tok, tmpl, opCreate, 0, 0, false)
	if err != nil {
		return 0, err
	}
	switch na.class {
	case ck.CKO_PUBLIC_KEY, ck.CKO_PRIVATE_KEY, ck.CKO_SECRET_KEY, ck.CKO_DOMAIN_PARAMETERS:
		computed, err := mech.ImportAttrs(na.class, na.keyType, na.attrs)
		if err != nil {
			return 0, err
		}
		if err := na.merge(computed); err != nil {
			return 0, err
		}
	default:
		if err := na.merge(nil); err != nil {
			return 0, err
		}
	}
	o, err := l.newObject(s, na.attrs)
	if err != nil {
		return 0, err
	}
	if err := l.persistNew(s, o); err != nil {
		return 0, err
	}
	return o.handle, nil
}

// CopyObject is C_CopyObject: the copy takes the template's values for the
// attributes that may change (footnote 8, and CKA_TOKEN/CKA_PRIVATE/
// CKA_MODIFIABLE as SoftHSMv2 allows).
func (l *Library) CopyObject(sh ck.SessionHandle, oh ck.ObjectHandle, tmpl []ck.Attribute) (ck.ObjectHandle, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.session(sh)
	if err != nil {
		return 0, err
	}
	src, err := l.visible(s, oh, ck.CKR_OBJECT_HANDLE_INVALID)
	if err != nil {
		return 0, err
	}
	if !src.attrs.bool(ck.CKA_COPYABLE) {
		return 0, ck.CKR_ACTION_PROHIBITED
	}
	if err := s.mayAlter(src); err != nil {
		return 0, err
	}
	m, err := templateMap(tmpl)
	if err != nil {
		return 0, err
	}
	rules := src.rules()
	next := src.attrs.clone()
	for typ, v := range m {
		r, ok := rules[typ]
		if !ok {
			return 0, ck.CKR_ATTRIBUTE_TYPE_INVALID
		}
		if err := checkKind(r.kind, v); err != nil {
			return 0, err
		}
		if r.flags&(modifiable|copyChange) == 0 {
			if string(next[typ]) == string(v) {
				continue
			}
			return 0, ck.CKR_ATTRIBUTE_READ_ONLY
		}
		if err := checkChange(s.tok, r, next, typ, v); err != nil {
			return 0, err
		}
		next[typ] = v
	}
	o, err := l.newObject(s, next)
	if err != nil {
		return 0, err
	}
	if err := l.persistNew(s, o); err != nil {
		return 0, err
	}
	return o.handle, nil
}

// checkChange applies the footnote 10-12 rules to a change of one attribute.
func checkChange(t *tokenState, r attrRule, cur attrMap, typ ck.AttributeType, v []byte) error {
	was, now := cur.bool(typ), len(v) == 1 && v[0] != 0
	switch {
	case r.flags&stickyTrue != 0 && was && !now:
		return ck.CKR_ATTRIBUTE_READ_ONLY
	case r.flags&stickyFalse != 0 && !was && now:
		return ck.CKR_ATTRIBUTE_READ_ONLY
	case r.flags&soOnlyTrue != 0 && now && t.login != ck.CKU_SO:
		return ck.CKR_ATTRIBUTE_READ_ONLY
	}
	return nil
}

// DestroyObject is C_DestroyObject.
func (l *Library) DestroyObject(sh ck.SessionHandle, oh ck.ObjectHandle) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.session(sh)
	if err != nil {
		return err
	}
	o, err := l.visible(s, oh, ck.CKR_OBJECT_HANDLE_INVALID)
	if err != nil {
		return err
	}
	if o.onToken && !s.rw {
		return ck.CKR_SESSION_READ_ONLY
	}
	if !o.attrs.bool(ck.CKA_DESTROYABLE) {
		return ck.CKR_ACTION_PROHIBITED
	}
	if err := s.mayAlter(o); err != nil {
		return err
	}
	if o.onToken {
		if err := l.st.DeleteObject(o.tok.rec.ID, o.id); err != nil && err != store.ErrNotFound {
			return l.deviceError("deleting object", err)
		}
	} else if o.owner != nil {
		delete(o.owner.objects, o.handle)
	}
	l.forget(o)
	return nil
}

// ObjectSize is C_GetObjectSize: the bytes of its attribute values.
func (l *Library) ObjectSize(sh ck.SessionHandle, oh ck.ObjectHandle) (ck.ULong, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.session(sh)
	if err != nil {
		return 0, err
	}
	o, err := l.visible(s, oh, ck.CKR_OBJECT_HANDLE_INVALID)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, v := range o.attrs {
		n += len(v)
	}
	return ck.ULong(n), nil
}

// GetAttributeValue is C_GetAttributeValue: per attribute, the value or the
// reason it is not given (section 5.7).
func (l *Library) GetAttributeValue(sh ck.SessionHandle, oh ck.ObjectHandle, types []ck.AttributeType) ([]AttrValue, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.session(sh)
	if err != nil {
		return nil, err
	}
	o, err := l.visible(s, oh, ck.CKR_OBJECT_HANDLE_INVALID)
	if err != nil {
		return nil, err
	}
	rules := o.rules()
	hide := o.attrs.bool(ck.CKA_SENSITIVE) || !o.attrs.bool(ck.CKA_EXTRACTABLE)
	out := make([]AttrValue, len(types))
	for i, t := range types {
		v, ok := o.attrs[t]
		switch {
		case ok && hide && rules[t].flags&hidden != 0:
			out[i].Err = ck.CKR_ATTRIBUTE_SENSITIVE
		case !ok:
			out[i].Err = ck.CKR_ATTRIBUTE_TYPE_INVALID
		default:
			out[i].Value = v
		}
	}
	return out, nil
}

// SetAttributeValue is C_SetAttributeValue; the change is all or nothing.
func (l *Library) SetAttributeValue(sh ck.SessionHandle, oh ck.ObjectHandle, tmpl []ck.Attribute) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	s, err := l.session(sh)
	if err != nil {
		return err
	}
	o, err := l.visible(s, oh, ck.CKR_OBJECT_HANDLE_INVALID)
	if err != nil {
		return err
	}
	if o.onToken && !s.rw {
		return ck.CKR_SESSION_READ_ONLY
	}
	if o.onToken && o.sealedRow && s.tok.sealer == nil {
		return ck.CKR_USER_NOT_LOGGED_IN
	}
	if !o.attrs.bool(ck.CKA_MODIFIABLE) {
		return ck.CKR_ACTION_PROHIBITED
	}
	if err := s.mayAlter(o); err != nil {
		return err
	}
	m, err := templateMap(tmpl)
	if err != nil {
		return err
	}
	rules := o.rules()
	next := o.attrs.clone()
	for typ, v := range m {
		r, ok := rules[typ]
		if !ok {
			return ck.CKR_ATTRIBUTE_TYPE_INVALID
		}
		if err := checkKind(r.kind, v); err != nil {
			return err
		}
		if r.flags&modifiable == 0 {
			return ck.CKR_ATTRIBUTE_READ_ONLY
		}
		if err := checkChange(s.tok, r, next, typ, v); err != nil {
			return err
		}
		next[typ] = v
	}
	// Build the changed object aside and swap it in under the same handle,
	// so a failed write leaves the old one as it was.
	updated := &object{handle: o.handle, id: o.id, tok: o.tok, owner: o.owner, attrs: next}
	updated.setHeader()
	if err := l.persist(s, updated); err != nil {
		return err
	}
	o.supersede()
	return nil
}

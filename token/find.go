package token

import (
	"bytes"
	"sort"

	"github.com/kagi-hsm/kagi/token/ck"
)

// findOp is an active C_FindObjects search: the matching handles, taken at
// C_FindObjectsInit (section 5.7 lets later changes go unseen).
type findOp struct {
	handles []ck.ObjectHandle
}

// labelOf returns the label a template asks for, if any.
func labelOf(tmpl []ck.Attribute) ([]byte, bool) {
	for _, a := range tmpl {
		if a.Type == ck.CKA_LABEL {
			return a.Value, true
		}
	}
	return nil, false
}

// candidates are the token objects a search must look at: those with the
// template's label when it gives one (from an index rebuilt after any
// change), else all. Caller holds l.mu for writing.
func (t *tokenState) candidates(tmpl []ck.Attribute) []*object {
	label, ok := labelOf(tmpl)
	if !ok {
		all := make([]*object, 0, len(t.objects))
		for _, o := range t.objects {
			all = append(all, o)
		}
		return all
	}
	if t.byLabel == nil {
		t.byLabel = make(map[string][]*object, len(t.objects))
		for _, o := range t.objects {
			if o.attrs != nil {
				lb := string(o.attrs[ck.CKA_LABEL])
				t.byLabel[lb] = append(t.byLabel[lb], o)
			}
		}
	}
	return t.byLabel[string(label)]
}

// FindObjectsInit is C_FindObjectsInit.
func (l *Library) FindObjectsInit(sh ck.SessionHandle, tmpl []ck.Attribute) error {
	l.mu.Lock()
	s, err := l.session(sh)
	if err != nil {
		l.mu.Unlock()
		return err
	}
	// Another process may have added or removed objects: a key generated
	// there is found by the next search here.
	if err := l.refresh(); err != nil {
		l.mu.Unlock()
		return err
	}
	var found []ck.ObjectHandle
	match := func(o *object) {
		if o.readable() && matches(o.attrs, tmpl) {
			found = append(found, o.handle)
		}
	}
	for _, o := range s.tok.candidates(tmpl) {
		match(o)
	}
	for _, other := range l.sessions {
		if other.tok == s.tok {
			for _, o := range other.objects {
				match(o)
			}
		}
	}
	l.mu.Unlock()
	// Handles grow with creation time; return objects oldest first.
	sort.Slice(found, func(i, j int) bool { return found[i] < found[j] })

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.find != nil {
		return ck.CKR_OPERATION_ACTIVE
	}
	s.find = &findOp{handles: found}
	return nil
}

// matches says whether every template attribute is present with the same value.
func matches(m attrMap, tmpl []ck.Attribute) bool {
	for _, a := range tmpl {
		v, ok := m[a.Type]
		if !ok || !bytes.Equal(v, a.Value) {
			return false
		}
	}
	return true
}

// FindObjects is C_FindObjects.
func (l *Library) FindObjects(sh ck.SessionHandle, max int) ([]ck.ObjectHandle, error) {
	s, err := l.lockedSession(sh)
	if err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if s.find == nil {
		return nil, ck.CKR_OPERATION_NOT_INITIALIZED
	}
	n := min(max, len(s.find.handles))
	out := s.find.handles[:n:n]
	s.find.handles = s.find.handles[n:]
	return out, nil
}

// FindObjectsFinal is C_FindObjectsFinal.
func (l *Library) FindObjectsFinal(sh ck.SessionHandle) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	if s.find == nil {
		return ck.CKR_OPERATION_NOT_INITIALIZED
	}
	s.find = nil
	return nil
}

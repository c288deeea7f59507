package token

import "github.com/kagi-hsm/kagi/token/ck"

// Owned objects. An application built on the token's Go API (the KMS
// bridge) keeps state in ordinary token objects that PKCS#11 clients may
// see and use, but must not change behind its back. It opens its sessions
// with OpenOwnerSession, naming itself; every object such a session
// creates carries CKA_KAGI_OWNER = that name, set by the token (a template
// cannot give it: CKR_ATTRIBUTE_READ_ONLY). Any other session — every
// session of a PKCS#11 client, since cmodule only calls OpenSession —
// can find, read and use an owned object as its other attributes allow,
// but gets CKR_ACTION_PROHIBITED from C_SetAttributeValue, C_CopyObject
// and C_DestroyObject on it, as for an object with CKA_MODIFIABLE,
// CKA_COPYABLE and CKA_DESTROYABLE false (PKCS#11 3.0 section 4.4, table
// 10). The owner's sessions are subject to the usual rules only.
//
// The SO still re-initialises the token (C_InitToken), which removes owned
// objects with the rest: that is the token's reset, not a change of one
// object. Someone who can write the database file is out of scope here as
// everywhere.

// OpenOwnerSession is OpenSession for an application that owns the objects
// its sessions create (see above). owner must not be empty.
func (l *Library) OpenOwnerSession(id ck.SlotID, flags ck.Flags, owner string) (ck.SessionHandle, error) {
	if owner == "" {
		return 0, ck.CKR_ARGUMENTS_BAD
	}
	sh, err := l.OpenSession(id, flags)
	if err != nil {
		return 0, err
	}
	l.mu.Lock()
	if s := l.sessions[sh]; s != nil {
		s.owner = owner
	}
	l.mu.Unlock()
	return sh, nil
}

// stampOwner marks a new object with its session's owner. Caller holds l.mu.
func (s *session) stampOwner(m attrMap) {
	if s.owner != "" {
		m[ck.CKA_KAGI_OWNER] = []byte(s.owner)
	}
}

// mayAlter refuses a change, copy or destruction of an object owned by
// another application than the session's.
func (s *session) mayAlter(o *object) error {
	if owner, ok := o.attrs[ck.CKA_KAGI_OWNER]; ok && string(owner) != s.owner {
		return ck.CKR_ACTION_PROHIBITED
	}
	return nil
}

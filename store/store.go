// Package store persists kagi's tokens and objects. The Store interface is
// small so that another backend can be added later; the SQLite backend
// (sqlite.go) is the default. Values that must not be readable at rest are
// sealed (seal.go) before they reach a backend.
package store

import "errors"

// ErrNotFound is returned when a token or object row does not exist (any more).
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a row changed under a conditional write (for
// example the free slot was initialised by another process meanwhile).
var ErrConflict = errors.New("store: conflicting change")

// Token is one token row. The token master key (TMK) appears only sealed.
type Token struct {
	ID            int64  // row id, stable
	SlotID        uint64 // PKCS#11 slot id, stable across restarts and re-initialisation
	Serial        string // 16 characters, kept across re-initialisation
	Initialized   bool
	UUID          []byte // 16 random bytes, new at each initialisation; binds sealed values
	Label         string
	Iterations    int    // PBKDF2 iterations for both PINs
	SOSalt        []byte // salt of the SO PIN KEK
	SOSealedTMK   []byte // TMK sealed under the SO PIN KEK
	UserSalt      []byte // nil until C_InitPIN
	UserSealedTMK []byte
	SOFails       int // consecutive wrong SO PINs
	UserFails     int // consecutive wrong user PINs
}

// Attr is one attribute to store. Secret attributes of a public object (key
// material) are sealed one by one; every attribute of a private object is
// sealed (as one value).
type Attr struct {
	Type   uint64
	Value  []byte
	Secret bool
	// Sealed is a Secret attribute's value still sealed: DecodeObject of a
	// public object without a Sealer returns it (with Value nil) and
	// EncodeObject writes it back as it is; OpenAttr opens it.
	Sealed []byte
}

// Object is one token object as the backend keeps it.
type Object struct {
	ID      uint64 // random, unique per database; chosen by the caller
	TokenID int64
	Private bool
	Version int64  // set by the backend; changes on every write of the row
	Blob    []byte // EncodeObject's output
	// TokenUUID, when set, makes PutObjects fail with ErrConflict unless
	// the token still has this UUID, i.e. was not re-initialised by another
	// process since the caller read it. Not stored; LoadObjects leaves it nil.
	TokenUUID []byte
}

// Store is a persistence backend. Every mutating method is one transaction,
// durable when it returns nil.
type Store interface {
	// Changed reports whether another connection or process committed since
	// the previous call (cheap: SQLite's PRAGMA data_version).
	Changed() (bool, error)

	Tokens() ([]Token, error)
	// InitFreeToken initialises the uninitialised token of slot t.SlotID
	// (which must still be uninitialised, else ErrConflict) with t's fields,
	// and adds a new uninitialised token on a new slot id, in one transaction.
	InitFreeToken(t Token) (Token, error)
	// ReinitToken replaces token t.ID's fields (keeping its slot id and
	// serial) and deletes all its objects, in one transaction.
	ReinitToken(t Token) error
	// UpdatePINs stores new salts/sealed TMKs/iterations for the token, and
	// sets its fail counters, in one transaction.
	UpdatePINs(t Token) error
	// SetFails sets the wrong-PIN counters of a token.
	SetFails(tokenID int64, soFails, userFails int) error
	// DeleteToken removes a token and all its objects; its slot id is not reused.
	DeleteToken(tokenID int64) error

	// ObjectVersions lists the ids and versions of a token's objects, so a
	// cache can reload only what changed.
	ObjectVersions(tokenID int64) (map[uint64]int64, error)
	// LoadObjects returns the given objects of a token (all when ids is nil).
	LoadObjects(tokenID int64, ids []uint64) ([]Object, error)
	// PutObjects inserts or replaces objects in one transaction (a key pair
	// is two) and returns their new versions in order.
	PutObjects(objs ...Object) ([]int64, error)
	// DeleteObject removes one object.
	DeleteObject(tokenID int64, id uint64) error

	// The audit trail (audit.go).
	AuditLog

	Close() error
}

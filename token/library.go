package token

import (
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"os"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/store"
	"github.com/kagi-hsm/kagi/token/ck"
)

// Config says where the library keeps its state and how it behaves.
type Config struct {
	// DBPath is the SQLite database; see ConfigFromEnv for the default.
	DBPath string
	// Iterations is the PBKDF2 iteration count for new PIN keys.
	Iterations int
	// MaxPINFailures locks a PIN after that many consecutive wrong tries.
	MaxPINFailures int
	// LogFile receives warnings and errors; empty means stderr.
	LogFile string
	// Store replaces the SQLite database (tests); DBPath is then unused.
	Store store.Store
}

// Library is one initialised instance of the module (C_Initialize to C_Finalize).
//
// Locking: mu guards the token, session and object tables and every object's
// attributes; each session's own mutex guards its operation state. A session
// mutex is never acquired while mu is held (except in logout, which takes mu
// only to collect sessions), so crypto runs in parallel on different sessions.
type Library struct {
	cfg  Config
	st   store.Store
	rng  *mech.DRBG
	log  *log.Logger
	logc io.Closer

	// selfTestErr is set when a power-up self-test failed; crypto calls then fail.
	selfTestErr error

	mu       sync.RWMutex
	tokens   map[int64]*tokenState // by store id
	slots    []*tokenState         // sorted by slot id
	sessions map[ck.SessionHandle]*session
	objects  map[ck.ObjectHandle]*object
}

// Handle counters are process-wide: PKCS#11 handles are never reused while
// the module is loaded, even across C_Finalize and C_Initialize.
var nextSession, nextObject atomic.Uint64

// publish gives a readable object a handle (a new one unless reuse is set)
// and enters it in the handle table. A locked object has no handle: the
// handles of private objects die at logout (section 5.6, C_Logout).
// Caller holds l.mu for writing.
func (l *Library) publish(o *object, reuse ck.ObjectHandle) {
	if o.attrs == nil {
		o.handle = 0
		return
	}
	o.handle = reuse
	if o.handle == 0 {
		o.handle = ck.ObjectHandle(nextObject.Add(1))
	}
	l.objects[o.handle] = o
}

// New opens the database and brings the library up (C_Initialize).
func New(cfg Config) (*Library, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	l := &Library{
		cfg:      cfg,
		tokens:   map[int64]*tokenState{},
		sessions: map[ck.SessionHandle]*session{},
		objects:  map[ck.ObjectHandle]*object{},
	}
	l.log = log.New(os.Stderr, "kagi: ", log.LstdFlags)
	if cfg.LogFile != "" {
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("%w: kagi: cannot open log file: %v", ck.CKR_GENERAL_ERROR, err)
		}
		l.log, l.logc = log.New(f, "kagi: ", log.LstdFlags), f
	}
	if err := mech.SelfTest(); err != nil {
		// Section 5.4 lets a module refuse crypto after a failed self-test;
		// administration (and showing the failure) keeps working.
		l.selfTestErr = err
		l.log.Printf("power-up self-test failed, cryptographic functions disabled: %v", err)
	}
	rng, err := mech.NewDRBG(rand.Reader)
	if err != nil {
		l.closeLog()
		return nil, fmt.Errorf("%w: kagi: cannot seed the DRBG: %v", ck.CKR_GENERAL_ERROR, err)
	}
	l.rng = rng
	l.st = cfg.Store
	if l.st == nil {
		db, err := store.OpenSQLite(cfg.DBPath)
		if err != nil {
			l.closeLog()
			return nil, fmt.Errorf("%w: %v", ck.CKR_DEVICE_ERROR, err)
		}
		l.st = db
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.st.Changed(); err != nil {
		l.st.Close()
		l.closeLog()
		return nil, l.deviceError("database", err)
	}
	if err := l.reloadTokens(); err != nil {
		l.st.Close()
		l.closeLog()
		return nil, err
	}
	return l, nil
}

// Finalize closes every session and the database (C_Finalize).
func (l *Library) Finalize() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, t := range l.tokens {
		t.logout()
	}
	l.sessions = map[ck.SessionHandle]*session{}
	l.objects = map[ck.ObjectHandle]*object{}
	err := l.st.Close()
	l.closeLog()
	if err != nil {
		return fmt.Errorf("%w: %v", ck.CKR_DEVICE_ERROR, err)
	}
	return nil
}

func (l *Library) closeLog() {
	if l.logc != nil {
		l.logc.Close()
	}
}

// deviceError logs a storage failure and turns it into CKR_DEVICE_ERROR.
// Store errors never carry key material, so logging them is safe.
func (l *Library) deviceError(what string, err error) error {
	l.log.Printf("%s: %v", what, err)
	return fmt.Errorf("%w: %s: %v", ck.CKR_DEVICE_ERROR, what, err)
}

// refresh brings the in-memory tables up to date with changes other
// processes committed. Caller holds l.mu for writing.
func (l *Library) refresh() error {
	changed, err := l.st.Changed()
	if err != nil {
		return l.deviceError("database", err)
	}
	if !changed {
		return nil
	}
	return l.reloadTokens()
}

// reloadTokens reads the token rows and, for every initialised token, the
// objects that changed. Caller holds l.mu for writing.
func (l *Library) reloadTokens() error {
	recs, err := l.st.Tokens()
	if err != nil {
		return l.deviceError("reading tokens", err)
	}
	seen := map[int64]bool{}
	for _, rec := range recs {
		seen[rec.ID] = true
		t := l.tokens[rec.ID]
		if t == nil {
			t = &tokenState{lib: l, objects: map[uint64]*object{}, login: notLoggedIn}
			l.tokens[rec.ID] = t
		} else if string(t.rec.UUID) != string(rec.UUID) {
			// Re-initialised by another process: everything of the old
			// incarnation is gone.
			l.dropTokenObjects(t)
			l.closeTokenSessions(t)
			t.logout()
		}
		t.rec = rec
		if rec.Initialized {
			if err := l.loadObjects(t); err != nil {
				return err
			}
		}
	}
	for id, t := range l.tokens {
		if !seen[id] {
			l.dropTokenObjects(t)
			l.closeTokenSessions(t)
			t.logout()
			delete(l.tokens, id)
		}
	}
	l.slots = l.slots[:0]
	for _, t := range l.tokens {
		l.slots = append(l.slots, t)
	}
	sort.Slice(l.slots, func(i, j int) bool { return l.slots[i].rec.SlotID < l.slots[j].rec.SlotID })
	return nil
}

// loadObjects syncs a token's object index with the database, reading only
// rows whose version changed. Caller holds l.mu for writing.
func (l *Library) loadObjects(t *tokenState) error {
	var recs []store.Object
	var err error
	if len(t.objects) == 0 {
		// First load: every row is new, so skip the version listing.
		recs, err = l.st.LoadObjects(t.rec.ID, nil)
	} else {
		recs, err = l.changedObjects(t)
	}
	if err != nil {
		return l.deviceError("reading objects", err)
	}
	if len(recs) != 0 {
		t.byLabel = nil
	}
	for _, rec := range recs {
		o, err := t.decode(rec)
		if err != nil {
			// A row that fails authentication is reported, never used.
			l.log.Printf("token %q: object %016x rejected: %v", t.rec.Label, rec.ID, err)
			if old := t.objects[rec.ID]; old != nil {
				l.forget(old)
			}
			continue
		}
		var reuse ck.ObjectHandle
		if old := t.objects[rec.ID]; old != nil {
			reuse = old.handle
			l.unlist(old)
			old.supersede()
		}
		t.objects[rec.ID] = o
		l.publish(o, reuse)
	}
	return nil
}

// changedObjects drops objects deleted in the database and returns the rows
// that are new or were rewritten. Caller holds l.mu for writing.
func (l *Library) changedObjects(t *tokenState) ([]store.Object, error) {
	versions, err := l.st.ObjectVersions(t.rec.ID)
	if err != nil {
		return nil, err
	}
	var stale []uint64
	for id, v := range versions {
		if o := t.objects[id]; o == nil || o.version != v {
			stale = append(stale, id)
		}
	}
	for id, o := range t.objects {
		if _, ok := versions[id]; !ok {
			l.forget(o)
			t.byLabel = nil
		}
	}
	if len(stale) == 0 {
		return nil, nil
	}
	if len(stale) == len(versions) {
		return l.st.LoadObjects(t.rec.ID, nil)
	}
	return l.st.LoadObjects(t.rec.ID, stale)
}

// forget removes an object from the in-memory tables and zeroes its key.
func (l *Library) forget(o *object) {
	l.unlist(o)
	o.dropKey()
}

// unlist removes an object from the in-memory tables.
func (l *Library) unlist(o *object) {
	if o.handle != 0 {
		delete(l.objects, o.handle)
	}
	if o.tok != nil {
		o.tok.byLabel = nil
	}
	if o.tok != nil && o.id != 0 {
		delete(o.tok.objects, o.id)
	}
}

func (l *Library) dropTokenObjects(t *tokenState) {
	for _, o := range t.objects {
		l.forget(o)
	}
}

// tokenBySlot finds the token of a slot. Caller holds l.mu.
func (l *Library) tokenBySlot(id ck.SlotID) (*tokenState, error) {
	for _, t := range l.slots {
		if ck.SlotID(t.rec.SlotID) == id {
			return t, nil
		}
	}
	return nil, ck.CKR_SLOT_ID_INVALID
}

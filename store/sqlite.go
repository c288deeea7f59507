package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// DefaultBusyTimeout is how long a call waits for another process's write
// transaction to finish before it fails with "locked by another process".
const DefaultBusyTimeout = 10 * time.Second

// Database layout. The schema version is PRAGMA user_version; migrations[i]
// brings a database from version i to i+1, so a later build appends to the
// list and never edits an entry that shipped. A build refuses a database
// newer than it knows, but a process that is already running keeps using
// its prepared statements after another process migrated, so a migration
// should only add (tables, columns with defaults, indexes).
//
// Slot ids come from meta.next_slot_id and are never reused, even after
// DeleteToken: the first (free) token of a fresh database gets slot 0, the
// next free token slot 1, and so on, so ids stay small and stable. Token row
// ids are AUTOINCREMENT for the same reason. Object versions come from
// meta.object_version, one database-wide counter bumped on every object
// write, so a version is never seen twice for one object id even when the
// object is deleted and written again.
var migrations = []string{
	// 1: tokens, objects, meta.
	`CREATE TABLE meta (
		key   TEXT PRIMARY KEY,
		value INTEGER NOT NULL
	) WITHOUT ROWID, STRICT;
	INSERT INTO meta (key, value) VALUES ('next_slot_id', 0), ('object_version', 0);

	CREATE TABLE tokens (
		id              INTEGER PRIMARY KEY AUTOINCREMENT,
		slot_id         INTEGER NOT NULL UNIQUE CHECK (slot_id >= 0),
		serial          TEXT    NOT NULL UNIQUE,
		initialized     INTEGER NOT NULL DEFAULT 0 CHECK (initialized IN (0, 1)),
		uuid            BLOB,
		label           TEXT    NOT NULL DEFAULT '',
		iterations      INTEGER NOT NULL DEFAULT 0,
		so_salt         BLOB,
		so_sealed_tmk   BLOB,
		user_salt       BLOB,
		user_sealed_tmk BLOB,
		so_fails        INTEGER NOT NULL DEFAULT 0,
		user_fails      INTEGER NOT NULL DEFAULT 0,
		CHECK (initialized = 0 OR (uuid IS NOT NULL AND so_sealed_tmk IS NOT NULL))
	) STRICT;

	CREATE TABLE objects (
		id       INTEGER PRIMARY KEY,
		token_id INTEGER NOT NULL REFERENCES tokens (id) ON DELETE CASCADE,
		private  INTEGER NOT NULL CHECK (private IN (0, 1)),
		version  INTEGER NOT NULL,
		blob     BLOB    NOT NULL
	) STRICT;
	CREATE INDEX objects_token ON objects (token_id);`,

	// 2: the audit trail (audit.go). Rows are never updated or deleted, so
	// the triggers refuse both; a token's chain outlives its
	// re-initialisation and deletion (no foreign key). audit_heads holds
	// each chain's last sequence number and hash, written in the same
	// transaction as the records: cutting records off the end of a chain
	// then also needs the head moved back, which its trigger refuses.
	`CREATE TABLE audit (
		token_id      INTEGER NOT NULL,
		seq           INTEGER NOT NULL CHECK (seq >= 1),
		time_ns       INTEGER NOT NULL,
		principal     TEXT    NOT NULL,
		access_key_id TEXT    NOT NULL,
		operation     TEXT    NOT NULL,
		resource      TEXT    NOT NULL,
		context       TEXT    NOT NULL,
		request_id    TEXT    NOT NULL,
		outcome       TEXT    NOT NULL,
		region        TEXT    NOT NULL,
		account       TEXT    NOT NULL,
		prev_hash     BLOB    NOT NULL,
		hash          BLOB    NOT NULL,
		PRIMARY KEY (token_id, seq)
	) WITHOUT ROWID, STRICT;
	CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
		BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
	CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
		BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;

	CREATE TABLE audit_heads (
		token_id INTEGER PRIMARY KEY,
		seq      INTEGER NOT NULL,
		hash     BLOB    NOT NULL
	) STRICT;
	CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_heads
		WHEN NEW.token_id != OLD.token_id OR NEW.seq <= OLD.seq
		BEGIN SELECT RAISE(ABORT, 'an audit chain head only moves forward'); END;
	CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_heads
		BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;`,
}

// SQLite is the Store backed by one SQLite database file, shared safely by
// several processes. It uses a single connection, so PRAGMA data_version
// changes only when another connection (or process) commits.
type SQLite struct {
	path string

	mu          sync.Mutex // guards everything below and the connection
	db          *sql.DB
	conn        *sql.Conn
	st          statements
	dataVersion int64
	closed      bool
}

var _ Store = (*SQLite)(nil)

// statements are prepared once on the connection; stmtSQL lists their SQL.
type statements struct {
	dataVersion, begin, beginImmediate, commit, rollback *sql.Stmt

	tokens, tokenByID, tokenBySlot, countFree, nextSlot, insertToken *sql.Stmt
	initFree, reinit, updatePINs, setFails, deleteToken              *sql.Stmt

	bumpVersion, upsertObject, objectVersions, loadAll, loadOne *sql.Stmt
	deleteObject, deleteTokenObjects                            *sql.Stmt

	auditHead, auditSetHead, auditInsert, auditRange *sql.Stmt
}

const tokenColumns = `id, slot_id, serial, initialized, uuid, label, iterations,
	so_salt, so_sealed_tmk, user_salt, user_sealed_tmk, so_fails, user_fails`

func (st *statements) sql() []struct {
	stmt **sql.Stmt
	sql  string
} {
	return []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&st.dataVersion, `PRAGMA data_version`},
		{&st.begin, `BEGIN`},
		{&st.beginImmediate, `BEGIN IMMEDIATE`},
		{&st.commit, `COMMIT`},
		{&st.rollback, `ROLLBACK`},

		{&st.tokens, `SELECT ` + tokenColumns + ` FROM tokens ORDER BY slot_id`},
		{&st.tokenByID, `SELECT ` + tokenColumns + ` FROM tokens WHERE id = ?`},
		{&st.tokenBySlot, `SELECT ` + tokenColumns + ` FROM tokens WHERE slot_id = ?`},
		{&st.countFree, `SELECT count(*) FROM tokens WHERE initialized = 0`},
		{&st.nextSlot, `UPDATE meta SET value = value + 1 WHERE key = 'next_slot_id' RETURNING value - 1`},
		{&st.insertToken, `INSERT INTO tokens (slot_id, serial) VALUES (?, ?)`},
		{&st.initFree, `UPDATE tokens SET initialized = 1, uuid = ?, label = ?, iterations = ?,
			so_salt = ?, so_sealed_tmk = ?, user_salt = ?, user_sealed_tmk = ?, so_fails = ?, user_fails = ?
			WHERE id = ? AND initialized = 0`},
		{&st.reinit, `UPDATE tokens SET uuid = ?, label = ?, iterations = ?,
			so_salt = ?, so_sealed_tmk = ?, user_salt = ?, user_sealed_tmk = ?, so_fails = ?, user_fails = ?
			WHERE id = ? AND initialized = 1`},
		{&st.updatePINs, `UPDATE tokens SET iterations = ?,
			so_salt = ?, so_sealed_tmk = ?, user_salt = ?, user_sealed_tmk = ?, so_fails = ?, user_fails = ?
			WHERE id = ? AND initialized = 1 AND uuid = ?`},
		{&st.setFails, `UPDATE tokens SET so_fails = ?, user_fails = ? WHERE id = ?`},
		{&st.deleteToken, `DELETE FROM tokens WHERE id = ? AND initialized = 1`},

		{&st.bumpVersion, `UPDATE meta SET value = value + 1 WHERE key = 'object_version' RETURNING value`},
		{&st.upsertObject, `INSERT INTO objects (id, token_id, private, version, blob) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET private = excluded.private, version = excluded.version, blob = excluded.blob
			WHERE objects.token_id = excluded.token_id`},
		{&st.objectVersions, `SELECT id, version FROM objects WHERE token_id = ?`},
		{&st.loadAll, `SELECT id, private, version, blob FROM objects WHERE token_id = ? ORDER BY id`},
		{&st.loadOne, `SELECT private, version, blob FROM objects WHERE id = ? AND token_id = ?`},
		{&st.deleteObject, `DELETE FROM objects WHERE id = ? AND token_id = ?`},
		{&st.deleteTokenObjects, `DELETE FROM objects WHERE token_id = ?`},

		{&st.auditHead, `SELECT seq, hash FROM audit_heads WHERE token_id = ?`},
		{&st.auditSetHead, `INSERT INTO audit_heads (token_id, seq, hash) VALUES (?, ?, ?)
			ON CONFLICT (token_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`},
		{&st.auditInsert, `INSERT INTO audit (` + auditColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`},
		{&st.auditRange, `SELECT ` + auditColumns + ` FROM audit WHERE token_id = ? AND seq >= ? ORDER BY seq LIMIT ?`},
	}
}

// DefaultPath is the database path when none is configured:
// $XDG_DATA_HOME/kagi/kagi.db, else $HOME/.local/share/kagi/kagi.db. getenv
// is os.Getenv, or the C library's getenv inside the c-shared module.
func DefaultPath(getenv func(string) string) string {
	if d := getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		// The XDG Base Directory spec says relative values are invalid
		// and must be ignored.
		return filepath.Join(d, "kagi", "kagi.db")
	}
	home := getenv("HOME")
	if home == "" {
		home = "."
	}
	return filepath.Join(home, ".local", "share", "kagi", "kagi.db")
}

// OpenSQLite opens (creating if needed) the database at path: its directory
// is created 0700 and the file 0600, the schema is brought up to date, and a
// fresh database gets its first, uninitialised token on slot 0.
func OpenSQLite(path string) (*SQLite, error) {
	return openSQLite(path, DefaultBusyTimeout)
}

func openSQLite(path string, busy time.Duration) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("kagi: no database path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("kagi: database %s: %v", path, err)
	}
	s := &SQLite{path: abs}
	if err := s.createFile(); err != nil {
		return nil, err
	}
	// A file: URI, so that '?' or '#' in the path is a file name character
	// and not the start of driver parameters; SQLite decodes the escapes.
	dsn := (&url.URL{Scheme: "file", Path: abs}).String()
	s.db, err = sql.Open("sqlite", dsn)
	if err != nil {
		return nil, s.wrap("opening", err)
	}
	// One connection, kept for the life of the SQLite: data_version is per
	// connection, and the mutex serialises its use.
	s.db.SetMaxOpenConns(1)
	s.db.SetMaxIdleConns(1)
	s.db.SetConnMaxLifetime(0)
	s.db.SetConnMaxIdleTime(0)
	if err := s.open(busy); err != nil {
		s.closeAll()
		return nil, err
	}
	return s, nil
}

// createFile creates the directory (0700) and an empty database file (0600)
// if they are missing: SQLite would create the file with 0644 less umask,
// and gives its -wal and -shm files the database file's mode.
//
// An existing database file is never opened here: SQLite's locks are POSIX
// record locks, which the kernel drops when the process closes ANY
// descriptor of the file, and another connection of this process (a second
// OpenSQLite) holds a shared lock on the database file for as long as it is
// open in WAL mode. A file that did not exist holds no locks, so creating
// one with O_EXCL and closing it is safe.
func (s *SQLite) createFile() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return s.osError(err)
	}
	// SQLite creates and deletes the -wal and -shm files beside the
	// database, so the directory must be writable too.
	if err := syscall.Access(filepath.Dir(s.path), 0x2|0x1); err != nil { // W_OK|X_OK
		return fmt.Errorf("kagi: database %s cannot be opened: its directory is not writable (SQLite keeps -wal and -shm files beside it): %w", s.path, err)
	}
	fi, err := os.Stat(s.path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("kagi: database %s cannot be opened: it is a directory", s.path)
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("kagi: database %s cannot be opened: it is not a regular file", s.path)
	case err == nil:
		// SQLite would quietly open an unwritable file read-only.
		if err := syscall.Access(s.path, 0x2|0x4); err != nil { // W_OK|R_OK
			return s.osError(&fs.PathError{Op: "access", Path: s.path, Err: err})
		}
		return nil
	case !errors.Is(err, fs.ErrNotExist):
		return s.osError(err)
	}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil // another process created it meanwhile
	}
	if err != nil {
		return s.osError(err)
	}
	if err := f.Close(); err != nil {
		return s.osError(err)
	}
	// Make the new directory entry durable, as SQLite does for the files
	// it creates: otherwise a power loss could take the database with it.
	if d, err := os.Open(filepath.Dir(s.path)); err == nil {
		d.Sync() //nolint:errcheck // best effort; some file systems refuse fsync on directories
		d.Close()
	}
	return nil
}

func (s *SQLite) osError(err error) error {
	var reason string
	switch {
	case errors.Is(err, fs.ErrPermission):
		reason = "permission denied"
	case errors.Is(err, syscall.ENOTDIR):
		reason = "a parent is not a directory"
	case errors.Is(err, syscall.EISDIR):
		reason = "it is a directory"
	case errors.Is(err, syscall.EROFS):
		reason = "read-only file system"
	case errors.Is(err, syscall.ENOSPC):
		reason = "no space left on device"
	default:
		return fmt.Errorf("kagi: database %s cannot be opened: %w", s.path, err)
	}
	return fmt.Errorf("kagi: database %s cannot be opened: %s: %w", s.path, reason, err)
}

func (s *SQLite) open(busy time.Duration) error {
	ctx := context.Background()
	var err error
	s.conn, err = s.db.Conn(ctx)
	if err != nil {
		return s.wrap("opening", err)
	}
	pragmas := []string{
		// First, so that everything after waits for other processes.
		fmt.Sprintf("PRAGMA busy_timeout = %d", busy.Milliseconds()),
		// Every commit is synced (in WAL mode NORMAL would lose the last
		// commits on power loss): durable when a mutation returns.
		"PRAGMA synchronous = FULL",
		"PRAGMA foreign_keys = ON",
		// Nothing in a database file may call functions with side effects
		// (a file from elsewhere is not trusted).
		"PRAGMA trusted_schema = OFF",
	}
	for _, p := range pragmas {
		if _, err := s.conn.ExecContext(ctx, p); err != nil {
			return s.wrap("opening", err)
		}
	}
	// WAL lets readers work while one process writes; the mode is kept in
	// the file. (A file that is not a database already failed above, at
	// the first PRAGMA that reads its header.)
	var mode string
	if err := s.conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return s.wrap("opening", err)
	}
	if mode != "wal" {
		return fmt.Errorf("kagi: database %s cannot use write-ahead logging (journal mode is %q)", s.path, mode)
	}
	if err := s.migrate(ctx); err != nil {
		return err
	}
	for _, p := range s.st.sql() {
		if *p.stmt, err = s.conn.PrepareContext(ctx, p.sql); err != nil {
			return s.wrap("preparing statements", err)
		}
	}
	// A fresh database gets its first free token (slot 0) here; the write
	// lock is taken only if there is none, and ensureFreeToken looks again
	// under it, so processes opening a fresh file together add one.
	var free int
	if err := s.st.countFree.QueryRow().Scan(&free); err != nil {
		return s.wrap("reading tokens", err)
	}
	if free == 0 {
		if err := s.write("adding a free token", s.ensureFreeToken); err != nil {
			return err
		}
	}
	if err := s.st.dataVersion.QueryRow().Scan(&s.dataVersion); err != nil {
		return s.wrap("reading data version", err)
	}
	return nil
}

// migrate brings the schema to the newest version. It takes the write lock
// only when there is something to do, so opening an up-to-date database
// writes nothing.
func (s *SQLite) migrate(ctx context.Context) error {
	version, err := s.userVersion(ctx)
	if err != nil {
		return err
	}
	if version > len(migrations) {
		return s.tooNew(version)
	}
	if version == len(migrations) {
		return nil
	}
	if _, err := s.conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return s.wrap("upgrading the schema", err)
	}
	err = func() error {
		// Another process may have migrated while we waited for the lock.
		version, err := s.userVersion(ctx)
		if err != nil {
			return err
		}
		if version > len(migrations) {
			return s.tooNew(version)
		}
		for v := version; v < len(migrations); v++ {
			if _, err := s.conn.ExecContext(ctx, migrations[v]); err != nil {
				return s.wrap(fmt.Sprintf("upgrading the schema to version %d", v+1), err)
			}
			// PRAGMA takes no parameters; v is an int.
			if _, err := s.conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
				return s.wrap("upgrading the schema", err)
			}
		}
		return nil
	}()
	if err != nil {
		s.conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck // the error that matters is err
		return err
	}
	if _, err := s.conn.ExecContext(ctx, "COMMIT"); err != nil {
		s.conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck
		return s.wrap("upgrading the schema", err)
	}
	return nil
}

func (s *SQLite) tooNew(version int) error {
	return fmt.Errorf("kagi: database %s has schema version %d, newer than this kagi knows (%d); upgrade kagi", s.path, version, len(migrations))
}

func (s *SQLite) userVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, s.wrap("reading the schema version", err)
	}
	return v, nil
}

// ensureFreeToken adds an uninitialised token on the next slot id unless
// one exists. Caller is in a write transaction.
func (s *SQLite) ensureFreeToken() error {
	var free int
	if err := s.st.countFree.QueryRow().Scan(&free); err != nil {
		return err
	}
	if free > 0 {
		return nil
	}
	var slot int64
	if err := s.st.nextSlot.QueryRow().Scan(&slot); err != nil {
		return err
	}
	// Like SoftHSMv2, a random 16-hex-digit serial number (CK_TOKEN_INFO
	// serialNumber is 16 characters).
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("kagi: cannot draw a token serial number: %w", err)
	}
	_, err := s.st.insertToken.Exec(slot, hex.EncodeToString(b[:]))
	return err
}

// Close closes the database. Later calls fail.
func (s *SQLite) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.closeAll()
}

func (s *SQLite) closeAll() error {
	for _, p := range s.st.sql() {
		if *p.stmt != nil {
			(*p.stmt).Close()
			*p.stmt = nil
		}
	}
	var err error
	if s.conn != nil {
		err = s.conn.Close()
		s.conn = nil
	}
	if s.db != nil {
		if e := s.db.Close(); err == nil {
			err = e
		}
		s.db = nil
	}
	if err != nil {
		return s.wrap("closing", err)
	}
	return nil
}

var errClosed = errors.New("store: database is closed")

// Changed reports whether another connection or process committed since the
// previous call (or since OpenSQLite). This connection's own commits do not
// count. It costs one PRAGMA data_version on a prepared statement.
func (s *SQLite) Changed() (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false, errClosed
	}
	var v int64
	if err := s.st.dataVersion.QueryRow().Scan(&v); err != nil {
		return false, s.wrap("checking for changes", err)
	}
	changed := v != s.dataVersion
	s.dataVersion = v
	return changed, nil
}

// read runs fn in a read transaction (one consistent snapshot).
func (s *SQLite) read(op string, fn func() error) error {
	return s.tx(op, s.st.begin, fn)
}

// write runs fn in a write transaction: BEGIN IMMEDIATE takes the write
// lock at once (waiting up to the busy timeout for other processes), so a
// transaction never fails half-way on a lock upgrade. With synchronous=FULL
// the change is durable when COMMIT returns.
func (s *SQLite) write(op string, fn func() error) error {
	return s.tx(op, s.st.beginImmediate, fn)
}

func (s *SQLite) tx(op string, begin *sql.Stmt, fn func() error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	if _, err := begin.Exec(); err != nil {
		return s.wrap(op, err)
	}
	if err := fn(); err != nil {
		s.st.rollback.Exec() //nolint:errcheck // the error that matters is err
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) {
			return err
		}
		return s.wrap(op, err)
	}
	if _, err := s.st.commit.Exec(); err != nil {
		s.st.rollback.Exec() //nolint:errcheck
		return s.wrap(op, err)
	}
	return nil
}

// Tokens lists all tokens by slot id.
func (s *SQLite) Tokens() ([]Token, error) {
	var out []Token
	err := s.read("reading tokens", func() error {
		rows, err := s.st.tokens.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanToken(rows)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	return out, err
}

type scanner interface{ Scan(...any) error }

func scanToken(r scanner) (Token, error) {
	var t Token
	var slot int64
	if err := r.Scan(&t.ID, &slot, &t.Serial, &t.Initialized, &t.UUID, &t.Label, &t.Iterations,
		&t.SOSalt, &t.SOSealedTMK, &t.UserSalt, &t.UserSealedTMK, &t.SOFails, &t.UserFails); err != nil {
		return Token{}, err
	}
	t.SlotID = uint64(slot)
	for _, b := range []*[]byte{&t.UUID, &t.SOSalt, &t.SOSealedTMK, &t.UserSalt, &t.UserSealedTMK} {
		if len(*b) == 0 {
			*b = nil
		}
	}
	return t, nil
}

// blob binds an empty value as NULL, so that nil (for example no user PIN
// yet) reads back as nil.
func blob(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func checkInitToken(t Token) error {
	if len(t.UUID) == 0 || len(t.SOSealedTMK) == 0 {
		return errors.New("store: an initialised token needs a uuid and an SO-sealed token master key")
	}
	return nil
}

// InitFreeToken initialises the free token of slot t.SlotID with t's fields
// (its row id and serial are kept) and adds the next free token, in one
// transaction. If that slot has no uninitialised token (another process
// initialised it first, or it does not exist) it returns ErrConflict.
func (s *SQLite) InitFreeToken(t Token) (Token, error) {
	if err := checkInitToken(t); err != nil {
		return Token{}, err
	}
	var out Token
	err := s.write("initialising a token", func() error {
		cur, err := scanToken(s.st.tokenBySlot.QueryRow(int64(t.SlotID)))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		if cur.Initialized {
			return ErrConflict
		}
		res, err := s.st.initFree.Exec(t.UUID, t.Label, t.Iterations,
			blob(t.SOSalt), blob(t.SOSealedTMK), blob(t.UserSalt), blob(t.UserSealedTMK), t.SOFails, t.UserFails, cur.ID)
		if err := oneRow(res, err, ErrConflict); err != nil {
			return err
		}
		if err := s.ensureFreeToken(); err != nil {
			return err
		}
		out, err = scanToken(s.st.tokenByID.QueryRow(cur.ID))
		return err
	})
	return out, err
}

// oneRow turns an UPDATE or DELETE result into none when exactly one row
// changed, and into none0 when no row did.
func oneRow(res sql.Result, err, none0 error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return none0
	}
	return nil
}

// tokenState reports whether the token exists and is initialised.
func (s *SQLite) tokenState(id int64) (Token, error) {
	t, err := scanToken(s.st.tokenByID.QueryRow(id))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, ErrNotFound
	}
	return t, err
}

// ReinitToken replaces token t.ID's fields, keeping its slot id and serial,
// and deletes all its objects, in one transaction. ErrNotFound if the token
// does not exist, ErrConflict if it is the free (uninitialised) token.
func (s *SQLite) ReinitToken(t Token) error {
	if err := checkInitToken(t); err != nil {
		return err
	}
	return s.write("re-initialising a token", func() error {
		cur, err := s.tokenState(t.ID)
		if err != nil {
			return err
		}
		if !cur.Initialized {
			return ErrConflict
		}
		res, err := s.st.reinit.Exec(t.UUID, t.Label, t.Iterations,
			blob(t.SOSalt), blob(t.SOSealedTMK), blob(t.UserSalt), blob(t.UserSealedTMK), t.SOFails, t.UserFails, t.ID)
		if err := oneRow(res, err, ErrConflict); err != nil {
			return err
		}
		_, err = s.st.deleteTokenObjects.Exec(t.ID)
		return err
	})
}

// UpdatePINs stores t's iterations, salts, sealed TMKs and fail counters.
// It returns ErrConflict unless the token still has t.UUID (it was not
// re-initialised meanwhile: the sealed TMKs belong to that initialisation),
// and ErrNotFound if the token is gone.
func (s *SQLite) UpdatePINs(t Token) error {
	if err := checkInitToken(t); err != nil {
		return err
	}
	return s.write("changing a PIN", func() error {
		if _, err := s.tokenState(t.ID); err != nil {
			return err
		}
		res, err := s.st.updatePINs.Exec(t.Iterations,
			blob(t.SOSalt), blob(t.SOSealedTMK), blob(t.UserSalt), blob(t.UserSealedTMK), t.SOFails, t.UserFails, t.ID, t.UUID)
		return oneRow(res, err, ErrConflict)
	})
}

// SetFails sets the wrong-PIN counters of a token (ErrNotFound if it is gone).
func (s *SQLite) SetFails(tokenID int64, soFails, userFails int) error {
	return s.write("counting PIN failures", func() error {
		res, err := s.st.setFails.Exec(soFails, userFails, tokenID)
		return oneRow(res, err, ErrNotFound)
	})
}

// DeleteToken removes an initialised token and its objects. The free token
// cannot be deleted (ErrConflict); a missing one gives ErrNotFound. Its slot
// id is never given out again.
func (s *SQLite) DeleteToken(tokenID int64) error {
	return s.write("deleting a token", func() error {
		cur, err := s.tokenState(tokenID)
		if err != nil {
			return err
		}
		if !cur.Initialized {
			return ErrConflict
		}
		res, err := s.st.deleteToken.Exec(tokenID)
		if err := oneRow(res, err, ErrNotFound); err != nil {
			return err
		}
		return s.ensureFreeToken()
	})
}

// ObjectVersions lists a token's object ids and versions (ErrNotFound if
// the token is gone).
func (s *SQLite) ObjectVersions(tokenID int64) (map[uint64]int64, error) {
	var out map[uint64]int64
	err := s.read("reading objects", func() error {
		if _, err := s.tokenState(tokenID); err != nil {
			return err
		}
		rows, err := s.st.objectVersions.Query(tokenID)
		if err != nil {
			return err
		}
		defer rows.Close()
		out = map[uint64]int64{}
		for rows.Next() {
			var id, v int64
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			out[uint64(id)] = v
		}
		return rows.Err()
	})
	return out, err
}

// LoadObjects returns a token's objects with the given ids, in that order,
// or all of them by id when ids is nil. Ids that do not exist (deleted
// meanwhile) are left out; ObjectVersions tells the caller what exists.
// ErrNotFound if the token is gone.
func (s *SQLite) LoadObjects(tokenID int64, ids []uint64) ([]Object, error) {
	var out []Object
	err := s.read("reading objects", func() error {
		if _, err := s.tokenState(tokenID); err != nil {
			return err
		}
		if ids != nil {
			out = make([]Object, 0, len(ids))
			for _, id := range ids {
				o := Object{ID: id, TokenID: tokenID}
				err := s.st.loadOne.QueryRow(int64(id), tokenID).Scan(&o.Private, &o.Version, &o.Blob)
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				if err != nil {
					return err
				}
				out = append(out, o)
			}
			return nil
		}
		rows, err := s.st.loadAll.Query(tokenID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			o := Object{TokenID: tokenID}
			var id int64
			if err := rows.Scan(&id, &o.Private, &o.Version, &o.Blob); err != nil {
				return err
			}
			o.ID = uint64(id)
			out = append(out, o)
		}
		return rows.Err()
	})
	return out, err
}

// PutObjects inserts or replaces objects in one transaction and returns
// their new versions in order: all are written or none. The token must
// exist and be initialised (else ErrNotFound); an id that belongs to
// another token, or a token that no longer has o.TokenUUID, gives
// ErrConflict.
func (s *SQLite) PutObjects(objs ...Object) ([]int64, error) {
	if len(objs) == 0 {
		return nil, nil
	}
	versions := make([]int64, len(objs))
	err := s.write("writing objects", func() error {
		tokens := map[int64]Token{}
		for i, o := range objs {
			t, ok := tokens[o.TokenID]
			if !ok {
				var err error
				if t, err = s.tokenState(o.TokenID); err != nil {
					return err
				}
				tokens[o.TokenID] = t
			}
			if !t.Initialized {
				return ErrNotFound
			}
			if o.TokenUUID != nil && string(o.TokenUUID) != string(t.UUID) {
				return ErrConflict
			}
			if err := s.st.bumpVersion.QueryRow().Scan(&versions[i]); err != nil {
				return err
			}
			b := o.Blob
			if b == nil {
				b = []byte{}
			}
			res, err := s.st.upsertObject.Exec(int64(o.ID), o.TokenID, o.Private, versions[i], b)
			if err := oneRow(res, err, ErrConflict); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return versions, nil
}

// DeleteObject removes one object of a token (ErrNotFound if it is not there).
func (s *SQLite) DeleteObject(tokenID int64, id uint64) error {
	return s.write("deleting an object", func() error {
		res, err := s.st.deleteObject.Exec(int64(id), tokenID)
		return oneRow(res, err, ErrNotFound)
	})
}

// dbError says, for a person, which database file failed, how and during
// what. It wraps the driver's error (never key material: SQLite messages
// carry no bound values).
type dbError struct {
	path, op, what string
	err            error
}

func (e *dbError) Error() string {
	return fmt.Sprintf("kagi: database %s %s (%s: %v)", e.path, e.what, e.op, e.err)
}

func (e *dbError) Unwrap() error { return e.err }

// sqliteWhat describes SQLite's primary result codes for a person.
var sqliteWhat = map[int]string{
	sqlite3.SQLITE_NOTADB:   "is not a SQLite database",
	sqlite3.SQLITE_CORRUPT:  "is corrupt",
	sqlite3.SQLITE_BUSY:     "is locked by another process",
	sqlite3.SQLITE_LOCKED:   "is locked by another process",
	sqlite3.SQLITE_CANTOPEN: "cannot be opened",
	sqlite3.SQLITE_PERM:     "cannot be opened: permission denied",
	sqlite3.SQLITE_AUTH:     "cannot be opened: permission denied",
	sqlite3.SQLITE_READONLY: "is read-only",
	sqlite3.SQLITE_FULL:     "cannot grow: disk full",
	sqlite3.SQLITE_IOERR:    "had an I/O error",
	sqlite3.SQLITE_PROTOCOL: "is locked by another process",
}

// wrap describes err, which happened while doing op; errors already
// described pass through.
func (s *SQLite) wrap(op string, err error) error {
	var de *dbError
	if errors.As(err, &de) {
		return err
	}
	what := "failed"
	var se *sqlite.Error
	if errors.As(err, &se) {
		if w, ok := sqliteWhat[se.Code()&0xff]; ok {
			what = w
		}
	} else if errors.Is(err, fs.ErrPermission) {
		what = "cannot be opened: permission denied"
	}
	return &dbError{path: s.path, op: op, what: what, err: err}
}

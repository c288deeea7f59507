package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func openTest(t testing.TB, path string) *SQLite {
	t.Helper()
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newTestDB(t testing.TB) (*SQLite, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kagi.db")
	return openTest(t, path), path
}

func randBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// freeToken returns the one uninitialised token, failing unless there is
// exactly one.
func freeToken(t testing.TB, s *SQLite) Token {
	t.Helper()
	toks, err := s.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	var free []Token
	for _, tok := range toks {
		if !tok.Initialized {
			free = append(free, tok)
		}
	}
	if len(free) != 1 {
		t.Fatalf("%d free tokens, want 1: %+v", len(free), toks)
	}
	return free[0]
}

// tokenFields fills the fields C_InitToken sets.
func tokenFields(t testing.TB, tok Token, label string) Token {
	tok.UUID = randBytes(t, 16)
	tok.Label = label
	tok.Iterations = 1000
	tok.SOSalt = randBytes(t, 16)
	tok.SOSealedTMK = randBytes(t, 32+Overhead)
	tok.UserSalt, tok.UserSealedTMK = nil, nil
	tok.SOFails, tok.UserFails = 0, 0
	return tok
}

func initToken(t testing.TB, s *SQLite, label string) Token {
	t.Helper()
	tok, err := s.InitFreeToken(tokenFields(t, freeToken(t, s), label))
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func slotIDs(t *testing.T, s *SQLite) (initialized []uint64, free uint64) {
	t.Helper()
	toks, err := s.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.Initialized {
			initialized = append(initialized, tok.SlotID)
		} else {
			free = tok.SlotID
		}
	}
	freeToken(t, s)
	return initialized, free
}

func TestFreshDatabase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "kagi")
	path := filepath.Join(dir, "kagi.db")
	s := openTest(t, path)
	free := freeToken(t, s)
	if free.SlotID != 0 || free.Initialized || free.UUID != nil || free.SOSealedTMK != nil || free.UserSealedTMK != nil {
		t.Fatalf("fresh token = %+v", free)
	}
	if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(free.Serial) {
		t.Fatalf("serial %q is not 16 hex digits", free.Serial)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, %v; want 0700", fi.Mode(), err)
	}
	// Writing creates the -wal and -shm files; they must be as private as
	// the database.
	initToken(t, s, "t")
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(f)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", f, fi.Mode(), err)
		}
	}
	var mode string
	var fk, sync, version int
	ctx := context.Background()
	s.conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
	s.conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk)
	s.conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
	s.conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	if mode != "wal" || fk != 1 || sync != 2 || version != len(migrations) {
		t.Fatalf("journal_mode %q, foreign_keys %d, synchronous %d, user_version %d", mode, fk, sync, version)
	}
}

func TestDefaultPath(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if got := DefaultPath(os.Getenv); got != "/xdg/kagi/kagi.db" {
		t.Errorf("with XDG_DATA_HOME: %q", got)
	}
	t.Setenv("XDG_DATA_HOME", "")
	t.Setenv("HOME", "/home/u")
	if got := DefaultPath(os.Getenv); got != "/home/u/.local/share/kagi/kagi.db" {
		t.Errorf("without XDG_DATA_HOME: %q", got)
	}
	t.Setenv("XDG_DATA_HOME", "relative")
	if got := DefaultPath(os.Getenv); got != "/home/u/.local/share/kagi/kagi.db" {
		t.Errorf("with a relative XDG_DATA_HOME: %q", got)
	}
}

func TestTokenLifecycle(t *testing.T) {
	s, path := newTestDB(t)
	free := freeToken(t, s)

	want := tokenFields(t, free, "first")
	t0, err := s.InitFreeToken(want)
	if err != nil {
		t.Fatal(err)
	}
	want.Initialized = true
	if !equalToken(t0, want) {
		t.Fatalf("InitFreeToken = %+v\nwant %+v", t0, want)
	}
	if ids, next := slotIDs(t, s); !slices.Equal(ids, []uint64{0}) || next != 1 {
		t.Fatalf("after the first init: slots %v, free %d", ids, next)
	}
	if _, err := s.InitFreeToken(tokenFields(t, free, "again")); err != ErrConflict {
		t.Fatalf("InitFreeToken of an initialised slot: %v, want ErrConflict", err)
	}
	if _, err := s.InitFreeToken(tokenFields(t, Token{SlotID: 99}, "x")); err != ErrConflict {
		t.Fatalf("InitFreeToken of a missing slot: %v, want ErrConflict", err)
	}
	if _, err := s.InitFreeToken(Token{SlotID: 1}); err == nil {
		t.Fatal("InitFreeToken without a sealed TMK succeeded")
	}

	// Objects, then re-initialisation: slot id and serial stay, objects go.
	if _, err := s.PutObjects(Object{ID: 1, TokenID: t0.ID, Blob: []byte("a")}, Object{ID: 2, TokenID: t0.ID, Blob: []byte("b")}); err != nil {
		t.Fatal(err)
	}
	re := tokenFields(t, t0, "second")
	re.UserSalt, re.UserSealedTMK = randBytes(t, 16), randBytes(t, 60)
	re.Serial, re.SlotID = "ignored", 42 // kept from the row
	if err := s.ReinitToken(re); err != nil {
		t.Fatal(err)
	}
	got := tokenByID(t, s, t0.ID)
	re.Serial, re.SlotID = t0.Serial, t0.SlotID
	if !equalToken(got, re) {
		t.Fatalf("after ReinitToken: %+v\nwant %+v", got, re)
	}
	if v, err := s.ObjectVersions(t0.ID); err != nil || len(v) != 0 {
		t.Fatalf("objects after ReinitToken: %v, %v", v, err)
	}
	if err := s.ReinitToken(tokenFields(t, freeToken(t, s), "x")); err != ErrConflict {
		t.Fatalf("ReinitToken of the free token: %v, want ErrConflict", err)
	}
	if err := s.ReinitToken(tokenFields(t, Token{ID: 999}, "x")); err != ErrNotFound {
		t.Fatalf("ReinitToken of a missing token: %v, want ErrNotFound", err)
	}

	// PINs and fail counters.
	pins := got
	pins.Iterations = 5000
	pins.SOSalt, pins.SOSealedTMK = randBytes(t, 16), randBytes(t, 60)
	pins.UserSalt, pins.UserSealedTMK = randBytes(t, 16), randBytes(t, 60)
	pins.SOFails, pins.UserFails = 1, 2
	stale := pins
	stale.UUID = randBytes(t, 16)
	if err := s.UpdatePINs(stale); err != ErrConflict {
		t.Fatalf("UpdatePINs for an earlier initialisation: %v, want ErrConflict", err)
	}
	if err := s.UpdatePINs(pins); err != nil {
		t.Fatal(err)
	}
	if got := tokenByID(t, s, t0.ID); !equalToken(got, pins) {
		t.Fatalf("after UpdatePINs: %+v\nwant %+v", got, pins)
	}
	if err := s.SetFails(t0.ID, 3, 4); err != nil {
		t.Fatal(err)
	}
	if got := tokenByID(t, s, t0.ID); got.SOFails != 3 || got.UserFails != 4 {
		t.Fatalf("after SetFails: %d %d", got.SOFails, got.UserFails)
	}
	if err := s.SetFails(999, 0, 0); err != ErrNotFound {
		t.Fatalf("SetFails of a missing token: %v", err)
	}

	// Deletion; slot ids are never reused, also across a reopen.
	t1 := initToken(t, s, "slot 1")
	if ids, next := slotIDs(t, s); !slices.Equal(ids, []uint64{0, 1}) || next != 2 {
		t.Fatalf("slots %v, free %d", ids, next)
	}
	if _, err := s.PutObjects(Object{ID: 3, TokenID: t1.ID, Blob: []byte("c")}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(freeToken(t, s).ID); err != ErrConflict {
		t.Fatalf("DeleteToken of the free token: %v, want ErrConflict", err)
	}
	if err := s.DeleteToken(t1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteToken(t1.ID); err != ErrNotFound {
		t.Fatalf("DeleteToken twice: %v, want ErrNotFound", err)
	}
	if _, err := s.ObjectVersions(t1.ID); err != ErrNotFound {
		t.Fatalf("ObjectVersions of a deleted token: %v, want ErrNotFound", err)
	}
	if _, err := s.LoadObjects(t1.ID, nil); err != ErrNotFound {
		t.Fatalf("LoadObjects of a deleted token: %v, want ErrNotFound", err)
	}
	var n int
	s.conn.QueryRowContext(context.Background(), "SELECT count(*) FROM objects WHERE token_id = ?", t1.ID).Scan(&n)
	if n != 0 {
		t.Fatalf("%d objects left of a deleted token", n)
	}
	s.Close()
	s = openTest(t, path)
	if ids, next := slotIDs(t, s); !slices.Equal(ids, []uint64{0}) || next != 2 {
		t.Fatalf("after reopen: slots %v, free %d", ids, next)
	}
	if err := s.DeleteToken(t0.ID); err != nil {
		t.Fatal(err)
	}
	t2 := initToken(t, s, "slot 2")
	if ids, next := slotIDs(t, s); !slices.Equal(ids, []uint64{2}) || next != 3 {
		t.Fatalf("slots %v, free %d", ids, next)
	}
	if t2.ID <= t1.ID {
		t.Fatalf("token row id %d reused (earlier %d)", t2.ID, t1.ID)
	}
}

func tokenByID(t *testing.T, s *SQLite, id int64) Token {
	t.Helper()
	toks, err := s.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks {
		if tok.ID == id {
			return tok
		}
	}
	t.Fatalf("no token %d", id)
	return Token{}
}

func equalToken(a, b Token) bool {
	return a.ID == b.ID && a.SlotID == b.SlotID && a.Serial == b.Serial && a.Initialized == b.Initialized &&
		bytes.Equal(a.UUID, b.UUID) && a.Label == b.Label && a.Iterations == b.Iterations &&
		bytes.Equal(a.SOSalt, b.SOSalt) && bytes.Equal(a.SOSealedTMK, b.SOSealedTMK) &&
		bytes.Equal(a.UserSalt, b.UserSalt) && bytes.Equal(a.UserSealedTMK, b.UserSealedTMK) &&
		(a.UserSalt == nil) == (b.UserSalt == nil) && (a.UserSealedTMK == nil) == (b.UserSealedTMK == nil) &&
		a.SOFails == b.SOFails && a.UserFails == b.UserFails
}

func TestObjects(t *testing.T) {
	s, _ := newTestDB(t)
	tok := initToken(t, s, "objects")
	other := initToken(t, s, "other")

	const high = 0xfedcba9876543210 // does not fit an int64
	pair := []Object{
		{ID: high, TokenID: tok.ID, Private: true, Blob: []byte("private key")},
		{ID: 5, TokenID: tok.ID, Blob: []byte("public key"), TokenUUID: tok.UUID},
	}
	v1, err := s.PutObjects(pair...)
	if err != nil {
		t.Fatal(err)
	}
	if len(v1) != 2 || v1[0] == v1[1] {
		t.Fatalf("versions %v", v1)
	}
	all, err := s.LoadObjects(tok.ID, nil)
	if err != nil || len(all) != 2 {
		t.Fatalf("LoadObjects = %+v, %v", all, err)
	}
	byID := map[uint64]Object{}
	for _, o := range all {
		byID[o.ID] = o
	}
	for i, o := range pair {
		g := byID[o.ID]
		if g.TokenID != tok.ID || g.Private != o.Private || g.Version != v1[i] || !bytes.Equal(g.Blob, o.Blob) || g.TokenUUID != nil {
			t.Fatalf("object %x = %+v, want %+v version %d", o.ID, g, o, v1[i])
		}
	}
	vers, err := s.ObjectVersions(tok.ID)
	if err != nil || len(vers) != 2 || vers[high] != v1[0] || vers[5] != v1[1] {
		t.Fatalf("ObjectVersions = %v, %v", vers, err)
	}

	// Replacing gives a new, larger version.
	v2, err := s.PutObjects(Object{ID: 5, TokenID: tok.ID, Blob: []byte("renamed")})
	if err != nil || v2[0] <= v1[1] {
		t.Fatalf("replace: %v, %v", v2, err)
	}
	some, err := s.LoadObjects(tok.ID, []uint64{5, 77, high})
	if err != nil || len(some) != 2 || some[0].ID != 5 || string(some[0].Blob) != "renamed" || some[0].Version != v2[0] || some[1].ID != high {
		t.Fatalf("LoadObjects(5, 77, high) = %+v, %v", some, err)
	}
	if none, err := s.LoadObjects(tok.ID, []uint64{}); err != nil || len(none) != 0 {
		t.Fatalf("LoadObjects(none) = %+v, %v", none, err)
	}
	if got, err := s.LoadObjects(other.ID, []uint64{5}); err != nil || len(got) != 0 {
		t.Fatalf("another token's object: %+v, %v", got, err)
	}

	// All or nothing: the second object's id belongs to another token, so
	// the first is not written either.
	_, err = s.PutObjects(Object{ID: 6, TokenID: other.ID, Blob: []byte("x")}, Object{ID: 5, TokenID: other.ID, Blob: []byte("y")})
	if err != ErrConflict {
		t.Fatalf("PutObjects with another token's id: %v, want ErrConflict", err)
	}
	if v, _ := s.ObjectVersions(other.ID); len(v) != 0 {
		t.Fatalf("half of a failed PutObjects was written: %v", v)
	}
	if _, err := s.PutObjects(Object{ID: 7, TokenID: tok.ID, TokenUUID: randBytes(t, 16), Blob: []byte("z")}); err != ErrConflict {
		t.Fatalf("PutObjects for an earlier initialisation: %v, want ErrConflict", err)
	}
	if _, err := s.PutObjects(Object{ID: 7, TokenID: freeToken(t, s).ID, Blob: []byte("z")}); err != ErrNotFound {
		t.Fatalf("PutObjects on the free token: %v, want ErrNotFound", err)
	}
	if _, err := s.PutObjects(Object{ID: 7, TokenID: 999, Blob: []byte("z")}); err != ErrNotFound {
		t.Fatalf("PutObjects on a missing token: %v, want ErrNotFound", err)
	}
	if v, err := s.PutObjects(); err != nil || v != nil {
		t.Fatalf("PutObjects() = %v, %v", v, err)
	}

	// Deleting and writing again: the version is new.
	if err := s.DeleteObject(tok.ID, 5); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteObject(tok.ID, 5); err != ErrNotFound {
		t.Fatalf("DeleteObject twice: %v, want ErrNotFound", err)
	}
	if err := s.DeleteObject(other.ID, high); err != ErrNotFound {
		t.Fatalf("DeleteObject through another token: %v, want ErrNotFound", err)
	}
	v3, err := s.PutObjects(Object{ID: 5, TokenID: tok.ID, Blob: []byte("again")})
	if err != nil || v3[0] <= v2[0] {
		t.Fatalf("rewrite after delete: %v, %v", v3, err)
	}
}

func TestChanged(t *testing.T) {
	s1, path := newTestDB(t)
	tok := initToken(t, s1, "t")
	if c, err := s1.Changed(); err != nil || c {
		t.Fatalf("Changed after own writes = %v, %v; want false", c, err)
	}
	s2 := openTest(t, path)
	if c, _ := s1.Changed(); c {
		t.Fatal("opening an up-to-date database from another connection counted as a change")
	}
	if c, _ := s2.Changed(); c {
		t.Fatal("Changed right after OpenSQLite = true")
	}
	if _, err := s2.PutObjects(Object{ID: 1, TokenID: tok.ID, Blob: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if c, err := s1.Changed(); err != nil || !c {
		t.Fatalf("Changed after another connection's write = %v, %v; want true", c, err)
	}
	if c, _ := s1.Changed(); c {
		t.Fatal("Changed twice = true")
	}
	if c, _ := s2.Changed(); c {
		t.Fatal("Changed on the writer = true")
	}
	if err := s1.SetFails(tok.ID, 1, 0); err != nil {
		t.Fatal(err)
	}
	if c, _ := s2.Changed(); !c {
		t.Fatal("the other way round: Changed = false")
	}
	s1.Close()
	if _, err := s1.Changed(); err == nil {
		t.Fatal("Changed after Close succeeded")
	}
	if _, err := s1.Tokens(); err == nil {
		t.Fatal("Tokens after Close succeeded")
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, randBytes(t, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.db")
	if err := os.WriteFile(short, []byte("hello, not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o600)

	cases := []struct {
		name, path, want string
	}{
		{"random bytes", garbage, "is not a SQLite database"},
		{"text file", short, "is not a SQLite database"},
		{"a directory", dir, "is a directory"},
		{"parent is a file", filepath.Join(notDir, "kagi.db"), "not a directory"},
		{"empty path", "", "no database path"},
	}
	for _, c := range cases {
		s, err := OpenSQLite(c.path)
		if err == nil {
			s.Close()
			t.Errorf("%s: OpenSQLite succeeded", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: error %q does not say %q and the path", c.name, err, c.want)
		}
		t.Logf("%s: %v", c.name, err)
	}

	newer := filepath.Join(dir, "newer.db")
	s := openTest(t, newer)
	s.conn.ExecContext(context.Background(), "PRAGMA user_version = 99")
	s.Close()
	if _, err := OpenSQLite(newer); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("newer schema: %v", err)
	} else {
		t.Logf("newer schema: %v", err)
	}
}

func TestOpenUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root writes anywhere but in /sys (EPERM); the rest of this test
		// runs as an ordinary user.
		p := "/sys/kagi-test/kagi.db"
		_, err := OpenSQLite(p)
		if err == nil || !strings.Contains(err.Error(), "permission denied") || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: error %v, want permission denied with the path", p, err)
		}
		t.Logf("%v", err)
		return
	}
	dir := t.TempDir()
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o700)
	// A database in a directory that became read-only: SQLite could not
	// create its -wal and -shm files.
	inRO := filepath.Join(ro, "old.db")
	s := openTest(t, inRO)
	s.Close()
	os.Remove(inRO + "-wal")
	os.Remove(inRO + "-shm")
	os.Chmod(ro, 0o500)
	defer os.Chmod(ro, 0o700)
	cases := []struct{ path, want string }{
		{filepath.Join(ro, "kagi.db"), "not writable"},
		{filepath.Join(ro, "sub", "kagi.db"), "permission denied"},
		{inRO, "not writable"},
	}
	for _, c := range cases {
		_, err := OpenSQLite(c.path)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: error %v, want %q with the path", c.path, err, c.want)
		}
		t.Logf("%v", err)
	}
	// A database file the user may read but not write.
	path := filepath.Join(dir, "kagi.db")
	s = openTest(t, path)
	s.Close()
	os.Chmod(path, 0o400)
	if _, err := OpenSQLite(path); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("read-only file: %v", err)
	} else {
		t.Logf("%v", err)
	}
}

// A write waits busy_timeout for another process's write transaction, then
// says the database is locked, and works once the lock is gone.
func TestBusy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kagi.db")
	s, err := openSQLite(path, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok := initToken(t, s, "t")

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	c, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = s.PutObjects(Object{ID: 1, TokenID: tok.ID, Blob: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "is locked by another process") || !strings.Contains(err.Error(), path) {
		t.Fatalf("write under another writer: %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Fatalf("gave up after %v, before the busy timeout", d)
	}
	t.Logf("%v", err)
	// Reads go on meanwhile (WAL).
	if _, err := s.Tokens(); err != nil {
		t.Fatalf("read under another writer: %v", err)
	}
	// Released within the timeout: the write waits and succeeds.
	go func() {
		time.Sleep(50 * time.Millisecond)
		c.ExecContext(ctx, "ROLLBACK")
	}()
	if _, err := s.PutObjects(Object{ID: 1, TokenID: tok.ID, Blob: []byte("x")}); err != nil {
		t.Fatalf("write after the lock went: %v", err)
	}
}

// Concurrent use from goroutines of one process is serialised.
func TestConcurrentGoroutines(t *testing.T) {
	s, _ := newTestDB(t)
	tok := initToken(t, s, "t")
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 25 {
				id := uint64(g*1000 + i)
				if _, err := s.PutObjects(Object{ID: id, TokenID: tok.ID, Blob: []byte("x")}); err != nil {
					done <- err
					return
				}
				if _, err := s.LoadObjects(tok.ID, []uint64{id}); err != nil {
					done <- err
					return
				}
				if _, err := s.Changed(); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if v, _ := s.ObjectVersions(tok.ID); len(v) != 100 {
		t.Fatalf("%d objects, want 100", len(v))
	}
}

// A database whose pages were damaged gives errors, never a panic or
// garbage objects.
func TestCorruptPages(t *testing.T) {
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.db")
	s := openTest(t, clean)
	tok := initToken(t, s, "t")
	sealer := testSealer(t)
	var objs []Object
	for id := uint64(1); id <= 200; id++ {
		blob, err := EncodeObject(tok.UUID, id, true, rsaPrivate(), sealer)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, Object{ID: id, TokenID: tok.ID, Private: true, Blob: blob})
	}
	if _, err := s.PutObjects(objs...); err != nil {
		t.Fatal(err)
	}
	s.Close() // checkpoints: everything is in the main file now
	orig, err := os.ReadFile(clean)
	if err != nil {
		t.Fatal(err)
	}
	var failed int
	for i := range 40 {
		b := bytes.Clone(orig)
		// Damage 64 bytes somewhere after the 100-byte file header.
		at := 100 + int(randBytes(t, 1)[0])*len(b)/256
		copy(b[min(at, len(b)-64):], randBytes(t, 64))
		path := filepath.Join(dir, fmt.Sprintf("corrupt%d.db", i))
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := OpenSQLite(path)
		if err != nil {
			failed++
			continue
		}
		toks, err := s.Tokens()
		if err != nil {
			failed++
		}
		for _, tk := range toks {
			objs, err := s.LoadObjects(tk.ID, nil)
			if err != nil {
				failed++
				if !strings.Contains(err.Error(), path) {
					t.Errorf("error without the path: %v", err)
				}
				continue
			}
			for _, o := range objs {
				if _, err := DecodeObject(tok.UUID, o.ID, o.Private, o.Blob, sealer); err != nil {
					failed++
				}
			}
		}
		s.Close()
	}
	t.Logf("%d of 40 damaged copies gave errors", failed)
}

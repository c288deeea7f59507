package store

// Tests with several processes on one database file: the test binary runs
// itself again as a child (os.Args[0] -test.run=^TestChild...$ with the
// child's task in the environment).

import (
	"bufio"
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var cryptoRead = crand.Read

const (
	childDBEnv   = "KAGI_STORE_CHILD_DB"
	childArgsEnv = "KAGI_STORE_CHILD_ARGS"
)

// Fixed PIN keys of the child processes, so the parent can open what they
// sealed.
var (
	childSOKEK   = bytes.Repeat([]byte{1}, 32)
	childUserKEK = bytes.Repeat([]byte{2}, 32)
)

func startChild(t *testing.T, name, path, args string) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^"+name+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childDBEnv+"="+path, childArgsEnv+"="+args)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, bufio.NewScanner(out)
}

// childToken is what C_InitToken would store, with fixed PIN keys; the
// label repeats the uuid so a half-written row would show.
func childToken(tok Token, tmk []byte, withUser bool) (Token, error) {
	tok.UUID = make([]byte, 16)
	tok.SOSalt = make([]byte, 16)
	for _, b := range [][]byte{tok.UUID, tok.SOSalt} {
		if _, err := cryptoRead(b); err != nil {
			return tok, err
		}
	}
	tok.Label = "t-" + hex.EncodeToString(tok.UUID)
	tok.Iterations = 1000
	tok.SOFails, tok.UserFails = 0, 0
	var err error
	if tok.SOSealedTMK, err = SealTMK(childSOKEK, tok.UUID, "so", tmk); err != nil {
		return tok, err
	}
	tok.UserSalt, tok.UserSealedTMK = nil, nil
	if withUser {
		tok.UserSalt = bytes.Clone(tok.SOSalt)
		if tok.UserSealedTMK, err = SealTMK(childUserKEK, tok.UUID, "user", tmk); err != nil {
			return tok, err
		}
	}
	return tok, nil
}

// childPair returns a key pair's two objects: an even id for the private
// key, the next odd id for the public key; CKA_ID holds the even id.
func childPair(tok Token, tmk []byte, base uint64) ([]Object, error) {
	sealer, err := NewSealer(tmk)
	if err != nil {
		return nil, err
	}
	id := binary.BigEndian.AppendUint64(nil, base)
	secret := make([]byte, 256)
	cryptoRead(secret)
	priv := []Attr{{Type: tClass, Value: []byte{3}}, {Type: tID, Value: id}, {Type: tPrivExp, Value: secret, Secret: true}}
	pub := []Attr{{Type: tClass, Value: []byte{2}}, {Type: tID, Value: id}, {Type: tModulus, Value: secret}, {Type: tValue, Value: secret[:32], Secret: true}}
	pb, err := EncodeObject(tok.UUID, base, true, priv, sealer)
	if err != nil {
		return nil, err
	}
	ub, err := EncodeObject(tok.UUID, base|1, false, pub, sealer)
	if err != nil {
		return nil, err
	}
	return []Object{
		{ID: base, TokenID: tok.ID, Private: true, Blob: pb, TokenUUID: tok.UUID},
		{ID: base | 1, TokenID: tok.ID, Blob: ub, TokenUUID: tok.UUID},
	}, nil
}

// TestChildCrashWriter is the child of TestCrashSafety: it writes key pairs
// and re-initialises tokens, changes PINs, adds and deletes tokens until it
// is killed, and prints "put <uuid> <id>" after every PutObjects returned.
func TestChildCrashWriter(t *testing.T) {
	path := os.Getenv(childDBEnv)
	if path == "" || os.Getenv(childArgsEnv) != "crash" {
		t.Skip("child process of TestCrashSafety")
	}
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("ready")
	tmk := make([]byte, 32)
	for {
		toks, err := s.Tokens()
		if err != nil {
			t.Fatal(err)
		}
		var init []Token
		var free Token
		for _, tok := range toks {
			if tok.Initialized {
				init = append(init, tok)
			} else {
				free = tok
			}
		}
		r := rand.IntN(100)
		if len(init) == 0 || (r < 2 && len(init) < 3) {
			cryptoRead(tmk)
			rec, err := childToken(free, tmk, true)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.InitFreeToken(rec); err != nil {
				t.Fatal(err)
			}
			continue
		}
		tok := init[rand.IntN(len(init))]
		cur, err := OpenTMK(childSOKEK, tok.UUID, "so", tok.SOSealedTMK)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case r < 80:
			objs, err := childPair(tok, cur, rand.Uint64()&^1)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.PutObjects(objs...); err != nil {
				t.Fatal(err)
			}
			fmt.Printf("put %x %d\n", tok.UUID, objs[0].ID)
		case r < 85:
			cryptoRead(tmk)
			rec, err := childToken(tok, tmk, rand.IntN(2) == 0)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.ReinitToken(rec); err != nil {
				t.Fatal(err)
			}
		case r < 97:
			rec := tok
			rec.SOSalt = make([]byte, 16)
			cryptoRead(rec.SOSalt)
			rec.UserSalt = bytes.Clone(rec.SOSalt)
			rec.SOSealedTMK, _ = SealTMK(childSOKEK, tok.UUID, "so", cur)
			rec.UserSealedTMK, _ = SealTMK(childUserKEK, tok.UUID, "user", cur)
			rec.UserFails = rand.IntN(3)
			if err := s.UpdatePINs(rec); err != nil {
				t.Fatal(err)
			}
		default:
			if len(init) > 1 {
				if err := s.DeleteToken(tok.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// TestCrashSafety kills a writing process at random moments and checks
// that the database it leaves is whole: it passes SQLite's integrity check,
// every token row is consistent, every object decodes, key pairs are both
// there or both absent, and every write that returned is there.
func TestCrashSafety(t *testing.T) {
	rounds := 12
	if testing.Short() {
		rounds = 4
	}
	path := t.TempDir() + "/kagi.db"
	var seen, reported int
	for round := range rounds {
		cmd, out := startChild(t, "TestChildCrashWriter", path, "crash")
		if !out.Scan() || out.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("round %d: child did not start: %q", round, out.Text())
		}
		var mu sync.Mutex
		var puts []string
		done := make(chan struct{})
		go func() {
			for out.Scan() {
				mu.Lock()
				puts = append(puts, out.Text())
				mu.Unlock()
			}
			close(done)
		}()
		time.Sleep(time.Duration(20+rand.IntN(400)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		err := cmd.Wait()
		<-done
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("round %d: child ended by itself: %v", round, err)
		}
		n := checkCrashDB(t, path, puts)
		seen += n
		t.Logf("round %d: %d writes reported, %d objects in the database", round, len(puts), n)
		reported += len(puts)
	}
	if seen == 0 || reported == 0 {
		t.Fatalf("the child wrote nothing (%d objects seen, %d writes reported)", seen, reported)
	}
}

// checkCrashDB checks a database the crash writer left and returns the
// number of objects in it.
func checkCrashDB(t *testing.T, path string, puts []string) int {
	t.Helper()
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	var integrity string
	if err := s.conn.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("integrity_check: %q, %v", integrity, err)
	}
	rows, err := s.conn.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	if rows.Next() {
		t.Fatal("foreign_key_check reports rows")
	}
	rows.Close()

	toks, err := s.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	free := 0
	objects := 0
	present := map[string]bool{} // "uuid id"
	var maxVersion int64
	for _, tok := range toks {
		if !tok.Initialized {
			free++
			if tok.UUID != nil || tok.SOSealedTMK != nil {
				t.Fatalf("free token %d has fields: %+v", tok.SlotID, tok)
			}
			if _, err := s.LoadObjects(tok.ID, nil); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if len(tok.UUID) != 16 || tok.Label != "t-"+hex.EncodeToString(tok.UUID) || len(tok.SOSalt) != 16 || len(tok.Serial) != 16 {
			t.Fatalf("token %d is not whole: %+v", tok.SlotID, tok)
		}
		tmk, err := OpenTMK(childSOKEK, tok.UUID, "so", tok.SOSealedTMK)
		if err != nil {
			t.Fatalf("token %d: SO-sealed TMK: %v", tok.SlotID, err)
		}
		if tok.UserSealedTMK != nil {
			utmk, err := OpenTMK(childUserKEK, tok.UUID, "user", tok.UserSealedTMK)
			if err != nil || !bytes.Equal(utmk, tmk) {
				t.Fatalf("token %d: user-sealed TMK: %v", tok.SlotID, err)
			}
			if !bytes.Equal(tok.UserSalt, tok.SOSalt) {
				t.Fatalf("token %d: salts of two writes", tok.SlotID)
			}
		}
		sealer, _ := NewSealer(tmk)
		objs, err := s.LoadObjects(tok.ID, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids := map[uint64]bool{}
		for _, o := range objs {
			ids[o.ID] = true
			maxVersion = max(maxVersion, o.Version)
			if o.Private != (o.ID&1 == 0) {
				t.Fatalf("object %x: private %v", o.ID, o.Private)
			}
			attrs, err := DecodeObject(tok.UUID, o.ID, o.Private, o.Blob, sealer)
			if err != nil {
				t.Fatalf("object %x does not decode: %v", o.ID, err)
			}
			var ckaID []byte
			for _, a := range attrs {
				if a.Type == tID {
					ckaID = a.Value
				}
			}
			if binary.BigEndian.Uint64(ckaID) != o.ID&^1 {
				t.Fatalf("object %x has CKA_ID %x", o.ID, ckaID)
			}
		}
		for id := range ids {
			if !ids[id^1] {
				t.Fatalf("token %d: object %x without its pair", tok.SlotID, id)
			}
			if id&1 == 0 {
				present[fmt.Sprintf("%x %d", tok.UUID, id)] = true
			}
		}
		objects += len(objs)
		present[hex.EncodeToString(tok.UUID)] = true
	}
	if free != 1 {
		t.Fatalf("%d free tokens", free)
	}
	var counter int64
	s.conn.QueryRowContext(ctx, "SELECT value FROM meta WHERE key = 'object_version'").Scan(&counter)
	if maxVersion > counter {
		t.Fatalf("object version %d above the counter %d", maxVersion, counter)
	}
	// Every PutObjects that returned is there, unless its token was
	// re-initialised or deleted since.
	for _, p := range puts {
		uuid, _, _ := strings.Cut(p[len("put "):], " ")
		if present[uuid] && !present[p[len("put "):]] {
			t.Fatalf("a write that returned is lost: %s", p)
		}
	}
	return objects
}

// TestChildWriter is the child of TestProcesses: it takes a token of its
// own (the free one, retrying when another process wins the race) and
// writes n objects.
func TestChildWriter(t *testing.T) {
	path := os.Getenv(childDBEnv)
	n, err := strconv.Atoi(os.Getenv(childArgsEnv))
	if path == "" || err != nil {
		t.Skip("child process of TestProcesses")
	}
	s, err := OpenSQLite(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tok Token
	for {
		tok, err = s.InitFreeToken(tokenFields(t, freeToken(t, s), "writer"))
		if err == nil {
			break
		}
		if !errors.Is(err, ErrConflict) {
			t.Fatal(err)
		}
	}
	for i := range n {
		if _, err := s.PutObjects(Object{ID: uint64(tok.ID)<<32 | uint64(i), TokenID: tok.ID, Blob: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Changed(); err != nil {
			t.Fatal(err)
		}
	}
	fmt.Println("done")
}

// TestProcesses runs several processes that open a fresh database at the
// same moment, race for the free token and write: with busy_timeout no
// write fails with SQLITE_BUSY, the schema and the first free token are
// created once, and each process gets a token of its own.
func TestProcesses(t *testing.T) {
	const procs, n = 4, 40
	path := t.TempDir() + "/kagi.db"
	var cmds []*exec.Cmd
	var outs []*bufio.Scanner
	for range procs {
		cmd, out := startChild(t, "TestChildWriter", path, strconv.Itoa(n))
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		var lines []string
		for outs[i].Scan() {
			lines = append(lines, outs[i].Text())
		}
		if err := cmd.Wait(); err != nil || !slices.Contains(lines, "done") {
			t.Fatalf("child %d: %v: %q", i, err, lines)
		}
	}
	s := openTest(t, path)
	ids, next := slotIDs(t, s)
	if fmt.Sprint(ids) != "[0 1 2 3]" || next != procs {
		t.Fatalf("slots %v, free %d", ids, next)
	}
	toks, _ := s.Tokens()
	for _, tok := range toks {
		if !tok.Initialized {
			continue
		}
		if v, err := s.ObjectVersions(tok.ID); err != nil || len(v) != n {
			t.Fatalf("token %d: %d objects, %v", tok.SlotID, len(v), err)
		}
	}
}

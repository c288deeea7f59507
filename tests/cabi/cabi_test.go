// Package cabi runs cabi_test.c, the C program that checks libkagi.so at
// the level of the C ABI (issue 3, "bad input"), where a Go binding such as
// miekg/pkcs11 cannot reach: NULL pointers for every pointer argument,
// invalid slot, session and object handles, short output buffers, wrong and
// too-long PINs, writes in R/O sessions, every function before C_Initialize
// and after C_Finalize, the function lists, C_Initialize's arguments, and a
// corrupt, unreachable or locked database at C_Initialize.
//
// Each scenario is a fresh process of the C program with its own database
// (KAGI_DB) and configuration (KAGI_CONF). The module is $KAGI_MODULE if
// set, else a fresh build of ./cmodule.
package cabi

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// runTimeout bounds one run of the C program: a hang is a failure, never a
// stuck CI. The module's busy timeout is 10 s, so even a run that waits on
// a locked database twice finishes well within it.
const runTimeout = 120 * time.Second

// minChecks is the least number of checks the "all" mode runs; fewer means
// the program stopped early without saying so.
const minChecks = 900

var (
	buildOnce         sync.Once
	progPath, modPath string
	buildErr          error
	buildDir          string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// setup compiles cabi_test.c and finds or builds the module, once.
func setup(t *testing.T) (prog, module string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "kagi-cabi-")
		if buildErr != nil {
			return
		}
		cc, err := exec.LookPath("cc")
		if err != nil {
			buildErr = errors.New("a C compiler (cc) is needed to build cabi_test.c: " + err.Error())
			return
		}
		progPath = filepath.Join(buildDir, "cabi")
		build := exec.Command(cc, "-Wall", "-Werror", "-o", progPath, "cabi_test.c", "-ldl")
		if out, err := build.CombinedOutput(); err != nil {
			buildErr = errors.New("cc cabi_test.c: " + err.Error() + "\n" + string(out))
			return
		}
		modPath, buildErr = modulePath(buildDir)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return progPath, modPath
}

// modulePath returns $KAGI_MODULE, or builds the module into dir.
func modulePath(dir string) (string, error) {
	if m := os.Getenv("KAGI_MODULE"); m != "" {
		return filepath.Abs(m)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", errors.New("repository root not found at " + root + ": " + err.Error())
	}
	out := filepath.Join(dir, "libkagi.so")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./cmodule")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New("building the module: " + err.Error() + "\n" + string(b))
	}
	return out, nil
}

// scenario is the environment of one run: a fresh database path and a
// configuration file with a low PBKDF2 iteration count.
type scenario struct {
	dir, db, conf string
}

func newScenario(t *testing.T) scenario {
	t.Helper()
	dir := t.TempDir()
	s := scenario{dir: dir, db: filepath.Join(dir, "kagi.db"), conf: filepath.Join(dir, "kagi.json")}
	if err := os.WriteFile(s.conf, []byte(`{"pbkdf2_iterations": 1000}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// result is what one run of the C program did.
type result struct {
	stdout, stderr string
	err            error // from Wait: nil, or an exit status / signal
	timedOut       bool
	elapsed        time.Duration
}

// start starts the C program in mode with the scenario's environment.
func start(t *testing.T, s scenario, mode string) (wait func() result) {
	t.Helper()
	prog, module := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	cmd := exec.CommandContext(ctx, prog, module, mode)
	cmd.Env = append(withoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF", "XDG_DATA_HOME"),
		"KAGI_DB="+s.db, "KAGI_CONF="+s.conf, "XDG_DATA_HOME="+filepath.Join(s.dir, "xdg"))
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("starting %s: %v", prog, err)
	}
	return func() result {
		defer cancel()
		err := cmd.Wait()
		return result{
			stdout:   stdout.String(),
			stderr:   stderr.String(),
			err:      err,
			timedOut: errors.Is(ctx.Err(), context.DeadlineExceeded),
			elapsed:  time.Since(t0),
		}
	}
}

func run(t *testing.T, s scenario, mode string) result {
	t.Helper()
	return start(t, s, mode)()
}

var summaryRE = regexp.MustCompile(`(?m)^(\d+) checks, (\d+) failed$`)

// report logs the program's output, turns each FAIL line into a test
// error, and fails on a hang, a crash, a missing summary or fewer than
// min checks. It returns the number of checks run.
func report(t *testing.T, r result, min int) int {
	t.Helper()
	for _, line := range splitLines(r.stdout) {
		if strings.HasPrefix(line, "FAIL ") {
			t.Error(line)
		} else if testing.Verbose() && !summaryRE.MatchString(line) {
			t.Log(line)
		}
	}
	for _, line := range splitLines(r.stderr) {
		t.Log("stderr: " + line)
	}
	switch {
	case r.timedOut:
		t.Fatalf("the C program did not finish within %v (a hang)", runTimeout)
	case r.err != nil:
		var ee *exec.ExitError
		if errors.As(r.err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Fatalf("the C program crashed: killed by signal %v", ws.Signal())
			}
		}
		if !strings.Contains(r.stdout, "FAIL ") {
			t.Fatalf("the C program failed without a FAIL line: %v", r.err)
		}
	}
	m := summaryRE.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatal("the C program did not print its summary line (it stopped early)")
	}
	n, _ := strconv.Atoi(m[1])
	if n < min {
		t.Errorf("only %d checks ran, want at least %d", n, min)
	}
	t.Logf("%s checks, %s failed, in %v", m[1], m[2], r.elapsed.Round(time.Millisecond))
	return n
}

// TestABI is the in-process checks: lists, every function before
// C_Initialize and after C_Finalize, C_Initialize's arguments, NULL
// pointers, invalid handles, the length convention, PINs and R/O sessions.
func TestABI(t *testing.T) {
	r := run(t, newScenario(t), "all")
	report(t, r, minChecks)
	checkStderrClean(t, r.stderr)
}

// TestInitFailures: a database or configuration that cannot be used makes
// C_Initialize fail with a clear line on stderr, and never crashes.
func TestInitFailures(t *testing.T) {
	t.Run("corrupt-db", func(t *testing.T) {
		s := newScenario(t)
		junk := make([]byte, 64<<10)
		if _, err := rand.Read(junk); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(s.db, junk, 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, s, "init-error")
		report(t, r, 3)
		checkOneLine(t, r.stderr, s.db)
		after, err := os.ReadFile(s.db)
		if err != nil || !bytes.Equal(after, junk) {
			t.Errorf("the corrupt database file was changed or removed (err %v)", err)
		}
	})
	t.Run("db-parent-is-a-file", func(t *testing.T) {
		s := newScenario(t)
		parent := filepath.Join(s.dir, "not-a-directory")
		if err := os.WriteFile(parent, []byte("a regular file\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		s.db = filepath.Join(parent, "kagi.db")
		r := run(t, s, "init-error")
		report(t, r, 3)
		checkOneLine(t, r.stderr, s.db)
	})
	t.Run("db-is-a-directory", func(t *testing.T) {
		s := newScenario(t)
		if err := os.Mkdir(s.db, 0o700); err != nil {
			t.Fatal(err)
		}
		r := run(t, s, "init-error")
		report(t, r, 3)
		checkOneLine(t, r.stderr, s.db)
	})
	t.Run("malformed-conf", func(t *testing.T) {
		s := newScenario(t)
		if err := os.WriteFile(s.conf, []byte(`{"pbkdf2_iterations": 1000,`), 0o600); err != nil {
			t.Fatal(err)
		}
		r := run(t, s, "init-general-error")
		report(t, r, 3)
		checkOneLine(t, r.stderr, s.conf)
	})
	t.Run("missing-conf", func(t *testing.T) {
		s := newScenario(t)
		s.conf = filepath.Join(s.dir, "no-such.json")
		r := run(t, s, "init-general-error")
		report(t, r, 3)
		checkOneLine(t, r.stderr, s.conf)
	})
}

// TestLockedDB: another process holds an exclusive SQLite lock on the
// database while the module starts and writes. Each call either succeeds
// once the lock is gone or fails cleanly with CKR_DEVICE_ERROR, within the
// module's busy timeout (10 s), and nothing crashes.
func TestLockedDB(t *testing.T) {
	s := newScenario(t)

	// 1. A new database, locked for 2 s while the module initialises it.
	release := lockDB(t, s.db)
	wait := start(t, s, "lock")
	time.Sleep(2 * time.Second)
	release()
	r := wait()
	report(t, r, 3)
	checkStderrClean(t, r.stderr)
	if r.elapsed > 20*time.Second {
		t.Errorf("the run took %v with a lock held for 2 s", r.elapsed)
	}

	// 2. The same (now WAL) database, locked for the whole run: the write
	// of C_InitToken cannot happen, and must give up with
	// CKR_DEVICE_ERROR after the busy timeout.
	release = lockDB(t, s.db)
	r = start(t, s, "lock")()
	release()
	report(t, r, 3)
	checkStderrClean(t, r.stderr)
	if !strings.Contains(r.stdout, "rv C_Initialize 0x30 ") && !strings.Contains(r.stdout, "rv C_InitToken 0x30 ") {
		t.Errorf("with the database locked throughout, no call reported CKR_DEVICE_ERROR:\n%s", r.stdout)
	}
	if r.elapsed > 30*time.Second {
		t.Errorf("the run took %v: longer than the busy timeout allows", r.elapsed)
	}
}

// lockDB opens path with SQLite and holds an exclusive lock on it (BEGIN
// EXCLUSIVE) until release is called.
func lockDB(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		conn.Close()
		db.Close()
		t.Fatalf("BEGIN EXCLUSIVE on %s: %v", path, err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Errorf("ROLLBACK: %v", err)
			}
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

// checkOneLine wants exactly one line on stderr that names path, and no
// sign of a panic.
func checkOneLine(t *testing.T, stderr, path string) {
	t.Helper()
	n := 0
	for _, line := range splitLines(stderr) {
		if strings.Contains(line, path) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("want exactly one line on stderr naming %s, got %d:\n%s", path, n, stderr)
	}
	checkStderrClean(t, stderr)
}

// checkStderrClean fails on a panic or an internal error on stderr.
func checkStderrClean(t *testing.T, stderr string) {
	t.Helper()
	for _, bad := range []string{"panic", "goroutine ", "internal error", "SIGSEGV", "fatal error"} {
		if strings.Contains(stderr, bad) {
			t.Errorf("stderr contains %q:\n%s", bad, stderr)
			return
		}
	}
}

func splitLines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// withoutEnv returns env minus the named variables.
func withoutEnv(env []string, names ...string) []string {
	var kept []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		kept = append(kept, kv)
	}
	return kept
}

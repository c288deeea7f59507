// Package fork runs fork_test.c, the C program that checks what a process
// that loaded libkagi.so may do after fork (issue 3, "Fork").
//
// The module is $KAGI_MODULE if set, else a fresh build of ./cmodule.
package fork

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runTimeout bounds the whole C program: each of its cases has its own,
// shorter, deadline, so this only fires if the supervisor itself hangs.
const runTimeout = 60 * time.Second

func TestFork(t *testing.T) {
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Fatalf("a C compiler (cc) is needed to build fork_test.c: %v", err)
	}
	dir := t.TempDir()
	module := modulePath(t, dir)

	prog := filepath.Join(dir, "fork_test")
	build := exec.Command(cc, "-std=gnu11", "-Wall", "-Wextra", "-O1",
		"-o", prog, "fork_test.c", "-ldl")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cc fork_test.c: %v\n%s", err, out)
	}

	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, module, work)
	cmd.Env = withoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF")
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("fork_test did not finish within %v (a hang)", runTimeout)
	case err != nil:
		t.Fatalf("fork_test failed: %v (the FAIL lines above say which checks)", err)
	}
}

// modulePath returns $KAGI_MODULE, or builds the module into dir.
func modulePath(t *testing.T, dir string) string {
	t.Helper()
	if m := os.Getenv("KAGI_MODULE"); m != "" {
		abs, err := filepath.Abs(m)
		if err != nil {
			t.Fatal(err)
		}
		return abs
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found at %s: %v", root, err)
	}
	out := filepath.Join(dir, "libkagi.so")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./cmodule")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the module: %v\n%s", err, b)
	}
	return out
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

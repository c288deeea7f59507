// Package fork runs fork_test.c, the C program that checks what a process
// that loaded libkagi.so may do after fork (issue 3, "Fork").
//
// The module is $KAGI_MODULE if set, else a fresh build of ./cmodule.
package fork

import (
	"bytes"
	"context"
	"errors"
	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
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
	module, err := testmodule.Path(dir)
	if err != nil {
		t.Fatal(err)
	}

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
	cmd.Env = testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF")
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

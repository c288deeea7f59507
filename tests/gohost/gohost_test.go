// Package gohost runs ./host, a Go program that loads libkagi.so through
// miekg/pkcs11 while goroutines spin, and checks that the host's runtime
// still preempts them and still gets its signals (issue 3, "Go programs as
// hosts"). See host/main.go for the checks.
//
// The module is $KAGI_MODULE if set, else a fresh build of ./cmodule.
package gohost

import (
	"bytes"
	"context"
	"errors"
	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runTimeout: the host runs for about 3 s; without the SIGURG fix it never
// finishes. On timeout it gets SIGQUIT first, so its goroutine dump shows
// where it was stuck.
const runTimeout = 60 * time.Second

func TestGoHost(t *testing.T) {
	dir := t.TempDir()
	module, err := testmodule.Path(dir)
	if err != nil {
		t.Fatal(err)
	}

	host := filepath.Join(dir, "host")
	build := exec.Command("go", "build", "-o", host, "./host")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building ./host: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, host, "-module", module, "-duration", "3s")
	cmd.Env = append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF", "GOMAXPROCS"),
		"KAGI_DB="+filepath.Join(dir, "gohost.db"), "GOMAXPROCS=2")
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGQUIT) }
	cmd.WaitDelay = 10 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err = cmd.Run()
	for _, line := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		t.Log(line)
	}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		t.Fatalf("host did not finish within %v: the host's goroutines were not preempted (SIGURG not handed back?) or a call hung", runTimeout)
	case err != nil:
		t.Fatalf("host failed: %v (the FAIL lines above say which checks)", err)
	}
}

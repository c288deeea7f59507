// Package crypto11suite runs crypto11's own test suite (the tests of the
// github.com/ThalesGroup/crypto11 module) against kagi, through run.sh.
//
// The module is $KAGI_MODULE if set, else build/libkagi.so of this
// repository (build it first with ./build.sh); the kagi command is
// $KAGI_CMD, else build/kagi. The tests crypto11 has that do not apply to
// kagi are skipped by run.sh, each for a reason README.md gives.
//
// It skips only when the go command is not usable; under CI=true it never
// skips.
package crypto11suite

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

const timeout = 10 * time.Minute

func ciSet() bool { return os.Getenv("CI") != "" && os.Getenv("CI") != "false" }

func TestCrypto11Suite(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		if ciSet() {
			t.Fatalf("the go command is not usable (%v); CI must have it", err)
		}
		t.Skipf("the go command is not usable (%v); skipping (under CI=true this is a failure)", err)
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Fatalf("bash is not installed: %v", err)
	}

	_, file, _, _ := runtime.Caller(0)
	here := filepath.Dir(file)
	repo := filepath.Join(here, "..", "..")

	module := os.Getenv("KAGI_MODULE")
	if module == "" {
		module = filepath.Join(repo, "build", "libkagi.so")
	}
	module, err := filepath.Abs(module)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(module); err != nil {
		t.Fatalf("no module at %s (run ./build.sh): %v", module, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(here, "run.sh"), module)
	cmd.Dir = repo
	// On timeout kill the whole process group (bash, go test and the
	// crypto11 test binary), not only bash.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 30 * time.Second
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	runErr := cmd.Run()
	output := out.String()

	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("run.sh did not finish within %v; output:\n%s", timeout, output)
	}

	// run.sh ends with a summary: "==== ..." lines, then one "FAILED: Name"
	// line per failing top-level test (of either phase).
	summary := regexp.MustCompile(`(?m)^==== crypto11 suite summary: .*$`).FindString(output)
	var names []string
	for _, m := range regexp.MustCompile(`(?m)^FAILED: (.+)$`).FindAllStringSubmatch(output, -1) {
		names = append(names, m[1])
	}
	if len(names) == 0 {
		for _, m := range regexp.MustCompile(`(?m)^--- FAIL: (\S+)`).FindAllStringSubmatch(output, -1) {
			names = append(names, m[1])
		}
	}
	t.Logf("run.sh took %v", time.Since(start).Round(time.Second))
	for _, line := range regexp.MustCompile(`(?m)^==== .*$`).FindAllString(output, -1) {
		t.Log(line)
	}

	if runErr != nil || len(names) > 0 || summary == "" {
		// Only the failing tests' output, unless there is none to show.
		if testing.Verbose() || len(names) == 0 {
			t.Logf("run.sh output:\n%s", output)
		} else {
			t.Logf("run.sh output (failures):\n%s", failureOutput(output))
		}
		if len(names) > 0 {
			t.Fatalf("crypto11 tests failed against %s: %s", module, strings.Join(names, ", "))
		}
		t.Fatalf("run.sh failed (%v) without a failing crypto11 test; see the output above", runErr)
	}
	for _, line := range strings.Split(output, "\n") {
		if strings.HasPrefix(line, "SKIPPED: ") || strings.HasPrefix(line, "not run (go test -skip): ") || strings.HasPrefix(line, "run.sh: CRYPTO11_SKIP=") {
			t.Log(line)
		}
	}
}

// failureOutput keeps the lines of go test -v output that belong to a
// failing test: each test's block runs from "=== RUN" to its "--- " line.
func failureOutput(output string) string {
	var b strings.Builder
	var block []string
	for _, line := range strings.Split(output, "\n") {
		block = append(block, line)
		if strings.HasPrefix(line, "--- FAIL: ") {
			b.WriteString(strings.Join(block, "\n"))
			b.WriteString("\n")
		}
		if strings.HasPrefix(line, "--- ") && !strings.HasPrefix(line, "    ") {
			block = block[:0]
		}
	}
	// The tail (go test's verdict and run.sh's summary).
	lines := strings.Split(strings.TrimRight(output, "\n"), "\n")
	if n := len(lines); n > 12 {
		lines = lines[n-12:]
	}
	b.WriteString("...\n")
	b.WriteString(strings.Join(lines, "\n"))
	return b.String()
}

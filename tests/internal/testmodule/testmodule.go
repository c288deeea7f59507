// Package testmodule gives the tests that load libkagi.so the module under
// test: $KAGI_MODULE when set (build.sh sets it to the module it just
// built), else a fresh build of ./cmodule.
package testmodule

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Path returns the absolute path of the module, building it into dir when
// $KAGI_MODULE is not set.
func Path(dir string) (string, error) {
	if m := os.Getenv("KAGI_MODULE"); m != "" {
		return filepath.Abs(m)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	out := filepath.Join(dir, "libkagi.so")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-o", out, "./cmodule")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the module: %v\n%s", err, b)
	}
	return out, nil
}

// RepoRoot walks up from the working directory to the directory of go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// WithoutEnv returns env minus the named variables, so a child process
// starts with only the configuration the test gives it.
func WithoutEnv(env []string, names ...string) []string {
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

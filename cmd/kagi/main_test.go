package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kagi runs the command in-process and returns its exit code and output.
func kagi(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errw bytes.Buffer
	code := run(args, &out, &errw)
	return code, out.String(), errw.String()
}

// setup points the command at a fresh database with quick PIN derivation.
func setup(t *testing.T) string {
	dir := t.TempDir()
	conf := filepath.Join(dir, "kagi.json")
	if err := os.WriteFile(conf, []byte(`{"pbkdf2_iterations": 1000}`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAGI_CONF", conf)
	t.Setenv("KAGI_DB", filepath.Join(dir, "kagi.db"))
	t.Setenv("KAGI_SO_PIN", "")
	t.Setenv("KAGI_PIN", "")
	return dir
}

func writePIN(t *testing.T, dir, name, pin string) string {
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(pin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAdministrationTranscript(t *testing.T) {
	dir := setup(t)
	so := writePIN(t, dir, "so", "so-pin-1")
	user := writePIN(t, dir, "user", "user-pin-1")

	steps := []struct {
		args     []string
		code     int
		out, err string // substrings that must appear
	}{
		{[]string{"show-slots"}, 0, "Slot 0\n    Token:        free", ""},
		{[]string{"init-token", "--free", "--label", "alpha", "--so-pin-file", so, "--pin-file", user}, 0, `token "alpha" initialised in slot 0`, ""},
		{[]string{"init-token", "--free", "--label", "alpha", "--so-pin-file", so, "--pin-file", user}, 1, "", `a token labelled "alpha" exists already`},
		{[]string{"show-slots"}, 0, "Label:        alpha", ""},
		{[]string{"show-slots"}, 0, "Slot 1\n    Token:        free", ""},
		{[]string{"list-objects", "--token", "alpha"}, 0, "0 object(s)", ""},
		{[]string{"list-objects", "--token", "nope"}, 1, "", `no token labelled "nope"`},
		{[]string{"demo", "--token", "alpha", "--pin-file", user}, 0, "signature verified with Go's crypto/ecdsa: OK", ""},
		{[]string{"demo", "--token", "alpha", "--pin-file", user}, 0, `found key pair "demo-ec"`, ""},
		{[]string{"list-objects", "--token", "alpha"}, 0, "PUBLIC_KEY   EC             label=\"demo-ec\" id=de30\n1 object(s)", ""},
		{[]string{"list-objects", "--token", "alpha", "--pin-file", user}, 0, "2 object(s)", ""},
		{[]string{"list-objects", "--token", "alpha", "--pin-file", so}, 1, "", "wrong PIN"},
		{[]string{"delete-token", "--token", "alpha"}, 0, `token "alpha" deleted`, ""},
		{[]string{"show-slots"}, 0, "Slot 1\n", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"init-token", "--label", "x"}, 1, "", "give exactly one of --free and --token"},
		{[]string{"init-token", "--help"}, 0, "usage: kagi init-token", ""},
		{[]string{"show-slots", "extra"}, 1, "", `unexpected argument "extra"`},
	}
	for _, s := range steps {
		code, out, errOut := kagi(t, s.args...)
		if code != s.code || !strings.Contains(out, s.out) || !strings.Contains(errOut, s.err) {
			t.Fatalf("kagi %s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stdout containing %q and stderr containing %q",
				strings.Join(s.args, " "), code, s.code, out, errOut, s.out, s.err)
		}
	}
	if code, out, _ := kagi(t, "show-slots"); code != 0 || strings.Contains(out, "Slot 0") {
		t.Fatalf("deleted token's slot still listed:\n%s", out)
	}
}

func TestPINsFromEnvironment(t *testing.T) {
	setup(t)
	t.Setenv("KAGI_SO_PIN", "so-pin-env")
	t.Setenv("KAGI_PIN", "user-pin-env")
	if code, out, errOut := kagi(t, "init-token", "--free", "--label", "env"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := kagi(t, "list-objects", "--token", "env", "--login"); code != 0 || !strings.Contains(out, "0 object(s)") {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
}

func TestNoPINSourceIsAClearError(t *testing.T) {
	setup(t)
	// Standard input of a test is not a terminal, so there is nobody to ask.
	code, _, errOut := kagi(t, "init-token", "--free", "--label", "x")
	if code != 1 || !strings.Contains(errOut, "no SO PIN: give --so-pin-file or $KAGI_SO_PIN") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestShortPINRejected(t *testing.T) {
	dir := setup(t)
	so := writePIN(t, dir, "so", "abc")
	user := writePIN(t, dir, "user", "user-pin-1")
	code, _, errOut := kagi(t, "init-token", "--free", "--label", "x", "--so-pin-file", so, "--pin-file", user)
	if code != 1 || !strings.Contains(errOut, "a PIN must be 4 to 255 bytes (CKR_PIN_LEN_RANGE)") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// Package awscli drives `kagi serve` with real clients: the AWS CLI running
// the envelope-encryption workflow (cli_test.go, envelope.sh), and the
// PKCS#11 module on the same token signing with KMS keys (pkcs11_test.go).
// Each test has its own database, token and server on a free port.
package awscli

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

// The endpoint's region, account and credential; the PINs of the token.
const (
	region    = "eu-west-1"
	account   = "123456789012"
	accessKey = "AKIAKAGITESTCLI00000"
	secretKey = "kagi-awscli-test-secret"
	userPIN   = "awscli-user-pin"
	soPIN     = "awscli-so-pin"
	label     = "kms"
)

// inCI reports whether a missing tool is a failure ($CI set and not
// "false") rather than a skip.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false"
}

// missing skips the test for a missing prerequisite, or fails it under CI.
func missing(t *testing.T, msg string) {
	t.Helper()
	if inCI() {
		t.Fatalf("%s; CI must install it", msg)
	}
	t.Skipf("%s; skipping (under CI=true this is a failure)", msg)
}

var (
	kagiOnce sync.Once
	kagiPath string
	kagiErr  error
	kagiDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if kagiDir != "" {
		os.RemoveAll(kagiDir)
	}
	os.Exit(code)
}

// kagiCommand returns the kagi command: $KAGI_CMD, else one build of
// ./cmd/kagi per test process.
func kagiCommand(t *testing.T) string {
	t.Helper()
	kagiOnce.Do(func() {
		if c := os.Getenv("KAGI_CMD"); c != "" {
			kagiPath, kagiErr = filepath.Abs(c)
			return
		}
		root, err := testmodule.RepoRoot()
		if err != nil {
			kagiErr = err
			return
		}
		if kagiDir, kagiErr = os.MkdirTemp("", "kagi-awscli-cmd-"); kagiErr != nil {
			return
		}
		kagiPath = filepath.Join(kagiDir, "kagi")
		cmd := exec.Command("go", "build", "-o", kagiPath, "./cmd/kagi")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			kagiErr = fmt.Errorf("building kagi: %v\n%s", err, out)
		}
	})
	if kagiErr != nil {
		t.Fatal(kagiErr)
	}
	return kagiPath
}

// endpoint is a running `kagi serve` on a fresh token.
type endpoint struct {
	url string
	db  string // KAGI_DB of its token
	cmd *exec.Cmd
}

// serve initialises a token in a new database under t.TempDir() with
// `kagi init-token` and starts `kagi serve --config` on it, on a free port
// of 127.0.0.1, as the README says. The server is stopped (SIGTERM) at the
// end of the test, or earlier by stop.
func serve(t *testing.T) *endpoint {
	t.Helper()
	kagi := kagiCommand(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "kagi.db")
	so, user := filepath.Join(dir, "so.pin"), filepath.Join(dir, "user.pin")
	for f, pin := range map[string]string{so: soPIN, user: userPIN} {
		if err := os.WriteFile(f, []byte(pin+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF", "KAGI_PIN", "KAGI_SO_PIN"), "KAGI_DB="+db)
	init := exec.Command(kagi, "init-token", "--free", "--label", label, "--so-pin-file", so, "--pin-file", user)
	init.Env = env
	if out, err := init.CombinedOutput(); err != nil {
		t.Fatalf("kagi init-token: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	conf := filepath.Join(dir, "serve.json")
	cfg := fmt.Sprintf(`{"listen": %q, "region": %q, "account": %q, "token": %q, "pin_file": %q,
 "credentials": [{"access_key_id": %q, "secret_access_key": %q, "principal": "arn:aws:iam::%s:root"}]}`,
		addr, region, account, label, user, accessKey, secretKey, account)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(kagi, "serve", "--config", conf)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &endpoint{url: "http://" + addr, db: db, cmd: cmd}
	t.Cleanup(func() {
		e.stop(t)
		logf.Close()
		if t.Failed() {
			log, _ := os.ReadFile(logf.Name())
			t.Logf("kagi serve's log:\n%s", tail(string(log), 4000))
		}
	})
	// It prints its address once it listens.
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && !strings.Contains(line, addr) {
			err = fmt.Errorf("unexpected first line %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("kagi serve did not start: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("kagi serve did not start within 30s")
	}
	return e
}

// stop ends the server with SIGTERM and checks it shut down cleanly.
func (e *endpoint) stop(t *testing.T) {
	t.Helper()
	if e.cmd.ProcessState != nil {
		return
	}
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- e.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("kagi serve after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		_ = e.cmd.Process.Kill()
		t.Error("kagi serve did not stop within 30s of SIGTERM")
	}
}

// client is the AWS SDK for Go v2 KMS client for the endpoint.
func (e *endpoint) client() *kms.Client {
	return kms.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(accessKey, secretKey, ""),
	}, func(o *kms.Options) { o.BaseEndpoint = aws.String(e.url) })
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

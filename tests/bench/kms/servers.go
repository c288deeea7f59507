package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// The bench's region, account and credential, for both servers. local-kms
// checks no signature; kagi verifies every one.
const (
	benchRegion  = "us-east-1"
	benchAccount = "111122223333"
	benchKeyID   = "AKIAKAGIBENCH0000000"
	benchSecret  = "kagi-bench-secret-access-key"
	benchPIN     = "kagi-bench-user-pin"
	benchSOPIN   = "kagi-bench-so-pin"
)

// server is one KMS endpoint under measurement, run as a child process.
type server struct {
	name string
	url  string
	cmd  *exec.Cmd
	log  string // its stderr and stdout, for the error message if it dies
	exit chan error
}

// stop ends the server with SIGTERM (kagi serve then shuts down gracefully,
// which also ends its CPU profile) and waits for it.
func (s *server) stop() error {
	if s == nil || s.cmd.Process == nil {
		return nil
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exit:
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
			return nil // local-kms does not catch SIGTERM
		}
		return err
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		return fmt.Errorf("%s did not stop within 20s of SIGTERM", s.name)
	}
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// start runs cmd with its output in logPath and waits until port accepts
// connections.
func start(name string, cmd *exec.Cmd, port int, logPath string) (*server, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	s := &server{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, log: logPath, exit: make(chan error, 1)}
	go func() { s.exit <- cmd.Wait(); logf.Close() }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.exit:
			out, _ := os.ReadFile(logPath)
			return nil, fmt.Errorf("%s exited at start (%v):\n%s", name, err, tail(out, 2000))
		default:
		}
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	return nil, fmt.Errorf("%s did not listen on port %d within 30s", name, port)
}

// startKagi sets up a fresh database in dir with one token, exactly as the
// README does, and runs `kagi serve` on it. A non-empty profile makes the
// server write its CPU profile there (KAGI_CPUPROFILE).
func startKagi(ctx context.Context, kagi, dir, profile string) (*server, error) {
	db := filepath.Join(dir, "kagi.db")
	soPIN, userPIN := filepath.Join(dir, "so.pin"), filepath.Join(dir, "user.pin")
	if err := os.WriteFile(soPIN, []byte(benchSOPIN+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(userPIN, []byte(benchPIN+"\n"), 0o600); err != nil {
		return nil, err
	}
	env := append(os.Environ(), "KAGI_DB="+db)
	init := exec.CommandContext(ctx, kagi, "init-token", "--free", "--label", "kms", "--so-pin-file", soPIN, "--pin-file", userPIN)
	init.Env = env
	if out, err := init.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("kagi init-token: %v\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "serve.json")
	cfg := fmt.Sprintf(`{"listen": "127.0.0.1:%d", "region": %q, "account": %q, "token": "kms", "pin_file": %q,
 "credentials": [{"access_key_id": %q, "secret_access_key": %q, "principal": "arn:aws:iam::%s:root"}]}`,
		port, benchRegion, benchAccount, userPIN, benchKeyID, benchSecret, benchAccount)
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(kagi, "serve", "--config", conf)
	cmd.Env = env
	if profile != "" {
		cmd.Env = append(cmd.Env, "KAGI_CPUPROFILE="+profile)
	}
	return start("kagi serve", cmd, port, filepath.Join(dir, "kagi-serve.log"))
}

// startLocalKMS runs local-kms on a free port with its data in dir.
func startLocalKMS(bin, dir string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "local-kms-data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+strconv.Itoa(port), "KMS_ACCOUNT_ID="+benchAccount,
		"KMS_REGION="+benchRegion, "KMS_DATA_PATH="+data, "KMS_SEED_PATH="+filepath.Join(dir, "no-seed.yaml"))
	return start("local-kms", cmd, port, filepath.Join(dir, "local-kms.log"))
}

// localKMSModule is what `go install` fetches through the module proxy.
const localKMSModule = "github.com/nsmithuk/local-kms@latest"

// installLocalKMS returns the local-kms binary: bin if given, else the one
// already installed in gobin, else a fresh `go install` into gobin.
func installLocalKMS(ctx context.Context, bin, gobin string) (string, error) {
	if bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("-localkms: %w", err)
		}
		return bin, nil
	}
	path := filepath.Join(gobin, "local-kms")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	abs, err := filepath.Abs(gobin)
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "install", localKMSModule)
	cmd.Env = append(os.Environ(), "GOBIN="+abs)
	// Outside the repository, so kagi's go.mod has no say in its versions.
	cmd.Dir = os.TempDir()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %v\n%s", localKMSModule, err, tail(out, 1000))
	}
	return path, nil
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
)

const (
	serveAKID   = "AKIAKAGISERVETEST000"
	serveSecret = "serve/test/secret/key/000000000000000000"
)

// startServe runs `kagi serve --config conf` in-process and returns the
// endpoint's URL and a channel that gets its exit code.
func startServe(t *testing.T, conf string) (string, <-chan int) {
	t.Helper()
	r, w := io.Pipe()
	done := make(chan int, 1)
	go func() {
		var errw bytes.Buffer
		code := run([]string{"serve", "--config", conf}, w, &errw)
		if code != 0 {
			t.Logf("kagi serve: %s", errw.String())
		}
		w.Close()
		done <- code
	}()
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatalf("kagi serve printed no address: %v", err)
	}
	go io.Copy(io.Discard, r)
	i := strings.Index(line, "http") // http:// or https://
	if i < 0 {
		t.Fatalf("kagi serve said %q", line)
	}
	return strings.Fields(line[i:])[0], done
}

// stopServe sends SIGTERM, as a service manager does, and waits for a clean
// exit.
func stopServe(t *testing.T, done <-chan int) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("kagi serve exited %d after SIGTERM", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("kagi serve did not stop within 20 s of SIGTERM")
	}
}

// TestServe sets up a token with the command, serves it, and uses it with
// the AWS SDK for Go v2; a blob made before a restart decrypts after it.
func TestServe(t *testing.T) {
	dir := setup(t)
	so, user := writePIN(t, dir, "so", "so-pin-1234"), writePIN(t, dir, "user", "user-pin-1234")
	if code, _, errs := kagi(t, "init-token", "--free", "--label", "kms", "--so-pin-file", so, "--pin-file", user); code != 0 {
		t.Fatalf("init-token: %s", errs)
	}
	conf := filepath.Join(dir, "serve.json")
	body := fmt.Sprintf(`{"listen": "127.0.0.1:0", "region": "eu-central-1", "account": "123456789012",
	  "token": "kms", "pin_file": %q, "maintenance_interval": "1m",
	  "credentials": [{"access_key_id": %q, "secret_access_key": %q,
	                   "principal": "arn:aws:iam::123456789012:root"}]}`, user, serveAKID, serveSecret)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	client := func(url string) *kms.Client {
		return kms.NewFromConfig(aws.Config{
			Region:           "eu-central-1",
			Credentials:      credentials.NewStaticCredentialsProvider(serveAKID, serveSecret, ""),
			RetryMaxAttempts: 1,
		}, func(o *kms.Options) { o.BaseEndpoint = aws.String(url) })
	}
	ctx := context.Background()

	url, done := startServe(t, conf)
	c := client(url)
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("served")})
	if err != nil {
		t.Fatal(err)
	}
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("kept across a restart")})
	if err != nil {
		t.Fatal(err)
	}
	stopServe(t, done)

	url, done = startServe(t, conf)
	dec, err := client(url).Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "kept across a restart" {
		t.Fatalf("Decrypt after a restart: %v", err)
	}
	stopServe(t, done)
}

func TestServeNeedsConfig(t *testing.T) {
	setup(t)
	if code, _, errs := kagi(t, "serve"); code != 1 || !strings.Contains(errs, "--config is required") {
		t.Fatalf("serve without --config: %d %q", code, errs)
	}
	conf := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(conf, []byte(`{"listen": "127.0.0.1:0", "pin": "1234"}`), 0o600)
	if code, _, errs := kagi(t, "serve", "--config", conf); code != 1 || !strings.Contains(errs, "unknown field") {
		t.Fatalf("serve with an unknown field (a PIN in the file): %d %q", code, errs)
	}
	os.WriteFile(conf, []byte(`{"listen": "127.0.0.1:0", "token": "kms", "maintenance_interval": "soon"}`), 0o600)
	if code, _, errs := kagi(t, "serve", "--config", conf); code != 1 || !strings.Contains(errs, "maintenance_interval") {
		t.Fatalf("serve with a bad maintenance_interval: %d %q", code, errs)
	}
}

package kmsbridge

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/kagi-hsm/kagi/token"
)

// Crash tests: the test binary runs itself again as a child that opens the
// bridge on the parent's database and starts RotateKeyOnDemand or
// ImportKeyMaterial with crashAt set to SIGKILL the process between the
// token writes (material written, metadata not yet). The parent then shows
// the orphan on the token, reopens the bridge, and checks the key works and
// the operation can be retried.

const (
	crashOpEnv  = "KAGI_TEST_CRASH_OP"
	crashDBEnv  = "KAGI_TEST_CRASH_DB"
	crashKeyEnv = "KAGI_TEST_CRASH_KEY"
	crashDirEnv = "KAGI_TEST_CRASH_DIR"
)

func TestMain(m *testing.M) {
	if op := os.Getenv(crashOpEnv); op != "" {
		// The child: it must die at the crash point; returning is a failure.
		err := crashChild(op)
		fmt.Fprintf(os.Stderr, "crash child: %s returned without crashing: %v\n", op, err)
		os.Exit(3)
	}
	os.Exit(m.Run())
}

func crashChild(op string) error {
	l, err := token.New(token.Config{DBPath: os.Getenv(crashDBEnv), Iterations: 1000, MaxPINFailures: 3})
	if err != nil {
		return err
	}
	b, err := Open(l, testConfig())
	if err != nil {
		return err
	}
	crashAt = func(point string) {
		if point == op {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
	keyID := os.Getenv(crashKeyEnv)
	switch op {
	case "rotate":
		_, err = b.RotateKeyOnDemand(context.Background(), &RotateKeyOnDemandRequest{KeyId: keyID})
	case "import":
		dir := os.Getenv(crashDirEnv)
		tok, _ := os.ReadFile(filepath.Join(dir, "token"))
		wrapped, _ := os.ReadFile(filepath.Join(dir, "wrapped"))
		_, err = b.ImportKeyMaterial(context.Background(), &ImportKeyMaterialRequest{KeyId: keyID, ImportToken: tok,
			EncryptedKeyMaterial: wrapped, ExpirationModel: ExpirationModelDoesNotExpire})
	default:
		err = errors.New("unknown operation")
	}
	return err
}

// crashIn runs the child for op on db and checks it died of SIGKILL.
func crashIn(t *testing.T, op, db, keyID, dir string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashOpEnv+"="+op, crashDBEnv+"="+db, crashKeyEnv+"="+keyID, crashDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("the %s child did not fail: %v\n%s", op, err, out)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("the %s child ended with %v, not SIGKILL at the crash point\n%s", op, err, out)
	}
}

// closeAll closes the bridge and its library so the child has the database.
func closeAll(t *testing.T, b *Bridge, l *token.Library) {
	t.Helper()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Finalize(); err != nil {
		t.Fatal(err)
	}
}

func blobVersion(blob []byte) uint32 { return binary.BigEndian.Uint32(blob[blobVersionOff:]) }

// TestCrashDuringRotateKeyOnDemand: killed after generating the new backing
// key and before the metadata that makes it current, the key keeps its old
// version; Open destroys the orphan; the rotation can be retried.
func TestCrashDuringRotateKeyOnDemand(t *testing.T) {
	b, l, db := newBridge(t)
	md := mustCreate(t, b, "crash")
	before, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("before the crash")})
	if err != nil {
		t.Fatal(err)
	}
	closeAll(t, b, l)
	crashIn(t, "rotate", db, md.KeyId, "")

	l = openLib(t, db)
	if n := labelled(t, l, md.KeyId); n != 3 {
		t.Fatalf("%d objects labelled with the key id after the crash, want 3 (metadata, HBK 1, orphan HBK 2)", n)
	}
	b, err = Open(l, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if n := labelled(t, l, md.KeyId); n != 2 {
		t.Fatalf("%d objects labelled with the key id after Open, want 2: the orphan stays", n)
	}
	dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: before.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "before the crash" {
		t.Fatalf("Decrypt of an old ciphertext: %v", err)
	}
	enc, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("after")})
	if err != nil || blobVersion(enc.CiphertextBlob) != 1 {
		t.Fatalf("Encrypt after the crash: %v (version %d, want 1)", err, blobVersion(enc.CiphertextBlob))
	}
	rots, err := b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId})
	if err != nil || len(rots.Rotations) != 0 {
		t.Fatalf("rotations after the crash: %+v %v", rots, err)
	}
	if _, err := b.RotateKeyOnDemand(bg, &RotateKeyOnDemandRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	enc2, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("rotated")})
	if err != nil || blobVersion(enc2.CiphertextBlob) != 2 {
		t.Fatalf("Encrypt after the retried rotation: %v", err)
	}
	for _, blob := range [][]byte{before.CiphertextBlob, enc.CiphertextBlob, enc2.CiphertextBlob} {
		if _, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCrashDuringImportKeyMaterial: killed after the material was copied to
// the token and before the metadata says so, the key is PendingImport;
// Open destroys the orphan; the same import token (its wrapping key is on
// the token) imports on retry, and the key then works with exactly that
// material.
func TestCrashDuringImportKeyMaterial(t *testing.T) {
	b, l, db := newBridge(t)
	md := createExternal(t, b, "", "")
	p := params(t, b, md.KeyId, "RSA_AES_KEY_WRAP_SHA_256", "RSA_2048")
	material := randBytes(32)
	wrapped := wrapRSA(t, p.PublicKey, "RSA_AES_KEY_WRAP_SHA_256", material)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token"), p.ImportToken, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wrapped"), wrapped, 0o600); err != nil {
		t.Fatal(err)
	}
	closeAll(t, b, l)
	crashIn(t, "import", db, md.KeyId, dir)

	l = openLib(t, db)
	if n := labelled(t, l, md.KeyId); n != 2 {
		t.Fatalf("%d objects labelled with the key id after the crash, want 2 (metadata, orphan material)", n)
	}
	b, err := Open(l, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	if n := labelled(t, l, md.KeyId); n != 1 {
		t.Fatalf("%d objects labelled with the key id after Open, want 1: the orphan stays", n)
	}
	if got := describe(t, b, md.KeyId); got.KeyState != KeyStatePendingImport {
		t.Fatalf("after the crash the key is %s", got.KeyState)
	}
	_, err = b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, CodeKMSInvalidState)
	if err := importMaterial(b, md.KeyId, p, wrapped, nil); err != nil {
		t.Fatal(err)
	}
	enc, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("retried")})
	if err != nil {
		t.Fatal(err)
	}
	if got := localOpen(t, material, enc.CiphertextBlob); string(got) != "retried" {
		t.Fatalf("local decryption: %q", got)
	}
	dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: localSeal(t, material, md.KeyId, []byte("local"))})
	if err != nil || string(dec.Plaintext) != "local" {
		t.Fatalf("Decrypt of a local blob: %v", err)
	}
}

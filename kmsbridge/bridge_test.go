package kmsbridge

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

const (
	testRegion  = "eu-west-1"
	testAccount = "111122223333"
	testLabel   = "kms"
	testPIN     = "user-1234"
	testSOPIN   = "so-secret"
)

var bg = context.Background()

// testConfig: alice (the SDK tests' signer) is an administrator of the
// account through her identity policy, as an IAM user with kms:* is; the
// default key policy delegates to the account, so she may use every key.
func testConfig() Config {
	return Config{Region: testRegion, Account: testAccount, TokenLabel: testLabel, PIN: testPIN, Sessions: 4,
		IdentityPolicies: map[string]string{alice.Principal: adminPolicy}}
}

const adminPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`

func openLib(t *testing.T, db string) *token.Library {
	t.Helper()
	l, err := token.New(token.Config{DBPath: db, Iterations: 1000, MaxPINFailures: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Finalize() })
	return l
}

// initToken initialises the free slot's token as token/token_test.go's
// ready() does: label, SO PIN, then the user PIN.
func initToken(t *testing.T, l *token.Library) {
	t.Helper()
	slots, err := l.Slots(true)
	if err != nil || len(slots) != 1 {
		t.Fatalf("slots: %v %v", slots, err)
	}
	if err := l.InitToken(slots[0], []byte(testSOPIN), testLabel); err != nil {
		t.Fatal(err)
	}
	sh, err := l.OpenSession(slots[0], ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(sh)
	if err := l.Login(sh, ck.CKU_SO, []byte(testSOPIN)); err != nil {
		t.Fatal(err)
	}
	if err := l.InitPIN(sh, []byte(testPIN)); err != nil {
		t.Fatal(err)
	}
	if err := l.Logout(sh); err != nil {
		t.Fatal(err)
	}
}

// newBridge returns a bridge on a fresh token, its library and database path.
func newBridge(t *testing.T) (*Bridge, *token.Library, string) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "kagi.db")
	l := openLib(t, db)
	initToken(t, l)
	b, err := Open(l, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, l, db
}

func mustCreate(t *testing.T, b *Bridge, desc string) KeyMetadata {
	t.Helper()
	out, err := b.CreateKey(bg, &CreateKeyRequest{Description: desc})
	if err != nil {
		t.Fatal(err)
	}
	return out.KeyMetadata
}

func i32(v int32) *int32 { return &v }

func TestOpenChecksConfig(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kagi.db")
	l := openLib(t, db)
	initToken(t, l)
	for _, c := range []struct {
		name string
		edit func(*Config)
	}{
		{"short account", func(c *Config) { c.Account = "12345" }},
		{"letters in account", func(c *Config) { c.Account = "11112222333a" }},
		{"bad region", func(c *Config) { c.Region = "Europe" }},
		{"unknown token", func(c *Config) { c.TokenLabel = "nope" }},
		{"wrong PIN", func(c *Config) { c.PIN = "wrong-pin" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := testConfig()
			c.edit(&cfg)
			if b, err := Open(l, cfg); err == nil {
				b.Close()
				t.Fatal("Open accepted it")
			}
		})
	}
	// A failed Open leaves no session behind; a good one works.
	b, err := Open(l, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// Token work after Close fails cleanly.
	_, err = b.GenerateRandom(bg, &GenerateRandomRequest{NumberOfBytes: i32(8)})
	wantCode(t, err, CodeKMSInternal)
}

package kmsbridge

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// fakeClock is Config.Now for tests that move time forward.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// clockConfig is testConfig on a fake clock with no background ticker.
func clockConfig(c *fakeClock) Config {
	cfg := testConfig()
	cfg.Now = c.Now
	cfg.MaintenanceInterval = -1
	return cfg
}

// newClockBridge is newBridge on a fake clock.
func newClockBridge(t *testing.T) (*Bridge, *token.Library, string, *fakeClock) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "kagi.db")
	l := openLib(t, db)
	initToken(t, l)
	c := newFakeClock()
	b, err := Open(l, clockConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, l, db, c
}

// reopen closes b and its library and opens the database again.
func reopen(t *testing.T, b *Bridge, l *token.Library, db string, cfg Config) (*Bridge, *token.Library) {
	t.Helper()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Finalize(); err != nil {
		t.Fatal(err)
	}
	l2 := openLib(t, db)
	b2, err := Open(l2, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b2.Close() })
	return b2, l2
}

// labelled counts the token objects (any class) labelled label, seen by a
// logged-in PKCS#11 session of its own.
func labelled(t *testing.T, l *token.Library, label string) int {
	t.Helper()
	slot, err := findToken(l, testLabel)
	if err != nil {
		t.Fatal(err)
	}
	sh, err := l.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(sh)
	if err := l.Login(sh, ck.CKU_USER, []byte(testPIN)); err != nil && ck.ErrorRV(err) != ck.CKR_USER_ALREADY_LOGGED_IN {
		t.Fatal(err)
	}
	if err := l.FindObjectsInit(sh, []ck.Attribute{bytesAttr(ck.CKA_LABEL, []byte(label))}); err != nil {
		t.Fatal(err)
	}
	defer l.FindObjectsFinal(sh)
	hs, err := l.FindObjects(sh, 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(hs)
}

func TestScheduleAndCancelKeyDeletion(t *testing.T) {
	b, _, _, c := newClockBridge(t)
	md := mustCreate(t, b, "doomed")
	blob := mustEncrypt(t, b, md.KeyId, []byte("x"), nil)

	for _, days := range []int32{6, 31, 0, -1} {
		_, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: md.KeyId, PendingWindowInDays: i32(days)})
		wantCode(t, err, CodeValidation)
	}
	_, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: "00000000-0000-4000-8000-000000000000"})
	wantCode(t, err, CodeNotFound)

	out, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: md.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	want := c.Now().Add(30 * day)
	if out.KeyState != KeyStatePendingDeletion || out.PendingWindowInDays != 30 || !out.DeletionDate.Equal(want) || out.KeyId != md.Arn {
		t.Fatalf("ScheduleKeyDeletion: %+v", out)
	}
	d, _ := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId})
	if d.KeyMetadata.KeyState != KeyStatePendingDeletion || d.KeyMetadata.Enabled || d.KeyMetadata.DeletionDate == nil ||
		!d.KeyMetadata.DeletionDate.Equal(want) || d.KeyMetadata.PendingDeletionWindowInDays == nil || *d.KeyMetadata.PendingDeletionWindowInDays != 30 {
		t.Fatalf("DescribeKey of a key pending deletion: %+v", d.KeyMetadata)
	}

	// Every use and change but CancelKeyDeletion is refused.
	_, err = b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, CodeKMSInvalidState)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob})
	wantCode(t, err, CodeKMSInvalidState)
	_, err = b.GenerateDataKey(bg, &GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: "AES_256"})
	wantCode(t, err, CodeKMSInvalidState)
	wantCode(t, b.EnableKey(bg, &EnableKeyRequest{KeyId: md.KeyId}), CodeKMSInvalidState)
	wantCode(t, b.DisableKey(bg, &DisableKeyRequest{KeyId: md.KeyId}), CodeKMSInvalidState)
	_, err = b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeKMSInvalidState)
	wantCode(t, b.TagResource(bg, &TagResourceRequest{KeyId: md.KeyId, Tags: []Tag{{"a", "b"}}}), CodeKMSInvalidState)
	wantCode(t, b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: md.KeyId}), CodeKMSInvalidState)
	_, err = b.RotateKeyOnDemand(bg, &RotateKeyOnDemandRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeKMSInvalidState)
	wantCode(t, b.UpdateKeyDescription(bg, &UpdateKeyDescriptionRequest{KeyId: md.KeyId, Description: "x"}), CodeKMSInvalidState)
	wantCode(t, b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/doomed", TargetKeyId: md.KeyId}), CodeKMSInvalidState)
	// Reading works: tags, rotation status, aliases.
	if _, err := b.ListResourceTags(bg, &ListResourceTagsRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}

	// Before the window ends, cancelling leaves a Disabled key that works
	// again once enabled, with its old blobs.
	c.Advance(29 * day)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	cancel, err := b.CancelKeyDeletion(bg, &CancelKeyDeletionRequest{KeyId: md.KeyId})
	if err != nil || cancel.KeyId != md.Arn {
		t.Fatalf("CancelKeyDeletion: %+v %v", cancel, err)
	}
	d, _ = b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId})
	if d.KeyMetadata.KeyState != KeyStateDisabled || d.KeyMetadata.DeletionDate != nil || d.KeyMetadata.PendingDeletionWindowInDays != nil {
		t.Fatalf("after CancelKeyDeletion: %+v", d.KeyMetadata)
	}
	_, err = b.CancelKeyDeletion(bg, &CancelKeyDeletionRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeKMSInvalidState)
	c.Advance(10 * day)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	if err := b.EnableKey(bg, &EnableKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if got := mustDecrypt(t, b, blob, nil); string(got) != "x" {
		t.Fatalf("plaintext %q", got)
	}
}

func TestDeletionAfterWindowByTick(t *testing.T) {
	b, l, _, c := newClockBridge(t)
	md := mustCreate(t, b, "doomed")
	keep := mustCreate(t, b, "kept")
	if err := b.RotateKeyOnDemandOK(t, md.KeyId); err != nil {
		t.Fatal(err)
	}
	if err := b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/doomed", TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if n := labelled(t, l, md.KeyId); n != 3 { // two versions and the metadata
		t.Fatalf("%d objects labelled with the key id before deletion", n)
	}
	if _, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: md.KeyId, PendingWindowInDays: i32(7)}); err != nil {
		t.Fatal(err)
	}
	c.Advance(7*day - time.Second)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatalf("deleted before its date: %v", err)
	}
	c.Advance(time.Second)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	_, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeNotFound)
	_, err = b.CancelKeyDeletion(bg, &CancelKeyDeletionRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeNotFound)
	if n := labelled(t, l, md.KeyId); n != 0 {
		t.Fatalf("%d objects labelled with the key id after deletion", n)
	}
	if n := labelled(t, l, "alias/doomed"); n != 0 {
		t.Fatalf("the deleted key's alias is still on the token")
	}
	al, _ := b.ListAliases(bg, &ListAliasesRequest{})
	if len(al.Aliases) != 0 {
		t.Fatalf("aliases after deletion: %+v", al.Aliases)
	}
	keys, _ := b.ListKeys(bg, &ListKeysRequest{})
	if len(keys.Keys) != 1 || keys.Keys[0].KeyId != keep.KeyId {
		t.Fatalf("keys after deletion: %+v", keys.Keys)
	}
}

// RotateKeyOnDemandOK is a test shorthand.
func (b *Bridge) RotateKeyOnDemandOK(t *testing.T, id string) error {
	t.Helper()
	_, err := b.RotateKeyOnDemand(bg, &RotateKeyOnDemandRequest{KeyId: id})
	return err
}

func TestDeletionAtOpen(t *testing.T) {
	b, l, db, c := newClockBridge(t)
	md := mustCreate(t, b, "doomed")
	if _, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: md.KeyId, PendingWindowInDays: i32(10)}); err != nil {
		t.Fatal(err)
	}
	// Still pending after a restart inside the window.
	b, l = reopen(t, b, l, db, clockConfig(c))
	d, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId})
	if err != nil || d.KeyMetadata.KeyState != KeyStatePendingDeletion {
		t.Fatalf("after restart: %+v %v", d, err)
	}
	c.Advance(11 * day)
	b, l = reopen(t, b, l, db, clockConfig(c))
	_, err = b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeNotFound)
	if n := labelled(t, l, md.KeyId); n != 0 {
		t.Fatalf("%d objects labelled with the key id after deletion at Open", n)
	}
}

func TestBackgroundMaintenance(t *testing.T) {
	db := filepath.Join(t.TempDir(), "kagi.db")
	l := openLib(t, db)
	initToken(t, l)
	c := newFakeClock()
	cfg := clockConfig(c)
	cfg.MaintenanceInterval = 5 * time.Millisecond
	b, err := Open(l, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	doomed := mustCreate(t, b, "doomed")
	rotating := mustCreate(t, b, "rotating")
	if _, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: doomed.KeyId, PendingWindowInDays: i32(7)}); err != nil {
		t.Fatal(err)
	}
	if err := b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: rotating.KeyId, RotationPeriodInDays: i32(90)}); err != nil {
		t.Fatal(err)
	}
	c.Advance(91 * day)
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: doomed.KeyId})
		r, _ := b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: rotating.KeyId})
		if ErrorCode(err) == CodeNotFound && len(r.Rotations) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the ticker did not delete and rotate: %v %+v", err, r)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := b.Close(); err != nil { // stops the ticker
		t.Fatal(err)
	}
}

type ckSession = ck.SessionHandle

// TestDeletionDestroysKeyPairs: the material of an ECC or RSA key is a key
// pair and of an HMAC key a generic secret; deletion destroys them all.
func TestDeletionDestroysKeyPairs(t *testing.T) {
	b, l, _, c := newClockBridge(t)
	for _, req := range []CreateKeyRequest{
		{KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY"},
		{KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT"},
		{KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC"},
	} {
		out, err := b.CreateKey(bg, &req)
		if err != nil {
			t.Fatal(err)
		}
		id := out.KeyMetadata.KeyId
		before := labelled(t, l, id)
		if _, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: id, PendingWindowInDays: i32(7)}); err != nil {
			t.Fatal(err)
		}
		c.Advance(7 * day)
		if err := b.maintain(bg); err != nil {
			t.Fatal(err)
		}
		if n := labelled(t, l, id); n != 0 {
			t.Fatalf("%s: %d of %d objects labelled with the key id left after deletion", req.KeySpec, n, before)
		}
	}
}

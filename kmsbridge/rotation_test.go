package kmsbridge

import (
	"testing"
	"time"
)

func TestKeyRotationSettings(t *testing.T) {
	b, _, _, c := newClockBridge(t)
	md := mustCreate(t, b, "rot")

	st, err := b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId})
	if err != nil || st.KeyRotationEnabled || st.RotationPeriodInDays != nil || st.NextRotationDate != nil || st.KeyId != md.Arn {
		t.Fatalf("status of a new key: %+v %v", st, err)
	}
	for _, days := range []int32{89, 2561, 0} {
		wantCode(t, b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: md.KeyId, RotationPeriodInDays: i32(days)}), CodeValidation)
	}
	wantCode(t, b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: "00000000-0000-4000-8000-000000000000"}), CodeNotFound)
	if err := b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	st, _ = b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId})
	if !st.KeyRotationEnabled || *st.RotationPeriodInDays != 365 || !st.NextRotationDate.Equal(c.Now().Add(365*day)) {
		t.Fatalf("status after EnableKeyRotation: %+v", st)
	}
	// A new period counts from the last rotation (here: enabling).
	c.Advance(10 * day)
	if err := b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: md.KeyId, RotationPeriodInDays: i32(90)}); err != nil {
		t.Fatal(err)
	}
	st, _ = b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId})
	if *st.RotationPeriodInDays != 90 || !st.NextRotationDate.Equal(c.Now().Add(80*day)) {
		t.Fatalf("status after changing the period: %+v", st)
	}

	// Disabled keys: DisabledException for changes, status still readable.
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: md.KeyId}), CodeDisabled)
	wantCode(t, b.DisableKeyRotation(bg, &DisableKeyRotationRequest{KeyId: md.KeyId}), CodeDisabled)
	_, err = b.RotateKeyOnDemand(bg, &RotateKeyOnDemandRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeDisabled)
	if _, err := b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	// A disabled key is not rotated automatically; enabled again after its
	// date, it rotates at the next run.
	c.Advance(100 * day)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	r, _ := b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId})
	if len(r.Rotations) != 0 {
		t.Fatalf("a disabled key rotated: %+v", r)
	}
	if err := b.EnableKey(bg, &EnableKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	r, _ = b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId})
	if len(r.Rotations) != 1 || r.Rotations[0].RotationType != RotationTypeAutomatic {
		t.Fatalf("rotations after enabling: %+v", r)
	}

	if err := b.DisableKeyRotation(bg, &DisableKeyRotationRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	st, _ = b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId})
	if st.KeyRotationEnabled || st.RotationPeriodInDays != nil || st.NextRotationDate != nil {
		t.Fatalf("status after DisableKeyRotation: %+v", st)
	}
	c.Advance(1000 * day)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	r, _ = b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId})
	if len(r.Rotations) != 1 {
		t.Fatalf("rotated with rotation disabled: %+v", r)
	}
}

func TestRotationKeepsOldBlobs(t *testing.T) {
	b, l, _, c := newClockBridge(t)
	md := mustCreate(t, b, "rot")
	ctx := map[string]string{"a": "b"}
	old := mustEncrypt(t, b, md.KeyId, []byte("before"), ctx)
	if h, _, err := parseBlob(old); err != nil || h.version != 1 {
		t.Fatalf("first blob: version %d %v", h.version, err)
	}
	c.Advance(time.Hour)
	out, err := b.RotateKeyOnDemand(bg, &RotateKeyOnDemandRequest{KeyId: md.KeyId})
	if err != nil || out.KeyId != md.Arn {
		t.Fatalf("RotateKeyOnDemand: %+v %v", out, err)
	}
	fresh := mustEncrypt(t, b, md.KeyId, []byte("after"), ctx)
	if h, _, _ := parseBlob(fresh); h.version != 2 {
		t.Fatalf("blob after rotation names version %d, want 2", h.version)
	}
	if got := mustDecrypt(t, b, old, ctx); string(got) != "before" {
		t.Fatalf("old blob: %q", got)
	}
	if got := mustDecrypt(t, b, fresh, ctx); string(got) != "after" {
		t.Fatalf("new blob: %q", got)
	}
	// ReEncrypt moves an old blob onto the current version.
	re, err := b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: old, SourceEncryptionContext: ctx, DestinationKeyId: md.KeyId, DestinationEncryptionContext: ctx})
	if err != nil {
		t.Fatal(err)
	}
	if h, _, _ := parseBlob(re.CiphertextBlob); h.version != 2 {
		t.Fatalf("re-encrypted blob names version %d", h.version)
	}
	if n := labelled(t, l, md.KeyId); n != 3 {
		t.Fatalf("%d objects labelled with the key id, want two versions and the metadata", n)
	}
	r, err := b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId})
	if err != nil || len(r.Rotations) != 1 || r.Rotations[0].RotationType != RotationTypeOnDemand ||
		!r.Rotations[0].RotationDate.Equal(c.Now()) || r.Rotations[0].KeyId != md.KeyId || r.Truncated {
		t.Fatalf("ListKeyRotations: %+v %v", r, err)
	}
	// On-demand rotation does not move the automatic schedule (none here).
	st, _ := b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId})
	if st.KeyRotationEnabled {
		t.Fatalf("on-demand rotation enabled automatic rotation: %+v", st)
	}
}

func TestAutomaticRotationWhenDue(t *testing.T) {
	b, _, _, c := newClockBridge(t)
	md := mustCreate(t, b, "auto")
	if err := b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: md.KeyId, RotationPeriodInDays: i32(90)}); err != nil {
		t.Fatal(err)
	}
	old := mustEncrypt(t, b, md.KeyId, []byte("v1"), nil)
	c.Advance(90*day - time.Millisecond)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := parseBlob(mustEncrypt(t, b, md.KeyId, []byte("x"), nil)); h.version != 1 {
		t.Fatalf("rotated early: version %d", h.version)
	}
	c.Advance(time.Millisecond)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := parseBlob(mustEncrypt(t, b, md.KeyId, []byte("x"), nil)); h.version != 2 {
		t.Fatalf("not rotated when due: version %d", h.version)
	}
	st, _ := b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId})
	if !st.NextRotationDate.Equal(c.Now().Add(90 * day)) {
		t.Fatalf("next rotation %v, want %v", st.NextRotationDate, c.Now().Add(90*day))
	}
	// Three more periods pass while nothing runs: one rotation catches up.
	c.Advance(300 * day)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	r, _ := b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId})
	if len(r.Rotations) != 2 || r.Rotations[1].RotationType != RotationTypeAutomatic {
		t.Fatalf("rotations: %+v", r)
	}
	if got := mustDecrypt(t, b, old, nil); string(got) != "v1" {
		t.Fatalf("old blob: %q", got)
	}
}

func TestListKeyRotationsPaging(t *testing.T) {
	b, _, _, _ := newClockBridge(t)
	md := mustCreate(t, b, "many")
	for i := 0; i < 5; i++ {
		if err := b.RotateKeyOnDemandOK(t, md.KeyId); err != nil {
			t.Fatal(err)
		}
	}
	var got []RotationsListEntry
	marker := ""
	for {
		r, err := b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId, Limit: i32(2), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Rotations...)
		if !r.Truncated {
			break
		}
		marker = r.NextMarker
	}
	if len(got) != 5 {
		t.Fatalf("%d rotations over the pages", len(got))
	}
	_, err := b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId, Marker: "x"})
	wantCode(t, err, CodeInvalidMarker)
	_, err = b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId, Limit: i32(0)})
	wantCode(t, err, CodeValidation)
}

func TestOnDemandRotationLimit(t *testing.T) {
	b, _, _, _ := newClockBridge(t)
	md := mustCreate(t, b, "limit")
	for i := 0; i < maxOnDemandRotations; i++ {
		if err := b.RotateKeyOnDemandOK(t, md.KeyId); err != nil {
			t.Fatal(err)
		}
	}
	_, err := b.RotateKeyOnDemand(bg, &RotateKeyOnDemandRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeLimitExceeded)
}

// TestRotationOnlySymmetricAWSKMS: a key of another spec or origin gives
// UnsupportedOperationException. No such key can be created yet, so the
// record is edited directly.
func TestRotationOnlySymmetricAWSKMS(t *testing.T) {
	b, _, _, _ := newClockBridge(t)
	md := mustCreate(t, b, "other")
	b.mu.Lock()
	b.keys[md.KeyId].rec.Origin = "EXTERNAL"
	b.mu.Unlock()
	wantCode(t, b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: md.KeyId}), CodeUnsupportedOperation)
	wantCode(t, b.DisableKeyRotation(bg, &DisableKeyRotationRequest{KeyId: md.KeyId}), CodeUnsupportedOperation)
	_, err := b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeUnsupportedOperation)
	_, err = b.RotateKeyOnDemand(bg, &RotateKeyOnDemandRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeUnsupportedOperation)
	_, err = b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeUnsupportedOperation)
}

// TestRotationCrashLeavesOldVersion: a backing key written by a rotation
// whose metadata never was (a crash in between) leaves the key on its old
// version; the next rotation replaces the orphan.
func TestRotationCrashLeavesOldVersion(t *testing.T) {
	b, l, db, c := newClockBridge(t)
	md := mustCreate(t, b, "crash")
	k := b.keys[md.KeyId]
	if err := b.withSession(bg, func(sh ckSession) error {
		_, err := b.generateHBK(sh, k.id, k.uuid, 2)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	b, l = reopen(t, b, l, db, clockConfig(c))
	blob := mustEncrypt(t, b, md.KeyId, []byte("still v1"), nil)
	if h, _, _ := parseBlob(blob); h.version != 1 {
		t.Fatalf("after the crash the key encrypts with version %d", h.version)
	}
	if err := b.RotateKeyOnDemandOK(t, md.KeyId); err != nil {
		t.Fatal(err)
	}
	if n := labelled(t, l, md.KeyId); n != 3 {
		t.Fatalf("%d objects labelled with the key id, want two versions and the metadata", n)
	}
	fresh := mustEncrypt(t, b, md.KeyId, []byte("v2"), nil)
	if h, _, _ := parseBlob(fresh); h.version != 2 {
		t.Fatalf("version %d after rotation", h.version)
	}
	if string(mustDecrypt(t, b, fresh, nil)) != "v2" || string(mustDecrypt(t, b, blob, nil)) != "still v1" {
		t.Fatal("round trip")
	}
}

// TestRestartKeepsLifecycle: tags, rotation settings, versions and a
// pending deletion survive a restart.
func TestRestartKeepsLifecycle(t *testing.T) {
	b, l, db, c := newClockBridge(t)
	rot := mustCreate(t, b, "rot")
	del := mustCreate(t, b, "del")
	if err := b.TagResource(bg, &TagResourceRequest{KeyId: rot.KeyId, Tags: []Tag{{"team", "kms"}, {"env", ""}}}); err != nil {
		t.Fatal(err)
	}
	if err := b.EnableKeyRotation(bg, &EnableKeyRotationRequest{KeyId: rot.KeyId, RotationPeriodInDays: i32(100)}); err != nil {
		t.Fatal(err)
	}
	old := mustEncrypt(t, b, rot.KeyId, []byte("v1"), nil)
	if err := b.RotateKeyOnDemandOK(t, rot.KeyId); err != nil {
		t.Fatal(err)
	}
	if _, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: del.KeyId, PendingWindowInDays: i32(20)}); err != nil {
		t.Fatal(err)
	}
	st1, _ := b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: rot.KeyId})

	b, _ = reopen(t, b, l, db, clockConfig(c))
	tags, err := b.ListResourceTags(bg, &ListResourceTagsRequest{KeyId: rot.KeyId})
	if err != nil || len(tags.Tags) != 2 || tags.Tags[0] != (Tag{"env", ""}) || tags.Tags[1] != (Tag{"team", "kms"}) {
		t.Fatalf("tags after restart: %+v %v", tags, err)
	}
	st2, _ := b.GetKeyRotationStatus(bg, &GetKeyRotationStatusRequest{KeyId: rot.KeyId})
	if !st2.KeyRotationEnabled || *st2.RotationPeriodInDays != 100 || !st2.NextRotationDate.Equal(st1.NextRotationDate.Time) {
		t.Fatalf("rotation status after restart: %+v, before %+v", st2, st1)
	}
	r, _ := b.ListKeyRotations(bg, &ListKeyRotationsRequest{KeyId: rot.KeyId})
	if len(r.Rotations) != 1 {
		t.Fatalf("rotations after restart: %+v", r)
	}
	if h, _, _ := parseBlob(mustEncrypt(t, b, rot.KeyId, []byte("x"), nil)); h.version != 2 {
		t.Fatalf("current version after restart: %d", h.version)
	}
	if string(mustDecrypt(t, b, old, nil)) != "v1" {
		t.Fatal("old blob after restart")
	}
	d, _ := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: del.KeyId})
	if d.KeyMetadata.KeyState != KeyStatePendingDeletion || !d.KeyMetadata.DeletionDate.Equal(c.Now().Add(20*day)) {
		t.Fatalf("pending deletion after restart: %+v", d.KeyMetadata)
	}
}

// TestRotationUnderLoad rotates while other goroutines encrypt and decrypt:
// every blob decrypts, whichever version it names (run with -race).
func TestRotationUnderLoad(t *testing.T) {
	b, _, _, _ := newClockBridge(t)
	md := mustCreate(t, b, "busy")
	done := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 20; i++ {
				enc, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("p")})
				if err != nil {
					done <- err
					return
				}
				if _, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: enc.CiphertextBlob}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for i := 0; i < 5; i++ {
		if err := b.RotateKeyOnDemandOK(t, md.KeyId); err != nil {
			t.Fatal(err)
		}
	}
	for g := 0; g < 4; g++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

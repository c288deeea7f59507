package kmsbridge

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// TestSDKKeyLifecycle drives tags, scheduled deletion and rotation through
// the endpoint with the AWS SDK for Go v2, on a bridge whose clock the test
// moves: the SDK decodes every response shape and typed error.
func TestSDKKeyLifecycle(t *testing.T) {
	b, l, _, clock := newClockBridge(t)
	c := serveBridge(t, b)

	// Tags.
	created, err := c.CreateKey(bg, &kms.CreateKeyInput{Tags: []types.Tag{{TagKey: aws.String("team"), TagValue: aws.String("kms")}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.KeyMetadata.KeyId)
	if _, err := c.TagResource(bg, &kms.TagResourceInput{KeyId: aws.String(id), Tags: []types.Tag{{TagKey: aws.String("env"), TagValue: aws.String("")}}}); err != nil {
		t.Fatal(err)
	}
	var tagErr *types.TagException
	if _, err := c.TagResource(bg, &kms.TagResourceInput{KeyId: aws.String(id), Tags: []types.Tag{{TagKey: aws.String("aws:x"), TagValue: aws.String("y")}}}); !errors.As(err, &tagErr) {
		t.Fatalf("TagResource with aws: prefix: %v, want TagException", err)
	}
	if _, err := c.UntagResource(bg, &kms.UntagResourceInput{KeyId: aws.String(id), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListResourceTags(bg, &kms.ListResourceTagsInput{KeyId: aws.String(id)})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].TagKey) != "env" || aws.ToString(tags.Tags[0].TagValue) != "" || tags.Truncated {
		t.Fatalf("ListResourceTags: %+v %v", tags, err)
	}

	// Rotation.
	if _, err := c.EnableKeyRotation(bg, &kms.EnableKeyRotationInput{KeyId: aws.String(id), RotationPeriodInDays: aws.Int32(90)}); err != nil {
		t.Fatal(err)
	}
	st, err := c.GetKeyRotationStatus(bg, &kms.GetKeyRotationStatusInput{KeyId: aws.String(id)})
	if err != nil || !st.KeyRotationEnabled || aws.ToInt32(st.RotationPeriodInDays) != 90 ||
		st.NextRotationDate == nil || !st.NextRotationDate.Equal(clock.Now().Add(90*day)) {
		t.Fatalf("GetKeyRotationStatus: %+v %v", st, err)
	}
	var invalid interface{ ErrorCode() string }
	if _, err := c.EnableKeyRotation(bg, &kms.EnableKeyRotationInput{KeyId: aws.String(id), RotationPeriodInDays: aws.Int32(30)}); !errors.As(err, &invalid) || invalid.ErrorCode() != CodeValidation {
		t.Fatalf("EnableKeyRotation of 30 days: %v, want ValidationException", err)
	}
	old, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("v1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.RotateKeyOnDemand(bg, &kms.RotateKeyOnDemandInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(91 * day)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	rots, err := c.ListKeyRotations(bg, &kms.ListKeyRotationsInput{KeyId: aws.String(id)})
	if err != nil || len(rots.Rotations) != 2 || rots.Rotations[0].RotationType != types.RotationTypeOnDemand ||
		rots.Rotations[1].RotationType != types.RotationTypeAutomatic || rots.Rotations[1].RotationDate == nil {
		t.Fatalf("ListKeyRotations: %+v %v", rots, err)
	}
	dec, err := c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: old.CiphertextBlob})
	if err != nil || string(dec.Plaintext) != "v1" {
		t.Fatalf("Decrypt of a blob from before two rotations: %v", err)
	}
	if _, err := c.DisableKeyRotation(bg, &kms.DisableKeyRotationInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}

	// Scheduled deletion, cancelled, then carried out.
	sched, err := c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)})
	if err != nil || sched.KeyState != types.KeyStatePendingDeletion || aws.ToInt32(sched.PendingWindowInDays) != 7 ||
		sched.DeletionDate == nil || !sched.DeletionDate.Equal(clock.Now().Add(7*day)) {
		t.Fatalf("ScheduleKeyDeletion: %+v %v", sched, err)
	}
	d, err := c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if err != nil || d.KeyMetadata.KeyState != types.KeyStatePendingDeletion || d.KeyMetadata.DeletionDate == nil ||
		aws.ToInt32(d.KeyMetadata.PendingDeletionWindowInDays) != 7 {
		t.Fatalf("DescribeKey: %+v %v", d, err)
	}
	var state *types.KMSInvalidStateException
	if _, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("x")}); !errors.As(err, &state) {
		t.Fatalf("Encrypt with a key pending deletion: %v, want KMSInvalidStateException", err)
	}
	if _, err := c.CancelKeyDeletion(bg, &kms.CancelKeyDeletionInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	if d.KeyMetadata.KeyState != types.KeyStateDisabled {
		t.Fatalf("after CancelKeyDeletion: %s", d.KeyMetadata.KeyState)
	}
	if _, err := c.CancelKeyDeletion(bg, &kms.CancelKeyDeletionInput{KeyId: aws.String(id)}); !errors.As(err, &state) {
		t.Fatalf("CancelKeyDeletion of a key not pending deletion: %v", err)
	}
	if _, err := c.ScheduleKeyDeletion(bg, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(id), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(7*day + time.Millisecond)
	if err := b.maintain(bg); err != nil {
		t.Fatal(err)
	}
	var nf *types.NotFoundException
	if _, err := c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(id)}); !errors.As(err, &nf) {
		t.Fatalf("DescribeKey of a deleted key: %v, want NotFoundException", err)
	}
	if n := labelled(t, l, id); n != 0 {
		t.Fatalf("%d token objects of the deleted key remain", n)
	}
}

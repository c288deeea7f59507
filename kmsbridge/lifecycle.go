package kmsbridge

import (
	"context"
	"errors"
	"log"
	"sort"
	"time"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Key deletion (AWS's ScheduleKeyDeletion / CancelKeyDeletion) and the
// maintenance that carries out due deletions and automatic rotations.
//
// A key scheduled for deletion is PendingDeletion: it refuses every use and
// every change but CancelKeyDeletion (KMSInvalidStateException), and
// DescribeKey shows its DeletionDate. Once DeletionDate has passed, the next
// maintenance run (at Open and every Config.MaintenanceInterval) destroys
// every backing key version on the token, then the aliases that point at
// the key, then its metadata object. The metadata goes last so that a crash
// part way leaves a PendingDeletion key whose date has passed, and the next
// run finishes the job: material never outlives its metadata unnoticed.

const (
	minPendingWindowDays     = 7
	maxPendingWindowDays     = 30
	defaultPendingWindowDays = 30

	// DefaultMaintenanceInterval is how often due deletions and rotations
	// run when Config.MaintenanceInterval is zero.
	DefaultMaintenanceInterval = time.Hour
)

const day = 24 * time.Hour

type ScheduleKeyDeletionRequest struct {
	KeyId               string
	PendingWindowInDays *int32 `json:",omitempty"`
}

type ScheduleKeyDeletionResponse struct {
	KeyId               string // ARN
	DeletionDate        Timestamp
	KeyState            string
	PendingWindowInDays int32
}

type CancelKeyDeletionRequest struct {
	KeyId string
}

type CancelKeyDeletionResponse struct {
	KeyId string // ARN
}

// now is the bridge's clock, in AWS's millisecond precision.
func (b *Bridge) now() Timestamp {
	t := time.Now()
	if b.cfg.Now != nil {
		t = b.cfg.Now()
	}
	return Timestamp{t.UTC().Truncate(time.Millisecond)}
}

// pendingWindow is KeyMetadata.PendingDeletionWindowInDays.
func pendingWindow(rec *keyRecord) *int32 {
	if rec.KeyState != KeyStatePendingDeletion || rec.PendingWindowInDays == 0 {
		return nil
	}
	d := rec.PendingWindowInDays
	return &d
}

// cloneRecord copies rec deeply enough that changing the copy's slices and
// pointers never touches what readers of the original see.
func cloneRecord(rec keyRecord) keyRecord {
	rec.Versions = append([]backingVersion(nil), rec.Versions...)
	rec.Tags = append([]Tag(nil), rec.Tags...)
	if rec.DeletionDate != nil {
		d := *rec.DeletionDate
		rec.DeletionDate = &d
	}
	if rec.NextRotationDate != nil {
		d := *rec.NextRotationDate
		rec.NextRotationDate = &d
	}
	return rec
}

// ScheduleKeyDeletion puts a key in PendingDeletion for PendingWindowInDays
// (7 to 30, default 30) days, after which it is destroyed.
func (b *Bridge) ScheduleKeyDeletion(ctx context.Context, in *ScheduleKeyDeletionRequest) (out *ScheduleKeyDeletionResponse, err error) {
	ctx, done := b.begin(ctx, "ScheduleKeyDeletion")
	defer func() { done(out, err) }()
	days := int32(defaultPendingWindowDays)
	if in.PendingWindowInDays != nil {
		days = *in.PendingWindowInDays
		if days < minPendingWindowDays || days > maxPendingWindowDays {
			return nil, ValidationException("PendingWindowInDays must be between %d and %d", minPendingWindowDays, maxPendingWindowDays)
		}
	}
	err = b.updateKey(ctx, in.KeyId, "kms:ScheduleKeyDeletion", func(rec *keyRecord) error {
		if rec.KeyState == KeyStatePendingDeletion {
			return KMSInvalidStateException("%s is pending deletion.", b.keyARN(rec.KeyId))
		}
		date := Timestamp{b.now().Add(time.Duration(days) * day)}
		rec.KeyState = KeyStatePendingDeletion
		rec.DeletionDate = &date
		rec.PendingWindowInDays = days
		out = &ScheduleKeyDeletionResponse{KeyId: b.keyARN(rec.KeyId), DeletionDate: date, KeyState: KeyStatePendingDeletion, PendingWindowInDays: days}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CancelKeyDeletion takes a key out of PendingDeletion; as in AWS it is then
// Disabled.
func (b *Bridge) CancelKeyDeletion(ctx context.Context, in *CancelKeyDeletionRequest) (out *CancelKeyDeletionResponse, err error) {
	ctx, done := b.begin(ctx, "CancelKeyDeletion")
	defer func() { done(out, err) }()
	var arn string
	err = b.updateKey(ctx, in.KeyId, "kms:CancelKeyDeletion", func(rec *keyRecord) error {
		if rec.KeyState != KeyStatePendingDeletion {
			return KMSInvalidStateException("%s is not pending deletion (it is %s).", b.keyARN(rec.KeyId), rec.KeyState)
		}
		rec.KeyState = KeyStateDisabled
		if rec.Import != nil && !rec.Import.Present {
			rec.KeyState = KeyStatePendingImport // nothing to enable (import.go)
		}
		rec.DeletionDate = nil
		rec.PendingWindowInDays = 0
		arn = b.keyARN(rec.KeyId)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &CancelKeyDeletionResponse{KeyId: arn}, nil
}

// startMaintenance runs maintain every MaintenanceInterval until Close.
func (b *Bridge) startMaintenance() {
	every := b.cfg.MaintenanceInterval
	if every == 0 {
		every = DefaultMaintenanceInterval
	}
	if every < 0 {
		return
	}
	b.maintWG.Add(1)
	go func() {
		defer b.maintWG.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-b.done:
				return
			case <-t.C:
				if err := b.maintain(context.Background()); err != nil && err != errClosed {
					log.Printf("kmsbridge: key maintenance: %v", err)
				}
			}
		}
	}()
}

// maintain destroys the keys whose deletion date has passed and rotates the
// enabled keys whose automatic rotation is due. It holds b.mu throughout, so
// operations wait for it (it is quick unless many keys fall due at once).
// A key that fails does not hold up the others; the errors are joined and
// the next run tries again.
func (b *Bridge) maintain(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	ids := make([]string, 0, len(b.keys))
	for id := range b.keys {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var errs []error
	for _, id := range ids {
		k := b.keys[id]
		if materialExpired(&k.rec, now) && !(k.rec.KeyState == KeyStatePendingDeletion && k.rec.DeletionDate != nil && !now.Before(k.rec.DeletionDate.Time)) {
			// Imported material past its ValidTo (import.go).
			if err := b.withSession(ctx, func(sh ck.SessionHandle) error { return b.deleteMaterialLocked(sh, k) }); err != nil {
				if err == errClosed {
					return err
				}
				errs = append(errs, err)
			}
			continue
		}
		switch {
		case k.rec.KeyState == KeyStatePendingDeletion && k.rec.DeletionDate != nil && !now.Before(k.rec.DeletionDate.Time):
			if err := b.withSession(ctx, func(sh ck.SessionHandle) error { return b.destroyKeyLocked(sh, k) }); err != nil {
				if err == errClosed {
					return err
				}
				errs = append(errs, err)
			}
		case k.rec.KeyState == KeyStateEnabled && k.rec.RotationEnabled && k.rec.NextRotationDate != nil && !now.Before(k.rec.NextRotationDate.Time):
			// Disabled keys are not rotated (AWS): a key enabled again
			// after its date rotates at the next run.
			if err := b.rotateLocked(ctx, k, RotationTypeAutomatic, now); err != nil {
				if err == errClosed {
					return err
				}
				errs = append(errs, err)
			}
		}
	}
	// Wrapping keys whose import tokens have all expired (import_token.go).
	if err := b.withSession(ctx, func(sh ck.SessionHandle) error { return b.dropExpiredWrappingKeys(sh, now) }); err != nil {
		if err == errClosed {
			return err
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// destroyMaterial destroys all key material of k on the token — secret
// keys (symmetric backing keys, HMAC keys), the private and public halves
// of RSA and ECC keys, every version, orphans included — and forgets the
// handles cached for it.
func (b *Bridge) destroyMaterial(sh ck.SessionHandle, k *kmsKey) error {
	for _, class := range []ck.ObjectClass{ck.CKO_SECRET_KEY, ck.CKO_PRIVATE_KEY, ck.CKO_PUBLIC_KEY} {
		hs, err := b.findAll(sh, []ck.Attribute{
			ulongAttr(ck.CKA_CLASS, ck.ULong(class)),
			bytesAttr(ck.CKA_LABEL, []byte(k.id)),
		})
		if err != nil {
			return tokenError("finding key material", err)
		}
		for _, h := range hs {
			if err := b.lib.DestroyObject(sh, h); err != nil {
				return tokenError("destroying key material", err)
			}
		}
	}
	b.hbkMu.Lock()
	clear(k.hbk)
	clear(k.objs)
	b.hbkMu.Unlock()
	return nil
}

// destroyKeyLocked destroys every token object of key k (its key material:
// backing keys, including orphans a crashed rotation left, or its key pair;
// then its aliases, then its metadata) and drops it from the index. Caller holds b.mu for writing.
func (b *Bridge) destroyKeyLocked(sh ck.SessionHandle, k *kmsKey) error {
	if err := b.checkLogin(sh); err != nil {
		return err
	}
	if err := b.destroyMaterial(sh, k); err != nil {
		return err
	}
	for name, a := range b.aliases {
		if a.rec.TargetKeyId != k.id {
			continue
		}
		if err := b.deleteData(sh, appAlias, name); err != nil {
			return err
		}
		delete(b.aliases, name)
	}
	if err := b.deleteGrantsLocked(sh, k); err != nil {
		return err
	}
	if err := b.deleteData(sh, appKey, k.id); err != nil {
		return err
	}
	delete(b.keys, k.id)
	return nil
}

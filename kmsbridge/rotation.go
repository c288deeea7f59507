package kmsbridge

import (
	"context"
	"strconv"
	"time"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Key rotation. A rotation generates the next backing key version on the
// token and makes it the current one: new encryptions use it, and every older
// version stays for Decrypt (a blob names its version). Only symmetric keys
// of origin AWS_KMS rotate, as in AWS.
//
// Crash safety: the new backing key is generated before the metadata that
// makes it current is written. A crash in between leaves the key working
// with its old version and an orphan backing key object, which the next
// rotation of that key destroys before generating the version again.

const (
	RotationTypeAutomatic = "AUTOMATIC"
	RotationTypeOnDemand  = "ON_DEMAND"

	minRotationPeriodDays     = 90
	maxRotationPeriodDays     = 2560
	defaultRotationPeriodDays = 365
	maxOnDemandRotations      = 25
)

type EnableKeyRotationRequest struct {
	KeyId                string
	RotationPeriodInDays *int32 `json:",omitempty"`
}

type DisableKeyRotationRequest struct {
	KeyId string
}

type GetKeyRotationStatusRequest struct {
	KeyId string
}

type GetKeyRotationStatusResponse struct {
	KeyId                     string // ARN
	KeyRotationEnabled        bool
	RotationPeriodInDays      *int32     `json:",omitempty"`
	NextRotationDate          *Timestamp `json:",omitempty"`
	OnDemandRotationStartDate *Timestamp `json:",omitempty"`
}

type RotateKeyOnDemandRequest struct {
	KeyId string
}

type RotateKeyOnDemandResponse struct {
	KeyId string // ARN
}

type ListKeyRotationsRequest struct {
	KeyId  string
	Limit  *int32 `json:",omitempty"`
	Marker string `json:",omitempty"`
}

// RotationsListEntry is AWS's RotationsListEntry: one completed rotation.
type RotationsListEntry struct {
	KeyId        string
	RotationDate Timestamp
	RotationType string
}

type ListKeyRotationsResponse struct {
	Rotations  []RotationsListEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

// checkRotatable says whether the key's kind can rotate at all.
func (b *Bridge) checkRotatable(rec *keyRecord) error {
	if rec.KeySpec != KeySpecSymmetricDefault || rec.Origin != OriginAWSKMS {
		return UnsupportedOperationException("%s: only symmetric encryption KMS keys with origin AWS_KMS support rotation (this key is %s, origin %s)", b.keyARN(rec.KeyId), rec.KeySpec, rec.Origin)
	}
	return nil
}

// checkRotationState is the state check of the rotation changes: a
// disabled key gives DisabledException, any other non-Enabled state
// KMSInvalidStateException.
func (b *Bridge) checkRotationState(rec *keyRecord) error { return b.checkEnabled(rec) }

// EnableKeyRotation turns on automatic rotation every RotationPeriodInDays
// (90 to 2560, default 365). On a key that already rotates, it changes the
// period: the next rotation is then the period after the last one.
func (b *Bridge) EnableKeyRotation(ctx context.Context, in *EnableKeyRotationRequest) (err error) {
	ctx, done := b.begin(ctx, "EnableKeyRotation")
	defer func() { done(nil, err) }()
	days := int32(defaultRotationPeriodDays)
	if in.RotationPeriodInDays != nil {
		days = *in.RotationPeriodInDays
		if days < minRotationPeriodDays || days > maxRotationPeriodDays {
			return ValidationException("RotationPeriodInDays must be between %d and %d", minRotationPeriodDays, maxRotationPeriodDays)
		}
	}
	return b.updateKey(ctx, in.KeyId, "kms:EnableKeyRotation", func(rec *keyRecord) error {
		if err := b.checkRotatable(rec); err != nil {
			return err
		}
		if err := b.checkRotationState(rec); err != nil {
			return err
		}
		from := b.now()
		if rec.RotationEnabled {
			from = rec.Versions[len(rec.Versions)-1].CreationDate
			if rec.NextRotationDate != nil && rec.RotationPeriodInDays > 0 {
				from = Timestamp{rec.NextRotationDate.Add(-time.Duration(rec.RotationPeriodInDays) * day)}
			}
		}
		next := Timestamp{from.Add(time.Duration(days) * day)}
		rec.RotationEnabled = true
		rec.RotationPeriodInDays = days
		rec.NextRotationDate = &next
		return nil
	})
}

// DisableKeyRotation turns automatic rotation off; the versions stay.
func (b *Bridge) DisableKeyRotation(ctx context.Context, in *DisableKeyRotationRequest) (err error) {
	ctx, done := b.begin(ctx, "DisableKeyRotation")
	defer func() { done(nil, err) }()
	return b.updateKey(ctx, in.KeyId, "kms:DisableKeyRotation", func(rec *keyRecord) error {
		if err := b.checkRotatable(rec); err != nil {
			return err
		}
		if err := b.checkRotationState(rec); err != nil {
			return err
		}
		rec.RotationEnabled = false
		rec.RotationPeriodInDays = 0
		rec.NextRotationDate = nil
		return nil
	})
}

// GetKeyRotationStatus answers whether the key rotates, how often and when
// next. It works in every state (a disabled or pending-deletion key too).
func (b *Bridge) GetKeyRotationStatus(ctx context.Context, in *GetKeyRotationStatusRequest) (out *GetKeyRotationStatusResponse, err error) {
	ctx, done := b.begin(ctx, "GetKeyRotationStatus")
	defer func() { done(out, err) }()
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:GetKeyRotationStatus"})
	if err != nil {
		return nil, err
	}
	if err := b.checkRotatable(&k.rec); err != nil {
		return nil, err
	}
	out = &GetKeyRotationStatusResponse{KeyId: b.keyARN(k.id), KeyRotationEnabled: k.rec.RotationEnabled}
	if k.rec.RotationEnabled {
		d := k.rec.RotationPeriodInDays
		out.RotationPeriodInDays = &d
		if k.rec.NextRotationDate != nil {
			n := *k.rec.NextRotationDate
			out.NextRotationDate = &n
		}
	}
	return out, nil
}

// RotateKeyOnDemand rotates the key now (at most 25 times per key, as in
// AWS); the automatic schedule is unchanged. The rotation is complete when
// the call returns.
func (b *Bridge) RotateKeyOnDemand(ctx context.Context, in *RotateKeyOnDemandRequest) (out *RotateKeyOnDemandResponse, err error) {
	ctx, done := b.begin(ctx, "RotateKeyOnDemand")
	defer func() { done(out, err) }()
	b.mu.Lock()
	defer b.mu.Unlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:RotateKeyOnDemand"})
	if err != nil {
		return nil, err
	}
	if err := b.checkRotatable(&k.rec); err != nil {
		return nil, err
	}
	if err := b.checkRotationState(&k.rec); err != nil {
		return nil, err
	}
	n := 0
	for _, v := range k.rec.Versions {
		if v.RotationType == RotationTypeOnDemand {
			n++
		}
	}
	if n >= maxOnDemandRotations {
		return nil, newError(CodeLimitExceeded, "%s has been rotated on demand %d times, the limit", b.keyARN(k.id), maxOnDemandRotations)
	}
	if err := b.rotateLocked(ctx, k, RotationTypeOnDemand, b.now()); err != nil {
		return nil, err
	}
	return &RotateKeyOnDemandResponse{KeyId: b.keyARN(k.id)}, nil
}

// rotateLocked generates k's next backing key version, then writes the
// metadata that makes it current. An automatic rotation also moves the next
// rotation date one period on from now. Caller holds b.mu for writing.
func (b *Bridge) rotateLocked(ctx context.Context, k *kmsKey, typ string, now Timestamp) error {
	rec := cloneRecord(k.rec)
	v := rec.Versions[len(rec.Versions)-1].Version + 1
	rec.Versions = append(rec.Versions, backingVersion{Version: v, CreationDate: now, RotationType: typ})
	rec.CurrentVersion = v
	if typ == RotationTypeAutomatic {
		next := Timestamp{now.Add(time.Duration(rec.RotationPeriodInDays) * day)}
		rec.NextRotationDate = &next
	}
	return b.withSession(ctx, func(sh ck.SessionHandle) error {
		if err := b.checkLogin(sh); err != nil {
			return err
		}
		// An orphan of version v from a rotation that crashed before its
		// metadata was written: never used, so destroyed.
		orphans, err := b.findAll(sh, []ck.Attribute{
			ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)),
			bytesAttr(ck.CKA_ID, hbkID(k.uuid, v)),
			bytesAttr(ck.CKA_LABEL, []byte(k.id)),
		})
		if err != nil {
			return tokenError("finding backing keys", err)
		}
		for _, h := range orphans {
			if err := b.lib.DestroyObject(sh, h); err != nil {
				return tokenError("destroying an orphan backing key", err)
			}
		}
		h, err := b.generateHBK(sh, k.id, k.uuid, v)
		if err != nil {
			return tokenError("generating a backing key", err)
		}
		if crashAt != nil {
			crashAt("rotate") // tests: a crash before the commit point
		}
		if err := b.writeKey(sh, k, rec); err != nil {
			b.lib.DestroyObject(sh, h)
			return err
		}
		b.hbkMu.Lock()
		k.hbk[v] = h
		b.hbkMu.Unlock()
		return nil
	})
}

// ListKeyRotations lists the key's completed rotations, oldest first, Limit
// at a time (the original key material is not a rotation).
func (b *Bridge) ListKeyRotations(ctx context.Context, in *ListKeyRotationsRequest) (out *ListKeyRotationsResponse, err error) {
	ctx, done := b.begin(ctx, "ListKeyRotations")
	defer func() { done(out, err) }()
	limit, err := listLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	start := uint64(0)
	if in.Marker != "" {
		start, err = strconv.ParseUint(in.Marker, 10, 32)
		if err != nil {
			return nil, InvalidMarkerException("Marker %q is not a marker ListKeyRotations returned", in.Marker)
		}
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:ListKeyRotations"})
	if err != nil {
		return nil, err
	}
	if err := b.checkRotatable(&k.rec); err != nil {
		return nil, err
	}
	out = &ListKeyRotationsResponse{Rotations: []RotationsListEntry{}}
	for _, v := range k.rec.Versions {
		if v.RotationType == "" || uint64(v.Version) < start {
			continue
		}
		if len(out.Rotations) == limit {
			out.NextMarker = strconv.FormatUint(uint64(v.Version), 10)
			out.Truncated = true
			break
		}
		out.Rotations = append(out.Rotations, RotationsListEntry{KeyId: k.id, RotationDate: v.CreationDate, RotationType: v.RotationType})
	}
	return out, nil
}

package kmsbridge

import (
	"context"
	"encoding/json"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kagi-hsm/kagi/token/ck"
)

// AWS limits.
const (
	maxDescriptionLen = 8192
	defaultListLimit  = 100
	maxListLimit      = 1000
)

// keySpecs says which KeySpec values CreateKey accepts in this version and
// the key usages AWS allows for each. The AWS key specs kagi lacks are
// recognised so that, with a usage AWS allows, they give
// UnsupportedOperationException rather than ValidationException.
var keySpecs = map[string]struct {
	supported bool
	usages    []string
}{
	KeySpecSymmetricDefault: {true, []string{KeyUsageEncryptDecrypt}},
	"RSA_2048":              {true, rsaUsages}, "RSA_3072": {true, rsaUsages}, "RSA_4096": {true, rsaUsages},
	"ECC_NIST_P256": {true, eccUsages}, "ECC_NIST_P384": {true, eccUsages}, "ECC_NIST_P521": {true, eccUsages},
	"ECC_SECG_P256K1": {false, []string{KeyUsageSignVerify}},
	"HMAC_224":        {true, macUsages}, "HMAC_256": {true, macUsages}, "HMAC_384": {true, macUsages}, "HMAC_512": {true, macUsages},
	"SM2": {false, []string{KeyUsageEncryptDecrypt, KeyUsageSignVerify, KeyUsageKeyAgreement}},
}

var (
	rsaUsages = []string{KeyUsageEncryptDecrypt, KeyUsageSignVerify}
	eccUsages = []string{KeyUsageSignVerify, KeyUsageKeyAgreement} // NIST curves only
	macUsages = []string{KeyUsageGenerateVerifyMac}
)

// keyARN is the ARN of a key id.
func (b *Bridge) keyARN(id string) string { return b.arn + "key/" + id }

// metadata renders a key record as AWS's KeyMetadata.
func (b *Bridge) metadata(rec *keyRecord) KeyMetadata {
	enc, sign, mac := keyAlgorithms(rec.KeySpec, rec.KeyUsage)
	md := KeyMetadata{
		AWSAccountId:           b.cfg.Account,
		KeyId:                  rec.KeyId,
		Arn:                    b.keyARN(rec.KeyId),
		CreationDate:           rec.CreationDate,
		Enabled:                rec.KeyState == KeyStateEnabled,
		Description:            rec.Description,
		KeyUsage:               rec.KeyUsage,
		KeyState:               rec.KeyState,
		Origin:                 rec.Origin,
		KeyManager:             KeyManagerCustomer,
		CustomerMasterKeySpec:  rec.KeySpec,
		KeySpec:                rec.KeySpec,
		EncryptionAlgorithms:   enc,
		SigningAlgorithms:      sign,
		MacAlgorithms:          mac,
		KeyAgreementAlgorithms: keyAgreementAlgorithms(rec.KeyUsage),
	}
	md.DeletionDate, md.PendingDeletionWindowInDays = rec.DeletionDate, pendingWindow(rec)
	md.ExpirationModel, md.ValidTo = importMetadata(rec) // import.go
	return md
}

func checkDescription(d string) error {
	if len(d) > maxDescriptionLen || !utf8.ValidString(d) {
		return ValidationException("Description must be valid UTF-8 of at most %d bytes", maxDescriptionLen)
	}
	return nil
}

// CreateKey makes a KMS key: a fresh UUID, backing key version 1 generated
// on the token, then the metadata object.
func (b *Bridge) CreateKey(ctx context.Context, in *CreateKeyRequest) (out *CreateKeyResponse, err error) {
	ctx, done := b.begin(ctx, "CreateKey")
	defer func() { done(out, err) }()
	spec := in.KeySpec
	if in.CustomerMasterKeySpec != "" {
		if spec != "" && spec != in.CustomerMasterKeySpec {
			return nil, ValidationException("KeySpec and CustomerMasterKeySpec disagree")
		}
		spec = in.CustomerMasterKeySpec
	}
	if spec == "" {
		spec = KeySpecSymmetricDefault
	}
	info, known := keySpecs[spec]
	if !known {
		return nil, ValidationException("KeySpec %q is not a valid key spec", spec)
	}
	usage := in.KeyUsage
	if usage == "" {
		usage = KeyUsageEncryptDecrypt // AWS's default, whatever the spec
	}
	usageOK := false
	for _, u := range info.usages {
		usageOK = usageOK || u == usage
	}
	if !usageOK {
		return nil, ValidationException("KeyUsage %q is not valid for KeySpec %s", usage, spec)
	}
	if !info.supported {
		return nil, UnsupportedOperationException("KeySpec %s is not supported by this KMS yet", spec)
	}
	origin := in.Origin
	if origin == "" {
		origin = OriginAWSKMS
	}
	switch origin {
	case OriginAWSKMS, OriginExternal:
	case "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE":
		return nil, UnsupportedOperationException("Origin %s is not supported by this KMS yet", origin)
	default:
		return nil, ValidationException("Origin %q is not valid", origin)
	}
	if in.MultiRegion || in.CustomKeyStoreId != "" || in.XksKeyId != "" {
		return nil, UnsupportedOperationException("multi-Region keys and custom key stores are not supported")
	}
	if err := checkDescription(in.Description); err != nil {
		return nil, err
	}
	if err := b.authoriseAccount(ctx, "kms:CreateKey"); err != nil {
		return nil, err
	}
	if in.Policy != "" {
		if err := b.checkNewPolicy(ctx, in.Policy, "*", in.BypassPolicyLockoutSafetyCheck); err != nil {
			return nil, err
		}
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}

	var created *kmsKey
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		var u [16]byte
		if err := b.lib.GenerateRandom(sh, u[:]); err != nil {
			return tokenError("generating a key id", err)
		}
		u[6] = u[6]&0x0f | 0x40 // version 4
		u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
		id := formatUUID(u)
		date := b.now()
		rec := keyRecord{
			KeyId:          id,
			CreationDate:   date,
			Description:    in.Description,
			KeySpec:        spec,
			KeyUsage:       usage,
			Origin:         origin,
			KeyState:       KeyStateEnabled,
			CurrentVersion: 1,
			Versions:       []backingVersion{{Version: 1, CreationDate: date}},
			Tags:           tags,
			Policy:         in.Policy,
		}
		var material []ck.ObjectHandle
		if origin == OriginExternal {
			// No material until ImportKeyMaterial (import.go).
			rec.KeyState = KeyStatePendingImport
			rec.Import = &importState{}
		} else if material, err = b.generateMaterial(sh, spec, usage, id, u, 1); err != nil {
			return tokenError("generating key material", err)
		}
		undo := func() {
			for _, h := range material {
				b.lib.DestroyObject(sh, h)
			}
		}
		v, err := json.Marshal(rec)
		if err != nil {
			undo()
			return KMSInternalException("encoding key metadata: %v", err)
		}
		if _, err := b.lib.CreateObject(sh, dataTemplate(appKey, id, v)); err != nil {
			undo()
			return tokenError("storing key metadata", err)
		}
		created = &kmsKey{id: id, uuid: u, rec: rec, hbk: map[uint32]ck.ObjectHandle{}}
		if spec == KeySpecSymmetricDefault && len(material) > 0 {
			created.hbk[1] = material[0]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// b.mu is taken only after the session is back in the pool: the lock
	// order is always b.mu, then a session, never the other way round.
	out = &CreateKeyResponse{KeyMetadata: b.metadata(&created.rec)} // before others can see it
	b.mu.Lock()
	b.keys[created.id] = created
	b.mu.Unlock()
	return out, nil
}

// resolve finds the key that a KeyId parameter names: a key id, a key ARN,
// an alias name or an alias ARN. Caller holds b.mu (read or write).
func (b *Bridge) resolve(keyID string) (*kmsKey, error) {
	if keyID == "" {
		return nil, ValidationException("KeyId is required")
	}
	ref := keyID
	if strings.HasPrefix(ref, "arn:") {
		rest, ok := strings.CutPrefix(ref, b.arn)
		switch {
		case ok && strings.HasPrefix(rest, "alias/"):
			ref = rest
		case ok && strings.HasPrefix(rest, "key/"):
			ref = strings.TrimPrefix(rest, "key/")
			if _, ok := parseUUID(ref); !ok {
				return nil, NotFoundException("Invalid keyId %s", keyID)
			}
		default:
			return nil, NotFoundException("Invalid arn or no such key in this region and account: %s", keyID)
		}
	}
	if strings.HasPrefix(ref, "alias/") {
		a, ok := b.aliases[ref]
		if !ok {
			return nil, NotFoundException("Alias %s is not found.", b.arn+ref)
		}
		k, ok := b.keys[a.rec.TargetKeyId]
		if !ok {
			return nil, NotFoundException("Alias %s points to a key that does not exist.", b.arn+ref)
		}
		return k, nil
	}
	if _, ok := parseUUID(ref); !ok {
		return nil, NotFoundException("Invalid keyId %s", keyID)
	}
	k, ok := b.keys[strings.ToLower(ref)]
	if !ok {
		return nil, NotFoundException("Key '%s' does not exist", b.keyARN(strings.ToLower(ref)))
	}
	return k, nil
}

// checkEnabled is the state check of every use of a key: a disabled key
// gives DisabledException, any other state but Enabled — and imported
// material past its ValidTo, which the next maintenance pass deletes —
// KMSInvalidStateException.
func (b *Bridge) checkEnabled(rec *keyRecord) error {
	switch rec.KeyState {
	case KeyStateEnabled:
	case KeyStateDisabled:
		return DisabledException("%s is disabled.", b.keyARN(rec.KeyId))
	default:
		return KMSInvalidStateException("%s is %s", b.keyARN(rec.KeyId), rec.KeyState)
	}
	if im := rec.Import; im != nil && im.ValidTo != nil && !b.now().Before(im.ValidTo.Time) {
		return KMSInvalidStateException("The key material of %s expired at %s.", b.keyARN(rec.KeyId), im.ValidTo.Time.Format(time.RFC3339))
	}
	return nil
}

// resolveFor resolves keyID and authorises a on the key. Caller holds b.mu.
func (b *Bridge) resolveFor(ctx context.Context, keyID string, a access) (*kmsKey, error) {
	k, err := b.resolve(keyID)
	if err != nil {
		return nil, err
	}
	if err := b.authorise(ctx, k, a); err != nil {
		return nil, err
	}
	return k, nil
}

// DescribeKey answers the key's metadata.
func (b *Bridge) DescribeKey(ctx context.Context, in *DescribeKeyRequest) (out *DescribeKeyResponse, err error) {
	ctx, done := b.begin(ctx, "DescribeKey")
	defer func() { done(out, err) }()
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:DescribeKey", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	return &DescribeKeyResponse{KeyMetadata: b.metadata(&k.rec)}, nil
}

// listLimit checks Limit (1..1000, default 100).
func listLimit(limit *int32) (int, error) {
	if limit == nil {
		return defaultListLimit, nil
	}
	if *limit < 1 || *limit > maxListLimit {
		return 0, ValidationException("Limit must be between 1 and %d", maxListLimit)
	}
	return int(*limit), nil
}

// page returns the page of sorted names that starts at marker (the
// NextMarker of the previous page, which is the first name of this one; ""
// for the first page). A marked name deleted since is no error: the page
// starts at the next name after it.
func page(names []string, marker string, limit int) (items []string, next string) {
	start := 0
	if marker != "" {
		start = sort.SearchStrings(names, marker)
	}
	end := min(start+limit, len(names))
	items = names[start:end]
	if end < len(names) {
		next = names[end]
	}
	return items, next
}

// ListKeys lists the keys in key id order, Limit at a time.
func (b *Bridge) ListKeys(ctx context.Context, in *ListKeysRequest) (out *ListKeysResponse, err error) {
	ctx, done := b.begin(ctx, "ListKeys")
	defer func() { done(out, err) }()
	limit, err := listLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	if in.Marker != "" {
		if _, ok := parseUUID(in.Marker); !ok {
			return nil, InvalidMarkerException("Marker %q is not a marker ListKeys returned", in.Marker)
		}
	}
	if err := b.authoriseAccount(ctx, "kms:ListKeys"); err != nil {
		return nil, err
	}
	b.mu.RLock()
	ids := make([]string, 0, len(b.keys))
	for id := range b.keys {
		ids = append(ids, id)
	}
	b.mu.RUnlock()
	sort.Strings(ids)
	items, next := page(ids, in.Marker, limit)
	out = &ListKeysResponse{Keys: make([]KeyListEntry, 0, len(items)), NextMarker: next, Truncated: next != ""}
	for _, id := range items {
		out.Keys = append(out.Keys, KeyListEntry{KeyId: id, KeyArn: b.keyARN(id)})
	}
	return out, nil
}

// updateKey applies change to a copy of the named key's record and writes
// it to the token, under b.mu so that concurrent changes serialise.
func (b *Bridge) updateKey(ctx context.Context, keyID, action string, change func(rec *keyRecord) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	k, err := b.resolve(keyID)
	if err != nil {
		return err
	}
	if err := b.authorise(ctx, k, access{action: action}); err != nil {
		return err
	}
	rec := k.rec
	rec.Versions = append([]backingVersion(nil), k.rec.Versions...)
	if err := change(&rec); err != nil {
		return err
	}
	return b.withSession(ctx, func(sh ck.SessionHandle) error { return b.writeKey(sh, k, rec) })
}

// EnableKey sets a Disabled key to Enabled (an Enabled key stays so).
func (b *Bridge) EnableKey(ctx context.Context, in *EnableKeyRequest) (err error) {
	ctx, done := b.begin(ctx, "EnableKey")
	defer func() { done(nil, err) }()
	return b.updateKey(ctx, in.KeyId, "kms:EnableKey", func(rec *keyRecord) error {
		switch rec.KeyState {
		case KeyStateEnabled, KeyStateDisabled:
			rec.KeyState = KeyStateEnabled
			return nil
		}
		return KMSInvalidStateException("%s is %s", b.keyARN(rec.KeyId), rec.KeyState)
	})
}

// DisableKey sets an Enabled key to Disabled (a Disabled key stays so).
func (b *Bridge) DisableKey(ctx context.Context, in *DisableKeyRequest) (err error) {
	ctx, done := b.begin(ctx, "DisableKey")
	defer func() { done(nil, err) }()
	return b.updateKey(ctx, in.KeyId, "kms:DisableKey", func(rec *keyRecord) error {
		switch rec.KeyState {
		case KeyStateEnabled, KeyStateDisabled:
			rec.KeyState = KeyStateDisabled
			return nil
		}
		return KMSInvalidStateException("%s is %s", b.keyARN(rec.KeyId), rec.KeyState)
	})
}

// UpdateKeyDescription replaces the key's description.
func (b *Bridge) UpdateKeyDescription(ctx context.Context, in *UpdateKeyDescriptionRequest) (err error) {
	ctx, done := b.begin(ctx, "UpdateKeyDescription")
	defer func() { done(nil, err) }()
	if err := checkDescription(in.Description); err != nil {
		return err
	}
	return b.updateKey(ctx, in.KeyId, "kms:UpdateKeyDescription", func(rec *keyRecord) error {
		if rec.KeyState == KeyStatePendingDeletion {
			return KMSInvalidStateException("%s is pending deletion.", b.keyARN(rec.KeyId))
		}
		rec.Description = in.Description
		return nil
	})
}

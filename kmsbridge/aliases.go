package kmsbridge

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"
	"strings"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Alias names as AWS allows them: "alias/" then letters, digits, '/', '_'
// and '-', 256 characters at most; "alias/aws/" is reserved for AWS managed
// keys, which this KMS does not have.
var aliasRE = regexp.MustCompile(`^alias/[a-zA-Z0-9/_-]+$`)

const (
	maxAliasLen    = 256
	reservedPrefix = "alias/aws/"
)

func checkAliasName(name string) error {
	if len(name) > maxAliasLen || !aliasRE.MatchString(name) {
		return InvalidAliasNameException("Alias name %q must begin with alias/ and use only a-zA-Z0-9/_- (at most %d characters)", name, maxAliasLen)
	}
	if strings.HasPrefix(name, reservedPrefix) {
		return InvalidAliasNameException("Alias name %q must not begin with %s", name, reservedPrefix)
	}
	return nil
}

// aliasARN is the ARN of an alias name.
func (b *Bridge) aliasARN(name string) string { return b.arn + name }

// aliasTarget resolves TargetKeyId, which must name a key by id or key ARN
// (an alias may not point at an alias). Caller holds b.mu.
func (b *Bridge) aliasTarget(ctx context.Context, target, action string) (*kmsKey, error) {
	if strings.HasPrefix(target, "alias/") || strings.HasPrefix(target, b.arn+"alias/") {
		return nil, ValidationException("TargetKeyId must be a key id or key ARN, not an alias")
	}
	k, err := b.resolveFor(ctx, target, access{action: action})
	if err == nil && k.rec.KeyState == KeyStatePendingDeletion {
		return nil, KMSInvalidStateException("%s is pending deletion.", b.keyARN(k.rec.KeyId))
	}
	return k, err
}

// aliasNamed finds an existing alias. Caller holds b.mu.
func (b *Bridge) aliasNamed(name string) (*alias, error) {
	if a, ok := b.aliases[name]; ok {
		return a, nil
	}
	return nil, NotFoundException("Alias %s is not found.", b.aliasARN(name))
}

func (b *Bridge) aliasValue(rec *aliasRecord) ([]byte, error) {
	v, err := json.Marshal(rec)
	if err != nil {
		return nil, KMSInternalException("encoding alias: %v", err)
	}
	return v, nil
}

// CreateAlias makes a new alias for a key.
func (b *Bridge) CreateAlias(ctx context.Context, in *CreateAliasRequest) (err error) {
	ctx, done := b.begin(ctx, "CreateAlias")
	defer func() { done(nil, err) }()
	if err := checkAliasName(in.AliasName); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k, err := b.aliasTarget(ctx, in.TargetKeyId, "kms:CreateAlias")
	if err != nil {
		return err
	}
	if _, ok := b.aliases[in.AliasName]; ok {
		return AlreadyExistsException("An alias with the name %s already exists", b.aliasARN(in.AliasName))
	}
	t := now()
	rec := aliasRecord{AliasName: in.AliasName, TargetKeyId: k.rec.KeyId, CreationDate: t, LastUpdatedDate: t}
	v, err := b.aliasValue(&rec)
	if err != nil {
		return err
	}
	return b.withSession(ctx, func(sh ck.SessionHandle) error {
		// putData, not CreateObject: a stale object left by a crash between
		// the token write and the index update is taken over.
		if err := b.putData(sh, appAlias, in.AliasName, v); err != nil {
			return err
		}
		b.aliases[in.AliasName] = &alias{rec: rec}
		return nil
	})
}

// UpdateAlias points an existing alias at another key of the same key spec
// and usage (AWS's rule, so that what the alias can do does not change).
func (b *Bridge) UpdateAlias(ctx context.Context, in *UpdateAliasRequest) (err error) {
	ctx, done := b.begin(ctx, "UpdateAlias")
	defer func() { done(nil, err) }()
	if err := checkAliasName(in.AliasName); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	a, err := b.aliasNamed(in.AliasName)
	if err != nil {
		return err
	}
	k, err := b.aliasTarget(ctx, in.TargetKeyId, "kms:UpdateAlias")
	if err != nil {
		return err
	}
	if old, ok := b.keys[a.rec.TargetKeyId]; ok {
		// Moving an alias needs kms:UpdateAlias on the key it leaves too.
		if err := b.authorise(ctx, old, access{action: "kms:UpdateAlias"}); err != nil {
			return err
		}
		if old.rec.KeySpec != k.rec.KeySpec || old.rec.KeyUsage != k.rec.KeyUsage {
			return ValidationException("%s has a different key spec or key usage than the alias's current key", b.keyARN(k.rec.KeyId))
		}
	}
	rec := a.rec
	rec.TargetKeyId = k.rec.KeyId
	rec.LastUpdatedDate = now()
	v, err := b.aliasValue(&rec)
	if err != nil {
		return err
	}
	return b.withSession(ctx, func(sh ck.SessionHandle) error {
		if err := b.putData(sh, appAlias, in.AliasName, v); err != nil {
			return err
		}
		a.rec = rec
		return nil
	})
}

// DeleteAlias removes an alias; its key is untouched.
func (b *Bridge) DeleteAlias(ctx context.Context, in *DeleteAliasRequest) (err error) {
	ctx, done := b.begin(ctx, "DeleteAlias")
	defer func() { done(nil, err) }()
	if err := checkAliasName(in.AliasName); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	a, err := b.aliasNamed(in.AliasName)
	if err != nil {
		return err
	}
	if k, ok := b.keys[a.rec.TargetKeyId]; ok {
		if err := b.authorise(ctx, k, access{action: "kms:DeleteAlias"}); err != nil {
			return err
		}
	}
	return b.withSession(ctx, func(sh ck.SessionHandle) error {
		if err := b.deleteData(sh, appAlias, in.AliasName); err != nil {
			return err
		}
		delete(b.aliases, in.AliasName)
		return nil
	})
}

// ListAliases lists aliases in name order, Limit at a time; with KeyId, only
// the aliases of that key.
func (b *Bridge) ListAliases(ctx context.Context, in *ListAliasesRequest) (out *ListAliasesResponse, err error) {
	ctx, done := b.begin(ctx, "ListAliases")
	defer func() { done(out, err) }()
	limit, err := listLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	if in.Marker != "" && !strings.HasPrefix(in.Marker, "alias/") {
		return nil, InvalidMarkerException("Marker %q is not a marker ListAliases returned", in.Marker)
	}
	if err := b.authoriseAccount(ctx, "kms:ListAliases"); err != nil {
		return nil, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	var only string
	if in.KeyId != "" {
		if strings.HasPrefix(in.KeyId, "alias/") || strings.HasPrefix(in.KeyId, b.arn+"alias/") {
			return nil, ValidationException("KeyId of ListAliases must be a key id or key ARN")
		}
		k, err := b.resolve(in.KeyId)
		if err != nil {
			return nil, err
		}
		only = k.rec.KeyId
	}
	names := make([]string, 0, len(b.aliases))
	for name, a := range b.aliases {
		if only == "" || a.rec.TargetKeyId == only {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	items, next := page(names, in.Marker, limit)
	out = &ListAliasesResponse{Aliases: make([]AliasListEntry, 0, len(items)), NextMarker: next, Truncated: next != ""}
	for _, name := range items {
		a := b.aliases[name]
		created, updated := a.rec.CreationDate, a.rec.LastUpdatedDate
		out.Aliases = append(out.Aliases, AliasListEntry{
			AliasName:       name,
			AliasArn:        b.aliasARN(name),
			TargetKeyId:     a.rec.TargetKeyId,
			CreationDate:    &created,
			LastUpdatedDate: &updated,
		})
	}
	return out, nil
}

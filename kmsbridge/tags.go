package kmsbridge

import (
	"context"
	"sort"
	"strings"
	"unicode/utf8"
)

// Resource tags of KMS keys, stored in the key's metadata (keyRecord.Tags,
// sorted by TagKey). AWS's rules: a TagKey is 1 to 128 characters, a
// TagValue 0 to 256; the "aws:" prefix (any case) is reserved
// (TagException); at most 50 tags per key (LimitExceededException). Tags
// may not change while a key is pending deletion (KMSInvalidStateException)
// but can always be listed.

const (
	maxTagKeyLen     = 128
	maxTagValueLen   = 256
	maxTagsPerKey    = 50
	defaultTagsLimit = 50
)

type TagResourceRequest struct {
	KeyId string
	Tags  []Tag
}

type UntagResourceRequest struct {
	KeyId   string
	TagKeys []string
}

type ListResourceTagsRequest struct {
	KeyId  string
	Limit  *int32 `json:",omitempty"`
	Marker string `json:",omitempty"`
}

type ListResourceTagsResponse struct {
	Tags       []Tag
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

func checkTagKey(k string) error {
	if !utf8.ValidString(k) || utf8.RuneCountInString(k) < 1 || utf8.RuneCountInString(k) > maxTagKeyLen {
		return ValidationException("TagKey must be 1 to %d characters", maxTagKeyLen)
	}
	if strings.HasPrefix(strings.ToLower(k), "aws:") {
		return newError(CodeTagException, "Tag keys beginning with aws: are reserved for AWS use")
	}
	return nil
}

// mergeTags returns old with add applied (a TagKey already present gets the
// new value), as a new sorted slice; old is not changed.
func mergeTags(old []Tag, add []Tag) ([]Tag, error) {
	seen := map[string]bool{}
	for _, t := range add {
		if err := checkTagKey(t.TagKey); err != nil {
			return nil, err
		}
		if !utf8.ValidString(t.TagValue) || utf8.RuneCountInString(t.TagValue) > maxTagValueLen {
			return nil, ValidationException("TagValue must be 0 to %d characters", maxTagValueLen)
		}
		if seen[t.TagKey] {
			return nil, newError(CodeTagException, "Duplicate tag key %q in the request", t.TagKey)
		}
		seen[t.TagKey] = true
	}
	m := map[string]string{}
	for _, t := range old {
		m[t.TagKey] = t.TagValue
	}
	for _, t := range add {
		m[t.TagKey] = t.TagValue
	}
	if len(m) > maxTagsPerKey {
		return nil, newError(CodeLimitExceeded, "A KMS key can have at most %d tags", maxTagsPerKey)
	}
	if len(m) == 0 {
		return nil, nil
	}
	out := make([]Tag, 0, len(m))
	for k, v := range m {
		out = append(out, Tag{TagKey: k, TagValue: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TagKey < out[j].TagKey })
	return out, nil
}

func (b *Bridge) checkTaggable(rec *keyRecord) error {
	if rec.KeyState == KeyStatePendingDeletion {
		return KMSInvalidStateException("%s is pending deletion.", b.keyARN(rec.KeyId))
	}
	return nil
}

// TagResource adds or replaces tags of a key.
func (b *Bridge) TagResource(ctx context.Context, in *TagResourceRequest) (err error) {
	ctx, done := b.begin(ctx, "TagResource")
	defer func() { done(nil, err) }()
	if len(in.Tags) == 0 {
		return ValidationException("Tags must name at least one tag")
	}
	return b.updateKey(ctx, in.KeyId, "kms:TagResource", func(rec *keyRecord) error {
		if err := b.checkTaggable(rec); err != nil {
			return err
		}
		tags, err := mergeTags(rec.Tags, in.Tags)
		if err != nil {
			return err
		}
		rec.Tags = tags
		return nil
	})
}

// UntagResource removes tags by key; keys the key does not have are ignored.
func (b *Bridge) UntagResource(ctx context.Context, in *UntagResourceRequest) (err error) {
	ctx, done := b.begin(ctx, "UntagResource")
	defer func() { done(nil, err) }()
	if len(in.TagKeys) == 0 {
		return ValidationException("TagKeys must name at least one tag key")
	}
	drop := map[string]bool{}
	for _, k := range in.TagKeys {
		if err := checkTagKey(k); err != nil {
			return err
		}
		drop[k] = true
	}
	return b.updateKey(ctx, in.KeyId, "kms:UntagResource", func(rec *keyRecord) error {
		if err := b.checkTaggable(rec); err != nil {
			return err
		}
		var kept []Tag
		for _, t := range rec.Tags {
			if !drop[t.TagKey] {
				kept = append(kept, t)
			}
		}
		rec.Tags = kept
		return nil
	})
}

// ListResourceTags lists a key's tags in TagKey order, Limit (1 to 50,
// default 50) at a time.
func (b *Bridge) ListResourceTags(ctx context.Context, in *ListResourceTagsRequest) (out *ListResourceTagsResponse, err error) {
	ctx, done := b.begin(ctx, "ListResourceTags")
	defer func() { done(out, err) }()
	limit := defaultTagsLimit
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > maxTagsPerKey {
			return nil, ValidationException("Limit must be between 1 and %d", maxTagsPerKey)
		}
		limit = int(*in.Limit)
	}
	b.mu.RLock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:ListResourceTags"})
	var tags []Tag
	if err == nil {
		tags = k.rec.Tags // never changed in place: updates store a new slice
	}
	b.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = t.TagKey
	}
	if in.Marker != "" && !utf8.ValidString(in.Marker) {
		return nil, InvalidMarkerException("Marker is not a marker ListResourceTags returned")
	}
	items, next := page(keys, in.Marker, limit)
	start := 0
	if in.Marker != "" {
		start = sort.SearchStrings(keys, in.Marker)
	}
	return &ListResourceTagsResponse{Tags: append([]Tag{}, tags[start:start+len(items)]...), NextMarker: next, Truncated: next != ""}, nil
}

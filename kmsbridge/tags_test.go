package kmsbridge

import (
	"fmt"
	"strings"
	"testing"
)

func TestTags(t *testing.T) {
	b, _, _ := newBridge(t)
	out, err := b.CreateKey(bg, &CreateKeyRequest{Tags: []Tag{{"b", "2"}, {"a", "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	id := out.KeyMetadata.KeyId
	list := func() []Tag {
		t.Helper()
		r, err := b.ListResourceTags(bg, &ListResourceTagsRequest{KeyId: id})
		if err != nil {
			t.Fatal(err)
		}
		return r.Tags
	}
	if got := fmt.Sprint(list()); got != "[{a 1} {b 2}]" {
		t.Fatalf("tags from CreateKey: %s", got)
	}
	// TagResource adds and replaces; an empty value is a value.
	if err := b.TagResource(bg, &TagResourceRequest{KeyId: id, Tags: []Tag{{"b", "two"}, {"c", ""}}}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(list()); got != "[{a 1} {b two} {c }]" {
		t.Fatalf("after TagResource: %s", got)
	}
	// UntagResource removes; unknown keys are no error.
	if err := b.UntagResource(bg, &UntagResourceRequest{KeyId: id, TagKeys: []string{"a", "nope"}}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(list()); got != "[{b two} {c }]" {
		t.Fatalf("after UntagResource: %s", got)
	}
	// By alias too.
	if err := b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/t", TargetKeyId: id}); err != nil {
		t.Fatal(err)
	}
	if r, err := b.ListResourceTags(bg, &ListResourceTagsRequest{KeyId: "alias/t"}); err != nil || len(r.Tags) != 2 {
		t.Fatalf("by alias: %+v %v", r, err)
	}
	// A disabled key can be tagged.
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	if err := b.TagResource(bg, &TagResourceRequest{KeyId: id, Tags: []Tag{{"d", "4"}}}); err != nil {
		t.Fatal(err)
	}
}

func TestTagRejects(t *testing.T) {
	b, _, _ := newBridge(t)
	id := mustCreate(t, b, "").KeyId
	for _, c := range []struct {
		name string
		tags []Tag
		code string
	}{
		{"empty key", []Tag{{"", "v"}}, CodeValidation},
		{"long key", []Tag{{strings.Repeat("k", 129), "v"}}, CodeValidation},
		{"long value", []Tag{{"k", strings.Repeat("v", 257)}}, CodeValidation},
		{"aws prefix", []Tag{{"aws:owner", "v"}}, CodeTagException},
		{"AWS prefix", []Tag{{"AWS:owner", "v"}}, CodeTagException},
		{"duplicate key", []Tag{{"k", "1"}, {"k", "2"}}, CodeTagException},
		{"none", nil, CodeValidation},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, b.TagResource(bg, &TagResourceRequest{KeyId: id, Tags: c.tags}), c.code)
			if c.tags != nil {
				_, err := b.CreateKey(bg, &CreateKeyRequest{Tags: c.tags})
				wantCode(t, err, c.code)
			}
		})
	}
	// The limits themselves are fine.
	ok := []Tag{{strings.Repeat("鍵", 128), strings.Repeat("値", 256)}}
	if err := b.TagResource(bg, &TagResourceRequest{KeyId: id, Tags: ok}); err != nil {
		t.Fatal(err)
	}
	// At most 50 tags per key.
	var many []Tag
	for i := 0; i < 49; i++ {
		many = append(many, Tag{fmt.Sprintf("k%02d", i), "v"})
	}
	if err := b.TagResource(bg, &TagResourceRequest{KeyId: id, Tags: many}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, b.TagResource(bg, &TagResourceRequest{KeyId: id, Tags: []Tag{{"one-too-many", ""}}}), CodeLimitExceeded)
	if err := b.TagResource(bg, &TagResourceRequest{KeyId: id, Tags: []Tag{{"k00", "replaced"}}}); err != nil {
		t.Fatalf("replacing a tag at the limit: %v", err)
	}
	wantCode(t, b.UntagResource(bg, &UntagResourceRequest{KeyId: id}), CodeValidation)
	wantCode(t, b.UntagResource(bg, &UntagResourceRequest{KeyId: id, TagKeys: []string{"aws:x"}}), CodeTagException)
	wantCode(t, b.TagResource(bg, &TagResourceRequest{KeyId: "00000000-0000-4000-8000-000000000000", Tags: []Tag{{"a", "b"}}}), CodeNotFound)
	_, err := b.ListResourceTags(bg, &ListResourceTagsRequest{KeyId: id, Limit: i32(51)})
	wantCode(t, err, CodeValidation)

	// Paging: 50 tags, 20 at a time.
	var got []Tag
	marker := ""
	for pages := 0; ; pages++ {
		r, err := b.ListResourceTags(bg, &ListResourceTagsRequest{KeyId: id, Limit: i32(20), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r.Tags...)
		if !r.Truncated {
			if pages != 2 {
				t.Fatalf("%d pages", pages+1)
			}
			break
		}
		marker = r.NextMarker
	}
	if len(got) != 50 || got[0].TagKey != "k00" || got[0].TagValue != "replaced" {
		t.Fatalf("paged tags: %d, first %+v", len(got), got[0])
	}
}

package kmsbridge

import (
	"strings"
	"testing"
)

func TestAliases(t *testing.T) {
	b, _, _ := newBridge(t)
	k1, k2 := mustCreate(t, b, "one"), mustCreate(t, b, "two")
	if err := b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/app/prod", TargetKeyId: k1.KeyId}); err != nil {
		t.Fatal(err)
	}
	aliasARN := "arn:aws:kms:" + testRegion + ":" + testAccount + ":alias/app/prod"
	// The alias and its ARN work wherever a key id does.
	for _, ref := range []string{"alias/app/prod", aliasARN} {
		d, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: ref})
		if err != nil || d.KeyMetadata.KeyId != k1.KeyId {
			t.Fatalf("DescribeKey(%s): %+v %v", ref, d, err)
		}
		blob := mustEncrypt(t, b, ref, []byte("via alias"), nil)
		if _, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob, KeyId: ref}); err != nil {
			t.Fatalf("Decrypt with KeyId %s: %v", ref, err)
		}
	}
	// A key ARN must carry a key id, not an alias name.
	_, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/alias/app/prod"})
	wantCode(t, err, CodeNotFound)
	wantCode(t, b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/app/prod", TargetKeyId: k2.KeyId}), CodeAlreadyExists)
	// An alias cannot target an alias.
	wantCode(t, b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/other", TargetKeyId: "alias/app/prod"}), CodeValidation)
	wantCode(t, b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/other", TargetKeyId: "00000000-0000-4000-8000-000000000000"}), CodeNotFound)
	for _, name := range []string{"app", "alias/", "alias/aws/mine", "alias/sp ace", "alias/" + strings.Repeat("a", 251), "Alias/x"} {
		wantCode(t, b.CreateAlias(bg, &CreateAliasRequest{AliasName: name, TargetKeyId: k1.KeyId}), CodeInvalidAliasName)
	}
	if err := b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/b", TargetKeyId: k2.Arn}); err != nil {
		t.Fatal(err)
	}

	// UpdateAlias retargets; the blob made through the old target still
	// decrypts (it names its key), and new encryptions use the new target.
	old := mustEncrypt(t, b, "alias/app/prod", []byte("before"), nil)
	var out *DecryptResponse
	if err := b.UpdateAlias(bg, &UpdateAliasRequest{AliasName: "alias/app/prod", TargetKeyId: k2.KeyId}); err != nil {
		t.Fatal(err)
	}
	if d, _ := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: "alias/app/prod"}); d.KeyMetadata.KeyId != k2.KeyId {
		t.Fatalf("after UpdateAlias the alias names %s", d.KeyMetadata.KeyId)
	}
	out, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: old})
	if err != nil || out.KeyId != k1.Arn {
		t.Fatalf("old blob: %+v %v", out, err)
	}
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: old, KeyId: "alias/app/prod"})
	wantCode(t, err, CodeIncorrectKey)
	wantCode(t, b.UpdateAlias(bg, &UpdateAliasRequest{AliasName: "alias/none", TargetKeyId: k2.KeyId}), CodeNotFound)

	// ListAliases: all, by key, paged.
	all, err := b.ListAliases(bg, &ListAliasesRequest{})
	if err != nil || len(all.Aliases) != 2 || all.Truncated {
		t.Fatalf("ListAliases: %+v %v", all, err)
	}
	e := all.Aliases[1]
	if e.AliasName != "alias/b" || all.Aliases[0].AliasName != "alias/app/prod" || all.Aliases[0].AliasArn != aliasARN || e.TargetKeyId != k2.KeyId || e.CreationDate == nil || e.LastUpdatedDate == nil {
		t.Fatalf("ListAliases entries %+v", all.Aliases)
	}
	byKey, _ := b.ListAliases(bg, &ListAliasesRequest{KeyId: k1.Arn})
	if len(byKey.Aliases) != 0 {
		t.Fatalf("aliases of k1 after the update: %+v", byKey.Aliases)
	}
	byKey, _ = b.ListAliases(bg, &ListAliasesRequest{KeyId: k2.KeyId})
	if len(byKey.Aliases) != 2 {
		t.Fatalf("aliases of k2: %+v", byKey.Aliases)
	}
	p1, _ := b.ListAliases(bg, &ListAliasesRequest{Limit: i32(1)})
	if len(p1.Aliases) != 1 || !p1.Truncated {
		t.Fatalf("first page %+v", p1)
	}
	p2, _ := b.ListAliases(bg, &ListAliasesRequest{Limit: i32(1), Marker: p1.NextMarker})
	if len(p2.Aliases) != 1 || p2.Truncated || p2.Aliases[0].AliasName == p1.Aliases[0].AliasName {
		t.Fatalf("second page %+v", p2)
	}
	_, err = b.ListAliases(bg, &ListAliasesRequest{Marker: "junk"})
	wantCode(t, err, CodeInvalidMarker)
	_, err = b.ListAliases(bg, &ListAliasesRequest{KeyId: "alias/b"})
	wantCode(t, err, CodeValidation)

	// DeleteAlias removes the alias, not the key.
	if err := b.DeleteAlias(bg, &DeleteAliasRequest{AliasName: "alias/app/prod"}); err != nil {
		t.Fatal(err)
	}
	_, err = b.DescribeKey(bg, &DescribeKeyRequest{KeyId: "alias/app/prod"})
	wantCode(t, err, CodeNotFound)
	wantCode(t, b.DeleteAlias(bg, &DeleteAliasRequest{AliasName: "alias/app/prod"}), CodeNotFound)
	wantCode(t, b.DeleteAlias(bg, &DeleteAliasRequest{AliasName: "alias/aws/x"}), CodeInvalidAliasName)
	if _, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: k1.KeyId}); err != nil {
		t.Fatal(err)
	}
}

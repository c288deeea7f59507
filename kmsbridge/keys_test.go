package kmsbridge

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestCreateAndDescribeKey(t *testing.T) {
	b, _, _ := newBridge(t)
	before := time.Now().Add(-time.Second)
	md := mustCreate(t, b, "payments")
	if _, ok := parseUUID(md.KeyId); !ok || md.KeyId != strings.ToLower(md.KeyId) || md.KeyId[14] != '4' {
		t.Fatalf("KeyId %q is not a lower-case v4 UUID", md.KeyId)
	}
	want := KeyMetadata{
		AWSAccountId:          testAccount,
		KeyId:                 md.KeyId,
		Arn:                   "arn:aws:kms:" + testRegion + ":" + testAccount + ":key/" + md.KeyId,
		CreationDate:          md.CreationDate,
		Enabled:               true,
		Description:           "payments",
		KeyUsage:              "ENCRYPT_DECRYPT",
		KeyState:              "Enabled",
		Origin:                "AWS_KMS",
		KeyManager:            "CUSTOMER",
		CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
		KeySpec:               "SYMMETRIC_DEFAULT",
		EncryptionAlgorithms:  []string{"SYMMETRIC_DEFAULT"},
	}
	gotJSON, _ := json.Marshal(md)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Fatalf("CreateKey metadata\n got %s\nwant %s", gotJSON, wantJSON)
	}
	if md.CreationDate.Before(before) || md.CreationDate.After(time.Now().Add(time.Second)) {
		t.Fatalf("CreationDate %v", md.CreationDate)
	}
	for _, ref := range []string{md.KeyId, strings.ToUpper(md.KeyId), md.Arn} {
		d, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: ref})
		if err != nil {
			t.Fatalf("DescribeKey(%s): %v", ref, err)
		}
		if got, _ := json.Marshal(d.KeyMetadata); string(got) != string(gotJSON) {
			t.Fatalf("DescribeKey(%s)\n got %s\nwant %s", ref, got, gotJSON)
		}
	}
}

// TestKeyMetadataJSON: field names and the timestamp form are AWS's.
func TestKeyMetadataJSON(t *testing.T) {
	md := KeyMetadata{CreationDate: Timestamp{time.UnixMilli(1700000000123)}}
	raw, _ := json.Marshal(md)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"AWSAccountId", "KeyId", "Arn", "CreationDate", "Enabled", "Description", "KeyUsage", "KeyState", "Origin", "KeyManager", "CustomerMasterKeySpec", "KeySpec", "MultiRegion"} {
		if _, ok := m[f]; !ok {
			t.Errorf("KeyMetadata JSON has no %s: %s", f, raw)
		}
	}
	if m["CreationDate"] != 1700000000.123 {
		t.Fatalf("CreationDate = %v, want 1700000000.123", m["CreationDate"])
	}
	var back KeyMetadata
	if err := json.Unmarshal(raw, &back); err != nil || !back.CreationDate.Equal(md.CreationDate.Time) {
		t.Fatalf("round trip: %v %v", back.CreationDate, err)
	}
	// A request body unmarshals straight into the request type, blobs as base64.
	var req EncryptRequest
	body := `{"KeyId":"alias/a","Plaintext":"aGVsbG8=","EncryptionContext":{"k":"v"}}`
	if err := json.Unmarshal([]byte(body), &req); err != nil || string(req.Plaintext) != "hello" || req.EncryptionContext["k"] != "v" {
		t.Fatalf("EncryptRequest from JSON: %+v %v", req, err)
	}
}

func TestCreateKeyRejects(t *testing.T) {
	b, _, _ := newBridge(t)
	for _, c := range []struct {
		name string
		in   CreateKeyRequest
		code string
	}{
		{"secp256k1 not yet", CreateKeyRequest{KeySpec: "ECC_SECG_P256K1", KeyUsage: "SIGN_VERIFY"}, CodeUnsupportedOperation},
		{"HMAC default usage", CreateKeyRequest{KeySpec: "HMAC_256"}, CodeValidation},
		{"HMAC for signing", CreateKeyRequest{KeySpec: "HMAC_256", KeyUsage: "SIGN_VERIFY"}, CodeValidation},
		{"ECC default usage", CreateKeyRequest{KeySpec: "ECC_NIST_P256"}, CodeValidation},
		{"ECC for encryption", CreateKeyRequest{KeySpec: "ECC_NIST_P384", KeyUsage: "ENCRYPT_DECRYPT"}, CodeValidation},
		{"RSA for MACs", CreateKeyRequest{KeySpec: "RSA_2048", KeyUsage: "GENERATE_VERIFY_MAC"}, CodeValidation},
		{"unknown spec", CreateKeyRequest{KeySpec: "AES_999"}, CodeValidation},
		{"symmetric for signing", CreateKeyRequest{KeyUsage: "SIGN_VERIFY"}, CodeValidation},
		{"unknown usage", CreateKeyRequest{KeyUsage: "EVERYTHING"}, CodeValidation},
		{"specs disagree", CreateKeyRequest{KeySpec: "SYMMETRIC_DEFAULT", CustomerMasterKeySpec: "RSA_2048"}, CodeValidation},
		{"CloudHSM origin not yet", CreateKeyRequest{Origin: "AWS_CLOUDHSM"}, CodeUnsupportedOperation},
		{"bad origin", CreateKeyRequest{Origin: "MOON"}, CodeValidation},
		{"multi-region", CreateKeyRequest{MultiRegion: true}, CodeUnsupportedOperation},
		{"long description", CreateKeyRequest{Description: strings.Repeat("x", 8193)}, CodeValidation},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.CreateKey(bg, &c.in)
			wantCode(t, err, c.code)
		})
	}
	if l, _ := b.ListKeys(bg, &ListKeysRequest{}); len(l.Keys) != 0 {
		t.Fatalf("a refused CreateKey left keys: %+v", l.Keys)
	}
}

func TestUnknownKeyIDs(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "")
	other := "arn:aws:kms:us-east-1:" + testAccount + ":key/" + md.KeyId
	for _, ref := range []string{
		"00000000-0000-4000-8000-000000000000",
		"not-a-key",
		"alias/none",
		"arn:aws:kms:" + testRegion + ":" + testAccount + ":alias/none",
		other, // same id, another region
		"arn:aws:kms:" + testRegion + ":999999999999:key/" + md.KeyId,
		"arn:aws:kms:" + testRegion + ":" + testAccount + ":grant/" + md.KeyId,
	} {
		_, err := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: ref})
		wantCode(t, err, CodeNotFound)
		_, err = b.Encrypt(bg, &EncryptRequest{KeyId: ref, Plaintext: []byte("x")})
		wantCode(t, err, CodeNotFound)
		wantCode(t, b.DisableKey(bg, &DisableKeyRequest{KeyId: ref}), CodeNotFound)
	}
	_, err := b.DescribeKey(bg, &DescribeKeyRequest{})
	wantCode(t, err, CodeValidation)
}

func TestEnableDisableAndDescription(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "old")
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	d, _ := b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId})
	if d.KeyMetadata.Enabled || d.KeyMetadata.KeyState != "Disabled" {
		t.Fatalf("after DisableKey: %+v", d.KeyMetadata)
	}
	// Disabling twice is fine, as in AWS.
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: md.Arn}); err != nil {
		t.Fatal(err)
	}
	if err := b.EnableKey(bg, &EnableKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if err := b.UpdateKeyDescription(bg, &UpdateKeyDescriptionRequest{KeyId: md.KeyId, Description: "new"}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, b.UpdateKeyDescription(bg, &UpdateKeyDescriptionRequest{KeyId: md.KeyId, Description: "\xff"}), CodeValidation)
	d, _ = b.DescribeKey(bg, &DescribeKeyRequest{KeyId: md.KeyId})
	if !d.KeyMetadata.Enabled || d.KeyMetadata.KeyState != "Enabled" || d.KeyMetadata.Description != "new" {
		t.Fatalf("after EnableKey and UpdateKeyDescription: %+v", d.KeyMetadata)
	}
}

func TestListKeysPaging(t *testing.T) {
	b, _, _ := newBridge(t)
	want := map[string]bool{}
	for range 7 {
		want[mustCreate(t, b, "").KeyId] = true
	}
	_, err := b.ListKeys(bg, &ListKeysRequest{Limit: i32(0)})
	wantCode(t, err, CodeValidation)
	_, err = b.ListKeys(bg, &ListKeysRequest{Limit: i32(1001)})
	wantCode(t, err, CodeValidation)
	_, err = b.ListKeys(bg, &ListKeysRequest{Marker: "garbage"})
	wantCode(t, err, CodeInvalidMarker)

	all, err := b.ListKeys(bg, &ListKeysRequest{})
	if err != nil || len(all.Keys) != 7 || all.Truncated || all.NextMarker != "" {
		t.Fatalf("ListKeys: %+v %v", all, err)
	}
	seen := map[string]bool{}
	var marker string
	pages := 0
	for {
		out, err := b.ListKeys(bg, &ListKeysRequest{Limit: i32(3), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Keys) > 3 {
			t.Fatalf("page of %d keys with Limit 3", len(out.Keys))
		}
		for _, k := range out.Keys {
			if seen[k.KeyId] || !want[k.KeyId] || k.KeyArn != b.keyARN(k.KeyId) {
				t.Fatalf("unexpected or repeated entry %+v", k)
			}
			seen[k.KeyId] = true
		}
		if out.Truncated != (out.NextMarker != "") {
			t.Fatalf("Truncated %v with NextMarker %q", out.Truncated, out.NextMarker)
		}
		if !out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	if pages != 3 || len(seen) != 7 {
		t.Fatalf("%d pages, %d keys; want 3 pages, 7 keys", pages, len(seen))
	}
}

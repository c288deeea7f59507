package kmsbridge

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestRestart: keys, their state, aliases and old blobs survive closing the
// bridge and the library and opening both again on the same database.
func TestRestart(t *testing.T) {
	b, l, db := newBridge(t)
	k1, k2 := mustCreate(t, b, "kept"), mustCreate(t, b, "off")
	if err := b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/kept", TargetKeyId: k1.KeyId}); err != nil {
		t.Fatal(err)
	}
	ctx := map[string]string{"k": "v"}
	blob := mustEncrypt(t, b, "alias/kept", []byte("survives"), ctx)
	dk, err := b.GenerateDataKey(bg, &GenerateDataKeyRequest{KeyId: k2.KeyId, KeySpec: "AES_256"})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: k2.KeyId}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Finalize(); err != nil {
		t.Fatal(err)
	}

	l2 := openLib(t, db)
	b2, err := Open(l2, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	keys, _ := b2.ListKeys(bg, &ListKeysRequest{})
	if len(keys.Keys) != 2 {
		t.Fatalf("after restart: %+v", keys.Keys)
	}
	d1, err := b2.DescribeKey(bg, &DescribeKeyRequest{KeyId: "alias/kept"})
	if err != nil || d1.KeyMetadata.KeyId != k1.KeyId || d1.KeyMetadata.Description != "kept" || !d1.KeyMetadata.CreationDate.Equal(k1.CreationDate.Time) {
		t.Fatalf("alias after restart: %+v %v", d1, err)
	}
	d2, _ := b2.DescribeKey(bg, &DescribeKeyRequest{KeyId: k2.KeyId})
	if d2.KeyMetadata.KeyState != "Disabled" {
		t.Fatalf("state after restart: %+v", d2.KeyMetadata)
	}
	if got := mustDecrypt(t, b2, blob, ctx); string(got) != "survives" {
		t.Fatalf("plaintext %q", got)
	}
	if err := b2.EnableKey(bg, &EnableKeyRequest{KeyId: k2.KeyId}); err != nil {
		t.Fatal(err)
	}
	if got := mustDecrypt(t, b2, dk.CiphertextBlob, nil); !bytes.Equal(got, dk.Plaintext) {
		t.Fatal("data key differs after restart")
	}
	al, _ := b2.ListAliases(bg, &ListAliasesRequest{})
	if len(al.Aliases) != 1 || al.Aliases[0].AliasName != "alias/kept" {
		t.Fatalf("aliases after restart: %+v", al.Aliases)
	}
}

// TestTokenView checks the storage layout and the blob format from the
// PKCS#11 side, with the token API alone: the backing key is an
// unextractable AES key labelled with the key id, the metadata is a data
// object, and CKM_AES_GCM with the IV and AAD that blob.go documents
// decrypts a blob — an independent check of the format.
func TestTokenView(t *testing.T) {
	b, l, _ := newBridge(t)
	md := mustCreate(t, b, "seen")
	ctx := map[string]string{"b": "2", "a": "1"}
	pt := []byte("read by a PKCS#11 client")
	blob := mustEncrypt(t, b, md.KeyId, pt, ctx)

	sh, err := l.OpenSession(b.slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(sh)

	find := func(tmpl ...ck.Attribute) []ck.ObjectHandle {
		t.Helper()
		if err := l.FindObjectsInit(sh, tmpl); err != nil {
			t.Fatal(err)
		}
		hs, err := l.FindObjects(sh, 10)
		if err != nil {
			t.Fatal(err)
		}
		l.FindObjectsFinal(sh)
		return hs
	}
	// The backing key: by label, an AES secret key with the documented attributes.
	hbks := find(ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)), bytesAttr(ck.CKA_LABEL, []byte(md.KeyId)))
	if len(hbks) != 1 {
		t.Fatalf("%d secret keys labelled %s", len(hbks), md.KeyId)
	}
	vals, err := l.GetAttributeValue(sh, hbks[0], []ck.AttributeType{ck.CKA_KEY_TYPE, ck.CKA_VALUE_LEN, ck.CKA_SENSITIVE, ck.CKA_EXTRACTABLE, ck.CKA_TOKEN, ck.CKA_PRIVATE, ck.CKA_ID, ck.CKA_VALUE})
	if err != nil && ck.ErrorRV(err) != ck.CKR_ATTRIBUTE_SENSITIVE {
		t.Fatal(err)
	}
	u, _ := parseUUID(md.KeyId)
	wantID := binary.BigEndian.AppendUint32(u[:], 1)
	want := [][]byte{ck.ULongBytes(ck.ULong(ck.CKK_AES)), ck.ULongBytes(32), {1}, {0}, {1}, {1}, wantID}
	for i, w := range want {
		if !bytes.Equal(vals[i].Value, w) {
			t.Fatalf("attribute %d of the backing key: %x, want %x", i, vals[i].Value, w)
		}
	}
	if vals[7].Err != ck.CKR_ATTRIBUTE_SENSITIVE {
		t.Fatalf("CKA_VALUE of the backing key: %v", vals[7].Err)
	}

	// The metadata object.
	metas := find(ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_DATA)), bytesAttr(ck.CKA_APPLICATION, []byte("kagi-kms/key")), bytesAttr(ck.CKA_LABEL, []byte(md.KeyId)))
	if len(metas) != 1 {
		t.Fatalf("%d metadata objects", len(metas))
	}
	mv, err := l.GetAttributeValue(sh, metas[0], []ck.AttributeType{ck.CKA_VALUE, ck.CKA_PRIVATE})
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(mv[0].Value, &rec); err != nil || rec["KeyId"] != md.KeyId || rec["Description"] != "seen" || !bytes.Equal(mv[1].Value, []byte{1}) {
		t.Fatalf("metadata object: %s %v", mv[0].Value, err)
	}

	// The blob, parsed by hand as README.md describes it.
	if blob[0] != 'k' || blob[1] != 'G' || blob[2] != 1 {
		t.Fatalf("magic and version %x", blob[:3])
	}
	if !bytes.Equal(blob[3:19], u[:]) || binary.BigEndian.Uint32(blob[19:23]) != 1 {
		t.Fatalf("key id / version fields %x", blob[3:23])
	}
	iv := blob[23:35]
	aad := append(bytes.Clone(blob[:35]),
		0, 0, 0, 2, 0, 0, 0, 1, 'a', 0, 0, 0, 1, '1', 0, 0, 0, 1, 'b', 0, 0, 0, 1, '2')
	p := ck.GCMParams{IV: iv, IVBits: 96, AAD: aad, TagBits: 128}
	if err := l.DecryptInit(sh, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: p}, hbks[0]); err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(blob)-35)
	n, err := l.Decrypt(sh, blob[35:], out)
	if err != nil || !bytes.Equal(out[:n], pt) {
		t.Fatalf("CKM_AES_GCM through the token: %q %v", out[:n], err)
	}
	// And the other way: a blob sealed by a PKCS#11 client with the same
	// construction is one the bridge decrypts.
	var iv2 [12]byte
	if err := l.GenerateRandom(sh, iv2[:]); err != nil {
		t.Fatal(err)
	}
	hdr := append(append(append([]byte{'k', 'G', 1}, u[:]...), 0, 0, 0, 1), iv2[:]...)
	p = ck.GCMParams{IV: iv2[:], IVBits: 96, AAD: append(bytes.Clone(hdr), 0, 0, 0, 0), TagBits: 128}
	if err := l.EncryptInit(sh, ck.Mechanism{Type: ck.CKM_AES_GCM, Param: p}, hbks[0]); err != nil {
		t.Fatal(err)
	}
	ct := make([]byte, 5+16)
	if _, err := l.Encrypt(sh, []byte("hello"), ct); err != nil {
		t.Fatal(err)
	}
	if got := mustDecrypt(t, b, append(hdr, ct...), nil); string(got) != "hello" {
		t.Fatalf("bridge decrypt of a hand-made blob: %q", got)
	}
}

// TestTokenLoggedOutBehindTheBridge: a C_Logout on another session of the
// same library logs the bridge's sessions out too (PKCS#11 section 5.6); the
// bridge logs in again and its cached handles are found anew.
func TestTokenLoggedOutBehindTheBridge(t *testing.T) {
	b, l, _ := newBridge(t)
	md := mustCreate(t, b, "")
	blob := mustEncrypt(t, b, md.KeyId, []byte("x"), nil)
	sh, err := l.OpenSession(b.slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(sh)
	for i, op := range []func() error{
		func() error { _, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob}); return err },
		func() error {
			_, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("y")})
			return err
		},
		func() error {
			return b.UpdateKeyDescription(bg, &UpdateKeyDescriptionRequest{KeyId: md.KeyId, Description: "d"})
		},
		func() error {
			return b.CreateAlias(bg, &CreateAliasRequest{AliasName: "alias/a", TargetKeyId: md.KeyId})
		},
		func() error { return b.DeleteAlias(bg, &DeleteAliasRequest{AliasName: "alias/a"}) },
		func() error { _, err := b.CreateKey(bg, &CreateKeyRequest{}); return err },
	} {
		if err := l.Logout(sh); err != nil {
			t.Fatalf("logout before operation %d: %v", i, err)
		}
		if err := op(); err != nil {
			t.Fatalf("operation %d after a logout: %v", i, err)
		}
	}
	// The alias object really went (a logged-out search finds nothing, and
	// must not pass for a deletion).
	if err := l.FindObjectsInit(sh, []ck.Attribute{bytesAttr(ck.CKA_APPLICATION, []byte(appAlias))}); err != nil {
		t.Fatal(err)
	}
	hs, _ := l.FindObjects(sh, 10)
	l.FindObjectsFinal(sh)
	if len(hs) != 0 {
		t.Fatalf("%d alias objects left after DeleteAlias", len(hs))
	}
}

// TestBackingKeyDestroyed: a PKCS#11 client cannot destroy a backing key
// (the bridge owns it: CKR_ACTION_PROHIBITED); if one goes missing anyway
// (here destroyed through an owner session, as only kagi itself can), the
// KMS key is unusable with KMSInvalidStateException, not a crash or an
// internal error; other keys are unaffected.
func TestBackingKeyDestroyed(t *testing.T) {
	b, l, _ := newBridge(t)
	md, other := mustCreate(t, b, ""), mustCreate(t, b, "")
	blob := mustEncrypt(t, b, md.KeyId, []byte("x"), nil)
	client, err := l.OpenSession(b.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(client)
	sh, err := l.OpenOwnerSession(b.slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION, Owner)
	if err != nil {
		t.Fatal(err)
	}
	defer l.CloseSession(sh)
	if err := l.FindObjectsInit(sh, []ck.Attribute{ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)), bytesAttr(ck.CKA_LABEL, []byte(md.KeyId))}); err != nil {
		t.Fatal(err)
	}
	hs, _ := l.FindObjects(sh, 2)
	l.FindObjectsFinal(sh)
	if len(hs) != 1 {
		t.Fatalf("%d backing keys", len(hs))
	}
	if err := l.DestroyObject(client, hs[0]); ck.ErrorRV(err) != ck.CKR_ACTION_PROHIBITED {
		t.Fatalf("a PKCS#11 session destroying a backing key: %v, want CKR_ACTION_PROHIBITED", err)
	}
	mustEncrypt(t, b, md.KeyId, []byte("x"), nil)
	if err := l.DestroyObject(sh, hs[0]); err != nil {
		t.Fatal(err)
	}
	_, err = b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, CodeKMSInvalidState)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob})
	wantCode(t, err, CodeKMSInvalidState)
	mustEncrypt(t, b, other.KeyId, []byte("x"), nil)
}

func TestDryRun(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "")
	blob := mustEncrypt(t, b, md.KeyId, []byte("x"), nil)
	_, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x"), DryRun: true})
	wantCode(t, err, CodeDryRunOperation)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob, DryRun: true})
	wantCode(t, err, CodeDryRunOperation)
	_, err = b.GenerateDataKey(bg, &GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: "AES_256", DryRun: true})
	wantCode(t, err, CodeDryRunOperation)
	_, err = b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: md.KeyId, DryRun: true})
	wantCode(t, err, CodeDryRunOperation)
	// A dry run that would fail fails with the real error.
	_, err = b.Encrypt(bg, &EncryptRequest{KeyId: "alias/none", Plaintext: []byte("x"), DryRun: true})
	wantCode(t, err, CodeNotFound)
}

// TestOrphanBackingKeyIgnored: CreateKey writes the metadata object last, so
// a crash after generating the backing key leaves an orphan HBK that the
// bridge does not take for a key after a restart.
func TestOrphanBackingKeyIgnored(t *testing.T) {
	b, l, db := newBridge(t)
	md := mustCreate(t, b, "")
	orphan := "0f0e0d0c-0b0a-4908-8706-050403020100"
	u, _ := parseUUID(orphan)
	err := b.withSession(bg, func(sh ck.SessionHandle) error {
		_, err := b.generateHBK(sh, orphan, u, 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	l.Finalize()
	b2, err := Open(openLib(t, db), testConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	keys, _ := b2.ListKeys(bg, &ListKeysRequest{})
	if len(keys.Keys) != 1 || keys.Keys[0].KeyId != md.KeyId {
		t.Fatalf("keys after restart: %+v", keys.Keys)
	}
	_, err = b2.DescribeKey(bg, &DescribeKeyRequest{KeyId: orphan})
	wantCode(t, err, CodeNotFound)
}

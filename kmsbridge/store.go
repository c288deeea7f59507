package kmsbridge

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Storage layout: everything the bridge knows is an object on its token, so
// it survives restarts, is sealed under the token master key like any other
// private object, and is visible to the token's PKCS#11 users.
//
//   - Metadata of a KMS key: CKO_DATA, CKA_TOKEN, CKA_PRIVATE,
//     CKA_APPLICATION "kagi-kms/key", CKA_LABEL = the key id (UUID string),
//     CKA_VALUE = the keyRecord below as JSON.
//   - Backing key (HBK) version v of that key: CKO_SECRET_KEY, CKK_AES,
//     CKA_VALUE_LEN 32, generated on the token with CKM_AES_KEY_GEN (from its
//     DRBG), CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_EXTRACTABLE false,
//     CKA_ENCRYPT and CKA_DECRYPT true, CKA_LABEL = the key id,
//     CKA_ID = the key id's 16 UUID bytes || v as big-endian uint32 (20 bytes).
//   - An alias: CKO_DATA, CKA_TOKEN, CKA_PRIVATE, CKA_APPLICATION
//     "kagi-kms/alias", CKA_LABEL = the alias name, CKA_VALUE = the
//     aliasRecord below as JSON. One object per alias (rather than one index
//     object) so that creating, retargeting and deleting an alias is one
//     token write that touches nothing else.
//
// Creating a key generates its HBK first and writes the metadata last: the
// metadata object is the commit point, so a crash in between leaves an
// orphan HBK that nothing refers to, never a key without material.
const (
	appKey   = "kagi-kms/key"
	appAlias = "kagi-kms/alias"
)

// keyRecord is the stored metadata of one KMS key (JSON in CKA_VALUE).
type keyRecord struct {
	KeyId          string
	CreationDate   Timestamp
	Description    string
	KeySpec        string
	KeyUsage       string
	Origin         string
	KeyState       string
	CurrentVersion uint32           // HBK version used for new encryptions
	Versions       []backingVersion // every HBK version, oldest first

	// Tags, deletion schedule and rotation schedule (lifecycle.go, tags.go,
	// rotation.go). Absent in records written before they existed.
	Tags                 []Tag      `json:",omitempty"`
	DeletionDate         *Timestamp `json:",omitempty"` // set while PendingDeletion
	PendingWindowInDays  int32      `json:",omitempty"`
	RotationEnabled      bool       `json:",omitempty"`
	RotationPeriodInDays int32      `json:",omitempty"`
	NextRotationDate     *Timestamp `json:",omitempty"`

	// Policy is the key policy document; "" means the default policy
	// (keypolicy.go), which records written before policies existed have.
	Policy string `json:",omitempty"`

	// Import is the imported material's state; set on keys of origin
	// EXTERNAL only (import.go).
	Import *importState `json:",omitempty"`
}

// backingVersion is one HBK of a key.
type backingVersion struct {
	Version      uint32
	CreationDate Timestamp
	RotationType string `json:",omitempty"` // AUTOMATIC or ON_DEMAND; "" for version 1
}

// aliasRecord is the stored form of one alias (JSON in CKA_VALUE).
type aliasRecord struct {
	AliasName       string
	TargetKeyId     string
	CreationDate    Timestamp
	LastUpdatedDate Timestamp
}

// kmsKey is a key in the bridge's index: its record and the handles of the
// HBKs looked up so far. Metadata and alias objects are found by label when
// they are written (rarely), so no handle of theirs is kept: handles of
// private objects die at logout (PKCS#11 section 5.6).
//
// id and uuid never change and may be read without b.mu; rec is read under
// b.mu and replaced only under b.mu held for writing.
type kmsKey struct {
	id   string
	uuid [16]byte
	rec  keyRecord
	hbk  map[uint32]ck.ObjectHandle
	// objs caches the handles of asymmetric and HMAC key objects (nil
	// until the first use); guarded by b.hbkMu like hbk.
	objs map[objSlot]ck.ObjectHandle

	grants map[string]*grantRecord // by grant id; under b.mu like rec
	policy policyCache             // rec.Policy parsed (authorise.go)
}

// objSlot names one key object of a KMS key: its version and class.
type objSlot struct {
	version uint32
	class   ck.ObjectClass
}

type alias struct {
	rec aliasRecord
}

func ulongAttr(t ck.AttributeType, v ck.ULong) ck.Attribute {
	return ck.Attribute{Type: t, Value: ck.ULongBytes(v)}
}

func boolAttr(t ck.AttributeType, v bool) ck.Attribute {
	return ck.Attribute{Type: t, Value: ck.BoolBytes(v)}
}

func bytesAttr(t ck.AttributeType, v []byte) ck.Attribute {
	return ck.Attribute{Type: t, Value: v}
}

// hbkID is the CKA_ID of version v of the key with that UUID.
func hbkID(uuid [16]byte, v uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), uuid[:]...), v)
}

// dataTemplate is the template of a bridge-owned data object.
func dataTemplate(app, label string, value []byte) []ck.Attribute {
	return []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_DATA)),
		boolAttr(ck.CKA_TOKEN, true),
		boolAttr(ck.CKA_PRIVATE, true),
		bytesAttr(ck.CKA_APPLICATION, []byte(app)),
		bytesAttr(ck.CKA_LABEL, []byte(label)),
		bytesAttr(ck.CKA_VALUE, value),
	}
}

// findAll returns every object matching tmpl.
func (b *Bridge) findAll(sh ck.SessionHandle, tmpl []ck.Attribute) ([]ck.ObjectHandle, error) {
	if err := b.lib.FindObjectsInit(sh, tmpl); err != nil {
		return nil, err
	}
	var all []ck.ObjectHandle
	for {
		hs, err := b.lib.FindObjects(sh, 256)
		if err != nil {
			b.lib.FindObjectsFinal(sh)
			return nil, err
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	return all, b.lib.FindObjectsFinal(sh)
}

// readValue returns CKA_VALUE of a data object.
func (b *Bridge) readValue(sh ck.SessionHandle, h ck.ObjectHandle) ([]byte, error) {
	vs, err := b.lib.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_VALUE})
	if err != nil {
		return nil, err
	}
	if vs[0].Err != 0 {
		return nil, vs[0].Err
	}
	return vs[0].Value, nil
}

// load fills the index from the token's metadata and alias objects.
func (b *Bridge) load(sh ck.SessionHandle) error {
	hs, err := b.findAll(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_DATA)),
		bytesAttr(ck.CKA_APPLICATION, []byte(appKey)),
	})
	if err != nil {
		return fmt.Errorf("kmsbridge: finding KMS keys: %w", err)
	}
	for _, h := range hs {
		v, err := b.readValue(sh, h)
		if err != nil {
			return fmt.Errorf("kmsbridge: reading KMS key metadata: %w", err)
		}
		var rec keyRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("kmsbridge: KMS key metadata object %d: %v", h, err)
		}
		u, ok := parseUUID(rec.KeyId)
		if !ok {
			return fmt.Errorf("kmsbridge: KMS key metadata object %d: bad key id %q", h, rec.KeyId)
		}
		b.keys[rec.KeyId] = &kmsKey{id: rec.KeyId, uuid: u, rec: rec, hbk: map[uint32]ck.ObjectHandle{}}
	}
	hs, err = b.findAll(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_DATA)),
		bytesAttr(ck.CKA_APPLICATION, []byte(appAlias)),
	})
	if err != nil {
		return fmt.Errorf("kmsbridge: finding aliases: %w", err)
	}
	for _, h := range hs {
		v, err := b.readValue(sh, h)
		if err != nil {
			return fmt.Errorf("kmsbridge: reading alias: %w", err)
		}
		var rec aliasRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("kmsbridge: alias object %d: %v", h, err)
		}
		b.aliases[rec.AliasName] = &alias{rec: rec}
	}
	return b.loadGrants(sh)
}

// generateHBK makes version v of a key's backing key on the token.
func (b *Bridge) generateHBK(sh ck.SessionHandle, keyID string, uuid [16]byte, v uint32) (ck.ObjectHandle, error) {
	return b.lib.GenerateKey(sh, ck.Mechanism{Type: ck.CKM_AES_KEY_GEN},
		append(aesKeyTemplate(keyID), bytesAttr(ck.CKA_ID, hbkID(uuid, v))))
}

// aesKeyTemplate is the template of the bridge's own AES-256 keys (backing
// keys, the import token key): on the token, private, sensitive, never
// extractable, for encryption and decryption only.
func aesKeyTemplate(label string) []ck.Attribute {
	return []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)),
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_AES)),
		ulongAttr(ck.CKA_VALUE_LEN, 32),
		boolAttr(ck.CKA_TOKEN, true),
		boolAttr(ck.CKA_PRIVATE, true),
		boolAttr(ck.CKA_SENSITIVE, true),
		boolAttr(ck.CKA_EXTRACTABLE, false),
		boolAttr(ck.CKA_ENCRYPT, true),
		boolAttr(ck.CKA_DECRYPT, true),
		boolAttr(ck.CKA_WRAP, false),
		boolAttr(ck.CKA_UNWRAP, false),
		boolAttr(ck.CKA_SIGN, false),
		boolAttr(ck.CKA_VERIFY, false),
		boolAttr(ck.CKA_DERIVE, false),
		bytesAttr(ck.CKA_LABEL, []byte(label)),
	}
}

// findHBK returns the handle of version v of k's backing key, from the cache
// or the token. It does not need b.mu; the cache is guarded by b.hbkMu.
//
// A backing key that a PKCS#11 client destroyed is missing: the KMS key
// cannot use that version any more and the operation gives
// KMSInvalidStateException (AWS's answer for a key whose material is gone).
func (b *Bridge) findHBK(sh ck.SessionHandle, k *kmsKey, v uint32) (ck.ObjectHandle, error) {
	b.hbkMu.Lock()
	h, ok := k.hbk[v]
	b.hbkMu.Unlock()
	if ok {
		return h, nil
	}
	hs, err := b.findAll(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_SECRET_KEY)),
		bytesAttr(ck.CKA_ID, hbkID(k.uuid, v)),
		bytesAttr(ck.CKA_LABEL, []byte(k.id)),
	})
	if err != nil {
		return 0, tokenError("finding a backing key", err)
	}
	switch len(hs) {
	case 0:
		if err := b.checkLogin(sh); err != nil {
			return 0, err // private objects are invisible, not missing
		}
		return 0, KMSInvalidStateException("%s: key material version %d is missing from the token", b.keyARN(k.id), v)
	case 1:
	default:
		return 0, KMSInternalException("%s: %d backing key objects for version %d on the token", b.keyARN(k.id), len(hs), v)
	}
	b.hbkMu.Lock()
	k.hbk[v] = hs[0]
	b.hbkMu.Unlock()
	return hs[0], nil
}

// checkLogin fails with an error wrapping CKR_USER_NOT_LOGGED_IN when the
// token is not logged in (withSession then logs in again and retries).
func (b *Bridge) checkLogin(sh ck.SessionHandle) error {
	info, err := b.lib.SessionInfo(sh)
	if err != nil {
		return tokenError("reading the session state", err)
	}
	if info.State != ck.CKS_RW_USER_FUNCTIONS && info.State != ck.CKS_RO_USER_FUNCTIONS {
		return tokenError("using the token", ck.CKR_USER_NOT_LOGGED_IN)
	}
	return nil
}

// forgetHBK drops a cached handle that the token no longer knows.
func (b *Bridge) forgetHBK(k *kmsKey, v uint32) {
	b.hbkMu.Lock()
	delete(k.hbk, v)
	b.hbkMu.Unlock()
}

// cryptInit starts an encryption or decryption with version v of k's
// backing key. A cached handle that has gone stale (the object was destroyed
// or the token logged out and in again) is looked up once more.
func (b *Bridge) cryptInit(sh ck.SessionHandle, k *kmsKey, v uint32, m ck.Mechanism, encrypt bool) error {
	for try := 0; ; try++ {
		h, err := b.findHBK(sh, k, v)
		if err != nil {
			return err
		}
		if encrypt {
			err = b.lib.EncryptInit(sh, m, h)
		} else {
			err = b.lib.DecryptInit(sh, m, h)
		}
		switch rv := ck.ErrorRV(err); {
		case err == nil:
			return nil
		case try == 0 && (rv == ck.CKR_KEY_HANDLE_INVALID || rv == ck.CKR_OBJECT_HANDLE_INVALID):
			b.forgetHBK(k, v)
		default:
			return tokenError("starting AES-GCM", err)
		}
	}
}

// dataObjects finds the bridge's data objects of one kind and label. They
// are private: logged out, the token would show none, so that is an error.
func (b *Bridge) dataObjects(sh ck.SessionHandle, app, label string) ([]ck.ObjectHandle, error) {
	if err := b.checkLogin(sh); err != nil {
		return nil, err
	}
	return b.findAll(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_DATA)),
		bytesAttr(ck.CKA_APPLICATION, []byte(app)),
		bytesAttr(ck.CKA_LABEL, []byte(label)),
	})
}

// putData writes value into the data object of that kind and label, or
// creates it: the in-memory index is authoritative, so an object that a
// PKCS#11 client destroyed is made again at the next write.
func (b *Bridge) putData(sh ck.SessionHandle, app, label string, value []byte) error {
	hs, err := b.dataObjects(sh, app, label)
	if err != nil {
		return tokenError("finding "+app, err)
	}
	switch len(hs) {
	case 0:
		if _, err := b.lib.CreateObject(sh, dataTemplate(app, label, value)); err != nil {
			return tokenError("storing "+app, err)
		}
		return nil
	case 1:
		if err := b.lib.SetAttributeValue(sh, hs[0], []ck.Attribute{bytesAttr(ck.CKA_VALUE, value)}); err != nil {
			return tokenError("writing "+app, err)
		}
		return nil
	}
	return KMSInternalException("%d %s objects labelled %s on the token", len(hs), app, label)
}

// deleteData destroys the data objects of that kind and label.
func (b *Bridge) deleteData(sh ck.SessionHandle, app, label string) error {
	hs, err := b.dataObjects(sh, app, label)
	if err != nil {
		return tokenError("finding "+app, err)
	}
	for _, h := range hs {
		if err := b.lib.DestroyObject(sh, h); err != nil {
			return tokenError("deleting "+app, err)
		}
	}
	return nil
}

// writeKey stores rec in k's metadata object and then in the index. Caller
// holds b.mu for writing.
func (b *Bridge) writeKey(sh ck.SessionHandle, k *kmsKey, rec keyRecord) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return KMSInternalException("encoding key metadata: %v", err)
	}
	if err := b.putData(sh, appKey, rec.KeyId, v); err != nil {
		return err
	}
	k.rec = rec
	return nil
}

// UUIDs (RFC 9562 version 4, random): key ids.

func formatUUID(u [16]byte) string {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}

// parseUUID accepts the canonical lower- or upper-case form.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, false
	}
	return u, true
}

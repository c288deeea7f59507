package kmsbridge

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
)

func mustEncrypt(t *testing.T, b *Bridge, keyID string, pt []byte, ctx map[string]string) []byte {
	t.Helper()
	out, err := b.Encrypt(bg, &EncryptRequest{KeyId: keyID, Plaintext: pt, EncryptionContext: ctx})
	if err != nil {
		t.Fatal(err)
	}
	return out.CiphertextBlob
}

func mustDecrypt(t *testing.T, b *Bridge, blob []byte, ctx map[string]string) []byte {
	t.Helper()
	out, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob, EncryptionContext: ctx})
	if err != nil {
		t.Fatal(err)
	}
	return out.Plaintext
}

func TestEncryptDecryptRoundTrip(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "")
	ctx := map[string]string{"purpose": "test", "tenant": "ü-42", "": "empty key"}
	for _, n := range []int{1, 2, 15, 16, 17, 100, 4095, 4096} {
		pt := bytes.Repeat([]byte{byte(n)}, n)
		out, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: pt, EncryptionContext: ctx})
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if out.KeyId != md.Arn || out.EncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
			t.Fatalf("Encrypt answer %+v", out)
		}
		if len(out.CiphertextBlob) != blobHeaderLen+n+blobTagLen {
			t.Fatalf("%d bytes: blob of %d", n, len(out.CiphertextBlob))
		}
		dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ctx})
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		if !bytes.Equal(dec.Plaintext, pt) || dec.KeyId != md.Arn || dec.EncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
			t.Fatalf("%d bytes: Decrypt answer %+v", n, dec)
		}
	}
	// Two encryptions of the same plaintext differ (fresh IV each time).
	a := mustEncrypt(t, b, md.KeyId, []byte("same"), nil)
	c := mustEncrypt(t, b, md.KeyId, []byte("same"), nil)
	if bytes.Equal(a, c) || bytes.Equal(a[blobIVOff:blobHeaderLen], c[blobIVOff:blobHeaderLen]) {
		t.Fatal("two encryptions share an IV")
	}
	// An explicit KeyId in any form is accepted when it names the blob's key.
	for _, ref := range []string{md.KeyId, md.Arn} {
		if _, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: a, KeyId: ref}); err != nil {
			t.Fatalf("Decrypt with KeyId %s: %v", ref, err)
		}
	}
}

func TestEncryptRejects(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "")
	for _, c := range []struct {
		name string
		in   EncryptRequest
		code string
	}{
		{"empty plaintext", EncryptRequest{KeyId: md.KeyId}, CodeValidation},
		{"4097 bytes", EncryptRequest{KeyId: md.KeyId, Plaintext: make([]byte, 4097)}, CodeValidation},
		{"RSA algorithm", EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256"}, CodeInvalidKeyUsage},
		{"unknown algorithm", EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionAlgorithm: "ROT13"}, CodeValidation},
		{"no key", EncryptRequest{Plaintext: []byte("x")}, CodeValidation},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.Encrypt(bg, &c.in)
			wantCode(t, err, c.code)
		})
	}
	big := map[string]string{}
	for i := range 65 {
		big[fmt.Sprint(i)] = "v"
	}
	_, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x"), EncryptionContext: big})
	wantCode(t, err, CodeValidation)
	_, err = b.Decrypt(bg, &DecryptRequest{})
	wantCode(t, err, CodeValidation)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: make([]byte, 6145)})
	wantCode(t, err, CodeValidation)
}

// TestBlobTampering: a change to any single byte of a blob, and any cut or
// extension of it, gives InvalidCiphertextException.
func TestBlobTampering(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "")
	ctx := map[string]string{"a": "b"}
	blob := mustEncrypt(t, b, md.KeyId, []byte("attack at dawn"), ctx)
	for i := range blob {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			bad := bytes.Clone(blob)
			bad[i] ^= mask
			_, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: bad, EncryptionContext: ctx})
			if ErrorCode(err) != CodeInvalidCiphertext {
				t.Fatalf("byte %d ^ %#x: got %v, want InvalidCiphertextException", i, mask, err)
			}
		}
	}
	for _, bad := range [][]byte{blob[:len(blob)-1], blob[:blobMinLen], blob[:blobMinLen-1], blob[:1], append(bytes.Clone(blob), 0)} {
		_, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: bad, EncryptionContext: ctx})
		wantCode(t, err, CodeInvalidCiphertext)
	}
	// The untouched blob still decrypts.
	if got := mustDecrypt(t, b, blob, ctx); string(got) != "attack at dawn" {
		t.Fatalf("plaintext %q", got)
	}
}

func TestEncryptionContextMustMatch(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "")
	ctx := map[string]string{"dept": "fin", "app": "ledger"}
	blob := mustEncrypt(t, b, md.KeyId, []byte("secret"), ctx)
	for _, c := range []struct {
		name string
		ctx  map[string]string
	}{
		{"missing", nil},
		{"empty", map[string]string{}},
		{"one key missing", map[string]string{"dept": "fin"}},
		{"extra key", map[string]string{"dept": "fin", "app": "ledger", "x": "y"}},
		{"other value", map[string]string{"dept": "fin", "app": "Ledger"}},
		{"key and value swapped", map[string]string{"fin": "dept", "app": "ledger"}},
		{"boundary moved", map[string]string{"deptf": "in", "app": "ledger"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob, EncryptionContext: c.ctx})
			wantCode(t, err, CodeInvalidCiphertext)
		})
	}
	// Map order does not matter: a fresh map with the same pairs decrypts.
	if got := mustDecrypt(t, b, blob, map[string]string{"app": "ledger", "dept": "fin"}); string(got) != "secret" {
		t.Fatalf("plaintext %q", got)
	}
	// A blob made without context needs none (nil and empty are the same).
	plain := mustEncrypt(t, b, md.KeyId, []byte("x"), nil)
	mustDecrypt(t, b, plain, map[string]string{})
	_, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: plain, EncryptionContext: map[string]string{"a": "b"}})
	wantCode(t, err, CodeInvalidCiphertext)
}

func TestCanonicalContext(t *testing.T) {
	got := canonicalContext(map[string]string{"b": "2", "a": "1"})
	want := []byte{0, 0, 0, 2, 0, 0, 0, 1, 'a', 0, 0, 0, 1, '1', 0, 0, 0, 1, 'b', 0, 0, 0, 1, '2'}
	if !bytes.Equal(got, want) {
		t.Fatalf("canonical form %x, want %x", got, want)
	}
	if !bytes.Equal(canonicalContext(nil), []byte{0, 0, 0, 0}) {
		t.Fatal("empty context is not 00000000")
	}
	if bytes.Equal(canonicalContext(map[string]string{"a": "bc"}), canonicalContext(map[string]string{"ab": "c"})) {
		t.Fatal("canonical form is ambiguous")
	}
}

func TestDisabledKey(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "")
	blob := mustEncrypt(t, b, md.KeyId, []byte("x"), nil)
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err := b.Encrypt(bg, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("x")})
	wantCode(t, err, CodeDisabled)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob})
	wantCode(t, err, CodeDisabled)
	_, err = b.GenerateDataKey(bg, &GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: "AES_256"})
	wantCode(t, err, CodeDisabled)
	other := mustCreate(t, b, "")
	_, err = b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: other.KeyId})
	wantCode(t, err, CodeDisabled)
	if err := b.EnableKey(bg, &EnableKeyRequest{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	mustDecrypt(t, b, blob, nil)
}

func TestDecryptWithWrongKeyID(t *testing.T) {
	b, _, _ := newBridge(t)
	k1, k2 := mustCreate(t, b, ""), mustCreate(t, b, "")
	blob := mustEncrypt(t, b, k1.KeyId, []byte("x"), nil)
	_, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob, KeyId: k2.KeyId})
	wantCode(t, err, CodeIncorrectKey)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob, KeyId: "00000000-0000-4000-8000-000000000000"})
	wantCode(t, err, CodeNotFound)
	_, err = b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: blob, SourceKeyId: k2.KeyId, DestinationKeyId: k2.KeyId})
	wantCode(t, err, CodeIncorrectKey)
	// A blob naming a key that does not exist here is just a bad ciphertext.
	foreign := bytes.Clone(blob)
	copy(foreign[blobKeyIDOff:], []byte("0123456789abcdef"))
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: foreign})
	wantCode(t, err, CodeInvalidCiphertext)
	// So is a blob naming a backing version the key does not have.
	binary.BigEndian.PutUint32(blob[blobVersionOff:], 2)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob})
	wantCode(t, err, CodeInvalidCiphertext)
}

func TestGenerateDataKey(t *testing.T) {
	b, _, _ := newBridge(t)
	md := mustCreate(t, b, "")
	ctx := map[string]string{"file": "report.pdf"}
	for _, c := range []struct {
		spec string
		n    *int32
		want int
	}{{"AES_128", nil, 16}, {"AES_256", nil, 32}, {"", i32(1), 1}, {"", i32(64), 64}, {"", i32(1024), 1024}} {
		out, err := b.GenerateDataKey(bg, &GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: c.spec, NumberOfBytes: c.n, EncryptionContext: ctx})
		if err != nil {
			t.Fatalf("%s %v: %v", c.spec, c.n, err)
		}
		if len(out.Plaintext) != c.want || len(out.CiphertextBlob) != blobHeaderLen+c.want+blobTagLen || out.KeyId != md.Arn {
			t.Fatalf("%s: %d-byte key, %d-byte blob, KeyId %s", c.spec, len(out.Plaintext), len(out.CiphertextBlob), out.KeyId)
		}
		if got := mustDecrypt(t, b, out.CiphertextBlob, ctx); !bytes.Equal(got, out.Plaintext) {
			t.Fatalf("%s: Decrypt of the data key's blob differs from its plaintext", c.spec)
		}
		if bytes.Equal(out.Plaintext, make([]byte, c.want)) {
			t.Fatalf("%s: all-zero data key", c.spec)
		}
		w, err := b.GenerateDataKeyWithoutPlaintext(bg, &GenerateDataKeyWithoutPlaintextRequest{KeyId: md.KeyId, KeySpec: c.spec, NumberOfBytes: c.n, EncryptionContext: ctx})
		if err != nil {
			t.Fatal(err)
		}
		if got := mustDecrypt(t, b, w.CiphertextBlob, ctx); len(got) != c.want || w.KeyId != md.Arn {
			t.Fatalf("%s: without plaintext: %d bytes, KeyId %s", c.spec, len(got), w.KeyId)
		}
	}
	for _, c := range []struct {
		name string
		in   GenerateDataKeyRequest
	}{
		{"neither", GenerateDataKeyRequest{KeyId: md.KeyId}},
		{"both", GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: "AES_256", NumberOfBytes: i32(32)}},
		{"bad spec", GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: "AES_512"}},
		{"zero bytes", GenerateDataKeyRequest{KeyId: md.KeyId, NumberOfBytes: i32(0)}},
		{"1025 bytes", GenerateDataKeyRequest{KeyId: md.KeyId, NumberOfBytes: i32(1025)}},
	} {
		_, err := b.GenerateDataKey(bg, &c.in)
		wantCode(t, err, CodeValidation)
		_, err = b.GenerateDataKeyWithoutPlaintext(bg, &c.in)
		wantCode(t, err, CodeValidation)
	}
}

func TestReEncrypt(t *testing.T) {
	b, _, _ := newBridge(t)
	src, dst := mustCreate(t, b, ""), mustCreate(t, b, "")
	sctx, dctx := map[string]string{"s": "1"}, map[string]string{"d": "2"}
	blob := mustEncrypt(t, b, src.KeyId, []byte("moving"), sctx)
	out, err := b.ReEncrypt(bg, &ReEncryptRequest{
		CiphertextBlob: blob, SourceEncryptionContext: sctx,
		DestinationKeyId: dst.Arn, DestinationEncryptionContext: dctx,
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.SourceKeyId != src.Arn || out.KeyId != dst.Arn || out.SourceEncryptionAlgorithm != "SYMMETRIC_DEFAULT" || out.DestinationEncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
		t.Fatalf("ReEncrypt answer %+v", out)
	}
	dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, EncryptionContext: dctx})
	if err != nil || string(dec.Plaintext) != "moving" || dec.KeyId != dst.Arn {
		t.Fatalf("Decrypt of the re-encrypted blob: %+v %v", dec, err)
	}
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, EncryptionContext: sctx})
	wantCode(t, err, CodeInvalidCiphertext)
	// The source context must match; the destination key must exist.
	_, err = b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: dst.KeyId})
	wantCode(t, err, CodeInvalidCiphertext)
	_, err = b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: blob, SourceEncryptionContext: sctx, DestinationKeyId: "alias/none"})
	wantCode(t, err, CodeNotFound)
	_, err = b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: blob, SourceEncryptionContext: sctx})
	wantCode(t, err, CodeValidation)
	// Re-encrypting under the same key with a new context works too.
	same, err := b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: blob, SourceEncryptionContext: sctx, SourceKeyId: src.KeyId, DestinationKeyId: src.KeyId, DestinationEncryptionContext: dctx})
	if err != nil {
		t.Fatal(err)
	}
	if got := mustDecrypt(t, b, same.CiphertextBlob, dctx); string(got) != "moving" {
		t.Fatalf("plaintext %q", got)
	}
}

func TestGenerateRandom(t *testing.T) {
	b, _, _ := newBridge(t)
	for _, n := range []int32{1, 32, 1024} {
		out, err := b.GenerateRandom(bg, &GenerateRandomRequest{NumberOfBytes: i32(n)})
		if err != nil || len(out.Plaintext) != int(n) {
			t.Fatalf("%d: %d bytes, %v", n, len(out.Plaintext), err)
		}
	}
	for _, n := range []*int32{nil, i32(0), i32(-1), i32(1025)} {
		_, err := b.GenerateRandom(bg, &GenerateRandomRequest{NumberOfBytes: n})
		wantCode(t, err, CodeValidation)
	}
	a, _ := b.GenerateRandom(bg, &GenerateRandomRequest{NumberOfBytes: i32(32)})
	c, _ := b.GenerateRandom(bg, &GenerateRandomRequest{NumberOfBytes: i32(32)})
	if bytes.Equal(a.Plaintext, c.Plaintext) {
		t.Fatal("two random draws are equal")
	}
}

// TestConcurrentUse runs operations from more goroutines than the bridge has
// sessions, with state changes in between (run with -race).
func TestConcurrentUse(t *testing.T) {
	b, _, _ := newBridge(t)
	k1, k2 := mustCreate(t, b, ""), mustCreate(t, b, "")
	// Empty the backing key handle caches, so goroutines fill them while
	// another one changes the key's record (as after a restart).
	for _, k := range b.keys {
		b.forgetHBK(k, 1)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				pt := []byte(fmt.Sprintf("g%d-%d", g, i))
				ctx := map[string]string{"g": fmt.Sprint(g)}
				enc, err := b.Encrypt(bg, &EncryptRequest{KeyId: k1.KeyId, Plaintext: pt, EncryptionContext: ctx})
				if err != nil {
					errs <- err
					return
				}
				re, err := b.ReEncrypt(bg, &ReEncryptRequest{CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: ctx, DestinationKeyId: k2.KeyId})
				if err != nil {
					errs <- err
					return
				}
				dec, err := b.Decrypt(bg, &DecryptRequest{CiphertextBlob: re.CiphertextBlob})
				if err != nil || !bytes.Equal(dec.Plaintext, pt) {
					errs <- fmt.Errorf("decrypt: %v", err)
					return
				}
				if g == 0 {
					if err := b.UpdateKeyDescription(bg, &UpdateKeyDescriptionRequest{KeyId: k2.KeyId, Description: fmt.Sprint(i)}); err != nil {
						errs <- err
						return
					}
				}
				if g == 1 && i%5 == 0 {
					if _, err := b.CreateKey(bg, &CreateKeyRequest{}); err != nil {
						errs <- err
						return
					}
					if err := b.CreateAlias(bg, &CreateAliasRequest{AliasName: fmt.Sprintf("alias/c%d", i), TargetKeyId: k1.KeyId}); err != nil {
						errs <- err
						return
					}
				}
				if _, err := b.ListKeys(bg, &ListKeysRequest{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

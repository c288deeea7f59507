package token

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// TestCipherUpdateLengthConvention takes C_EncryptUpdate/C_DecryptUpdate of
// CKM_AES_CBC_PAD (whose parts go straight into the caller's buffer)
// through the length convention: a length query and a short buffer answer
// the exact length and keep the operation, C_Encrypt is refused once parts
// began, and the parts put together are what crypto/cipher makes.
func TestCipherUpdateLengthConvention(t *testing.T) {
	l, _, sh, _ := ready(t)
	key := bytes.Repeat([]byte{0x3c}, 32)
	h, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, key),
	})
	if err != nil {
		t.Fatal(err)
	}
	iv := bytes.Repeat([]byte{7}, 16)
	m := ck.Mechanism{Type: ck.CKM_AES_CBC_PAD, Param: iv}
	msg := bytes.Repeat([]byte("0123456789abcdef"), 5)[:77]
	block, _ := aes.NewCipher(key)
	padded := append(bytes.Clone(msg), bytes.Repeat([]byte{3}, 3)...)
	want := make([]byte, len(padded))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(want, padded)

	run := func(encrypt bool, in []byte, parts []int, wantLens []int) []byte {
		t.Helper()
		initFn, one, update, final := l.EncryptInit, l.Encrypt, l.EncryptUpdate, l.EncryptFinal
		if !encrypt {
			initFn, one, update, final = l.DecryptInit, l.Decrypt, l.DecryptUpdate, l.DecryptFinal
		}
		if err := initFn(sh, m, h); err != nil {
			t.Fatal(err)
		}
		var out []byte
		for i, end := range parts {
			part := in[:end]
			in = in[end:]
			n, err := update(sh, part, nil)
			if err != nil || n != wantLens[i] {
				t.Fatalf("part %d: length query gave %d, %v; want %d", i, n, err, wantLens[i])
			}
			if n > 0 {
				got, err := update(sh, part, make([]byte, n-1))
				wantRV(t, err, ck.CKR_BUFFER_TOO_SMALL)
				if got != n {
					t.Fatalf("part %d: short buffer answered %d, want %d", i, got, n)
				}
			}
			if i == 0 {
				_, err := one(sh, part, make([]byte, 256))
				wantRV(t, err, ck.CKR_OPERATION_ACTIVE)
			}
			buf := make([]byte, n+5) // longer than needed: only n are written
			got, err := update(sh, part, buf)
			if err != nil || got != n {
				t.Fatalf("part %d: update gave %d, %v; want %d", i, got, err, n)
			}
			out = append(out, buf[:got]...)
		}
		n, err := final(sh, nil)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, n)
		n, err = final(sh, buf)
		if err != nil {
			t.Fatal(err)
		}
		return append(out, buf[:n]...)
	}
	// 77 bytes as 5 + 30 + 42: 0, 32 and 32 bytes leave at the updates
	// (13 buffered), the padded last block at Final.
	if got := run(true, msg, []int{5, 30, 42}, []int{0, 32, 32}); !bytes.Equal(got, want) {
		t.Fatal("CBC_PAD ciphertext differs from crypto/cipher")
	}
	// Decryption holds back the last whole block for Final: 80 bytes as
	// 16 + 33 + 31 release 0 (the block held), 48 (1 byte buffered) and 16.
	if got := run(false, want, []int{16, 33, 31}, []int{0, 48, 16}); !bytes.Equal(got, msg) {
		t.Fatal("CBC_PAD plaintext differs")
	}
}

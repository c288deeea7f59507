package token

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

func TestMessageBasedGCM(t *testing.T) {
	l, _, sh, _ := ready(t)
	key := bytes.Repeat([]byte{0x6b}, 32)
	h, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, key),
	})
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	m := ck.Mechanism{Type: ck.CKM_AES_GCM}
	if err := l.MessageEncryptInit(sh, m, h); err != nil {
		t.Fatal(err)
	}
	wantRV(t, l.MessageEncryptInit(sh, m, h), ck.CKR_OPERATION_ACTIVE)
	fixed := []byte{0xca, 0xfe, 0xba, 0xbe}
	params := func(gen ck.GeneratorFunc) (ck.GCMMessageParams, ParamDecoder) {
		p := ck.GCMMessageParams{IV: append(bytes.Clone(fixed), make([]byte, 8)...), IVFixedBits: 32, IVGenerator: gen, Tag: make([]byte, 16), TagBits: 128}
		return p, func(mt ck.MechanismType) (any, error) {
			if mt != ck.CKM_AES_GCM {
				t.Fatalf("decoder asked for %v", mt)
			}
			return p, nil
		}
	}
	aad, msg := []byte("header"), []byte("message one")
	seen := map[string]bool{}
	var lastCT, lastIV, lastTag []byte
	for _, gen := range []ck.GeneratorFunc{ck.CKG_GENERATE_COUNTER, ck.CKG_GENERATE_COUNTER, ck.CKG_GENERATE_RANDOM} {
		p, dec := params(gen)
		n, err := l.EncryptMessage(sh, dec, aad, msg, nil)
		if err != nil || n != len(msg) || !bytes.Equal(p.IV[4:], make([]byte, 8)) {
			t.Fatalf("length query: %d %v, IV touched: %x", n, err, p.IV)
		}
		ct := make([]byte, n)
		if _, err := l.EncryptMessage(sh, dec, aad, msg, ct); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(p.IV[:4], fixed) || seen[string(p.IV)] {
			t.Fatalf("generated IV %x: fixed part kept? repeated?", p.IV)
		}
		seen[string(p.IV)] = true
		pt, err := gcm.Open(nil, p.IV, append(bytes.Clone(ct), p.Tag...), aad)
		if err != nil || !bytes.Equal(pt, msg) {
			t.Fatalf("crypto/cipher cannot open the message (%v)", err)
		}
		lastCT, lastIV, lastTag = ct, p.IV, p.Tag
	}
	if err := l.MessageEncryptFinal(sh); err != nil {
		t.Fatal(err)
	}
	wantRV(t, l.MessageEncryptFinal(sh), ck.CKR_OPERATION_NOT_INITIALIZED)

	if err := l.MessageDecryptInit(sh, m, h); err != nil {
		t.Fatal(err)
	}
	decode := func(tag []byte, gen ck.GeneratorFunc) ParamDecoder {
		return func(ck.MechanismType) (any, error) {
			return ck.GCMMessageParams{IV: lastIV, IVGenerator: gen, Tag: tag, TagBits: 128}, nil
		}
	}
	out := make([]byte, len(lastCT))
	if _, err := l.DecryptMessage(sh, decode(lastTag, ck.CKG_NO_GENERATE), aad, lastCT, out); err != nil || !bytes.Equal(out, msg) {
		t.Fatalf("DecryptMessage: %q %v", out, err)
	}
	bad := bytes.Clone(lastTag)
	bad[0] ^= 1
	_, err = l.DecryptMessage(sh, decode(bad, ck.CKG_NO_GENERATE), aad, lastCT, out)
	wantRV(t, err, ck.CKR_ENCRYPTED_DATA_INVALID)
	_, err = l.DecryptMessage(sh, decode(lastTag, ck.CKG_GENERATE_RANDOM), aad, lastCT, out)
	wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	wantRV(t, l.MessageDecryptInit(sh, ck.Mechanism{Type: ck.CKM_AES_CBC_PAD}, h), ck.CKR_OPERATION_ACTIVE)
	if err := l.MessageDecryptFinal(sh); err != nil {
		t.Fatal(err)
	}
	wantRV(t, l.MessageDecryptInit(sh, ck.Mechanism{Type: ck.CKM_AES_CBC_PAD}, h), ck.CKR_MECHANISM_INVALID)
}

func TestMessageInParts(t *testing.T) {
	l, _, sh, _ := ready(t)
	key := bytes.Repeat([]byte{0x2e}, 16)
	h, err := l.CreateObject(sh, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE, key),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := ck.Mechanism{Type: ck.CKM_AES_GCM}
	p := ck.GCMMessageParams{IV: make([]byte, 12), IVGenerator: ck.CKG_GENERATE_RANDOM, Tag: make([]byte, 16), TagBits: 128}
	dec := func(ck.MechanismType) (any, error) { return p, nil }
	aad, msg := []byte("aad"), []byte("a message in three parts, buffered until its end")
	if err := l.MessageEncryptInit(sh, m, h); err != nil {
		t.Fatal(err)
	}
	_, err = l.EncryptMessageNext(sh, dec, msg, nil, ck.CKF_END_OF_MESSAGE)
	wantRV(t, err, ck.CKR_OPERATION_NOT_INITIALIZED)
	if err := l.EncryptMessageBegin(sh, dec, aad); err != nil {
		t.Fatal(err)
	}
	wantRV(t, l.EncryptMessageBegin(sh, dec, aad), ck.CKR_OPERATION_ACTIVE)
	var ct []byte
	parts := [][]byte{msg[:10], msg[10:30], msg[30:]}
	for i, part := range parts {
		flags := ck.Flags(0)
		if i == len(parts)-1 {
			flags = ck.CKF_END_OF_MESSAGE
		}
		n, err := l.EncryptMessageNext(sh, dec, part, nil, flags)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]byte, n)
		if _, err := l.EncryptMessageNext(sh, dec, part, out, flags); err != nil {
			t.Fatal(err)
		}
		ct = append(ct, out...)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	if pt, err := gcm.Open(nil, p.IV, append(bytes.Clone(ct), p.Tag...), aad); err != nil || !bytes.Equal(pt, msg) {
		t.Fatalf("parts did not make the message: %v", err)
	}
	if err := l.MessageDecryptInit(sh, m, h); err != nil {
		t.Fatal(err)
	}
	dp := ck.GCMMessageParams{IV: p.IV, Tag: p.Tag, TagBits: 128}
	ddec := func(ck.MechanismType) (any, error) { return dp, nil }
	if err := l.DecryptMessageBegin(sh, ddec, aad); err != nil {
		t.Fatal(err)
	}
	if n, err := l.DecryptMessageNext(sh, ddec, ct[:7], make([]byte, 7), 0); err != nil || n != 0 {
		t.Fatalf("an inner part released %d bytes (%v)", n, err)
	}
	out := make([]byte, len(ct))
	n, err := l.DecryptMessageNext(sh, ddec, ct[7:], out, ck.CKF_END_OF_MESSAGE)
	if err != nil || !bytes.Equal(out[:n], msg) {
		t.Fatalf("decrypted in parts: %q %v", out[:n], err)
	}
}

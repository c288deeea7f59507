package mech

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// CKM_{AES,DES,DES3}_{ECB,CBC}_ENCRYPT_DATA: SP 800-38A's AES-128 answers,
// and every row against the standard library's ECB/CBC over each key type
// the row takes, with its length rules and refusals.

// This init runs after derive_test.go's (files initialise in name order)
// and replaces the generic conformSimpleDerive for these rows.
func init() {
	for t := range encryptDataCases {
		conformBy[t] = conformEncryptData
	}
}

type encryptDataCase struct {
	cbc   bool
	keys  func(t *testing.T) []*Key // one per key type the row takes
	wrong func(t *testing.T) []*Key // secret keys of other ciphers
}

func aesKeys(t *testing.T) []*Key {
	return []*Key{fixtureOf(t, "AES-128").priv, fixtureOf(t, "AES-192").priv, fixtureOf(t, "AES-256").priv}
}

func des1Keys(*testing.T) []*Key { return desFixtures()[:1] }
func des3Keys(*testing.T) []*Key { return desFixtures()[1:] }
func desAllKeys(*testing.T) []*Key {
	return desFixtures()
}
func aesAndDES1(t *testing.T) []*Key { return append(aesKeys(t), des1Keys(t)...) }
func aesAndDES3(t *testing.T) []*Key { return append(aesKeys(t), des3Keys(t)...) }

var encryptDataCases = map[ck.MechanismType]encryptDataCase{
	ck.CKM_AES_ECB_ENCRYPT_DATA:  {false, aesKeys, desAllKeys},
	ck.CKM_AES_CBC_ENCRYPT_DATA:  {true, aesKeys, desAllKeys},
	ck.CKM_DES_ECB_ENCRYPT_DATA:  {false, des1Keys, aesAndDES3},
	ck.CKM_DES_CBC_ENCRYPT_DATA:  {true, des1Keys, aesAndDES3},
	ck.CKM_DES3_ECB_ENCRYPT_DATA: {false, des3Keys, aesAndDES1},
	ck.CKM_DES3_CBC_ENCRYPT_DATA: {true, des3Keys, aesAndDES1},
}

// refBlock is the standard library's cipher for k.
func refBlock(t *testing.T, k *Key) cipher.Block {
	if k.Type == ck.CKK_AES {
		b, err := aes.NewCipher(k.Secret)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	return desRefBlock(k.Secret)
}

func encryptDataParam(cbc bool, iv, data []byte) any {
	if cbc {
		return ck.CBCEncryptDataParams{IV: iv, Data: data}
	}
	return ck.KeyDerivationStringData{Data: data}
}

func conformEncryptData(t *testing.T, s *Spec) {
	row := encryptDataCases[s.Type]
	for _, k := range row.keys(t) {
		ref := refBlock(t, k)
		bs := ref.BlockSize()
		data, iv := randBytes(4*bs), randBytes(bs)
		param := encryptDataParam(row.cbc, iv, data)
		want := make([]byte, len(data))
		if row.cbc {
			cipher.NewCBCEncrypter(ref, iv).CryptBlocks(want, data)
		} else {
			for i := 0; i < len(data); i += bs {
				ref.Encrypt(want[i:], data[i:])
			}
		}
		// No natural length: CKA_VALUE_LEN is required; any length up
		// to the data's keeps the leading bytes.
		_, err := s.Derive(k, param, 0, noOther)
		wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
		for _, n := range []int{1, bs - 1, bs, bs + 1, len(want) - 1, len(want)} {
			got, err := s.Derive(k, param, n, noOther)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got, want[:n]) {
				t.Fatalf("key type %#x, keyLen %d: derived %x, want %x", k.Type, n, got, want[:n])
			}
		}
		for _, n := range []int{len(want) + 1, -1, maxSecretLen + 1} {
			_, err := s.Derive(k, param, n, noOther)
			wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
		}
		// The pointer form of the parameter.
		var ptr any
		if p, ok := param.(ck.CBCEncryptDataParams); ok {
			ptr = &p
		} else {
			p := param.(ck.KeyDerivationStringData)
			ptr = &p
		}
		got, err := s.Derive(k, ptr, len(want), noOther)
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(got, want) {
			t.Fatal("pointer parameter derives otherwise")
		}

		// Refused parameters: absent, of another type, data not whole
		// blocks or empty, an IV not of one block.
		bad := []any{nil, data, ck.ECDH1DeriveParams{PublicData: data},
			encryptDataParam(row.cbc, iv, data[:bs-1]), encryptDataParam(row.cbc, iv, data[:bs+1]),
			encryptDataParam(row.cbc, iv, nil), encryptDataParam(!row.cbc, iv, data)}
		if row.cbc {
			bad = append(bad, (*ck.CBCEncryptDataParams)(nil),
				encryptDataParam(true, iv[:bs-1], data), encryptDataParam(true, randBytes(bs+8), data),
				encryptDataParam(true, nil, data))
		} else {
			bad = append(bad, (*ck.KeyDerivationStringData)(nil))
		}
		for i, p := range bad {
			_, err := s.Derive(k, p, bs, noOther)
			if ck.ErrorRV(err) != ck.CKR_MECHANISM_PARAM_INVALID {
				t.Errorf("bad parameter %d (%#v): %v", i, p, err)
			}
		}
	}

	// Base keys of another cipher or no cipher at all.
	param := encryptDataParam(row.cbc, randBytes(16), randBytes(32))
	wrong := append(row.wrong(t), fixtureOf(t, "generic-64").priv, fixtureOf(t, "EC-P-256").priv, fixtureOf(t, "RSA-2048").priv)
	for _, k := range wrong {
		_, err := s.Derive(k, param, 8, noOther)
		if ck.ErrorRV(err) != ck.CKR_KEY_TYPE_INCONSISTENT {
			t.Errorf("base key %v/%#x: %v", k.Class, k.Type, err)
		}
	}
}

// TestAESEncryptDataSP80038A: the first two blocks of SP 800-38A appendix
// F.1.1 (ECB-AES128.Encrypt) and F.2.1 (CBC-AES128.Encrypt) as derived keys.
func TestAESEncryptDataSP80038A(t *testing.T) {
	h := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	key := secretKey(t, ck.CKK_AES, h("2b7e151628aed2a6abf7158809cf4f3c"))
	pt := h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
	iv := h("000102030405060708090a0b0c0d0e0f")
	for _, c := range []struct {
		typ   ck.MechanismType
		param any
		want  string
	}{
		{ck.CKM_AES_ECB_ENCRYPT_DATA, ck.KeyDerivationStringData{Data: pt}, "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf"},
		{ck.CKM_AES_CBC_ENCRYPT_DATA, ck.CBCEncryptDataParams{IV: iv, Data: pt}, "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"},
	} {
		s, ok := Lookup(c.typ)
		if !ok {
			t.Fatalf("%v is not in the registry", c.typ)
		}
		got, err := s.Derive(key, c.param, 32, noOther)
		wantRV(t, err, ck.CKR_OK)
		if hex.EncodeToString(got) != c.want {
			t.Errorf("%s: %x, want %s", s.Name, got, c.want)
		}
	}
}

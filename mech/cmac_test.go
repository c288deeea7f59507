package mech

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"math/big"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// cmacRef is CMAC computed another way (RFC 4493 section 2.4 read as
// CBC-MAC): subkeys by big-integer doubling modulo x^128+x^7+x^2+x+1, the
// last block padded and XORed, then CBC with a zero IV over the whole
// message; the MAC is the last ciphertext block.
func cmacRef(key, msg []byte) []byte {
	b, _ := aes.NewCipher(key)
	l := make([]byte, 16)
	b.Encrypt(l, l)
	mod := new(big.Int).Lsh(big.NewInt(1), 128)
	double := func(x []byte) []byte {
		v := new(big.Int).Lsh(new(big.Int).SetBytes(x), 1)
		if v.Cmp(mod) >= 0 {
			v.Sub(v, mod)
			v.Xor(v, big.NewInt(0x87))
		}
		return v.FillBytes(make([]byte, 16))
	}
	k1 := double(l)
	k2 := double(k1)
	m := bytes.Clone(msg)
	sub := k1
	if len(m) == 0 || len(m)%16 != 0 {
		m = append(m, 0x80)
		for len(m)%16 != 0 {
			m = append(m, 0)
		}
		sub = k2
	}
	for i := range 16 {
		m[len(m)-16+i] ^= sub[i]
	}
	out := make([]byte, len(m))
	cipher.NewCBCEncrypter(b, make([]byte, 16)).CryptBlocks(out, m)
	return out[len(out)-16:]
}

func macLenParam(n ck.ULong) []byte { return ck.ULongBytes(n) }

// TestCMACSP80038B: the SP 800-38B examples for AES-128/192/256, single-
// and multi-part, through CKM_AES_CMAC and CKM_AES_CMAC_GENERAL.
func TestCMACSP80038B(t *testing.T) {
	cmac, general := aesRow(t, ck.CKM_AES_CMAC), aesRow(t, ck.CKM_AES_CMAC_GENERAL)
	for _, r := range readVectors(t, "sp800_38b_cmac.txt", "Example") {
		k := aesTestKey(r.hex(t, "Key", 0))
		msg, want := r.hex(t, "Msg", 0), r.hex(t, "Mac", 0)
		if !bytes.Equal(cmacRef(k.Secret, msg), want) {
			t.Fatalf("%s: the reference disagrees", r.get("Example", 0))
		}
		o, _ := cmac.Sign(k, nil)
		if got, _ := o.Sign(msg); !bytes.Equal(got, want) {
			t.Errorf("%s: CMAC %x", r.get("Example", 0), got)
		}
		o, _ = general.Sign(k, macLenParam(8))
		for _, p := range chunks(msg, 3) {
			o.Update(p)
		}
		if got, _ := o.Final(); !bytes.Equal(got, want[:8]) {
			t.Errorf("%s: CMAC_GENERAL(8) %x", r.get("Example", 0), got)
		}
		v, _ := cmac.Verify(k, nil)
		wantRV(t, v.Verify(msg, want), ck.CKR_OK)
	}
}

// conformCMAC is the registry conformance of CKM_AES_CMAC(_GENERAL): MAC
// lengths, single- and multi-part against cmacRef, verification with wrong
// MACs, data and lengths, and the parameter and key checks.
func conformCMAC(t *testing.T, s *Spec) {
	general := s.Type == ck.CKM_AES_CMAC_GENERAL
	aesKeys, others := aesFixtures()
	params := []struct {
		param any
		n     int
	}{{nil, 16}, {[]byte{}, 16}}
	bad := []any{[]byte{1}, ck.ULongBytes(16), ck.ULong(16), ck.AESCTRParams{}}
	if general {
		params = nil
		for _, n := range []int{1, 4, 8, 15, 16} {
			params = append(params, struct {
				param any
				n     int
			}{macLenParam(ck.ULong(n)), n})
		}
		bad = []any{nil, []byte{}, []byte{1}, ck.ULongBytes(0), ck.ULongBytes(17), ck.ULongBytes(1 << 40), ck.ULong(8), make([]byte, 4)}
	}
	for _, f := range others {
		_, err := s.Sign(f.priv, params[0].param)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		_, err = s.Verify(f.pub, params[0].param)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	for _, p := range bad {
		_, err := s.Sign(aesKeys[0].priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		_, err = s.Verify(aesKeys[0].priv, p)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	for _, f := range aesKeys {
		for _, p := range params {
			for _, n := range []int{0, 1, 15, 16, 17, 32, 33, 64, 1000} {
				data := randBytes(n)
				want := cmacRef(f.priv.Secret, data)[:p.n]
				o, err := s.Sign(f.priv, p.param)
				wantRV(t, err, ck.CKR_OK)
				if o.SigLen() != p.n {
					t.Fatalf("SigLen %d, want %d", o.SigLen(), p.n)
				}
				mac, err := o.Sign(data)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(mac, want) {
					t.Fatalf("%s %d bytes: MAC differs from the reference", f.name, n)
				}
				for _, parts := range [][][]byte{split(data), chunks(data, 1), chunks(data, 16), chunks(data, 17)} {
					o, _ := s.Sign(f.priv, p.param)
					for _, part := range parts {
						wantRV(t, o.Update(part), ck.CKR_OK)
					}
					if got, _ := o.Final(); !bytes.Equal(got, want) {
						t.Fatalf("%s %d bytes: multi-part MAC differs", f.name, n)
					}
				}
				verify := func(data, mac []byte, multi bool) error {
					v, err := s.Verify(f.pub, p.param)
					wantRV(t, err, ck.CKR_OK)
					if !multi {
						return v.Verify(data, mac)
					}
					for _, part := range split(data) {
						wantRV(t, v.Update(part), ck.CKR_OK)
					}
					return v.Final(mac)
				}
				for _, multi := range []bool{false, true} {
					wantRV(t, verify(data, mac, multi), ck.CKR_OK)
					badMAC := bytes.Clone(mac)
					badMAC[len(badMAC)-1] ^= 1
					wantRV(t, verify(data, badMAC, multi), ck.CKR_SIGNATURE_INVALID)
					if len(mac) >= 4 {
						// A MAC of a few bytes matches other data by chance
						// (1 in 256 for one byte); only longer ones must differ.
						wantRV(t, verify(append(bytes.Clone(data), 0), mac, multi), ck.CKR_SIGNATURE_INVALID)
					}
					wantRV(t, verify(data, append(bytes.Clone(mac), 0), multi), ck.CKR_SIGNATURE_LEN_RANGE)
					wantRV(t, verify(data, mac[:len(mac)-1], multi), ck.CKR_SIGNATURE_LEN_RANGE)
				}
			}
		}
	}
}

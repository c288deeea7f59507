package mech

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/binary"
	"hash"
	"math/big"
	"slices"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// refX963 is the ANSI X9.63 KDF written out again for the test.
func refX963(h func() hash.Hash, z, info []byte, n int) []byte {
	var out []byte
	for i := uint32(1); len(out) < n; i++ {
		d := h()
		d.Write(z)
		d.Write(binary.BigEndian.AppendUint32(nil, i))
		d.Write(info)
		out = d.Sum(out)
	}
	return out[:n]
}

var refKDFHash = map[ck.KDF]func() hash.Hash{
	ck.CKD_SHA1_KDF: sha1.New, ck.CKD_SHA224_KDF: sha256.New224, ck.CKD_SHA256_KDF: sha256.New,
	ck.CKD_SHA384_KDF: sha512.New384, ck.CKD_SHA512_KDF: sha512.New,
	ck.CKD_SHA3_224_KDF: func() hash.Hash { return sha3.New224() },
	ck.CKD_SHA3_256_KDF: func() hash.Hash { return sha3.New256() },
	ck.CKD_SHA3_384_KDF: func() hash.Hash { return sha3.New384() },
	ck.CKD_SHA3_512_KDF: func() hash.Hash { return sha3.New512() },
}

// ecPeer is a peer key pair on curve c: its CKA_EC_POINT forms and the
// shared secret with priv, computed by the standard library (crypto/ecdh,
// or for P-224, which crypto/ecdh lacks, crypto/elliptic from the peer's
// side).
func ecPeer(t *testing.T, priv *ecdsa.PrivateKey) (raw, der, z []byte) {
	t.Helper()
	peer, err := ecdsa.GenerateKey(priv.Curve, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = peer.PublicKey.Bytes()
	der = derAppend(nil, derOctetString, raw)
	size := (priv.Curve.Params().BitSize + 7) / 8
	if priv.Curve == elliptic.P224() {
		d, _ := peer.Bytes()
		x, _ := priv.Curve.ScalarMult(priv.X, priv.Y, d) //nolint:staticcheck // reference for P-224
		return raw, der, x.FillBytes(make([]byte, size))
	}
	pe, _ := peer.ECDH()
	pk, _ := priv.PublicKey.ECDH()
	z, err = pe.ECDH(pk)
	if err != nil {
		t.Fatal(err)
	}
	return raw, der, z
}

// conformECDH: every curve, both point encodings (and compressed points),
// CKD_NULL with every truncation, the X9.63 KDFs against refX963, X25519,
// and the refusals.
func conformECDH(t *testing.T, s *Spec) {
	for _, name := range []string{"EC-P-224", "EC-P-256", "EC-P-384", "EC-P-521"} {
		t.Run(name, func(t *testing.T) {
			f := fixtureOf(t, name)
			priv := f.priv.Private.(*ecdsa.PrivateKey)
			raw, der, z := ecPeer(t, priv)
			c := curveOfKey(priv.Curve)
			comp := elliptic.MarshalCompressed(priv.Curve, new(big.Int).SetBytes(raw[1:1+c.size]), new(big.Int).SetBytes(raw[1+c.size:])) //nolint:staticcheck // test input
			for _, pd := range [][]byte{raw, der, comp} {
				got, err := s.Derive(f.priv, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: pd}, 0, noOther)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(got, z) {
					t.Fatalf("Z %x, want %x", got, z)
				}
			}
			// Truncation removes bytes from the leading end.
			for _, n := range []int{1, 16, len(z) - 1, len(z)} {
				got, err := s.Derive(f.priv, &ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: raw}, n, noOther)
				wantRV(t, err, ck.CKR_OK)
				if !bytes.Equal(got, z[len(z)-n:]) {
					t.Fatalf("keyLen %d: %x, want %x", n, got, z[len(z)-n:])
				}
			}
			_, err := s.Derive(f.priv, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: raw}, len(z)+1, noOther)
			wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)

			shared := randBytes(20)
			for kdf, h := range refKDFHash {
				for _, info := range [][]byte{nil, shared} {
					for _, n := range []int{1, 16, 32, 100} {
						got, err := s.Derive(f.priv, ck.ECDH1DeriveParams{KDF: kdf, SharedData: info, PublicData: der}, n, noOther)
						wantRV(t, err, ck.CKR_OK)
						if want := refX963(h, z, info, n); !bytes.Equal(got, want) {
							t.Fatalf("KDF %#x, %d bytes: %x, want %x", kdf, n, got, want)
						}
					}
				}
				_, err := s.Derive(f.priv, ck.ECDH1DeriveParams{KDF: kdf, PublicData: der}, 0, noOther)
				wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
			}

			// A point off the curve, the wrong curve's point, garbage.
			off := bytes.Clone(raw)
			off[len(off)-1] ^= 1
			other := fixtureOf(t, "EC-P-256")
			if name == "EC-P-256" {
				other = fixtureOf(t, "EC-P-384")
			}
			otherRaw, _ := other.pub.Public.(*ecdsa.PublicKey).Bytes()
			for _, pd := range [][]byte{off, otherRaw, raw[:len(raw)-1], {4}, make([]byte, len(raw))} {
				_, err := s.Derive(f.priv, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: pd}, 0, noOther)
				wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
			}
			// The public key is not a base key.
			_, err = s.Derive(f.pub, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: raw}, 0, noOther)
			wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		})
	}

	t.Run("X25519", func(t *testing.T) {
		k := x25519Fixture(t)
		peer, _ := ecdh.X25519().GenerateKey(rand.Reader)
		z, _ := peer.ECDH(k.Public.(*ecdh.PublicKey))
		pu := peer.PublicKey().Bytes()
		for _, pd := range [][]byte{pu, derAppend(nil, derOctetString, pu)} {
			got, err := s.Derive(k, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: pd}, 0, noOther)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(got, z) {
				t.Fatalf("Z %x, want %x", got, z)
			}
		}
		got, err := s.Derive(k, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: pu}, 16, noOther)
		wantRV(t, err, ck.CKR_OK)
		if !bytes.Equal(got, z[16:]) {
			t.Fatalf("truncated Z %x, want %x", got, z[16:])
		}
		got, err = s.Derive(k, ck.ECDH1DeriveParams{KDF: ck.CKD_SHA256_KDF, SharedData: []byte("kagi"), PublicData: pu}, 48, noOther)
		wantRV(t, err, ck.CKR_OK)
		if want := refX963(sha256.New, z, []byte("kagi"), 48); !bytes.Equal(got, want) {
			t.Fatalf("KDF %x, want %x", got, want)
		}
		// Low-order points (RFC 7748 section 6.1) and wrong lengths.
		for _, pd := range [][]byte{make([]byte, 32), append([]byte{1}, make([]byte, 31)...), pu[:31], append(bytes.Clone(pu), 0)} {
			_, err := s.Derive(k, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: pd}, 0, noOther)
			wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		}
		pubOnly, err := montgomeryKeyFromAttrs(ck.CKO_PUBLIC_KEY, attrMap{ck.CKA_EC_PARAMS: oidX25519, ck.CKA_EC_POINT: pu})
		wantRV(t, err, ck.CKR_OK)
		_, err = s.Derive(pubOnly, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: pu}, 0, noOther)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	})

	// Parameters refused whatever the key.
	f := fixtureOf(t, "EC-P-256")
	raw, _, _ := ecPeer(t, f.priv.Private.(*ecdsa.PrivateKey))
	for _, p := range []any{
		nil, raw, (*ck.ECDH1DeriveParams)(nil), ck.KeyDerivationStringData{Data: raw},
		ck.ECDH1DeriveParams{KDF: ck.CKD_NULL},
		ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, SharedData: []byte{1}, PublicData: raw},
		ck.ECDH1DeriveParams{KDF: 0, PublicData: raw},
		ck.ECDH1DeriveParams{KDF: ck.CKD_SHA1_KDF_ASN1, PublicData: raw},
		ck.ECDH1DeriveParams{KDF: ck.CKD_SHA256_KDF_SP800, PublicData: raw},
	} {
		_, err := s.Derive(f.priv, p, 16, noOther)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	}
	for _, name := range []string{"AES-128", "RSA-2048"} {
		_, err := s.Derive(fixtureOf(t, name).priv, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: raw}, 0, noOther)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	for _, n := range []int{-1, maxSecretLen + 1} {
		_, err := s.Derive(f.priv, ck.ECDH1DeriveParams{KDF: ck.CKD_SHA256_KDF, PublicData: raw}, n, noOther)
		wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	}
}

// TestECDHCAVS: the NIST CAVS 14.1 ECC CDH primitive vectors (SP 800-56A
// section 5.7.1.2) for P-224 to P-521, through both ECDH mechanisms with
// CKD_NULL: the IUT's private key, the CAVS public point, ZIUT.
func TestECDHCAVS(t *testing.T) {
	curveByName := map[string]*curveInfo{}
	for _, c := range curves {
		curveByName[c.name] = c
	}
	n := 0
	for _, r := range readVectors(t, "KAS_ECC_CDH_subset.txt", "COUNT") {
		var c *curveInfo
		for h := range r.header {
			c = curveByName[h]
		}
		if c == nil {
			t.Fatalf("no curve in %v", r.header)
		}
		priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_EC, attrMap{
			ck.CKA_EC_PARAMS: c.oid,
			ck.CKA_VALUE:     r.hex(t, "dIUT", 0),
		})
		wantRV(t, err, ck.CKR_OK)
		// The IUT's public key is the one the vector gives. (The P-521
		// values carry two extra zero bytes; dIUT goes in as it is.)
		coord := func(name string) []byte {
			return new(big.Int).SetBytes(r.hex(t, name, 0)).FillBytes(make([]byte, c.size))
		}
		pub := priv.Public.(*ecdsa.PublicKey)
		if q, _ := pub.Bytes(); !bytes.Equal(q, slices.Concat([]byte{4}, coord("QIUTx"), coord("QIUTy"))) {
			t.Fatalf("%s COUNT %s: QIUT differs", c.name, r.get("COUNT", 0))
		}
		point := slices.Concat([]byte{4}, coord("QCAVSx"), coord("QCAVSy"))
		for _, m := range []ck.MechanismType{ck.CKM_ECDH1_DERIVE, ck.CKM_ECDH1_COFACTOR_DERIVE} {
			s, _ := Lookup(m)
			z, err := s.Derive(priv, ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: point}, 0, noOther)
			wantRV(t, err, ck.CKR_OK)
			if !bytes.Equal(z, r.hex(t, "ZIUT", 0)) {
				t.Errorf("%s %s COUNT %s: Z %x, want %s", s.Name, c.name, r.get("COUNT", 0), z, r.get("ZIUT", 0))
			}
		}
		n++
	}
	if n != 12 {
		t.Fatalf("%d vectors, want 12", n)
	}
}

// TestX963KDF: the NIST CAVS 12.0 ANS X9.63-2001 KDF vectors (SP 800-135
// component tests), every hash, with and without SharedInfo.
func TestX963KDF(t *testing.T) {
	algs := map[string]hashID{"SHA-1": hashSHA1, "SHA-224": hashSHA224, "SHA-256": hashSHA256, "SHA-384": hashSHA384, "SHA-512": hashSHA512}
	seen := map[string]bool{}
	n := 0
	for _, r := range readVectors(t, "ansx963_2001_subset.rsp", "COUNT") {
		var alg *hashAlg
		for h := range r.header {
			if id, ok := algs[h]; ok {
				alg = hashes[id]
				seen[h] = true
			}
		}
		if alg == nil {
			t.Fatalf("no hash in %v", r.header)
		}
		want := r.hex(t, "key_data", 0)
		got := x963KDF(alg, r.hex(t, "Z", 0), r.hex(t, "SharedInfo", 0), len(want))
		if !bytes.Equal(got, want) {
			t.Errorf("%s COUNT %s: %x, want %x", alg.name, r.get("COUNT", 0), got, want)
		}
		n++
	}
	if n != 20 || len(seen) != 5 {
		t.Fatalf("%d vectors over %d hashes", n, len(seen))
	}
}

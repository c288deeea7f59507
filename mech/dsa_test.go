package mech

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // the reference for the legacy DSA mechanisms.
	"crypto/rand"
	"crypto/x509"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// dsaDomains are the domain parameters of the CAVP SigVer subset (L=1024
// N=160, L=2048 N=224, L=2048 N=256): generating parameters is slow, and
// these are known good.
var dsaDomains = sync.OnceValue(func() []attrMap {
	var out []attrMap
	for _, r := range readVectors(&testing.T{}, "dsa_sigver_subset.rsp", "P") {
		out = append(out, attrMap{
			ck.CKA_PRIME:    unhex(r.get("P", 0)),
			ck.CKA_SUBPRIME: unhex(r.get("Q", 0)),
			ck.CKA_BASE:     unhex(r.get("G", 0)),
		})
	}
	return out
})

func withAttrs(m attrMap, kv ...any) attrMap {
	out := attrMap{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(ck.AttributeType)] = kv[i+1].([]byte)
	}
	return out
}

type dsaPair struct {
	pub, priv *Key
	pm, km    attrMap
}

// dsaPairs are one generated key pair per domain.
var dsaPairs = sync.OnceValue(func() []dsaPair {
	var out []dsaPair
	for _, d := range dsaDomains() {
		pubA, privA, err := generateDSA(rand.Reader, d, nil)
		if err != nil {
			panic(err)
		}
		pm, km := attrsToMap(pubA), attrsToMap(privA)
		pub, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_DSA, pm)
		if err != nil {
			panic(err)
		}
		priv, err := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DSA, km)
		if err != nil {
			panic(err)
		}
		out = append(out, dsaPair{pub, priv, pm, km})
	}
	return out
})

func conformDSAKeyPairGen(t *testing.T, s *Spec) {
	for _, p := range dsaPairs() {
		for _, m := range []attrMap{p.pm, p.km} {
			if kt, _ := ck.BytesULong(m[ck.CKA_KEY_TYPE]); ck.KeyType(kt) != ck.CKK_DSA {
				t.Fatalf("CKA_KEY_TYPE %#x", kt)
			}
		}
		ref, err := x509.ParsePKIXPublicKey(p.pm[ck.CKA_PUBLIC_KEY_INFO])
		if err != nil {
			t.Fatalf("crypto/x509 cannot parse CKA_PUBLIC_KEY_INFO: %v", err)
		}
		rp := ref.(*dsa.PublicKey)
		pub := p.pub.Public.(*dsa.PublicKey)
		if rp.P.Cmp(pub.P) != 0 || rp.Q.Cmp(pub.Q) != 0 || rp.G.Cmp(pub.G) != 0 || rp.Y.Cmp(pub.Y) != 0 {
			t.Fatal("CKA_PUBLIC_KEY_INFO holds another key")
		}
		if !bytes.Equal(p.pm[ck.CKA_PUBLIC_KEY_INFO], p.km[ck.CKA_PUBLIC_KEY_INFO]) {
			t.Fatal("public key info differs between the keys")
		}
		priv := p.priv.Private.(*dsa.PrivateKey)
		if priv.Y.Cmp(pub.Y) != 0 || len(p.km[ck.CKA_VALUE]) != priv.Q.BitLen()/8 {
			t.Fatal("private key does not match the public key")
		}
		for _, c := range []struct {
			class ck.ObjectClass
			m     attrMap
		}{{ck.CKO_PUBLIC_KEY, p.pm}, {ck.CKO_PRIVATE_KEY, p.km}} {
			imp, err := ImportAttrs(c.class, ck.CKK_DSA, c.m)
			wantRV(t, err, ck.CKR_OK)
			for _, a := range imp {
				if !bytes.Equal(c.m[a.Type], a.Value) {
					t.Errorf("attribute %#x: generated %x, import computes %x", a.Type, c.m[a.Type], a.Value)
				}
			}
		}
		// Pairwise: sign with kagi, verify with crypto/dsa.
		op, _ := legacyRow(t, ck.CKM_DSA_SHA256).Sign(p.priv, nil)
		sig, err := op.Sign([]byte("pairwise"))
		wantRV(t, err, ck.CKR_OK)
		refDSAVerify(t, pub, crypto.SHA256, []byte("pairwise"), sig)
	}
	d := dsaDomains()
	_, _, err := s.GenerateKeyPair(rand.Reader, attrMap{}, attrMap{})
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	_, _, err = s.GenerateKeyPair(rand.Reader, nil, nil)
	wantRV(t, err, ck.CKR_TEMPLATE_INCOMPLETE)
	_, _, err = s.GenerateKeyPair(rand.Reader, withAttrs(d[0], ck.CKA_KEY_TYPE, ck.ULongBytes(ck.ULong(ck.CKK_RSA))), nil)
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	_, _, err = s.GenerateKeyPair(rand.Reader, d[0], attrMap{ck.CKA_CLASS: ck.ULongBytes(ck.ULong(ck.CKO_PUBLIC_KEY))})
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
	for name, bad := range map[string]attrMap{
		"q of another group": withAttrs(d[0], ck.CKA_SUBPRIME, d[1][ck.CKA_SUBPRIME]),
		"g of another group": withAttrs(d[1], ck.CKA_BASE, d[2][ck.CKA_BASE]),
		"g = 1":              withAttrs(d[0], ck.CKA_BASE, []byte{1}),
		"p of 256 bits":      withAttrs(d[0], ck.CKA_PRIME, d[2][ck.CKA_SUBPRIME]),
		"q of 128 bits":      withAttrs(d[0], ck.CKA_SUBPRIME, d[0][ck.CKA_SUBPRIME][:16]),
	} {
		_, _, err := s.GenerateKeyPair(rand.Reader, bad, nil)
		if ck.ErrorRV(err) != ck.CKR_DOMAIN_PARAMS_INVALID {
			t.Errorf("%s: %v, want CKR_DOMAIN_PARAMS_INVALID", name, err)
		}
	}
	_, _, err = s.GenerateKeyPair(failReader{}, d[0], nil)
	wantRV(t, err, ck.CKR_FUNCTION_FAILED)
}

// TestDSAKeyImport: the components and their ranges.
func TestDSAKeyImport(t *testing.T) {
	p := dsaPairs()[0]
	q := p.priv.Private.(*dsa.PrivateKey).Q
	for name, c := range map[string]struct {
		class ck.ObjectClass
		m     attrMap
		rv    ck.RV
	}{
		"no value":       {ck.CKO_PUBLIC_KEY, withAttrs(p.pm, ck.CKA_VALUE, []byte{}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"y = 1":          {ck.CKO_PUBLIC_KEY, withAttrs(p.pm, ck.CKA_VALUE, []byte{1}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"y = p":          {ck.CKO_PUBLIC_KEY, withAttrs(p.pm, ck.CKA_VALUE, p.pm[ck.CKA_PRIME]), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"x = 0":          {ck.CKO_PRIVATE_KEY, withAttrs(p.km, ck.CKA_VALUE, []byte{0}), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"x = q":          {ck.CKO_PRIVATE_KEY, withAttrs(p.km, ck.CKA_VALUE, q.Bytes()), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"g = p":          {ck.CKO_PRIVATE_KEY, withAttrs(p.km, ck.CKA_BASE, p.km[ck.CKA_PRIME]), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"p too large":    {ck.CKO_PUBLIC_KEY, withAttrs(p.pm, ck.CKA_PRIME, append(bytes.Repeat([]byte{0xff}, 384), 1)), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"no prime":       {ck.CKO_PUBLIC_KEY, withAttrs(attrMap{ck.CKA_SUBPRIME: q.Bytes(), ck.CKA_BASE: []byte{2}, ck.CKA_VALUE: []byte{2}}), ck.CKR_TEMPLATE_INCOMPLETE},
		"public, no y":   {ck.CKO_PUBLIC_KEY, dsaDomains()[0], ck.CKR_TEMPLATE_INCOMPLETE},
		"private, no x":  {ck.CKO_PRIVATE_KEY, dsaDomains()[0], ck.CKR_TEMPLATE_INCOMPLETE},
		"secret DSA key": {ck.CKO_SECRET_KEY, p.km, ck.CKR_ATTRIBUTE_VALUE_INVALID},
	} {
		_, err := ImportAttrs(c.class, ck.CKK_DSA, c.m)
		if ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: ImportAttrs %v, want %v", name, err, c.rv)
		}
		want := c.rv
		if c.class == ck.CKO_SECRET_KEY {
			want = ck.CKR_KEY_TYPE_INCONSISTENT
		}
		if _, err := KeyFromAttrs(c.class, ck.CKK_DSA, c.m); ck.ErrorRV(err) != want {
			t.Errorf("%s: KeyFromAttrs %v, want %v", name, err, want)
		}
	}
	// Zero clears x.
	k, _ := KeyFromAttrs(ck.CKO_PRIVATE_KEY, ck.CKK_DSA, p.km)
	x := k.Private.(*dsa.PrivateKey).X
	k.Zero()
	if x.Sign() != 0 {
		t.Error("Zero left x")
	}
}

var dsaHashOf = map[ck.MechanismType]crypto.Hash{
	ck.CKM_DSA: 0, ck.CKM_DSA_SHA1: crypto.SHA1, ck.CKM_DSA_SHA224: crypto.SHA224,
	ck.CKM_DSA_SHA256: crypto.SHA256, ck.CKM_DSA_SHA384: crypto.SHA384, ck.CKM_DSA_SHA512: crypto.SHA512,
}

// refDSAVerify checks r||s with crypto/dsa over the hash truncated to the
// byte length of q (FIPS 186-4 section 4.6, which crypto/dsa leaves to the
// caller).
func refDSAVerify(t *testing.T, pub *dsa.PublicKey, h crypto.Hash, data, sig []byte) {
	t.Helper()
	d := data
	if h != 0 {
		hh := h.New()
		hh.Write(data)
		d = hh.Sum(nil)
	}
	n := pub.Q.BitLen() / 8
	if len(d) > n {
		d = d[:n]
	}
	if len(sig) != 2*n || !dsa.Verify(pub, d, new(big.Int).SetBytes(sig[:n]), new(big.Int).SetBytes(sig[n:])) {
		t.Fatal("crypto/dsa rejects the signature")
	}
}

func conformDSASign(t *testing.T, s *Spec) {
	h := dsaHashOf[s.Type]
	lens := []int{0, 1, 20, 55, 64, 65, 1000}
	if h == 0 {
		lens = []int{20, 28, 32, 48, 64}
		p := dsaPairs()[0]
		for _, n := range []int{0, 1, 19, 21, 33, 65, 100} {
			op, _ := s.Sign(p.priv, nil)
			_, err := op.Sign(make([]byte, n))
			wantRV(t, err, ck.CKR_DATA_LEN_RANGE)
			v, _ := s.Verify(p.pub, nil)
			wantRV(t, v.Verify(make([]byte, n), make([]byte, 40)), ck.CKR_DATA_LEN_RANGE)
		}
	}
	for _, f := range fixtures() {
		_, err := s.Sign(f.priv, nil)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		_, err = s.Verify(f.pub, nil)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	for _, p := range dsaPairs() {
		_, err := s.Sign(p.pub, nil)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		_, err = s.Verify(p.priv, nil)
		wantRV(t, err, ck.CKR_KEY_TYPE_INCONSISTENT)
		_, err = s.Sign(p.priv, []byte{1})
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		_, err = s.Verify(p.pub, 42)
		wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
		pub := p.pub.Public.(*dsa.PublicKey)
		for _, n := range lens {
			data := randBytes(n)
			op, err := s.Sign(p.priv, nil)
			wantRV(t, err, ck.CKR_OK)
			sig, err := op.Sign(data)
			wantRV(t, err, ck.CKR_OK)
			if len(sig) != op.SigLen() || len(sig) != 2*pub.Q.BitLen()/8 {
				t.Fatalf("signature of %d bytes, SigLen %d", len(sig), op.SigLen())
			}
			refDSAVerify(t, pub, h, data, sig)
			verify := func(data, sig []byte) error {
				v, err := s.Verify(p.pub, nil)
				wantRV(t, err, ck.CKR_OK)
				return v.Verify(data, sig)
			}
			wantRV(t, verify(data, sig), ck.CKR_OK)
			bad := bytes.Clone(sig)
			bad[len(bad)/2] ^= 0x40
			wantRV(t, verify(data, bad), ck.CKR_SIGNATURE_INVALID)
			other := bytes.Clone(data)
			if len(other) == 0 {
				other = []byte{1}
			} else {
				other[0] ^= 1
			}
			wantRV(t, verify(other, sig), ck.CKR_SIGNATURE_INVALID)
			wantRV(t, verify(data, make([]byte, len(sig))), ck.CKR_SIGNATURE_INVALID)
			for _, l := range [][]byte{nil, sig[:len(sig)-1], append(bytes.Clone(sig), 0)} {
				wantRV(t, verify(data, l), ck.CKR_SIGNATURE_LEN_RANGE)
			}
			if s.SinglePart {
				op, _ := s.Sign(p.priv, nil)
				wantRV(t, op.Update(data), ck.CKR_FUNCTION_NOT_SUPPORTED)
				_, err := op.Final()
				wantRV(t, err, ck.CKR_FUNCTION_NOT_SUPPORTED)
				v, _ := s.Verify(p.pub, nil)
				wantRV(t, v.Update(data), ck.CKR_FUNCTION_NOT_SUPPORTED)
				continue
			}
			op, _ = s.Sign(p.priv, nil)
			for _, part := range split(data) {
				wantRV(t, op.Update(part), ck.CKR_OK)
			}
			msig, err := op.Final()
			wantRV(t, err, ck.CKR_OK)
			refDSAVerify(t, pub, h, data, msig)
			v, _ := s.Verify(p.pub, nil)
			for _, part := range split(data) {
				wantRV(t, v.Update(part), ck.CKR_OK)
			}
			wantRV(t, v.Final(sig), ck.CKR_OK)
			v, _ = s.Verify(p.pub, nil)
			wantRV(t, v.Update(data), ck.CKR_OK)
			wantRV(t, v.Final(bad), ck.CKR_SIGNATURE_INVALID)
			v, _ = s.Verify(p.pub, nil)
			wantRV(t, v.Final(sig[:1]), ck.CKR_SIGNATURE_LEN_RANGE)
		}
	}
}

// TestDSASigVer runs the CAVP FIPS 186-3 SigVer subset through the
// CKM_DSA_SHA* row of each section's hash and through CKM_DSA over the
// hash: "P" records verify, "F" records are CKR_SIGNATURE_INVALID.
func TestDSASigVer(t *testing.T) {
	mechOf := map[string]ck.MechanismType{
		"SHA-1": ck.CKM_DSA_SHA1, "SHA-224": ck.CKM_DSA_SHA224, "SHA-256": ck.CKM_DSA_SHA256,
		"SHA-384": ck.CKM_DSA_SHA384, "SHA-512": ck.CKM_DSA_SHA512,
	}
	n := 0
	for _, r := range readVectors(t, "dsa_sigver_subset.rsp", "P") {
		mod := r.header["mod"]
		typ := mechOf[mod[strings.LastIndex(mod, " ")+1:]]
		s := legacyRow(t, typ)
		q := r.hex(t, "Q", 0)
		for i := 0; r.has("Msg") && r.get("Msg", i) != ""; i++ {
			n++
			pub, err := KeyFromAttrs(ck.CKO_PUBLIC_KEY, ck.CKK_DSA, attrMap{
				ck.CKA_PRIME: r.hex(t, "P", 0), ck.CKA_SUBPRIME: q, ck.CKA_BASE: r.hex(t, "G", 0),
				ck.CKA_VALUE: r.hex(t, "Y", i),
			})
			wantRV(t, err, ck.CKR_OK)
			sig := make([]byte, 2*len(q))
			new(big.Int).SetBytes(r.hex(t, "R", i)).FillBytes(sig[:len(q)])
			new(big.Int).SetBytes(r.hex(t, "S", i)).FillBytes(sig[len(q):])
			want := ck.CKR_OK
			if !strings.HasPrefix(r.get("Result", i), "P") {
				want = ck.CKR_SIGNATURE_INVALID
			}
			msg := r.hex(t, "Msg", i)
			v, _ := s.Verify(pub, nil)
			if err := v.Verify(msg, sig); ck.ErrorRV(err) != want {
				t.Errorf("[mod = %s] record %d: %v, want %v", mod, i, err, want)
			}
			hh := dsaHashOf[typ].New()
			hh.Write(msg)
			v, _ = legacyRow(t, ck.CKM_DSA).Verify(pub, nil)
			if err := v.Verify(hh.Sum(nil), sig); ck.ErrorRV(err) != want {
				t.Errorf("[mod = %s] record %d through CKM_DSA: %v, want %v", mod, i, err, want)
			}
		}
	}
	if n < 8 {
		t.Fatalf("only %d SigVer records", n)
	}
}

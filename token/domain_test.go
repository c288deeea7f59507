package token

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // the reference for the legacy DSA mechanisms.
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Domain parameter objects (CKO_DOMAIN_PARAMETERS) and PKCS #3
// Diffie-Hellman keys through the token: generation by C_GenerateKey with
// the parameter generation mechanisms, C_CreateObject, the attribute rules
// and C_DeriveKey with CKM_DH_PKCS_DERIVE.

// ffdhe2048 is RFC 7919 appendix A.1's group (g = 2).
var ffdhe2048 = func() []byte {
	b, _ := hex.DecodeString("ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa886b423861285c97ffffffffffffffff")
	return b
}()

// attrsOf reads attributes that must all be there.
func attrsOf(t *testing.T, l *Library, sh ck.SessionHandle, h ck.ObjectHandle, types ...ck.AttributeType) [][]byte {
	t.Helper()
	vals, err := l.GetAttributeValue(sh, h, types)
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]byte, len(vals))
	for i, v := range vals {
		if v.Err != 0 {
			t.Fatalf("attribute %#x: %v", types[i], v.Err)
		}
		out[i] = v.Value
	}
	return out
}

func ulongOf(t *testing.T, b []byte) ck.ULong {
	t.Helper()
	v, ok := ck.BytesULong(b)
	if !ok {
		t.Fatalf("not a CK_ULONG: %x", b)
	}
	return v
}

// TestDSAParameterGeneration: C_GenerateKey with CKM_DSA_PARAMETER_GEN makes
// a DSA domain parameter object (class, key type, CKA_LOCAL, the lengths,
// no key history attributes), and CKM_DSA_KEY_PAIR_GEN takes its values
// to a key pair whose signatures crypto/dsa verifies.
func TestDSAParameterGeneration(t *testing.T) {
	l, _, sh, _ := ready(t)
	gen := ck.Mechanism{Type: ck.CKM_DSA_PARAMETER_GEN}
	h, err := l.GenerateKey(sh, gen, []ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024), attr(ck.CKA_LABEL, "dsa domain")})
	if err != nil {
		t.Fatal(err)
	}
	v := attrsOf(t, l, sh, h, ck.CKA_CLASS, ck.CKA_KEY_TYPE, ck.CKA_LOCAL, ck.CKA_PRIME_BITS, ck.CKA_SUBPRIME_BITS,
		ck.CKA_PRIME, ck.CKA_SUBPRIME, ck.CKA_BASE, ck.CKA_PRIVATE, ck.CKA_TOKEN)
	if ck.ObjectClass(ulongOf(t, v[0])) != ck.CKO_DOMAIN_PARAMETERS || ck.KeyType(ulongOf(t, v[1])) != ck.CKK_DSA {
		t.Fatalf("class %x, key type %x", v[0], v[1])
	}
	if !bytes.Equal(v[2], ck.BoolBytes(true)) || ulongOf(t, v[3]) != 1024 || ulongOf(t, v[4]) != 160 {
		t.Fatalf("CKA_LOCAL %x, CKA_PRIME_BITS %x, CKA_SUBPRIME_BITS %x", v[2], v[3], v[4])
	}
	// As SoftHSMv2: private by default, a session object by default.
	if !bytes.Equal(v[8], ck.BoolBytes(true)) || !bytes.Equal(v[9], ck.BoolBytes(false)) {
		t.Fatalf("CKA_PRIVATE %x, CKA_TOKEN %x", v[8], v[9])
	}
	p, q, g := new(big.Int).SetBytes(v[5]), new(big.Int).SetBytes(v[6]), new(big.Int).SetBytes(v[7])
	if p.BitLen() != 1024 || q.BitLen() != 160 || new(big.Int).Exp(g, q, p).Cmp(big.NewInt(1)) != 0 {
		t.Fatal("not a DSA group of order q")
	}
	// Domain parameters have no key attributes.
	vals, _ := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_KEY_GEN_MECHANISM, ck.CKA_SIGN, ck.CKA_VALUE})
	for i, a := range vals {
		if a.Err != ck.CKR_ATTRIBUTE_TYPE_INVALID {
			t.Errorf("attribute %d of a domain parameter object: %x (%v)", i, a.Value, a.Err)
		}
	}
	// They are a domain for a key pair, not a key.
	pub, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_DSA_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_PRIME, v[5]), attr(ck.CKA_SUBPRIME, v[6]), attr(ck.CKA_BASE, v[7])}, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("signed with a key of a generated domain")
	digest := sha256.Sum256(msg)
	if err := l.SignInit(sh, ck.Mechanism{Type: ck.CKM_DSA_SHA256}, priv); err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 40)
	n, err := l.Sign(sh, msg, sig)
	if err != nil || n != 40 {
		t.Fatalf("C_Sign: %d, %v", n, err)
	}
	y := attrsOf(t, l, sh, pub, ck.CKA_VALUE)[0]
	ref := &dsa.PublicKey{Parameters: dsa.Parameters{P: p, Q: q, G: g}, Y: new(big.Int).SetBytes(y)}
	if !dsa.Verify(ref, digest[:20], new(big.Int).SetBytes(sig[:20]), new(big.Int).SetBytes(sig[20:])) {
		t.Fatal("crypto/dsa rejects the signature")
	}
	wantRV(t, l.SignInit(sh, ck.Mechanism{Type: ck.CKM_DSA_SHA256}, h), ck.CKR_KEY_TYPE_INCONSISTENT)

	// The copy keeps CKA_LOCAL; the template's refusals.
	cp, err := l.CopyObject(sh, h, []ck.Attribute{attr(ck.CKA_LABEL, "copy")})
	if err != nil {
		t.Fatal(err)
	}
	if local := attrsOf(t, l, sh, cp, ck.CKA_LOCAL)[0]; !bytes.Equal(local, ck.BoolBytes(true)) {
		t.Fatal("the copy lost CKA_LOCAL")
	}
	for name, c := range map[string]struct {
		tmpl []ck.Attribute
		rv   ck.RV
	}{
		"no CKA_PRIME_BITS":          {nil, ck.CKR_TEMPLATE_INCOMPLETE},
		"a secret key's class":       {[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024), attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY)}, ck.CKR_TEMPLATE_INCONSISTENT},
		"the DH key type":            {[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024), attr(ck.CKA_KEY_TYPE, ck.CKK_DH)}, ck.CKR_TEMPLATE_INCONSISTENT},
		"a prime given":              {[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024), attr(ck.CKA_PRIME, v[5])}, ck.CKR_TEMPLATE_INCONSISTENT},
		"CKA_LOCAL given":            {[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024), attr(ck.CKA_LOCAL, true)}, ck.CKR_ATTRIBUTE_READ_ONLY},
		"a key attribute":            {[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024), attr(ck.CKA_SIGN, true)}, ck.CKR_ATTRIBUTE_TYPE_INVALID},
		"CKA_PRIME_BITS 1536":        {[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 1536)}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"CKA_PRIME_BITS 8192":        {[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 8192)}, ck.CKR_KEY_SIZE_RANGE},
		"CKA_SUBPRIME_BITS mismatch": {[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024), attr(ck.CKA_SUBPRIME_BITS, 256)}, ck.CKR_TEMPLATE_INCONSISTENT},
	} {
		if _, err := l.GenerateKey(sh, gen, c.tmpl); ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", name, err, c.rv)
		}
	}
	_, err = l.GenerateKey(sh, ck.Mechanism{Type: ck.CKM_DSA_PARAMETER_GEN, Param: []byte{1}}, []ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024)})
	wantRV(t, err, ck.CKR_MECHANISM_PARAM_INVALID)
	// A key pair mechanism is not C_GenerateKey's, nor the reverse.
	_, err = l.GenerateKey(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_KEY_PAIR_GEN}, nil)
	wantRV(t, err, ck.CKR_MECHANISM_INVALID)
	_, _, err = l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_PARAMETER_GEN}, nil, nil)
	wantRV(t, err, ck.CKR_MECHANISM_INVALID)
}

// TestDHParameterGeneration: CKM_DH_PKCS_PARAMETER_GEN makes a DH domain
// parameter object, on the token and public when asked, readable after
// logout, whose values make DH key pairs.
func TestDHParameterGeneration(t *testing.T) {
	l, _, sh, _ := ready(t)
	h, err := l.GenerateKey(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_PARAMETER_GEN},
		[]ck.Attribute{attr(ck.CKA_PRIME_BITS, 1024), attr(ck.CKA_TOKEN, true), attr(ck.CKA_PRIVATE, false)})
	if err != nil {
		t.Fatal(err)
	}
	v := attrsOf(t, l, sh, h, ck.CKA_CLASS, ck.CKA_KEY_TYPE, ck.CKA_LOCAL, ck.CKA_PRIME_BITS, ck.CKA_PRIME, ck.CKA_BASE)
	if ck.ObjectClass(ulongOf(t, v[0])) != ck.CKO_DOMAIN_PARAMETERS || ck.KeyType(ulongOf(t, v[1])) != ck.CKK_DH ||
		!bytes.Equal(v[2], ck.BoolBytes(true)) || ulongOf(t, v[3]) != 1024 || new(big.Int).SetBytes(v[4]).BitLen() != 1024 {
		t.Fatalf("domain parameter object %x", v)
	}
	if _, ok := attrsOrErr(l, sh, h, ck.CKA_SUBPRIME); ok {
		t.Fatal("a PKCS #3 domain with CKA_SUBPRIME")
	}
	if err := l.Logout(sh); err != nil {
		t.Fatal(err)
	}
	if got := attrsOf(t, l, sh, h, ck.CKA_PRIME)[0]; !bytes.Equal(got, v[4]) {
		t.Fatal("public domain parameters unreadable after logout")
	}
	if err := l.Login(sh, ck.CKU_USER, userPIN); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_PRIME, v[4]), attr(ck.CKA_BASE, v[5])}, []ck.Attribute{attr(ck.CKA_DERIVE, true)}); err != nil {
		t.Fatal(err)
	}
}

// attrsOrErr reads one attribute, reporting whether it is there.
func attrsOrErr(l *Library, sh ck.SessionHandle, h ck.ObjectHandle, typ ck.AttributeType) ([]byte, bool) {
	vals, err := l.GetAttributeValue(sh, h, []ck.AttributeType{typ})
	if err != nil || vals[0].Err != 0 {
		return nil, false
	}
	return vals[0].Value, true
}

// TestCreateDomainParameters: C_CreateObject of DSA and DH domain
// parameters computes the lengths and refuses what the tables forbid.
func TestCreateDomainParameters(t *testing.T) {
	l, _, sh, _ := ready(t)
	dh := []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DOMAIN_PARAMETERS), attr(ck.CKA_KEY_TYPE, ck.CKK_DH),
		attr(ck.CKA_PRIME, ffdhe2048), attr(ck.CKA_BASE, []byte{2})}
	h, err := l.CreateObject(sh, dh)
	if err != nil {
		t.Fatal(err)
	}
	v := attrsOf(t, l, sh, h, ck.CKA_PRIME_BITS, ck.CKA_LOCAL)
	if ulongOf(t, v[0]) != 2048 || !bytes.Equal(v[1], ck.BoolBytes(false)) {
		t.Fatalf("CKA_PRIME_BITS %x, CKA_LOCAL %x", v[0], v[1])
	}
	with := func(base []ck.Attribute, extra ...ck.Attribute) []ck.Attribute {
		return append(append([]ck.Attribute{}, base...), extra...)
	}
	for name, c := range map[string]struct {
		tmpl []ck.Attribute
		rv   ck.RV
	}{
		"no key type":              {dh[:1], ck.CKR_TEMPLATE_INCOMPLETE},
		"no base":                  {dh[:3], ck.CKR_TEMPLATE_INCOMPLETE},
		"CKA_PRIME_BITS given":     {with(dh, attr(ck.CKA_PRIME_BITS, 2048)), ck.CKR_ATTRIBUTE_READ_ONLY},
		"CKA_LOCAL given":          {with(dh, attr(ck.CKA_LOCAL, false)), ck.CKR_ATTRIBUTE_READ_ONLY},
		"a subprime on DH":         {with(dh, attr(ck.CKA_SUBPRIME, []byte{3})), ck.CKR_ATTRIBUTE_TYPE_INVALID},
		"g = 1":                    {with(dh[:3], attr(ck.CKA_BASE, []byte{1})), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"RSA domain parameters":    {[]ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DOMAIN_PARAMETERS), attr(ck.CKA_KEY_TYPE, ck.CKK_RSA)}, ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"DSA without the subprime": {[]ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DOMAIN_PARAMETERS), attr(ck.CKA_KEY_TYPE, ck.CKK_DSA), attr(ck.CKA_PRIME, ffdhe2048), attr(ck.CKA_BASE, []byte{2})}, ck.CKR_TEMPLATE_INCOMPLETE},
	} {
		if _, err := l.CreateObject(sh, c.tmpl); ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", name, err, c.rv)
		}
	}
}

// dhPair generates a DH key pair on ffdhe2048 with an extractable, not
// sensitive private key, so the test can compute with its value.
func dhPair(t *testing.T, l *Library, sh ck.SessionHandle) (pub, priv ck.ObjectHandle) {
	t.Helper()
	pub, priv, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_PRIME, ffdhe2048), attr(ck.CKA_BASE, []byte{2})},
		[]ck.Attribute{attr(ck.CKA_DERIVE, true), attr(ck.CKA_SENSITIVE, false), attr(ck.CKA_EXTRACTABLE, true), attr(ck.CKA_VALUE_BITS, 256)})
	if err != nil {
		t.Fatal(err)
	}
	return pub, priv
}

// TestDHDerive: two DH key pairs on the token agree through
// CKM_DH_PKCS_DERIVE both ways on the z that math/big computes, truncated
// to CKA_VALUE_LEN from the leading end; the key history and the refusals.
func TestDHDerive(t *testing.T) {
	l, _, sh, _ := ready(t)
	pubA, privA := dhPair(t, l, sh)
	pubB, privB := dhPair(t, l, sh)
	a := attrsOf(t, l, sh, privA, ck.CKA_VALUE, ck.CKA_VALUE_BITS, ck.CKA_LOCAL, ck.CKA_KEY_GEN_MECHANISM, ck.CKA_PRIME, ck.CKA_BASE)
	if ulongOf(t, a[1]) != 256 || new(big.Int).SetBytes(a[0]).BitLen() != 256 {
		t.Fatalf("CKA_VALUE_BITS %x for a value of %d bits", a[1], new(big.Int).SetBytes(a[0]).BitLen())
	}
	if !bytes.Equal(a[2], ck.BoolBytes(true)) || ck.MechanismType(ulongOf(t, a[3])) != ck.CKM_DH_PKCS_KEY_PAIR_GEN {
		t.Fatalf("CKA_LOCAL %x, CKA_KEY_GEN_MECHANISM %x", a[2], a[3])
	}
	if !bytes.Equal(a[4], ffdhe2048) || !bytes.Equal(a[5], []byte{2}) {
		t.Fatal("the private key's domain is not the template's")
	}
	yA := attrsOf(t, l, sh, pubA, ck.CKA_VALUE)[0]
	yB := attrsOf(t, l, sh, pubB, ck.CKA_VALUE)[0]
	p := new(big.Int).SetBytes(ffdhe2048)
	z := new(big.Int).Exp(new(big.Int).SetBytes(yB), new(big.Int).SetBytes(a[0]), p).FillBytes(make([]byte, 256))

	open := func(n int) []ck.Attribute {
		tmpl := []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
			attr(ck.CKA_SENSITIVE, false), attr(ck.CKA_EXTRACTABLE, true)}
		if n > 0 {
			tmpl = append(tmpl, attr(ck.CKA_VALUE_LEN, n))
		}
		return tmpl
	}
	derive := func(priv ck.ObjectHandle, peer []byte, n int) []byte {
		t.Helper()
		h, err := l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_DERIVE, Param: peer}, priv, open(n))
		if err != nil {
			t.Fatal(err)
		}
		return attrsOf(t, l, sh, h, ck.CKA_VALUE)[0]
	}
	if got := derive(privA, yB, 0); !bytes.Equal(got, z) {
		t.Fatalf("A's secret %x\nmath/big's %x", got, z)
	}
	if got := derive(privB, yA, 0); !bytes.Equal(got, z) {
		t.Fatal("B's secret differs")
	}
	if got := derive(privB, yA, 32); !bytes.Equal(got, z[len(z)-32:]) {
		t.Fatal("the 32-byte key is not the trailing bytes of z")
	}
	// An AES key of 16 bytes of z.
	h, err := l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_DERIVE, Param: yB}, privA, []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES), attr(ck.CKA_VALUE_LEN, 16)})
	if err != nil {
		t.Fatal(err)
	}
	if loc := attrsOf(t, l, sh, h, ck.CKA_LOCAL)[0]; !bytes.Equal(loc, ck.BoolBytes(false)) {
		t.Fatal("a derived key is CKA_LOCAL")
	}

	domain, err := l.CreateObject(sh, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_DOMAIN_PARAMETERS), attr(ck.CKA_KEY_TYPE, ck.CKK_DH),
		attr(ck.CKA_PRIME, ffdhe2048), attr(ck.CKA_BASE, []byte{2})})
	if err != nil {
		t.Fatal(err)
	}
	_, noDerive, err := l.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_KEY_PAIR_GEN},
		[]ck.Attribute{attr(ck.CKA_PRIME, ffdhe2048), attr(ck.CKA_BASE, []byte{2})}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := ck.Mechanism{Type: ck.CKM_DH_PKCS_DERIVE, Param: yB}
	for name, c := range map[string]struct {
		m    ck.Mechanism
		base ck.ObjectHandle
		tmpl []ck.Attribute
		rv   ck.RV
	}{
		"no parameter":              {ck.Mechanism{Type: ck.CKM_DH_PKCS_DERIVE}, privA, open(16), ck.CKR_MECHANISM_PARAM_INVALID},
		"y = p":                     {ck.Mechanism{Type: ck.CKM_DH_PKCS_DERIVE, Param: ffdhe2048}, privA, open(16), ck.CKR_MECHANISM_PARAM_INVALID},
		"a public key as base":      {m, pubA, open(16), ck.CKR_KEY_TYPE_INCONSISTENT},
		"domain parameters":         {m, domain, open(16), ck.CKR_KEY_TYPE_INCONSISTENT},
		"CKA_DERIVE false":          {m, noDerive, open(16), ck.CKR_KEY_FUNCTION_NOT_PERMITTED},
		"longer than z":             {m, privA, open(257), ck.CKR_TEMPLATE_INCONSISTENT},
		"AES of the whole of z":     {m, privA, []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_AES)}, ck.CKR_TEMPLATE_INCONSISTENT},
		"an ECDH mechanism":         {ck.Mechanism{Type: ck.CKM_ECDH1_DERIVE, Param: ck.ECDH1DeriveParams{KDF: ck.CKD_NULL, PublicData: yB}}, privA, open(16), ck.CKR_KEY_TYPE_INCONSISTENT},
		"CKA_VALUE in the template": {m, privA, append(open(16), attr(ck.CKA_VALUE, make([]byte, 16))), ck.CKR_TEMPLATE_INCONSISTENT},
	} {
		if _, err := l.DeriveKey(sh, c.m, c.base, c.tmpl); ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", name, err, c.rv)
		}
	}
}

// TestCreateDHKeys: C_CreateObject of DH keys: CKA_VALUE_BITS and
// CKA_PUBLIC_KEY_INFO computed, the value hidden when sensitive, and the
// refusals.
func TestCreateDHKeys(t *testing.T) {
	l, _, sh, _ := ready(t)
	x := bytes.Repeat([]byte{0x5a}, 32)
	priv := []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_DH),
		attr(ck.CKA_PRIME, ffdhe2048), attr(ck.CKA_BASE, []byte{2}), attr(ck.CKA_VALUE, x), attr(ck.CKA_SENSITIVE, true)}
	h, err := l.CreateObject(sh, priv)
	if err != nil {
		t.Fatal(err)
	}
	if vb := ulongOf(t, attrsOf(t, l, sh, h, ck.CKA_VALUE_BITS)[0]); vb != 255 {
		t.Fatalf("CKA_VALUE_BITS %d, want 255", vb)
	}
	if vals, _ := l.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_VALUE}); vals[0].Err != ck.CKR_ATTRIBUTE_SENSITIVE {
		t.Fatalf("a sensitive DH private value reads: %v", vals[0].Err)
	}
	y := new(big.Int).Exp(big.NewInt(2), new(big.Int).SetBytes(x), new(big.Int).SetBytes(ffdhe2048)).Bytes()
	pub := []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_PUBLIC_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_DH),
		attr(ck.CKA_PRIME, ffdhe2048), attr(ck.CKA_BASE, []byte{2}), attr(ck.CKA_VALUE, y)}
	ph, err := l.CreateObject(sh, pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(attrsOf(t, l, sh, ph, ck.CKA_PUBLIC_KEY_INFO)[0], attrsOf(t, l, sh, h, ck.CKA_PUBLIC_KEY_INFO)[0]) {
		t.Fatal("the keys' CKA_PUBLIC_KEY_INFO differ")
	}
	for name, c := range map[string]struct {
		tmpl []ck.Attribute
		rv   ck.RV
	}{
		"CKA_VALUE_BITS given":  {append(append([]ck.Attribute{}, priv...), attr(ck.CKA_VALUE_BITS, 255)), ck.CKR_ATTRIBUTE_READ_ONLY},
		"private without value": {priv[:4], ck.CKR_TEMPLATE_INCOMPLETE},
		"public y = 1":          {append(append([]ck.Attribute{}, pub[:4]...), attr(ck.CKA_VALUE, []byte{1})), ck.CKR_ATTRIBUTE_VALUE_INVALID},
		"public without base":   {[]ck.Attribute{pub[0], pub[1], pub[2], pub[4]}, ck.CKR_TEMPLATE_INCOMPLETE},
	} {
		if _, err := l.CreateObject(sh, c.tmpl); ck.ErrorRV(err) != c.rv {
			t.Errorf("%s: %v, want %v", name, err, c.rv)
		}
	}
}

// TestWrapDHKey: a DH private key wraps (PKCS#8, AES key wrap with
// padding) and unwraps into a key that derives the same secret.
func TestWrapDHKey(t *testing.T) {
	l, _, sh, _ := ready(t)
	pubA, _ := dhPair(t, l, sh)
	_, privB := dhPair(t, l, sh)
	kek, err := l.GenerateKey(sh, ck.Mechanism{Type: ck.CKM_AES_KEY_GEN}, []ck.Attribute{attr(ck.CKA_VALUE_LEN, 32)})
	if err != nil {
		t.Fatal(err)
	}
	m := ck.Mechanism{Type: ck.CKM_AES_KEY_WRAP_KWP}
	n, err := l.WrapKey(sh, m, kek, privB, nil)
	if err != nil {
		t.Fatal(err)
	}
	wrapped := make([]byte, n)
	if n, err = l.WrapKey(sh, m, kek, privB, wrapped); err != nil {
		t.Fatal(err)
	}
	copyB, err := l.UnwrapKey(sh, m, kek, wrapped[:n], []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_DH), attr(ck.CKA_DERIVE, true)})
	if err != nil {
		t.Fatal(err)
	}
	yA := attrsOf(t, l, sh, pubA, ck.CKA_VALUE)[0]
	open := []ck.Attribute{attr(ck.CKA_CLASS, ck.CKO_SECRET_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_GENERIC_SECRET),
		attr(ck.CKA_SENSITIVE, false), attr(ck.CKA_EXTRACTABLE, true)}
	var zs [][]byte
	for _, k := range []ck.ObjectHandle{privB, copyB} {
		h, err := l.DeriveKey(sh, ck.Mechanism{Type: ck.CKM_DH_PKCS_DERIVE, Param: yA}, k, open)
		if err != nil {
			t.Fatal(err)
		}
		zs = append(zs, attrsOf(t, l, sh, h, ck.CKA_VALUE)[0])
	}
	if !bytes.Equal(zs[0], zs[1]) || len(zs[0]) != 256 {
		t.Fatal("the unwrapped DH key derives another secret")
	}
	if vb := ulongOf(t, attrsOf(t, l, sh, copyB, ck.CKA_VALUE_BITS)[0]); vb != 256 {
		t.Fatalf("unwrapped CKA_VALUE_BITS %d", vb)
	}
	_, err = l.UnwrapKey(sh, m, kek, wrapped[:n], []ck.Attribute{
		attr(ck.CKA_CLASS, ck.CKO_PRIVATE_KEY), attr(ck.CKA_KEY_TYPE, ck.CKK_DSA)})
	wantRV(t, err, ck.CKR_TEMPLATE_INCONSISTENT)
}

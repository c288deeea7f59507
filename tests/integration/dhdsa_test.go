package integration

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // the reference for the legacy DSA mechanisms.
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/miekg/pkcs11"
)

// The mechanisms SoftHSMv2 2.6 has that kagi added last: DSA and DH domain
// parameter generation (C_GenerateKey making CKO_DOMAIN_PARAMETERS
// objects), PKCS #3 DH key pairs and CKM_DH_PKCS_DERIVE, through the
// module, checked against crypto/dsa and math/big.

// ffdhe2048P is RFC 7919 appendix A.1's prime (g = 2).
const ffdhe2048P = "ffffffffffffffffadf85458a2bb4a9aafdc5620273d3cf1d8b9c583ce2d3695a9e13641146433fbcc939dce249b3ef97d2fe363630c75d8f681b202aec4617ad3df1ed5d5fd65612433f51f5f066ed0856365553ded1af3b557135e7f57c935984f0c70e0e68b77e2a689daf3efe8721df158a136ade73530acca4f483a797abc0ab182b324fb61d108a94bb2c8e3fbb96adab760d7f4681d4f42a3de394df4ae56ede76372bb190b07a7c8ee0a6d709e02fce1cdf7e2ecc03404cd28342f619172fe9ce98583ff8e4f1232eef28183c3fe3b1b4c6fad733bb5fcbc2ec22005c58ef1837d1683b2c6f34a26c1b2effa886b423861285c97ffffffffffffffff"

// TestDomainParameterMechanisms: the four mechanisms are listed with the
// flags of their function and their sizes in bits.
func TestDomainParameterMechanisms(t *testing.T) {
	fresh(t)
	slot := newToken(t, "dh-dsa")
	for _, c := range []struct {
		name     string
		m        uint
		flags    uint
		min, max uint
	}{
		{"CKM_DSA_PARAMETER_GEN", pkcs11.CKM_DSA_PARAMETER_GEN, pkcs11.CKF_GENERATE, 1024, 3072},
		{"CKM_DH_PKCS_PARAMETER_GEN", pkcs11.CKM_DH_PKCS_PARAMETER_GEN, pkcs11.CKF_GENERATE, 1024, 3072},
		{"CKM_DH_PKCS_KEY_PAIR_GEN", pkcs11.CKM_DH_PKCS_KEY_PAIR_GEN, pkcs11.CKF_GENERATE_KEY_PAIR, 512, 10000},
		{"CKM_DH_PKCS_DERIVE", pkcs11.CKM_DH_PKCS_DERIVE, pkcs11.CKF_DERIVE, 512, 10000},
	} {
		info, err := p11.GetMechanismInfo(slot, mech(c.m))
		must(t, "C_GetMechanismInfo("+c.name+")", err)
		if info.Flags != c.flags || info.MinKeySize != c.min || info.MaxKeySize != c.max {
			t.Errorf("%s: flags %#x, sizes %d..%d; want %#x, %d..%d", c.name, info.Flags, info.MinKeySize, info.MaxKeySize, c.flags, c.min, c.max)
		}
	}
}

// TestDSAParameterGenThroughModule: C_GenerateKey(CKM_DSA_PARAMETER_GEN)
// makes a DSA domain parameter object; a key pair generated from its
// values signs, and crypto/dsa verifies the signature over that domain.
func TestDSAParameterGenThroughModule(t *testing.T) {
	_, sh := userSession(t)
	h, err := p11.GenerateKey(sh, mech(pkcs11.CKM_DSA_PARAMETER_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_PRIME_BITS, 1024)})
	must(t, "C_GenerateKey(CKM_DSA_PARAMETER_GEN)", err)
	if c := getULong(t, sh, h, pkcs11.CKA_CLASS); c != pkcs11.CKO_DOMAIN_PARAMETERS {
		t.Fatalf("CKA_CLASS %#x", c)
	}
	if kt := getULong(t, sh, h, pkcs11.CKA_KEY_TYPE); kt != pkcs11.CKK_DSA {
		t.Fatalf("CKA_KEY_TYPE %#x", kt)
	}
	if !getBool(t, sh, h, pkcs11.CKA_LOCAL) || getULong(t, sh, h, pkcs11.CKA_PRIME_BITS) != 1024 {
		t.Fatal("CKA_LOCAL or CKA_PRIME_BITS wrong")
	}
	pv, qv, gv := getAttr(t, sh, h, pkcs11.CKA_PRIME), getAttr(t, sh, h, pkcs11.CKA_SUBPRIME), getAttr(t, sh, h, pkcs11.CKA_BASE)
	pub, priv, err := p11.GenerateKeyPair(sh, mech(pkcs11.CKM_DSA_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_PRIME, pv), attr(pkcs11.CKA_SUBPRIME, qv), attr(pkcs11.CKA_BASE, gv)},
		[]*pkcs11.Attribute{attr(pkcs11.CKA_SIGN, true)})
	must(t, "C_GenerateKeyPair(CKM_DSA_KEY_PAIR_GEN) from the generated domain", err)
	msg := []byte("DSA over a domain the token generated")
	must(t, "C_SignInit(CKM_DSA_SHA256)", p11.SignInit(sh, mech(pkcs11.CKM_DSA_SHA256), priv))
	sig, err := p11.Sign(sh, msg)
	must(t, "C_Sign(CKM_DSA_SHA256)", err)
	digest := sha256.Sum256(msg)
	ref := &dsa.PublicKey{
		Parameters: dsa.Parameters{P: new(big.Int).SetBytes(pv), Q: new(big.Int).SetBytes(qv), G: new(big.Int).SetBytes(gv)},
		Y:          new(big.Int).SetBytes(getAttr(t, sh, pub, pkcs11.CKA_VALUE)),
	}
	if len(sig) != 40 || !dsa.Verify(ref, digest[:20], new(big.Int).SetBytes(sig[:20]), new(big.Int).SetBytes(sig[20:])) {
		t.Fatal("crypto/dsa rejects the token's signature")
	}
	_, err = p11.GenerateKey(sh, mech(pkcs11.CKM_DSA_PARAMETER_GEN), nil)
	wantRV(t, "C_GenerateKey(CKM_DSA_PARAMETER_GEN) without CKA_PRIME_BITS", err, pkcs11.CKR_TEMPLATE_INCOMPLETE)
	_, err = p11.GenerateKey(sh, mech(pkcs11.CKM_DSA_PARAMETER_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_PRIME_BITS, 4096)})
	wantRV(t, "C_GenerateKey(CKM_DSA_PARAMETER_GEN) of 4096 bits", err, pkcs11.CKR_KEY_SIZE_RANGE)
	_, err = p11.GenerateKey(sh, mech(pkcs11.CKM_DSA_PARAMETER_GEN), []*pkcs11.Attribute{
		attr(pkcs11.CKA_PRIME_BITS, 1024), attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY)})
	wantRV(t, "C_GenerateKey(CKM_DSA_PARAMETER_GEN) of a secret key", err, pkcs11.CKR_TEMPLATE_INCONSISTENT)
}

// dhPairOnToken generates a DH key pair whose private value the test may
// read (extractable, not sensitive).
func dhPairOnToken(t *testing.T, sh pkcs11.SessionHandle, p, g []byte) (pub, priv pkcs11.ObjectHandle) {
	t.Helper()
	pub, priv, err := p11.GenerateKeyPair(sh, mech(pkcs11.CKM_DH_PKCS_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_PRIME, p), attr(pkcs11.CKA_BASE, g)},
		[]*pkcs11.Attribute{attr(pkcs11.CKA_DERIVE, true), attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true)})
	must(t, "C_GenerateKeyPair(CKM_DH_PKCS_KEY_PAIR_GEN)", err)
	return pub, priv
}

// TestDHDeriveThroughModule: two DH key pairs on ffdhe2048 derive the same
// generic secret both ways through CKM_DH_PKCS_DERIVE (the parameter is
// the other public value, a byte string), equal to y'^x mod p computed
// with math/big and padded to 256 bytes; CKA_VALUE_LEN keeps the trailing
// bytes; and the refusals with their codes.
func TestDHDeriveThroughModule(t *testing.T) {
	_, sh := userSession(t)
	pv, _ := hex.DecodeString(ffdhe2048P)
	pubA, privA := dhPairOnToken(t, sh, pv, []byte{2})
	pubB, privB := dhPairOnToken(t, sh, pv, []byte{2})
	if kt := getULong(t, sh, privA, pkcs11.CKA_KEY_TYPE); kt != pkcs11.CKK_DH {
		t.Fatalf("CKA_KEY_TYPE %#x", kt)
	}
	xA := new(big.Int).SetBytes(getAttr(t, sh, privA, pkcs11.CKA_VALUE))
	if vb := getULong(t, sh, privA, pkcs11.CKA_VALUE_BITS); vb != uint(xA.BitLen()) {
		t.Fatalf("CKA_VALUE_BITS %d for a value of %d bits", vb, xA.BitLen())
	}
	yA, yB := getAttr(t, sh, pubA, pkcs11.CKA_VALUE), getAttr(t, sh, pubB, pkcs11.CKA_VALUE)
	p := new(big.Int).SetBytes(pv)
	z := new(big.Int).Exp(new(big.Int).SetBytes(yB), xA, p).FillBytes(make([]byte, 256))

	secret := func(n int) []*pkcs11.Attribute {
		tmpl := []*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET),
			attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true)}
		if n > 0 {
			tmpl = append(tmpl, attr(pkcs11.CKA_VALUE_LEN, n))
		}
		return tmpl
	}
	derive := func(base pkcs11.ObjectHandle, peer []byte, n int) []byte {
		t.Helper()
		h, err := p11.DeriveKey(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_DH_PKCS_DERIVE, peer)}, base, secret(n))
		must(t, "C_DeriveKey(CKM_DH_PKCS_DERIVE)", err)
		return getAttr(t, sh, h, pkcs11.CKA_VALUE)
	}
	if got := derive(privA, yB, 0); !bytes.Equal(got, z) {
		t.Fatalf("A's secret %x\nmath/big's %x", got, z)
	}
	if got := derive(privB, yA, 0); !bytes.Equal(got, z) {
		t.Fatal("B's secret differs from A's")
	}
	if got := derive(privB, yA, 32); !bytes.Equal(got, z[224:]) {
		t.Fatalf("CKA_VALUE_LEN 32: %x, want the trailing bytes %x", got, z[224:])
	}

	dm := func(param []byte) []*pkcs11.Mechanism {
		return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_DH_PKCS_DERIVE, param)}
	}
	_, err := p11.DeriveKey(sh, dm(nil), privA, secret(16))
	wantRV(t, "C_DeriveKey(CKM_DH_PKCS_DERIVE) without the public value", err, pkcs11.CKR_MECHANISM_PARAM_INVALID)
	_, err = p11.DeriveKey(sh, dm([]byte{1}), privA, secret(16))
	wantRV(t, "C_DeriveKey(CKM_DH_PKCS_DERIVE) with y = 1", err, pkcs11.CKR_MECHANISM_PARAM_INVALID)
	_, err = p11.DeriveKey(sh, dm(pv), privA, secret(16))
	wantRV(t, "C_DeriveKey(CKM_DH_PKCS_DERIVE) with y = p", err, pkcs11.CKR_MECHANISM_PARAM_INVALID)
	_, err = p11.DeriveKey(sh, dm(yB), pubA, secret(16))
	wantRV(t, "C_DeriveKey(CKM_DH_PKCS_DERIVE) from a public key", err, pkcs11.CKR_KEY_TYPE_INCONSISTENT)
	_, err = p11.DeriveKey(sh, dm(yB), privA, secret(257))
	wantRV(t, "C_DeriveKey(CKM_DH_PKCS_DERIVE) longer than z", err, pkcs11.CKR_TEMPLATE_INCONSISTENT)
	_, _, err = p11.GenerateKeyPair(sh, mech(pkcs11.CKM_DH_PKCS_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_BASE, []byte{2})}, nil)
	wantRV(t, "C_GenerateKeyPair(CKM_DH_PKCS_KEY_PAIR_GEN) without CKA_PRIME", err, pkcs11.CKR_TEMPLATE_INCOMPLETE)
	_, _, err = p11.GenerateKeyPair(sh, mech(pkcs11.CKM_DH_PKCS_KEY_PAIR_GEN),
		[]*pkcs11.Attribute{attr(pkcs11.CKA_PRIME, pv), attr(pkcs11.CKA_BASE, []byte{1})}, nil)
	wantRV(t, "C_GenerateKeyPair(CKM_DH_PKCS_KEY_PAIR_GEN) with g = 1", err, pkcs11.CKR_DOMAIN_PARAMS_INVALID)
}

// TestDHParameterGenThroughModule: C_GenerateKey(CKM_DH_PKCS_PARAMETER_GEN)
// makes a DH domain parameter object whose values make key pairs that
// agree.
func TestDHParameterGenThroughModule(t *testing.T) {
	_, sh := userSession(t)
	h, err := p11.GenerateKey(sh, mech(pkcs11.CKM_DH_PKCS_PARAMETER_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_PRIME_BITS, 1024)})
	must(t, "C_GenerateKey(CKM_DH_PKCS_PARAMETER_GEN)", err)
	if c, kt := getULong(t, sh, h, pkcs11.CKA_CLASS), getULong(t, sh, h, pkcs11.CKA_KEY_TYPE); c != pkcs11.CKO_DOMAIN_PARAMETERS || kt != pkcs11.CKK_DH {
		t.Fatalf("CKA_CLASS %#x, CKA_KEY_TYPE %#x", c, kt)
	}
	pv, gv := getAttr(t, sh, h, pkcs11.CKA_PRIME), getAttr(t, sh, h, pkcs11.CKA_BASE)
	if new(big.Int).SetBytes(pv).BitLen() != 1024 || getULong(t, sh, h, pkcs11.CKA_PRIME_BITS) != 1024 {
		t.Fatal("not a 1024-bit group")
	}
	pubA, privA := dhPairOnToken(t, sh, pv, gv)
	pubB, privB := dhPairOnToken(t, sh, pv, gv)
	var zs [][]byte
	for _, c := range []struct{ priv, peer pkcs11.ObjectHandle }{{privA, pubB}, {privB, pubA}} {
		k, err := p11.DeriveKey(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_DH_PKCS_DERIVE, getAttr(t, sh, c.peer, pkcs11.CKA_VALUE))}, c.priv,
			[]*pkcs11.Attribute{attr(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY), attr(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
				attr(pkcs11.CKA_VALUE_LEN, 32), attr(pkcs11.CKA_SENSITIVE, false), attr(pkcs11.CKA_EXTRACTABLE, true)})
		must(t, "C_DeriveKey(CKM_DH_PKCS_DERIVE) to an AES key", err)
		zs = append(zs, getAttr(t, sh, k, pkcs11.CKA_VALUE))
	}
	if !bytes.Equal(zs[0], zs[1]) || len(zs[0]) != 32 {
		t.Fatal("the two AES keys differ")
	}
	_, err = p11.GenerateKey(sh, mech(pkcs11.CKM_DH_PKCS_PARAMETER_GEN), []*pkcs11.Attribute{attr(pkcs11.CKA_PRIME_BITS, 1536)})
	wantRV(t, "C_GenerateKey(CKM_DH_PKCS_PARAMETER_GEN) of 1536 bits", err, pkcs11.CKR_ATTRIBUTE_VALUE_INVALID)
}

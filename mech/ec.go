package mech

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rand"
	"fmt"
	"io"

	"github.com/kagi-hsm/kagi/token/ck"
)

// ECDSA (FIPS 186-5 section 6) over the curves of ecparams.go:
// CKM_EC_KEY_PAIR_GEN (PKCS#11 3.0 section 2.3.7), CKM_ECDSA (section
// 2.3.8: the input is the hash, truncated to the order's bit length as
// ECDSA does) and CKM_ECDSA_SHA1/224/256/384/512 (section 2.3.9). A
// signature is r||s, each left-padded to the size of the order (section
// 2.3.1).

// generateEC is CKM_EC_KEY_PAIR_GEN; the curve is CKA_EC_PARAMS of the
// public template. rnd is passed on but, since Go 1.26, crypto/ecdsa draws
// from the system CSPRNG.
func generateEC(rnd io.Reader, pubT, privT Attrs) (pubAttrs, privAttrs []ck.Attribute, err error) {
	if _, err := checkTemplateKind(pubT, ck.CKO_PUBLIC_KEY, ck.CKK_EC); err != nil {
		return nil, nil, err
	}
	if _, err := checkTemplateKind(privT, ck.CKO_PRIVATE_KEY, ck.CKK_EC); err != nil {
		return nil, nil, err
	}
	params, err := needAttr(pubT, ck.CKA_EC_PARAMS)
	if err != nil {
		return nil, nil, err
	}
	c, err := curveOf(params)
	if err != nil {
		return nil, nil, err
	}
	if pp, ok := attr(privT, ck.CKA_EC_PARAMS); ok && !bytes.Equal(pp, params) {
		return nil, nil, fmt.Errorf("mech: CKA_EC_PARAMS differ between the templates: %w", ck.CKR_TEMPLATE_INCONSISTENT)
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	priv, err := ecdsa.GenerateKey(c.curve, rnd)
	if err != nil {
		return nil, nil, fmt.Errorf("mech: EC key generation: %w", ck.CKR_FUNCTION_FAILED)
	}
	defer zeroBig(priv.D) //nolint:staticcheck // D is the only reachable copy.
	point, err := ecPointAttr(&priv.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	d, err := priv.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("mech: EC key generation: %w", ck.CKR_FUNCTION_FAILED)
	}
	spki, err := publicKeyInfo(&priv.PublicKey)
	if err != nil {
		return nil, nil, err
	}
	pubAttrs = append([]ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC)),
		{Type: ck.CKA_EC_PARAMS, Value: bytes.Clone(params)},
		{Type: ck.CKA_EC_POINT, Value: point},
	}, spki...)
	privAttrs = []ck.Attribute{
		ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_EC)),
		{Type: ck.CKA_EC_PARAMS, Value: bytes.Clone(params)},
		{Type: ck.CKA_VALUE, Value: d},
		{Type: ck.CKA_PUBLIC_KEY_INFO, Value: bytes.Clone(spki[0].Value)},
	}
	return pubAttrs, privAttrs, nil
}

func (k *Key) ecPrivate() (*ecdsa.PrivateKey, *curveInfo, error) {
	priv, ok := k.Private.(*ecdsa.PrivateKey)
	if !ok || priv == nil || k.Type != ck.CKK_EC {
		return nil, nil, fmt.Errorf("mech: not an EC private key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	c := curveOfKey(priv.Curve)
	if c == nil {
		return nil, nil, fmt.Errorf("mech: EC curve not supported: %w", ck.CKR_CURVE_NOT_SUPPORTED)
	}
	return priv, c, nil
}

func (k *Key) ecPublic() (*ecdsa.PublicKey, *curveInfo, error) {
	pub, ok := k.Public.(*ecdsa.PublicKey)
	if !ok || pub == nil || k.Type != ck.CKK_EC {
		return nil, nil, fmt.Errorf("mech: not an EC key: %w", ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	c := curveOfKey(pub.Curve)
	if c == nil {
		return nil, nil, fmt.Errorf("mech: EC curve not supported: %w", ck.CKR_CURVE_NOT_SUPPORTED)
	}
	return pub, c, nil
}

// ecdsaMech is CKM_ECDSA_SHA* with alg, or CKM_ECDSA (single-part, input
// is the hash) when alg is nil.
type ecdsaMech struct {
	alg *hashAlg
}

func (m *ecdsaMech) sign(k *Key, param any) (SignOp, error) {
	if err := noParam(param); err != nil {
		return nil, err
	}
	priv, c, err := k.ecPrivate()
	if err != nil {
		return nil, err
	}
	return &ecdsaSign{msgHash: msgHash{raw: m.alg == nil, alg: m.alg}, priv: priv, size: c.size}, nil
}

func (m *ecdsaMech) verify(k *Key, param any) (VerifyOp, error) {
	if err := noParam(param); err != nil {
		return nil, err
	}
	pub, c, err := k.ecPublic()
	if err != nil {
		return nil, err
	}
	return &ecdsaVerify{msgHash: msgHash{raw: m.alg == nil, alg: m.alg}, pub: pub, size: c.size}, nil
}

type ecdsaSign struct {
	msgHash
	priv *ecdsa.PrivateKey
	size int
}

func (o *ecdsaSign) SigLen() int { return 2 * o.size }

func (o *ecdsaSign) Sign(data []byte) ([]byte, error) { return o.signHash(o.sum(data)) }

func (o *ecdsaSign) signHash(d []byte) ([]byte, error) {
	der, err := ecdsa.SignASN1(rand.Reader, o.priv, d)
	if err != nil {
		return nil, fmt.Errorf("mech: ECDSA sign: %w", ck.CKR_FUNCTION_FAILED)
	}
	sig, ok := ecdsaRaw(der, o.size)
	if !ok {
		return nil, fmt.Errorf("mech: ECDSA sign: %w", ck.CKR_GENERAL_ERROR)
	}
	return sig, nil
}

func (o *ecdsaSign) Update(part []byte) error { return o.update(part) }

func (o *ecdsaSign) Final() ([]byte, error) {
	d, err := o.final()
	if err != nil {
		return nil, err
	}
	return o.signHash(d)
}

type ecdsaVerify struct {
	msgHash
	pub  *ecdsa.PublicKey
	size int
	der  [ecdsaMaxDER]byte
}

func (o *ecdsaVerify) check(d, sig []byte) error {
	if len(sig) != 2*o.size {
		return fmt.Errorf("mech: ECDSA signature is %d bytes, want %d: %w", len(sig), 2*o.size, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	if !ecdsa.VerifyASN1(o.pub, d, ecdsaDER(o.der[:0], sig)) {
		return fmt.Errorf("mech: ECDSA verify: %w", ck.CKR_SIGNATURE_INVALID)
	}
	return nil
}

func (o *ecdsaVerify) Verify(data, sig []byte) error {
	if len(sig) != 2*o.size {
		return o.check(nil, sig) // the length error, without hashing
	}
	return o.check(o.sum(data), sig)
}

func (o *ecdsaVerify) Update(part []byte) error { return o.update(part) }

func (o *ecdsaVerify) Final(sig []byte) error {
	d, err := o.final()
	if err != nil {
		return err
	}
	return o.check(d, sig)
}

// ecdsaMaxDER bounds the DER Ecdsa-Sig-Value for P-521: a SEQUENCE header
// of at most 3 bytes and two INTEGERs of at most 2+67 bytes.
const ecdsaMaxDER = 3 + 2*(2+67)

// ecdsaRaw converts an ASN.1 Ecdsa-Sig-Value (SEQUENCE { r INTEGER, s
// INTEGER }) to r||s with each half left-padded to size bytes.
func ecdsaRaw(der []byte, size int) ([]byte, bool) {
	tag, seq, ok := derValue(der)
	if !ok || tag != derSequence {
		return nil, false
	}
	out := make([]byte, 2*size)
	for i := range 2 {
		var n []byte
		tag, n, seq, ok = derNext(seq)
		if !ok || tag != derInteger || len(n) == 0 || n[0]&0x80 != 0 {
			return nil, false
		}
		for len(n) > 0 && n[0] == 0 {
			n = n[1:]
		}
		if len(n) > size {
			return nil, false
		}
		copy(out[(i+1)*size-len(n):(i+1)*size], n)
	}
	if len(seq) != 0 {
		return nil, false
	}
	return out, true
}

// ecdsaDER appends the ASN.1 Ecdsa-Sig-Value of the r||s signature sig to
// dst.
func ecdsaDER(dst, sig []byte) []byte {
	half := len(sig) / 2
	var ints [2 * (3 + 67)]byte
	body := ints[:0]
	for _, n := range [2][]byte{sig[:half], sig[half:]} {
		for len(n) > 1 && n[0] == 0 {
			n = n[1:]
		}
		if n[0]&0x80 != 0 {
			body = append(body, derInteger, byte(len(n)+1), 0)
		} else {
			body = append(body, derInteger, byte(len(n)))
		}
		body = append(body, n...)
	}
	return derAppend(dst, derSequence, body)
}

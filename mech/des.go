package mech

import (
	"bytes"
	"crypto/cipher"
	"crypto/des" //nolint:staticcheck // DES/TDEA is legacy; kept for SoftHSMv2 parity (issue 4), never a default.
	"fmt"
	"io"
	"math/bits"

	"github.com/kagi-hsm/kagi/token/ck"
)

// DES (FIPS 46-3, withdrawn) and TDEA (NIST SP 800-67 Rev. 2) for SoftHSMv2
// parity: the key generators CKM_DES_KEY_GEN, CKM_DES2_KEY_GEN and
// CKM_DES3_KEY_GEN (PKCS#11 3.0: Triple-DES in Current Mechanisms, single
// DES in Historical Mechanisms), the modes CKM_DES_ECB,
// CKM_DES_CBC, CKM_DES_CBC_PAD and their CKM_DES3_* twins (SP 800-38A
// ECB and CBC over the 64-bit block, PKCS #7 padding for _PAD), and
// CKM_DES3_CMAC / CKM_DES3_CMAC_GENERAL (SP 800-38B with b = 64).
//
// A CKK_DES2 key is K1||K2 and is used as keying option 2 of SP 800-67
// section 3.1 (K3 = K1); a CKK_DES3 key is K1||K2||K3 (keying option 1).
// The block-mode code of aes_modes.go is written for the 16-byte AES block,
// so the block-size-generic form lives here, over any cipher.Block of 8
// bytes.

const (
	desBlock   = 8
	desKeyLen  = 8
	des2KeyLen = 16
	des3KeyLen = 24
)

// desKeyLens are the CKA_VALUE lengths of the DES key types.
var desKeyLens = map[ck.KeyType]int{ck.CKK_DES: desKeyLen, ck.CKK_DES2: des2KeyLen, ck.CKK_DES3: des3KeyLen}

// FixedKeyLen is the CKA_VALUE length every key of type kt has, if the type
// fixes one (the DES types): a derivation whose template has no
// CKA_VALUE_LEN, which these types do not take, makes a key of this length.
func FixedKeyLen(kt ck.KeyType) (int, bool) {
	n, ok := desKeyLens[kt]
	return n, ok
}

// isDESKeyType reports whether kt is CKK_DES, CKK_DES2 or CKK_DES3.
func isDESKeyType(kt ck.KeyType) bool { _, ok := desKeyLens[kt]; return ok }

// checkDESValue checks the length of a DES key value. Parity is not
// enforced on import: PKCS#11 3.0 leaves it to the token, SoftHSMv2 does not
// check it either, and DES ignores the parity bits (FIPS 46-3: they are
// for error detection only).
func checkDESValue(kt ck.KeyType, v []byte, rv ck.RV) error {
	if n, ok := desKeyLens[kt]; !ok || len(v) != n {
		return fmt.Errorf("mech: DES key type %#x with a value of %d bytes: %w", ck.ULong(kt), len(v), rv)
	}
	return nil
}

// desBlockCipher makes the block cipher of a DES key value: single DES for
// 8 bytes, TDEA for 16 (K1||K2||K1) and 24 bytes.
func desBlockCipher(v []byte) (cipher.Block, error) {
	switch len(v) {
	case desKeyLen:
		return des.NewCipher(v)
	case des2KeyLen:
		var k [des3KeyLen]byte
		copy(k[:], v)
		copy(k[des2KeyLen:], v[:desKeyLen])
		b, err := des.NewTripleDESCipher(k[:])
		clear(k[:])
		return b, err
	case des3KeyLen:
		return des.NewTripleDESCipher(v)
	}
	return nil, fmt.Errorf("mech: DES key of %d bytes: %w", len(v), ck.CKR_KEY_SIZE_RANGE)
}

// desKeyFor returns the block cipher of k for a mechanism that takes the key
// types kts (PKCS#11 3.0 section 5.8: another type is
// CKR_KEY_TYPE_INCONSISTENT).
func desKeyFor(k *Key, name string, kts []ck.KeyType) (cipher.Block, error) {
	if k == nil || k.Class != ck.CKO_SECRET_KEY || !isDESKeyType(k.Type) || !containsKeyType(kts, k.Type) {
		return nil, fmt.Errorf("mech: %s needs a key of type %v: %w", name, kts, ck.CKR_KEY_TYPE_INCONSISTENT)
	}
	if err := checkDESValue(k.Type, k.Secret, ck.CKR_KEY_SIZE_RANGE); err != nil {
		return nil, err
	}
	return desBlockCipher(k.Secret)
}

func containsKeyType(kts []ck.KeyType, kt ck.KeyType) bool {
	for _, t := range kts {
		if t == kt {
			return true
		}
	}
	return false
}

// setOddParity makes every byte of a DES key have odd parity (FIPS 46-3:
// bit 8 of each byte makes the number of 1 bits odd), as SoftHSMv2 does for
// generated keys.
func setOddParity(k []byte) {
	for i, b := range k {
		if bits.OnesCount8(b&0xfe)%2 == 0 {
			k[i] = b | 1
		} else {
			k[i] = b &^ 1
		}
	}
}

// desCheckValue is CKA_CHECK_VALUE of a DES key (PKCS#11 3.0 section 4.10):
// the first 3 bytes of the ECB encryption of one zero block.
func desCheckValue(v []byte) ([]byte, error) {
	b, err := desBlockCipher(v)
	if err != nil {
		return nil, err
	}
	var blk [desBlock]byte
	b.Encrypt(blk[:], blk[:])
	return blk[:3:3], nil
}

// desCheckValueAttr is CKA_CHECK_VALUE for a new DES key, honouring the
// template as checkValueAttr does: an empty one asks for none, a non-empty
// one must match.
func desCheckValueAttr(t Attrs, v []byte) ([]ck.Attribute, error) {
	cv, err := desCheckValue(v)
	if err != nil {
		return nil, err
	}
	if given, ok := attr(t, ck.CKA_CHECK_VALUE); ok {
		if len(given) == 0 {
			return []ck.Attribute{{Type: ck.CKA_CHECK_VALUE, Value: []byte{}}}, nil
		}
		if !bytes.Equal(given, cv) {
			return nil, fmt.Errorf("mech: CKA_CHECK_VALUE does not match the key: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
		}
	}
	return []ck.Attribute{{Type: ck.CKA_CHECK_VALUE, Value: cv}}, nil
}

// desImportAttrs is ImportAttrs for DES keys: the value's length is checked
// and CKA_CHECK_VALUE computed; DES keys have no CKA_VALUE_LEN.
func desImportAttrs(kt ck.KeyType, a Attrs) ([]ck.Attribute, error) {
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	if err := checkDESValue(kt, v, ck.CKR_ATTRIBUTE_VALUE_INVALID); err != nil {
		return nil, err
	}
	return desCheckValueAttr(a, v)
}

// desKeyValue is KeyFromAttrs for DES keys: a copy of the checked value.
func desKeyValue(kt ck.KeyType, a Attrs) ([]byte, error) {
	v, err := needAttr(a, ck.CKA_VALUE)
	if err != nil {
		return nil, err
	}
	if err := checkDESValue(kt, v, ck.CKR_ATTRIBUTE_VALUE_INVALID); err != nil {
		return nil, err
	}
	return bytes.Clone(v), nil
}

// generateDES makes the CKM_DES*_KEY_GEN function for key type kt: random
// bytes with odd parity, CKA_KEY_TYPE and CKA_CHECK_VALUE. The length is
// fixed by the key type; a CKA_VALUE_LEN in the template is not a DES
// attribute (token's rules refuse it).
func generateDES(kt ck.KeyType) func(rnd io.Reader, t Attrs) ([]ck.Attribute, error) {
	return func(rnd io.Reader, t Attrs) ([]ck.Attribute, error) {
		if _, err := checkTemplateKind(t, ck.CKO_SECRET_KEY, kt); err != nil {
			return nil, err
		}
		v := make([]byte, desKeyLens[kt])
		if _, err := io.ReadFull(rnd, v); err != nil {
			return nil, fmt.Errorf("mech: random: %w", ck.CKR_FUNCTION_FAILED)
		}
		setOddParity(v)
		cv, err := desCheckValueAttr(t, v)
		if err != nil {
			clear(v)
			return nil, err
		}
		return append([]ck.Attribute{
			{Type: ck.CKA_VALUE, Value: v},
			ulongAttr(ck.CKA_KEY_TYPE, ck.ULong(kt)),
		}, cv...), nil
	}
}

// desMode is one DES/TDEA confidentiality mode: its name and key types.
type desMode struct {
	name string
	mode blockMode
	kts  []ck.KeyType
}

var (
	desKeyTypes  = []ck.KeyType{ck.CKK_DES}
	des3KeyTypes = []ck.KeyType{ck.CKK_DES2, ck.CKK_DES3}
)

func newDESBlockOp(m desMode, encrypt bool) func(k *Key, param any) (CipherOp, error) {
	return func(k *Key, param any) (CipherOp, error) {
		iv, err := modeIV(m.mode, param, desBlock, m.name)
		if err != nil {
			return nil, err
		}
		b, err := desKeyFor(k, m.name, m.kts)
		if err != nil {
			return nil, err
		}
		return newModeOp(b, m.mode, encrypt, iv, m.name), nil
	}
}

// des3BlockFor is cmacMech.key for CKM_DES3_CMAC: a DES2 or DES3 key.
func des3BlockFor(k *Key, name string) (cipher.Block, error) {
	return desKeyFor(k, name, des3KeyTypes)
}

package mech

import (
	"crypto/cipher"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Key derivation by data encryption (PKCS#11 3.0 current mechanisms, the
// AES and DES sections' "Key derivation by data encryption"): the new key
// is the ECB or CBC encryption of the parameter's data under the base key,
// without padding. The data is a non-zero multiple of the block size and
// CKA_VALUE_LEN is required, since the output has no natural key length
// (both as SoftHSMv2 does); a shorter CKA_VALUE_LEN keeps the leading
// bytes, and only the blocks that reach the key are encrypted.

// encryptDataMech is one CKM_<cipher>_{ECB,CBC}_ENCRYPT_DATA.
type encryptDataMech struct {
	name string
	cbc  bool
	key  func(k *Key, name string) (cipher.Block, error) // also checks the key type
}

func (m encryptDataMech) derive(base *Key, param any, keyLen int, _ func(ck.ObjectHandle) (*Key, error)) ([]byte, error) {
	var iv, d []byte
	if m.cbc {
		p, err := cbcEncryptData(param)
		if err != nil {
			return nil, err
		}
		iv, d = p.IV, p.Data
	} else {
		var err error
		if d, err = stringData(param); err != nil {
			return nil, err
		}
	}
	b, err := m.key(base, m.name)
	if err != nil {
		return nil, err
	}
	bs := b.BlockSize()
	if len(d)%bs != 0 {
		return nil, errParam(fmt.Sprintf("%s data is not a multiple of %d bytes", m.name, bs))
	}
	if m.cbc && len(iv) != bs {
		return nil, errParam(fmt.Sprintf("%s IV of %d bytes, want %d", m.name, len(iv), bs))
	}
	if keyLen == 0 {
		return nil, fmt.Errorf("mech: %s needs CKA_VALUE_LEN: %w", m.name, ck.CKR_TEMPLATE_INCOMPLETE)
	}
	if err := checkKeyLen(keyLen); err != nil {
		return nil, err
	}
	if keyLen > len(d) {
		return nil, errTooLong(keyLen, len(d))
	}
	n := (keyLen + bs - 1) / bs * bs
	out := make([]byte, n)
	if m.cbc {
		cipher.NewCBCEncrypter(b, iv).CryptBlocks(out, d[:n])
	} else {
		for i := 0; i < n; i += bs {
			b.Encrypt(out[i:i+bs], d[i:i+bs])
		}
	}
	return leading(out, keyLen)
}

// cbcEncryptData reads the CBC forms' parameter.
func cbcEncryptData(param any) (ck.CBCEncryptDataParams, error) {
	var p ck.CBCEncryptDataParams
	switch v := param.(type) {
	case ck.CBCEncryptDataParams:
		p = v
	case *ck.CBCEncryptDataParams:
		if v == nil {
			return p, errParam("CK_*_CBC_ENCRYPT_DATA_PARAMS is NULL")
		}
		p = *v
	default:
		return p, errParam("CK_*_CBC_ENCRYPT_DATA_PARAMS expected")
	}
	if len(p.Data) == 0 {
		return p, errParam("empty derivation data")
	}
	return p, nil
}

// desBlockFor is the key function of the single-DES rows.
func desBlockFor(k *Key, name string) (cipher.Block, error) {
	return desKeyFor(k, name, desKeyTypes)
}

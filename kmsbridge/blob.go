package kmsbridge

import (
	"encoding/binary"
	"sort"
)

// Ciphertext blob, format version 1 (what Encrypt, GenerateDataKey and
// ReEncrypt return and Decrypt takes). It names the KMS key and the backing
// key (HBK) version that made it, so Decrypt needs no key id, as in AWS KMS:
//
//	offset  size  field
//	0       2     magic "kG" (0x6B 0x47)
//	2       1     format version, 0x01
//	3       16    KMS key id, the UUID's 16 bytes (RFC 9562 byte order)
//	19      4     backing key version, big-endian uint32 (first version is 1)
//	23      12    IV for AES-256-GCM, from the token's DRBG (C_GenerateRandom)
//	35      n     ciphertext (n = plaintext length, AES-GCM is a stream mode)
//	35+n    16    GCM tag (128 bits)
//
// The cipher is AES-256-GCM (CKM_AES_GCM on the token) under the backing
// key, with 96-bit IV and 128-bit tag, and the additional authenticated data
//
//	AAD = blob[0:35] || canonical(EncryptionContext)
//
// so a change to any byte of the header (magic, version, key id, backing
// version, IV), of the ciphertext or of the tag, or any difference in the
// encryption context, makes the tag check fail: InvalidCiphertextException.
//
// canonical(ctx) is the big-endian uint32 count of pairs, then for each pair
// in ascending byte order of the key's UTF-8 bytes: uint32 length of the key,
// the key's bytes, uint32 length of the value, the value's bytes. The empty
// (or absent) context is the four bytes 00 00 00 00. Length prefixes make the
// encoding injective: {"a":"bc"} and {"ab":"c"} differ.
const (
	blobMagic0, blobMagic1 = 0x6B, 0x47 // "kG"
	blobVersion1           = 0x01

	blobKeyIDOff   = 3
	blobVersionOff = blobKeyIDOff + 16
	blobIVOff      = blobVersionOff + 4
	blobIVLen      = 12
	blobHeaderLen  = blobIVOff + blobIVLen // 35
	blobTagLen     = 16
	blobMinLen     = blobHeaderLen + blobTagLen

	// maxBlobLen is AWS's limit on CiphertextBlob (6144 bytes).
	maxBlobLen = 6144
)

// blobHeader is the parsed fixed part of a blob.
type blobHeader struct {
	keyID   [16]byte
	version uint32
	iv      [blobIVLen]byte
}

// marshal returns the 35-byte header.
func (h *blobHeader) marshal() []byte {
	b := make([]byte, blobHeaderLen, blobHeaderLen)
	b[0], b[1], b[2] = blobMagic0, blobMagic1, blobVersion1
	copy(b[blobKeyIDOff:], h.keyID[:])
	binary.BigEndian.PutUint32(b[blobVersionOff:], h.version)
	copy(b[blobIVOff:], h.iv[:])
	return b
}

// parseBlob splits a blob into its header and the ciphertext||tag part. A
// blob that is too short or of an unknown format is an invalid ciphertext.
func parseBlob(blob []byte) (blobHeader, []byte, error) {
	var h blobHeader
	if len(blob) < blobMinLen || blob[0] != blobMagic0 || blob[1] != blobMagic1 || blob[2] != blobVersion1 {
		return h, nil, InvalidCiphertextException("the ciphertext is not a kagi KMS ciphertext blob")
	}
	copy(h.keyID[:], blob[blobKeyIDOff:])
	h.version = binary.BigEndian.Uint32(blob[blobVersionOff:])
	copy(h.iv[:], blob[blobIVOff:])
	return h, blob[blobHeaderLen:], nil
}

// canonicalContext is the encryption context's AAD form described above.
func canonicalContext(ctx map[string]string) []byte {
	keys := make([]string, 0, len(ctx))
	n := 4
	for k, v := range ctx {
		keys = append(keys, k)
		n += 8 + len(k) + len(v)
	}
	sort.Strings(keys) // Go compares strings bytewise: UTF-8 byte order
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint32(b, uint32(len(keys)))
	for _, k := range keys {
		v := ctx[k]
		b = binary.BigEndian.AppendUint32(b, uint32(len(k)))
		b = append(b, k...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	return b
}

// blobAAD is the header followed by the canonical context.
func blobAAD(header []byte, ctx map[string]string) []byte {
	c := canonicalContext(ctx)
	aad := make([]byte, 0, len(header)+len(c))
	return append(append(aad, header...), c...)
}

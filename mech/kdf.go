package mech

import (
	"crypto/pbkdf2"
	"crypto/sha256"
)

// PINKeyLen is the length of a key derived from a PIN: a 256-bit AES key
// encryption key for the token master key.
const PINKeyLen = 32

// PINKey derives the key encryption key of a PIN: PBKDF2 (RFC 8018 section
// 5.2, NIST SP 800-132) with HMAC-SHA-256 as the PRF, the token's salt and
// iteration count, and a 32-byte output (one PBKDF2 block, so dkLen <=
// hLen and step 1 of section 5.2 never fails). iterations must be at least
// 1; token validates the configured count, and a smaller one is a
// programming error that panics. The PIN is copied into a string by
// crypto/pbkdf2's API; that copy is beyond Zero's reach.
func PINKey(pin, salt []byte, iterations int) []byte {
	if iterations < 1 {
		panic("mech: PINKey needs at least one iteration")
	}
	k, err := pbkdf2.Key(sha256.New, string(pin), salt, iterations, PINKeyLen)
	if err != nil {
		// Only a keyLength out of range or FIPS 140-only mode limits
		// (GODEBUG=fips140=only) fail; neither applies to a 32-byte key
		// unless the operator forced FIPS-only mode with a short PIN.
		panic("mech: PBKDF2 failed: " + err.Error())
	}
	return k
}

package token

import "github.com/kagi-hsm/kagi/token/ck"

// The token package's public surface follows the PKCS#11 functions one to
// one, in Go terms: cmodule converts C arguments, calls one method, copies
// the result out and maps the error with ck.ErrorRV.
//
// Output buffers follow the PKCS#11 length convention in Go form: a nil out
// slice is a length query (the needed length is returned, the operation
// stays active); a slice shorter than needed returns that length and
// ck.CKR_BUFFER_TOO_SMALL (the operation stays active); otherwise the result
// is written to out[:n]. A non-nil empty slice is a real (too small) buffer.

// Library-wide identification (CK_INFO, CK_SLOT_INFO, CK_TOKEN_INFO).
const (
	ManufacturerID     = "kagi"
	LibraryDescription = "kagi PKCS#11 module"
	TokenModel         = "kagi"
	SlotDescription    = "kagi slot"
)

// LibraryVersion is the library's version in CK_INFO.
var LibraryVersion = ck.Version{Major: 0, Minor: 1}

// SlotInfo is CK_SLOT_INFO in Go form (strings unpadded).
type SlotInfo struct {
	Description     string
	ManufacturerID  string
	Flags           ck.Flags
	HardwareVersion ck.Version
	FirmwareVersion ck.Version
}

// TokenInfo is CK_TOKEN_INFO in Go form (strings unpadded; cmodule pads
// them with spaces). UTCTime is 16 characters YYYYMMDDhhmmss00.
type TokenInfo struct {
	Label              string
	ManufacturerID     string
	Model              string
	SerialNumber       string
	Flags              ck.Flags
	MaxSessionCount    ck.ULong
	SessionCount       ck.ULong
	MaxRwSessionCount  ck.ULong
	RwSessionCount     ck.ULong
	MaxPinLen          ck.ULong
	MinPinLen          ck.ULong
	TotalPublicMemory  ck.ULong
	FreePublicMemory   ck.ULong
	TotalPrivateMemory ck.ULong
	FreePrivateMemory  ck.ULong
	HardwareVersion    ck.Version
	FirmwareVersion    ck.Version
	UTCTime            string
}

// SessionInfo is CK_SESSION_INFO.
type SessionInfo struct {
	SlotID      ck.SlotID
	State       ck.State
	Flags       ck.Flags
	DeviceError ck.ULong
}

// AttrValue is one entry of a C_GetAttributeValue answer: the value, or in
// Err the per-attribute code (ck.CKR_ATTRIBUTE_SENSITIVE or
// ck.CKR_ATTRIBUTE_TYPE_INVALID) for which cmodule sets ulValueLen to
// CK_UNAVAILABLE_INFORMATION.
type AttrValue struct {
	Value []byte
	Err   ck.RV
}

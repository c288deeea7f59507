// Package ck is the PKCS#11 vocabulary shared by token, mech, store users and
// cmodule: the CK_ULONG-based types, the constants (zconst.go, generated from
// ../../pkcs11.h) and the Go forms of mechanism parameters.
package ck

import "fmt"

// ULong is CK_ULONG. On the LP64 platforms kagi targets it is 64 bits wide.
type ULong = uint

// Typed forms of the PKCS#11 CK_ULONG aliases, so a mechanism type can not be
// passed where an attribute type is expected.
type (
	RV             ULong
	AttributeType  ULong
	MechanismType  ULong
	ObjectClass    ULong
	KeyType        ULong
	CertType       ULong
	SlotID         ULong
	SessionHandle  ULong
	ObjectHandle   ULong
	UserType       ULong
	State          ULong
	Flags          ULong
	MGF            ULong
	KDF            ULong
	HWFeatureType  ULong
	ProfileID      ULong
	GeneratorFunc  ULong
	NotifyType     ULong
	ECKDF          = KDF
	RSAPSSSaltLen  = ULong
	InterfaceFlags = Flags
)

// Error makes an RV usable as a Go error; errors.As(err, new(ck.RV)) recovers it.
func (r RV) Error() string {
	if n, ok := rvNames[r]; ok {
		return n
	}
	return fmt.Sprintf("CKR_0x%08X", ULong(r))
}

// Attribute is one CK_ATTRIBUTE with its value in the C encoding: CK_ULONG as
// 8 native-endian bytes, CK_BBOOL as one byte, byte arrays as they are.
type Attribute struct {
	Type  AttributeType
	Value []byte
}

// Mechanism is a CK_MECHANISM with its parameter decoded by cmodule: nil when
// there is none, []byte for mechanisms whose parameter is a plain byte string
// (an IV, a counter block, a salt), or one of the parameter structs of params.go.
type Mechanism struct {
	Type  MechanismType
	Param any
}

// MechanismInfo is CK_MECHANISM_INFO.
type MechanismInfo struct {
	MinKeySize ULong
	MaxKeySize ULong
	Flags      Flags
}

// Version is CK_VERSION.
type Version struct{ Major, Minor byte }

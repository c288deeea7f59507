package ck

import "fmt"

// String returns the spec name of a mechanism, e.g. "CKM_AES_GCM", or its
// value in hex when it has none.
func (m MechanismType) String() string {
	if n, ok := mechNames[m]; ok {
		return n
	}
	return fmt.Sprintf("CKM_0x%08X", ULong(m))
}

// String returns the spec name of an attribute type, e.g. "CKA_VALUE".
func (a AttributeType) String() string {
	if n, ok := attrNames[a]; ok {
		return n
	}
	return fmt.Sprintf("CKA_0x%08X", ULong(a))
}

// String returns the spec name of an object class, e.g. "CKO_SECRET_KEY".
func (c ObjectClass) String() string {
	if n, ok := classNames[c]; ok {
		return n
	}
	return fmt.Sprintf("CKO_0x%08X", ULong(c))
}

// String returns the spec name of a key type, e.g. "CKK_AES".
func (k KeyType) String() string {
	if n, ok := keyTypeNames[k]; ok {
		return n
	}
	return fmt.Sprintf("CKK_0x%08X", ULong(k))
}

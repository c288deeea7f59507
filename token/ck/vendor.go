package ck

// kagi's vendor-defined values (PKCS#11 3.0 section 3.4 leaves
// CKA_VENDOR_DEFINED and above to vendors). 0x4B47 is "KG"; the values
// keep clear of the CKF_ARRAY_ATTRIBUTE bit (0x40000000), which marks a
// nested template.
const (
	// CKA_KAGI_OWNER names the application that owns an object (e.g.
	// "kagi-kms" for the KMS bridge's keys and metadata). Only the token
	// sets it; only sessions of that owner may modify, copy or destroy the
	// object. See token/owner.go.
	CKA_KAGI_OWNER AttributeType = CKA_VENDOR_DEFINED | 0x004B4701
)

func init() { attrNames[CKA_KAGI_OWNER] = "CKA_KAGI_OWNER" }

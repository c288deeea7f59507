package mech

// aesRegistry holds the rows of the AES block-cipher mechanisms beyond
// CKM_AES_KEY_GEN and CKM_AES_GCM (ECB, CBC, CBC_PAD, CTR, CMAC, key wrap).
var aesRegistry = []*Spec{}

package ck

// Go forms of the mechanism parameter structures that carry pointers in C.
// cmodule builds them from the caller's memory; mech consumes them.

// GCMParams is CK_GCM_PARAMS.
type GCMParams struct {
	IV      []byte
	IVBits  ULong
	AAD     []byte
	TagBits ULong
}

// CCMParams is CK_CCM_PARAMS.
type CCMParams struct {
	DataLen ULong
	Nonce   []byte
	AAD     []byte
	MACLen  ULong
}

// AESCTRParams is CK_AES_CTR_PARAMS.
type AESCTRParams struct {
	CounterBits ULong
	CB          [16]byte
}

// RSAPKCSPSSParams is CK_RSA_PKCS_PSS_PARAMS.
type RSAPKCSPSSParams struct {
	Hash    MechanismType
	MGF     MGF
	SaltLen ULong
}

// RSAPKCSOAEPParams is CK_RSA_PKCS_OAEP_PARAMS; Source is CKZ_DATA_SPECIFIED
// with the label in SourceData, or zero for no label.
type RSAPKCSOAEPParams struct {
	Hash       MechanismType
	MGF        MGF
	Source     ULong
	SourceData []byte
}

// ECDH1DeriveParams is CK_ECDH1_DERIVE_PARAMS.
type ECDH1DeriveParams struct {
	KDF        KDF
	SharedData []byte
	PublicData []byte
}

// GCMMessageParams is CK_GCM_MESSAGE_PARAMS (PKCS#11 3.0 message-based AEAD).
type GCMMessageParams struct {
	IV          []byte
	IVFixedBits ULong
	IVGenerator GeneratorFunc
	Tag         []byte
	TagBits     ULong
}

// EDDSAParams is CK_EDDSA_PARAMS.
type EDDSAParams struct {
	PHFlag      bool
	ContextData []byte
}

// KeyDerivationStringData is CK_KEY_DERIVATION_STRING_DATA.
type KeyDerivationStringData struct {
	Data []byte
}

// HKDFParams is CK_HKDF_PARAMS.
type HKDFParams struct {
	Extract  bool
	Expand   bool
	PRFHash  MechanismType
	SaltType ULong
	Salt     []byte
	SaltKey  ObjectHandle
	Info     []byte
}

// RSAAESKeyWrapParams is CK_RSA_AES_KEY_WRAP_PARAMS (CKM_RSA_AES_KEY_WRAP):
// the temporary AES key's length in bits and the OAEP parameters, which the
// C structure gives by pointer (pOAEPParams, required).
type RSAAESKeyWrapParams struct {
	AESKeyBits ULong
	OAEP       RSAPKCSOAEPParams
}

// SP800108Params is CK_SP800_108_KDF_PARAMS (CKM_SP800_108_COUNTER_KDF):
// the PRF, the parts of the PRF input in their order, and
// ulAdditionalDerivedKeys, the number of further keys the caller asks for
// (kagi derives none, so the CK_DERIVED_KEY array itself is not carried).
type SP800108Params struct {
	PRF            MechanismType
	Data           []PRFDataParam
	AdditionalKeys ULong
}

// SP800108FeedbackParams is CK_SP800_108_FEEDBACK_KDF_PARAMS
// (CKM_SP800_108_FEEDBACK_KDF): the counter mode's fields and the IV, the
// chaining value of the first iteration (empty when ulIVLen is 0).
type SP800108FeedbackParams struct {
	SP800108Params
	IV []byte
}

// PRFDataParam is CK_PRF_DATA_PARAM. Counter is the CK_SP800_108_COUNTER_FORMAT
// of a CK_SP800_108_ITERATION_VARIABLE or CK_SP800_108_OPTIONAL_COUNTER
// (nil when pValue was NULL), DKMLength the CK_SP800_108_DKM_LENGTH_FORMAT of
// a CK_SP800_108_DKM_LENGTH; Value holds the bytes of a
// CK_SP800_108_BYTE_ARRAY or of any other type.
type PRFDataParam struct {
	Type      ULong
	Value     []byte
	Counter   *SP800108CounterFormat
	DKMLength *SP800108DKMLengthFormat
}

// SP800108CounterFormat is CK_SP800_108_COUNTER_FORMAT.
type SP800108CounterFormat struct {
	LittleEndian bool
	WidthBits    ULong
}

// SP800108DKMLengthFormat is CK_SP800_108_DKM_LENGTH_FORMAT.
type SP800108DKMLengthFormat struct {
	Method       ULong
	LittleEndian bool
	WidthBits    ULong
}

// CBCEncryptDataParams is CK_AES_CBC_ENCRYPT_DATA_PARAMS (a 16-byte IV) or
// CK_DES_CBC_ENCRYPT_DATA_PARAMS (an 8-byte IV): the IV and the data that
// CKM_*_CBC_ENCRYPT_DATA encrypts into the new key.
type CBCEncryptDataParams struct {
	IV   []byte
	Data []byte
}

package main

/*
#include "pkcs11.h"
*/
import "C"

import (
	"unsafe"

	"github.com/kagi-hsm/kagi/token/ck"
)

// paramDecoder turns a mechanism parameter block (pParameter, ulParameterLen,
// pParameter not NULL) into its Go form (token/ck/params.go).
type paramDecoder func(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV)

// mechParams says which mechanisms take a structure as parameter, and how to
// read it. A mechanism not listed gets its parameter as a copied []byte (an
// IV, a counter block, a salt, the other party's public value of
// CKM_DH_PKCS_DERIVE); the mechanism code checks it.
var mechParams = map[ck.MechanismType]paramDecoder{
	ck.CKM_AES_GCM: gcmParams,
	ck.CKM_AES_CCM: ccmParams,
	ck.CKM_AES_CTR: aesCTRParams,

	ck.CKM_RSA_PKCS_PSS:          pssParams,
	ck.CKM_SHA1_RSA_PKCS_PSS:     pssParams,
	ck.CKM_SHA224_RSA_PKCS_PSS:   pssParams,
	ck.CKM_SHA256_RSA_PKCS_PSS:   pssParams,
	ck.CKM_SHA384_RSA_PKCS_PSS:   pssParams,
	ck.CKM_SHA512_RSA_PKCS_PSS:   pssParams,
	ck.CKM_SHA3_224_RSA_PKCS_PSS: pssParams,
	ck.CKM_SHA3_256_RSA_PKCS_PSS: pssParams,
	ck.CKM_SHA3_384_RSA_PKCS_PSS: pssParams,
	ck.CKM_SHA3_512_RSA_PKCS_PSS: pssParams,
	ck.CKM_RSA_PKCS_OAEP:         oaepParams,
	ck.CKM_RSA_AES_KEY_WRAP:      rsaAESWrapParams,

	ck.CKM_ECDH1_DERIVE:          ecdh1Params,
	ck.CKM_ECDH1_COFACTOR_DERIVE: ecdh1Params,
	ck.CKM_EDDSA:                 eddsaParams,

	ck.CKM_CONCATENATE_BASE_AND_DATA: stringDataParams,
	ck.CKM_CONCATENATE_DATA_AND_BASE: stringDataParams,
	ck.CKM_XOR_BASE_AND_DATA:         stringDataParams,
	ck.CKM_AES_ECB_ENCRYPT_DATA:      stringDataParams,
	ck.CKM_DES_ECB_ENCRYPT_DATA:      stringDataParams,
	ck.CKM_DES3_ECB_ENCRYPT_DATA:     stringDataParams,
	ck.CKM_AES_CBC_ENCRYPT_DATA:      aesCBCEncryptDataParams,
	ck.CKM_DES_CBC_ENCRYPT_DATA:      desCBCEncryptDataParams,
	ck.CKM_DES3_CBC_ENCRYPT_DATA:     desCBCEncryptDataParams,

	ck.CKM_HKDF_DERIVE: hkdfParams,
	ck.CKM_HKDF_DATA:   hkdfParams,

	ck.CKM_SP800_108_COUNTER_KDF:  sp800108Params,
	ck.CKM_SP800_108_FEEDBACK_KDF: sp800108FeedbackParams,
}

// messageParams is the same for the per-message parameter of the message
// API (C_EncryptMessage, C_DecryptMessage and their Begin/Next forms, a
// later issue). Unlike mechParams these are views, not copies: pIv and pTag
// may be outputs (a generated IV, the tag of an encryption), and the
// parameter lives only for the call.
var messageParams = map[ck.MechanismType]paramDecoder{
	ck.CKM_AES_GCM: gcmMessageParams,
}

// mechanism converts a CK_MECHANISM (section 5.8 / CK_MECHANISM). A NULL
// pParameter is no parameter (Param nil); with a non-zero length it is
// CKR_ARGUMENTS_BAD, like any NULL buffer with a length.
func mechanism(p C.CK_MECHANISM_PTR) (ck.Mechanism, C.CK_RV) {
	if p == nil {
		return ck.Mechanism{}, rvArgumentsBad
	}
	m := ck.Mechanism{Type: ck.MechanismType(p.mechanism)}
	if p.pParameter == nil {
		if p.ulParameterLen != 0 {
			return m, rvArgumentsBad
		}
		return m, rvOK // the common case: no lookup, no allocation
	}
	if dec := mechParams[m.Type]; dec != nil {
		param, r := dec(unsafe.Pointer(p.pParameter), p.ulParameterLen)
		m.Param = param
		return m, r
	}
	if p.ulParameterLen != 0 {
		b, ok := copyBytes(unsafe.Pointer(p.pParameter), p.ulParameterLen)
		if !ok {
			return m, rvArgumentsBad
		}
		m.Param = b
	}
	return m, rvOK
}

var rvParamInvalid = C.CK_RV(ck.CKR_MECHANISM_PARAM_INVALID)

// paramStruct returns p as a *T when n is exactly sizeof(T): a structure
// parameter of another length is CKR_MECHANISM_PARAM_INVALID.
func paramStruct[T any](p unsafe.Pointer, n C.CK_ULONG) (*T, bool) {
	var zero T
	if n != C.CK_ULONG(unsafe.Sizeof(zero)) {
		return nil, false
	}
	return (*T)(p), true
}

// paramBytes copies a buffer a parameter structure points to; NULL with a
// length is CKR_MECHANISM_PARAM_INVALID (it is inside the parameter).
func paramBytes(p *C.CK_BYTE, n C.CK_ULONG, ok *bool) []byte {
	b, good := copyBytes(unsafe.Pointer(p), n)
	if !good {
		*ok = false
	}
	return b
}

// gcmParams copies IV and AAD into one allocation: AES-GCM is initialised
// once per message, so this is on the hot path.
func gcmParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_GCM_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	if (c.pIv == nil && c.ulIvLen != 0) || (c.pAAD == nil && c.ulAADLen != 0) ||
		c.ulIvLen > maxLen || c.ulAADLen > maxLen {
		return nil, rvParamInvalid
	}
	ivLen, aadLen := int(c.ulIvLen), int(c.ulAADLen)
	buf := make([]byte, ivLen+aadLen)
	g := ck.GCMParams{IVBits: ck.ULong(c.ulIvBits), TagBits: ck.ULong(c.ulTagBits)}
	if ivLen > 0 {
		g.IV = buf[:ivLen:ivLen]
		copy(g.IV, unsafe.Slice((*byte)(unsafe.Pointer(c.pIv)), ivLen))
	}
	if aadLen > 0 {
		g.AAD = buf[ivLen:]
		copy(g.AAD, unsafe.Slice((*byte)(unsafe.Pointer(c.pAAD)), aadLen))
	}
	return g, rvOK
}

func ccmParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_CCM_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	g := ck.CCMParams{
		DataLen: ck.ULong(c.ulDataLen),
		Nonce:   paramBytes(c.pNonce, c.ulNonceLen, &ok),
		AAD:     paramBytes(c.pAAD, c.ulAADLen, &ok),
		MACLen:  ck.ULong(c.ulMACLen),
	}
	if !ok {
		return nil, rvParamInvalid
	}
	return g, rvOK
}

func aesCTRParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_AES_CTR_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	g := ck.AESCTRParams{CounterBits: ck.ULong(c.ulCounterBits)}
	for i := range g.CB {
		g.CB[i] = byte(c.cb[i])
	}
	return g, rvOK
}

func pssParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_RSA_PKCS_PSS_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	return ck.RSAPKCSPSSParams{
		Hash:    ck.MechanismType(c.hashAlg),
		MGF:     ck.MGF(c.mgf),
		SaltLen: ck.ULong(c.sLen),
	}, rvOK
}

func oaepParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_RSA_PKCS_OAEP_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	g := ck.RSAPKCSOAEPParams{
		Hash:       ck.MechanismType(c.hashAlg),
		MGF:        ck.MGF(c.mgf),
		Source:     ck.ULong(c.source),
		SourceData: paramBytes((*C.CK_BYTE)(c.pSourceData), c.ulSourceDataLen, &ok),
	}
	if !ok {
		return nil, rvParamInvalid
	}
	return g, rvOK
}

// rsaAESWrapParams reads CK_RSA_AES_KEY_WRAP_PARAMS; pOAEPParams is
// required and read as CKM_RSA_PKCS_OAEP's parameter.
func rsaAESWrapParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_RSA_AES_KEY_WRAP_PARAMS](p, n)
	if !ok || c.pOAEPParams == nil {
		return nil, rvParamInvalid
	}
	oaep, r := oaepParams(unsafe.Pointer(c.pOAEPParams), C.CK_ULONG(unsafe.Sizeof(C.CK_RSA_PKCS_OAEP_PARAMS{})))
	if r != rvOK {
		return nil, r
	}
	return ck.RSAAESKeyWrapParams{AESKeyBits: ck.ULong(c.ulAESKeyBits), OAEP: oaep.(ck.RSAPKCSOAEPParams)}, rvOK
}

func ecdh1Params(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_ECDH1_DERIVE_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	g := ck.ECDH1DeriveParams{
		KDF:        ck.KDF(c.kdf),
		SharedData: paramBytes(c.pSharedData, c.ulSharedDataLen, &ok),
		PublicData: paramBytes(c.pPublicData, c.ulPublicDataLen, &ok),
	}
	if !ok {
		return nil, rvParamInvalid
	}
	return g, rvOK
}

func eddsaParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_EDDSA_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	g := ck.EDDSAParams{
		PHFlag:      c.phFlag != 0,
		ContextData: paramBytes(c.pContextData, c.ulContextDataLen, &ok),
	}
	if !ok {
		return nil, rvParamInvalid
	}
	return g, rvOK
}

func stringDataParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_KEY_DERIVATION_STRING_DATA](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	g := ck.KeyDerivationStringData{Data: paramBytes(c.pData, c.ulLen, &ok)}
	if !ok {
		return nil, rvParamInvalid
	}
	return g, rvOK
}

// aesCBCEncryptDataParams reads CK_AES_CBC_ENCRYPT_DATA_PARAMS.
func aesCBCEncryptDataParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_AES_CBC_ENCRYPT_DATA_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	return cbcEncryptData(c.iv[:], c.pData, c.length)
}

// desCBCEncryptDataParams reads CK_DES_CBC_ENCRYPT_DATA_PARAMS.
func desCBCEncryptDataParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_DES_CBC_ENCRYPT_DATA_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	return cbcEncryptData(c.iv[:], c.pData, c.length)
}

func cbcEncryptData(iv []C.CK_BYTE, data *C.CK_BYTE, n C.CK_ULONG) (any, C.CK_RV) {
	ok := true
	g := ck.CBCEncryptDataParams{
		IV:   C.GoBytes(unsafe.Pointer(&iv[0]), C.int(len(iv))),
		Data: paramBytes(data, n, &ok),
	}
	if !ok {
		return nil, rvParamInvalid
	}
	return g, rvOK
}

func hkdfParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_HKDF_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	g := ck.HKDFParams{
		Extract:  c.bExtract != 0,
		Expand:   c.bExpand != 0,
		PRFHash:  ck.MechanismType(c.prfHashMechanism),
		SaltType: ck.ULong(c.ulSaltType),
		Salt:     paramBytes(c.pSalt, c.ulSaltLen, &ok),
		SaltKey:  ck.ObjectHandle(c.hSaltKey),
		Info:     paramBytes(c.pInfo, c.ulInfoLen, &ok),
	}
	if !ok {
		return nil, rvParamInvalid
	}
	return g, rvOK
}

// gcmMessageParams reads CK_GCM_MESSAGE_PARAMS as views of the caller's
// memory (see messageParams). The tag is ulTagBits/8 bytes.
func gcmMessageParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_GCM_MESSAGE_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	iv, ok1 := inBytes(c.pIv, c.ulIvLen)
	tag, ok2 := inBytes(c.pTag, (c.ulTagBits+7)/8)
	if !ok1 || !ok2 {
		return nil, rvParamInvalid
	}
	return ck.GCMMessageParams{
		IV:          iv,
		IVFixedBits: ck.ULong(c.ulIvFixedBits),
		IVGenerator: ck.GeneratorFunc(c.ivGenerator),
		Tag:         tag,
		TagBits:     ck.ULong(c.ulTagBits),
	}, rvOK
}

// sp800108Params reads CK_SP800_108_KDF_PARAMS. Each CK_PRF_DATA_PARAM is
// copied: the counter and DKM length formats are decoded (a pValue of
// another size than their structure is CKR_MECHANISM_PARAM_INVALID; a NULL
// format with length 0 is left nil for mech to judge), the bytes of any
// other type are copied as they are. The CK_DERIVED_KEY array is not read:
// only its count travels, and mech refuses additional keys.
func sp800108Params(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_SP800_108_KDF_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	data, rv := prfDataParams(c.pDataParams, c.ulNumberOfDataParams)
	if rv != rvOK {
		return nil, rv
	}
	return ck.SP800108Params{
		PRF:            ck.MechanismType(c.prfType),
		Data:           data,
		AdditionalKeys: ck.ULong(c.ulAdditionalDerivedKeys),
	}, rvOK
}

// sp800108FeedbackParams reads CK_SP800_108_FEEDBACK_KDF_PARAMS: the same
// fields and the IV (NULL with ulIVLen 0 is an empty IV).
func sp800108FeedbackParams(p unsafe.Pointer, n C.CK_ULONG) (any, C.CK_RV) {
	c, ok := paramStruct[C.CK_SP800_108_FEEDBACK_KDF_PARAMS](p, n)
	if !ok {
		return nil, rvParamInvalid
	}
	data, rv := prfDataParams(c.pDataParams, c.ulNumberOfDataParams)
	if rv != rvOK {
		return nil, rv
	}
	iv := paramBytes(c.pIV, c.ulIVLen, &ok)
	if !ok {
		return nil, rvParamInvalid
	}
	return ck.SP800108FeedbackParams{
		SP800108Params: ck.SP800108Params{
			PRF:            ck.MechanismType(c.prfType),
			Data:           data,
			AdditionalKeys: ck.ULong(c.ulAdditionalDerivedKeys),
		},
		IV: iv,
	}, rvOK
}

// prfDataParams copies a CK_PRF_DATA_PARAM array (see sp800108Params).
func prfDataParams(p *C.CK_PRF_DATA_PARAM, count C.CK_ULONG) ([]ck.PRFDataParam, C.CK_RV) {
	if (p == nil && count != 0) || count > maxLen/C.CK_ULONG(unsafe.Sizeof(C.CK_PRF_DATA_PARAM{})) {
		return nil, rvParamInvalid
	}
	if count == 0 {
		return nil, rvOK
	}
	out := make([]ck.PRFDataParam, count)
	ok := true
	for i, d := range unsafe.Slice(p, int(count)) {
		e := ck.PRFDataParam{Type: ck.ULong(d._type)}
		switch e.Type {
		case ck.CK_SP800_108_ITERATION_VARIABLE, ck.CK_SP800_108_OPTIONAL_COUNTER:
			if d.pValue == nil && d.ulValueLen == 0 {
				break
			}
			f, good := paramStruct[C.CK_SP800_108_COUNTER_FORMAT](unsafe.Pointer(d.pValue), d.ulValueLen)
			if !good || f == nil {
				return nil, rvParamInvalid
			}
			e.Counter = &ck.SP800108CounterFormat{LittleEndian: f.bLittleEndian != 0, WidthBits: ck.ULong(f.ulWidthInBits)}
		case ck.CK_SP800_108_DKM_LENGTH:
			f, good := paramStruct[C.CK_SP800_108_DKM_LENGTH_FORMAT](unsafe.Pointer(d.pValue), d.ulValueLen)
			if !good || f == nil {
				return nil, rvParamInvalid
			}
			e.DKMLength = &ck.SP800108DKMLengthFormat{
				Method:       ck.ULong(f.dkmLengthMethod),
				LittleEndian: f.bLittleEndian != 0,
				WidthBits:    ck.ULong(f.ulWidthInBits),
			}
		default:
			e.Value = paramBytes((*C.CK_BYTE)(d.pValue), d.ulValueLen, &ok)
			if !ok {
				return nil, rvParamInvalid
			}
		}
		out[i] = e
	}
	return out, rvOK
}

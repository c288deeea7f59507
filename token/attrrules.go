package token

import "github.com/kagi-hsm/kagi/token/ck"

// Attribute rules follow the footnotes of the PKCS#11 3.0 object tables
// (section 4.2, "Common footnotes for object attribute tables").
type ruleFlags uint16

const (
	mustCreate   ruleFlags = 1 << iota // 1: must be given to C_CreateObject
	noCreate                           // 2: must not be given to C_CreateObject
	mustGenerate                       // 3: must be given to C_GenerateKey(Pair)
	noGenerate                         // 4: must not be given to C_GenerateKey(Pair)
	hidden                             // 7: not revealed if sensitive or not extractable
	modifiable                         // 8: C_SetAttributeValue / C_CopyObject may change it
	soOnlyTrue                         // 10: only the SO may set it to true
	stickyTrue                         // 11: once true it cannot change
	stickyFalse                        // 12: once false it cannot change
	copyChange                         // may be changed by C_CopyObject's template (CKA_TOKEN, CKA_PRIVATE)
	secret                             // key material: sealed at rest even in public objects
	owned                              // set by the token only (2,4,6 for token-assigned values)
)

// valueKind says how an attribute value must be shaped.
type valueKind uint8

const (
	kindBytes valueKind = iota
	kindBool
	kindULong
	kindDate     // CK_DATE: 8 ASCII digits, or empty
	kindTemplate // a nested template in ck.EncodeTemplate form
)

type attrRule struct {
	kind  valueKind
	flags ruleFlags
	def   []byte // default value (nil: no default, the attribute is absent)
}

// ruleSet is the set of attributes valid for one class / key type.
type ruleSet map[ck.AttributeType]attrRule

var (
	bFalse = ck.BoolBytes(false)
	bTrue  = ck.BoolBytes(true)
	empty  = []byte{}
)

func ulong(v ck.ULong) []byte { return ck.ULongBytes(v) }

// merge builds a rule set from parts; later parts override earlier ones.
func merge(parts ...ruleSet) ruleSet {
	out := ruleSet{}
	for _, p := range parts {
		for t, r := range p {
			out[t] = r
		}
	}
	return out
}

// Section 4.4/4.5: every object and every storage object.
var storageRules = ruleSet{
	ck.CKA_CLASS:       {kindULong, mustCreate, nil},
	ck.CKA_TOKEN:       {kindBool, copyChange, bFalse},
	ck.CKA_PRIVATE:     {kindBool, copyChange, nil}, // default depends on class: privateDefault
	ck.CKA_MODIFIABLE:  {kindBool, copyChange, bTrue},
	ck.CKA_LABEL:       {kindBytes, modifiable, empty},
	ck.CKA_COPYABLE:    {kindBool, stickyFalse | modifiable, bTrue},
	ck.CKA_DESTROYABLE: {kindBool, modifiable, bTrue},
	ck.CKA_UNIQUE_ID:   {kindBytes, owned, nil},
	// kagi: the application owning the object, set by the token (owner.go).
	ck.CKA_KAGI_OWNER: {kindBytes, owned, nil},
}

// Section 4.5: data objects.
var dataRules = merge(storageRules, ruleSet{
	ck.CKA_APPLICATION: {kindBytes, modifiable, empty},
	ck.CKA_OBJECT_ID:   {kindBytes, modifiable, empty},
	ck.CKA_VALUE:       {kindBytes, modifiable, empty},
})

// Section 4.6/4.6.3: X.509 public key certificates.
var x509Rules = merge(storageRules, ruleSet{
	ck.CKA_CERTIFICATE_TYPE:           {kindULong, mustCreate, nil},
	ck.CKA_TRUSTED:                    {kindBool, soOnlyTrue, bFalse},
	ck.CKA_CERTIFICATE_CATEGORY:       {kindULong, 0, ulong(0)},
	ck.CKA_CHECK_VALUE:                {kindBytes, 0, nil},
	ck.CKA_START_DATE:                 {kindDate, modifiable, empty},
	ck.CKA_END_DATE:                   {kindDate, modifiable, empty},
	ck.CKA_PUBLIC_KEY_INFO:            {kindBytes, 0, empty},
	ck.CKA_SUBJECT:                    {kindBytes, mustCreate, nil},
	ck.CKA_ID:                         {kindBytes, modifiable, empty},
	ck.CKA_ISSUER:                     {kindBytes, modifiable, empty},
	ck.CKA_SERIAL_NUMBER:              {kindBytes, modifiable, empty},
	ck.CKA_VALUE:                      {kindBytes, mustCreate, nil},
	ck.CKA_URL:                        {kindBytes, 0, empty},
	ck.CKA_HASH_OF_SUBJECT_PUBLIC_KEY: {kindBytes, 0, empty},
	ck.CKA_HASH_OF_ISSUER_PUBLIC_KEY:  {kindBytes, 0, empty},
	ck.CKA_JAVA_MIDP_SECURITY_DOMAIN:  {kindULong, 0, ulong(0)},
	ck.CKA_NAME_HASH_ALGORITHM:        {kindULong, 0, ulong(ck.ULong(ck.CKM_SHA_1))},
})

// Section 4.11: domain parameters (CKO_DOMAIN_PARAMETERS), which hold a
// key type and whether the token generated them, and no key material.
var domainRules = merge(storageRules, ruleSet{
	ck.CKA_KEY_TYPE: {kindULong, mustCreate, nil},
	ck.CKA_LOCAL:    {kindBool, owned, bFalse},
})

// Section 4.7: every key.
var keyRules = merge(storageRules, ruleSet{
	ck.CKA_KEY_TYPE:          {kindULong, mustCreate, nil},
	ck.CKA_ID:                {kindBytes, modifiable, empty},
	ck.CKA_START_DATE:        {kindDate, modifiable, empty},
	ck.CKA_END_DATE:          {kindDate, modifiable, empty},
	ck.CKA_DERIVE:            {kindBool, modifiable, bFalse},
	ck.CKA_LOCAL:             {kindBool, owned, bFalse},
	ck.CKA_KEY_GEN_MECHANISM: {kindULong, owned, ulong(ck.CK_UNAVAILABLE_INFORMATION)},
	ck.CKA_DERIVE_TEMPLATE:   {kindTemplate, 0, empty},
})

// Section 4.8: public keys.
var publicKeyRules = merge(keyRules, ruleSet{
	ck.CKA_SUBJECT:         {kindBytes, modifiable, empty},
	ck.CKA_ENCRYPT:         {kindBool, modifiable, bTrue},
	ck.CKA_VERIFY:          {kindBool, modifiable, bTrue},
	ck.CKA_VERIFY_RECOVER:  {kindBool, modifiable, bTrue},
	ck.CKA_WRAP:            {kindBool, modifiable, bTrue},
	ck.CKA_TRUSTED:         {kindBool, soOnlyTrue, bFalse},
	ck.CKA_PUBLIC_KEY_INFO: {kindBytes, 0, empty},
	ck.CKA_WRAP_TEMPLATE:   {kindTemplate, 0, empty},
})

// Section 4.9: private keys.
var privateKeyRules = merge(keyRules, ruleSet{
	ck.CKA_SUBJECT:             {kindBytes, modifiable, empty},
	ck.CKA_SENSITIVE:           {kindBool, modifiable | stickyTrue, bFalse},
	ck.CKA_DECRYPT:             {kindBool, modifiable, bTrue},
	ck.CKA_SIGN:                {kindBool, modifiable, bTrue},
	ck.CKA_SIGN_RECOVER:        {kindBool, modifiable, bTrue},
	ck.CKA_UNWRAP:              {kindBool, modifiable, bTrue},
	ck.CKA_EXTRACTABLE:         {kindBool, modifiable | stickyFalse, bFalse},
	ck.CKA_ALWAYS_SENSITIVE:    {kindBool, owned, bFalse},
	ck.CKA_NEVER_EXTRACTABLE:   {kindBool, owned, bFalse},
	ck.CKA_WRAP_WITH_TRUSTED:   {kindBool, modifiable | stickyTrue, bFalse},
	ck.CKA_ALWAYS_AUTHENTICATE: {kindBool, 0, bFalse},
	ck.CKA_PUBLIC_KEY_INFO:     {kindBytes, 0, empty},
	ck.CKA_UNWRAP_TEMPLATE:     {kindTemplate, 0, empty},
})

// Section 4.10: secret keys.
var secretKeyRules = merge(keyRules, ruleSet{
	ck.CKA_SENSITIVE:         {kindBool, modifiable | stickyTrue, bFalse},
	ck.CKA_ENCRYPT:           {kindBool, modifiable, bTrue},
	ck.CKA_DECRYPT:           {kindBool, modifiable, bTrue},
	ck.CKA_SIGN:              {kindBool, modifiable, bTrue},
	ck.CKA_VERIFY:            {kindBool, modifiable, bTrue},
	ck.CKA_WRAP:              {kindBool, modifiable, bTrue},
	ck.CKA_UNWRAP:            {kindBool, modifiable, bTrue},
	ck.CKA_EXTRACTABLE:       {kindBool, modifiable | stickyFalse, bFalse},
	ck.CKA_ALWAYS_SENSITIVE:  {kindBool, owned, bFalse},
	ck.CKA_NEVER_EXTRACTABLE: {kindBool, owned, bFalse},
	ck.CKA_CHECK_VALUE:       {kindBytes, 0, nil},
	ck.CKA_WRAP_WITH_TRUSTED: {kindBool, modifiable | stickyTrue, bFalse},
	ck.CKA_TRUSTED:           {kindBool, soOnlyTrue, bFalse},
	ck.CKA_WRAP_TEMPLATE:     {kindTemplate, 0, empty},
	ck.CKA_UNWRAP_TEMPLATE:   {kindTemplate, 0, empty},
})

// Key-type specific attributes (sections 2.1 RSA, 2.3 EC, 2.3.5 Edwards,
// 2.8 generic secret, 2.9 AES of the PKCS#11 3.0 current mechanisms spec).
var (
	rsaPublicRules = ruleSet{
		ck.CKA_MODULUS:         {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_MODULUS_BITS:    {kindULong, noCreate | mustGenerate, nil},
		ck.CKA_PUBLIC_EXPONENT: {kindBytes, mustCreate, nil},
	}
	rsaPrivateRules = ruleSet{
		ck.CKA_MODULUS:          {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_PUBLIC_EXPONENT:  {kindBytes, noGenerate, nil},
		ck.CKA_PRIVATE_EXPONENT: {kindBytes, mustCreate | noGenerate | hidden | secret, nil},
		ck.CKA_PRIME_1:          {kindBytes, noGenerate | hidden | secret, nil},
		ck.CKA_PRIME_2:          {kindBytes, noGenerate | hidden | secret, nil},
		ck.CKA_EXPONENT_1:       {kindBytes, noGenerate | hidden | secret, nil},
		ck.CKA_EXPONENT_2:       {kindBytes, noGenerate | hidden | secret, nil},
		ck.CKA_COEFFICIENT:      {kindBytes, noGenerate | hidden | secret, nil},
	}
	ecPublicRules = ruleSet{
		ck.CKA_EC_PARAMS: {kindBytes, mustCreate | mustGenerate, nil},
		ck.CKA_EC_POINT:  {kindBytes, mustCreate | noGenerate, nil},
	}
	ecPrivateRules = ruleSet{
		ck.CKA_EC_PARAMS: {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_VALUE:     {kindBytes, mustCreate | noGenerate | hidden | secret, nil},
	}
	secretValueRules = ruleSet{
		ck.CKA_VALUE:     {kindBytes, mustCreate | noGenerate | hidden | secret, nil},
		ck.CKA_VALUE_LEN: {kindULong, noCreate, nil},
	}
)

// DSA domain parameters and values (section 2.2 of the current mechanisms).
var (
	dsaPublicRules = ruleSet{
		ck.CKA_PRIME:    {kindBytes, mustCreate | mustGenerate, nil},
		ck.CKA_SUBPRIME: {kindBytes, mustCreate | mustGenerate, nil},
		ck.CKA_BASE:     {kindBytes, mustCreate | mustGenerate, nil},
		ck.CKA_VALUE:    {kindBytes, mustCreate | noGenerate, nil},
	}
	dsaPrivateRules = ruleSet{
		ck.CKA_PRIME:    {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_SUBPRIME: {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_BASE:     {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_VALUE:    {kindBytes, mustCreate | noGenerate | hidden | secret, nil},
	}
	// DSA domain parameter objects ("DSA domain parameter objects" of the
	// current mechanisms). CKA_SUBPRIME_BITS is not in that table; PKCS#11 3.0
	// defines it for the FIPS 186-4 parameter generation mechanisms, and
	// CKM_DSA_PARAMETER_GEN takes it too (mech/dsa.go), so the object records
	// it.
	dsaDomainRules = ruleSet{
		ck.CKA_PRIME:         {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_SUBPRIME:      {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_BASE:          {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_PRIME_BITS:    {kindULong, noCreate | mustGenerate, nil},
		ck.CKA_SUBPRIME_BITS: {kindULong, noCreate, nil},
	}
	// DES keys have a fixed length: CKA_VALUE_LEN is not theirs.
	desValueRules = ruleSet{
		ck.CKA_VALUE: {kindBytes, mustCreate | noGenerate | hidden | secret, nil},
	}
)

// PKCS #3 Diffie-Hellman keys and domain parameters (section 2.4). The
// private value's length, CKA_VALUE_BITS, may be asked for at generation
// and is computed otherwise (footnote 2: not given to C_CreateObject).
var (
	dhPublicRules = ruleSet{
		ck.CKA_PRIME: {kindBytes, mustCreate | mustGenerate, nil},
		ck.CKA_BASE:  {kindBytes, mustCreate | mustGenerate, nil},
		ck.CKA_VALUE: {kindBytes, mustCreate | noGenerate, nil},
	}
	dhPrivateRules = ruleSet{
		ck.CKA_PRIME:      {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_BASE:       {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_VALUE:      {kindBytes, mustCreate | noGenerate | hidden | secret, nil},
		ck.CKA_VALUE_BITS: {kindULong, noCreate, nil},
	}
	dhDomainRules = ruleSet{
		ck.CKA_PRIME:      {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_BASE:       {kindBytes, mustCreate | noGenerate, nil},
		ck.CKA_PRIME_BITS: {kindULong, noCreate | mustGenerate, nil},
	}
)

type classKey struct {
	class ck.ObjectClass
	kt    ck.KeyType
}

// rulesByClass is the attribute table for each supported object kind. Key
// and domain parameter classes are keyed by key type; other classes use key
// type 0 (certificates use CKC_X_509 in that slot).
var rulesByClass = map[classKey]ruleSet{
	{ck.CKO_DATA, 0}: dataRules,
	{ck.CKO_CERTIFICATE, ck.KeyType(ck.CKC_X_509)}: x509Rules,
	{ck.CKO_PUBLIC_KEY, ck.CKK_RSA}:                merge(publicKeyRules, rsaPublicRules),
	{ck.CKO_PRIVATE_KEY, ck.CKK_RSA}:               merge(privateKeyRules, rsaPrivateRules),
	{ck.CKO_PUBLIC_KEY, ck.CKK_EC}:                 merge(publicKeyRules, ecPublicRules),
	{ck.CKO_PRIVATE_KEY, ck.CKK_EC}:                merge(privateKeyRules, ecPrivateRules),
	{ck.CKO_PUBLIC_KEY, ck.CKK_EC_EDWARDS}:         merge(publicKeyRules, ecPublicRules),
	{ck.CKO_PRIVATE_KEY, ck.CKK_EC_EDWARDS}:        merge(privateKeyRules, ecPrivateRules),
	{ck.CKO_SECRET_KEY, ck.CKK_AES}:                merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_GENERIC_SECRET}:     merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA_1_HMAC}:         merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA224_HMAC}:        merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA256_HMAC}:        merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA384_HMAC}:        merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA512_HMAC}:        merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA3_224_HMAC}:      merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA3_256_HMAC}:      merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA3_384_HMAC}:      merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_SHA3_512_HMAC}:      merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_MD5_HMAC}:           merge(secretKeyRules, secretValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_DES}:                merge(secretKeyRules, desValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_DES2}:               merge(secretKeyRules, desValueRules),
	{ck.CKO_SECRET_KEY, ck.CKK_DES3}:               merge(secretKeyRules, desValueRules),
	{ck.CKO_PUBLIC_KEY, ck.CKK_DSA}:                merge(publicKeyRules, dsaPublicRules),
	{ck.CKO_PRIVATE_KEY, ck.CKK_DSA}:               merge(privateKeyRules, dsaPrivateRules),
	{ck.CKO_PUBLIC_KEY, ck.CKK_EC_MONTGOMERY}:      merge(publicKeyRules, ecPublicRules),
	{ck.CKO_PRIVATE_KEY, ck.CKK_EC_MONTGOMERY}:     merge(privateKeyRules, ecPrivateRules),
	{ck.CKO_DOMAIN_PARAMETERS, ck.CKK_DSA}:         merge(domainRules, dsaDomainRules),
	{ck.CKO_PUBLIC_KEY, ck.CKK_DH}:                 merge(publicKeyRules, dhPublicRules),
	{ck.CKO_PRIVATE_KEY, ck.CKK_DH}:                merge(privateKeyRules, dhPrivateRules),
	{ck.CKO_DOMAIN_PARAMETERS, ck.CKK_DH}:          merge(domainRules, dhDomainRules),
}

// ruleFill is an attribute a new object's template may lack: it then gets
// the rule's default, or the template is refused if the rule requires it.
type ruleFill struct {
	typ  ck.AttributeType
	rule attrRule
}

// fillsByClass holds, for each rulesByClass entry, its rules with a default
// or a requirement, so that making an object walks those few instead of
// the whole rule map.
var fillsByClass = fillsOf(rulesByClass)

func fillsOf(all map[classKey]ruleSet) map[classKey][]ruleFill {
	out := make(map[classKey][]ruleFill, len(all))
	for key, rules := range all {
		var fills []ruleFill
		for t, r := range rules {
			if r.def != nil || r.flags&(mustCreate|mustGenerate) != 0 {
				fills = append(fills, ruleFill{t, r})
			}
		}
		out[key] = fills
	}
	return out
}

// privateDefault is CKA_PRIVATE's default: as SoftHSMv2, true except for
// certificates and public keys, which are meant to be found before login.
func privateDefault(class ck.ObjectClass) bool {
	return class != ck.CKO_CERTIFICATE && class != ck.CKO_PUBLIC_KEY
}

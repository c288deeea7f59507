package token

import (
	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/token/ck"
)

// generatedType is the key type each generation mechanism makes.
var generatedType = map[ck.MechanismType]ck.KeyType{
	ck.CKM_AES_KEY_GEN:                ck.CKK_AES,
	ck.CKM_GENERIC_SECRET_KEY_GEN:     ck.CKK_GENERIC_SECRET,
	ck.CKM_RSA_PKCS_KEY_PAIR_GEN:      ck.CKK_RSA,
	ck.CKM_EC_KEY_PAIR_GEN:            ck.CKK_EC,
	ck.CKM_EC_EDWARDS_KEY_PAIR_GEN:    ck.CKK_EC_EDWARDS,
	ck.CKM_EC_MONTGOMERY_KEY_PAIR_GEN: ck.CKK_EC_MONTGOMERY,
	ck.CKM_DES_KEY_GEN:                ck.CKK_DES,
	ck.CKM_DES2_KEY_GEN:               ck.CKK_DES2,
	ck.CKM_DES3_KEY_GEN:               ck.CKK_DES3,
	ck.CKM_DSA_KEY_PAIR_GEN:           ck.CKK_DSA,
	ck.CKM_DSA_PARAMETER_GEN:          ck.CKK_DSA,
	ck.CKM_DH_PKCS_KEY_PAIR_GEN:       ck.CKK_DH,
	ck.CKM_DH_PKCS_PARAMETER_GEN:      ck.CKK_DH,
}

// generatedClass is the class C_GenerateKey makes with a mechanism when it
// is not a secret key: the parameter generation mechanisms make domain
// parameters (PKCS#11 3.0 section 5.14, C_GenerateKey "generates a secret
// key or set of domain parameters").
var generatedClass = map[ck.MechanismType]ck.ObjectClass{
	ck.CKM_DSA_PARAMETER_GEN:     ck.CKO_DOMAIN_PARAMETERS,
	ck.CKM_DH_PKCS_PARAMETER_GEN: ck.CKO_DOMAIN_PARAMETERS,
}

// markGenerated sets what the token owns on an object it generated (section
// 4.9/4.10: CKA_LOCAL, CKA_KEY_GEN_MECHANISM, and the "always/never"
// history attributes; domain parameters have CKA_LOCAL only, section 4.11).
func markGenerated(m attrMap, mt ck.MechanismType, class ck.ObjectClass) {
	m[ck.CKA_LOCAL] = bTrue
	if class == ck.CKO_DOMAIN_PARAMETERS {
		return
	}
	m[ck.CKA_KEY_GEN_MECHANISM] = ck.ULongBytes(ck.ULong(mt))
	if class != ck.CKO_PUBLIC_KEY {
		m[ck.CKA_ALWAYS_SENSITIVE] = ck.BoolBytes(m.bool(ck.CKA_SENSITIVE))
		m[ck.CKA_NEVER_EXTRACTABLE] = ck.BoolBytes(!m.bool(ck.CKA_EXTRACTABLE))
	}
}

// keygenSpec checks the mechanism of a generate call.
func (l *Library) keygenSpec(m ck.Mechanism, pair bool) (*mech.Spec, ck.KeyType, error) {
	if l.selfTestErr != nil {
		return nil, 0, ck.CKR_GENERAL_ERROR
	}
	spec, ok := mech.Lookup(m.Type)
	kt, known := generatedType[m.Type]
	if !ok || !known || (pair && spec.GenerateKeyPair == nil) || (!pair && spec.GenerateKey == nil) {
		return nil, 0, ck.CKR_MECHANISM_INVALID
	}
	if m.Param != nil {
		if p, isBytes := m.Param.([]byte); !isBytes || len(p) != 0 {
			return nil, 0, ck.CKR_MECHANISM_PARAM_INVALID
		}
	}
	return spec, kt, nil
}

// GenerateKey is C_GenerateKey: a secret key, or domain parameters with the
// *_PARAMETER_GEN mechanisms (generatedClass).
func (l *Library) GenerateKey(sh ck.SessionHandle, m ck.Mechanism, tmpl []ck.Attribute) (ck.ObjectHandle, error) {
	spec, kt, err := l.keygenSpec(m, false)
	if err != nil {
		return 0, err
	}
	class, ok := generatedClass[m.Type]
	if !ok {
		class = ck.CKO_SECRET_KEY
	}
	s, na, err := l.generateTemplate(sh, tmpl, class, kt)
	if err != nil {
		return 0, err
	}
	// Domain parameter generation takes seconds; like key pair generation
	// it runs without the library lock.
	computed, err := spec.GenerateKey(l.rng, na.attrs)
	if err != nil {
		return 0, err
	}
	if err := na.merge(computed); err != nil {
		return 0, err
	}
	markGenerated(na.attrs, m.Type, class)
	return l.addObject(sh, s, na.attrs)
}

// GenerateKeyPair is C_GenerateKeyPair; both keys are stored in one
// transaction, so a crash leaves both or neither.
func (l *Library) GenerateKeyPair(sh ck.SessionHandle, m ck.Mechanism, pubT, privT []ck.Attribute) (ck.ObjectHandle, ck.ObjectHandle, error) {
	spec, kt, err := l.keygenSpec(m, true)
	if err != nil {
		return 0, 0, err
	}
	s, pub, priv, err := l.pairTemplates(sh, pubT, privT, kt)
	if err != nil {
		return 0, 0, err
	}
	// RSA generation takes long; it runs without the library lock.
	pubC, privC, err := spec.GenerateKeyPair(l.rng, pub.attrs, priv.attrs)
	if err != nil {
		return 0, 0, err
	}
	if err := pub.merge(pubC); err != nil {
		return 0, 0, err
	}
	if err := priv.merge(privC); err != nil {
		return 0, 0, err
	}
	markGenerated(pub.attrs, m.Type, ck.CKO_PUBLIC_KEY)
	markGenerated(priv.attrs, m.Type, ck.CKO_PRIVATE_KEY)

	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.session(sh); err != nil {
		return 0, 0, err
	}
	po, err := l.newObject(s, pub.attrs)
	if err != nil {
		return 0, 0, err
	}
	ko, err := l.newObject(s, priv.attrs)
	if err != nil {
		return 0, 0, err
	}
	if err := l.persistNew(s, po, ko); err != nil {
		return 0, 0, err
	}
	return po.handle, ko.handle, nil
}

// generateTemplate checks the template of a C_GenerateKey and that the
// session may create the object, before the work of generation is spent.
func (l *Library) generateTemplate(sh ck.SessionHandle, tmpl []ck.Attribute, class ck.ObjectClass, kt ck.KeyType) (*session, *newAttrs, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.session(sh)
	if err != nil {
		return nil, nil, err
	}
	na, err := checkTemplate(s.tok, tmpl, opGenerate, class, kt, true)
	if err != nil {
		return nil, nil, err
	}
	if _, err := l.newObject(s, na.attrs); err != nil {
		return nil, nil, err
	}
	return s, na, nil
}

// pairTemplates checks both templates of a key pair generation and that the
// session may create the keys.
func (l *Library) pairTemplates(sh ck.SessionHandle, pubT, privT []ck.Attribute, kt ck.KeyType) (*session, *newAttrs, *newAttrs, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.session(sh)
	if err != nil {
		return nil, nil, nil, err
	}
	pub, err := checkTemplate(s.tok, pubT, opGenerate, ck.CKO_PUBLIC_KEY, kt, true)
	if err != nil {
		return nil, nil, nil, err
	}
	priv, err := checkTemplate(s.tok, privT, opGenerate, ck.CKO_PRIVATE_KEY, kt, true)
	if err != nil {
		return nil, nil, nil, err
	}
	if _, err := l.newObject(s, pub.attrs); err != nil {
		return nil, nil, nil, err
	}
	if _, err := l.newObject(s, priv.attrs); err != nil {
		return nil, nil, nil, err
	}
	return s, pub, priv, nil
}

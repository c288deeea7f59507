package token

import (
	"slices"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/token/ck"
)

// derivedClass is the object class a derivation makes when the template
// names none: a secret key, except for CKM_HKDF_DATA, which makes data.
var derivedClass = map[ck.MechanismType]ck.ObjectClass{ck.CKM_HKDF_DATA: ck.CKO_DATA}

// keepsKeyBits are the derivations whose output holds the bits of the keys
// they take. The spec's rule for each (PKCS#11 3.0 current mechanisms,
// "Miscellaneous simple key derivation mechanisms"; for
// CKM_EXTRACT_KEY_FROM_KEY it reads "must also be sensitive for the
// derivation to succeed", which the forced attribute meets): if any of those keys
// is sensitive, so is the derived key, and if any is not extractable,
// neither is the derived key, whatever the template says. Without it a
// sensitive key could be read back through a derived copy of its bits.
var keepsKeyBits = map[ck.MechanismType]bool{
	ck.CKM_CONCATENATE_BASE_AND_KEY:  true,
	ck.CKM_CONCATENATE_BASE_AND_DATA: true,
	ck.CKM_CONCATENATE_DATA_AND_BASE: true,
	ck.CKM_XOR_BASE_AND_DATA:         true,
	ck.CKM_EXTRACT_KEY_FROM_KEY:      true,
}

// keyProtection gathers, over the keys a derivation reads, whether any is
// sensitive and whether any is not extractable.
type keyProtection struct {
	sensitive, unextractable bool
}

func (p *keyProtection) add(a attrMap) {
	p.sensitive = p.sensitive || a.bool(ck.CKA_SENSITIVE)
	p.unextractable = p.unextractable || !a.bool(ck.CKA_EXTRACTABLE)
}

// DeriveKey is C_DeriveKey (PKCS#11 3.0 section 5.18). The new key's
// history attributes follow section 4.10: CKA_ALWAYS_SENSITIVE only if the
// base key was always sensitive and the new one is sensitive, and likewise
// for CKA_NEVER_EXTRACTABLE; CKA_LOCAL is false.
func (l *Library) DeriveKey(sh ck.SessionHandle, m ck.Mechanism, baseKey ck.ObjectHandle, tmpl []ck.Attribute) (ck.ObjectHandle, error) {
	if l.selfTestErr != nil {
		return 0, ck.CKR_GENERAL_ERROR
	}
	var prot keyProtection
	s, spec, base, baseAttrs, na, other, err := l.deriveSetup(sh, m, baseKey, tmpl, &prot)
	if err != nil {
		return 0, err
	}
	prot.add(baseAttrs)
	// The key length: CKA_VALUE_LEN, or the one the key type fixes (a DES
	// key from an ECDH secret takes 8, 16 or 24 of its bytes, as in
	// SoftHSMv2), or 0, all the mechanism yields.
	keyLen := 0
	if v, ok := na.attrs.ulong(ck.CKA_VALUE_LEN); ok {
		keyLen = int(v)
	} else if n, fixed := mech.FixedKeyLen(na.keyType); fixed && na.class == ck.CKO_SECRET_KEY {
		keyLen = n
	}
	bk, err := base.mechKey()
	if err != nil {
		return 0, err
	}
	// The derivation itself (an ECDH, say) runs without the library lock.
	value, err := spec.Derive(bk, m.Param, keyLen, other)
	if err != nil {
		return 0, err
	}
	defer clear(value)
	var computed []ck.Attribute
	class := na.class
	if class == ck.CKO_DATA {
		computed = []ck.Attribute{{Type: ck.CKA_VALUE, Value: slices.Clone(value)}}
	} else {
		if computed, err = mech.UnwrapAttrs(class, na.keyType, value); err != nil {
			// The derived bytes do not make a key of the asked type.
			return 0, ck.CKR_TEMPLATE_INCONSISTENT
		}
		if keepsKeyBits[m.Type] {
			if prot.sensitive {
				na.attrs[ck.CKA_SENSITIVE] = ck.BoolBytes(true)
			}
			if prot.unextractable {
				na.attrs[ck.CKA_EXTRACTABLE] = ck.BoolBytes(false)
			}
		}
		na.attrs[ck.CKA_ALWAYS_SENSITIVE] = ck.BoolBytes(baseAttrs.bool(ck.CKA_ALWAYS_SENSITIVE) && na.attrs.bool(ck.CKA_SENSITIVE))
		na.attrs[ck.CKA_NEVER_EXTRACTABLE] = ck.BoolBytes(baseAttrs.bool(ck.CKA_NEVER_EXTRACTABLE) && !na.attrs.bool(ck.CKA_EXTRACTABLE))
	}
	if err := na.merge(computed); err != nil {
		return 0, err
	}
	return l.addObject(sh, s, na.attrs)
}

// deriveSetup checks a C_DeriveKey call under the library's read lock: the
// session, the mechanism, the base key and the template. other resolves a
// second key named in the parameter, taking the read lock itself, and adds
// its protection to prot.
func (l *Library) deriveSetup(sh ck.SessionHandle, m ck.Mechanism, baseKey ck.ObjectHandle, tmpl []ck.Attribute, prot *keyProtection) (
	*session, *mech.Spec, *object, attrMap, *newAttrs, func(ck.ObjectHandle) (*mech.Key, error), error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.session(sh)
	if err != nil {
		return nil, nil, nil, nil, nil, nil, err
	}
	spec, ok := mech.Lookup(m.Type)
	if !ok || spec.Derive == nil {
		return nil, nil, nil, nil, nil, nil, ck.CKR_MECHANISM_INVALID
	}
	base, err := l.visible(s, baseKey, ck.CKR_KEY_HANDLE_INVALID)
	if err != nil {
		return nil, nil, nil, nil, nil, nil, err
	}
	// Only secret and private keys derive: a public key or domain
	// parameters of the mechanism's key type are not a base key.
	if !slices.Contains(spec.KeyTypes, base.keyType) || (base.class != ck.CKO_SECRET_KEY && base.class != ck.CKO_PRIVATE_KEY) {
		return nil, nil, nil, nil, nil, nil, ck.CKR_KEY_TYPE_INCONSISTENT
	}
	if !base.attrs.bool(ck.CKA_DERIVE) {
		return nil, nil, nil, nil, nil, nil, ck.CKR_KEY_FUNCTION_NOT_PERMITTED
	}
	class, ok := derivedClass[m.Type]
	if !ok {
		class = ck.CKO_SECRET_KEY
	}
	// The base key's CKA_DERIVE_TEMPLATE joins the caller's template.
	full := append(slices.Clip(tmpl), nested(base.attrs, ck.CKA_DERIVE_TEMPLATE)...)
	full = withDefault(full, ck.CKA_CLASS, ck.ULong(class))
	if class == ck.CKO_SECRET_KEY {
		full = withDefault(full, ck.CKA_KEY_TYPE, ck.ULong(ck.CKK_GENERIC_SECRET))
	}
	na, err := checkTemplate(s.tok, full, opSupplied, 0, 0, false)
	if err != nil {
		return nil, nil, nil, nil, nil, nil, err
	}
	if na.class != class {
		return nil, nil, nil, nil, nil, nil, ck.CKR_TEMPLATE_INCONSISTENT
	}
	if _, err := l.newObject(s, na.attrs); err != nil {
		return nil, nil, nil, nil, nil, nil, err
	}
	other := func(h ck.ObjectHandle) (*mech.Key, error) {
		l.mu.RLock()
		o, err := l.visible(s, h, ck.CKR_KEY_HANDLE_INVALID)
		if err == nil && (o.class != ck.CKO_SECRET_KEY || !o.attrs.bool(ck.CKA_DERIVE)) {
			err = ck.CKR_KEY_FUNCTION_NOT_PERMITTED
		}
		if err == nil {
			prot.add(o.attrs)
		}
		l.mu.RUnlock()
		if err != nil {
			return nil, err
		}
		return o.mechKey()
	}
	return s, spec, base, base.attrs, na, other, nil
}

// withDefault adds an attribute to a template that does not give it.
func withDefault(tmpl []ck.Attribute, t ck.AttributeType, v ck.ULong) []ck.Attribute {
	for _, a := range tmpl {
		if a.Type == t {
			return tmpl
		}
	}
	return append(slices.Clip(tmpl), ck.Attribute{Type: t, Value: ck.ULongBytes(v)})
}

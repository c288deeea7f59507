package token

import (
	"bytes"

	"github.com/kagi-hsm/kagi/token/ck"
)

// tmplOp is the function a template is given to; the footnote rules differ.
type tmplOp uint8

const (
	opCreate tmplOp = iota
	opGenerate
	opSupplied // unwrap and derive: the key material comes from the mechanism
)

// newAttrs is a validated template for a new object: the attribute map with
// defaults filled in, its rules, and the attributes the caller supplied that
// only the token may compute (checked against the computed values later).
type newAttrs struct {
	attrs    attrMap
	rules    ruleSet
	deferred []ck.AttributeType
	class    ck.ObjectClass
	keyType  ck.KeyType
}

// templateMap turns a template into a map; the same attribute twice with
// different values is inconsistent (section 5.7 C_CreateObject).
func templateMap(tmpl []ck.Attribute) (attrMap, error) {
	m := make(attrMap, len(tmpl)+24)
	for _, a := range tmpl {
		if old, ok := m[a.Type]; ok && !bytes.Equal(old, a.Value) {
			return nil, ck.CKR_TEMPLATE_INCONSISTENT
		}
		m[a.Type] = a.Value
	}
	return m, nil
}

// impliedULong sets an attribute the function implies (the class and key
// type of a generated key) or checks that the template agrees with it.
func impliedULong(m attrMap, t ck.AttributeType, v ck.ULong) error {
	if got, ok := m[t]; ok {
		g, ok := ck.BytesULong(got)
		if !ok {
			return ck.CKR_ATTRIBUTE_VALUE_INVALID
		}
		if g != v {
			return ck.CKR_TEMPLATE_INCONSISTENT
		}
		return nil
	}
	m[t] = ck.ULongBytes(v)
	return nil
}

// checkTemplate validates a template for a new object of the given class
// (0 means the template must say) under the rules of section 4.
func checkTemplate(tok *tokenState, tmpl []ck.Attribute, op tmplOp, class ck.ObjectClass, kt ck.KeyType, hasClass bool) (*newAttrs, error) {
	m, err := templateMap(tmpl)
	if err != nil {
		return nil, err
	}
	if hasClass {
		if err := impliedULong(m, ck.CKA_CLASS, ck.ULong(class)); err != nil {
			return nil, err
		}
		if err := impliedULong(m, ck.CKA_KEY_TYPE, ck.ULong(kt)); err != nil {
			return nil, err
		}
	}
	rawClass, ok := m[ck.CKA_CLASS]
	if !ok {
		return nil, ck.CKR_TEMPLATE_INCOMPLETE
	}
	c, ok := ck.BytesULong(rawClass)
	if !ok {
		return nil, ck.CKR_ATTRIBUTE_VALUE_INVALID
	}
	class = ck.ObjectClass(c)
	switch class {
	case ck.CKO_PUBLIC_KEY, ck.CKO_PRIVATE_KEY, ck.CKO_SECRET_KEY, ck.CKO_DOMAIN_PARAMETERS:
		raw, ok := m[ck.CKA_KEY_TYPE]
		if !ok {
			return nil, ck.CKR_TEMPLATE_INCOMPLETE
		}
		k, ok := ck.BytesULong(raw)
		if !ok {
			return nil, ck.CKR_ATTRIBUTE_VALUE_INVALID
		}
		kt = ck.KeyType(k)
	case ck.CKO_CERTIFICATE:
		raw, ok := m[ck.CKA_CERTIFICATE_TYPE]
		if !ok {
			return nil, ck.CKR_TEMPLATE_INCOMPLETE
		}
		if _, ok := ck.BytesULong(raw); !ok {
			return nil, ck.CKR_ATTRIBUTE_VALUE_INVALID
		}
	}
	key := classKeyOf(class, m)
	rules := rulesByClass[key]
	if rules == nil {
		return nil, ck.CKR_ATTRIBUTE_VALUE_INVALID
	}
	na := &newAttrs{attrs: m, rules: rules, class: class, keyType: kt}
	for typ, v := range m {
		r, ok := rules[typ]
		if !ok {
			return nil, ck.CKR_ATTRIBUTE_TYPE_INVALID
		}
		if err := checkKind(r.kind, v); err != nil {
			return nil, err
		}
		switch {
		case r.flags&owned != 0:
			return nil, ck.CKR_ATTRIBUTE_READ_ONLY
		case op == opCreate && r.flags&noCreate != 0:
			// Footnote 2: values only the token computes (CKA_VALUE_LEN,
			// CKA_MODULUS_BITS) are not the caller's to give.
			return nil, ck.CKR_ATTRIBUTE_READ_ONLY
		case op != opCreate && r.flags&noGenerate != 0:
			// Clients echo parts of a key into generation templates (the
			// public exponent in the private template); accept them when
			// they agree with what is generated.
			na.deferred = append(na.deferred, typ)
		}
		if r.flags&soOnlyTrue != 0 && m.bool(typ) && tok.login != ck.CKU_SO {
			return nil, ck.CKR_ATTRIBUTE_READ_ONLY
		}
	}
	var must ruleFlags
	switch op {
	case opCreate:
		must = mustCreate
	case opGenerate:
		must = mustGenerate
	}
	for _, f := range fillsByClass[key] {
		if _, ok := m[f.typ]; ok {
			continue
		}
		if f.rule.flags&must != 0 {
			return nil, ck.CKR_TEMPLATE_INCOMPLETE
		}
		if f.rule.def != nil {
			m[f.typ] = f.rule.def
		}
	}
	if _, ok := m[ck.CKA_PRIVATE]; !ok {
		m[ck.CKA_PRIVATE] = ck.BoolBytes(privateDefault(class))
	}
	return na, nil
}

// merge adds the attributes the token computed. A value the template gave
// for one of them must agree; a template value for an attribute only the
// token computes that it did not compute is inconsistent.
func (na *newAttrs) merge(computed []ck.Attribute) error {
	fromTemplate := map[ck.AttributeType]bool{}
	for _, t := range na.deferred {
		fromTemplate[t] = true
	}
	for _, a := range computed {
		if old, ok := na.attrs[a.Type]; ok && fromTemplate[a.Type] && !bytes.Equal(old, a.Value) {
			return ck.CKR_TEMPLATE_INCONSISTENT
		}
		if a.Type == ck.CKA_CHECK_VALUE || a.Type == ck.CKA_PUBLIC_KEY_INFO {
			// Optional in a template (may be empty); a given value must match.
			if old, ok := na.attrs[a.Type]; ok && len(old) != 0 && !bytes.Equal(old, a.Value) {
				return ck.CKR_ATTRIBUTE_VALUE_INVALID
			}
		}
		na.attrs[a.Type] = a.Value
		delete(fromTemplate, a.Type)
	}
	if len(fromTemplate) != 0 {
		return ck.CKR_TEMPLATE_INCONSISTENT
	}
	return nil
}

// checkKind checks a value's shape: CK_BBOOL is one byte, CK_ULONG eight,
// CK_DATE eight ASCII digits or empty.
func checkKind(k valueKind, v []byte) error {
	switch k {
	case kindBool:
		if len(v) != 1 {
			return ck.CKR_ATTRIBUTE_VALUE_INVALID
		}
	case kindULong:
		if _, ok := ck.BytesULong(v); !ok {
			return ck.CKR_ATTRIBUTE_VALUE_INVALID
		}
	case kindTemplate:
		if _, ok := ck.DecodeTemplate(v); !ok {
			return ck.CKR_ATTRIBUTE_VALUE_INVALID
		}
	case kindDate:
		if len(v) != 0 && len(v) != 8 {
			return ck.CKR_ATTRIBUTE_VALUE_INVALID
		}
		for _, c := range v {
			if c < '0' || c > '9' {
				return ck.CKR_ATTRIBUTE_VALUE_INVALID
			}
		}
	}
	return nil
}

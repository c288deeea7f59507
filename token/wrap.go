package token

import (
	"errors"
	"slices"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/token/ck"
)

// Key wrapping (PKCS#11 3.0 sections 5.18 and 4.9-4.10): a key leaves the
// token only encrypted under another key, and only if it is extractable;
// CKA_WRAP_WITH_TRUSTED keys leave only under CKA_TRUSTED wrapping keys.

// wrapRV and unwrapRV rename the cipher's errors to the codes of
// C_WrapKey and C_UnwrapKey.
var (
	wrapRV = map[ck.RV]ck.RV{
		ck.CKR_KEY_TYPE_INCONSISTENT: ck.CKR_WRAPPING_KEY_TYPE_INCONSISTENT,
		ck.CKR_KEY_SIZE_RANGE:        ck.CKR_WRAPPING_KEY_SIZE_RANGE,
	}
	unwrapRV = map[ck.RV]ck.RV{
		ck.CKR_ENCRYPTED_DATA_INVALID:   ck.CKR_WRAPPED_KEY_INVALID,
		ck.CKR_ENCRYPTED_DATA_LEN_RANGE: ck.CKR_WRAPPED_KEY_LEN_RANGE,
		ck.CKR_KEY_TYPE_INCONSISTENT:    ck.CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT,
		ck.CKR_KEY_SIZE_RANGE:           ck.CKR_UNWRAPPING_KEY_SIZE_RANGE,
	}
)

func renameRV(err error, names map[ck.RV]ck.RV) error {
	var rv ck.RV
	if errors.As(err, &rv) {
		if to, ok := names[rv]; ok {
			return to
		}
	}
	return err
}

// wrapKeyObject checks the wrapping (or unwrapping) key and mechanism.
// Caller holds l.mu for reading.
func (l *Library) wrapKeyObject(s *session, m ck.Mechanism, kh ck.ObjectHandle, unwrap bool) (*mech.Spec, *object, error) {
	if l.selfTestErr != nil {
		return nil, nil, ck.CKR_GENERAL_ERROR
	}
	flag, usage, invalid, inconsistent := ck.CKF_WRAP, ck.CKA_WRAP, ck.CKR_WRAPPING_KEY_HANDLE_INVALID, ck.CKR_WRAPPING_KEY_TYPE_INCONSISTENT
	if unwrap {
		flag, usage, invalid, inconsistent = ck.CKF_UNWRAP, ck.CKA_UNWRAP, ck.CKR_UNWRAPPING_KEY_HANDLE_INVALID, ck.CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT
	}
	spec, ok := mech.Lookup(m.Type)
	if !ok || spec.Info.Flags&flag == 0 {
		return nil, nil, ck.CKR_MECHANISM_INVALID
	}
	o, err := l.visible(s, kh, invalid)
	if err != nil {
		return nil, nil, err
	}
	if o.class == ck.CKO_DATA || o.class == ck.CKO_CERTIFICATE || !slices.Contains(spec.KeyTypes, o.keyType) {
		return nil, nil, inconsistent
	}
	if !o.attrs.bool(usage) {
		return nil, nil, ck.CKR_KEY_FUNCTION_NOT_PERMITTED
	}
	return spec, o, nil
}

// WrapKey is C_WrapKey. It keeps no state between a length query and the
// call that follows; the wrapped form is computed only by the call with a
// buffer.
func (l *Library) WrapKey(sh ck.SessionHandle, m ck.Mechanism, wrappingKey, key ck.ObjectHandle, out []byte) (int, error) {
	l.mu.RLock()
	s, err := l.session(sh)
	var spec *mech.Spec
	var wrapper, target *object
	if err == nil {
		spec, wrapper, err = l.wrapKeyObject(s, m, wrappingKey, false)
	}
	if err == nil {
		target, err = l.visible(s, key, ck.CKR_KEY_HANDLE_INVALID)
	}
	l.mu.RUnlock()
	if err != nil {
		return 0, err
	}
	switch {
	case target.class != ck.CKO_SECRET_KEY && target.class != ck.CKO_PRIVATE_KEY:
		return 0, ck.CKR_KEY_NOT_WRAPPABLE
	case !target.attrs.bool(ck.CKA_EXTRACTABLE):
		return 0, ck.CKR_KEY_UNEXTRACTABLE
	case target.attrs.bool(ck.CKA_WRAP_WITH_TRUSTED) && !wrapper.attrs.bool(ck.CKA_TRUSTED):
		return 0, ck.CKR_KEY_NOT_WRAPPABLE
	case !matches(target.attrs, nested(wrapper.attrs, ck.CKA_WRAP_TEMPLATE)):
		// The wrapping key wraps only keys that match its CKA_WRAP_TEMPLATE.
		return 0, ck.CKR_KEY_NOT_WRAPPABLE
	}
	wk, err := wrapper.mechKey()
	if err != nil {
		return 0, err
	}
	tk, err := target.mechKey()
	if err != nil {
		return 0, err
	}
	// What the mechanism encrypts: the key's value, null-padded for the
	// unpadded block modes.
	value, err := spec.WrapInput(tk)
	if err != nil {
		return 0, err
	}
	defer clear(value)
	op, err := spec.Encrypt(wk, m.Param)
	if err != nil {
		return 0, renameRV(err, wrapRV)
	}
	if out == nil {
		// A length query (every miekg/pkcs11 C_WrapKey makes one) is
		// answered from the mechanism's output length without wrapping,
		// which the call with a buffer does; a value the mechanism cannot
		// wrap is refused there.
		return op.OutLen(len(value)), nil
	}
	wrapped, err := op.One(value)
	if err != nil {
		if errors.Is(err, ck.CKR_DATA_LEN_RANGE) {
			// The mechanism cannot wrap a value of this length (AES key
			// wrap without padding needs multiples of 8 bytes).
			return 0, ck.CKR_KEY_SIZE_RANGE
		}
		return 0, renameRV(err, wrapRV)
	}
	n, _, err := deliver(wrapped, out)
	return n, err
}

// UnwrapKey is C_UnwrapKey: the decrypted value becomes a new key object
// described by the template, which must give its class and key type. An
// unwrapped key was never local and has no sensitive past: CKA_LOCAL,
// CKA_ALWAYS_SENSITIVE and CKA_NEVER_EXTRACTABLE are false.
func (l *Library) UnwrapKey(sh ck.SessionHandle, m ck.Mechanism, unwrappingKey ck.ObjectHandle, wrapped []byte, tmpl []ck.Attribute) (ck.ObjectHandle, error) {
	s, spec, unwrapper, na, err := l.unwrapSetup(sh, m, unwrappingKey, tmpl)
	if err != nil {
		return 0, err
	}
	// The decryption (an RSA private key operation, say) runs without the
	// library lock.
	uk, err := unwrapper.mechKey()
	if err != nil {
		return 0, err
	}
	op, err := spec.Decrypt(uk, m.Param)
	if err != nil {
		return 0, renameRV(err, unwrapRV)
	}
	value, err := op.One(wrapped)
	if err != nil {
		return 0, renameRV(err, unwrapRV)
	}
	defer clear(value)
	// The new key's value: truncated by the template for the unpadded
	// block modes, checked against its CKA_VALUE_LEN.
	computed, err := spec.UnwrappedAttrs(na.class, na.keyType, na.attrs, value)
	if err != nil {
		return 0, err
	}
	if err := na.merge(computed); err != nil {
		return 0, err
	}
	return l.addObject(sh, s, na.attrs)
}

// unwrapSetup checks a C_UnwrapKey call under the library's read lock.
func (l *Library) unwrapSetup(sh ck.SessionHandle, m ck.Mechanism, unwrappingKey ck.ObjectHandle, tmpl []ck.Attribute) (*session, *mech.Spec, *object, *newAttrs, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	s, err := l.session(sh)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	spec, unwrapper, err := l.wrapKeyObject(s, m, unwrappingKey, true)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	// The unwrapping key's CKA_UNWRAP_TEMPLATE joins the caller's; a
	// conflicting value is CKR_TEMPLATE_INCONSISTENT.
	tmpl = append(slices.Clip(tmpl), nested(unwrapper.attrs, ck.CKA_UNWRAP_TEMPLATE)...)
	na, err := checkTemplate(s.tok, tmpl, opSupplied, 0, 0, false)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if na.class != ck.CKO_SECRET_KEY && na.class != ck.CKO_PRIVATE_KEY {
		return nil, nil, nil, nil, ck.CKR_TEMPLATE_INCONSISTENT
	}
	if _, err := l.newObject(s, na.attrs); err != nil {
		return nil, nil, nil, nil, err
	}
	return s, spec, unwrapper, na, nil
}

// nested returns the template an array attribute of an object holds.
func nested(m attrMap, t ck.AttributeType) []ck.Attribute {
	tmpl, _ := ck.DecodeTemplate(m[t])
	return tmpl
}

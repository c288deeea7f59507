package kmsbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Policies: the subset of the IAM policy language that AWS KMS key policies
// use. A document is {"Version", "Id", "Statement": [...]}; a statement has
// Sid, Effect (Allow or Deny), Principal (key policies only), Action or
// NotAction, Resource or NotResource, and Condition. Actions and resources
// take the wildcards * and ?; actions match without regard to case, as IAM
// matches them.
//
// Conditions: the operators StringEquals, StringNotEquals,
// StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
// StringNotLike, ArnEquals, ArnNotEquals, ArnLike, ArnNotLike, Bool and Null,
// each with the ForAnyValue: / ForAllValues: set prefixes and the IfExists
// suffix; the keys kms:EncryptionContext:<key>, kms:EncryptionContextKeys,
// kms:CallerAccount, kms:ViaService (never present: nothing here is an AWS
// service), aws:PrincipalArn and aws:PrincipalAccount. A condition on any
// other key finds the key absent, as IAM does with keys a request lacks.

// maxPolicyBytes is AWS's limit on a key policy document.
const maxPolicyBytes = 32768

// policyDoc is a parsed policy.
type policyDoc struct {
	statements []statement
}

type statement struct {
	allow       bool
	principals  []string // nil: no Principal element (identity policies)
	actions     []string
	notAction   bool
	resources   []string
	notResource bool
	conditions  []condition
}

// condition is one operator applied to one key: true when the request's
// values of key satisfy op against values.
type condition struct {
	op       string // the base operator, e.g. "stringequals"
	set      string // "", "foranyvalue" or "forallvalues"
	ifExists bool
	key      string // lower case
	values   []string
}

// stringOrList reads an IAM field that is a string or a list of strings.
func stringOrList(raw json.RawMessage) ([]string, bool) {
	var one string
	if err := json.Unmarshal(raw, &one); err == nil {
		return []string{one}, true
	}
	var many []string
	if err := json.Unmarshal(raw, &many); err == nil && len(many) > 0 {
		return many, true
	}
	return nil, false
}

// condition operators, by lower-case name: whether the request value
// matches a policy value, and whether the operator is a negation (true when
// no value matches, and when the key is absent).
type condOp struct {
	match   func(req, pol string) bool
	negated bool
}

var condOps = map[string]condOp{
	"stringequals":              {func(r, p string) bool { return r == p }, false},
	"stringnotequals":           {func(r, p string) bool { return r == p }, true},
	"stringequalsignorecase":    {strings.EqualFold, false},
	"stringnotequalsignorecase": {strings.EqualFold, true},
	"stringlike":                {globMatch, false},
	"stringnotlike":             {globMatch, true},
	"arnequals":                 {func(r, p string) bool { return r == p }, false},
	"arnnotequals":              {func(r, p string) bool { return r == p }, true},
	"arnlike":                   {globMatch, false},
	"arnnotlike":                {globMatch, true},
	"bool":                      {strings.EqualFold, false},
}

// parsePolicy checks and parses a policy document. keyPolicy says whether
// statements must name a Principal (a key policy's do; an identity
// policy's must not). A document outside the subset is a
// MalformedPolicyDocumentException naming what is wrong.
func parsePolicy(text string, keyPolicy bool) (*policyDoc, error) {
	bad := func(format string, args ...any) (*policyDoc, error) {
		return nil, newError(CodeMalformedPolicy, format, args...)
	}
	if len(text) > maxPolicyBytes || !utf8.ValidString(text) {
		return bad("The policy must be UTF-8 of at most %d bytes.", maxPolicyBytes)
	}
	var doc struct {
		Version   string
		Id        string
		Statement json.RawMessage
	}
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return bad("The policy is not a JSON policy document: %s", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return bad("The policy has text after its JSON document.")
	}
	switch doc.Version {
	case "", "2012-10-17", "2008-10-17":
	default:
		return bad("Policy Version %q is not 2012-10-17.", doc.Version)
	}
	var raws []json.RawMessage
	if s := bytes.TrimSpace(doc.Statement); len(s) > 0 && s[0] == '{' {
		raws = []json.RawMessage{s}
	} else if err := json.Unmarshal(doc.Statement, &raws); err != nil || len(raws) == 0 {
		return bad("The policy needs a Statement.")
	}
	out := &policyDoc{}
	for i, raw := range raws {
		st, err := parseStatement(raw, keyPolicy)
		if err != nil {
			return bad("Statement %d: %s", i+1, err.(*Error).Message)
		}
		out.statements = append(out.statements, st)
	}
	return out, nil
}

func jsonProblem(err error) string {
	if e, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("syntax error at byte %d", e.Offset)
	}
	return err.Error()
}

func parseStatement(raw json.RawMessage, keyPolicy bool) (statement, error) {
	var s struct {
		Sid         string
		Effect      string
		Principal   json.RawMessage
		Action      json.RawMessage
		NotAction   json.RawMessage
		Resource    json.RawMessage
		NotResource json.RawMessage
		Condition   map[string]map[string]json.RawMessage
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return statement{}, newError(CodeMalformedPolicy, "not a statement this KMS understands: %s", jsonProblem(err))
	}
	var st statement
	switch s.Effect {
	case "Allow":
		st.allow = true
	case "Deny":
	default:
		return st, newError(CodeMalformedPolicy, "Effect must be Allow or Deny")
	}
	switch {
	case keyPolicy && s.Principal == nil:
		return st, newError(CodeMalformedPolicy, "a key policy statement needs a Principal")
	case !keyPolicy && s.Principal != nil:
		return st, newError(CodeMalformedPolicy, "an identity policy statement has no Principal")
	case s.Principal != nil:
		ps, err := parsePrincipal(s.Principal)
		if err != nil {
			return st, err
		}
		st.principals = ps
	}
	var ok bool
	switch {
	case (s.Action == nil) == (s.NotAction == nil):
		return st, newError(CodeMalformedPolicy, "give exactly one of Action and NotAction")
	case s.Action != nil:
		st.actions, ok = stringOrList(s.Action)
	default:
		st.actions, ok = stringOrList(s.NotAction)
		st.notAction = true
	}
	if !ok {
		return st, newError(CodeMalformedPolicy, "Action must be a string or a list of strings")
	}
	switch {
	case (s.Resource == nil) == (s.NotResource == nil):
		return st, newError(CodeMalformedPolicy, "give exactly one of Resource and NotResource")
	case s.Resource != nil:
		st.resources, ok = stringOrList(s.Resource)
	default:
		st.resources, ok = stringOrList(s.NotResource)
		st.notResource = true
	}
	if !ok {
		return st, newError(CodeMalformedPolicy, "Resource must be a string or a list of strings")
	}
	for opName, keys := range s.Condition {
		for key, vals := range keys {
			c, err := parseCondition(opName, key, vals)
			if err != nil {
				return st, err
			}
			st.conditions = append(st.conditions, c)
		}
	}
	return st, nil
}

// parsePrincipal reads "*", {"AWS": ...}, {"Service": ...} or
// {"Federated": ...}. A bare 12-digit account in "AWS" means its root.
// Service and federated principals are kept (prefixed) but match nobody
// here: no AWS service or identity provider calls this KMS.
func parsePrincipal(raw json.RawMessage) ([]string, error) {
	if ps, ok := stringOrList(raw); ok && len(ps) == 1 && ps[0] == "*" {
		return []string{"*"}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) == 0 {
		return nil, newError(CodeMalformedPolicy, `Principal must be "*" or an object such as {"AWS": "<ARN>"}`)
	}
	var out []string
	for kind, v := range m {
		ps, ok := stringOrList(v)
		if !ok {
			return nil, newError(CodeMalformedPolicy, "Principal %s must be a string or a list of strings", kind)
		}
		for _, p := range ps {
			switch {
			case kind != "AWS" && kind != "Service" && kind != "Federated" && kind != "CanonicalUser":
				return nil, newError(CodeMalformedPolicy, "Principal type %q is not valid", kind)
			case kind != "AWS":
				out = append(out, kind+":"+p)
			case accountRE.MatchString(p):
				out = append(out, "arn:aws:iam::"+p+":root")
			case p == "*" || strings.HasPrefix(p, "arn:aws:iam::") || strings.HasPrefix(p, "arn:aws:sts::"):
				out = append(out, p)
			default:
				return nil, newError(CodeMalformedPolicy, "Principal %q is not an account, an IAM ARN or \"*\"", p)
			}
		}
	}
	return out, nil
}

func parseCondition(opName, key string, raw json.RawMessage) (condition, error) {
	c := condition{key: strings.ToLower(key)}
	name := strings.ToLower(opName)
	if set, rest, ok := strings.Cut(name, ":"); ok {
		if set != "foranyvalue" && set != "forallvalues" {
			return c, newError(CodeMalformedPolicy, "condition set operator %q is not ForAnyValue or ForAllValues", opName)
		}
		c.set, name = set, rest
	}
	if base, ok := strings.CutSuffix(name, "ifexists"); ok {
		c.ifExists, name = true, base
	}
	if _, ok := condOps[name]; !ok && name != "null" {
		return c, newError(CodeMalformedPolicy, "condition operator %q is not supported", opName)
	}
	c.op = name
	vals, ok := stringOrList(raw)
	if !ok {
		// Bool and Null values may be JSON booleans.
		var bv bool
		if err := json.Unmarshal(raw, &bv); err != nil {
			return c, newError(CodeMalformedPolicy, "condition %s %s needs a string or a list of strings", opName, key)
		}
		vals = []string{boolString(bv)}
	}
	c.values = vals
	return c, nil
}

func boolString(v bool) string {
	if v {
		return "true"
	}
	return "false"
}

// authzRequest is what a statement is matched against.
type authzRequest struct {
	principal string
	account   string // the caller's account
	action    string // "kms:Encrypt"
	resource  string // the key's ARN, or "*" for account-level actions
	ectx      map[string]string
}

// contextValues answers the request's values of a condition key (lower
// case) and whether the request has it.
func (r *authzRequest) contextValues(key string) ([]string, bool) {
	switch key {
	case "kms:calleraccount", "aws:principalaccount":
		return []string{r.account}, true
	case "aws:principalarn":
		return []string{r.principal}, true
	case "kms:encryptioncontextkeys":
		if len(r.ectx) == 0 {
			return nil, false
		}
		keys := make([]string, 0, len(r.ectx))
		for k := range r.ectx {
			keys = append(keys, k)
		}
		return keys, true
	}
	if name, ok := strings.CutPrefix(key, "kms:encryptioncontext:"); ok {
		// The context key in a condition key matches without regard to
		// case (condition key names are case-insensitive); the value does.
		for k, v := range r.ectx {
			if strings.EqualFold(k, name) {
				return []string{v}, true
			}
		}
	}
	return nil, false
}

// holds reports whether the condition holds for r.
func (c *condition) holds(r *authzRequest) bool {
	vals, present := r.contextValues(c.key)
	if c.op == "null" {
		// "true" asks that the key be absent, "false" that it be present.
		for _, v := range c.values {
			if strings.EqualFold(v, "true") != present {
				return true
			}
		}
		return false
	}
	if !present && c.ifExists {
		return true
	}
	op := condOps[c.op]
	matchesAny := func(v string) bool {
		for _, p := range c.values {
			if op.match(v, p) {
				return true
			}
		}
		return false
	}
	// ok reports whether one request value satisfies the operator.
	ok := func(v string) bool { return matchesAny(v) != op.negated }
	switch c.set {
	case "forallvalues":
		for _, v := range vals {
			if !ok(v) {
				return false
			}
		}
		return true
	case "foranyvalue":
		for _, v := range vals {
			if ok(v) {
				return true
			}
		}
		return false
	}
	if !present {
		return op.negated
	}
	if op.negated {
		for _, v := range vals {
			if matchesAny(v) {
				return false
			}
		}
		return true
	}
	for _, v := range vals {
		if matchesAny(v) {
			return true
		}
	}
	return false
}

// applies reports whether the statement covers r's action, resource and
// conditions (its principal is matched by the caller).
func (s *statement) applies(r *authzRequest) bool {
	matched := false
	for _, a := range s.actions {
		matched = matched || globMatchFold(r.action, a)
	}
	if matched == s.notAction {
		return false
	}
	matched = false
	for _, res := range s.resources {
		matched = matched || globMatch(r.resource, res)
	}
	if matched == s.notResource {
		return false
	}
	for i := range s.conditions {
		if !s.conditions[i].holds(r) {
			return false
		}
	}
	return true
}

// names reports whether the statement's Principal names p.
func (s *statement) names(p string) bool {
	for _, q := range s.principals {
		if q == "*" || q == p {
			return true
		}
	}
	return false
}

// verdict is what one policy says of one request.
type verdict struct {
	denied   bool // an applicable Deny names the caller or its account
	allowed  bool // an applicable Allow names the caller itself
	delegate bool // an applicable Allow names the caller's account root
}

// evaluate matches a key policy against r. root is the root principal of
// the caller's account: a statement naming it covers every principal of
// the account — a Deny denies them all, an Allow delegates to their
// identity policies, as in AWS.
func (d *policyDoc) evaluate(r *authzRequest, root string) verdict {
	var v verdict
	for i := range d.statements {
		s := &d.statements[i]
		direct, account := s.names(r.principal), s.names(root)
		if !direct && !account || !s.applies(r) {
			continue
		}
		switch {
		case !s.allow:
			v.denied = true
		case direct:
			v.allowed = true
		default:
			v.delegate = true
		}
	}
	return v
}

// evaluateIdentity matches an identity policy (no principals) against r.
func (d *policyDoc) evaluateIdentity(r *authzRequest) verdict {
	var v verdict
	for i := range d.statements {
		s := &d.statements[i]
		if !s.applies(r) {
			continue
		}
		if s.allow {
			v.allowed = true
		} else {
			v.denied = true
		}
	}
	return v
}

// globMatch matches s against a pattern where * is any run of characters
// and ? any one character.
func globMatch(s, pattern string) bool {
	// Iterative matching with one backtrack point, linear in practice.
	si, pi := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		switch {
		case pi < len(pattern) && (pattern[pi] == '?' || pattern[pi] == s[si]):
			si++
			pi++
		case pi < len(pattern) && pattern[pi] == '*':
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(pattern) && pattern[pi] == '*' {
		pi++
	}
	return pi == len(pattern)
}

// globMatchFold is globMatch without regard to ASCII case.
func globMatchFold(s, pattern string) bool {
	return globMatch(strings.ToLower(s), strings.ToLower(pattern))
}

package kmsbridge

import (
	"strings"
	"testing"
)

// Tests of the policy language subset (policy.go): what parses, what is a
// MalformedPolicyDocumentException, and what each element and condition
// operator means, as IAM defines them.

const (
	bobARN   = "arn:aws:iam::111122223333:user/bob"
	carolARN = "arn:aws:iam::111122223333:role/carol"
	rootARN  = "arn:aws:iam::111122223333:root"
	keyARN1  = "arn:aws:kms:eu-west-1:111122223333:key/11111111-1111-4111-8111-111111111111"
)

// stmtPolicy wraps statements (JSON objects, comma-separated) in a document.
func stmtPolicy(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func mustParsePolicy(t *testing.T, text string, keyPolicy bool) *policyDoc {
	t.Helper()
	d, err := parsePolicy(text, keyPolicy)
	if err != nil {
		t.Fatalf("parsePolicy(%s): %v", text, err)
	}
	return d
}

func TestParsePolicyMalformed(t *testing.T) {
	allowAll := `{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`
	for _, c := range []struct {
		name      string
		text      string
		keyPolicy bool
	}{
		{"not JSON", `{"Version":`, true},
		{"empty", ``, true},
		{"a list", `[` + allowAll + `]`, true},
		{"trailing text", stmtPolicy(allowAll) + ` {}`, true},
		{"unknown top-level field", `{"Version":"2012-10-17","Statement":[` + allowAll + `],"Extra":1}`, true},
		{"unknown version", `{"Version":"2020-01-01","Statement":[` + allowAll + `]}`, true},
		{"no Statement", `{"Version":"2012-10-17"}`, true},
		{"empty Statement", `{"Version":"2012-10-17","Statement":[]}`, true},
		{"Statement a string", `{"Version":"2012-10-17","Statement":"x"}`, true},
		{"Effect lower case", stmtPolicy(`{"Effect":"allow","Principal":"*","Action":"kms:*","Resource":"*"}`), true},
		{"no Effect", stmtPolicy(`{"Principal":"*","Action":"kms:*","Resource":"*"}`), true},
		{"Effect Maybe", stmtPolicy(`{"Effect":"Maybe","Principal":"*","Action":"kms:*","Resource":"*"}`), true},
		{"key policy without Principal", stmtPolicy(`{"Effect":"Allow","Action":"kms:*","Resource":"*"}`), true},
		{"identity policy with Principal", stmtPolicy(allowAll), false},
		{"Action and NotAction", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:Decrypt","Resource":"*"}`), true},
		{"no Action", stmtPolicy(`{"Effect":"Allow","Principal":"*","Resource":"*"}`), true},
		{"Action a number", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":5,"Resource":"*"}`), true},
		{"Action an empty list", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":[],"Resource":"*"}`), true},
		{"Resource and NotResource", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","NotResource":"*"}`), true},
		{"no Resource", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*"}`), true},
		{"unknown statement field", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Colour":"red"}`), true},
		{"Principal a bare ARN", stmtPolicy(`{"Effect":"Allow","Principal":"` + bobARN + `","Action":"kms:*","Resource":"*"}`), true},
		{"Principal an empty object", stmtPolicy(`{"Effect":"Allow","Principal":{},"Action":"kms:*","Resource":"*"}`), true},
		{"Principal type unknown", stmtPolicy(`{"Effect":"Allow","Principal":{"Robot":"r2"},"Action":"kms:*","Resource":"*"}`), true},
		{"Principal AWS not an ARN", stmtPolicy(`{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"kms:*","Resource":"*"}`), true},
		{"Principal AWS short account", stmtPolicy(`{"Effect":"Allow","Principal":{"AWS":"12345"},"Action":"kms:*","Resource":"*"}`), true},
		{"Principal AWS a number", stmtPolicy(`{"Effect":"Allow","Principal":{"AWS":111122223333},"Action":"kms:*","Resource":"*"}`), true},
		{"unknown condition operator", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringSortOf":{"kms:CallerAccount":"1"}}}`), true},
		{"unknown set operator", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"ForSomeValues:StringEquals":{"kms:EncryptionContextKeys":"a"}}}`), true},
		{"condition value a number", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":111122223333}}}`), true},
		{"condition value an object", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":{"a":"b"}}}}`), true},
		{"Condition a string", stmtPolicy(`{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":"always"}`), true},
		{"too large", stmtPolicy(`{"Sid":"` + strings.Repeat("x", maxPolicyBytes) + `","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`), true},
		{"not UTF-8", stmtPolicy(`{"Sid":"` + "\xff\xfe" + `","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}`), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			d, err := parsePolicy(c.text, c.keyPolicy)
			if d != nil {
				t.Fatalf("parsed: %+v", d)
			}
			wantCode(t, err, CodeMalformedPolicy)
		})
	}
}

func TestParsePolicyAccepts(t *testing.T) {
	for _, c := range []struct {
		name      string
		text      string
		keyPolicy bool
	}{
		{"single statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}}`, true},
		{"no Version", `{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}`, true},
		{"old Version and Id", `{"Version":"2008-10-17","Id":"x","Statement":[{"Sid":"a","Effect":"Deny","Principal":{"AWS":"*"},"NotAction":["kms:Decrypt"],"NotResource":"*"}]}`, true},
		{"principal lists", stmtPolicy(`{"Effect":"Allow","Principal":{"AWS":["111122223333","` + bobARN + `","arn:aws:sts::111122223333:assumed-role/r/s"],"Service":"ec2.amazonaws.com"},"Action":"kms:Encrypt","Resource":"*"}`), true},
		{"identity policy", adminPolicy, false},
		{"Bool and Null as JSON booleans", stmtPolicy(`{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"Null":{"kms:EncryptionContextKeys":false}}}`), false},
		{"every operator", stmtPolicy(`{"Effect":"Allow","Action":"kms:*","Resource":"*","Condition":{
			"StringEquals":{"a":"b"},"StringNotEquals":{"a":"b"},"StringEqualsIgnoreCase":{"a":"b"},"StringNotEqualsIgnoreCase":{"a":"b"},
			"StringLike":{"a":"b*"},"StringNotLike":{"a":"b?"},"ArnEquals":{"a":"b"},"ArnNotEquals":{"a":"b"},"ArnLike":{"a":"b"},"ArnNotLike":{"a":"b"},
			"Bool":{"a":"true"},"Null":{"a":"true"},"ForAnyValue:StringEquals":{"a":"b"},"ForAllValues:StringLikeIfExists":{"a":"b"},
			"stringequals":{"c":"d"}}}`), false},
	} {
		t.Run(c.name, func(t *testing.T) { mustParsePolicy(t, c.text, c.keyPolicy) })
	}
}

// bobReq is a Decrypt request by bob on keyARN1 under ectx.
func bobReq(ectx map[string]string) *authzRequest {
	return &authzRequest{principal: bobARN, account: "111122223333", action: "kms:Decrypt", resource: keyARN1, ectx: ectx}
}

// TestPolicyElements: Effect, Action/NotAction (wildcards, case),
// Resource/NotResource, in identity policies.
func TestPolicyElements(t *testing.T) {
	for _, c := range []struct {
		name   string
		stmt   string // one identity-policy statement
		action string
		allow  bool
		deny   bool
	}{
		{"exact action", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`, "kms:Decrypt", true, false},
		{"other action", `{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"}`, "kms:Decrypt", false, false},
		{"action case", `{"Effect":"Allow","Action":"KMS:dEcRyPt","Resource":"*"}`, "kms:Decrypt", true, false},
		{"kms:*", `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`, "kms:Decrypt", true, false},
		{"*", `{"Effect":"Allow","Action":"*","Resource":"*"}`, "kms:Decrypt", true, false},
		{"prefix wildcard", `{"Effect":"Allow","Action":"kms:De*","Resource":"*"}`, "kms:Decrypt", true, false},
		{"prefix wildcard other", `{"Effect":"Allow","Action":"kms:En*","Resource":"*"}`, "kms:Decrypt", false, false},
		{"? wildcard", `{"Effect":"Allow","Action":"kms:Decryp?","Resource":"*"}`, "kms:Decrypt", true, false},
		{"? needs one character", `{"Effect":"Allow","Action":"kms:Decrypt?","Resource":"*"}`, "kms:Decrypt", false, false},
		{"other service", `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, "kms:Decrypt", false, false},
		{"action list", `{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}`, "kms:Decrypt", true, false},
		{"NotAction excludes", `{"Effect":"Allow","NotAction":"kms:Decrypt","Resource":"*"}`, "kms:Decrypt", false, false},
		{"NotAction includes the rest", `{"Effect":"Allow","NotAction":["kms:Encrypt","kms:Sign"],"Resource":"*"}`, "kms:Decrypt", true, false},
		{"NotAction wildcard", `{"Effect":"Allow","NotAction":"kms:Create*","Resource":"*"}`, "kms:CreateGrant", false, false},
		{"resource ARN", `{"Effect":"Allow","Action":"kms:*","Resource":"` + keyARN1 + `"}`, "kms:Decrypt", true, false},
		{"resource other key", `{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:eu-west-1:111122223333:key/22222222-2222-4222-8222-222222222222"}`, "kms:Decrypt", false, false},
		{"resource wildcard", `{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/*"}`, "kms:Decrypt", true, false},
		{"resource other account", `{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:444455556666:key/*"}`, "kms:Decrypt", false, false},
		{"resource is case-sensitive", `{"Effect":"Allow","Action":"kms:*","Resource":"` + strings.ToUpper(keyARN1) + `"}`, "kms:Decrypt", false, false},
		{"NotResource other key", `{"Effect":"Allow","Action":"kms:*","NotResource":"arn:aws:kms:*:*:key/2*"}`, "kms:Decrypt", true, false},
		{"NotResource this key", `{"Effect":"Allow","Action":"kms:*","NotResource":"` + keyARN1 + `"}`, "kms:Decrypt", false, false},
		{"Deny", `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}`, "kms:Decrypt", false, true},
		{"Deny NotAction", `{"Effect":"Deny","NotAction":"kms:Decrypt","Resource":"*"}`, "kms:Encrypt", false, true},
		{"Deny not applicable", `{"Effect":"Deny","Action":"kms:Encrypt","Resource":"*"}`, "kms:Decrypt", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustParsePolicy(t, stmtPolicy(c.stmt), false)
			r := bobReq(nil)
			r.action = c.action
			v := d.evaluateIdentity(r)
			if v.allowed != c.allow || v.denied != c.deny {
				t.Fatalf("verdict %+v, want allowed %v denied %v", v, c.allow, c.deny)
			}
		})
	}
}

// TestPolicyPrincipals: whom a key policy statement names, and what naming
// the account root means (delegation to identity policies).
func TestPolicyPrincipals(t *testing.T) {
	for _, c := range []struct {
		name      string
		principal string // the Principal element
		caller    string
		want      verdict
	}{
		{"star", `"*"`, bobARN, verdict{allowed: true}},
		{"AWS star", `{"AWS":"*"}`, bobARN, verdict{allowed: true}},
		{"caller ARN", `{"AWS":"` + bobARN + `"}`, bobARN, verdict{allowed: true}},
		{"other ARN", `{"AWS":"` + carolARN + `"}`, bobARN, verdict{}},
		{"ARN list", `{"AWS":["` + carolARN + `","` + bobARN + `"]}`, bobARN, verdict{allowed: true}},
		{"account number delegates", `{"AWS":"111122223333"}`, bobARN, verdict{delegate: true}},
		{"account root ARN delegates", `{"AWS":"` + rootARN + `"}`, bobARN, verdict{delegate: true}},
		{"root named, root calls", `{"AWS":"111122223333"}`, rootARN, verdict{allowed: true}},
		{"other account", `{"AWS":"444455556666"}`, bobARN, verdict{}},
		{"service principal", `{"Service":"ec2.amazonaws.com"}`, bobARN, verdict{}},
		{"ARN case matters", `{"AWS":"arn:aws:iam::111122223333:user/Bob"}`, bobARN, verdict{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustParsePolicy(t, stmtPolicy(`{"Effect":"Allow","Principal":`+c.principal+`,"Action":"kms:Decrypt","Resource":"*"}`), true)
			r := bobReq(nil)
			r.principal = c.caller
			if v := d.evaluate(r, rootARN); v != c.want {
				t.Fatalf("verdict %+v, want %+v", v, c.want)
			}
		})
	}
	// A Deny naming the account denies every principal of it.
	d := mustParsePolicy(t, stmtPolicy(
		`{"Effect":"Allow","Principal":{"AWS":"`+bobARN+`"},"Action":"kms:*","Resource":"*"}`,
		`{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"kms:Decrypt","Resource":"*"}`), true)
	if v := d.evaluate(bobReq(nil), rootARN); !v.denied || !v.allowed {
		t.Fatalf("account-wide deny: %+v, want denied (and allowed)", v)
	}
}

// TestPolicyConditions: every operator, set prefix and IfExists on present
// and absent keys, and the KMS condition keys' own rules. Each case is the
// Condition of an identity policy Allow for bob's Decrypt of keyARN1 under
// ectx; want says whether it allows.
func TestPolicyConditions(t *testing.T) {
	ec := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	dept := ec("Department", "IT")
	two := ec("Department", "IT", "Project", "kagi")
	for _, c := range []struct {
		name string
		cond string
		ectx map[string]string
		want bool
	}{
		// kms:EncryptionContext:<key>: the key in the condition key matches
		// without regard to case, the value with StringEquals exactly.
		{"EC equals", `{"StringEquals":{"kms:EncryptionContext:Department":"IT"}}`, dept, true},
		{"EC equals other value", `{"StringEquals":{"kms:EncryptionContext:Department":"HR"}}`, dept, false},
		{"EC value case", `{"StringEquals":{"kms:EncryptionContext:Department":"it"}}`, dept, false},
		{"EC key case", `{"StringEquals":{"kms:encryptioncontext:DEPARTMENT":"IT"}}`, dept, true},
		{"EC value list", `{"StringEquals":{"kms:EncryptionContext:Department":["HR","IT"]}}`, dept, true},
		{"EC absent key", `{"StringEquals":{"kms:EncryptionContext:Project":"kagi"}}`, dept, false},
		{"EC no context", `{"StringEquals":{"kms:EncryptionContext:Department":"IT"}}`, nil, false},
		{"EC ignore case", `{"StringEqualsIgnoreCase":{"kms:EncryptionContext:Department":"it"}}`, dept, true},
		{"EC not equals", `{"StringNotEquals":{"kms:EncryptionContext:Department":"HR"}}`, dept, true},
		{"EC not equals same", `{"StringNotEquals":{"kms:EncryptionContext:Department":"IT"}}`, dept, false},
		{"EC not equals absent", `{"StringNotEquals":{"kms:EncryptionContext:Department":"IT"}}`, nil, true},
		{"EC not equals ignore case", `{"StringNotEqualsIgnoreCase":{"kms:EncryptionContext:Department":"it"}}`, dept, false},
		{"EC like", `{"StringLike":{"kms:EncryptionContext:Department":"I*"}}`, dept, true},
		{"EC like ?", `{"StringLike":{"kms:EncryptionContext:Department":"?T"}}`, dept, true},
		{"EC like no", `{"StringLike":{"kms:EncryptionContext:Department":"H*"}}`, dept, false},
		{"EC like absent", `{"StringLike":{"kms:EncryptionContext:Department":"*"}}`, nil, false},
		{"EC not like", `{"StringNotLike":{"kms:EncryptionContext:Department":"H*"}}`, dept, true},
		{"EC not like matching", `{"StringNotLike":{"kms:EncryptionContext:Department":"I*"}}`, dept, false},
		{"EC IfExists absent", `{"StringEqualsIfExists":{"kms:EncryptionContext:Department":"HR"}}`, nil, true},
		{"EC IfExists present wrong", `{"StringEqualsIfExists":{"kms:EncryptionContext:Department":"HR"}}`, dept, false},
		{"EC IfExists present right", `{"StringEqualsIfExists":{"kms:EncryptionContext:Department":"IT"}}`, dept, true},
		{"EC NotEquals IfExists absent", `{"StringNotEqualsIfExists":{"kms:EncryptionContext:Department":"IT"}}`, nil, true},
		{"operator name case", `{"stringequals":{"KMS:EncryptionContext:Department":"IT"}}`, dept, true},

		// kms:EncryptionContextKeys is multi-valued: the context's keys.
		{"keys any equals", `{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Project"}}`, two, true},
		{"keys any equals none", `{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Owner"}}`, two, false},
		{"keys any equals absent", `{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"Project"}}`, nil, false},
		{"keys any is case-sensitive", `{"ForAnyValue:StringEquals":{"kms:EncryptionContextKeys":"project"}}`, two, false},
		{"keys all equals", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department","Project","Owner"]}}`, two, true},
		{"keys all equals one extra", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department"]}}`, two, false},
		{"keys all equals absent", `{"ForAllValues:StringEquals":{"kms:EncryptionContextKeys":["Department"]}}`, nil, true},
		{"keys all like", `{"ForAllValues:StringLike":{"kms:EncryptionContextKeys":["D*","P*"]}}`, two, true},
		{"keys any not equals", `{"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"Department"}}`, two, true},
		{"keys any not equals only that", `{"ForAnyValue:StringNotEquals":{"kms:EncryptionContextKeys":"Department"}}`, dept, false},
		{"keys all not equals", `{"ForAllValues:StringNotEquals":{"kms:EncryptionContextKeys":"Owner"}}`, two, true},
		{"keys all not equals hit", `{"ForAllValues:StringNotEquals":{"kms:EncryptionContextKeys":"Project"}}`, two, false},

		// Null: true asks for the key to be absent, false present.
		{"null true absent", `{"Null":{"kms:EncryptionContextKeys":"true"}}`, nil, true},
		{"null true present", `{"Null":{"kms:EncryptionContextKeys":"true"}}`, dept, false},
		{"null false present", `{"Null":{"kms:EncryptionContextKeys":"false"}}`, dept, true},
		{"null false absent", `{"Null":{"kms:EncryptionContextKeys":false}}`, nil, false},
		{"null EC key", `{"Null":{"kms:EncryptionContext:Project":"true"}}`, dept, true},
		{"null ViaService", `{"Null":{"kms:ViaService":"true"}}`, dept, true},

		// kms:CallerAccount and the principal keys.
		{"caller account", `{"StringEquals":{"kms:CallerAccount":"111122223333"}}`, nil, true},
		{"caller account other", `{"StringEquals":{"kms:CallerAccount":"444455556666"}}`, nil, false},
		{"caller account not", `{"StringNotEquals":{"kms:CallerAccount":"444455556666"}}`, nil, true},
		{"principal account", `{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`, nil, true},
		{"principal arn equals", `{"ArnEquals":{"aws:PrincipalArn":"` + bobARN + `"}}`, nil, true},
		{"principal arn not equals", `{"ArnNotEquals":{"aws:PrincipalArn":"` + bobARN + `"}}`, nil, false},
		{"principal arn like", `{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}`, nil, true},
		{"principal arn not like", `{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}}`, nil, true},

		// kms:ViaService: no AWS service calls this KMS, so never present.
		{"via service equals", `{"StringEquals":{"kms:ViaService":"ec2.eu-west-1.amazonaws.com"}}`, dept, false},
		{"via service like", `{"StringLike":{"kms:ViaService":"*"}}`, dept, false},
		{"via service not equals", `{"StringNotEquals":{"kms:ViaService":"ec2.eu-west-1.amazonaws.com"}}`, dept, true},
		{"via service IfExists", `{"StringEqualsIfExists":{"kms:ViaService":"ec2.eu-west-1.amazonaws.com"}}`, dept, true},
		{"via service any", `{"ForAnyValue:StringEquals":{"kms:ViaService":"ec2.eu-west-1.amazonaws.com"}}`, dept, false},

		// Bool, on a key the request never has.
		{"bool absent", `{"Bool":{"aws:SecureTransport":"true"}}`, nil, false},
		{"bool IfExists absent", `{"BoolIfExists":{"aws:SecureTransport":"true"}}`, nil, true},
		{"unknown key absent", `{"StringEquals":{"aws:SourceIp":"10.0.0.1"}}`, nil, false},

		// Several conditions: all must hold.
		{"all conditions hold", `{"StringEquals":{"kms:EncryptionContext:Department":"IT","kms:CallerAccount":"111122223333"},"Null":{"kms:EncryptionContext:Project":"false"}}`, two, true},
		{"one condition fails", `{"StringEquals":{"kms:EncryptionContext:Department":"IT","kms:CallerAccount":"111122223333"},"Null":{"kms:EncryptionContext:Project":"false"}}`, dept, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := mustParsePolicy(t, stmtPolicy(`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*","Condition":`+c.cond+`}`), false)
			if v := d.evaluateIdentity(bobReq(c.ectx)); v.allowed != c.want || v.denied {
				t.Fatalf("verdict %+v, want allowed %v", v, c.want)
			}
			// The same condition on a Deny denies exactly when it holds.
			d = mustParsePolicy(t, stmtPolicy(`{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":`+c.cond+`}`), true)
			if v := d.evaluate(bobReq(c.ectx), rootARN); v.denied != c.want || v.allowed {
				t.Fatalf("deny verdict %+v, want denied %v", v, c.want)
			}
		})
	}
}

func TestGlobMatch(t *testing.T) {
	for _, c := range []struct {
		s, p string
		want bool
	}{
		{"", "", true}, {"", "*", true}, {"a", "", false}, {"abc", "a*c", true}, {"abc", "a*b", false},
		{"abcbc", "a*bc", true}, {"ab", "a?", true}, {"a", "a?", false}, {"aXbXc", "*X*X*", true},
		{"abc", "***", true}, {"abc", "ABC", false}, {strings.Repeat("a", 200), strings.Repeat("a*", 50) + "b", false},
	} {
		if got := globMatch(c.s, c.p); got != c.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", c.s, c.p, got, c.want)
		}
	}
	if !globMatchFold("kms:Decrypt", "KMS:DEC*") {
		t.Error("globMatchFold is not case-insensitive")
	}
}

package kmsbridge

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Grants: delegations of some operations on one key to one principal,
// optionally only under an encryption context. Each grant is a private
// data object on the token (CKA_APPLICATION "kagi-kms/grant", CKA_LABEL
// the grant id, CKA_VALUE the grantRecord as JSON), so grants survive
// restarts; the bridge keeps them in memory on their key (kmsKey.grants).
//
// AWS grants are eventually consistent and grant tokens make a new grant
// usable at once; here a grant is in force as soon as CreateGrant returns,
// so a grant token only has to be well formed (and names its grant for
// RetireGrant).
const appGrant = "kagi-kms/grant"

// grantOperations are the operations a grant may allow, with whether a
// grant constraint (an encryption context) may come with them. AWS allows
// constraints with DescribeKey, RetireGrant and CreateGrant but does not
// apply them to those (see takesContext); it refuses them with operations
// of asymmetric and HMAC keys, which take no encryption context.
var grantOperations = map[string]bool{
	"Decrypt": true, "Encrypt": true, "GenerateDataKey": true,
	"GenerateDataKeyWithoutPlaintext": true, "ReEncryptFrom": true, "ReEncryptTo": true,
	"GenerateDataKeyPair": true, "GenerateDataKeyPairWithoutPlaintext": true,
	"CreateGrant": true, "RetireGrant": true, "DescribeKey": true,
	"Sign": false, "Verify": false, "GetPublicKey": false,
	"GenerateMac": false, "VerifyMac": false, "DeriveSharedSecret": false,
}

// takesContext reports whether a grant's constraints apply to op: only the
// operations with an encryption context. For CreateGrant they bound the
// constraints of the grants made through it instead (stricterConstraints).
func takesContext(op string) bool {
	return grantOperations[op] && op != "CreateGrant" && op != "RetireGrant" && op != "DescribeKey"
}

// keyOperations says which grant operations fit a key of each family; the
// rest of a grant's operations are refused at CreateGrant as AWS does.
func keyOperations(rec *keyRecord) []string {
	common := []string{"CreateGrant", "RetireGrant", "DescribeKey"}
	switch {
	case rec.KeySpec == KeySpecSymmetricDefault:
		return append(common, "Encrypt", "Decrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
			"ReEncryptFrom", "ReEncryptTo", "GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext")
	case rec.KeyUsage == KeyUsageEncryptDecrypt:
		return append(common, "Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GetPublicKey")
	case rec.KeyUsage == KeyUsageSignVerify:
		return append(common, "Sign", "Verify", "GetPublicKey")
	case rec.KeyUsage == KeyUsageGenerateVerifyMac:
		return append(common, "GenerateMac", "VerifyMac")
	case rec.KeyUsage == KeyUsageKeyAgreement:
		return append(common, "DeriveSharedSecret", "GetPublicKey")
	}
	return common
}

// GrantConstraints limits a grant to requests with an encryption context.
type GrantConstraints struct {
	EncryptionContextSubset map[string]string `json:",omitempty"`
	EncryptionContextEquals map[string]string `json:",omitempty"`
}

// satisfied reports whether a request's encryption context meets c: every
// pair of EncryptionContextSubset is in it, or it has exactly the pairs of
// EncryptionContextEquals. As in AWS, a constraint's keys match without
// regard to case and its values exactly.
func (c *GrantConstraints) satisfied(ectx map[string]string) bool {
	if c == nil {
		return true
	}
	if c.EncryptionContextEquals != nil {
		return len(ectx) == len(c.EncryptionContextEquals) && containsPairs(ectx, c.EncryptionContextEquals)
	}
	return containsPairs(ectx, c.EncryptionContextSubset)
}

// containsPairs reports whether every pair of want is in have, keys
// compared without regard to case.
func containsPairs(have, want map[string]string) bool {
	for k, v := range want {
		found := false
		for hk, hv := range have {
			if strings.EqualFold(hk, k) && hv == v {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// stricterConstraints reports whether constraints c are as strict as
// parent or stricter, as a grant made through a constrained grant's
// CreateGrant must be: under an Equals parent, the same Equals; under a
// Subset parent, a Subset or an Equals holding the parent's pairs.
func stricterConstraints(c, parent *GrantConstraints) bool {
	switch {
	case parent.empty():
		return true
	case c.empty():
		return false
	case parent.EncryptionContextEquals != nil:
		e := c.EncryptionContextEquals
		return e != nil && len(e) == len(parent.EncryptionContextEquals) && containsPairs(e, parent.EncryptionContextEquals)
	case c.EncryptionContextEquals != nil:
		return containsPairs(c.EncryptionContextEquals, parent.EncryptionContextSubset)
	}
	return containsPairs(c.EncryptionContextSubset, parent.EncryptionContextSubset)
}

func (c *GrantConstraints) empty() bool {
	return c == nil || c.EncryptionContextEquals == nil && c.EncryptionContextSubset == nil
}

// grantRecord is a stored grant; its JSON is also ListGrants' entry.
type grantRecord struct {
	KeyId             string // ARN in ListGrants; the key id in storage
	GrantId           string
	Name              string `json:",omitempty"`
	CreationDate      Timestamp
	GranteePrincipal  string
	RetiringPrincipal string `json:",omitempty"`
	IssuingAccount    string
	Operations        []string
	Constraints       *GrantConstraints `json:",omitempty"`
}

// allows reports whether the grant lets principal do op under ectx.
func (g *grantRecord) allows(principal, op string, ectx map[string]string) bool {
	return g.GranteePrincipal == principal && slices.Contains(g.Operations, op) &&
		(!takesContext(op) || g.Constraints.satisfied(ectx))
}

// Grant tokens: "kagi-grant-1." then base64url of the grant id's 32 bytes
// and 16 random bytes (so two tokens of one grant differ, as AWS's do).
const (
	grantTokenPrefix = "kagi-grant-1."
	maxGrantTokens   = 10
	maxGrantTokenLen = 8192
)

var (
	grantIDRE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	grantNameRE = regexp.MustCompile(`^[a-zA-Z0-9:/_-]{1,256}$`)
)

// grantTokenID returns the grant id a grant token names.
func grantTokenID(tok string) (string, error) {
	bad := newError(CodeInvalidGrantToken, "The grant token is not valid.")
	rest, ok := strings.CutPrefix(tok, grantTokenPrefix)
	if !ok || len(tok) > maxGrantTokenLen {
		return "", bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil || len(raw) != 48 {
		return "", bad
	}
	return hex.EncodeToString(raw[:32]), nil
}

// checkGrantTokens checks a request's GrantTokens: at most ten, each well
// formed.
func checkGrantTokens(toks []string) error {
	if len(toks) > maxGrantTokens {
		return ValidationException("GrantTokens has more than %d members", maxGrantTokens)
	}
	for _, t := range toks {
		if _, err := grantTokenID(t); err != nil {
			return err
		}
	}
	return nil
}

// Request and response shapes (AWS's field names).

type CreateGrantRequest struct {
	KeyId             string
	GranteePrincipal  string
	RetiringPrincipal string            `json:",omitempty"`
	Operations        []string          `json:",omitempty"`
	Constraints       *GrantConstraints `json:",omitempty"`
	GrantTokens       []string          `json:",omitempty"`
	Name              string            `json:",omitempty"`
	DryRun            bool              `json:",omitempty"`
}

type CreateGrantResponse struct {
	GrantId    string
	GrantToken string
}

type ListGrantsRequest struct {
	KeyId            string
	Limit            *int32 `json:",omitempty"`
	Marker           string `json:",omitempty"`
	GrantId          string `json:",omitempty"`
	GranteePrincipal string `json:",omitempty"`
}

type ListGrantsResponse struct {
	Grants     []grantRecord
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

type ListRetirableGrantsRequest struct {
	RetiringPrincipal string
	Limit             *int32 `json:",omitempty"`
	Marker            string `json:",omitempty"`
}

type RetireGrantRequest struct {
	GrantToken string `json:",omitempty"`
	KeyId      string `json:",omitempty"`
	GrantId    string `json:",omitempty"`
	DryRun     bool   `json:",omitempty"`
}

type RevokeGrantRequest struct {
	KeyId   string
	GrantId string
	DryRun  bool `json:",omitempty"`
}

// checkPrincipalARN accepts what AWS accepts as a grantee or retiring
// principal: an IAM or STS ARN, or an AWS service principal.
func checkPrincipalARN(field, p string) error {
	if strings.HasPrefix(p, "arn:aws:iam::") || strings.HasPrefix(p, "arn:aws:sts::") ||
		strings.HasSuffix(p, ".amazonaws.com") && !strings.ContainsAny(p, " :") {
		if len(p) <= 256 {
			return nil
		}
	}
	return ValidationException("%s %q is not a valid principal", field, p)
}

// CreateGrant adds a grant on a key. A principal allowed CreateGrant only by
// a grant may pass on no more than that grant: a subset of its operations,
// under the same constraints.
func (b *Bridge) CreateGrant(ctx context.Context, in *CreateGrantRequest) (out *CreateGrantResponse, err error) {
	ctx, done := b.begin(ctx, "CreateGrant")
	defer func() { done(out, err) }()
	if err := checkPrincipalARN("GranteePrincipal", in.GranteePrincipal); err != nil {
		return nil, err
	}
	if in.RetiringPrincipal != "" {
		if err := checkPrincipalARN("RetiringPrincipal", in.RetiringPrincipal); err != nil {
			return nil, err
		}
	}
	if len(in.Operations) == 0 {
		return nil, ValidationException("Operations must name at least one operation")
	}
	ops := slices.Clone(in.Operations)
	slices.Sort(ops)
	ops = slices.Compact(ops)
	for _, op := range ops {
		ctxOK, known := grantOperations[op]
		if !known {
			return nil, ValidationException("Operation %q is not a grant operation", op)
		}
		if !ctxOK && !in.Constraints.empty() {
			return nil, ValidationException("Grant constraints are not allowed with operation %s, which takes no encryption context", op)
		}
	}
	if in.Constraints != nil && in.Constraints.EncryptionContextEquals != nil && in.Constraints.EncryptionContextSubset != nil {
		return nil, ValidationException("give at most one of EncryptionContextEquals and EncryptionContextSubset")
	}
	if in.Name != "" && !grantNameRE.MatchString(in.Name) {
		return nil, ValidationException("Name must be 1 to 256 of a-z A-Z 0-9 : / _ -")
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	k, err := b.resolve(in.KeyId)
	if err != nil {
		return nil, err
	}
	via, err := b.decide(ctx, k, access{action: "kms:CreateGrant", grantTokens: in.GrantTokens})
	if err != nil {
		return nil, err
	}
	if via != nil {
		for _, op := range ops {
			if !slices.Contains(via.Operations, op) {
				return nil, b.denied(ctx, "kms:CreateGrant", k, "the grant that allows CreateGrant does not allow "+op)
			}
		}
		if !stricterConstraints(in.Constraints, via.Constraints) {
			return nil, b.denied(ctx, "kms:CreateGrant", k, "a grant made through a constrained grant needs constraints as strict as its own")
		}
	}
	if k.rec.KeyState == KeyStatePendingDeletion {
		return nil, KMSInvalidStateException("%s is pending deletion.", b.keyARN(k.id))
	}
	fits := keyOperations(&k.rec)
	for _, op := range ops {
		if !slices.Contains(fits, op) {
			return nil, ValidationException("Operation %s is not valid for %s, a %s %s key", op, b.keyARN(k.id), k.rec.KeySpec, k.rec.KeyUsage)
		}
		if takesContext(op) && !in.Constraints.empty() && k.rec.KeySpec != KeySpecSymmetricDefault {
			return nil, ValidationException("Grant constraints are not allowed with %s on %s, whose operations take no encryption context", op, b.keyARN(k.id))
		}
	}
	if in.DryRun {
		return nil, DryRunOperationException()
	}
	g := grantRecord{
		KeyId:             k.id,
		Name:              in.Name,
		GranteePrincipal:  in.GranteePrincipal,
		RetiringPrincipal: in.RetiringPrincipal,
		IssuingAccount:    b.rootPrincipal(),
		Operations:        ops,
		Constraints:       in.Constraints,
	}
	if in.Constraints.empty() {
		g.Constraints = nil
	}
	// A named grant asked for again with the same parameters is the same
	// grant (AWS's idempotent retry).
	if in.Name != "" {
		for _, old := range k.grants {
			if old.Name == g.Name && old.GranteePrincipal == g.GranteePrincipal &&
				old.RetiringPrincipal == g.RetiringPrincipal && slices.Equal(old.Operations, g.Operations) &&
				constraintsEqual(old.Constraints, g.Constraints) {
				tok, err := b.grantToken(ctx, old.GrantId)
				if err != nil {
					return nil, err
				}
				return &CreateGrantResponse{GrantId: old.GrantId, GrantToken: tok}, nil
			}
		}
	}
	var tok string
	err = b.withSession(ctx, func(sh ck.SessionHandle) error {
		var raw [32]byte
		if err := b.lib.GenerateRandom(sh, raw[:]); err != nil {
			return tokenError("generating a grant id", err)
		}
		g.GrantId = hex.EncodeToString(raw[:])
		g.CreationDate = b.now()
		v, err := json.Marshal(g)
		if err != nil {
			return KMSInternalException("encoding a grant: %v", err)
		}
		if err := b.putData(sh, appGrant, g.GrantId, v); err != nil {
			return err
		}
		tok, err = b.newGrantToken(sh, g.GrantId)
		return err
	})
	if err != nil {
		return nil, err
	}
	if k.grants == nil {
		k.grants = map[string]*grantRecord{}
	}
	k.grants[g.GrantId] = &g
	return &CreateGrantResponse{GrantId: g.GrantId, GrantToken: tok}, nil
}

func constraintsEqual(a, b *GrantConstraints) bool {
	if a.empty() || b.empty() {
		return a.empty() == b.empty()
	}
	return maps.Equal(a.EncryptionContextEquals, b.EncryptionContextEquals) &&
		(a.EncryptionContextEquals == nil) == (b.EncryptionContextEquals == nil) &&
		maps.Equal(a.EncryptionContextSubset, b.EncryptionContextSubset) &&
		(a.EncryptionContextSubset == nil) == (b.EncryptionContextSubset == nil)
}

// grantToken makes a fresh token for a grant on a session of the pool.
func (b *Bridge) grantToken(ctx context.Context, id string) (string, error) {
	var tok string
	err := b.withSession(ctx, func(sh ck.SessionHandle) error {
		var err error
		tok, err = b.newGrantToken(sh, id)
		return err
	})
	return tok, err
}

func (b *Bridge) newGrantToken(sh ck.SessionHandle, id string) (string, error) {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != 32 {
		return "", KMSInternalException("grant id %q is malformed", id)
	}
	var salt [16]byte
	if err := b.lib.GenerateRandom(sh, salt[:]); err != nil {
		return "", tokenError("generating a grant token", err)
	}
	return grantTokenPrefix + base64.RawURLEncoding.EncodeToString(append(raw, salt[:]...)), nil
}

// grantList answers one page of grants in grant id order.
func (b *Bridge) grantList(gs []*grantRecord, limit *int32, marker string) (*ListGrantsResponse, error) {
	n, err := listLimit(limit)
	if err != nil {
		return nil, err
	}
	if marker != "" && !grantIDRE.MatchString(marker) {
		return nil, InvalidMarkerException("Marker %q is not a marker this operation returned", marker)
	}
	byID := map[string]*grantRecord{}
	ids := make([]string, 0, len(gs))
	for _, g := range gs {
		byID[g.GrantId] = g
		ids = append(ids, g.GrantId)
	}
	sort.Strings(ids)
	items, next := page(ids, marker, n)
	out := &ListGrantsResponse{Grants: make([]grantRecord, 0, len(items)), NextMarker: next, Truncated: next != ""}
	for _, id := range items {
		g := *byID[id]
		g.KeyId = b.keyARN(g.KeyId)
		out.Grants = append(out.Grants, g)
	}
	return out, nil
}

// ListGrants lists a key's grants, optionally one grant or one grantee's.
func (b *Bridge) ListGrants(ctx context.Context, in *ListGrantsRequest) (out *ListGrantsResponse, err error) {
	ctx, done := b.begin(ctx, "ListGrants")
	defer func() { done(out, err) }()
	if in.GrantId != "" && !grantIDRE.MatchString(in.GrantId) {
		return nil, newError(CodeInvalidGrantID, "GrantId %q is not a grant id", in.GrantId)
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:ListGrants"})
	if err != nil {
		return nil, err
	}
	var gs []*grantRecord
	for _, g := range k.grants {
		if (in.GrantId == "" || g.GrantId == in.GrantId) && (in.GranteePrincipal == "" || g.GranteePrincipal == in.GranteePrincipal) {
			gs = append(gs, g)
		}
	}
	return b.grantList(gs, in.Limit, in.Marker)
}

// ListRetirableGrants lists the grants, on every key, that a principal may
// retire. It is an account-level action: the caller needs it in its
// identity policy, or to be asking for its own grants.
func (b *Bridge) ListRetirableGrants(ctx context.Context, in *ListRetirableGrantsRequest) (out *ListGrantsResponse, err error) {
	ctx, done := b.begin(ctx, "ListRetirableGrants")
	defer func() { done(out, err) }()
	if err := checkPrincipalARN("RetiringPrincipal", in.RetiringPrincipal); err != nil {
		return nil, err
	}
	if b.principalOf(ctx) != in.RetiringPrincipal {
		if err := b.authoriseAccount(ctx, "kms:ListRetirableGrants"); err != nil {
			return nil, err
		}
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	var gs []*grantRecord
	for _, k := range b.keys {
		for _, g := range k.grants {
			if g.RetiringPrincipal == in.RetiringPrincipal {
				gs = append(gs, g)
			}
		}
	}
	return b.grantList(gs, in.Limit, in.Marker)
}

// findGrant finds the grant a RetireGrant names by token or by key and id.
// Caller holds b.mu.
func (b *Bridge) findGrant(tok, keyID, grantID string) (*kmsKey, *grantRecord, error) {
	switch {
	case tok != "":
		id, err := grantTokenID(tok)
		if err != nil {
			return nil, nil, err
		}
		if grantID != "" && grantID != id {
			return nil, nil, newError(CodeInvalidGrantID, "GrantId does not match the grant token")
		}
		grantID = id
	case keyID == "" || grantID == "":
		return nil, nil, ValidationException("give GrantToken, or KeyId and GrantId")
	}
	if !grantIDRE.MatchString(grantID) {
		return nil, nil, newError(CodeInvalidGrantID, "GrantId %q is not a grant id", grantID)
	}
	if keyID != "" {
		k, err := b.resolve(keyID)
		if err != nil {
			return nil, nil, err
		}
		if g, ok := k.grants[grantID]; ok {
			return k, g, nil
		}
		return nil, nil, NotFoundException("Grant %s does not exist on %s", grantID, b.keyARN(k.id))
	}
	for _, k := range b.keys {
		if g, ok := k.grants[grantID]; ok {
			return k, g, nil
		}
	}
	return nil, nil, NotFoundException("Grant %s does not exist", grantID)
}

// RetireGrant deletes a grant at the request of its retiring principal, of
// its grantee when the grant allows RetireGrant, or of the account root.
// Key policies play no part, as in AWS.
func (b *Bridge) RetireGrant(ctx context.Context, in *RetireGrantRequest) (err error) {
	ctx, done := b.begin(ctx, "RetireGrant")
	defer func() { done(nil, err) }()
	b.mu.Lock()
	defer b.mu.Unlock()
	k, g, err := b.findGrant(in.GrantToken, in.KeyId, in.GrantId)
	if err != nil {
		return err
	}
	if c := callOf(ctx); c != nil {
		c.noteKey(b.keyARN(k.id), nil)
	}
	p := b.principalOf(ctx)
	if p != g.RetiringPrincipal && p != b.rootPrincipal() &&
		!(p == g.GranteePrincipal && slices.Contains(g.Operations, "RetireGrant")) {
		return b.denied(ctx, "kms:RetireGrant", k, "only the grant's retiring principal, its grantee when it allows RetireGrant, or the account may retire it")
	}
	if in.DryRun {
		return DryRunOperationException()
	}
	return b.dropGrantLocked(ctx, k, g.GrantId)
}

// RevokeGrant deletes a grant; the caller needs kms:RevokeGrant on the key.
func (b *Bridge) RevokeGrant(ctx context.Context, in *RevokeGrantRequest) (err error) {
	ctx, done := b.begin(ctx, "RevokeGrant")
	defer func() { done(nil, err) }()
	if !grantIDRE.MatchString(in.GrantId) {
		return newError(CodeInvalidGrantID, "GrantId %q is not a grant id", in.GrantId)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:RevokeGrant"})
	if err != nil {
		return err
	}
	if _, ok := k.grants[in.GrantId]; !ok {
		return NotFoundException("Grant %s does not exist on %s", in.GrantId, b.keyARN(k.id))
	}
	if in.DryRun {
		return DryRunOperationException()
	}
	return b.dropGrantLocked(ctx, k, in.GrantId)
}

// dropGrantLocked deletes a grant's object and forgets it. Caller holds b.mu
// for writing.
func (b *Bridge) dropGrantLocked(ctx context.Context, k *kmsKey, id string) error {
	err := b.withSession(ctx, func(sh ck.SessionHandle) error { return b.deleteData(sh, appGrant, id) })
	if err != nil {
		return err
	}
	delete(k.grants, id)
	return nil
}

// deleteGrantsLocked deletes every grant of a key being destroyed (AWS
// deletes a key's grants with it). Caller holds b.mu for writing.
func (b *Bridge) deleteGrantsLocked(sh ck.SessionHandle, k *kmsKey) error {
	for id := range k.grants {
		if err := b.deleteData(sh, appGrant, id); err != nil {
			return err
		}
		delete(k.grants, id)
	}
	return nil
}

// loadGrants attaches the stored grants to their keys; a grant whose key is
// gone (a crash between destroying a key and its grants) is deleted.
func (b *Bridge) loadGrants(sh ck.SessionHandle) error {
	hs, err := b.findAll(sh, []ck.Attribute{
		ulongAttr(ck.CKA_CLASS, ck.ULong(ck.CKO_DATA)),
		bytesAttr(ck.CKA_APPLICATION, []byte(appGrant)),
	})
	if err != nil {
		return tokenError("finding grants", err)
	}
	for _, h := range hs {
		v, err := b.readValue(sh, h)
		if err != nil {
			return tokenError("reading a grant", err)
		}
		var g grantRecord
		if err := json.Unmarshal(v, &g); err != nil || !grantIDRE.MatchString(g.GrantId) {
			return KMSInternalException("grant object %d is malformed", h)
		}
		k, ok := b.keys[g.KeyId]
		if !ok {
			if err := b.lib.DestroyObject(sh, h); err != nil {
				return tokenError("deleting an orphan grant", err)
			}
			continue
		}
		if k.grants == nil {
			k.grants = map[string]*grantRecord{}
		}
		k.grants[g.GrantId] = &g
	}
	return nil
}

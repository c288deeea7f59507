package token

import (
	"errors"

	"github.com/kagi-hsm/kagi/store"
	"github.com/kagi-hsm/kagi/token/ck"
)

// The audit trail of a token: an append-only, hash-chained list of records
// kept in the token's database (store/audit.go has the chain's encoding).
// It is not a PKCS#11 function: the KMS bridge appends to it and `kagi
// audit` reads it. Records hold no secret, so they are not sealed and
// reading them needs no login; appending needs an initialised token.
//
// A chain belongs to the token's row, not to one initialisation: it
// continues across C_InitToken and outlives DeleteToken.

// AuditRecord is one record of a token's audit trail.
type AuditRecord = store.AuditRecord

// AuditReport is what VerifyAudit found.
type AuditReport = store.AuditReport

// AuditBrokenError names the first record of a broken chain.
type AuditBrokenError = store.AuditBrokenError

// MaxAuditField bounds each text field of an AuditRecord, in bytes.
const MaxAuditField = store.MaxAuditField

// auditToken returns the store id of the slot's token. Records do not
// depend on the token's objects, so the cached table is enough.
func (l *Library) auditToken(slot ck.SlotID, needInit bool) (int64, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	t, err := l.tokenBySlot(slot)
	if err != nil {
		return 0, err
	}
	if needInit && !t.rec.Initialized {
		return 0, ck.CKR_TOKEN_NOT_RECOGNIZED
	}
	return t.rec.ID, nil
}

// AppendAudit appends recs to the audit trail of the slot's token in one
// durable transaction, filling in their Seq, PrevHash and Hash, and returns
// the last sequence number. A record field longer than
// MaxAuditField fails the whole batch with CKR_ARGUMENTS_BAD.
func (l *Library) AppendAudit(slot ck.SlotID, recs []AuditRecord) (int64, error) {
	id, err := l.auditToken(slot, true)
	if err != nil {
		return 0, err
	}
	for i := range recs {
		if tooLong(&recs[i]) {
			return 0, ck.CKR_ARGUMENTS_BAD
		}
	}
	seq, err := l.st.AppendAudit(id, recs)
	if err != nil {
		return 0, l.deviceError("appending to the audit trail", err)
	}
	return seq, nil
}

func tooLong(r *AuditRecord) bool {
	for _, f := range []string{r.Principal, r.AccessKeyID, r.Operation, r.Resource, r.Context,
		r.RequestID, r.Outcome, r.Region, r.Account} {
		if len(f) > store.MaxAuditField {
			return true
		}
	}
	return false
}

// AuditRecords returns up to limit (0: as many as one read gives, 10000)
// records of the slot's token from sequence number from on.
func (l *Library) AuditRecords(slot ck.SlotID, from int64, limit int) ([]AuditRecord, error) {
	id, err := l.auditToken(slot, false)
	if err != nil {
		return nil, err
	}
	recs, err := l.st.AuditRecords(id, from, limit)
	if err != nil {
		return nil, l.deviceError("reading the audit trail", err)
	}
	return recs, nil
}

// AuditHead returns the sequence number and hash of the last record of the
// slot's token (0 and nil when there is none).
func (l *Library) AuditHead(slot ck.SlotID) (int64, []byte, error) {
	id, err := l.auditToken(slot, false)
	if err != nil {
		return 0, nil, err
	}
	seq, hash, err := l.st.AuditHead(id)
	if err != nil {
		return 0, nil, l.deviceError("reading the audit trail", err)
	}
	return seq, hash, nil
}

// VerifyAudit checks the slot's token's whole chain. A broken chain gives
// *AuditBrokenError (errors.As) naming the first bad record; see
// store.SQLite.VerifyAudit for what it can and cannot detect.
func (l *Library) VerifyAudit(slot ck.SlotID) (AuditReport, error) {
	id, err := l.auditToken(slot, false)
	if err != nil {
		return AuditReport{}, err
	}
	rep, err := l.st.VerifyAudit(id)
	var broken *AuditBrokenError
	if err != nil && !errors.As(err, &broken) {
		return rep, l.deviceError("verifying the audit trail", err)
	}
	return rep, err
}

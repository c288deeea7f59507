package kmsbridge

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// The audit trail: every call through the endpoint, allowed or not, becomes
// one record in the token's hash-chained audit table (token.AppendAudit):
// time, principal, operation, key ARN, encryption context, request id and
// outcome. Never a plaintext, ciphertext or key material: nothing of a
// request's body reaches a record but the key and the encryption context,
// which AWS's CloudTrail records carry in the clear too.
//
// Requests do not wait for the database: record hands the record to a
// writer goroutine that appends whatever has gathered at most every
// auditInterval, or as soon as auditBatch records wait, in one transaction
// (one fsync). A record is durable within about auditInterval of its call;
// records still in memory when the process dies are lost. When the writer
// falls behind (a slow or failing disk), record blocks: requests slow down
// rather than go unrecorded.

const (
	// auditInterval is how long a record waits at most for its batch.
	auditInterval = 200 * time.Millisecond
	// auditBatch is how many records make a batch worth writing at once.
	auditBatch = 512
	// auditQueue is how many records may wait for the writer; beyond it
	// record blocks (back pressure).
	auditQueue = 8192
	// auditFinalTries is how often Close tries to write the last records.
	auditFinalTries = 3
)

// auditor is the batch writer of one bridge's records.
type auditor struct {
	lib  *token.Library
	slot ck.SlotID

	queue chan token.AuditRecord
	flush chan chan error // a test's request to write everything now
	quit  chan struct{}   // closed by close: stop blocking senders
	// mu lets close wait for senders already past the closed check.
	mu      sync.RWMutex
	closed  bool
	stopped chan struct{} // closed when the writer has finished

	err error // the writer's last failure; read after stopped
}

func newAuditor(lib *token.Library, slot ck.SlotID) *auditor {
	a := &auditor{
		lib:     lib,
		slot:    slot,
		queue:   make(chan token.AuditRecord, auditQueue),
		flush:   make(chan chan error),
		quit:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	go a.run()
	return a
}

// add queues r, blocking while the queue is full. After close it writes r
// at once: a call that ends while the bridge closes is still recorded.
func (a *auditor) add(r token.AuditRecord) {
	a.mu.RLock()
	if !a.closed {
		select {
		case a.queue <- r:
			a.mu.RUnlock()
			return
		case <-a.quit:
		}
	}
	a.mu.RUnlock()
	a.lib.AppendAudit(a.slot, []token.AuditRecord{r}) //nolint:errcheck // nowhere left to report it
}

// run is the writer goroutine.
func (a *auditor) run() {
	defer close(a.stopped)
	tick := time.NewTicker(auditInterval)
	defer tick.Stop()
	var pending []token.AuditRecord
	in := a.queue
	quit := a.quit
	for {
		select {
		case r, ok := <-in:
			if !ok {
				a.final(pending)
				return
			}
			pending = append(pending, r)
			if len(pending) >= auditBatch {
				pending = a.write(pending)
			}
		case <-tick.C:
			pending = a.write(pending)
		case reply := <-a.flush:
			pending = a.write(a.drain(pending))
			reply <- a.err
		case <-quit:
			// Closing: keep reading until close closes the queue,
			// whatever is pending.
			quit, in = nil, a.queue
			continue
		}
		// Back pressure: while a failing database holds records back, stop
		// taking more, so that the queue fills and callers wait.
		if quit != nil {
			if len(pending) >= auditQueue {
				in = nil
			} else {
				in = a.queue
			}
		}
	}
}

// drain takes what is queued without waiting.
func (a *auditor) drain(pending []token.AuditRecord) []token.AuditRecord {
	for {
		select {
		case r := <-a.queue:
			pending = append(pending, r)
		default:
			return pending
		}
	}
}

// write appends pending in one transaction and returns what is left: none,
// or all of it when the write failed (it is tried again on the next tick).
func (a *auditor) write(pending []token.AuditRecord) []token.AuditRecord {
	if len(pending) == 0 {
		return pending
	}
	if _, err := a.lib.AppendAudit(a.slot, pending); err != nil {
		a.err = err
		return pending
	}
	a.err = nil
	return pending[:0]
}

// final writes the last records, trying a few times.
func (a *auditor) final(pending []token.AuditRecord) {
	for i := 0; i < auditFinalTries && len(pending) > 0; i++ {
		if i > 0 {
			time.Sleep(auditInterval)
		}
		pending = a.write(pending)
	}
	if len(pending) > 0 {
		a.err = fmt.Errorf("kmsbridge: %d audit records could not be written: %w", len(pending), a.err)
	}
}

// sync writes everything queued so far and waits for it (tests).
func (a *auditor) sync() error {
	reply := make(chan error)
	select {
	case a.flush <- reply:
		return <-reply
	case <-a.stopped:
		return a.err
	}
}

// close writes what is queued and stops the writer. Later records are
// written one by one as they come.
func (a *auditor) close() error {
	close(a.quit) // senders blocked on a full queue write directly
	a.mu.Lock()   // waits for senders that got a place in the queue
	a.closed = true
	a.mu.Unlock()
	close(a.queue)
	<-a.stopped
	return a.err
}

// record adds a finished call to the audit trail: who, what, which key,
// under which encryption context, and the outcome (err's AWS code, or ""
// for success). out is the call's result, which names the key a CreateKey
// made. Never a plaintext, ciphertext or key material.
func (b *Bridge) record(c *call, out any, err error) {
	r := token.AuditRecord{
		Time:      c.start,
		Principal: c.principal,
		Operation: c.operation,
		RequestID: c.requestID,
		Region:    b.cfg.Region,
		Account:   b.cfg.Account,
	}
	c.mu.Lock()
	r.Resource = c.keyARN
	ectx := c.ectx
	c.mu.Unlock()
	if r.Resource == "" {
		if created, ok := out.(*CreateKeyResponse); ok && created != nil {
			r.Resource = created.KeyMetadata.Arn
		}
	}
	if len(ectx) > 0 {
		j, jerr := json.Marshal(ectx) // keys sorted: one spelling per context
		if jerr == nil {
			r.Context = string(j)
		}
	}
	if err != nil {
		r.Outcome = ErrorCode(err)
	}
	b.addRecord(r)
}

// RefusedRequest is a request the endpoint refused before it reached an
// operation (bad or missing signature, unknown operation, malformed body),
// as ServerConfig.Refused reports it.
type RefusedRequest struct {
	Time        time.Time
	RequestID   string
	Operation   string // the X-Amz-Target's operation, "" if none or not a name
	AccessKeyID string // from the Authorization header, "" if it had none
	Principal   string // "" unless the signature was good
	ErrorCode   string // the AWS error code answered
}

// RecordRefused adds a refused request to the audit trail; kagi serve sets
// it as ServerConfig.Refused.
func (b *Bridge) RecordRefused(q RefusedRequest) {
	b.addRecord(token.AuditRecord{
		Time:        q.Time,
		Principal:   q.Principal,
		AccessKeyID: q.AccessKeyID,
		Operation:   q.Operation,
		RequestID:   q.RequestID,
		Outcome:     q.ErrorCode,
		Region:      b.cfg.Region,
		Account:     b.cfg.Account,
	})
}

func (b *Bridge) addRecord(r token.AuditRecord) {
	// Fields come from the caller (the principal and access key id are
	// bounded by the configuration, but the operation name and the
	// encryption context are not): clip them so a record always fits.
	for _, f := range []*string{&r.Principal, &r.AccessKeyID, &r.Operation, &r.Resource, &r.Context, &r.RequestID, &r.Outcome} {
		*f = clip(*f, token.MaxAuditField)
	}
	if b.audit == nil {
		return
	}
	b.audit.add(r)
}

// clip cuts s to at most n bytes on a UTF-8 boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SyncAudit writes every record queued so far to the database and returns
// once it is durable (the writer's error if it cannot).
func (b *Bridge) SyncAudit() error {
	if b.audit == nil {
		return errors.New("kmsbridge: no audit trail")
	}
	return b.audit.sync()
}

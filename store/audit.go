package store

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// AuditRecord is one entry of a token's audit trail: who asked for what on
// which resource, and how it ended. It holds no secret (never a plaintext,
// ciphertext or key material), so it is stored in the clear.
//
// The caller fills the fields from Time to Account; AppendAudit assigns Seq,
// PrevHash and Hash.
type AuditRecord struct {
	Seq         int64 // 1, 2, 3, ... per token
	Time        time.Time
	Principal   string // who (an IAM ARN), "" if unknown
	AccessKeyID string // the credential used, "" if unknown
	Operation   string // e.g. "Encrypt"
	Resource    string // e.g. the key ARN, "" if none
	Context     string // e.g. the encryption context as JSON, "" if none
	RequestID   string
	Outcome     string // "" for success, else the error code
	Region      string
	Account     string
	PrevHash    []byte // Hash of record Seq-1; 32 zero bytes for Seq 1
	Hash        []byte // AuditHash of this record
}

// AuditLog is the audit trail part of a Store: per-token, append-only,
// hash-chained lists of AuditRecords.
type AuditLog interface {
	// AppendAudit appends records to a token's chain in one transaction,
	// durable when it returns nil, and returns the sequence number of the
	// last. Their Seq, PrevHash and Hash are assigned here.
	AppendAudit(tokenID int64, recs []AuditRecord) (int64, error)
	// AuditRecords returns up to limit records of a token from sequence
	// number from on, in order.
	AuditRecords(tokenID int64, from int64, limit int) ([]AuditRecord, error)
	// AuditHead returns the sequence number and hash of a token's last
	// record (0 and nil when it has none).
	AuditHead(tokenID int64) (int64, []byte, error)
	// VerifyAudit walks a token's chain; see SQLite.VerifyAudit.
	VerifyAudit(tokenID int64) (AuditReport, error)
}

// auditDomain starts every hashed record, so that a record hash cannot be
// mistaken for any other SHA-256 value kagi computes.
const auditDomain = "kagi audit record v1\x00"

// AuditHash is the hash that chains a token's records:
//
//	SHA-256( "kagi audit record v1" 0x00
//	         || uint64(token id) || uint64(seq) || prev hash (32 bytes)
//	         || int64(time, nanoseconds since the Unix epoch, UTC)
//	         || str(principal) || str(access key id) || str(operation)
//	         || str(resource) || str(context) || str(request id)
//	         || str(outcome) || str(region) || str(account) )
//
// with integers big-endian and str(s) = uint32(len(s)) || the bytes of s.
// Every field has a fixed size or a length prefix, so no two different
// records encode alike; the token id keeps a record from being moved to
// another token's chain, the sequence number and previous hash from being
// moved within one.
func AuditHash(tokenID int64, r *AuditRecord) []byte {
	h := sha256.New()
	var n [8]byte
	h.Write([]byte(auditDomain))
	binary.BigEndian.PutUint64(n[:], uint64(tokenID))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(r.Seq))
	h.Write(n[:])
	prev := make([]byte, sha256.Size)
	copy(prev, r.PrevHash)
	h.Write(prev)
	binary.BigEndian.PutUint64(n[:], uint64(r.Time.UnixNano()))
	h.Write(n[:])
	for _, s := range []string{r.Principal, r.AccessKeyID, r.Operation, r.Resource, r.Context,
		r.RequestID, r.Outcome, r.Region, r.Account} {
		var l [4]byte
		binary.BigEndian.PutUint32(l[:], uint32(len(s)))
		h.Write(l[:])
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

// MaxAuditField bounds each text field of a record, so one odd request
// cannot bloat the trail (and every length fits the hash's uint32 prefix).
const MaxAuditField = 4096

const auditColumns = `token_id, seq, time_ns, principal, access_key_id, operation, resource,
	context, request_id, outcome, region, account, prev_hash, hash`

// AppendAudit appends recs to the token's chain in one write transaction:
// it reads the chain's head, numbers and hashes the records after it,
// inserts them and moves the head. Another process appending to the same
// chain waits for the write lock, so chains never fork. The token need not
// exist any more (a chain outlives its token); the caller checks.
func (s *SQLite) AppendAudit(tokenID int64, recs []AuditRecord) (int64, error) {
	for i := range recs {
		r := &recs[i]
		for _, f := range []string{r.Principal, r.AccessKeyID, r.Operation, r.Resource, r.Context,
			r.RequestID, r.Outcome, r.Region, r.Account} {
			if len(f) > MaxAuditField {
				return 0, fmt.Errorf("store: an audit record field is longer than %d bytes", MaxAuditField)
			}
		}
	}
	if len(recs) == 0 {
		seq, _, err := s.AuditHead(tokenID)
		return seq, err
	}
	var last int64
	err := s.write("appending to the audit trail", func() error {
		seq, prev, err := s.head(tokenID)
		if err != nil {
			return err
		}
		for i := range recs {
			r := &recs[i]
			seq++
			r.Seq, r.PrevHash = seq, prev
			r.Time = r.Time.UTC()
			r.Hash = AuditHash(tokenID, r)
			if _, err := s.st.auditInsert.Exec(tokenID, r.Seq, r.Time.UnixNano(), r.Principal, r.AccessKeyID,
				r.Operation, r.Resource, r.Context, r.RequestID, r.Outcome, r.Region, r.Account, r.PrevHash, r.Hash); err != nil {
				return err
			}
			prev = r.Hash
		}
		last = seq
		_, err = s.st.auditSetHead.Exec(tokenID, seq, prev)
		return err
	})
	if err != nil {
		return 0, err
	}
	return last, nil
}

// head reads a chain's head inside a transaction: (0, 32 zero bytes) for
// an empty chain, the genesis record's previous hash.
func (s *SQLite) head(tokenID int64) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := s.st.auditHead.QueryRow(tokenID).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, make([]byte, sha256.Size), nil
	}
	return seq, hash, err
}

// AuditHead returns the sequence number and hash of the token's last
// record, or 0 and nil for an empty chain.
func (s *SQLite) AuditHead(tokenID int64) (int64, []byte, error) {
	var seq int64
	var hash []byte
	err := s.read("reading the audit trail", func() error {
		var err error
		seq, hash, err = s.head(tokenID)
		return err
	})
	if seq == 0 {
		hash = nil
	}
	return seq, hash, err
}

// AuditRecords returns up to limit (at most 10000) of the token's records
// with sequence numbers from from on, in order, as stored: VerifyAudit says
// whether they are genuine.
func (s *SQLite) AuditRecords(tokenID int64, from int64, limit int) ([]AuditRecord, error) {
	if limit <= 0 || limit > 10000 {
		limit = 10000
	}
	var out []AuditRecord
	err := s.read("reading the audit trail", func() error {
		var err error
		out, err = s.auditPage(tokenID, from, limit)
		return err
	})
	return out, err
}

// auditPage reads records inside a transaction.
func (s *SQLite) auditPage(tokenID, from int64, limit int) ([]AuditRecord, error) {
	rows, err := s.st.auditRange.Query(tokenID, from, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditRecord
	for rows.Next() {
		var r AuditRecord
		var tid, ns int64
		if err := rows.Scan(&tid, &r.Seq, &ns, &r.Principal, &r.AccessKeyID, &r.Operation, &r.Resource,
			&r.Context, &r.RequestID, &r.Outcome, &r.Region, &r.Account, &r.PrevHash, &r.Hash); err != nil {
			return nil, err
		}
		r.Time = time.Unix(0, ns).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// AuditReport is what VerifyAudit found.
type AuditReport struct {
	Records  int64  // records checked (those before the first bad one)
	HeadSeq  int64  // the last genuine record's sequence number
	HeadHash []byte // and its hash: note it elsewhere to detect truncation later
}

// AuditBrokenError says where and how a chain is broken: Seq is the first
// record (or position) that is not what the chain says it must be.
type AuditBrokenError struct {
	Seq    int64
	Reason string
}

func (e *AuditBrokenError) Error() string {
	return fmt.Sprintf("audit record %d: %s", e.Seq, e.Reason)
}

// VerifyAudit walks the token's whole chain in one read transaction and
// checks that the records are numbered 1, 2, 3, ... without a gap, that
// each names its predecessor's hash, that each hash is AuditHash of its own
// fields, and that the last one is the head noted with the chain. So it
// finds a record edited, deleted or moved, and records cut off the end
// unless the head row was moved back too (its trigger refuses that).
//
// What it cannot find: someone able to write the database file (dropping
// the triggers) can rewrite the whole chain, or cut its end and its head
// alike, consistently. Against that, keep HeadSeq and HeadHash somewhere
// else (kagi audit verify prints them) and later check that record HeadSeq
// still has that hash.
//
// A broken chain gives *AuditBrokenError with the report of what came
// before it; other errors are the database's.
func (s *SQLite) VerifyAudit(tokenID int64) (AuditReport, error) {
	var rep AuditReport
	var broken error
	err := s.read("verifying the audit trail", func() error {
		headSeq, headHash, err := s.head(tokenID)
		if err != nil {
			return err
		}
		prev := make([]byte, sha256.Size)
		next := int64(1)
		const page = 1000
		for {
			recs, err := s.auditPage(tokenID, next, page)
			if err != nil {
				return err
			}
			for i := range recs {
				r := &recs[i]
				switch {
				case r.Seq != next:
					broken = &AuditBrokenError{Seq: next, Reason: fmt.Sprintf("missing (the next record is %d)", r.Seq)}
				case !bytes.Equal(r.PrevHash, prev):
					broken = &AuditBrokenError{Seq: r.Seq, Reason: "does not follow its predecessor (previous hash differs): a record was removed, replaced or moved"}
				case !bytes.Equal(r.Hash, AuditHash(tokenID, r)):
					broken = &AuditBrokenError{Seq: r.Seq, Reason: "its fields do not match its hash: the record was edited"}
				}
				if broken != nil {
					return nil
				}
				rep.Records++
				rep.HeadSeq, rep.HeadHash = r.Seq, r.Hash
				prev = r.Hash
				next++
			}
			if len(recs) < page {
				break
			}
		}
		switch {
		case rep.HeadSeq < headSeq:
			broken = &AuditBrokenError{Seq: rep.HeadSeq + 1, Reason: fmt.Sprintf("missing: the chain ends at record %d but its head is record %d (records were cut off the end)", rep.HeadSeq, headSeq)}
		case rep.HeadSeq > headSeq:
			broken = &AuditBrokenError{Seq: headSeq + 1, Reason: fmt.Sprintf("is beyond the chain's head (record %d): the head was moved back or records were added outside kagi", headSeq)}
		case headSeq > 0 && !bytes.Equal(headHash, rep.HeadHash):
			broken = &AuditBrokenError{Seq: headSeq, Reason: "its hash is not the one noted as the chain's head"}
		}
		return nil
	})
	if err != nil {
		return rep, err
	}
	if broken != nil {
		return rep, broken
	}
	return rep, nil
}

package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var bg = context.Background()

func auditRec(i int) AuditRecord {
	return AuditRecord{
		Time:      time.Date(2026, 3, 1, 12, 0, i, 500, time.UTC),
		Principal: "arn:aws:iam::111122223333:user/alice",
		Operation: "Encrypt",
		Resource:  "arn:aws:kms:eu-west-1:111122223333:key/k" + fmt.Sprint(i),
		Context:   `{"n":"` + fmt.Sprint(i) + `"}`,
		RequestID: fmt.Sprintf("req-%d", i),
		Region:    "eu-west-1",
		Account:   "111122223333",
	}
}

// appendN appends n records in batches of three.
func appendN(t *testing.T, s *SQLite, tokenID int64, n int) {
	t.Helper()
	for i := 0; i < n; i += 3 {
		var batch []AuditRecord
		for j := i; j < n && j < i+3; j++ {
			batch = append(batch, auditRec(j))
		}
		if _, err := s.AppendAudit(tokenID, batch); err != nil {
			t.Fatal(err)
		}
	}
}

// referenceHash encodes a record as AuditHash's comment documents it,
// written out separately so that the documented encoding is what is checked.
func referenceHash(tokenID int64, r AuditRecord) []byte {
	var b bytes.Buffer
	b.WriteString("kagi audit record v1\x00")
	binary.Write(&b, binary.BigEndian, uint64(tokenID))
	binary.Write(&b, binary.BigEndian, uint64(r.Seq))
	b.Write(r.PrevHash)
	binary.Write(&b, binary.BigEndian, r.Time.UnixNano())
	for _, f := range []string{r.Principal, r.AccessKeyID, r.Operation, r.Resource, r.Context, r.RequestID, r.Outcome, r.Region, r.Account} {
		binary.Write(&b, binary.BigEndian, uint32(len(f)))
		b.WriteString(f)
	}
	sum := sha256.Sum256(b.Bytes())
	return sum[:]
}

func TestAuditChainLinks(t *testing.T) {
	s, _ := newTestDB(t)
	tok := initToken(t, s, "a")
	if seq, hash, err := s.AuditHead(tok.ID); err != nil || seq != 0 || hash != nil {
		t.Fatalf("empty head: %d %x %v", seq, hash, err)
	}
	rep, err := s.VerifyAudit(tok.ID)
	if err != nil || rep.Records != 0 {
		t.Fatalf("empty chain: %+v %v", rep, err)
	}
	appendN(t, s, tok.ID, 7)
	recs, err := s.AuditRecords(tok.ID, 1, 0)
	if err != nil || len(recs) != 7 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
	prev := make([]byte, 32)
	for i, r := range recs {
		want := auditRec(i)
		if r.Seq != int64(i+1) || !r.Time.Equal(want.Time) || r.RequestID != want.RequestID || r.Context != want.Context || r.Resource != want.Resource {
			t.Fatalf("record %d read back as %+v", i+1, r)
		}
		if !bytes.Equal(r.PrevHash, prev) {
			t.Fatalf("record %d prev hash %x, want %x", r.Seq, r.PrevHash, prev)
		}
		if !bytes.Equal(r.Hash, referenceHash(tok.ID, r)) {
			t.Fatalf("record %d hash is not the documented encoding's", r.Seq)
		}
		prev = r.Hash
	}
	seq, hash, err := s.AuditHead(tok.ID)
	if err != nil || seq != 7 || !bytes.Equal(hash, prev) {
		t.Fatalf("head %d %x %v", seq, hash, err)
	}
	rep, err = s.VerifyAudit(tok.ID)
	if err != nil || rep.Records != 7 || rep.HeadSeq != 7 || !bytes.Equal(rep.HeadHash, prev) {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	// Paging.
	page, err := s.AuditRecords(tok.ID, 3, 2)
	if err != nil || len(page) != 2 || page[0].Seq != 3 || page[1].Seq != 4 {
		t.Fatalf("page: %+v %v", page, err)
	}

	// Chains are per token: another token's starts at 1, and records
	// survive re-initialisation and deletion of their token.
	other := initToken(t, s, "b")
	appendN(t, s, other.ID, 2)
	if seq, _, _ := s.AuditHead(other.ID); seq != 2 {
		t.Fatalf("second token's head %d", seq)
	}
	if err := s.DeleteToken(other.ID); err != nil {
		t.Fatal(err)
	}
	if rep, err := s.VerifyAudit(other.ID); err != nil || rep.Records != 2 {
		t.Fatalf("deleted token's chain: %+v %v", rep, err)
	}
	if rep, err := s.VerifyAudit(tok.ID); err != nil || rep.Records != 7 {
		t.Fatalf("first chain after the second token's deletion: %+v %v", rep, err)
	}
}

func TestAuditAppendOnly(t *testing.T) {
	s, _ := newTestDB(t)
	tok := initToken(t, s, "a")
	appendN(t, s, tok.ID, 3)
	for _, q := range []string{
		`UPDATE audit SET outcome = 'AccessDeniedException' WHERE seq = 2`,
		`DELETE FROM audit WHERE seq = 3`,
		`DELETE FROM audit`,
		`UPDATE audit_heads SET seq = 2`,
		`DELETE FROM audit_heads`,
	} {
		_, err := s.conn.ExecContext(bg, q)
		if err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("%s: %v, want refused by a trigger", q, err)
		}
	}
	if rep, err := s.VerifyAudit(tok.ID); err != nil || rep.Records != 3 {
		t.Fatalf("after refused tampering: %+v %v", rep, err)
	}
	// A field longer than the bound is refused before anything is written.
	long := auditRec(9)
	long.Context = strings.Repeat("x", MaxAuditField+1)
	if _, err := s.AppendAudit(tok.ID, []AuditRecord{auditRec(8), long}); err == nil {
		t.Fatal("over-long field accepted")
	}
	if seq, _, _ := s.AuditHead(tok.ID); seq != 3 {
		t.Fatalf("head moved to %d", seq)
	}
}

// TestAuditVerifyFindsTampering tampers with raw SQL, as someone who can
// write the file would (dropping the triggers first), and expects verify to
// name the first bad record.
func TestAuditVerifyFindsTampering(t *testing.T) {
	cases := []struct {
		name   string
		sql    []string
		badSeq int64
		reason string
	}{
		{"edited outcome", []string{`UPDATE audit SET outcome = 'DisabledException' WHERE seq = 4`}, 4, "edited"},
		{"edited principal", []string{`UPDATE audit SET principal = 'arn:aws:iam::111122223333:root' WHERE seq = 2`}, 2, "edited"},
		{"edited time", []string{`UPDATE audit SET time_ns = time_ns + 1 WHERE seq = 5`}, 5, "edited"},
		{"edited and rehashed", []string{`UPDATE audit SET outcome = 'X', hash = zeroblob(32) WHERE seq = 3`}, 3, "edited"},
		{"deleted middle record", []string{`DELETE FROM audit WHERE seq = 3`}, 3, "missing"},
		{"deleted and renumbered", []string{`DELETE FROM audit WHERE seq = 3`,
			`UPDATE audit SET seq = seq - 1 WHERE seq > 3`,
			`UPDATE audit_heads SET seq = seq - 1`}, 3, "predecessor"},
		{"swapped records", []string{
			`UPDATE audit SET seq = 100 WHERE seq = 2`,
			`UPDATE audit SET seq = 2 WHERE seq = 3`,
			`UPDATE audit SET seq = 3 WHERE seq = 100`}, 2, "predecessor"},
		{"swapped contents", []string{
			`UPDATE audit SET request_id = 'tmp' WHERE seq = 2`,
			`UPDATE audit SET request_id = 'req-1' WHERE seq = 3`,
			`UPDATE audit SET request_id = 'req-2' WHERE seq = 2`}, 2, "edited"},
		{"tail cut", []string{`DELETE FROM audit WHERE seq >= 5`}, 5, "cut off the end"},
		{"head moved back", []string{`UPDATE audit_heads SET seq = 4`}, 5, "beyond the chain's head"},
		{"head hash replaced", []string{`UPDATE audit_heads SET hash = zeroblob(32)`}, 6, "head"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := newTestDB(t)
			tok := initToken(t, s, "a")
			appendN(t, s, tok.ID, 6)
			for _, q := range append([]string{
				`DROP TRIGGER audit_no_update`, `DROP TRIGGER audit_no_delete`,
				`DROP TRIGGER audit_head_forward`, `DROP TRIGGER audit_head_no_delete`,
			}, c.sql...) {
				if _, err := s.conn.ExecContext(bg, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			rep, err := s.VerifyAudit(tok.ID)
			var broken *AuditBrokenError
			if !errors.As(err, &broken) {
				t.Fatalf("verify: %+v, %v; want a broken chain", rep, err)
			}
			if broken.Seq != c.badSeq || !strings.Contains(broken.Reason, c.reason) {
				t.Fatalf("broken at %d (%s), want %d (%s)", broken.Seq, broken.Reason, c.badSeq, c.reason)
			}
			if rep.Records != rep.HeadSeq {
				t.Fatalf("report %+v", rep)
			}
		})
	}
}

func TestAuditConcurrentAppendersShareOneChain(t *testing.T) {
	s, path := newTestDB(t)
	tok := initToken(t, s, "a")
	s2 := openTest(t, path)
	done := make(chan error, 2)
	for _, db := range []*SQLite{s, s2} {
		go func() {
			for i := 0; i < 20; i++ {
				if _, err := db.AppendAudit(tok.ID, []AuditRecord{auditRec(i), auditRec(i + 1)}); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	rep, err := s2.VerifyAudit(tok.ID)
	if err != nil || rep.Records != 80 {
		t.Fatalf("%+v %v", rep, err)
	}
}

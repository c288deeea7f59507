package token

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/store"
	"github.com/kagi-hsm/kagi/token/ck"
)

func TestAuditTrail(t *testing.T) {
	l, slot, sh, db := ready(t)
	rec := func(op string) AuditRecord {
		return AuditRecord{Time: time.Now(), Principal: "p", Operation: op, RequestID: op + "-id"}
	}
	seq, err := l.AppendAudit(slot, []AuditRecord{rec("A"), rec("B")})
	if err != nil || seq != 2 {
		t.Fatalf("append: %d %v", seq, err)
	}
	// Appending needs no login: records are not sealed.
	if err := l.CloseSession(sh); err != nil {
		t.Fatal(err)
	}
	if seq, err := l.AppendAudit(slot, []AuditRecord{rec("C")}); err != nil || seq != 3 {
		t.Fatalf("append logged out: %d %v", seq, err)
	}
	long := rec("D")
	long.Context = strings.Repeat("x", store.MaxAuditField+1)
	if _, err := l.AppendAudit(slot, []AuditRecord{rec("E"), long}); ck.ErrorRV(err) != ck.CKR_ARGUMENTS_BAD {
		t.Fatalf("over-long record: %v", err)
	}

	// Another process (another library on the same file) sees the chain
	// and continues it.
	l2 := open(t, db)
	if seq, err := l2.AppendAudit(slot, []AuditRecord{rec("F")}); err != nil || seq != 4 {
		t.Fatalf("second library: %d %v", seq, err)
	}
	recs, err := l.AuditRecords(slot, 1, 0)
	if err != nil || len(recs) != 4 {
		t.Fatalf("records: %d %v", len(recs), err)
	}
	for i, op := range []string{"A", "B", "C", "F"} {
		if recs[i].Operation != op || recs[i].Seq != int64(i+1) {
			t.Fatalf("record %d: %+v", i, recs[i])
		}
	}
	rep, err := l.VerifyAudit(slot)
	if err != nil || rep.Records != 4 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	head, hash, err := l.AuditHead(slot)
	if err != nil || head != 4 || string(hash) != string(recs[3].Hash) {
		t.Fatalf("head: %d %v", head, err)
	}

	// The chain survives re-initialisation of its token.
	if err := l.InitToken(slot, soPIN, "again"); err != nil {
		t.Fatal(err)
	}
	if rep, err := l.VerifyAudit(slot); err != nil || rep.Records != 4 {
		t.Fatalf("after re-initialisation: %+v %v", rep, err)
	}

	// The free slot's token cannot take records; unknown slots fail.
	slots := mustSlots(t, l)
	free := slots[len(slots)-1]
	if _, err := l.AppendAudit(free, []AuditRecord{rec("G")}); ck.ErrorRV(err) != ck.CKR_TOKEN_NOT_RECOGNIZED {
		t.Fatalf("free token: %v", err)
	}
	if _, err := l.AuditRecords(ck.SlotID(999), 1, 0); ck.ErrorRV(err) != ck.CKR_SLOT_ID_INVALID {
		t.Fatalf("unknown slot: %v", err)
	}
	var broken *AuditBrokenError
	if _, err := l.VerifyAudit(free); errors.As(err, &broken) || err != nil {
		t.Fatalf("empty chain: %v", err)
	}
}

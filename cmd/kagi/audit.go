package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kagi-hsm/kagi/kmsbridge"
	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// `kagi audit` reads the audit trail kagi serve writes: the token's
// hash-chained record of every KMS call. Records hold no secret, so no PIN
// is asked; whoever can read the database can read them.

var auditCommands = []command{
	{"list", "print audit records", cmdAuditList},
	{"verify", "check the hash chain; exit status 1 names the first bad record", cmdAuditVerify},
	{"export", "print the records as a CloudTrail log (JSON)", cmdAuditExport},
}

func cmdAudit(args []string, out io.Writer) error {
	if len(args) > 0 {
		for _, c := range auditCommands {
			if c.name == args[0] {
				return c.run(args[1:], out)
			}
		}
	}
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
		return fmt.Errorf("unknown subcommand %q (list, verify, export)", args[0])
	}
	fmt.Fprintln(out, "usage: kagi audit <list|verify|export> [flags]")
	for _, c := range auditCommands {
		fmt.Fprintf(out, "  %-8s %s\n", c.name, c.summary)
	}
	if len(args) == 0 {
		return errors.New("a subcommand is required")
	}
	return errHelp
}

// openAudit opens the database and finds the token whose audit trail a
// command reads (see auditSlot); the caller finalizes the library.
func openAudit(label string) (*token.Library, ck.SlotID, string, error) {
	lib, err := openLibrary()
	if err != nil {
		return nil, 0, "", err
	}
	slot, name, err := auditSlot(lib, label)
	if err != nil {
		lib.Finalize()
		return nil, 0, "", err
	}
	return lib, slot, name, nil
}

// auditSlot returns the slot of the token labelled label, or of the only
// initialised token when label is empty.
func auditSlot(lib *token.Library, label string) (ck.SlotID, string, error) {
	if label != "" {
		slot, err := findToken(lib, label)
		return slot, label, err
	}
	ids, err := lib.Slots(true)
	if err != nil {
		return 0, "", err
	}
	var found []ck.SlotID
	var labels []string
	for _, id := range ids {
		info, err := lib.TokenInfo(id)
		if err != nil {
			return 0, "", err
		}
		if info.Flags&ck.CKF_TOKEN_INITIALIZED != 0 {
			found = append(found, id)
			labels = append(labels, strconv.Quote(info.Label))
		}
	}
	switch len(found) {
	case 0:
		return 0, "", errors.New("no initialised token (see 'kagi show-slots')")
	case 1:
		return found[0], strings.Trim(labels[0], `"`), nil
	}
	return 0, "", fmt.Errorf("give --token: there are %d tokens (%s)", len(found), strings.Join(labels, ", "))
}

// eachAuditRecord calls fn with the token's records from sequence number
// from on, a page at a time.
func eachAuditRecord(lib *token.Library, slot ck.SlotID, from int64, fn func([]token.AuditRecord) error) error {
	for {
		page, err := lib.AuditRecords(slot, from, 0)
		if err != nil {
			return explain(err)
		}
		if len(page) == 0 {
			return nil
		}
		if err := fn(page); err != nil {
			return err
		}
		from = page[len(page)-1].Seq + 1
	}
}

// auditJSON is a record as `kagi audit list --json` prints it, one per line.
type auditJSON struct {
	Seq               int64           `json:"seq"`
	Time              string          `json:"time"`
	Principal         string          `json:"principal,omitempty"`
	AccessKeyID       string          `json:"access_key_id,omitempty"`
	Operation         string          `json:"operation"`
	KeyARN            string          `json:"key,omitempty"`
	EncryptionContext json.RawMessage `json:"encryption_context,omitempty"`
	RequestID         string          `json:"request_id"`
	Outcome           string          `json:"outcome"`
	Region            string          `json:"region"`
	Account           string          `json:"account"`
	PrevHash          string          `json:"prev_hash"`
	Hash              string          `json:"hash"`
}

func outcome(r *token.AuditRecord) string {
	if r.Outcome == "" {
		return "OK"
	}
	return r.Outcome
}

func cmdAuditList(args []string, out io.Writer) error {
	fs := newFlags("audit list", "[--token LABEL] [--from SEQ | --limit N] [--json]", out)
	label := fs.String("token", "", "label of the token (default: the only initialised token)")
	from := fs.Int64("from", 0, "first sequence number to print")
	limit := fs.Int64("limit", 0, "print at most N records: the last N unless --from is given (0: all)")
	asJSON := fs.Bool("json", false, "one JSON object per record and line")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from < 0 || *limit < 0 {
		return errors.New("--from and --limit must not be negative")
	}
	lib, slot, _, err := openAudit(*label)
	if err != nil {
		return err
	}
	defer lib.Finalize()
	start := *from
	if start == 0 {
		start = 1
		if *limit > 0 {
			head, _, err := lib.AuditHead(slot)
			if err != nil {
				return explain(err)
			}
			start = max(1, head-*limit+1)
		}
	}
	printed := int64(0)
	errDone := errors.New("done")
	err = eachAuditRecord(lib, slot, start, func(page []token.AuditRecord) error {
		for i := range page {
			if *limit > 0 && printed == *limit {
				return errDone
			}
			printed++
			r := &page[i]
			if *asJSON {
				j := auditJSON{Seq: r.Seq, Time: r.Time.Format(time.RFC3339Nano), Principal: r.Principal,
					AccessKeyID: r.AccessKeyID, Operation: r.Operation, KeyARN: r.Resource, RequestID: r.RequestID,
					Outcome: outcome(r), Region: r.Region, Account: r.Account,
					PrevHash: hex.EncodeToString(r.PrevHash), Hash: hex.EncodeToString(r.Hash)}
				if r.Context != "" && json.Valid([]byte(r.Context)) {
					j.EncryptionContext = json.RawMessage(r.Context)
				} else if r.Context != "" {
					j.EncryptionContext, _ = json.Marshal(r.Context)
				}
				line, err := json.Marshal(j)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s\n", line)
				continue
			}
			who := r.Principal
			if who == "" {
				who = "access-key:" + r.AccessKeyID
			}
			fmt.Fprintf(out, "%6d %s %-24s %-28s %s", r.Seq, r.Time.Format("2006-01-02T15:04:05.000Z"), r.Operation, outcome(r), who)
			if r.Resource != "" {
				fmt.Fprintf(out, " key=%s", r.Resource)
			}
			if r.Context != "" {
				fmt.Fprintf(out, " context=%s", r.Context)
			}
			fmt.Fprintf(out, " request=%s\n", r.RequestID)
		}
		return nil
	})
	if err != nil && !errors.Is(err, errDone) {
		return err
	}
	return nil
}

func cmdAuditVerify(args []string, out io.Writer) error {
	fs := newFlags("audit verify", "[--token LABEL] [--anchor SEQ:HASH]", out)
	label := fs.String("token", "", "label of the token (default: the only initialised token)")
	anchor := fs.String("anchor", "", "a head printed by an earlier verify, SEQ:HASH: that record must still be there, unchanged")
	if err := parse(fs, args); err != nil {
		return err
	}
	var anchorSeq int64
	var anchorHash []byte
	if *anchor != "" {
		s, h, ok := strings.Cut(*anchor, ":")
		var err error
		anchorSeq, err = strconv.ParseInt(s, 10, 64)
		if err == nil {
			anchorHash, err = hex.DecodeString(h)
		}
		if !ok || err != nil || anchorSeq < 1 || len(anchorHash) != 32 {
			return errors.New("--anchor must be SEQ:HASH, a sequence number and 64 hexadecimal digits")
		}
	}
	lib, slot, name, err := openAudit(*label)
	if err != nil {
		return err
	}
	defer lib.Finalize()
	rep, err := lib.VerifyAudit(slot)
	var broken *token.AuditBrokenError
	if errors.As(err, &broken) {
		return fmt.Errorf("audit trail of token %q is BROKEN at record %d: %s (%d records before it verify)", name, broken.Seq, broken.Reason, rep.Records)
	}
	if err != nil {
		return explain(err)
	}
	if anchorSeq > 0 {
		recs, err := lib.AuditRecords(slot, anchorSeq, 1)
		if err != nil {
			return explain(err)
		}
		if len(recs) == 0 || recs[0].Seq != anchorSeq {
			return fmt.Errorf("audit trail of token %q is BROKEN at record %d: the anchored record is gone (the chain ends at %d)", name, anchorSeq, rep.HeadSeq)
		}
		if !bytes.Equal(recs[0].Hash, anchorHash) {
			return fmt.Errorf("audit trail of token %q is BROKEN at record %d: its hash is not the anchored one (the chain was rewritten)", name, anchorSeq)
		}
	}
	fmt.Fprintf(out, "audit trail of token %q: %d records, chain intact\n", name, rep.Records)
	if rep.HeadSeq > 0 {
		fmt.Fprintf(out, "head: %d:%x\n", rep.HeadSeq, rep.HeadHash)
		fmt.Fprintln(out, "(keep the head elsewhere and pass it as --anchor later: that also detects the chain being cut short or rewritten)")
	}
	return nil
}

func cmdAuditExport(args []string, out io.Writer) error {
	fs := newFlags("audit export", "[--token LABEL] [--since TIME]", out)
	label := fs.String("token", "", "label of the token (default: the only initialised token)")
	since := fs.String("since", "", "only records from then on: an RFC 3339 time (2026-01-02T15:04:05Z) or a duration back from now (24h)")
	if err := parse(fs, args); err != nil {
		return err
	}
	var after time.Time
	if *since != "" {
		if d, err := time.ParseDuration(*since); err == nil && d >= 0 {
			after = time.Now().Add(-d)
		} else if t, err := time.Parse(time.RFC3339, *since); err == nil {
			after = t
		} else {
			return fmt.Errorf("--since %q is neither an RFC 3339 time nor a duration", *since)
		}
	}
	lib, slot, _, err := openAudit(*label)
	if err != nil {
		return err
	}
	defer lib.Finalize()
	var recs []token.AuditRecord
	err = eachAuditRecord(lib, slot, 1, func(page []token.AuditRecord) error {
		for _, r := range page {
			if !r.Time.Before(after) {
				recs = append(recs, r)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(kmsbridge.CloudTrail(recs))
}

// Command kms measures `kagi serve`, the AWS KMS endpoint, against local-kms
// (github.com/nsmithuk/local-kms, the KMS emulator people use in tests), in
// one run on 127.0.0.1, through the AWS SDK for Go v2 KMS client as users
// drive them.
//
// For each operation (Encrypt of 4 KiB, Decrypt, GenerateDataKey, Sign with
// ECC_NIST_P256, GenerateMac with HMAC_256) and each client count, it runs
// that many clients, each with its own SDK client and keep-alive
// connection, in a loop for a fixed time, records the latency of every
// request, and prints requests/s, p50 and p99 for both servers and kagi's
// ratio. Each server starts fresh: kagi on a new database in a temporary
// directory, set up with `kagi init-token` and `kagi serve --config` as the
// README says; local-kms with an empty data directory.
//
// kagi does more per request than local-kms: it verifies SigV4 signatures,
// authorises every call and keeps an audit trail. The target is
// kagi >= 3x local-kms's requests/s at 8 clients; the bench reports it and
// never fails on it.
//
// Usage (from the repository root, after ./build.sh):
//
//	go run ./tests/bench/kms [-kagi build/kagi] [-localkms BIN] [-gobin build/gobin]
//	                         [-time 3s] [-clients 1,8] [-ops REGEXP] [-quick]
//	                         [-markdown FILE] [-json] [-cpuprofile FILE]
//
// Without -localkms, local-kms is `go install`ed into -gobin (once). If it
// cannot be had, the bench measures kagi alone, unless CI is set: then it
// fails, since CI must run the whole bench.
//
// -cpuprofile makes kagi serve write its CPU profile there for the whole
// run (KAGI_CPUPROFILE); combine with -ops and -clients to profile one case,
// then `go tool pprof -top build/kagi FILE`.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kms bench:", err)
		os.Exit(1)
	}
}

// inCI reports whether CI is set (and not "false"), as the tests read it.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false"
}

func run() error {
	var (
		kagiBin   = flag.String("kagi", "build/kagi", "the kagi command")
		localBin  = flag.String("localkms", "", "local-kms binary (default: go install it into -gobin)")
		gobin     = flag.String("gobin", "build/gobin", "where local-kms is installed")
		caseTime  = flag.Duration("time", 3*time.Second, "measuring time of each operation at each client count, per server")
		clientsF  = flag.String("clients", "1,8", "comma-separated client counts")
		opsF      = flag.String("ops", "", "run only the operations whose name matches this regular expression")
		quick     = flag.Bool("quick", false, "smoke run for CI: -time 500ms unless set")
		markdown  = flag.String("markdown", "", "also write the table as Markdown to this file")
		asJSON    = flag.Bool("json", false, "print the results as JSON instead of a table")
		profile   = flag.String("cpuprofile", "", "kagi serve writes its CPU profile to this file")
		noLocal   = flag.Bool("kagi-only", false, "measure kagi alone")
		timeIsSet = false
	)
	flag.Parse()
	flag.Visit(func(f *flag.Flag) { timeIsSet = timeIsSet || f.Name == "time" })
	if *quick && !timeIsSet {
		*caseTime = 500 * time.Millisecond
	}
	clients, err := parseCounts(*clientsF)
	if err != nil {
		return err
	}
	var only *regexp.Regexp
	if *opsF != "" {
		if only, err = regexp.Compile(*opsF); err != nil {
			return fmt.Errorf("-ops: %w", err)
		}
	}
	if *profile != "" {
		if !strings.HasPrefix(*profile, "/") {
			wd, _ := os.Getwd()
			*profile = wd + "/" + *profile
		}
	}

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	tmp, err := os.MkdirTemp("", "kagi-kms-bench-")
	if err != nil {
		return err
	}
	if os.Getenv("KAGI_BENCH_KEEP") == "" {
		defer os.RemoveAll(tmp)
	} else {
		fmt.Fprintln(os.Stderr, "kms bench: keeping", tmp)
	}

	rep := &report{Time: caseTime.String(), Clients: clients}
	ks, err := startKagi(ctx, *kagiBin, mkdir(tmp, "kagi"), *profile)
	if err != nil {
		return err
	}
	defer func() {
		if err := ks.stop(); err != nil {
			fmt.Fprintln(os.Stderr, "kms bench: stopping kagi serve:", err)
		}
	}()
	kagi, err := setup(ctx, ks)
	if err != nil {
		return err
	}

	var local *target
	if !*noLocal {
		var broken error
		local, rep.LocalKMSNote, broken = startLocal(ctx, *localBin, *gobin, mkdir(tmp, "local-kms"))
		if broken != nil && inCI() {
			// Installed but not working is a fault of the bench; not
			// installable (the module proxy may refuse it, as it does on
			// some networks) is reported and kagi is measured alone.
			return fmt.Errorf("local-kms: %v", broken)
		}
		if local == nil {
			fmt.Fprintf(os.Stderr, "kms bench: WITHOUT local-kms, kagi alone: %s\n", rep.LocalKMSNote)
		}
		if local != nil {
			defer local.stop()
		}
	}

	for _, oc := range opCases {
		if only != nil && !only.MatchString(oc.name) {
			continue
		}
		for _, n := range clients {
			r := row{Op: oc.name, Clients: n}
			if r.Kagi, r.KagiNote, err = runCase(ctx, kagi, oc, n, *caseTime); err != nil {
				return fmt.Errorf("kagi %s at %d clients: %w", oc.name, n, err)
			}
			if local != nil {
				if r.LocalKMS, r.LocalKMSNote, err = runCase(ctx, local, oc, n, *caseTime); err != nil {
					return fmt.Errorf("local-kms %s at %d clients: %w", oc.name, n, err)
				}
			}
			if r.Kagi != nil && r.LocalKMS != nil {
				ratio := r.Kagi.Rate / r.LocalKMS.Rate
				r.Ratio = &ratio
			}
			rep.Rows = append(rep.Rows, r)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}

	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.text(os.Stdout)
	}
	if *markdown != "" {
		f, err := os.Create(*markdown)
		if err != nil {
			return err
		}
		rep.markdown(f)
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// startLocal installs and starts local-kms and sets up its keys. When it
// cannot, the target is nil and note says why; broken is set too when
// local-kms was installed but did not work.
func startLocal(ctx context.Context, bin, gobin, dir string) (t *target, note string, broken error) {
	path, err := installLocalKMS(ctx, bin, gobin)
	if err != nil {
		return nil, err.Error(), nil
	}
	s, err := startLocalKMS(path, dir)
	if err != nil {
		return nil, err.Error(), err
	}
	t, err = setup(ctx, s)
	if err != nil {
		s.stop()
		return nil, err.Error(), err
	}
	return t, "", nil
}

// runCase measures oc on t with n clients; a nil result and a note when
// the target cannot do the operation.
func runCase(ctx context.Context, t *target, oc opCase, n int, d time.Duration) (*result, string, error) {
	ops := make([]op, n)
	for i := range ops {
		o, why := oc.newOp(t, newClient(t.url))
		if o == nil {
			return nil, why, nil
		}
		ops[i] = o
	}
	r, err := measure(ctx, ops, d, t.cmd.Process.Pid)
	return r, "", err
}

func parseCounts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 256 {
			return nil, fmt.Errorf("-clients: %q is not a client count", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func mkdir(parent, name string) string {
	d := parent + "/" + name
	if err := os.MkdirAll(d, 0o700); err != nil {
		panic(err)
	}
	return d
}

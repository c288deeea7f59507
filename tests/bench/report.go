package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// summarize checks every target of the issue against the measured figures.
func summarize(rep *report) []targetResult {
	var out []targetResult
	for _, r := range rep.Rows {
		if r.Target == "" {
			continue
		}
		m := "-"
		switch {
		case r.Kind == kindCrypto && r.KagiVsStdlib != nil:
			m = fmtRatio(r.KagiVsStdlib) + " stdlib"
		case r.Kind == kindKeygenRSA:
			m = vsSoftHSM(r)
		case r.Kind != kindCrypto && r.KagiVsSoftHSM != nil:
			m = fmtRatio(r.KagiVsSoftHSM) + " softhsm"
		}
		name := fmt.Sprintf("%s, %d thread(s)", r.Case, r.Threads)
		tr := targetResult{Name: name, Target: r.Target, Measure: m, Result: r.Result}
		if r.Kind == kindCrypto && r.Result == "MISS" {
			tr.ClientFloor = floorVerdict(r)
		}
		out = append(out, tr)
		if r.SoftHSMTarget != "" {
			out = append(out, targetResult{Name: name, Target: r.SoftHSMTarget, Measure: vsSoftHSM(r), Result: r.SoftHSMResult})
		}
	}

	var k, s *startup
	for _, sr := range rep.Startup {
		switch {
		case sr.Error != "":
		case sr.Module == "kagi":
			k = sr.Result
		case sr.Module == "softhsm":
			s = sr.Result
		}
	}
	start := targetResult{Name: "start-up with the objects (C_Initialize..first find)", Target: "<= 1/5 of softhsm's time", Measure: "-", Result: "n/a"}
	mem := targetResult{Name: "peak resident memory with the objects", Target: "<= softhsm's", Measure: "-", Result: "n/a"}
	if k != nil && s != nil {
		start.Measure = fmt.Sprintf("%.1f ms vs %.1f ms (1/%.1f)", k.TotalMS, s.TotalMS, s.TotalMS/k.TotalMS)
		start.Result = passMiss(k.TotalMS <= s.TotalMS/5)
		mem.Measure = fmt.Sprintf("%.1f MB vs %.1f MB", mb(k.MaxRSSKB), mb(s.MaxRSSKB))
		mem.Result = passMiss(k.MaxRSSKB <= s.MaxRSSKB)
	}
	if len(rep.Startup) == 0 { // not selected with -cases
		return out
	}
	return append(out, start, mem)
}

// vsSoftHSM gives both ratios of issue 4's target against SoftHSMv2:
// kagi's, and the standard library's (below 1: Go's primitive is slower).
func vsSoftHSM(r row) string {
	if r.KagiVsSoftHSM == nil {
		return "-"
	}
	m := fmtRatio(r.KagiVsSoftHSM) + " softhsm"
	if r.StdlibVsSoftHSM != nil {
		m += " (stdlib " + fmtRatio(r.StdlibVsSoftHSM) + " softhsm)"
	}
	return m
}

func passMiss(ok bool) string {
	if ok {
		return "PASS"
	}
	return "MISS"
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

// printReport prints the tables for people.
func printReport(w io.Writer, rep *report) {
	c := rep.Config
	fmt.Fprintf(w, "kagi bench: %s, %d CPUs, GOMAXPROCS=%d, %s per case, %d objects, temp dir %s%s\n",
		c.GoVersion, c.NumCPU, c.GOMAXPROCS, c.CaseTime, c.Objects, c.TempDir, map[bool]string{true: " (quick)"}[c.Quick])
	fmt.Fprintf(w, "kagi: %s\nsofthsm: %s\n", c.Kagi, c.SoftHSM)
	floor := c.Floor != ""
	switch {
	case floor:
		fmt.Fprintf(w, "floor: %s (nullmod.c: no cryptography; the best any module reaches through miekg/pkcs11; no target)\n", c.Floor)
	case c.FloorNote != "":
		fmt.Fprintf(w, "floor: %s\n", c.FloorNote)
	}
	fmt.Fprintln(w)

	bulk := false
	for _, r := range rep.Rows {
		bulk = bulk || r.BytesPerOp > 0
	}
	head := []string{"case", "threads", "kagi ops/s", "softhsm ops/s", "stdlib ops/s", "kagi/stdlib", "kagi/softhsm", "target", "result"}
	if floor {
		head = append(head, "floor ops/s", "bound/stdlib")
	}
	if bulk {
		head = append(head, "kagi MB/s", "softhsm MB/s", "stdlib MB/s")
	}
	t := [][]string{head}
	for _, r := range rep.Rows {
		stdlib := fmtRate(r.Stdlib)
		if r.Kind != kindCrypto && r.Stdlib == nil {
			stdlib = "-"
		}
		line := []string{r.Case, strconv.Itoa(r.Threads), fmtRate(r.Kagi), fmtRate(r.SoftHSM), stdlib,
			fmtRatio(r.KagiVsStdlib), fmtRatio(r.KagiVsSoftHSM), r.Target, r.Result}
		if floor {
			f := fmtRate(r.Floor)
			if r.Kind != kindCrypto {
				f = "-"
			}
			line = append(line, f, fmtRatio(r.ClientBound))
		}
		if r.BytesPerOp > 0 {
			line = append(line, fmtRate(r.KagiMBs), fmtRate(r.SoftHSMMBs), fmtRate(r.StdlibMBs))
		}
		t = append(t, line)
	}
	printTable(w, t, 1)
	if bulk {
		fmt.Fprintln(w, "(MB/s: 10^6 bytes of input per second)")
	}

	if len(rep.Startup) > 0 {
		printStartup(w, rep)
	}

	fmt.Fprint(w, "\ntargets (issues 3 and 4; against softhsm, n/a where the stdlib is itself slower than softhsm")
	if floor {
		fmt.Fprint(w, "; under a missed stdlib target, the client floor, for information")
	}
	fmt.Fprintln(w, "):")
	t = nil
	pass := 0
	for _, tr := range rep.Targets {
		t = append(t, []string{tr.Result, tr.Name, tr.Target, tr.Measure})
		if tr.Result == "PASS" {
			pass++
		}
	}
	indent := strings.Repeat(" ", len("MISS  "))
	for i, line := range formatTable(t, 4) {
		fmt.Fprintln(w, line)
		if f := rep.Targets[i].ClientFloor; f != "" {
			fmt.Fprintln(w, indent+f)
		}
	}
	fmt.Fprintf(w, "%d of %d targets met\n", pass, len(rep.Targets))

	var errs []string
	if c.KagiSetup != "" {
		errs = append(errs, "kagi set-up: "+c.KagiSetup)
	}
	if c.SoftSetup != "" {
		errs = append(errs, "softhsm set-up: "+c.SoftSetup)
	}
	for _, r := range rep.Rows {
		for _, e := range r.Errors {
			errs = append(errs, r.Case+", "+strconv.Itoa(r.Threads)+" thread(s), "+e)
		}
	}
	for _, sr := range rep.Startup {
		if sr.Error != "" {
			errs = append(errs, "start-up, "+sr.Module+": "+sr.Error)
		}
	}
	if len(errs) > 0 {
		fmt.Fprintf(w, "\nerrors:\n  %s\n", strings.Join(errs, "\n  "))
	}
	var na, notes []string
	seen := map[string]bool{} // once per case, not per thread count
	for _, r := range rep.Rows {
		for _, e := range r.NotAvailable {
			if e = r.Case + ", " + e; !seen[e] {
				seen[e] = true
				na = append(na, e)
			}
		}
		for _, e := range r.Notes {
			if e = r.Case + ", " + e; !seen[e] {
				seen[e] = true
				notes = append(notes, e)
			}
		}
	}
	if len(na) > 0 {
		fmt.Fprintf(w, "\nnot available:\n  %s\n", strings.Join(na, "\n  "))
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\nnotes:\n  %s\n", strings.Join(notes, "\n  "))
	}
}

// printTable prints rows in columns: the first left columns left-aligned,
// the rest right-aligned, two spaces apart.
func printTable(w io.Writer, rows [][]string, left int) {
	for _, line := range formatTable(rows, left) {
		fmt.Fprintln(w, line)
	}
}

// formatTable lays rows out as printTable prints them, a string a row.
func formatTable(rows [][]string, left int) []string {
	var width []int
	for _, r := range rows {
		for i, cell := range r {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], len(cell))
		}
	}
	var lines []string
	for _, r := range rows {
		var b strings.Builder
		for i, cell := range r {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-len(cell))
			if i < left {
				b.WriteString(cell + pad)
			} else {
				b.WriteString(pad + cell)
			}
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
	}
	return lines
}

// printStartup prints the cold starts.
func printStartup(w io.Writer, rep *report) {
	c := rep.Config
	fmt.Fprintf(w, "\ncold start in a fresh process, %d objects on the token (median of %d):\n", c.Objects, c.StartRuns)
	t := [][]string{{"module", "load ms", "C_Initialize ms", "C_OpenSession ms", "C_Login ms", "first find ms", "init..find ms", "peak RSS MB", "RSS before load MB"}}
	for _, sr := range rep.Startup {
		if sr.Result == nil {
			t = append(t, []string{sr.Module, "error", "", "", "", "", "", "", ""})
			continue
		}
		r := sr.Result
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
		t = append(t, []string{sr.Module, f(r.LoadMS), f(r.InitMS), f(r.OpenMS), f(r.LoginMS), f(r.FindMS),
			f(r.TotalMS), f(mb(r.MaxRSSKB)), f(mb(r.BaseRSSKB))})
	}
	printTable(w, t, 1)
}

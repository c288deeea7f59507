// Command gen reads the `#define NAME VALUE` lines of kagi's pkcs11.h and
// writes zconst.go: the PKCS#11 constants as typed Go constants, and the name
// tables that back the String and Error methods of package ck.
//
// Usage (from token/ck, as `go generate` runs it):
//
//	go run ./gen [-in ../../pkcs11.h] [-out zconst.go]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// constant is one object-like macro of the header.
type constant struct {
	name    string
	expr    string // the replacement text, comments removed
	alias   string // the other constant's name when expr is just a name
	section string // the comment heading the group the constant sits in
	value   uint64
	done    bool
}

var (
	defineRE  = regexp.MustCompile(`^\s*#\s*define\s+([A-Za-z_][A-Za-z0-9_]*)\s+(.*?)\s*$`)
	commentRE = regexp.MustCompile(`/\*.*?\*/`)
	headingRE = regexp.MustCompile(`^\s*/\*\s*(.*?)\s*\*/\s*$`)
	identRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// wanted reports whether a macro is one of the PKCS#11 constants.
func wanted(name string) bool {
	return strings.HasPrefix(name, "CK") || strings.HasPrefix(name, "CRYPTOKI_")
}

func parse(r io.Reader) ([]*constant, error) {
	var list []*constant
	section := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := headingRE.FindStringSubmatch(line); m != nil {
			section = m[1]
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := defineRE.FindStringSubmatch(line)
		if m == nil || !wanted(m[1]) {
			continue
		}
		expr := strings.TrimSpace(commentRE.ReplaceAllString(m[2], ""))
		if expr == "" {
			continue
		}
		c := &constant{name: m[1], expr: expr, section: section}
		if identRE.MatchString(expr) {
			c.alias = expr
		}
		list = append(list, c)
	}
	return list, sc.Err()
}

// evaluator computes the value of constant expressions made of integer
// literals (with optional U/L suffixes), names of other constants,
// parentheses, casts to unsigned long / CK_ULONG, and the operators
// ~ | & ^ << >> + -.
type evaluator struct {
	byName map[string]*constant
	active map[string]bool
}

func (e *evaluator) value(name string) (uint64, error) {
	c, ok := e.byName[name]
	if !ok {
		return 0, fmt.Errorf("unknown name %s", name)
	}
	if c.done {
		return c.value, nil
	}
	if e.active[name] {
		return 0, fmt.Errorf("%s refers to itself", name)
	}
	e.active[name] = true
	defer delete(e.active, name)
	p := &exprParser{e: e, toks: tokenize(c.expr)}
	v, err := p.or()
	if err == nil && p.pos != len(p.toks) {
		err = fmt.Errorf("unexpected %q", p.toks[p.pos])
	}
	if err != nil {
		return 0, fmt.Errorf("%s: %q: %v", name, c.expr, err)
	}
	c.value, c.done = v, true
	return v, nil
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		ch := s[i]
		switch {
		case ch == ' ' || ch == '\t':
			i++
		case ch == '<' || ch == '>':
			toks = append(toks, s[i:i+2])
			i += 2
		case strings.IndexByte("()~|&^+-", ch) >= 0:
			toks = append(toks, string(ch))
			i++
		default:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= '0' && s[j] <= '9' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			if j == i {
				j = i + 1
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

type exprParser struct {
	e    *evaluator
	toks []string
	pos  int
}

func (p *exprParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *exprParser) or() (uint64, error) {
	v, err := p.xor()
	for err == nil && p.peek() == "|" {
		p.pos++
		var w uint64
		w, err = p.xor()
		v |= w
	}
	return v, err
}

func (p *exprParser) xor() (uint64, error) {
	v, err := p.and()
	for err == nil && p.peek() == "^" {
		p.pos++
		var w uint64
		w, err = p.and()
		v ^= w
	}
	return v, err
}

func (p *exprParser) and() (uint64, error) {
	v, err := p.shift()
	for err == nil && p.peek() == "&" {
		p.pos++
		var w uint64
		w, err = p.shift()
		v &= w
	}
	return v, err
}

func (p *exprParser) shift() (uint64, error) {
	v, err := p.sum()
	for err == nil && (p.peek() == "<<" || p.peek() == ">>") {
		op := p.peek()
		p.pos++
		var w uint64
		w, err = p.sum()
		if op == "<<" {
			v <<= w
		} else {
			v >>= w
		}
	}
	return v, err
}

func (p *exprParser) sum() (uint64, error) {
	v, err := p.unary()
	for err == nil && (p.peek() == "+" || p.peek() == "-") {
		op := p.peek()
		p.pos++
		var w uint64
		w, err = p.unary()
		if op == "+" {
			v += w
		} else {
			v -= w
		}
	}
	return v, err
}

func (p *exprParser) unary() (uint64, error) {
	switch t := p.peek(); t {
	case "~":
		p.pos++
		v, err := p.unary()
		return ^v, err
	case "-":
		p.pos++
		v, err := p.unary()
		return -v, err
	case "(":
		// A cast such as (unsigned long) or (CK_ULONG) is skipped.
		if p.isCast() {
			return p.unary()
		}
		p.pos++
		v, err := p.or()
		if err != nil {
			return 0, err
		}
		if p.peek() != ")" {
			return 0, fmt.Errorf("missing )")
		}
		p.pos++
		return v, nil
	case "":
		return 0, fmt.Errorf("unexpected end")
	default:
		p.pos++
		if t[0] >= '0' && t[0] <= '9' {
			return parseInt(t)
		}
		return p.e.value(t)
	}
}

// isCast consumes a parenthesised type name and reports whether it did.
func (p *exprParser) isCast() bool {
	i := p.pos + 1
	var words []string
	for i < len(p.toks) && identRE.MatchString(p.toks[i]) {
		words = append(words, p.toks[i])
		i++
	}
	if i >= len(p.toks) || p.toks[i] != ")" || len(words) == 0 {
		return false
	}
	switch strings.Join(words, " ") {
	case "unsigned long", "unsigned long int", "unsigned", "CK_ULONG", "long":
		p.pos = i + 1
		return true
	}
	return false
}

func parseInt(t string) (uint64, error) {
	s := strings.TrimRight(t, "uUlL")
	base := 10
	switch {
	case strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X"):
		s, base = s[2:], 16
	case len(s) > 1 && s[0] == '0':
		s, base = s[1:], 8
	}
	return strconv.ParseUint(s, base, 64)
}

// goType is the Go type of a constant, chosen by its prefix; "" for an
// untyped constant.
func goType(name string) string {
	switch {
	case name == "CK_TRUE" || name == "CK_FALSE" || strings.HasPrefix(name, "CRYPTOKI_"):
		return ""
	case name == "CK_INVALID_HANDLE":
		// Untyped, so it compares with SessionHandle and ObjectHandle alike.
		return ""
	case strings.HasPrefix(name, "CKF_HKDF_SALT_"):
		// Values of CK_HKDF_PARAMS.ulSaltType, a CK_ULONG (HKDFParams.SaltType).
		return "ULong"
	case strings.HasPrefix(name, "CKR_"):
		return "RV"
	case strings.HasPrefix(name, "CKA_"):
		return "AttributeType"
	case strings.HasPrefix(name, "CKM_"):
		return "MechanismType"
	case strings.HasPrefix(name, "CKO_"):
		return "ObjectClass"
	case strings.HasPrefix(name, "CKK_"):
		return "KeyType"
	case strings.HasPrefix(name, "CKC_"):
		return "CertType"
	case strings.HasPrefix(name, "CKU_"):
		return "UserType"
	case strings.HasPrefix(name, "CKS_"):
		return "State"
	case strings.HasPrefix(name, "CKF_"):
		return "Flags"
	case strings.HasPrefix(name, "CKG_MGF1_"):
		return "MGF"
	case strings.HasPrefix(name, "CKG_"):
		return "GeneratorFunc"
	case strings.HasPrefix(name, "CKD_"):
		return "KDF"
	case strings.HasPrefix(name, "CKH_"):
		return "HWFeatureType"
	case strings.HasPrefix(name, "CKP_PKCS5_"):
		// PBKDF2 pseudo-random functions share the CKP_ prefix with profiles.
		return "ULong"
	case strings.HasPrefix(name, "CKP_"):
		return "ProfileID"
	case strings.HasPrefix(name, "CKN_"):
		return "NotifyType"
	}
	return "ULong"
}

// table describes one generated name table.
type table struct {
	varName, keyType, prefix string
}

var tables = []table{
	{"rvNames", "RV", "CKR_"},
	{"mechNames", "MechanismType", "CKM_"},
	{"attrNames", "AttributeType", "CKA_"},
	{"keyTypeNames", "KeyType", "CKK_"},
	{"classNames", "ObjectClass", "CKO_"},
}

func generate(in io.Reader, src string) ([]byte, int, error) {
	list, err := parse(in)
	if err != nil {
		return nil, 0, err
	}
	ev := &evaluator{byName: map[string]*constant{}, active: map[string]bool{}}
	for _, c := range list {
		if _, dup := ev.byName[c.name]; dup {
			return nil, 0, fmt.Errorf("%s defined twice", c.name)
		}
		ev.byName[c.name] = c
	}
	for _, c := range list {
		if _, err := ev.value(c.name); err != nil {
			return nil, 0, err
		}
	}

	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gen/main.go from %s; DO NOT EDIT.\n\n", src)
	b.WriteString("package ck\n")
	section := "\x00"
	open := false
	for _, c := range list {
		if c.section != section {
			if open {
				b.WriteString(")\n")
			}
			b.WriteString("\n")
			if c.section != "" {
				fmt.Fprintf(&b, "// %s\n", c.section)
			}
			b.WriteString("const (\n")
			open, section = true, c.section
		}
		typ := goType(c.name)
		switch {
		case c.alias != "" && goType(c.alias) == typ && typ != "":
			fmt.Fprintf(&b, "\t%s = %s // deprecated name\n", c.name, c.alias)
		case typ == "":
			fmt.Fprintf(&b, "\t%s = %d\n", c.name, c.value)
		case c.value == ^uint64(0):
			fmt.Fprintf(&b, "\t%s %s = ^%s(0)\n", c.name, typ, typ)
		case c.value < 10:
			fmt.Fprintf(&b, "\t%s %s = %d\n", c.name, typ, c.value)
		default:
			fmt.Fprintf(&b, "\t%s %s = 0x%X\n", c.name, typ, c.value)
		}
	}
	if open {
		b.WriteString(")\n")
	}

	for _, t := range tables {
		fmt.Fprintf(&b, "\nvar %s = map[%s]string{\n", t.varName, t.keyType)
		seen := map[uint64]bool{}
		for _, c := range list {
			if !strings.HasPrefix(c.name, t.prefix) || c.alias != "" || seen[c.value] {
				continue
			}
			seen[c.value] = true
			fmt.Fprintf(&b, "\t%s: %q,\n", c.name, c.name)
		}
		b.WriteString("}\n")
	}

	out, err := format.Source(b.Bytes())
	if err != nil {
		return nil, 0, fmt.Errorf("formatting output: %v", err)
	}
	return out, len(list), nil
}

func main() {
	in := flag.String("in", "../../pkcs11.h", "the C header to read")
	out := flag.String("out", "zconst.go", "the Go file to write")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gen: ")

	f, err := os.Open(*in)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	src, _, err := generate(f, "pkcs11.h")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

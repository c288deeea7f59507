// Command kagi administers kagi tokens (like softhsm2-util) and shows the
// token working end to end.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand.
type command struct {
	name    string
	summary string
	run     func(args []string, out io.Writer) error
}

var commands = []command{
	{"init-token", "initialise the free slot's token (or re-initialise one)", cmdInitToken},
	{"show-slots", "list slots and their tokens", cmdShowSlots},
	{"list-objects", "list the objects of a token", cmdListObjects},
	{"delete-token", "delete a token and all its objects", cmdDeleteToken},
	{"demo", "set up a demo token and sign with it (the quick start)", cmdDemo},
	{"serve", "serve the AWS KMS JSON API over a token (kmsbridge)", cmdServe},
	{"tls-key", "make kagi serve's TLS key on a token, with a self-signed certificate or a CSR", cmdTLSKey},
	{"audit", "list, verify or export the KMS audit trail of a token", cmdAudit},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: kagi <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, fmt.Sprintf("  %-14s %s", c.name, c.summary))
	}
	sort.Strings(names)
	fmt.Fprintln(w, strings.Join(names, "\n"))
	fmt.Fprintln(w, "\nThe database is $KAGI_DB, else the \"db\" of $KAGI_CONF, else $XDG_DATA_HOME/kagi/kagi.db.")
	fmt.Fprintln(w, "PINs come from --so-pin-file/--pin-file, $KAGI_SO_PIN/$KAGI_PIN, or a prompt; never from flags.")
	fmt.Fprintln(w, "Run 'kagi <command> --help' for a command's flags.")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, out, errw io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(args[1:], out)
			if errors.Is(err, errHelp) {
				return 0
			}
			if err != nil {
				fmt.Fprintf(errw, "kagi %s: %v\n", c.name, err)
				return 1
			}
			return 0
		}
	}
	fmt.Fprintf(errw, "kagi: unknown command %q\n", args[0])
	usage(errw)
	return 2
}

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

var errHelp = errors.New("help shown")

// newFlags makes a subcommand's flag set; --help prints its usage to out.
func newFlags(name, synopsis string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "usage: kagi %s %s\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, turning --help into errHelp and rejecting stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return err
	}
	if fs.NArg() != 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// openLibrary opens the token library on the configured database.
func openLibrary() (*token.Library, error) {
	cfg, err := token.ConfigFromEnv()
	if err != nil {
		return nil, err
	}
	return token.New(cfg)
}

// findToken returns the slot of the initialised token with a label.
func findToken(lib *token.Library, label string) (ck.SlotID, error) {
	ids, err := lib.Slots(true)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		info, err := lib.TokenInfo(id)
		if err != nil {
			return 0, err
		}
		if info.Flags&ck.CKF_TOKEN_INITIALIZED != 0 && info.Label == label {
			return id, nil
		}
	}
	return 0, fmt.Errorf("no token labelled %q (see 'kagi show-slots')", label)
}

// freeSlot returns the slot whose token is not initialised.
func freeSlot(lib *token.Library) (ck.SlotID, error) {
	ids, err := lib.Slots(true)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		info, err := lib.TokenInfo(id)
		if err != nil {
			return 0, err
		}
		if info.Flags&ck.CKF_TOKEN_INITIALIZED == 0 {
			return id, nil
		}
	}
	return 0, errors.New("no free slot")
}

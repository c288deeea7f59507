package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// pinSource says where one PIN comes from: a file, an environment variable,
// or an interactive prompt without echo. Never a command-line value, which
// other users could read from the process list.
type pinSource struct {
	what string // "SO PIN" or "user PIN"
	file string
	env  string
}

// read returns the PIN, or nil with ok=false when no source has one and no
// terminal can ask.
func (p pinSource) read(confirm bool) ([]byte, error) {
	if p.file != "" {
		raw, err := os.ReadFile(p.file)
		if err != nil {
			return nil, fmt.Errorf("reading %s file: %w", p.what, err)
		}
		pin := bytes.TrimRight(raw, "\r\n")
		if len(pin) == 0 {
			return nil, fmt.Errorf("%s file %s is empty", p.what, p.file)
		}
		return pin, nil
	}
	if v := os.Getenv(p.env); v != "" {
		return []byte(v), nil
	}
	pin, err := prompt(fmt.Sprintf("%s: ", p.what))
	if err != nil {
		return nil, fmt.Errorf("no %s: give --%s-file or $%s (%v)", p.what, flagStem(p.what), p.env, err)
	}
	if confirm {
		again, err := prompt(fmt.Sprintf("%s again: ", p.what))
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(pin, again) {
			return nil, fmt.Errorf("the two %ss differ", p.what)
		}
	}
	return pin, nil
}

func flagStem(what string) string {
	if what == "SO PIN" {
		return "so-pin"
	}
	return "pin"
}

var errNoTerminal = errors.New("standard input is not a terminal")

// prompt reads a line from the terminal with echo turned off.
func prompt(msg string) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, errNoTerminal
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	quiet.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &quiet); err != nil {
		return nil, errNoTerminal
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old) //nolint:errcheck
	fmt.Fprint(os.Stderr, msg)
	line, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, err
	}
	pin := bytes.TrimRight(line, "\r\n")
	if len(pin) == 0 {
		return nil, errors.New("empty PIN")
	}
	return pin, nil
}

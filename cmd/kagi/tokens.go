package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

func cmdInitToken(args []string, out io.Writer) error {
	fs := newFlags("init-token", "(--free | --token LABEL) --label LABEL [--so-pin-file F] [--pin-file F]", out)
	free := fs.Bool("free", false, "initialise the token in the free slot")
	existing := fs.String("token", "", "re-initialise the token with this label (destroys its objects)")
	label := fs.String("label", "", "label of the new token (at most 32 bytes)")
	soFile := fs.String("so-pin-file", "", "file holding the SO PIN (else $KAGI_SO_PIN, else a prompt)")
	pinFile := fs.String("pin-file", "", "file holding the user PIN (else $KAGI_PIN, else a prompt)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *free == (*existing != "") {
		return fmt.Errorf("give exactly one of --free and --token")
	}
	if *label == "" || len(*label) > 32 {
		return fmt.Errorf("--label must be 1 to 32 bytes")
	}
	so, err := pinSource{"SO PIN", *soFile, "KAGI_SO_PIN"}.read(true)
	if err != nil {
		return err
	}
	user, err := pinSource{"user PIN", *pinFile, "KAGI_PIN"}.read(true)
	if err != nil {
		return err
	}
	lib, err := openLibrary()
	if err != nil {
		return err
	}
	defer lib.Finalize()
	var slot ck.SlotID
	if *free {
		slot, err = freeSlot(lib)
	} else {
		slot, err = findToken(lib, *existing)
	}
	if err != nil {
		return err
	}
	if *free {
		if _, err := findToken(lib, *label); err == nil {
			return fmt.Errorf("a token labelled %q exists already", *label)
		}
	}
	if err := lib.InitToken(slot, so, *label); err != nil {
		return explain(err)
	}
	if err := setUserPIN(lib, slot, so, user); err != nil {
		return err
	}
	fmt.Fprintf(out, "token %q initialised in slot %d\n", *label, slot)
	return nil
}

// setUserPIN logs the SO in and sets the user PIN (C_InitPIN).
func setUserPIN(lib *token.Library, slot ck.SlotID, so, user []byte) error {
	sh, err := lib.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		return explain(err)
	}
	defer lib.CloseSession(sh)
	if err := lib.Login(sh, ck.CKU_SO, so); err != nil {
		return explain(err)
	}
	if err := lib.InitPIN(sh, user); err != nil {
		return explain(err)
	}
	return explain(lib.Logout(sh))
}

func cmdShowSlots(args []string, out io.Writer) error {
	fs := newFlags("show-slots", "", out)
	if err := parse(fs, args); err != nil {
		return err
	}
	lib, err := openLibrary()
	if err != nil {
		return err
	}
	defer lib.Finalize()
	ids, err := lib.Slots(true)
	if err != nil {
		return err
	}
	for _, id := range ids {
		info, err := lib.TokenInfo(id)
		if err != nil {
			return explain(err)
		}
		fmt.Fprintf(out, "Slot %d\n", id)
		if info.Flags&ck.CKF_TOKEN_INITIALIZED == 0 {
			fmt.Fprintf(out, "    Token:        free (not initialised)\n")
			continue
		}
		fmt.Fprintf(out, "    Label:        %s\n", info.Label)
		fmt.Fprintf(out, "    Serial:       %s\n", info.SerialNumber)
		fmt.Fprintf(out, "    User PIN:     %s\n", pinState(info.Flags))
	}
	return nil
}

func pinState(f ck.Flags) string {
	switch {
	case f&ck.CKF_USER_PIN_LOCKED != 0:
		return "locked"
	case f&ck.CKF_USER_PIN_INITIALIZED == 0:
		return "not set"
	case f&ck.CKF_USER_PIN_FINAL_TRY != 0:
		return "set (one try left)"
	case f&ck.CKF_USER_PIN_COUNT_LOW != 0:
		return "set (recent failures)"
	}
	return "set"
}

func cmdListObjects(args []string, out io.Writer) error {
	fs := newFlags("list-objects", "--token LABEL [--login] [--pin-file F]", out)
	label := fs.String("token", "", "label of the token")
	login := fs.Bool("login", false, "log in as the user to list private objects too")
	pinFile := fs.String("pin-file", "", "file holding the user PIN (else $KAGI_PIN, else a prompt)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *label == "" {
		return fmt.Errorf("--token is required")
	}
	lib, err := openLibrary()
	if err != nil {
		return err
	}
	defer lib.Finalize()
	slot, err := findToken(lib, *label)
	if err != nil {
		return err
	}
	sh, err := lib.OpenSession(slot, ck.CKF_SERIAL_SESSION)
	if err != nil {
		return explain(err)
	}
	defer lib.CloseSession(sh)
	if *login || *pinFile != "" {
		pin, err := pinSource{"user PIN", *pinFile, "KAGI_PIN"}.read(false)
		if err != nil {
			return err
		}
		if err := lib.Login(sh, ck.CKU_USER, pin); err != nil {
			return explain(err)
		}
	}
	handles, err := allObjects(lib, sh)
	if err != nil {
		return err
	}
	for _, h := range handles {
		line, err := describe(lib, sh, h)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, line)
	}
	fmt.Fprintf(out, "%d object(s)\n", len(handles))
	return nil
}

func allObjects(lib *token.Library, sh ck.SessionHandle) ([]ck.ObjectHandle, error) {
	if err := lib.FindObjectsInit(sh, nil); err != nil {
		return nil, explain(err)
	}
	defer lib.FindObjectsFinal(sh)
	var all []ck.ObjectHandle
	for {
		hs, err := lib.FindObjects(sh, 256)
		if err != nil {
			return nil, explain(err)
		}
		if len(hs) == 0 {
			return all, nil
		}
		all = append(all, hs...)
	}
}

// describe is one line about an object: class, key type, label, id, flags.
func describe(lib *token.Library, sh ck.SessionHandle, h ck.ObjectHandle) (string, error) {
	types := []ck.AttributeType{ck.CKA_CLASS, ck.CKA_KEY_TYPE, ck.CKA_LABEL, ck.CKA_ID, ck.CKA_PRIVATE}
	vals, err := lib.GetAttributeValue(sh, h, types)
	if err != nil {
		return "", explain(err)
	}
	class, _ := ck.BytesULong(vals[0].Value)
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s", strings.TrimPrefix(ck.ObjectClass(class).String(), "CKO_"))
	if vals[1].Err == 0 {
		kt, _ := ck.BytesULong(vals[1].Value)
		fmt.Fprintf(&b, " %-14s", strings.TrimPrefix(ck.KeyType(kt).String(), "CKK_"))
	} else {
		fmt.Fprintf(&b, " %-14s", "-")
	}
	fmt.Fprintf(&b, " label=%q", vals[2].Value)
	if vals[3].Err == 0 && len(vals[3].Value) > 0 {
		fmt.Fprintf(&b, " id=%s", hex.EncodeToString(vals[3].Value))
	}
	if p, _ := ck.BytesBool(vals[4].Value); p {
		b.WriteString(" private")
	}
	return b.String(), nil
}

func cmdDeleteToken(args []string, out io.Writer) error {
	fs := newFlags("delete-token", "--token LABEL", out)
	label := fs.String("token", "", "label of the token to delete")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *label == "" {
		return fmt.Errorf("--token is required")
	}
	lib, err := openLibrary()
	if err != nil {
		return err
	}
	defer lib.Finalize()
	slot, err := findToken(lib, *label)
	if err != nil {
		return err
	}
	if err := lib.DeleteToken(slot); err != nil {
		return explain(err)
	}
	fmt.Fprintf(out, "token %q deleted\n", *label)
	return nil
}

// explain adds a human reading to the PKCS#11 codes a command user meets.
func explain(err error) error {
	if err == nil {
		return nil
	}
	hints := map[ck.RV]string{
		ck.CKR_PIN_INCORRECT:  "wrong PIN",
		ck.CKR_PIN_LOCKED:     "PIN locked after too many wrong tries; the SO can reset it",
		ck.CKR_PIN_LEN_RANGE:  fmt.Sprintf("a PIN must be %d to %d bytes", token.MinPINLen, token.MaxPINLen),
		ck.CKR_SESSION_EXISTS: "the token is in use by another session",
	}
	if h, ok := hints[ck.ErrorRV(err)]; ok {
		return fmt.Errorf("%s (%v)", h, err)
	}
	return err
}

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/envelope"
)

// livcctl signals share ID --case CASE: the submitter's deliberate share
// of its own record with a dossier (art. 458ter); livcctl signals correct
// ID FILE: the submitter replaces its signal by a corrected one.

// cmdSignalsShare shares one of the caller's own records (a signal, or an
// observation obs_…) with a dossier on whose roster the caller sits (POST
// /v1/signals/{id}/shares, under case_conference): a record of an actor
// type bound by professional secrecy reaches that dossier's roster only
// from then on. It prints the answer.
func cmdSignalsShare(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("signals share", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	caseID := fs.String("case", "", "the dossier to share the record with (`CASE` id, required); "+
		"the record reaches that dossier's roster from now on, and no other's")
	id, err := oneID(fs, env, args)
	if err != nil {
		return err
	}
	if *caseID == "" {
		return usageError{errors.New("signals share needs --case")}
	}
	req, err := json.Marshal(broker.ShareRequest{CaseID: *caseID})
	if err != nil {
		return err
	}
	body, _, err := cf.call(env, "POST", "/v1/signals/"+url.PathEscape(id)+"/shares", "application/json", req, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, body)
}

// cmdSignalsCorrect replaces one of the caller's own signals by the signal
// in FILE (POST /v1/signals/{id}/correction, under signal): encrypted here
// to the broker's recipient, as submit does. The earlier signal's values
// leave every card at once and its state becomes corrected; the new one
// takes its place. With -q it prints only the new signal's id.
func cmdSignalsCorrect(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("signals correct", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeSignal)
	classic := fs.Bool("x25519", false, "encrypt to the broker's X25519 recipient instead of its post-quantum one")
	quiet := fs.Bool("q", false, "print only the new signal's id")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{errors.New("signals correct takes the signal ID and a FILE (the corrected signal in JSON, naming the person as before; - for standard input)")}
	}
	id := fs.Arg(0)
	plaintext, err := readInput(env, fs.Arg(1))
	if err != nil {
		return err
	}
	if !json.Valid(plaintext) {
		return fmt.Errorf("%s is not JSON", fs.Arg(1))
	}
	recipient, err := brokerRecipient(env, &cf, !*classic)
	if err != nil {
		return err
	}
	sealed, err := envelope.Seal([]string{recipient}, plaintext, false)
	if err != nil {
		return err
	}
	body, _, err := cf.call(env, "POST", "/v1/signals/"+url.PathEscape(id)+"/correction", "application/age", sealed, true)
	if err != nil {
		return err
	}
	if *quiet {
		var rc broker.Receipt
		if err := json.Unmarshal(body, &rc); err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.stdout, rc.ID)
		return err
	}
	return printJSON(env.stdout, body)
}

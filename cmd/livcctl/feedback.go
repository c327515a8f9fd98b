package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"

	"github.com/livc/livc-broker/broker"
)

// The signaller's feedback and the coordinator's dismissal: livcctl signals
// mine, withdraw ID, dismiss ID --reason TEXT.

// cmdSignalsMine lists the caller's actor's signals (GET /v1/signals/mine),
// every page: id, when received, state. Nothing about the person.
func cmdSignalsMine(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("signals mine", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeSignal)
	quiet := fs.Bool("q", false, "print one line per signal: its id and its state, separated by a space")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{errors.New("signals mine takes no argument")}
	}
	items, err := everyPage[broker.MySignal](env, &cf, "/v1/signals/mine", nil, "your signals")
	if err != nil {
		return err
	}
	return printItems(env, items, *quiet, func(e broker.MySignal) []any { return []any{e.ID, e.State} })
}

// oneID parses fs from args, flags before or after the one argument, an id.
func oneID(fs *flag.FlagSet, env *cliEnv, args []string) (string, error) {
	if err := parseFlags(fs, env, args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", usageError{fmt.Errorf("%s takes a signal id", fs.Name())}
	}
	id := fs.Arg(0)
	if err := parseFlags(fs, env, fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() != 0 {
		return "", usageError{fmt.Errorf("%s takes one signal id", fs.Name())}
	}
	return id, nil
}

// cmdSignalsWithdraw withdraws one of the caller's signals (DELETE
// /v1/signals/{id}): its record is crypto-shredded.
func cmdSignalsWithdraw(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("signals withdraw", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeSignal)
	id, err := oneID(fs, env, args)
	if err != nil {
		return err
	}
	if _, _, err := cf.call(env, "DELETE", "/v1/signals/"+url.PathEscape(id), "", nil, true); err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.stdout, id, broker.SignalWithdrawn)
	return err
}

// cmdSignalsDismiss dismisses a signal of the intake (POST
// /v1/signals/{id}/dismissal; the coordinator).
func cmdSignalsDismiss(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("signals dismiss", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	reason := fs.String("reason", "", "why the signal needs no follow-up (`TEXT`, required; checked, not kept)")
	id, err := oneID(fs, env, args)
	if err != nil {
		return err
	}
	if *reason == "" {
		return usageError{errors.New("signals dismiss needs --reason")}
	}
	req, err := json.Marshal(broker.DismissalRequest{Reason: *reason})
	if err != nil {
		return err
	}
	body, _, err := cf.call(env, "POST", "/v1/signals/"+url.PathEscape(id)+"/dismissal", "application/json", req, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, body)
}

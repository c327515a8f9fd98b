package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"

	"github.com/livc/livc-broker/broker"
)

// cmdSignals reads the coordinator's intake (GET /v1/signals), every page:
// each signal's id, its person's pseudonym, its source, dates, state and
// dossier, never a value. A submitter gets only a signal's id back; this is
// where the coordinator finds whom it is about.
func cmdSignals(env *cliEnv, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "mine":
			return cmdSignalsMine(env, args[1:])
		case "withdraw":
			return cmdSignalsWithdraw(env, args[1:])
		case "dismiss":
			return cmdSignalsDismiss(env, args[1:])
		case "share":
			return cmdSignalsShare(env, args[1:])
		case "correct":
			return cmdSignalsCorrect(env, args[1:])
		}
	}
	fs := flag.NewFlagSet("signals", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	state := fs.String("state", "", "only the signals in `STATE`: received, held (its identifiers name two known persons) or in_dossier")
	only := fs.String("signal", "", "only the signal with this `ID`")
	quiet := fs.Bool("q", false, "print one line per signal: its id, its subject ref and its state, separated by spaces")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{errors.New("signals takes no argument")}
	}
	items, err := intake(env, &cf, *state)
	if err != nil {
		return err
	}
	if *only != "" {
		var one []broker.SignalEntry
		for _, e := range items {
			if e.ID == *only {
				one = append(one, e)
			}
		}
		if len(one) == 0 {
			return fmt.Errorf("signal %s is not in the intake", *only)
		}
		items = one
	}
	return printItems(env, items, *quiet, func(e broker.SignalEntry) []any { return []any{e.ID, e.SubjectRef, e.State} })
}

// intake reads every page of the intake, newest first.
func intake(env *cliEnv, cf *clientFlags, state string) ([]broker.SignalEntry, error) {
	q := url.Values{}
	if state != "" {
		q.Set("state", state)
	}
	return everyPage[broker.SignalEntry](env, cf, "/v1/signals", q, "the intake")
}

// printItems prints a list livcctl read whole: with quiet, one line per item
// of the values line gives, separated by spaces; else the JSON page
// {"items": [...]} the broker answers, without a cursor.
func printItems[T any](env *cliEnv, items []T, quiet bool, line func(T) []any) error {
	if quiet {
		for _, e := range items {
			if _, err := fmt.Fprintln(env.stdout, line(e)...); err != nil {
				return err
			}
		}
		return nil
	}
	body, err := json.Marshal(struct {
		Items []T `json:"items"`
	}{items})
	if err != nil {
		return err
	}
	return printJSON(env.stdout, body)
}

// everyPage reads every page of the list at path with the query q (nil for
// none), a thousand items a page, following next_cursor; what names the
// list in an error.
func everyPage[T any](env *cliEnv, cf *clientFlags, path string, q url.Values, what string) ([]T, error) {
	items := []T{}
	if q == nil {
		q = url.Values{}
	}
	q.Set("limit", "1000")
	for {
		body, _, err := cf.call(env, "GET", path+"?"+q.Encode(), "", nil, true)
		if err != nil {
			return nil, err
		}
		var page struct {
			Items      []T    `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		items = append(items, page.Items...)
		if page.NextCursor == "" {
			return items, nil
		}
		q.Set("cursor", page.NextCursor)
	}
}

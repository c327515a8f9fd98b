package main

import (
	"encoding/json"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
)

// signalsCommands are the subcommands of livcctl signals.
var signalsCommands = []func(*cliEnv) *cobra.Command{
	newSignalsMineCmd, newSignalsWithdrawCmd, newSignalsDismissCmd, newSignalsShareCmd, newSignalsCorrectCmd,
}

// newSignalsCmd: livcctl signals, the coordinator's intake (GET
// /v1/signals), every page: each signal's id, its person's pseudonym, its
// source, dates, state and dossier, never a value. A submitter gets only a
// signal's id back; this is where the coordinator finds whom it is about.
// Its subcommands are the signals' other operations.
func newSignalsCmd(env *cliEnv) *cobra.Command {
	var state, only string
	var quiet bool
	cmd := &cobra.Command{
		Use:     "signals",
		Aliases: []string{"intake"},
		Short:   "the coordinator's intake: every signal, newest first, with its person's pseudonym and state",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError{fmt.Errorf("unknown subcommand %q", args[0])}
			}
			return nil
		},
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(*cobra.Command, []string) error {
		q := url.Values{}
		if state != "" {
			q.Set("state", state)
		}
		items, err := everyPage[broker.SignalEntry](env, cf, "/v1/signals", q, "the intake")
		if err != nil {
			return err
		}
		if only != "" {
			var one []broker.SignalEntry
			for _, e := range items {
				if e.ID == only {
					one = append(one, e)
				}
			}
			if len(one) == 0 {
				return fmt.Errorf("signal %s is not in the intake", only)
			}
			items = one
		}
		return printItems(env, items, quiet, func(e broker.SignalEntry) []any { return []any{e.ID, e.SubjectRef, e.State} })
	}
	cmd.Flags().StringVar(&state, "state", "", "only the signals in `STATE`: received, held (its identifiers name two known persons) or in_dossier")
	cmd.Flags().StringVar(&only, "signal", "", "only the signal with this `ID`")
	quietFlag(cmd, &quiet, "one line per signal: its id, its subject ref and its state, separated by spaces")
	for _, c := range signalsCommands {
		cmd.AddCommand(c(env))
	}
	return cmd
}

// printItems prints a list livcctl read whole: with quiet, one line per item
// of the values line gives, separated by spaces; else the page
// {"items": [...]} the broker answers, without a cursor, in the output
// format.
func printItems[T any](env *cliEnv, items []T, quiet bool, line func(T) []any) error {
	if quiet {
		for _, e := range items {
			if _, err := fmt.Fprintln(env.stdout, line(e)...); err != nil {
				return err
			}
		}
		return nil
	}
	return env.emitValue(struct {
		Items []T `json:"items"`
	}{items})
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

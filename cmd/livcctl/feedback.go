package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
)

// The signaller's feedback and the coordinator's dismissal: livcctl signals
// mine, withdraw ID, dismiss ID --reason TEXT.

// newSignalsMineCmd lists the caller's actor's signals (GET
// /v1/signals/mine), every page: id, when received, state. Nothing about
// the person.
func newSignalsMineCmd(env *cliEnv) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "mine",
		Short: "your organisation's signals and their states, nothing else",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeSignal)
	cmd.RunE = func(*cobra.Command, []string) error {
		items, err := everyPage[broker.MySignal](env, cf, "/v1/signals/mine", nil, "your signals")
		if err != nil {
			return err
		}
		return printItems(env, items, quiet, func(e broker.MySignal) []any { return []any{e.ID, e.State} })
	}
	quietFlag(cmd, &quiet, "one line per signal: its id and its state, separated by a space")
	return cmd
}

// newSignalsWithdrawCmd withdraws one of the caller's signals (DELETE
// /v1/signals/{id}): its record is crypto-shredded.
func newSignalsWithdrawCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "withdraw ID",
		Short: "withdraw your own signal: its record is crypto-shredded",
		Args:  exactArgs(1, "one signal ID"),
	}
	cf := env.client(cmd, broker.PurposeSignal)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if _, _, err := cf.call(env, "DELETE", "/v1/signals/"+url.PathEscape(args[0]), "", nil, true); err != nil {
			return err
		}
		_, err := fmt.Fprintln(env.stdout, args[0], broker.SignalWithdrawn)
		return err
	}
	return cmd
}

// newSignalsDismissCmd dismisses a signal of the intake (POST
// /v1/signals/{id}/dismissal; the coordinator).
func newSignalsDismissCmd(env *cliEnv) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "dismiss ID --reason TEXT",
		Short: "no follow-up for a signal of the intake (the coordinator)",
		Args:  exactArgs(1, "one signal ID"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if reason == "" {
			return usageError{errors.New("signals dismiss needs --reason")}
		}
		req, err := json.Marshal(broker.DismissalRequest{Reason: reason})
		if err != nil {
			return err
		}
		return cf.send(env, "POST", "/v1/signals/"+url.PathEscape(args[0])+"/dismissal", req)
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the signal needs no follow-up (`TEXT`, required; checked, not kept)")
	return cmd
}

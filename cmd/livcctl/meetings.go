package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
)

// A dossier's case conferences (livcctl cases meetings ...), its review,
// and the retention schedule (livcctl retention).

// casesMeetingsCommands are the subcommands of livcctl cases meetings.
var casesMeetingsCommands = []func(*cliEnv) *cobra.Command{newMeetingsAddCmd, newMeetingsListCmd}

// newCasesMeetingsCmd: livcctl cases meetings add|list.
func newCasesMeetingsCmd(env *cliEnv) *cobra.Command {
	return group(env, "meetings", "a dossier's case conferences", casesMeetingsCommands)
}

// decisionFlag collects --decision ACTOR:DUE:TEXT.
type decisionFlag []broker.MeetingDecision

func (d *decisionFlag) String() string { return "" }

func (d *decisionFlag) Type() string { return "ACTOR:DUE:TEXT" }

func (d *decisionFlag) Set(v string) error {
	parts := strings.SplitN(v, ":", 3)
	if len(parts) != 3 {
		return errors.New("a decision is ACTOR:DUE:TEXT, such as pz:2026-12-31:home visit")
	}
	*d = append(*d, broker.MeetingDecision{Actor: parts[0], Due: parts[1], Text: parts[2]})
	return nil
}

// newMeetingsAddCmd records a case conference: POST /v1/cases/{id}/meetings.
func newMeetingsAddCmd(env *cliEnv) *cobra.Command {
	var held, attendees string
	var decisions decisionFlag
	cmd := &cobra.Command{
		Use:   "add ID --attendees A,B",
		Short: "record a case conference held on dossier ID (the coordinator)",
		Args:  exactArgs(1, "a dossier ID"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if attendees == "" {
			return usageError{errors.New("meetings add needs --attendees")}
		}
		at := held
		if at == "" {
			at = time.Now().UTC().Format(time.RFC3339)
		}
		ds := append(decisionFlag{}, decisions...)
		body, _ := json.Marshal(broker.MeetingRequest{HeldAt: at, Attendees: strings.Split(attendees, ","), Decisions: ds})
		return cf.send(env, "POST", casePath(args[0], "meetings"), body)
	}
	f := cmd.Flags()
	f.StringVar(&held, "held-at", "", "when the conference was held, an RFC 3339 `TIME` (default now)")
	f.StringVar(&attendees, "attendees", "", "comma-separated `ACTORS` of the dossier's roster who attended (required)")
	f.Var(&decisions, "decision", "a decision: its owner on the roster, a date (YYYY-MM-DD) and what was decided; repeat for several")
	return cmd
}

// newMeetingsListCmd reads every page of a dossier's case conferences.
func newMeetingsListCmd(env *cliEnv) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "list ID",
		Short: "the dossier's case conferences, oldest first (its roster, the coordinator)",
		Args:  exactArgs(1, "a dossier ID"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		items, err := everyPage[broker.MeetingView](env, cf, casePath(args[0], "meetings"), nil, "the dossier's meetings")
		if err != nil {
			return err
		}
		return printItems(env, items, quiet, func(m broker.MeetingView) []any {
			return []any{m.ID, m.HeldAt.Format(time.RFC3339), strings.Join(m.Attendees, ","), len(m.Decisions)}
		})
	}
	quietFlag(cmd, &quiet, "one line per conference: its id, when it was held, its attendees and how many decisions")
	return cmd
}

// newCasesReviewCmd keeps a closed dossier one more retention period: POST
// /v1/cases/{id}/review (the coordinator).
func newCasesReviewCmd(env *cliEnv) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "review ID --reason TEXT",
		Short: "keep a closed dossier one more retention period (the coordinator)",
		Args:  exactArgs(1, "a dossier ID"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if reason == "" {
			return usageError{errors.New("review needs --reason")}
		}
		body, _ := json.Marshal(broker.ReviewRequest{Reason: reason})
		return cf.send(env, "POST", casePath(args[0], "review"), body)
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the closed dossier is kept one more period (`TEXT`, required; checked, not kept)")
	return cmd
}

// newRetentionCmd lists what the retention schedule erases within --days:
// GET /v1/retention (the coordinator).
func newRetentionCmd(env *cliEnv) *cobra.Command {
	var days int
	var quiet bool
	cmd := &cobra.Command{
		Use:   "retention",
		Short: "what the retention schedule erases within --days (the coordinator)",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(*cobra.Command, []string) error {
		q := url.Values{"days": {fmt.Sprint(days)}}
		items, err := everyPage[broker.RetentionItem](env, cf, "/v1/retention", q, "the retention schedule")
		if err != nil {
			return err
		}
		return printItems(env, items, quiet, func(e broker.RetentionItem) []any {
			return []any{e.Kind, e.ID, e.ExpiresAt.Format(time.DateOnly)}
		})
	}
	cmd.Flags().IntVar(&days, "days", 30, "list what expires within this many `DAYS` (0: what is due now)")
	quietFlag(cmd, &quiet, "one line per item: its kind, id and expiry date")
	return cmd
}

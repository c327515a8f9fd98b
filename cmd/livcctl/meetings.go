package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/livc/livc-broker/broker"
)

// A dossier's case conferences (livcctl cases meetings ...) and the
// retention schedule (livcctl retention).

const meetingsHelp = `livcctl cases meetings add [flags] ID   record a case conference held on dossier ID (the coordinator)
livcctl cases meetings list [-q] ID    the dossier's case conferences, oldest first (its roster, the coordinator)
`

// casesMeetings dispatches livcctl cases meetings SUBCOMMAND.
func casesMeetings(env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usageError{errors.New("cases meetings takes a subcommand: add or list")}
	}
	switch args[0] {
	case "add":
		return meetingsAdd(env, args[1:])
	case "list":
		return meetingsList(env, args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(env.stdout, meetingsHelp)
		return helpShown{}
	}
	return usageError{fmt.Errorf("unknown meetings subcommand %q (want: add or list)", args[0])}
}

// decisionFlag collects --decision ACTOR:DUE:TEXT.
type decisionFlag []broker.MeetingDecision

func (d *decisionFlag) String() string { return fmt.Sprint(len(*d), " decisions") }

func (d *decisionFlag) Set(v string) error {
	parts := strings.SplitN(v, ":", 3)
	if len(parts) != 3 {
		return errors.New("a decision is ACTOR:DUE:TEXT, such as pz:2026-12-31:home visit")
	}
	*d = append(*d, broker.MeetingDecision{Actor: parts[0], Due: parts[1], Text: parts[2]})
	return nil
}

// meetingsAdd records a case conference: POST /v1/cases/{id}/meetings.
func meetingsAdd(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases meetings add", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	held := fs.String("held-at", "", "when the conference was held, an RFC 3339 `TIME` (default: now)")
	attendees := fs.String("attendees", "", "comma-separated `actors` of the dossier's roster who attended (required)")
	var decisions decisionFlag
	fs.Var(&decisions, "decision", "a decision `ACTOR:DUE:TEXT`: its owner on the roster, a date (YYYY-MM-DD) and what was decided; repeat for several")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *attendees == "" {
		return usageError{errors.New("meetings add takes a dossier ID and --attendees")}
	}
	if *held == "" {
		*held = time.Now().UTC().Format(time.RFC3339)
	}
	if decisions == nil {
		decisions = decisionFlag{}
	}
	body, _ := json.Marshal(broker.MeetingRequest{HeldAt: *held, Attendees: strings.Split(*attendees, ","), Decisions: decisions})
	out, _, err := cf.call(env, "POST", "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/meetings", "application/json", body, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}

// meetingsList reads every page of a dossier's case conferences.
func meetingsList(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases meetings list", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	quiet := fs.Bool("q", false, "print one line per conference: its id, when it was held, its attendees and how many decisions")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("meetings list takes a dossier ID")}
	}
	items, err := everyPage[broker.MeetingView](env, &cf, "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/meetings", nil, "the dossier's meetings")
	if err != nil {
		return err
	}
	return printItems(env, items, *quiet, func(m broker.MeetingView) []any {
		return []any{m.ID, m.HeldAt.Format(time.RFC3339), strings.Join(m.Attendees, ","), len(m.Decisions)}
	})
}

// casesReview keeps a closed dossier one more retention period: POST
// /v1/cases/{id}/review (the coordinator).
func casesReview(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases review", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	reason := fs.String("reason", "", "why the closed dossier is kept one more period (checked, not kept; required)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || *reason == "" {
		return usageError{errors.New("review takes a dossier ID and --reason")}
	}
	body, _ := json.Marshal(broker.ReviewRequest{Reason: *reason})
	out, _, err := cf.call(env, "POST", "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/review", "application/json", body, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}

// cmdRetention lists what the retention schedule erases within --days:
// GET /v1/retention (the coordinator).
func cmdRetention(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("retention", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	days := fs.Int("days", 30, "list what expires within this many `days` (0: what is due now)")
	quiet := fs.Bool("q", false, "print one line per item: its kind, id and expiry date")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{errors.New("retention takes no argument")}
	}
	q := url.Values{"days": {fmt.Sprint(*days)}}
	items, err := everyPage[broker.RetentionItem](env, &cf, "/v1/retention", q, "the retention schedule")
	if err != nil {
		return err
	}
	return printItems(env, items, *quiet, func(e broker.RetentionItem) []any {
		return []any{e.Kind, e.ID, e.ExpiresAt.Format(time.DateOnly)}
	})
}

package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/livc/livc-broker/broker"
)

func cmdCases(env *cliEnv, args []string) error {
	const subs = "create, take, roster, list, show, transition, priority, task add, task report, meetings or review"
	if len(args) == 0 {
		return usageError{errors.New("cases takes a subcommand: " + subs)}
	}
	if isHelp(args[0]) {
		return groupHelp(env, "cases")
	}
	switch args[0] {
	case "create":
		return casesCreate(env, args[1:])
	case "take":
		return casesTake(env, args[1:])
	case "roster":
		return casesRoster(env, args[1:])
	case "list":
		return casesList(env, args[1:])
	case "show":
		return casesShow(env, args[1:])
	case "transition":
		return casesTransition(env, args[1:])
	case "priority":
		return casesPriority(env, args[1:])
	case "task":
		return casesTask(env, args[1:])
	case "meetings":
		return casesMeetings(env, args[1:]) // meetings.go
	case "review":
		return casesReview(env, args[1:]) // meetings.go
	default:
		return usageError{errors.New("unknown subcommand " + args[0] + ": " + subs)}
	}
}

func casesCreate(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases create", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	subject := fs.String("subject", "", "the subject `ref` (s_…) of the person")
	signals := fs.String("signals", "", "comma-separated signal `ids` the dossier starts from")
	category := fs.String("category", "radicalisation", "the dossier's `category`")
	quiet := fs.Bool("q", false, "print only the dossier's id")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *subject == "" || *signals == "" {
		return usageError{errors.New("--subject and --signals are required")}
	}
	body, _ := json.Marshal(broker.CaseRequest{
		SubjectRef: *subject, SignalIDs: strings.Split(*signals, ","), Category: *category,
	})
	out, _, err := cf.call(env, "POST", "/v1/cases", "application/json", body, true)
	if err != nil {
		return err
	}
	if *quiet {
		var k broker.Case
		if err := json.Unmarshal(out, &k); err != nil {
			return err
		}
		_, err = fmt.Fprintln(env.stdout, k.ID)
		return err
	}
	return printJSON(env.stdout, out)
}

// casesTake takes more signals about a dossier's person into it: livcctl
// cases take ID SIGNAL... (the coordinator, under case_conference).
func casesTake(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases take", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() < 2 {
		return usageError{errors.New("take takes a dossier ID and the signal ids to take into it")}
	}
	body, _ := json.Marshal(broker.TakeSignalsRequest{SignalIDs: fs.Args()[1:]})
	out, _, err := cf.call(env, "POST", "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/signals", "application/json", body, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}

func casesRoster(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases roster", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() < 1 {
		return usageError{errors.New("roster takes a dossier ID and the actors of its roster")}
	}
	actors := fs.Args()[1:]
	if actors == nil {
		actors = []string{}
	}
	body, _ := json.Marshal(broker.RosterRequest{Actors: actors})
	out, _, err := cf.call(env, "PUT", "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/roster", "application/json", body, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}

func cmdAuditList(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("audit list", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeAuditReview)
	q := url.Values{}
	for _, name := range []string{"actor", "sub", "subject_ref", "case_id", "action", "decision", "from", "to", "limit", "cursor", "order", "log"} {
		fs.Func(name, "filter: entries whose "+name+" is `value`", func(v string) error {
			q.Set(name, v)
			return nil
		})
	}
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	path := "/v1/audit"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	out, _, err := cf.call(env, "GET", path, "", nil, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}

func readAllLimited(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, 16<<20+1))
	if err != nil {
		return nil, err
	}
	if len(b) > 16<<20 {
		return nil, errors.New("input larger than 16 MiB")
	}
	return b, nil
}

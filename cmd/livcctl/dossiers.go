package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strconv"

	"github.com/livc/livc-broker/broker"
)

// casesList: livcctl cases list [--purpose P] [--limit N] [--cursor C] [--all]
func casesList(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases list", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	limit := fs.Int("limit", 0, "dossiers per page (1-1000; default the broker's 100)")
	cursor := fs.String("cursor", "", "continue from this `cursor`")
	all := fs.Bool("all", false, "follow the cursor to the last page, printing one JSON array")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	var items []json.RawMessage
	for {
		q := url.Values{}
		if *limit > 0 {
			q.Set("limit", strconv.Itoa(*limit))
		}
		if *cursor != "" {
			q.Set("cursor", *cursor)
		}
		path := "/v1/cases"
		if len(q) > 0 {
			path += "?" + q.Encode()
		}
		out, _, err := cf.call(env, "GET", path, "", nil, true)
		if err != nil {
			return err
		}
		if !*all {
			return printJSON(env.stdout, out)
		}
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor string            `json:"next_cursor"`
		}
		if err := json.Unmarshal(out, &page); err != nil {
			return err
		}
		items = append(items, page.Items...)
		if page.NextCursor == "" {
			break
		}
		*cursor = page.NextCursor
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	b, _ := json.Marshal(items)
	return printJSON(env.stdout, b)
}

// casesShow: livcctl cases show [--purpose P] ID
func casesShow(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases show", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{errors.New("show takes a dossier ID")}
	}
	out, _, err := cf.call(env, "GET", "/v1/cases/"+url.PathEscape(fs.Arg(0)), "", nil, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}

// casesTransition: livcctl cases transition --reason TEXT ID STATE
func casesTransition(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases transition", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	reason := fs.String("reason", "", "why the dossier moves (required)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 2 || *reason == "" {
		return usageError{errors.New("transition takes a dossier ID, the state to move to, and --reason")}
	}
	body, _ := json.Marshal(broker.TransitionRequest{To: fs.Arg(1), Reason: *reason})
	return cf.send(env, "POST", "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/transitions", body)
}

// casesPriority: livcctl cases priority ID 1-5
func casesPriority(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("cases priority", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposePrioritisation)
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	p, err := strconv.Atoi(fs.Arg(1))
	if fs.NArg() != 2 || err != nil {
		return usageError{errors.New("priority takes a dossier ID and a priority from 1 to 5")}
	}
	body, _ := json.Marshal(broker.PriorityRequest{Priority: p})
	return cf.send(env, "PUT", "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/priority", body)
}

// casesTask: livcctl cases task add --actor A --description D --due DATE --scenario S ID
// and livcctl cases task report --status S --report TEXT ID TASK (flags first)
func casesTask(env *cliEnv, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "report") {
		return usageError{errors.New("task takes a subcommand: add or report")}
	}
	if args[0] == "add" {
		fs := flag.NewFlagSet("cases task add", flag.ContinueOnError)
		var cf clientFlags
		cf.register(fs, broker.PurposePrioritisation)
		var in broker.TaskRequest
		fs.StringVar(&in.Actor, "actor", "", "the operational actor the task is for")
		fs.StringVar(&in.Description, "description", "", "what is to be done")
		fs.StringVar(&in.Due, "due", "", "due `date` (YYYY-MM-DD)")
		fs.StringVar(&in.Scenario, "scenario", "", "proactive, preventive, curative or reactive")
		quiet := fs.Bool("q", false, "print only the new task's id")
		if err := parseFlags(fs, env, args[1:]); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usageError{errors.New("task add takes a dossier ID")}
		}
		body, _ := json.Marshal(in)
		out, _, err := cf.call(env, "POST", "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/tasks", "application/json", body, true)
		if err != nil {
			return err
		}
		if !*quiet {
			return printJSON(env.stdout, out)
		}
		var v broker.CaseView
		if err := json.Unmarshal(out, &v); err != nil || len(v.Tasks) == 0 {
			return errors.New("the broker's answer holds no task")
		}
		_, err = fmt.Fprintln(env.stdout, v.Tasks[len(v.Tasks)-1].ID)
		return err
	}
	fs := flag.NewFlagSet("cases task report", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	var in broker.TaskReport
	fs.StringVar(&in.Status, "status", "", "in_progress or done")
	fs.StringVar(&in.Report, "report", "", "the report text")
	if err := parseFlags(fs, env, args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageError{errors.New("task report takes a dossier ID and a task ID")}
	}
	body, _ := json.Marshal(in)
	return cf.send(env, "PATCH", "/v1/cases/"+url.PathEscape(fs.Arg(0))+"/tasks/"+url.PathEscape(fs.Arg(1)), body)
}

// send sends a JSON body and prints the answer.
func (c *clientFlags) send(env *cliEnv, method, path string, body []byte) error {
	out, _, err := c.call(env, method, path, "application/json", body, true)
	if err != nil {
		return err
	}
	return printJSON(env.stdout, out)
}

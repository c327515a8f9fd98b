package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
)

// pageFlags are the flags of a list read one page at a time.
type pageFlags struct {
	limit  int
	cursor string
	all    bool
}

// register adds --limit, --cursor and --all to cmd; what names the items,
// one names one item.
func (p *pageFlags) register(cmd *cobra.Command, what, one string) {
	cmd.Flags().IntVar(&p.limit, "limit", 0, "how many "+what+" per page: `N` from 1 to 1000 (default the broker's 100)")
	cmd.Flags().StringVar(&p.cursor, "cursor", "", "start at the page of this `CURSOR` (next_cursor of the page before)")
	cmd.Flags().BoolVar(&p.all, "all", false, "follow the cursor to the last page and print every "+one+" at once")
}

// query sets limit and cursor on q.
func (p *pageFlags) query(q url.Values) {
	if p.limit > 0 {
		q.Set("limit", strconv.Itoa(p.limit))
	}
	if p.cursor != "" {
		q.Set("cursor", p.cursor)
	}
}

// list prints the page of path with q, or with --all every page as one
// {"items": [...]}.
func (p *pageFlags) list(env *cliEnv, cf *clientFlags, path string, q url.Values) error {
	if p.limit < 0 || p.limit > broker.MaxLimit {
		return usageError{fmt.Errorf("--limit must be from 1 to %d", broker.MaxLimit)}
	}
	var items []json.RawMessage
	for {
		p.query(q)
		out, _, err := cf.call(env, "GET", withQuery(path, q), "", nil, true)
		if err != nil {
			return err
		}
		if !p.all {
			return env.emit(out)
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
		p.cursor = page.NextCursor
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	return env.emitValue(map[string]any{"items": items})
}

// newCasesListCmd: livcctl cases list, the dossiers the caller may see.
func newCasesListCmd(env *cliEnv) *cobra.Command {
	var pf pageFlags
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list the dossiers the caller may see (--purpose prioritisation for the tactical table)",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(*cobra.Command, []string) error { return pf.list(env, cf, "/v1/cases", url.Values{}) }
	pf.register(cmd, "dossiers", "dossier")
	return cmd
}

// casesTaskCommands are the subcommands of livcctl cases task.
var casesTaskCommands = []func(*cliEnv) *cobra.Command{newTaskAddCmd, newTaskReportCmd}

// newCasesTaskCmd: livcctl cases task add|report.
func newCasesTaskCmd(env *cliEnv) *cobra.Command {
	return group(env, "task", "assign a task on a dossier, and report on it", casesTaskCommands)
}

// newTaskAddCmd: livcctl cases task add --actor A --description D --due
// DATE --scenario S ID (the tactical table).
func newTaskAddCmd(env *cliEnv) *cobra.Command {
	var in broker.TaskRequest
	var quiet bool
	cmd := &cobra.Command{
		Use:   "add ID --actor A --description D --due DATE --scenario S",
		Short: "assign a task on dossier ID (the tactical table)",
		Args:  exactArgs(1, "a dossier ID"),
	}
	cf := env.client(cmd, broker.PurposePrioritisation)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		body, _ := json.Marshal(in)
		out, _, err := cf.call(env, "POST", casePath(args[0], "tasks"), "application/json", body, true)
		if err != nil {
			return err
		}
		if !quiet {
			return env.emit(out)
		}
		var v broker.CaseView
		if err := json.Unmarshal(out, &v); err != nil || len(v.Tasks) == 0 {
			return errors.New("the broker's answer holds no task")
		}
		_, err = fmt.Fprintln(env.stdout, v.Tasks[len(v.Tasks)-1].ID)
		return err
	}
	f := cmd.Flags()
	f.StringVar(&in.Actor, "actor", "", "the operational `ACTOR` the task is for")
	f.StringVar(&in.Description, "description", "", "what is to be done (`TEXT`)")
	f.StringVar(&in.Due, "due", "", "due `DATE` (YYYY-MM-DD)")
	f.StringVar(&in.Scenario, "scenario", "", "proactive, preventive, curative or reactive")
	quietFlag(cmd, &quiet, "the new task's id")
	return cmd
}

// newTaskReportCmd: livcctl cases task report --status S --report TEXT ID
// TASK (the assigned actor).
func newTaskReportCmd(env *cliEnv) *cobra.Command {
	var in broker.TaskReport
	cmd := &cobra.Command{
		Use:   "report ID TASK --status S --report TEXT",
		Short: "report on a task (the assigned actor)",
		Args:  exactArgs(2, "a dossier ID and a task ID"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		body, _ := json.Marshal(in)
		return cf.send(env, "PATCH", casePath(args[0], "tasks", args[1]), body)
	}
	cmd.Flags().StringVar(&in.Status, "status", "", "in_progress or done")
	cmd.Flags().StringVar(&in.Report, "report", "", "the report `TEXT`")
	return cmd
}

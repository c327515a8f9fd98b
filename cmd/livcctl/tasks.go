package main

import (
	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
)

// The assignee's own tasks (livcctl tasks mine) and the strategic table's
// aggregates (livcctl stats).

// tasksCommands are the subcommands of livcctl tasks.
var tasksCommands = []func(*cliEnv) *cobra.Command{newTasksMineCmd}

// newTasksCmd: livcctl tasks.
func newTasksCmd(env *cliEnv) *cobra.Command {
	return group(env, "tasks", "the tasks assigned to your organisation", tasksCommands)
}

// newTasksMineCmd lists the caller's actor's tasks (GET /v1/tasks/mine)
// under case_conference, every page: dossier, task, description, due date,
// status.
func newTasksMineCmd(env *cliEnv) *cobra.Command {
	var quiet bool
	cmd := &cobra.Command{
		Use:   "mine",
		Short: "the tasks assigned to your organisation on the open dossiers whose roster holds it",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(*cobra.Command, []string) error {
		items, err := everyPage[broker.MyTask](env, cf, "/v1/tasks/mine", nil, "your tasks")
		if err != nil {
			return err
		}
		return printItems(env, items, quiet, func(e broker.MyTask) []any { return []any{e.CaseID, e.Task, e.Due, e.Status} })
	}
	quietFlag(cmd, &quiet, "one line per task: its dossier, its id, its due date and its status, separated by spaces (no description)")
	return cmd
}

// newStatsCmd: livcctl stats, the aggregates of the strategic table (GET
// /v1/stats, under policy).
func newStatsCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "the strategic table's aggregates: counts of dossiers, \"<5\" for 1 to 4 (GET /v1/stats)",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposePolicy)
	cmd.RunE = func(*cobra.Command, []string) error { return cf.get(env, "/v1/stats") }
	return cmd
}

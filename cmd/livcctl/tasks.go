package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/livc/livc-broker/broker"
)

// The assignee's own tasks: livcctl tasks mine.

// cmdTasks dispatches livcctl tasks SUBCOMMAND.
func cmdTasks(env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usageError{errors.New("tasks takes a subcommand: mine")}
	}
	switch args[0] {
	case "mine":
		return cmdTasksMine(env, args[1:])
	case "-h", "--help", "help":
		fmt.Fprint(env.stdout, "livcctl tasks mine [-q]: the tasks assigned to your organisation on the open dossiers whose roster holds it\n")
		return helpShown{}
	}
	return usageError{fmt.Errorf("unknown tasks subcommand %q (want: mine)", args[0])}
}

// cmdTasksMine lists the caller's actor's tasks (GET /v1/tasks/mine) under
// case_conference, every page: dossier, task, description, due date, status.
func cmdTasksMine(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("tasks mine", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeCaseConference)
	quiet := fs.Bool("q", false, "print one line per task: its dossier, its id, its due date and its status, separated by spaces (no description)")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{errors.New("tasks mine takes no argument")}
	}
	items, err := everyPage[broker.MyTask](env, &cf, "/v1/tasks/mine", nil, "your tasks")
	if err != nil {
		return err
	}
	return printItems(env, items, *quiet, func(e broker.MyTask) []any { return []any{e.CaseID, e.Task, e.Due, e.Status} })
}

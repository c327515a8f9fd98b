package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
)

// casesCommands are the subcommands of livcctl cases.
var casesCommands = []func(*cliEnv) *cobra.Command{
	newCasesCreateCmd, newCasesTakeCmd, newCasesRosterCmd, newCasesListCmd, newCasesShowCmd,
	newCasesTransitionCmd, newCasesPriorityCmd, newCasesTaskCmd, newCasesMeetingsCmd, newCasesReviewCmd,
}

// newCasesCmd: livcctl cases, the dossiers.
func newCasesCmd(env *cliEnv) *cobra.Command {
	return group(env, "cases", "register and work dossiers", casesCommands)
}

// casePath is the path of dossier id, with more appended.
func casePath(id string, more ...string) string {
	p := "/v1/cases/" + url.PathEscape(id)
	for _, m := range more {
		p += "/" + url.PathEscape(m)
	}
	return p
}

// newCasesCreateCmd: livcctl cases create --subject REF --signals IDS.
func newCasesCreateCmd(env *cliEnv) *cobra.Command {
	var subject, signals, category string
	var quiet bool
	cmd := &cobra.Command{
		Use:   "create --subject REF --signals IDS",
		Short: "register a dossier (the coordinator)",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(*cobra.Command, []string) error {
		if subject == "" || signals == "" {
			return usageError{errors.New("--subject and --signals are required")}
		}
		body, _ := json.Marshal(broker.CaseRequest{SubjectRef: subject, SignalIDs: strings.Split(signals, ","), Category: category})
		out, _, err := cf.call(env, "POST", "/v1/cases", "application/json", body, true)
		if err != nil {
			return err
		}
		return env.emitID(out, quiet)
	}
	cmd.Flags().StringVar(&subject, "subject", "", "the subject `REF` (s_…) of the person (required)")
	cmd.Flags().StringVar(&signals, "signals", "", "comma-separated signal `IDS` the dossier starts from (required)")
	cmd.Flags().StringVar(&category, "category", "radicalisation", "the dossier's `category`")
	quietFlag(cmd, &quiet, "the dossier's id")
	return cmd
}

// newCasesTakeCmd takes more signals about a dossier's person into it
// (the coordinator, under case_conference).
func newCasesTakeCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "take ID SIGNAL...",
		Short: "take received signals about the dossier's person into it (the coordinator)",
		Args:  minArgs(2, "a dossier ID and the signal ids to take into it"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		body, _ := json.Marshal(broker.TakeSignalsRequest{SignalIDs: args[1:]})
		return cf.send(env, "POST", casePath(args[0], "signals"), body)
	}
	return cmd
}

// newCasesRosterCmd sets a dossier's roster (PUT /v1/cases/{id}/roster).
func newCasesRosterCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roster ID [ACTOR...]",
		Short: "set a dossier's roster (the coordinator); no actor empties it",
		Args:  minArgs(1, "a dossier ID and the actors of its roster"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		actors := append([]string{}, args[1:]...)
		body, _ := json.Marshal(broker.RosterRequest{Actors: actors})
		return cf.send(env, "PUT", casePath(args[0], "roster"), body)
	}
	return cmd
}

// newCasesShowCmd: livcctl cases show ID.
func newCasesShowCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "read one dossier",
		Args:  exactArgs(1, "a dossier ID"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error { return cf.get(env, casePath(args[0])) }
	return cmd
}

// newCasesTransitionCmd: livcctl cases transition --reason TEXT ID STATE.
func newCasesTransitionCmd(env *cliEnv) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "transition ID STATE --reason TEXT",
		Short: "move a dossier to STATE (its roster, the coordinator)",
		Args:  exactArgs(2, "a dossier ID and the state to move to"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if reason == "" {
			return usageError{errors.New("transition needs --reason")}
		}
		body, _ := json.Marshal(broker.TransitionRequest{To: args[1], Reason: reason})
		return cf.send(env, "POST", casePath(args[0], "transitions"), body)
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the dossier moves (`TEXT`, required)")
	return cmd
}

// newCasesPriorityCmd: livcctl cases priority ID 1-5.
func newCasesPriorityCmd(env *cliEnv) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "priority ID 1-5",
		Short: "set a dossier's priority (the tactical table)",
		Args:  exactArgs(2, "a dossier ID and a priority from 1 to 5"),
	}
	cf := env.client(cmd, broker.PurposePrioritisation)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		var p int
		if _, err := fmt.Sscanf(args[1], "%d", &p); err != nil || fmt.Sprint(p) != args[1] {
			return usageError{errors.New("priority takes a dossier ID and a priority from 1 to 5")}
		}
		body, _ := json.Marshal(broker.PriorityRequest{Priority: p})
		return cf.send(env, "PUT", casePath(args[0], "priority"), body)
	}
	return cmd
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

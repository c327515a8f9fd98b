package main

import (
	"encoding/json"
	"errors"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
)

// livcctl signals share ID --case CASE: the submitter's deliberate share
// of its own record with a dossier (art. 458ter); livcctl signals correct
// ID FILE: the submitter replaces its signal by a corrected one.

// newSignalsShareCmd shares one of the caller's own records (a signal, or
// an observation obs_…) with a dossier on whose roster the caller sits
// (POST /v1/signals/{id}/shares, under case_conference): a record of an
// actor type bound by professional secrecy reaches that dossier's roster
// only from then on.
func newSignalsShareCmd(env *cliEnv) *cobra.Command {
	var caseID string
	cmd := &cobra.Command{
		Use:   "share ID --case CASE",
		Short: "share your own record with a dossier whose roster holds you (a record bound by professional secrecy reaches its roster only then)",
		Args:  exactArgs(1, "one signal ID"),
	}
	cf := env.client(cmd, broker.PurposeCaseConference)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		if caseID == "" {
			return usageError{errors.New("signals share needs --case")}
		}
		req, err := json.Marshal(broker.ShareRequest{CaseID: caseID})
		if err != nil {
			return err
		}
		return cf.send(env, "POST", "/v1/signals/"+url.PathEscape(args[0])+"/shares", req)
	}
	cmd.Flags().StringVar(&caseID, "case", "", "the dossier to share the record with (`CASE` id, required); "+
		"the record reaches that dossier's roster from now on, and no other's")
	return cmd
}

// newSignalsCorrectCmd replaces one of the caller's own signals by the
// signal in FILE (POST /v1/signals/{id}/correction, under signal):
// encrypted here to the broker's recipient, as submit does. The earlier
// signal's values leave every card at once and its state becomes
// corrected; the new one takes its place.
func newSignalsCorrectCmd(env *cliEnv) *cobra.Command {
	var classic, quiet bool
	cmd := &cobra.Command{
		Use:   "correct ID FILE",
		Short: "replace your own signal by a corrected one (same person): the earlier values leave every card at once",
		Args:  exactArgs(2, "the signal ID and a FILE (the corrected signal in JSON, naming the person as before; - for standard input)"),
	}
	cf := env.client(cmd, broker.PurposeSignal)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		sealed, err := sealFile(env, cf, args[1], !classic, false)
		if err != nil {
			return err
		}
		body, _, err := cf.call(env, "POST", "/v1/signals/"+url.PathEscape(args[0])+"/correction", "application/age", sealed, true)
		if err != nil {
			return err
		}
		return env.emitID(body, quiet)
	}
	cmd.Flags().BoolVar(&classic, "x25519", false, "encrypt to the broker's X25519 recipient instead of its post-quantum one")
	quietFlag(cmd, &quiet, "the new signal's id")
	return cmd
}

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/envelope"
)

// auditCommands are the subcommands of livcctl audit: the privacy
// officer's review.
var auditCommands = []func(*cliEnv) *cobra.Command{
	newAuditListCmd, newAuditReportCmd, newAuditAlertsCmd, newAuditCheckpointCmd, newAuditCheckpointsCmd,
	newAuditProofCmd, newAuditVerifyCmd, newAuditBrokerVerifyCmd, newAuditExportCmd,
}

// newAuditCmd: livcctl audit.
func newAuditCmd(env *cliEnv) *cobra.Command {
	return group(env, "audit", "the privacy officer's review of the audit log, and its proofs", auditCommands)
}

// auditFilters are the filters of GET /v1/audit: flag name, query name and
// what it keeps.
var auditFilters = []struct{ flag, query, usage string }{
	{"actor", "actor", "only the entries of this organisation (`ACTOR` id)"},
	{"sub", "sub", "only the entries of this person of an organisation (token `SUB`)"},
	{"subject-ref", "subject_ref", "only the entries about this person (`REF`, s_…)"},
	{"case-id", "case_id", "only the entries about this dossier (`CASE` id)"},
	{"action", "action", "only the entries of this `ACTION` (card.read, signal.submit, …)"},
	{"decision", "decision", "only the entries with this `DECISION`: allow, deny or error"},
	{"from", "from", "only the entries at or after this RFC 3339 `TIME`"},
	{"to", "to", "only the entries before this RFC 3339 `TIME`"},
	{"order", "order", "`ORDER` of the entries: asc (oldest first, the default) or desc"},
	{"log", "log", "`LOG` to read: broker for the broker's own log (refused logins) instead of the cell's"},
}

// newAuditListCmd: livcctl audit list, entries filtered (GET /v1/audit).
func newAuditListCmd(env *cliEnv) *cobra.Command {
	var pf pageFlags
	vals := make([]string, len(auditFilters))
	cmd := &cobra.Command{
		Use:   "list",
		Short: "list audit entries (--log broker: the broker's own log)",
		Long: `List audit entries (GET /v1/audit), filtered. An entry names who (sub, actor), the
action, purpose, decision and the released and withheld field names, never a value.`,
		Args: exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(*cobra.Command, []string) error {
		q := url.Values{}
		for i, f := range auditFilters {
			if vals[i] != "" {
				q.Set(f.query, vals[i])
			}
		}
		return pf.list(env, cf, "/v1/audit", q)
	}
	for i, f := range auditFilters {
		cmd.Flags().StringVar(&vals[i], f.flag, "", f.usage)
	}
	pf.register(cmd, "entries", "entry")
	return cmd
}

// newAuditReportCmd prints the per-person report, of a subject ref, or with
// --subject of an identity (a JSON file) encrypted here to the broker, which
// turns it into the person's ref; the pages after the first are asked by
// that ref.
func newAuditReportCmd(env *cliEnv) *cobra.Command {
	var subject string
	cmd := &cobra.Command{
		Use:   "report [REF | --subject FILE]",
		Short: "every access to one person's data, by subject ref or by an identity sent encrypted",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 1) == (subject != "") {
				return usageError{errors.New("report takes one REF (a subject ref, s_…) or --subject FILE")}
			}
			return nil
		},
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(_ *cobra.Command, args []string) error {
		ref := ""
		if len(args) == 1 {
			ref = args[0]
		}
		return auditReport(env, cf, ref, subject)
	}
	cmd.Flags().StringVar(&subject, "subject", "", "an identity `FILE` (JSON: national_number, or family_name, given_name and birth_date; - for standard input), sent encrypted, instead of a REF")
	return cmd
}

// reportPage is a page of the per-person report.
type reportPage struct {
	SubjectRef string            `json:"subject_ref"`
	Items      []json.RawMessage `json:"items"`
	NextCursor string            `json:"next_cursor"`
}

// auditReport reads every page of the report of ref, or of the identity in
// the file subject.
func auditReport(env *cliEnv, cf *clientFlags, ref, subject string) error {
	var all []json.RawMessage
	cursor := ""
	if subject != "" {
		sealed, err := sealIdentity(env, cf, subject)
		if err != nil {
			return err
		}
		body, _, err := cf.call(env, "POST", "/v1/audit/report?limit=1000", "application/age", sealed, true)
		if err != nil {
			return err
		}
		var p reportPage
		if err := json.Unmarshal(body, &p); err != nil {
			return err
		}
		all, ref, cursor = p.Items, p.SubjectRef, p.NextCursor
	}
	for first := subject == ""; first || cursor != ""; first = false {
		q := url.Values{"subject_ref": {ref}, "limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		body, _, err := cf.call(env, "GET", "/v1/audit/report?"+q.Encode(), "", nil, true)
		if err != nil {
			return err
		}
		var p reportPage
		if err := json.Unmarshal(body, &p); err != nil {
			return err
		}
		all, cursor = append(all, p.Items...), p.NextCursor
	}
	if all == nil {
		all = []json.RawMessage{}
	}
	return env.emitValue(map[string]any{"subject_ref": ref, "items": all})
}

// sealIdentity reads an identity file, a bare identity or {"subject": …},
// and encrypts {"subject": …} to the broker's post-quantum recipient.
func sealIdentity(env *cliEnv, cf *clientFlags, name string) ([]byte, error) {
	b, err := readInput(env, name)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("%s is not a JSON object", name)
	}
	if _, ok := top["subject"]; !ok {
		b, _ = json.Marshal(map[string]json.RawMessage{"subject": b})
	}
	recipient, err := brokerRecipient(env, cf, true)
	if err != nil {
		return nil, err
	}
	return envelope.Seal([]string{recipient}, b, false)
}

// newAuditCheckpointCmd saves or prints the latest signed checkpoint,
// verified first.
func newAuditCheckpointCmd(env *cliEnv) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "checkpoint",
		Short: "print, or save with --write FILE, the latest signed checkpoint (verified first)",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(*cobra.Command, []string) error {
		note, _, err := cf.call(env, "GET", "/v1/audit/checkpoint?fresh=1", "", nil, true)
		if err != nil {
			return err
		}
		key, err := checkpointKey(env, cf, "")
		if err != nil {
			return err
		}
		cp, err := auditlog.Open(note, key, "")
		if err != nil {
			return fmt.Errorf("the broker's checkpoint does not verify: %w", err)
		}
		if out == "" {
			_, err = env.stdout.Write(note)
			return err
		}
		if err := writeNew(out, note, 0o644); err != nil {
			return err
		}
		_, err = fmt.Fprintf(env.stdout, "saved the checkpoint of %s at %d entries to %s\n", cp.Origin, cp.Size, out)
		return err
	}
	cmd.Flags().StringVar(&out, "write", "", "save the signed checkpoint to `FILE` (refuses to overwrite); default standard output")
	return cmd
}

// checkpointKey returns the verifier key: the one given, else the broker's
// (GET /v1/keys), which proves only that the log is consistent with what the
// broker says today; an offline check needs the key given.
func checkpointKey(env *cliEnv, cf *clientFlags, given string) (string, error) {
	if given != "" {
		return given, nil
	}
	if k := os.Getenv("LIVC_CHECKPOINT_KEY"); k != "" {
		return k, nil
	}
	body, _, err := cf.call(env, "GET", "/v1/keys", "", nil, false)
	if err != nil {
		return "", err
	}
	var keys broker.PublicKeys
	if err := json.Unmarshal(body, &keys); err != nil || keys.CheckpointKey == "" {
		return "", errors.New("the broker publishes no checkpoint key")
	}
	return keys.CheckpointKey, nil
}

// newAuditExportCmd prints the log as JSON lines: the checkpoint, then
// each entry with its inclusion proof. Every page is pinned to the first
// page's checkpoint (size=), so that every proof is in the one tree the
// first line signs, however the log grows meanwhile.
func newAuditExportCmd(env *cliEnv) *cobra.Command {
	var from, to int64
	var page int
	cmd := &cobra.Command{
		Use:   "export",
		Short: "a range of the log as JSON lines (the checkpoint, then each entry with its inclusion proof)",
		Args:  exactArgs(0, "no argument"),
	}
	cf := env.client(cmd, broker.PurposeAuditReview)
	cmd.RunE = func(*cobra.Command, []string) error {
		if page < 1 || page > broker.MaxLimit {
			return usageError{fmt.Errorf("--page must be from 1 to %d", broker.MaxLimit)}
		}
		return auditExport(env, cf, from, to, page)
	}
	cmd.Flags().Int64Var(&from, "from", 0, "the first `INDEX` to export")
	cmd.Flags().Int64Var(&to, "to", -1, "export up to this `INDEX`, exclusive; default the first page's checkpoint")
	cmd.Flags().IntVar(&page, "page", broker.MaxLimit, "how many entries per request, from 1 to 1000")
	return cmd
}

// auditExport writes the export of [from, to) in pages of page entries.
func auditExport(env *cliEnv, cf *clientFlags, from, to int64, page int) error {
	var size int64 // the first page's checkpoint's, which pins the others
	for next := from; to < 0 || next < to; {
		x, err := fetchExport(env, cf, next, page, size, true)
		if err != nil {
			return err
		}
		if next == from {
			if size, err = exportSize(x.Checkpoint); err != nil {
				return err
			}
			line, _ := json.Marshal(map[string]string{"checkpoint": x.Checkpoint})
			fmt.Fprintf(env.stdout, "%s\n", line)
		}
		for _, it := range x.Items {
			if to >= 0 && it.Index >= to {
				return nil
			}
			line, _ := json.Marshal(it)
			fmt.Fprintf(env.stdout, "%s\n", line)
		}
		if x.Next == 0 {
			break
		}
		next = x.Next
	}
	return nil
}

// exportSize reads the tree size of an export's first checkpoint (its
// signature is checked by whoever verifies the export). A page with no
// checkpoint (from past the log's end) has no entries and nothing to pin.
func exportSize(note string) (int64, error) {
	if note == "" {
		return 0, nil
	}
	cp, err := auditlog.ParseCheckpoint(noteBody([]byte(note)))
	if err != nil {
		return 0, fmt.Errorf("the export's checkpoint: %w", err)
	}
	return cp.Size, nil
}

// noteBody returns the text of a signed note, before its blank line.
func noteBody(n []byte) []byte {
	if i := bytes.Index(n, []byte("\n\n")); i >= 0 {
		return n[:i+1]
	}
	return n
}

// fetchExport asks for one page of the export from index from, pinned to the
// tree of size when size > 0.
func fetchExport(env *cliEnv, cf *clientFlags, from int64, limit int, size int64, proofs bool) (broker.Export, error) {
	var x broker.Export
	q := url.Values{"from": {strconv.FormatInt(from, 10)}, "limit": {strconv.Itoa(limit)}, "proofs": {strconv.FormatBool(proofs)}}
	if size > 0 {
		q.Set("size", strconv.FormatInt(size, 10))
	}
	body, _, err := cf.call(env, "GET", "/v1/audit/export?"+q.Encode(), "", nil, true)
	if err != nil {
		return x, err
	}
	return x, json.Unmarshal(body, &x)
}

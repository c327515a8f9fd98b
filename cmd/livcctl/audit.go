package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strconv"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/envelope"
)

// cmdAudit runs the privacy officer's review: list, report, checkpoint,
// verify and export.
func cmdAudit(env *cliEnv, args []string) error {
	if len(args) == 0 {
		return usageError{errors.New("audit takes a subcommand: list, report, checkpoint, verify or export")}
	}
	if isHelp(args[0]) {
		return groupHelp(env, "audit")
	}
	switch args[0] {
	case "list":
		return cmdAuditList(env, args[1:])
	case "report":
		return cmdAuditReport(env, args[1:])
	case "checkpoint":
		return cmdAuditCheckpoint(env, args[1:])
	case "verify":
		return cmdAuditVerify(env, args[1:])
	case "export":
		return cmdAuditExport(env, args[1:])
	}
	return usageError{fmt.Errorf("unknown audit subcommand %q", args[0])}
}

// cmdAuditReport prints the per-person report, of a subject ref, or with
// --subject of an identity (a JSON file) encrypted here to the broker, which
// turns it into the person's ref; the pages after the first are asked by
// that ref.
func cmdAuditReport(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("audit report", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeAuditReview)
	subject := fs.String("subject", "", "an identity `FILE` (JSON: national_number, or family_name, given_name and birth_date; - for standard input), sent encrypted, instead of a REF")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if (fs.NArg() == 1) == (*subject != "") || fs.NArg() > 1 {
		return usageError{errors.New("report takes one REF (a subject ref, s_…) or --subject FILE")}
	}
	ref, cursor := fs.Arg(0), ""
	var all []json.RawMessage
	type page struct {
		SubjectRef string            `json:"subject_ref"`
		Items      []json.RawMessage `json:"items"`
		NextCursor string            `json:"next_cursor"`
	}
	if *subject != "" {
		sealed, err := sealIdentity(env, &cf, *subject)
		if err != nil {
			return err
		}
		body, _, err := cf.call(env, "POST", "/v1/audit/report?limit=1000", "application/age", sealed, true)
		if err != nil {
			return err
		}
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			return err
		}
		all, ref, cursor = p.Items, p.SubjectRef, p.NextCursor
	}
	for first := *subject == ""; first || cursor != ""; first = false {
		q := url.Values{"subject_ref": {ref}, "limit": {"1000"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		body, _, err := cf.call(env, "GET", "/v1/audit/report?"+q.Encode(), "", nil, true)
		if err != nil {
			return err
		}
		var p page
		if err := json.Unmarshal(body, &p); err != nil {
			return err
		}
		all, cursor = append(all, p.Items...), p.NextCursor
	}
	if all == nil {
		all = []json.RawMessage{}
	}
	out, _ := json.Marshal(map[string]any{"subject_ref": ref, "items": all})
	return printJSON(env.stdout, out)
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

func cmdAuditCheckpoint(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("audit checkpoint", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeAuditReview)
	out := fs.String("o", "", "save the signed checkpoint to `FILE` (refuses to overwrite); default standard output")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	note, _, err := cf.call(env, "GET", "/v1/audit/checkpoint?fresh=1", "", nil, true)
	if err != nil {
		return err
	}
	key, err := checkpointKey(env, &cf, "")
	if err != nil {
		return err
	}
	cp, err := auditlog.Open(note, key, "")
	if err != nil {
		return fmt.Errorf("the broker's checkpoint does not verify: %w", err)
	}
	if *out == "" {
		_, err = env.stdout.Write(note)
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(note); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "saved the checkpoint of %s at %d entries to %s\n", cp.Origin, cp.Size, *out)
	return nil
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

// cmdAuditExport prints the log as JSON lines: the checkpoint, then each
// entry with its inclusion proof. Every page is pinned to the first page's
// checkpoint (size=), so that every proof is in the one tree the first line
// signs, however the log grows meanwhile.
func cmdAuditExport(env *cliEnv, args []string) error {
	fs := flag.NewFlagSet("audit export", flag.ContinueOnError)
	var cf clientFlags
	cf.register(fs, broker.PurposeAuditReview)
	from := fs.Int64("from", 0, "the first `index` to export")
	to := fs.Int64("to", -1, "export up to this `index`, exclusive; default the first page's checkpoint")
	page := fs.Int("page", broker.MaxLimit, "entries per request, from 1 to 1000")
	if err := parseFlags(fs, env, args); err != nil {
		return err
	}
	if *page < 1 || *page > broker.MaxLimit {
		return usageError{fmt.Errorf("--page must be from 1 to %d", broker.MaxLimit)}
	}
	var size int64 // the first page's checkpoint's, which pins the others
	for next := *from; *to < 0 || next < *to; {
		x, err := fetchExport(env, &cf, next, *page, size, true)
		if err != nil {
			return err
		}
		if next == *from {
			if size, err = exportSize(x.Checkpoint); err != nil {
				return err
			}
			line, _ := json.Marshal(map[string]string{"checkpoint": x.Checkpoint})
			fmt.Fprintf(env.stdout, "%s\n", line)
		}
		for _, it := range x.Items {
			if *to >= 0 && it.Index >= *to {
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

package decisions

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"slices"
	"sort"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The rows of every action but card.read, case.list and case.read, and the
// card reads about an adult or a minor (a row's subject), are generated from this file's own reading of the cell's YAML and of the rules
// of the specification and README (who may do what, under which purpose),
// never from the policy's output. TestGeneratedRows checks that the table
// holds exactly these rows; `go test ./test/decisions -update` rewrites them.

var update = flag.Bool("update", false, "rewrite the generated rows of testdata/decisions.json")

// states is every state of a dossier.
var states = []string{"registration", "formation", "weighing", "approach", "evaluation", "closed"}

// generatedActions are the actions whose rows the model writes.
var generatedActions = []string{
	"signal.submit", "observation.submit", "signal.list", "case.create", "roster.change", "case.transition",
	"case.priority", "task.assign", "task.report", "stats.read", "subject.lookup", "subject.erase", "audit.read",
	"signal.mine", "signal.withdraw", "signal.dismiss", "task.mine", "case.take_signals", "signal.share",
	"signal.correct", "meeting.record", "meeting.list", "retention.list", "case.review",
}

// cellModel is the YAML of the cell, read here without the broker's loader.
type cellModel struct {
	Actors []struct {
		ID          string `yaml:"id"`
		Type        string `yaml:"type"`
		Coordinator bool   `yaml:"coordinator"`
	} `yaml:"actors"`
	Tables   map[string][]string `yaml:"tables"`
	Secrecy  []string            `yaml:"secrecy"`
	Purposes map[string]struct {
		Table *string `yaml:"table"`
	} `yaml:"purposes"`
	Fields map[string]struct {
		Class string `yaml:"class"`
	} `yaml:"fields"`
	Release map[string]map[string][]string `yaml:"release"`
	Minors  *struct {
		Release map[string]map[string][]string `yaml:"release"`
	} `yaml:"minors"`
}

func loadModel(t *testing.T, path string) *cellModel {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m cellModel
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return &m
}

func (m *cellModel) typeOf(id string) string {
	for _, a := range m.Actors {
		if a.ID == id {
			return a.Type
		}
	}
	return ""
}

func (m *cellModel) coordinator(id string) bool {
	for _, a := range m.Actors {
		if a.ID == id {
			return a.Coordinator
		}
	}
	return false
}

// mayUse: the actor sits at the purpose's table; a purpose of no table is
// any actor's, but audit_review is the privacy officer's only.
func (m *cellModel) mayUse(id, purpose string) bool {
	p, ok := m.Purposes[purpose]
	switch {
	case !ok:
		return false
	case purpose == "audit_review":
		return m.typeOf(id) == "privacy_officer"
	case p.Table == nil:
		return true
	}
	return slices.Contains(m.Tables[*p.Table], id)
}

func (m *cellModel) operational(id string) bool { return slices.Contains(m.Tables["operational"], id) }

// allowed is the model's answer for one row.
func (m *cellModel) allowed(r row) bool {
	id, open := r.Actor, r.State != "closed"
	use := func(purpose string) bool { return r.Purpose == purpose && m.mayUse(id, purpose) }
	switch r.Action {
	case "signal.submit", "observation.submit":
		return use("signal") // any actor records a signal or the person's presence
	case "signal.list":
		// The intake is the coordinator's, who takes signals into dossiers.
		return use("case_conference") && m.coordinator(id)
	case "signal.mine", "signal.withdraw", "signal.correct":
		// Any actor follows and withdraws its own signals (which are its
		// own is the pipeline's business: another's is the uniform 404).
		return use("signal")
	case "signal.dismiss":
		return use("case_conference") && m.coordinator(id)
	case "case.create":
		return use("case_conference") && m.coordinator(id)
	case "signal.share":
		// The submitter shares its own record (which are its own is the
		// pipeline's) with an open dossier whose roster holds it.
		return use("case_conference") && open && slices.Contains(r.Roster, id)
	case "case.take_signals":
		// The coordinator takes more signals into an open dossier; a
		// roster member does not (which signals qualify is the pipeline's).
		return use("case_conference") && m.coordinator(id) && open
	case "roster.change":
		// The coordinator sets the roster of an open dossier, from the
		// operational table only.
		every := !slices.ContainsFunc(r.TargetRoster, func(a string) bool { return !m.operational(a) })
		return use("case_conference") && m.coordinator(id) && open && every
	case "case.transition":
		// Roster members of the open dossier, and the coordinator (which
		// moves exist is the lifecycle's business, not the policy's); an
		// outcome, when the move records one, from the move's list
		// (docs/api.md, "Step outcomes").
		listed := r.Outcome == "" || slices.Contains(stepOutcomes[r.State+">"+r.To], r.Outcome)
		return use("case_conference") && (m.coordinator(id) || (open && slices.Contains(r.Roster, id))) && listed
	case "case.priority":
		return use("prioritisation") && open
	case "task.assign":
		// A task goes only to an actor on the dossier's roster (which
		// holds actors of the operational table only).
		return use("prioritisation") && open && m.operational(r.TaskActor) && slices.Contains(r.Roster, r.TaskActor)
	case "task.report":
		// Only the assignee, while on the roster of the open dossier.
		return use("case_conference") && open && r.Assignee == id && slices.Contains(r.Roster, id)
	case "task.mine":
		// Any actor of the operational table lists its own tasks (which
		// are its own, on which open dossiers, is the pipeline's business).
		return use("case_conference") && m.operational(id)
	case "meeting.record":
		// The coordinator keeps the minutes of an open dossier; whoever
		// they name (attendees, decisions' owners) is on its roster.
		every := !slices.ContainsFunc(r.Attendees, func(a string) bool { return !slices.Contains(r.Roster, a) || !m.operational(a) })
		return use("case_conference") && m.coordinator(id) && open && every
	case "meeting.list":
		// Whoever reads the dossier under case_conference: its roster
		// while it is open, and the coordinator.
		return use("case_conference") && (m.coordinator(id) || (open && slices.Contains(r.Roster, id)))
	case "retention.list":
		return use("case_conference") && m.coordinator(id)
	case "case.review":
		// The coordinator keeps a closed dossier one more retention
		// period (that it is closed is the pipeline's check).
		return use("case_conference") && m.coordinator(id)
	case "stats.read":
		return use("policy")
	case "subject.lookup":
		return use("case_conference")
	case "subject.erase":
		return (use("case_conference") && m.coordinator(id)) || use("audit_review")
	case "audit.read":
		return use("audit_review")
	}
	return false
}

// cardRow is the model's answer for a card read about an adult or a minor
// (README rules 1 and 9): an actor may read a card under a purpose it may
// use, but not under policy (aggregates only) or audit_review; it is shown
// back its own submissions, and the fields of the classes the matrix gives
// its type under the purpose, about a person with an open dossier and, for
// case_conference, only on that dossier's roster. For a minor the matrix is
// minors.release, where the cell sets one.
func (m *cellModel) cardRow(r row) row {
	id, open := r.Actor, r.State != "closed"
	r.Allow = m.mayUse(id, r.Purpose) && r.Purpose != "policy" && r.Purpose != "audit_review"
	r.Own, r.Fields = r.Allow, []string{}
	if r.Allow && len(m.Secrecy) > 0 {
		r.ShareTypes = slices.Sorted(slices.Values(m.Secrecy)) // records of these types only once shared
	}
	inScope := open && (r.Purpose != "case_conference" || slices.Contains(r.Roster, id))
	if !r.Allow || !inScope {
		return r
	}
	matrix := m.Release
	if r.Subject == "minor" && m.Minors != nil {
		matrix = m.Minors.Release
	}
	for name, f := range m.Fields {
		if slices.Contains(matrix[r.Purpose][f.Class], m.typeOf(id)) {
			r.Fields = append(r.Fields, name)
		}
	}
	sort.Strings(r.Fields)
	return r
}

// stepOutcomes are the outcomes each move may record, as docs/api.md lists
// them.
var stepOutcomes = map[string][]string{
	"weighing>approach":   {"concern_confirmed", "concern_unclear"},
	"weighing>closed":     {"no_concern", "referred_elsewhere", "handled_elsewhere"},
	"approach>evaluation": {"plan_carried_out", "plan_partly_carried_out", "plan_not_carried_out"},
	"evaluation>closed":   {"risk_reduced", "risk_unchanged", "referred_elsewhere", "no_cooperation"},
}

// someoneElse is an actor of the cell other than id, at the operational table.
func someoneElse(id string) string {
	if id == "vsse" {
		return "clb"
	}
	return "vsse"
}

// variants are the requests of one action by one actor under one purpose.
func variants(action, id string) []row {
	var out []row
	for _, st := range states {
		base := row{Action: action, State: st}
		switch action {
		case "case.transition", "case.take_signals", "signal.share", "meeting.list", "case.review":
			on, off := base, base
			on.Roster, off.Roster = []string{someoneElse(id), id}, []string{someoneElse(id)}
			out = append(out, on, off)
			if action == "case.transition" {
				// The weighing's assessment into approach, and an outcome
				// of another move.
				good, bad := on, on
				good.To, good.Outcome, bad.To, bad.Outcome = "approach", "concern_confirmed", "approach", "risk_reduced"
				out = append(out, good, bad)
			}
		case "roster.change":
			ok, bad := base, base
			ok.TargetRoster, bad.TargetRoster = []string{"ocmw", "pz"}, []string{"ocmw", "burgemeester"}
			out = append(out, ok, bad)
		case "case.priority":
			out = append(out, base)
		case "meeting.record":
			on, off := base, base
			on.Roster, off.Roster = []string{"ocmw", "pz"}, []string{"ocmw", "pz"}
			on.Attendees, off.Attendees = []string{"ocmw", "pz"}, []string{"ocmw", "vsse"}
			out = append(out, on, off)
		case "task.assign":
			on, off, notOp := base, base, base
			on.TaskActor, off.TaskActor, notOp.TaskActor = "clb", "vsse", "burgemeester"
			on.Roster, off.Roster, notOp.Roster = []string{"clb", "pz"}, []string{"clb", "pz"}, []string{"clb", "pz", "burgemeester"}
			out = append(out, on, off, notOp)
		case "task.report":
			mine, offRoster, other := base, base, base
			mine.Assignee, offRoster.Assignee, other.Assignee = id, id, someoneElse(id)
			mine.Roster, offRoster.Roster, other.Roster = []string{someoneElse(id), id}, []string{someoneElse(id)}, []string{someoneElse(id), id}
			out = append(out, mine, offRoster, other)
		default:
			return []row{{Action: action}} // not an action on one dossier
		}
	}
	return out
}

// generate is every row of the generated actions: every actor at every
// purpose, every state and variant.
func generate(m *cellModel) []row {
	purposes := make([]string, 0, len(m.Purposes))
	for p := range m.Purposes {
		purposes = append(purposes, p)
	}
	sort.Strings(purposes)
	var out []row
	for _, action := range generatedActions {
		for _, a := range m.Actors {
			for _, p := range purposes {
				for _, r := range variants(action, a.ID) {
					r.Actor, r.Purpose, r.Fields = a.ID, p, []string{}
					r.Allow = m.allowed(r)
					out = append(out, r)
				}
			}
		}
	}
	// Card reads about an adult and about a minor, on and off the roster
	// of an open dossier and on the roster of a closed one.
	for _, a := range m.Actors {
		for _, p := range purposes {
			for _, subject := range []string{"adult", "minor"} {
				for _, v := range []row{
					{State: "approach", Roster: []string{someoneElse(a.ID), a.ID}},
					{State: "approach", Roster: []string{someoneElse(a.ID)}},
					{State: "closed", Roster: []string{someoneElse(a.ID), a.ID}},
				} {
					v.Actor, v.Purpose, v.Action, v.Subject = a.ID, p, "card.read", subject
					out = append(out, m.cardRow(v))
				}
			}
		}
	}
	return out
}

// generated tells the rows the model writes from the others.
func generated(r row) bool {
	return slices.Contains(generatedActions, r.Action) || r.Subject != ""
}

// TestGeneratedRows: the table holds, for the generated actions, exactly the
// rows the model generates (with -update, it is rewritten so).
func TestGeneratedRows(t *testing.T) {
	tab := readTable(t)
	m := loadModel(t, tab.Cell)
	var kept, have []row
	for _, r := range tab.Cases {
		if generated(r) {
			have = append(have, r)
		} else {
			kept = append(kept, r)
		}
	}
	want := generate(m)
	if *update {
		tab.Cases = append(kept, want...)
		writeTable(t, tab)
		return
	}
	if len(have) != len(want) {
		t.Fatalf("%d generated rows in the table, the model makes %d (go test -update)", len(have), len(want))
	}
	for i := range want {
		a, _ := json.Marshal(have[i])
		b, _ := json.Marshal(want[i])
		if !bytes.Equal(a, b) {
			t.Fatalf("row %d\n got %s\nwant %s", i, a, b)
		}
	}
}

// writeTable writes the table one row a line, so that a change of a row is
// one line of a diff.
func writeTable(t *testing.T, tab table) {
	var buf bytes.Buffer
	cell, _ := json.Marshal(tab.Cell)
	buf.WriteString("{\n \"cell\": " + string(cell) + ",\n \"cases\": [\n")
	for i, r := range tab.Cases {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString("  " + string(b))
		if i < len(tab.Cases)-1 {
			buf.WriteString(",")
		}
		buf.WriteString("\n")
	}
	buf.WriteString(" ]\n}\n")
	if err := os.WriteFile(tablePath, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

package broker

import (
	"slices"
	"time"
)

// Task scenarios, as the tactical table keeps them per target group.
var Scenarios = []string{"proactive", "preventive", "curative", "reactive"}

// Task statuses, in the only order a task moves through them.
const (
	TaskOpen       = "open"
	TaskInProgress = "in_progress"
	TaskDone       = "done"
)

// Task is a task the tactical table assigned on a dossier, as stored: its
// texts are sealed under the person's data key, so that erasing the person
// makes them unreadable too.
type Task struct {
	ID                string    `json:"id"`
	Actor             string    `json:"actor"`
	Due               string    `json:"due"`
	Scenario          string    `json:"scenario"`
	Status            string    `json:"status"`
	SealedDescription []byte    `json:"sealed_description,omitempty"`
	SealedReport      []byte    `json:"sealed_report,omitempty"`
	AssignedBy        string    `json:"assigned_by"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// Move is one state change of a dossier, as stored; its reason is sealed.
type Move struct {
	From         string    `json:"from"`
	To           string    `json:"to"`
	By           string    `json:"by"`
	At           time.Time `json:"at"`
	SealedReason []byte    `json:"sealed_reason,omitempty"`
	// Outcome is what the step came to, from the policy's list; the plan
	// of measures is sealed (cases_outcomes.go).
	Outcome        string `json:"outcome,omitempty"`
	SealedMeasures []byte `json:"sealed_measures,omitempty"`
}

// CaseView is a dossier as a requester sees it: no field of the person, only
// its pseudonym; texts opened. Report and reason texts were written under
// case_conference and are shown under that purpose only (purpose binding).
type CaseView struct {
	ID         string     `json:"id"`
	SubjectRef string     `json:"subject_ref"`
	Category   string     `json:"category"`
	State      string     `json:"state"`
	Priority   int        `json:"priority,omitempty"`
	Roster     []string   `json:"roster"`
	Tasks      []TaskView `json:"tasks"`
	History    []MoveView `json:"history"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// TaskView is a task as a requester sees it.
type TaskView struct {
	ID          string    `json:"id"`
	Actor       string    `json:"actor"`
	Description string    `json:"description"`
	Due         string    `json:"due"`
	Scenario    string    `json:"scenario"`
	Status      string    `json:"status"`
	Report      string    `json:"report,omitempty"`
	AssignedBy  string    `json:"assigned_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// MoveView is a state change as a requester sees it.
type MoveView struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
	// Outcome is shown with the history; Measures under case_conference
	// only, like the reason.
	Outcome  string    `json:"outcome,omitempty"`
	Measures []Measure `json:"measures,omitempty"`
}

// CasePage is one page of a dossier listing.
type CasePage struct {
	Items      []CaseView `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// CaseQuery asks the store for one page of dossiers in a scope.
type CaseQuery struct {
	Livc   string
	Scope  string // ScopeCell or ScopeRoster
	Actor  string // for ScopeRoster: whose rosters
	Cursor string // "" for the first page
	Limit  int
}

// Counts are a cell's aggregates as the store keeps them: exact counts,
// before any suppression. The priority key "none" counts dossiers without
// a priority, so that every breakdown partitions the same dossiers.
type Counts struct {
	ByState        map[string]int
	ByCategory     map[string]int
	ByPriority     map[string]int
	SignalsByMonth map[string]int
	// SignalsBySource counts the signals of each month (YYYY-MM) by their
	// source actor, so that a requester's view can leave its own out
	// (Counts.Without). Signals stored before these counts were kept are
	// in SignalsByMonth only.
	SignalsBySource map[string]map[string]int
}

// Without returns the counts as actor may see them: each month's signals
// less actor's own, so that its own submissions never move what it sees
// (it could otherwise step a "<5" to 5 and learn the hidden count). Months
// left at zero are left out, as the store leaves zero counts out.
func (c Counts) Without(actor string) Counts {
	months := make(map[string]int, len(c.SignalsByMonth))
	for m, n := range c.SignalsByMonth {
		if n -= c.SignalsBySource[m][actor]; n > 0 {
			months[m] = n
		}
	}
	c.SignalsByMonth, c.SignalsBySource = months, nil
	return c
}

// clone returns a copy of the dossier that shares no slice with it, so that
// a change planned on the copy leaves the loaded dossier as it was.
func (c Case) clone() Case {
	c.SignalIDs = slices.Clone(c.SignalIDs)
	c.Shared = slices.Clone(c.Shared)
	c.Roster = slices.Clone(c.Roster)
	c.Tasks = slices.Clone(c.Tasks)
	c.History = slices.Clone(c.History)
	return c
}

// withoutTexts returns the dossier with its sealed texts dropped, for
// answers that do not open them.
func (c Case) withoutTexts() Case {
	tasks := make([]Task, len(c.Tasks))
	for i, t := range c.Tasks {
		t.SealedDescription, t.SealedReport = nil, nil
		tasks[i] = t
	}
	moves := make([]Move, len(c.History))
	for i, m := range c.History {
		m.SealedReason, m.SealedMeasures = nil, nil
		moves[i] = m
	}
	c.Tasks, c.History = tasks, moves
	return c
}

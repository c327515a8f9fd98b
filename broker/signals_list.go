package broker

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The states of a signal in the coordinator's intake. Every signal lands as
// received, or held when its identifiers name two persons the broker knows
// apart; the coordinator takes it into a dossier (in_dossier).
const (
	SignalReceived  = "received"
	SignalHeld      = "held"
	SignalInDossier = "in_dossier"
	SignalDismissed = "dismissed"
	SignalWithdrawn = "withdrawn"
	// SignalCorrected is a signal its submitter replaced by a new one
	// (signals_correct.go): its record is gone, like a withdrawn one's.
	SignalCorrected = "corrected"
)

// signalStates are the states ?state= may ask for.
var signalStates = []string{SignalReceived, SignalHeld, SignalInDossier, SignalDismissed, SignalWithdrawn, SignalCorrected, SignalExpired}

// SignalEntry is a signal as the coordinator's intake shows it: who sent it
// about which pseudonym, when, and where it stands. No field value, no
// identity: the coordinator reads those on the card.
type SignalEntry struct {
	ID         string    `json:"id"`
	SubjectRef string    `json:"subject_ref"`
	Source     string    `json:"source"`
	ReceivedAt time.Time `json:"received_at"`
	ObservedAt time.Time `json:"observed_at"`
	State      string    `json:"state"`
	CaseID     string    `json:"case_id,omitempty"`
	// ChangedAt is when the signal last changed state (retention counts
	// from it); zero when it has not since it arrived. A plan that moves
	// the signal records the ChangedAt of the entry it is given, which the
	// caller sets to the move's time.
	ChangedAt time.Time `json:"-"`
}

// intakeNames are the names of a SignalEntry's fields, which an intake
// read's audit entry records as released.
var intakeNames = []string{"case_id", "id", "observed_at", "received_at", "source", "state", "subject_ref"}

// SignalQuery asks the store for one page of a cell's intake.
type SignalQuery struct {
	Livc   string
	State  string // "" for every state
	Source string // "" for every source; else that actor's signals, of every state
	Cursor string // "" for the first page
	Limit  int
}

// SignalPage is one page of the intake.
type SignalPage struct {
	Items      []SignalEntry `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// EnvelopeBinding is what an envelope was submitted as: by which actor,
// the record it made and about whom. An envelope whose record was erased
// stays spent (Spent), bound to no one, so that a copy of it never makes a
// record again.
type EnvelopeBinding struct {
	Digest     string
	Submitter  string
	Record     string
	SubjectRef string
	Spent      bool
}

// ListSignals answers GET /v1/signals: the coordinator's intake, newest
// first, optionally of one state, in pages. It releases pseudonyms and
// provenance, never a value; its audit entry names the fields it released.
//
// Steps: authenticate, decide, then the query (422 naming state, limit or
// cursor), read, audit, answer.
func (s *Service) ListSignals(ctx context.Context, req *Request, state, cursor, limit string) (SignalPage, error) {
	c, err := s.begin(ctx, req, ActionSignalList)
	if err != nil {
		return SignalPage{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return SignalPage{}, err
	}
	q, err := signalQuery(c.cell.ID, state, cursor, limit)
	if err != nil {
		return SignalPage{}, c.fail(ctx, err)
	}
	items, next, err := s.c.Store.ListSignals(ctx, q)
	if err != nil {
		return SignalPage{}, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	if items == nil {
		items = []SignalEntry{}
	}
	c.entry.Released = []string{}
	if len(items) > 0 {
		c.entry.Released = intakeNames
	}
	c.entry.Reason = strconv.Itoa(len(items)) + " signals"
	if err := c.allow(ctx); err != nil {
		return SignalPage{}, err
	}
	return SignalPage{Items: items, NextCursor: next}, nil
}

// signalQuery checks the query of an intake read.
func signalQuery(livc, state, cursor, limit string) (SignalQuery, error) {
	q := SignalQuery{Livc: livc, State: state, Cursor: cursor, Limit: DefaultLimit}
	if state != "" && !slices.Contains(signalStates, state) {
		return q, Invalid("state", "must be one of: %s", strings.Join(signalStates, ", "))
	}
	if cursor != "" && !decimal(cursor) {
		return q, Invalid("cursor", "is not a cursor of this listing")
	}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return q, Invalid("limit", "must be from 1 to %d", MaxLimit)
		}
		q.Limit = n
	}
	return q, nil
}

// decimal reports whether s is 1 to 18 ASCII digits: a sequence number.
func decimal(s string) bool {
	if len(s) == 0 || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !asciiDigit(s[i]) {
			return false
		}
	}
	return true
}

package broker

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The signaller hears back (README rule 11): it follows the state of its
// organisation's signals, and may withdraw one; the coordinator may dismiss
// a signal of the intake.

// MySignal is a signal as its submitter follows it: its id, when it
// arrived and where it stands. Nothing about the person or the dossier.
type MySignal struct {
	ID         string    `json:"id"`
	ReceivedAt time.Time `json:"received_at"`
	State      string    `json:"state"`
}

// MySignalPage is one page of the requester's signals.
type MySignalPage struct {
	Items      []MySignal `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty"`
}

// mineNames are the names of a MySignal's fields, released by a read.
var mineNames = []string{"id", "received_at", "state"}

// Dismissal is the coordinator's answer to a dismissal: the signal and its
// new state.
type Dismissal struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// DismissalRequest is the body of POST /v1/signals/{id}/dismissal.
type DismissalRequest struct {
	Reason string `json:"reason"`
}

// submitterState is the state a signal's submitter is shown: a signal held
// for an identity conflict is received as far as its submitter knows (the
// conflict is the coordinator's business).
func submitterState(state string) string {
	if state == SignalHeld {
		return SignalReceived
	}
	return state
}

// MySignals answers GET /v1/signals/mine: the requester's actor's signals,
// newest first, in pages.
//
// Steps: authenticate, decide, the query (422 naming limit or cursor),
// read, audit, answer.
func (s *Service) MySignals(ctx context.Context, req *Request, cursor, limit string) (MySignalPage, error) {
	c, err := s.begin(ctx, req, ActionSignalMine)
	if err != nil {
		return MySignalPage{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return MySignalPage{}, err
	}
	q, err := signalQuery(c.cell.ID, "", cursor, limit)
	if err != nil {
		return MySignalPage{}, c.fail(ctx, err)
	}
	q.Source = c.actor.ID
	items, next, err := s.c.Store.ListSignals(ctx, q)
	if err != nil {
		return MySignalPage{}, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	page := MySignalPage{Items: make([]MySignal, 0, len(items)), NextCursor: next}
	for _, e := range items {
		if e.Source != c.actor.ID { // never another's, whatever the index holds
			continue
		}
		page.Items = append(page.Items, MySignal{ID: e.ID, ReceivedAt: e.ReceivedAt, State: submitterState(e.State)})
	}
	c.entry.Released = []string{}
	if len(page.Items) > 0 {
		c.entry.Released = mineNames
	}
	c.entry.Reason = strconv.Itoa(len(page.Items)) + " signals"
	if err := c.allow(ctx); err != nil {
		return MySignalPage{}, err
	}
	return page, nil
}

// DismissSignal answers POST /v1/signals/{id}/dismissal: the coordinator
// decides a signal needs no follow-up. Only a received or held signal may be
// dismissed (else 409). The reason is checked and never stored: the audit
// entry records the move and the reason's length, not its text.
//
// Steps: authenticate, decide (the coordinator's alone, whatever the
// signal: who may not dismiss learns nothing of it), the signal (the
// uniform 404 for an unknown id), the body, the state, one commit of the
// allow entry with the move.
func (s *Service) DismissSignal(ctx context.Context, req *Request, id string) (Dismissal, error) {
	c, err := s.begin(ctx, req, ActionSignalDismiss)
	if err != nil {
		return Dismissal{}, err
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return Dismissal{}, err
	}
	e, err := s.signal(ctx, c, id)
	if err != nil {
		return Dismissal{}, c.fail(ctx, err)
	}
	in, err := readBody[DismissalRequest](ctx, c)
	if err != nil {
		return Dismissal{}, err
	}
	if err := checkFreeText("reason", in.Reason, maxReasonRunes); err != nil {
		return Dismissal{}, c.fail(ctx, err)
	}
	if e.State != SignalReceived && e.State != SignalHeld {
		return Dismissal{}, c.fail(ctx, Errorf(KindConflict, "only a received or held signal may be dismissed"))
	}
	c.entry.Reason = "state " + e.State + " -> " + SignalDismissed + "; reason of " +
		strconv.Itoa(utf8.RuneCountInString(in.Reason)) + " characters, not kept"
	c.entry.Released = []string{"id", "state"}
	e.ChangedAt = s.c.Now().UTC() // retention counts from the dismissal
	err = c.write(ctx, 1, func() (Write, error) {
		return s.c.Store.PlanSignalState(ctx, c.cell.ID, e, SignalDismissed)
	})
	if err != nil {
		return Dismissal{}, err
	}
	return Dismissal{ID: e.ID, State: SignalDismissed}, nil
}

// WithdrawSignal answers DELETE /v1/signals/{id}: its submitter withdraws
// a signal. Its record is deleted from the person's records and source
// index and crypto-shredded like an erasure: in the same commit the person
// is re-keyed (rekeyWithout), so that once the key epoch turns no copy of
// the store taken before opens the withdrawn record, while the person's
// other records and dossier texts read on under the fresh key. Its
// envelope stays spent, and the intake shows it withdrawn. A signal already
// in a dossier may be withdrawn: its values leave every card at once.
//
// Steps: authenticate, the signal (another actor's, or an unknown id, is
// the uniform 404, after a purpose the requester may not use: 403), decide,
// the state (409 once withdrawn), one commit of the allow entry with the
// withdrawal and the re-keying (re-planned, and re-sealed, if the person's
// data changed meanwhile); then the old data key is forgotten in memory.
func (s *Service) WithdrawSignal(ctx context.Context, req *Request, id string) error {
	c, err := s.begin(ctx, req, ActionSignalWithdraw)
	if err != nil {
		return err
	}
	e, err := s.signal(ctx, c, id)
	if err == nil && e.Source != c.actor.ID {
		c.entry.SubjectRef = ""
		err = ErrNotFoundForRequester
	}
	if err != nil {
		return s.refuseMissing(ctx, c, err)
	}
	if _, err := c.decide(ctx, DecisionInput{}); err != nil {
		return err
	}
	if e.State == SignalWithdrawn {
		return c.fail(ctx, Errorf(KindConflict, "the signal is already withdrawn"))
	}
	c.entry.Reason = "state " + e.State + " -> " + SignalWithdrawn
	var old []byte
	err = c.write(ctx, maxReplans, func() (Write, error) {
		rk, err := s.rekeyWithout(ctx, c.cell.ID, e.SubjectRef, []string{e.ID}, nil)
		if err != nil {
			return nil, err
		}
		old = rk.Was.Wrapped
		w, err := s.c.Store.PlanWithdraw(ctx, c.cell.ID, e, rk)
		if isNotFound(err) {
			return nil, ErrNotFoundForRequester
		}
		if err != nil {
			return nil, Wrap(KindUnavailable, err, "the store is unavailable")
		}
		return w, nil
	})
	if f, ok := s.c.Sealer.(KeyForgetter); ok && err == nil {
		f.Forget(old)
	}
	return err
}

// signal reads signal id of the requester's cell from the intake; a
// malformed or unknown id is the uniform 404.
func (s *Service) signal(ctx context.Context, c *call, id string) (SignalEntry, error) {
	if !ValidRecordID(id) || !strings.HasPrefix(id, "sig_") {
		return SignalEntry{}, ErrNotFoundForRequester
	}
	e, err := s.c.Store.Signal(ctx, c.cell.ID, id)
	if isNotFound(err) {
		return SignalEntry{}, ErrNotFoundForRequester
	}
	if err != nil {
		return SignalEntry{}, Wrap(KindUnavailable, err, "the store is unavailable")
	}
	c.entry.SubjectRef = e.SubjectRef
	return e, nil
}

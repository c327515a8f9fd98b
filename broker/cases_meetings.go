package broker

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Case conference minutes (README: the coordinator keeps the case
// conference's minutes): when a conference on a dossier was held, which
// actors of its roster attended, and its decisions, each with an owner on
// the roster and a due date. The coordinator records them; the roster reads
// them, under case_conference. Their texts may hold anything about the
// person, so the whole of the minutes is sealed under the person's data
// key: erasing or expiring the person makes them unreadable with the rest.

// MeetingRequest is the body of POST /v1/cases/{id}/meetings.
type MeetingRequest struct {
	HeldAt    string            `json:"held_at"`
	Attendees []string          `json:"attendees"`
	Decisions []MeetingDecision `json:"decisions"`
}

// MeetingDecision is one decision of a case conference: what, by whom, by
// when (a date).
type MeetingDecision struct {
	Text  string `json:"text"`
	Actor string `json:"actor"`
	Due   string `json:"due"`
}

// Meeting is a case conference as stored: who recorded it when, in the
// clear; the minutes (meetingMinutes) sealed.
type Meeting struct {
	ID         string    `json:"id"`
	RecordedBy string    `json:"recorded_by"`
	RecordedAt time.Time `json:"recorded_at"`
	Sealed     []byte    `json:"sealed"`
}

// meetingMinutes is what a Meeting seals.
type meetingMinutes struct {
	HeldAt    time.Time         `json:"held_at"`
	Attendees []string          `json:"attendees"`
	Decisions []MeetingDecision `json:"decisions"`
}

// MeetingView is a case conference as the roster reads it.
type MeetingView struct {
	ID         string            `json:"id"`
	HeldAt     time.Time         `json:"held_at"`
	Attendees  []string          `json:"attendees"`
	Decisions  []MeetingDecision `json:"decisions"`
	RecordedBy string            `json:"recorded_by"`
	RecordedAt time.Time         `json:"recorded_at"`
}

// MeetingPage is one page of a dossier's case conferences, oldest first.
type MeetingPage struct {
	Items      []MeetingView `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty"`
}

// MeetingStore keeps a dossier's case conferences apart from the dossier's
// document, so that a card read, which reads the documents, does not read
// minutes too.
type MeetingStore interface {
	// Meetings returns the dossier's case conferences, oldest first; none
	// for a dossier without any.
	Meetings(ctx context.Context, livc, caseID string) ([]Meeting, error)
	// PlanMeeting plans appending m to dossier k's conferences. It holds
	// while the dossier is still k as loaded, holds n conferences, and key
	// is still its person's data key (else ErrStale).
	PlanMeeting(ctx context.Context, k Case, m Meeting, n int, key KeyUse) (Write, error)
}

// Bounds of the minutes.
const (
	maxMeetings          = 500
	maxMeetingDecisions  = 50
	maxDecisionTextRunes = 2000
)

// meetingNames are what a meeting answer releases, for the audit log.
var meetingNames = []string{"meeting.attendees", "meeting.decisions", "meeting.held_at"}

// RecordMeeting answers POST /v1/cases/{id}/meetings: the coordinator
// records a case conference held on an open dossier.
//
// Steps: authenticate, load the dossier and decide without a target (the
// uniform 404 for one the requester may not see, then 403 for anyone but
// the coordinator; judgeCase), the body, checked strictly (checkMeeting),
// the decision again with the actors the minutes name and the roster as
// stored (an actor off the roster: 422 naming attendees or decisions), the
// minutes sealed, one commit of the allow entry with the minutes. The audit
// holds the counts, never a text.
func (s *Service) RecordMeeting(ctx context.Context, req *Request, caseID string) (MeetingView, error) {
	c, k, in, err := openCase[MeetingRequest](ctx, s, req, ActionMeetingRecord, caseID)
	if err != nil {
		return MeetingView{}, err
	}
	mins, err := checkMeeting(c.cell, in, s.c.Now())
	if err != nil {
		return MeetingView{}, c.fail(ctx, err)
	}
	owners := make([]string, len(mins.Decisions))
	for i, d := range mins.Decisions {
		owners[i] = d.Actor
	}
	d, err := c.decideOnCase(ctx, k, map[string]any{
		"attendees": mins.Attendees, "decision_actors": owners, "case_roster": slices.Clone(k.Roster),
	})
	if err != nil {
		if slices.Contains(d.Reasons, "meeting_actor_not_on_roster") {
			return MeetingView{}, Invalid(offRosterField(k.Roster, mins.Attendees), "names an actor that is not on the dossier's roster")
		}
		return MeetingView{}, err
	}
	store := s.c.Store
	m := Meeting{ID: NewID("meet"), RecordedBy: c.actor.ID, RecordedAt: s.c.Now().UTC()}
	plain, err := json.Marshal(mins)
	if err != nil {
		return MeetingView{}, c.fail(ctx, Wrap(KindInternal, err, "the minutes could not be encoded"))
	}
	var key KeyUse
	if m.Sealed, key, err = s.sealText(ctx, k, "meeting:"+m.ID, string(plain)); err != nil {
		return MeetingView{}, c.fail(ctx, err)
	}
	c.entry.Reason = fmt.Sprintf("meeting %s held %s: %d attendees, %d decisions",
		m.ID, mins.HeldAt.Format(time.DateOnly), len(mins.Attendees), len(mins.Decisions))
	c.entry.Released = meetingNames
	err = c.write(ctx, 1, func() (Write, error) {
		have, err := store.Meetings(ctx, k.Livc, k.ID)
		if err != nil {
			return nil, Wrap(KindUnavailable, err, "the store is unavailable")
		}
		if len(have) >= maxMeetings {
			return nil, Errorf(KindConflict, "a dossier holds at most %d case conferences", maxMeetings)
		}
		return store.PlanMeeting(ctx, k, m, len(have), key)
	})
	if err != nil {
		return MeetingView{}, err
	}
	return meetingView(m, mins), nil
}

// offRosterField names the part of the minutes that holds an actor off the
// roster: the attendees when one of them is, else the decisions.
func offRosterField(roster, attendees []string) string {
	for _, a := range attendees {
		if !slices.Contains(roster, a) {
			return "attendees"
		}
	}
	return "decisions"
}

// ListMeetings answers GET /v1/cases/{id}/meetings: a dossier's case
// conferences, oldest first, for its roster (and the coordinator) under
// case_conference.
//
// Steps: authenticate, load the dossier and decide (judgeCase: the uniform
// 404 for a dossier the requester may not see), the query (422 naming limit
// or cursor), read and open the minutes, audit with the names released,
// answer.
func (s *Service) ListMeetings(ctx context.Context, req *Request, caseID, cursor, limit string) (MeetingPage, error) {
	c, err := s.begin(ctx, req, ActionMeetingList)
	if err != nil {
		return MeetingPage{}, err
	}
	k, err := s.judgeCase(ctx, c, caseID)
	if err != nil {
		return MeetingPage{}, err
	}
	from, n, err := offsetPage(cursor, limit, maxMeetings)
	if err != nil {
		return MeetingPage{}, c.fail(ctx, err)
	}
	all, err := s.c.Store.Meetings(ctx, k.Livc, k.ID)
	if err != nil {
		return MeetingPage{}, c.fail(ctx, Wrap(KindUnavailable, err, "the store is unavailable"))
	}
	page := MeetingPage{Items: []MeetingView{}}
	for i := from; i < len(all) && len(page.Items) < n; i++ {
		v, err := s.openMeeting(ctx, k, all[i])
		if err != nil {
			return MeetingPage{}, c.fail(ctx, err)
		}
		page.Items = append(page.Items, v)
		if i+1 < len(all) && len(page.Items) == n {
			page.NextCursor = strconv.Itoa(i + 1)
		}
	}
	c.entry.Released = []string{}
	if len(page.Items) > 0 {
		c.entry.Released = meetingNames
	}
	c.entry.Reason = strconv.Itoa(len(page.Items)) + " meetings"
	if err := c.allow(ctx); err != nil {
		return MeetingPage{}, err
	}
	return page, nil
}

// openMeeting opens one conference's minutes. A person erased meanwhile has
// minutes that no longer open: they read empty.
func (s *Service) openMeeting(ctx context.Context, k Case, m Meeting) (MeetingView, error) {
	plain, err := s.openText(ctx, k, "meeting:"+m.ID, m.Sealed)
	if err != nil {
		return MeetingView{}, err
	}
	var mins meetingMinutes
	if plain != "" {
		if err := json.Unmarshal([]byte(plain), &mins); err != nil {
			return MeetingView{}, Wrap(KindInternal, err, "stored minutes are malformed")
		}
	}
	return meetingView(m, mins), nil
}

func meetingView(m Meeting, mins meetingMinutes) MeetingView {
	v := MeetingView{ID: m.ID, HeldAt: mins.HeldAt, Attendees: mins.Attendees, Decisions: mins.Decisions,
		RecordedBy: m.RecordedBy, RecordedAt: m.RecordedAt}
	if v.Attendees == nil {
		v.Attendees = []string{}
	}
	if v.Decisions == nil {
		v.Decisions = []MeetingDecision{}
	}
	return v
}

// checkMeeting refuses minutes the policy need not see: held_at not an
// RFC 3339 time from 2000 to a day after now; no attendee, more than
// maxRoster, one twice or unknown to the cell; more than
// maxMeetingDecisions decisions; a decision without text, over
// maxDecisionTextRunes characters or holding control characters, with an
// actor unknown to the cell, or a due date that is not a calendar date from
// 2000 to 2200. Whether the actors are on the roster is the policy's
// decision.
func checkMeeting(cell *Cell, in MeetingRequest, now time.Time) (meetingMinutes, error) {
	held, err := time.Parse(time.RFC3339, in.HeldAt)
	if err != nil || held.Year() < 2000 || held.After(now.Add(24*time.Hour)) {
		return meetingMinutes{}, Invalid("held_at", "must be a time (RFC 3339), not in the future")
	}
	if len(in.Attendees) == 0 || len(in.Attendees) > maxRoster {
		return meetingMinutes{}, Invalid("attendees", "must list from 1 to %d actors", maxRoster)
	}
	seen := map[string]bool{}
	for _, a := range in.Attendees {
		if _, ok := cell.Actor(a); !ok || seen[a] {
			return meetingMinutes{}, Invalid("attendees", "names an actor unknown to the cell, or one twice")
		}
		seen[a] = true
	}
	if in.Decisions == nil {
		return meetingMinutes{}, Invalid("decisions", "is required (an empty list for none)")
	}
	if len(in.Decisions) > maxMeetingDecisions {
		return meetingMinutes{}, Invalid("decisions", "lists more than %d decisions", maxMeetingDecisions)
	}
	for i, d := range in.Decisions {
		field := "decisions[" + strconv.Itoa(i) + "]"
		if err := checkFreeText(field+".text", d.Text, maxDecisionTextRunes); err != nil {
			return meetingMinutes{}, err
		}
		if _, ok := cell.Actor(d.Actor); !ok {
			return meetingMinutes{}, Invalid(field+".actor", "names an actor unknown to the cell")
		}
		due, err := time.Parse(time.DateOnly, d.Due)
		if err != nil || due.Year() < 2000 || due.Year() > 2200 {
			return meetingMinutes{}, Invalid(field+".due", "must be a date (YYYY-MM-DD)")
		}
	}
	return meetingMinutes{HeldAt: held.UTC(), Attendees: in.Attendees, Decisions: in.Decisions}, nil
}

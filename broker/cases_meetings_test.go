package broker_test

import (
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/config"
)

// TestCheckMeeting: the minutes' shape is refused before the policy sees
// them, naming the field; what passes names only actors of the cell.
func TestCheckMeeting(t *testing.T) {
	cell := config.Demo()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	ok := broker.MeetingDecision{Text: "home visit", Actor: "pz", Due: "2026-12-31"}
	tests := []struct {
		name  string
		in    broker.MeetingRequest
		field string // "" for accepted
	}{
		{"accepted", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: []string{"pz", "ocmw"}, Decisions: []broker.MeetingDecision{ok}}, ""},
		{"no decisions, an empty list", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00+01:00", Attendees: []string{"pz"}, Decisions: []broker.MeetingDecision{}}, ""},
		{"held_at a date only", broker.MeetingRequest{HeldAt: "2026-12-03", Attendees: []string{"pz"}, Decisions: []broker.MeetingDecision{}}, "held_at"},
		{"held_at two days ahead", broker.MeetingRequest{HeldAt: "2026-12-06T09:00:00Z", Attendees: []string{"pz"}, Decisions: []broker.MeetingDecision{}}, "held_at"},
		{"held_at in 1999", broker.MeetingRequest{HeldAt: "1999-12-06T09:00:00Z", Attendees: []string{"pz"}, Decisions: []broker.MeetingDecision{}}, "held_at"},
		{"no attendee", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: nil, Decisions: []broker.MeetingDecision{}}, "attendees"},
		{"an unknown attendee", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: []string{"ghost"}, Decisions: []broker.MeetingDecision{}}, "attendees"},
		{"an attendee twice", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: []string{"pz", "pz"}, Decisions: []broker.MeetingDecision{}}, "attendees"},
		{"decisions missing", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: []string{"pz"}}, "decisions"},
		{"a decision's owner unknown", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: []string{"pz"},
			Decisions: []broker.MeetingDecision{{Text: "t", Actor: "ghost", Due: "2026-12-31"}}}, "decisions[0].actor"},
		{"a due date in 2201", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: []string{"pz"},
			Decisions: []broker.MeetingDecision{ok, {Text: "t", Actor: "pz", Due: "2201-01-01"}}}, "decisions[1].due"},
		{"a text with a control character", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: []string{"pz"},
			Decisions: []broker.MeetingDecision{{Text: "a\x07b", Actor: "pz", Due: "2026-12-31"}}}, "decisions[0].text"},
		{"51 decisions", broker.MeetingRequest{HeldAt: "2026-12-03T09:00:00Z", Attendees: []string{"pz"},
			Decisions: repeat(ok, 51)}, "decisions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := broker.CheckMeetingForTest(cell, tc.in, now)
			switch {
			case tc.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.field != "" && (broker.KindOf(err) != broker.KindInvalid || !strings.HasPrefix(err.(*broker.Error).Field, tc.field)):
				t.Fatalf("got %v, want a refusal naming %s", err, tc.field)
			}
		})
	}
}

func repeat(d broker.MeetingDecision, n int) []broker.MeetingDecision {
	out := make([]broker.MeetingDecision, n)
	for i := range out {
		out[i] = d
	}
	return out
}

// FuzzMeetingBody: a meeting body from anyone never panics the parser, and
// what it accepts names only actors of the cell, at most 64 attendees and
// 50 decisions, each with a due date.
func FuzzMeetingBody(f *testing.F) {
	cell := config.Demo()
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	for _, seed := range []string{
		`{"held_at":"2026-12-03T09:00:00Z","attendees":["pz"],"decisions":[{"text":"t","actor":"pz","due":"2026-12-31"}]}`,
		`{"held_at":"2026-12-03T09:00:00Z","attendees":["pz","pz"],"decisions":[]}`,
		`{"held_at":"x","attendees":[],"decisions":null}`,
		`{"held_at":"2026-12-03T09:00:00Z","attendees":["pz"],"decisions":[{"text":"t","actor":"pz","due":"2026-12-31","x":1}]}`,
		`[]`, `{"held_at":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := broker.ParseMeetingForTest(cell, body, now)
		if err != nil {
			return
		}
		if len(in.Attendees) == 0 || len(in.Attendees) > 64 || len(in.Decisions) > 50 {
			t.Fatalf("accepted %+v", in)
		}
		for _, a := range in.Attendees {
			if _, ok := cell.Actor(a); !ok {
				t.Fatalf("accepted an unknown attendee %q", a)
			}
		}
		for _, d := range in.Decisions {
			if _, ok := cell.Actor(d.Actor); !ok {
				t.Fatalf("accepted an unknown owner %q", d.Actor)
			}
			if _, err := time.Parse(time.DateOnly, d.Due); err != nil {
				t.Fatalf("accepted a due date %q", d.Due)
			}
		}
	})
}

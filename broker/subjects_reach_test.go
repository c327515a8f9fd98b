package broker

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// reachCell is a cell of three actors: a social service under secrecy, the
// police and a school (its type under secrecy only by the policy's word).
func reachCell() *Cell {
	return &Cell{ID: "z", Actors: map[string]Actor{
		"ocmw": {ID: "ocmw", Type: "socio_preventive"},
		"pz":   {ID: "pz", Type: "police"},
		"jd":   {ID: "jd", Type: "municipal_service"},
	}, Secrecy: []string{"socio_preventive"}}
}

// TestReachable: a card draws on its requester's own records, and on
// another's only when a dossier in its scope holds it (taken in, or an
// observation made while the dossier was open) and, for an actor type
// under secrecy (the cell's or the policy's), only once shared with that
// very dossier.
func TestReachable(t *testing.T) {
	opened := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	rec := func(id, kind, source string, at time.Time) Record {
		return Record{ID: id, Kind: kind, Source: source, ReceivedAt: at}
	}
	recs := []Record{
		rec("sig_police", KindSignal, "pz", opened.Add(-time.Hour)),
		rec("sig_social", KindSignal, "ocmw", opened.Add(-time.Hour)),
		rec("sig_youth", KindSignal, "jd", opened.Add(-time.Hour)),
		rec("obs_before", KindObservation, "jd", opened.Add(-time.Minute)),
		rec("obs_after", KindObservation, "jd", opened.Add(time.Minute)),
		rec("obs_social", KindObservation, "ocmw", opened.Add(time.Minute)),
		rec("sig_ghost", KindSignal, "gone", opened.Add(-time.Hour)), // an actor no longer configured
	}
	open := DossierRoster{ID: "case_a", State: StateApproach, Roster: []string{"pz", "ocmw"}, CreatedAt: opened,
		SignalIDs: []string{"sig_police", "sig_social", "sig_ghost"}}
	shared := open
	shared.Shared = []string{"sig_social", "obs_social", "sig_ghost"}
	closed := shared
	closed.State = StateClosed
	other := DossierRoster{ID: "case_b", State: StateApproach, Roster: []string{"pz"}, CreatedAt: opened,
		SignalIDs: []string{"sig_youth"}, Shared: []string{"sig_social"}}
	tests := []struct {
		name       string
		dossiers   []DossierRoster
		actor      string
		purpose    string
		shareTypes []string
		want       []string
	}{
		{"no dossier: one's own only", nil, "pz", PurposeCaseConference, nil, []string{"sig_police"}},
		{"on the roster, nothing shared", []DossierRoster{open}, "pz", PurposeCaseConference, nil,
			[]string{"sig_police", "obs_after"}},
		{"on the roster, shared", []DossierRoster{shared}, "pz", PurposeCaseConference, nil,
			[]string{"sig_police", "sig_social", "obs_after", "obs_social", "sig_ghost"}},
		{"the policy names the school's type too", []DossierRoster{shared}, "pz", PurposeCaseConference, []string{"municipal_service"},
			[]string{"sig_police", "sig_social", "obs_social", "sig_ghost"}},
		{"closed: one's own only", []DossierRoster{closed}, "pz", PurposeCaseConference, nil, []string{"sig_police"}},
		{"off the roster under case_conference: one's own only", []DossierRoster{shared}, "jd", PurposeCaseConference, nil,
			[]string{"sig_youth", "obs_before", "obs_after"}},
		{"another purpose: any open dossier", []DossierRoster{shared}, "jd", "prioritisation", nil,
			[]string{"sig_police", "sig_social", "sig_youth", "obs_before", "obs_after", "obs_social", "sig_ghost"}},
		{"a share with another dossier does not count here", []DossierRoster{open, other}, "pz", PurposeCaseConference, nil,
			[]string{"sig_police", "sig_youth", "obs_after"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range reachable(reachCell(), recs, tc.dossiers, tc.actor, tc.purpose, tc.shareTypes) {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("reachable = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDrawnOn: the card's audit reason names the records whose values it
// released, in card order, never a value, and at most maxDrawnIDs of them.
func TestDrawnOn(t *testing.T) {
	recs := []Record{
		{ID: "sig_a", Fields: map[string]any{"presence": "SECRET-a"}},
		{ID: "sig_b", Fields: map[string]any{"health_note": "SECRET-b"}},
	}
	card := Card{Fields: map[string][]CardValue{"presence": {{Value: "SECRET-a", Record: "sig_a"}}}}
	if got := drawnOn(card, recs); got != "drew on records sig_a" {
		t.Errorf("drawnOn = %q", got)
	}
	if got := drawnOn(Card{}, recs); got != "drew on no record" {
		t.Errorf("drawnOn of an empty card = %q", got)
	}
	many := make([]Record, maxDrawnIDs+3)
	card = Card{Fields: map[string][]CardValue{}}
	for i := range many {
		many[i] = Record{ID: "sig_" + strings.Repeat("x", i+1), Fields: map[string]any{"presence": "v"}}
		card.Fields["presence"] = append(card.Fields["presence"], CardValue{Record: many[i].ID})
	}
	if got := drawnOn(card, many); !strings.HasSuffix(got, " and 3 more") || strings.Count(got, "sig_") != maxDrawnIDs {
		t.Errorf("drawnOn of %d records = %q", len(many), got)
	}
}

// BenchmarkReachable: the rule-8 filter of a roster member's card over 400
// records, half taken in, half of those under secrecy and shared.
func BenchmarkReachable(b *testing.B) {
	cell := reachCell()
	opened := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	k := DossierRoster{ID: "case_a", State: StateApproach, Roster: []string{"pz"}, CreatedAt: opened}
	recs := make([]Record, 400)
	for i := range recs {
		src := []string{"ocmw", "jd"}[i%2]
		recs[i] = Record{ID: "sig_" + strings.Repeat("a", 10) + string(rune('a'+i%26)) + string(rune('a'+i/26)), Kind: KindSignal, Source: src, ReceivedAt: opened}
		if i%4 < 2 {
			k.SignalIDs = append(k.SignalIDs, recs[i].ID)
			if src == "ocmw" {
				k.Shared = append(k.Shared, recs[i].ID)
			}
		}
	}
	dossiers := []DossierRoster{k}
	b.ReportAllocs()
	for b.Loop() {
		if len(reachable(cell, recs, dossiers, "pz", PurposeCaseConference, nil)) != 200 {
			b.Fatal("unexpected count")
		}
	}
}

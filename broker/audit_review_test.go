package broker

import (
	"fmt"
	"testing"
	"time"
)

func TestAlerts(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	conf := AuditConf{AlertWindow: time.Hour, MaxPersons: 3, MaxDenials: 3, MaxAuthFailures: 2}
	read := func(i int, sub, ref string, at time.Duration) AuditEntry {
		return AuditEntry{ID: fmt.Sprintf("aud_%d", i), Time: t0.Add(at), Sub: sub, Actor: "pz",
			Action: "card.read", Decision: DecisionAllow, SubjectRef: ref}
	}
	deny := func(e AuditEntry) AuditEntry { e.Decision = DecisionDeny; return e }
	offRoster := func(e AuditEntry) AuditEntry {
		e.Decision, e.Reason = DecisionDeny, ReasonOffRoster
		return e
	}
	notFound := func(e AuditEntry) AuditEntry { // unknown or erased: the same 404
		e.Decision, e.Reason = DecisionDeny, ErrNotFoundForRequester.Detail
		return e
	}
	authFail := func(i int, at time.Duration) AuditEntry {
		return AuditEntry{ID: fmt.Sprintf("aud_%d", i), Time: t0.Add(at), Action: "auth.fail", Decision: DecisionDeny}
	}
	refused := func(i int, at time.Duration) AuditEntry {
		return AuditEntry{ID: fmt.Sprintf("aud_%d", i), Time: t0.Add(at), Actor: "livc-broker", Action: ActionWitnessRefuse, Decision: DecisionDeny}
	}
	for _, tc := range []struct {
		name     string
		entries  []AuditEntry
		want     map[string]int // kind -> count of alerts
		entries0 int            // entries linked to the first alert
	}{
		{"quiet", []AuditEntry{read(1, "a", "s_1", 0), read(2, "a", "s_2", time.Minute)}, map[string]int{}, 0},
		{"four persons in an hour", []AuditEntry{read(1, "a", "s_1", 0), read(2, "a", "s_2", 10*time.Minute),
			read(3, "a", "s_2", 11*time.Minute), read(4, "a", "s_3", 20*time.Minute), read(5, "a", "s_4", 30*time.Minute)},
			map[string]int{AlertManyPersons: 1}, 5},
		{"four persons spread over a day", []AuditEntry{read(1, "a", "s_1", 0), read(2, "a", "s_2", 2*time.Hour),
			read(3, "a", "s_3", 4*time.Hour), read(4, "a", "s_4", 6*time.Hour)}, map[string]int{}, 0},
		{"two individuals, three persons each", []AuditEntry{read(1, "a", "s_1", 0), read(2, "b", "s_2", 0),
			read(3, "a", "s_3", 0), read(4, "b", "s_4", 0), read(5, "a", "s_5", 0), read(6, "b", "s_6", 0)}, map[string]int{}, 0},
		{"off the roster", []AuditEntry{offRoster(read(1, "a", "s_1", 0)), offRoster(read(2, "a", "s_2", time.Minute))},
			map[string]int{AlertOutsideRoster: 1}, 2},
		{"unknown or erased persons: the same 404, not off the roster", []AuditEntry{notFound(read(1, "a", "s_1", 0)), notFound(read(2, "a", "s_2", time.Minute))},
			map[string]int{}, 0},
		{"repeated denials", []AuditEntry{deny(read(1, "a", "s_1", 0)), deny(read(2, "a", "s_1", time.Minute)), deny(read(3, "a", "s_1", 2*time.Minute))},
			map[string]int{AlertDenials: 1}, 3},
		{"failed logins", []AuditEntry{authFail(1, 0), authFail(2, time.Second)}, map[string]int{AlertAuthFailures: 1}, 2},
		{"witness refusals: one alert each, not repeated denials", []AuditEntry{refused(1, 0), refused(2, time.Second), refused(3, time.Minute)},
			map[string]int{AlertWitnessRefused: 3}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Alerts(tc.entries, conf)
			kinds := map[string]int{}
			for _, a := range got {
				kinds[a.Kind]++
			}
			if fmt.Sprint(kinds) != fmt.Sprint(tc.want) {
				t.Fatalf("alerts %v, want %v: %+v", kinds, tc.want, got)
			}
			if len(got) > 0 && len(got[0].Entries) != tc.entries0 {
				t.Fatalf("first alert links %d entries, want %d", len(got[0].Entries), tc.entries0)
			}
		})
	}
}

func TestOffRoster(t *testing.T) {
	for _, tc := range []struct {
		name    string
		purpose string
		scope   SubjectScope
		want    bool
	}{
		{"open dossier, not on its roster", PurposeCaseConference, SubjectScope{OpenCase: true}, true},
		{"open dossier, on its roster", PurposeCaseConference, SubjectScope{OpenCase: true, OnRoster: true}, false},
		{"no open dossier (unknown, erased or closed)", PurposeCaseConference, SubjectScope{}, false},
		{"another purpose: the roster is not its scope", "signal_intake", SubjectScope{OpenCase: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := offRoster(tc.purpose, tc.scope); got != tc.want {
				t.Fatalf("offRoster = %v, want %v", got, tc.want)
			}
		})
	}
}

package e2e

import (
	"net/url"
	"testing"
)

// intakeEntry is a signal as the coordinator's intake lists it.
type intakeEntry struct {
	ID         string `json:"id"`
	SubjectRef string `json:"subject_ref"`
	Source     string `json:"source"`
	ReceivedAt string `json:"received_at"`
	ObservedAt string `json:"observed_at"`
	State      string `json:"state"`
	CaseID     string `json:"case_id"`
}

// intake reads every page of the coordinator's intake (GET /v1/signals)
// with the coordinator's token coord, of one state or all ("").
func intake(t testing.TB, base, coord, state string) []intakeEntry {
	t.Helper()
	var all []intakeEntry
	for cursor := ""; ; {
		q := url.Values{"limit": {"1000"}}
		if state != "" {
			q.Set("state", state)
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := do(t, "GET", base+"/v1/signals?"+q.Encode(), nil, "Authorization", "Bearer "+coord, "LIVC-Purpose", "case_conference")
		if r.Status != 200 {
			t.Fatalf("the intake answered %d: %s", r.Status, r.Body)
		}
		var page struct {
			Items      []intakeEntry `json:"items"`
			NextCursor string        `json:"next_cursor"`
		}
		r.json(t, &page)
		all = append(all, page.Items...)
		if cursor = page.NextCursor; cursor == "" {
			return all
		}
	}
}

// refOf is the pseudonym the coordinator's intake shows for signal id: a
// submission answers its id only, and the coordinator is who finds whom a
// signal is about.
func refOf(t testing.TB, base, coord, id string) string {
	t.Helper()
	for _, e := range intake(t, base, coord, "") {
		if e.ID == id {
			return e.SubjectRef
		}
	}
	t.Fatalf("signal %s is not in the intake", id)
	return ""
}

package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
)

// What the story leaves behind: its audit entries, and nothing readable in
// Redis.

type auditEntry struct {
	ID, Action, Decision, Actor, Sub, Purpose, Reason string
	SubjectRef                                        string   `json:"subject_ref"`
	CaseID                                            string   `json:"case_id"`
	Released                                          []string `json:"released"`
	Withheld                                          []string `json:"withheld"`
	Index                                             *int64   `json:"index"`
}

func (w *world) checkAudit(t *testing.T) {
	if r := w.get("pz", "audit_review", "/v1/audit"); r.Status != 403 {
		t.Fatalf("police reads the audit: %d", r.Status)
	}
	var all []auditEntry
	var raw strings.Builder
	cursor := ""
	for {
		r := w.get("dpo", "audit_review", "/v1/audit?limit=500&cursor="+cursor)
		if r.Status != 200 {
			t.Fatalf("audit: %d %s", r.Status, r.Body)
		}
		raw.Write(r.Body)
		var page struct {
			Items      []auditEntry `json:"items"`
			NextCursor string       `json:"next_cursor"`
		}
		r.json(t, &page)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	byID := map[string]auditEntry{}
	count := map[string]int{}
	for _, e := range all {
		byID[e.ID] = e
		count[e.Action+"/"+e.Decision]++
		if e.Index == nil {
			t.Errorf("entry %s has no index", e.ID)
		}
	}
	for _, id := range w.audited[:len(w.audited)-1] { // the last audit read is being answered
		if _, ok := byID[id]; !ok {
			t.Errorf("X-Audit-Id %s not in the log", id)
		}
	}
	w.checkCardEntries(t, byID)
	if count["signal.submit/allow"] != len(story) || count["case.create/allow"] != 1 ||
		count["roster.change/allow"] != 2 || count["card.read/allow"] == 0 || count["card.read/deny"] == 0 ||
		count["case.create/deny"] != 2 || count["audit.read/deny"] != 1 {
		t.Errorf("audit counts %v", count)
	}
	for _, s := range secretsInTheClear() {
		if strings.Contains(raw.String(), s) {
			t.Errorf("audit log shows %q", s)
		}
	}
}

// checkCardEntries compares the audit entry of every card read of the story
// with what was answered: released must be the field names on the card,
// withheld the names the model expects withheld.
func (w *world) checkCardEntries(t *testing.T, byID map[string]auditEntry) {
	if len(w.reads) == 0 {
		t.Fatal("no card reads recorded")
	}
	for _, cr := range w.reads {
		e, ok := byID[cr.auditID]
		if !ok {
			t.Errorf("%s: audit entry %s not found", cr.name, cr.auditID)
			continue
		}
		if e.Action != "card.read" || !slices.Equal(orEmpty(e.Released), cr.released) || !slices.Equal(orEmpty(e.Withheld), cr.withheld) {
			t.Errorf("%s: audit entry %s %s released %v withheld %v, want released %v withheld %v",
				cr.name, e.Action, e.Decision, e.Released, e.Withheld, cr.released, cr.withheld)
		}
	}
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// dumpRedis reads every key and value in the test's Redis as text.
func (w *world) dumpRedis(t *testing.T) string {
	ctx := context.Background()
	c := w.redis.client(t)
	keys, err := c.Keys(ctx, "*").Result()
	must(t, err)
	if len(keys) < 3 {
		t.Fatalf("only %d keys in Redis: %v", len(keys), keys)
	}
	var dump strings.Builder
	for _, k := range keys {
		dump.WriteString(k + "\n")
		switch typ := c.Type(ctx, k).Val(); typ {
		case "string":
			dump.WriteString(c.Get(ctx, k).Val())
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				dump.WriteString(f + "=" + v + "\n")
			}
		case "list":
			dump.WriteString(strings.Join(c.LRange(ctx, k, 0, -1).Val(), "\n"))
		case "set":
			dump.WriteString(strings.Join(c.SMembers(ctx, k).Val(), "\n"))
		case "zset":
			dump.WriteString(strings.Join(c.ZRange(ctx, k, 0, -1).Val(), "\n"))
		case "stream":
			for _, m := range c.XRange(ctx, k, "-", "+").Val() {
				keys := slices.Sorted(maps.Keys(m.Values))
				sort.Strings(keys)
				for _, f := range keys {
					fmt.Fprintf(&dump, "%s=%v\n", f, m.Values[f])
				}
			}
		default:
			t.Errorf("key %s of unexpected type %s", k, typ)
		}
	}
	return dump.String()
}

// scanRedis reads every key and value the broker wrote and looks for any
// value or identity in the clear.
func (w *world) scanRedis(t *testing.T) {
	dump := w.dumpRedis(t)
	for _, s := range secretsInTheClear() {
		if strings.Contains(dump, s) {
			t.Errorf("Redis holds %q in the clear", s)
		}
	}
	if !strings.Contains(dump, w.ref) {
		t.Errorf("the scan does not see the subject ref: it is not reading what the broker wrote")
	}
}

package store

// Tests of the dossier and record scripts (lua/create_case.lua and
// update_case.lua after case_index.lua, cases_of_subject.lua after
// case_docs.lua, put_record.lua, roster_records.lua) run directly against
// real Redis and miniredis, each in a fresh cell.

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// dossierDoc is a stored dossier as the scripts read it.
func dossierDoc(t *testing.T, ref, state string, prio int, roster ...string) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"subject_ref": ref, "state": state, "category": "c", "priority": prio, "roster": roster})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// createLua runs createCaseScript for dossier id of subject ref in the cell
// of prefix p.
func createLua(t *testing.T, c redis.UniversalClient, p, id, ref, doc string) any {
	keys := []string{p + "case:" + id, p + "cases", p + "cases:seq", p + "subject:" + ref + ":cases"}
	return runLua(t, c, createCaseScript, keys, doc, id, p)
}

func TestCreateCaseLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, p := context.Background(), luaCell(t, c)
		if got := createLua(t, c, p, "case_1", "r", dossierDoc(t, "r", "open", 2, "a1", "a2")); got != int64(1) {
			t.Fatalf("create: %v", got)
		}
		if got := createLua(t, c, p, "case_2", "r", dossierDoc(t, "r", "closed", 0, "a1")); got != int64(1) {
			t.Fatalf("create closed: %v", got)
		}
		// An id in use: refused, nothing changed.
		if got := createLua(t, c, p, "case_1", "r2", dossierDoc(t, "r2", "open", 0, "a3")); got != int64(0) {
			t.Fatalf("create again: %v, want 0", got)
		}
		if seq := c.Get(ctx, p+"cases:seq").Val(); seq != "2" {
			t.Errorf("sequence %s, want 2", seq)
		}
		if s := c.ZScore(ctx, p+"cases", "case_2").Val(); s != 2 {
			t.Errorf("case_2 indexed at %v", s)
		}
		if ids := c.SMembers(ctx, p+"subject:r:cases").Val(); len(ids) != 2 || c.Exists(ctx, p+"subject:r2:cases").Val() != 0 {
			t.Errorf("subject sets: r %v, r2 exists %d", ids, c.Exists(ctx, p+"subject:r2:cases").Val())
		}
		// The roster index holds open dossiers only.
		if got := c.ZRange(ctx, p+"actor:a1:cases", 0, -1).Val(); !slices.Equal(got, []string{"case_1"}) {
			t.Errorf("a1's roster index %v", got)
		}
		if c.Exists(ctx, p+"actor:a3:cases").Val() != 0 {
			t.Error("the refused create indexed its roster")
		}
		want := map[string]string{"state:open": "1", "state:closed": "1", "category:c": "2", "priority:2": "1", "priority:none": "1"}
		if got := c.HGetAll(ctx, p+"stats:cases").Val(); !mapsEqual(got, want) {
			t.Errorf("counts %v, want %v", got, want)
		}
	})
}

func TestUpdateCaseLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, p := context.Background(), luaCell(t, c)
		update := func(ref, doc string) any {
			keys := []string{p + "case:case_1", p + "subject:" + ref + ":cases", p + "cases"}
			return runLua(t, c, updateCaseScript, keys, doc, "case_1", ref, p+"subject:", p)
		}
		if got := update("r", dossierDoc(t, "r", "open", 0, "a1")); got != int64(0) {
			t.Fatalf("update of a missing dossier: %v, want 0", got)
		}
		if n := c.Exists(ctx, p+"case:case_1", p+"subject:r:cases", p+"stats:cases", p+"actor:a1:cases").Val(); n != 0 {
			t.Fatalf("the refused update wrote %d keys", n)
		}
		createLua(t, c, p, "case_1", "r", dossierDoc(t, "r", "open", 0, "a1", "a2"))
		// The roster changes and the subject moves: a1 leaves the index, a3
		// joins it at the dossier's sequence, the id moves to r2's set.
		if got := update("r2", dossierDoc(t, "r2", "open", 0, "a2", "a3")); got != int64(1) {
			t.Fatalf("update: %v", got)
		}
		if c.Exists(ctx, p+"actor:a1:cases").Val() != 0 || c.ZScore(ctx, p+"actor:a3:cases", "case_1").Val() != 1 {
			t.Error("the roster index does not follow the roster")
		}
		if c.SIsMember(ctx, p+"subject:r:cases", "case_1").Val() || !c.SIsMember(ctx, p+"subject:r2:cases", "case_1").Val() {
			t.Error("the dossier did not move to its new subject")
		}
		// Closing it takes it out of every roster index and moves its count.
		update("r2", dossierDoc(t, "r2", "closed", 1, "a2", "a3"))
		if n := c.Exists(ctx, p+"actor:a2:cases", p+"actor:a3:cases").Val(); n != 0 {
			t.Errorf("a closed dossier is in %d roster indexes", n)
		}
		want := map[string]string{"state:open": "0", "state:closed": "1", "category:c": "1", "priority:none": "0", "priority:1": "1"}
		if got := c.HGetAll(ctx, p+"stats:cases").Val(); !mapsEqual(got, want) {
			t.Errorf("counts %v, want %v", got, want)
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCasesOfSubjectLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, p := context.Background(), luaCell(t, c)
		c.SAdd(ctx, p+"subject:r:cases", "case_1", "case_2", "gone")
		c.Set(ctx, p+"case:case_1", "doc1", 0)
		c.Set(ctx, p+"case:case_2", "doc2", 0)
		got := runLua(t, c, casesOfSubjectScript, []string{p + "subject:r:cases"}, p+"case:").([]any)
		docs := make([]string, len(got))
		for i, d := range got {
			docs[i] = d.(string)
		}
		slices.Sort(docs)
		if !slices.Equal(docs, []string{"doc1", "doc2"}) {
			t.Fatalf("docs %v, want doc1 and doc2 (a gone dossier skipped)", docs)
		}
		if got := runLua(t, c, casesOfSubjectScript, []string{p + "subject:none:cases"}, p+"case:").([]any); len(got) != 0 {
			t.Fatalf("a subject without dossiers: %v", got)
		}
	})
}

func TestPutRecordLua(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, p := context.Background(), luaCell(t, c)
		keys := []string{p + "subject:r:records", p + "subject:r:record-ids"}
		for _, put := range [][2]string{{"sig_1", "a"}, {"sig_2", "b"}, {"sig_1", "c"}} {
			if got := runLua(t, c, putRecordScript, keys, put[0], put[1]); got != int64(1) {
				t.Fatalf("put %v: %v", put, got)
			}
		}
		if ids := c.LRange(ctx, keys[1], 0, -1).Val(); !slices.Equal(ids, []string{"sig_1", "sig_2"}) {
			t.Errorf("order %v: a stored id again must keep its place, once", ids)
		}
		if got := c.HGet(ctx, keys[0], "sig_1").Val(); got != "c" {
			t.Errorf("sig_1 holds %q, want the last bytes", got)
		}
	})
}

func TestRosterRecordsLua(t *testing.T) {
	tests := []struct {
		name    string
		onCase  string // the dossier in the actor's roster index, "" for none
		records []string
		want    any
	}{
		{"not on the roster: nil", "", []string{"sig_1"}, nil},
		{"on the roster of another subject's dossier: nil", "case_other", []string{"sig_1"}, nil},
		{"on the roster, no records", "case_1", nil, []any{[]any{}, []any{}}},
		{"on the roster: the records in order", "case_1", []string{"sig_2", "sig_1"},
			[]any{[]any{"sig_2", "sig_1"}, []any{"x-sig_2", "x-sig_1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
				ctx, p := context.Background(), luaCell(t, c)
				sp := p + "subject:r:"
				c.SAdd(ctx, sp+"cases", "case_1")
				if tc.onCase != "" {
					c.ZAdd(ctx, p+"actor:a:cases", redis.Z{Score: 1, Member: tc.onCase})
				}
				for _, id := range tc.records {
					c.RPush(ctx, sp+"record-ids", id)
					c.HSet(ctx, sp+"records", id, "x-"+id)
				}
				keys := []string{sp + "cases", p + "actor:a:cases", sp + "record-ids", sp + "records"}
				got := runLua(t, c, rosterRecordsScript, keys)
				if !jsonEqual(t, got, tc.want) {
					t.Fatalf("reply %v, want %v", got, tc.want)
				}
			})
		})
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	return string(ja) == string(jb)
}

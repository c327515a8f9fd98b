package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

// TestOneTransactionPerWrite proves, over HTTP against the real binary and a
// real Redis, that a write and its allow entry are stored together or not at
// all: a write that fails inside the commit script leaves neither the entry
// nor any part of the write; an audit log that cannot be written leaves no
// write; concurrent changes of one dossier lose none (the losers get 409);
// and, after all that, the store and the log agree (checkInvariants).
func TestOneTransactionPerWrite(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	c := rs.client(t)
	ctx := context.Background()
	p := "livc:{livc:" + m.Livc + "}:"
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	submit := func() response {
		plain, _ := json.Marshal(map[string]any{"subject": map[string]any{"national_number": "05.01.01-001.13"},
			"observed_at": "2026-11-20T09:30:00Z", "fields": map[string]any{"signal_text": "one transaction"}})
		return do(t, "POST", b.URL+"/v1/signals", seal(t, keys.Recipients[0], plain),
			"Authorization", "Bearer "+iss.token(t, m.Livc, "ocmw"), "LIVC-Purpose", "signal", "Content-Type", "application/age")
	}
	coord := func(method, path, body string) response {
		return do(t, method, b.URL+path, []byte(body), "Authorization", "Bearer "+iss.token(t, m.Livc, "preventie"),
			"LIVC-Purpose", "case_conference", "Content-Type", "application/json")
	}
	r := submit()
	if r.Status != 201 {
		t.Fatalf("first submission: %d %s", r.Status, r.Body)
	}
	sig := jsonField(t, r.Body, "id")
	ref := refOf(t, b.URL, iss.token(t, m.Livc, "preventie"), sig)
	r = coord("POST", "/v1/cases", fmt.Sprintf(`{"subject_ref":%q,"signal_ids":[%q],"category":"radicalisation"}`, ref, sig))
	if r.Status != 201 {
		t.Fatalf("dossier: %d %s", r.Status, r.Body)
	}
	caseID := jsonField(t, r.Body, "id")

	// breakKey replaces key by a string, so that a command on it fails with
	// WRONGTYPE, and returns what puts it back.
	breakKey := func(t *testing.T, key string) func() {
		t.Helper()
		if c.Exists(ctx, key).Val() == 1 {
			must(t, c.Rename(ctx, key, key+":saved").Err())
		}
		must(t, c.Set(ctx, key, "not what you think", 0).Err())
		return func() {
			must(t, c.Del(ctx, key).Err())
			if c.Exists(ctx, key+":saved").Val() == 1 {
				must(t, c.Rename(ctx, key+":saved", key).Err())
			}
		}
	}

	t.Run("a write that fails in the script stores neither it nor its entry", func(t *testing.T) {
		sp := p + "subject:" + ref + ":"
		for _, k := range []string{sp + "records", sp + "record-ids", p + "stats:signals"} {
			t.Run(strings.TrimPrefix(k, p), func(t *testing.T) {
				restore := breakKey(t, k)
				defer restore()
				before, entries := cellSnapshot(t, c, p), c.XLen(ctx, p+"audit").Val()
				r := submit()
				if r.Status != 500 || r.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("submission onto a broken %s: %d %s", k, r.Status, r.Body)
				}
				if after := cellSnapshot(t, c, p); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Fatalf("part of the write was stored:\nbefore %s\nafter  %s", before, after)
				}
				last := lastEntries(t, c, p+"audit", entries)
				if len(last) != 1 || last[0].Decision != "error" || last[0].Action != "signal.submit" {
					t.Fatalf("entries after the failed write: %+v (want one error entry, no allow)", last)
				}
			})
		}
	})

	t.Run("a counter that cannot be incremented fails only its write", func(t *testing.T) {
		for _, w := range []struct {
			name, key, field   string // field "": a string key
			method, path, body string
		}{
			{"cases:seq", p + "cases:seq", "", "POST", "/v1/cases",
				fmt.Sprintf(`{"subject_ref":%q,"signal_ids":[%q],"category":"radicalisation"}`, ref, sig)},
			{"stats:cases", p + "stats:cases", "state:registration", "POST", "/v1/cases/" + caseID + "/transitions",
				`{"to":"formation","reason":"a broken count"}`},
		} {
			t.Run(w.name, func(t *testing.T) {
				// Only the counter is put back: the log's own keys move on.
				if w.field == "" {
					was := c.Get(ctx, w.key).Val()
					must(t, c.Set(ctx, w.key, "seven", 0).Err())
					defer func() { must(t, c.Set(ctx, w.key, was, 0).Err()) }()
				} else {
					was := c.HGet(ctx, w.key, w.field).Val()
					must(t, c.HSet(ctx, w.key, w.field, "seven").Err())
					defer func() { must(t, c.HSet(ctx, w.key, w.field, was).Err()) }()
				}
				before, entries := cellSnapshot(t, c, p), c.XLen(ctx, p+"audit").Val()
				if r := coord(w.method, w.path, w.body); r.Status != 500 {
					t.Fatalf("%s onto a broken %s: %d %s", w.name, w.key, r.Status, r.Body)
				}
				if after := cellSnapshot(t, c, p); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Fatalf("part of the write was stored:\nbefore %s\nafter  %s", before, after)
				}
				last := lastEntries(t, c, p+"audit", entries)
				if len(last) != 1 || last[0].Decision != "error" {
					t.Fatalf("entries after the failed write: %+v (want one error entry, no allow)", last)
				}
				// The cell's log is not stuck: a write that needs no broken
				// counter goes through while the counter is still broken.
				if r := coord("GET", "/v1/cases/"+caseID, ""); r.Status != 200 {
					t.Fatalf("read after the failed write: %d %s", r.Status, r.Body)
				}
				if n := c.XLen(ctx, p+"audit").Val(); n != entries+2 {
					t.Fatalf("%d entries after a failed write and a read, want %d", n, entries+2)
				}
			})
		}
	})

	t.Run("an audit log that cannot be written stores no write", func(t *testing.T) {
		for _, w := range []struct{ name, method, path, body string }{
			{"roster", "PUT", "/v1/cases/" + caseID + "/roster", `{"actors":["pz","ocmw"]}`},
			{"transition", "POST", "/v1/cases/" + caseID + "/transitions", `{"to":"formation","reason":"broken log"}`},
			{"dossier", "POST", "/v1/cases", fmt.Sprintf(`{"subject_ref":%q,"signal_ids":[%q],"category":"radicalisation"}`, ref, sig)},
		} {
			t.Run(w.name, func(t *testing.T) {
				before := snapshot(t, c)
				restore := breakKey(t, p+"audit")
				r := coord(w.method, w.path, w.body)
				restore()
				if r.Status != 503 {
					t.Fatalf("%s with a broken log: %d %s", w.name, r.Status, r.Body)
				}
				if after := snapshot(t, c); after != before {
					t.Fatalf("the store changed although the audit append failed:\nbefore %s\nafter  %s", before, after)
				}
			})
		}
	})

	t.Run("concurrent changes of one dossier lose none", func(t *testing.T) {
		rosters := []string{`["pz"]`, `["ocmw"]`, `["clb"]`, `["vsse"]`, `["pz","ocmw"]`, `["clb","vsse"]`, `["ocmw","clb"]`, `["pz","vsse"]`}
		var wg sync.WaitGroup
		status := make([]int, len(rosters))
		for i, ros := range rosters {
			wg.Go(func() { status[i] = coord("PUT", "/v1/cases/"+caseID+"/roster", `{"actors":`+ros+`}`).Status })
		}
		wg.Wait()
		ok := 0
		for i, s := range status {
			switch s {
			case 200:
				ok++
			case 409:
			default:
				t.Fatalf("roster %s: %d", rosters[i], s)
			}
		}
		if ok == 0 {
			t.Fatalf("no roster change went through: %v", status)
		}
		t.Logf("%d of %d concurrent roster changes stored, the others refused with 409", ok, len(rosters))
	})

	t.Run("concurrent first signals about one person make one ref and one key", func(t *testing.T) {
		// Each submission plans from one read of the aliases' links and the
		// data key; all but the first to commit find them changed, plan
		// again and join the first's ref and key.
		const n = 12
		subject := map[string]any{"national_number": "05.01.01-002.12"}
		named := map[string]any{"national_number": "05.01.01-002.12", "family_name": "Janssens", "given_name": "An", "birth_date": "2005-01-01"}
		var wg sync.WaitGroup
		refs, status := make([]string, n), make([]int, n)
		for i := range n {
			who := subject
			if i%2 == 1 {
				who = named
			}
			plain, _ := json.Marshal(map[string]any{"subject": who, "observed_at": "2026-11-20T09:30:00Z",
				"fields": map[string]any{"signal_text": fmt.Sprintf("concurrent %d", i)}})
			env := seal(t, keys.Recipients[0], plain)
			wg.Go(func() {
				r := do(t, "POST", b.URL+"/v1/signals", env, "Authorization", "Bearer "+iss.token(t, m.Livc, "ocmw"),
					"LIVC-Purpose", "signal", "Content-Type", "application/age")
				status[i], refs[i] = r.Status, jsonField(t, r.Body, "id") // the record; its person below
			})
		}
		wg.Wait()
		for i := range n {
			if status[i] == 201 {
				refs[i] = refOf(t, b.URL, iss.token(t, m.Livc, "preventie"), refs[i])
			}
		}
		for i := range n {
			if status[i] != 201 || refs[i] != refs[0] || refs[i] == "" {
				t.Fatalf("submission %d: %d about %q; all: %v %v", i, status[i], refs[i], status, refs)
			}
		}
		sp := p + "subject:" + refs[0] + ":"
		if got := c.LLen(ctx, sp+"record-ids").Val(); got != n {
			t.Errorf("%d records under %s, want %d", got, refs[0], n)
		}
		if c.Exists(ctx, sp+"datakey").Val() != 1 {
			t.Errorf("no data key under %s", refs[0])
		}
		if got := c.SCard(ctx, sp+"aliases").Val(); got != 2 {
			t.Errorf("%d aliases linked to %s, want 2 (national number; name and birth date)", got, refs[0])
		}
	})

	t.Run("store and audit log agree", func(t *testing.T) { checkInvariants(t, c, m.Livc) })

	t.Run("the agreement check finds a store that disagrees", func(t *testing.T) {
		for _, corrupt := range []struct {
			name string
			do   func() error
		}{
			{"a record without its entry", func() error {
				return c.HSet(ctx, p+"subject:"+ref+":records", "sig_orphan", "x").Err()
			}},
			{"an entry without its record", func() error {
				return c.HDel(ctx, p+"subject:"+ref+":records", sig).Err()
			}},
			{"a roster change without its entry", func() error {
				doc := c.Get(ctx, p+"case:"+caseID).Val()
				var d map[string]any
				must(t, json.Unmarshal([]byte(doc), &d))
				d["roster"] = []string{"parket"}
				out, _ := json.Marshal(d)
				return c.Set(ctx, p+"case:"+caseID, out, 0).Err()
			}},
		} {
			t.Run(corrupt.name, func(t *testing.T) {
				saved := dumpAll(t, c, p)
				defer restoreAll(t, c, saved)
				must(t, corrupt.do())
				rec := &recorder{}
				checkInvariants(rec, c, m.Livc)
				if len(rec.errs) == 0 {
					t.Fatal("the check found nothing wrong")
				}
			})
		}
	})
}

// lastEntries returns the entries of the stream after the first skip.
func lastEntries(t *testing.T, c *redis.Client, stream string, skip int64) []logEntry {
	t.Helper()
	msgs, err := c.XRange(context.Background(), stream, "-", "+").Result()
	must(t, err)
	var out []logEntry
	for _, m := range msgs[skip:] {
		var e logEntry
		must(t, json.Unmarshal([]byte(m.Values["entry"].(string)), &e))
		out = append(out, e)
	}
	return out
}

// cellSnapshot is every key of the cell's store (not its audit log) with
// its value, as DUMP gives it.
func cellSnapshot(t *testing.T, c *redis.Client, prefix string) map[string]string {
	t.Helper()
	out := dumpAll(t, c, prefix)
	for k := range out {
		if strings.HasPrefix(k, prefix+"audit") {
			delete(out, k)
		}
	}
	return out
}

// dumpAll saves every non-stream key under prefix; restoreAll puts them back.
func dumpAll(t *testing.T, c *redis.Client, prefix string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for _, k := range c.Keys(ctx, prefix+"*").Val() {
		if c.Type(ctx, k).Val() == "stream" {
			continue
		}
		v, err := c.Dump(ctx, k).Result()
		must(t, err)
		out[k] = v
	}
	return out
}

func restoreAll(t *testing.T, c *redis.Client, saved map[string]string) {
	t.Helper()
	ctx := context.Background()
	for _, k := range c.Keys(ctx, "*").Val() {
		if _, ok := saved[k]; !ok && c.Type(ctx, k).Val() != "stream" {
			must(t, c.Del(ctx, k).Err())
		}
	}
	for k, v := range saved {
		must(t, c.RestoreReplace(ctx, k, 0, v).Err())
	}
}

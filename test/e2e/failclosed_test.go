package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/redis/go-redis/v9"
)

// TestFailsClosed checks that each rule denies, with the right status, and
// that the refusal is audited.
func TestFailsClosed(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	signal := seal(t, keys.Recipients[0], []byte(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`))
	other := newIssuer(t)
	rc := rs.client(t)
	refusals := map[string]string{} // X-Audit-Id -> the case refused

	cases := []struct {
		name    string
		token   string
		purpose string
		ctype   string
		body    []byte
		want    int
	}{
		{"no token", "", "signal", "application/age", signal, 401},
		{"garbage token", "not.a.token", "signal", "application/age", signal, 401},
		{"token of another issuer key", other.token(t, m.Livc, "ocmw"), "signal", "application/age", signal, 401},
		{"wrong cell in the token", iss.token(t, "elders", "ocmw"), "signal", "application/age", signal, 401},
		{"unknown actor", iss.token(t, m.Livc, "ghost"), "signal", "application/age", signal, 401},
		{"expired", iss.token(t, m.Livc, "ocmw", func(b *jwt.Builder) {
			b.Expiration(time.Now().Add(-time.Hour)).IssuedAt(time.Now().Add(-2 * time.Hour))
		}), "signal", "application/age", signal, 401},
		{"wrong audience", iss.token(t, m.Livc, "ocmw", func(b *jwt.Builder) { b.Audience([]string{"someone-else"}) }), "signal", "application/age", signal, 401},
		{"missing purpose", iss.token(t, m.Livc, "ocmw"), "", "application/age", signal, 403},
		{"unknown purpose", iss.token(t, m.Livc, "ocmw"), "curiosity", "application/age", signal, 403},
		{"purpose of another action", iss.token(t, m.Livc, "ocmw"), "case_conference", "application/age", signal, 403},
		{"not age", iss.token(t, m.Livc, "ocmw"), "signal", "application/age", []byte("hello"), 400},
		{"wrong content type", iss.token(t, m.Livc, "ocmw"), "signal", "application/json", signal, 415},
		{"unknown field", iss.token(t, m.Livc, "ocmw"), "signal", "application/age",
			seal(t, keys.Recipients[0], []byte(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"shoe_size":44}}`)), 422},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := []string{"Content-Type", c.ctype}
			if c.token != "" {
				h = append(h, "Authorization", "Bearer "+c.token)
			}
			if c.purpose != "" {
				h = append(h, "LIVC-Purpose", c.purpose)
			}
			before := storeSnapshot(t, rc)
			r := do(t, "POST", b.URL+"/v1/signals", c.body, h...)
			if r.Status != c.want {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, c.want)
			}
			if r.Header.Get("X-Audit-Id") == "" || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("refusal not audited or not a problem: %v", r.Header)
			}
			refusals[r.Header.Get("X-Audit-Id")] = c.name
			if after := storeSnapshot(t, rc); !maps.Equal(before, after) {
				t.Errorf("a refusal changed the store: %s", diffKeys(before, after))
			}
			var p map[string]any
			r.json(t, &p)
			for _, k := range []string{"type", "title", "status", "detail", "request_id"} {
				if _, ok := p[k]; !ok {
					t.Errorf("problem without %s: %s", k, r.Body)
				}
			}
		})
	}
	t.Run("purpose of a table the actor does not sit at", func(t *testing.T) {
		// ocmw sits at tactical and operational, not strategic.
		r := do(t, "GET", b.URL+"/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/card", nil,
			"Authorization", "Bearer "+iss.token(t, m.Livc, "ocmw"), "LIVC-Purpose", "policy")
		if r.Status != 403 {
			t.Fatalf("got %d %s", r.Status, r.Body)
		}
		refusals[r.Header.Get("X-Audit-Id")] = t.Name()
	})
	t.Run("unknown and malformed persons are the same 404", func(t *testing.T) {
		var bodies []string
		for _, ref := range []string{"s_aaaaaaaaaaaaaaaaaaaaaaaaaa", "not-a-ref", "s_zzzzzzzzzzzzzzzzzzzzzzzzzz"} {
			r := do(t, "GET", b.URL+"/v1/subjects/"+ref+"/card", nil,
				"Authorization", "Bearer "+iss.token(t, m.Livc, "pz"), "LIVC-Purpose", "case_conference")
			if r.Status != 404 {
				t.Fatalf("%s: %d %s", ref, r.Status, r.Body)
			}
			refusals[r.Header.Get("X-Audit-Id")] = t.Name() + "/" + ref
			var p map[string]any
			r.json(t, &p)
			bodies = append(bodies, p["detail"].(string))
		}
		if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
			t.Fatalf("404 details differ: %q", bodies)
		}
	})
	t.Run("every refusal above is in an audit log, never as an allow", func(t *testing.T) {
		// Failed authentications without a verified cell go to the broker's
		// own log, the others to the cell's.
		logged := loggedDecisions(t, b, iss, m.Livc, rs)
		if len(refusals) != len(cases)+4 {
			t.Fatalf("%d refusals with an audit id, want %d", len(refusals), len(cases)+4)
		}
		for id, name := range refusals {
			if d, ok := logged[id]; !ok || d == "allow" {
				t.Errorf("%s: audit id %s logged %v as %q", name, id, ok, d)
			}
		}
	})
}

// loggedDecisions maps the id of every entry of the cell's audit log (read
// as its privacy officer) and of the broker's own log (read raw) to its
// decision.
func loggedDecisions(t *testing.T, b *brokerProc, iss *issuerKey, livc string, rs *redisServer) map[string]string {
	t.Helper()
	out := map[string]string{}
	cursor := ""
	for {
		r := do(t, "GET", b.URL+"/v1/audit?limit=1000&cursor="+url.QueryEscape(cursor), nil,
			"Authorization", "Bearer "+iss.token(t, livc, "dpo"), "LIVC-Purpose", "audit_review")
		var page struct {
			Items      []auditEntry `json:"items"`
			NextCursor string       `json:"next_cursor"`
		}
		r.json(t, &page)
		for _, e := range page.Items {
			out[e.ID] = e.Decision
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	msgs, err := rs.client(t).XRange(t.Context(), "livc:{livc:_broker}:audit", "-", "+").Result()
	must(t, err)
	for _, msg := range msgs {
		var e struct{ ID, Decision string }
		if s, ok := msg.Values["entry"].(string); ok && json.Unmarshal([]byte(s), &e) == nil {
			out[e.ID] = e.Decision
		}
	}
	return out
}

// TestAuditFailureStoresNothing breaks the audit stream only (the store still
// works) and checks that a submission is then refused with 503 and stores
// nothing; and that with Redis gone every request is 503, not a hang.
func TestAuditFailureStoresNothing(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	b := startBroker(t, rs.Addr, iss, "--config", examplePath)
	c := rs.client(t)
	ctx := context.Background()
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	submit := func() response {
		plain, _ := json.Marshal(map[string]any{"subject": map[string]any{"national_number": "05.01.01-001.13"},
			"observed_at": "2026-11-20T09:30:00Z", "fields": map[string]any{"signal_text": "SECRET-audit-failure"}})
		return do(t, "POST", b.URL+"/v1/signals", seal(t, keys.Recipients[0], plain),
			"Authorization", "Bearer "+iss.token(t, m.Livc, "ocmw"), "LIVC-Purpose", "signal", "Content-Type", "application/age")
	}
	if r := submit(); r.Status != 201 {
		t.Fatalf("first submission: %d %s", r.Status, r.Body)
	}
	streams := streamKeys(t, c)
	if len(streams) == 0 {
		t.Fatal("no audit stream after a submission")
	}
	before := snapshot(t, c)
	// Make the cell's audit log unwritable: a stream key of the wrong type.
	for _, k := range streams {
		must(t, c.Rename(ctx, k, k+":saved").Err())
		must(t, c.Set(ctx, k, "not a stream", 0).Err())
	}
	r := submit()
	if r.Status != 503 {
		t.Fatalf("submission with a broken audit log: %d %s", r.Status, r.Body)
	}
	for _, k := range streams {
		must(t, c.Del(ctx, k).Err())
		must(t, c.Rename(ctx, k+":saved", k).Err())
	}
	if after := snapshot(t, c); after != before {
		t.Fatalf("the store changed although the audit append failed:\nbefore %s\nafter  %s", before, after)
	}

	rs.stop()
	for _, path := range []string{"/v1/subjects/s_aaaaaaaaaaaaaaaaaaaaaaaaaa/card", "/readyz"} {
		start := time.Now()
		r := do(t, "GET", b.URL+path, nil,
			"Authorization", "Bearer "+iss.token(t, m.Livc, "pz"), "LIVC-Purpose", "case_conference")
		if r.Status != 503 || time.Since(start) > 10*time.Second {
			t.Fatalf("%s with Redis down: %d after %v: %s", path, r.Status, time.Since(start), r.Body)
		}
	}
	if r := submit(); r.Status != 503 {
		t.Fatalf("submission with Redis down: %d %s", r.Status, r.Body)
	}
}

// TestCardReadAuditFailure reads a card that the requester may see (a
// person with an open dossier, the requester on its roster) while only the
// cell's audit log is broken: the read must be refused with 503 as
// problem+json, release no field and no value, and change nothing; once the
// log is repaired the same read is answered 200.
func TestCardReadAuditFailure(t *testing.T) {
	w := submittedWorld(t, examplePath)
	w.openCase(t, []string{"ocmw", "pz"})
	c := w.redis.client(t)
	ctx := t.Context()
	read := func() response {
		return do(t, "GET", w.broker.URL+"/v1/subjects/"+w.ref+"/card", nil,
			"Authorization", "Bearer "+w.iss.token(t, w.model.Livc, "pz"), "LIVC-Purpose", "case_conference")
	}
	if r := read(); r.Status != 200 || len(cardFieldNames(t, r)) < 5 {
		t.Fatalf("the card before the break: %d %s", r.Status, r.Body)
	}
	stream := "livc:{livc:" + w.model.Livc + "}:audit"
	if c.Type(ctx, stream).Val() != "stream" {
		t.Fatalf("no audit stream %s", stream)
	}
	// The keys next to the stream: a script that failed half-way would
	// leave them ahead of it.
	logSide := func() string {
		var b strings.Builder
		for _, k := range []string{stream + ":head", stream + ":tile:0:0", stream + ":ids"} {
			d, err := c.Dump(ctx, k).Result()
			must(t, err)
			fmt.Fprintf(&b, "%s:%x ", k, sha256.Sum256([]byte(d)))
		}
		return b.String()
	}
	entries, side := c.XLen(ctx, stream).Val(), logSide()
	before := storeSnapshot(t, c)
	must(t, c.Rename(ctx, stream, stream+":saved").Err())
	must(t, c.Set(ctx, stream, "not a stream", 0).Err())

	r := read()
	if r.Status != 503 || r.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("card read with a broken audit log: %d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	var p map[string]any
	r.json(t, &p)
	if _, ok := p["fields"]; ok {
		t.Errorf("the refusal releases fields: %s", r.Body)
	}
	for _, s := range append(secretsInTheClear(), w.ref) {
		if strings.Contains(string(r.Body), s) {
			t.Errorf("the refusal shows %q", s)
		}
	}
	must(t, c.Del(ctx, stream).Err())
	must(t, c.Rename(ctx, stream+":saved", stream).Err())
	if after := storeSnapshot(t, c); !maps.Equal(before, after) {
		t.Errorf("the store changed on a refused read: %s", diffKeys(before, after))
	}
	if n := c.XLen(ctx, stream).Val(); n != entries || logSide() != side {
		t.Errorf("the audit log changed (%d to %d entries, or its head, tree or ids) on a read it could not log", entries, n)
	}
	if r := read(); r.Status != 200 || len(cardFieldNames(t, r)) < 5 {
		t.Fatalf("the card after the repair: %d %s", r.Status, r.Body)
	}
}

// streamKeys lists the audit streams in Redis.
func streamKeys(t testing.TB, c *redis.Client) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for _, k := range c.Keys(ctx, "*").Val() {
		if c.Type(ctx, k).Val() == "stream" {
			out = append(out, k)
		}
	}
	return out
}

// snapshot is every key but the audit streams, with a digest of its value.
func snapshot(t testing.TB, c *redis.Client) string {
	t.Helper()
	ctx := context.Background()
	keys := c.Keys(ctx, "*").Val()
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		if c.Type(ctx, k).Val() == "stream" {
			continue
		}
		dump, err := c.Dump(ctx, k).Result()
		must(t, err)
		fmt.Fprintf(&b, "%s:%x ", k, sha256.Sum256([]byte(dump)))
	}
	return b.String()
}

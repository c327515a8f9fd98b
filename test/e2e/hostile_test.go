package e2e

import (
	"bytes"
	"crypto/sha256"
	"maps"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// hostileCase is one hostile request: by default a POST /v1/signals of the
// OCMW under purpose signal with an age body; each case changes what it
// attacks.
type hostileCase struct {
	name    string
	method  string
	path    string
	token   *string // nil: the default token; "": no Authorization header
	auth    string  // a raw Authorization header instead of a bearer token
	purpose *string
	ctype   *string
	accept  string
	body    []byte
	want    int
}

func strp(s string) *string { return &s }

// secretMarker is in every hostile plaintext; no answer may echo it.
const secretMarker = "SECRET-hostile"

// TestHostileInput sends more than 80 hostile requests to the real broker
// over HTTP and checks, for each: the right 4xx status as problem+json,
// nothing stored (every Redis key but the audit streams compared before and
// after), and the refusal audited (X-Audit-Id, found in the cell's log via
// GET /v1/audit as the privacy officer, or for a token that does not verify
// in the broker's own stream), never as an allow.
func TestHostileInput(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	// Refused logins are audited one by one only up to a rate per client
	// (then counted: TestAuthFlood); here, out of reach, so that each of
	// the many hostile tokens is.
	b := startBroker(t, rs.Addr, iss, "--config", examplePath, "--rate-limit", "0",
		"--auth-fail-burst", "1000000", "--auth-fail-total-burst", "1000000")
	rc := rs.client(t)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	recipient := keys.Recipients[0]
	sealJSON := func(s string) []byte { return seal(t, recipient, []byte(s)) }

	// Seed: one signal and one dossier, so that there is something to protect.
	ocmwTok := iss.token(t, m.Livc, "ocmw")
	r := do(t, "POST", b.URL+"/v1/signals", sealJSON(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"signal_text":"`+secretMarker+`"}}`),
		"Authorization", "Bearer "+ocmwTok, "LIVC-Purpose", "signal", "Content-Type", "application/age")
	if r.Status != 201 {
		t.Fatalf("seed signal: %d %s", r.Status, r.Body)
	}
	var seed struct {
		ID  string `json:"id"`
		Ref string
	}
	r.json(t, &seed)
	coord := iss.token(t, m.Livc, "preventie")
	seed.Ref = refOf(t, b.URL, coord, seed.ID)
	r = do(t, "POST", b.URL+"/v1/cases", []byte(`{"subject_ref":"`+seed.Ref+`","signal_ids":["`+seed.ID+`"],"category":"radicalisation"}`),
		"Authorization", "Bearer "+coord, "LIVC-Purpose", "case_conference", "Content-Type", "application/json")
	if r.Status != 201 {
		t.Fatalf("seed case: %d %s", r.Status, r.Body)
	}
	caseID := jsonField(t, r.Body, "id")

	cases := append(append(append(
		hostileTokens(t, m.Livc, iss, sealJSON),
		hostileEnvelopes(t, recipient, sealJSON)...),
		hostileBodies(sealJSON)...),
		hostileRequests(t, m.Livc, iss, seed.Ref, seed.ID, caseID, sealJSON(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`))...)
	if len(cases) < 80 {
		t.Fatalf("only %d hostile cases", len(cases))
	}
	type refused struct{ name, auditID string }
	var audited []refused
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			method, path, token, purpose, ctype := "POST", "/v1/signals", ocmwTok, "signal", "application/age"
			if c.method != "" {
				method = c.method
			}
			if c.path != "" {
				path = c.path
			}
			if c.token != nil {
				token = *c.token
			}
			if c.purpose != nil {
				purpose = *c.purpose
			}
			if c.ctype != nil {
				ctype = *c.ctype
			}
			var h []string
			switch {
			case c.auth != "":
				h = append(h, "Authorization", c.auth)
			case token != "":
				h = append(h, "Authorization", "Bearer "+token)
			}
			if purpose != "" {
				h = append(h, "LIVC-Purpose", purpose)
			}
			if ctype != "" {
				h = append(h, "Content-Type", ctype)
			}
			if c.accept != "" {
				h = append(h, "Accept", c.accept)
			}
			before := storeSnapshot(t, rc)
			r := do(t, method, b.URL+path, c.body, h...)
			if r.Status != c.want {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, c.want)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want application/problem+json", ct)
			}
			var p map[string]any
			r.json(t, &p)
			for _, k := range []string{"type", "title", "status", "detail", "request_id"} {
				if _, ok := p[k]; !ok {
					t.Errorf("problem without %s: %s", k, r.Body)
				}
			}
			if st, _ := p["status"].(float64); int(st) != c.want {
				t.Errorf("problem status %v, want %d", p["status"], c.want)
			}
			if bytes.Contains(r.Body, []byte(secretMarker)) || (token != "" && bytes.Contains(r.Body, []byte(token))) {
				t.Errorf("the answer echoes a secret: %s", r.Body)
			}
			if after := storeSnapshot(t, rc); !maps.Equal(after, before) {
				t.Errorf("the store changed: %s", diffKeys(before, after))
			}
			id := r.Header.Get("X-Audit-Id")
			if id == "" {
				t.Fatalf("refusal not audited: no X-Audit-Id")
			}
			audited = append(audited, refused{c.name, id})
		})
	}
	t.Run("every refusal is in the audit log, as a deny", func(t *testing.T) {
		inCell := map[string]string{} // id -> decision
		dpo := iss.token(t, m.Livc, "dpo")
		cursor := ""
		for {
			r := do(t, "GET", b.URL+"/v1/audit?limit=1000&cursor="+url.QueryEscape(cursor), nil,
				"Authorization", "Bearer "+dpo, "LIVC-Purpose", "audit_review")
			var page struct {
				Items      []auditEntry `json:"items"`
				NextCursor string       `json:"next_cursor"`
			}
			r.json(t, &page)
			for _, e := range page.Items {
				inCell[e.ID] = e.Decision
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		inBroker := brokerStreamIDs(t, rs)
		viaAPI := 0
		for _, a := range audited {
			d, ok := inCell[a.auditID]
			switch {
			case ok && d == "allow":
				t.Errorf("%s: audited as allow", a.name)
			case ok:
				viaAPI++
			case !inBroker[a.auditID]:
				t.Errorf("%s: audit id %s is in no log", a.name, a.auditID)
			}
		}
		t.Logf("%d refusals audited: %d in the cell's log (GET /v1/audit), %d in the broker's stream (no verified cell)",
			len(audited), viaAPI, len(audited)-viaAPI)
	})
}

// storeSnapshot is a digest of every key of the store, the audit log (its
// stream and the keys next to it: head, tree, ids, checkpoints) excluded.
func storeSnapshot(t testing.TB, c *redis.Client) map[string][32]byte {
	t.Helper()
	ctx := t.Context()
	out := map[string][32]byte{}
	for _, k := range c.Keys(ctx, "*").Val() {
		if strings.HasSuffix(k, ":audit") || strings.Contains(k, ":audit:") {
			continue
		}
		dump, err := c.Dump(ctx, k).Result()
		must(t, err)
		out[k] = sha256.Sum256([]byte(dump))
	}
	return out
}

// diffKeys names the keys that were added, removed or changed.
func diffKeys(before, after map[string][32]byte) string {
	var d []string
	for k, v := range after {
		if w, ok := before[k]; !ok {
			d = append(d, "+"+k)
		} else if w != v {
			d = append(d, "~"+k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			d = append(d, "-"+k)
		}
	}
	return strings.Join(d, " ")
}

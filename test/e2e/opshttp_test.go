package e2e

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestOperatorHTTP: HEAD on the probes, X-Request-Id carried through when
// well-formed and replaced otherwise, Cache-Control: no-store on every
// answer but the public documents.
func TestOperatorHTTP(t *testing.T) {
	w := submittedWorld(t, examplePath)
	b := w.broker

	t.Run("HEAD probes", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			r := do(t, "HEAD", b.URL+path, nil)
			if r.Status != 200 || len(r.Body) != 0 || r.Header.Get("X-Request-Id") == "" {
				t.Errorf("HEAD %s: %d, %d bytes, request id %q; want 200, no body, an id", path, r.Status, len(r.Body), r.Header.Get("X-Request-Id"))
			}
		}
	})
	t.Run("request id", func(t *testing.T) {
		for _, tc := range []struct{ name, sent string }{
			{"uuid", "3f2b8c1e-7a4d-4c2e-9b1a-0e5d6f7a8b9c"},
			{"dots and underscores", "lb.01_Zz-9"},
			{"64 characters", strings.Repeat("a", 64)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, "GET", b.URL+"/v1/subjects/"+w.ref+"/card", nil, "X-Request-Id", tc.sent,
					"Authorization", "Bearer "+w.iss.token(t, w.model.Livc, "pz"), "LIVC-Purpose", "signal")
				if r.Status != 200 || r.Header.Get("X-Request-Id") != tc.sent {
					t.Fatalf("%d, X-Request-Id %q; want 200 and %q echoed", r.Status, r.Header.Get("X-Request-Id"), tc.sent)
				}
				waitLogHas(t, b, `"request_id":"`+tc.sent+`"`)
			})
		}
		for _, tc := range []struct{ name, sent string }{
			{"65 characters", strings.Repeat("a", 65)},
			{"space", "a b"},
			{"markup", "<script>"},
			{"log forging", `x","actor":"dpo`},
			{"slash", "a/b"},
			{"non-ASCII", "réq"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, "GET", b.URL+"/healthz", nil, "X-Request-Id", tc.sent)
				got := r.Header.Get("X-Request-Id")
				if got == tc.sent || !strings.HasPrefix(got, "req_") {
					t.Fatalf("X-Request-Id %q answered %q; want a new req_ id", tc.sent, got)
				}
				waitLogHas(t, b, `"request_id":"`+got+`"`)
				if strings.Contains(b.logs.String(), tc.sent) {
					t.Fatalf("the log holds the refused request id %q", tc.sent)
				}
			})
		}
	})
	t.Run("no-store", func(t *testing.T) {
		auth := []string{"Authorization", "Bearer " + w.iss.token(t, w.model.Livc, "pz"), "LIVC-Purpose", "signal"}
		for _, tc := range []struct {
			name, path string
			status     int
			noStore    bool
		}{
			{"card", "/v1/subjects/" + w.ref + "/card", 200, true},
			{"uniform refusal", "/v1/subjects/s_" + strings.Repeat("z", 26) + "/card", 404, true},
			{"dossiers", "/v1/cases", 200, true},
			{"no such endpoint", "/v1/nope", 404, true},
			{"public keys", "/v1/keys", 200, false},
			{"API description", "/openapi.json", 200, false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := do(t, "GET", b.URL+tc.path, nil, auth...)
				if tc.path == "/v1/cases" {
					r = do(t, "GET", b.URL+tc.path, nil, "Authorization", "Bearer "+w.iss.token(t, w.model.Livc, "pz"), "LIVC-Purpose", "case_conference")
				}
				if r.Status != tc.status {
					t.Fatalf("%d %s, want %d", r.Status, r.Body, tc.status)
				}
				if got := r.Header.Get("Cache-Control") == "no-store"; got != tc.noStore {
					t.Fatalf("Cache-Control %q, want no-store: %v", r.Header.Get("Cache-Control"), tc.noStore)
				}
			})
		}
	})
}

// waitLog waits for the broker's log to hold s (a request is logged once
// answered, which the client may see first).
func waitLogHas(t *testing.T, b *brokerProc, s string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(b.logs.String(), s) {
		if time.Now().After(deadline) {
			t.Fatalf("the broker's log does not hold %s", s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// documentedACL is the rules deploy/users.acl gives the broker's Redis
// user, without its password.
func documentedACL(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../../deploy/users.acl")
	must(t, err)
	for line := range strings.SplitSeq(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[0] == "user" && f[1] == "livc-broker" {
			return slices.DeleteFunc(f[2:], func(r string) bool { return strings.HasPrefix(r, "#") })
		}
	}
	t.Fatal("deploy/users.acl has no user livc-broker")
	return nil
}

// TestReadyzACL: under the documented Redis ACL user (deploy/users.acl) the
// broker is ready, takes every actor's signal and shows a card; without
// scripting, or without one command it needs, /readyz is 503 and says
// what is missing, GET and HEAD alike; given back, it is 200.
func TestReadyzACL(t *testing.T) {
	rs := startRedis(t)
	admin := rs.client(t)
	ctx := context.Background()
	setUser := func(rules ...string) {
		t.Helper()
		args := append([]any{"ACL", "SETUSER", "livc-broker"}, toAny(rules)...)
		if err := admin.Do(ctx, args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
	setUser(append([]string{"reset", ">e2e-password-1"}, documentedACL(t)...)...)
	w := &world{t: t, model: loadModel(t), iss: newIssuer(t), records: submitted{}, signals: map[string]string{}, redis: rs}
	sink := filepath.Join(t.TempDir(), "audit.jsonl")
	w.broker = startBroker(t, rs.Addr, w.iss, "--config", examplePath, "--redis-url", "redis://livc-broker:e2e-password-1@"+rs.Addr+"/0",
		"--audit-sink-file", sink, "--audit-follow-every", "100ms")
	b := w.broker
	if r := do(t, "GET", b.URL+"/readyz", nil); r.Status != 200 {
		t.Fatalf("/readyz under the documented ACL: %d %s", r.Status, r.Body)
	}
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	w.recip = keys.Recipients[0]
	w.submitAll(t)
	if r := w.get("pz", "signal", "/v1/subjects/"+w.ref+"/card"); r.Status != 200 || !strings.Contains(string(r.Body), "police_record") {
		t.Fatalf("card under the documented ACL: %d %s", r.Status, r.Body)
	}
	// The audit outputs (cursor, claim) and the tiles work under it too.
	if r := w.get("dpo", "audit_review", "/v1/audit/tiles/tile/0/000.p/1"); r.Status != 200 {
		t.Fatalf("a tile under the documented ACL: %d %s", r.Status, r.Body)
	}
	waitDelivered(t, rs, sink, nil, w.model.Livc)

	for _, tc := range []struct{ name, take, want string }{
		{"no scripting", "-@scripting", "may not run its scripts"},
		{"no HSET", "-hset", "may not run HSET"},
		{"no XADD nor ZADD", "-xadd -zadd", "may not run XADD, ZADD"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setUser(strings.Fields(tc.take)...)
			// The broker's pooled connections are already authenticated:
			// the change applies to them at once.
			r := do(t, "GET", b.URL+"/readyz", nil)
			if r.Status != 503 || !strings.Contains(string(r.Body), tc.want) {
				t.Fatalf("/readyz with %s: %d %s; want 503 saying %q", tc.take, r.Status, r.Body, tc.want)
			}
			if strings.Contains(string(r.Body), "e2e-password-1") || strings.Contains(b.logs.String(), "e2e-password-1") {
				t.Fatal("the Redis password is in an answer or the log")
			}
			resp, err := http.Head(b.URL + "/readyz")
			must(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 503 || len(body) != 0 {
				t.Fatalf("HEAD /readyz with %s: %d, %d bytes; want 503 without a body", tc.take, resp.StatusCode, len(body))
			}
			setUser(documentedACL(t)...)
			if r := do(t, "GET", b.URL+"/readyz", nil); r.Status != 200 {
				t.Fatalf("/readyz with the ACL given back: %d %s", r.Status, r.Body)
			}
		})
	}
	waitLogHas(t, b, "@scripting")
}

// toAny turns ACL rules into the arguments of a command.
func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

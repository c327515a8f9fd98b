package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTasksMine: livcctl tasks mine reads every page of the caller's tasks
// under case_conference; -q prints one line per task without its
// description; an argument is a usage error.
func TestTasksMine(t *testing.T) {
	pages := map[string]string{
		"":  `{"items":[{"case_id":"case_a","task":"task_a","description":"visit the family","due":"2026-12-31","status":"open"}],"next_cursor":"3"}`,
		"3": `{"items":[{"case_id":"case_b","task":"task_b","description":"call the school","due":"2027-01-15","status":"in_progress"}]}`,
	}
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		seen = append(seen, r.Method+" "+r.URL.Path+" "+r.Header.Get("LIVC-Purpose"))
		if r.Method != "GET" || r.URL.Path != "/v1/tasks/mine" {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"status":404,"title":"Not Found"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(pages[r.URL.Query().Get("cursor")]))
	}))
	defer srv.Close()
	conn := brokerFlags(t, srv.URL)
	both := []string{"GET /v1/tasks/mine case_conference", "GET /v1/tasks/mine case_conference"}

	t.Run("every page, quiet", func(t *testing.T) {
		seen = nil
		code, out, errs := run(t, append([]string{"tasks", "mine", "-q"}, conn...)...)
		if code != 0 || out != "case_a task_a 2026-12-31 open\ncase_b task_b 2027-01-15 in_progress\n" {
			t.Fatalf("exit %d: %q %s", code, out, errs)
		}
		if strings.Join(seen, "|") != strings.Join(both, "|") {
			t.Fatalf("requests %q, want %q", seen, both)
		}
	})
	t.Run("every page, JSON with the descriptions", func(t *testing.T) {
		seen = nil
		code, out, errs := run(t, append([]string{"tasks", "mine"}, conn...)...)
		if code != 0 || !strings.Contains(out, "visit the family") || !strings.Contains(out, "call the school") {
			t.Fatalf("exit %d: %s %s", code, out, errs)
		}
	})
	t.Run("an argument is a usage error", func(t *testing.T) {
		seen = nil
		if code, _, _ := run(t, append([]string{"tasks", "mine", "extra"}, conn...)...); code != 2 || len(seen) != 0 {
			t.Fatalf("exit %d, requests %q", code, seen)
		}
	})
	t.Run("no subcommand is a usage error", func(t *testing.T) {
		if code, _, _ := run(t, "tasks"); code != 2 {
			t.Fatalf("exit %d", code)
		}
	})
	t.Run("help names the command", func(t *testing.T) {
		if code, out, _ := run(t, "help"); code != 0 || !strings.Contains(out, "tasks") {
			t.Fatalf("exit %d: %s", code, out)
		}
	})
}

package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

// TestSessionEnds: a session ends idle past IdleTimeout and, however busy,
// at Lifetime; under TLS its cookie is Secure with the __Host- prefix.
func TestSessionEnds(t *testing.T) {
	for _, secure := range []bool{false, true} {
		now := time.Unix(1_000_000, 0)
		store := NewMemoryStore()
		store.Now = func() time.Time { return now }
		s, err := New(fakeBroker{cell: &broker.Cell{ID: "c", Actors: map[string]broker.Actor{"a": {ID: "a"}}}},
			Conf{Store: store, Secure: secure, IdleTimeout: 10 * time.Minute, Lifetime: time.Hour,
				Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		if err := s.startSession(t.Context(), rec, Session{Sub: "p", Livc: "c", Actor: "a"}); err != nil {
			t.Fatal(err)
		}
		cookie := rec.Result().Cookies()[0]
		name := map[bool]string{false: "livc-session", true: "__Host-livc-session"}[secure]
		if cookie.Name != name || cookie.Secure != secure || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/" {
			t.Fatalf("secure=%v: cookie %+v", secure, cookie)
		}
		live := func() bool {
			r := httptest.NewRequest("GET", "/", nil)
			r.AddCookie(cookie)
			_, _, ok := s.session(r)
			return ok
		}
		for range 6 { // busy: a request every 9 minutes keeps it alive...
			now = now.Add(9 * time.Minute)
			if !live() {
				t.Fatalf("secure=%v: a busy session ended at %v", secure, now)
			}
		}
		now = now.Add(9 * time.Minute) // ...until its lifetime (63 min > 1h)
		if live() {
			t.Fatalf("secure=%v: a session outlived its lifetime", secure)
		}
		rec = httptest.NewRecorder()
		s.startSession(t.Context(), rec, Session{Sub: "p", Livc: "c", Actor: "a"})
		cookie = rec.Result().Cookies()[0]
		now = now.Add(10 * time.Minute)
		if live() {
			t.Fatalf("secure=%v: a session idle for the idle timeout is alive", secure)
		}
		if strings.Contains(strings.Join(store.keys(), ","), cookie.Value) {
			t.Fatalf("the store holds the cookie's value")
		}
	}
}

func (s *MemoryStore) keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for k := range s.m {
		out = append(out, k)
	}
	return out
}

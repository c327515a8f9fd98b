package httpapi

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/livc/livc-broker/broker"
)

func TestEveryKindHasOneStatus(t *testing.T) {
	want := map[broker.Kind]int{
		broker.KindInternal: 500, broker.KindBadRequest: 400, broker.KindUnauthenticated: 401,
		broker.KindForbidden: 403, broker.KindNotFound: 404, broker.KindMethodNotAllowed: 405,
		broker.KindNotAcceptable: 406, broker.KindConflict: 409, broker.KindTooLarge: 413,
		broker.KindUnsupportedMedia: 415, broker.KindInvalid: 422, broker.KindRateLimited: 429,
		broker.KindUnavailable: 503,
	}
	if len(problemKinds) != len(want) {
		t.Fatalf("problemKinds maps %d kinds, the vocabulary has %d", len(problemKinds), len(want))
	}
	for kind, status := range want {
		p := problemFor(&broker.Error{Kind: kind, Detail: "d"}, "req_1", "")
		if p.Status != status || p.Title != http.StatusText(status) || !strings.HasPrefix(p.Type, ProblemTypeBase) {
			t.Errorf("kind %d: %+v, want status %d", kind, p, status)
		}
	}
}

func TestProblemNeverLeaksInternals(t *testing.T) {
	cases := []struct {
		name string
		err  error
	}{
		{"unclassified error", errors.New("dial tcp 10.0.0.7:6379: secret-host")},
		{"internal with detail", broker.Wrap(broker.KindInternal, errors.New("secret-cause"), "secret-detail")},
		{"unknown kind", &broker.Error{Kind: broker.Kind(99), Detail: "secret-detail"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := problemFor(c.err, "req_1", "aud_1")
			if p.Status != 500 || strings.Contains(p.Detail, "secret") {
				t.Fatalf("%+v", p)
			}
			if p.RequestID != "req_1" || p.AuditID != "aud_1" {
				t.Fatalf("ids lost: %+v", p)
			}
		})
	}
	t.Run("a client error keeps its detail and field, not its cause", func(t *testing.T) {
		err := &broker.Error{Kind: broker.KindInvalid, Field: "fields.x", Detail: "is not in the catalogue", Err: errors.New("secret-cause")}
		p := problemFor(err, "req_1", "")
		if p.Status != 422 || p.Field != "fields.x" || p.Detail != "is not in the catalogue" {
			t.Fatalf("%+v", p)
		}
	})
}

package httpapi

import (
	"errors"
	"testing"

	"github.com/livc/livc-broker/broker"
)

// described stands for a token refusal of internal/token.
type described struct{ reason, desc string }

func (d described) Error() string                 { return d.reason }
func (d described) TokenErrorDescription() string { return d.desc }

func TestChallenge(t *testing.T) {
	wrap := func(cause error) error {
		return broker.Wrap(broker.KindUnauthenticated, cause, "a valid access token is required")
	}
	cases := []struct {
		name               string
		err                error
		wantHeader, reason string
	}{
		{"no token", wrap(described{"no token", ""}), `Bearer realm="livc-broker"`, "no token"},
		{"expired", wrap(described{"expired", "token expired"}),
			`Bearer realm="livc-broker", error="invalid_token", error_description="token expired"`, "expired"},
		{"missing claim names the claim in the log only", wrap(described{"missing claim actor", "missing claim"}),
			`Bearer realm="livc-broker", error="invalid_token", error_description="missing claim"`, "missing claim actor"},
		{"unquotable description left out", wrap(described{"odd", `say "hi"`}),
			`Bearer realm="livc-broker", error="invalid_token"`, "odd"},
		{"no described cause", wrap(errors.New("whatever")), `Bearer realm="livc-broker", error="invalid_token"`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, r := challenge(tc.err)
			if h != tc.wantHeader || r != tc.reason {
				t.Errorf("challenge = %q, %q; want %q, %q", h, r, tc.wantHeader, tc.reason)
			}
		})
	}
}

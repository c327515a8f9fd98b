package httpapi

import (
	"strings"
	"testing"
)

func TestRequestID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		keep bool
	}{
		{"3f2b8c1e-7a4d-4c2e-9b1a-0e5d6f7a8b9c", true},
		{"req_abc.DEF-9", true},
		{strings.Repeat("x", 64), true},
		{strings.Repeat("x", 65), false},
		{"", false},
		{"a b", false},
		{"a\nb", false},
		{`a"b`, false},
		{"é", false},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := requestID(tc.in)
			if (got == tc.in) != tc.keep {
				t.Fatalf("requestID(%q) = %q, keep %v", tc.in, got, tc.keep)
			}
			if !tc.keep && !strings.HasPrefix(got, "req_") {
				t.Fatalf("replacement %q is not a new id", got)
			}
		})
	}
}

// FuzzRequestID: whatever a client sends, the id is of the safe shape.
func FuzzRequestID(f *testing.F) {
	for _, s := range []string{"", "abc", "a b", strings.Repeat("y", 70), "\x00", `x","actor":"dpo`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if got := requestID(in); !validRequestID(got) {
			t.Fatalf("requestID(%q) = %q, not of the safe shape", in, got)
		}
	})
}

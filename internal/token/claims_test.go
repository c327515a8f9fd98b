package token

import (
	"encoding/base64"
	"strings"
	"testing"
)

func compact(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"EdDSA"}`)) + "." + enc([]byte(payload)) + "." + enc([]byte("not a signature"))
}

func TestUnverifiedClaims(t *testing.T) {
	for _, tc := range []struct {
		name, raw, livc, actor string
	}{
		{"both", compact(`{"livc":"zonnedaal","actor":"pz","sub":"x"}`), "zonnedaal", "pz"},
		{"livc only", compact(`{"livc":"zonnedaal"}`), "zonnedaal", ""},
		{"not strings", compact(`{"livc":7,"actor":["pz"]}`), "", ""},
		{"not printable", compact("{\"livc\":\"zonne\\u0000daal\",\"actor\":\"pz\"}"), "", "pz"},
		{"too long a claim", compact(`{"livc":"` + strings.Repeat("a", MaxClaimLen+1) + `"}`), "", ""},
		{"payload not json", compact(`livc`), "", ""},
		{"not compact", "abc", "", ""},
		{"empty", "", "", ""},
		{"too large", compact(`{"livc":"zonnedaal","pad":"` + strings.Repeat("a", MaxTokenBytes) + `"}`), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			livc, actor := peekClaims(tc.raw)
			if livc != tc.livc || actor != tc.actor {
				t.Fatalf("got %q %q, want %q %q", livc, actor, tc.livc, tc.actor)
			}
		})
	}
}

// FuzzUnverifiedClaims: arbitrary input never panics and yields only sane
// claims.
func FuzzUnverifiedClaims(f *testing.F) {
	f.Add(compact(`{"livc":"zonnedaal","actor":"pz"}`))
	f.Add(compact(`{"livc":{"a":1}}`))
	f.Add("..")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		livc, actor := peekClaims(raw)
		for _, s := range []string{livc, actor} {
			if s != "" && !sane(s) {
				t.Fatalf("claim %q is not sane", s)
			}
		}
	})
}

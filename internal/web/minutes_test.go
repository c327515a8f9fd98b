package web

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/livc/livc-broker/broker"
)

// TestStepOutcomes holds the transition form's outcomes to docs/api.md's
// table "Step outcomes" (which test/decisions holds against the policy),
// and every outcome and retention kind the pages label to all three
// catalogues.
func TestStepOutcomes(t *testing.T) {
	b, err := os.ReadFile("../../docs/api.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| ([a-z]+) → ([a-z]+) \\| (.+) \\|$")
	code := regexp.MustCompile("`([a-z_]+)`")
	_, section, _ := strings.Cut(string(b), "### Step outcomes")
	section, _, _ = strings.Cut(section, "\n### ")
	doc := map[string]map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		cell, _, _ := strings.Cut(m[3], "(")
		if doc[m[1]] == nil {
			doc[m[1]] = map[string][]string{}
		}
		for _, c := range code.FindAllStringSubmatch(cell, -1) {
			doc[m[1]][m[2]] = append(doc[m[1]][m[2]], c[1])
		}
	}
	if len(doc) == 0 {
		t.Fatal("docs/api.md has no step outcomes table")
	}
	for from, moves := range doc {
		for to, want := range moves {
			if got := stepOutcomes[from][to]; !slices.Equal(got, want) {
				t.Errorf("%s → %s: the form offers %v, docs/api.md lists %v", from, to, got, want)
			}
		}
	}
	for from, moves := range stepOutcomes {
		for to := range moves {
			if doc[from][to] == nil || !slices.Contains(broker.AllowedMoves(from), to) {
				t.Errorf("%s → %s: not a move of docs/api.md's table or of the lifecycle", from, to)
			}
		}
	}
	tr, err := newTranslator()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, moves := range stepOutcomes {
		for _, os := range moves {
			for _, o := range os {
				ids = append(ids, "outcome."+o)
			}
		}
	}
	ids = append(ids, "retention.kind_"+broker.ExpirySignal, "retention.kind_"+broker.ExpiryCase)
	for _, l := range Languages {
		for _, id := range ids {
			if tr.text(l, id) == id {
				t.Errorf("%s: no message %s", l, id)
			}
		}
	}
}

package broker

import (
	"strings"
	"testing"
)

// states is every state of a dossier, in lifecycle order.
var states = []string{StateRegistration, StateFormation, StateWeighing, StateApproach, StateEvaluation, StateClosed}

// specMoves is the lifecycle as the specification states it, written out
// here rather than read from the lifecycle table: registration → formation
// → weighing → approach → evaluation → closed, and weighing → closed.
var specMoves = map[string][]string{
	StateRegistration: {StateFormation},
	StateFormation:    {StateWeighing},
	StateWeighing:     {StateApproach, StateClosed},
	StateApproach:     {StateEvaluation},
	StateEvaluation:   {StateClosed},
}

func isSpecMove(from, to string) bool {
	for _, s := range specMoves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// TestCheckMove tries every (from, to) pair of states, and targets that are
// no state at all: a move of the specification is accepted, any other is a
// KindConflict (409 at the gateway) naming exactly the moves from the
// dossier's state.
func TestCheckMove(t *testing.T) {
	targets := append(append([]string{}, states...), "", "archived", "Closed")
	for _, from := range states {
		for _, to := range targets {
			t.Run(from+"->"+to, func(t *testing.T) {
				err := checkMove(from, to)
				if isSpecMove(from, to) {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if err == nil {
					t.Fatal("accepted a move the lifecycle does not have")
				}
				if KindOf(err) != KindConflict {
					t.Fatalf("kind %v, want KindConflict (409)", KindOf(err))
				}
				checkNamesMoves(t, err.Error(), from)
			})
		}
	}
}

// checkNamesMoves checks that detail names every move allowed from state,
// and no other state, or says the dossier is closed.
func checkNamesMoves(t *testing.T, detail, from string) {
	t.Helper()
	_, list, ok := strings.Cut(detail, "can move only to: ")
	if !ok {
		t.Fatalf("detail %q names no allowed moves", detail)
	}
	if len(specMoves[from]) == 0 {
		if !strings.HasPrefix(list, "none") {
			t.Fatalf("detail %q: a closed dossier has no moves", detail)
		}
		return
	}
	if want := strings.Join(specMoves[from], ", "); list != want {
		t.Fatalf("detail %q names %q, want %q", detail, list, want)
	}
}

// TestAllowedMoves checks that AllowedMoves, which the web pages offer,
// agrees with the specification and cannot be changed by its caller.
func TestAllowedMoves(t *testing.T) {
	for _, from := range states {
		t.Run(from, func(t *testing.T) {
			got := AllowedMoves(from)
			if strings.Join(got, ",") != strings.Join(specMoves[from], ",") {
				t.Fatalf("got %v, want %v", got, specMoves[from])
			}
			if len(got) > 0 {
				got[0] = "tampered"
				if AllowedMoves(from)[0] == "tampered" {
					t.Fatal("AllowedMoves returned the table itself")
				}
			}
		})
	}
	if got := AllowedMoves("archived"); len(got) != 0 {
		t.Fatalf("an unknown state has moves %v", got)
	}
}

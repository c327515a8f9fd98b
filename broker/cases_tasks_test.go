package broker

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// taskCase is one request of testdata/tasks.json.
type taskCase struct {
	Name       string            `json:"name"`
	Request    map[string]string `json:"request"`
	Tasks      int               `json:"tasks"`
	ErrorField string            `json:"error_field"`
	Conflict   bool              `json:"conflict"`
}

// TestCheckTask runs the task requests of testdata/tasks.json through
// checkTask: a bad scenario or due date is a KindInvalid naming its field,
// a full dossier a KindConflict, anything else accepted.
func TestCheckTask(t *testing.T) {
	raw, err := os.ReadFile("testdata/tasks.json")
	if err != nil {
		t.Fatal(err)
	}
	var table struct {
		Base     map[string]string `json:"base"`
		Requests []taskCase        `json:"requests"`
	}
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	cell := exampleCatalogueCell()
	cell.Actors = map[string]Actor{"clb": {ID: "clb", Type: "socio_preventive"}}
	for _, tc := range table.Requests {
		t.Run(tc.Name, func(t *testing.T) {
			fields := maps.Clone(table.Base)
			maps.Copy(fields, tc.Request)
			in := TaskRequest{Actor: fields["actor"], Description: fields["description"], Due: fields["due"], Scenario: fields["scenario"]}
			k := Case{State: StateWeighing, Tasks: make([]Task, tc.Tasks)}
			err := checkTask(cell, k, &in)
			switch {
			case tc.Conflict:
				if KindOf(err) != KindConflict {
					t.Fatalf("got %v, want a KindConflict", err)
				}
			case tc.ErrorField != "":
				e, ok := err.(*Error)
				if !ok || e.Kind != KindInvalid || e.Field != tc.ErrorField {
					t.Fatalf("got %#v, want KindInvalid on %s", err, tc.ErrorField)
				}
			case err != nil:
				t.Fatalf("refused: %v", err)
			}
		})
	}
}

// TestTaskMoves tries every (from, to) pair of task statuses and statuses
// that do not exist. Allowed, as the API describes it: open → in_progress,
// open → done, in_progress → in_progress (another report), in_progress →
// done. Everything else, done → done included, is a KindConflict naming the
// statuses the task may move to.
func TestTaskMoves(t *testing.T) {
	allowed := map[string][]string{
		TaskOpen:       {TaskInProgress, TaskDone},
		TaskInProgress: {TaskInProgress, TaskDone},
		TaskDone:       nil,
	}
	for _, from := range []string{TaskOpen, TaskInProgress, TaskDone} {
		for _, to := range []string{TaskOpen, TaskInProgress, TaskDone, "", "finished"} {
			t.Run(from+"->"+to, func(t *testing.T) {
				want := slices.Contains(allowed[from], to)
				err := checkTaskMove(from, to)
				if want {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if KindOf(err) != KindConflict {
					t.Fatalf("got %v, want a KindConflict", err)
				}
				_, list, _ := strings.Cut(err.Error(), "can move only to: ")
				if len(allowed[from]) == 0 {
					if !strings.HasPrefix(list, "none") {
						t.Fatalf("detail %q: a task %s has no moves", err, from)
					}
				} else if list != strings.Join(allowed[from], ", ") {
					t.Fatalf("detail %q, want the moves %v", err, allowed[from])
				}
			})
		}
	}
}

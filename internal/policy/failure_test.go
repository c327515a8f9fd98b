package policy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

// A policy that misbehaves must make Decide fail, never allow.
func TestDecideFails(t *testing.T) {
	tests := []struct {
		name   string
		module string
		conf   Conf
		want   error
		kind   broker.Kind
	}{
		{"undefined", "package livc\n\nother := 1\n", Conf{}, ErrUndefined, broker.KindInternal},
		{"undefined by a rule that does not hold", "package livc\n\ndecision := {\"allow\": true, \"classes\": [], \"own\": false, \"reasons\": []} if input.nope\n", Conf{}, ErrUndefined, broker.KindInternal},
		{"not an object", "package livc\n\ndecision := true\n", Conf{}, ErrShape, broker.KindInternal},
		{"missing keys", "package livc\n\ndecision := {\"allow\": true}\n", Conf{}, ErrShape, broker.KindInternal},
		{"extra key", "package livc\n\ndecision := {\"allow\": true, \"classes\": [], \"own\": false, \"reasons\": [], \"x\": 1}\n", Conf{}, ErrShape, broker.KindInternal},
		{"allow not a boolean", "package livc\n\ndecision := {\"allow\": \"yes\", \"classes\": [], \"own\": false, \"reasons\": []}\n", Conf{}, ErrShape, broker.KindInternal},
		{"own not a boolean", "package livc\n\ndecision := {\"allow\": true, \"classes\": [], \"own\": 1, \"reasons\": []}\n", Conf{}, ErrShape, broker.KindInternal},
		{"class not a string", "package livc\n\ndecision := {\"allow\": true, \"classes\": [1], \"own\": false, \"reasons\": []}\n", Conf{}, ErrShape, broker.KindInternal},
		{"reasons missing", "package livc\n\ndecision := {\"allow\": true, \"classes\": [], \"own\": false, \"why\": []}\n", Conf{}, ErrShape, broker.KindInternal},
		{"a deny that releases", "package livc\n\ndecision := {\"allow\": false, \"classes\": [\"care\"], \"own\": false, \"reasons\": []}\n", Conf{}, ErrShape, broker.KindInternal},
		{"scope not a known scope", "package livc\n\ndecision := {\"allow\": true, \"classes\": [], \"own\": false, \"reasons\": [], \"scope\": \"everything\"}\n", Conf{}, ErrShape, broker.KindInternal},
		{"a deny with a scope", "package livc\n\ndecision := {\"allow\": false, \"classes\": [], \"own\": false, \"reasons\": [\"x\"], \"scope\": \"cell\"}\n", Conf{}, ErrShape, broker.KindInternal},
		{"withheld_fields not strings", "package livc\n\ndecision := {\"allow\": true, \"classes\": [], \"own\": false, \"reasons\": [], \"withheld_fields\": [1]}\n", Conf{}, ErrShape, broker.KindInternal},
		{"a deny that shows own", "package livc\n\ndecision := {\"allow\": false, \"classes\": [], \"own\": true, \"reasons\": []}\n", Conf{}, ErrShape, broker.KindInternal},
		{"evaluation error", "package livc\n\ndecision := 1 if input.action\n\ndecision := 2 if input.purpose\n", Conf{}, nil, broker.KindInternal},
		{"built-in error", "package livc\n\ndecision := {\"allow\": true, \"classes\": [], \"own\": false, \"reasons\": [x]} if x := to_number(input.action)\n", Conf{}, nil, broker.KindInternal},
		{"timeout", "package livc\n\ndecision := {\"allow\": true, \"classes\": [], \"own\": false, \"reasons\": []} if {\n\tcount([1 | some i in numbers.range(1, 5000); some j in numbers.range(1, 5000)]) < 0\n}\n",
			Conf{Timeout: 20 * time.Millisecond}, context.DeadlineExceeded, broker.KindUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := newEngine(context.Background(), map[string]string{"bad.rego": tt.module}, demoCells(), tt.conf)
			if err != nil {
				t.Fatalf("newEngine: %v", err)
			}
			start := time.Now()
			d, err := e.Decide(context.Background(), card("case_conference", "pz", true, true))
			if err == nil {
				t.Fatalf("Decide = %+v, want an error", d)
			}
			if d.Allow || d.Own || len(d.Classes) > 0 {
				t.Errorf("Decide returned %+v with its error, want the zero decision", d)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("Decide error = %v, want %v", err, tt.want)
			}
			if k := broker.KindOf(err); k != tt.kind {
				t.Errorf("kind = %v, want %v (%v)", k, tt.kind, err)
			}
			var be *broker.Error
			if errors.As(err, &be) && strings.Contains(be.Detail, "livc") {
				t.Errorf("client detail %q leaks internals", be.Detail)
			}
			if tt.conf.Timeout > 0 && time.Since(start) > 10*tt.conf.Timeout {
				t.Errorf("Decide took %v with a timeout of %v", time.Since(start), tt.conf.Timeout)
			}
		})
	}
}

// The caller's own deadline counts too.
func TestDecideHonoursCallerContext(t *testing.T) {
	e := newTestEngine(t, demoCells())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if d, err := e.Decide(ctx, card("case_conference", "pz", true, true)); err == nil {
		t.Fatalf("Decide with a cancelled context = %+v, want an error", d)
	}
}

func TestNewRefuses(t *testing.T) {
	mismatched := demoCells()
	mismatched["elders"] = mismatched["zonnedaal"]
	bad := func(module string) map[string]string { return map[string]string{"x.rego": module} }
	tests := []struct {
		name    string
		modules map[string]string
		cells   map[string]*broker.Cell
		conf    Conf
	}{
		{"no cell", nil, map[string]*broker.Cell{}, Conf{}},
		{"nil cell", nil, map[string]*broker.Cell{"zonnedaal": nil}, Conf{}},
		{"cell under another id", nil, mismatched, Conf{}},
		{"negative timeout", nil, demoCells(), Conf{Timeout: -time.Second}},
		{"syntax error", bad("package livc\n\ndecision :=\n"), demoCells(), Conf{}},
		{"Rego v0 syntax", bad("package livc\n\ndecision[x] { x := 1 }\n"), demoCells(), Conf{}},
		{"network built-in", bad("package livc\n\ndecision := http.send({\"method\": \"get\", \"url\": \"http://127.0.0.1/\"})\n"), demoCells(), Conf{}},
		{"environment built-in", bad("package livc\n\ndecision := opa.runtime()\n"), demoCells(), Conf{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.modules != nil {
				_, err = newEngine(context.Background(), tt.modules, tt.cells, tt.conf)
			} else {
				_, err = New(context.Background(), tt.cells, tt.conf)
			}
			if err == nil {
				t.Fatal("New succeeded, want an error")
			}
		})
	}
}

// writeCellPolicy puts files into a fresh PolicyDir of the demo cell.
func writeCellPolicy(t *testing.T, files map[string]string) map[string]*broker.Cell {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cells := demoCells()
	cells["zonnedaal"].PolicyDir = dir
	return cells
}

func TestCellPolicyWithholds(t *testing.T) {
	base := newTestEngine(t, demoCells())
	cells := writeCellPolicy(t, map[string]string{
		"withhold.rego": "package livc.cells.zonnedaal\n\nwithhold contains \"care\" if input.purpose == \"case_conference\"\n",
		// Tests of a cell's rules and other files are not loaded.
		"withhold_test.rego": "package livc.cells.zonnedaal_test\n\nthis does not parse\n",
		"README.md":          "not Rego",
	})
	e := newTestEngine(t, cells)
	if e.Revision() == base.Revision() {
		t.Errorf("a cell's rules kept revision %q", base.Revision())
	}
	d, err := e.Decide(context.Background(), card("case_conference", "ocmw", true, true))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"identity", "presence", "signal", "social"}; !slices.Equal(d.Classes, want) {
		t.Errorf("classes = %v, want %v", d.Classes, want)
	}
}

// A cell's withhold_fields reach the decision, for the release filter.
func TestCellPolicyWithholdsFields(t *testing.T) {
	cells := writeCellPolicy(t, map[string]string{
		"fields.rego": "package livc.cells.zonnedaal\n\nwithhold_fields contains \"address\" if input.actor.type != \"police\"\n",
	})
	e := newTestEngine(t, cells)
	d, err := e.Decide(context.Background(), card("case_conference", "ocmw", true, true))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.WithheldFields, []string{"address"}) || !slices.Contains(d.Classes, "identity") {
		t.Errorf("ocmw: %+v, want identity released and address withheld", d)
	}
	d, err = e.Decide(context.Background(), card("case_conference", "pz", true, true))
	if err != nil || len(d.WithheldFields) != 0 {
		t.Errorf("pz: %+v %v, want nothing withheld by name", d, err)
	}
}

// A cell's withhold that is not a list of class names denies everything in
// that cell, and nothing in another.
func TestCellPolicyInvalidDenies(t *testing.T) {
	cells := writeCellPolicy(t, map[string]string{"p.rego": "package livc.cells.zonnedaal\n\nwithhold := \"care\"\n"})
	elders := demoCell()
	elders.ID = "elders"
	cells["elders"] = elders
	e := newTestEngine(t, cells)
	d, err := e.Decide(context.Background(), card("case_conference", "ocmw", true, true))
	if err != nil {
		t.Fatal(err)
	}
	if d.Allow || d.Own || len(d.Classes) > 0 || !slices.Equal(d.Reasons, []string{"cell_policy_invalid"}) {
		t.Errorf("Decide = %+v, want a deny for cell_policy_invalid", d)
	}
	x := card("case_conference", "ocmw", true, true)
	x.Livc = "elders"
	if d, err := e.Decide(context.Background(), x); err != nil || len(d.Classes) != 5 {
		t.Errorf("another cell: %+v, %v; want its five classes", d, err)
	}
}

func TestCellPolicyRefused(t *testing.T) {
	tests := map[string]map[string]string{
		"outside its package":     {"p.rego": "package livc\n\nextra := 1\n"},
		"another cell's package":  {"p.rego": "package livc.cells.elders\n\nwithhold := {\"care\"}\n"},
		"the parent package":      {"p.rego": "package livc.cells\n\nzonnedaal := {\"withhold\": []}\n"},
		"does not parse":          {"p.rego": "package livc.cells.zonnedaal\n\nwithhold := \n"},
		"does not compile":        {"p.rego": "package livc.cells.zonnedaal\n\nwithhold := {x}\n"},
		"a directory named .rego": nil,
	}
	for name, files := range tests {
		t.Run(name, func(t *testing.T) {
			cells := writeCellPolicy(t, files)
			if files == nil {
				if err := os.Mkdir(filepath.Join(cells["zonnedaal"].PolicyDir, "d.rego"), 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := New(context.Background(), cells, Conf{}); err == nil {
				t.Fatal("New succeeded, want an error")
			}
		})
	}
	t.Run("missing directory", func(t *testing.T) {
		cells := demoCells()
		cells["zonnedaal"].PolicyDir = filepath.Join(t.TempDir(), "nope")
		if _, err := New(context.Background(), cells, Conf{}); err == nil {
			t.Fatal("New succeeded, want an error")
		}
	})
}

func TestReload(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, demoCells())
	old := e.Revision()
	probe := card("prioritisation", "pz", true, false)

	t.Run("failure keeps the previous policy", func(t *testing.T) {
		for name, cells := range map[string]map[string]*broker.Cell{
			"no cell":          {},
			"broken cell rule": writeCellPolicy(t, map[string]string{"p.rego": "package livc.cells.zonnedaal\n\nwithhold :=\n"}),
		} {
			if err := e.Reload(ctx, cells); err == nil {
				t.Fatalf("Reload(%s) succeeded, want an error", name)
			} else if !strings.Contains(err.Error(), old) {
				t.Errorf("Reload(%s) error %q does not say which revision is kept", name, err)
			}
			if e.Revision() != old {
				t.Fatalf("Reload(%s) failed but revision is %q, want %q", name, e.Revision(), old)
			}
			d, err := e.Decide(ctx, probe)
			if err != nil || d.Revision != old || !slices.Equal(d.Classes, []string{"presence"}) {
				t.Fatalf("after failed Reload(%s): %+v, %v", name, d, err)
			}
		}
	})
	t.Run("success swaps", func(t *testing.T) {
		cells := demoCells()
		delete(cells["zonnedaal"].Release, "prioritisation")
		if err := e.Reload(ctx, cells); err != nil {
			t.Fatal(err)
		}
		if e.Revision() == old {
			t.Fatalf("revision still %q", old)
		}
		d, err := e.Decide(ctx, probe)
		if err != nil || d.Revision != e.Revision() || len(d.Classes) != 0 {
			t.Fatalf("after Reload: %+v, %v", d, err)
		}
	})
}

// TestPrepare: a compiled revision decides as its own configuration says,
// before and after it is installed, whatever the engine has in force.
func TestPrepare(t *testing.T) {
	ctx := context.Background()
	e := newTestEngine(t, demoCells())
	before := e.Current()
	probe := card("prioritisation", "pz", true, false)
	cells := demoCells()
	delete(cells["zonnedaal"].Release, "prioritisation")
	next, err := e.Prepare(ctx, cells)
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, c *Compiled, classes []string) {
		t.Helper()
		d, err := c.Decide(ctx, probe)
		if err != nil || d.Revision != c.Revision() || !slices.Equal(d.Classes, classes) {
			t.Errorf("%s: %+v, %v, want classes %v under %s", name, d, err, classes, c.Revision())
		}
	}
	if e.Revision() != before.Revision() || next.Revision() == before.Revision() {
		t.Fatalf("Prepare changed the engine (%s) or compiled the same revision (%s)", e.Revision(), next.Revision())
	}
	check("prepared, not installed", next, nil)
	check("in force", before, []string{"presence"})
	e.Install(next)
	if e.Revision() != next.Revision() {
		t.Fatalf("Install: revision %s, want %s", e.Revision(), next.Revision())
	}
	check("the old revision after Install", before, []string{"presence"})
	if _, err := e.Prepare(ctx, map[string]*broker.Cell{}); err == nil || e.Revision() != next.Revision() {
		t.Fatalf("a failed Prepare: %v, revision %s", err, e.Revision())
	}
}

// Decide runs concurrently with itself and with Reload (run with -race).
func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	// A generous timeout: this tests races, not speed, and Reload compiles
	// on the same CPUs.
	e, err := New(ctx, demoCells(), Conf{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	other := demoCells()
	other["zonnedaal"].Release["prioritisation"]["presence"] = []string{"police", "judicial"}
	valid := map[string]bool{e.Revision(): true, newTestEngine(t, other).Revision(): true}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 50 {
				d, err := e.Decide(ctx, card("prioritisation", "pz", true, false))
				if err != nil || !d.Allow || !valid[d.Revision] {
					t.Errorf("Decide: %+v, %v", d, err)
					return
				}
			}
		})
		if i%2 == 0 {
			wg.Go(func() {
				cells := demoCells()
				if i%4 == 0 {
					cells = other
				}
				if err := e.Reload(ctx, cells); err != nil {
					t.Errorf("Reload: %v", err)
				}
			})
		}
	}
	wg.Wait()
}

// BenchmarkDecide measures one card.read, the most frequent and the largest
// decision. Its timeout is generous: it measures speed, not the deadline.

package policies

import (
	"context"
	"embed"
	"encoding/json"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/tester"
)

//go:embed testdata/*.json
var testdata embed.FS

// TestRego runs every Rego test (decision_test.rego) through OPA's tester,
// with testdata/*.json loaded as data.testdata as `opa test policies/` does.
// Each Rego test is a subtest, each case of a data-driven one a subtest of it.
func TestRego(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	modules := parseAll(t)
	runner := tester.NewRunner().
		SetModules(modules).
		SetStore(inmem.NewFromObject(map[string]any{"testdata": loadTestdata(t)})).
		SetTimeout(10 * time.Second).
		RaiseBuiltinErrors(true)
	ch, err := runner.RunTests(ctx, nil)
	if err != nil {
		t.Fatalf("compile the policy and its tests: %v", err)
	}
	var results []*tester.Result
	for r := range ch {
		results = append(results, r)
	}
	if len(results) == 0 {
		t.Fatal("no Rego test ran")
	}
	slices.SortFunc(results, func(a, b *tester.Result) int { return strings.Compare(a.Name, b.Name) })
	driven := dataDriven(modules)
	for _, r := range results {
		t.Run(r.Name, func(t *testing.T) { check(t, r, driven[r.Package+"."+r.Name]) })
	}
}

// dataDriven names the data-driven tests (test_x[case] if ...), by package
// and rule name: each must report at least one case.
func dataDriven(modules map[string]*ast.Module) map[string]bool {
	out := map[string]bool{}
	for _, m := range modules {
		for _, rule := range m.Rules {
			if ref := rule.Head.Ref(); len(ref) > 1 {
				out[m.Package.Path.String()+"."+ref[0].String()] = true
			}
		}
	}
	return out
}

func check(t *testing.T, r *tester.Result, driven bool) {
	t.Helper()
	switch {
	case r.Error != nil:
		t.Fatalf("%s: error: %v", r.Location, r.Error)
	case r.Skip:
		t.Fatalf("%s: skipped (todo_ prefix); a skipped test hides a rule", r.Location)
	}
	cases := 0
	for name, sr := range r.SubResults.Iter {
		if len(sr.SubResults) > 0 {
			continue // a group; its leaves report
		}
		cases++
		if sr.Fail {
			t.Errorf("%s: case %q: FAIL", r.Location, strings.Join(name, "/"))
		}
	}
	if r.Fail && cases == 0 {
		t.Errorf("%s: FAIL at %v", r.Location, r.FailedAt)
	}
	if r.Fail && !t.Failed() {
		t.Errorf("%s: FAIL", r.Location)
	}
	if driven && cases == 0 {
		t.Errorf("%s: a data-driven test with no case cannot fail", r.Location)
	}
	if driven {
		t.Logf("%d cases", cases)
	}
}

// parseAll parses the policy and its tests as Rego v1, as the engine does.
func parseAll(t *testing.T) map[string]*ast.Module {
	t.Helper()
	out := map[string]*ast.Module{}
	for _, get := range []func() (map[string]string, error){Modules, TestModules} {
		mods, err := get()
		if err != nil {
			t.Fatal(err)
		}
		for name, src := range mods {
			m, err := ast.ParseModuleWithOpts(name, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				t.Fatalf("parse %s: %v", name, err)
			}
			out[name] = m
		}
	}
	return out
}

// loadTestdata merges testdata/*.json into one object, refusing a key given
// by two files.
func loadTestdata(t *testing.T) map[string]any {
	t.Helper()
	names, err := fs.Glob(testdata, "testdata/*.json")
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	out := map[string]any{}
	for _, name := range names {
		b, err := testdata.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k, v := range doc {
			if _, dup := out[k]; dup {
				t.Fatalf("%s: key %q given twice in testdata", path.Base(name), k)
			}
			out[k] = v
		}
	}
	return out
}

func TestModulesSplit(t *testing.T) {
	mods, err := Modules()
	if err != nil {
		t.Fatal(err)
	}
	tests, err := TestModules()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := mods["decision.rego"]; !ok {
		t.Errorf("Modules() = %v, want decision.rego", slices.Sorted(maps.Keys(mods)))
	}
	for name := range mods {
		if strings.HasSuffix(name, "_test.rego") {
			t.Errorf("Modules() holds test module %s", name)
		}
	}
	if _, ok := tests["decision_test.rego"]; !ok {
		t.Errorf("TestModules() = %v, want decision_test.rego", slices.Sorted(maps.Keys(tests)))
	}
	for name := range tests {
		if !strings.HasSuffix(name, "_test.rego") {
			t.Errorf("TestModules() holds policy module %s", name)
		}
	}
}

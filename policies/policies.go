// Package policies embeds the broker's Rego policy: the one decision
// data.livc.decision (decision.rego) and its tests.
//
// The policy reads the cell's configuration from data.cells[livc] (tables,
// purposes, release matrix, actors); internal/policy builds that document and
// evaluates the decision. The release rules are that data, not code.
package policies

import (
	"embed"
	"fmt"
	"io/fs"
	"strings"
)

//go:embed *.rego
var files embed.FS

// Modules returns the policy modules, by file name, without the tests.
func Modules() (map[string]string, error) {
	return read(func(name string) bool { return !isTest(name) })
}

// TestModules returns the Rego test modules, by file name. Their fixtures are
// in testdata/, loaded as data.testdata (the layout `opa test policies/`
// gives them).
func TestModules() (map[string]string, error) {
	return read(isTest)
}

func isTest(name string) bool { return strings.HasSuffix(name, "_test.rego") }

func read(keep func(string) bool) (map[string]string, error) {
	names, err := fs.Glob(files, "*.rego")
	if err != nil {
		return nil, fmt.Errorf("policies: %w", err)
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		if !keep(name) {
			continue
		}
		b, err := files.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("policies: %w", err)
		}
		out[name] = string(b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("policies: no modules embedded")
	}
	return out, nil
}

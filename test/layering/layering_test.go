// Package layering holds the test that keeps the import graph to the shape
// docs/ARCHITECTURE.md draws: it reads the graph with go list and fails on
// any edge the picture forbids, and on any package it does not place.
package layering

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/livc/livc-broker"

// A tier is a row of the picture in docs/ARCHITECTURE.md.
type tier string

const (
	domain    tier = "domain"     // package broker: use cases, ports, errors
	domainSub tier = "domain-sub" // broker/x: parts of the domain that need nothing of it
	adapter   tier = "adapter"    // implements the domain's ports
	leaf      tier = "leaf"       // imports nothing of ours; anyone may import it
	gateway   tier = "gateway"    // turns a protocol into calls of the domain
	binary    tier = "binary"     // cmd/: wires it all
	tests     tier = "test"       // test/: may use anything
)

// place puts a package, or with a trailing "/..." a package and everything
// under it, into a tier. Packages of one family (the Redis adapter, the web
// gateway) may import each other; no other two adapters or gateways may.
type place struct {
	path   string
	tier   tier
	family string
}

// places is where every package of the module belongs. A package that no
// rule places fails the test: put a new one here, in the tier the picture
// gives it, and draw it in docs/ARCHITECTURE.md.
var places = []place{
	{"broker", domain, ""},
	{"broker/auditlog", domainSub, ""},
	{"broker/strictjson", domainSub, ""},
	{"broker/recordcodec", domainSub, ""},
	{"broker/suppress", domainSub, ""},
	{"broker/nationalnumber", domainSub, ""},

	// The Redis adapter: store, audit log and the plan language they share,
	// under one parent so that Go's internal rule confines the plan to them.
	{"internal/redis/store", adapter, "redis"},
	{"internal/redis/audit", adapter, "redis"},
	{"internal/redis/conn", adapter, "redis"},
	{"internal/redis/internal/plan", adapter, "redis"},
	{"internal/redis/internal/redistest", adapter, "redis"}, // the Redis the family's tests run on
	{"internal/policy", adapter, ""},
	{"internal/ratelimit", adapter, ""}, // rate limits, out of the domain
	{"internal/token", adapter, ""},
	{"internal/clilogin", adapter, ""}, // livcctl's sign-in at the identity provider
	{"internal/envelope", adapter, ""},
	{"internal/witness", adapter, ""}, // outside witnesses (tlog-witness); the audit log reaches it via witness.Log, wired in cmd/
	{"internal/config", adapter, ""},
	{"internal/auditclient", adapter, ""}, // livcctl's verifier of the log served as tiles
	{"internal/metrics", adapter, ""},
	{"internal/auditout", adapter, ""}, // audit sinks and alert outputs
	{"keys", adapter, ""},

	{"internal/jsonenc", leaf, ""},
	{"internal/cache", leaf, ""},
	{"internal/atomicfile", leaf, ""},
	{"internal/loopback", leaf, ""}, // which hosts may be spoken to in plain HTTP // crash-safe file replacement, for the adapters that keep state in files
	{"policies", leaf, ""},          // the Rego modules, embedded: data

	{"internal/httpapi", gateway, "http"},
	{"internal/web/...", gateway, "web"},

	{"cmd/...", binary, ""},
	{"test/...", tests, ""},
}

// may is what each tier may import, besides packages of its own family.
var may = map[tier][]tier{
	domain:    {domainSub, leaf},
	domainSub: {domainSub, leaf},
	adapter:   {domain, domainSub, leaf},
	leaf:      {},
	gateway:   {domain, domainSub, leaf},
	binary:    {domain, domainSub, adapter, leaf, gateway},
	tests:     {domain, domainSub, adapter, leaf, gateway, binary, tests},
}

// where places the package at path (relative to the module).
func where(path string) (place, bool) {
	for _, p := range places {
		if p.path == path {
			return p, true
		}
		if dir, ok := strings.CutSuffix(p.path, "/..."); ok && (path == dir || strings.HasPrefix(path, dir+"/")) {
			return p, true
		}
	}
	return place{}, false
}

// allowed reports whether a package placed at from may import one at to.
func allowed(from, to place) bool {
	if from.family != "" && from.family == to.family {
		return true
	}
	return slices.Contains(may[from.tier], to.tier)
}

// pkg is what go list tells of a package: its path and the packages of the
// module it imports (not its tests: a test may use any adapter it needs).
type pkg struct {
	ImportPath string
	Imports    []string
}

// graph lists every package of the module.
func graph(t *testing.T) []pkg {
	t.Helper()
	statSources(t)
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) == 0 {
		t.Fatal("go list found no package")
	}
	return pkgs
}

// statSources stats every directory and Go file of the module. go list
// reads them in a process of its own, which go test's result cache does not
// see; a file this process stats is one the cache checks, so an import
// added anywhere runs the test again instead of answering the old result.
func statSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || (strings.HasPrefix(d.Name(), ".") && path != "../..")) {
			return filepath.SkipDir
		}
		if d.IsDir() || strings.HasSuffix(path, ".go") || d.Name() == "go.mod" {
			_, err = os.Stat(path)
		}
		return err
	})
	if err != nil {
		t.Fatalf("reading the module's sources: %v", err)
	}
}

// violations are the edges of pkgs the picture forbids and the packages
// it does not place, one line each.
func violations(pkgs []pkg) []string {
	var bad []string
	for _, p := range pkgs {
		path := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		from, ok := where(path)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s: placed in no tier (add it to places in test/layering and to docs/ARCHITECTURE.md)", path))
			continue
		}
		for _, imp := range p.Imports {
			rest, ours := strings.CutPrefix(imp, module+"/")
			if !ours {
				continue
			}
			to, ok := where(rest)
			if !ok {
				continue // reported as a package of its own
			}
			if !allowed(from, to) {
				bad = append(bad, fmt.Sprintf("%s (%s) imports %s (%s), which docs/ARCHITECTURE.md forbids: the %s tier may import %s",
					path, from.tier, rest, to.tier, from.tier, mayText(from)))
			}
		}
	}
	return bad
}

// mayText says what p may import, for a failure message.
func mayText(p place) string {
	var what []string
	for _, t := range may[p.tier] {
		what = append(what, string(t))
	}
	if p.family != "" {
		what = append(what, "its own family ("+p.family+")")
	}
	if len(what) == 0 {
		return "nothing of this module"
	}
	return "only " + strings.Join(what, ", ")
}

// TestLayering holds the module's import graph to docs/ARCHITECTURE.md.
func TestLayering(t *testing.T) {
	for _, v := range violations(graph(t)) {
		t.Error(v)
	}
}

// TestRules checks the rules themselves on edges made up for the purpose,
// so that a rule loosened by mistake is caught even while no package
// breaks it.
func TestRules(t *testing.T) {
	tests := []struct {
		name     string
		from, to string
		ok       bool
	}{
		{"domain imports its subpackage", "broker", "broker/auditlog", true},
		{"domain imports a leaf", "broker", "internal/cache", true},
		{"domain imports an adapter", "broker", "keys", false},
		{"domain imports the gateway", "broker", "internal/httpapi", false},
		{"domain subpackage imports the domain", "broker/strictjson", "broker", false},
		{"adapter imports the domain", "internal/policy", "broker", true},
		{"adapter imports a leaf", "keys", "internal/cache", true},
		{"adapter imports another adapter", "internal/token", "keys", false},
		{"Redis adapter imports its plan", "internal/redis/store", "internal/redis/internal/plan", true},
		{"Redis adapter imports another adapter", "internal/redis/store", "keys", false},
		{"leaf imports the domain", "internal/cache", "broker", false},
		{"leaf imports a leaf", "internal/jsonenc", "internal/cache", false},
		{"gateway imports the domain", "internal/httpapi", "broker", true},
		{"gateway imports a leaf", "internal/httpapi", "internal/jsonenc", true},
		{"gateway imports an adapter", "internal/httpapi", "internal/token", false},
		{"gateway imports another gateway", "internal/web", "internal/httpapi", false},
		{"web gateway imports its own part", "internal/web", "internal/web/static", true},
		{"binary imports everything", "cmd/livc-broker", "internal/redis/store", true},
		{"binary imports a test", "cmd/livc-broker", "test/e2e", false},
		{"test imports a binary", "test/e2e", "cmd/livcctl", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			from, ok1 := where(tc.from)
			to, ok2 := where(tc.to)
			if !ok1 || !ok2 {
				t.Fatalf("%s or %s placed nowhere", tc.from, tc.to)
			}
			if got := allowed(from, to); got != tc.ok {
				t.Errorf("%s -> %s allowed %v, want %v", tc.from, tc.to, got, tc.ok)
			}
		})
	}

	t.Run("an unplaced package fails", func(t *testing.T) {
		got := violations([]pkg{{ImportPath: module + "/internal/newthing"}})
		if len(got) != 1 || !strings.Contains(got[0], "placed in no tier") {
			t.Errorf("violations %q, want the package reported", got)
		}
	})
	t.Run("every tier has its rule", func(t *testing.T) {
		for _, p := range places {
			if _, ok := may[p.tier]; !ok {
				t.Errorf("%s: tier %s has no rule in may", p.path, p.tier)
			}
		}
	})
}

package main

import (
	"os"
	"testing"

	"golang.org/x/mod/modfile"
)

// The OPA that compare builds must be the one the broker embeds, or the
// comparison measures two different engines: opaVersion must follow go.mod.
func TestOPAVersionFollowsGoMod(t *testing.T) {
	raw, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	f, err := modfile.ParseLax("go.mod", raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range f.Require {
		if r.Mod.Path == "github.com/open-policy-agent/opa" {
			if r.Mod.Version != opaVersion {
				t.Fatalf("opaVersion is %s, go.mod requires OPA %s: update compare.go", opaVersion, r.Mod.Version)
			}
			return
		}
	}
	t.Fatal("go.mod does not require github.com/open-policy-agent/opa")
}

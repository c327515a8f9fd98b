package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Loading configuration files from disk, one or several cells, and the
// limits a file must keep.

func TestLoad(t *testing.T) {
	rules, err := filepath.Abs("testdata/withpolicies/rules")
	if err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("#\n"), MaxSize/2+1), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		path      string
		wantID    string
		wantDir   string
		wantError string
	}{
		{"demo copy", "testdata/zonnedaal.yaml", "zonnedaal", "", ""},
		{"policies resolved against the file's directory", "testdata/withpolicies/cell.yaml", "withpolicies", rules, ""},
		{"policies directory missing", "testdata/withpolicies/missing.yaml", "", "", `testdata/withpolicies/missing.yaml:3: policies directory "missing"`},
		{"no such file", "testdata/nonexistent.yaml", "", "", "nonexistent.yaml"},
		{"too large", big, "", "", big + ": is larger than"},
		{"broken file names its path", "testdata/bad-table-ghost.yaml", "", "", "testdata/bad-table-ghost.yaml:18: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cell, _, err := Load(tt.path)
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("Load error %v; want one containing %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cell.ID != tt.wantID || cell.PolicyDir != tt.wantDir {
				t.Fatalf("got id %q, policy dir %q; want %q, %q", cell.ID, cell.PolicyDir, tt.wantID, tt.wantDir)
			}
		})
	}
}

func TestLoadAll(t *testing.T) {
	tests := []struct {
		name      string
		paths     []string
		wantIDs   []string
		wantError []string
	}{
		{"two cells", []string{"testdata/zonnedaal.yaml", "testdata/minimal.yaml"}, []string{"testcell", "zonnedaal"}, nil},
		{"one cell", []string{"testdata/extras.yaml"}, []string{"testcell"}, nil},
		{"two files, one id", []string{"testdata/minimal.yaml", "testdata/extras.yaml"}, nil,
			[]string{`testdata/extras.yaml:4: livc id "testcell" is already the id of the cell in testdata/minimal.yaml`}},
		{"one file twice", []string{"testdata/zonnedaal.yaml", "testdata/zonnedaal.yaml"}, nil,
			[]string{`testdata/zonnedaal.yaml:4: livc id "zonnedaal" is already the id`}},
		{"every broken file reported", []string{"testdata/bad-table-ghost.yaml", "testdata/minimal.yaml", "testdata/bad-livc-pattern.yaml"}, nil,
			[]string{"testdata/bad-table-ghost.yaml:18: ", "testdata/bad-livc-pattern.yaml:2: "}},
		{"no files", nil, nil, []string{"no configuration file given"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cells, _, err := LoadAll(tt.paths)
			if tt.wantError != nil {
				if err == nil {
					t.Fatalf("LoadAll accepted it: %d cells", len(cells))
				}
				for _, w := range tt.wantError {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for id, c := range cells {
				if c.ID != id {
					t.Errorf("cell %q under key %q", c.ID, id)
				}
				ids = append(ids, id)
			}
			slices.Sort(ids)
			if !slices.Equal(ids, tt.wantIDs) {
				t.Fatalf("ids %q, want %q", ids, tt.wantIDs)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	minimal, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var unknown, ghosts strings.Builder
	for i := range 70 {
		unknown.WriteString("extra" + strconv.Itoa(i) + ": 1\n")
		ghosts.WriteString("  ghost" + strconv.Itoa(i) + ": {table: kitchen}\n")
	}
	t.Run("warnings are capped", func(t *testing.T) {
		_, warnings, err := Parse(append(append([]byte{}, minimal...), unknown.String()...), "x.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if len(warnings) != maxProblems+1 || warnings[maxProblems] != "x.yaml: and 20 more warnings" {
			t.Fatalf("got %d warnings, last %q", len(warnings), warnings[len(warnings)-1])
		}
	})
	t.Run("problems are capped", func(t *testing.T) {
		data := strings.Replace(string(minimal), "purposes:\n", "purposes:\n"+ghosts.String(), 1)
		_, _, err := Parse([]byte(data), "x.yaml")
		var cerr *Error
		if !errors.As(err, &cerr) || len(cerr.Problems) != maxProblems || cerr.Dropped != 20 ||
			!strings.HasSuffix(err.Error(), "\nand 20 more problems") {
			t.Fatalf("got %v", err)
		}
	})
}

package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/livc/livc-broker/broker"
)

// The data document the policy reads, data.cells[livc]. It is the cell's
// configuration, reduced to what a decision may depend on.
type cellDoc struct {
	Tables   map[string][]string            `json:"tables"`
	Purposes map[string]purposeDoc          `json:"purposes"`
	Release  map[string]map[string][]string `json:"release"`
	Actors   map[string]actorDoc            `json:"actors"`
	// Minors is the cell's minors block, absent when it sets none (a minor
	// then gets the adult rules).
	Minors *minorsDoc `json:"minors,omitempty"`
	// Secrecy lists the actor types whose records reach a dossier's
	// roster only once shared with it (README rule 8).
	Secrecy []string `json:"secrecy"`
}

// minorsDoc is what the policy reads of minors: the matrix that replaces
// release for a minor. The age is the broker's to apply (input.subject.minor).
type minorsDoc struct {
	Release map[string]map[string][]string `json:"release"`
}

type purposeDoc struct {
	Table *string `json:"table"` // null: the purpose belongs to no table
}

type actorDoc struct {
	Type        string `json:"type"`
	Coordinator bool   `json:"coordinator"`
}

// cellData builds the data document {"cells": {livc: cellDoc}} as a plain
// JSON object for the store, and its canonical JSON for the revision.
func cellData(cells map[string]*broker.Cell) (map[string]any, []byte, error) {
	if len(cells) == 0 {
		return nil, nil, fmt.Errorf("policy: no cell")
	}
	docs := make(map[string]cellDoc, len(cells))
	for id, c := range cells {
		if c == nil || c.ID != id {
			return nil, nil, fmt.Errorf("policy: cell %q: missing or under another id", id)
		}
		docs[id] = newCellDoc(c)
	}
	raw, err := json.Marshal(map[string]any{"cells": docs}) // map keys sorted: canonical
	if err != nil {
		return nil, nil, fmt.Errorf("policy: data: %w", err)
	}
	var data map[string]any
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, nil, fmt.Errorf("policy: data: %w", err)
	}
	return data, raw, nil
}

func newCellDoc(c *broker.Cell) cellDoc {
	d := cellDoc{
		Tables:   make(map[string][]string, len(c.Tables)),
		Purposes: make(map[string]purposeDoc, len(c.Purposes)),
		Actors:   make(map[string]actorDoc, len(c.Actors)),
		Secrecy:  nonNil(c.Secrecy),
	}
	for t, ids := range c.Tables {
		d.Tables[t] = nonNil(ids)
	}
	for name, p := range c.Purposes {
		var pd purposeDoc
		if p.Table != "" {
			pd.Table = &p.Table
		}
		d.Purposes[name] = pd
	}
	d.Release = matrixDoc(c.Release)
	for id, a := range c.Actors {
		d.Actors[id] = actorDoc{Type: a.Type, Coordinator: a.Coordinator}
	}
	if c.Minors != nil {
		d.Minors = &minorsDoc{Release: matrixDoc(c.Minors.Release)}
	}
	return d
}

// matrixDoc copies a release matrix, with an empty list for none.
func matrixDoc(matrix map[string]map[string][]string) map[string]map[string][]string {
	out := make(map[string]map[string][]string, len(matrix))
	for purpose, classes := range matrix {
		m := make(map[string][]string, len(classes))
		for class, types := range classes {
			m[class] = nonNil(types)
		}
		out[purpose] = m
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

// maxCellModule bounds one file of a cell's own rules.
const maxCellModule = 1 << 20

// cellModules reads the .rego files (not *_test.rego) at the top of each
// cell's PolicyDir; one that cannot be read is an error, never skipped, since
// a skipped withholding rule would release more. A cell's rules may only withhold more: each module must
// be in package livc.cells.<livc> (or below), where decision.rego reads
// withhold and nothing else; a module anywhere else is refused.
func cellModules(cells map[string]*broker.Cell) (map[string]string, error) {
	out := map[string]string{}
	for _, id := range sortedKeys(cells) {
		c := cells[id]
		if c.PolicyDir == "" {
			continue
		}
		entries, err := os.ReadDir(c.PolicyDir)
		if err != nil {
			return nil, fmt.Errorf("policy: cell %s: %w", id, err)
		}
		want := cellPackage(id)
		for _, ent := range entries {
			name := ent.Name()
			if !strings.HasSuffix(name, ".rego") || strings.HasSuffix(name, "_test.rego") {
				continue
			}
			src, err := readCellModule(filepath.Join(c.PolicyDir, name))
			if err != nil {
				return nil, fmt.Errorf("policy: cell %s: %w", id, err)
			}
			key := "cells/" + id + "/" + name
			m, err := ast.ParseModuleWithOpts(key, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
			if err != nil {
				return nil, fmt.Errorf("policy: cell %s: %w", id, err)
			}
			if !m.Package.Path.HasPrefix(want) {
				return nil, fmt.Errorf("policy: cell %s: %s: package %v, want %v: a cell's rules may only withhold",
					id, name, m.Package.Path, want)
			}
			out[key] = src
		}
	}
	return out, nil
}

// readCellModule reads one regular file of at most maxCellModule bytes.
func readCellModule(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s: not a regular file", fi.Name())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxCellModule+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxCellModule {
		return "", fmt.Errorf("%s: larger than %d bytes", fi.Name(), maxCellModule)
	}
	return string(b), nil
}

// cellPackage is data.livc.cells.<livc>, whatever characters the id holds.
func cellPackage(id string) ast.Ref {
	return ast.Ref{ast.DefaultRootDocument, ast.StringTerm("livc"), ast.StringTerm("cells"), ast.StringTerm(id)}
}

// revision hashes the modules (by name) and the data document: a change to
// either is a new revision, the same policy over the same data the same one.
func revision(modules map[string]string, data []byte) string {
	h := sha256.New()
	for _, name := range sortedKeys(modules) {
		fmt.Fprintf(h, "module %q %d\n%s\n", name, len(modules[name]), modules[name])
	}
	fmt.Fprintf(h, "data %d\n", len(data))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))[:12]
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

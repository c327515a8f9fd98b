// Package config loads and validates a cell's configuration, in the form of
// spec/livc-example.yaml, into a *broker.Cell.
//
// A file is refused with every problem found, each at the file and line of
// the offending YAML node (file:line: message): a malformed name, an
// undeclared actor, table, purpose or class, a wrong type or bound, a key
// given twice, a value of the wrong kind (a single value where a list is
// expected), several YAML documents, or a document over MaxSize. Keys the
// broker does not know are accepted with a warning: the broker loads a file
// as its coordinator wrote it and may accept more than it uses.
//
// Where leaving something out would widen access, it is required rather than
// defaulted: every purpose states its table (null for none), every field its
// class and type, and the retention schedule both of its periods.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/livc/livc-broker/broker"
)

// MaxSize is the largest configuration file accepted, in bytes.
const MaxSize = 1 << 20

// Problem is one thing wrong with a configuration file. Line is 0 when it is
// about the file as a whole.
type Problem struct {
	File string
	Line int
	Msg  string
}

// String renders the problem as file:line: message.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Error is a configuration the broker refuses: every problem found in one
// file, in the order they were found.
type Error struct {
	Problems []Problem
	// Dropped counts further problems left out of Problems.
	Dropped int
}

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Problems)+1)
	for _, p := range e.Problems {
		lines = append(lines, p.String())
	}
	if e.Dropped > 0 {
		lines = append(lines, fmt.Sprintf("and %d more problems", e.Dropped))
	}
	return strings.Join(lines, "\n")
}

// parsed is a cell with the positions Load and LoadAll report against.
type parsed struct {
	cell     *broker.Cell
	livc     *yaml.Node // the value of livc
	policies *yaml.Node // the value of policies, or nil
}

// Parse validates one cell's configuration. name is the file name used in
// messages. It returns the cell and its warnings, or an *Error listing every
// problem (with the warnings found so far). A relative policies directory is
// kept as written; Load resolves it.
func Parse(data []byte, name string) (*broker.Cell, []string, error) {
	pc, warnings, err := parse(data, name)
	if err != nil {
		return nil, warnings, err
	}
	return pc.cell, warnings, nil
}

// Load reads and validates the configuration file at path; messages name the
// path as given. A policies directory is resolved against the file's
// directory and must exist.
func Load(path string) (*broker.Cell, []string, error) {
	pc, warnings, err := load(path)
	if err != nil {
		return nil, warnings, err
	}
	return pc.cell, warnings, nil
}

// LoadAll loads several cells, keyed by their livc id. It refuses an empty
// list and two files declaring the same livc id. Its error joins the errors
// of every file that fails.
func LoadAll(paths []string) (map[string]*broker.Cell, []string, error) {
	if len(paths) == 0 {
		return nil, nil, errors.New("no configuration file given")
	}
	cells := make(map[string]*broker.Cell, len(paths))
	from := make(map[string]string, len(paths))
	var warnings []string
	var errs []error
	for _, path := range paths {
		pc, w, err := load(path)
		warnings = append(warnings, w...)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		id := pc.cell.ID
		if first, dup := from[id]; dup {
			errs = append(errs, &Error{Problems: []Problem{{File: path, Line: pc.livc.Line,
				Msg: fmt.Sprintf("livc id %q is already the id of the cell in %s; each cell needs its own id", id, first)}}})
			continue
		}
		from[id] = path
		cells[id] = pc.cell
	}
	if len(errs) > 0 {
		return nil, warnings, errors.Join(errs...)
	}
	return cells, warnings, nil
}

func load(path string) (*parsed, []string, error) {
	data, err := readLimited(path)
	if err != nil {
		return nil, nil, err
	}
	pc, warnings, err := parse(data, path)
	if err != nil {
		return nil, warnings, err
	}
	if dir := pc.cell.PolicyDir; dir != "" {
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(filepath.Dir(path), dir)
		}
		if abs, err := filepath.Abs(dir); err == nil {
			dir = abs
		}
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, warnings, &Error{Problems: []Problem{{File: path, Line: pc.policies.Line,
				Msg: fmt.Sprintf("policies directory %q (%s) is not a readable directory", pc.cell.PolicyDir, dir)}}}
		}
		pc.cell.PolicyDir = dir
	}
	return pc, warnings, nil
}

// readLimited reads a file of at most MaxSize bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("configuration %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, tooLarge(path)
	}
	return data, nil
}

func tooLarge(name string) error {
	return &Error{Problems: []Problem{{File: name, Msg: fmt.Sprintf("is larger than %d bytes; a cell's configuration is refused above that", MaxSize)}}}
}

func parse(data []byte, name string) (*parsed, []string, error) {
	if len(data) > MaxSize {
		return nil, nil, tooLarge(name)
	}
	root, err := decode(data)
	if err != nil {
		return nil, nil, &Error{Problems: []Problem{yamlProblem(name, err)}}
	}
	p := &parser{file: name}
	pc := p.cell(root)
	if p.droppedWarnings > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: and %d more warnings", name, p.droppedWarnings))
	}
	if len(p.problems) > 0 {
		return nil, p.warnings, &Error{Problems: p.problems, Dropped: p.dropped}
	}
	return pc, p.warnings, nil
}

// decode parses data as exactly one YAML document and returns its root node.
// A trailing empty document (a final ---) is tolerated.
func decode(data []byte) (root *yaml.Node, err error) {
	// The parser is third-party code fed untrusted input: a panic in it
	// refuses the file rather than taking the broker down.
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("is empty")
		}
		return nil, err
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, err
	case !emptyDocument(&extra):
		return nil, &lineError{line: extra.Line, msg: "a second YAML document starts here; a cell's configuration is one document"}
	}
	if len(doc.Content) != 1 {
		return nil, errors.New("is not a YAML document")
	}
	return doc.Content[0], nil
}

func emptyDocument(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	c := doc.Content[0]
	return len(doc.Content) == 1 && c.Kind == yaml.ScalarNode && c.ShortTag() == "!!null" && c.Value == ""
}

// lineError is a problem decode finds itself, at a line.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlProblem turns a yaml.v3 error ("yaml: line 3: ...") into a Problem at
// that line.
func yamlProblem(name string, err error) Problem {
	var le *lineError
	if errors.As(err, &le) {
		return Problem{File: name, Line: le.line, Msg: le.msg}
	}
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			return Problem{File: name, Line: n, Msg: "not valid YAML: " + m[2]}
		}
	}
	if rest, ok := strings.CutPrefix(msg, "yaml: "); ok {
		return Problem{File: name, Msg: "not valid YAML: " + rest}
	}
	return Problem{File: name, Msg: msg}
}

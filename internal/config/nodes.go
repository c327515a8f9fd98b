package config

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// idPattern is the shape of every name a configuration declares: the cell
// id, actor ids, purpose names, field names and classes. Names end up in
// tokens, headers, policy input and audit entries, so they stay plain.
var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// nameRule says idPattern in words, for messages.
const nameRule = "use 1 to 63 lower-case letters, digits, _ or -, starting with a letter or digit"

// maxProblems bounds the problems, and the warnings, reported for one file,
// so that a garbage input does not produce a garbage-sized message.
const maxProblems = 50

// parser walks the yaml.v3 node tree of one file, collecting problems (which
// make the file unusable) and warnings (which do not), each at a line.
type parser struct {
	file            string
	problems        []Problem
	dropped         int
	warnings        []string
	droppedWarnings int
}

// errf records a problem at node n (nil: the file as a whole).
func (p *parser) errf(n *yaml.Node, format string, args ...any) {
	if len(p.problems) >= maxProblems {
		p.dropped++
		return
	}
	p.problems = append(p.problems, Problem{File: p.file, Line: line(n), Msg: fmt.Sprintf(format, args...)})
}

// warnf records a warning at node n.
func (p *parser) warnf(n *yaml.Node, format string, args ...any) {
	if len(p.warnings) >= maxProblems {
		p.droppedWarnings++
		return
	}
	w := Problem{File: p.file, Line: line(n), Msg: fmt.Sprintf(format, args...)}
	p.warnings = append(p.warnings, w.String())
}

func line(n *yaml.Node) int {
	if n == nil {
		return 0
	}
	return n.Line
}

// resolve follows an alias to the node it names. Aliases are followed where a
// value is read, never while walking a subtree, so a cyclic alias cannot loop.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && n.Alias != nil && i < 8; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// entry is one key of a mapping.
type entry struct {
	key     string
	keyNode *yaml.Node
	valNode *yaml.Node
}

// mapping returns the entries of n, which must be a mapping. It refuses keys
// that are not plain scalars and merge keys, and leaves out a duplicate key
// (which duplicates reports).
func (p *parser) mapping(n *yaml.Node, what string) ([]entry, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.MappingNode {
		p.errf(n, "%s must be a mapping, not %s", what, kindName(n))
		return nil, false
	}
	var out []entry
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			kind := kindName(k)
			if k.Kind == yaml.AliasNode {
				kind = "an alias"
			}
			p.errf(k, "a key of %s must be a plain name, not %s", what, kind)
			continue
		}
		if k.ShortTag() == "!!merge" {
			p.errf(k, "merge keys (<<) are not supported in %s; write the keys out", what)
			continue
		}
		if seen[k.Value] {
			continue // reported by duplicates, which sees the whole tree
		}
		seen[k.Value] = true
		out = append(out, entry{key: k.Value, keyNode: k, valNode: v})
	}
	return out, true
}

// known warns about every key of entries outside allowed: the broker loads a
// file as its coordinator wrote it and may accept more than it uses.
func (p *parser) known(entries []entry, what string, allowed ...string) {
	for _, e := range entries {
		if !slices.Contains(allowed, e.key) {
			p.warnf(e.keyNode, "unknown key %q in %s is ignored", e.key, what)
		}
	}
}

// lookup returns the value of key in entries, or nil.
func lookup(entries []entry, key string) *yaml.Node {
	for _, e := range entries {
		if e.key == key {
			return e.valNode
		}
	}
	return nil
}

// required returns the value of key, reporting its absence at the mapping n.
func (p *parser) required(n *yaml.Node, entries []entry, key, what string) *yaml.Node {
	v := lookup(entries, key)
	if v == nil {
		p.errf(resolve(n), "%s has no %q", what, key)
	}
	return v
}

// sequence returns the items of n, which must be a sequence.
func (p *parser) sequence(n *yaml.Node, what string) ([]*yaml.Node, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		p.errf(n, "%s must be a list, not %s", what, kindName(n))
		return nil, false
	}
	return n.Content, true
}

// text returns the value of a scalar holding text. Any plain scalar but null
// reads as its literal text (name: 2026 is the text "2026"); null, binary and
// application-specific tags are refused.
func (p *parser) text(n *yaml.Node, what string) (string, bool) {
	n = resolve(n)
	if n == nil || n.Kind != yaml.ScalarNode {
		p.errf(n, "%s must be text, not %s", what, kindName(n))
		return "", false
	}
	switch n.ShortTag() {
	case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
		return n.Value, true
	case "!!null":
		p.errf(n, "%s must be text, not null", what)
	default:
		p.errf(n, "%s has tag %s, which is not supported", what, n.ShortTag())
	}
	return "", false
}

// id returns a name that must match idPattern. It returns the text even when
// the pattern does not match (ok is then false), so that later references to
// the same name are not reported a second time.
func (p *parser) id(n *yaml.Node, what string) (string, bool) {
	s, ok := p.text(n, what)
	if !ok {
		return "", false
	}
	if !idPattern.MatchString(s) {
		p.errf(resolve(n), "%s %q is not a valid name: %s", what, clip(s), nameRule)
		return s, false
	}
	return s, true
}

// integer returns an integer scalar within [lo, hi].
func (p *parser) integer(n *yaml.Node, what string, lo, hi int64) (int64, bool) {
	n = resolve(n)
	var v int64
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&v) != nil {
		if lo == math.MinInt64 && hi == math.MaxInt64 {
			p.errf(n, "%s must be a 64-bit integer", what)
		} else {
			p.errf(n, "%s must be an integer between %d and %d", what, lo, hi)
		}
		return 0, false
	}
	if v < lo || v > hi {
		p.errf(n, "%s is %d; it must be between %d and %d", what, v, lo, hi)
		return 0, false
	}
	return v, true
}

// boolean returns a true or false scalar.
func (p *parser) boolean(n *yaml.Node, what string) (bool, bool) {
	n = resolve(n)
	var v bool
	if n == nil || n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&v) != nil {
		p.errf(n, "%s must be true or false", what)
		return false, false
	}
	return v, true
}

// kindName names the kind of a node for messages.
func kindName(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		return "null"
	case n.Kind == yaml.ScalarNode:
		return "a single value"
	case n.Kind == yaml.DocumentNode:
		return "a document"
	default:
		return "an alias"
	}
}

// clip shortens a name quoted back in a message, so that a message never
// grows with the input.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// duplicates reports every key given twice in a mapping anywhere under n,
// keys the broker ignores included: yaml.v3 checks duplicates only when it
// decodes into Go values, not into a Node, and a duplicate would silently
// drop what its coordinator wrote first. Aliases are not followed, so each
// node is visited once and a cyclic alias cannot loop.
func (p *parser) duplicates(n *yaml.Node) {
	if n == nil || n.Kind == yaml.AliasNode {
		return
	}
	if n.Kind == yaml.MappingNode {
		first := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if line, dup := first[k.Value]; dup {
				p.errf(k, "key %q is given twice (first at line %d)", clip(k.Value), line)
				continue
			}
			first[k.Value] = k.Line
		}
	}
	for _, c := range n.Content {
		p.duplicates(c)
	}
}

// Package strictjson parses untrusted JSON strictly: exactly one value,
// no key given twice, valid UTF-8 and no lone surrogate, bounded in size and
// depth. It imports nothing of the broker; the broker maps its refusals to
// its error vocabulary.
package strictjson

import (
	"encoding/json"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits bounds what Decode accepts. A zero limit accepts
// nothing (MaxBytes) or no object or array at all (MaxDepth): the decoder
// fails closed.
type Limits struct {
	// MaxBytes is the largest input, in bytes.
	MaxBytes int
	// MaxDepth is the deepest nesting of objects and arrays: a top-level
	// object is at depth 1, an array in it at depth 2.
	MaxDepth int
}

// Decode parses data as exactly one JSON value (RFC 8259) and
// returns it as a tree of map[string]any, []any, string, json.Number, bool
// and nil. Numbers are kept as written, so that the caller decides whether a
// fraction or an exponent is acceptable where an integer is wanted.
//
// It is written for untrusted input and refuses what encoding/json lets
// through: a key given twice in one object, invalid UTF-8 (encoding/json
// replaces it), an escaped lone surrogate such as "\ud800" (likewise),
// nesting deeper than lim.MaxDepth (checked before descending, so the stack
// stays bounded), and anything but white space after the value.
//
// Every refusal is an *Error: TooLarge for an input over lim.MaxBytes; for
// every other, Path is the path of the offending value ("fields.presence",
// "fields.indicators[2]"; "" for the input as a whole) and Detail names what
// is wrong and where, never the content.
func Decode(data []byte, lim Limits) (any, error) {
	if len(data) > lim.MaxBytes {
		return nil, &Error{TooLarge: true, Detail: fmt.Sprintf("the JSON is larger than %d bytes", lim.MaxBytes)}
	}
	p := strictParser{data: data, maxDepth: lim.MaxDepth}
	v, err := p.value("", 0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return nil, invalid("", "data after the JSON value, at byte %d", p.pos)
	}
	return v, nil
}

// strictParser is a recursive-descent parser. Outside strings only ASCII is
// valid JSON; inside them it checks UTF-8 itself, so that a refusal names
// the value.
type strictParser struct {
	data     []byte
	pos      int
	maxDepth int
}

func (p *strictParser) syntax(path, what string) error {
	return invalid(path, "not valid JSON: %s at byte %d", what, p.pos)
}

// peek returns the next byte, or 0 at the end of the input (0 is never
// valid where peek is used).
func (p *strictParser) peek() byte {
	if p.pos < len(p.data) {
		return p.data[p.pos]
	}
	return 0
}

func (p *strictParser) skipSpace() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value parses the value at p.pos, which sits inside depth containers.
func (p *strictParser) value(path string, depth int) (any, error) {
	p.skipSpace()
	switch c := p.peek(); {
	case c == '{':
		return p.object(path, depth+1)
	case c == '[':
		return p.array(path, depth+1)
	case c == '"':
		return p.str(path)
	case c == 't':
		return p.literal(path, "true", true)
	case c == 'f':
		return p.literal(path, "false", false)
	case c == 'n':
		return p.literal(path, "null", nil)
	case c == '-' || asciiDigit(c):
		return p.number(path)
	case c == 0 && p.pos == len(p.data):
		return nil, p.syntax(path, "unexpected end")
	}
	return nil, p.syntax(path, "unexpected character")
}

func (p *strictParser) deeper(path string, depth int) error {
	if depth > p.maxDepth {
		return invalid(path, "the JSON is nested deeper than %d levels", p.maxDepth)
	}
	return nil
}

func (p *strictParser) object(path string, depth int) (any, error) {
	if err := p.deeper(path, depth); err != nil {
		return nil, err
	}
	p.pos++ // '{'
	obj := map[string]any{}
	p.skipSpace()
	if p.peek() == '}' {
		p.pos++
		return obj, nil
	}
	for {
		p.skipSpace()
		if p.peek() != '"' {
			return nil, p.syntax(path, "expected a key")
		}
		key, err := p.str(path)
		if err != nil {
			return nil, err
		}
		kp := Path(path, key)
		if _, dup := obj[key]; dup {
			return nil, invalid(kp, DetailRepeatedKey)
		}
		p.skipSpace()
		if p.peek() != ':' {
			return nil, p.syntax(kp, "expected ':'")
		}
		p.pos++
		v, err := p.value(kp, depth)
		if err != nil {
			return nil, err
		}
		obj[key] = v
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return obj, nil
		default:
			return nil, p.syntax(kp, "expected ',' or '}'")
		}
	}
}

func (p *strictParser) array(path string, depth int) (any, error) {
	if err := p.deeper(path, depth); err != nil {
		return nil, err
	}
	p.pos++ // '['
	arr := []any{}
	p.skipSpace()
	if p.peek() == ']' {
		p.pos++
		return arr, nil
	}
	for {
		ip := IndexPath(path, len(arr))
		v, err := p.value(ip, depth)
		if err != nil {
			return nil, err
		}
		arr = append(arr, v)
		p.skipSpace()
		switch p.peek() {
		case ',':
			p.pos++
		case ']':
			p.pos++
			return arr, nil
		default:
			return nil, p.syntax(ip, "expected ',' or ']'")
		}
	}
}

func (p *strictParser) literal(path, lit string, v any) (any, error) {
	if len(p.data)-p.pos < len(lit) || string(p.data[p.pos:p.pos+len(lit)]) != lit {
		return nil, p.syntax(path, "unexpected character")
	}
	p.pos += len(lit)
	return v, nil
}

// number scans the RFC 8259 number grammar and keeps the text as written.
func (p *strictParser) number(path string) (any, error) {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	switch c := p.peek(); {
	case c == '0':
		p.pos++
	case '1' <= c && c <= '9':
		p.digits()
	default:
		return nil, p.syntax(path, "malformed number")
	}
	if p.peek() == '.' {
		p.pos++
		if !p.digits() {
			return nil, p.syntax(path, "malformed number")
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.pos++
		if c := p.peek(); c == '+' || c == '-' {
			p.pos++
		}
		if !p.digits() {
			return nil, p.syntax(path, "malformed number")
		}
	}
	return json.Number(p.data[start:p.pos]), nil
}

// digits skips a run of digits and reports whether there was one.
func (p *strictParser) digits() bool {
	start := p.pos
	for asciiDigit(p.peek()) {
		p.pos++
	}
	return p.pos > start
}

// str parses a string literal: raw bytes must be valid UTF-8 and escapes
// must decode to Unicode scalar values.
func (p *strictParser) str(path string) (string, error) {
	p.pos++ // '"'
	var buf []byte
	escaped := false
	for {
		start := p.pos
		if err := p.plainRun(path); err != nil {
			return "", err
		}
		switch p.peek() {
		case '"':
			p.pos++
			if !escaped {
				return string(p.data[start : p.pos-1]), nil
			}
			return string(append(buf, p.data[start:p.pos-1]...)), nil
		case '\\':
			var err error
			escaped = true
			if buf, err = p.escape(path, append(buf, p.data[start:p.pos]...)); err != nil {
				return "", err
			}
		default:
			return "", p.syntax(path, "unterminated string")
		}
	}
}

// plainRun skips the bytes of a string up to a quote, a backslash or the end.
func (p *strictParser) plainRun(path string) error {
	for p.pos < len(p.data) {
		switch c := p.data[p.pos]; {
		case c == '"' || c == '\\':
			return nil
		case c < 0x20:
			return p.syntax(path, "control character in a string")
		case c < utf8.RuneSelf:
			p.pos++
		default:
			r, size := utf8.DecodeRune(p.data[p.pos:])
			if r == utf8.RuneError && size == 1 {
				return invalid(path, "a string is not valid UTF-8, at byte %d", p.pos)
			}
			p.pos += size
		}
	}
	return nil
}

var jsonSimpleEscapes = map[byte]byte{
	'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t',
}

// escape decodes the escape at p.pos onto buf.
func (p *strictParser) escape(path string, buf []byte) ([]byte, error) {
	p.pos++ // '\\'
	e := p.peek()
	p.pos++
	if b, ok := jsonSimpleEscapes[e]; ok {
		return append(buf, b), nil
	}
	if e != 'u' {
		p.pos--
		return nil, p.syntax(path, "invalid escape")
	}
	r, ok := p.hex4()
	if !ok {
		return nil, p.syntax(path, "invalid \\u escape")
	}
	if utf16.IsSurrogate(r) {
		lo := rune(-1)
		if r < 0xDC00 && p.peek() == '\\' && p.pos+1 < len(p.data) && p.data[p.pos+1] == 'u' {
			p.pos += 2
			if lo, ok = p.hex4(); !ok {
				return nil, p.syntax(path, "invalid \\u escape")
			}
		}
		if r = utf16.DecodeRune(r, lo); r == utf8.RuneError {
			return nil, invalid(path, "a string holds an escaped lone surrogate, at byte %d", p.pos)
		}
	}
	return utf8.AppendRune(buf, r), nil
}

// hex4 reads four hexadecimal digits.
func (p *strictParser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.data[p.pos : p.pos+4] {
		var d byte
		switch {
		case asciiDigit(c):
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	p.pos += 4
	return r, true
}

func asciiDigit(c byte) bool { return '0' <= c && c <= '9' }

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
)

// Output: the broker's JSON answer as is (indented), or as a table for
// people. --output json|table; by default a table when standard output is a
// terminal, JSON otherwise (a pipe, a file, a script's $(...)).

// format is the output format the caller asked for, or the default.
func (env *cliEnv) format() (string, error) {
	switch env.global.output {
	case "json", "table":
		return env.global.output, nil
	case "":
		if isTerminal(env.stdout) {
			return "table", nil
		}
		return "json", nil
	}
	return "", usageError{fmt.Errorf("--output must be table or json, not %q", env.global.output)}
}

// emit prints a JSON answer in the output format.
func (env *cliEnv) emit(body []byte) error {
	f, err := env.format()
	if err != nil {
		return err
	}
	if f == "table" {
		if n, err := parseOrdered(body); err == nil {
			return writeTable(env.stdout, n)
		}
	}
	return printJSON(env.stdout, body)
}

// emitValue marshals v and emits it.
func (env *cliEnv) emitValue(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return env.emit(b)
}

// printJSON pretty-prints a JSON answer.
func printJSON(w io.Writer, body []byte) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, body, "", "  "); err != nil {
		_, err = w.Write(body)
		return err
	}
	buf.WriteByte('\n')
	_, err := buf.WriteTo(w)
	return err
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// object is a JSON object with its keys in the order of the answer.
type object struct {
	keys []string
	vals map[string]any
}

// parseOrdered decodes JSON keeping the order of object keys: objects are
// *object, arrays []any, numbers json.Number.
func parseOrdered(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (any, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t {
	case json.Delim('{'):
		o := &object{vals: map[string]any{}}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return nil, err
			}
			v, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			key, _ := k.(string)
			key = printable(key) // keys are printed too, as column names
			if _, dup := o.vals[key]; !dup {
				o.keys = append(o.keys, key)
			}
			o.vals[key] = v
		}
		_, err = d.Token()
		return o, err
	case json.Delim('['):
		a := []any{}
		for d.More() {
			v, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		_, err = d.Token()
		return a, err
	}
	return t, nil
}

// writeTable prints n for people: a list (an array, or an object's items)
// as aligned columns named by the items' keys, the other keys of an object
// as KEY VALUE lines with nested keys joined by dots.
func writeTable(w io.Writer, n any) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch v := n.(type) {
	case []any:
		writeRows(tw, v)
	case *object:
		items, isList := v.vals["items"].([]any)
		var rest []string
		for _, k := range v.keys {
			if !(isList && k == "items") {
				flatten(&rest, k, v.vals[k])
			}
		}
		for _, line := range rest {
			fmt.Fprintln(tw, line)
		}
		if isList {
			if len(rest) > 0 {
				fmt.Fprintln(tw)
			}
			writeRows(tw, items)
		}
	default:
		fmt.Fprintln(tw, cell(v))
	}
	return tw.Flush()
}

// writeRows prints a list of objects as a table with a header line.
func writeRows(tw *tabwriter.Writer, items []any) {
	if len(items) == 0 {
		fmt.Fprintln(tw, "(none)")
		return
	}
	var cols []string
	seen := map[string]bool{}
	for _, it := range items {
		if o, ok := it.(*object); ok {
			for _, k := range o.keys {
				if !seen[k] {
					seen[k] = true
					cols = append(cols, k)
				}
			}
		}
	}
	if len(cols) == 0 {
		for _, it := range items {
			fmt.Fprintln(tw, cell(it))
		}
		return
	}
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, it := range items {
		o, _ := it.(*object)
		row := make([]string, len(cols))
		for i, c := range cols {
			if o != nil {
				row[i] = cell(o.vals[c])
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
}

// flatten appends the KEY<tab>VALUE lines of v under key.
func flatten(lines *[]string, key string, v any) {
	switch x := v.(type) {
	case *object:
		if len(x.keys) == 0 {
			*lines = append(*lines, key+"\t-")
		}
		for _, k := range x.keys {
			flatten(lines, key+"."+k, x.vals[k])
		}
	case []any:
		if scalars(x) {
			*lines = append(*lines, key+"\t"+cell(x))
			return
		}
		for i, e := range x {
			flatten(lines, key+"["+strconv.Itoa(i)+"]", e)
		}
	default:
		*lines = append(*lines, key+"\t"+cell(x))
	}
}

// scalars tells whether a holds no object or array.
func scalars(a []any) bool {
	for _, e := range a {
		switch e.(type) {
		case *object, []any:
			return false
		}
	}
	return true
}

// printable is s for a terminal: every control character (a tab or line
// break would break the table's columns, an escape sequence in a value
// submitted by someone else would drive the reader's terminal) becomes a
// space.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// cell is one value in a table: a list of scalars joined by commas, an
// object or a list of objects as compact key=value pairs, "-" for none.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return "-"
	case string:
		if x == "" {
			return "-"
		}
		return printable(x)
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		if len(x) == 0 {
			return "-"
		}
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = cell(e)
		}
		sep := ","
		if !scalars(x) {
			sep = "; "
		}
		return strings.Join(parts, sep)
	case *object:
		parts := make([]string, 0, len(x.keys))
		for _, k := range x.keys {
			parts = append(parts, k+"="+cell(x.vals[k]))
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

package httpapi

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/jsonenc"
)

// appendCard appends the card as JSON, byte for byte what json.Marshal
// writes for it (TestCardJSONMatchesMarshal, FuzzCardJSON): the card is the
// answer of the most frequent request, and encoding/json's reflection over
// its maps and interface values was a tenth of that request's CPU. A value
// of a type the record codec does not produce is left to json.Marshal.
func appendCard(b []byte, c broker.Card) ([]byte, error) {
	b = append(b, `{"subject_ref":`...)
	b = jsonenc.AppendString(b, c.SubjectRef)
	b = append(b, `,"fields":`...)
	if c.Fields == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '{')
		names := make([]string, 0, len(c.Fields))
		for name := range c.Fields {
			names = append(names, name)
		}
		slices.Sort(names)
		for i, name := range names {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(jsonenc.AppendString(b, name), ':')
			var err error
			if b, err = appendCardValues(b, c.Fields[name]); err != nil {
				return nil, err
			}
		}
		b = append(b, '}')
	}
	if c.Withheld != nil {
		b = append(b, `,"withheld":`...)
		b = strconv.AppendInt(b, int64(*c.Withheld), 10)
	}
	return append(b, '}'), nil
}

func appendCardValues(b []byte, vs []broker.CardValue) ([]byte, error) {
	if vs == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"value":`...)
		var err error
		if b, err = appendValue(b, v.Value); err != nil {
			return nil, err
		}
		b = append(b, `,"source":`...)
		b = jsonenc.AppendString(b, v.Source)
		b = append(b, `,"record":`...)
		b = jsonenc.AppendString(b, v.Record)
		b = append(b, `,"at":"`...)
		if b, err = v.At.AppendText(b); err != nil { // what Time.MarshalJSON writes, unquoted
			return nil, err
		}
		b = append(b, `"}`...)
	}
	return append(b, ']'), nil
}

// appendValue appends a field value: the string, json.Number and []string
// a record decodes to, anything else through json.Marshal.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return jsonenc.AppendString(b, v), nil
	case json.Number:
		if !isJSONNumber(string(v)) {
			break // json.Marshal refuses it, with its own error
		}
		return append(b, v...), nil
	case []string:
		return jsonenc.AppendStrings(b, v), nil
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, js...), nil
}

// isJSONNumber reports whether s is a number of JSON's grammar: -?int frac?
// exp?, int without leading zeros.
func isJSONNumber(s string) bool {
	digits := func(i int) int {
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i
	}
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		i = digits(i + 1)
	default:
		return false
	}
	if i < len(s) && s[i] == '.' {
		if j := digits(i + 1); j > i+1 {
			i = j
		} else {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if j := digits(i); j > i {
			i = j
		} else {
			return false
		}
	}
	return i == len(s)
}

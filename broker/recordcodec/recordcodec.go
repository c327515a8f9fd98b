// Package recordcodec is the plaintext form of a sealed record: a compact
// binary form (recordV1) and the JSON form records were sealed in before it,
// which still decodes. It imports nothing of the broker: its Record has the
// fields and JSON names of broker.Record, which converts to and from it.
package recordcodec

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Record is a record as sealed: the fields of broker.Record, with the same
// JSON names (the JSON form is their encoding/json form).
type Record struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	SubjectRef string         `json:"subject_ref"`
	Source     string         `json:"source"`
	Sub        string         `json:"sub"`
	ObservedAt time.Time      `json:"observed_at"`
	ReceivedAt time.Time      `json:"received_at"`
	Fields     map[string]any `json:"fields"`
}

// The plaintext of a sealed record.
//
// A record is sealed in a compact binary form (recordV1): the card read opens
// every record of a person on every read, and decoding JSON into a map of
// interfaces was the largest part of its CPU. Records sealed as JSON before
// the binary form existed still open: a JSON plaintext starts with '{', the
// binary one with recordV1, and nothing else is accepted.
//
// recordV1 is, after its tag byte, the strings ID, Kind, SubjectRef, Source,
// Sub, ObservedAt and ReceivedAt (the times as time.Time.MarshalText writes
// them, so that they round-trip exactly as through JSON), then the number of
// fields and each field: its name, a value tag and the value. A string is a
// uvarint length and its bytes; a number (tagNumber) is its decimal text,
// decoded as a json.Number like the JSON form with UseNumber; a list
// (tagList) is a uvarint count and that many strings. A record with a value
// of any other type is sealed as JSON.

const recordV1 = 0x01

// Value tags of recordV1.
const (
	tagString = 's'
	tagNumber = 'n'
	tagList   = 'l'
)

// maxRecordFields bounds the fields a decoded record may declare, so that a
// corrupt count cannot make the decoder allocate a huge map up front.
const maxRecordFields = 1 << 12

// ErrEncoding refuses a plaintext in neither form.
var ErrEncoding = errors.New("not a record encoding this broker writes")

// Encode is the plaintext broker.SealRecord seals: recordV1, or JSON when a
// value has a type recordV1 does not hold.
func Encode(rec Record) ([]byte, error) {
	if b, ok := appendRecordV1(make([]byte, 0, 256), rec); ok {
		return b, nil
	}
	return json.Marshal(rec)
}

// appendRecordV1 appends rec in recordV1; false when a value does not fit.
func appendRecordV1(b []byte, rec Record) ([]byte, bool) {
	observed, err1 := rec.ObservedAt.MarshalText()
	received, err2 := rec.ReceivedAt.MarshalText()
	if err1 != nil || err2 != nil {
		return nil, false
	}
	b = append(b, recordV1)
	for _, s := range []string{rec.ID, rec.Kind, rec.SubjectRef, rec.Source, rec.Sub} {
		b = appendString(b, s)
	}
	b = appendBytes(b, observed)
	b = appendBytes(b, received)
	b = binary.AppendUvarint(b, uint64(len(rec.Fields)))
	for _, name := range slices.Sorted(maps.Keys(rec.Fields)) { // the same record, the same bytes
		b = appendString(b, name)
		var ok bool
		if b, ok = appendValue(b, rec.Fields[name]); !ok {
			return nil, false
		}
	}
	return b, true
}

// appendValue appends a tagged value: the types validation produces (string,
// int64, []string) and those a decoded record holds (json.Number).
func appendValue(b []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case string:
		return appendString(append(b, tagString), v), true
	case int64:
		var num [20]byte
		return appendBytes(append(b, tagNumber), strconv.AppendInt(num[:0], v, 10)), true
	case int:
		var num [20]byte
		return appendBytes(append(b, tagNumber), strconv.AppendInt(num[:0], int64(v), 10)), true
	case json.Number:
		if !isInteger(string(v)) {
			return nil, false
		}
		return appendString(append(b, tagNumber), string(v)), true
	case []string:
		b = binary.AppendUvarint(append(b, tagList), uint64(len(v)))
		for _, s := range v {
			b = appendString(b, s)
		}
		return b, true
	}
	return nil, false
}

// isInteger reports whether s is an int64 written as JSON writes one: an
// optional minus, no plus, no leading zero, no exponent.
func isInteger(s string) bool {
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || digits[0] == '+' || (digits[0] == '0' && len(digits) > 1) {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBytes(b, s []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// Decode decodes the plaintext of a sealed record, in either form.
// Numbers come back as json.Number and lists as []string; a card encodes
// them as the JSON form would.
func Decode(plain []byte) (Record, error) {
	if len(plain) > 0 && plain[0] == recordV1 {
		return decodeRecordV1(plain[1:])
	}
	if len(plain) == 0 || plain[0] != '{' {
		return Record{}, ErrEncoding
	}
	var rec Record
	dec := json.NewDecoder(bytes.NewReader(plain))
	dec.UseNumber()
	if err := dec.Decode(&rec); err != nil {
		return Record{}, err
	}
	if dec.More() {
		return Record{}, errors.New("data after the record")
	}
	if rec.Fields == nil {
		rec.Fields = map[string]any{}
	}
	return rec, nil
}

func decodeRecordV1(b []byte) (Record, error) {
	// One string of the whole plaintext, which every string of the record
	// slices: one allocation instead of one per string.
	d := recordDecoder{s: string(b)}
	var rec Record
	for _, s := range []*string{&rec.ID, &rec.Kind, &rec.SubjectRef, &rec.Source, &rec.Sub} {
		*s = d.string()
	}
	d.time(&rec.ObservedAt)
	d.time(&rec.ReceivedAt)
	n := d.uvarint()
	if d.err == nil && n > maxRecordFields {
		d.fail("too many fields")
	}
	if d.err != nil {
		return Record{}, d.err
	}
	rec.Fields = make(map[string]any, n)
	for range n {
		name := d.string()
		v := d.value()
		if d.err != nil {
			return Record{}, d.err
		}
		if _, dup := rec.Fields[name]; dup {
			return Record{}, fmt.Errorf("record: field %q twice", name)
		}
		rec.Fields[name] = v
	}
	if len(d.s) != 0 {
		return Record{}, errors.New("record: data after the last field")
	}
	return rec, nil
}

// recordDecoder reads recordV1 from s, what is left of it; after the first
// error every read returns a zero value and err keeps that error.
type recordDecoder struct {
	s   string
	err error
}

func (d *recordDecoder) fail(what string) {
	if d.err == nil {
		d.err = errors.New("record: " + what)
	}
	d.s = ""
}

func (d *recordDecoder) uvarint() uint64 {
	var v uint64
	for i := 0; i < len(d.s) && i < binary.MaxVarintLen64; i++ {
		c := d.s[i]
		if i == binary.MaxVarintLen64-1 && c > 1 {
			break // past 64 bits
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			d.s = d.s[i+1:]
			return v
		}
	}
	d.fail("bad length")
	return 0
}

func (d *recordDecoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.s)) {
		d.fail("truncated")
		return ""
	}
	s := d.s[:n]
	d.s = d.s[n:]
	return s
}

func (d *recordDecoder) time(t *time.Time) {
	s := d.string()
	if d.err != nil {
		return
	}
	if err := t.UnmarshalText([]byte(s)); err != nil {
		d.fail("bad time")
	}
}

func (d *recordDecoder) value() any {
	if len(d.s) == 0 {
		d.fail("truncated")
		return nil
	}
	tag := d.s[0]
	d.s = d.s[1:]
	switch tag {
	case tagString:
		return d.string()
	case tagNumber:
		s := d.string()
		if d.err == nil && !isInteger(s) {
			d.fail("bad number")
		}
		return json.Number(s)
	case tagList:
		n := d.uvarint()
		if n > uint64(len(d.s)) { // every string takes a byte at least
			d.fail("truncated")
			return nil
		}
		out := make([]string, 0, n)
		for range n {
			out = append(out, d.string())
		}
		return out
	}
	d.fail("unknown value tag")
	return nil
}

package recordcodec

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// codecRecord is a record with a value of every type recordV1 holds, a
// time with nanoseconds and one in another zone than UTC.
func codecRecord() Record {
	return Record{
		ID: "sig_codec01", Kind: "signal", SubjectRef: "s_codec", Source: "ocmw", Sub: "ocmw-jan",
		ObservedAt: time.Date(2026, 11, 20, 9, 30, 0, 123456789, time.FixedZone("", 3600)),
		ReceivedAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		Fields: map[string]any{
			"family_name":         "Peeters-Ünal \"Jan\" <&>",
			"school_absence_days": int64(37),
			"threat_level":        3,
			"big":                 json.Number("-9223372036854775808"),
			"indicators":          []string{"one", "", "drie \u00e9"},
			"none":                []string{},
			"empty":               "",
		},
	}
}

// asCard is how a card shows a record: the only use of a decoded record.
func asCard(t *testing.T, rec Record) string {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// jsonForm is a record as it was sealed before recordV1: JSON, numbers and
// lists as encoding/json writes them.
func jsonForm(t *testing.T, rec Record) []byte {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordCodecRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		rec  Record
	}{
		{"every value type", codecRecord()},
		{"no fields", Record{ID: "sig_0", Kind: "signal", Fields: map[string]any{}}},
		{"zero times", Record{ID: "sig_1", Fields: map[string]any{"a": "b"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain, err := Encode(tc.rec)
			if err != nil {
				t.Fatal(err)
			}
			if plain[0] != recordV1 {
				t.Fatalf("sealed as %q, want recordV1", plain[:1])
			}
			got, err := Decode(plain)
			if err != nil {
				t.Fatal(err)
			}
			legacy, err := Decode(jsonForm(t, tc.rec))
			if err != nil {
				t.Fatal(err)
			}
			if a, b := asCard(t, got), asCard(t, legacy); a != b {
				t.Errorf("recordV1 and JSON forms decode differently:\n v1:   %s\n json: %s", a, b)
			}
			if !got.ObservedAt.Equal(tc.rec.ObservedAt) || got.ObservedAt.String() != legacy.ObservedAt.String() {
				t.Errorf("observed_at %v, want %v (JSON form: %v)", got.ObservedAt, tc.rec.ObservedAt, legacy.ObservedAt)
			}
			again, err := Encode(got)
			if err != nil || !bytes.Equal(again, plain) {
				t.Errorf("a decoded record seals to other bytes (%v)", err)
			}
		})
	}
}

// A value recordV1 does not hold is sealed as JSON, never dropped.
func TestRecordCodecFallsBackToJSON(t *testing.T) {
	for name, v := range map[string]any{
		"float":            1.5,
		"bool":             true,
		"object":           map[string]any{"a": "b"},
		"list of any":      []any{"a"},
		"non-integer text": json.Number("1e3"),
		"nil":              nil,
	} {
		t.Run(name, func(t *testing.T) {
			rec := Record{ID: "sig_x", Fields: map[string]any{"v": v, "s": "kept"}}
			plain, err := Encode(rec)
			if err != nil {
				t.Fatal(err)
			}
			if plain[0] != '{' {
				t.Fatalf("sealed as %q, want JSON", plain[:1])
			}
			got, err := Decode(plain)
			if err != nil {
				t.Fatal(err)
			}
			if got.Fields["s"] != "kept" || len(got.Fields) != 2 {
				t.Errorf("fields %v", got.Fields)
			}
		})
	}
}

// The format is pinned by a test vector: records already sealed must keep
// opening after any change to the encoder.
func TestRecordCodecVector(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("testdata", "record-v1.hex"))
	if err != nil {
		t.Fatal(err)
	}
	vector, err := hex.DecodeString(strings.TrimSpace(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Encode(codecRecord())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, vector) {
		t.Errorf("codecRecord encodes to\n%x\nnot the vector in testdata/record-v1.hex", plain)
	}
	got, err := Decode(vector)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := asCard(t, got), asCard(t, codecRecord()); a != b {
		t.Errorf("the vector decodes to\n%s\nwant\n%s", a, b)
	}
}

func TestRecordCodecRefuses(t *testing.T) {
	good, err := Encode(codecRecord())
	if err != nil {
		t.Fatal(err)
	}
	// A record of one field "a", to edit byte by byte: tag, five strings,
	// two times, one field.
	one := func(field ...byte) []byte {
		b := []byte{recordV1, 1, 'i', 0, 0, 0, 0}
		b = appendString(b, "2026-11-20T10:00:00Z")
		b = appendString(b, "2026-11-20T10:00:00Z")
		return append(append(b, 1, 1, 'a'), field...)
	}
	if _, err := Decode(one(tagString, 1, 'x')); err != nil {
		t.Fatalf("the base case is refused: %v", err)
	}
	cases := map[string][]byte{
		"empty":                   {},
		"unknown form":            {0x02, 0},
		"JSON with data after it": []byte(`{"id":"a"} {"id":"b"}`),
		"bad JSON":                []byte(`{"id":`),
		"trailing data":           append(bytes.Clone(good), 0),
		"unknown tag":             one('z', 1, 'x'),
		"bad number":              one(tagNumber, 2, '1', 'x'),
		"float number":            one(tagNumber, 3, '1', '.', '5'),
		"plus sign":               one(tagNumber, 2, '+', '5'),
		"leading zero":            one(tagNumber, 2, '0', '5'),
		"int64 overflow":          append(one(tagNumber, 20), "99999999999999999999"...),
		"list too long":           one(tagList, 200, 'x'),
		"no value":                one(),
		"field twice":             append(one(tagString, 1, 'x'), 1, 'a', tagString, 0),
		"too many fields":         append([]byte{recordV1, 0, 0, 0, 0, 0, 20, '2', '0', '2', '6', '-', '1', '1', '-', '2', '0', 'T', '1', '0', ':', '0', '0', ':', '0', '0', 'Z', 20, '2', '0', '2', '6', '-', '1', '1', '-', '2', '0', 'T', '1', '0', ':', '0', '0', ':', '0', '0', 'Z'}, 0xff, 0xff, 0x03),
		"bad time":                append([]byte{recordV1, 0, 0, 0, 0, 0, 3, 'n', 'o', 'w'}, 0, 0),
		"length overflows":        {recordV1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			if rec, err := Decode(b); err == nil {
				t.Errorf("decoded %+v, want an error", rec)
			}
		})
	}
	t.Run("every truncation", func(t *testing.T) {
		for n := range len(good) {
			if _, err := Decode(good[:n]); err == nil {
				t.Errorf("%d of %d bytes decoded", n, len(good))
			}
		}
	})
}

// FuzzDecodeRecord: no input panics, and whatever decodes seals again to a
// record that decodes the same.
func FuzzDecodeRecord(f *testing.F) {
	good, _ := Encode(codecRecord())
	f.Add(good)
	f.Add(jsonForm(&testing.T{}, codecRecord()))
	f.Add([]byte{recordV1})
	f.Fuzz(func(t *testing.T, plain []byte) {
		rec, err := Decode(plain)
		if err != nil {
			return
		}
		again, err := Encode(rec)
		if err != nil {
			t.Fatalf("a decoded record does not encode: %v", err)
		}
		back, err := Decode(again)
		if err != nil {
			t.Fatalf("a re-encoded record does not decode: %v", err)
		}
		if a, b := asCard(t, back), asCard(t, rec); a != b {
			t.Fatalf("round trip changed the record:\n%s\n%s", a, b)
		}
	})
}

// BenchmarkDecodeRecord decodes one record of six fields in either form.
func BenchmarkDecodeRecord(b *testing.B) {
	rec := codecRecord()
	v1, err := Encode(rec)
	if err != nil {
		b.Fatal(err)
	}
	legacy, err := json.Marshal(rec)
	if err != nil {
		b.Fatal(err)
	}
	for name, plain := range map[string][]byte{"recordV1": v1, "JSON": legacy} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(plain); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

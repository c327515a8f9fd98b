package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

// tricky holds every kind of character jsonenc.AppendString treats apart.
var tricky = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "\b\f\n\r\t\x00\x01\x1f\x7f",
	"é ü ß 漢字 🙂", "line\u2028para\u2029", "bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate", "é\xe2\x82",
}

func cardOf(values ...any) broker.Card {
	at := time.Date(2026, 11, 20, 9, 30, 0, 123000000, time.FixedZone("", -7200))
	three := 3
	c := broker.Card{SubjectRef: "s_abc", Withheld: &three, Fields: map[string][]broker.CardValue{}}
	for i, v := range values {
		name := []string{"family_name", "a", "zeta", "<b>", "presence"}[i%5]
		c.Fields[name] = append(c.Fields[name], broker.CardValue{Value: v, Source: "ocmw", Record: "sig_1", At: at})
	}
	return c
}

func TestCardJSONMatchesMarshal(t *testing.T) {
	cases := map[string]broker.Card{
		"empty":                  {},
		"no fields":              {SubjectRef: "s_x", Fields: map[string][]broker.CardValue{}},
		"nil values":             {Fields: map[string][]broker.CardValue{"a": nil}},
		"numbers":                cardOf(json.Number("37"), json.Number("-9223372036854775808"), json.Number("1.5e3"), json.Number("")),
		"lists":                  cardOf([]string{"a", "<b>"}, []string{}, []string(nil)),
		"legacy and other types": cardOf([]any{"x", json.Number("2")}, 1.5, true, nil, map[string]any{"k": "v"}, int64(4)),
		"zero time":              {Fields: map[string][]broker.CardValue{"a": {{Value: "v"}}}},
	}
	for _, s := range tricky {
		cases["string "+s] = cardOf(s, s, s)
		cases["ref "+s] = broker.Card{SubjectRef: s, Fields: map[string][]broker.CardValue{s: {{Value: s, Source: s, Record: s}}}}
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := appendCard(nil, c)
			if err != nil || string(got) != string(want) {
				t.Errorf("appendCard = %s (%v)\njson.Marshal = %s", got, err, want)
			}
		})
	}
}

// A value json.Marshal refuses is refused, not written half.
func TestCardJSONRefuses(t *testing.T) {
	for name, v := range map[string]any{
		"bad number":       json.Number("12abc"),
		"number as string": json.Number(`"1"`),
		"literal":          json.Number("true"),
		"leading zero":     json.Number("01"),
		"bare dot":         json.Number("1."),
		"bare exponent":    json.Number("1e"),
		"plus":             json.Number("+1"),
		"channel":          make(chan int),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := json.Marshal(cardOf(v)); err == nil {
				t.Fatal("json.Marshal takes it: the test is wrong")
			}
			if b, err := appendCard(nil, cardOf(v)); err == nil {
				t.Errorf("wrote %s", b)
			}
		})
	}
	far := broker.Card{Fields: map[string][]broker.CardValue{"a": {{At: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}}
	if b, err := appendCard(nil, far); err == nil {
		t.Errorf("a year past 9999 wrote %s", b)
	}
}

func FuzzCardJSON(f *testing.F) {
	for _, s := range tricky {
		f.Add(s, s, "37")
	}
	for _, n := range []string{"-0.5e+10", "1E5", "0", "-", "1.", ".5", "00", "true", "1e+"} {
		f.Add("n", "v", n)
	}
	f.Fuzz(func(t *testing.T, name, value, number string) {
		n := len(name)
		c := broker.Card{SubjectRef: value, Withheld: &n, Fields: map[string][]broker.CardValue{
			name: {{Value: value, Source: name, Record: value, At: time.Unix(int64(len(value)), 5)}},
			"n":  {{Value: json.Number(number)}, {Value: strings.Fields(value)}},
		}}
		if n%2 == 1 { // a card without its count (off the roster)
			c.Withheld = nil
		}
		want, werr := json.Marshal(c)
		got, gerr := appendCard(nil, c)
		if (werr == nil) != (gerr == nil) || string(got) != string(want) {
			t.Fatalf("appendCard = %s (%v)\njson.Marshal = %s (%v)", got, gerr, want, werr)
		}
	})
}

// BenchmarkCardJSON encodes the card the load tool reads (eight records'
// fields, police on the roster), by hand and with encoding/json.
func BenchmarkCardJSON(b *testing.B) {
	c := cardOf("Peeters", json.Number("37"), []string{"one", "two"}, "a signal of about a hundred characters, as a social worker would type it in a hurry",
		"absent", "Kerkstraat 1", json.Number("3"), "record", "measure", "present", "weekly", "single parent")
	b.Run("appendCard", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 2048)
		for b.Loop() {
			if _, err := appendCard(buf[:0], c); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

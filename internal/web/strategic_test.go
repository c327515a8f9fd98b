package web

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

// TestChartsNeverDrawSmallCounts: a "<5" is a hatched bar of the one fixed
// length whatever the other counts, an exact count a bar proportional to
// the largest exact count of its chart, a zero no bar.
func TestChartsNeverDrawSmallCounts(t *testing.T) {
	cases := []struct {
		name   string
		counts map[string]any
		want   map[string]chartBar
	}{
		{"small beside large", map[string]any{"closed": 20, "approach": "<5", "weighing": 0, "formation": 10},
			map[string]chartBar{"closed": {Text: "20", Width: 100}, "formation": {Text: "10", Width: 50},
				"approach": {Text: "<5", Small: true}, "weighing": {Text: "0"}}},
		{"only small", map[string]any{"closed": "<5", "approach": "<5"},
			map[string]chartBar{"closed": {Text: "<5", Small: true}, "approach": {Text: "<5", Small: true}}},
		{"tiny exact keeps a visible bar", map[string]any{"closed": 1000, "formation": 5},
			map[string]chartBar{"closed": {Text: "1000", Width: 100}, "formation": {Text: "5", Width: 1}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newChart("state", "case_state.", tc.counts, nil)
			if len(c.Bars) != len(tc.want) {
				t.Fatalf("%d bars, want %d", len(c.Bars), len(tc.want))
			}
			for _, b := range c.Bars {
				w := tc.want[b.Key]
				if b.Text != w.Text || b.Small != w.Small || b.Width != w.Width {
					t.Errorf("%s: %+v, want %+v", b.Key, b, w)
				}
			}
		})
	}
}

// TestChartOrder: states in the dossier's order, the merged bucket last,
// months oldest first and written mm/yyyy.
func TestChartOrder(t *testing.T) {
	var st broker.Stats
	st.Cases.ByState = map[string]any{"closed": 5, "registration": 6, "_other": 7, "approach": 0}
	st.Signals.ByMonth = map[string]any{"2026-11": 5, "2025-12": "<5"}
	d := buildCharts(st)
	keys := func(c chart) (out []string) {
		for _, b := range c.Bars {
			out = append(out, b.Key+"="+b.Label)
		}
		return out
	}
	if got := strings.Join(keys(d.Charts[0]), " "); got != "registration=registration approach=approach closed=closed _other=_other" {
		t.Errorf("states: %s", got)
	}
	if got := strings.Join(keys(d.Charts[3]), " "); got != "2025-12=12/2025 2026-11=11/2026" {
		t.Errorf("months: %s", got)
	}
}

// TestStatsPage renders the page: "<5" is text (never \u003c5 nor
// &amp;lt;5), every suppressed bar has the same fixed width, and each
// chart is a table with a caption.
func TestStatsPage(t *testing.T) {
	s, _ := newTestServer(t, false)
	var st broker.Stats
	st.Cases.ByState = map[string]any{"closed": 40, "approach": "<5"}
	st.Cases.ByCategory = map[string]any{"extremism": "<5", "terrorism": 7}
	st.Cases.ByPriority = map[string]any{"1": 30, "none": "<5"}
	st.Signals.ByMonth = map[string]any{"2026-11": 12}
	w := httptest.NewRecorder()
	s.render(w, 200, "stats", &view{Lang: "en", Title: "stats.title", Signed: true, Data: buildCharts(st)})
	page := w.Body.String()
	if strings.Contains(page, `\u003c5`) || strings.Contains(page, "&amp;lt;5") {
		t.Error("<5 is escaped twice")
	}
	if n := strings.Count(page, `data-count="&lt;5"`); n != 3 {
		t.Errorf("%d rows of <5, want 3", n)
	}
	widths := regexp.MustCompile(`<rect class="small" fill="url\(#hatch\)" x="0.5" y="0.5" width="(\d+)"`).FindAllStringSubmatch(page, -1)
	if len(widths) != 4 { // the legend's and three rows'
		t.Fatalf("%d hatched bars, want 4", len(widths))
	}
	for _, m := range widths {
		if m[1] != widths[0][1] {
			t.Errorf("hatched bars of different widths: %v", widths)
		}
	}
	if n := strings.Count(page, "<caption>"); n != 4 {
		t.Errorf("%d captions, want 4", n)
	}
}

// TestCardValues: an enum value by its label, a date as dd/mm/yyyy, "<5"
// as text, classes identity first, each class newest first.
func TestCardValues(t *testing.T) {
	s, _ := newTestServer(t, false)
	cell := &broker.Cell{ID: "c", Fields: map[string]broker.FieldSpec{
		"presence":   {Name: "presence", Class: "presence", Type: "enum", Values: []string{"absent"}},
		"birth_date": {Name: "birth_date", Class: "identity", Type: "date"},
		"threat":     {Name: "threat", Class: "intelligence", Type: "string"},
		"nn":         {Name: "nn", Class: "identity", Type: "national_number"},
	}}
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	c := broker.Card{SubjectRef: "s_x", Fields: map[string][]broker.CardValue{
		"presence":   {{Value: "absent", Source: "pz", At: at}, {Value: "present", Source: "pz", At: at.Add(time.Hour)}},
		"birth_date": {{Value: "1985-07-30", Source: "pz", At: at}},
		"nn":         {{Value: "85073003328", Source: "pz", At: at}},
		"threat":     {{Value: "<5", Source: "pz", At: at}},
	}}
	d := timeline(cell, c)
	if got := []string{d.Classes[0].Class, d.Classes[1].Class, d.Classes[2].Class}; strings.Join(got, ",") != "identity,presence,intelligence" {
		t.Errorf("class order %v", got)
	}
	if v := d.Classes[1].Entries[0].Value; v != "present" {
		t.Errorf("newest first: %s", v)
	}
	w := httptest.NewRecorder()
	s.render(w, 200, "card", &view{Lang: "en", Title: "card.title", Signed: true, Data: d})
	page := w.Body.String()
	for _, want := range []string{`<span class="value">30/07/1985</span>`, `<span class="value">absent</span>`, `<span class="value">&lt;5</span>`, `<span class="value">85.07.30-033.28</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("the card lacks %s", want)
		}
	}
	w = httptest.NewRecorder()
	s.render(w, 200, "card", &view{Lang: "nl", Title: "card.title", Signed: true, Data: d})
	if !strings.Contains(w.Body.String(), `<span class="value">afwezig</span>`) {
		t.Error("the enum value is not labelled in Dutch")
	}
}

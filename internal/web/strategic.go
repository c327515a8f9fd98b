package web

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/suppress"
)

// The strategic table's page: the aggregates of GET /v1/stats under policy
// as bar charts drawn by the server (inline SVG, no script, no inline
// style), each chart a table whose cells a screen reader reads as such.
//
// A count the use case suppressed ("<5", a count from 1 to 4) is never
// drawn with a length: it gets a hatched bar of one fixed, small length and
// the text "<5", which the legend explains. A bar's length is proportional
// to its count among the exact counts of its own chart only.

func init() {
	// mul3 is a bar's length in pixels (300 for 100 %); sub1 leaves room
	// for the suppressed bar's outline.
	funcs["mul3"] = func(n int) int { return 3 * n }
	funcs["sub1"] = func(n int) int { return n - 1 }
}

// chartBar is one row of a chart.
type chartBar struct {
	Key   string // the breakdown's key: a state, a category, "2026-11"
	Label string // message id prefix + key, or the key as text (a month)
	Text  string // the count as shown: "0", "12", "<5"
	Small bool   // a suppressed count: the hatched bar, no length
	Width int    // the bar's length, 0 to 100, for exact counts only
}

// chart is one breakdown: its id (for the heading and caption), the
// message prefix of its keys' labels ("" when a key is shown as it is).
type chart struct {
	ID, Prefix string
	Bars       []chartBar
}

// smallBarWidth is the suppressed count's bar: the same for every "<5",
// wherever it stands, so that its length says nothing.
const smallBarWidth = 6

// statsData is the page: the four charts in a fixed order.
type statsData struct {
	Charts     []chart
	SmallWidth int
}

func (s *Server) stats(x *reqCtx) {
	req, ctx := x.request(nil)
	st, err := s.b.ReadStats(ctx, req)
	if err != nil {
		x.fail(req, err)
		return
	}
	s.render(x.w, http.StatusOK, "stats", x.view("stats.title", buildCharts(st)))
}

// buildCharts turns the published aggregates into the page's charts: the
// states in the dossier's order, priorities 1 to 5 then none, categories by
// name, months oldest first; a merged bucket (suppress.OtherKey) last.
func buildCharts(st broker.Stats) statsData {
	states := []string{broker.StateRegistration, broker.StateFormation, broker.StateWeighing,
		broker.StateApproach, broker.StateEvaluation, broker.StateClosed}
	prios := []string{"1", "2", "3", "4", "5", "none"}
	return statsData{SmallWidth: smallBarWidth, Charts: []chart{
		newChart("state", "case_state.", st.Cases.ByState, states),
		newChart("category", "category.", st.Cases.ByCategory, nil),
		newChart("priority", "stats.priority_", st.Cases.ByPriority, prios),
		newChart("month", "", st.Signals.ByMonth, nil),
	}}
}

// newChart orders one breakdown's keys (those of order first, in its
// order; the others by name; the merged bucket last) and sizes its bars.
func newChart(id, prefix string, counts map[string]any, order []string) chart {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if k == suppress.OtherKey {
			return len(order) + 1
		}
		if i := slices.Index(order, k); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a, b)) })
	c := chart{ID: id, Prefix: prefix}
	largest := 0
	for _, k := range keys {
		if n, ok := exactCount(counts[k]); ok {
			largest = max(largest, n)
		}
	}
	for _, k := range keys {
		b := chartBar{Key: k, Label: k}
		if id == "month" {
			b.Label = monthText(k)
		}
		n, ok := exactCount(counts[k])
		switch {
		case !ok:
			// "<5", or anything else the use case might publish that
			// is no exact count: shown as text, never as a length.
			b.Text, b.Small = countText(counts[k]), true
		case largest > 0:
			b.Text, b.Width = strconv.Itoa(n), max(n*100/largest, boolInt(n > 0))
		default:
			b.Text = strconv.Itoa(n)
		}
		c.Bars = append(c.Bars, b)
	}
	return c
}

// exactCount is v as an exact count: an int the use case published.
func exactCount(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	}
	return 0, false
}

// countText is a published count that is no number, as text ("<5").
func countText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return suppress.Small
}

// monthText is YYYY-MM as Belgians write a month, mm/yyyy; anything else
// as it is.
func monthText(k string) string {
	t, err := time.Parse("2006-01", k)
	if err != nil {
		return k
	}
	return t.Format("01/2006")
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

// A short soak against the real broker binary and a redis-server of its
// own must meet every criterion: no errors, nothing unsent or cut off, every
// acknowledged write on its person's card, a verified audit log holding
// every request, and flat memory. A few seconds prove the tool; the
// five-minute soak of make soak proves the broker.
func TestSoakAgainstRealBroker(t *testing.T) {
	bin := brokerBinary(t)
	var out bytes.Buffer
	o := options{
		Scenario: "soak", Broker: bin, Concurrency: 4, Rate: 100, Requests: 1_000_000,
		Duration: 5 * time.Second, Persons: 5, Recipient: "x25519", Out: t.TempDir(),
	}
	err := runMain(context.Background(), o, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\[PASS\] zero errors: 0 answers`),
		regexp.MustCompile(`\[PASS\] every due request sent and answered: 0 unsent, 0 cut off`),
		regexp.MustCompile(`\[PASS\] zero lost writes: 0 of [1-9]\d* acknowledged writes`),
		regexp.MustCompile(`\[PASS\] audit log verifies and holds every request: ok true, log size [1-9]\d* entries`),
		regexp.MustCompile(`\[PASS\] memory growth <= 10%: mean RSS \d+\.\d MB`),
		regexp.MustCompile(`(?m)^soak: PASS$`),
	} {
		if !want.MatchString(out.String()) {
			t.Errorf("output does not match %v", want)
		}
	}
	if strings.Contains(out.String(), "[FAIL]") {
		t.Error("a criterion failed")
	}
}

// The soak's own defaults apply only to the flags not given, and the
// request bound never cuts the schedule short.
func TestSoakDefaults(t *testing.T) {
	base := options{Rate: 0, Duration: 10 * time.Second, Requests: 1_000_000}
	tests := []struct {
		name     string
		scenario string
		set      map[string]bool
		rate     float64
		d        time.Duration
		n        int
	}{
		{"nothing given", "soak", nil, 200, 5 * time.Minute, 1_000_000},
		{"rate and duration given", "soak", map[string]bool{"rate": true, "d": true}, 0, 10 * time.Second, 1_000_000},
		{"another scenario", "mixed", nil, 0, 10 * time.Second, 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := base
			o.Scenario = tt.scenario
			o.soakDefaults(tt.set)
			if o.Rate != tt.rate || o.Duration != tt.d || o.Requests != tt.n {
				t.Fatalf("rate %v, -d %v, -n %d; want %v, %v, %d", o.Rate, o.Duration, o.Requests, tt.rate, tt.d, tt.n)
			}
		})
	}
	t.Run("a long soak raises the request bound", func(t *testing.T) {
		o := options{Scenario: "soak", Rate: 1000, Duration: time.Hour, Requests: 1_000_000}
		o.soakDefaults(map[string]bool{"rate": true, "d": true})
		if o.Requests <= 3_600_000 {
			t.Fatalf("-n %d cuts a soak of 3,600,000 requests short", o.Requests)
		}
	})
	t.Run("soak refuses -url", func(t *testing.T) {
		o := options{Scenario: "soak", URL: "http://127.0.0.1:1", Concurrency: 1, Requests: 1, Duration: time.Second, Persons: 1, Recipient: "x25519"}
		if err := runMain(context.Background(), o, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "-url") {
			t.Fatalf("runMain = %v, want -url refused", err)
		}
	})
}

// The memory criterion compares the first and last minute of a long run,
// the first and last fifth of a short one, and fails without samples.
func TestRSSGrowth(t *testing.T) {
	at := func(d time.Duration, kb int64) rssSample { return rssSample{At: d, KB: kb} }
	tests := []struct {
		name    string
		samples []rssSample
		d       time.Duration
		growth  float64
		ok      bool
	}{
		{"flat five minutes", []rssSample{at(0, 100), at(30*time.Second, 100), at(2*time.Minute, 300), at(4*time.Minute+30*time.Second, 100), at(5*time.Minute, 100)}, 5 * time.Minute, 0, true},
		{"ten per cent is the limit", []rssSample{at(0, 100), at(59*time.Second, 100), at(4*time.Minute, 110), at(5*time.Minute, 110)}, 5 * time.Minute, 0.10, true},
		{"grown by a fifth", []rssSample{at(0, 100), at(4*time.Minute+1, 120)}, 5 * time.Minute, 0.20, false},
		{"short run windows are fifths", []rssSample{at(0, 100), at(time.Second, 100), at(5*time.Second, 500), at(9*time.Second, 105)}, 10 * time.Second, 0.05, true},
		{"shrinking is fine", []rssSample{at(0, 200), at(10*time.Second, 100)}, 10 * time.Second, -0.5, true},
		{"no sample at the end", []rssSample{at(0, 100)}, 10 * time.Second, 0, false},
		{"no samples", nil, time.Minute, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := rssGrowth(tt.samples, tt.d)
			if g := m.Growth(); g < tt.growth-1e-9 || g > tt.growth+1e-9 || m.ok() != tt.ok {
				t.Fatalf("growth %v ok %v (%s); want %v ok %v", g, m.ok(), m, tt.growth, tt.ok)
			}
		})
	}
}

// Reading back finds a record missing from its person's card, and a card
// that cannot be read loses every record of its person.
func TestReadBack(t *testing.T) {
	cards := map[string]broker.Card{
		"s_full":  {SubjectRef: "s_full", Fields: map[string][]broker.CardValue{"signal_text": {{Record: "sig_1"}}, "presence": {{Record: "sig_2"}}}},
		"s_short": {SubjectRef: "s_short", Fields: map[string][]broker.CardValue{"signal_text": {{Record: "sig_3"}}}},
		"s_other": {SubjectRef: "s_full", Fields: map[string][]broker.CardValue{"signal_text": {{Record: "sig_5"}}}},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ref := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/subjects/"), "/card")
		card, ok := cards[ref]
		if !ok || r.Header.Get("LIVC-Purpose") != "case_conference" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(card)
	}))
	defer srv.Close()
	tg := &target{url: srv.URL, client: newClient(4), ocmw: []string{"t"}}
	mk := func(ref, id string) ack { return ack{ID: id, Ref: ref} }
	tests := []struct {
		name string
		acks []ack
		want readBackResult
	}{
		{"every record on its card", []ack{mk("s_full", "sig_1"), mk("s_full", "sig_2")}, readBackResult{persons: 1}},
		{"a record missing", []ack{mk("s_full", "sig_1"), mk("s_short", "sig_3"), mk("s_short", "sig_4")}, readBackResult{persons: 2, lost: 1}},
		{"a card not found", []ack{mk("s_gone", "sig_6"), mk("s_gone", "sig_7")}, readBackResult{persons: 1, lost: 2, unreadable: 1}},
		{"the card of another person", []ack{mk("s_other", "sig_5")}, readBackResult{persons: 1, lost: 1, unreadable: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tg.readBack(context.Background(), tt.acks, 2); got != tt.want {
				t.Fatalf("readBack = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// Each criterion fails on its own fault, and on a run that measured
// nothing: an unsent or cut-off request, an error, a bad receipt, a lost
// write, a log that does not verify or is short of entries, grown memory.
func TestSoakCriteria(t *testing.T) {
	good := func() soakFindings {
		return soakFindings{
			warm: result{Lat: make([]time.Duration, 10), Statuses: map[int]int{200: 8, 201: 2}},
			run:  result{Lat: make([]time.Duration, 100), Statuses: map[int]int{200: 80, 201: 20}},
			acks: 22, rb: readBackResult{persons: 22},
			av:  verifyResult{status: 200, rep: broker.VerifyReport{OK: true, Size: 133}},
			mem: memGrowth{First: 100, Last: 105, NFirst: 3, NLast: 3},
		}
	}
	tests := []struct {
		name   string
		mutate func(*soakFindings)
		fails  int // index of the criterion that must fail; -1 for none
	}{
		{"all good", func(*soakFindings) {}, -1},
		{"a 503 in the run", func(f *soakFindings) { f.run.Statuses[503] = 1 }, 0},
		{"a transport error in the warm-up", func(f *soakFindings) { f.warm.Statuses[0] = 1 }, 0},
		{"a 201 without a receipt", func(f *soakFindings) { f.badReceipts = 1 }, 0},
		{"no answer at all", func(f *soakFindings) { f.run = result{Statuses: map[int]int{}} }, 0},
		{"a request due but unsent", func(f *soakFindings) { f.run.Unsent = 1 }, 1},
		{"a request cut off", func(f *soakFindings) { f.run.CutOff = 1 }, 1},
		{"a lost write", func(f *soakFindings) { f.rb.lost = 1 }, 2},
		{"no write acknowledged", func(f *soakFindings) { f.acks = 0 }, 2},
		{"the log does not verify", func(f *soakFindings) { f.av.rep.OK = false }, 3},
		{"the log is short of an entry", func(f *soakFindings) { f.av.rep.Size = 131 }, 3},
		{"verify refused", func(f *soakFindings) { f.av.status = 403 }, 3},
		{"memory grown by 11%", func(f *soakFindings) { f.mem.Last = 111 }, 4},
		{"memory not sampled", func(f *soakFindings) { f.mem.NLast = 0 }, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := good()
			tt.mutate(&f)
			for i, c := range f.criteria() {
				if c.ok == (i == tt.fails) {
					t.Errorf("criterion %d ok = %v: %s", i, c.ok, c.what)
				}
			}
		})
	}
}

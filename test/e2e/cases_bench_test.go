package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/store"
)

// BenchmarkListCases measures GET /v1/cases end to end (token, purpose, one
// policy decision, index range, page, audit) with 100, 10,000 and 100,000
// dossiers in the store. The police sit on the roster of 10 of them, so under
// case_conference nearly all are dossiers it cannot see; under
// prioritisation the tactical table reads the first page of 100. Neither
// cost may grow with the dossiers in the store, and each answer must hold
// exactly the dossiers the requester may see (the police its 10, the
// tactical table a full page), so that a broken index cannot look fast.
//
// The dossiers are seeded directly through the store adapter, for speed.
//
//	go test ./test/e2e/ -run '^$' -bench BenchmarkListCases -benchtime 300x
func BenchmarkListCases(b *testing.B) {
	iss := newIssuer(b)
	rs := startRedis(b)
	br := startBroker(b, rs.Addr, iss, "--config", examplePath, "--rate-limit", "0", "--actor-rate-limit", "0") // measures listing, not the rate limit
	st := store.New(rs.client(b))
	seeded := 0
	for _, n := range []int{100, 10_000, 100_000} {
		seedCases(b, st, seeded, n)
		seeded = n
		for _, tc := range []struct {
			actor, purpose string
			want           int
		}{{"pz", "case_conference", policeDossiers}, {"parket", "prioritisation", min(n, broker.DefaultLimit)}} {
			b.Run(fmt.Sprintf("dossiers=%d/%s", n, tc.purpose), func(b *testing.B) {
				req, _ := http.NewRequest("GET", br.URL+"/v1/cases", nil)
				req.Header.Set("Authorization", "Bearer "+iss.token(b, "zonnedaal", tc.actor))
				req.Header.Set("LIVC-Purpose", tc.purpose)
				runTimed(b, func() int {
					status, items := listCases(b, req)
					if status == 200 && items != tc.want {
						b.Fatalf("%s lists %d dossiers of %d, want %d", tc.actor, items, n, tc.want)
					}
					return status
				}, 200)
			})
		}
	}
}

// listCases sends req, a GET /v1/cases, and returns the status and the
// number of dossiers on the page.
func listCases(t testing.TB, req *http.Request) (int, int) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer drain(resp)
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, len(page.Items)
}

// policeDossiers is how many seeded dossiers have the police on the roster.
const policeDossiers = 10

// seedCases stores dossiers from..to-1; the first policeDossiers have the
// police on their roster, so that the police see that many dossiers
// whatever the store holds.
func seedCases(b testing.TB, s *store.Store, from, to int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := from + w; i < to; i += 8 {
				roster := []string{"ocmw"}
				if i < policeDossiers {
					roster = []string{"ocmw", "pz"}
				}
				k := broker.Case{ID: broker.NewID("case"), Livc: "zonnedaal", SubjectRef: broker.NewID("s")[:28],
					SignalIDs: []string{broker.NewID("sig")}, Category: "radicalisation", State: broker.StateWeighing,
					Roster: roster, CreatedBy: "preventie", CreatedAt: now, UpdatedAt: now}
				if err := s.CreateCase(ctx, k); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// TestListCasesOneDecision proves that a listing costs one policy decision,
// whatever the dossiers in the store: livc_policy_decisions_total counts
// every decision the broker asks for (the metrics wrapper sits in front of
// the engine and its decision cache, so a cached decision counts too), and
// over 300 dossiers one GET /v1/cases must raise the case.list count, and
// the count of all actions, by exactly one.
func TestListCasesOneDecision(t *testing.T) {
	iss := newIssuer(t)
	rs := startRedis(t)
	br := startBroker(t, rs.Addr, iss, "--config", examplePath)
	seedCases(t, store.New(rs.client(t)), 0, 300)
	for _, tc := range []struct {
		name, actor, purpose string
		want                 int
	}{
		{"roster scope", "pz", "case_conference", policeDossiers},
		{"roster scope, cached decision", "pz", "case_conference", policeDossiers},
		{"whole cell", "parket", "prioritisation", broker.DefaultLimit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", br.URL+"/v1/cases", nil)
			req.Header.Set("Authorization", "Bearer "+iss.token(t, "zonnedaal", tc.actor))
			req.Header.Set("LIVC-Purpose", tc.purpose)
			list0, all0 := decisionCounts(t, br)
			status, items := listCases(t, req)
			list1, all1 := decisionCounts(t, br)
			if status != 200 || items != tc.want {
				t.Fatalf("%s lists: %d, %d dossiers, want 200 and %d", tc.actor, status, items, tc.want)
			}
			if list1-list0 != 1 || all1-all0 != 1 {
				t.Fatalf("one listing of %d dossiers took %v case.list decisions and %v in all, want 1 and 1",
					items, list1-list0, all1-all0)
			}
		})
	}
}

// decisionCounts reads GET /metrics and returns the sum of
// livc_policy_decisions_total for action case.list (every result) and for
// every action.
func decisionCounts(t *testing.T, br *brokerProc) (list, all float64) {
	t.Helper()
	resp, err := http.Get(br.Admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	for line := range strings.Lines(string(body)) {
		name, rest, ok := strings.Cut(line, "{")
		if !ok || name != "livc_policy_decisions_total" {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		must(t, err)
		all += v
		if strings.Contains(labels, `action="case.list"`) {
			list += v
		}
	}
	return list, all
}

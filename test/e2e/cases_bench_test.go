package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redisstore"
)

// BenchmarkListCases measures GET /v1/cases end to end (token, purpose, one
// policy decision, index range, page, audit) with 100, 10,000 and 100,000
// dossiers in the store. The police sit on the roster of 10 of them, so under
// case_conference nearly all are dossiers it cannot see; under
// prioritisation the tactical table reads the first page of 100. Neither
// cost may grow with the dossiers in the store.
//
// The dossiers are seeded directly through the store adapter, for speed.
//
//	go test ./test/e2e/ -run '^$' -bench BenchmarkListCases -benchtime 300x
func BenchmarkListCases(b *testing.B) {
	iss := newIssuer(b)
	rs := startRedis(b)
	br := startBroker(b, rs.Addr, iss, "--config", examplePath)
	store := redisstore.New(rs.client(b))
	seeded := 0
	for _, n := range []int{100, 10_000, 100_000} {
		seedCases(b, store, seeded, n)
		seeded = n
		for _, tc := range []struct{ actor, purpose string }{{"pz", "case_conference"}, {"parket", "prioritisation"}} {
			b.Run(fmt.Sprintf("dossiers=%d/%s", n, tc.purpose), func(b *testing.B) {
				req, _ := http.NewRequest("GET", br.URL+"/v1/cases", nil)
				req.Header.Set("Authorization", "Bearer "+iss.token(b, "zonnedaal", tc.actor))
				req.Header.Set("LIVC-Purpose", tc.purpose)
				runTimed(b, func() int {
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					drain(resp)
					return resp.StatusCode
				}, 200)
			})
		}
	}
}

// seedCases stores dossiers from..to-1; the first 10 have the police on
// their roster, so that the police see 10 dossiers whatever the store holds.
func seedCases(b *testing.B, s *redisstore.Store, from, to int) {
	b.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Go(func() {
			for i := from + w; i < to; i += 8 {
				roster := []string{"ocmw"}
				if i < 10 {
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

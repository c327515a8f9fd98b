package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/audit"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// TestPlanExpireRekeys: an expiry of a person who keeps a record and a
// dossier asks for a re-keying without exactly the record or dossier it
// removes, and its plan stores the re-sealed forms and the fresh key with
// the expiry; a re-keying that fails fails the plan, and one that keeps
// the expired record is refused.
func TestPlanExpireRekeys(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s := context.Background(), New(c)
		at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		sigA, sigB := "sig_"+strings.Repeat("a", 26), "sig_"+strings.Repeat("b", 26)
		setup := func(t *testing.T) (string, broker.Expiry) {
			cell := redistest.NewCell(t, c)
			_, err := s.DataKey(ctx, cell, "s_a", []byte("wrapped-old"))
			must(t, err)
			for _, id := range []string{sigA, sigB} {
				must(t, s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: id, Sealed: []byte("sealed-" + id)}))
			}
			must(t, s.CreateCase(ctx, testCase(cell, "case_1", "s_a", at)))
			e := broker.SignalEntry{ID: sigA, SubjectRef: "s_a", Source: "ocmw", ReceivedAt: at, ObservedAt: at, State: broker.SignalDismissed}
			putIntake(t, c, cell, 1, e)
			return cell, broker.Expiry{Kind: broker.ExpirySignal, ID: sigA, SubjectRef: "s_a", Signal: e, At: at.AddDate(0, 0, 181)}
		}
		// rekeyed re-keys as the broker would, records it was asked for,
		// and keeps the records of keep (all but the removed when nil).
		rekeyed := func(cell string, asked *string, keep []string) broker.Rekeyer {
			return func(removed, cases []string) (broker.Rekey, error) {
				*asked = fmt.Sprint(removed, cases)
				was, err := s.PersonSealed(ctx, cell, "s_a")
				if err != nil {
					return broker.Rekey{}, err
				}
				now := broker.PersonSealed{Wrapped: []byte("wrapped-new"), CaseCount: was.CaseCount, Meetings: was.Meetings,
					Cases: slices.DeleteFunc(slices.Clone(was.Cases), func(k broker.Case) bool { return slices.Contains(cases, k.ID) })}
				for _, sr := range was.Records {
					if keep != nil && slices.Contains(keep, sr.ID) || keep == nil && !slices.Contains(removed, sr.ID) {
						now.Records = append(now.Records, broker.SealedRecord{ID: sr.ID, Sealed: []byte("resealed")})
					}
				}
				return broker.Rekey{Was: was, Now: now}, nil
			}
		}
		t.Run("re-keyed with the expiry", func(t *testing.T) {
			cell, x := setup(t)
			var asked string
			w, wrapped, err := s.PlanExpire(ctx, cell, x, rekeyed(cell, &asked, nil))
			must(t, err)
			if wrapped != nil || asked != fmt.Sprint([]string{sigA}, []string(nil)) {
				t.Fatalf("shredded %q, asked for %s", wrapped, asked)
			}
			must(t, audit.New(c).Commit(ctx, &broker.AuditEntry{ID: "aud_1", Time: at, RequestID: "req_1", Livc: cell,
				Actor: "livc-broker", Action: broker.ActionRetentionExpire, SubjectRef: "s_a", Decision: broker.DecisionAllow}, w))
			got, err := s.PersonSealed(ctx, cell, "s_a")
			must(t, err)
			if string(got.Wrapped) != "wrapped-new" || len(got.Records) != 1 || got.Records[0].ID != sigB ||
				string(got.Records[0].Sealed) != "resealed" || len(got.Cases) != 1 {
				t.Fatalf("after the expiry: %+v", got)
			}
		})
		t.Run("re-keyed without an expired dossier", func(t *testing.T) {
			cell, _ := setup(t)
			case2 := "case_" + strings.Repeat("c", 26)
			closed := testCase(cell, case2, "s_a", at)
			closed.State = broker.StateClosed
			must(t, s.CreateCase(ctx, closed))
			x := broker.Expiry{Kind: broker.ExpiryCase, ID: case2, SubjectRef: "s_a", Case: closed, At: at.AddDate(1, 0, 0)}
			var asked string
			w, wrapped, err := s.PlanExpire(ctx, cell, x, rekeyed(cell, &asked, nil))
			must(t, err)
			if wrapped != nil || asked != fmt.Sprint([]string(nil), []string{case2}) {
				t.Fatalf("shredded %q, asked for %s", wrapped, asked)
			}
			must(t, audit.New(c).Commit(ctx, &broker.AuditEntry{ID: "aud_1", Time: at, RequestID: "req_1", Livc: cell,
				Actor: "livc-broker", Action: broker.ActionRetentionExpire, SubjectRef: "s_a", Decision: broker.DecisionAllow}, w))
			got, err := s.PersonSealed(ctx, cell, "s_a")
			must(t, err)
			if string(got.Wrapped) != "wrapped-new" || len(got.Records) != 2 || len(got.Cases) != 1 || got.Cases[0].ID != "case_1" {
				t.Fatalf("after the expiry: %+v", got)
			}
		})
		t.Run("a failing re-keying fails the plan", func(t *testing.T) {
			cell, x := setup(t)
			boom := errors.New("boom")
			fails := func(_, _ []string) (broker.Rekey, error) { return broker.Rekey{}, boom }
			if w, _, err := s.PlanExpire(ctx, cell, x, fails); !errors.Is(err, boom) {
				t.Fatalf("planned %v, %v", w, err)
			}
		})
		t.Run("a re-keying that keeps the expired record is refused", func(t *testing.T) {
			cell, x := setup(t)
			var asked string
			if w, _, err := s.PlanExpire(ctx, cell, x, rekeyed(cell, &asked, []string{sigA, sigB})); err == nil || errors.Is(err, broker.ErrStale) {
				t.Fatalf("planned %v, %v", w, err)
			}
		})
	})
}

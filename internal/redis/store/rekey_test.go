package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/audit"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

// TestPlanWithdrawRekeys: a withdrawal's plan replaces the person's data
// key, records, dossier and minutes by their re-sealed forms and deletes
// the withdrawn record, in one commit with its entry; any change to what it
// re-sealed between the read and the commit makes it stale (the broker then
// reads and re-seals again), and a re-keying that keeps the withdrawn record
// or has no key is refused.
func TestPlanWithdrawRekeys(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s := context.Background(), New(c)
		at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		sigA, sigB := "sig_"+strings.Repeat("a", 26), "sig_"+strings.Repeat("b", 26)
		// setup stores a person with two records, a dossier and its minutes,
		// and returns the withdrawal's entry, its re-keying and keys.
		setup := func(t *testing.T) (string, broker.SignalEntry, broker.Rekey) {
			cell := redistest.NewCell(t, c)
			p := "livc:{livc:" + cell + "}:"
			_, err := s.DataKey(ctx, cell, "s_a", []byte("wrapped-old"))
			must(t, err)
			for _, id := range []string{sigA, sigB} {
				must(t, s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: id, Sealed: []byte("sealed-" + id)}))
			}
			must(t, s.CreateCase(ctx, testCase(cell, "case_1", "s_a", at)))
			m, _ := json.Marshal(broker.Meeting{ID: "mtg_1", RecordedBy: "coordinator", RecordedAt: at, Sealed: []byte("sealed-minutes")})
			must(t, c.RPush(ctx, p+"case:case_1:meetings", string(m)).Err())
			e := broker.SignalEntry{ID: sigA, SubjectRef: "s_a", Source: "ocmw", ReceivedAt: at, ObservedAt: at, State: broker.SignalReceived}
			putIntake(t, c, cell, 1, e)
			was, err := s.PersonSealed(ctx, cell, "s_a")
			must(t, err)
			if string(was.Wrapped) != "wrapped-old" || len(was.Records) != 2 || len(was.Cases) != 1 || was.CaseCount != 1 ||
				len(was.Meetings["case_1"]) != 1 {
				t.Fatalf("read: %+v", was)
			}
			now := broker.PersonSealed{Wrapped: []byte("wrapped-new"), CaseCount: 1,
				Records: []broker.SealedRecord{{ID: sigB, Sealed: []byte("resealed")}},
				Cases:   []broker.Case{was.Cases[0]}, Meetings: map[string][]broker.Meeting{"case_1": {was.Meetings["case_1"][0]}}}
			now.Cases[0].Priority = 7 // stands for its texts re-sealed
			now.Meetings["case_1"][0].Sealed = []byte("resealed-minutes")
			return cell, e, broker.Rekey{Was: was, Now: now}
		}
		commit := func(cell string, e broker.SignalEntry, rk broker.Rekey, meanwhile func(p, sp string)) error {
			w, err := s.PlanWithdraw(ctx, cell, e, rk)
			if err != nil {
				return err
			}
			p := "livc:{livc:" + cell + "}:"
			meanwhile(p, p+"subject:s_a:")
			return audit.New(c).Commit(ctx, &broker.AuditEntry{ID: "aud_1", Time: at, RequestID: "req_1", Livc: cell,
				Actor: "ocmw", Action: broker.ActionSignalWithdraw, Purpose: "signal", SubjectRef: "s_a", Decision: broker.DecisionAllow}, w)
		}
		for _, tc := range []struct {
			name      string
			meanwhile func(p, sp string)
		}{
			{"a record stored", func(_, sp string) { c.HSet(ctx, sp+"records", "sig_c", "sealed-sig_c") }},
			{"a record sealed again", func(_, sp string) { c.HSet(ctx, sp+"records", sigB, "other") }},
			{"the data key re-wrapped", func(_, sp string) { c.Set(ctx, sp+"datakey", "wrapped-rewrapped", 0) }},
			{"a dossier added", func(_, sp string) { c.SAdd(ctx, sp+"cases", "case_2") }},
			{"the dossier changed", func(p, _ string) { c.Set(ctx, p+"case:case_1", `{"id":"case_1"}`, 0) }},
			{"minutes recorded", func(p, _ string) { c.RPush(ctx, p+"case:case_1:meetings", `{"id":"mtg_2"}`) }},
		} {
			t.Run("stale once "+tc.name, func(t *testing.T) {
				cell, e, rk := setup(t)
				if err := commit(cell, e, rk, tc.meanwhile); !errors.Is(err, broker.ErrStale) {
					t.Fatalf("commit: %v, want stale", err)
				}
				if k, _ := s.ExistingDataKey(ctx, cell, "s_a"); string(k) == "wrapped-new" {
					t.Fatal("a stale plan stored the new key")
				}
			})
		}
		for _, tc := range []struct {
			name   string
			change func(rk *broker.Rekey)
		}{
			{"the withdrawn record kept", func(rk *broker.Rekey) {
				rk.Now.Records = []broker.SealedRecord{{ID: sigA, Sealed: []byte("x")}}
			}},
			{"no new key", func(rk *broker.Rekey) { rk.Now.Wrapped = nil }},
			{"a dossier left out", func(rk *broker.Rekey) { rk.Now.Cases = nil }},
		} {
			t.Run("refused: "+tc.name, func(t *testing.T) {
				cell, e, rk := setup(t)
				tc.change(&rk)
				if w, err := s.PlanWithdraw(ctx, cell, e, rk); err == nil || errors.Is(err, broker.ErrStale) {
					t.Fatalf("planned %v, %v", w, err)
				}
			})
		}
		t.Run("as read", func(t *testing.T) {
			cell, e, rk := setup(t)
			must(t, commit(cell, e, rk, func(_, _ string) {}))
			got, err := s.PersonSealed(ctx, cell, "s_a")
			must(t, err)
			if string(got.Wrapped) != "wrapped-new" || fmt.Sprint(got.Records) != fmt.Sprint(rk.Now.Records) ||
				len(got.Cases) != 1 || got.Cases[0].Priority != 7 ||
				string(got.Meetings["case_1"][0].Sealed) != "resealed-minutes" {
				t.Fatalf("after the withdrawal: %+v", got)
			}
		})
	})
}

package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"github.com/redis/go-redis/v9"
)

func TestEraseSubject(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		for _, who := range []string{"s_a", "s_b"} {
			if _, err := s.LinkSubject(ctx, cell, []string{"alias-nn-" + who, "alias-name-" + who}, who); err != nil {
				t.Fatal(err)
			}
			if _, err := s.DataKey(ctx, cell, who, []byte("wrapped-"+who)); err != nil {
				t.Fatal(err)
			}
			must(t, s.PutRecord(ctx, cell, who, broker.SealedRecord{ID: "sig_1", Sealed: []byte("x")}))
			must(t, s.CreateCase(ctx, testCase(cell, "case_"+who, who, time.Now())))
		}
		dk, err := s.EraseSubject(ctx, cell, "s_a")
		if err != nil || string(dk) != "wrapped-s_a" {
			t.Fatalf("EraseSubject = %q, %v", dk, err)
		}
		tests := []struct {
			name string
			err  error
		}{
			{"data key", func() error { _, err := s.ExistingDataKey(ctx, cell, "s_a"); return err }()},
			{"aliases", func() error {
				_, err := s.FindSubject(ctx, cell, []string{"alias-nn-s_a", "alias-name-s_a"})
				return err
			}()},
		}
		for _, tc := range tests {
			if !errors.Is(tc.err, broker.ErrNotFound) {
				t.Errorf("%s after erasure: %v", tc.name, tc.err)
			}
		}
		if recs, err := s.Records(ctx, cell, "s_a"); err != nil || len(recs) != 0 {
			t.Errorf("records after erasure: %d, %v", len(recs), err)
		}
		if cs, err := s.CasesOfSubject(ctx, cell, "s_a"); err != nil || len(cs) != 0 {
			t.Errorf("dossier links after erasure: %d, %v", len(cs), err)
		}
		keys, _ := c.Keys(ctx, "livc:{livc:"+cell+"}:subject:s_a:*").Result()
		if len(keys) != 0 {
			t.Errorf("keys left: %v", keys)
		}
		if ref, err := s.FindSubject(ctx, cell, []string{"alias-nn-s_b"}); err != nil || ref != "s_b" {
			t.Errorf("other subject touched: %q %v", ref, err)
		}
		if _, err := s.EraseSubject(ctx, cell, "s_a"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("second erasure: %v", err)
		}
		if _, err := s.EraseSubject(ctx, cell, "s_never"); !errors.Is(err, broker.ErrNotFound) {
			t.Errorf("unknown subject: %v", err)
		}
	})
}

func TestScanAndReplaceDataKeys(t *testing.T) {
	redistest.ForEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), redistest.NewCell(t, c)
		for _, who := range []string{"s_a", "s_b", "s_c"} {
			if _, err := s.DataKey(ctx, cell, who, []byte("old-"+who)); err != nil {
				t.Fatal(err)
			}
		}
		var seen []string
		var cur uint64
		for {
			next, err := s.ScanDataKeys(ctx, cur, 100, func(key string, wrapped []byte) error {
				if !strings.Contains(key, "{livc:"+cell+"}") {
					return nil // another test's cell on the shared Redis
				}
				seen = append(seen, key)
				ok, err := s.ReplaceDataKey(ctx, key, wrapped, append([]byte("new-"), wrapped...))
				if err != nil || !ok {
					t.Errorf("replace %s: %v %v", key, ok, err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if cur = next; cur == 0 {
				break
			}
		}
		slices.Sort(seen)
		seen = slices.Compact(seen)
		if len(seen) != 3 {
			t.Fatalf("scan saw %v", seen)
		}
		k, _ := s.ExistingDataKey(ctx, cell, "s_a")
		if string(k) != "new-old-s_a" {
			t.Fatalf("after replace: %q", k)
		}
		if ok, err := s.ReplaceDataKey(ctx, seen[0], []byte("stale"), []byte("x")); ok || err != nil {
			t.Fatalf("replace over a stale value: %v %v", ok, err)
		}
		if _, err := s.ReplaceDataKey(ctx, "livc:other", k, []byte("x")); err == nil {
			t.Fatal("replaced a key that is not a data key")
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

package redisstore

import (
	"context"
	"slices"
	"testing"

	"github.com/livc/livc-broker/broker"
	"github.com/redis/go-redis/v9"
)

// RecordsAndDataKey must give what Records and ExistingDataKey give, in one
// read, for a subject with records and a key, without a key, and unknown.
func TestRecordsAndDataKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, c redis.UniversalClient) {
		ctx, s, cell := context.Background(), New(c), newCell(t, c)
		for _, id := range []string{"sig_1", "sig_2"} {
			if err := s.PutRecord(ctx, cell, "s_a", broker.SealedRecord{ID: id, Sealed: []byte("sealed-" + id)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutRecord(ctx, cell, "s_nokey", broker.SealedRecord{ID: "sig_3", Sealed: []byte("x")}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DataKey(ctx, cell, "s_a", []byte("wrapped-a")); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name    string
			ref     string
			ids     []string
			wrapped []byte
		}{
			{"records and key", "s_a", []string{"sig_1", "sig_2"}, []byte("wrapped-a")},
			{"records without key", "s_nokey", []string{"sig_3"}, nil},
			{"unknown subject", "s_unknown", nil, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				recs, wrapped, err := s.RecordsAndDataKey(ctx, cell, tt.ref)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, r := range recs {
					ids = append(ids, r.ID)
					if string(r.Sealed) == "" {
						t.Errorf("record %s without payload", r.ID)
					}
				}
				if !slices.Equal(ids, tt.ids) || string(wrapped) != string(tt.wrapped) || (tt.wrapped == nil) != (wrapped == nil) {
					t.Fatalf("got %v %q, want %v %q", ids, wrapped, tt.ids, tt.wrapped)
				}
				old, err := s.Records(ctx, cell, tt.ref)
				if err != nil || len(old) != len(recs) {
					t.Fatalf("Records gives %d records (%v), RecordsAndDataKey %d", len(old), err, len(recs))
				}
			})
		}
	})
}

var _ broker.RecordsKeyReader = (*Store)(nil)

package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// BenchmarkReadSubject is the card read's one store read on the real Redis:
// a person with one open dossier and eight records of 300 bytes, as the load
// tool seeds them.
func BenchmarkReadSubject(b *testing.B) {
	c := redistest.OpenReal(b)
	ctx, s, cell := context.Background(), New(c), redistest.NewCell(b, c)
	const ref = "s_bench"
	for i := range 8 {
		sealed := make([]byte, 300)
		if err := s.PutRecord(ctx, cell, ref, broker.SealedRecord{ID: fmt.Sprintf("sig_%02d", i), Sealed: sealed}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.DataKey(ctx, cell, ref, make([]byte, 100)); err != nil {
		b.Fatal(err)
	}
	if err := s.CreateCase(ctx, testCase(cell, "case_1", ref, time.Now())); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		d, err := s.ReadSubject(ctx, cell, ref)
		if err != nil || len(d.Sealed) != 8 || len(d.Dossiers) != 1 || d.Wrapped == nil {
			b.Fatalf("%d records, %d dossiers, %v", len(d.Sealed), len(d.Dossiers), err)
		}
	}
}

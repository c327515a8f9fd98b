package audit

import (
	"context"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
	"sync/atomic"
	"testing"
)

// BenchmarkAppend appends to one cell's stream on the real Redis, from one
// goroutine and from many (one Log, as in one broker process).
func BenchmarkAppend(b *testing.B) {
	c := redistest.OpenReal(b)
	b.Run("serial", func(b *testing.B) {
		l, cell := New(c), redistest.NewCell(b, c)
		ctx := context.Background()
		for i := 0; b.Loop(); i++ {
			if err := l.Append(ctx, entry(cell, i)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		l, cell := New(c), redistest.NewCell(b, c)
		ctx := context.Background()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				if err := l.Append(ctx, entry(cell, i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("parallel two processes", func(b *testing.B) {
		logs, cell := []*Log{New(c), New(c)}, redistest.NewCell(b, c)
		ctx := context.Background()
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			l := logs[n.Add(1)%2]
			for i := 0; pb.Next(); i++ {
				if err := l.Append(ctx, entry(cell, i)); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

package audit

import (
	"context"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

// TestExportPinned asks pages pinned to the tree of a checkpoint while the
// log grows and newer checkpoints are signed: every proof checks against
// that one checkpoint, no entry past it comes back, and a size past the log
// is refused with proofs and only bounds the page without.
func TestExportPinned(t *testing.T) {
	c := redistest.OpenReal(t)
	s, v := testKey(t)
	ctx := context.Background()
	cell := redistest.NewCell(t, c)
	l := NewWith(c, Conf{Signer: s, Verifier: v})
	appendN(t, l, cell, 0, 10)
	note, err := l.Checkpoint(ctx, cell, true)
	must(t, err)
	pin, err := auditlog.OpenWith(note, v, "")
	must(t, err)
	appendN(t, l, cell, 10, 7)
	_, err = l.Checkpoint(ctx, cell, true) // a newer one, of 17
	must(t, err)
	for _, tc := range []struct {
		name      string
		from      int64
		size      int64
		proofs    bool
		wantItems int
		wantNote  bool
		refused   bool // 422 size
	}{
		{"first page, pinned", 0, pin.Size, true, 4, true, false},
		{"last page stops at the pin", 8, pin.Size, true, 2, true, false},
		{"past the pin", 10, pin.Size, true, 0, true, false},
		{"size past the log, with proofs", 0, 99, true, 0, false, true},
		{"size past the log, without proofs", 15, 99, false, 2, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, err := l.Export(ctx, cell, tc.from, 4, tc.size, tc.proofs)
			if tc.refused {
				if broker.KindOf(err) != broker.KindInvalid {
					t.Fatalf("error %v, want KindInvalid", err)
				}
				return
			}
			must(t, err)
			if len(x.Items) != tc.wantItems || (x.Checkpoint != "") != tc.wantNote {
				t.Fatalf("%d items, checkpoint %q", len(x.Items), x.Checkpoint)
			}
			if tc.wantNote && x.Checkpoint != string(note) {
				t.Fatalf("checkpoint of the page is not the pinned one")
			}
			for _, it := range x.Items {
				if !tc.proofs {
					continue
				}
				p, err := auditlog.DecodeProof(it.Proof)
				must(t, err)
				if it.Index >= pin.Size || tlog.CheckRecord(p, pin.Size, pin.Hash, it.Index, auditlog.LeafHash(it.Entry)) != nil {
					t.Fatalf("entry %d not proved in the pinned tree", it.Index)
				}
			}
		})
	}
}

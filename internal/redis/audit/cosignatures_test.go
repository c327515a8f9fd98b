package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"sync"
	"testing"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker/auditlog"
	"github.com/livc/livc-broker/internal/redis/internal/redistest"
)

func witnessKey(t *testing.T, name string) (note.Signer, note.Verifier) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := torchwood.NewCosignatureSigner(name, priv)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewCosignatureVerifier(s.Verifier().String())
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

// TestCosignaturesServed: each checkpoint pushed is handed to Published;
// Checkpoint serves with it every kept cosignature of it that a witness of
// the cell verifies, and none of another tree or another size.
func TestCosignaturesServed(t *testing.T) {
	c, ctx := redistest.OpenReal(t), context.Background()
	s, v := testKey(t)
	cell := redistest.NewCell(t, c)
	as, av := witnessKey(t, "a.example")
	bs, bv := witnessKey(t, "b.example")
	var mu sync.Mutex
	var published [][]byte
	l := NewWith(c, Conf{Signer: s, Verifier: v, Cosigners: map[string][]note.Verifier{cell: {av, bv}},
		Published: func(livc string, n []byte) {
			mu.Lock()
			defer mu.Unlock()
			if livc == cell {
				published = append(published, n)
			}
		}})
	appendN(t, l, cell, 0, 5)
	signed, err := l.Checkpoint(ctx, cell, true)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(published) != 1 || !bytes.Equal(published[0], signed) {
		t.Fatalf("published %q, want the checkpoint", published)
	}
	mu.Unlock()
	cp, err := auditlog.OpenWith(signed, v, "")
	if err != nil {
		t.Fatal(err)
	}
	line := func(s note.Signer, c auditlog.Checkpoint) string {
		n, err := note.Sign(&note.Note{Text: string(c.Text())}, s)
		if err != nil {
			t.Fatal(err)
		}
		return string(n[len(c.Text())+1:])
	}
	other := cp
	other.Hash[0] ^= 1
	aLine := line(as, cp)
	must(t, l.AddCosignature(ctx, cell, "a.example", cp.Size, aLine))
	must(t, l.AddCosignature(ctx, cell, "b.example", cp.Size, line(bs, other)))
	served, err := l.Checkpoint(ctx, cell, false)
	if err != nil {
		t.Fatal(err)
	}
	if want := string(signed) + aLine; string(served) != want {
		t.Fatalf("served:\n%s\nwant:\n%s", served, want)
	}
	must(t, l.AddCosignature(ctx, cell, "b.example", cp.Size, line(bs, cp)))
	served, _ = l.Checkpoint(ctx, cell, false)
	if valid, _ := auditlog.Cosignatures(served, v, []note.Verifier{av, bv}); len(valid) != 2 {
		t.Fatalf("served %s: valid %v", served, valid)
	}
	appendN(t, l, cell, 5, 2)
	fresh, err := l.Checkpoint(ctx, cell, true)
	if err != nil || strings.Contains(string(fresh), "a.example") {
		t.Fatalf("a new checkpoint carries the old one's cosignatures: %s %v", fresh, err)
	}
	t.Run("ProveTree", func(t *testing.T) {
		p, err := l.ProveTree(ctx, cell, 7, 5)
		if err != nil || len(p) == 0 {
			t.Fatalf("%v %v", p, err)
		}
		for _, bad := range [][2]int64{{8, 5}, {5, 7}, {7, -1}} {
			if _, err := l.ProveTree(ctx, cell, bad[0], bad[1]); err == nil {
				t.Errorf("ProveTree(%d, %d) accepted", bad[0], bad[1])
			}
		}
	})
}

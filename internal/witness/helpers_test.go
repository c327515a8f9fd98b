package witness

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// memLog is a log's tree in memory, signed with its own key: what the
// broker's audit log is to a witness.
type memLog struct {
	origin string
	signer note.Signer
	vkey   string
	hashes []tlog.Hash
	n      int64

	mu    sync.Mutex
	cosig map[string]string // witness -> line, as AddCosignature keeps it
}

func newMemLog(t testing.TB, livc string) *memLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "livc-broker")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return &memLog{origin: auditlog.Origin(livc), signer: s, vkey: vkey, cosig: map[string]string{}}
}

func (l *memLog) reader() tlog.HashReader {
	return tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = l.hashes[x]
		}
		return out, nil
	})
}

// add appends k entries, tagged so that two logs differ.
func (l *memLog) add(t testing.TB, k int, tag string) {
	t.Helper()
	for range k {
		hs, err := tlog.StoredHashes(l.n, fmt.Appendf(nil, "%s entry %d", tag, l.n), l.reader())
		if err != nil {
			t.Fatal(err)
		}
		l.hashes = append(l.hashes, hs...)
		l.n++
	}
}

// checkpoint signs the tree as it is.
func (l *memLog) checkpoint(t testing.TB) (auditlog.Checkpoint, []byte) {
	t.Helper()
	root, err := tlog.TreeHash(l.n, l.reader())
	if err != nil {
		t.Fatal(err)
	}
	cp := auditlog.Checkpoint{Origin: l.origin, Size: l.n, Hash: root}
	signed, err := auditlog.Sign(cp, l.signer)
	if err != nil {
		t.Fatal(err)
	}
	return cp, signed
}

func (l *memLog) proof(t testing.TB, old int64) []tlog.Hash {
	t.Helper()
	p, err := tlog.ProveTree(l.n, old, l.reader())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (l *memLog) ProveTree(_ context.Context, _ string, n, old int64) ([]tlog.Hash, error) {
	return tlog.ProveTree(n, old, l.reader())
}

func (l *memLog) AddCosignature(_ context.Context, _, witness string, _ int64, line string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.cosig[witness] = line
	return nil
}

func (l *memLog) cosignature(witness string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cosig[witness]
}

// newWitnessKey returns a witness's signer and its verifier.
func newWitnessKey(t testing.TB, name string) (note.Signer, *auditlog.CosignatureVerifier) {
	t.Helper()
	skey, vkey, err := GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := auditlog.NewCosignatureVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return s, v
}

package browser

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"golang.org/x/mod/sumdb/tlog"
)

// replayEntries is how many entries one replay of BenchmarkAuditVerifierReplay
// checks.
const replayEntries = 20_000

// replayJS replays replayEntries small entries ({"index":i}) through the
// in-browser verifier's Replayer, in the pages of 500 the verify page
// fetches, and answers the root and the milliseconds it took.
const replayJS = `(async () => {
  const V = livcAuditVerify, te = new TextEncoder(), r = new V.Replayer([]);
  const t0 = performance.now();
  for (let i = 0; i < %[1]d; i += 500) {
    const items = [];
    for (let j = i; j < Math.min(%[1]d, i + 500); j++) items.push({index: j, entry: te.encode('{"index":' + j + '}'), leafHash: ""});
    const p = await r.addAll(items);
    if (p) throw new Error(JSON.stringify(p));
  }
  const root = await r.root();
  return {ms: performance.now() - t0, root: V.toB64(root)};
})()`

// BenchmarkAuditVerifierReplay measures the privacy officer's in-browser
// replay of a whole log (leaf hashes with WebCrypto, the tree in JS), in
// headless Chromium, and checks its root against golang.org/x/mod's:
//
//	go test ./test/browser -run '^$' -bench AuditVerifierReplay -benchtime 3x
//
// It reports ms/entry; a log of n entries takes about n times that.
func BenchmarkAuditVerifierReplay(b *testing.B) {
	want := goRoot(b, replayEntries)
	tab := newTab(b)
	tab.Do(chromedp.Navigate(verifierServer(b).URL+"/"), chromedp.WaitReady(chromedp.CSS(`main h1`)))
	type result struct {
		MS   float64
		Root string
	}
	var total float64
	b.ResetTimer()
	for range b.N {
		r := Eval[result](tab, fmt.Sprintf(replayJS, replayEntries))
		if r.Root != want {
			b.Fatalf("the browser's root %s, Go's %s", r.Root, want)
		}
		total += r.MS
	}
	b.ReportMetric(total/float64(b.N)/replayEntries, "ms/entry")
}

// goRoot is the RFC 6962 root of n entries {"index":i}, by x/mod's tlog.
func goRoot(b *testing.B, n int64) string {
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	for i := range n {
		hs, err := tlog.StoredHashes(i, fmt.Appendf(nil, `{"index":%d}`, i), reader)
		if err != nil {
			b.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	h, err := tlog.TreeHash(n, reader)
	if err != nil {
		b.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(h[:])
}

package browser

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// encryptBudget is the most that encrypting a 4 KB signal may take in the
// browser (median of encryptSamples), by the web application's contract.
const (
	encryptBudget  = 100 * time.Millisecond
	encryptSamples = 20
)

// BenchmarkEncryptSignal4KB sends a 4 KB signal encryptSamples times from
// the form and reads, in the page, the time each encryption took (the
// performance measure "livc-encrypt" around age's encrypt, with
// performance.now()). It reports the median and fails over the budget.
func BenchmarkEncryptSignal4KB(b *testing.B) {
	f := newFixture(b, mustHybridRecipient(b))
	f.next = "/#sent" // stay on the page: a fragment is no new document
	tab := openFixture(b, f)
	text := strings.Repeat("Vier kilobyte aan signaaltekst. ", 125)[:3950]
	tab.Do(
		chromedp.SetValue(chromedp.CSS("#nn"), "85.07.30-033.28"),
		chromedp.SetValue(chromedp.CSS("#family"), "Peeters"),
		chromedp.SetValue(chromedp.CSS("#text"), text),
		chromedp.SetValue(chromedp.CSS("#presence"), "absent"),
	)
	var median time.Duration
	var size int
	for b.Loop() {
		median, size = encryptTimes(b, tab, f)
	}
	b.ReportMetric(float64(median.Microseconds())/1000, "ms-median-encrypt")
	b.ReportMetric(float64(size), "envelope-bytes")
	if median >= encryptBudget {
		b.Fatalf("encrypting a 4 KB signal in the browser: median %v of %d, over the budget of %v", median, encryptSamples, encryptBudget)
	}
}

// encryptTimes submits the form encryptSamples times and returns the median
// of the page's "livc-encrypt" measures and the last envelope's size.
func encryptTimes(b *testing.B, tab *Tab, f *fixture) (time.Duration, int) {
	Eval[chromedp.Void](tab, `performance.clearMeasures("livc-encrypt")`)
	before := len(f.Posts())
	for i := range encryptSamples {
		Eval[chromedp.Void](tab, `document.getElementById("signal-form").requestSubmit()`)
		tab.WaitFor("the signal to arrive", 10*time.Second, func() error {
			if len(f.Posts()) < before+i+1 {
				return errNotDone
			}
			return nil
		})
	}
	ms := Eval[[]float64](tab, `performance.getEntriesByName("livc-encrypt").map(e => e.duration)`)
	if len(ms) != encryptSamples {
		b.Fatalf("%d measures of livc-encrypt, want %d", len(ms), encryptSamples)
	}
	slices.Sort(ms)
	med := (ms[encryptSamples/2-1] + ms[encryptSamples/2]) / 2
	posts := f.Posts()
	b.Logf("encrypt 4 KB: min %.1f ms, median %.1f ms, max %.1f ms", ms[0], med, ms[len(ms)-1])
	return time.Duration(med * float64(time.Millisecond)), len(posts[len(posts)-1].Body)
}

// assetBudget is the most the signal form's page may load in assets.
const assetBudget = 300 * 1000

// pageWeight loads url in a fresh tab and returns the bytes transferred for
// the document and for every other resource it loaded (scripts, styles,
// fonts, images), by the browser's own count (Network.loadingFinished).
func pageWeight(t testing.TB, tab *Tab, url string) (doc, assets float64, list []string) {
	tab.ResetRequests()
	tab.Do(chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
	time.Sleep(300 * time.Millisecond) // let late resources finish
	for _, r := range tab.AllRequests() {
		if !r.Done {
			t.Fatalf("%s %s did not finish loading", r.Method, r.URL)
		}
		if strings.HasPrefix(r.URL, "data:") {
			continue // inside the browser, nothing transferred (the date control's icon)
		}
		if r.Type == "Document" {
			doc += r.Bytes
			continue
		}
		assets += r.Bytes
		list = append(list, fmt.Sprintf("%s %.0f B", r.URL, r.Bytes))
	}
	return doc, assets, list
}

// BenchmarkSignalFormAssets weighs what the broker's new-signal page loads,
// signed in as the social worker, against the budget.
func BenchmarkSignalFormAssets(b *testing.B) {
	env := startWebEnv(b)
	tab := newTab(b)
	tab.SetLanguage("nl-BE")
	env.SignIn(tab, socialWorker)
	var doc, assets float64
	var list []string
	for b.Loop() {
		// A fresh tab each time would sign in again; clearing the cache
		// makes every load transfer every asset.
		if _, err := chromedp.Call(tab.ctx, network.ClearBrowserCache, cdp.Empty{}); err != nil {
			b.Fatal(err)
		}
		doc, assets, list = pageWeight(b, tab, env.Broker.URL+"/signals/new")
	}
	b.Logf("assets of the form page: %v", list)
	b.ReportMetric(assets, "asset-bytes")
	b.ReportMetric(doc, "document-bytes")
	if assets >= assetBudget {
		b.Fatalf("the form page loads %.0f bytes of assets, over the budget of %d", assets, assetBudget)
	}
}

package browser

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/internal/redis/audit"
	"github.com/livc/livc-broker/test/oidcprovider"
)

// verifyOfficer is the demo cell's privacy officer at the test provider.
const verifyOfficer = "els.dpo"

// TestAuditVerifyPage: the privacy officer verifies the whole audit log in
// the browser against the real broker and Redis. The server's key is only a
// suggestion until the officer saves it; the officer saves a checkpoint,
// more requests are made, and verify says ok, extending it; an entry is
// then deleted from the cell's audit stream in Redis (XDEL) and verify says
// the log is broken at that entry's index, in nl, fr and en; a foreign
// verifier key makes the signatures fail. Every fetch is audited; the page
// is usable with the keyboard and has no axe-core violation.
func TestAuditVerifyPage(t *testing.T) {
	env := startWebEnv(t)
	env.Provider.AddUser(oidcprovider.User{Login: verifyOfficer, Subject: "sub-els", Claims: map[string]any{"livc": "zonnedaal", "actor": "dpo"}})
	tab := newTab(t)
	tab.SetLanguage("nl-BE")
	env.SignIn(tab, verifyOfficer)
	tab.Do(chromedp.WaitVisible(chromedp.CSS(`nav a[href="/privacy/verify"]`)))
	env.Visit(tab, "/privacy/verify")
	waitCSS(tab, "the page's script", `#verify[data-ready]`)
	tab.CheckPage("the verification page, nothing saved")
	tab.Screenshot("privacy-verify-empty-nl")

	serverKey := publishedCheckpointKey(t, env)
	if got := Eval[string](tab, `document.getElementById("key-server").textContent`); got != serverKey {
		t.Fatalf("the page suggests %q, /v1/keys publishes %q", got, serverKey)
	}
	if stored := Eval[int](tab, `localStorage.length`); stored != 0 {
		t.Fatalf("the page stored %d items before the officer saved anything", stored)
	}
	// Verifying without a key checks nothing.
	tab.Do(chromedp.Click(chromedp.CSS(`#verify-run`)))
	waitResult(tab, "no key", "")
	// The suggestion fills the field; nothing is kept until saved.
	tab.Do(chromedp.Click(chromedp.CSS(`#key-use`)))
	if stored := Eval[int](tab, `localStorage.length`); stored != 0 {
		t.Fatal("the server's key was kept without the officer saving it")
	}
	tab.Do(chromedp.Click(chromedp.CSS(`#key-save`)))
	waitCSS(tab, "the key saved", `#key-status.good`)

	run := func(what, kind string) {
		tab.Do(chromedp.Click(chromedp.CSS(`#verify-run`)))
		waitResult(tab, what, kind)
	}
	run("the first verification", "ok")
	tab.Do(chromedp.Click(chromedp.CSS(`#verify-save`)))
	waitCSS(tab, "the checkpoint saved", `#verify-status.good`)
	saved := Eval[string](tab, `localStorage.getItem("livc-verify-checkpoint:zonnedaal")`)
	savedSize := checkpointSize(t, saved)

	// More requests, each audited: the page twice more, the home page.
	for _, p := range []string{"/", "/privacy/verify", "/privacy/verify"} {
		env.Visit(tab, p)
	}
	waitCSS(tab, "the page's script", `#verify[data-ready]`)
	if got := Eval[string](tab, `document.getElementById("saved-summary").textContent`); !strings.Contains(got, " "+strconv.FormatInt(savedSize, 10)+" ") {
		t.Errorf("the saved checkpoint shows as %q, want its size %d", got, savedSize)
	}
	// With the keyboard: Tab to the button, Enter.
	tab.TabTo("verify-run", 60)
	tab.Do(chromedp.KeyEvent(kb.Enter))
	waitResult(tab, "the verification since the saved checkpoint", "ok")
	if got := Eval[string](tab, `document.getElementById("verify-result").textContent`); !strings.Contains(got, strconv.FormatInt(savedSize, 10)) {
		t.Errorf("the result %q does not name the saved checkpoint's size %d", got, savedSize)
	}
	tab.CheckPage("the verification, ok")
	tab.Screenshot("privacy-verify-ok-nl")
	checkAuditedFetches(t, env)

	// The cell's audit stream as the store names it: entry 3 deleted.
	const deleted = 3
	rdb := redis.NewClient(&redis.Options{Addr: env.Redis})
	defer rdb.Close()
	key, err := audit.StreamKey("zonnedaal")
	must(t, err)
	if n, err := rdb.XDel(context.Background(), key, "0-"+strconv.Itoa(deleted+1)).Result(); err != nil || n != 1 {
		t.Fatalf("XDEL of entry %d: %d deleted, %v", deleted, n, err)
	}
	for _, lang := range []string{"nl", "fr", "en"} {
		env.Visit(tab, "/lang/"+lang+"?next=/privacy/verify")
		waitCSS(tab, "the page's script", `#verify[data-ready]`)
		run("the verification after the deletion ("+lang+")", "missing")
		if at := Eval[string](tab, `document.getElementById("verify-result").dataset.index`); at != strconv.Itoa(deleted) {
			t.Errorf("%s: the log is broken at %s, want %d", lang, at, deleted)
		}
		if got := Eval[string](tab, `document.getElementById("verify-result").textContent`); !strings.Contains(got, " "+strconv.Itoa(deleted)) {
			t.Errorf("%s: the result %q does not name entry %d", lang, got, deleted)
		}
		if Eval[bool](tab, `document.getElementById("verify-save").offsetParent !== null`) {
			t.Errorf("%s: a broken log's checkpoint is offered to be saved", lang)
		}
		tab.CheckPage("the verification, broken (" + lang + ")")
		tab.Screenshot("privacy-verify-broken-" + lang)
	}

	// A foreign key of the same name: the saved checkpoint, then (forgotten)
	// the server's, do not verify with it.
	_, foreign, err := note.GenerateKey(rand.Reader, strings.SplitN(serverKey, "+", 2)[0])
	must(t, err)
	tab.Clear(`#verify-key`)
	tab.Type(foreign)
	tab.Do(chromedp.Click(chromedp.CSS(`#key-save`)))
	waitCSS(tab, "the foreign key saved", `#key-status.good`)
	run("the verification with a foreign key", "saved_signature")
	tab.Do(chromedp.Click(chromedp.CSS(`#saved-forget`)))
	// A pasted checkpoint is kept only if the saved key signed it.
	tab.Do(chromedp.SetValue(chromedp.CSS(`#saved-note`), saved), chromedp.Click(chromedp.CSS(`#saved-keep`)))
	waitCSS(tab, "the pasted checkpoint refused", `#saved-status.bad`)
	if got := Eval[string](tab, `localStorage.getItem("livc-verify-checkpoint:zonnedaal") || ""`); got != "" {
		t.Errorf("a checkpoint the saved key did not sign was kept: %q", got)
	}
	run("the verification with a foreign key, nothing saved", "signature")
	tab.CheckPage("the verification with a foreign key")
	tab.Screenshot("privacy-verify-foreign-key-en")

	// The data only to the page's script (its CSRF header), and the page
	// only to the privacy officer.
	if st := Eval[int](tab, `fetch("/privacy/verify/checkpoint").then(r => r.status)`); st != http.StatusForbidden {
		t.Errorf("a fetch without the CSRF header: %d, want 403", st)
	}
	coord := newTab(t)
	env.SignIn(coord, coordinator)
	if n := Eval[int](coord, `document.querySelectorAll('a[href="/privacy/verify"]').length`); n != 0 {
		t.Error("the coordinator's navigation links the verification page")
	}
	env.Visit(coord, "/privacy/verify")
	if n := Eval[int](coord, `document.querySelectorAll("#verify").length`); n != 0 {
		t.Error("the coordinator sees the verification page")
	}
}

// waitResult waits for the verification's result of kind ("" for any
// refusal before fetching, which leaves no kind).
func waitResult(tab *Tab, what, kind string) {
	tab.t.Helper()
	sel := `#verify-result.bad`
	if kind != "" {
		sel = `#verify-result[data-kind="` + kind + `"]`
	}
	tab.WaitFor(what, 30*time.Second, func() error {
		if n, err := TryEval[int](tab, `document.querySelectorAll(`+jsonString(sel)+`).length`); err != nil || n == 0 {
			got, _ := TryEval[string](tab, `(document.getElementById("verify-result") || {}).textContent || ""`)
			return fmt.Errorf("the result is %q: %w", got, errNotDone)
		}
		return nil
	})
}

// publishedCheckpointKey is checkpoint_key of GET /v1/keys: what the
// officer compares the suggestion with (their copy, in this test).
func publishedCheckpointKey(t *testing.T, env *webEnv) string {
	t.Helper()
	resp, err := http.Get(env.Broker.URL + "/v1/keys")
	must(t, err)
	defer resp.Body.Close()
	var keys struct {
		CheckpointKey string `json:"checkpoint_key"`
	}
	must(t, json.NewDecoder(resp.Body).Decode(&keys))
	if keys.CheckpointKey == "" {
		t.Fatal("/v1/keys has no checkpoint key")
	}
	return keys.CheckpointKey
}

func checkpointSize(t *testing.T, note string) int64 {
	t.Helper()
	lines := strings.SplitN(note, "\n", 3)
	if len(lines) < 3 {
		t.Fatalf("the saved checkpoint %q is not a checkpoint", note)
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	must(t, err)
	return n
}

// checkAuditedFetches: each fetch of the verification is an entry of the
// cell's log, under the officer's sub and audit_review.
func checkAuditedFetches(t *testing.T, env *webEnv) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: env.Redis})
	defer rdb.Close()
	key, err := audit.StreamKey("zonnedaal")
	must(t, err)
	msgs, err := rdb.XRange(context.Background(), key, "-", "+").Result()
	must(t, err)
	seen := map[string]int{}
	for _, m := range msgs {
		var e struct{ Sub, Action, Purpose, Decision string }
		doc, _ := m.Values["entry"].(string)
		must(t, json.Unmarshal([]byte(doc), &e))
		if e.Sub == "sub-els" && e.Purpose == "audit_review" && e.Decision == "allow" {
			seen[e.Action]++
		}
	}
	for _, a := range []string{"audit.checkpoint", "audit.proof", "audit.export"} {
		if seen[a] == 0 {
			t.Errorf("no %s entry of the officer in the log (%v)", a, seen)
		}
	}
}

package browser

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/chromedp/chromedp"
)

// openFixture opens the stand-in form page in a new tab, in Dutch and Brussels time,
// and waits for the script to have wired the form.
func openFixture(t testing.TB, f *fixture) *Tab {
	t.Helper()
	tab := newTab(t)
	tab.SetLanguage("nl-BE")
	tab.Do(chromedp.Navigate(f.URL+"/"), chromedp.WaitReady(chromedp.CSS(`#signal-form [data-role=status]`)))
	return tab
}

// TestEncryptionInteroperates: the browser bundle encrypts the form's signal
// to a hybrid post-quantum recipient made in Go with filippo.io/age (as the
// broker makes its own), and Go decrypts exactly the JSON the form describes.
func TestEncryptionInteroperates(t *testing.T) {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, id.Recipient().String())
	tab := openFixture(t, f)
	text := "Jonas komt niet meer naar zijn afspraken.\nHij spreekt over vertrekken: \"naar het buitenland\" — één keer."
	tab.Do(
		chromedp.SetValue(chromedp.CSS("#nn"), "85.07.30-033.28"),
		chromedp.SetValue(chromedp.CSS("#family"), "Peeters"),
		chromedp.SetValue(chromedp.CSS("#observed"), "2026-11-20T10:30"),
		chromedp.SetValue(chromedp.CSS("#presence"), "absent"),
		chromedp.SetValue(chromedp.CSS("#text"), text),
		chromedp.SetValue(chromedp.CSS("#days"), "12"),
		chromedp.SetValue(chromedp.CSS("#ind"), "verzuim\n\n  isolement  \n"),
		chromedp.Click(chromedp.CSS(`button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`h1`)),
	)
	tab.WaitFor("the page after sending", 10*time.Second, func() error {
		if loc := tab.Path(); loc != "/done" {
			return fmt.Errorf("at %s: %w", loc, errNotDone)
		}
		return nil
	})
	posts := f.Posts()
	if len(posts) != 1 {
		t.Fatalf("POST /signals reached %d times, want 1", len(posts))
	}
	p := posts[0]
	if p.ContentType != "application/age" || p.CSRF != fixtureCSRF {
		t.Errorf("Content-Type %q, X-CSRF-Token %q; want application/age and the form's token", p.ContentType, p.CSRF)
	}
	if !bytes.HasPrefix(p.Body, []byte("age-encryption.org/v1\n-> mlkem768x25519 ")) {
		t.Errorf("body does not begin with an age header with one hybrid stanza: %.60q", p.Body)
	}
	r, err := age.Decrypt(bytes.NewReader(p.Body), id)
	if err != nil {
		t.Fatalf("Go cannot decrypt what the browser encrypted: %v", err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"subject":{"national_number":"85073003328","family_name":"Peeters"},` +
		`"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent","signal_text":` +
		jsonString(text) + `,"school_absence_days":12,"indicators":["verzuim","isolement"]}}`
	if string(plain) != want {
		t.Errorf("decrypted signal:\n got %s\nwant %s", plain, want)
	}
	for _, v := range []string{"85073003328", "85.07.30", "Peeters", "Jonas", "verzuim", "absent"} {
		if bytes.Contains(p.Body, []byte(v)) {
			t.Errorf("the envelope holds the submitted value %q in the clear", v)
		}
	}
	// What the network domain recorded is the same envelope.
	if rs := tab.Requests("POST", "/signals"); len(rs) != 1 || !bytes.Equal(rs[0].Body, p.Body) {
		t.Errorf("the recorded request body differs from what the server received (%d requests)", len(rs))
	}
}

func mustHybridRecipient(t testing.TB) string {
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id.Recipient().String()
}

func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

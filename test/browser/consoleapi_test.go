package browser

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/livc/livc-broker/internal/token"
)

// The API side of the console's tests: other people of the cell act
// through the API with real tokens signed by the key the broker trusts,
// and the privacy officer's answers through the API are compared with
// what the pages show.

// apiAnswer is one answer of the API.
type apiAnswer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Token mints an API token for actor of the demo cell as sub.
func (e *webEnv) Token(t testing.TB, actor, sub string) string {
	t.Helper()
	tok, err := token.Issue(e.APIKey, token.Claims{Sub: sub, Livc: "zonnedaal", Actor: actor,
		Issuer: "livc-dev", Audience: "livc-broker", IssuedAt: time.Now(), Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// API sends one request to the broker's API as actor (sub) under purpose.
func (e *webEnv) API(t testing.TB, method, path, actor, sub, purpose, ctype string, body []byte) apiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, e.Broker.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Token(t, actor, sub))
	if purpose != "" {
		req.Header.Set("LIVC-Purpose", purpose)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiAnswer{resp.StatusCode, resp.Header, b}
}

// JSON decodes the answer's body into v, failing on another status.
func (a apiAnswer) JSON(t testing.TB, want int, v any) {
	t.Helper()
	if a.Status != want {
		t.Fatalf("the API answered %d, want %d: %s", a.Status, want, a.Body)
	}
	if err := json.Unmarshal(a.Body, v); err != nil {
		t.Fatalf("the API's answer: %v: %s", err, a.Body)
	}
}

// sealToBroker encrypts plaintext to the broker's post-quantum recipient,
// as GET /v1/keys publishes it.
func (e *webEnv) sealToBroker(t testing.TB, plaintext []byte) []byte {
	t.Helper()
	resp, err := http.Get(e.Broker.URL + "/v1/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var keys struct {
		Recipients []string `json:"recipients"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil {
		t.Fatal(err)
	}
	var recipient string
	for _, r := range keys.Recipients {
		if strings.HasPrefix(r, "age1pq1") {
			recipient = r
		}
	}
	r, err := age.ParseHybridRecipient(recipient)
	if err != nil {
		t.Fatalf("the broker's recipient %q: %v", recipient, err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plaintext); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

package main

import (
	"bufio"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBrokerURLMessages: a LIVC_BROKER without a scheme, or a broker that
// is down, gets a message that says so, not a URL-parsing or dial error.
func TestBrokerURLMessages(t *testing.T) {
	t.Setenv("LIVC_TOKEN", "not-a-real-token")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + l.Addr().String()
	l.Close() // nothing listens there now
	for _, tc := range []struct {
		name, broker string
		code         int
		want         string
		not          []string
	}{
		{"no scheme", "127.0.0.1:8080", 2, "LIVC_BROKER (or --broker) must be the broker's URL with its scheme", []string{"first path segment", "missing protocol scheme"}},
		{"host only", "broker.example", 2, "it has no scheme; did you mean https://broker.example?", nil},
		{"password not echoed", "ftp://user:s3cr3t@host", 2, "with its scheme", []string{"s3cr3t"}},
		{"broker down", down, 1, "cannot reach the broker at " + down + ": connection refused", []string{"dial tcp", "not-a-real-token"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("LIVC_BROKER", tc.broker)
			code, out, errOut := run(t, "cases", "list")
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, stderr %q; want %d and %q\n%s", code, errOut, tc.code, tc.want, out)
			}
			for _, n := range tc.not {
				if strings.Contains(errOut, n) {
					t.Errorf("the message holds %q: %s", n, errOut)
				}
			}
		})
	}
}

// TestUntrustedCertificate: a broker whose certificate no known CA signed
// is refused with a message that says so and names --cacert; with --cacert
// of its CA the same call goes through.
func TestUntrustedCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"recipients":["age1x"],"checkpoint_key":"k"}`))
	}))
	defer srv.Close()
	code, out, errOut := run(t, "keys", "--broker", srv.URL)
	if code != 1 || !strings.Contains(errOut, "certificate at "+srv.URL+" is not trusted") || !strings.Contains(errOut, "--cacert") {
		t.Fatalf("exit %d, stderr %q, stdout %q", code, errOut, out)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(ca, pemBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := run(t, "keys", "--broker", srv.URL, "--cacert", ca); code != 0 || !strings.Contains(out, "age1x") {
		t.Fatalf("with --cacert: exit %d %q %q", code, out, errOut)
	}
	notPEM := filepath.Join(t.TempDir(), "x.pem")
	os.WriteFile(notPEM, []byte("nothing"), 0o644)
	if code, _, errOut := run(t, "keys", "--broker", srv.URL, "--cacert", notPEM); code != 2 || !strings.Contains(errOut, "no PEM certificate") {
		t.Fatalf("--cacert of no certificate: exit %d %q", code, errOut)
	}
}

// TestRefusals: a refused token says why when WWW-Authenticate does
// (error_description), a problem+json refusal shows its title and detail
// and the ids to quote, and none of them shows the token.
func TestRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", "req_1")
		switch r.URL.Path {
		case "/v1/cases/expired":
			w.Header().Set("WWW-Authenticate", `Bearer realm="livc-broker", error="invalid_token", error_description="token expired"`)
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(401)
			w.Write([]byte(`{"title":"Unauthorized","status":401,"detail":"a valid access token is required","request_id":"req_1"}`))
		case "/v1/cases/bare401":
			w.Header().Set("WWW-Authenticate", `Bearer realm="livc-broker"`)
			w.WriteHeader(401)
		case "/v1/cases/conflict":
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("X-Audit-Id", "aud_9")
			w.WriteHeader(409)
			w.Write([]byte(`{"title":"Conflict","status":409,"detail":"the dossier is closed","request_id":"req_1"}`))
		default:
			w.WriteHeader(502)
		}
	}))
	defer srv.Close()
	conn := brokerFlags(t, srv.URL)
	for _, tc := range []struct{ id, want string }{
		{"expired", "the broker refused the access token: token expired (get a new one: LIVC_TOKEN or --token-file) [request req_1]"},
		{"bare401", "the broker refused the access token (get a new one"},
		{"conflict", "the broker refused (409 Conflict): Conflict: the dossier is closed [request req_1, audit aud_9]"},
		{"other", "the broker answered 502 Bad Gateway"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			code, _, errOut := run(t, append([]string{"cases", "show", tc.id}, conn...)...)
			if code != 1 || !strings.Contains(errOut, tc.want) || strings.Contains(errOut, "not-a-real-token") {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, errOut, tc.want)
			}
		})
	}
}

// TestAuthParam reads auth-params of a WWW-Authenticate challenge.
func TestAuthParam(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Bearer error="invalid_token", error_description="token expired"`, "token expired"},
		{`Bearer error_description="a \"quoted\" word", error="x"`, `a "quoted" word`},
		{`Bearer error=invalid_token,error_description=expired`, "expired"},
		{`Bearer realm="livc-broker"`, ""},
		{``, ""},
		{`Bearer error_description="unterminated`, "unterminated"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := authParam(tc.in, "error_description"); got != tc.want {
				t.Errorf("%q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzAuthParam: any header parses without a panic or a loop.
func FuzzAuthParam(f *testing.F) {
	f.Add(`Bearer realm="x", error_description="token expired"`)
	f.Add(`Bearer a=,b="\`)
	f.Fuzz(func(t *testing.T, h string) { _ = authParam(h, "error_description") })
}

// TestOutputFormats: a list is JSON when standard output is no terminal,
// an aligned table with --output table (field names, never raw JSON), JSON
// with --output json; another format is a usage error.
func TestOutputFormats(t *testing.T) {
	page := `{"items":[{"id":"aud_1","actor":"pz","action":"card.read","released":["name","birth_date"],"withheld":[]},` +
		`{"id":"aud_22","actor":"burgemeester","action":"case.list","released":[],"withheld":["care"]}],"next_cursor":"c2"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(page))
	}))
	defer srv.Close()
	conn := brokerFlags(t, srv.URL)
	list := append([]string{"audit", "list"}, conn...)
	_, def, _ := run(t, list...)
	_, js, _ := run(t, append(list, "--output", "json")...)
	if def != js || !json.Valid([]byte(js)) {
		t.Fatalf("default and json differ or are no JSON:\n%s\n%s", def, js)
	}
	code, table, errOut := run(t, append(list, "-o", "table")...)
	want := "next_cursor  c2\n\n" +
		"ID      ACTOR         ACTION     RELEASED         WITHHELD\n" +
		"aud_1   pz            card.read  name,birth_date  -\n" +
		"aud_22  burgemeester  case.list  -                care\n"
	if code != 0 || table != want {
		t.Fatalf("exit %d %s; table:\n%s\nwant:\n%s", code, errOut, table, want)
	}
	if code, _, errOut := run(t, append(list, "--output", "yaml")...); code != 2 || !strings.Contains(errOut, "table or json") {
		t.Fatalf("--output yaml: exit %d %q", code, errOut)
	}
}

// TestTableNoControl: a value's control characters (an escape sequence, a
// line break) never reach the terminal or break the columns.
func TestTableNoControl(t *testing.T) {
	n, err := parseOrdered([]byte(`{"items":[{"text":"a\u001b[31mred\nline\tcol","n":1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := writeTable(&b, n); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\t\r") || strings.Count(b.String(), "\n") != 2 {
		t.Fatalf("%q", b.String())
	}
}

// TestTableOfObject: one object is KEY VALUE lines, nested keys joined
// with dots.
func TestTableOfObject(t *testing.T) {
	n, err := parseOrdered([]byte(`{"subject_ref":"s_1","fields":{"name":[{"value":"X","source":"pz"}]},"withheld":3,"known":true}`))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := writeTable(&b, n); err != nil {
		t.Fatal(err)
	}
	want := "subject_ref            s_1\nfields.name[0].value   X\nfields.name[0].source  pz\nwithheld               3\nknown                  true\n"
	if b.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b.String(), want)
	}
}

// TestFlagsAnywhere: global and own flags before or after the arguments,
// even before the command.
func TestFlagsAnywhere(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, r.URL.Path+" "+r.Header.Get("LIVC-Purpose"))
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"id":"case_a"}`))
	}))
	defer srv.Close()
	conn := brokerFlags(t, srv.URL)
	for _, args := range [][]string{
		append(append([]string{"cases", "show"}, conn...), "case_a", "--purpose", "prioritisation"),
		append(append([]string{"cases", "show", "case_a"}, conn...), "--purpose", "prioritisation"),
		append(append([]string{"--purpose", "prioritisation", "cases"}, conn...), "show", "case_a"),
	} {
		seen = nil
		code, _, errOut := run(t, args...)
		if code != 0 || len(seen) != 1 || seen[0] != "/v1/cases/case_a prioritisation" {
			t.Errorf("%v: exit %d %s, requests %q", args, code, errOut, seen)
		}
	}
}

// FuzzTable: any answer either fails to parse or prints as a table, with
// no control character, without a panic; what parses is valid JSON.
func FuzzTable(f *testing.F) {
	f.Add([]byte(`{"items":[{"a":1,"b":["x","y"]},{"c":{"d":null}}],"next_cursor":"c"}`))
	f.Add([]byte(`[{"a":"\u001b[2J"},1,"s",[]]`))
	f.Add([]byte(`{"\u001b[2J\t":{"\r":1}}`))
	f.Add([]byte(`{"a":{"b":{"c":[{"d":true}]}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, err := parseOrdered(b)
		if err != nil {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("parsed what is no JSON: %q", b)
		}
		var out strings.Builder
		if err := writeTable(&out, n); err != nil {
			t.Fatal(err)
		}
		if strings.ContainsAny(out.String(), "\x1b\r\t") {
			t.Fatalf("a control character in %q", out.String())
		}
	})
}

// TestRefusalStatusPrintable: the status line of an answer that is not a
// problem comes from the broker, or from whatever answers at its address,
// so its reason phrase reaches the terminal without control characters.
func TestRefusalStatusPrintable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				bufio.NewReader(c).ReadString('\n')
				io.WriteString(c, "HTTP/1.1 502 Bad \x1b]0;owned\x07Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
			}()
		}
	}()
	code, _, errOut := run(t, append([]string{"cases", "show", "x"}, brokerFlags(t, "http://"+ln.Addr().String())...)...)
	if code != 1 || strings.ContainsAny(errOut, "\x1b\x07") || !strings.Contains(errOut, "the broker answered 502 Bad") {
		t.Fatalf("exit %d, stderr %q; want 1 and a status without control characters", code, errOut)
	}
}

package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/livc/livc-broker/broker"
)

var quiet = slog.New(slog.DiscardHandler)

// stubBroker records what the gateway passed on; it stands in for the
// pipeline in this package's unit tests only.
type stubBroker struct {
	Broker // methods a test does not use panic when called
	body   []byte
	err    error
	req    *broker.Request
}

func (s *stubBroker) PublicKeys() broker.PublicKeys {
	return broker.PublicKeys{Recipients: []string{"age1x"}}
}
func (s *stubBroker) Ready(context.Context) error { return s.err }
func (s *stubBroker) SealAnswer(*broker.Request, []byte) ([]byte, error) {
	return []byte("sealed"), nil
}
func (s *stubBroker) SubmitSignal(_ context.Context, req *broker.Request) (broker.Receipt, error) {
	s.req = req
	b, err := req.Body()
	if err != nil {
		return broker.Receipt{}, err
	}
	s.body = b
	req.AuditID = "aud_x"
	return broker.Receipt{ID: "sig_x"}, s.err
}
func (s *stubBroker) ReadCard(_ context.Context, req *broker.Request, ref string) (broker.Card, error) {
	s.req = req
	return broker.Card{SubjectRef: ref}, s.err
}
func (s *stubBroker) CreateCase(context.Context, *broker.Request) (broker.Case, error) {
	return broker.Case{}, s.err
}
func (s *stubBroker) SetRoster(context.Context, *broker.Request, string) (broker.Case, error) {
	return broker.Case{}, s.err
}
func (s *stubBroker) Refuse(_ context.Context, req *broker.Request, _ string, err error) error {
	s.req = req
	return err
}
func (s *stubBroker) ListAudit(context.Context, *broker.Request, broker.AuditQuery) (broker.AuditPage, error) {
	return broker.AuditPage{}, s.err
}

func TestGateway(t *testing.T) {
	cases := []struct {
		name, method, path, ctype, body string
		headers                         map[string]string
		want                            int
		wantType                        string
	}{
		{name: "signal accepted", method: "POST", path: "/v1/signals", ctype: "application/age", body: "x", want: 201, wantType: MediaJSON},
		{name: "signal of the wrong media type", method: "POST", path: "/v1/signals", ctype: "application/json", body: "{}", want: 415, wantType: MediaProblem},
		{name: "body over the limit", method: "POST", path: "/v1/signals", ctype: "application/age", body: strings.Repeat("x", 2048), want: 413, wantType: MediaProblem},
		{name: "unknown route", method: "GET", path: "/v1/nothing", want: 404, wantType: MediaProblem},
		{name: "wrong method", method: "DELETE", path: "/v1/signals", want: 405, wantType: MediaProblem},
		{name: "keys need no token", method: "GET", path: "/v1/keys", want: 200, wantType: MediaJSON},
		{name: "answer sealed when the actor asks", method: "GET", path: "/v1/subjects/s_x/card", headers: map[string]string{"Accept": "application/age"}, want: 200, wantType: MediaJSON},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sb := &stubBroker{}
			h := New(sb, Conf{MaxBody: 1024, Logger: quiet})
			req := httptest.NewRequest(c.method, c.path, strings.NewReader(c.body))
			if c.ctype != "" {
				req.Header.Set("Content-Type", c.ctype)
			}
			req.Header.Set("Authorization", "Bearer tok-123")
			req.Header.Set(HeaderPurpose, "signal")
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != c.want || rec.Header().Get("Content-Type") != c.wantType {
				t.Fatalf("got %d %s, want %d %s: %s", rec.Code, rec.Header().Get("Content-Type"), c.want, c.wantType, rec.Body)
			}
			if !strings.HasPrefix(rec.Header().Get(HeaderRequestID), "req_") {
				t.Fatal("no X-Request-Id")
			}
			if rec.Code >= 400 {
				var p Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.RequestID == "" {
					t.Fatalf("not a problem document: %s", rec.Body)
				}
			}
			if sb.req != nil && (sb.req.Token != "tok-123" || sb.req.Purpose != "signal") {
				t.Fatalf("token or purpose not passed on: %+v", sb.req)
			}
			if c.headers["Accept"] == "application/age" && !sb.req.WantAge {
				t.Fatal("Accept: application/age not passed on")
			}
		})
	}
}

func TestReadyAnswers503WhenTheStoreIsDown(t *testing.T) {
	h := New(&stubBroker{err: broker.Errorf(broker.KindUnavailable, "store unavailable")}, Conf{Logger: quiet})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(string(body), "unavailable") {
		t.Fatalf("%d %s", rec.Code, body)
	}
}

package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/livc/livc-broker/broker"
)

// loadOpenAPI loads the served document with kin-openapi.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	raw, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("loading the document: %v", err)
	}
	return doc
}

// TestOpenAPIValid validates the document as OpenAPI 3.1 with kin-openapi:
// the structure of every object, references, unique operation ids, path
// parameters declared for every template, security schemes, media types,
// and every schema, default and example (checked against its schema with the
// JSON Schema 2020-12 validator, as 3.1 requires).
func TestOpenAPIValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi is %q, want 3.1.0", doc.OpenAPI)
	}
	err := doc.Validate(context.Background(), openapi3.EnableMultiError(),
		openapi3.EnableExamplesValidation(), openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableSchemaPatternValidation(), openapi3.EnableSchemaFormatValidation(),
		openapi3.ProhibitExtensionsWithRef())
	if err != nil {
		t.Fatalf("not a valid OpenAPI 3.1 document:\n%v", err)
	}
}

// TestOpenAPISchemas checks schemas that carry a rule of the contract with
// kin-openapi's JSON Schema 2020-12 validator, both ways: what the broker may
// answer passes, what it must never answer fails.
func TestOpenAPISchemas(t *testing.T) {
	doc := loadOpenAPI(t)
	cases := []struct {
		name, schema, value string
		ok                  bool
	}{
		{"count zero", "Count", `0`, true},
		{"count five", "Count", `5`, true},
		{"count small", "Count", `"<5"`, true},
		{"count one is never shown", "Count", `1`, false},
		{"count four is never shown", "Count", `4`, false},
		{"count negative", "Count", `-1`, false},
		{"count other string", "Count", `"<4"`, false},
		{"stats as docs/api.md shows them", "Stats", `{"cases":{"by_state":{"approach":7,"registration":"<5"},"by_category":{"radicalisation":11},"by_priority":{"1":"<5","3":0}},"signals":{"by_month":{"2026-11":23}}}`, true},
		{"stats with a small count in the clear", "Stats", `{"cases":{"by_state":{"approach":3},"by_category":{},"by_priority":{}},"signals":{"by_month":{}}}`, false},
		{"stats with a merged bucket", "Stats", `{"cases":{"by_state":{"_other":6},"by_category":{"_other":"<5"},"by_priority":{"none":0}},"signals":{"by_month":{"_other":0}}}`, true},
		{"stats with an unknown state", "Stats", `{"cases":{"by_state":{"frozen":6},"by_category":{},"by_priority":{}},"signals":{"by_month":{}}}`, false},
		{"card", "Card", `{"subject_ref":"s_aaaaaaaaaaaaaaaaaaaaaaaaaa","fields":{"presence":[{"value":"absent","source":"clb","record":"sig_aaaaaaaaaaaaaaaaaaaaaaaaaa","at":"2026-11-20T09:30:00Z"}],"indicators":[{"value":["a","b"],"source":"clb","record":"obs_aaaaaaaaaaaaaaaaaaaaaaaaaa","at":"2026-11-20T09:30:00Z"}]},"withheld":4}`, true},
		{"card with a nested value", "Card", `{"subject_ref":"s_aaaaaaaaaaaaaaaaaaaaaaaaaa","fields":{"presence":[{"value":{"x":1},"source":"clb","record":"sig_aaaaaaaaaaaaaaaaaaaaaaaaaa","at":"2026-11-20T09:30:00Z"}]},"withheld":0}`, false},
		{"problem", "InvalidProblem", `{"type":"urn:livc-broker:problem:invalid","title":"Unprocessable Entity","status":422,"detail":"x","request_id":"req_aaaaaaaaaaaaaaaaaaaaaaaaaa","field":"limit"}`, true},
		{"problem of another status", "InvalidProblem", `{"type":"urn:livc-broker:problem:invalid","title":"Unprocessable Entity","status":400,"detail":"x","request_id":"req_aaaaaaaaaaaaaaaaaaaaaaaaaa"}`, false},
		{"problem with a stack", "Problem", `{"type":"urn:livc-broker:problem:internal","title":"Internal Server Error","status":500,"detail":"x","request_id":"req_aaaaaaaaaaaaaaaaaaaaaaaaaa","stack":"main.go:1"}`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := doc.Components.Schemas[c.schema]
			if s == nil {
				t.Fatalf("no schema %s", c.schema)
			}
			var v any
			if err := json.Unmarshal([]byte(c.value), &v); err != nil {
				t.Fatal(err)
			}
			err := s.Value.VisitJSON(v, openapi3.EnableJSONSchema2020())
			if (err == nil) != c.ok {
				t.Fatalf("valid %v, want %v: %v", err == nil, c.ok, err)
			}
		})
	}
}

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_][A-Za-z0-9_]*)`)

// ginCatchAll is a Gin catch-all parameter, {name*} in the document (a
// value that spans segments, as kin-openapi reads it).
var ginCatchAll = regexp.MustCompile(`\*([A-Za-z_][A-Za-z0-9_]*)`)

// TestOpenAPIRoutes fails when the engine serves a method and path the
// document lacks, or the document describes one the engine does not serve:
// an endpoint added without its description is caught here.
func TestOpenAPIRoutes(t *testing.T) {
	engine, ok := New(&stubBroker{}, Conf{Logger: quiet, Metrics: http.NotFoundHandler()}).(*gin.Engine)
	if !ok {
		t.Fatal("New no longer returns a *gin.Engine")
	}
	served := map[string]bool{}
	for _, r := range engine.Routes() {
		served[r.Method+" "+ginParam.ReplaceAllString(ginCatchAll.ReplaceAllString(r.Path, "{$1*}"), "{$1}")] = true
	}
	described := map[string]bool{}
	doc := loadOpenAPI(t)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			described[method+" "+path] = true
		}
	}
	if len(served) < 20 {
		t.Fatalf("only %d routes served: %v", len(served), served)
	}
	for r := range served {
		if !described[r] {
			t.Errorf("%s is served but not described in openapi.yaml", r)
		}
	}
	for r := range described {
		if !served[r] {
			t.Errorf("%s is described in openapi.yaml but not served", r)
		}
	}
}

// TestOpenAPIErrors holds the document to the gateway: every status of the
// error vocabulary has a response whose schema takes the problem the gateway
// writes for it; every audited operation lists the refusals every request
// can meet; every answer lists X-Request-Id and every error is problem+json.
func TestOpenAPIErrors(t *testing.T) {
	doc := loadOpenAPI(t)
	byStatus := map[int]*openapi3.Response{}
	for name, r := range doc.Components.Responses {
		s := r.Value.Content.Get(MediaProblem)
		if s == nil {
			t.Errorf("response %s is not problem+json", name)
			continue
		}
		st := s.Schema.Value.Properties["status"]
		if st == nil || st.Value.Const == nil {
			t.Errorf("response %s does not fix its status", name)
			continue
		}
		byStatus[int(st.Value.Const.(float64))] = r.Value
	}
	for kind, k := range problemKinds {
		t.Run(strconv.Itoa(k.status), func(t *testing.T) {
			if k.status == http.StatusMethodNotAllowed {
				// No operation answers 405: it is the answer for a method
				// the path does not describe. Its schema must still fit.
				checkProblem(t, doc.Components.Schemas["MethodNotAllowedProblem"].Value, kind)
				return
			}
			r := byStatus[k.status]
			if r == nil {
				t.Fatalf("no response component for %d", k.status)
			}
			checkProblem(t, r.Content.Get(MediaProblem).Schema.Value, kind)
		})
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			name := method + " " + path
			for code, r := range op.Responses.Map() {
				if r.Value.Headers["X-Request-Id"] == nil {
					t.Errorf("%s %s: no X-Request-Id", name, code)
				}
				if code[0] >= '4' && r.Value.Content.Get(MediaProblem) == nil {
					t.Errorf("%s %s: not problem+json", name, code)
				}
				if strings.HasPrefix(path, "/v1/") && path != "/v1/keys" && code[0] == '2' {
					if h := r.Value.Headers["X-Audit-Id"]; h == nil || !h.Value.Required {
						t.Errorf("%s %s: no required X-Audit-Id", name, code)
					}
				}
			}
			if !strings.HasPrefix(path, "/v1/") || path == "/v1/keys" {
				continue
			}
			for _, code := range []int{401, 403, 406, 500, 503} {
				if op.Responses.Status(code) == nil {
					t.Errorf("%s: every audited request may answer %d; not described", name, code)
				}
			}
			if !slices.ContainsFunc(op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Value.Name == HeaderPurpose }) {
				t.Errorf("%s: no %s header", name, HeaderPurpose)
			}
			if op.RequestBody != nil {
				for _, code := range []int{400, 413, 415, 422} {
					if op.Responses.Status(code) == nil {
						t.Errorf("%s: a request with a body may answer %d; not described", name, code)
					}
				}
			}
		}
	}
}

// checkProblem validates the problem the gateway writes for kind (with and
// without an audit id and a field) against schema.
func checkProblem(t *testing.T, schema *openapi3.Schema, kind broker.Kind) {
	t.Helper()
	e := &broker.Error{Kind: kind, Detail: "a detail", Field: "limit", RetryAfter: 1500_000_000}
	for _, audit := range []string{"", "aud_aaaaaaaaaaaaaaaaaaaaaaaaaa"} {
		body, err := json.Marshal(problemFor(e, "req_aaaaaaaaaaaaaaaaaaaaaaaaaa", audit))
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("%s does not fit its schema: %v", body, err)
		}
	}
}

// TestOpenAPIServed reads GET /openapi.json as a client does: no token, JSON,
// the embedded document.
func TestOpenAPIServed(t *testing.T) {
	h := New(&stubBroker{}, Conf{Logger: quiet})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	want, err := OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if rec.Code != 200 || rec.Header().Get("Content-Type") != MediaJSON || rec.Header().Get(HeaderRequestID) == "" {
		t.Fatalf("GET /openapi.json: %d %q %v", rec.Code, rec.Header().Get("Content-Type"), rec.Header())
	}
	if !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatal("GET /openapi.json is not the embedded document")
	}
	if rec.Header().Get(HeaderAuditID) != "" {
		t.Fatal("GET /openapi.json is audited")
	}
}

// TestJSONValue refuses YAML that has no faithful JSON form.
func TestJSONValue(t *testing.T) {
	for name, v := range map[string]any{
		"integer keys": map[any]any{200: "x"},
		"timestamp":    map[string]any{"at": []any{struct{}{}}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := jsonValue(v); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

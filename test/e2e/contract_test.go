package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The contract: every answer a test receives through do, from a broker that
// startBroker started, is validated against the OpenAPI document that very
// broker serves at GET /openapi.json. An answer of a status the document
// does not list for its operation, of another media type, with a body that
// does not fit its schema, or without a required header (X-Request-Id,
// X-Audit-Id on audited answers, WWW-Authenticate on 401, Retry-After on
// 429) fails the test that received it.

// contract is one broker's document, routed at that broker's address.
type contract struct {
	doc    *openapi3.T
	router routers.Router
}

// contracts maps a broker's host:port to its contract.
var contracts sync.Map

// contractChecks counts the answers validated, for TestContractCoverage.
var contractChecks struct {
	sync.Mutex
	seen map[string]bool // "METHOD /path/template STATUS"
	n    int
}

func init() {
	// age answers (Accept: application/age) and bodies: a real age file,
	// binary or armored; its plaintext is the actor's to read, not ours.
	openapi3filter.RegisterBodyDecoder("application/age", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		if err != nil {
			return nil, err
		}
		if !bytes.HasPrefix(b, []byte("age-encryption.org/v1\n")) && !bytes.HasPrefix(b, []byte("-----BEGIN AGE ENCRYPTED FILE-----")) {
			return nil, errors.New("not an age file")
		}
		return string(b), nil
	})
}

// loadContract fetches the document broker serves, checks it is valid
// OpenAPI 3.1 and registers it for the answers of that broker.
func loadContract(t testing.TB, baseURL string) {
	t.Helper()
	resp, err := http.Get(baseURL + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("GET /openapi.json: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil || !doc.IsOpenAPI31OrLater() {
		t.Fatalf("GET /openapi.json is not valid OpenAPI 3.1 (%s): %v", doc.OpenAPI, err)
	}
	doc.Servers = openapi3.Servers{{URL: baseURL}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	contracts.Store(hostOf(baseURL), &contract{doc: doc, router: router})
}

func hostOf(baseURL string) string {
	req, _ := http.NewRequest("GET", baseURL, nil)
	return req.URL.Host
}

// checkContract validates one answer to req against the document of the
// broker that gave it. req's body has been sent; only the answer is checked,
// since tests send malformed requests on purpose.
func checkContract(t testing.TB, req *http.Request, r response) {
	t.Helper()
	v, ok := contracts.Load(req.URL.Host)
	if !ok {
		return // not a broker of startBroker (walkthrough's own, say)
	}
	c := v.(*contract)
	if r.Status == http.StatusRequestHeaderFieldsTooLarge {
		// Go's HTTP server answers 431 before any handler runs; it is
		// not part of the API's description (README: the promises).
		noteChecked(req.Method+" (headers too large)", r.Status)
		return
	}
	route, params, err := c.router.FindRoute(req)
	for _, v := range params {
		if v == "" && err == nil {
			// The legacy router matches /v1/signals to /v1/signals/{id}
			// with an empty id: no operation of the document.
			err = errors.New("an empty path parameter")
		}
	}
	if err != nil {
		// A method or path the document does not describe: the broker
		// must answer the problem of 404 or 405; under /v1 it
		// authenticates first (the refusal is audited), so 401 too.
		undescribed := map[int]string{404: "NotFoundProblem", 405: "MethodNotAllowedProblem"}
		if strings.HasPrefix(req.URL.Path, "/v1/") {
			undescribed[401] = "UnauthorizedProblem"
		}
		schema := undescribed[r.Status]
		if schema == "" || r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("contract: %s %s is not described, yet answered %d %s", req.Method, req.URL.Path, r.Status, r.Header.Get("Content-Type"))
			return
		}
		var body any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			t.Errorf("contract: %s %s: %d body is not JSON: %v", req.Method, req.URL.Path, r.Status, err)
			return
		}
		if err := c.doc.Components.Schemas[schema].Value.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("contract: %s %s: %d does not fit %s: %v", req.Method, req.URL.Path, r.Status, schema, err)
		}
		noteChecked(req.Method+" (undescribed)", r.Status)
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.Status,
		Header:                 r.Header,
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	in.SetBodyBytes(r.Body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		body := r.Body
		if len(body) > 600 {
			body = body[:600]
		}
		t.Errorf("contract: %s %s answered %d %s that does not conform to GET /openapi.json: %v\nbody: %s",
			req.Method, route.Path, r.Status, r.Header.Get("Content-Type"), err, body)
	}
	noteChecked(req.Method+" "+route.Path, r.Status)
}

func noteChecked(op string, status int) {
	contractChecks.Lock()
	defer contractChecks.Unlock()
	if contractChecks.seen == nil {
		contractChecks.seen = map[string]bool{}
	}
	contractChecks.seen[fmt.Sprintf("%s %d", op, status)] = true
	contractChecks.n++
}

// contractSummary says which operations and statuses the suite's answers
// were checked for, and how many answers in all.
func contractSummary() string {
	contractChecks.Lock()
	defer contractChecks.Unlock()
	keys := make([]string, 0, len(contractChecks.seen))
	for k := range contractChecks.seen {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return fmt.Sprintf("contract: %d answers checked against GET /openapi.json, %d operation/status pairs:\n  %s",
		contractChecks.n, len(keys), strings.Join(keys, "\n  "))
}

// TestContract sends the requests the story does not, so that the answers
// of every endpoint and of the refusals every request can meet are checked
// against the document too (do checks each one; here each also has its
// expected status, so that the test cannot pass on answers it never got).
func TestContract(t *testing.T) {
	w := submittedWorld(t, examplePath)
	id := w.openCase(t, []string{"ocmw", "pz"})
	auditID := do(t, "GET", w.broker.URL+"/v1/subjects/"+w.ref+"/card", nil,
		"Authorization", "Bearer "+w.iss.token(t, w.model.Livc, "pz"), "LIVC-Purpose", "case_conference").Header.Get("X-Audit-Id")

	as := func(actor, purpose string) []string {
		return []string{"Authorization", "Bearer " + w.iss.token(t, w.model.Livc, actor), "LIVC-Purpose", purpose}
	}
	withJSON := func(actor, purpose string) []string {
		return append(as(actor, purpose), "Content-Type", "application/json")
	}
	dpo := as("dpo", "audit_review")
	cases := []struct {
		name, method, path string
		body               string
		headers            []string
		status             int
	}{
		{"alive", "GET", "/healthz", "", nil, 200},
		{"ready", "GET", "/readyz", "", nil, 200},
		{"this document", "GET", "/openapi.json", "", nil, 200},
		{"no such endpoint, no token", "GET", "/v1/nothing", "", nil, 401},
		{"no such endpoint", "GET", "/v1/nothing", "", withJSON("pz", "case_conference"), 404},
		{"no such method", "DELETE", "/v1/cases", "", withJSON("preventie", "case_conference"), 405},
		{"no token", "GET", "/v1/cases", "", nil, 401},
		{"a forged token", "DELETE", "/v1/subjects/" + w.ref, "", []string{"Authorization", "Bearer x.y.z", "LIVC-Purpose", "case_conference"}, 401},
		{"no purpose", "GET", "/v1/stats", "", []string{"Authorization", "Bearer " + w.iss.token(t, w.model.Livc, "burgemeester")}, 403},
		{"stats", "GET", "/v1/stats", "", as("burgemeester", "policy"), 200},
		{"cases, limit too large", "GET", "/v1/cases?limit=1001", "", as("preventie", "case_conference"), 422},
		{"cases, a page of one", "GET", "/v1/cases?limit=1", "", as("preventie", "case_conference"), 200},
		{"case under prioritisation", "GET", "/v1/cases/" + id, "", as("parket", "prioritisation"), 200},
		{"no such case", "GET", "/v1/cases/case_aaaaaaaaaaaaaaaaaaaaaaaaaa", "", as("preventie", "case_conference"), 404},
		{"transition, empty body", "POST", "/v1/cases/" + id + "/transitions", "", withJSON("pz", "case_conference"), 400},
		{"transition, wrong media type", "POST", "/v1/cases/" + id + "/transitions", `{}`, as("pz", "case_conference"), 415},
		{"transition, unknown field", "POST", "/v1/cases/" + id + "/transitions", `{"to":"formation","why":"x"}`, withJSON("pz", "case_conference"), 422},
		{"transition", "POST", "/v1/cases/" + id + "/transitions", `{"to":"formation","reason":"agreed"}`, withJSON("pz", "case_conference"), 200},
		{"card sealed to an actor without recipients", "GET", "/v1/subjects/" + w.ref + "/card", "", append(as("pz", "case_conference"), "Accept", "application/age"), 406},
		{"audit, limit zero", "GET", "/v1/audit?limit=0", "", dpo, 422},
		{"audit, bad time", "GET", "/v1/audit?from=yesterday", "", dpo, 422},
		{"audit, bad order", "GET", "/v1/audit?order=up", "", dpo, 422},
		{"audit, filtered, newest first", "GET", "/v1/audit?actor=pz&decision=allow&order=desc&limit=5", "", dpo, 200},
		{"checkpoint, fresh", "GET", "/v1/audit/checkpoint?fresh=1", "", dpo, 200},
		{"checkpoints", "GET", "/v1/audit/checkpoints", "", dpo, 200},
		{"inclusion proof", "GET", "/v1/audit/proof?id=" + auditID, "", dpo, 200},
		{"consistency proof", "GET", "/v1/audit/proof?from=1", "", dpo, 200},
		{"proof of no entry", "GET", "/v1/audit/proof?id=aud_aaaaaaaaaaaaaaaaaaaaaaaaaa", "", dpo, 404},
		{"proof of nothing asked", "GET", "/v1/audit/proof", "", dpo, 422},
		{"verify since", "GET", "/v1/audit/verify?since=1", "", dpo, 200},
		{"verify since beyond the log", "GET", "/v1/audit/verify?since=100000", "", dpo, 422},
		{"export without proofs", "GET", "/v1/audit/export?from=0&limit=3&proofs=false", "", dpo, 200},
		{"export, limit too large", "GET", "/v1/audit/export?limit=5000", "", dpo, 422},
		{"report without subject", "GET", "/v1/audit/report", "", dpo, 422},
		{"report, bad cursor (422 naming cursor; it was 400)", "GET", "/v1/audit/report?subject_ref=" + w.ref + "&cursor=nope", "", dpo, 422},
		{"alerts", "GET", "/v1/audit/alerts?from=2020-01-01T00:00:00Z", "", dpo, 200},
		{"alerts, to before from", "GET", "/v1/audit/alerts?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z", "", dpo, 422},
		{"audit under another purpose", "GET", "/v1/audit/checkpoints", "", as("dpo", "case_conference"), 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			r := do(t, c.method, w.broker.URL+c.path, body, c.headers...)
			if r.Status != c.status {
				t.Fatalf("%s %s: %d, want %d: %s", c.method, c.path, r.Status, c.status, r.Body)
			}
		})
	}
}

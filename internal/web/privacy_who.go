package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"filippo.io/age"

	"github.com/livc/livc-broker/broker"
)

// whoData is the "who saw what of this person" page: the form, and after
// it the person's pseudonym and every entry about them (the first
// broker.MaxLimit; the rest is on the log page filtered by the pseudonym).
type whoData struct {
	Asked      bool
	SubjectRef string
	Items      []broker.AuditEntry
	More       bool
	Names      map[string]string
}

func (s *Server) whoForm(x *reqCtx) {
	s.render(x.w, http.StatusOK, "who", x.view("who.title", whoData{}))
}

// identityKeys are the form's fields, named as a lookup's subject names
// them.
var identityKeys = []string{"national_number", "family_name", "given_name", "birth_date"}

// whoSaw answers the form: the identity, posted in the body (never in a
// URL), goes to the same use case as POST /v1/audit/report, which takes it
// age-encrypted to the broker like a lookup; the gateway seals it to the
// broker's own recipient for that, and keeps nothing of it. The broker
// turns it into the person's pseudonym and audits the request under that
// pseudonym, never the identity. The answer is rendered here, so that the
// identity is not carried on to another request.
func (s *Server) whoSaw(x *reqCtx) {
	if !x.formRead() {
		return
	}
	subject := map[string]string{}
	for _, k := range identityKeys {
		if v := strings.TrimSpace(x.r.PostForm.Get(k)); v != "" {
			subject[k] = v
		}
	}
	req, ctx := x.request(func() ([]byte, error) {
		return sealIdentity(hybridRecipient(s.b.PublicKeys()), subject)
	})
	page, err := s.b.AuditReportByIdentity(ctx, req, broker.AuditQuery{Limit: broker.MaxLimit})
	if err != nil {
		x.fail(req, err)
		return
	}
	d := whoData{Asked: true, SubjectRef: page.SubjectRef, Items: page.Items, More: page.NextCursor != "", Names: namesOf(x.cell)}
	s.render(x.w, http.StatusOK, "who", x.view("who.title", d))
}

// sealIdentity is the body of POST /v1/audit/report for subject: the
// lookup's JSON, encrypted to recipient. A broker that publishes no
// recipient cannot be asked (503).
func sealIdentity(recipient string, subject map[string]string) ([]byte, error) {
	fail := func(err error) ([]byte, error) {
		return nil, broker.Wrap(broker.KindUnavailable, err, "the identity could not be sealed to the broker")
	}
	r, err := age.ParseHybridRecipient(recipient)
	if err != nil {
		return fail(err)
	}
	plain, err := json.Marshal(map[string]any{"subject": subject})
	if err != nil {
		return fail(err)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return fail(err)
	}
	if _, err := w.Write(plain); err != nil {
		return fail(err)
	}
	if err := w.Close(); err != nil {
		return fail(err)
	}
	return buf.Bytes(), nil
}

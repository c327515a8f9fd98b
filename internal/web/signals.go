package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/livc/livc-broker/broker"
)

// formField is one control of the new-signal form, from the catalogue.
type formField struct {
	Name  string // the field's path in the signal: subject.X or fields.X
	ID    string // the control's id
	Field string // the catalogue's name, for its label
	Class string
	Type  string // the catalogue type: the script converts the value by it
	Min   *int64
	Max   *int64
	Enum  []string
}

// signalForm is the new-signal form: the identity (by national number, or
// by names and birth date) and the other fields of the catalogue, grouped
// by class, the recipient the browser encrypts to.
type signalForm struct {
	Recipient string
	Number    []formField // subject.national_number
	Names     []formField // subject.family_name, given_name, birth_date
	Fields    []formField // fields.*, by class then name
}

// subjectKeys are the catalogue's fields a signal gives in "subject".
var subjectKeys = []string{"national_number", "family_name", "given_name", "birth_date"}

func buildSignalForm(c *broker.Cell, recipient string) signalForm {
	f := signalForm{Recipient: recipient}
	names := make([]string, 0, len(c.Fields))
	for n := range c.Fields {
		names = append(names, n)
	}
	slices.SortFunc(names, func(a, b string) int {
		if d := classOrder(c.Fields[a].Class) - classOrder(c.Fields[b].Class); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, n := range names {
		spec := c.Fields[n]
		ff := formField{Field: n, Class: spec.Class, Type: spec.Type, Min: spec.Min, Max: spec.Max, Enum: spec.Values}
		switch {
		case n == "national_number" && spec.Class == broker.ClassIdentity:
			ff.Name = "subject." + n
			f.Number = append(f.Number, ff)
		case slices.Contains(subjectKeys, n) && spec.Class == broker.ClassIdentity:
			ff.Name = "subject." + n
			f.Names = append(f.Names, ff)
		default:
			ff.Name = "fields." + n
			f.Fields = append(f.Fields, ff)
		}
	}
	for _, list := range [][]formField{f.Number, f.Names, f.Fields} {
		for i := range list {
			list[i].ID = "f-" + strings.ReplaceAll(list[i].Name, ".", "-")
		}
	}
	slices.SortStableFunc(f.Names, func(a, b formField) int {
		return slices.Index(subjectKeys, a.Field) - slices.Index(subjectKeys, b.Field)
	})
	return f
}

// classOrder puts identity first, then the classes in a fixed order; an
// unknown class last.
func classOrder(class string) int {
	order := []string{"identity", "presence", "signal", "social", "care", "police", "administrative",
		"intelligence", "judicial", "business"}
	if i := slices.Index(order, class); i >= 0 {
		return i
	}
	return len(order)
}

// hybridRecipient is the broker's post-quantum hybrid recipient (age1pq1…),
// which the browser encrypts to; "" if the broker publishes none.
func hybridRecipient(k broker.PublicKeys) string {
	for _, r := range k.Recipients {
		if strings.HasPrefix(r, "age1pq1") {
			return r
		}
	}
	return ""
}

func (s *Server) newSignal(x *reqCtx) {
	form := buildSignalForm(x.cell, hybridRecipient(s.b.PublicKeys()))
	s.render(x.w, http.StatusOK, "signal_new", x.view("signal_new.title", form))
}

// submitSignal takes the envelope the browser encrypted: application/age
// only (the server never receives the signal in plaintext), passed to the
// same submission use case as POST /v1/signals. 201 {"id", "next"}.
func (s *Server) submitSignal(x *reqCtx) {
	req, ctx := x.request(x.readAge)
	rc, err := s.b.SubmitSignal(ctx, req)
	if err != nil {
		x.failJSON(req, err)
		return
	}
	body, _ := json.Marshal(map[string]string{"id": rc.ID, "next": "/signals/mine"})
	x.w.Header().Set("Content-Type", "application/json")
	status := http.StatusCreated
	if rc.Repeat {
		status = http.StatusOK
	}
	x.w.WriteHeader(status)
	x.w.Write(body)
}

// mySignals lists the actor's signals and their states, newest first.
func (s *Server) mySignals(x *reqCtx) {
	req, ctx := x.request(nil)
	page, err := s.b.MySignals(ctx, req, x.r.URL.Query().Get("cursor"), "")
	if err != nil {
		x.fail(req, err)
		return
	}
	s.render(x.w, http.StatusOK, "signals_mine", x.view("signals_mine.title", page))
}

func (s *Server) withdraw(x *reqCtx) {
	req, ctx := x.request(nil)
	if err := s.b.WithdrawSignal(ctx, req, x.r.PathValue("id")); err != nil {
		x.fail(req, err)
		return
	}
	x.redirect("/signals/mine")
}

package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/livc/livc-broker/broker"
)

// The privacy officer's verification of the audit log in the browser
// (/privacy/verify): the page, and the data its script checks, each fetched
// through the use case of the API's /v1/audit/checkpoint, /proof,
// /checkpoints and /export under audit_review, so that every fetch is
// decided by the policy and audited like the API's. The page's script
// (web/src/verify.js) verifies signatures, the consistency proof and every
// entry's leaf hash and the root itself: nothing here is trusted by it.

func init() {
	pageNames = append(pageNames, "verify")
	ownPrefixes = append(ownPrefixes, "privacy")
}

// VerifyBroker is the part of Broker the verification page uses.
type VerifyBroker interface {
	AuditCheckpoint(ctx context.Context, req *broker.Request, fresh bool) ([]byte, error)
	AuditCheckpoints(ctx context.Context, req *broker.Request) ([]string, error)
	AuditProof(ctx context.Context, req *broker.Request, auditID string, from int64) (any, error)
	AuditExport(ctx context.Context, req *broker.Request, from int64, limit int, size int64, proofs bool) (broker.Export, error)
}

// verifyRoutes are the routes of the verification page, called from routes.
func (s *Server) verifyRoutes() {
	m, ar := s.mux, broker.PurposeAuditReview
	m.HandleFunc("GET /privacy/verify", s.signedIn(ar, s.verifyPage))
	m.HandleFunc("GET /privacy/verify/checkpoint", s.signedIn(ar, s.scriptOnly(s.verifyCheckpoint)))
	m.HandleFunc("GET /privacy/verify/checkpoints", s.signedIn(ar, s.scriptOnly(s.verifyCheckpoints)))
	m.HandleFunc("GET /privacy/verify/proof", s.signedIn(ar, s.scriptOnly(s.verifyProof)))
	m.HandleFunc("GET /privacy/verify/entries", s.signedIn(ar, s.scriptOnly(s.verifyEntries)))
}

// scriptOnly serves h only to the page's script: a GET that carries the
// session's CSRF token in X-CSRF-Token. Each of these fetches is audited
// and may sign a checkpoint, so no other site's link or image may make one
// (SameSite=Strict keeps the cookie off them already; this holds without).
func (s *Server) scriptOnly(h func(*reqCtx)) func(*reqCtx) {
	return func(x *reqCtx) {
		if !sameToken(x.r.Header.Get(HeaderCSRF), x.sess.CSRF) {
			s.plainError(x.w, x.r, http.StatusForbidden, "error.csrf")
			return
		}
		h(x)
	}
}

// verifyMessages are the page script's texts (verify.js.NAME), with the
// placeholders it fills in ({size}, {index}, …).
var verifyMessages = []string{"none", "saved", "key_invalid", "key_saved", "key_suggested", "no_key",
	"cp_saved", "cp_bad", "cp_format", "cp_forgotten", "running", "progress", "done", "failed", "ok", "ok_unsaved",
	"broken_key", "broken_saved_signature", "broken_signature", "broken_origin", "broken_format", "broken_note",
	"broken_shorter", "broken_inconsistent", "broken_bad_checkpoint", "broken_missing", "broken_out_of_order",
	"broken_corrupt", "broken_leaf_mismatch", "broken_checkpoint_mismatch", "broken_truncated"}

// verifyData is the page: the cell (the browser keeps a key and a
// checkpoint per cell), the server's checkpoint key, shown only as a
// suggestion, and the script's texts.
type verifyData struct {
	Cell, ServerKey string
	Msgs            map[string]string
}

// verifyPage renders the page after the latest checkpoint's use case (not
// fresh): so the page itself is the policy's to refuse, and its opening is
// audited like any review.
func (s *Server) verifyPage(x *reqCtx) {
	req, ctx := x.request(nil)
	if _, err := s.b.AuditCheckpoint(ctx, req, false); err != nil {
		x.fail(req, err)
		return
	}
	msgs := make(map[string]string, len(verifyMessages))
	for _, id := range verifyMessages {
		msgs[id] = s.tr.text(x.lang, "verify.js."+id, "Size", "{size}", "Index", "{index}", "Until", "{until}",
			"Saved", "{saved}", "Root", "{root}", "Origin", "{origin}", "N", "{n}", "Found", "{found}")
	}
	d := verifyData{Cell: x.cell.ID, ServerKey: s.b.PublicKeys().CheckpointKey, Msgs: msgs}
	s.render(x.w, http.StatusOK, "verify", x.view("verify.title", d))
}

// verifyCheckpoint answers a fresh signed checkpoint, text/plain.
func (s *Server) verifyCheckpoint(x *reqCtx) {
	req, ctx := x.request(nil)
	note, err := s.b.AuditCheckpoint(ctx, req, true)
	if err != nil {
		x.failJSON(req, err)
		return
	}
	x.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	x.w.Write(note)
}

// verifyCheckpoints answers {"items": [note, …]}, every checkpoint kept.
func (s *Server) verifyCheckpoints(x *reqCtx) {
	req, ctx := x.request(nil)
	notes, err := s.b.AuditCheckpoints(ctx, req)
	x.answerJSON(req, map[string][]string{"items": notes}, err)
}

// verifyProof answers the consistency proof from the tree of size from to
// a fresh checkpoint: {from, checkpoint, proof}.
func (s *Server) verifyProof(x *reqCtx) {
	req, ctx := x.request(nil)
	from, err := queryInt(x, "from")
	if err != nil {
		req.Refuse = err
	}
	p, err := s.b.AuditProof(ctx, req, "", from)
	x.answerJSON(req, p, err)
}

// verifyEntry is one entry as the script hashes it: its stored bytes
// exactly (base64, so that no re-encoding of the JSON changes a byte), the
// index the server says it is at and the leaf hash stored with it.
type verifyEntry struct {
	Index    int64  `json:"index"`
	Entry    []byte `json:"entry"`
	LeafHash string `json:"leaf_hash"`
}

// verifyEntries answers a page of the log from index from, bounded by the
// tree of size size: {"items": [verifyEntry, …]}, without proofs (the
// script recomputes the tree).
func (s *Server) verifyEntries(x *reqCtx) {
	req, ctx := x.request(nil)
	from, err1 := queryInt(x, "from")
	size, err2 := queryInt(x, "size")
	if err1 != nil || err2 != nil {
		req.Refuse = broker.Invalid("from", "from and size must be whole numbers, 0 or more")
	}
	page, err := s.b.AuditExport(ctx, req, from, broker.MaxLimit, size, false)
	items := make([]verifyEntry, len(page.Items))
	for i, it := range page.Items {
		items[i] = verifyEntry{Index: it.Index, Entry: it.Entry, LeafHash: it.LeafHash}
	}
	x.answerJSON(req, map[string]any{"items": items}, err)
}

// queryInt reads a whole number of the query, 0 or more.
func queryInt(x *reqCtx, name string) (int64, error) {
	n, err := strconv.ParseInt(x.r.URL.Query().Get(name), 10, 64)
	if err != nil || n < 0 {
		return 0, broker.Invalid(name, "must be a whole number, 0 or more")
	}
	return n, nil
}

// answerJSON writes v as JSON, or err as problem+json.
func (x *reqCtx) answerJSON(req *broker.Request, v any, err error) {
	if err != nil {
		x.failJSON(req, err)
		return
	}
	body, err := json.Marshal(v)
	if err != nil {
		x.failJSON(req, err)
		return
	}
	x.w.Header().Set("Content-Type", "application/json")
	x.w.Write(body)
}

package witness

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// CosignerConf configures a Cosigner.
type CosignerConf struct {
	// Signer cosigns (NewSigner of the witness's key).
	Signer note.Signer
	// Logs are the logs the witness knows: origin → the log's verifier
	// key (the broker's checkpoint key, as GET /v1/keys publishes it).
	Logs map[string]string
	// State is the path of the witness's state file.
	State string
	// Logger gets one line per refusal and per cosignature; nil discards.
	Logger *slog.Logger
}

// Cosigner is a tlog-witness: it serves POST /add-checkpoint and cosigns a
// checkpoint only if the log's key signed it and it is consistent with the
// last one it cosigned of that log. It is safe for concurrent use; one
// process should own a state file.
type Cosigner struct {
	conf      CosignerConf
	verifiers map[string]note.Verifier

	mu sync.Mutex // held from reading a log's state to writing it
	st *state
}

// NewCosigner reads the state file and checks it against conf: a log the
// state records under another key than conf gives is an error (a witness
// does not silently forget what it cosigned).
func NewCosigner(conf CosignerConf) (*Cosigner, error) {
	if conf.Signer == nil || conf.State == "" || len(conf.Logs) == 0 {
		return nil, errors.New("witness: a signer, a state file and at least one log are required")
	}
	if conf.Logger == nil {
		conf.Logger = slog.New(slog.DiscardHandler)
	}
	st, err := readState(conf.State)
	if err != nil {
		return nil, err
	}
	c := &Cosigner{conf: conf, st: st, verifiers: map[string]note.Verifier{}}
	for origin, vkey := range conf.Logs {
		v, err := note.NewVerifier(vkey)
		if err != nil {
			return nil, fmt.Errorf("witness: the key of %s: %w", origin, err)
		}
		if l, ok := st.Logs[origin]; ok && l.Key != vkey {
			return nil, fmt.Errorf("witness: the state file records another key for %s", origin)
		}
		c.verifiers[origin] = v
	}
	return c, nil
}

// Handler serves the tlog-witness API.
func (c *Cosigner) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /add-checkpoint", c.addCheckpoint)
	return mux
}

// refusal is an answer other than a cosignature.
type refusal struct {
	status int
	size   int64 // the witness's size, for 409
	why    string
}

func (c *Cosigner) addCheckpoint(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		http.Error(w, "body too large or unreadable", http.StatusBadRequest)
		return
	}
	line, ref := c.Add(body)
	if ref != nil {
		c.conf.Logger.Warn("witness: checkpoint refused", "status", ref.status, "why", ref.why)
		if ref.status == http.StatusConflict {
			w.Header().Set("Content-Type", SizeMediaType)
			w.WriteHeader(http.StatusConflict)
			fmt.Fprintf(w, "%d\n", ref.size)
			return
		}
		http.Error(w, ref.why, ref.status)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(line)
}

// Add handles one add-checkpoint body: the cosignature line, or why not.
// The state is written before the line is returned.
func (c *Cosigner) Add(body []byte) ([]byte, *refusal) {
	a, err := ParseAddCheckpoint(body)
	if err != nil {
		return nil, &refusal{status: http.StatusBadRequest, why: err.Error()}
	}
	origin, _, _ := strings.Cut(string(a.Checkpoint), "\n")
	v, ok := c.verifiers[origin]
	if !ok {
		return nil, &refusal{status: http.StatusNotFound, why: "unknown log"}
	}
	n, err := note.Open(a.Checkpoint, note.VerifierList(v))
	if err != nil {
		return nil, &refusal{status: http.StatusForbidden, why: "the checkpoint is not signed by the log's key"}
	}
	cp, err := auditlog.ParseCheckpoint([]byte(n.Text))
	if err != nil || cp.Origin != origin {
		return nil, &refusal{status: http.StatusBadRequest, why: "not a checkpoint"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	last := c.st.Logs[origin]
	if last == nil {
		last = &logState{Key: c.conf.Logs[origin]}
	}
	if ref := consistent(a, cp, last); ref != nil {
		return nil, ref
	}
	signed, err := note.Sign(&note.Note{Text: n.Text}, c.conf.Signer)
	if err != nil {
		return nil, &refusal{status: http.StatusInternalServerError, why: "could not cosign"}
	}
	if cp.Size > last.Size || c.st.Logs[origin] == nil {
		next := *last
		next.Size, next.Hash = cp.Size, cp.Hash
		c.st.Logs[origin] = &next
		if err := c.st.write(c.conf.State); err != nil {
			c.st.Logs[origin] = last
			c.conf.Logger.Error("witness: state not written: nothing cosigned", "err", err)
			return nil, &refusal{status: http.StatusInternalServerError, why: "could not record the checkpoint"}
		}
	}
	c.conf.Logger.Info("witness: cosigned", "log", origin, "size", cp.Size)
	return signed[len(n.Text)+1:], nil
}

// consistent checks a submission against the last checkpoint cosigned of
// its log (tlog-witness): the submitter's old size must be the witness's
// (else 409 with the witness's size), a checkpoint of that same size must
// have the same root hash (else 409), and the proof must prove the new tree
// extends the old one (else 422). A first checkpoint (old 0) needs no proof.
func consistent(a AddCheckpoint, cp auditlog.Checkpoint, last *logState) *refusal {
	switch {
	case a.Old != last.Size:
		return &refusal{status: http.StatusConflict, size: last.Size, why: "old size is not the witness's"}
	case cp.Size < a.Old:
		return &refusal{status: http.StatusBadRequest, why: "the checkpoint is smaller than the old size"}
	case a.Old == cp.Size:
		if len(a.Proof) != 0 {
			return &refusal{status: http.StatusUnprocessableEntity, why: "a proof between equal sizes"}
		}
		if a.Old > 0 && cp.Hash != last.Hash {
			return &refusal{status: http.StatusConflict, size: last.Size, why: "another root hash at the size cosigned: the log forked"}
		}
	case a.Old == 0:
		if len(a.Proof) != 0 {
			return &refusal{status: http.StatusUnprocessableEntity, why: "a proof from the empty tree"}
		}
	default:
		if err := tlog.CheckTree(a.Proof, cp.Size, cp.Hash, a.Old, last.Hash); err != nil {
			return &refusal{status: http.StatusUnprocessableEntity, why: "the consistency proof does not verify: the log is not an extension of what was cosigned"}
		}
	}
	return nil
}

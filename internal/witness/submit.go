package witness

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// Log is what the Submitter needs of the broker's audit log (the Redis
// adapter's audit.Log has it; cmd/livc-broker hands it over).
type Log interface {
	// ProveTree returns the proof that the cell's tree of size n extends
	// its tree of size old.
	ProveTree(ctx context.Context, livc string, n, old int64) ([]tlog.Hash, error)
	// AddCosignature keeps a witness's cosignature line of the cell's
	// checkpoint of size n, next to the checkpoint.
	AddCosignature(ctx context.Context, livc, witness string, n int64, line string) error
}

// Endpoint is one witness of a cell.
type Endpoint struct {
	Name     string        // its key's name
	Verifier note.Verifier // its cosignature verifier (auditlog.NewCosignatureVerifier)
	Client   *Client
}

// SubmitterConf configures a Submitter.
type SubmitterConf struct {
	Log Log
	// LogVerifier is the broker's checkpoint key, which every submitted
	// note must verify with.
	LogVerifier note.Verifier
	// Witnesses are each cell's witnesses, by cell id.
	Witnesses map[string][]Endpoint
	// Timeout bounds one submission (default 10s); MinBackoff and
	// MaxBackoff the waits between failed tries of one witness (default 1s
	// and 1 minute).
	Timeout, MinBackoff, MaxBackoff time.Duration
	// Refused is called when a witness refuses a checkpoint as not
	// consistent with what it cosigned before: the log was rebuilt or
	// forked. It is called once per run of such refusals of a witness, and
	// again after it has cosigned; an error (the refusal not audited) has
	// it called again at the witness's next refusal.
	Refused func(livc, witness string, size int64) error
	// Outcome counts each submission: "cosigned", "refused" (inconsistent),
	// "failed" (no answer, or another refusal).
	Outcome func(witness, outcome string)
	Logger  *slog.Logger
}

// Submitter sends each new checkpoint of a cell to the cell's witnesses,
// in the background: one goroutine per witness, each with a mailbox of one
// checkpoint that a newer one replaces (a witness that cosigns the newer
// one vouches for the older too). Nothing it does holds up a request:
// Published never blocks, and each submission has a timeout.
type Submitter struct {
	conf    SubmitterConf
	workers map[string][]*worker
}

// NewSubmitter returns a Submitter; Run starts it.
func NewSubmitter(conf SubmitterConf) *Submitter {
	if conf.Timeout <= 0 {
		conf.Timeout = 10 * time.Second
	}
	if conf.MinBackoff <= 0 {
		conf.MinBackoff = time.Second
	}
	if conf.MaxBackoff < conf.MinBackoff {
		conf.MaxBackoff = max(time.Minute, conf.MinBackoff)
	}
	if conf.Logger == nil {
		conf.Logger = slog.New(slog.DiscardHandler)
	}
	if conf.Refused == nil {
		conf.Refused = func(string, string, int64) error { return nil }
	}
	if conf.Outcome == nil {
		conf.Outcome = func(string, string) {}
	}
	s := &Submitter{conf: conf, workers: map[string][]*worker{}}
	for livc, eps := range conf.Witnesses {
		for _, ep := range eps {
			s.workers[livc] = append(s.workers[livc], &worker{s: s, livc: livc, ep: ep, mailbox: make(chan []byte, 1)})
		}
	}
	return s
}

// Published hands a newly signed checkpoint note of the cell livc to its
// witnesses. It never blocks.
func (s *Submitter) Published(livc string, signed []byte) {
	for _, w := range s.workers[livc] {
		w.offer(signed)
	}
}

// Run submits until ctx ends.
func (s *Submitter) Run(ctx context.Context) {
	done := make(chan struct{})
	n := 0
	for _, ws := range s.workers {
		for _, w := range ws {
			n++
			go func() { w.run(ctx); done <- struct{}{} }()
		}
	}
	for range n {
		<-done
	}
}

// worker submits one cell's checkpoints to one witness.
type worker struct {
	s       *Submitter
	livc    string
	ep      Endpoint
	mailbox chan []byte
	known   int64 // the size the witness last cosigned, as learned
	alerted bool  // Refused was called, and audited, since the last cosignature
}

// offer puts signed in the mailbox, replacing what waits there.
func (w *worker) offer(signed []byte) {
	for {
		select {
		case w.mailbox <- signed:
			return
		default:
		}
		select {
		case <-w.mailbox:
		default:
		}
	}
}

func (w *worker) run(ctx context.Context) {
	var cur []byte
	failures := 0
	for {
		if cur == nil {
			select {
			case <-ctx.Done():
				return
			case cur = <-w.mailbox:
			}
		}
		if !w.submit(ctx, cur) {
			cur, failures = nil, 0
			continue
		}
		failures++
		t := time.NewTimer(backoff(failures, w.s.conf.MinBackoff, w.s.conf.MaxBackoff))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case newer := <-w.mailbox:
			t.Stop()
			cur = newer
		case <-t.C:
		}
	}
}

// submit tries signed with the witness until it is cosigned or refused,
// learning the witness's size from a 409; it reports whether to try again
// later (no answer, or an answer that is no verdict on the log).
func (w *worker) submit(ctx context.Context, signed []byte) (again bool) {
	c := w.s.conf
	cp, err := auditlog.OpenWith(signed, c.LogVerifier, auditlog.Origin(w.livc))
	if err != nil {
		c.Logger.Error("witness: a checkpoint that does not verify was not submitted", "witness", w.ep.Name, "err", err)
		return false
	}
	for range 3 { // the old size, then the witness's size from its 409
		if w.known > cp.Size {
			w.refused(cp.Size, "the witness cosigned a larger tree than the log has")
			return false
		}
		var proof []tlog.Hash
		if w.known > 0 && w.known < cp.Size {
			if proof, err = c.Log.ProveTree(ctx, w.livc, cp.Size, w.known); err != nil {
				return w.failed("no consistency proof", err)
			}
		}
		sctx, cancel := context.WithTimeout(ctx, c.Timeout)
		ans, err := w.ep.Client.Add(sctx, AddCheckpoint{Old: w.known, Proof: proof, Checkpoint: signed})
		cancel()
		if err != nil {
			return w.failed("no answer", err)
		}
		switch {
		case ans.Status == http.StatusOK:
			return w.cosigned(ctx, cp, signed, ans.Lines)
		case ans.Status == http.StatusConflict && (ans.Size == w.known || ans.Size > cp.Size):
			w.refused(cp.Size, "the witness holds another tree at its size")
			return false
		case ans.Status == http.StatusConflict:
			w.known = ans.Size
		case ans.Status == http.StatusUnprocessableEntity:
			w.refused(cp.Size, "the witness found the log not consistent with what it cosigned")
			return false
		default:
			return w.failed("refused", errStatus(ans.Status))
		}
	}
	return w.failed("no agreement on the old size", nil)
}

// cosigned keeps the witness's valid cosignature of cp.
func (w *worker) cosigned(ctx context.Context, cp auditlog.Checkpoint, signed []byte, lines []string) bool {
	c := w.s.conf
	valid, _ := auditlog.Cosignatures(auditlog.WithSignatures(signed, lines), c.LogVerifier, []note.Verifier{w.ep.Verifier})
	line, ok := valid[w.ep.Name]
	if !ok {
		return w.failed("an answer without a valid cosignature", nil)
	}
	if err := c.Log.AddCosignature(ctx, w.livc, w.ep.Name, cp.Size, line); err != nil {
		return w.failed("cosignature not kept", err)
	}
	w.known, w.alerted = cp.Size, false
	c.Outcome(w.ep.Name, "cosigned")
	return false
}

// failed logs and counts a submission that reached no verdict; it is tried
// again after a backoff.
func (w *worker) failed(why string, err error) bool {
	w.s.conf.Outcome(w.ep.Name, "failed")
	w.s.conf.Logger.Warn("witness: checkpoint not cosigned", "witness", w.ep.Name, "log", auditlog.Origin(w.livc), "why", why, "err", err)
	return true
}

// refused reports a witness's refusal of the log as inconsistent.
func (w *worker) refused(size int64, why string) {
	c := w.s.conf
	c.Outcome(w.ep.Name, "refused")
	c.Logger.Error("ALERT: a witness refuses the audit log: it is not consistent with what the witness cosigned before",
		"alert", "witness_refused", "witness", w.ep.Name, "log", auditlog.Origin(w.livc), "size", size, "why", why)
	if !w.alerted {
		w.alerted = c.Refused(w.livc, w.ep.Name, size) == nil
	}
}

// errStatus is a witness's status that is no verdict on the log.
type errStatus int

func (e errStatus) Error() string { return "witness answered " + http.StatusText(int(e)) }

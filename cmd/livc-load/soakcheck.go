package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/livc/livc-broker/broker"
)

// soakRun is the soak's workload and what it acknowledged.
type soakRun struct {
	t           *target
	mu          sync.Mutex
	acks        []ack
	badReceipts atomic.Int64
}

// ack is an acknowledged submission: its signal id, and the pseudonym of
// its person once the coordinator's intake has told it (refsFromIntake).
type ack struct{ ID, Ref string }

// op is the soak's mix for requests numbered from base: of every ten, one
// dossier list, two submissions (each with an envelope of its own, see
// soakEnvelopes) and seven card reads.
func (s *soakRun) op(base int) op {
	return func(ctx context.Context, i int) int {
		g := base + i
		switch g % 10 {
		case 0:
			return s.t.cases(ctx, g/10)
		case 3, 6:
			return s.submit(ctx, 2*(g/10)+(g%10)/6)
		default:
			return s.t.card(ctx, g)
		}
	}
}

// submit posts the j-th sealed signal as a social worker and keeps the
// receipt of a 201; a 201 without an id is counted as a bad receipt, since
// nothing could be read back.
func (s *soakRun) submit(ctx context.Context, j int) int {
	t := s.t
	req, _ := http.NewRequestWithContext(ctx, "POST", t.url+"/v1/signals", bytes.NewReader(t.envs[j%len(t.envs)]))
	req.Header.Set("Authorization", bearer(t.ocmw, j))
	req.Header.Set("LIVC-Purpose", "signal")
	req.Header.Set("Content-Type", "application/age")
	status, body := sendRead(t.client, req)
	if status != http.StatusCreated {
		return status
	}
	var rc broker.Receipt
	if err := json.Unmarshal(body, &rc); err != nil || rc.ID == "" {
		s.badReceipts.Add(1)
		return status
	}
	s.mu.Lock()
	s.acks = append(s.acks, ack{ID: rc.ID})
	s.mu.Unlock()
	return status
}

// receipts returns the acknowledged submissions and the bad receipts.
func (s *soakRun) receipts() ([]ack, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ack(nil), s.acks...), int(s.badReceipts.Load())
}

// refsFromIntake fills in the pseudonym of each acknowledged signal from
// the coordinator's intake (a submission answers its id only); a signal the
// intake does not list keeps none, and its card cannot be read back.
func (t *target) refsFromIntake(ctx context.Context, acks []ack) error {
	refs := map[string]string{}
	for cursor := ""; ; {
		req, _ := http.NewRequestWithContext(ctx, "GET", t.url+"/v1/signals?limit=1000&cursor="+url.QueryEscape(cursor), nil)
		req.Header.Set("Authorization", bearer(t.coord, 0))
		req.Header.Set("LIVC-Purpose", "case_conference")
		status, body := sendRead(t.client, req)
		var page broker.SignalPage
		if status != http.StatusOK || json.Unmarshal(body, &page) != nil {
			return fmt.Errorf("the intake answered %d", status)
		}
		for _, e := range page.Items {
			refs[e.ID] = e.SubjectRef
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	for i := range acks {
		acks[i].Ref = refs[acks[i].ID]
	}
	return nil
}

// sendRead does req and returns its status and up to 1 MiB of its body
// (status 0 for a transport error).
func sendRead(c *http.Client, req *http.Request) (int, []byte) {
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil
	}
	return resp.StatusCode, body
}

// readBackResult is what reading back the acknowledged writes found.
type readBackResult struct {
	persons    int // distinct subject refs read
	lost       int // acknowledged records not on their person's card
	unreadable int // cards that did not answer 200 (their records count as lost)
}

// readBack reads the card of every person an acknowledged submission named,
// as a social worker (shown back what its organisation submitted) under
// case_conference, with workers concurrent readers, and counts the records
// missing from it.
func (t *target) readBack(ctx context.Context, acks []ack, workers int) readBackResult {
	byRef := map[string][]string{}
	var refs []string
	for _, a := range acks {
		if _, seen := byRef[a.Ref]; !seen {
			refs = append(refs, a.Ref)
		}
		byRef[a.Ref] = append(byRef[a.Ref], a.ID)
	}
	var (
		mu   sync.Mutex
		res  = readBackResult{persons: len(refs)}
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for w := 0; w < max(workers, 1); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(refs) {
					return
				}
				ids := byRef[refs[k]]
				on, ok := t.cardRecords(ctx, refs[k], k)
				missing := 0
				for _, id := range ids {
					if !on[id] {
						missing++
					}
				}
				mu.Lock()
				res.lost += missing
				if !ok {
					res.unreadable++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return res
}

// cardRecords reads ref's card as the i-th social worker and returns the
// records its values come from; ok is false unless it answered 200 with a
// card of ref.
func (t *target) cardRecords(ctx context.Context, ref string, i int) (map[string]bool, bool) {
	req, _ := http.NewRequestWithContext(ctx, "GET", t.url+"/v1/subjects/"+url.PathEscape(ref)+"/card", nil)
	req.Header.Set("Authorization", bearer(t.ocmw, i))
	req.Header.Set("LIVC-Purpose", "case_conference")
	status, body := sendRead(t.client, req)
	var card broker.Card
	if status != http.StatusOK || json.Unmarshal(body, &card) != nil || card.SubjectRef != ref {
		return nil, false
	}
	on := map[string]bool{}
	for _, values := range card.Fields {
		for _, v := range values {
			on[v.Record] = true
		}
	}
	return on, true
}

// verifyResult is the privacy officer's GET /v1/audit/verify.
type verifyResult struct {
	status int
	rep    broker.VerifyReport
	err    error
}

// ok: the log verified, and holds at least answered entries: every request,
// allowed, denied or failed, is appended to it, so fewer entries than
// answers is a lost entry.
func (v verifyResult) ok(answered int) bool {
	return v.err == nil && v.status == http.StatusOK && v.rep.OK && v.rep.Size >= int64(answered)
}

func (v verifyResult) String() string {
	switch {
	case v.err != nil:
		return "not verified: " + v.err.Error()
	case v.status != http.StatusOK:
		return fmt.Sprintf("not verified: answered %d", v.status)
	}
	s := fmt.Sprintf("ok %v, log size %d entries, %d checkpoints", v.rep.OK, v.rep.Size, v.rep.Checkpoints)
	if p := v.rep.Problem; p != nil {
		s += fmt.Sprintf("; problem %s at entry %d: %s", p.Kind, p.Index, p.Detail)
	}
	return s
}

// auditVerify asks the broker to verify its whole log, as the privacy
// officer under audit_review. Verifying replays every entry, so it may take
// far longer than one request of the run.
func (t *target) auditVerify(ctx context.Context) verifyResult {
	req, _ := http.NewRequestWithContext(ctx, "GET", t.url+"/v1/audit/verify", nil)
	req.Header.Set("Authorization", bearer(t.dpo, 0))
	req.Header.Set("LIVC-Purpose", "audit_review")
	c := &http.Client{Timeout: 10 * time.Minute, Transport: t.client.Transport}
	status, body := sendRead(c, req)
	v := verifyResult{status: status}
	if status == 0 {
		v.err = fmt.Errorf("no answer from the broker")
	} else if status == http.StatusOK {
		if err := json.Unmarshal(body, &v.rep); err != nil {
			v.err = fmt.Errorf("the answer is not a verify report: %w", err)
		}
	}
	return v
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
)

// target is the broker under load and what the tool needs to talk to it.
type target struct {
	url    string
	client *http.Client
	pz     []string // tokens of police officers (on every seeded roster)
	ocmw   []string // tokens of social workers
	dpo    []string // a token of the privacy officer (not with -url)
	coord  []string // a token of the coordinator, who reads the intake (not with -url)
	refs   []string // seeded persons
	envs   [][]byte // sealed signals, one new person each
	// sent counts the submissions, so that each envelope is sent once
	// (one sent again is its submitter's repeat: 200, nothing stored).
	sent atomic.Int64
}

// pick spreads request i over n items without shared state.
func pick(i, n int) int { return int(uint64(i) * 2654435761 % uint64(n)) }

// card reads the card of a seeded person as a police officer on its roster.
func (t *target) card(ctx context.Context, i int) int {
	req, _ := http.NewRequestWithContext(ctx, "GET", t.url+"/v1/subjects/"+t.refs[pick(i, len(t.refs))]+"/card", nil)
	req.Header.Set("Authorization", bearer(t.pz, i))
	req.Header.Set("LIVC-Purpose", "case_conference")
	return send(t.client, req)
}

// submit posts the next sealed signal as a social worker; past the last,
// they are sent again in turn, and answered as repeats.
func (t *target) submit(ctx context.Context, i int) int {
	n := int(t.sent.Add(1)-1) % len(t.envs)
	req, _ := http.NewRequestWithContext(ctx, "POST", t.url+"/v1/signals", bytes.NewReader(t.envs[n]))
	req.Header.Set("Authorization", bearer(t.ocmw, i))
	req.Header.Set("LIVC-Purpose", "signal")
	req.Header.Set("Content-Type", "application/age")
	return send(t.client, req)
}

// cases lists the dossiers on the officer's rosters (GET /v1/cases, first
// page of up to 100).
func (t *target) cases(ctx context.Context, i int) int {
	req, _ := http.NewRequestWithContext(ctx, "GET", t.url+"/v1/cases?limit=100", nil)
	req.Header.Set("Authorization", bearer(t.pz, i))
	req.Header.Set("LIVC-Purpose", "case_conference")
	return send(t.client, req)
}

// mixed is 70% card reads, 20% submissions and 10% dossier lists.
func (t *target) mixed(ctx context.Context, i int) int {
	switch i % 10 {
	case 0, 3, 6:
		if i%10 == 0 {
			return t.cases(ctx, i/10)
		}
		return t.submit(ctx, i/3)
	default:
		return t.card(ctx, i)
	}
}

// signalPlain is the plaintext of the i-th submitted signal: a new person
// named by name and birth date, a hundred-character text and a presence.
func signalPlain(i int) []byte {
	b, _ := json.Marshal(map[string]any{
		"subject": map[string]any{"family_name": fmt.Sprintf("Submit%07d", i), "given_name": "Person",
			"birth_date": time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%20000).Format(time.DateOnly)},
		"observed_at": "2026-11-20T09:30:00Z",
		"fields": map[string]any{
			"signal_text": "a signal of about a hundred characters, as a social worker would type it in a hurry",
			"presence":    "absent", "school_absence_days": 12,
		},
	})
	return b
}

// sealSignals seals n signals to recipient on every core, as n clients
// would on their own machines.
func sealSignals(recipient string, n int) ([][]byte, error) {
	r, err := age.ParseRecipients(bytes.NewReader([]byte(recipient)))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, n)
	errs := make(chan error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += runtime.GOMAXPROCS(0) {
				var buf bytes.Buffer
				wr, err := age.Encrypt(&buf, r...)
				if err == nil {
					_, err = wr.Write(signalPlain(i))
				}
				if err == nil {
					err = wr.Close()
				}
				if err != nil {
					errs <- err
					return
				}
				out[i] = buf.Bytes()
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
		return out, nil
	}
}

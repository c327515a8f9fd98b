package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/policy"
)

// opaVersion is the OPA the broker embeds (go.mod, kept in step by
// TestOPAVersionFollowsGoMod); its server is the baseline of the card read.
const opaVersion = "v1.22.3"

// buildOPA builds OPA's own command at opaVersion into dir, through the Go
// toolchain's own module settings (the module cache, then GOPROXY, checked
// against GOSUMDB): a fresh machine lacks the modules of OPA's command-line
// packages, which the broker does not import. The broker's module lacks
// go.sum lines for them, so it is built from a scratch module that requires
// OPA at that version.
func buildOPA(dir string) (string, error) {
	mod := filepath.Join(dir, "opabuild")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module opabuild\n\ngo 1.26.0\n"), 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "opa")
	env := append(os.Environ(), "GOFLAGS=-mod=mod")
	for _, args := range [][]string{
		{"get", "github.com/open-policy-agent/opa@" + opaVersion},
		{"build", "-o", bin, "github.com/open-policy-agent/opa"},
	} {
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = mod, env
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return bin, nil
}

// opaServer is OPA's REST server with the project's decision policy and the
// demo cell's data in the shape internal/policy gives its engine.
type opaServer struct {
	*proc
	url string
}

func startOPA(dir, bin, regoFile string, cells map[string]*broker.Cell) (*opaServer, error) {
	data, err := policy.DataJSON(cells)
	if err != nil {
		return nil, err
	}
	dataFile := filepath.Join(dir, "data.json")
	if err := os.WriteFile(dataFile, data, 0o644); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := start(dir, "opa", bin, "run", "--server", "--addr", addr,
		"--log-level", "error", "--disable-telemetry", regoFile, dataFile)
	if err != nil {
		return nil, err
	}
	if err := waitTCP(addr, 20*time.Second); err != nil {
		p.stop()
		return nil, fmt.Errorf("opa: %w; see %s", err, filepath.Join(dir, "opa.log"))
	}
	return &opaServer{proc: p, url: "http://" + addr}, nil
}

// cardDecisionInput is the input the broker gives the policy on a card read
// by the police on the roster of an open dossier (broker.call.decide).
func cardDecisionInput(cell *broker.Cell) broker.DecisionInput {
	return broker.DecisionInput{
		Livc: cell.ID, Action: broker.ActionCardRead, Purpose: "case_conference",
		Actor:   broker.DecisionActor{ID: "pz", Type: broker.TypePolice, Tables: cell.TablesOf("pz")},
		Subject: &broker.SubjectScope{OpenCase: true, OnRoster: true},
	}
}

// opaDecide returns an op that asks OPA's server for data.livc.decision,
// after checking once that it gives the broker's decision (allowed, eight
// classes).
func opaDecide(ctx context.Context, c *http.Client, url string, in broker.DecisionInput) (op, error) {
	body, err := json.Marshal(map[string]any{"input": in})
	if err != nil {
		return nil, err
	}
	endpoint := url + "/v1/data/livc/decision"
	resp, err := c.Post(endpoint, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Result broker.Decision `json:"result"`
	}
	if err := json.Unmarshal(raw, &got); err != nil || !got.Result.Allow || len(got.Result.Classes) != 8 {
		return nil, fmt.Errorf("opa did not give the broker's decision (%d): %s", resp.StatusCode, raw)
	}
	return func(ctx context.Context, i int) int {
		req, _ := http.NewRequestWithContext(ctx, "POST", endpoint, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		return send(c, req)
	}, nil
}

// bareDecrypt opens env with age on every core for d and returns the
// envelopes opened per second: the ceiling of submission throughput.
func bareDecrypt(env []byte, ids []age.Identity, d time.Duration) (float64, error) {
	var n atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				r, err := age.Decrypt(bytes.NewReader(env), ids...)
				if err == nil {
					_, err = io.Copy(io.Discard, r)
				}
				if err != nil {
					firstErr.Store(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := firstErr.Load().(error); ok {
		return 0, err
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

func numCPU() int { return runtime.GOMAXPROCS(0) }

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/internal/redis/audit"
)

const demoStream = "livc:{livc:zonnedaal}:audit"

// auditLab is a broker on the demo cell with a log of known entries and a
// checkpoint the privacy officer saved.
type auditLab struct {
	t      *testing.T
	redis  *redisServer
	rc     *redis.Client
	iss    *issuerKey
	broker *brokerProc
	key    string // the checkpoint verifier key
	saved  string // path of the saved checkpoint
	data   string // the broker's --data, kept across restarts
}

func newAuditLab(t *testing.T) *auditLab {
	l := &auditLab{t: t, iss: newIssuer(t), data: t.TempDir()}
	l.redis = startRedis(t)
	l.rc = l.redis.client(t)
	l.broker = startBroker(t, l.redis.Addr, l.iss, "--data", l.data, "--rate-limit", "0", "--actor-rate-limit", "0") // these tests read the log, not the limits
	var keys struct {
		CheckpointKey string `json:"checkpoint_key"`
	}
	do(t, "GET", l.broker.URL+"/v1/keys", nil).json(t, &keys)
	l.key = keys.CheckpointKey
	return l
}

func (l *auditLab) get(actor, path string, purpose string) response {
	l.t.Helper()
	return do(l.t, "GET", l.broker.URL+path, nil,
		"Authorization", "Bearer "+l.iss.token(l.t, "zonnedaal", actor), "LIVC-Purpose", purpose)
}

// read makes one card read by the police: one entry, denied.
func (l *auditLab) read() string {
	r := l.get("pz", "/v1/subjects/s_unknown/card", "case_conference")
	if r.Status != 404 || r.Header.Get("X-Audit-Id") == "" {
		l.t.Fatalf("card read: %d %s", r.Status, r.Body)
	}
	return r.Header.Get("X-Audit-Id")
}

// checkpoint signs a fresh checkpoint (itself an entry of the log).
func (l *auditLab) checkpoint() {
	if r := l.get("dpo", "/v1/audit/checkpoint?fresh=1", "audit_review"); r.Status != 200 {
		l.t.Fatalf("checkpoint: %d %s", r.Status, r.Body)
	}
}

// livcctl runs the real client as the privacy officer.
func (l *auditLab) livcctl(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(binDir, "livcctl"), args...)
	cmd.Env = append(os.Environ(), "LIVC_BROKER="+l.broker.URL, "LIVC_TOKEN="+l.iss.token(l.t, "zonnedaal", "dpo"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if err != nil {
		return out.String() + errb.String(), err
	}
	return out.String(), nil
}

type verifyAnswer struct {
	OK      bool `json:"ok"`
	Problem *struct {
		Kind   string `json:"kind"`
		Index  int64  `json:"index"`
		Until  int64  `json:"until"`
		Detail string `json:"detail"`
	} `json:"problem"`
}

func (l *auditLab) verify() verifyAnswer {
	l.t.Helper()
	r := l.get("dpo", "/v1/audit/verify", "audit_review")
	if r.Status != 200 {
		l.t.Fatalf("verify: %d %s", r.Status, r.Body)
	}
	var v verifyAnswer
	r.json(l.t, &v)
	return v
}

// messages returns the raw stream.
func (l *auditLab) messages() []redis.XMessage {
	msgs, err := l.rc.XRange(context.Background(), demoStream, "-", "+").Result()
	must(l.t, err)
	return msgs
}

// rebuild replaces the stream with msgs, ids as given.
func (l *auditLab) rebuild(msgs []redis.XMessage) {
	ctx := context.Background()
	must(l.t, l.rc.Del(ctx, demoStream).Err())
	for _, m := range msgs {
		must(l.t, l.rc.XAdd(ctx, &redis.XAddArgs{Stream: demoStream, ID: m.ID,
			Values: []any{"entry", m.Values["entry"], "leaf", m.Values["leaf"]}}).Err())
	}
}

// setup writes 20 reads, saves a checkpoint, then interleaves reads with
// fresh checkpoints so that the kept checkpoints are dense around entry 21.
func (l *auditLab) setup() {
	for range 20 {
		l.read()
	}
	l.saved = filepath.Join(l.t.TempDir(), "checkpoint.txt")
	if out, err := l.livcctl("audit", "checkpoint", "--write", l.saved); err != nil {
		l.t.Fatalf("livcctl audit checkpoint: %v\n%s", err, out)
	}
	// Entry 20 is that checkpoint's own audit entry; the saved tree has 21.
	for range 3 {
		l.read()
		l.checkpoint()
	}
	for range 10 {
		l.read()
	}
	if v := l.verify(); !v.OK {
		l.t.Fatalf("intact log does not verify: %+v", v.Problem)
	}
	if out, err := l.livcctl("audit", "verify", "--no-progress", "--key", l.key, "--checkpoint", l.saved); err != nil {
		l.t.Fatalf("livcctl audit verify of the intact log: %v\n%s", err, out)
	}
}

func editEntry(doc string) string { return strings.Replace(doc, `"actor":"pz"`, `"actor":"ocmw"`, 1) }

// tamperFinding is a problem kind and the range its first bad entry lies in.
type tamperFinding struct {
	kind   string
	lo, hi int64
}

// TestAuditTamper tampers with a real Redis as someone with full access would
// and checks that the broker's verify and livcctl audit verify --checkpoint
// both catch it, pointing at the first bad entry.
func TestAuditTamper(t *testing.T) {
	const victim = 5 // an entry before the saved checkpoint
	for _, tc := range []struct {
		name   string
		tamper func(l *auditLab)
		kind   string
		lo, hi int64 // the first bad entry lies in [lo, hi]
		// cli, when set, is what livcctl finds instead, when the requests
		// since (each an entry) changed what there is to find.
		cli *tamperFinding
	}{
		{"edited in place by rebuilding the stream", func(l *auditLab) {
			msgs := l.messages()
			msgs[victim].Values["entry"] = editEntry(msgs[victim].Values["entry"].(string))
			l.rebuild(msgs)
		}, "leaf_mismatch", victim, victim, nil},
		{"deleted with XDEL", func(l *auditLab) {
			must(t, l.rc.XDel(context.Background(), demoStream, l.messages()[victim].ID).Err())
		}, "missing", victim, victim, nil},
		{"two swapped", func(l *auditLab) {
			msgs := l.messages()
			msgs[victim].Values, msgs[victim+1].Values = msgs[victim+1].Values, msgs[victim].Values
			l.rebuild(msgs)
		}, "missing", victim, victim, nil},
		{"tail truncated", func(l *auditLab) {
			// Stream, tree and head cut alike, so that the log still takes
			// entries (verify's own): only the checkpoints show it.
			msgs := l.messages()
			l.rebuild(msgs[:15])
			ctx := context.Background()
			tile, err := l.rc.GetRange(ctx, demoStream+":tile:0:0", 0, 15*tlog.HashSize-1).Result()
			must(t, err)
			must(t, l.rc.Set(ctx, demoStream+":tile:0:0", tile, 0).Err())
			must(t, l.rc.HSet(ctx, demoStream+":head", "n", 15, "leaf", msgs[14].Values["leaf"]).Err())
		}, "truncated", 15, 16, // 15, or 16 with verify's own entry
			&tamperFinding{"checkpoint_mismatch", 0, 21}}, // livcctl's requests took the log past 21 again
		{"rebuilt with recomputed hashes", func(l *auditLab) {
			// Entry 21 lies between the checkpoints of sizes 21 and 23.
			rebuildWithHashes(t, l, 21)
		}, "checkpoint_mismatch", 21, 22, nil},
		{"forged checkpoint", func(l *auditLab) {
			forgeCheckpoint(t, l)
		}, "bad_checkpoint", -1, 1 << 40, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newAuditLab(t)
			l.setup()
			tc.tamper(l)
			check := func(who string, kind string, index, until int64) {
				t.Helper()
				wantKind, lo, hi := tc.kind, tc.lo, tc.hi
				if tc.cli != nil && strings.HasPrefix(who, "livcctl") {
					wantKind, lo, hi = tc.cli.kind, tc.cli.lo, tc.cli.hi
				}
				if kind != wantKind {
					t.Errorf("%s: kind %q, want %q", who, kind, wantKind)
				}
				if index < lo || index > hi || (until > 0 && until-1 > hi+1) {
					t.Errorf("%s: first bad entry %d (until %d), want in [%d, %d]", who, index, until, lo, hi)
				}
			}
			v := l.verify()
			if v.OK || v.Problem == nil {
				t.Fatalf("broker verify: ok after tampering")
			}
			check("broker verify", v.Problem.Kind, v.Problem.Index, v.Problem.Until)
			out, err := l.livcctl("audit", "verify", "--no-progress", "--key", l.key, "--checkpoint", l.saved)
			if err == nil {
				t.Fatalf("livcctl audit verify --checkpoint: ok after tampering:\n%s", out)
			}
			var a verifyAnswer
			if json.Unmarshal([]byte(strings.SplitN(out, "\n", 2)[0]), &a) != nil || a.Problem == nil {
				t.Fatalf("livcctl audit verify output: %s", out)
			}
			check("livcctl verify --checkpoint", a.Problem.Kind, a.Problem.Index, a.Problem.Until)
		})
	}
	t.Run("saved checkpoint forged with another key", func(t *testing.T) {
		l := newAuditLab(t)
		l.setup()
		forged := filepath.Join(t.TempDir(), "forged.txt")
		must(t, os.WriteFile(forged, signWithOtherKey(t, "livc-broker/audit/zonnedaal\n21\n"+strings.Repeat("A", 43)+"=\n"), 0o644))
		out, err := l.livcctl("audit", "verify", "--no-progress", "--key", l.key, "--checkpoint", forged)
		if err == nil || !strings.Contains(out, "bad_checkpoint") {
			t.Fatalf("forged saved checkpoint accepted: %v\n%s", err, out)
		}
	})
}

// TestAuditStoredHashTamper changes one stored tree hash (the entries
// intact): the broker's verify names the entry it belongs to.
func TestAuditStoredHashTamper(t *testing.T) {
	l := newAuditLab(t)
	l.setup()
	const victim = 9
	ctx := context.Background()
	must(t, l.rc.SetRange(ctx, demoStream+":tile:0:0", victim*tlog.HashSize, "tampered").Err())
	v := l.verify()
	if v.OK || v.Problem == nil || v.Problem.Kind != "stored_hash_mismatch" || v.Problem.Index != victim {
		t.Fatalf("verify after a stored hash was changed: %+v", v.Problem)
	}
}

func signWithOtherKey(t *testing.T, text string) []byte {
	skey, _, err := note.GenerateKey(rand.Reader, "livc-broker")
	must(t, err)
	s, err := note.NewSigner(skey)
	must(t, err)
	msg, err := note.Sign(&note.Note{Text: text}, s)
	must(t, err)
	return msg
}

// rebuildWithHashes edits entry k and recomputes every leaf hash, the tree
// and the head, as only someone without the signing key would stop at.
func rebuildWithHashes(t *testing.T, l *auditLab, k int) {
	msgs := l.messages()
	msgs[k].Values["entry"] = editEntry(msgs[k].Values["entry"].(string))
	rebuildHashed(t, l, msgs)
}

// rebuildHashed replaces the log with msgs, every hash recomputed.
func rebuildHashed(t *testing.T, l *auditLab, msgs []redis.XMessage) {
	var hashes []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	var leaf string
	for i, m := range msgs {
		doc := []byte(m.Values["entry"].(string))
		h := tlog.RecordHash(doc)
		leaf = fmt.Sprintf("%x", h[:])
		m.Values["leaf"] = leaf
		hs, err := tlog.StoredHashes(int64(i), doc, r)
		must(t, err)
		hashes = append(hashes, hs...)
	}
	l.rebuild(msgs)
	ctx := context.Background()
	keys, err := l.rc.Keys(ctx, demoStream+":tile:*").Result()
	must(t, err)
	must(t, l.rc.Del(ctx, keys...).Err())
	must(t, audit.WriteTiles(ctx, l.rc, demoStream, r, int64(len(msgs))))
	must(t, l.rc.HSet(ctx, demoStream+":head", "n", len(msgs), "leaf", leaf).Err())
}

// forgeCheckpoint pushes a checkpoint of the current log signed with
// another key.
func forgeCheckpoint(t *testing.T, l *auditLab) {
	ctx := context.Background()
	n, err := l.rc.HGet(ctx, demoStream+":head", "n").Int64()
	must(t, err)
	text := fmt.Sprintf("livc-broker/audit/zonnedaal\n%d\n%s=\n", n+100, strings.Repeat("B", 43))
	must(t, l.rc.RPush(ctx, demoStream+":checkpoints", signWithOtherKey(t, text)).Err())
}

// TestAuditTamperRestart rebuilds the log with recomputed hashes, deletes
// its checkpoints (and the head's record of them) and restarts the broker,
// which thus remembers nothing in Redis or in memory: the checkpoint it
// recorded in its key directory still stops it from signing the rebuilt log,
// and its verify says so.
func TestAuditTamperRestart(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(l *auditLab)
		kind   string // "" for a log that verifies
	}{
		{"intact", func(*auditLab) {}, ""},
		{"an entry edited", func(l *auditLab) { rebuildWithHashes(t, l, 5) }, "witness_mismatch"},
		{"tail truncated", func(l *auditLab) { rebuildHashed(t, l, l.messages()[:15]) }, "witness_mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newAuditLab(t)
			l.setup()
			l.broker.stop(t) // no checkpoint signed while the log is rebuilt
			tc.tamper(l)
			if tc.kind != "" {
				ctx := context.Background()
				must(t, l.rc.Del(ctx, demoStream+":checkpoints").Err())
				must(t, l.rc.HDel(ctx, demoStream+":head", "cp").Err())
			}
			l.broker = startBroker(t, l.redis.Addr, l.iss, "--data", l.data)
			v := l.verify()
			switch {
			case tc.kind == "" && !v.OK:
				t.Fatalf("intact log after a restart: %+v", v.Problem)
			case tc.kind != "" && (v.OK || v.Problem == nil || v.Problem.Kind != tc.kind):
				t.Fatalf("rebuilt log after a restart: ok %v, problem %+v; want %s", v.OK, v.Problem, tc.kind)
			case tc.kind != "" && !eventually(func() bool { return strings.Contains(l.broker.logs.String(), "audit_log_rebuilt") }):
				t.Fatalf("no alert in the broker's log")
			}
		})
	}
}

// eventually polls cond for up to two seconds (the broker's log reaches the
// test through a pipe).
func eventually(cond func() bool) bool {
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if cond() || time.Now().After(deadline) {
			return cond()
		}
	}
}

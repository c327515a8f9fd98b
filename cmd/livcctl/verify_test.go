package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"
)

// offlineLog is a log built here as the broker builds it: canonical entries,
// tlog stored hashes, checkpoints signed with a note key.
type offlineLog struct {
	t       *testing.T
	signer  note.Signer
	vkey    string
	entries [][]byte
	hashes  []tlog.Hash
}

func newOfflineLog(t *testing.T, n int) *offlineLog {
	skey, vkey, err := note.GenerateKey(rand.Reader, "livc-broker")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	l := &offlineLog{t: t, signer: s, vkey: vkey}
	for i := range n {
		l.add(fmt.Appendf(nil, `{"id":"aud_%d","livc":"zonnedaal","actor":"pz","action":"card.read","index":%d}`, i, i))
	}
	return l
}

func (l *offlineLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = l.hashes[x]
	}
	return out, nil
}

func (l *offlineLog) add(doc []byte) {
	hs, err := tlog.StoredHashes(int64(len(l.entries)), doc, l)
	if err != nil {
		l.t.Fatal(err)
	}
	l.entries = append(l.entries, doc)
	l.hashes = append(l.hashes, hs...)
}

// checkpoint signs the tree of the first size entries.
func (l *offlineLog) checkpoint(size int64, s note.Signer) []byte {
	h, err := tlog.TreeHash(size, l)
	if err != nil {
		l.t.Fatal(err)
	}
	msg, err := auditlog.Sign(auditlog.Checkpoint{Origin: auditlog.Origin("zonnedaal"), Size: size, Hash: h}, s)
	if err != nil {
		l.t.Fatal(err)
	}
	return msg
}

// export writes the log as livcctl audit export does: the checkpoint line,
// then each entry with its proof.
func (l *offlineLog) export() []string {
	size := int64(len(l.entries))
	head, _ := json.Marshal(map[string]string{"checkpoint": string(l.checkpoint(size, l.signer))})
	lines := []string{string(head)}
	for i, doc := range l.entries {
		p, err := tlog.ProveRecord(size, int64(i), l)
		if err != nil {
			l.t.Fatal(err)
		}
		leaf := auditlog.LeafHash(doc)
		line, _ := json.Marshal(broker.ExportedEntry{Index: int64(i), Entry: doc,
			LeafHash: fmt.Sprintf("%x", leaf[:]), Proof: auditlog.EncodeProof(p)})
		lines = append(lines, string(line))
	}
	return lines
}

func otherSigner(t *testing.T) note.Signer {
	skey, _, err := note.GenerateKey(rand.Reader, "livc-broker")
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func editLine(t *testing.T, line string, recomputeLeaf bool) string {
	var it broker.ExportedEntry
	if err := json.Unmarshal([]byte(line), &it); err != nil {
		t.Fatal(err)
	}
	it.Entry = []byte(strings.Replace(string(it.Entry), `"actor":"pz"`, `"actor":"ocmw"`, 1))
	if recomputeLeaf {
		h := auditlog.LeafHash(it.Entry)
		it.LeafHash = fmt.Sprintf("%x", h[:])
	}
	b, _ := json.Marshal(it)
	return string(b)
}

// TestVerifyOfflineExport runs livcctl audit verify --log --checkpoint with
// only the verifier key, no broker, against an exported log, intact and
// tampered, and checks it names the first bad entry.
func TestVerifyOfflineExport(t *testing.T) {
	const n, savedAt, victim = 40, 20, 7
	t.Setenv("LIVC_BROKER", "http://127.0.0.1:1") // nothing listens: offline
	t.Setenv("LIVC_TOKEN", "")
	t.Setenv("LIVC_CHECKPOINT_KEY", "")
	for _, tc := range []struct {
		name   string
		edit   func(l *offlineLog, lines []string) []string
		saved  func(l *offlineLog) []byte // default: size savedAt, the right key
		kind   string                     // "" for ok
		index  int64
		exitOK int
	}{
		{name: "intact", edit: func(_ *offlineLog, ls []string) []string { return ls }},
		{name: "entry edited", kind: auditlog.ProblemLeaf, index: victim, exitOK: 1,
			edit: func(_ *offlineLog, ls []string) []string { ls[1+victim] = editLine(t, ls[1+victim], false); return ls }},
		{name: "entry edited, leaf hash recomputed", kind: auditlog.ProblemTree, index: victim, exitOK: 1,
			edit: func(_ *offlineLog, ls []string) []string { ls[1+victim] = editLine(t, ls[1+victim], true); return ls }},
		{name: "entry deleted", kind: auditlog.ProblemMissing, index: victim, exitOK: 1,
			edit: func(_ *offlineLog, ls []string) []string { return append(ls[:1+victim], ls[2+victim:]...) }},
		{name: "two swapped", kind: auditlog.ProblemMissing, index: victim, exitOK: 1,
			edit: func(_ *offlineLog, ls []string) []string {
				ls[1+victim], ls[2+victim] = ls[2+victim], ls[1+victim]
				return ls
			}},
		{name: "entry added past the checkpoint, leaf hash recomputed", kind: auditlog.ProblemUnproven, index: n, exitOK: 1,
			edit: func(_ *offlineLog, ls []string) []string {
				doc := fmt.Appendf(nil, `{"id":"aud_x","livc":"zonnedaal","actor":"ocmw","action":"card.read","index":%d}`, n)
				leaf := auditlog.LeafHash(doc)
				line, _ := json.Marshal(broker.ExportedEntry{Index: n, Entry: doc, LeafHash: fmt.Sprintf("%x", leaf[:])})
				return append(ls, string(line))
			}},
		{name: "tail cut", kind: auditlog.ProblemTruncated, index: 30, exitOK: 1,
			edit: func(_ *offlineLog, ls []string) []string { return ls[:1+30] }},
		{name: "whole log rebuilt and signed with another key", kind: auditlog.ProblemSignature, index: -1, exitOK: 1,
			edit: func(l *offlineLog, ls []string) []string {
				l.signer = otherSigner(t)
				return l.export()
			}},
		{name: "saved checkpoint forged", kind: auditlog.ProblemSignature, index: -1, exitOK: 1,
			edit:  func(_ *offlineLog, ls []string) []string { return ls },
			saved: func(l *offlineLog) []byte { return l.checkpoint(savedAt, otherSigner(t)) }},
		{name: "saved checkpoint of another history", kind: auditlog.ProblemTree, index: 0, exitOK: 1,
			edit: func(_ *offlineLog, ls []string) []string { return ls },
			saved: func(l *offlineLog) []byte {
				fork := newOfflineLog(t, 0)
				fork.signer, fork.vkey = l.signer, l.vkey
				for i, doc := range l.entries[:savedAt] {
					if i == 3 {
						doc = []byte(strings.Replace(string(doc), `"pz"`, `"vsse"`, 1))
					}
					fork.add(doc)
				}
				return fork.checkpoint(savedAt, l.signer)
			}},
		{name: "log shorter than the saved checkpoint", kind: auditlog.ProblemTruncated, index: 15, exitOK: 1,
			edit: func(l *offlineLog, _ []string) []string {
				short := &offlineLog{t: t, signer: l.signer, vkey: l.vkey}
				for _, doc := range l.entries[:15] {
					short.add(doc)
				}
				return short.export()
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newOfflineLog(t, n)
			dir := t.TempDir()
			savedNote := l.checkpoint(savedAt, l.signer)
			if tc.saved != nil {
				savedNote = tc.saved(l)
			}
			saved, logf := filepath.Join(dir, "checkpoint.txt"), filepath.Join(dir, "log.jsonl")
			must := func(err error) {
				if err != nil {
					t.Fatal(err)
				}
			}
			must(os.WriteFile(saved, savedNote, 0o644))
			must(os.WriteFile(logf, []byte(strings.Join(tc.edit(l, l.export()), "\n")+"\n"), 0o644))
			code, out, errs := run(t, "audit", "verify", "--no-progress", "--key", l.vkey, "--checkpoint", saved, "--log", logf)
			if code != tc.exitOK {
				t.Fatalf("exit %d, want %d\nout %s\nerr %s", code, tc.exitOK, out, errs)
			}
			var v struct {
				OK      bool              `json:"ok"`
				Extends int64             `json:"extends"`
				Size    int64             `json:"size"`
				Problem *auditlog.Problem `json:"problem"`
			}
			if tc.kind == auditlog.ProblemSignature && out == "" {
				if !strings.Contains(errs, auditlog.ProblemSignature) {
					t.Fatalf("stderr %s, want %s", errs, auditlog.ProblemSignature)
				}
				return
			}
			if err := json.Unmarshal([]byte(out), &v); err != nil {
				t.Fatalf("output %q: %v (stderr %s)", out, err, errs)
			}
			switch {
			case tc.kind == "" && (!v.OK || v.Size != n || v.Extends != savedAt):
				t.Fatalf("intact export: %s", out)
			case tc.kind != "" && (v.OK || v.Problem == nil || v.Problem.Kind != tc.kind || v.Problem.Index != tc.index):
				t.Fatalf("got %s, want %s at %d", out, tc.kind, tc.index)
			}
		})
	}
	t.Run("needs the key", func(t *testing.T) {
		if code, _, errs := run(t, "audit", "verify", "--log", "x.jsonl"); code != 2 || !strings.Contains(errs, "key") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
	t.Run("refuses a partial export", func(t *testing.T) {
		l := newOfflineLog(t, 10)
		lines := l.export()
		logf := filepath.Join(t.TempDir(), "log.jsonl")
		if err := os.WriteFile(logf, []byte(lines[0]+"\n"+strings.Join(lines[4:], "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, _, errs := run(t, "audit", "verify", "--key", l.vkey, "--log", logf); code != 1 || !strings.Contains(errs, "whole log") {
			t.Fatalf("exit %d: %s", code, errs)
		}
	})
}

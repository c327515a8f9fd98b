package browser

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/livc/livc-broker/broker/auditlog"
)

// vectorsFile holds the test vectors of the browser's audit verifier, made
// by the Go code the broker signs and proves with (TestVerifyVectors writes
// them with LIVC_UPDATE_VECTORS=1 and otherwise checks they are still what
// Go makes).
const vectorsFile = "testdata/auditverify-vectors.json"

// vectorLog is a log the vectors are made of: its entries, its hashes, and
// the checkpoints signed for it.
type vectorLog struct {
	Entries    []string          `json:"entries"`     // base64 of each entry's bytes
	LeafHashes []string          `json:"leaf_hashes"` // hex
	Roots      map[string]string `json:"roots"`       // size → base64 root
	Notes      map[string]string `json:"notes"`       // size → signed checkpoint
}

type consistencyVector struct {
	Name       string   `json:"name"`
	First      int64    `json:"first"`
	Second     int64    `json:"second"`
	FirstRoot  string   `json:"first_root"`
	SecondRoot string   `json:"second_root"`
	Proof      []string `json:"proof"`
	OK         bool     `json:"ok"`
}

// verifyVectors is the vectors file.
type verifyVectors struct {
	Origin   string    `json:"origin"`
	Key      string    `json:"key"`       // the log's verifier key
	OtherKey string    `json:"other_key"` // another key of the same name
	Log      vectorLog `json:"log"`
	// Fork is another log of the same size whose entry 2 differs, its
	// checkpoints signed with the right key: it does not extend Log's.
	Fork vectorLog `json:"fork"`
	// ForkProof is the fork's consistency proof from size 5 to its end.
	ForkProof    []string            `json:"fork_proof"`
	BadSignature string              `json:"bad_signature"` // Log's last note, one signature byte changed
	OtherSigned  string              `json:"other_signed"`  // Log's last checkpoint signed by OtherKey
	Consistency  []consistencyVector `json:"consistency"`
	LogProofs    map[string][]string `json:"log_proofs"` // "m" → proof from m to the last size
}

// deterministic is a reader of fixed bytes, for keys that are the same at
// every run (Ed25519 signatures are deterministic too).
type deterministic byte

func (d deterministic) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(d) + byte(i)
	}
	return len(p), nil
}

const vectorSize = 13

func vectorEntries(fork bool) [][]byte {
	out := make([][]byte, vectorSize)
	for i := range out {
		reason := "gelezen"
		if fork && i == 2 {
			reason = "herschreven"
		}
		// Bytes that a re-encoding of the JSON would change: a raw "é",
		// an escaped "<", a slash.
		out[i] = fmt.Appendf(nil, `{"id":"aud_%026d","action":"card.read","reason":"%s é \u003c/","index":%d}`, i, reason, i)
	}
	return out
}

// hashStore is a tlog.HashReader over the stored hashes of a log.
type hashStore []tlog.Hash

func (s hashStore) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = s[x]
	}
	return out, nil
}

func buildVectorLog(t *testing.T, entries [][]byte, signer note.Signer, origin string) (vectorLog, hashStore) {
	t.Helper()
	var st hashStore
	l := vectorLog{Roots: map[string]string{}, Notes: map[string]string{}}
	for i, e := range entries {
		hs, err := tlog.StoredHashes(int64(i), e, st)
		if err != nil {
			t.Fatal(err)
		}
		st = append(st, hs...)
		leaf := tlog.RecordHash(e)
		l.Entries = append(l.Entries, base64.StdEncoding.EncodeToString(e))
		l.LeafHashes = append(l.LeafHashes, hex.EncodeToString(leaf[:]))
		n := int64(i + 1)
		root, err := tlog.TreeHash(n, st)
		if err != nil {
			t.Fatal(err)
		}
		l.Roots[fmt.Sprint(n)] = base64.StdEncoding.EncodeToString(root[:])
		if n == 5 || n == vectorSize {
			signed, err := auditlog.Sign(auditlog.Checkpoint{Origin: origin, Size: n, Hash: root}, signer)
			if err != nil {
				t.Fatal(err)
			}
			l.Notes[fmt.Sprint(n)] = string(signed)
		}
	}
	return l, st
}

func makeVectors(t *testing.T) verifyVectors {
	t.Helper()
	origin := auditlog.Origin("zonnedaal")
	skey, vkey, err := note.GenerateKey(deterministic(1), "livc-broker")
	must(t, err)
	oskey, ovkey, err := note.GenerateKey(deterministic(101), "livc-broker")
	must(t, err)
	signer, err := note.NewSigner(skey)
	must(t, err)
	other, err := note.NewSigner(oskey)
	must(t, err)
	v := verifyVectors{Origin: origin, Key: vkey, OtherKey: ovkey, LogProofs: map[string][]string{}}
	var st hashStore
	v.Log, st = buildVectorLog(t, vectorEntries(false), signer, origin)
	var fst hashStore
	v.Fork, fst = buildVectorLog(t, vectorEntries(true), signer, origin)
	fp, err := tlog.ProveTree(vectorSize, 5, fst)
	must(t, err)
	v.ForkProof = auditlog.EncodeProof(fp)

	last := v.Log.Notes[fmt.Sprint(vectorSize)]
	bad := []byte(last)
	i := bytes.LastIndexByte(bad, ' ') + 10 // inside the signature, past the key hash
	bad[i] ^= 'A' ^ 'B'
	if bad[i] == '\n' || bad[i] == '=' {
		t.Fatal("the changed byte is not a signature's")
	}
	v.BadSignature = string(bad)
	cp, err := auditlog.Open([]byte(last), vkey, origin)
	must(t, err)
	osig, err := auditlog.Sign(cp, other)
	must(t, err)
	v.OtherSigned = string(osig)

	for _, m := range []int64{1, 2, 3, 4, 5, 7, 8, 12, 13} {
		p, err := tlog.ProveTree(vectorSize, m, st)
		must(t, err)
		v.LogProofs[fmt.Sprint(m)] = auditlog.EncodeProof(p)
	}
	v.Consistency = consistencyVectors(t, st, v.Log.Roots)
	return v
}

// consistencyVectors are proofs between sizes of the log, each checked by
// tlog.CheckTree as Go's verdict, valid ones and altered ones.
func consistencyVectors(t *testing.T, st hashStore, roots map[string]string) []consistencyVector {
	t.Helper()
	var out []consistencyVector
	add := func(name string, m, n int64, proof []tlog.Hash, rootM, rootN string) {
		r1, _ := base64.StdEncoding.DecodeString(rootM)
		r2, _ := base64.StdEncoding.DecodeString(rootN)
		var h1, h2 tlog.Hash
		copy(h1[:], r1)
		copy(h2[:], r2)
		ok := tlog.CheckTree(proof, n, h2, m, h1) == nil
		out = append(out, consistencyVector{name, m, n, rootM, rootN, auditlog.EncodeProof(proof), ok})
	}
	for _, pair := range [][2]int64{{1, 2}, {1, 13}, {2, 13}, {3, 7}, {4, 8}, {4, 13}, {5, 13}, {6, 12}, {7, 8}, {8, 13}, {12, 13}, {13, 13}} {
		m, n := pair[0], pair[1]
		p, err := tlog.ProveTree(n, m, st)
		must(t, err)
		rm, rn := roots[fmt.Sprint(m)], roots[fmt.Sprint(n)]
		add(fmt.Sprintf("%d to %d", m, n), m, n, p, rm, rn)
		if len(p) > 0 {
			altered := append([]tlog.Hash(nil), p...)
			altered[len(altered)/2][0] ^= 1
			add(fmt.Sprintf("%d to %d, a proof hash changed", m, n), m, n, altered, rm, rn)
			add(fmt.Sprintf("%d to %d, one hash short", m, n), m, n, p[:len(p)-1], rm, rn)
		}
		if m != n {
			add(fmt.Sprintf("%d to %d, the first root of another size", m, n), m, n, p, roots[fmt.Sprint(m+1)], rn)
		}
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestVerifyVectors: the vectors file is what Go makes today (rewritten
// with LIVC_UPDATE_VECTORS=1), and Go's own verdicts hold in it: each
// consistency vector's ok is tlog.CheckTree's, every valid one verifies,
// and the fork's checkpoint does not extend the log's.
func TestVerifyVectors(t *testing.T) {
	v := makeVectors(t)
	got, err := json.MarshalIndent(v, "", " ")
	must(t, err)
	got = append(got, '\n')
	path := filepath.FromSlash(vectorsFile)
	if os.Getenv("LIVC_UPDATE_VECTORS") == "1" {
		must(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	must(t, err)
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is not what Go makes today: run LIVC_UPDATE_VECTORS=1 go test ./test/browser -run TestVerifyVectors", vectorsFile)
	}
	valid, invalid := 0, 0
	for _, c := range v.Consistency {
		if c.OK {
			valid++
		} else {
			invalid++
		}
	}
	if valid < 12 || invalid < 12 {
		t.Errorf("%d valid and %d invalid consistency vectors: too few of one kind", valid, invalid)
	}
	if _, err := auditlog.Open([]byte(v.BadSignature), v.Key, v.Origin); err == nil {
		t.Error("the bad signature verifies in Go")
	}
	if _, err := auditlog.Open([]byte(v.OtherSigned), v.Key, v.Origin); err == nil {
		t.Error("the other key's note verifies with the log's key in Go")
	}
	fork, err := auditlog.Open([]byte(v.Fork.Notes[fmt.Sprint(vectorSize)]), v.Key, v.Origin)
	must(t, err)
	saved, err := auditlog.Open([]byte(v.Log.Notes["5"]), v.Key, v.Origin)
	must(t, err)
	fp, err := auditlog.DecodeProof(v.ForkProof)
	must(t, err)
	if tlog.CheckTree(fp, fork.Size, fork.Hash, saved.Size, saved.Hash) == nil {
		t.Error("the fork extends the log's checkpoint of size 5 in Go")
	}
	h := sha256.Sum256(append([]byte{0}, vectorEntries(false)[0]...))
	if hex.EncodeToString(h[:]) != v.Log.LeafHashes[0] {
		t.Error("leaf 0 is not SHA-256(0x00 || entry)")
	}
}

package e2e

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/livc/livc-broker/keys"
)

// cardLoad is a few clients reading cards through several brokers at once,
// each read checked: 200 and the card of the person asked for.
type cardLoad struct {
	mu      sync.Mutex
	people  []*person
	stop    chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
	reads   map[string]int // by broker URL
	after   map[string]int // reads sent after markRotated, by broker URL
	rotated bool
	bad     []string // what went wrong, at most a few
	nbad    int
}

// Bounds of the load: it never runs longer or reads more than this, whatever
// the test does.
const (
	loadClients  = 4
	loadMaxReads = 10000 // per client
	loadMaxTime  = 40 * time.Second
)

// startCardLoad starts loadClients clients, each reading the cards of
// people in turn, through each broker in turn, as ocmw (their submitter).
func startCardLoad(t *testing.T, brokers []*brokerProc, iss *issuerKey, livc string, people []*person) *cardLoad {
	l := &cardLoad{people: people, stop: make(chan struct{}), reads: map[string]int{}, after: map[string]int{}}
	deadline := time.Now().Add(loadMaxTime)
	for c := range loadClients {
		token := iss.token(t, livc, "ocmw") // minted here: t.Fatal is for this goroutine only
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			client := &http.Client{Timeout: 10 * time.Second}
			for i := range loadMaxReads {
				select {
				case <-l.stop:
					return
				default:
				}
				if time.Now().After(deadline) {
					return
				}
				b := brokers[(c+i)%len(brokers)]
				l.readOne(client, b.URL, token, c+i)
			}
		}()
	}
	return l
}

// readOne reads the card of the n-th person (modulo) through url and
// records what came back.
func (l *cardLoad) readOne(client *http.Client, url, token string, n int) {
	l.mu.Lock()
	p := l.people[n%len(l.people)]
	after := l.rotated
	l.mu.Unlock()
	req, _ := http.NewRequest("GET", url+"/v1/subjects/"+p.ref+"/card", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("LIVC-Purpose", "case_conference")
	status, body := 0, ""
	resp, err := client.Do(req)
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		status, body = resp.StatusCode, string(b)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.reads[url]++
	if after {
		l.after[url]++
	}
	if err != nil || status != 200 || !strings.Contains(body, p.text) || !strings.Contains(body, p.ref) {
		l.nbad++
		if len(l.bad) < 5 {
			l.bad = append(l.bad, fmt.Sprintf("%s card of %s: %d %v %.200s", url, p.ref, status, err, body))
		}
	}
}

// add puts people into the rotation of every client.
func (l *cardLoad) add(ps ...*person) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.people = append(l.people, ps...)
}

func (l *cardLoad) markRotated() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rotated = true
}

// finish stops the clients and waits for them; it may be called again.
func (l *cardLoad) finish() {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// check fails t if any read failed so far, or if fewer than a few reads
// went through each broker since the rotation.
func (l *cardLoad) check(t *testing.T, brokers []*brokerProc) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	total := 0
	for _, n := range l.reads {
		total += n
	}
	if l.nbad > 0 {
		t.Fatalf("%d of %d card reads failed, e.g.:\n%s", l.nbad, total, strings.Join(l.bad, "\n"))
	}
	for _, b := range brokers {
		if l.after[b.URL] < 10 {
			t.Fatalf("only %d reads through %s after the rotation (%d in all): the load did not overlap it", l.after[b.URL], b.URL, l.reads[b.URL])
		}
	}
}

// TestRotationUnderLoad: two brokers on one Redis and one key directory,
// with the default --key-check (so neither adopts the new keys on its
// schedule during the test), serve card reads through both while `keys
// rotate` re-wraps every data key under a new KEK and rotates the age
// identities; then new signals, sealed to the new recipient, are submitted
// through one broker (their data keys wrapped under the new KEK) and read
// through another, the first through a third broker that served nothing
// since the rotation (it must open the envelope with the new identity and
// wrap the data key under the new KEK, not the one it loaded). Every read and submission must succeed: no 5xx, no
// refusal, every card its own person's.
func TestRotationUnderLoad(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	data := t.TempDir()
	args := []string{"--config", examplePath, "--data", data, "--rate-limit", "0", "--actor-rate-limit", "0"}
	brokers := []*brokerProc{startBroker(t, rs.Addr, iss, args...), startBroker(t, rs.Addr, iss, args...)}
	idle := startBroker(t, rs.Addr, iss, args...) // no load: it meets the new keys first in a submission
	old := recipientsOf(t, brokers[0])
	var people []*person
	for i := range 8 {
		people = append(people, &person{nn: validNN("760202", 20+i), family: fmt.Sprintf("Zzload%d", i), text: fmt.Sprintf("SECRET-load-%d", i)})
	}
	submitPeople(t, brokers[0], iss, m.Livc, old[1], people)

	load := startCardLoad(t, brokers, iss, m.Livc, people)
	defer load.finish()
	time.Sleep(500 * time.Millisecond) // reads of the old data keys first
	keyArgs := []string{"--redis-url", "redis://" + rs.Addr + "/0", "--data", data, "--config", examplePath}
	out := runBroker(t, append([]string{"keys", "rotate", "--grace", "1h"}, keyArgs...)...)
	load.markRotated()
	if !strings.Contains(out, "8 changed") {
		t.Fatalf("rotate did not re-wrap the 8 data keys:\n%s", out)
	}
	time.Sleep(500 * time.Millisecond) // reads of the re-wrapped data keys through both brokers
	load.check(t, brokers)

	kr, err := keys.Load(filepath.Join(data, "keys"))
	must(t, err)
	recipient := kr.Recipients()[1] // as a client learns it from a broker that has the new keys
	for i := range 4 {
		p := &person{nn: validNN("760202", 40+i), family: fmt.Sprintf("Zzfresh%d", i), text: fmt.Sprintf("SECRET-fresh-%d", i)}
		via, other := brokers[i%2], brokers[(i+1)%2]
		if i == 0 {
			via = idle
		}
		submitPeople(t, via, iss, m.Livc, recipient, []*person{p})
		if r := readBack(t, other, iss, m.Livc, p); r.Status != 200 {
			t.Fatalf("fresh card of %s through the other broker: %d %s", p.ref, r.Status, r.Body)
		}
		load.add(p)
	}
	if n := dataKeysUnder(t, keyArgs, kr.CurrentKEK()); n != 12 {
		t.Fatalf("%d data keys under the new KEK %s, want all 12", n, kr.CurrentKEK())
	}
	time.Sleep(time.Second) // reads of every data key, old and fresh, through both brokers
	load.finish()

	load.check(t, brokers)
	t.Logf("reads %v, of them after the rotation %v", load.reads, load.after)
}

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/internal/redis/store"
	"github.com/livc/livc-broker/keys"
	"github.com/redis/go-redis/v9"
)

// person is one submitted signal and what the test knows of it.
type person struct {
	nn, family, text, ref string
}

// submitPeople submits one signal per person as ocmw, to recipient.
func submitPeople(t *testing.T, b *brokerProc, iss *issuerKey, livc, recipient string, ps []*person) {
	t.Helper()
	for _, p := range ps {
		r := do(t, "POST", b.URL+"/v1/signals", ageEncrypt(t, recipient, signalJSON(p.nn, p.family, p.text), false),
			"Authorization", "Bearer "+iss.token(t, livc, "ocmw"), "LIVC-Purpose", "signal", "Content-Type", "application/age")
		if r.Status != 201 {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		p.ref = refOf(t, b.URL, iss.token(t, livc, "preventie"), jsonField(t, r.Body, "id"))
	}
}

// readBack reads the person's card as ocmw, its submitter, and checks the
// signal text.
func readBack(t *testing.T, b *brokerProc, iss *issuerKey, livc string, p *person) response {
	t.Helper()
	r := do(t, "GET", b.URL+"/v1/subjects/"+p.ref+"/card", nil,
		"Authorization", "Bearer "+iss.token(t, livc, "ocmw"), "LIVC-Purpose", "case_conference")
	if r.Status == 200 && !strings.Contains(string(r.Body), p.text) {
		t.Fatalf("card of %s without its text: %s", p.ref, r.Body)
	}
	return r
}

func recipientsOf(t *testing.T, b *brokerProc) []string {
	var k struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &k)
	return k.Recipients
}

// auditHas reports whether the audit log holds an entry of action.
func auditHas(t *testing.T, b *brokerProc, iss *issuerKey, livc, action, decision string) bool {
	r := do(t, "GET", b.URL+"/v1/audit?action="+action+"&decision="+decision, nil,
		"Authorization", "Bearer "+iss.token(t, livc, "dpo"), "LIVC-Purpose", "audit_review")
	var page struct{ Items []struct{ ID string } }
	r.json(t, &page)
	return len(page.Items) > 0
}

// TestKeyRotation: submit, rotate, delete the old KEK from disk, restart,
// read everything back; signals to the old recipients are still accepted in
// the grace period; an interrupted rotation resumes from Redis.
func TestKeyRotation(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	data := t.TempDir()
	args := []string{"--config", examplePath, "--data", data, "--key-check", "200ms"}
	b := startBroker(t, rs.Addr, iss, args...)
	old := recipientsOf(t, b)
	people := []*person{
		{nn: validNN("750101", 11), family: "Zzrot1", text: "SECRET-rot-1"},
		{nn: validNN("750101", 12), family: "Zzrot2", text: "SECRET-rot-2"},
		{nn: validNN("750101", 13), family: "Zzrot3", text: "SECRET-rot-3"},
	}
	submitPeople(t, b, iss, m.Livc, old[1], people)
	inFlight := &person{nn: validNN("750101", 14), family: "Zzrot4", text: "SECRET-rot-4"}
	inFlightBody := ageEncrypt(t, old[1], signalJSON(inFlight.nn, inFlight.family, inFlight.text), false)
	redisURL := "redis://" + rs.Addr + "/0"
	keyArgs := []string{"--redis-url", redisURL, "--data", data, "--config", examplePath}

	out := runBroker(t, append([]string{"keys", "rotate", "--grace", "1h"}, keyArgs...)...)
	if !strings.Contains(out, "3 changed") {
		t.Fatalf("rotate did not re-wrap the 3 data keys:\n%s", out)
	}
	kr, err := keys.Load(filepath.Join(data, "keys"))
	must(t, err)
	status := runBroker(t, append([]string{"keys", "status"}, keyArgs...)...)
	if !strings.Contains(status, "format 2, KEK "+kr.CurrentKEK()+", epoch 1: 3") || strings.Count(status, "data keys ") != 1 {
		t.Fatalf("not every data key is under the new KEK %s:\n%s", kr.CurrentKEK(), status)
	}
	if !auditHas(t, b, iss, m.Livc, "keys.rotate", "allow") {
		t.Fatal("the rotation is not audited")
	}
	must(t, os.Remove(filepath.Join(data, "keys", keys.FileKEK)))
	b.stop(t)
	b = startBroker(t, rs.Addr, iss, args...)

	t.Run("new recipients published", func(t *testing.T) {
		now := recipientsOf(t, b)
		if now[0] == old[0] || now[1] == old[1] {
			t.Fatalf("recipients unchanged: %v", now)
		}
	})
	t.Run("everything reads back", func(t *testing.T) {
		for _, p := range people {
			if r := readBack(t, b, iss, m.Livc, p); r.Status != 200 {
				t.Fatalf("card of %s: %d %s", p.ref, r.Status, r.Body)
			}
		}
	})
	t.Run("old recipient in the grace period", func(t *testing.T) {
		r := do(t, "POST", b.URL+"/v1/signals", inFlightBody,
			"Authorization", "Bearer "+iss.token(t, m.Livc, "ocmw"), "LIVC-Purpose", "signal", "Content-Type", "application/age")
		if r.Status != 201 {
			t.Fatalf("signal to the retired recipient: %d %s", r.Status, r.Body)
		}
	})
	t.Run("an interrupted rotation resumes", func(t *testing.T) {
		resumeRotation(t, rs.client(t), filepath.Join(data, "keys"), keyArgs)
	})
}

// resumeRotation plays a rotation interrupted mid-walk: a new KEK on disk,
// the data keys of the first SCAN steps re-wrapped under it, the rest still
// under the previous KEK, the cursor saved in Redis. keys rotate must resume
// from there and leave no data key under the previous KEK.
func resumeRotation(t *testing.T, c *redis.Client, keyDir string, keyArgs []string) {
	ctx := context.Background()
	kr := mustLoad(t, keyDir)
	prev, next, err := kr.RotateKEK()
	must(t, err)
	st := store.New(c)
	var cursor uint64
	done := 0
	for {
		cursor, err = st.ScanDataKeys(ctx, cursor, 1, func(key string, w []byte) error {
			nw, changed, err := kr.Rewrap(w)
			if err != nil || !changed {
				return fmt.Errorf("re-wrap before the interruption: changed=%v, %v", changed, err)
			}
			if ok, err := st.ReplaceDataKey(ctx, key, w, nw); !ok || err != nil {
				return fmt.Errorf("replace before the interruption: %v, %v", ok, err)
			}
			done++
			return nil
		})
		must(t, err)
		if cursor == 0 || done > 0 {
			break
		}
	}
	underPrev := dataKeysUnder(t, keyArgs, prev)
	if cursor == 0 || done == 0 || underPrev == 0 {
		t.Fatalf("no mid-scan interruption to resume from (cursor %d, %d re-wrapped, %d left)", cursor, done, underPrev)
	}
	must(t, c.HSet(ctx, "livc:keys:rotation", "target", next, "cursor", strconv.FormatUint(cursor, 10), "started", "then").Err())
	keks, _ := filepath.Glob(filepath.Join(keyDir, "kek*.key"))

	out := runBroker(t, append([]string{"keys", "rotate"}, keyArgs...)...)
	if !strings.Contains(out, "resuming the rotation to KEK "+next) {
		t.Fatalf("did not resume:\n%s", out)
	}
	if n := dataKeysUnder(t, keyArgs, prev); n != 0 {
		t.Fatalf("%d data keys left under the previous KEK %s after the resumed rotation", n, prev)
	}
	if n := dataKeysUnder(t, keyArgs, next); n != underPrev+done {
		t.Fatalf("%d data keys under the new KEK %s, want %d", n, next, underPrev+done)
	}
	if now, _ := filepath.Glob(filepath.Join(keyDir, "kek*.key")); len(now) != len(keks) {
		t.Fatalf("resuming made a new KEK: %v, before %v", now, keks)
	}
	if n := c.Exists(ctx, "livc:keys:rotation").Val(); n != 0 {
		t.Fatal("the finished rotation left its cursor")
	}
}

// dataKeysUnder is how many data keys `keys status` counts under KEK kek,
// whatever their format and epoch.
func dataKeysUnder(t *testing.T, keyArgs []string, kek string) int {
	status := runBroker(t, append([]string{"keys", "status"}, keyArgs...)...)
	total := 0
	for _, line := range strings.Split(status, "\n") {
		rest, ok := strings.CutPrefix(line, "data keys ")
		if !ok || !strings.Contains(rest, ", KEK "+kek+",") {
			continue
		}
		_, n, _ := strings.Cut(rest, ": ")
		v, err := strconv.Atoi(n)
		must(t, err)
		total += v
	}
	return total
}

// shredding is a broker over a Redis with an AOF, after two people were
// submitted, a copy of the AOF taken and one of them erased over HTTP.
type shredding struct {
	m            *cellModel
	iss          *issuerKey
	rs           *redisServer
	b            *brokerProc
	data, keyDir string
	aofCopy      string
	erased, kept *person
}

// newShredding submits two people, copies the AOF, checks that the copy
// opens, erases one person over HTTP and checks the erasure.
func newShredding(t *testing.T) *shredding {
	w := &shredding{m: loadModel(t), iss: newIssuer(t), data: t.TempDir()}
	redisDir := t.TempDir()
	w.rs = startRedisAOF(t, redisDir)
	w.keyDir = filepath.Join(w.data, "keys")
	w.b = startBroker(t, w.rs.Addr, w.iss, "--config", examplePath, "--data", w.data)
	w.erased = &person{nn: validNN("880808", 21), family: "Zzerased", text: "SECRET-erased"}
	w.kept = &person{nn: validNN("880808", 22), family: "Zzkept", text: "SECRET-kept"}
	submitPeople(t, w.b, w.iss, w.m.Livc, recipientsOf(t, w.b)[1], []*person{w.erased, w.kept})
	w.aofCopy = copyTree(t, redisDir)
	t.Run("control: the copy opens before erasure", func(t *testing.T) {
		if n, err := w.openCopy(t, w.erased); err != nil || n != 1 {
			t.Fatalf("copy before erasure: %d records, %v", n, err)
		}
	})
	t.Run("erase", w.erase)
	t.Run("store and audit log agree", func(t *testing.T) { checkInvariants(t, w.rs.client(t), w.m.Livc) })
	return w
}

// openCopy restores a copy of the AOF into a Redis of its own and opens the
// person's records in it with every key on disk.
func (w *shredding) openCopy(t *testing.T, p *person) (int, error) {
	restored := startRedis(t, "--dir", copyTree(t, w.aofCopy), "--appendonly", "yes")
	c := restored.client(t)
	ctx := context.Background()
	prefix := "livc:{livc:" + w.m.Livc + "}:subject:" + p.ref + ":"
	wrapped, err := c.Get(ctx, prefix+"datakey").Bytes()
	must(t, err)
	recs := c.HGetAll(ctx, prefix+"records").Val()
	if len(recs) == 0 {
		t.Fatal("the copy holds no record: the check would prove nothing")
	}
	kr := mustLoad(t, w.keyDir)
	opened := 0
	for id, sealed := range recs {
		plain, err := kr.Open(wrapped, []byte("livc-record-v1\x00"+w.m.Livc+"\x00"+p.ref+"\x00"+id), []byte(sealed))
		if err != nil {
			return opened, err
		}
		if !strings.Contains(string(plain), p.text) {
			t.Fatalf("opened record without its text")
		}
		opened++
	}
	return opened, nil
}

func (w *shredding) erase(t *testing.T) {
	b, iss, livc, a := w.b, w.iss, w.m.Livc, w.erased
	unknown := readBack(t, b, iss, livc, &person{ref: "s_aaaaaaaaaaaaaaaaaaaaaaaaaa"})
	erase := func(actor, purpose string) response {
		return do(t, "DELETE", b.URL+"/v1/subjects/"+a.ref, nil,
			"Authorization", "Bearer "+iss.token(t, livc, actor), "LIVC-Purpose", purpose)
	}
	if r := erase("pz", "case_conference"); r.Status != 403 {
		t.Fatalf("police erases: %d %s", r.Status, r.Body)
	}
	if r := readBack(t, b, iss, livc, a); r.Status != 200 {
		t.Fatalf("a refused erasure erased: %d", r.Status)
	}
	r := erase("preventie", "case_conference")
	if r.Status != 204 || r.Header.Get("X-Audit-Id") == "" {
		t.Fatalf("coordinator erases: %d %s", r.Status, r.Body)
	}
	checkAudited(t, b, iss, livc, r.Header.Get("X-Audit-Id"), "subject.erase", "allow")
	gone := readBack(t, b, iss, livc, a)
	if gone.Status != 404 || jsonField(t, gone.Body, "detail") != jsonField(t, unknown.Body, "detail") {
		t.Fatalf("erased person: %d %s; unknown person: %d %s", gone.Status, gone.Body, unknown.Status, unknown.Body)
	}
	if r := erase("dpo", "audit_review"); r.Status != 404 {
		t.Fatalf("erasing again: %d %s", r.Status, r.Body)
	}
	if r := readBack(t, b, iss, livc, w.kept); r.Status != 200 {
		t.Fatalf("another person after the erasure: %d", r.Status)
	}
	w.checkLiveGone(t)
}

// checkLiveGone checks that the live store holds no key of the erased
// person, so that nothing of it is there to open with any key.
func (w *shredding) checkLiveGone(t *testing.T) {
	t.Helper()
	for k := range dumpRedis(t, w.rs.client(t), isAudit) {
		if strings.Contains(k, w.erased.ref) {
			t.Errorf("live key of the erased person left: %s", k)
		}
	}
}

// checkShredded runs once the epochs before the erasure are destroyed, with
// w.b serving again: the old copy does not open with every key on disk, the
// live store holds nothing of the erased person, the kept person reads back.
func (w *shredding) checkShredded(t *testing.T) {
	t.Run("the old copy no longer opens with every key on disk", func(t *testing.T) {
		if _, err := w.openCopy(t, w.erased); !errors.Is(err, keys.ErrEpochDestroyed) {
			t.Fatalf("copy after erasure and epoch destruction: %v", err)
		}
	})
	t.Run("the live store holds nothing of the erased person", w.checkLiveGone)
	t.Run("the live person kept is still readable", func(t *testing.T) {
		if r := readBack(t, w.b, w.iss, w.m.Livc, w.kept); r.Status != 200 {
			t.Fatalf("card after epoch destruction: %d %s", r.Status, r.Body)
		}
	})
}

// TestCryptoShredding: submit, copy the AOF, erase, advance the key epoch
// with the broker's own schedule (a 1 s epoch, real time), then show that
// neither the live store nor the AOF copy yields the erased person's
// records, even with every key the broker still holds.
func TestCryptoShredding(t *testing.T) {
	w := newShredding(t)
	w.b.stop(t)
	_, before, _ := mustLoad(t, w.keyDir).Epochs()
	w.b = startBroker(t, w.rs.Addr, w.iss, "--config", examplePath, "--data", w.data, "--epoch-period", "1s", "--key-check", "100ms")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if oldest, _, _ := mustLoad(t, w.keyDir).Epochs(); oldest > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key epoch was not advanced and destroyed in time")
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.checkShredded(t)
}

// TestCryptoShreddingInjectedClock is TestCryptoShredding with the epoch
// advanced by an injected clock instead of waiting: the broker is stopped
// after the erasure, and the epoch schedule it runs (keys.MaintainEpochs)
// runs in the test against the same Redis and key directory with a clock
// moved a day on, then past the settle time; the broker then serves again.
func TestCryptoShreddingInjectedClock(t *testing.T) {
	w := newShredding(t)
	w.b.stop(t)
	now := time.Now().Add(keys.DefaultEpochPeriod + time.Hour)
	kr, err := keys.LoadWith(keys.Conf{Dir: w.keyDir, Now: func() time.Time { return now }})
	must(t, err)
	_, before, _ := kr.Epochs()
	st := store.New(w.rs.client(t))
	const settle = time.Minute
	ctx := context.Background()

	step, err := kr.MaintainEpochs(ctx, st, settle)
	must(t, err)
	if step.Started != before+1 || step.DestroyedBefore != 0 {
		t.Fatalf("a day on: %+v, want epoch %d started and nothing destroyed before the settle time", step, before+1)
	}
	t.Run("the copy still opens before the settle time", func(t *testing.T) {
		if n, err := w.openCopy(t, w.erased); err != nil || n != 1 {
			t.Fatalf("copy before destruction: %d records, %v", n, err)
		}
	})
	now = now.Add(settle)
	step, err = kr.MaintainEpochs(ctx, st, settle)
	must(t, err)
	if step.Started != 0 || step.DestroyedBefore != before+1 || step.Live != 1 || step.Rewrapped != 1 {
		t.Fatalf("past the settle time: %+v, want epochs before %d destroyed, the one live data key re-wrapped", step, before+1)
	}
	if oldest, _, _ := mustLoad(t, w.keyDir).Epochs(); oldest != before+1 {
		t.Fatalf("epoch.key keeps epoch %d, want %d", oldest, before+1)
	}
	w.b = startBroker(t, w.rs.Addr, w.iss, "--config", examplePath, "--data", w.data)
	w.checkShredded(t)
}

func mustLoad(t *testing.T, dir string) *keys.Keyring {
	t.Helper()
	kr, err := keys.Load(dir)
	must(t, err)
	return kr
}

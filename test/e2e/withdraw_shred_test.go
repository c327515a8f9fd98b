package e2e

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/keys"
)

// TestWithdrawalShredsOldCopies: a withdrawal is crypto-shredded like an
// erasure. Two signals about one person, a dossier with minutes and a task;
// a copy of Redis taken before one signal is withdrawn; once the key epochs
// before the withdrawal are destroyed, the copy's withdrawn record opens
// neither with the copy's own data key nor with the data key the live store
// holds now, with every key on disk, while the live card still serves the
// other record and the dossier's minutes and task still read.
func TestWithdrawalShredsOldCopies(t *testing.T) {
	w := &shredding{m: loadModel(t), iss: newIssuer(t), data: t.TempDir()}
	livc, redisDir := w.m.Livc, t.TempDir()
	ids, ref, send := w.startWithTwoSignals(t, redisDir, validNN("880808", 31), "Zzwithdrawn", "SECRET-withdrawn", "SECRET-remaining")
	r := send("POST", "preventie", "case_conference", "/v1/cases",
		`{"subject_ref":"`+ref+`","signal_ids":["`+ids["SECRET-withdrawn"]+`","`+ids["SECRET-remaining"]+`"],"category":"radicalisation"}`)
	if r.Status != 201 {
		t.Fatalf("dossier: %d %s", r.Status, r.Body)
	}
	caseID := jsonField(t, r.Body, "id")
	if r := send("PUT", "preventie", "case_conference", "/v1/cases/"+caseID+"/roster", `{"actors":["ocmw"]}`); r.Status != 200 {
		t.Fatalf("roster: %d %s", r.Status, r.Body)
	}
	if r := send("POST", "preventie", "case_conference", "/v1/cases/"+caseID+"/meetings",
		string(minutes([]string{"ocmw"}, "ocmw", "2026-12-31", "SECRET-minutes"))); r.Status != 201 {
		t.Fatalf("minutes: %d %s", r.Status, r.Body)
	}
	if r := send("POST", "burgemeester", "prioritisation", "/v1/cases/"+caseID+"/tasks",
		`{"actor":"ocmw","description":"SECRET-task","due":"2026-12-31","scenario":"preventive"}`); r.Status != 201 {
		t.Fatalf("task: %d %s", r.Status, r.Body)
	}
	w.aofCopy = copyTree(t, redisDir)
	withdrawn := ids["SECRET-withdrawn"]
	if err := w.openWithdrawn(t, ref, withdrawn, nil); err != nil {
		t.Fatalf("control: the copy before the withdrawal does not open: %v", err)
	}

	r = send("DELETE", "ocmw", "signal", "/v1/signals/"+withdrawn, "")
	if r.Status != 204 {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	checkAudited(t, w.b, w.iss, livc, r.Header.Get("X-Audit-Id"), "signal.withdraw", "allow")

	w.b.stop(t)
	_, before, _ := mustLoad(t, w.keyDir).Epochs()
	w.b = startBroker(t, w.rs.Addr, w.iss, "--config", examplePath, "--data", w.data, "--epoch-period", "1s", "--key-check", "100ms")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if oldest, _, _ := mustLoad(t, w.keyDir).Epochs(); oldest > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the key epoch was not advanced and destroyed in time")
		}
	}
	prefix := "livc:{livc:" + livc + "}:subject:" + ref + ":"
	live, err := w.rs.client(t).Get(context.Background(), prefix+"datakey").Bytes()
	must(t, err)

	t.Run("the old copy's withdrawn record no longer opens with its own key", func(t *testing.T) {
		if err := w.openWithdrawn(t, ref, withdrawn, nil); !errors.Is(err, keys.ErrEpochDestroyed) {
			t.Fatalf("with the copy's data key: %v", err)
		}
	})
	t.Run("nor with the live store's key", func(t *testing.T) {
		if err := w.openWithdrawn(t, ref, withdrawn, live); err == nil {
			t.Fatal("the live data key opens the withdrawn record of the old copy")
		}
	})
	t.Run("the live store holds no withdrawn record", func(t *testing.T) {
		if w.rs.client(t).HExists(context.Background(), prefix+"records", withdrawn).Val() {
			t.Fatal("the withdrawn record is still stored")
		}
	})
	t.Run("the live card serves the other record", func(t *testing.T) {
		r := send("GET", "ocmw", "case_conference", "/v1/subjects/"+ref+"/card", "")
		if r.Status != 200 || !strings.Contains(string(r.Body), "SECRET-remaining") || strings.Contains(string(r.Body), "SECRET-withdrawn") {
			t.Fatalf("card: %d %s", r.Status, r.Body)
		}
	})
	t.Run("the dossier's minutes and task still read", func(t *testing.T) {
		r := send("GET", "ocmw", "case_conference", "/v1/cases/"+caseID+"/meetings", "")
		if r.Status != 200 || !strings.Contains(string(r.Body), "SECRET-minutes") {
			t.Fatalf("minutes: %d %s", r.Status, r.Body)
		}
		r = send("GET", "ocmw", "case_conference", "/v1/cases/"+caseID, "")
		if r.Status != 200 || !strings.Contains(string(r.Body), "SECRET-task") {
			t.Fatalf("dossier: %d %s", r.Status, r.Body)
		}
	})
}

// openWithdrawn restores the AOF copy into a Redis of its own and opens
// record id of person ref in it with every key on disk, under the data key
// wrapped (the copy's own when nil).
func (w *shredding) openWithdrawn(t *testing.T, ref, id string, wrapped []byte) error {
	t.Helper()
	return w.openRecord(t, ref, id, "SECRET-withdrawn", wrapped)
}

// openRecord is openWithdrawn for a record whose text holds text.
func (w *shredding) openRecord(t *testing.T, ref, id, text string, wrapped []byte) error {
	t.Helper()
	c := startRedis(t, "--dir", copyTree(t, w.aofCopy), "--appendonly", "yes").client(t)
	ctx := context.Background()
	prefix := "livc:{livc:" + w.m.Livc + "}:subject:" + ref + ":"
	if wrapped == nil {
		var err error
		wrapped, err = c.Get(ctx, prefix+"datakey").Bytes()
		must(t, err)
	}
	sealed, err := c.HGet(ctx, prefix+"records", id).Bytes()
	must(t, err) // the copy must hold it, or the check would prove nothing
	plain, err := mustLoad(t, w.keyDir).Open(wrapped, []byte("livc-record-v1\x00"+w.m.Livc+"\x00"+ref+"\x00"+id), sealed)
	if err == nil && !strings.Contains(string(plain), text) {
		t.Fatal("opened the record without its text")
	}
	return err
}

// startWithTwoSignals starts w's Redis (with its AOF in redisDir) and broker, and
// submits as ocmw one signal for each of texts about one person (nn,
// family); it returns their ids by text, the person's pseudonym and a
// sender of JSON requests as an actor under a purpose.
func (w *shredding) startWithTwoSignals(t *testing.T, redisDir, nn, family string, texts ...string) (map[string]string, string, func(method, actor, purpose, path, body string) response) {
	w.rs = startRedisAOF(t, redisDir)
	w.keyDir = filepath.Join(w.data, "keys")
	w.b = startBroker(t, w.rs.Addr, w.iss, "--config", examplePath, "--data", w.data)
	livc, recipient := w.m.Livc, recipientsOf(t, w.b)[1]
	send := func(method, actor, purpose, path, body string) response {
		return do(t, method, w.b.URL+path, []byte(body), "Authorization", "Bearer "+w.iss.token(t, livc, actor),
			"LIVC-Purpose", purpose, "Content-Type", "application/json")
	}
	ids := map[string]string{}
	for _, text := range texts {
		r := do(t, "POST", w.b.URL+"/v1/signals", ageEncrypt(t, recipient, signalJSON(nn, family, text), false),
			"Authorization", "Bearer "+w.iss.token(t, livc, "ocmw"), "LIVC-Purpose", "signal", "Content-Type", "application/age")
		if r.Status != 201 {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		ids[text] = jsonField(t, r.Body, "id")
	}
	coord := w.iss.token(t, livc, "preventie")
	ref := refOf(t, w.b.URL, coord, ids[texts[0]])
	for _, text := range texts[1:] {
		if other := refOf(t, w.b.URL, coord, ids[text]); other != ref {
			t.Fatalf("signals of one person, two pseudonyms: %s %s", ref, other)
		}
	}
	return ids, ref, send
}

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/keys"
)

// TestRetentionRekeysOldCopies: an expiry of a person who keeps other
// records is crypto-shredded like an erasure. Two signals about one
// person; one is dismissed, the other taken into an open dossier; a copy of
// Redis taken before the injected clock passes 180 days. Once the dismissed
// signal has expired and the key epochs before it are destroyed, the copy's
// expired record opens neither with the copy's own data key nor with the
// data key the live store holds now, while the live card still serves the
// other record.
func TestRetentionRekeysOldCopies(t *testing.T) {
	clock := filepath.Join(t.TempDir(), "clock")
	must(t, os.WriteFile(clock, []byte("0h"), 0o644))
	t.Setenv("LIVC_INSECURE_CLOCK", clock)
	w := &shredding{m: loadModel(t), iss: newIssuer(t), data: t.TempDir()}
	livc, redisDir := w.m.Livc, t.TempDir()
	ids, ref, send := w.startWithTwoSignals(t, redisDir, validNN("880808", 32), "Zzrekeyed", "SECRET-expiring", "SECRET-remaining")
	coord := w.iss.token(t, livc, "preventie")
	expiring := ids["SECRET-expiring"]
	if r := send("POST", "preventie", "case_conference", "/v1/signals/"+expiring+"/dismissal", `{"reason":"no follow-up"}`); r.Status != 200 {
		t.Fatalf("dismiss: %d %s", r.Status, r.Body)
	}
	r := send("POST", "preventie", "case_conference", "/v1/cases",
		`{"subject_ref":"`+ref+`","signal_ids":["`+ids["SECRET-remaining"]+`"],"category":"radicalisation"}`)
	if r.Status != 201 {
		t.Fatalf("dossier: %d %s", r.Status, r.Body)
	}
	caseID := jsonField(t, r.Body, "id")
	if r := send("PUT", "preventie", "case_conference", "/v1/cases/"+caseID+"/roster", `{"actors":["ocmw"]}`); r.Status != 200 {
		t.Fatalf("roster: %d %s", r.Status, r.Body)
	}
	w.aofCopy = copyTree(t, redisDir)
	if err := w.openRecord(t, ref, expiring, "SECRET-expiring", nil); err != nil {
		t.Fatalf("control: the copy before the expiry does not open: %v", err)
	}

	w.b.stop(t)
	_, before, _ := mustLoad(t, w.keyDir).Epochs()
	must(t, os.WriteFile(clock, []byte(fmt.Sprintf("%dh", 24*182)), 0o644))
	w.b = startBroker(t, w.rs.Addr, w.iss, "--config", examplePath, "--data", w.data,
		"--retention-every", "100ms", "--epoch-period", "1s", "--key-check", "100ms")
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		state := ""
		for _, e := range intake(t, w.b.URL, coord, "") {
			if e.ID == expiring {
				state = e.State
			}
		}
		oldest, _, _ := mustLoad(t, w.keyDir).Epochs()
		if state == "expired" && oldest > before {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 182 days: the signal is %q, the oldest epoch %d (before %d)", state, oldest, before)
		}
	}
	prefix := "livc:{livc:" + livc + "}:subject:" + ref + ":"
	live, err := w.rs.client(t).Get(context.Background(), prefix+"datakey").Bytes()
	must(t, err)

	t.Run("the old copy's expired record no longer opens with its own key", func(t *testing.T) {
		if err := w.openRecord(t, ref, expiring, "SECRET-expiring", nil); !errors.Is(err, keys.ErrEpochDestroyed) {
			t.Fatalf("with the copy's data key: %v", err)
		}
	})
	t.Run("nor with the live store's key", func(t *testing.T) {
		if err := w.openRecord(t, ref, expiring, "SECRET-expiring", live); err == nil {
			t.Fatal("the live data key opens the expired record of the old copy")
		}
	})
	t.Run("the live store holds no expired record", func(t *testing.T) {
		if w.rs.client(t).HExists(context.Background(), prefix+"records", expiring).Val() {
			t.Fatal("the expired record is still stored")
		}
	})
	t.Run("the live card serves the other record", func(t *testing.T) {
		r := send("GET", "ocmw", "case_conference", "/v1/subjects/"+ref+"/card", "")
		if r.Status != 200 || !strings.Contains(string(r.Body), "SECRET-remaining") || strings.Contains(string(r.Body), "SECRET-expiring") {
			t.Fatalf("card: %d %s", r.Status, r.Body)
		}
	})
	checkInvariants(t, w.rs.client(t), livc)
}

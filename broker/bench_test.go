package broker_test

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/config"
	"github.com/livc/livc-broker/keys"
)

// benchRecords is a person of the demo cell with one signal per submitting
// actor, eight records in all: the card the load tool reads.
func benchRecords(ref string) []broker.Record {
	at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	per := []struct {
		actor  string
		fields map[string]any
	}{
		{"ocmw", map[string]any{"family_name": "Peeters", "given_name": "Jan", "signal_text": "a signal of about a hundred characters, as a social worker would type it in a hurry", "family_situation": "single parent", "health_note": "note", "presence": "absent"}},
		{"clb", map[string]any{"school_absence_days": 37, "presence": "absent"}},
		{"jeugddienst", map[string]any{"indicators": []string{"one", "two"}, "guidance_trajectory": "weekly"}},
		{"pz", map[string]any{"police_record": "record", "administrative_measure": "measure"}},
		{"vsse", map[string]any{"threat_level": 3}},
		{"parket", map[string]any{"judicial_measure": "measure"}},
		{"unizo", map[string]any{"sector_signal": "signal", "presence": "present"}},
		{"preventie", map[string]any{"address": "Kerkstraat 1"}},
	}
	out := make([]broker.Record, len(per))
	for i, p := range per {
		out[i] = broker.Record{
			ID: fmt.Sprintf("sig_bench%02d", i), Kind: broker.KindSignal, SubjectRef: ref,
			Source: p.actor, Sub: p.actor + "-person", ObservedAt: at, ReceivedAt: at, Fields: p.fields,
		}
	}
	return out
}

// policeOnRoster is the decision the policy gives the police on the roster
// under case_conference (see policies/): every class but care.
var policeOnRoster = broker.Decision{Allow: true, Own: true,
	Classes: []string{"administrative", "business", "identity", "intelligence", "judicial", "police", "presence", "signal", "social"}}

// BenchmarkRelease is the pure filter of a card of eight records.
func BenchmarkRelease(b *testing.B) {
	cell := config.Demo()
	recs := benchRecords("s_bench")
	b.ReportAllocs()
	for b.Loop() {
		card, released, _ := broker.Release(cell, recs, policeOnRoster, "pz")
		if len(released) == 0 || *card.Withheld != 1 {
			b.Fatalf("released %v, withheld %d", released, *card.Withheld)
		}
	}
}

// BenchmarkCardAssembly opens eight sealed records with the real key ring
// (data key cached, as on every read after the first) and releases them:
// the card read minus the network, the token and the policy.
func BenchmarkCardAssembly(b *testing.B) {
	cell := config.Demo()
	const ref = "s_bench"
	kr, wrapped, sealed := sealedPerson(b, cell, ref)
	b.ReportAllocs()
	for b.Loop() {
		recs, err := broker.OpenRecords(kr, wrapped, cell.ID, ref, sealed)
		if err != nil {
			b.Fatal(err)
		}
		if _, released, _ := broker.Release(cell, recs, policeOnRoster, "pz"); len(released) == 0 {
			b.Fatal("nothing released")
		}
	}
}

// sealedPerson is a new key ring and benchRecords(ref), sealed under a new
// data key of the person, as the store would hold them.
func sealedPerson(t testing.TB, cell *broker.Cell, ref string) (*keys.Keyring, []byte, []broker.SealedRecord) {
	t.Helper()
	kr, err := keys.Create(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	wrapped, err := kr.NewDataKey()
	if err != nil {
		t.Fatal(err)
	}
	var sealed []broker.SealedRecord
	for _, r := range benchRecords(ref) {
		sr, err := broker.SealRecord(kr, wrapped, cell.ID, r)
		if err != nil {
			t.Fatal(err)
		}
		sealed = append(sealed, sr)
	}
	return kr, wrapped, sealed
}

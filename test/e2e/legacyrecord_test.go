package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/redisstore"
)

// TestLegacyJSONRecords: a record sealed as JSON, as the broker sealed
// records before recordV1, still opens, and a card over HTTP shows its values
// exactly as it shows the same record sealed as recordV1.
func TestLegacyJSONRecords(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	rs := startRedis(t)
	data := t.TempDir()
	b := startBroker(t, rs.Addr, iss, "--config", examplePath, "--data", data)
	p := &person{nn: validNN("760101", 21), family: "Zzlegacy", text: "legacy-record-text"}
	submitPeople(t, b, iss, m.Livc, recipientsOf(t, b)[0], []*person{p})

	ctx, kr, st := context.Background(), mustLoad(t, filepath.Join(data, "keys")), redisstore.New(rs.client(t))
	wrapped, err := st.ExistingDataKey(ctx, m.Livc, p.ref)
	must(t, err)
	recs, err := st.Records(ctx, m.Livc, p.ref)
	must(t, err)
	if len(recs) != 1 {
		t.Fatalf("%d records stored, want the one submitted", len(recs))
	}
	ad := func(id string) []byte { return []byte("livc-record-v1\x00" + m.Livc + "\x00" + p.ref + "\x00" + id) }
	plain, err := kr.Open(wrapped, ad(recs[0].ID), recs[0].Sealed)
	must(t, err)
	if plain[0] == '{' {
		t.Fatalf("the submission was sealed as JSON, not recordV1")
	}
	orig, err := broker.OpenRecord(kr, wrapped, m.Livc, p.ref, recs[0])
	must(t, err)

	twin := orig
	twin.ID = broker.NewID("sig")
	legacy, err := json.Marshal(twin)
	must(t, err)
	sealed, err := kr.Seal(wrapped, ad(twin.ID), legacy)
	must(t, err)
	must(t, st.PutRecord(ctx, m.Livc, p.ref, broker.SealedRecord{ID: twin.ID, Sealed: sealed}))

	r := readBack(t, b, iss, m.Livc, p)
	if r.Status != 200 {
		t.Fatalf("card: %d %s", r.Status, r.Body)
	}
	var card struct {
		Fields map[string][]struct {
			Value          json.RawMessage
			Source, Record string
			At             string
		}
	}
	r.json(t, &card)
	if len(card.Fields) != len(orig.Fields) {
		t.Fatalf("card fields %d, record fields %d: %s", len(card.Fields), len(orig.Fields), r.Body)
	}
	for name, vs := range card.Fields {
		if len(vs) != 2 || vs[0].Record != recs[0].ID || vs[1].Record != twin.ID {
			t.Fatalf("%s: %+v, want a value from each record", name, vs)
		}
		if string(vs[0].Value) != string(vs[1].Value) || vs[0].Source != vs[1].Source || vs[0].At != vs[1].At {
			t.Errorf("%s: recordV1 shows %s (%s, %s), JSON %s (%s, %s)", name,
				vs[0].Value, vs[0].Source, vs[0].At, vs[1].Value, vs[1].Source, vs[1].At)
		}
	}
}

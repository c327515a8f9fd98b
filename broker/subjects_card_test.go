package broker_test

import (
	"slices"
	"testing"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/config"
)

// Release is the last gate before a value leaves: a value goes out only when
// the decision allows, its field is known with a released class and no cell
// rule withholds it, or when it is the requester's own and the decision
// shows that back. Every other value is withheld and counted, and the audit
// gets each name once, sorted.
func TestRelease(t *testing.T) {
	cell := config.Demo()
	recs := benchRecords("s_release") // 17 values; presence three times (ocmw, clb, unizo)
	unknown := append(slices.Clone(recs), broker.Record{ID: "sig_x", Source: "pz", Fields: map[string]any{"not_in_the_cell": "v"}})
	all := []string{"address", "administrative_measure", "family_name", "family_situation", "given_name", "guidance_trajectory",
		"health_note", "indicators", "judicial_measure", "police_record", "presence", "school_absence_days", "sector_signal",
		"signal_text", "threat_level"}
	without := func(names ...string) []string {
		return slices.DeleteFunc(slices.Clone(all), func(n string) bool { return slices.Contains(names, n) })
	}
	tests := []struct {
		name      string
		records   []broker.Record
		d         broker.Decision
		actor     string
		released  []string
		withheld  []string
		count     int      // card.Withheld: values, not names
		presence  []string // sources of the card's presence values, in record order
		notOnCard string   // a released-looking name that must not be on the card
	}{
		{name: "police on the roster: every class but care", records: recs, d: policeOnRoster, actor: "pz",
			released: without("health_note"), withheld: []string{"health_note"}, count: 1, presence: []string{"ocmw", "clb", "unizo"}},
		{name: "a deny releases nothing, not even the requester's own", records: recs,
			d: broker.Decision{Allow: false, Own: true, Classes: policeOnRoster.Classes}, actor: "pz",
			released: []string{}, withheld: all, count: 17, notOnCard: "police_record"},
		{name: "a cell rule withholds a name of a released class", records: recs,
			d: broker.Decision{Allow: true, Classes: policeOnRoster.Classes, WithheldFields: []string{"address", "presence"}}, actor: "pz",
			released: without("health_note", "address", "presence"), withheld: []string{"address", "health_note", "presence"}, count: 5,
			notOnCard: "address"},
		{name: "own values only, shown back", records: recs, d: broker.Decision{Allow: true, Own: true}, actor: "clb",
			released: []string{"presence", "school_absence_days"}, withheld: without("school_absence_days"), count: 15,
			presence: []string{"clb"}},
		{name: "own, but the decision does not show it back", records: recs, d: broker.Decision{Allow: true}, actor: "clb",
			released: []string{}, withheld: all, count: 17},
		{name: "a field the cell does not define is withheld whatever the classes", records: unknown, d: policeOnRoster, actor: "vsse",
			released: without("health_note"), withheld: []string{"health_note", "not_in_the_cell"}, count: 2, notOnCard: "not_in_the_cell",
			presence: []string{"ocmw", "clb", "unizo"}},
		{name: "unless it is the requester's own", records: unknown, d: policeOnRoster, actor: "pz",
			released: append(without("health_note"), "not_in_the_cell"), withheld: []string{"health_note"}, count: 1,
			presence: []string{"ocmw", "clb", "unizo"}},
		{name: "no records", d: policeOnRoster, actor: "pz", released: []string{}, withheld: []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			card, released, withheld := broker.Release(cell, tt.records, tt.d, tt.actor)
			slices.Sort(tt.released)
			if !slices.Equal(released, tt.released) || released == nil {
				t.Errorf("released %q, want %q", released, tt.released)
			}
			if !slices.Equal(withheld, tt.withheld) || withheld == nil {
				t.Errorf("withheld %q, want %q", withheld, tt.withheld)
			}
			if *card.Withheld != tt.count {
				t.Errorf("card.Withheld %d, want %d", *card.Withheld, tt.count)
			}
			var names []string
			for name := range card.Fields {
				names = append(names, name)
			}
			slices.Sort(names)
			if len(names) != len(released) || (len(names) > 0 && !slices.Equal(names, released)) {
				t.Errorf("the card holds %q, the audit says %q", names, released)
			}
			var sources []string
			for _, v := range card.Fields["presence"] {
				sources = append(sources, v.Source)
			}
			if !slices.Equal(sources, tt.presence) {
				t.Errorf("presence values from %q, want %q", sources, tt.presence)
			}
			if _, on := card.Fields[tt.notOnCard]; on && tt.notOnCard != "" {
				t.Errorf("%s is on the card", tt.notOnCard)
			}
		})
	}
}

// OpenRecords opens a person's records in order, or none: a record that was
// tampered with, moved to another person, or sealed under another key fails
// the whole read, and a wrong data key fails it before any record.
func TestOpenRecords(t *testing.T) {
	cell := config.Demo()
	const ref = "s_open"
	kr, wrapped, sealed := sealedPerson(t, cell, ref)
	other, _ := kr.NewDataKey()
	recs, err := broker.OpenRecords(kr, wrapped, cell.ID, ref, sealed)
	if err != nil || len(recs) != len(sealed) {
		t.Fatalf("OpenRecords = %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		if r.ID != sealed[i].ID {
			t.Fatalf("record %d is %s, want %s (stored order)", i, r.ID, sealed[i].ID)
		}
	}
	tampered := slices.Clone(sealed)
	tampered[5].Sealed = slices.Clone(tampered[5].Sealed)
	tampered[5].Sealed[30] ^= 1
	swapped := slices.Clone(sealed)
	swapped[2].ID, swapped[3].ID = swapped[3].ID, swapped[2].ID
	foreign := slices.Clone(sealed)
	foreign[7], _ = broker.SealRecord(kr, other, cell.ID, benchRecords(ref)[7])
	tests := []struct {
		name    string
		wrapped []byte
		ref     string
		sealed  []broker.SealedRecord
	}{
		{"one record tampered", wrapped, ref, tampered},
		{"two records' ids swapped", wrapped, ref, swapped},
		{"the records of another person", wrapped, "s_other", sealed},
		{"one record under another person's key", wrapped, ref, foreign},
		{"another person's key", other, ref, sealed},
		{"a tampered key", append(slices.Clone(wrapped[:len(wrapped)-1]), wrapped[len(wrapped)-1]^1), ref, sealed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs, err := broker.OpenRecords(kr, tt.wrapped, cell.ID, tt.ref, tt.sealed)
			if broker.KindOf(err) != broker.KindInternal || recs != nil {
				t.Fatalf("OpenRecords = %d records, %v; want none and KindInternal", len(recs), err)
			}
		})
	}
}

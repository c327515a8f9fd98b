package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/livc/livc-broker/broker"
)

func TestAuditSection(t *testing.T) {
	// The example cell is a committed fixture: without it the test proves
	// nothing, so its absence fails rather than skips.
	base, err := os.ReadFile("testdata/zonnedaal.yaml")
	if err != nil {
		t.Fatalf("the example cell fixture: %v", err)
	}
	for _, tc := range []struct {
		name    string
		section string
		want    broker.AuditConf
		err     string
	}{
		{"absent: defaults", "", broker.DefaultAuditConf(), ""},
		{"some keys", "audit:\n  max_persons: 7\n  alert_window_minutes: 30\n",
			broker.AuditConf{AlertWindow: 30 * time.Minute, MaxPersons: 7, MaxDenials: 5, MaxAuthFailures: 5}, ""},
		{"out of range", "audit:\n  max_persons: 0\n", broker.AuditConf{}, "max_persons"},
		{"unknown key: a warning", "audit:\n  max_people: 3\n", broker.DefaultAuditConf(), ""},
		{"witnesses", "audit:\n  witnesses:\n    - {name: coc.example, url: \"https://w.example/\", key: " + cocKey + "}\n",
			func() broker.AuditConf {
				a := broker.DefaultAuditConf()
				a.Witnesses = []broker.Witness{{Name: "coc.example", Key: cocKey, URL: "https://w.example/"}}
				return a
			}(), ""},
		{"two witnesses of one name", "audit:\n  witnesses:\n    - {name: coc.example, url: \"https://w.example/\", key: " + cocKey + "}\n" +
			"    - {name: coc.example, url: \"https://v.example/\", key: " + cocKey + "}\n", broker.AuditConf{}, "like witness 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cell, warnings, err := Parse(append(append([]byte{}, base...), "\n"+tc.section...), "cell.yaml")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want one naming %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tc.section, "max_people") && !strings.Contains(strings.Join(warnings, "\n"), "max_people") {
				t.Errorf("no warning about max_people: %v", warnings)
			}
			if !reflect.DeepEqual(cell.Audit, tc.want) {
				t.Fatalf("audit %+v, want %+v", cell.Audit, tc.want)
			}
		})
	}
}

// cocKey is a witness verifier key (cosignature/v1) named coc.example.
const cocKey = "coc.example+65823a8d+BMml1ze3DW4jU8T2ITHJI97/i2MUrNXix94RIKD5/FcB"

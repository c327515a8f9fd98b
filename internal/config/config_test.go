package config

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/livc/livc-broker/broker"
)

func i64(v int64) *int64 { return &v }

// wantDemo is the demo cell as spec/livc-example.yaml describes it.
func wantDemo() *broker.Cell {
	socio, muni, police, intel, jud, admin, biz := broker.TypeSocioPreventive, broker.TypeMunicipalService,
		broker.TypePolice, broker.TypeIntelligence, broker.TypeJudicial, broker.TypeLocalAdmin, broker.TypeBusinessAssociation
	actor := func(id, name, typ string) broker.Actor { return broker.Actor{ID: id, Name: name, Type: typ} }
	coordinator := actor("preventie", "Preventiedienst, LIVC-coördinator", admin)
	coordinator.Coordinator = true
	str := func(name, class string, max int64) broker.FieldSpec {
		return broker.FieldSpec{Name: name, Class: class, Type: broker.FieldString, Max: i64(max)}
	}
	return &broker.Cell{
		ID:   "zonnedaal",
		Name: "LIVC-R Zonnedaal",
		Actors: map[string]broker.Actor{
			"ocmw":         actor("ocmw", "OCMW Zonnedaal, sociale dienst", socio),
			"clb":          actor("clb", "CLB Zonnedaal", socio),
			"jeugddienst":  actor("jeugddienst", "Jeugddienst Zonnedaal", muni),
			"pz":           actor("pz", "Politiezone Zonnedaal, informatieofficier", police),
			"vsse":         actor("vsse", "Veiligheid van de Staat", intel),
			"parket":       actor("parket", "Parket Zonnedaal", jud),
			"burgemeester": actor("burgemeester", "Burgemeester van Zonnedaal", admin),
			"preventie":    coordinator,
			"unizo":        actor("unizo", "Ondernemersvereniging Zonnedaal", biz),
			"dpo":          actor("dpo", "Functionaris voor gegevensbescherming", broker.TypePrivacyOfficer),
		},
		Tables: map[string][]string{
			"strategic":   {"burgemeester", "pz", "preventie"},
			"tactical":    {"burgemeester", "pz", "preventie", "ocmw", "parket"},
			"operational": {"ocmw", "clb", "jeugddienst", "pz", "vsse", "parket", "preventie", "unizo"},
		},
		Purposes: map[string]broker.Purpose{
			"signal":          {Name: "signal", Description: "submit an early signal or an observation"},
			"case_conference": {Name: "case_conference", Table: "operational", Description: "work a dossier in the case conference, case roster only"},
			"prioritisation":  {Name: "prioritisation", Table: "tactical", Description: "prioritise dossiers and assign tasks"},
			"policy":          {Name: "policy", Table: "strategic", Description: "set policy lines; aggregates only"},
			"audit_review":    {Name: "audit_review", Description: "review the audit trail (privacy officer)"},
		},
		Fields: map[string]broker.FieldSpec{
			"family_name":            str("family_name", "identity", 100),
			"given_name":             str("given_name", "identity", 100),
			"birth_date":             {Name: "birth_date", Class: "identity", Type: broker.FieldDate},
			"national_number":        {Name: "national_number", Class: "identity", Type: broker.FieldNationalNumber},
			"address":                str("address", "identity", 200),
			"presence":               {Name: "presence", Class: "presence", Type: broker.FieldEnum, Values: []string{"present", "absent", "unknown"}},
			"signal_text":            str("signal_text", "signal", 4000),
			"indicators":             {Name: "indicators", Class: "signal", Type: broker.FieldList, Max: i64(20)},
			"family_situation":       str("family_situation", "social", 1000),
			"school_absence_days":    {Name: "school_absence_days", Class: "social", Type: broker.FieldInteger, Min: i64(0), Max: i64(366)},
			"guidance_trajectory":    str("guidance_trajectory", "social", 1000),
			"health_note":            str("health_note", "care", 1000),
			"police_record":          str("police_record", "police", 2000),
			"administrative_measure": str("administrative_measure", "administrative", 1000),
			"threat_level":           {Name: "threat_level", Class: "intelligence", Type: broker.FieldInteger, Min: i64(0), Max: i64(4)},
			"judicial_measure":       str("judicial_measure", "judicial", 1000),
			"sector_signal":          str("sector_signal", "business", 1000),
		},
		Release: map[string]map[string][]string{
			"case_conference": {
				"identity":       {socio, muni, police, intel, jud, admin},
				"presence":       {socio, muni, police, intel, jud, admin, biz},
				"signal":         {socio, muni, police, intel, admin},
				"social":         {socio, muni, police, admin},
				"care":           {socio},
				"police":         {police, intel, jud},
				"intelligence":   {police, intel},
				"judicial":       {police, jud},
				"business":       {police, admin, biz},
				"administrative": {police, jud, admin},
			},
			"prioritisation": {"presence": {socio, police, jud, admin}},
			"policy":         {},
		},
		Retention: broker.Retention{SignalWithoutCase: 180, ClosedCase: 1095},
		Secrecy:   []string{socio},
		Minors: &broker.Minors{
			Age: 18,
			Release: map[string]map[string][]string{
				"case_conference": {
					"identity":       {socio, muni, police, admin},
					"presence":       {socio, muni, police, intel, jud, admin},
					"signal":         {socio, muni, police, admin},
					"social":         {socio, muni},
					"care":           {socio},
					"police":         {police, jud},
					"intelligence":   {police, intel},
					"judicial":       {police, jud},
					"administrative": {police, admin},
				},
				"prioritisation": {"presence": {socio, police, admin}},
				"policy":         {},
			},
			Retention: broker.Retention{SignalWithoutCase: 90},
		},
	}
}

func TestDemo(t *testing.T) {
	t.Run("parses into the spec's cell", func(t *testing.T) {
		got := Demo()
		want := wantDemo()
		compareCells(t, got, want)
		checkInvariants(t, got)
	})
	t.Run("warns of nothing: secrecy is enforced", func(t *testing.T) {
		_, warnings, err := Parse(demoYAML, DemoFile)
		if err != nil || len(warnings) != 0 {
			t.Fatalf("Parse(demo) = warnings %q, err %v; want none", warnings, err)
		}
	})
	t.Run("is the testdata copy", func(t *testing.T) {
		data, err := os.ReadFile("testdata/zonnedaal.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, demoYAML) {
			t.Fatal("demo/zonnedaal.yaml and testdata/zonnedaal.yaml differ; both are copies of spec/livc-example.yaml")
		}
	})
	t.Run("each call returns its own copy", func(t *testing.T) {
		a := Demo()
		a.Tables["strategic"][0] = "changed"
		delete(a.Actors, "dpo")
		if b := Demo(); b.Tables["strategic"][0] != "burgemeester" || len(b.Actors) != 10 {
			t.Fatal("a change to one Demo() cell shows in the next")
		}
	})
}

// compareCells reports each differing part of two cells separately, so
// that a failure says where.
func compareCells(t *testing.T, got, want *broker.Cell) {
	t.Helper()
	parts := []struct {
		name      string
		got, want any
	}{
		{"ID", got.ID, want.ID},
		{"Name", got.Name, want.Name},
		{"Actors", got.Actors, want.Actors},
		{"Tables", got.Tables, want.Tables},
		{"Purposes", got.Purposes, want.Purposes},
		{"Fields", got.Fields, want.Fields},
		{"Release", got.Release, want.Release},
		{"Retention", got.Retention, want.Retention},
		{"Secrecy", got.Secrecy, want.Secrecy},
		{"Minors", got.Minors, want.Minors},
		{"PolicyDir", got.PolicyDir, want.PolicyDir},
	}
	for _, p := range parts {
		if !reflect.DeepEqual(p.got, p.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", p.name, p.got, p.want)
		}
	}
}

var wantMarker = regexp.MustCompile(`# want: (.*)$`)

// TestBrokenFiles parses every testdata/bad-*.yaml. Each holds one mistake,
// on the line marked "# want: <part of the message>": the file must be
// refused with exactly one problem, at that line, saying that.
func TestBrokenFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad-*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 60 {
		t.Fatalf("found %d broken files; the suite has more than 60", len(files))
	}
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(strings.TrimSuffix(strings.TrimPrefix(name, "bad-"), ".yaml"), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			line, want := marker(t, data)
			cell, _, err := Parse(data, name)
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", cell)
			}
			if cell != nil {
				t.Error("Parse returned a cell with its error")
			}
			var cerr *Error
			if !errors.As(err, &cerr) {
				t.Fatalf("error %T %v is not a *config.Error", err, err)
			}
			if len(cerr.Problems) != 1 {
				t.Fatalf("got %d problems, want 1:\n%v", len(cerr.Problems), err)
			}
			p := cerr.Problems[0]
			if p.File != name || p.Line != line || !strings.Contains(p.Msg, want) {
				t.Fatalf("got %q\nwant %s:%d: ...%s...", p, name, line, want)
			}
			if prefix := name + ":" + strconv.Itoa(line) + ": "; !strings.HasPrefix(err.Error(), prefix) {
				t.Fatalf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

// marker finds the line marked "# want: ..." in a broken file.
func marker(t *testing.T, data []byte) (int, string) {
	t.Helper()
	for i, l := range strings.Split(string(data), "\n") {
		if m := wantMarker.FindStringSubmatch(l); m != nil {
			return i + 1, m[1]
		}
	}
	t.Fatal("the file has no line marked # want:")
	return 0, ""
}

func TestSecretKeyIsNotEchoed(t *testing.T) {
	data, err := os.ReadFile("testdata/bad-actor-recipient-secret.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// The secret is the list item of the line marked # want: (the file's
	// own, so that no key-shaped text sits outside testdata/).
	line, _ := marker(t, data)
	secret := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.Split(string(data), "\n")[line-1]), "- "))
	secret, _, _ = strings.Cut(secret, " ")
	if len(secret) < 20 {
		t.Fatalf("no secret key found on line %d of the fixture", line)
	}
	_, _, err = Parse(data, "x.yaml")
	if err == nil || strings.Contains(strings.ToUpper(err.Error()), strings.ToUpper(secret[:20])) {
		t.Fatalf("error %v echoes the secret key (or there is no error)", err)
	}
}

func TestParseWholeFile(t *testing.T) {
	minimal, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	padded := func(size int) []byte {
		b := append([]byte{}, minimal...)
		pad := size - len(b) - 2
		return append(append(b, '#'), append(bytes.Repeat([]byte{'x'}, pad), '\n')...)
	}
	tests := []struct {
		name string
		data []byte
		want string // "" for success
	}{
		{"empty", nil, "x.yaml: is empty"},
		{"only comments", []byte("# nothing here\n"), "x.yaml: is empty"},
		{"exactly MaxSize", padded(MaxSize), ""},
		{"one byte over MaxSize", padded(MaxSize + 1), "x.yaml: is larger than 1048576 bytes"},
		{"unclosed flow list", []byte("livc: a\nactors: [\n"), "x.yaml:2: not valid YAML"},
		{"a scalar document", []byte("zonnedaal\n"), "x.yaml:1: the configuration must be a mapping, not a single value"},
		{"null document", []byte("~\n"), "x.yaml:1: the configuration must be a mapping, not null"},
		{"trailing empty document", append(append([]byte{}, minimal...), "---\n"...), ""},
		{"anchor loop", []byte("livc: &a [*a]\n"), "x.yaml:1: livc id must be text, not a list"},
		{"complex key", []byte("? [livc]\n: a\n"), "x.yaml:1: a key of the configuration must be a plain name, not a list"},
		{"alias key", []byte("x: &k livc\n*k : a\n"), "x.yaml:2: a key of the configuration must be a plain name, not an alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.data) > 0 && tt.name == "exactly MaxSize" && len(tt.data) != MaxSize {
				t.Fatalf("test input is %d bytes", len(tt.data))
			}
			cell, _, err := Parse(tt.data, "x.yaml")
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("Parse: %v", err)
			case tt.want == "":
				checkInvariants(t, cell)
			case err == nil:
				t.Fatalf("Parse accepted it; want %q", tt.want)
			case !strings.HasPrefix(err.Error(), tt.want):
				t.Fatalf("error %q does not start with %q", err, tt.want)
			}
		})
	}
}

func TestExtras(t *testing.T) {
	data, err := os.ReadFile("testdata/extras.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cell, warnings, err := Parse(data, "extras.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, cell)
	wantWarnings := []string{
		`extras.yaml:6: unknown key "contact" in the configuration is ignored`,
		`extras.yaml:15: unknown key "phone" in actor "pz" is ignored`,
		`extras.yaml:30: unknown key "owner" in purpose "policy" is ignored`,
		`extras.yaml:36: unknown key "note" in field "signal_text" is ignored`,
	}
	if !slices.Equal(warnings, wantWarnings) {
		t.Errorf("warnings:\n got %q\nwant %q", warnings, wantWarnings)
	}
	tests := []struct {
		name      string
		got, want any
	}{
		{"null name", cell.Name, ""},
		{"two post-quantum recipients", len(cell.Actors["ocmw"].Recipients), 2},
		{"pq recipient kept as written", strings.HasPrefix(cell.Actors["ocmw"].Recipients[1], "age1pq1"), true},
		{"empty recipients", len(cell.Actors["dpo"].Recipients), 0},
		{"quoted digit id", cell.Actors["2024"].Coordinator, true},
		{"aliased table", cell.Tables["operational"], []string{"2024", "pz"}},
		{"null table with ~", cell.Purposes["audit_review"].Table, ""},
		{"aliased enum values", cell.Fields["consent"].Values, []string{"yes", "no"}},
		{"integer without min", cell.Fields["threat_level"].Min == nil && *cell.Fields["threat_level"].Max == 4, true},
		{"negative min", *cell.Fields["offset"].Min, int64(-10)},
		{"aliased release", cell.Release["case_conference"]["presence"], []string{"socio_preventive", "police", "local_admin"}},
		{"empty release list", cell.Release["case_conference"]["signal"], []string{}},
		{"retention bounds", cell.Retention, broker.Retention{SignalWithoutCase: 0, ClosedCase: 36525}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Fatalf("got %#v, want %#v", tt.got, tt.want)
			}
		})
	}
}

func TestWarnings(t *testing.T) {
	tests := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"no coordinator", func(s string) string { return strings.Replace(s, "    coordinator: true\n", "", 1) },
			"x.yaml:5: no actor is a coordinator"},
		{"no privacy officer", func(s string) string { return strings.Replace(s, "type: privacy_officer", "type: judicial", 1) },
			"x.yaml:5: no actor is of type privacy_officer"},
		{"a purpose the endpoints need", func(s string) string { return strings.Replace(s, "  audit_review: {table: null}\n", "", 1) },
			`x.yaml:19: purpose "audit_review" is not declared`},
	}
	minimal, err := os.ReadFile("testdata/minimal.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, warnings, err := Parse([]byte(tt.edit(string(minimal))), "x.yaml")
			if err != nil {
				t.Fatal(err)
			}
			if len(warnings) != 1 || !strings.HasPrefix(warnings[0], tt.want) {
				t.Fatalf("warnings %q; want one starting %q", warnings, tt.want)
			}
		})
	}
}

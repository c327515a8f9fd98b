package broker

import (
	"regexp"
	"testing"
)

// idForms are the regexps the hand-written checks of ids.go implement.
var idForms = []struct {
	name    string
	pattern *regexp.Regexp
	valid   func(string) bool
}{
	{"subject ref", regexp.MustCompile(`^s_[a-z2-7]{26}$`), ValidSubjectRef},
	{"dossier id", regexp.MustCompile(`^case_[a-z2-7]{26}$`), ValidCaseID},
	{"record id", regexp.MustCompile(`^(sig|obs)_[a-z2-7]{26}$`), ValidRecordID},
	{"task id", regexp.MustCompile(`^task_[a-z2-7]{26}$`), ValidTaskID},
	{"purpose", regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`), validPurpose},
	{"category", regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`), validCategory},
}

// idSamples are inputs at every edge of the forms.
var idSamples = []string{
	"", "s_", "s_aaaaaaaaaaaaaaaaaaaaaaaaaa", "s_aaaaaaaaaaaaaaaaaaaaaaaaa", "s_aaaaaaaaaaaaaaaaaaaaaaaaaaa",
	"s_234567zzzzzzzzzzzzzzzzzzzz", "s_1aaaaaaaaaaaaaaaaaaaaaaaaa", "s_8aaaaaaaaaaaaaaaaaaaaaaaaa",
	"s_Aaaaaaaaaaaaaaaaaaaaaaaaaa", "S_aaaaaaaaaaaaaaaaaaaaaaaaaa", "s-aaaaaaaaaaaaaaaaaaaaaaaaaa",
	"s_aaaaaaaaaaaaaaaaaaaaaaaaa\n", "s_aaaaaaaaaaaaaaaaaaaaaaaaa{", "s_aaaaaaaaaaaaaaaaaaaaaaaaa`",
	"case_aaaaaaaaaaaaaaaaaaaaaaaaaa", "sig_aaaaaaaaaaaaaaaaaaaaaaaaaa", "obs_aaaaaaaaaaaaaaaaaaaaaaaaaa",
	"sgo_aaaaaaaaaaaaaaaaaaaaaaaaaa", "task_aaaaaaaaaaaaaaaaaaaaaaaaaa", "case_aaaaaaaaaaaaaaaaaaaaaaaaa\xff",
	"a", "z", "signal", "case_conference", "a_9", "9a", "_a", "a-b", "aB", "a b", "é",
	"a23456789012345678901234567890123456789012345678901234567890123",
	"a234567890123456789012345678901234567890123456789012345678901234",
}

func TestIDForms(t *testing.T) {
	for _, f := range idForms {
		t.Run(f.name, func(t *testing.T) {
			for _, s := range idSamples {
				if got, want := f.valid(s), f.pattern.MatchString(s); got != want {
					t.Errorf("%q: %v, the regexp says %v", s, got, want)
				}
			}
		})
	}
}

// FuzzIDForms checks the hand-written checks against their regexps on any
// input (ids come from URLs and request bodies).
func FuzzIDForms(f *testing.F) {
	for _, s := range idSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, form := range idForms {
			if got, want := form.valid(s), form.pattern.MatchString(s); got != want {
				t.Fatalf("%s %q: %v, the regexp says %v", form.name, s, got, want)
			}
		}
	})
}

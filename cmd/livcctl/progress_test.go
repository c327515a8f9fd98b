package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestProgress draws the bar when asked (a pipe is no terminal), prints a
// count otherwise, and nothing with -q.
func TestProgress(t *testing.T) {
	for _, tc := range []struct {
		name         string
		quiet, force bool
		want, not    []string
	}{
		{"bar when asked", false, true, []string{"\r[" + strings.Repeat("#", barWidth/2) + strings.Repeat(".", barWidth/2) + "]  50% 500/1000 entries", "100% 1000/1000 entries\n"}, nil},
		{"a count when stderr is no terminal", false, false, []string{"replayed 1000 of 1000 entries\n"}, []string{"["}},
		{"nothing with -q", true, true, nil, []string{"[", "replayed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			p := newProgress(&b, 1000, tc.quiet, tc.force)
			for _, n := range []int64{250, 500, 501, 1000} {
				p.show(n)
			}
			p.done()
			for _, w := range tc.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output %q lacks %q", b.String(), w)
				}
			}
			for _, w := range tc.not {
				if strings.Contains(b.String(), w) {
					t.Errorf("output %q holds %q", b.String(), w)
				}
			}
			if tc.quiet && b.Len() != 0 {
				t.Errorf("-q printed %q", b.String())
			}
		})
	}
}

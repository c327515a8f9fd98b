package jsonenc

import (
	"bytes"
	"encoding/json"
	"testing"
)

// tricky are strings of the characters AppendString treats apart that are
// more than one byte (every single byte: TestAppendStringEveryByte).
var tricky = []string{"", "é ü ß 漢字 🙂", "line\u2028para\u2029", "bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate", "é\xe2\x82",
	`quote " and \ backslash <b>&amp;`}

func TestAppendString(t *testing.T) {
	for _, s := range tricky {
		t.Run(s, func(t *testing.T) { checkString(t, s) })
	}
}

func TestAppendStrings(t *testing.T) {
	for name, ss := range map[string][]string{"nil": nil, "empty": {}, "one": {"a"}, "tricky": tricky} {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(ss)
			if err != nil {
				t.Fatal(err)
			}
			if got := AppendStrings([]byte("x"), ss); !bytes.Equal(got, append([]byte("x"), want...)) {
				t.Fatalf("AppendStrings = %s, json.Marshal = %s", got[1:], want)
			}
		})
	}
}

// FuzzAppendString: any string, invalid UTF-8 included, is quoted byte for
// byte as json.Marshal quotes it.
func FuzzAppendString(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(checkString)
}

func checkString(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := AppendString(nil, s); !bytes.Equal(got, want) {
		t.Fatalf("AppendString(%q) = %s, json.Marshal = %s", s, got, want)
	}
}

// Every single byte, alone and between plain ones, as json.Marshal has it.
func TestAppendStringEveryByte(t *testing.T) {
	for c := range 256 {
		checkString(t, string([]byte{byte(c)}))
		checkString(t, "a"+string([]byte{byte(c)})+"b")
	}
}

func BenchmarkAppendString(b *testing.B) {
	s := "a signal of about a hundred characters, as a social worker would type it in a hurry, été"
	buf := make([]byte, 0, 256)
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}

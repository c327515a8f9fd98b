package witness

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestParseAddCheckpoint reads the vectors of testdata/add-checkpoint:
// ok-*.txt parse and marshal back to the same bytes, bad-*.txt are refused.
func TestParseAddCheckpoint(t *testing.T) {
	files, err := filepath.Glob("testdata/add-checkpoint/*.txt")
	if err != nil || len(files) < 10 {
		t.Fatalf("vectors: %v %v", files, err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ParseAddCheckpoint(body)
			if strings.HasPrefix(name, "bad-") {
				if err == nil {
					t.Fatalf("parsed: %+v", a)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Marshal(), body) {
				t.Fatalf("marshal:\n%s\nwant:\n%s", a.Marshal(), body)
			}
		})
	}
	t.Run("the fields", func(t *testing.T) {
		body, _ := os.ReadFile("testdata/add-checkpoint/ok-proof.txt")
		a, err := ParseAddCheckpoint(body)
		if err != nil || a.Old != 10 || len(a.Proof) != 2 || a.Proof[0][31] != 31 || !bytes.HasPrefix(a.Checkpoint, []byte("livc-broker/audit/zonnedaal\n17\n")) {
			t.Fatalf("%+v %v", a, err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		if _, err := ParseAddCheckpoint(append([]byte("old 0\n\n"), make([]byte, MaxBody)...)); err == nil {
			t.Fatal("parsed")
		}
	})
}

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{{"17\n", 17, true}, {"0", 0, true}, {"017\n", 0, false}, {"-1\n", 0, false}, {"", 0, false}, {"1 2\n", 0, false}} {
		t.Run(tc.in, func(t *testing.T) {
			n, err := ParseSize([]byte(tc.in))
			if (err == nil) != tc.ok || n != tc.want {
				t.Fatalf("%d %v", n, err)
			}
		})
	}
}

// FuzzParseAddCheckpoint: the parser never panics, and what it accepts
// marshals back to the very bytes it read (one text per request).
func FuzzParseAddCheckpoint(f *testing.F) {
	files, _ := filepath.Glob("testdata/add-checkpoint/*.txt")
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseAddCheckpoint(body)
		if err != nil {
			return
		}
		if len(a.Proof) > MaxProof || len(a.Checkpoint) == 0 || a.Old < 0 {
			t.Fatalf("accepted %+v", a)
		}
		if !bytes.Equal(a.Marshal(), body) {
			t.Fatalf("not canonical: %q", body)
		}
	})
}

// FuzzParseSize: a witness's 409 body is read only as a canonical size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"17\n", "0", "-1\n", "017\n", "9223372036854775808\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseSize(body)
		if err == nil && (n < 0 || strings.TrimSuffix(string(body), "\n") != strconv.FormatInt(n, 10)) {
			t.Fatalf("accepted %q as %d", body, n)
		}
	})
}

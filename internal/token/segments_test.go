package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestCheckSegments(t *testing.T) {
	enc := func(header, payload string) string {
		return b64s(header) + "." + b64s(payload) + ".c2ln"
	}
	for _, tc := range []struct {
		name string
		raw  string
		want error // nil to accept
	}{
		{"plain objects", enc(`{"alg":"EdDSA"}`, `{"sub":"a","aud":["x","y"]}`), nil},
		{"the same key in two objects", enc(`{"alg":"EdDSA"}`, `{"a":{"k":1},"b":{"k":1}}`), nil},
		{"a key repeated in the header", enc(`{"alg":"EdDSA","alg":"none"}`, `{}`), errRepeatedKey},
		{"a key repeated in the payload", enc(`{"alg":"EdDSA"}`, `{"actor":"a","actor":"b"}`), errRepeatedKey},
		{"a key repeated in a list's object", enc(`{"alg":"EdDSA"}`, `{"l":[{"k":1,"k":1}]}`), errRepeatedKey},
		{"a key repeated by an escape", enc(`{"alg":"EdDSA"}`, `{"sub":"a","s\u0075b":"b"}`), errRepeatedKey},
		{"payload a string", enc(`{"alg":"EdDSA"}`, `"x"`), errMalformed},
		{"header not JSON", enc(`{alg}`, `{}`), errMalformed},
		{"invalid UTF-8", enc(`{"alg":"EdDSA"}`, "{\"sub\":\"\xff\"}"), errMalformed},
		{"padded base64", b64s(`{"alg":"EdDSA"}`) + "=." + b64s(`{}`) + ".c2ln", errMalformed},
		{"nested too deep", enc(`{"alg":"EdDSA"}`, strings.Repeat(`{"a":`, 20)+"1"+strings.Repeat("}", 20)), errMalformed},
		{"two segments", "e30.e30", errMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkSegments(tc.raw)
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

func b64s(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// FuzzCheckSegments holds checkSegments to an oracle built on encoding/json:
// a token it accepts has a header and a payload that are JSON objects
// without a repeated key at any depth; a token whose segments are valid JSON
// objects with a repeated key is refused as such.
func FuzzCheckSegments(f *testing.F) {
	for _, seg := range [][2]string{
		{`{"alg":"EdDSA","kid":"k"}`, `{"sub":"a","exp":1}`},
		{`{"alg":"EdDSA","alg":"none"}`, `{}`},
		{`{"alg":"EdDSA"}`, `{"a":[{"b":1,"b":2}]}`},
		{`{"alg":"EdDSA"}`, `{"\u0061":1,"a":2}`},
		{`{}`, `[]`},
	} {
		f.Add(seg[0], seg[1])
	}
	f.Fuzz(func(t *testing.T, header, payload string) {
		raw := b64s(header) + "." + b64s(payload) + ".c2ln"
		err := checkSegments(raw)
		hOK, hDup := oracle(header)
		pOK, pDup := oracle(payload)
		if err == nil && (!hOK || !pOK || hDup || pDup) {
			t.Fatalf("accepted %q . %q (objects %v %v, repeated %v %v)", header, payload, hOK, pOK, hDup, pDup)
		}
		if hOK && pOK && (hDup || pDup) && err == nil {
			t.Fatalf("a repeated key accepted: %q . %q", header, payload)
		}
	})
}

// oracle reports whether s is one JSON object (encoding/json's reading) and
// whether any object in it repeats a key.
func oracle(s string) (object, repeated bool) {
	if !json.Valid([]byte(s)) || !strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "{") {
		return false, false
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	type frame struct {
		keys  map[string]bool
		isObj bool
		key   bool // the next string token is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true, repeated
		}
		if err != nil {
			return false, false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{', '[':
				if top != nil && top.isObj {
					top.key = true
				}
				stack = append(stack, &frame{keys: map[string]bool{}, isObj: v == '{', key: v == '{'})
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.isObj && top.key {
				if top.keys[v] {
					repeated = true
				}
				top.keys[v] = true
				top.key = false
				continue
			}
			if top != nil && top.isObj {
				top.key = true
			}
		default:
			if top != nil && top.isObj {
				top.key = true
			}
		}
	}
}

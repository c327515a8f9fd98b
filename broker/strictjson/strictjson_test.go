package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

var testLimits = Limits{MaxBytes: 1 << 16, MaxDepth: 4}

func TestDecodeAccepts(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"object", `{"a":"b","c":[1,true,false,null]}`,
			map[string]any{"a": "b", "c": []any{json.Number("1"), true, false, nil}}},
		{"white space around", " \t\r\n{ \"a\" : [ ] , \"b\" : { } }\n ",
			map[string]any{"a": []any{}, "b": map[string]any{}}},
		{"numbers kept as written", `[-0,0,12,1.50,1e2,1E+2,-3.5e-7]`,
			[]any{json.Number("-0"), json.Number("0"), json.Number("12"), json.Number("1.50"),
				json.Number("1e2"), json.Number("1E+2"), json.Number("-3.5e-7")}},
		{"escapes", `"\"\\\/\b\f\n\r\t\u00e9\u20AC"`, "\"\\/\b\f\n\r\té€"},
		{"surrogate pair", `"\ud83d\ude00"`, "😀"},
		{"raw UTF-8", `"ü€😀"`, "ü€😀"},
		{"escaped NUL (left to the caller)", `"\u0000"`, "\x00"},
		{"same key in sibling objects", `[{"a":1},{"a":2}]`,
			[]any{map[string]any{"a": json.Number("1")}, map[string]any{"a": json.Number("2")}}},
		{"keys differing by case", `{"a":1,"A":2}`, map[string]any{"a": json.Number("1"), "A": json.Number("2")}},
		{"depth 4", `[[[{}]]]`, []any{[]any{[]any{map[string]any{}}}}},
		{"scalar at top", `"x"`, "x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.in), testLimits)
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		field string
	}{
		{"duplicate key at top", `{"a":1,"b":2,"a":3}`, "a"},
		{"duplicate key, same value", `{"a":1,"a":1}`, "a"},
		{"duplicate key nested", `{"fields":{"presence":"x","presence":"y"}}`, "fields.presence"},
		{"duplicate key in an array's object", `{"l":[{},{"k":1,"k":2}]}`, "l[1].k"},
		{"duplicate key written with an escape", `{"ab":1,"a\u0062":2}`, "ab"},
		{"duplicate key not plain", `{"x y":1,"x y":2}`, "<key>"},
		{"duplicate empty key", `{"":1,"":2}`, "<key>"},
		{"depth 5", `[[[[{}]]]]`, "[0][0][0][0]"},
		{"depth 5 in objects", `{"a":{"b":{"c":{"d":{}}}}}`, "a.b.c.d"},
		{"very deep", strings.Repeat("[", 30000) + strings.Repeat("]", 30000), "[0][0][0][0]"},
		{"trailing value", `{} {}`, ""},
		{"trailing garbage", `{}x`, ""},
		{"trailing NUL", "{}\x00", ""},
		{"empty", ``, ""},
		{"white space only", `  `, ""},
		{"byte order mark", "\ufeff{}", ""},
		{"invalid UTF-8", "\"\xff\"", ""},
		{"invalid UTF-8 in a key", "{\"\xc3\":1}", ""},
		{"invalid UTF-8 after an escape", "{\"k\":[\"\\n\xff\"]}", "k[0]"},
		{"invalid UTF-8 outside a string", "{\"k\":\xc3\xa9}", "k"},
		{"lone high surrogate", `{"a":"\ud800"}`, "a"},
		{"lone low surrogate", `{"a":"\udc00x"}`, "a"},
		{"high surrogate then letter", `{"a":"\ud800\u0041"}`, "a"},
		{"high surrogate at end", `{"a":"\ud83d"}`, "a"},
		{"lone surrogate in a key", `{"\ud800":1}`, ""},
		{"raw control character", "{\"a\":\"x\ty\"}", "a"},
		{"bad escape", `{"a":"\x"}`, "a"},
		{"short unicode escape", `{"a":"\u12"}`, "a"},
		{"unterminated string", `{"a":"x`, "a"},
		{"single quotes", `{'a':1}`, ""},
		{"unquoted key", `{a:1}`, ""},
		{"trailing comma in object", `{"a":1,}`, ""},
		{"trailing comma in array", `[1,]`, "[1]"},
		{"missing colon", `{"a" 1}`, "a"},
		{"missing value", `{"a":}`, "a"},
		{"leading zero", `[01]`, "[0]"},
		{"plus sign", `[+1]`, "[0]"},
		{"bare fraction", `[.5]`, "[0]"},
		{"fraction without digits", `[1.]`, "[0]"},
		{"exponent without digits", `[1e]`, "[0]"},
		{"minus alone", `[-]`, "[0]"},
		{"NaN", `[NaN]`, "[0]"},
		{"Infinity", `[Infinity]`, "[0]"},
		{"hex number", `[0x10]`, "[0]"},
		{"truncated literal", `[tru]`, "[0]"},
		{"capitalised literal", `[True]`, "[0]"},
		{"comment", `{} // x`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := Decode([]byte(tc.in), testLimits)
			if err == nil {
				t.Fatalf("accepted as %#v", v)
			}
			wantInvalid(t, err, tc.field)
		})
	}
}

func TestDecodeSize(t *testing.T) {
	lim := Limits{MaxBytes: 10, MaxDepth: 4}
	if _, err := Decode([]byte(`"12345678"`), lim); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
	if _, err := Decode([]byte(`"123456789"`), lim); !tooLarge(err) {
		t.Fatalf("over the limit: %v, want TooLarge", err)
	}
	if _, err := Decode([]byte(`1`), Limits{}); !tooLarge(err) {
		t.Fatalf("zero limits: %v, want TooLarge", err)
	}
	if _, err := Decode([]byte(`{}`), Limits{MaxBytes: 10}); err == nil || tooLarge(err) {
		t.Fatalf("depth 0 and an object: %v, want a refusal that is not TooLarge", err)
	}
}

func TestPath(t *testing.T) {
	tests := []struct{ parent, key, want string }{
		{"", "subject", "subject"},
		{"fields", "school_absence_days", "fields.school_absence_days"},
		{"fields", "Jan Peeters", "fields.<key>"},
		{"fields", "a.b", "fields.<key>"},
		{"fields", strings.Repeat("k", 65), "fields.<key>"},
		{"fields", "", "fields.<key>"},
	}
	for _, tc := range tests {
		t.Run(tc.want+"/"+tc.key, func(t *testing.T) {
			if got := Path(tc.parent, tc.key); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// FuzzStrictJSON checks Decode against encoding/json: what it
// accepts, encoding/json accepts and reads the same; what encoding/json
// refuses, it refuses; and it never panics or goes deeper than its limit.
func FuzzStrictJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5,"x",true,null,{}]}`, `{"a":1,"a":2}`, `"\ud83d\ude00"`, `"\ud800"`,
		`[[[[[]]]]]`, `1e2`, `-0`, "\"\xff\"", `{} {}`, ` "a\u0000" `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Decode(data, testLimits)
		if err != nil {
			checkRefusal(t, err)
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted what encoding/json refuses")
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var want any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("encoding/json: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, encoding/json %#v", got, want)
		}
		if d := jsonDepth(got); d > testLimits.MaxDepth {
			t.Fatalf("accepted depth %d", d)
		}
	})
}

func jsonDepth(v any) int {
	deepest := 0
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			deepest = max(deepest, jsonDepth(x))
		}
		return deepest + 1
	case []any:
		for _, x := range v {
			deepest = max(deepest, jsonDepth(x))
		}
		return deepest + 1
	}
	return 0
}

func tooLarge(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.TooLarge
}

// wantInvalid fails unless err is a refusal of the value at path, with a
// detail.
func wantInvalid(t testing.TB, err error, path string) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.TooLarge || e.Path != path || e.Detail == "" {
		t.Fatalf("err = %#v, want a refusal of %q with a detail", err, path)
	}
}

// checkRefusal fails unless err is nil or an *Error with a detail.
func checkRefusal(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if err != nil && (!errors.As(err, &e) || e.Detail == "") {
		t.Fatalf("refusal is not an *Error with a detail: %#v", err)
	}
}

package broker

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/livc/livc-broker/broker/strictjson"
)

// readBody reads the request body and decodes it into a T (decodeBody);
// a refusal is audited.
func readBody[T any](ctx context.Context, c *call) (T, error) {
	var in T
	body, err := c.body(ctx)
	if err != nil {
		return in, err
	}
	if err := decodeBody(body, &in); err != nil {
		return in, c.fail(ctx, err)
	}
	return in, nil
}

// decodeBody decodes a JSON request body into v strictly: unknown fields,
// duplicate keys, trailing data and wrong types are refused with 422.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf(KindBadRequest, "a JSON body is required")
	}
	// The strict parser refuses what encoding/json lets through: duplicate
	// keys, lone surrogates, invalid UTF-8, deep nesting.
	if _, err := decodeStrictJSON(body, strictjson.Limits{MaxBytes: len(body), MaxDepth: 4}); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return Invalid(te.Field, "has the wrong type")
		}
		if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			return Invalid(strings.Trim(name, `"`), "is not a field of this request")
		}
		return Wrap(KindInvalid, err, "the body is not valid JSON for this request")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(KindInvalid, "the body holds data after the JSON value")
	}
	return nil
}

// decodeStrictJSON is strictjson.Decode with its refusal in the broker's
// vocabulary: KindTooLarge, or KindInvalid naming the offending value.
func decodeStrictJSON(data []byte, lim strictjson.Limits) (any, error) {
	v, err := strictjson.Decode(data, lim)
	if err == nil {
		return v, nil
	}
	var e *strictjson.Error
	switch {
	case !errors.As(err, &e):
		return nil, Wrap(KindInternal, err, "the JSON could not be read")
	case e.TooLarge:
		return nil, &Error{Kind: KindTooLarge, Detail: e.Detail}
	}
	return nil, &Error{Kind: KindInvalid, Field: e.Path, Detail: e.Detail}
}

// checkFreeText refuses an empty text, one over max characters, or one holding
// control characters other than newlines and tabs.
func checkFreeText(field, s string, max int) error {
	if strings.TrimSpace(s) == "" {
		return Invalid(field, "is required")
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return Invalid(field, "must be text of at most %d characters", max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return Invalid(field, "holds a control character")
		}
	}
	return nil
}

// offsetPage reads the ?cursor= and ?limit= of a list paged by offset: the
// cursor is an offset the list gave (at most max), the limit from 1 to
// MaxLimit, DefaultLimit when absent.
func offsetPage(cursor, limit string, max int) (from, n int, err error) {
	n = DefaultLimit
	if limit != "" {
		if n, err = strconv.Atoi(limit); err != nil || n < 1 || n > MaxLimit {
			return 0, 0, Invalid("limit", "must be from 1 to %d", MaxLimit)
		}
	}
	if cursor != "" {
		if from, err = strconv.Atoi(cursor); !cursorPattern.MatchString(cursor) || err != nil || from > max {
			return 0, 0, Invalid("cursor", "is not a cursor of this list")
		}
	}
	return from, n, nil
}

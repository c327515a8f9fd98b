package broker

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// decodeBody decodes a JSON request body into v strictly: unknown fields,
// duplicate keys, trailing data and wrong types are refused with 422.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return Errorf(KindBadRequest, "a JSON body is required")
	}
	// The strict parser refuses what encoding/json lets through: duplicate
	// keys, lone surrogates, invalid UTF-8, deep nesting.
	if _, err := DecodeStrictJSON(body, JSONLimits{MaxBytes: len(body), MaxDepth: 4}); err != nil {
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

package audit

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/broker"
)

// FuzzDecodeStreamEntry decodes stream messages as List and Export read
// them from Redis, which whoever tampers with the log controls: the id, the
// "entry" field (present as a string, missing, or of another type) and the
// "leaf" field. Nothing may panic; an entry is decoded only from a string
// that is an audit entry's JSON, with the stored leaf as it is; an id maps
// to an index only when it is exactly 0-(index+1).
func FuzzDecodeStreamEntry(f *testing.F) {
	f.Add("0-1", `{"id":"aud_aaaaaaaaaaaaaaaaaaaaaaaaaa","actor":"pz","action":"card.read","index":0}`, "ab", uint8(0))
	f.Add("0-2", "", "", uint8(1))
	f.Add("0-01", `{"index":1}`, "", uint8(2))
	f.Add("1-1", `{"index":"1"}`, "", uint8(3))
	f.Fuzz(func(t *testing.T, id, doc, leaf string, mode uint8) {
		m := redis.XMessage{ID: id, Values: map[string]any{"leaf": leaf}}
		switch mode % 4 {
		case 0:
			m.Values["entry"] = doc
		case 2:
			m.Values["entry"] = len(doc) // not a string
		case 3:
			m.Values["entry"], m.Values["leaf"] = doc, len(leaf)
		}
		e, err := decode(m)
		s, isString := m.Values["entry"].(string)
		var want broker.AuditEntry
		wantErr := !isString || json.Unmarshal([]byte(s), &want) != nil
		if wantErr != (err != nil) {
			t.Fatalf("decode %v: error %v, want error %v", m.Values, err, wantErr)
		}
		if err == nil {
			storedLeaf, _ := m.Values["leaf"].(string)
			if e.LeafHash != storedLeaf || e.Index != want.Index || e.ID != want.ID {
				t.Fatalf("decoded %+v from %q", e, s)
			}
		}
		if i := streamIndex(id); i != -1 && (i < 0 || "0-"+strconv.FormatInt(i+1, 10) != id) {
			t.Fatalf("stream id %q taken for index %d", id, i)
		}
	})
}

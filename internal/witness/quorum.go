package witness

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/livc/livc-broker/broker/auditlog"
)

// QuorumError is a checkpoint without enough valid cosignatures: it names
// the witnesses whose cosignature is missing and those whose cosignature
// does not verify.
type QuorumError struct {
	Need, Have       int
	Missing, Invalid []string
}

func (e *QuorumError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the checkpoint has %d valid witness cosignatures of the %d required", e.Have, e.Need)
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "; no cosignature from %s", strings.Join(e.Missing, ", "))
	}
	if len(e.Invalid) > 0 {
		fmt.Fprintf(&b, "; an invalid cosignature from %s", strings.Join(e.Invalid, ", "))
	}
	return b.String()
}

// ParseWitnessKeys parses witness verifier keys (cosignature/v1), refusing
// two of one name.
func ParseWitnessKeys(vkeys []string) ([]note.Verifier, error) {
	var out []note.Verifier
	for _, k := range vkeys {
		v, err := auditlog.NewCosignatureVerifier(k)
		if err != nil {
			return nil, err
		}
		if slices.ContainsFunc(out, func(o note.Verifier) bool { return o.Name() == v.Name() }) {
			return nil, fmt.Errorf("witness: two keys named %s", v.Name())
		}
		out = append(out, v)
	}
	return out, nil
}

// Quorum checks that signed (a checkpoint note that verifies with the
// log's key logKey) carries valid cosignatures of at least need of the
// witnesses ws. It returns the names of those that cosigned, and a
// *QuorumError naming the others when they are too few.
func Quorum(signed []byte, logKey note.Verifier, ws []note.Verifier, need int) ([]string, error) {
	if need < 1 || need > len(ws) {
		return nil, fmt.Errorf("witness: a quorum of %d of %d witness keys", need, len(ws))
	}
	if _, err := note.Open(signed, note.VerifierList(logKey)); err != nil {
		return nil, errors.New("witness: the checkpoint does not verify with the log's key")
	}
	valid, invalid := auditlog.Cosignatures(signed, logKey, ws)
	var ok, missing []string
	for _, w := range ws {
		switch {
		case valid[w.Name()] != "":
			ok = append(ok, w.Name())
		case !slices.Contains(invalid, w.Name()):
			missing = append(missing, w.Name())
		}
	}
	if len(ok) < need {
		return ok, &QuorumError{Need: need, Have: len(ok), Missing: missing, Invalid: invalid}
	}
	return ok, nil
}

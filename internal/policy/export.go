package policy

import "github.com/livc/livc-broker/broker"

// DataJSON returns the data document the engine evaluates the policy over,
// {"cells": {livc: …}}, as canonical JSON. It is what another Rego runtime
// (OPA's own server, for the load tool's comparison) must be given to reach
// the same decisions from policies/decision.rego.
func DataJSON(cells map[string]*broker.Cell) ([]byte, error) {
	_, raw, err := cellData(cells)
	return raw, err
}

package config

import (
	_ "embed"
	"fmt"

	"github.com/livc/livc-broker/broker"
)

// demoYAML is a copy of spec/livc-example.yaml: the fictional cell Zonnedaal.
//
//go:embed demo/zonnedaal.yaml
var demoYAML []byte

// DemoFile is the name the demo cell's messages use.
const DemoFile = "zonnedaal.yaml"

// Demo returns a fresh copy of the embedded demo cell, for a broker started
// without a configuration. It panics only if the embedded file is broken,
// which the package's tests rule out.
func Demo() *broker.Cell {
	cell, _, err := Parse(demoYAML, DemoFile)
	if err != nil {
		panic(fmt.Sprintf("config: the embedded demo cell is broken: %v", err))
	}
	return cell
}

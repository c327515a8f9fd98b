package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/internal/config"
	"github.com/livc/livc-broker/internal/policy"
)

const checkUsage = `Usage: livc-broker check --config FILE [--config FILE]...

Loads and validates each cell's configuration and compiles the policy over them (the
embedded policy and each cell's own rules), as serve does at start, without starting
anything: no Redis, no keys, no listener. Every problem is printed as FILE:LINE: message
where the line is known. Exit status 0: serve would accept it; 1: it would refuse; 2: usage.

`

// parseCheck reads the flags of `livc-broker check`: the configurations,
// as serve takes them (repeat --config, or LIVC_CONFIG comma-separated).
func parseCheck(args []string, stderr io.Writer) ([]string, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var configs multiFlag
	fs.Var(&configs, "config", "a cell's configuration `FILE`; repeat for several cells (env LIVC_CONFIG, comma-separated)")
	fs.Usage = func() { fmt.Fprint(stderr, checkUsage); fs.PrintDefaults() }
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	configs = append(configs, fs.Args()...) // check FILE... reads as well
	if len(configs) == 0 {
		if v := envOr("LIVC_CONFIG", ""); v != "" {
			configs = strings.Split(v, ",")
		}
	}
	if len(configs) == 0 {
		return nil, errors.New("--config FILE is required: the cells' configuration to check")
	}
	return configs, nil
}

// check loads the configurations and compiles the policy over them as
// serve does (config.LoadAll, then policy.New), and reports to stdout what
// serve would serve, or returns every problem found.
func check(ctx context.Context, configs []string, stdout io.Writer) error {
	cells, warnings, err := config.LoadAll(configs)
	for _, w := range warnings {
		fmt.Fprintf(stdout, "warning: %s\n", w)
	}
	if err != nil {
		return err
	}
	if _, err := policy.New(ctx, cells, policy.Conf{}); err != nil {
		return policyFiles(err, cells)
	}
	fmt.Fprintf(stdout, "ok: %d cell(s) %s from %s; the policy compiles\n", len(cells),
		strings.Join(slices.Sorted(maps.Keys(cells)), ", "), strings.Join(configs, ", "))
	return nil
}

// policyFiles names a cell's own Rego module in a policy error by its file
// (the policies directory's path) rather than the name the engine gives it
// (cells/<livc>/<file>), so that the line points into a file one can open.
func policyFiles(err error, cells map[string]*broker.Cell) error {
	msg := err.Error()
	for id, c := range cells {
		if c.PolicyDir != "" {
			msg = strings.ReplaceAll(msg, "cells/"+id+"/", c.PolicyDir+string(filepath.Separator))
		}
	}
	return errors.New(msg)
}

// checkMain runs `livc-broker check` and returns its exit code.
func checkMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	configs, err := parseCheck(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "livc-broker check: %v\n", err)
		return 2
	}
	if err := check(ctx, configs, stdout); err != nil {
		fmt.Fprintf(stderr, "livc-broker check: serve would refuse this configuration:\n%v\n", err)
		return 1
	}
	return 0
}

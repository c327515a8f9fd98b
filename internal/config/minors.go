package config

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/livc/livc-broker/broker"
)

// maxMinorsAge bounds minors.age: an age in years a person may be under.
const maxMinorsAge = 125

// secrecySection reads secrecy: the actor types bound by professional
// secrecy (art. 458ter): their records reach a dossier's roster only once
// their submitter shares them with that dossier.
func (b *builder) secrecySection(n *yaml.Node) {
	items, ok := b.sequence(n, "secrecy")
	if !ok {
		return
	}
	types := []string{}
	for _, item := range items {
		t, ok := b.text(item, "an actor type of secrecy")
		switch {
		case !ok:
		case !slices.Contains(broker.ActorTypes, t):
			b.errf(resolve(item), "secrecy names actor type %q, which is not an actor type; use one of %s", clip(t), strings.Join(broker.ActorTypes, ", "))
		case slices.Contains(types, t):
			b.errf(resolve(item), "secrecy names actor type %q twice", t)
		default:
			types = append(types, t)
		}
	}
	b.cell.Secrecy = types
}

// minorsSection reads minors: the age under which a person is a minor
// (required), the release matrix that replaces release for them (required:
// write release: {} to release nothing), which may only release less than
// release, and the retention periods it shortens (optional, each at most the
// cell's own). It must come after the release and retention sections.
func (b *builder) minorsSection(n *yaml.Node) {
	const what = "minors"
	entries, ok := b.mapping(n, what)
	if !ok {
		return
	}
	b.known(entries, what, "age", "release", "retention")
	m := &broker.Minors{}
	if v := b.required(n, entries, "age", what); v != nil {
		age, _ := b.integer(v, "minors age (years)", 1, maxMinorsAge)
		m.Age = int(age)
	}
	if v := b.required(n, entries, "release", what); v != nil {
		m.Release = b.releaseMatrix(v, "minors.release", b.cell.Release)
	}
	if v := lookup(entries, "retention"); v != nil {
		m.Retention = b.minorsRetention(v)
	}
	b.cell.Minors = m
}

// minorsRetention reads minors.retention: each period it names replaces the
// cell's and may only shorten it; a period it does not name stays 0.
func (b *builder) minorsRetention(n *yaml.Node) broker.Retention {
	const what = "minors.retention"
	var r broker.Retention
	entries, ok := b.mapping(n, what)
	if !ok {
		return r
	}
	b.known(entries, what, "signal_without_case", "closed_case")
	days := func(key string, adult int) int {
		v := lookup(entries, key)
		if v == nil {
			return 0
		}
		d, ok := b.integer(v, fmt.Sprintf("%s %s (days)", what, key), 1, maxRetentionDays)
		if ok && int(d) > adult {
			b.errf(resolve(v), "%s %s is %d days, longer than retention %s (%d days); it may only shorten it", what, key, d, key, adult)
		}
		return int(d)
	}
	r.SignalWithoutCase = days("signal_without_case", b.cell.Retention.SignalWithoutCase)
	r.ClosedCase = days("closed_case", b.cell.Retention.ClosedCase)
	return r
}

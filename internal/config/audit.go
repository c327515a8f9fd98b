package config

import (
	"time"

	"go.yaml.in/yaml/v3"
)

// auditSection reads the optional audit: section, the thresholds of the
// privacy officer's alerts; a key left out keeps its default
// (broker.DefaultAuditConf):
//
//	audit:
//	  alert_window_minutes: 60   # the sliding window of every alert
//	  max_persons: 20            # distinct persons one individual may read in a window
//	  max_denials: 5             # denials of one individual in a window
//	  max_auth_failures: 5       # failed logins in a window
func (b *builder) auditSection(n *yaml.Node) {
	const what = "audit"
	entries, ok := b.mapping(n, what)
	if !ok {
		return
	}
	b.known(entries, what, "alert_window_minutes", "max_persons", "max_denials", "max_auth_failures")
	set := func(key string, lo, hi int64, dst *int) {
		if v := lookup(entries, key); v != nil {
			if x, ok := b.integer(v, "audit "+key, lo, hi); ok {
				*dst = int(x)
			}
		}
	}
	a := &b.cell.Audit
	minutes := int(a.AlertWindow / time.Minute)
	set("alert_window_minutes", 1, 7*24*60, &minutes)
	a.AlertWindow = time.Duration(minutes) * time.Minute
	set("max_persons", 1, 100000, &a.MaxPersons)
	set("max_denials", 1, 100000, &a.MaxDenials)
	set("max_auth_failures", 1, 100000, &a.MaxAuthFailures)
}

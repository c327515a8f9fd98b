package config

import (
	"fmt"
	"net/url"
	"time"

	"github.com/livc/livc-broker/broker"
	"github.com/livc/livc-broker/broker/auditlog"

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
//	  witnesses: [...]           # optional, see witnesses
func (b *builder) auditSection(n *yaml.Node) {
	const what = "audit"
	entries, ok := b.mapping(n, what)
	if !ok {
		return
	}
	b.known(entries, what, "alert_window_minutes", "max_persons", "max_denials", "max_auth_failures", "witnesses")
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
	if v := lookup(entries, "witnesses"); v != nil {
		a.Witnesses = b.witnesses(v)
	}
}

// witnesses reads audit: witnesses:, the outside parties that cosign the
// cell's checkpoints:
//
//	audit:
//	  witnesses:
//	    - name: coc.example          # the name in its key
//	      key: coc.example+1a2b3c4d+BF…   # its cosignature/v1 verifier key
//	      url: https://witness.coc.example/   # POST <url>/add-checkpoint
func (b *builder) witnesses(n *yaml.Node) []broker.Witness {
	items, ok := b.sequence(n, "audit witnesses")
	if !ok {
		return nil
	}
	var out []broker.Witness
	seen := map[string]int{}
	for i, item := range items {
		what := fmt.Sprintf("audit witness %d", i+1)
		entries, ok := b.mapping(item, what)
		if !ok {
			continue
		}
		b.known(entries, what, "name", "key", "url")
		var w broker.Witness
		for _, f := range []struct {
			key string
			dst *string
		}{{"name", &w.Name}, {"key", &w.Key}, {"url", &w.URL}} {
			if v := b.required(item, entries, f.key, what); v != nil {
				*f.dst, _ = b.text(v, "the "+f.key+" of "+what)
			}
		}
		if w.Key != "" {
			if v, err := auditlog.NewCosignatureVerifier(w.Key); err != nil {
				b.errf(resolve(lookup(entries, "key")), "the key of %s is not a cosignature/v1 verifier key (name+hash+base64 of 0x04 and an Ed25519 public key)", what)
			} else if w.Name != "" && v.Name() != w.Name {
				b.errf(resolve(lookup(entries, "name")), "%s is named %q but its key is of %q: name it as its key does", what, clip(w.Name), clip(v.Name()))
			}
		}
		if w.URL != "" {
			if u, err := url.Parse(w.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
				b.errf(resolve(lookup(entries, "url")), "the url of %s must be an absolute http or https URL without query", what)
			}
		}
		if first, dup := seen[w.Name]; dup && w.Name != "" {
			b.errf(resolve(item), "%s is named %q like witness %d", what, clip(w.Name), first)
		}
		seen[w.Name] = i + 1
		out = append(out, w)
	}
	return out
}

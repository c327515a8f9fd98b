package main

import (
	"flag"
	"testing"
	"time"

	"github.com/livc/livc-broker/internal/ratelimit"
)

func TestParseServeLimits(t *testing.T) {
	noUsage := func(*flag.FlagSet) {}
	tests := []struct {
		name string
		args []string
		env  map[string]string
		ok   bool
		want func(limitsConf) bool
	}{
		{"defaults", nil, nil, true, func(l limitsConf) bool {
			return l.ReadHeaderTimeout == 5*time.Second && l.ReadTimeout == 30*time.Second && l.WriteTimeout == 30*time.Second &&
				l.IdleTimeout == 120*time.Second && l.ShutdownTimeout == 15*time.Second && l.MaxHeaderBytes == 32768 &&
				l.RateLimit == ratelimit.Limit{PerSecond: 100, Burst: 200, ActorPerSecond: 1000, ActorBurst: 2000}
		}},
		{"flags", []string{"--read-header-timeout", "2s", "--write-timeout", "1m", "--rate-limit", "0.5", "--rate-burst", "3"}, nil, true, func(l limitsConf) bool {
			return l.ReadHeaderTimeout == 2*time.Second && l.WriteTimeout == time.Minute && l.RateLimit == ratelimit.Limit{PerSecond: 0.5, Burst: 3, ActorPerSecond: 1000, ActorBurst: 2000}
		}},
		{"actor flags", []string{"--actor-rate-limit", "20", "--actor-rate-burst", "40"}, nil, true, func(l limitsConf) bool {
			return l.RateLimit == ratelimit.Limit{PerSecond: 100, Burst: 200, ActorPerSecond: 20, ActorBurst: 40}
		}},
		{"both limits off", []string{"--rate-limit", "0", "--actor-rate-limit", "0"}, nil, true, func(l limitsConf) bool {
			return l.RateLimit.PerSecond == 0 && l.RateLimit.ActorPerSecond == 0
		}},
		{"the person's limit off leaves the actor's", []string{"--rate-limit", "0"}, nil, true, func(l limitsConf) bool {
			return l.RateLimit.PerSecond == 0 && l.RateLimit.ActorPerSecond == 1000
		}},
		{"actor environment", nil, map[string]string{"LIVC_ACTOR_RATE_LIMIT": "0.5", "LIVC_ACTOR_RATE_BURST": "7"}, true, func(l limitsConf) bool {
			return l.RateLimit.ActorPerSecond == 0.5 && l.RateLimit.ActorBurst == 7
		}},
		{"actor flag beats environment", []string{"--actor-rate-limit", "3"}, map[string]string{"LIVC_ACTOR_RATE_LIMIT": "9"}, true, func(l limitsConf) bool {
			return l.RateLimit.ActorPerSecond == 3
		}},
		{"environment", nil, map[string]string{"LIVC_IDLE_TIMEOUT": "10s", "LIVC_RATE_LIMIT": "0", "LIVC_MAX_HEADER_BYTES": "8192"}, true, func(l limitsConf) bool {
			return l.IdleTimeout == 10*time.Second && l.RateLimit.PerSecond == 0 && l.MaxHeaderBytes == 8192
		}},
		{"flag beats environment", []string{"--read-timeout", "3s"}, map[string]string{"LIVC_READ_TIMEOUT": "9s"}, true, func(l limitsConf) bool {
			return l.ReadTimeout == 3*time.Second
		}},
		{"timeout not a duration", []string{"--read-timeout", "soon"}, nil, false, nil},
		{"timeout too short", []string{"--read-header-timeout", "1ms"}, nil, false, nil},
		{"timeout too long", []string{"--idle-timeout", "2h"}, nil, false, nil},
		{"header limit too small", []string{"--max-header-bytes", "100"}, nil, false, nil},
		{"negative rate", []string{"--rate-limit", "-1"}, nil, false, nil},
		{"rate without burst", []string{"--rate-burst", "0"}, nil, false, nil},
		{"rate not a number", []string{"--rate-limit", "fast"}, nil, false, nil},
		{"negative actor rate", []string{"--actor-rate-limit", "-1"}, nil, false, nil},
		{"actor rate without burst", []string{"--actor-rate-burst", "0"}, nil, false, nil},
		{"actor rate not a number", []string{"--actor-rate-limit", "fast"}, nil, false, nil},
		{"actor burst not a number", nil, map[string]string{"LIVC_ACTOR_RATE_BURST": "lots"}, false, nil},
		{"refused logins: defaults, no proxy trusted", nil, nil, true, func(l limitsConf) bool {
			return l.AuthFailures == ratelimit.DefaultAuthFailLimit() && l.TrustedProxies == nil
		}},
		{"refused logins: flags", []string{"--auth-fail-rate", "0.5", "--auth-fail-burst", "3", "--auth-fail-total-rate", "4",
			"--auth-fail-total-burst", "8", "--auth-fail-clients", "100", "--auth-fail-window", "10s", "--auth-fail-ipv6-prefix", "56",
			"--trusted-proxies", "10.0.0.0/8, ::1"}, nil, true, func(l limitsConf) bool {
			a := l.AuthFailures
			return a.PerSecond == 0.5 && a.Burst == 3 && a.TotalPerSecond == 4 && a.TotalBurst == 8 && a.Clients == 100 &&
				a.Window == 10*time.Second && a.IPv6Prefix == 56 && len(l.TrustedProxies) == 2 && l.TrustedProxies[1] == "::1"
		}},
		{"refused logins: environment", nil, map[string]string{"LIVC_AUTH_FAIL_RATE": "2", "LIVC_TRUSTED_PROXIES": "192.0.2.1"}, true, func(l limitsConf) bool {
			return l.AuthFailures.PerSecond == 2 && len(l.TrustedProxies) == 1
		}},
		{"refused logins: the rate cannot be turned off", []string{"--auth-fail-rate", "0"}, nil, false, nil},
		{"refused logins: negative total burst", []string{"--auth-fail-total-burst", "-1"}, nil, false, nil},
		{"refused logins: window too short", []string{"--auth-fail-window", "10ms"}, nil, false, nil},
		{"refused logins: IPv6 prefix out of range", []string{"--auth-fail-ipv6-prefix", "200"}, nil, false, nil},
		{"a trusted proxy that is no address", []string{"--trusted-proxies", "proxy.example"}, nil, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, err := parseServe(tt.args, noUsage)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if tt.ok && !tt.want(c.Limits) {
				t.Fatalf("limits %+v", c.Limits)
			}
		})
	}
}

package auditout

import (
	"context"
	"fmt"
	"log/syslog"
	"net/url"
	"strings"

	"github.com/livc/livc-broker/broker"
)

// Syslog is an Output sending each entry as one syslog message (facility
// authpriv, severity info, tag livc-broker), its text the entry's JSON.
type Syslog struct {
	w *syslog.Writer
}

// NewSyslog connects to the syslog daemon at addr: "local" for this
// machine's (/dev/log), or a URL udp://host:port, tcp://host:port or
// unix:///path.
func NewSyslog(addr string) (*Syslog, error) {
	network, raddr, err := ParseSyslogAddr(addr)
	if err != nil {
		return nil, err
	}
	w, err := syslog.Dial(network, raddr, syslog.LOG_INFO|syslog.LOG_AUTHPRIV, "livc-broker")
	if err != nil {
		return nil, fmt.Errorf("auditout: syslog %s: %w", addr, err)
	}
	return &Syslog{w: w}, nil
}

// ParseSyslogAddr turns a --audit-sink-syslog address into what
// log/syslog.Dial takes ("", "" for the local daemon).
func ParseSyslogAddr(addr string) (network, raddr string, err error) {
	if addr == "local" {
		return "", "", nil
	}
	u, err := url.Parse(addr)
	if err != nil {
		return "", "", fmt.Errorf("auditout: syslog address %q: want local, udp://host:port, tcp://host:port or unix:///path", addr)
	}
	switch u.Scheme {
	case "udp", "tcp":
		if u.Host == "" || u.Port() == "" || u.Path != "" {
			return "", "", fmt.Errorf("auditout: syslog address %q: want %s://host:port", addr, u.Scheme)
		}
		return u.Scheme, u.Host, nil
	case "unix", "unixgram":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") {
			return "", "", fmt.Errorf("auditout: syslog address %q: want unix:///absolute/path", addr)
		}
		return u.Scheme, u.Path, nil
	}
	return "", "", fmt.Errorf("auditout: syslog address %q: want local, udp://host:port, tcp://host:port or unix:///path", addr)
}

// Name implements Output.
func (*Syslog) Name() string { return "syslog" }

// Deliver implements Output. log/syslog reconnects once on a failed write.
func (s *Syslog) Deliver(_ context.Context, _ string, entries []broker.AuditEntry) error {
	return eachJSON(entries, func(line []byte) error {
		if err := s.w.Info(string(line)); err != nil {
			return fmt.Errorf("auditout: syslog: %w", err)
		}
		return nil
	})
}

// Close closes the connection.
func (s *Syslog) Close() error { return s.w.Close() }

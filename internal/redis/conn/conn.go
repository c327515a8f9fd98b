// Package conn opens the one Redis client the broker's store and audit
// log share, from a URL, with bounded timeouts so that a dead Redis is
// answered quickly rather than hung on.
//
// Accepted forms (a password must be percent-encoded):
//
//	redis://[user:pass@]host:port[/db][?go-redis options]     one server
//	rediss://...                                              the same over TLS
//	redis+sentinel://[user:pass@]host:port[,host:port...]/mastername[/db]
//	redis+cluster://[user:pass@]host:port[,host:port...]
//
// rediss+sentinel:// and rediss+cluster:// are the TLS variants; Conf.TLS
// adds a private CA and a client certificate to any of the three. In the
// Sentinel form the credentials authenticate to the master and replicas
// (Sentinels themselves are usually unauthenticated); the default port is
// 26379. In the Cluster form the hosts are seed nodes; the default port is
// 6379.
//
// Errors never echo the password, nor the URL that holds it.
package conn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Conf holds the connection settings that are not part of the URL.
type Conf struct {
	DialTimeout  time.Duration // connecting to one node
	ReadTimeout  time.Duration // waiting for one reply
	WriteTimeout time.Duration // sending one command
	// MaxRetries is how often a command is retried on a network error; -1
	// disables retries.
	MaxRetries int
	// TLS is the CA and client certificate of a TLS URL (tls.go); Open
	// refuses it with a plain redis:// URL.
	TLS TLSFiles
}

// DefaultConf returns the defaults: 2s to dial, 1s to read and to write, one
// retry. A request thus learns within seconds that Redis is gone.
func DefaultConf() Conf {
	return Conf{DialTimeout: 2 * time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: 1}
}

// Validate refuses timeouts that are not positive or above a minute, which
// would let a dead Redis hang requests.
func (c Conf) Validate() error {
	for name, d := range map[string]time.Duration{"dial": c.DialTimeout, "read": c.ReadTimeout, "write": c.WriteTimeout} {
		if d <= 0 || d > time.Minute {
			return fmt.Errorf("conn: %s timeout must be in (0, 1m], got %s", name, d)
		}
	}
	if c.MaxRetries < -1 || c.MaxRetries > 10 {
		return fmt.Errorf("conn: max retries must be in [-1, 10], got %d", c.MaxRetries)
	}
	return nil
}

// Open is DefaultConf().Open(rawURL).
func Open(rawURL string) (redis.UniversalClient, error) {
	return DefaultConf().Open(rawURL)
}

// Open returns a client for rawURL (see the package doc). It does not
// contact Redis: a caller that must know calls Ping. Timeouts given in a
// redis:// URL's query take precedence over c.
func (c Conf) Open(rawURL string) (redis.UniversalClient, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	scheme, _, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("conn: Redis URL has no scheme (want redis://, rediss://, redis+sentinel:// or redis+cluster://)")
	}
	if !c.TLS.empty() && !secureScheme(scheme) {
		return nil, errors.New("conn: a Redis CA or client certificate needs a TLS URL (rediss://, rediss+sentinel://, rediss+cluster://)")
	}
	switch strings.ToLower(scheme) {
	case "redis", "rediss":
		return c.openSingle(rawURL)
	case "redis+sentinel", "rediss+sentinel":
		u, err := parseMulti(rawURL, 26379)
		if err != nil {
			return nil, err
		}
		return c.openSentinel(u)
	case "redis+cluster", "rediss+cluster":
		u, err := parseMulti(rawURL, 6379)
		if err != nil {
			return nil, err
		}
		return c.openCluster(u)
	default:
		return nil, fmt.Errorf("conn: unsupported Redis URL scheme %q", scheme)
	}
}

func (c Conf) openSingle(rawURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error holds the whole URL, password included: say less.
		return nil, errors.New("conn: malformed Redis URL (check host:port and that the password is percent-encoded)")
	}
	if u.Hostname() == "" {
		return nil, errors.New("conn: Redis URL has no host")
	}
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		pass, _ := u.User.Password()
		return nil, fmt.Errorf("conn: invalid Redis URL: %s", scrub(err.Error(), pass))
	}
	opt.DialTimeout = orDefault(opt.DialTimeout, c.DialTimeout)
	opt.ReadTimeout = orDefault(opt.ReadTimeout, c.ReadTimeout)
	opt.WriteTimeout = orDefault(opt.WriteTimeout, c.WriteTimeout)
	if opt.MaxRetries == 0 {
		opt.MaxRetries = c.MaxRetries
	}
	opt.ContextTimeoutEnabled = true
	if opt.TLSConfig != nil {
		// go-redis turns ?skip_verify=true into InsecureSkipVerify: a
		// rediss:// URL that trusts any server is a man in the middle's
		// invitation, so it is refused, never honoured.
		if opt.TLSConfig.InsecureSkipVerify {
			return nil, errors.New("conn: a Redis URL may not turn off certificate verification (skip_verify); give the server's CA instead")
		}
		cfg, err := c.TLS.config()
		if err != nil {
			return nil, err
		}
		// ParseURL set the server name to check: keep it.
		opt.TLSConfig.RootCAs, opt.TLSConfig.Certificates = cfg.RootCAs, cfg.Certificates
		opt.TLSConfig.MinVersion = max(opt.TLSConfig.MinVersion, cfg.MinVersion)
	}
	return redis.NewClient(opt), nil
}

func (c Conf) openSentinel(u multiURL) (redis.UniversalClient, error) {
	if len(u.path) < 1 || len(u.path) > 2 || u.path[0] == "" {
		return nil, errors.New("conn: Sentinel URL must name the master: redis+sentinel://host:port[,host:port]/mastername[/db]")
	}
	db := 0
	if len(u.path) == 2 {
		n, err := strconv.Atoi(u.path[1])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("conn: Sentinel URL: invalid database number %q", u.path[1])
		}
		db = n
	}
	cfg, err := c.TLS.config()
	if err != nil {
		return nil, err
	}
	return redis.NewFailoverClient(&redis.FailoverOptions{
		MasterName:            u.path[0],
		SentinelAddrs:         u.addrs,
		Username:              u.user,
		Password:              u.pass,
		DB:                    db,
		Dialer:                u.dialer(c.DialTimeout, cfg),
		DialTimeout:           c.DialTimeout,
		ReadTimeout:           c.ReadTimeout,
		WriteTimeout:          c.WriteTimeout,
		MaxRetries:            c.MaxRetries,
		ContextTimeoutEnabled: true,
	}), nil
}

func (c Conf) openCluster(u multiURL) (redis.UniversalClient, error) {
	if len(u.path) != 0 {
		return nil, errors.New("conn: Cluster URL takes no path (a cluster has only database 0)")
	}
	cfg, err := c.TLS.config()
	if err != nil {
		return nil, err
	}
	return redis.NewClusterClient(&redis.ClusterOptions{
		Addrs:                 u.addrs,
		Username:              u.user,
		Password:              u.pass,
		Dialer:                u.dialer(c.DialTimeout, cfg),
		DialTimeout:           c.DialTimeout,
		ReadTimeout:           c.ReadTimeout,
		WriteTimeout:          c.WriteTimeout,
		MaxRetries:            c.MaxRetries,
		ContextTimeoutEnabled: true,
	}), nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// scrub removes the password from a message, in case a parser echoed it.
func scrub(msg, pass string) string {
	if pass == "" {
		return msg
	}
	msg = strings.ReplaceAll(msg, pass, "xxxxx")
	return strings.ReplaceAll(msg, url.QueryEscape(pass), "xxxxx")
}

// multiURL is a parsed Sentinel or Cluster URL.
type multiURL struct {
	secure     bool
	user, pass string
	addrs      []string // host:port, at least one
	path       []string // the segments after the hosts
}

// dialer returns nil (plain TCP, go-redis's own dialer) or a TLS dialer that
// checks each node's certificate against that node's own host name, which a
// single shared tls.Config with one ServerName could not do for several hosts.
func (u multiURL) dialer(timeout time.Duration, cfg *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	if !u.secure {
		return nil
	}
	d := &tls.Dialer{
		NetDialer: &net.Dialer{Timeout: timeout, KeepAlive: 5 * time.Minute},
		Config:    cfg,
	}
	return d.DialContext
}

// parseMulti parses scheme://[user:pass@]host[:port][,host[:port]...][/seg...]
// by hand: net/url accepts neither several hosts in general nor several
// bracketed IPv6 hosts, and its errors echo the password.
func parseMulti(rawURL string, defaultPort int) (multiURL, error) {
	scheme, rest, _ := strings.Cut(rawURL, "://")
	u := multiURL{secure: strings.HasPrefix(strings.ToLower(scheme), "rediss")}
	kind := "Sentinel"
	if strings.HasSuffix(strings.ToLower(scheme), "cluster") {
		kind = "Cluster"
	}
	if strings.ContainsAny(rest, "?#") {
		return u, fmt.Errorf("conn: %s URL takes no query or fragment", kind)
	}
	authority, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		var err error
		if u.user, u.pass, err = parseUserinfo(authority[:at]); err != nil {
			return u, fmt.Errorf("conn: %s URL: %w", kind, err)
		}
		authority = authority[at+1:]
	}
	for h := range strings.SplitSeq(authority, ",") {
		addr, err := hostPort(h, defaultPort)
		if err != nil {
			return u, fmt.Errorf("conn: %s URL: %w", kind, err)
		}
		u.addrs = append(u.addrs, addr)
	}
	if path = strings.TrimSuffix(path, "/"); path != "" {
		for seg := range strings.SplitSeq(path, "/") {
			s, err := url.PathUnescape(seg)
			if err != nil || s == "" {
				return u, fmt.Errorf("conn: %s URL: invalid path segment", kind)
			}
			u.path = append(u.path, s)
		}
	}
	return u, nil
}

func parseUserinfo(info string) (user, pass string, err error) {
	rawUser, rawPass, _ := strings.Cut(info, ":")
	if user, err = url.PathUnescape(rawUser); err != nil {
		return "", "", errors.New("user name is not percent-encoded correctly")
	}
	if pass, err = url.PathUnescape(rawPass); err != nil {
		return "", "", errors.New("password is not percent-encoded correctly")
	}
	return user, pass, nil
}

// hostPort checks one host[:port] and adds the default port.
func hostPort(h string, defaultPort int) (string, error) {
	if h == "" {
		return "", errors.New("empty host")
	}
	host, port := h, strconv.Itoa(defaultPort)
	if strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1 {
		if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
			host = strings.Trim(h, "[]")
		} else {
			var err error
			if host, port, err = net.SplitHostPort(h); err != nil {
				return "", fmt.Errorf("invalid host %q", h)
			}
		}
	} else if strings.Contains(h, ":") {
		return "", fmt.Errorf("invalid host %q (bracket an IPv6 address)", h)
	}
	if host == "" || strings.ContainsAny(host, " /@[]") {
		return "", fmt.Errorf("invalid host %q", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("invalid port in host %q", h)
	}
	return net.JoinHostPort(host, port), nil
}

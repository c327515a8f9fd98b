package conn

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

const secret = "s3cr%2Ft" // percent-encoded "s3cr/t"

func TestOpenSingle(t *testing.T) {
	tests := []struct {
		name, url string
		addr      string
		db        int
		user      string
		pass      string
		tls       bool
		read      time.Duration
	}{
		{name: "plain", url: "redis://127.0.0.1:6379/0", addr: "127.0.0.1:6379", read: time.Second},
		{name: "db and credentials", url: "redis://livc:" + secret + "@redis.local:6380/3", addr: "redis.local:6380", db: 3, user: "livc", pass: "s3cr/t", read: time.Second},
		{name: "password only", url: "redis://:" + secret + "@h:1", addr: "h:1", pass: "s3cr/t", read: time.Second},
		{name: "tls", url: "rediss://h.example:6390", addr: "h.example:6390", tls: true, read: time.Second},
		{name: "query overrides timeout", url: "redis://h:6379?read_timeout=3s", addr: "h:6379", read: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cl, ok := c.(*redis.Client)
			if !ok {
				t.Fatalf("got %T, want *redis.Client", c)
			}
			o := cl.Options()
			if o.Addr != tt.addr || o.DB != tt.db || o.Username != tt.user || o.Password != tt.pass {
				t.Errorf("got addr %q db %d user %q pass %q", o.Addr, o.DB, o.Username, o.Password)
			}
			if (o.TLSConfig != nil) != tt.tls {
				t.Errorf("tls = %v, want %v", o.TLSConfig != nil, tt.tls)
			}
			if o.DialTimeout != 2*time.Second || o.ReadTimeout != tt.read || o.WriteTimeout != time.Second {
				t.Errorf("timeouts dial %s read %s write %s", o.DialTimeout, o.ReadTimeout, o.WriteTimeout)
			}
		})
	}
}

func TestParseMulti(t *testing.T) {
	tests := []struct {
		name, url  string
		def        int
		user, pass string
		addrs      []string
		path       []string
		secure     bool
	}{
		{name: "sentinel one host", url: "redis+sentinel://s1:26379/mymaster", def: 26379, addrs: []string{"s1:26379"}, path: []string{"mymaster"}},
		{name: "sentinel default port, db", url: "redis+sentinel://:" + secret + "@s1,s2:26380/mymaster/2", def: 26379, pass: "s3cr/t", addrs: []string{"s1:26379", "s2:26380"}, path: []string{"mymaster", "2"}},
		{name: "sentinel ipv6", url: "rediss+sentinel://u:p@[::1]:26379,[fe80::1]/m", def: 26379, user: "u", pass: "p", addrs: []string{"[::1]:26379", "[fe80::1]:26379"}, path: []string{"m"}, secure: true},
		{name: "cluster", url: "redis+cluster://:" + secret + "@c1:7000,c2:7001,c3", def: 6379, pass: "s3cr/t", addrs: []string{"c1:7000", "c2:7001", "c3:6379"}},
		{name: "cluster trailing slash", url: "redis+cluster://c1:7000/", def: 6379, addrs: []string{"c1:7000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := parseMulti(tt.url, tt.def)
			if err != nil {
				t.Fatal(err)
			}
			if u.user != tt.user || u.pass != tt.pass || u.secure != tt.secure ||
				!slices.Equal(u.addrs, tt.addrs) || !slices.Equal(u.path, tt.path) {
				t.Errorf("got %+v", u)
			}
		})
	}
}

func TestOpenSentinelAndCluster(t *testing.T) {
	c, err := Open("redis+sentinel://:" + secret + "@s1:26379,s2:26379/mymaster/1")
	if err != nil {
		t.Fatal(err)
	}
	o := c.(*redis.Client).Options()
	if o.DB != 1 || o.Password != "s3cr/t" || o.ReadTimeout != time.Second {
		t.Errorf("sentinel master options: db %d read %s", o.DB, o.ReadTimeout)
	}
	c.Close()

	c, err = Open("rediss+cluster://c1:7000,c2:7001")
	if err != nil {
		t.Fatal(err)
	}
	co := c.(*redis.ClusterClient).Options()
	if !slices.Equal(co.Addrs, []string{"c1:7000", "c2:7001"}) || co.Dialer == nil || co.DialTimeout != 2*time.Second {
		t.Errorf("cluster options: addrs %v dialer set %v", co.Addrs, co.Dialer != nil)
	}
	c.Close()
}

func TestOpenRefusesBadURLs(t *testing.T) {
	tests := []struct{ name, url, want string }{
		{"no scheme", "127.0.0.1:6379", "no scheme"},
		{"unknown scheme", "http://:" + secret + "@h:1", "unsupported"},
		{"bad port", "redis://:" + secret + "@h:notaport", "malformed"},
		{"no host", "redis://:" + secret + "@/0", "no host"},
		{"bad db", "redis://:" + secret + "@h:6379/x", "invalid"},
		{"unknown option", "redis://:" + secret + "@h:6379?bogus=1", "invalid"},
		{"sentinel no master", "redis+sentinel://:" + secret + "@s1:26379", "master"},
		{"sentinel bad db", "redis+sentinel://:" + secret + "@s1/m/x", "database"},
		{"sentinel too deep", "redis+sentinel://s1/m/1/2", "master"},
		{"sentinel bad port", "redis+sentinel://:" + secret + "@s1:0/m", "port"},
		{"sentinel empty host", "redis+sentinel://:" + secret + "@s1,,s2/m", "empty host"},
		{"sentinel query", "redis+sentinel://:" + secret + "@s1/m?db=1", "query"},
		{"sentinel bare ipv6", "redis+sentinel://::1/m", "IPv6"},
		{"sentinel bad escape", "redis+sentinel://:s3cr%zz@s1/m", "percent"},
		{"cluster path", "redis+cluster://:" + secret + "@c1/0", "no path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Open(tt.url)
			if err == nil {
				c.Close()
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not mention %q", msg, tt.want)
			}
			for _, s := range []string{"s3cr", secret} {
				if strings.Contains(msg, s) {
					t.Errorf("error %q echoes the password", msg)
				}
			}
		})
	}
}

func TestConfValidate(t *testing.T) {
	bad := []Conf{
		{DialTimeout: 0, ReadTimeout: time.Second, WriteTimeout: time.Second},
		{DialTimeout: time.Second, ReadTimeout: time.Hour, WriteTimeout: time.Second},
		{DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second, MaxRetries: -2},
	}
	for i, c := range bad {
		if _, err := c.Open("redis://h:1"); err == nil {
			t.Errorf("conf %d accepted", i)
		}
	}
	if err := DefaultConf().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestDeadRedisAnswersQuickly(t *testing.T) {
	addr, stop, err := StartEmbedded()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open("redis://" + addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("get: %q %v", v, err)
	}
	stop()
	start := time.Now()
	if err := c.Ping(ctx).Err(); err == nil {
		t.Fatal("ping of a stopped Redis succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("dead Redis answered after %s", d)
	}
}

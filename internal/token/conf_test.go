package token

import (
	"strings"
	"testing"
	"time"
)

func TestConf(t *testing.T) {
	base := Conf{JWKS: "keys/jwks.json", Issuer: "iss", Audience: "aud"}
	with := func(f func(*Conf)) Conf { c := base; f(&c); return c }
	cases := []struct {
		name string
		c    Conf
		want string // "" when valid
	}{
		{"file", base, ""},
		{"https URL", with(func(c *Conf) { c.JWKS = "https://idp.example/jwks" }), ""},
		{"http on loopback", with(func(c *Conf) { c.JWKS = "http://127.0.0.1:8081/jwks" }), ""},
		{"http on localhost", with(func(c *Conf) { c.JWKS = "http://localhost/jwks" }), ""},
		{"http elsewhere", with(func(c *Conf) { c.JWKS = "http://idp.example/jwks" }), "must use https"},
		{"URL with credentials", with(func(c *Conf) { c.JWKS = "https://u:p@idp.example/jwks" }), "credentials"},
		{"URL without host", with(func(c *Conf) { c.JWKS = "https:///jwks" }), "not a valid"},
		{"no JWKS", with(func(c *Conf) { c.JWKS = " " }), "JWKS is required"},
		{"no issuer", with(func(c *Conf) { c.Issuer = "" }), "Issuer is required"},
		{"no audience", with(func(c *Conf) { c.Audience = "" }), "Audience is required"},
		{"negative skew", with(func(c *Conf) { c.Skew = -time.Second }), "Skew"},
		{"huge skew", with(func(c *Conf) { c.Skew = time.Hour }), "Skew"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.WithDefaults().Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestConfDefaults(t *testing.T) {
	c := Conf{}.WithDefaults()
	if c.Skew != DefaultSkew || c.CacheSize != DefaultCacheSize || c.Now == nil {
		t.Fatalf("defaults %+v", c)
	}
	c = Conf{Skew: time.Second, CacheSize: -1}.WithDefaults()
	if c.Skew != time.Second || c.CacheSize != -1 {
		t.Fatalf("defaults overrode settings: %+v", c)
	}
}

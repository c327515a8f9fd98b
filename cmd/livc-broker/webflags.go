package main

import (
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/livc/livc-broker/internal/web"
)

// webConf is the settings of the web application (internal/web): its
// OpenID Connect sign-in and its sessions.
type webConf struct {
	OIDCIssuer, OIDCClientID, OIDCClientSecret, OIDCRedirectURL string
	OIDCLivcClaim, OIDCActorClaim                               string
	IdleTimeout, Lifetime                                       time.Duration
}

// flags registers the web application's flags on fs and returns a function
// that checks them once fs is parsed.
func (w *webConf) flags(fs *flag.FlagSet) func() error {
	fs.StringVar(&w.OIDCIssuer, "oidc-issuer", envOr("LIVC_OIDC_ISSUER", ""), "`URL` of the OpenID Connect provider: with --oidc-client-id, people sign in to the web pages with it; without --jwks, access tokens are verified with the keys its discovery document (URL/.well-known/openid-configuration) names, read at start (a failure stops the broker) and every --jwks-refresh, and must carry it as iss (env LIVC_OIDC_ISSUER). Default none: only the development sign-in, and only on development keys")
	fs.StringVar(&w.OIDCClientID, "oidc-client-id", envOr("LIVC_OIDC_CLIENT_ID", ""), "the broker's client `ID` at the OpenID provider (env LIVC_OIDC_CLIENT_ID)")
	// The secret's default is not the environment's value: -h prints
	// defaults, and must never print a secret. It is read after parsing.
	fs.StringVar(&w.OIDCClientSecret, "oidc-client-secret", "", "the broker's client `SECRET` at the OpenID provider; prefer the environment, which ps does not show (env LIVC_OIDC_CLIENT_SECRET)")
	fs.StringVar(&w.OIDCRedirectURL, "oidc-redirect-url", envOr("LIVC_OIDC_REDIRECT_URL", ""), "the `URL` of the broker's /auth/callback as browsers reach it, registered at the provider (env LIVC_OIDC_REDIRECT_URL)")
	fs.StringVar(&w.OIDCLivcClaim, "oidc-livc-claim", envOr("LIVC_OIDC_LIVC_CLAIM", "livc"), "`NAME` of the ID token's claim that carries the person's cell (env LIVC_OIDC_LIVC_CLAIM)")
	fs.StringVar(&w.OIDCActorClaim, "oidc-actor-claim", envOr("LIVC_OIDC_ACTOR_CLAIM", "actor"), "`NAME` of the ID token's claim that carries the person's actor (env LIVC_OIDC_ACTOR_CLAIM)")
	idle := envOr("LIVC_WEB_IDLE_TIMEOUT", "30m")
	fs.StringVar(&idle, "web-idle-timeout", idle, "`DURATION` after which a web session unused ends, from 1s to --web-session-lifetime (env LIVC_WEB_IDLE_TIMEOUT)")
	life := envOr("LIVC_WEB_SESSION_LIFETIME", "12h")
	fs.StringVar(&life, "web-session-lifetime", life, "`DURATION` after which any web session ends, from 1m to 24h (env LIVC_WEB_SESSION_LIFETIME)")
	return func() error {
		if w.OIDCClientSecret == "" {
			w.OIDCClientSecret = envOr("LIVC_OIDC_CLIENT_SECRET", "")
		}
		var err error
		if w.Lifetime, err = time.ParseDuration(life); err != nil || w.Lifetime < time.Minute || w.Lifetime > 24*time.Hour {
			return fmt.Errorf("--web-session-lifetime must be a duration from 1m to 24h, got %q", life)
		}
		if w.IdleTimeout, err = time.ParseDuration(idle); err != nil || w.IdleTimeout < time.Second || w.IdleTimeout > w.Lifetime {
			return fmt.Errorf("--web-idle-timeout must be a duration from 1s to --web-session-lifetime, got %q", idle)
		}
		web := w.OIDCClientID != "" || w.OIDCRedirectURL != ""
		if w.OIDCIssuer == "" {
			if web {
				return fmt.Errorf("--oidc-client-id and --oidc-redirect-url need --oidc-issuer")
			}
			return nil
		}
		if !web {
			return nil // the provider signs API tokens only
		}
		if w.OIDCClientID == "" || w.OIDCRedirectURL == "" {
			return fmt.Errorf("the web sign-in through --oidc-issuer needs --oidc-client-id and --oidc-redirect-url")
		}
		if w.OIDCLivcClaim == "" || w.OIDCActorClaim == "" {
			return fmt.Errorf("--oidc-livc-claim and --oidc-actor-claim must name claims")
		}
		return nil
	}
}

// newWeb is the web application over svc: sessions in Redis when the
// broker runs on one (several brokers share them), in memory on the
// embedded store; the development sign-in only on development keys.
func newWeb(c serveConf, svc web.Broker, client redis.UniversalClient, log *slog.Logger,
	observe func(method, route string, status int, took time.Duration)) (*web.Server, error) {
	var store web.Store = web.RedisStore{Client: client}
	if c.RedisURL == "" {
		store = web.NewMemoryStore()
	}
	wc := web.Conf{
		Store: store, Dev: c.devTokens(), IdleTimeout: c.Web.IdleTimeout, Lifetime: c.Web.Lifetime,
		Secure:  c.TLSCert != "" || strings.HasPrefix(c.Web.OIDCRedirectURL, "https://"),
		MaxBody: c.MaxBody, Logger: log, Observe: observe,
	}
	if c.Web.OIDCIssuer != "" && c.Web.OIDCClientID != "" {
		wc.OIDC = &web.OIDCConf{Issuer: c.Web.OIDCIssuer, ClientID: c.Web.OIDCClientID, ClientSecret: c.Web.OIDCClientSecret,
			RedirectURL: c.Web.OIDCRedirectURL, LivcClaim: c.Web.OIDCLivcClaim, ActorClaim: c.Web.OIDCActorClaim}
	}
	if wc.Dev {
		log.Warn("[INSECURE] development keys: the web pages offer a sign-in as any actor at /auth/dev")
	}
	return web.New(svc, wc)
}

package web

import (
	"net/http"
)

// contentSecurityPolicy allows scripts, styles, images, fonts and fetches
// from the broker's own origin only: no inline script or style, no eval, no
// third-party origin, no plug-in, no framing by anyone, and forms that post
// to the broker alone.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " +
	"frame-ancestors 'none'"

// securityHeaders sets the headers of every answer of the web application,
// before the handler runs, so that an error page carries them too:
// nothing is cached (pages hold personal data), sniffed, framed or sent on
// as a Referer.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses (403) a state-changing request a browser says came
// from another origin (Sec-Fetch-Site, Origin): a second line behind the
// CSRF token, and the only one in front of the dev sign-in's form.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	p := http.NewCrossOriginProtection()
	p.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.plainError(w, r, http.StatusForbidden, "error.csrf")
	}))
	return p.Handler(next)
}

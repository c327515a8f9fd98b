package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"mime"
	"net/http"
)

// HeaderCSRF carries the session's CSRF token on a script's request; a form
// carries it in the field FieldCSRF.
const (
	HeaderCSRF = "X-CSRF-Token"
	FieldCSRF  = "csrf"
)

// csrfOK reports whether r carries the session's CSRF token, in the header
// or, for a form when forms is set, in its field. A state-changing request without it is
// refused before anything is read or done (the synchronizer-token
// pattern: the token lives in the session record, the page repeats it).
func (s *Server) csrfOK(r *http.Request, sess Session, forms bool) bool {
	if tok := r.Header.Get(HeaderCSRF); tok != "" || !forms {
		return sameToken(tok, sess.CSRF)
	}
	return isForm(r) && sameToken(r.PostFormValue(FieldCSRF), sess.CSRF)
}

// isForm reports whether r's body is an HTML form (urlencoded).
func isForm(r *http.Request) bool { return mediaType(r) == "application/x-www-form-urlencoded" }

// preToken is the CSRF token of a form shown before any session exists (the
// development sign-in): a keyed hash of a random cookie of the browser
// (double submit, signed), so that another site can neither read nor forge
// the pair. It sets the cookie when the browser has none.
func (s *Server) preToken(w http.ResponseWriter, r *http.Request) string {
	c := s.cookie(r, cookiePre)
	if c == "" {
		c = randomID()
		s.setCookie(w, cookiePre, c, 3600, http.SameSiteStrictMode)
	}
	return s.preMAC(c)
}

func (s *Server) preMAC(cookie string) string {
	m := hmac.New(sha256.New, s.pre)
	m.Write([]byte(cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// preOK reports whether a form posted before any session carries the token
// preToken gave its browser.
func (s *Server) preOK(r *http.Request) bool {
	c := s.cookie(r, cookiePre)
	return c != "" && isForm(r) && sameToken(r.PostFormValue(FieldCSRF), s.preMAC(c))
}

// mediaType is r's Content-Type without parameters, "" when unreadable.
func mediaType(r *http.Request) string {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return ""
	}
	return mt
}

package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/livc/livc-broker/broker"
)

// Session is the server-side record of a signed-in person. The browser
// holds only its random id, in an HttpOnly, SameSite=Strict cookie; the
// store holds it under the id's hash.
type Session struct {
	Sub   string `json:"sub"`
	Livc  string `json:"livc"`
	Actor string `json:"actor"`
	// CSRF is the token every state-changing request of this session must
	// carry (csrf.go).
	CSRF string `json:"csrf"`
	// Dev marks a session opened by the development sign-in.
	Dev      bool      `json:"dev,omitempty"`
	Created  time.Time `json:"created"`
	LastSeen time.Time `json:"last_seen"`
}

// Principal is the session's person as the pipeline knows a token's.
func (s Session) Principal(lifetime time.Duration) broker.Principal {
	return broker.Principal{Sub: s.Sub, Livc: s.Livc, Actor: s.Actor, Expires: s.Created.Add(lifetime)}
}

// randomID returns 32 random bytes, base64url: an id nobody can guess.
func randomID() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("web: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// storeKey is where the record of a browser-held id lives: its SHA-256, so
// that the store (a Redis dump, a backup) never holds a usable cookie. A
// plain hash suffices: the id has 256 random bits, nothing to guess.
func storeKey(kind, id string) string {
	h := sha256.Sum256([]byte(id))
	return kind + ":" + hex.EncodeToString(h[:])
}

// cookieName is name as the browser stores it: with the __Host- prefix
// under TLS (Secure, Path=/, no Domain: no sub-domain can set or shadow it).
func (s *Server) cookieName(name string) string {
	if s.c.Secure {
		return "__Host-" + name
	}
	return name
}

const (
	cookieSession = "livc-session"
	cookieLogin   = "livc-login"
	cookieLang    = "livc-lang"
	cookiePre     = "livc-pre" // the pre-session CSRF cookie of the dev sign-in
)

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int, sameSite http.SameSite) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(name), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.c.Secure, SameSite: sameSite,
	})
}

func (s *Server) cookie(r *http.Request, name string) string {
	c, err := r.Cookie(s.cookieName(name))
	if err != nil {
		return ""
	}
	return c.Value
}

// startSession stores a new session for p and sets its cookie. A session
// id given before sign-in is never kept (no fixation): the id is new.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, sess Session) error {
	now := s.c.Now()
	sess.Created, sess.LastSeen, sess.CSRF = now, now, randomID()
	id := randomID()
	if err := s.putSession(ctx, id, sess); err != nil {
		return err
	}
	s.setCookie(w, cookieSession, id, int(s.c.Lifetime.Seconds()), http.SameSiteStrictMode)
	return nil
}

func (s *Server) putSession(ctx context.Context, id string, sess Session) error {
	b, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	ttl := min(s.c.IdleTimeout, sess.Created.Add(s.c.Lifetime).Sub(sess.LastSeen))
	if ttl <= 0 {
		return fmt.Errorf("web: session already expired")
	}
	return s.c.Store.Put(ctx, storeKey("session", id), b, ttl)
}

// session returns the request's session: false when there is none, it
// expired (idle longer than IdleTimeout, or older than Lifetime), or the
// store failed (fail closed: signed out). A live session's LastSeen moves
// on, at most once a minute (a quarter of IdleTimeout if shorter), so that a
// busy page costs no write per request.
func (s *Server) session(r *http.Request) (Session, string, bool) {
	id := s.cookie(r, cookieSession)
	if id == "" {
		return Session{}, "", false
	}
	b, ok, err := s.c.Store.Get(r.Context(), storeKey("session", id))
	if err != nil {
		s.c.Logger.Error("web session store", "err", err)
		return Session{}, "", false
	}
	if !ok {
		return Session{}, "", false
	}
	var sess Session
	if json.Unmarshal(b, &sess) != nil {
		return Session{}, "", false
	}
	now := s.c.Now()
	if now.Sub(sess.LastSeen) >= s.c.IdleTimeout || now.Sub(sess.Created) >= s.c.Lifetime {
		_ = s.c.Store.Delete(r.Context(), storeKey("session", id))
		return Session{}, "", false
	}
	if now.Sub(sess.LastSeen) >= min(time.Minute, s.c.IdleTimeout/4) {
		sess.LastSeen = now
		if err := s.putSession(r.Context(), id, sess); err != nil {
			s.c.Logger.Error("web session store", "err", err)
			return Session{}, "", false
		}
	}
	return sess, id, true
}

// endSession deletes the session's record and its cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	s.setCookie(w, cookieSession, "", -1, http.SameSiteStrictMode)
	if id := s.cookie(r, cookieSession); id != "" {
		return s.c.Store.Delete(r.Context(), storeKey("session", id))
	}
	return nil
}

// sameToken compares two tokens in constant time; an empty one never
// matches.
func sameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

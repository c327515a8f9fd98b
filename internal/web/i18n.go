package web

import (
	"embed"
	"fmt"
	"net/http"
	"time"
	_ "time/tzdata" // Europe/Brussels wherever the broker runs

	"github.com/BurntSushi/toml"
	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var localeFS embed.FS

// Languages are the languages of the pages, the first the default when the
// browser asks for none of them: Dutch, French, English.
var Languages = []string{"nl", "fr", "en"}

// translator holds the message catalogues and chooses a request's language.
type translator struct {
	bundle  *i18n.Bundle
	matcher language.Matcher
	tags    []language.Tag
	brussel *time.Location
}

func newTranslator() (*translator, error) {
	b := i18n.NewBundle(language.Dutch)
	b.RegisterUnmarshalFunc("toml", toml.Unmarshal)
	t := &translator{bundle: b}
	for _, l := range Languages {
		if _, err := b.LoadMessageFileFS(localeFS, "locales/"+l+".toml"); err != nil {
			return nil, fmt.Errorf("web: locale %s: %w", l, err)
		}
		t.tags = append(t.tags, language.MustParse(l))
	}
	t.matcher = language.NewMatcher(t.tags)
	loc, err := time.LoadLocation("Europe/Brussels")
	if err != nil {
		return nil, err
	}
	t.brussel = loc
	return t, nil
}

// lang is the request's language: the switcher's cookie if it names one of
// Languages, else the best match of Accept-Language, else Dutch.
func (s *Server) lang(r *http.Request) string {
	if c := s.cookie(r, cookieLang); c != "" {
		for _, l := range Languages {
			if c == l {
				return l
			}
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	if len(tags) == 0 {
		return Languages[0]
	}
	_, i, conf := s.tr.matcher.Match(tags...)
	if conf == language.No {
		return Languages[0]
	}
	return Languages[i]
}

// text returns message id in lang with its template data (name, value
// pairs). A message missing from every catalogue is shown as its id, so
// that a mistake shows on the page rather than breaking it; the catalogue
// test keeps every id in all three.
func (t *translator) text(lang, id string, kv ...any) string {
	var data map[string]any
	if len(kv) > 1 {
		data = map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	out, err := i18n.NewLocalizer(t.bundle, lang).Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
	if err != nil {
		return id
	}
	return out
}

// date formats t as Belgians write a date, dd/mm/yyyy, in Brussels time.
func (t *translator) date(v time.Time) string {
	if v.IsZero() {
		return ""
	}
	return v.In(t.brussel).Format("02/01/2006")
}

// dateTime formats t as dd/mm/yyyy HH:MM, in Brussels time.
func (t *translator) dateTime(v time.Time) string {
	if v.IsZero() {
		return ""
	}
	return v.In(t.brussel).Format("02/01/2006 15:04")
}

package keys

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/livc/livc-broker/broker"
)

// The domain of the alias HMACs. Changing it changes every alias, so it
// carries a version. (A person's public pseudonym, its subject ref, is not
// derived from anything: it is random, broker.NewSubjectRef, so that an
// erased person signalled again cannot be linked to the old one.)
const domainAlias = "livc-broker/alias/v1"

// Alias kinds: the ways an identity names a person.
const (
	aliasNationalNumber = "national_number"
	aliasNameBirth      = "name_birth_date"
)

// Aliases returns one keyed pseudonym per way id names the person: its
// national number (digits only, so "85.07.30-033.28" and "85073003328" agree)
// first, then its family name, given name and birth date (each in Unicode
// NFC, trimmed, inner whitespace collapsed to one space, lower-cased), when
// all three are given. Each alias is the hex HMAC-SHA256, under the pseudonym
// secret, of a versioned domain, livc, the kind and the canonical values, so
// aliases differ between cells and kinds. It returns nil for an identity that
// names no one. It does not validate: the mod-97 check of a national number
// is the pipeline's.
func (kr *Keyring) Aliases(livc string, id broker.Identity) []string {
	var out []string
	if nn := digits(id.NationalNumber); nn != "" {
		out = append(out, kr.alias(livc, aliasNationalNumber, nn))
	}
	family, given, birth := canonName(id.FamilyName), canonName(id.GivenName), canonName(id.BirthDate)
	if family != "" && given != "" && birth != "" {
		out = append(out, kr.alias(livc, aliasNameBirth, family, given, birth))
	}
	return out
}

func (kr *Keyring) alias(livc, kind string, values ...string) string {
	return hex.EncodeToString(kr.mac(domainAlias, append([]string{livc, kind}, values...)...))
}

// mac is HMAC-SHA256 under the pseudonym secret of the domain and the parts,
// each prefixed by its length so that no two lists of parts collide.
func (kr *Keyring) mac(domain string, parts ...string) []byte {
	m := hmac.New(sha256.New, kr.pseudonym)
	var n [4]byte
	for _, p := range append([]string{domain}, parts...) {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		m.Write([]byte(p))
	}
	return m.Sum(nil)
}

// digits keeps the ASCII digits of s.
func digits(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// canonName is s in Unicode NFC, trimmed, inner whitespace collapsed to one
// space, lower-cased, so that spellings differing only in those ways name
// one person.
func canonName(s string) string {
	return strings.ToLower(strings.Join(strings.Fields(norm.NFC.String(s)), " "))
}

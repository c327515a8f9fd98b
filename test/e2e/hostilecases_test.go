package e2e

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// The hostile cases of TestHostileInput, by what they attack: tokens,
// envelopes, bodies and requests.

// b64 is base64url without padding, as JWS uses.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// rawJWT builds a compact JWS by hand, so that it may be anything.
func rawJWT(header, claims map[string]any, sign func(input []byte) []byte) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	return input + "." + b64(sign([]byte(input)))
}

func hostileTokens(t *testing.T, livc string, iss *issuerKey, sealJSON func(string) []byte) []hostileCase {
	now := time.Now()
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": issuer, "aud": audience, "sub": "mallory", "livc": livc, "actor": "ocmw",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	var raw ed25519.PrivateKey
	must(t, jwk.Export(iss.priv, &raw))
	edSign := func(in []byte) []byte { return ed25519.Sign(raw, in) }
	pub := raw.Public().(ed25519.PublicKey)
	hs := func(key []byte) func([]byte) []byte {
		return func(in []byte) []byte {
			m := hmac.New(sha256.New, key)
			m.Write(in)
			return m.Sum(nil)
		}
	}
	pubJWK, _ := iss.priv.PublicKey()
	pubJSON, _ := json.Marshal(pubJWK)
	ed := map[string]any{"alg": "EdDSA", "kid": "e2e-1", "typ": "JWT"}
	other := newIssuer(t)
	good := iss.token(t, livc, "ocmw")
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + b64(mustJSON(claims(func(c map[string]any) { c["actor"] = "pz" }))) + "." + parts[2]
	signed := func(mod func(map[string]any)) *string { return strp(rawJWT(ed, claims(mod), edSign)) }
	list := []struct {
		name  string
		token *string
		auth  string
	}{
		{"token: none", strp(""), ""},
		{"token: basic auth scheme", nil, "Basic b2NtdzpwYXNzd29yZA=="},
		{"token: empty bearer", nil, "Bearer "},
		{"token: garbage", strp("not.a.token"), ""},
		{"token: one segment", strp("eyJhbGciOiJFZERTQSJ9"), ""},
		{"token: alg none", strp(rawJWT(map[string]any{"alg": "none", "kid": "e2e-1"}, claims(nil), func([]byte) []byte { return nil })), ""},
		{"token: alg none upper case", strp(rawJWT(map[string]any{"alg": "NONE"}, claims(nil), func([]byte) []byte { return nil })), ""},
		{"token: HS256 keyed with the raw public key", strp(rawJWT(map[string]any{"alg": "HS256", "kid": "e2e-1"}, claims(nil), hs(pub))), ""},
		{"token: HS256 keyed with the public JWK", strp(rawJWT(map[string]any{"alg": "HS256", "kid": "e2e-1"}, claims(nil), hs(pubJSON))), ""},
		{"token: unknown kid", strp(rawJWT(map[string]any{"alg": "EdDSA", "kid": "nope"}, claims(nil), edSign)), ""},
		{"token: another key with our kid", strp(other.token(t, livc, "ocmw")), ""},
		{"token: expired", signed(func(c map[string]any) {
			c["exp"] = now.Add(-time.Hour).Unix()
			c["iat"] = now.Add(-2 * time.Hour).Unix()
		}), ""},
		{"token: not yet valid", signed(func(c map[string]any) { c["nbf"] = now.Add(time.Hour).Unix() }), ""},
		{"token: issued in the future", signed(func(c map[string]any) { c["iat"] = now.Add(time.Hour).Unix() }), ""},
		{"token: no exp", signed(func(c map[string]any) { delete(c, "exp") }), ""},
		{"token: exp not a number", signed(func(c map[string]any) { c["exp"] = "tomorrow" }), ""},
		{"token: wrong iss", signed(func(c map[string]any) { c["iss"] = "evil-idp" }), ""},
		{"token: wrong aud", signed(func(c map[string]any) { c["aud"] = "someone-else" }), ""},
		{"token: another cell", strp(iss.token(t, "elders", "ocmw")), ""},
		{"token: unknown actor", strp(iss.token(t, livc, "ghost")), ""},
		{"token: no actor", signed(func(c map[string]any) { delete(c, "actor") }), ""},
		{"token: no livc", signed(func(c map[string]any) { delete(c, "livc") }), ""},
		{"token: no sub", signed(func(c map[string]any) { delete(c, "sub") }), ""},
		{"token: actor not a string", signed(func(c map[string]any) { c["actor"] = []string{"ocmw", "pz"} }), ""},
		{"token: payload tampered", strp(tampered), ""},
		{"token: signature cut", strp(parts[0] + "." + parts[1] + "."), ""},
		{"token: trailing garbage", strp(good + ".x"), ""},
		{"token: oversized", strp(good + strings.Repeat("A", 24<<10)), ""},
		{"token: expired via builder", strp(iss.token(t, livc, "ocmw", func(b *jwt.Builder) {
			b.Expiration(now.Add(-time.Minute)).IssuedAt(now.Add(-time.Hour))
		})), ""},
	}
	out := make([]hostileCase, 0, len(list))
	body := sealJSON(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"signal_text":"` + secretMarker + `"}}`)
	for _, l := range list {
		out = append(out, hostileCase{name: l.name, token: l.token, auth: l.auth, body: body, want: 401})
	}
	return out
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func hostileEnvelopes(t *testing.T, recipient string, sealJSON func(string) []byte) []hostileCase {
	valid := sealJSON(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"signal_text":"` + secretMarker + `"}}`)
	stranger, err := age.GenerateX25519Identity()
	must(t, err)
	toStranger := seal(t, stranger.Recipient().String(), []byte(`{"fields":{}}`))
	flip := func(b []byte, at int) []byte {
		c := bytes.Clone(b)
		c[at] ^= 0x01
		return c
	}
	scrypt, err := age.NewScryptRecipient("password")
	must(t, err)
	scrypt.SetWorkFactor(10)
	var sc bytes.Buffer
	w, err := age.Encrypt(&sc, scrypt)
	must(t, err)
	w.Write([]byte(`{"fields":{}}`))
	must(t, w.Close())
	var arm bytes.Buffer
	aw := armor.NewWriter(&arm)
	aw.Write([]byte("age-encryption.org/v1\n-> garbage\n"))
	must(t, aw.Close())
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	huge := `{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"signal_text":"` + strings.Repeat("x", 900<<10) + `"}}`
	return []hostileCase{
		{name: "envelope: not age", body: []byte("hello " + secretMarker), want: 400},
		{name: "envelope: empty", body: nil, want: 400},
		{name: "envelope: truncated", body: valid[:len(valid)/2], want: 400},
		{name: "envelope: header only", body: valid[:bytes.Index(valid, []byte("\n---"))+1], want: 400},
		{name: "envelope: wrong recipient", body: toStranger, want: 400},
		{name: "envelope: tampered payload", body: flip(valid, len(valid)-5), want: 400},
		{name: "envelope: tampered header", body: flip(valid, bytes.Index(valid, []byte("\n---"))-3), want: 400},
		{name: "envelope: passphrase (scrypt)", body: sc.Bytes(), want: 400},
		{name: "envelope: armored garbage", body: arm.Bytes(), want: 400},
		{name: "envelope: broken armor", body: []byte("-----BEGIN AGE ENCRYPTED FILE-----\n!!!!\n-----END AGE ENCRYPTED FILE-----\n"), want: 400},
		{name: "envelope: valid age around non-JSON", body: sealJSON("hello " + secretMarker), want: 422},
		{name: "envelope: valid age around nothing", body: sealJSON(""), want: 422},
		{name: "envelope: valid age around a JSON bomb of deep nesting", body: sealJSON(deep), want: 422},
		{name: "envelope: valid age around deep nesting in a field", body: sealJSON(`{"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z","fields":{"indicators":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}`), want: 422},
		{name: "envelope: valid age around a huge string", body: sealJSON(huge), want: 422},
		{name: "envelope: valid age around invalid UTF-8", body: seal(t, recipient, []byte("{\"subject\":{\"national_number\":\"85073003328\"},\"observed_at\":\"2026-11-20T09:30:00Z\",\"fields\":{\"signal_text\":\"\xff\xfe\"}}")), want: 422},
		{name: "envelope: over the size limit", body: bytes.Repeat([]byte("a"), 1<<20+1), want: 413},
		{name: "envelope: valid age over the size limit", body: sealJSON(strings.Repeat(" ", 1<<20+100)), want: 413},
		{name: "content type: application/json", ctype: strp("application/json"), body: valid, want: 415},
		{name: "content type: none", ctype: strp(""), body: valid, want: 415},
		{name: "content type: text/html", ctype: strp("text/html"), body: valid, want: 415},
		{name: "content type: malformed", ctype: strp("application/"), body: valid, want: 415},
		{name: "accept: age for an actor without recipients", accept: "application/age", body: valid, want: 406},
	}
}

// hostileBodies are signals, well encrypted, whose content is refused.
func hostileBodies(sealJSON func(string) []byte) []hostileCase {
	const subj = `"subject":{"national_number":"85073003328"},"observed_at":"2026-11-20T09:30:00Z"`
	sig := func(fields string) []byte { return sealJSON(`{` + subj + `,"fields":{` + fields + `}}`) }
	list := []struct {
		name string
		body []byte
	}{
		{"unknown top-level key", sealJSON(`{` + subj + `,"fields":{"presence":"absent"},"note":"` + secretMarker + `"}`)},
		{"unknown field", sig(`"shoe_size":44`)},
		{"fields empty", sig(``)},
		{"fields missing", sealJSON(`{` + subj + `}`)},
		{"fields not an object", sealJSON(`{` + subj + `,"fields":["presence"]}`)},
		{"subject missing", sealJSON(`{"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`)},
		{"subject unknown key", sealJSON(`{"subject":{"national_number":"85073003328","eye_colour":"blue"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`)},
		{"national number fails mod 97", sealJSON(`{"subject":{"national_number":"85073003329"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`)},
		{"national number as a JSON number", sealJSON(`{"subject":{"national_number":85073003328},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`)},
		{"names without birth date", sealJSON(`{"subject":{"family_name":"Peeters","given_name":"Jan"},"observed_at":"2026-11-20T09:30:00Z","fields":{"presence":"absent"}}`)},
		{"integer as a string", sig(`"school_absence_days":"12"`)},
		{"integer with a fraction", sig(`"school_absence_days":1.5`)},
		{"integer over its range", sig(`"school_absence_days":367`)},
		{"integer under its range", sig(`"threat_level":-1`)},
		{"integer overflow", sig(`"threat_level":99999999999999999999999`)},
		{"enum as a number", sig(`"presence":1`)},
		{"enum unknown value", sig(`"presence":"maybe"`)},
		{"string too long", sig(`"family_situation":"` + strings.Repeat("x", 1001) + `"`)},
		{"string is an object", sig(`"signal_text":{"text":"x"}`)},
		{"list too many items", sig(`"indicators":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 21), ",") + `]`)},
		{"list nested", sig(`"indicators":[["x"]]`)},
		{"duplicate field", sig(`"presence":"absent","presence":"present"`)},
		{"duplicate top-level key", sealJSON(`{` + subj + `,"fields":{"presence":"absent"},"fields":{"presence":"present"}}`)},
		{"control character", sig(`"signal_text":"a\u0001b"`)},
		{"NUL character", sig(`"signal_text":"a\u0000b"`)},
		{"lone surrogate", sig(`"signal_text":"\ud800"`)},
		{"identity field among fields", sig(`"national_number":"85073003328"`)},
		{"observed in the future", sealJSON(`{"subject":{"national_number":"85073003328"},"observed_at":"2999-01-01T00:00:00Z","fields":{"presence":"absent"}}`)},
		{"observed_at not RFC 3339", sealJSON(`{"subject":{"national_number":"85073003328"},"observed_at":"20/11/2026","fields":{"presence":"absent"}}`)},
		{"trailing data", sealJSON(`{` + subj + `,"fields":{"presence":"absent"}} {}`)},
	}
	out := make([]hostileCase, 0, len(list))
	for _, l := range list {
		out = append(out, hostileCase{name: "signal: " + l.name, body: l.body, want: 422})
	}
	return out
}

// hostileRequests attack purposes, paths, methods and the JSON endpoints.
func hostileRequests(t *testing.T, livc string, iss *issuerKey, ref, sigID, caseID string, signal []byte) []hostileCase {
	coord := strp(iss.token(t, livc, "preventie"))
	pz := strp(iss.token(t, livc, "pz"))
	dpo := strp(iss.token(t, livc, "dpo"))
	cc, ar, js := strp("case_conference"), strp("audit_review"), strp("application/json")
	card := func(p string) string { return "/v1/subjects/" + p + "/card" }
	caseBody := func(s string) []byte { return []byte(s) }
	okCase := fmt.Sprintf(`"subject_ref":"%s","signal_ids":["%s"],"category":"radicalisation"`, ref, sigID)
	return []hostileCase{
		{name: "purpose: missing", purpose: strp(""), body: signal, want: 403},
		{name: "purpose: unknown", purpose: strp("curiosity"), body: signal, want: 403},
		{name: "purpose: malformed", purpose: strp("Signal; DROP"), body: signal, want: 403},
		{name: "purpose: of a table the actor does not sit at", method: "GET", path: card(ref), purpose: strp("policy"), want: 403},
		{name: "purpose: another action's", purpose: cc, body: signal, want: 403},
		{name: "purpose: audit review by police", method: "GET", path: "/v1/audit", token: pz, purpose: ar, want: 403},
		{name: "path: ref not well-formed", method: "GET", path: card("not-a-ref"), token: pz, purpose: cc, want: 404},
		{name: "path: ref upper case", method: "GET", path: card("s_" + strings.Repeat("A", 26)), token: pz, purpose: cc, want: 404},
		{name: "path: ref traversal", method: "GET", path: card("..%2f..%2fetc"), token: pz, purpose: cc, want: 404},
		{name: "path: ref with NUL", method: "GET", path: card("s_aaaaaaaaaaaaaaaaaaaaaaaaa%00"), token: pz, purpose: cc, want: 404},
		{name: "path: ref too long", method: "GET", path: card("s_" + strings.Repeat("a", 500)), token: pz, purpose: cc, want: 404},
		{name: "path: case id not well-formed", method: "PUT", path: "/v1/cases/case_x/roster", token: coord, purpose: cc, ctype: js, body: []byte(`{"actors":["pz"]}`), want: 404},
		{name: "path: unknown case id", method: "PUT", path: "/v1/cases/case_" + strings.Repeat("a", 26) + "/roster", token: coord, purpose: cc, ctype: js, body: []byte(`{"actors":["pz"]}`), want: 404},
		{name: "method: DELETE on signals", method: "DELETE", want: 405},
		{name: "method: PATCH on signals", method: "PATCH", want: 405},
		{name: "intake: a submitter reads it", method: "GET", want: 403}, // GET /v1/signals is the coordinator's intake
		{name: "method: PUT on a card", method: "PUT", path: card(ref), token: pz, purpose: cc, want: 405},
		{name: "route: unknown under /v1", method: "GET", path: "/v1/secrets", token: pz, purpose: cc, want: 404},
		{name: "case: unknown field", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, body: caseBody(`{` + okCase + `,"priority":1}`), want: 422},
		{name: "case: wrong type", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, body: caseBody(fmt.Sprintf(`{"subject_ref":"%s","signal_ids":"%s","category":"radicalisation"}`, ref, sigID)), want: 422},
		{name: "case: duplicate key", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, body: caseBody(`{` + okCase + `,"category":"other"}`), want: 422},
		{name: "case: malformed subject ref", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, body: caseBody(fmt.Sprintf(`{"subject_ref":"../x","signal_ids":["%s"],"category":"radicalisation"}`, sigID)), want: 422},
		{name: "case: category out of form", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, body: caseBody(fmt.Sprintf(`{"subject_ref":"%s","signal_ids":["%s"],"category":"Radical Isation"}`, ref, sigID)), want: 422},
		{name: "case: no signal ids", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, body: caseBody(fmt.Sprintf(`{"subject_ref":"%s","signal_ids":[],"category":"radicalisation"}`, ref)), want: 422},
		{name: "case: control character", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, body: caseBody(fmt.Sprintf(`{"subject_ref":"%s","signal_ids":["%s"],"category":"rad\u0007"}`, ref, sigID)), want: 422},
		{name: "case: not JSON", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, body: []byte("subject_ref=" + ref), want: 422},
		{name: "case: empty body", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: js, want: 400},
		{name: "case: wrong content type", method: "POST", path: "/v1/cases", token: coord, purpose: cc, ctype: strp("text/plain"), body: caseBody(`{` + okCase + `}`), want: 415},
		{name: "case: by a non-coordinator", method: "POST", path: "/v1/cases", purpose: cc, ctype: js, body: caseBody(`{` + okCase + `}`), want: 403},
		{name: "roster: unknown field", method: "PUT", path: "/v1/cases/" + caseID + "/roster", token: coord, purpose: cc, ctype: js, body: []byte(`{"actors":["pz"],"owner":"pz"}`), want: 422},
		{name: "roster: wrong type", method: "PUT", path: "/v1/cases/" + caseID + "/roster", token: coord, purpose: cc, ctype: js, body: []byte(`{"actors":"pz"}`), want: 422},
		{name: "roster: duplicate key", method: "PUT", path: "/v1/cases/" + caseID + "/roster", token: coord, purpose: cc, ctype: js, body: []byte(`{"actors":["pz"],"actors":["vsse"]}`), want: 422},
		{name: "roster: actor not at the operational table", method: "PUT", path: "/v1/cases/" + caseID + "/roster", token: coord, purpose: cc, ctype: js, body: []byte(`{"actors":["burgemeester"]}`), want: 422},
		{name: "audit: limit zero", method: "GET", path: "/v1/audit?limit=0", token: dpo, purpose: ar, want: 422},
		{name: "audit: limit not a number", method: "GET", path: "/v1/audit?limit=ten", token: dpo, purpose: ar, want: 422},
		{name: "audit: limit over the maximum", method: "GET", path: "/v1/audit?limit=1001", token: dpo, purpose: ar, want: 422},
		{name: "audit: from not a time", method: "GET", path: "/v1/audit?from=yesterday", token: dpo, purpose: ar, want: 422},
		{name: "audit: unknown order", method: "GET", path: "/v1/audit?order=sideways", token: dpo, purpose: ar, want: 422},
		{name: "audit: to before from", method: "GET", path: "/v1/audit?from=2026-11-20T00:00:00Z&to=2026-11-19T00:00:00Z", token: dpo, purpose: ar, want: 422},
	}
}

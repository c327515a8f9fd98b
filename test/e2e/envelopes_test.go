package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"strings"
	"testing"

	"filippo.io/age"
)

// TestEnvelopesAndScan proves the envelopes end to end with the stock age
// CLI: signals encrypted to either broker recipient, binary or armored, are
// accepted; damaged or foreign ones are refused with a 4xx, audited, and
// change nothing in the store; answers under Accept: application/age open
// with the actor's identity only; and afterwards neither Redis nor its AOF
// file holds a field value, a name or a national number in the clear.
func TestEnvelopesAndScan(t *testing.T) {
	m := loadModel(t)
	iss := newIssuer(t)
	redisDir := t.TempDir()
	rs := startRedisAOF(t, redisDir)
	pzID := newHybridIdentity(t)
	b := startBroker(t, rs.Addr, iss, "--config", configWithRecipient(t, pzID.Recipient().String()), "--max-body", "65536")
	rc := rs.client(t)
	var keys struct{ Recipients []string }
	do(t, "GET", b.URL+"/v1/keys", nil).json(t, &keys)
	if len(keys.Recipients) != 2 || !strings.HasPrefix(keys.Recipients[1], "age1pq1") {
		t.Fatalf("GET /v1/keys: %v", keys.Recipients)
	}
	x25519, hybrid := keys.Recipients[0], keys.Recipients[1]
	post := func(actor string, body []byte) response {
		return do(t, "POST", b.URL+"/v1/signals", body, "Authorization", "Bearer "+iss.token(t, m.Livc, actor),
			"LIVC-Purpose", "signal", "Content-Type", "application/age")
	}
	var secrets []string

	accepted := []struct {
		name      string
		recipient string
		armor     bool
	}{
		{"X25519 binary", x25519, false},
		{"X25519 armored", x25519, true},
		{"hybrid binary", hybrid, false},
		{"hybrid armored", hybrid, true},
	}
	for i, tc := range accepted {
		t.Run("accepted/"+tc.name, func(t *testing.T) {
			nn := validNN(fmt.Sprintf("7904%02d", 12+i), 100+i) // a birth date of its own
			family, text := fmt.Sprintf("Zzfamily%d", i), fmt.Sprintf("SECRET-text-%d", i)
			secrets = append(secrets, personSecrets(nn, family, text)...)
			r := post("ocmw", ageEncrypt(t, tc.recipient, signalJSON(nn, family, text), tc.armor))
			if r.Status != 201 {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}

	good := ageEncrypt(t, hybrid, signalJSON(validNN("800101", 7), "Zzrefused", "SECRET-refused"), false)
	secrets = append(secrets, personSecrets(validNN("800101", 7), "Zzrefused", "SECRET-refused")...)
	other := newHybridIdentity(t)
	flip := func(b []byte, i int) []byte { c := bytes.Clone(b); c[i] ^= 0x01; return c }
	headerEnd := bytes.Index(good, []byte("\n---")) + 1
	big := make([]byte, 70_000)
	for i := range big {
		big[i] = 'a'
	}
	refused := []struct {
		name string
		body []byte
		want int
	}{
		{"wrong recipient", ageEncrypt(t, other.Recipient().String(), signalJSON(validNN("800101", 7), "Zzrefused", "SECRET-refused"), false), 400},
		{"truncated", good[:len(good)-20], 400},
		{"header bit flipped", flip(good, headerEnd-10), 400},
		{"header MAC bit flipped", flip(good, headerEnd+8), 400},
		{"payload bit flipped", flip(good, len(good)-30), 400},
		{"not age", []byte(`{"subject":{"national_number":"80010100709"}}`), 400},
		{"armor damaged", bytes.Replace(ageEncrypt(t, hybrid, []byte("x"), true), []byte("-----END"), []byte("-----ENX"), 1), 400},
		{"over the size limit", ageEncrypt(t, hybrid, big, false), 413},
	}
	for _, tc := range refused {
		t.Run("refused/"+tc.name, func(t *testing.T) {
			before := dumpRedis(t, rc, isAudit)
			r := post("ocmw", tc.body)
			if r.Status != tc.want || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("got %d %s, want %d", r.Status, r.Body, tc.want)
			}
			var p struct{ Detail string }
			r.json(t, &p)
			if p.Detail == "" {
				t.Fatalf("no detail: %s", r.Body)
			}
			if after := dumpRedis(t, rc, isAudit); !maps.Equal(before, after) {
				t.Fatalf("the store changed on a refusal")
			}
			checkAudited(t, b, iss, m.Livc, r.Header.Get("X-Audit-Id"), "signal.submit", "deny")
		})
	}

	t.Run("answer sealed to the actor", func(t *testing.T) {
		nn := validNN("910203", 55)
		secrets = append(secrets, personSecrets(nn, "Zzpolice", "SECRET-police-own")...)
		r := post("pz", ageEncrypt(t, hybrid, signalJSON(nn, "Zzpolice", "SECRET-police-own"), false))
		if r.Status != 201 {
			t.Fatalf("submit: %d %s", r.Status, r.Body)
		}
		var rc struct {
			SubjectRef string
		}
		rc.SubjectRef = refOf(t, b.URL, iss.token(t, m.Livc, "preventie"), jsonField(t, r.Body, "id"))
		card := do(t, "GET", b.URL+"/v1/subjects/"+rc.SubjectRef+"/card", nil, "Authorization", "Bearer "+iss.token(t, m.Livc, "pz"),
			"LIVC-Purpose", "case_conference", "Accept", "application/age")
		if card.Status != 200 || card.Header.Get("Content-Type") != "application/age" {
			t.Fatalf("card: %d %s %s", card.Status, card.Header.Get("Content-Type"), card.Body)
		}
		if bytes.Contains(card.Body, []byte("SECRET-police-own")) || bytes.Contains(card.Body, []byte(rc.SubjectRef)) {
			t.Fatal("the sealed answer shows its content")
		}
		if _, err := age.Decrypt(bytes.NewReader(card.Body), other); err == nil {
			t.Fatal("the answer opens with another identity")
		}
		dr, err := age.Decrypt(bytes.NewReader(card.Body), pzID)
		must(t, err)
		plain, err := io.ReadAll(dr)
		must(t, err)
		var got struct {
			SubjectRef string `json:"subject_ref"`
			Fields     map[string][]struct{ Value any }
		}
		must(t, json.Unmarshal(plain, &got))
		if got.SubjectRef != rc.SubjectRef || got.Fields["signal_text"][0].Value != "SECRET-police-own" {
			t.Fatalf("decrypted card: %s", plain)
		}
		no := do(t, "GET", b.URL+"/v1/subjects/"+rc.SubjectRef+"/card", nil, "Authorization", "Bearer "+iss.token(t, m.Livc, "ocmw"),
			"LIVC-Purpose", "case_conference", "Accept", "application/age")
		if no.Status != 406 {
			t.Fatalf("actor without recipients: %d %s", no.Status, no.Body)
		}
		checkAudited(t, b, iss, m.Livc, no.Header.Get("X-Audit-Id"), "card.read", "deny")
	})

	t.Run("nothing in the clear in Redis or its AOF", func(t *testing.T) {
		dump := dumpRedis(t, rc, nil)
		var all strings.Builder
		for k, v := range dump {
			all.WriteString(k + "\n" + v + "\n")
		}
		aof := readTree(t, redisDir)
		if len(dump) < 10 || len(aof) < 1000 || !bytes.Contains(aof, []byte(":datakey")) {
			t.Fatalf("the scan sees too little: %d keys, %d AOF bytes", len(dump), len(aof))
		}
		for _, s := range secrets {
			if strings.Contains(all.String(), s) {
				t.Errorf("Redis holds %q in the clear", s)
			}
			if bytes.Contains(aof, []byte(s)) {
				t.Errorf("the AOF holds %q in the clear", s)
			}
		}
	})
}

// checkAudited finds the audit entry of id, as the privacy officer, and
// checks its action and decision.
func checkAudited(t *testing.T, b *brokerProc, iss *issuerKey, livc, id, action, decision string) {
	t.Helper()
	if id == "" {
		t.Fatal("no X-Audit-Id")
	}
	r := do(t, "GET", b.URL+"/v1/audit?action="+action+"&decision="+decision+"&order=desc&limit=1000", nil,
		"Authorization", "Bearer "+iss.token(t, livc, "dpo"), "LIVC-Purpose", "audit_review")
	var page struct {
		Items []struct{ ID, Action, Decision, Reason string }
	}
	r.json(t, &page)
	for _, e := range page.Items {
		if e.ID == id {
			return
		}
	}
	t.Fatalf("audit entry %s (%s, %s) not found", id, action, decision)
}

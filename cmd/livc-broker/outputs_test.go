package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckWebhookSecret: the webhook's secret file must be at least
// MinSecret bytes and readable by its owner only.
func TestCheckWebhookSecret(t *testing.T) {
	secret := []byte(strings.Repeat("k", 32))
	for _, tc := range []struct {
		name   string
		mode   os.FileMode
		secret []byte
		want   string // "" is accepted
	}{
		{"owner only", 0o600, secret, ""},
		{"readable by the group", 0o640, secret, "may be read by others"},
		{"readable by all", 0o644, secret, "may be read by others"},
		{"too short", 0o600, secret[:31], "at least 32 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(p, tc.secret, tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			o := &outputsConf{Webhook: "https://alerts.example/hook"}
			err := o.checkWebhook(p)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), string(secret[:8])) {
				t.Fatalf("the error repeats the secret: %v", err)
			}
		})
	}
}

package conn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTLSFilesRefused: a CA file that holds no certificate, a client
// certificate without its key, and TLS files with a plain redis:// URL are
// refused by Open, naming the file; good files make a client.
func TestTLSFilesRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ca"}, NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	goodCA := write("ca.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	goodKey := write("key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	for _, tc := range []struct {
		name string
		url  string
		tls  TLSFiles
		says string
	}{
		{"empty CA file", "rediss://r:6380/0", TLSFiles{CA: write("empty.pem", "")}, "holds no PEM certificate"},
		{"CA file of text", "rediss://r:6380/0", TLSFiles{CA: write("text.pem", "not a certificate")}, "holds no PEM certificate"},
		{"CA file with a key", "rediss://r:6380/0", TLSFiles{CA: goodKey}, "not only certificates"},
		{"CA file of a broken certificate", "rediss://r:6380/0", TLSFiles{CA: write("broken.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("junk")})))}, "certificate 1"},
		{"missing CA file", "rediss://r:6380/0", TLSFiles{CA: filepath.Join(dir, "nope.pem")}, "nope.pem"},
		{"certificate without key", "rediss://r:6380/0", TLSFiles{Cert: goodCA}, "go together"},
		{"key of no certificate", "rediss://r:6380/0", TLSFiles{Cert: goodKey, Key: goodKey}, "client certificate"},
		{"no verification", "rediss://r:6380/0?skip_verify=true", TLSFiles{}, "may not turn off certificate verification"},
		{"no verification, with a CA", "rediss://r:6380/0?skip_verify=true", TLSFiles{CA: goodCA}, "may not turn off certificate verification"},
		{"plain URL", "redis://r:6379/0", TLSFiles{CA: goodCA}, "needs a TLS URL"},
		{"plain cluster URL", "redis+cluster://r:6379", TLSFiles{CA: goodCA}, "needs a TLS URL"},
		{"bad CA for a cluster", "rediss+cluster://r:6379", TLSFiles{CA: write("empty2.pem", "")}, "holds no PEM certificate"},
		{"bad CA for Sentinel", "rediss+sentinel://r:26379/m", TLSFiles{CA: write("empty3.pem", "")}, "holds no PEM certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConf()
			c.TLS = tc.tls
			if _, err := c.Open(tc.url); err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("Open: %v, want an error saying %q", err, tc.says)
			}
		})
	}
	for _, url := range []string{"rediss://r:6380/0", "rediss+cluster://r:6379", "rediss+sentinel://r:26379/m"} {
		c := DefaultConf()
		c.TLS = TLSFiles{CA: goodCA, Cert: goodCA, Key: goodKey}
		client, err := c.Open(url)
		if err != nil {
			t.Fatalf("Open %s with good files: %v", url, err)
		}
		client.Close()
	}
}

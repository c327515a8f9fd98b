package conn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
)

// TLSFiles name what a TLS connection to Redis needs beyond the system's
// trust: the CA that signed the server's certificate (a private CA), and a
// client certificate with its key (Redis's tls-auth-clients). Each is
// optional; Cert and Key go together. They apply to the TLS schemes only
// (rediss://, rediss+sentinel://, rediss+cluster://).
type TLSFiles struct {
	CA, Cert, Key string
}

func (f TLSFiles) empty() bool { return f == TLSFiles{} }

// config returns the TLS configuration the files make, on the system's
// roots when no CA is given. It refuses a CA file without a certificate, a
// certificate without its key (or the other way round) and a pair that does
// not match, naming the file, never its content.
func (f TLSFiles) config() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if f.CA != "" {
		pool, err := readCA(f.CA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	if (f.Cert == "") != (f.Key == "") {
		return nil, errors.New("conn: a Redis client certificate and its key go together")
	}
	if f.Cert != "" {
		pair, err := tls.LoadX509KeyPair(f.Cert, f.Key)
		if err != nil {
			return nil, fmt.Errorf("conn: Redis client certificate %s with key %s: %w", f.Cert, f.Key, err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}

// readCA reads a PEM file of CA certificates; every block must be a
// certificate that parses, and there must be one.
func readCA(path string) (*x509.CertPool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("conn: Redis CA file: %w", err)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := raw; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("conn: Redis CA file %s holds a %s, not only certificates", path, b.Type)
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("conn: Redis CA file %s: certificate %d: %w", path, n+1, err)
		}
		pool.AddCert(cert)
		n++
	}
	if n == 0 {
		return nil, fmt.Errorf("conn: Redis CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// secureScheme tells whether a URL's scheme is one of the TLS ones.
func secureScheme(scheme string) bool {
	return strings.HasPrefix(strings.ToLower(scheme), "rediss")
}

// HandshakeRefused tells whether err is a TLS handshake that failed on a
// certificate: the server's not verified (another CA, another name), or the
// server refusing the client's (none, or one it does not trust). That is a
// wrong configuration, which no retry mends, unlike a server that is down.
func HandshakeRefused(err error) bool {
	var verify *tls.CertificateVerificationError
	var op *net.OpError
	return errors.As(err, &verify) || (errors.As(err, &op) && op.Op == "remote error") ||
		strings.Contains(err.Error(), "remote error: tls:")
}

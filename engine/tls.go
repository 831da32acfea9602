package engine

import (
	"crypto/tls"
	"fmt"
)

// TLS on the client listener: Config.TLS set means every client connection
// is TLS (the handshake deadline covers the TLS handshake too). qund builds
// it from --tls-cert and --tls-key with LoadTLS.

// LoadTLS returns a server TLS config (TLS 1.2 at least) from PEM files.
func LoadTLS(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("engine: tls: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

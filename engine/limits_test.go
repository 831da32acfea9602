package engine_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// Connection limits, rate limits over a real connection, tokens over time
// and TLS (limits.go, ratelimit.go, tokens.go, tls.go).

func TestConnectionsPerUserCloseTheOldest(t *testing.T) {
	cfg := testConfig("")
	cfg.Limits = engine.DefaultLimits()
	cfg.Limits.MaxConnsPerUser = 3
	e := startEngine(t, cfg)
	var rcs []*rawConn
	for i := 0; i < 3; i++ {
		rc := rawDial(t, e)
		rc.hello("alice", e)
		rcs = append(rcs, rc)
	}
	rc := rawDial(t, e)
	rc.hello("alice", e)
	rcs[0].expectClose(wire.CodeReplaced)
	// The others still work.
	for _, c := range append(rcs[1:], rc) {
		c.frame(wire.FramePing, &wire.Ping{N: 1})
		if ft, _ := c.next(); ft != wire.FramePong {
			t.Fatalf("got %s", ft)
		}
	}
}

func TestUnauthenticatedConnectionsAreBounded(t *testing.T) {
	cfg := testConfig("")
	cfg.Limits = engine.DefaultLimits()
	cfg.Limits.MaxUnauthPerIP = 4
	cfg.HandshakeTimeout = 5 * time.Second
	e := startEngine(t, cfg)
	var silent []*rawConn
	for i := 0; i < 4; i++ {
		silent = append(silent, rawDial(t, e))
	}
	waitFor(t, 5*time.Second, "4 connections accepted", func() bool { return e.Stats().Conns == 4 })
	over := rawDial(t, e)
	over.expectClose(wire.CodeTooManyConnections)
	// One completes its handshake: room for another.
	silent[0].hello("alice", e)
	ok := rawDial(t, e)
	ok.hello("bob", e)
}

func TestRateLimitedRequestsKeepTheConnection(t *testing.T) {
	cfg := testConfig("")
	cfg.Limits = engine.DefaultLimits()
	cfg.Limits.CreatesPerHour = 2
	cfg.DefaultTier.MaxOwnedGroups = 10
	e := startEngine(t, cfg)
	rc := rawDial(t, e)
	rc.hello("alice", e)
	args, _ := wire.Marshal(&wire.CreateGroupArgs{Name: "g"})
	for i := 1; i <= 2; i++ {
		if code, _ := rc.request(uint32(i), wire.OpCreateGroup, args); code != 0 {
			t.Fatalf("create %d: %s", i, code)
		}
	}
	rc.frame(wire.FrameRequest, &wire.Request{ID: 3, Op: wire.OpCreateGroup, Args: args})
	ft, body := rc.next()
	var ef wire.ErrorFrame
	if ft != wire.FrameError || wire.Decode(body, &ef) != nil || ef.ID != 3 || ef.Code != wire.CodeRateLimited {
		t.Fatalf("third create: %s %+v", ft, ef)
	}
	if ef.RetryAfter < 29*60*1000 || ef.RetryAfter > 31*60*1000 {
		t.Fatalf("retry_after %d ms, want about 30 min", ef.RetryAfter)
	}
	rc.frame(wire.FramePing, &wire.Ping{N: 5})
	if ft, _ := rc.next(); ft != wire.FramePong {
		t.Fatalf("connection unusable after rate_limited: %s", ft)
	}
}

func TestTokenExpiryClosesTheConnection(t *testing.T) {
	cfg := testConfig("")
	e := startEngine(t, cfg)
	// exp 1 s ago, within the 30 s leeway: accepted, closed when the
	// leeway runs out (29 s later at most: too slow for a test), so mint
	// one expiring 29 s ago and wait for the close.
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject: "alice", ExpiresAt: jwt.NewNumericDate(time.Now().Add(-29 * time.Second)),
	}).SignedString(cfg.Secret)
	if err != nil {
		t.Fatal(err)
	}
	rc := rawDial(t, e)
	rc.frame(wire.FrameHello, &wire.Hello{Version: 1, Token: tok})
	if ft, _ := rc.next(); ft != wire.FrameWelcome {
		t.Fatalf("got %s", ft)
	}
	rc.expectClose(wire.CodeTokenExpired)
	// nbf in the future is unauthenticated.
	tok, _ = jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject: "alice", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)), NotBefore: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}).SignedString(cfg.Secret)
	rc = rawDial(t, e)
	rc.frame(wire.FrameHello, &wire.Hello{Version: 1, Token: tok})
	rc.expectClose(wire.CodeUnauthenticated)
}

func TestRevokeClosesAndDenies(t *testing.T) {
	e := startEngine(t, testConfig(""))
	rc := rawDial(t, e)
	rc.hello("mallory", e)
	e.Revoke("mallory", time.Now().Add(time.Hour))
	rc.expectClose(wire.CodeTokenRevoked)
	tok, _ := e.MintToken("mallory")
	rc = rawDial(t, e)
	rc.frame(wire.FrameHello, &wire.Hello{Version: 1, Token: tok})
	rc.expectClose(wire.CodeTokenRevoked)
	e.Revoke("mallory", time.Time{})
	rc = rawDial(t, e)
	rc.hello("mallory", e)
}

func TestSecretRotationWithKid(t *testing.T) {
	old := []byte("old-secret-0123456789abcdef")
	oldTok, err := engine.MintToken(old, "alice", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	stranger := []byte("other-secret-0123456789abcdef")
	strangerTok, _ := engine.MintToken(stranger, "mallory", time.Hour)
	cfg := testConfig("")
	cfg.Secret = []byte("new-secret-0123456789abcdef")
	cfg.PreviousSecrets = [][]byte{old}
	e := startEngine(t, cfg)
	// A token minted with the previous secret names it by kid: accepted.
	rc := rawDial(t, e)
	rc.frame(wire.FrameHello, &wire.Hello{Version: 1, Token: oldTok})
	if ft, _ := rc.next(); ft != wire.FrameWelcome {
		t.Fatalf("old token during rotation: %s", ft)
	}
	rc = rawDial(t, e)
	rc.hello("bob", e) // new tokens, new secret
	// A kid the server does not hold: refused.
	rc = rawDial(t, e)
	rc.frame(wire.FrameHello, &wire.Hello{Version: 1, Token: strangerTok})
	rc.expectClose(wire.CodeUnauthenticated)
	// A token without kid is checked with the current secret only.
	noKid, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject: "carol", ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Hour)),
	}).SignedString(old)
	rc = rawDial(t, e)
	rc.frame(wire.FrameHello, &wire.Hello{Version: 1, Token: noKid})
	rc.expectClose(wire.CodeUnauthenticated)
	if engine.KeyID(old) == engine.KeyID(cfg.Secret) || len(engine.KeyID(old)) != 16 {
		t.Fatal("key ids")
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 into dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "qun test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestTLSListener(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	cfg := testConfig("")
	var err error
	if cfg.TLS, err = engine.LoadTLS(certFile, keyFile); err != nil {
		t.Fatal(err)
	}
	e := startEngine(t, cfg)
	nc, err := tls.Dial("tcp", e.Addr().String(), &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	rc := wrapConn(t, nc)
	rc.hello("alice", e)
	args, _ := wire.Marshal(&wire.CreateGroupArgs{Name: "secure"})
	if code, _ := rc.request(1, wire.OpCreateGroup, args); code != 0 {
		t.Fatalf("create over TLS: %s", code)
	}
	// Plain TCP gets no welcome.
	plain := rawDial(t, e)
	tok, _ := e.MintToken("bob")
	plain.frame(wire.FrameHello, &wire.Hello{Version: 1, Token: tok})
	if ft, _ := plain.next(); ft == wire.FrameWelcome {
		t.Fatal("plain TCP was served on a TLS listener")
	}
}

package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/qunchat/qun/wire"
)

// MaxTokenLen bounds a token before it is parsed.
const MaxTokenLen = 4096

// MaxUserIDLen bounds user ids in bytes.
const MaxUserIDLen = wire.MaxUserIDLen

// SecretFile is the name of the generated secret inside the data directory.
const SecretFile = "secret"

// ErrBadUserID is returned for user ids that are empty, too long, or hold
// spaces or control characters.
var ErrBadUserID = errors.New("engine: invalid user id")

// ValidUserID checks a user id.
func ValidUserID(u string) error {
	if err := wire.ValidUserID(u); err != nil {
		return fmt.Errorf("%w: %q", ErrBadUserID, u)
	}
	return nil
}

// MintToken signs a token for user that expires after ttl (JWT, HS256, with
// sub and exp).
func MintToken(secret []byte, user string, ttl time.Duration) (string, error) {
	if err := ValidUserID(user); err != nil {
		return "", err
	}
	if len(secret) == 0 {
		return "", errors.New("engine: empty secret")
	}
	now := time.Now()
	t := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		Subject:   user,
		IssuedAt:  jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
	})
	t.Header["kid"] = KeyID(secret) // tokens.go: rotation
	return t.SignedString(secret)
}

// JWTAuth checks HS256 tokens with a required exp and sub. A token whose
// header names a key id (kid) is checked with the secret of that id,
// Secret or one of Previous (rotation); a token without kid with Secret.
type JWTAuth struct {
	Secret   []byte
	Previous [][]byte
}

// Authenticate returns the token's user id.
func (a JWTAuth) Authenticate(ctx context.Context, token string) (string, error) {
	u, _, err := a.AuthenticateExpiry(ctx, token)
	return u, err
}

func (a JWTAuth) key(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	if kid == "" || kid == KeyID(a.Secret) {
		return a.Secret, nil
	}
	for _, p := range a.Previous {
		if kid == KeyID(p) {
			return p, nil
		}
	}
	return nil, errNoKey
}

// AuthenticateExpiry returns the token's user id and expiry
// (ExpiringAuthenticator).
func (a JWTAuth) AuthenticateExpiry(_ context.Context, token string) (string, time.Time, error) {
	if token == "" || len(token) > MaxTokenLen || strings.Count(token, ".") != 2 {
		return "", time.Time{}, wire.Errorf(wire.CodeUnauthenticated, "malformed token")
	}
	var claims jwt.RegisteredClaims
	_, err := jwt.ParseWithClaims(token, &claims, a.key,
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithExpirationRequired(), jwt.WithLeeway(30*time.Second))
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return "", time.Time{}, wire.Errorf(wire.CodeTokenExpired, "token expired")
		}
		if errors.Is(err, jwt.ErrTokenNotValidYet) {
			return "", time.Time{}, wire.Errorf(wire.CodeUnauthenticated, "token not valid yet (nbf)")
		}
		return "", time.Time{}, wire.Errorf(wire.CodeUnauthenticated, "invalid token")
	}
	if err := ValidUserID(claims.Subject); err != nil {
		return "", time.Time{}, wire.Errorf(wire.CodeUnauthenticated, "token has no valid subject")
	}
	// Leeway: the token is honoured 30 s past exp, as at the handshake.
	return claims.Subject, claims.ExpiresAt.Time.Add(30 * time.Second), nil
}

// LoadOrCreateSecret reads dir/secret, creating it with 32 random bytes
// (hex, mode 0600) if it does not exist.
func LoadOrCreateSecret(dir string) ([]byte, error) {
	p := filepath.Join(dir, SecretFile)
	if b, err := os.ReadFile(p); err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return nil, fmt.Errorf("engine: secret file %s is too short", p)
		}
		return []byte(s), nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("engine: read secret: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("engine: data dir: %w", err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(raw)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, os.ErrExist) { // another process won the race
			return LoadOrCreateSecret(dir)
		}
		return nil, fmt.Errorf("engine: create secret: %w", err)
	}
	if _, err := f.WriteString(s + "\n"); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return []byte(s), f.Close()
}

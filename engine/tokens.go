package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/qunchat/qun/wire"
)

// Tokens over time: a connection lives no longer than its token (it is told
// token_expired and closed when the token's exp passes; the client
// reconnects with a fresh token); the host can revoke a user (Revoke: their
// connections are closed with token_revoked and their handshakes refused
// until a time: a deny list); secrets rotate with a key id (kid, in the JWT
// header): tokens are minted with Config.Secret, and checked with it or any
// of Config.PreviousSecrets, chosen by kid.

// ExpiringAuthenticator is an Authenticator that also says when the
// token's authority ends. JWTAuth is one. With a plain Authenticator a
// connection is not closed on a clock.
type ExpiringAuthenticator interface {
	AuthenticateExpiry(ctx context.Context, token string) (user string, exp time.Time, err error)
}

// KeyID is the key id (kid) of a secret: the first 8 bytes of its SHA-256,
// in hex. It names the secret without revealing it.
func KeyID(secret []byte) string {
	h := sha256.Sum256(secret)
	return hex.EncodeToString(h[:8])
}

type tokenState struct {
	mu   sync.Mutex
	deny map[string]time.Time // user -> refused until
}

// Revoke closes every connection of user on this node with token_revoked
// and refuses their handshakes until until (the deny list; a zero until
// lifts it). It is the host's revocation hook: call it on every node.
func (e *Engine) Revoke(user string, until time.Time) {
	e.tokens.mu.Lock()
	if e.tokens.deny == nil {
		e.tokens.deny = map[string]time.Time{}
	}
	if until.IsZero() {
		delete(e.tokens.deny, user)
	} else {
		e.tokens.deny[user] = until
	}
	e.tokens.mu.Unlock()
	if until.IsZero() {
		return
	}
	for _, c := range e.userConns(user) {
		c.closeWith(wire.CodeTokenRevoked, "access revoked")
	}
}

func (e *Engine) denied(user string) bool {
	e.tokens.mu.Lock()
	defer e.tokens.mu.Unlock()
	until, ok := e.tokens.deny[user]
	if ok && !time.Now().Before(until) {
		delete(e.tokens.deny, user)
		return false
	}
	return ok
}

// authenticate checks a hello's token: the user, when the token expires
// (zero: never on a clock), or the error to close with.
func (e *Engine) authenticate(ctx context.Context, token string) (string, time.Time, error) {
	var user string
	var exp time.Time
	var err error
	if ea, ok := e.auth.(ExpiringAuthenticator); ok {
		user, exp, err = ea.AuthenticateExpiry(ctx, token)
	} else {
		user, err = e.auth.Authenticate(ctx, token)
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if e.denied(user) {
		return "", time.Time{}, wire.Errorf(wire.CodeTokenRevoked, "access revoked")
	}
	return user, exp, nil
}

// watchToken closes c when its token expires.
func (c *conn) watchToken(exp time.Time) {
	if exp.IsZero() {
		return
	}
	t := time.AfterFunc(time.Until(exp), func() {
		c.closeWith(wire.CodeTokenExpired, "token expired: reconnect with a fresh token")
	})
	context.AfterFunc(c.ctx, func() { t.Stop() })
}

var errNoKey = errors.New("engine: no secret for this key id")

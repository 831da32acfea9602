package engine

import "context"

// Authenticator turns a client's token into a user id. Errors should be
// *wire.Error with CodeUnauthenticated or CodeTokenExpired.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (user string, err error)
}

// Hooks connect Qun to the host platform. Every nil field gets a working
// default, so an embedder sets only what it has.
type Hooks struct {
	// Auth checks client tokens. Default: JWTAuth with the engine's secret.
	Auth Authenticator
}

// Package testserver starts real Qun engines for tests of the packages
// above engine (client, cmd): a node on 127.0.0.1 port 0 with its Pebble
// data in a test's temporary directory, closed when the test ends.
//
// It imports engine; only tests may import it.
package testserver

import (
	"context"
	"testing"
	"time"

	"github.com/qunchat/qun/engine"
)

// Config is a loopback node with data in dir ("" = memory) that lets
// anyone create groups (the friend rule has its own tests in engine) and
// has no rate or connection limits (they have their own tests in engine;
// these tests send as fast as they can).
func Config(dir string) engine.Config {
	cfg := engine.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = dir
	cfg.CreateMinFriends = 0
	cfg.Limits = engine.UnlimitedLimits()
	return cfg
}

// Start starts a node with cfg and closes it when the test ends.
func Start(t testing.TB, cfg engine.Config) *engine.Engine {
	t.Helper()
	e, err := engine.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

// Token signs a token for user with e's secret.
func Token(t testing.TB, e *engine.Engine, user string) string {
	t.Helper()
	tok, err := e.MintToken(user)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

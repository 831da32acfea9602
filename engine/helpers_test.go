package engine_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/qunchat/qun/client"
	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/wire"
)

// testConfig is a loopback node with data in dir ("" = memory).
func testConfig(dir string) engine.Config {
	cfg := engine.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.WSListen = "127.0.0.1:0" // both transports (transport_test.go)
	cfg.DataDir = dir
	cfg.Secret = []byte("test-secret-0123456789abcdef")
	cfg.CreateMinFriends = 0 // rules_test.go covers the friend rule
	// limits_test.go and ratelimit_internal_test.go cover the limits: the
	// other tests send, join and connect as fast as they can.
	cfg.Limits = engine.UnlimitedLimits()
	return cfg
}

func startEngine(t testing.TB, cfg engine.Config) *engine.Engine {
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

// inbox collects pushes for a client.
type inbox struct {
	mu   sync.Mutex
	msgs map[string][]wire.Message
	gaps []wire.Gap
	ch   chan struct{}
}

func newInbox() *inbox { return &inbox{msgs: map[string][]wire.Message{}, ch: make(chan struct{}, 1)} }

func (b *inbox) onPush(p *wire.Push) {
	b.mu.Lock()
	b.msgs[p.Group] = append(b.msgs[p.Group], p.Msgs...)
	b.mu.Unlock()
	select {
	case b.ch <- struct{}{}:
	default:
	}
}

func (b *inbox) onGap(g *wire.Gap) {
	b.mu.Lock()
	b.gaps = append(b.gaps, *g)
	b.mu.Unlock()
}

func (b *inbox) get(g string) []wire.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]wire.Message(nil), b.msgs[g]...)
}

// waitFor polls until cond holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dial(t testing.TB, e *engine.Engine, user string, box *inbox) *client.Client {
	t.Helper()
	tok, err := e.MintToken(user)
	if err != nil {
		t.Fatal(err)
	}
	opts := client.Options{Token: tok}
	if box != nil {
		opts.OnPush, opts.OnGap = box.onPush, box.onGap
	}
	c, err := client.Dial(context.Background(), e.Addr().String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func texts(ms []wire.Message) []string {
	var out []string
	for _, m := range ms {
		if m.Type == wire.MsgText {
			out = append(out, fmt.Sprintf("%d:%s:%s", m.Seq, m.Sender, m.Body.Text.Text))
		}
	}
	return out
}

// startCluster starts n nodes (in memory) that bootstrap one replicated
// cluster: the first node's gossip port is picked up front, the others join
// it, and all start at once (each Start waits for the n members).
func startCluster(t testing.TB, n int) []*engine.Engine {
	t.Helper()
	return startClusterWith(t, n, nil)
}

// startClusterWith is startCluster with tweak applied to each node's
// config.
func startClusterWith(t testing.TB, n int, tweak func(*engine.Config)) []*engine.Engine {
	t.Helper()
	seed := freeAddr(t)
	es := make([]*engine.Engine, n)
	errs := make(chan error, n)
	for i := range n {
		cfg := testConfig("")
		cfg.ClusterSecret = []byte("cluster-secret-0123456789")
		cfg.BootstrapExpect = n
		if tweak != nil {
			tweak(&cfg)
		}
		if i == 0 {
			cfg.GossipAddr = seed
		} else {
			cfg.Join = []string{seed}
		}
		e, err := engine.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		es[i] = e
		t.Cleanup(func() { _ = e.Close() })
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			errs <- e.Start(ctx)
		}()
		if i == 0 { // the others join it: wait until it gossips
			waitFor(t, 30*time.Second, "the first node's gossip", func() bool {
				c, err := net.DialTimeout("tcp", seed, time.Second)
				if err == nil {
					c.Close()
				}
				return err == nil
			})
		}
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	return es
}

// freeAddr returns a loopback address whose port was free for both TCP and
// UDP (memberlist binds both) a moment ago.
func freeAddr(t testing.TB) string {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		u, err := net.ListenPacket("udp", addr)
		l.Close()
		if err == nil {
			u.Close()
			return addr
		}
	}
	t.Fatal("no free port for TCP and UDP")
	return ""
}

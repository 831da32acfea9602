// Command qund runs one Qun node: the cluster member, its Pebble store and
// the client TCP frontend.
//
//	go run ./cmd/qund                      # 127.0.0.1:7400, data in ./qun-data
//	qund --listen 127.0.0.1:7401 --data /var/lib/qun --join 10.0.0.5:7946
//
// Every flag can also be set with an environment variable: QUN_LISTEN,
// QUN_DATA, QUN_SECRET, QUN_GOSSIP, QUN_REMOTE, QUN_JOIN, QUN_LOG_LEVEL.
// SIGINT or SIGTERM stops it cleanly: no new connections, requests in flight
// finish (their commits included), Pebble is closed, exit status 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/qunchat/qun/engine"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "qund:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if v, ok := os.LookupEnv(name); ok {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func run(args []string) error {
	def := engine.DefaultConfig()
	fs := flag.NewFlagSet("qund", flag.ContinueOnError)
	listen := fs.String("listen", env("QUN_LISTEN", def.Listen), "client listen address (QUN_LISTEN)")
	data := fs.String("data", env("QUN_DATA", def.DataDir), "data directory (QUN_DATA)")
	secret := fs.String("secret", env("QUN_SECRET", ""), "token secret; default: generated in the data directory (QUN_SECRET)")
	gossip := fs.String("gossip", env("QUN_GOSSIP", def.GossipAddr), "memberlist gossip address, port 0 = any free (QUN_GOSSIP)")
	remote := fs.String("remote", env("QUN_REMOTE", def.RemoteAddr), "actor remote address between nodes, port 0 = any free (QUN_REMOTE)")
	join := fs.String("join", env("QUN_JOIN", ""), "comma-separated gossip addresses of nodes to join (QUN_JOIN)")
	minFriends := fs.Int("create-min-friends", envInt("QUN_CREATE_MIN_FRIENDS", 0), "mutual-follow friends needed to create a group; qund has no host social graph, so 0 by default (QUN_CREATE_MIN_FRIENDS)")
	level := fs.String("log-level", env("QUN_LOG_LEVEL", "warn"), "log level: debug, info, warn, error (QUN_LOG_LEVEL)")
	tlsCert := fs.String("tls-cert", env("QUN_TLS_CERT", ""), "PEM certificate: serve clients over TLS, with --tls-key (QUN_TLS_CERT)")
	tlsKey := fs.String("tls-key", env("QUN_TLS_KEY", ""), "PEM private key of --tls-cert (QUN_TLS_KEY)")
	prevSecret := fs.String("previous-secret", env("QUN_PREVIOUS_SECRET", ""), "a rotated-out token secret still accepted for tokens minted with it (QUN_PREVIOUS_SECRET)")
	lim := def.Limits
	fs.IntVar(&lim.MaxConns, "max-conns", lim.MaxConns, "client connections of this node")
	fs.IntVar(&lim.MaxUnauthConns, "max-unauth-conns", lim.MaxUnauthConns, "connections still in their handshake")
	fs.IntVar(&lim.MaxUnauthPerIP, "max-unauth-per-ip", lim.MaxUnauthPerIP, "connections in their handshake from one IP address")
	fs.IntVar(&lim.MaxConnsPerUser, "max-conns-per-user", lim.MaxConnsPerUser, "connections of one user (the oldest is closed past it)")
	fs.Float64Var(&lim.RequestsPerSecond, "requests-per-second", lim.RequestsPerSecond, "requests per connection per second (burst --request-burst)")
	fs.IntVar(&lim.RequestBurst, "request-burst", lim.RequestBurst, "request burst per connection")
	fs.Float64Var(&lim.SendsPerSecond, "sends-per-second", lim.SendsPerSecond, "messages per user per group per second (burst --send-burst)")
	fs.IntVar(&lim.SendBurst, "send-burst", lim.SendBurst, "message burst per user per group")
	fs.IntVar(&lim.CreatesPerHour, "creates-per-hour", lim.CreatesPerHour, "groups one user may create per hour")
	fs.IntVar(&lim.JoinsPerHour, "joins-per-hour", lim.JoinsPerHour, "joins and applies of one user per hour")
	fs.IntVar(&lim.CodeGuessesPerHour, "code-guesses-per-hour", lim.CodeGuessesPerHour, "joins with an invite code of one user per hour")
	noLimits := fs.Bool("no-rate-limits", false, "lift every connection and rate limit (benchmarks only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("bad --log-level %q", *level)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))

	cfg := def
	cfg.Listen, cfg.DataDir, cfg.GossipAddr, cfg.RemoteAddr = *listen, *data, *gossip, *remote
	cfg.Secret = []byte(*secret)
	cfg.CreateMinFriends = *minFriends
	cfg.Limits = lim
	if *noLimits {
		cfg.Limits = engine.UnlimitedLimits()
	}
	if *prevSecret != "" {
		cfg.PreviousSecrets = [][]byte{[]byte(*prevSecret)}
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if *tlsCert != "" {
		if cfg.TLS, err = engine.LoadTLS(*tlsCert, *tlsKey); err != nil {
			return err
		}
	}
	if *join != "" {
		for _, j := range strings.Split(*join, ",") {
			if j = strings.TrimSpace(j); j != "" {
				cfg.Join = append(cfg.Join, j)
			}
		}
	}
	cfg.Logger = logger
	cfg.Verbose = lv <= slog.LevelDebug
	e, err := engine.New(cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = e.Start(startCtx)
	cancel()
	if err != nil {
		return err
	}
	// One line on stdout so people and scripts know where it listens.
	fmt.Printf("qund listening on %s (data %s, gossip %s)\n", e.Addr(), displayDir(cfg.DataDir), e.GossipAddr())
	<-ctx.Done()
	stop()
	logger.Info("shutting down")
	if err := e.Close(); err != nil && !errors.Is(err, engine.ErrClosed) {
		return fmt.Errorf("close: %w", err)
	}
	return nil
}

func displayDir(d string) string {
	if d == "" {
		return "in memory"
	}
	return d
}

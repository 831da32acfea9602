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
	"path/filepath"
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
	operators := fs.String("operators", env("QUN_OPERATORS", "admin"), "comma-separated users who may grant balances and create and drive order groups (QUN_OPERATORS)")
	ledger := fs.String("ledger", env("QUN_LEDGER", ""), "file of the in-memory payments host's ledger; default DATA/ledger.jsonl, \"-\" = memory only (QUN_LEDGER)")
	archive := fs.Duration("order-archive-after", time.Duration(def.Group.Commerce.OrderArchiveAfter)*time.Millisecond, "how long an order group stays writable after delivery")
	level := fs.String("log-level", env("QUN_LOG_LEVEL", "warn"), "log level: debug, info, warn, error (QUN_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(*level)); err != nil {
		return fmt.Errorf("bad --log-level %q", *level)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lv}))

	cfg := def
	cfg.Listen, cfg.DataDir, cfg.GossipAddr, cfg.RemoteAddr = *listen, *data, *gossip, *remote
	cfg.Secret = []byte(*secret)
	cfg.CreateMinFriends = *minFriends
	if *join != "" {
		for _, j := range strings.Split(*join, ",") {
			if j = strings.TrimSpace(j); j != "" {
				cfg.Join = append(cfg.Join, j)
			}
		}
	}
	for _, o := range strings.Split(*operators, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.Operators = append(cfg.Operators, o)
		}
	}
	cfg.Group.Commerce.OrderArchiveAfter = archive.Milliseconds()
	cfg.Logger = logger
	cfg.Verbose = lv <= slog.LevelDebug
	e, err := engine.New(cfg)
	if err != nil {
		return err
	}
	if path := *ledger; path != "-" && (path != "" || cfg.DataDir != "") {
		if path == "" {
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return err
			}
			path = filepath.Join(cfg.DataDir, "ledger.jsonl")
		}
		if err := e.Host().OpenLedger(path); err != nil {
			return err
		}
		defer e.Host().CloseLedger()
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

// Command qund runs one Qun node: the cluster member, its Pebble store, the
// client TCP frontend, the WebSocket listener with the web console
// (http://127.0.0.1:7402/) and the admin HTTP listener.
//
//	go run ./cmd/qund                          # 127.0.0.1:7400, data in ./qun-data, admin on 127.0.0.1:7401
//	qund --config /etc/qun/qund.toml           # settings from a TOML file
//	QUN_SECRET=... qund --listen 10.0.0.6:7400 --join 10.0.0.5:7946
//	qund config --config /etc/qun/qund.toml    # print the settings in effect and their sources
//
// Every setting is a flag, a QUN_* environment variable and a key of the
// --config file (the table in settings.go; docs/qund.example.toml lists them
// all); a flag wins over the environment, which wins over the file, which
// wins over the default.
//
// SIGINT or SIGTERM stops it cleanly: /readyz turns 503, no new connections,
// requests in flight finish (their commits included), Pebble is closed, exit
// status 0.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/qunchat/qun/engine"
	"github.com/qunchat/qun/internal/admin"
	"github.com/qunchat/qun/internal/console"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "qund:", err)
		os.Exit(1)
	}
}

// run is qund: "config" prints the configuration, anything else is flags
// for a node.
func run(args []string, stdout, stderr io.Writer) error {
	printOnly := len(args) > 0 && args[0] == "config"
	if printOnly {
		args = args[1:]
	}
	l, err := load(args, os.LookupEnv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if printOnly {
		if err := l.print(stdout); err != nil {
			return err
		}
		// Also check it, so `qund config` tells whether qund would start.
		if _, err := engine.New(l.opts.engineConfig()); err != nil {
			return err
		}
		return checkAdmin(&l.opts)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, &l.opts, stdout, stderr)
}

// checkAdmin reports the admin settings admin.Listen would refuse, before
// anything starts.
func checkAdmin(o *options) error {
	if o.admin == "" {
		return nil
	}
	_, err := admin.Check(admin.Config{Addr: o.admin, Token: o.adminToken})
	return err
}

// serve runs a node until ctx ends.
func serve(ctx context.Context, o *options, stdout, stderr io.Writer) error {
	lv := o.level()
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lv}))
	cfg := o.engineConfig()
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return errors.New("tls-cert and tls-key go together")
	}
	if o.tlsCert != "" {
		var err error
		if cfg.TLS, err = engine.LoadTLS(o.tlsCert, o.tlsKey); err != nil {
			return err
		}
	}
	cfg.Logger = logger
	cfg.Verbose = lv <= slog.LevelDebug
	if err := checkAdmin(o); err != nil {
		return err
	}
	var reg *prometheus.Registry
	if o.admin != "" {
		reg = admin.NewRegistry()
		cfg.Metrics = reg
	}
	var e *engine.Engine
	if cfg.WSListen != "" {
		// The web console, on the WebSocket listener (internal/console).
		var gather prometheus.Gatherer
		if reg != nil {
			gather = reg
		}
		cfg.WSHandler = console.Handler(console.Options{OpsToken: o.adminToken,
			Ops: func() (any, error) { return opsFunc(e, gather)() }})
	}
	e, err := engine.New(cfg)
	if err != nil {
		return err
	}
	life := &lifecycle{e: e}
	// The admin listener comes up first, so /healthz answers and /readyz
	// says "starting" while the store opens and the node joins.
	if o.admin != "" {
		reg.MustRegister(life.collectors()...)
		srv, err := admin.Listen(admin.Config{Addr: o.admin, Token: o.adminToken, Gatherer: reg, Ready: life.ready, Cluster: life.cluster,
			Logger: logger.With("component", "admin")})
		if err != nil {
			return fmt.Errorf("--admin %s: %w (--admin 127.0.0.1:0 picks a free port, --admin \"\" turns it off)", o.admin, err)
		}
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := srv.Close(ctx); err != nil {
				logger.Warn("admin listener close", "err", err)
			}
		}()
		fmt.Fprintf(stdout, "qund admin at %s (metrics, healthz, readyz, debug/pprof)\n", srv.URL())
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	err = e.Start(startCtx)
	cancel()
	if err != nil {
		return err
	}
	if err := loadHostFacts(e, o.hostFacts); err != nil {
		_ = e.Close()
		return err
	}
	life.set(stateReady)
	// One line on stdout so people and scripts know where it listens.
	fmt.Fprintf(stdout, "qund listening on %s (data %s, gossip %s)\n", e.Addr(), displayDir(cfg.DataDir), e.GossipAddr())
	if e.WSAddr() != nil {
		fmt.Fprintf(stdout, "qund websocket at %s\n", e.WSURL())
		fmt.Fprintf(stdout, "qund console at http://%s/ (sign in with a token: qun token USER)\n", e.WSAddr())
	}
	<-ctx.Done()
	life.set(stateStopping)
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

// Package admin is a node's operator HTTP listener: Prometheus metrics,
// pprof, liveness and readiness.
//
//	GET /metrics        Prometheus text format, from a private registry
//	GET /debug/pprof/   net/http/pprof (profile, heap, goroutine, trace, ...)
//	GET /healthz        200 while the process serves HTTP (never needs the token)
//	GET /readyz         200 "ready", or 503 and the reason from Config.Ready
//
// A non-loopback address is refused unless Config.Token is set; a set token
// is then required on every endpoint but /healthz, as
// "Authorization: Bearer TOKEN", compared in constant time.
//
// admin imports nothing of Qun's: the node (cmd/qund) hands it a registry,
// a readiness function and collectors that read its counters at scrape time.
package admin

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Errors of the admin listener.
var (
	ErrInsecure = errors.New("admin: non-loopback address without a token")
	ErrToken    = errors.New("admin: token too short")
	ErrConfig   = errors.New("admin: invalid config")
)

// MinTokenLen is the shortest accepted token, in bytes.
const MinTokenLen = 16

// Config configures a Server.
type Config struct {
	// Addr is the listen address. Port 0 picks a free port (see
	// Server.Addr). A non-loopback host (or an empty one: every interface)
	// needs Token. Required.
	Addr string
	// Token, if set, must come as "Authorization: Bearer TOKEN" on every
	// request except /healthz. At least MinTokenLen bytes. Default empty.
	Token string
	// Gatherer is what /metrics serves. Required (see NewRegistry).
	Gatherer prometheus.Gatherer
	// Ready reports why the node cannot take clients yet, or nil. Nil
	// means always ready.
	Ready func() error
	// Logger receives the HTTP server's errors. Default: discard.
	Logger *slog.Logger
	// Cluster, if set, is what GET /cluster serves as JSON (the node's view
	// of the replicated cluster: members, shards, leaders, applied indexes,
	// lag); an error answers 503. Default nil: 404.
	Cluster func(ctx context.Context) (any, error)
}

// Server is a running admin listener.
type Server struct {
	cfg Config
	ln  net.Listener
	srv *http.Server
	tok [sha256.Size]byte
}

// Check reports what Listen would refuse in cfg's address and token (not
// its Gatherer), so a caller can fail before starting anything else. It
// returns cfg with defaults filled in.
func Check(cfg Config) (Config, error) {
	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return cfg, fmt.Errorf("%w: address %q: %v", ErrConfig, cfg.Addr, err)
	}
	if cfg.Token != "" && len(cfg.Token) < MinTokenLen {
		return cfg, fmt.Errorf("%w: want at least %d bytes", ErrToken, MinTokenLen)
	}
	if cfg.Token == "" && !IsLoopback(host) {
		return cfg, fmt.Errorf("%w: %q is reachable from other hosts: set a token or use 127.0.0.1", ErrInsecure, cfg.Addr)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

// Listen checks cfg, binds the address and serves in the background until
// Close.
func Listen(cfg Config) (*Server, error) {
	if cfg.Gatherer == nil {
		return nil, fmt.Errorf("%w: no Gatherer", ErrConfig)
	}
	cfg, err := Check(cfg)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg}
	if cfg.Token != "" {
		s.tok = sha256.Sum256([]byte(cfg.Token))
	}
	if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("admin: listen: %w", err)
	}
	s.srv = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
		// No WriteTimeout: /debug/pprof/profile and /trace stream for
		// their ?seconds= and check it themselves.
	}
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Error("admin listener stopped", "err", err)
		}
	}()
	return s, nil
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is the base URL, "http://host:port/".
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Close stops accepting, lets requests in flight finish until ctx ends, then
// closes what is left.
func (s *Server) Close(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	return err
}

// Handler is the admin mux with its token check, for tests and embedding.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		text(w, http.StatusOK, "ok")
	})
	mux.Handle("GET /readyz", s.auth(http.HandlerFunc(s.readyz)))
	mux.Handle("GET /metrics", s.auth(promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
		EnableOpenMetrics: true,
	})))
	mux.Handle("/debug/pprof/", s.auth(http.HandlerFunc(pprof.Index)))
	mux.Handle("/debug/pprof/cmdline", s.auth(http.HandlerFunc(pprof.Cmdline)))
	mux.Handle("/debug/pprof/profile", s.auth(http.HandlerFunc(pprof.Profile)))
	mux.Handle("/debug/pprof/symbol", s.auth(http.HandlerFunc(pprof.Symbol)))
	mux.Handle("/debug/pprof/trace", s.auth(http.HandlerFunc(pprof.Trace)))
	if s.cfg.Cluster != nil {
		mux.Handle("GET /cluster", s.auth(http.HandlerFunc(s.cluster)))
	}
	mux.Handle("GET /{$}", s.auth(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		text(w, http.StatusOK, "qun admin: /metrics /healthz /readyz /debug/pprof/")
	})))
	return mux
}

func (s *Server) cluster(w http.ResponseWriter, r *http.Request) {
	v, err := s.cfg.Cluster(r.Context())
	if err != nil {
		text(w, http.StatusServiceUnavailable, "cluster status unavailable: "+err.Error())
		return
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		text(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(append(b, '\n'))
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(); err != nil {
			text(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
			return
		}
	}
	text(w, http.StatusOK, "ready")
}

func text(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

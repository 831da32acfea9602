// Package console is qund's web console: static files embedded in the
// binary, served on the WebSocket listener (http://WS_ADDR/), so the page
// reaches the client protocol at the same origin (ws://WS_ADDR/ws) with no
// cross-origin setup. It is written against the TypeScript client, whose
// browser bundle (static/qun.js) is built from clients/ts by `npm run
// bundle` and checked by that package's tests.
//
//	/             the single-page console (sign in, my groups, chat, group info, operator page)
//	/static/...   its files
//	/api/ops      the operator page's data, JSON (Options.Ops)
//
// Users sign in with a Qun token (`qun token USER`). /api/ops needs
// Options.OpsToken as "Authorization: Bearer TOKEN" when set (qund passes
// its admin token); without one it answers loopback peers only.
//
// console imports nothing of Qun's.
package console

import (
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"io/fs"
	"net"
	"net/http"
	"strings"
)

//go:embed static
var files embed.FS

// Options configure the console.
type Options struct {
	// Ops returns the operator page's data (marshalled as JSON); nil turns
	// the operator page's data off.
	Ops func() (any, error)
	// OpsToken, if set, must come as a bearer token on /api/ops; empty:
	// only loopback peers may read it.
	OpsToken string
}

// Handler serves the console.
func Handler(o Options) http.Handler {
	static, _ := fs.Sub(files, "static")
	mux := http.NewServeMux()
	fileServer := http.FileServerFS(static)
	mux.Handle("GET /static/", http.StripPrefix("/static/", noCache(fileServer)))
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		http.ServeFileFS(w, r, static, "index.html")
	})
	mux.HandleFunc("GET /api/ops", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if !o.opsAllowed(r) {
			http.Error(w, "operator data needs the admin token (or a loopback peer when qund has none)", http.StatusUnauthorized)
			return
		}
		if o.Ops == nil {
			http.Error(w, "operator data is off (qund --admin \"\")", http.StatusNotFound)
			return
		}
		v, err := o.Ops()
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	})
	return mux
}

func (o Options) opsAllowed(r *http.Request) bool {
	if o.OpsToken == "" {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		return err == nil && ip != nil && ip.IsLoopback()
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	a, b := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(o.OpsToken))
	return ok && subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func noCache(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		h.ServeHTTP(w, r)
	})
}

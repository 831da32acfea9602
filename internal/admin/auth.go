package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"strings"
)

// auth requires the token when one is configured.
func (s *Server) auth(h http.Handler) http.Handler {
	if s.cfg.Token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		// Hashing first makes the comparison constant-time in the length too.
		sum := sha256.Sum256([]byte(got))
		if !ok || subtle.ConstantTimeCompare(sum[:], s.tok[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="qun admin"`)
			text(w, http.StatusUnauthorized, "unauthorized: send Authorization: Bearer <admin token>")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// IsLoopback reports whether host (no port) reaches only this machine:
// "localhost" or a loopback IP. An empty host means every interface.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

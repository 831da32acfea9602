package cluster

import (
	"bytes"
	"context"
	"log"
	"log/slog"
)

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newMemberlistLogger adapts memberlist's *log.Logger output to logger. Every
// line is logged at Debug; memberlist's own level ("[WARN] memberlist: ...")
// goes to the attribute "ml_level". memberlist logs an ERR line for ordinary
// events such as a peer that went away, so nothing is promoted above Debug.
func newMemberlistLogger(logger *slog.Logger) *log.Logger {
	return log.New(memberlistLogWriter{logger: logger}, "", 0)
}

type memberlistLogWriter struct{ logger *slog.Logger }

func (w memberlistLogWriter) Write(p []byte) (int, error) {
	n := len(p)
	if !w.logger.Enabled(context.Background(), slog.LevelDebug) {
		return n, nil
	}
	line := bytes.TrimSpace(p)
	level := ""
	if len(line) > 0 && line[0] == '[' {
		if i := bytes.IndexByte(line, ']'); i > 0 && i < 16 {
			level = string(line[1:i])
			line = bytes.TrimSpace(line[i+1:])
		}
	}
	line = bytes.TrimPrefix(line, []byte("memberlist: "))
	w.logger.Debug(string(line), slog.String("ml_level", level))
	return n, nil
}

// minLevelHandler drops records below min before they reach the wrapped
// handler. It tames protoactor, which logs routine events at Info and a
// burst of Error lines whenever a peer goes away.
type minLevelHandler struct {
	h   slog.Handler
	min slog.Leveler
}

func (m minLevelHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.min.Level() && m.h.Enabled(ctx, l)
}

func (m minLevelHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level < m.min.Level() {
		return nil
	}
	return m.h.Handle(ctx, r)
}

func (m minLevelHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevelHandler{h: m.h.WithAttrs(attrs), min: m.min}
}

func (m minLevelHandler) WithGroup(name string) slog.Handler {
	return minLevelHandler{h: m.h.WithGroup(name), min: m.min}
}

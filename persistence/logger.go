package persistence

import (
	"context"
	"fmt"
	"log/slog"
	"os"
)

// pebbleLogger routes Pebble's logging (pebble.Logger: Infof, Errorf,
// Fatalf) into a slog.Logger.
type pebbleLogger struct {
	l *slog.Logger
}

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Log(context.Background(), slog.LevelInfo, fmt.Sprintf(format, args...), "component", "pebble")
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Log(context.Background(), slog.LevelError, fmt.Sprintf(format, args...), "component", "pebble")
}

// Fatalf logs at Error, also writes to stderr (the configured logger may
// discard), and exits with status 1: Pebble calls it when it cannot go on
// safely (for example a failed WAL write) and expects it not to return. It
// does not panic, since a recover further up (an actor supervisor) could let
// the process continue on a broken database.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Log(context.Background(), slog.LevelError, msg, "component", "pebble", "fatal", true)
	fmt.Fprintf(os.Stderr, "persistence: pebble fatal error: %s\n", msg)
	os.Exit(1)
}

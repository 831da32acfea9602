package replication

import (
	"context"
	"fmt"
	"log/slog"
)

// raftLogger routes etcd raft's logging into slog: Debug and Info at
// Debug (raft is chatty about elections), Warning at Warn, Error at Error.
// Fatal and Panic panic, as raft expects them not to return.
type raftLogger struct{ l *slog.Logger }

func (r raftLogger) log(level slog.Level, msg string) {
	if r.l.Enabled(context.Background(), level) {
		r.l.Log(context.Background(), level, msg, "component", "raft")
	}
}

func (r raftLogger) Debug(v ...any)              { r.log(slog.LevelDebug, fmt.Sprint(v...)) }
func (r raftLogger) Debugf(f string, v ...any)   { r.log(slog.LevelDebug, fmt.Sprintf(f, v...)) }
func (r raftLogger) Info(v ...any)               { r.log(slog.LevelDebug, fmt.Sprint(v...)) }
func (r raftLogger) Infof(f string, v ...any)    { r.log(slog.LevelDebug, fmt.Sprintf(f, v...)) }
func (r raftLogger) Warning(v ...any)            { r.log(slog.LevelWarn, fmt.Sprint(v...)) }
func (r raftLogger) Warningf(f string, v ...any) { r.log(slog.LevelWarn, fmt.Sprintf(f, v...)) }
func (r raftLogger) Error(v ...any)              { r.log(slog.LevelError, fmt.Sprint(v...)) }
func (r raftLogger) Errorf(f string, v ...any)   { r.log(slog.LevelError, fmt.Sprintf(f, v...)) }
func (r raftLogger) Fatal(v ...any)              { r.panic(fmt.Sprint(v...)) }
func (r raftLogger) Fatalf(f string, v ...any)   { r.panic(fmt.Sprintf(f, v...)) }
func (r raftLogger) Panic(v ...any)              { r.panic(fmt.Sprint(v...)) }
func (r raftLogger) Panicf(f string, v ...any)   { r.panic(fmt.Sprintf(f, v...)) }
func (r raftLogger) panic(msg string) {
	r.log(slog.LevelError, msg)
	panic("replication: raft: " + msg)
}

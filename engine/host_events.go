package engine

import (
	"context"
	"log/slog"

	"github.com/qunchat/qun/actors"
)

// Host events: what group grains tell the host once a message is durable
// (offline pushes for strong announcements and mentions, diversion
// reports). Grains must not block, so events go through a bounded queue to
// one goroutine that calls the hooks; a full queue drops (and counts) them.

// hostEvent is actors.Deps.OnHostEvent.
func (e *Engine) hostEvent(ev actors.HostEvent) {
	if ev.Kind == actors.HostPaymentRefused {
		// Rare and needing a person: counted and logged here, never
		// dropped with a full queue.
		e.stats.creditsRefused.Add(1)
		e.log.Error("payments host refused a credit for good; Qun will not retry it: settle it with the host",
			slog.String("group", ev.Group), slog.String("user", ev.From), slog.String("credit", ev.Text))
		return
	}
	e.hostMu.RLock()
	defer e.hostMu.RUnlock()
	if e.hostEvs == nil { // stopped: a late grain callback
		e.stats.hostDropped.Add(1)
		return
	}
	select {
	case e.hostEvs <- ev:
	default:
		e.stats.hostDropped.Add(1)
	}
}

func (e *Engine) startHostEvents() {
	e.hostEvs = make(chan actors.HostEvent, e.cfg.Fans.HostEventQueue)
	e.hostDone = make(chan struct{})
	evs := e.hostEvs
	go func() {
		defer close(e.hostDone)
		for ev := range evs {
			e.tellHost(ev)
		}
	}()
}

// stopHostEvents delivers what is queued and stops the goroutine. Grains
// are stopped before (teardown order), so nothing sends afterwards.
func (e *Engine) stopHostEvents() {
	e.hostMu.Lock()
	evs := e.hostEvs
	e.hostEvs = nil
	e.hostMu.Unlock()
	if evs == nil {
		return
	}
	close(evs)
	<-e.hostDone
}

func (e *Engine) tellHost(ev actors.HostEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	defer cancel()
	var err error
	switch ev.Kind {
	case actors.HostPush:
		users := e.offlineOf(ev.Users)
		if len(users) == 0 {
			return
		}
		kind := "mention"
		if ev.Text != "mentioned you" {
			kind = "announcement"
		}
		err = e.hooks.Push.OfflinePush(ctx, PushNote{Users: users, Group: ev.Group, Seq: ev.Seq, From: ev.From, Kind: kind, Text: ev.Text})
	case actors.HostFlag:
		err = e.hooks.Reports.DivertFlagged(ctx, DivertReport{Group: ev.Group, Seq: ev.Seq, From: ev.From, Kinds: ev.Text})
	}
	if err != nil {
		e.log.Warn("host hook failed", slog.String("event", ev.Kind), slog.String("group", ev.Group), slog.Any("err", err))
	}
}

// offlineOf keeps the users with no connection to this node past its
// hello. (With several nodes, a user connected elsewhere counts as offline
// here: see docs/embedding.md.)
func (e *Engine) offlineOf(users []string) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	for _, u := range users {
		if e.online[u] == 0 {
			out = append(out, u)
		}
	}
	return out
}

// offline counts one connection of user gone (under e.mu).
func (e *Engine) offline(user string) {
	if user == "" {
		return
	}
	if e.online[user]--; e.online[user] <= 0 {
		delete(e.online, user)
	}
}

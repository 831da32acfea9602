package client

import (
	"context"
	"sync"

	"github.com/qunchat/qun/wire"
)

// Event is one item of a subscription's stream: a message, or (Gap set) a
// marker saying that messages Gap.From..Gap.To exist but the server no
// longer has them to give.
type Event struct {
	Msg wire.Message
	Gap *wire.Gap
}

// Subscription is one group's stream of a Session: every message after the
// seq it started from, once each, in seq order, across reconnects. Pushes
// out of order, gaps the server reports and messages missed while the
// connection was down are filled from history before later ones are given.
type Subscription struct {
	s     *Session
	group string

	mu      sync.Mutex // guards the fields below
	last    uint64     // the last seq queued
	start   bool       // nothing queued yet and started from 0: take the first seq history has
	q       []Event
	notify  chan struct{}
	behind  bool // pushes were refused because q was full
	filling bool // a fill goroutine runs
	again   bool // a fill was asked for while one ran
	closed  bool
}

// Subscribe starts group's stream after seq after (0: from the first
// message history has). Messages after it are fetched from history at once,
// then follow live.
func (s *Session) Subscribe(group string, after uint64) (*Subscription, error) {
	sub := &Subscription{s: s, group: group, last: after, start: after == 0, notify: make(chan struct{}, 1)}
	s.mu.Lock()
	switch {
	case s.closed:
		s.mu.Unlock()
		return nil, orClosed(s.err)
	case s.subs[group] != nil:
		s.mu.Unlock()
		return nil, ErrSubscribed
	}
	s.subs[group] = sub
	s.mu.Unlock()
	s.fill(sub)
	return sub, nil
}

// Group is the subscribed group.
func (sub *Subscription) Group() string { return sub.group }

// Next returns the next event, waiting for one until ctx ends. Once the
// session or the subscription is closed it returns what was queued, then
// the reason.
func (sub *Subscription) Next(ctx context.Context) (Event, error) {
	for {
		sub.mu.Lock()
		if len(sub.q) > 0 {
			e := sub.q[0]
			sub.q[0] = Event{}
			sub.q = sub.q[1:]
			refill := sub.behind && len(sub.q) <= sub.s.opts.QueueLimit/2
			if refill {
				sub.behind = false
			}
			sub.mu.Unlock()
			if refill {
				sub.s.fill(sub)
			}
			return e, nil
		}
		closed := sub.closed
		sub.mu.Unlock()
		if closed {
			return Event{}, ErrClosed
		}
		select {
		case <-sub.notify:
		case <-ctx.Done():
			return Event{}, ctx.Err()
		case <-sub.s.done:
			sub.mu.Lock()
			n := len(sub.q)
			sub.mu.Unlock()
			if n == 0 {
				return Event{}, sub.s.Err()
			}
		}
	}
}

// Close ends the subscription; the group's pushes are ignored from then on
// and Next returns ErrClosed once the queue is empty.
func (sub *Subscription) Close() {
	sub.s.mu.Lock()
	if sub.s.subs[sub.group] == sub {
		delete(sub.s.subs, sub.group)
	}
	sub.s.mu.Unlock()
	sub.mu.Lock()
	sub.closed = true
	sub.mu.Unlock()
	sub.wake()
}

func (sub *Subscription) wake() {
	select {
	case sub.notify <- struct{}{}:
	default:
	}
}

// offer queues m if it is the next seq. It returns false when the group
// needs a fill from history: m is past a gap, or the queue is full.
// fromHistory says m comes from a history page, where a missing seq is
// gone for good and becomes a gap marker.
func (sub *Subscription) offer(m wire.Message, fromHistory bool) bool {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	switch {
	case sub.closed || m.Seq <= sub.last:
		return true // duplicate
	case len(sub.q) >= sub.s.opts.QueueLimit:
		sub.behind = true
		return false
	case m.Seq > sub.last+1 && !fromHistory:
		return false
	case m.Seq > sub.last+1 && !sub.start:
		sub.q = append(sub.q, Event{Gap: &wire.Gap{Group: sub.group, From: sub.last + 1, To: m.Seq - 1}})
	}
	sub.q = append(sub.q, Event{Msg: m})
	sub.last, sub.start = m.Seq, false
	sub.wake()
	return true
}

func (sub *Subscription) lastSeq() uint64 {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	return sub.last
}

// ---- the session's side ----

func (s *Session) subscription(group string) *Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subs[group]
}

func (s *Session) subscriptions() []*Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Subscription, 0, len(s.subs))
	for _, sub := range s.subs {
		out = append(out, sub)
	}
	return out
}

// lastSeqs is what a resync asks for.
func (s *Session) lastSeqs() map[string]uint64 {
	m := map[string]uint64{}
	for _, sub := range s.subscriptions() {
		m[sub.group] = sub.lastSeq()
	}
	return m
}

// onPush runs on the connection's reader goroutine.
func (s *Session) onPush(p *wire.Push) {
	sub := s.subscription(p.Group)
	if sub == nil {
		return
	}
	for _, m := range p.Msgs {
		if !sub.offer(m, false) {
			s.fill(sub)
			return
		}
	}
}

func (s *Session) onGap(g *wire.Gap) {
	if sub := s.subscription(g.Group); sub != nil {
		s.fill(sub)
	}
}

// maxFillPages bounds one fill.
const maxFillPages = 1000

// fill fetches sub's messages after its last seq from history, on one
// goroutine per subscription at a time.
func (s *Session) fill(sub *Subscription) {
	sub.mu.Lock()
	if sub.filling {
		sub.again = true
		sub.mu.Unlock()
		return
	}
	sub.filling = true
	sub.mu.Unlock()
	if !s.spawn(func() { s.fillLoop(sub) }) {
		sub.mu.Lock()
		sub.filling = false
		sub.mu.Unlock()
	}
}

func (s *Session) fillLoop(sub *Subscription) {
	fails := 0
	for i := 0; i < maxFillPages; i++ {
		more, err := s.fillPage(sub)
		switch {
		case err != nil && retryable(err):
			// The connection went, or the server was busy: try again.
			if !s.sleep(s.ctx, s.backoff(fails)) {
				i = maxFillPages
			}
			fails++
			continue
		case more:
			fails = 0
			continue
		}
		sub.mu.Lock()
		again := sub.again
		sub.again = false
		if !again {
			sub.filling = false
			sub.mu.Unlock()
			return
		}
		sub.mu.Unlock()
	}
	sub.mu.Lock()
	sub.filling = false
	sub.mu.Unlock()
}

// fillPage queues one page of history; more says there is more to fetch
// now. An error retrying cannot fix (not a member any more) ends the fill
// until the next push, gap or reconnect asks again.
func (s *Session) fillPage(sub *Subscription) (more bool, err error) {
	c, err := s.Conn(s.ctx)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.AttemptTimeout)
	defer cancel()
	h, err := c.History(ctx, wire.HistoryArgs{Group: sub.group, After: wire.After(sub.lastSeq()), Limit: s.opts.HistoryPage})
	if err != nil {
		return false, err
	}
	for _, m := range h.Msgs {
		if !sub.offer(m, true) {
			return false, nil // the queue is full; Next asks again
		}
	}
	return h.More && len(h.Msgs) > 0, nil
}

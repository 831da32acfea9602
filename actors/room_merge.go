package actors

import (
	"time"

	"github.com/qunchat/qun/wire"
)

// Merge windows and lanes, as plain logic with time as an input: a hub
// gathers a room's messages over its window, then encodes at most two
// variants of the merged frame once — full, and thinned (every normal and
// high message, chatter sampled to at most SampleK a second) — and writes
// one of them to each viewer connection.

// roomItem is one message waiting in a room's window.
type roomItem struct {
	lane wire.Lane
	msg  RawMessage
}

// rawRoomPush is wire.RoomPush with its messages encoded (same field names
// and order, so the same bytes).
type rawRoomPush struct {
	Group   string       `msgpack:"g"`
	Msgs    []RawMessage `msgpack:"msgs"`
	Skipped int          `msgpack:"skipped,omitempty"`
	Online  int          `msgpack:"online,omitempty"`
}

// roomFrames encodes items as RoomPush frames of at most maxBytes each
// (a message larger than that still gets a frame of its own). keep is how
// many chatter messages to include (the newest ones; < 0 = all); the others
// are counted in the first frame's Skipped. online (if > 0) goes in the
// first frame. No items and no online give no frames.
func roomFrames(group string, items []roomItem, keep, online, maxBytes int) (frames [][]byte, skipped int, err error) {
	chatter := 0
	for _, it := range items {
		if it.lane == wire.LaneChatter {
			chatter++
		}
	}
	drop := 0 // the oldest chatter messages not sent
	if keep >= 0 && keep < chatter {
		drop = chatter - keep
	}
	p := rawRoomPush{Group: group, Msgs: []RawMessage{}, Skipped: drop, Online: online}
	size := 64 + len(group)
	flush := func() error {
		f, err := wire.EncodeFrame(wire.FrameRoomPush, &p)
		if err != nil {
			return err
		}
		frames = append(frames, f)
		p = rawRoomPush{Group: group, Msgs: []RawMessage{}}
		size = 64 + len(group)
		return nil
	}
	seen := 0
	for _, it := range items {
		if it.lane == wire.LaneChatter {
			seen++
			if seen <= drop {
				continue
			}
		}
		if len(p.Msgs) > 0 && size+len(it.msg) > maxBytes {
			if err := flush(); err != nil {
				return nil, 0, err
			}
		}
		p.Msgs = append(p.Msgs, it.msg)
		size += len(it.msg)
	}
	if len(p.Msgs) > 0 || p.Skipped > 0 || p.Online > 0 {
		if err := flush(); err != nil {
			return nil, 0, err
		}
	}
	return frames, drop, nil
}

// sampler allows at most k chatter messages per second (burst k) to the
// room's viewers under overload; the viewers who get the thinned frame in
// one window share the same sample.
type sampler struct {
	k      float64
	tokens float64
	last   time.Time
}

// take returns how many of want chatter messages may go out at now.
func (s *sampler) take(now time.Time, want int) int {
	if s.last.IsZero() {
		s.tokens = s.k
	} else if d := now.Sub(s.last); d > 0 {
		s.tokens = min(s.k, s.tokens+d.Seconds()*s.k)
	}
	s.last = now
	n := min(int(s.tokens), want)
	s.tokens -= float64(n)
	return n
}

// rateMeter measures a rate over whole seconds: the count of the last
// complete second.
type rateMeter struct {
	sec       int64 // the second being counted (unix s)
	cur, prev int
}

func (m *rateMeter) add(now time.Time, n int) {
	s := now.Unix()
	if s != m.sec {
		m.prev = m.cur
		if s != m.sec+1 {
			m.prev = 0
		}
		m.sec, m.cur = s, 0
	}
	m.cur += n
}

// rate is the count of the last complete second at now.
func (m *rateMeter) rate(now time.Time) int {
	s := now.Unix()
	switch s {
	case m.sec:
		return m.prev
	case m.sec + 1:
		return m.cur
	}
	return 0
}

// thinFor decides whether a viewer gets the thinned frame: its queue is
// over ThinBacklog frames, its oldest unwritten frame is older than
// ThinLag, or the room's chatter is over its rate.
func thinFor(frames int, age time.Duration, cfg *RoomConfig, roomOver bool) bool {
	return roomOver || frames > cfg.ThinBacklog || age > cfg.ThinLag
}

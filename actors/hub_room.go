package actors

import (
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// The hub's rooms: viewers watch a room on this node; the room's batches
// (one per node) are merged over the room's window and written to each
// viewer as RoomPush frames encoded once per window (room_merge.go); every
// CountEvery the hub reports its viewer count per room to the room's grain
// and pushes the total it gets back.

// hubRoom is a room this hub has viewers of.
type hubRoom struct {
	window      time.Duration
	items       []roomItem
	chatter     int // chatter messages in items
	armed       bool
	online      int
	onlineDirty bool
	sample      sampler
	meter       rateMeter
	reported    int // the count last reported; -1 before the first
}

type hubWatchRoom struct {
	c     Conn
	room  string
	stop  bool
	reply chan bool // the room is newly watched by this node
}
type hubRoomFlush struct{ room string }
type hubRoomTick struct{}
type hubRoomOnline struct {
	room   string
	online int
	window int
}
type hubReport struct {
	room string
	n    int
}

// Lagger is implemented by a Conn that can tell how far behind its reader
// is: frames queued and not yet written, and how long the oldest of them
// (or the write in progress) has waited at now. A viewer behind on either
// (Room.ThinBacklog, Room.ThinLag) gets the room's chatter sampled.
type Lagger interface {
	Lag(now time.Time) (frames int, age time.Duration)
}

// RoomStats counts a hub's room deliveries.
type RoomStats struct {
	Frames  uint64 // RoomPush frames written to viewer queues
	Msgs    uint64 // messages in them
	Thinned uint64 // frames that were the thinned variant
	Skipped uint64 // chatter messages not sent to a viewer (summed over viewers)
}

type roomCounters struct{ frames, msgs, thinned, skipped atomic.Uint64 }

// RoomStats returns the hub's room counters.
func (h *Hub) RoomStats() RoomStats {
	c := &h.roomStats
	return RoomStats{Frames: c.frames.Load(), Msgs: c.msgs.Load(), Thinned: c.thinned.Load(), Skipped: c.skipped.Load()}
}

// WatchRoom subscribes c to a room's pushes and waits until this node
// watches the room. The caller checked the viewer with the room's grain.
func (h *Hub) WatchRoom(c Conn, room string) {
	m := &hubWatchRoom{c: c, room: room, reply: make(chan bool, 1)}
	h.system.Root.Send(h.pid, m)
	select {
	case fresh := <-m.reply:
		if fresh {
			h.WatchNow([]string{room})
		}
	case <-time.After(10 * time.Second):
	}
}

// LeaveRoom stops c watching a room.
func (h *Hub) LeaveRoom(c Conn, room string) {
	h.system.Root.Send(h.pid, &hubWatchRoom{c: c, room: room, stop: true})
}

// startRooms starts the count ticker and the report workers.
func (h *Hub) startRooms() {
	h.reports = make(chan hubReport, 4096)
	every := h.deps.Group.Room.CountEvery
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				h.system.Root.Send(h.pid, hubRoomTick{})
			}
		}
	}()
	for i := 0; i < 2; i++ {
		h.wg.Add(1)
		go h.reporter()
	}
}

// reporter tells rooms this hub's viewer counts and hands the totals back.
func (h *Hub) reporter() {
	defer h.wg.Done()
	key := h.pid.Address + "/" + h.pid.Id
	for {
		select {
		case <-h.stop:
			return
		case rep := <-h.reports:
			args := mustMarshal(&RoomReportArgs{Hub: key, N: rep.n})
			res, err := h.cl.Request(rep.room, KindGroup, &pb.Call{Op: uint32(OpRoomReport), Args: args}, cluster.WithTimeout(5*time.Second))
			r, ok := res.(*pb.Result)
			if err != nil || !ok || r.Code != 0 || rep.n == 0 {
				continue
			}
			var out RoomReportResult
			if wire.Decode(r.Body, &out) == nil {
				h.system.Root.Send(h.pid, hubRoomOnline{room: rep.room, online: out.Online, window: out.WindowMS})
			}
		}
	}
}

// isRoomBatch tells a room's batch (a msgpack map) from a wire frame (a
// 4-byte length below 16 MiB, so a first byte of 0).
func isRoomBatch(b []byte) bool { return len(b) > 0 && b[0] != 0 }

func (a *hubActor) room(id string) *hubRoom {
	if a.rooms == nil {
		a.rooms = map[string]*hubRoom{}
	}
	r := a.rooms[id]
	if r == nil {
		k := float64(a.h.deps.Group.Room.SampleK)
		r = &hubRoom{reported: -1, sample: sampler{k: k}}
		a.rooms[id] = r
	}
	return r
}

// receiveRoom handles the hub's room messages.
func (a *hubActor) receiveRoom(msg any) {
	switch m := msg.(type) {
	case *hubWatchRoom:
		if m.stop {
			a.unsub(m.c, m.room)
			return
		}
		a.room(m.room)
		m.reply <- a.sub(m.c, m.room)
	case hubRoomFlush:
		if r := a.rooms[m.room]; r != nil {
			a.flushRoom(m.room, r, time.Now())
		}
	case hubRoomOnline:
		if r := a.rooms[m.room]; r != nil {
			r.online, r.onlineDirty = m.online, true
			r.window = time.Duration(m.window) * time.Millisecond
			if !r.armed {
				a.flushRoom(m.room, r, time.Now())
			}
		}
	case hubRoomTick:
		for id, r := range a.rooms {
			n := len(a.groups[id])
			if n == 0 && r.reported == 0 && len(r.items) == 0 && !r.armed {
				delete(a.rooms, id)
				continue
			}
			if n == 0 && r.reported == 0 {
				continue
			}
			select {
			case a.h.reports <- hubReport{room: id, n: n}:
				r.reported = n
			default: // the workers are behind: the next tick reports
			}
		}
	}
}

// deliverRoom queues a room's batch for the window, or writes it now.
func (a *hubActor) deliverRoom(d *pb.Deliver) {
	var b roomBatch
	if err := wire.Decode(d.Frame, &b); err != nil || len(b.Lanes) != len(b.Msgs) {
		return
	}
	r := a.room(d.Group)
	r.window = time.Duration(b.WindowMS) * time.Millisecond
	now := time.Now()
	n := 0
	for i, m := range b.Msgs {
		l := wire.Lane(b.Lanes[i])
		if l == wire.LaneChatter {
			n++
		}
		r.items = append(r.items, roomItem{lane: l, msg: m})
	}
	r.chatter += n
	r.meter.add(now, n)
	switch {
	case d.Closed:
		a.flushRoom(d.Group, r, now)
		for c := range a.groups[d.Group] {
			a.unsub(c, d.Group)
		}
	case n < len(b.Msgs) && r.window > 0:
		// A normal or high message cuts the window short: it goes out now,
		// with the chatter gathered so far.
		a.flushRoom(d.Group, r, now)
	case r.window <= 0:
		a.flushRoom(d.Group, r, now)
	case !r.armed:
		r.armed = true
		sys, pid, id := a.h.system, a.h.pid, d.Group
		time.AfterFunc(r.window, func() { sys.Root.Send(pid, hubRoomFlush{room: id}) })
	}
}

// flushRoom writes the room's window to each viewer: the full frame, or the
// thinned one to a viewer whose queue is over the threshold (and to all
// when the room's chatter is over its rate).
func (a *hubActor) flushRoom(id string, r *hubRoom, now time.Time) {
	r.armed = false
	viewers := a.groups[id]
	online := 0
	if r.onlineDirty {
		online, r.onlineDirty = r.online, false
	}
	items, chatter := r.items, r.chatter
	r.items, r.chatter = r.items[:0], 0
	if len(viewers) == 0 || (len(items) == 0 && online == 0) {
		return
	}
	cfg := &a.h.deps.Group.Room
	maxBytes := a.h.deps.Group.MaxReplyBytes
	full, _, err := roomFrames(id, items, -1, online, maxBytes)
	if err != nil {
		return
	}
	var thin [][]byte
	var skipped, thinMsgs int
	built := false
	roomOver := float64(r.meter.rate(now)) > cfg.ThinAbove
	st := &a.h.roomStats
	delivered := 0 // messages handed to viewers (one per viewer per message)
	for c := range viewers {
		fs, n := full, len(items)
		var frames int
		var age time.Duration
		if l, ok := c.(Lagger); ok {
			frames, age = l.Lag(now)
			if debugLag && frames > 0 {
				println("lag", frames, age.String())
			}
		}
		if chatter > 0 && thinFor(frames, age, cfg, roomOver) {
			if !built {
				built = true
				thin, skipped, err = roomFrames(id, items, r.sample.take(now, chatter), online, maxBytes)
				if err != nil {
					thin, skipped = full, 0
				}
				thinMsgs = len(items) - skipped
			}
			fs, n = thin, thinMsgs
			st.thinned.Add(1)
			st.skipped.Add(uint64(skipped))
		}
		ok := true
		for _, f := range fs {
			if !c.Push(f) {
				ok = false
				break // the connection closes itself as a slow consumer
			}
			st.frames.Add(1)
		}
		if ok {
			delivered += n
		}
	}
	st.msgs.Add(uint64(len(items)))
	// Room deliveries count like a group's (qun_deliveries_total, the
	// console's top groups), one per viewer per message.
	a.h.delivered.Add(uint64(delivered))
	a.count(id, delivered)
}

const debugLag = false

package engine

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/qunchat/qun/wire"
)

// A room viewer's connection tells the hub how far behind its reader is
// (actors.Lagger), so that the hub samples the chatter of a viewer that is
// behind and keeps every normal and high message for it.
//
// The lag is the largest of: how long the oldest unwritten frame has
// waited on the server; how long the last in-band probe has gone
// unanswered; and the round trip of the last answered probe. A probe is a
// Ping frame (its n the send time in ms) queued behind the room's frames at most
// every probeEvery while the viewer gets pushes; a client answers a Ping
// with a Pong when its reader reaches it (the protocol requires it), so the
// probe measures everything between the hub and the reader: the queue, both
// kernels' buffers and the reader's own backlog.
//
// The queue alone does not show a slow reader: the kernel's socket buffers
// take hundreds of kilobytes first, tens of seconds of a room, and
// everything arrives late instead of chatter being shed. So a connection
// that starts watching gets a small send buffer (Room.ViewerSendBuffer):
// once the reader's receive buffer and it are full, the writer's write
// blocks, and the age of the oldest unwritten frame grows past
// Room.ThinLag within a window or two.

// Lag implements actors.Lagger: the frames queued and not yet written, and
// how long the oldest unwritten frame (the batch being written, or else
// the first queued) has waited at now.
// It also queues the next probe when one is due.
func (c *conn) Lag(now time.Time) (frames int, age time.Duration) {
	t := now.UnixNano()
	c.mu.Lock()
	frames = len(c.queue)
	since := c.writeSince
	if since == 0 && frames > 0 {
		since = c.queuedAt
	}
	c.mu.Unlock()
	if since != 0 {
		age = time.Duration(t - since)
	}
	p := &c.probe
	sent := p.sent.Load()
	if sent != 0 {
		age = max(age, time.Duration(t-sent)) // unanswered: at least this far behind
	} else if t-p.last >= int64(probeEvery) {
		// Only the hub's goroutine sends probes: no race on last.
		p.last = t
		if frame, err := wire.EncodeFrame(wire.FramePing, &wire.Ping{N: probeN(t)}); err == nil {
			p.sent.Store(t)
			c.Push(frame)
		}
	}
	age = max(age, time.Duration(p.rtt.Load()))
	return frames, max(age, 0)
}

// probeN is a probe's Ping n: its send time in unix milliseconds (a
// JavaScript client reads integers up to 2^53 only).
func probeN(ns int64) uint64 { return uint64(ns / int64(time.Millisecond)) }

// probeEvery is the least time between two lag probes of a viewer.
const probeEvery = 250 * time.Millisecond

// viewerProbe is a viewer connection's lag probe.
type viewerProbe struct {
	sent atomic.Int64 // unix ns of the unanswered probe (its Ping's n); 0 = none
	rtt  atomic.Int64 // ns: the last answered probe's round trip
	last int64        // unix ns of the last probe sent (the hub's goroutine only)
}

// probed takes a Pong: the answer to the outstanding probe sets the round
// trip; any other pong (an echo of the client's own ping) is ignored.
func (c *conn) probed(body []byte) {
	sent := c.probe.sent.Load()
	if sent == 0 {
		return
	}
	var p wire.Ping
	if wire.Decode(body, &p) != nil || p.N != probeN(sent) {
		return
	}
	if c.probe.sent.CompareAndSwap(sent, 0) {
		c.probe.rtt.Store(max(time.Now().UnixNano()-sent, 0))
	}
}

// asViewer sets the connection's kernel send buffer to n bytes (0: leave
// it) when it starts watching a room. Linux doubles the value for its
// bookkeeping and stops autotuning the buffer.
func (c *conn) asViewer(n int) {
	if n <= 0 {
		return
	}
	if tc, ok := c.nc.(*net.TCPConn); ok { // a WebSocket keeps its own buffers (not reachable here)
		_ = tc.SetWriteBuffer(n)
	}
}

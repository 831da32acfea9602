package engine

import (
	"context"
	"time"

	"github.com/qunchat/qun/wire"
)

// Signed-out viewers. A hello without a token is welcomed as an anonymous
// viewer while the node has fewer than Room.MaxAnonymous of them: the
// welcome's user is "~anon-" and the session id, the connection may watch
// and leave rooms (and ping), and every other request is answered
// unauthenticated ("sign in to ..."): speaking needs a signed-in user. An
// anonymous connection touches no user grain and is in no user's
// connection count; past the bound (or with Room.MaxAnonymous 0) the hello
// is refused unauthenticated, as a missing token always was.

// AnonymousPrefix starts the user id of every anonymous viewer.
const AnonymousPrefix = "~anon-"

// anonymousOps are the ops an anonymous viewer may send.
var anonymousOps = map[wire.Op]bool{wire.OpWatchRoom: true, wire.OpLeaveRoom: true}

// anonymousHello welcomes c as an anonymous viewer, or refuses it.
func (c *conn) anonymousHello() bool {
	e := c.e
	max := int64(e.cfg.Group.Room.MaxAnonymous)
	if e.stats.anonymous.Add(1) > max {
		e.stats.anonymous.Add(-1)
		if max == 0 {
			c.fail(wire.CodeUnauthenticated, "a token is required")
		} else {
			c.fail(wire.CodeUnauthenticated, "too many signed-out viewers: sign in to watch")
		}
		return false
	}
	context.AfterFunc(c.ctx, func() { e.stats.anonymous.Add(-1) }) // the reader cancels c.ctx when it ends
	session := newGroupID()[1:]
	c.user, c.anon = AnonymousPrefix+session, true
	e.limits.mu.Lock()
	e.leaveUnauthLocked(c)
	e.limits.mu.Unlock()
	e.mu.Lock()
	e.online[c.user]++ // balanced by the reader's offline
	e.mu.Unlock()
	e.hub.Attach(c, nil)
	welcome, err := wire.EncodeFrame(wire.FrameWelcome, &wire.Welcome{
		Version: wire.ProtocolVersion, User: c.user, Session: session,
		MaxFrame: e.cfg.MaxFrameSize, MaxInFlight: e.cfg.MaxInFlight, Time: time.Now().UnixMilli(),
	})
	if err != nil {
		c.closeWith(wire.CodeInternal, "encode failed")
		return false
	}
	c.greet(welcome)
	return true
}

// Anonymous is the number of anonymous viewer connections on this node.
func (e *Engine) Anonymous() int { return int(e.stats.anonymous.Load()) }

package actors

import (
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// Confirmed reads. A grain activation whose store can be deposed (a
// replicated shard's store: another node may lead the shard now and have
// acknowledged writes this one never saw) confirms before it answers a
// history read, which resync and a join's catch-up use too: the store's
// ConfirmRead checks, with a raft ReadIndex that all reads of a round
// share, that the activation's leadership still holds and that everything
// committed is applied locally. Only then does the grain read and reply; a
// deposed activation answers unavailable instead of stale history.

// ReadConfirmer is implemented by a store whose local reads are only
// current while its writer still leads (replication.ShardStore).
type ReadConfirmer interface {
	// ConfirmRead calls done once, from any goroutine: nil when reads
	// made after it see every write acknowledged before the call.
	ConfirmRead(done func(error))
}

// confirmedRead is a history read whose confirmation came back (a local
// self-message).
type confirmedRead struct {
	q   *HistoryQuery
	to  replyTo
	err error
}

// confirmRead starts confirming q for the reply to to; false when the
// store needs no confirmation (answer at once).
func (g *groupGrain) confirmRead(q *HistoryQuery, to replyTo) bool {
	rc, ok := g.st().(ReadConfirmer)
	if !ok || to.pid == nil {
		return false
	}
	self, sys := g.self, g.system
	rc.ConfirmRead(func(err error) {
		sys.Root.Send(self, &confirmedRead{q: q, to: to, err: err})
	})
	return true
}

// onConfirmedRead answers a confirmed read.
func (g *groupGrain) onConfirmedRead(c *confirmedRead) {
	switch {
	case c.err != nil:
		g.answer(c.to, &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "this node no longer leads the group; retry"})
	case g.broken != nil:
		g.answer(c.to, &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "group unavailable: " + g.broken.Error()})
	case c.q.Room:
		g.answer(c.to, g.readRoom(c.q))
	default:
		g.answer(c.to, g.read(c.q))
	}
}

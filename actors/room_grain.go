package actors

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// The group grain's room parts: a room's history merges the journal with
// retained chatter, and its pushes go to each watching hub as a roomBatch
// (messages with their lanes), which the hub merges per window and fans
// out to its viewers (hub_room.go).

// roomBatch is what a room sends each watching hub: one actor message per
// node and durable batch, never one per viewer. It travels in
// pb.Deliver.Frame.
type roomBatch struct {
	WindowMS int          `msgpack:"w"`
	Lanes    []byte       `msgpack:"l"` // Lanes[i] is the lane of Msgs[i]
	Msgs     []RawMessage `msgpack:"m"`
}

// errorBody carries what a refusal says beyond code and text (the
// retry-after of rate_limited) in pb.Result.Body.
func errorBody(e *wire.Error) []byte {
	if e.RetryAfter <= 0 {
		return nil
	}
	b, _ := wire.Marshal(&wire.Error{Code: e.Code, Msg: e.Msg, RetryAfter: e.RetryAfter})
	return b
}

// fanoutRoom sends the durable messages ps to every watching hub.
func (g *groupGrain) fanoutRoom(ctx actor.Context, ps []pendingPush) {
	b := roomBatch{WindowMS: int(g.m.RoomWindow().Milliseconds()), Lanes: make([]byte, 0, len(ps)), Msgs: make([]RawMessage, 0, len(ps))}
	closed := false
	for _, p := range ps {
		b.Lanes = append(b.Lanes, byte(p.lane))
		b.Msgs = append(b.Msgs, p.msg)
		closed = closed || p.closed
	}
	body, err := wire.Marshal(&b)
	if err != nil {
		g.deps.Logger.Error("encode room batch", slog.String("group", g.id), slog.Any("err", err))
		return
	}
	d := &pb.Deliver{Group: g.id, Frame: body, FirstSeq: ps[0].seq, LastSeq: ps[len(ps)-1].seq, Closed: closed}
	for _, w := range g.watchers {
		ctx.Send(w.pid, d)
	}
}

// readRoom answers a room's history page: journal entries in the range
// merged by seq with the retained chatter the machine found.
func (g *groupGrain) readRoom(q *HistoryQuery) *pb.Result {
	type item struct {
		seq uint64
		msg RawMessage
	}
	var journal []item
	take := func(e persistence.Event) bool {
		if len(journal) > q.Limit {
			return false
		}
		var r journalMessage
		if err := wire.Decode(e.Data, &r); err != nil || len(r.Msg) == 0 {
			return false
		}
		journal = append(journal, item{e.Seq, r.Msg})
		return true
	}
	var err error
	if q.To >= q.From && q.To > 0 {
		if q.Reverse {
			err = g.deps.Store.ReadReverse(groupStream(g.id), q.To+1, q.Limit+1, take)
			for i, j := 0, len(journal)-1; i < j; i, j = i+1, j-1 {
				journal[i], journal[j] = journal[j], journal[i]
			}
		} else {
			err = g.deps.Store.ReadRange(groupStream(g.id), q.From, q.To, q.Limit+1, take)
		}
	}
	if err != nil {
		return &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "history read failed"}
	}
	merged := make([]item, 0, len(journal)+len(q.Chatter))
	i, j := 0, 0
	for i < len(journal) || j < len(q.Chatter) {
		if j == len(q.Chatter) || i < len(journal) && journal[i].seq < q.Chatter[j].seq {
			merged = append(merged, journal[i])
			i++
		} else {
			merged = append(merged, item{q.Chatter[j].seq, q.Chatter[j].msg})
			j++
		}
	}
	res := HistoryPage{LastSeq: q.LastSeq}
	if len(merged) > q.Limit {
		res.More = true
		if q.Reverse {
			merged = merged[len(merged)-q.Limit:]
		} else {
			merged = merged[:q.Limit]
		}
	}
	// Keep the page under the reply budget, dropping from the far end.
	size, budget := 64, g.deps.Group.MaxReplyBytes
	n := 0
	for n < len(merged) && size+len(merged[idx(n, len(merged), q.Reverse)].msg)+8 <= budget {
		size += len(merged[idx(n, len(merged), q.Reverse)].msg) + 8
		n++
	}
	if n < len(merged) {
		res.More = true
		if q.Reverse {
			merged = merged[len(merged)-n:]
		} else {
			merged = merged[:n]
		}
	}
	res.Msgs = make([]RawMessage, len(merged))
	for k, it := range merged {
		res.Msgs[k] = it.msg
	}
	body, err := wire.Marshal(&res)
	if err != nil {
		return &pb.Result{Code: uint32(wire.CodeInternal), Error: err.Error()}
	}
	return &pb.Result{Body: body}
}

// idx walks a page from its near end: the newest first when reverse.
func idx(n, size int, reverse bool) int {
	if reverse {
		return size - 1 - n
	}
	return n
}

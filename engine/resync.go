package engine

import (
	"sort"

	"github.com/qunchat/qun/wire"
)

// Resync: a reconnecting client names the last seq it holds per group; the
// engine pushes what it missed (with flow control), or past ResyncMax a gap
// marker, then answers. A join catches up the same way.

// MaxResyncGroups bounds the groups named in one resync; the reply must
// also fit max_frame, which lowers it (resyncGroupsMax).
const MaxResyncGroups = 4096

// resyncGroupBytes is the most one group's entry of a resync reply takes:
// a 64-byte group id, a uint64, an int, a bool, a code and their keys.
const resyncGroupBytes = 120

// resyncGroupsMax is how many groups one resync may name: as many entries
// as fit the reply budget (500 at the default 60 KiB), at most MaxResyncGroups.
func (e *Engine) resyncGroupsMax() int {
	return min(MaxResyncGroups, (e.cfg.Group.MaxReplyBytes-64)/resyncGroupBytes)
}

// pusher receives frames produced by a request for the caller's own
// connection (resync, catch-up after a join); nil for in-process calls.
type pusher interface {
	Push(frame []byte) bool
}

// pushWait pushes with flow control when the pusher supports it.
func pushWait(p pusher, frame []byte) bool {
	if w, ok := p.(interface{ PushWait([]byte) bool }); ok {
		return w.PushWait(frame)
	}
	return p.Push(frame)
}

// resync runs wire.OpResync.
func (e *Engine) resync(r request) ([]byte, error) {
	var a wire.ResyncArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	if max := e.resyncGroupsMax(); len(a.Groups) > max {
		return nil, wire.Errorf(wire.CodeBadRequest, "more than %d groups in one resync: split it", max)
	}
	ids := make([]string, 0, len(a.Groups))
	for g := range a.Groups {
		ids = append(ids, g)
	}
	sort.Strings(ids)
	res := wire.ResyncResult{Groups: make([]wire.ResyncGroup, 0, len(ids))}
	for _, g := range ids {
		if r.ctx.Err() != nil {
			break
		}
		res.Groups = append(res.Groups, e.resyncGroup(r.user, g, a.Groups[g], r.out))
	}
	return wire.Marshal(&res)
}

// catchUp pushes what a connection missed in one group since seq.
func (e *Engine) catchUp(user, g string, seq uint64, out pusher) {
	_ = e.resyncGroup(user, g, seq, out)
}

func (e *Engine) resyncGroup(user, g string, last uint64, out pusher) wire.ResyncGroup {
	rg := wire.ResyncGroup{Group: g}
	if err := validGroupID(g); err != nil {
		rg.Code = wire.CodeOf(err)
		return rg
	}
	after := last
	for {
		body, err := e.groupCall(user, wire.OpHistory, g, marshalArgs(wire.HistoryArgs{Group: g, After: wire.After(after), Limit: e.cfg.Group.PageMax}), nil)
		if err != nil {
			rg.Code = wire.CodeOf(err)
			return rg
		}
		var h wire.HistoryResult
		if err := decodeInto(body, &h); err != nil {
			rg.Code = wire.CodeInternal
			return rg
		}
		rg.LastSeq = h.LastSeq
		if len(h.Msgs) > 0 && out != nil {
			frame, err := wire.EncodeFrame(wire.FramePush, &wire.Push{Group: g, Msgs: h.Msgs})
			if err != nil || !pushWait(out, frame) {
				rg.Code = wire.CodeSlowConsumer
				return rg
			}
			rg.Sent += len(h.Msgs)
			after = h.Msgs[len(h.Msgs)-1].Seq
		}
		if !h.More || len(h.Msgs) == 0 {
			return rg
		}
		if rg.Sent >= e.cfg.ResyncMax {
			rg.Gap = true
			if out != nil {
				frame, err := wire.EncodeFrame(wire.FrameGap, &wire.Gap{Group: g, From: after + 1, To: h.LastSeq})
				if err == nil {
					pushWait(out, frame)
				}
			}
			return rg
		}
	}
}

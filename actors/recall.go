package actors

import (
	"strconv"
	"strings"

	"github.com/qunchat/qun/wire"
)

// Recall: a sender recalls their own message within
// GroupConfig.Fans.RecallWindow; the owner and admins recall any message.
//
// The recall is a system event with its own seq (durable before the reply),
// and the recalled message's journal record is rewritten in the same batch
// as a tombstone: same seq, time, sender and client message id, type
// wire.MsgRecalled, body wire.RecalledBody. The text is gone from storage,
// not hidden: history and resync read the tombstone. Snapshots hold no
// message bodies, so nothing else keeps it.

// noticeCMID is the client message id of a creator notice's message; a
// tombstone keeps it, so the notice stays idempotent after a recall.
const noticeCMID = "notice/"

func (g *GroupMachine) recall(r *req[wire.RecallArgs]) Effects {
	a := &r.args
	m := r.host.Message // read from the journal by the engine
	if a.Seq == 0 || a.Seq > g.st.LastSeq || m == nil || m.Seq != a.Seq {
		return fail(wire.CodeNotFound, "no message %d", a.Seq)
	}
	if a.Seq > g.durable {
		return fail(wire.CodeConflict, "message %d is not durable yet; retry", a.Seq)
	}
	switch m.Type {
	case wire.MsgSystem:
		return fail(wire.CodeBadRequest, "system events cannot be recalled")
	case wire.MsgRecalled:
		return fail(wire.CodeConflict, "message %d was already recalled", a.Seq)
	}
	staff := g.st.Members[r.User].Role >= wire.RoleAdmin
	if !staff {
		if m.Sender != r.User {
			return fail(wire.CodeForbidden, "only the sender, the owner and admins may recall a message")
		}
		if r.Now-m.Time > g.cfg.Fans.RecallWindow {
			return fail(wire.CodeRecallWindow, "messages can be recalled within %d seconds of sending", g.cfg.Fans.RecallWindow/1000)
		}
	}
	tomb := record{Msg: wire.Message{Seq: m.Seq, Time: m.Time, Sender: m.Sender, CMID: m.CMID, Type: wire.MsgRecalled,
		Body: wire.Body{Recalled: &wire.RecalledBody{By: r.User, At: r.Now}}}}
	if id, isNotice := strings.CutPrefix(m.CMID, noticeCMID); isNotice {
		tomb.Change = &change{Fan: &fanChange{Notice: id}}
	}
	e := g.event(r.Now, sysMsg(wire.EventRecalled, r.User, m.Sender, strconv.FormatUint(a.Seq, 10)), nil)
	e.Rewrites = []record{tomb}
	return e
}

package actors

import "github.com/qunchat/qun/wire"

// groupOps is the group machine's op table: every group operation, with
// what it needs declared as data. Handle decodes the op's arguments, runs
// the declared checks, and only then calls the handler, so a handler starts
// with its own logic. A new group op is one row here and its handler.
var groupOps = map[wire.Op]groupOp{
	// Joining (joining.go).
	wire.OpCreateGroup:  op(rule{host: true}, (*GroupMachine).create),
	wire.OpJoin:         op(rule{gate: gateJoinable, host: true}, (*GroupMachine).join),
	wire.OpLeave:        op(rule{gate: gateLive}, (*GroupMachine).leave),
	wire.OpApply:        op(rule{host: true}, (*GroupMachine).applyToJoin),
	wire.OpReview:       op(rule{gate: gateRole, min: wire.RoleAdmin, what: "review join requests", host: true}, (*GroupMachine).review),
	wire.OpListRequests: op(rule{gate: gateRole, min: wire.RoleAdmin, what: "list join requests"}, (*GroupMachine).listRequests),
	wire.OpCreateInvite: op(rule{gate: gateInviter, host: true}, (*GroupMachine).createInvite),
	wire.OpRevokeInvite: op(rule{gate: gateLive}, (*GroupMachine).revokeInvite),
	wire.OpListInvites:  op(rule{gate: gateMember}, (*GroupMachine).listInvites),
	wire.OpInvite:       op(rule{gate: gateInviter, host: true}, (*GroupMachine).invite),

	// Moderation (moderation.go).
	wire.OpSetRole:       op(rule{}, (*GroupMachine).setRole),
	wire.OpKick:          op(rule{gate: gateRole, min: wire.RoleAdmin, what: "remove members", notSelf: true}, (*GroupMachine).remove),
	wire.OpBan:           op(rule{gate: gateRole, min: wire.RoleAdmin, what: "ban users", notSelf: true}, (*GroupMachine).remove),
	wire.OpUnban:         op(rule{gate: gateRole, min: wire.RoleAdmin, what: "lift bans"}, (*GroupMachine).unban),
	wire.OpMute:          op(rule{gate: gateRole, min: wire.RoleAdmin, what: "mute members", notSelf: true}, (*GroupMachine).mute),
	wire.OpMuteAll:       op(rule{gate: gateRole, min: wire.RoleAdmin, what: "mute the whole group"}, (*GroupMachine).muteAll),
	wire.OpTransferOwner: op(rule{gate: gateRole, min: wire.RoleOwner, what: "transfer ownership", notSelf: true}, (*GroupMachine).transfer),
	wire.OpDissolve:      op(rule{gate: gateRole, min: wire.RoleOwner, what: "dissolve the group"}, (*GroupMachine).dissolve),

	// Profile (profile.go).
	wire.OpGroupInfo:   op(rule{gate: gateExists}, (*GroupMachine).groupInfo),
	OpSummary:          op(rule{gate: gateExists}, (*GroupMachine).summary),
	wire.OpUpdateGroup: op(rule{gate: gateRole, min: wire.RoleAdmin, what: "change the group's profile and settings"}, (*GroupMachine).update),

	// Content (content.go).
	wire.OpSend:          op(rule{gate: gateMember}, (*GroupMachine).send),
	wire.OpHistory:       op(rule{gate: gateMember}, (*GroupMachine).history),
	wire.OpMembers:       op(rule{gate: gateMember}, (*GroupMachine).members),
	wire.OpAnnounce:      op(rule{gate: gateRole, min: wire.RoleAdmin, what: "publish announcements"}, (*GroupMachine).announce),
	wire.OpAckAnnounce:   op(rule{gate: gateLive}, (*GroupMachine).ackAnnounce),
	wire.OpAnnounceState: op(rule{gate: gateRole, min: wire.RoleAdmin, what: "see who acknowledged the announcement"}, (*GroupMachine).announceState),
	wire.OpPin:           op(rule{gate: gateRole, min: wire.RoleAdmin, what: "pin messages"}, (*GroupMachine).pin),
	wire.OpGroupStats:    op(rule{gate: gateExists, host: true}, (*GroupMachine).stats),

	// Fan groups and creator tools (fans.go, notices.go, recall.go, divert.go).
	wire.OpCreateFanGroup: op(rule{host: true}, (*GroupMachine).createFan),
	wire.OpSetFanGroup:    op(rule{gate: gateRole, min: wire.RoleOwner, what: "change the fan group's threshold and order"}, (*GroupMachine).setFan),
	OpFanOwner:            op(rule{gate: gateExists}, (*GroupMachine).fanOwner),
	OpFanCard:             op(rule{gate: gateExists, host: true}, (*GroupMachine).fanCard),
	OpPostNotice:          op(rule{gate: gateRole, min: wire.RoleOwner, what: "post creator notices"}, (*GroupMachine).postNotice),
	wire.OpAnnounceStrong: op(rule{gate: gateRole, min: wire.RoleAdmin, what: "publish announcements"}, (*GroupMachine).announceStrong),
	wire.OpRecall:         op(rule{gate: gateLive, host: true}, (*GroupMachine).recall),
	wire.OpSetDivert:      op(rule{gate: gateRole, min: wire.RoleAdmin, what: "change the diversion policy"}, (*GroupMachine).setDivert),
}

// Handle runs one command.
func (g *GroupMachine) Handle(c Command) Effects {
	if o, ok := g.roomOp(c.Op); ok {
		return o.run(g, c)
	}
	o, found := groupOps[c.Op]
	if !found {
		return fail(wire.CodeUnknownOp, "operation %s is not a group operation", c.Op)
	}
	return o.run(g, c)
}

// groupOp is one row of the table.
type groupOp interface {
	run(g *GroupMachine, c Command) Effects
}

type row[T any] struct {
	rule
	handle func(*GroupMachine, *req[T]) Effects
}

// op makes a row: handle runs once the arguments decode into T (unless T is
// none) and the checks r declares pass. wire.TargetArgs targets are checked
// before the gate.
func op[T any](r rule, handle func(*GroupMachine, *req[T]) Effects) groupOp {
	return row[T]{r, handle}
}

func (o row[T]) run(g *GroupMachine, c Command) Effects {
	r := &req[T]{Command: c}
	if _, noArgs := any(&r.args).(*none); !noArgs {
		if err := wire.DecodeArgs(c.Args, &r.args); err != nil {
			return refuse(err)
		}
	}
	var target string
	if t, ok := any(&r.args).(*wire.TargetArgs); ok {
		if err := validTarget(t.User); err != nil {
			return refuse(err)
		}
		target = t.User
	}
	if err := g.admit(c, o.rule, target); err != nil {
		return refuse(err)
	}
	if o.host {
		if err := wire.DecodeArgs(c.Host, &r.host); err != nil {
			return refuse(err)
		}
	}
	return o.handle(g, r)
}

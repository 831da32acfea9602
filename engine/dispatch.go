package engine

import (
	"context"
	"time"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// Dispatch: every operation is routed from one table, routes, read by the
// TCP frontend (conn.handle) and by in-process calls (Engine.do) alike.
// Adding a group operation is one row here.

// request is one operation as the engine routes it.
type request struct {
	ctx  context.Context
	user string  // the authenticated caller
	op   wire.Op //
	args []byte  // the op's msgpack arguments (a client's own bytes)
	out  pusher  // the caller's connection, for pushes the request produces; nil in process
}

// route says where an operation goes. Exactly one field is set.
type route struct {
	// inOrder operations go straight to the group grain their arguments
	// name, handed over before dispatch returns (from the connection's
	// reader), so a client's calls reach the grain in the order sent; the
	// grain enforces every rule. inOrder decodes the arguments, once, and
	// returns the group.
	inOrder func(e *Engine, r request) (group string, err error)
	// run handles every other operation, on the request's own goroutine.
	run func(e *Engine, r request) ([]byte, error)
}

var (
	// inOrder: the group id is all the engine reads.
	toGroup = route{inOrder: func(_ *Engine, r request) (string, error) { return groupOf(r.args) }}
	// toCaller: the caller's own user grain.
	toCaller = route{run: toUser}
)

// withHost is a route to the group grain named by the arguments, with facts
// from the host's hooks made by facts (hooks.go).
func withHost(facts func(e *Engine, r request, g string) ([]byte, error)) route {
	return route{run: func(e *Engine, r request) ([]byte, error) {
		g, err := groupOf(r.args)
		if err != nil {
			return nil, err
		}
		host, err := facts(e, r, g)
		if err != nil {
			return nil, err
		}
		return e.groupCall(r.user, r.op, g, r.args, host)
	}}
}

// routes is the engine's op table.
var routes = map[wire.Op]route{
	// The group grain alone, in order.
	wire.OpGroupInfo:     toGroup,
	wire.OpSend:          {inOrder: (*Engine).sendTo},
	wire.OpHistory:       toGroup,
	wire.OpMembers:       toGroup,
	wire.OpUpdateGroup:   toGroup,
	wire.OpSetRole:       toGroup,
	wire.OpUnban:         toGroup,
	wire.OpMute:          toGroup,
	wire.OpMuteAll:       toGroup,
	wire.OpListRequests:  toGroup,
	wire.OpRevokeInvite:  toGroup,
	wire.OpListInvites:   toGroup,
	wire.OpAnnounce:      toGroup,
	wire.OpAckAnnounce:   toGroup,
	wire.OpAnnounceState: toGroup,
	wire.OpPin:           toGroup,
	// The group grain, with the host's facts.
	wire.OpCreateInvite: withHost((*Engine).inviteCode),
	wire.OpGroupStats:   withHost(thisYear),
	// Membership: the user's and the group's grains (membership.go).
	wire.OpCreateGroup:   {run: (*Engine).createGroup},
	wire.OpJoin:          {run: (*Engine).join},
	wire.OpApply:         {run: (*Engine).applyJoin},
	wire.OpReview:        {run: (*Engine).review},
	wire.OpInvite:        {run: (*Engine).invite},
	wire.OpLeave:         {run: (*Engine).leave},
	wire.OpKick:          {run: (*Engine).removeMember},
	wire.OpBan:           {run: (*Engine).removeMember},
	wire.OpTransferOwner: {run: (*Engine).transfer},
	wire.OpDissolve:      {run: (*Engine).dissolve},
	// The caller's own list (mygroups.go) and resync (resync.go).
	wire.OpMyGroups:      {run: (*Engine).myGroups},
	wire.OpMarkRead:      toCaller,
	wire.OpPinGroup:      toCaller,
	wire.OpShowOnProfile: toCaller,
	wire.OpResync:        {run: (*Engine).resync},
	// Discovery: every node's index (discovery.go).
	wire.OpSearch:        {run: (*Engine).search},
	wire.OpNearby:        {run: (*Engine).nearby},
	wire.OpProfileGroups: {run: (*Engine).profileCards},
	// Commerce (commerce.go): claims go in order; sends, lotteries and
	// coupons carry ids and seeds the engine makes.
	wire.OpSendPacket:       withHost(packetFacts),
	wire.OpClaimPacket:      toGroup,
	wire.OpPacketInfo:       toGroup,
	wire.OpRecallPacket:     toGroup,
	wire.OpCommerceSettings: toGroup,
	wire.OpOpenLottery:      withHost(lotteryFacts),
	wire.OpEnterLottery:     withHost(followFacts),
	wire.OpLotteryInfo:      toGroup,
	wire.OpPostCoupon:       withHost(refFacts),
	wire.OpClaimCoupon:      toGroup,
	wire.OpCouponInfo:       toGroup,
	wire.OpCreateOrderGroup: {run: (*Engine).createOrderGroupOp},
	wire.OpOrderEvent:       {run: (*Engine).orderEventOp},
	wire.OpBalance:          {run: (*Engine).balance},
	wire.OpGrant:            {run: (*Engine).grant},
	wire.OpShopGroups:       {run: (*Engine).shopCards},
	// Fan groups and creator tools (fans.go).
	wire.OpCreateFanGroup: {run: (*Engine).createFanGroup},
	wire.OpSetFanGroup:    toGroup,
	wire.OpFanGroups:      {run: (*Engine).fanGroups},
	wire.OpNotifyCreator:  {run: (*Engine).notifyCreator},
	wire.OpAnnounceStrong: toGroup,
	wire.OpRecall:         {run: (*Engine).recall},
	wire.OpSetDivert:      toGroup,
	wire.OpShareCard:      {run: (*Engine).shareCard},
	wire.OpSetHostFacts:   {run: (*Engine).setHostFacts},
	// Live rooms (room.go).
	wire.OpOpenRoom:   {run: (*Engine).openRoom},
	wire.OpCloseRoom:  toGroup,
	wire.OpWatchRoom:  {run: (*Engine).watchRoom},
	wire.OpLeaveRoom:  {run: (*Engine).leaveRoom},
	wire.OpRoomSend:   {inOrder: (*Engine).roomSendTo},
	wire.OpRoomConfig: toGroup,
}

// sendTo decodes a send's arguments once, for the group it goes to and the
// text the host's moderation hook checks; when the hook cannot refuse
// anything, only the group id is read.
func (e *Engine) sendTo(r request) (string, error) {
	if !e.moderatesText() {
		return groupOf(r.args)
	}
	var a wire.SendArgs
	g, err := groupArgs(r.args, &a, &a.Group)
	if err != nil {
		return "", err
	}
	return g, e.checkText(r.ctx, g, r.user, a.Body.Text)
}

// pending is a dispatched request; wait gives its result.
type pending struct {
	e     *Engine
	r     request
	run   func(e *Engine, r request) ([]byte, error)
	f     *future
	call  *pb.Call  // an in-order call prepared for group (prepare), not yet sent
	group string    //
	err   error     // refused in dispatch (already counted)
	start time.Time // for metrics (metrics.go)
}

func (p pending) wait() (body []byte, err error) {
	switch {
	case p.err != nil:
		return nil, p.err
	case p.f != nil:
		body, err = p.f.wait()
	default:
		body, err = p.run(p.e, p.r)
	}
	p.e.observe(p.r.op, p.start, err)
	return body, err
}

// dispatch routes one request. An in-order request has reached its grain
// when dispatch returns; wait gives its reply. Any other request runs in
// wait: call it on the request's own goroutine.
func (e *Engine) dispatch(r request) pending {
	p := e.prepare(r)
	if p.call != nil {
		p.f = e.future(actors.KindGroup, p.group, p.call)
	}
	return p
}

// prepare is dispatch without sending: an in-order request comes back as
// its call and group (a connection batches them, batch.go).
func (e *Engine) prepare(r request) pending {
	if e.node == nil {
		return pending{err: ErrNotStarted}
	}
	if e.closing.Load() && r.out == nil {
		return pending{err: ErrClosed}
	}
	start := e.startClock()
	rt, ok := routes[r.op]
	switch {
	case ok && !wire.IsArgsMap(r.args):
		e.stats.requests.Add(1)
		return pending{err: wire.Errorf(wire.CodeBadRequest, "args must be a map")}
	case !ok:
		e.stats.requests.Add(1)
		err := wire.Errorf(wire.CodeUnknownOp, "unknown operation %d", uint16(r.op))
		e.observe(r.op, start, err)
		return pending{err: err}
	case rt.inOrder != nil:
		g, err := rt.inOrder(e, r)
		if err != nil {
			e.observe(r.op, start, err)
			return pending{err: err}
		}
		e.stats.requests.Add(1)
		return pending{e: e, r: r, start: start, group: g, call: &pb.Call{Op: uint32(r.op), User: r.user, Args: r.args}}
	}
	e.stats.requests.Add(1)
	return pending{e: e, r: r, start: start, run: rt.run}
}

// Call runs one operation for user inside the host's process, routed from
// the same table as a client's request: args and the result are the op's
// msgpack maps (docs/protocol.md; wire.Marshal and wire.Decode), errors are
// *wire.Error as a client sees them. user is trusted: the host has
// authenticated it. Pushes the op would send the caller's connection (resync,
// catch-up after a join) are not made; use a connection for those.
func (e *Engine) Call(ctx context.Context, user string, op wire.Op, args []byte) ([]byte, error) {
	if err := ValidUserID(user); err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "invalid user id")
	}
	return e.dispatch(request{ctx: ctx, user: user, op: op, args: args}).wait()
}

package actors

import (
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// GroupKind returns the cluster kind of group grains.
func GroupKind(d *Deps) *cluster.Kind {
	return grainKind(KindGroup, func() actor.Actor { return &groupGrain{deps: d} })
}

type pendingReply struct {
	to    replyTo
	after uint64 // seq that must be durable
	batch uint64 // batch that must be durable (aux writes)
	res   *pb.Result
}

type pendingPush struct {
	seq         uint64
	msg         RawMessage // encoded once, spliced into the push frame
	add, remove []string
	closed      bool
	lane        wire.Lane
}

type pendingNotice struct {
	batch uint64
	to    []string
	n     *wire.Notice
}

type watcher struct {
	pid     *actor.PID
	expires int64 // unix ms
}

// flush and persisted are local self-messages; they never cross nodes.
type flush struct{}

type persisted struct {
	upTo  uint64
	batch uint64
	index *IndexEntry // to hand to the node's index once durable
	err   error
}

// groupGrain carries out a GroupMachine's effects: it persists records with
// group commit, replies once they are durable, and fans out pushes.
type groupGrain struct {
	deps     *Deps
	store    persistence.Store // this activation's (Deps.StoreFor)
	id       string
	m        *GroupMachine
	broken   error
	self     *actor.PID
	system   *actor.ActorSystem
	unsent   []persistence.Event // journal entries applied but not yet handed to the store
	aux      []AuxWrite
	drop     bool // drop the journal in the next batch
	flushing bool
	inflight int    // batches handed to the store, not yet durable
	batch    uint64 // id of the batch being gathered; earlier ids are in flight or durable
	durableB uint64 // highest durable batch id
	replies  []pendingReply
	pushes   []pendingPush
	notices  []pendingNotice
	hostEvs  []HostEvent // in seq order, told to the host once durable
	watchers map[string]*watcher
	commerceGrain
	// chatterHi is the highest room chatter seq in the batch being
	// gathered: chatter goes to aux keys, not the journal (room_grain.go).
	chatterHi uint64
	out       []outBatch // answers to batched calls, sent at the end of Receive (batch.go)
}

func (g *groupGrain) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		g.self, g.system = ctx.Self(), ctx.ActorSystem()
		g.watchers = map[string]*watcher{}
		g.batch = 1
		ctx.SetReceiveTimeout(g.deps.IdleTimeout)
		g.deps.Stats.started(statGroup)
	case *actor.Stopped:
		g.deps.Stats.stopped(statGroup)
	case *cluster.ClusterInit:
		g.id = msg.Identity.Identity
		g.store = g.deps.storeFor(KindGroup, g.id)
		g.load()
	case *pb.Call:
		g.call(ctx, msg, replyTo{pid: ctx.Sender()})
	case *pb.Batch:
		g.callBatch(ctx, msg)
	case *pb.Watch:
		g.watch(ctx, msg)
	case flush:
		g.flush()
	case *persisted:
		g.onPersisted(ctx, msg)
	case *actor.ReceiveTimeout:
		g.idle(ctx)
	case idleSnapshotted:
		// The snapshot taken to passivate is settled (a failure loses
		// nothing: the journal holds every event); passivate now unless
		// something arrived meanwhile.
		g.inflight--
		g.idle(ctx)
	case *hostDone:
		g.onHostDone(ctx, msg)
	case tick:
		g.tick(ctx)
	case *confirmedRead:
		g.onConfirmedRead(msg)
	case *actor.Stopping:
		g.stopTimer()
	}
	if len(g.out) > 0 {
		g.sendAnswers()
	}
}

func (g *groupGrain) load() {
	g.m = NewGroupMachine(g.id, g.deps.Group)
	st := g.st()
	snap, ok, err := st.LoadSnapshot(groupStream(g.id))
	if err == nil && ok {
		err = g.m.Restore(snap.Data)
	}
	if err == nil {
		from := g.m.LastSeq() + 1
		err = st.ReadRange(groupStream(g.id), from, ^uint64(0), 0, func(e persistence.Event) bool {
			if rerr := g.m.Replay(e.Data); rerr != nil {
				err = rerr
				return false
			}
			return true
		})
	}
	if err == nil {
		prefix := AuxPrefix(g.id)
		err = st.Scan(prefix, func(k string, v []byte) bool {
			if aerr := g.m.LoadAux(k[len(prefix):], v); aerr != nil {
				g.deps.Logger.Warn("bad group aux entry", slog.String("key", k), slog.Any("err", aerr))
			}
			return true
		})
	}
	g.m.TakeReindex()
	g.m.TakeAux() // replay may re-delete acks that are already gone
	if err != nil {
		g.broken = err
		g.deps.Logger.Error("group recovery failed", slog.String("group", g.id), slog.Any("err", err))
		return
	}
	g.loaded()
}

func (g *groupGrain) call(ctx actor.Context, c *pb.Call, to replyTo) {
	if g.broken != nil {
		g.answer(to, &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "group unavailable: " + g.broken.Error()})
		return
	}
	if wire.Op(c.Op) == OpTick {
		g.tick(ctx)
		g.answer(to, &pb.Result{})
		return
	}
	now := g.deps.Now().UnixMilli()
	eff := g.m.Handle(Command{Now: now, User: c.User, Op: wire.Op(c.Op), Args: c.Args, Host: c.Host})
	g.carry(ctx, eff, to)
}

// carry carries out effects; the reply (if any) goes to to.
func (g *groupGrain) carry(ctx actor.Context, eff Effects, to replyTo) {
	if eff.Read != nil && eff.Err == nil && g.confirmRead(eff.Read, to) {
		return // answered once confirmed (read_confirm.go)
	}
	var res *pb.Result
	switch {
	case eff.Err != nil:
		res = &pb.Result{Code: uint32(eff.Err.Code), Error: eff.Err.Msg, Body: errorBody(eff.Err)}
	case eff.Read != nil && eff.Read.Room:
		res = g.readRoom(eff.Read)
	case eff.Read != nil:
		res = g.read(eff.Read)
	default:
		res = &pb.Result{Body: eff.Reply, GroupName: eff.GroupName}
	}
	stream := groupStream(g.id)
	for i := range eff.Rewrites {
		// Rewrites go before the records, so the batch's last event is
		// still its newest seq.
		_, entry, err := encodeRecord(&eff.Rewrites[i])
		if err != nil {
			g.fatal(err)
			g.answer(to, &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "storage failed"})
			return
		}
		g.unsent = append(g.unsent, persistence.Event{Stream: stream, Seq: eff.Rewrites[i].Msg.Seq, Data: entry})
	}
	g.hostEvs = append(g.hostEvs, eff.HostEvents...)
	for i := range eff.Records {
		r := &eff.Records[i]
		msg := r.raw
		if msg == nil { // room chatter arrives encoded and is kept in aux, not the journal
			var entry []byte
			var err error
			msg, entry, err = encodeRecord(r)
			if err != nil {
				g.fatal(err)
				g.answer(to, &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "storage failed"})
				return
			}
			g.unsent = append(g.unsent, persistence.Event{Stream: stream, Seq: r.Msg.Seq, Data: entry})
		} else {
			g.chatterHi = r.Msg.Seq
		}
		p := pendingPush{seq: r.Msg.Seq, msg: msg, lane: r.Msg.Lane}
		if i == len(eff.Records)-1 {
			p.add, p.remove, p.closed = eff.AddUsers, eff.RemoveUsers, eff.Closed
		}
		g.pushes = append(g.pushes, p)
	}
	g.aux = append(g.aux, eff.Aux...)
	g.aux = append(g.aux, g.m.TakeAux()...)
	g.drop = g.drop || eff.DropHistory
	if eff.Notice != nil && len(eff.NoticeTo) > 0 {
		g.notices = append(g.notices, pendingNotice{batch: g.batch, to: eff.NoticeTo, n: eff.Notice})
	}
	if eff.Hold != "" {
		g.hold(eff.Hold, to)
		to = replyTo{}
	}
	g.carryCommerce(ctx, &eff)
	if (len(g.unsent) > 0 || len(g.aux) > 0 || len(g.notices) > 0 || len(g.kv) > 0) && !g.flushing {
		// The flush goes to the back of the mailbox: every call already queued
		// joins this batch.
		g.flushing = true
		ctx.Send(g.self, flush{})
	}
	var batch uint64
	if eff.ReplyBatch {
		batch = g.batch
	}
	if to.pid == nil {
		return
	}
	if eff.ReplyAfter > g.m.Durable() || batch > g.durableB {
		g.replies = append(g.replies, pendingReply{to: to, after: eff.ReplyAfter, batch: batch, res: res})
		return
	}
	g.answer(to, res)
}

func (g *groupGrain) flush() {
	g.flushing = false
	if len(g.unsent) == 0 && len(g.aux) == 0 && len(g.notices) == 0 && len(g.kv) == 0 {
		return
	}
	stream := groupStream(g.id)
	b := &persistence.Batch{Events: g.unsent}
	var upTo uint64
	if len(g.unsent) > 0 {
		upTo = g.unsent[len(g.unsent)-1].Seq
	}
	upTo = max(upTo, g.chatterHi)
	g.chatterHi = 0
	g.unsent = nil // the batch owns the slice now
	prefix := AuxPrefix(g.id)
	for _, a := range g.aux {
		if a.Value == nil {
			b.Deletes = append(b.Deletes, prefix+a.Key)
		} else {
			b.Puts = append(b.Puts, persistence.KV{Key: prefix + a.Key, Value: a.Value})
		}
	}
	g.aux = nil
	g.flushKV(b)
	if g.drop {
		// The batch applies the drop first, then its events and a snapshot
		// at the newest seq, so recovery starts after the dropped history.
		b.DropStreams = []string{stream}
		g.drop = false
	}
	if g.m.SnapshotDue() || len(b.DropStreams) > 0 {
		if data, seq, err := g.m.Snapshot(); err == nil {
			b.Snapshots = []persistence.Snapshot{{Stream: stream, Seq: seq, Data: data}}
		}
	}
	var entry *IndexEntry
	if g.m.TakeReindex() {
		e := g.m.IndexEntry()
		entry = &e
		if e.Dissolved {
			b.Deletes = append(b.Deletes, IndexKey(g.id))
		} else {
			b.Puts = append(b.Puts, persistence.KV{Key: IndexKey(g.id), Value: mustMarshal(&e)})
		}
	}
	batch := g.batch
	g.batch++
	g.inflight++
	self, sys := g.self, g.system
	g.st().Commit(b, func(err error) {
		sys.Root.Send(self, &persisted{upTo: upTo, batch: batch, index: entry, err: err})
	})
}

func (g *groupGrain) onPersisted(ctx actor.Context, p *persisted) {
	g.inflight--
	if p.err != nil {
		g.fatal(p.err)
		ctx.Stop(g.self)
		return
	}
	g.m.MarkDurable(p.upTo)
	g.durableB = p.batch
	if p.index != nil {
		// Before the replies: a client that searches right after its
		// update finds it in this node's index.
		ctx.Send(actor.NewPID(g.system.Address(), IndexName), &pb.Call{Op: uint32(OpIndexPut), Args: mustMarshal(p.index)})
	}
	d := g.m.Durable()
	kept := g.replies[:0]
	for _, r := range g.replies {
		if r.after <= d && r.batch <= g.durableB {
			g.answer(r.to, r.res)
		} else {
			kept = append(kept, r)
		}
	}
	g.replies = kept
	g.sendAnswers() // before the pushes, as single answers go
	n := 0
	for n < len(g.pushes) && g.pushes[n].seq <= d {
		n++
	}
	if n > 0 {
		g.fanout(ctx, g.pushes[:n])
		g.pushes = append(g.pushes[:0], g.pushes[n:]...)
	}
	k := 0
	for k < len(g.notices) && g.notices[k].batch <= g.durableB {
		g.notify(ctx, g.notices[k])
		k++
	}
	g.notices = append(g.notices[:0], g.notices[k:]...)
	g.dispatchReady(ctx)
	h := 0
	for h < len(g.hostEvs) && g.hostEvs[h].Seq <= d {
		g.deps.OnHostEvent(g.hostEvs[h])
		h++
	}
	g.hostEvs = append(g.hostEvs[:0], g.hostEvs[h:]...)
}

// notify sends a notice to the named users through every watching hub.
func (g *groupGrain) notify(ctx actor.Context, n pendingNotice) {
	frame, err := wire.EncodeFrame(wire.FrameNotice, n.n)
	if err != nil {
		return
	}
	d := &pb.Deliver{Group: g.id, Frame: frame, OnlyUsers: n.to}
	for _, w := range g.watchers {
		ctx.Send(w.pid, d)
	}
}

// fatal fails every waiting request. State in memory is ahead of the store,
// so the grain stops and the next activation recovers from storage.
func (g *groupGrain) fatal(err error) {
	g.broken = err
	g.deps.Logger.Error("group persist failed", slog.String("group", g.id), slog.Any("err", err))
	for _, r := range g.replies {
		g.answer(r.to, &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "storage failed"})
	}
	g.replies = nil
	g.pushes = nil
	g.unsent = nil
	g.aux = nil
	g.notices = nil
	g.hostEvs = nil
}

// fanout encodes each frame once and sends the same bytes to every hub.
func (g *groupGrain) fanout(ctx actor.Context, ps []pendingPush) {
	now := g.deps.Now().UnixMilli()
	for k, w := range g.watchers {
		if w.expires < now {
			delete(g.watchers, k)
		}
	}
	if len(g.watchers) == 0 {
		return
	}
	if g.m.IsRoom() {
		g.fanoutRoom(ctx, ps)
		return
	}
	budget := g.deps.Group.MaxReplyBytes
	for start := 0; start < len(ps); {
		push := rawPush{Group: g.id}
		d := &pb.Deliver{Group: g.id}
		size, end := 64+len(g.id), start
		for end < len(ps) {
			s := len(ps[end].msg)
			if end > start && (size+s > budget || len(ps[end].add) > 0 || len(ps[end].remove) > 0 || ps[end].closed) {
				break
			}
			size += s
			push.Msgs = append(push.Msgs, ps[end].msg)
			d.AddUsers = append(d.AddUsers, ps[end].add...)
			d.RemoveUsers = append(d.RemoveUsers, ps[end].remove...)
			d.Closed = d.Closed || ps[end].closed
			end++
			if len(d.AddUsers)+len(d.RemoveUsers) > 0 || d.Closed {
				break
			}
		}
		frame, err := wire.EncodeFrame(wire.FramePush, &push)
		if err != nil {
			g.deps.Logger.Error("encode push", slog.String("group", g.id), slog.Any("err", err))
			return
		}
		d.Frame, d.FirstSeq, d.LastSeq = frame, ps[start].seq, ps[end-1].seq
		for _, w := range g.watchers {
			ctx.Send(w.pid, d)
		}
		start = end
	}
}

func (g *groupGrain) read(q *HistoryQuery) *pb.Result {
	res := HistoryPage{LastSeq: q.LastSeq}
	var data [][]byte
	size, budget := 64, g.deps.Group.MaxReplyBytes
	take := func(e persistence.Event) bool {
		if len(data) == q.Limit || (len(data) > 0 && size+len(e.Data)+32 > budget) {
			res.More = true
			return false
		}
		size += len(e.Data) + 32
		data = append(data, e.Data)
		return true
	}
	var err error
	if q.To >= q.From && q.To > 0 {
		if q.Reverse {
			err = g.st().ReadReverse(groupStream(g.id), q.To+1, q.Limit+1, take)
			for i, j := 0, len(data)-1; i < j; i, j = i+1, j-1 {
				data[i], data[j] = data[j], data[i]
			}
		} else {
			err = g.st().ReadRange(groupStream(g.id), q.From, q.To, q.Limit+1, take)
		}
	}
	if err != nil {
		return &pb.Result{Code: uint32(wire.CodeUnavailable), Error: "history read failed"}
	}
	res.Msgs = make([]RawMessage, 0, len(data))
	for _, b := range data {
		var r journalMessage // the message's bytes, not decoded
		if err := wire.Decode(b, &r); err != nil || len(r.Msg) == 0 {
			return &pb.Result{Code: uint32(wire.CodeInternal), Error: "corrupt journal entry"}
		}
		res.Msgs = append(res.Msgs, r.Msg)
	}
	body, err := wire.Marshal(&res)
	if err != nil {
		return &pb.Result{Code: uint32(wire.CodeInternal), Error: err.Error()}
	}
	return &pb.Result{Body: body}
}

func (g *groupGrain) watch(ctx actor.Context, w *pb.Watch) {
	key := w.HubAddress + "/" + w.HubId
	if w.Stop {
		delete(g.watchers, key)
	} else if g.broken == nil && g.m.Exists() {
		exp := g.deps.Now().Add(g.deps.WatchTTL).UnixMilli()
		if cur, ok := g.watchers[key]; ok {
			cur.expires = exp
		} else {
			g.watchers[key] = &watcher{pid: actor.NewPID(w.HubAddress, w.HubId), expires: exp}
		}
	}
	var seq uint64
	if g.m != nil {
		seq = g.m.Durable()
	}
	body, _ := wire.Marshal(wire.SeqResult{Seq: seq})
	code := uint32(0)
	if g.m == nil || !g.m.Exists() {
		code = uint32(wire.CodeNoSuchGroup)
	}
	ctx.Respond(&pb.Result{Code: code, Body: body})
}

// idleSnapshotted settles the snapshot idle commits before passivating.
type idleSnapshotted struct{}

// idle passivates the grain when nothing needs it: no hub watches it and
// nothing is waiting on the store.
func (g *groupGrain) idle(ctx actor.Context) {
	now := g.deps.Now().UnixMilli()
	for k, w := range g.watchers {
		if w.expires < now {
			delete(g.watchers, k)
		}
	}
	if len(g.watchers) > 0 || g.inflight > 0 || len(g.unsent) > 0 || len(g.replies) > 0 || len(g.aux) > 0 || len(g.notices) > 0 || g.commerceBusy() {
		// Proto.Actor's receive timeout fires once: arm it again.
		ctx.SetReceiveTimeout(g.deps.IdleTimeout)
		return
	}
	if g.broken == nil && g.m != nil && g.m.Exists() && g.m.SnapshotStale() {
		if data, seq, err := g.m.Snapshot(); err == nil {
			// Stop only once the snapshot is applied: a new activation
			// started while it is still in flight would read the stream's
			// state before it and have its first write fenced.
			g.inflight++
			self, sys := g.self, g.system
			g.st().Commit(&persistence.Batch{Snapshots: []persistence.Snapshot{{Stream: groupStream(g.id), Seq: seq, Data: data}}}, func(err error) {
				sys.Root.Send(self, idleSnapshotted{})
			})
			ctx.SetReceiveTimeout(g.deps.IdleTimeout)
			return
		}
	}
	g.deps.Stats.passivate(statGroup)
	ctx.Stop(g.self)
}

// st is the activation's store (Deps.Store until ClusterInit binds one).
func (g *groupGrain) st() persistence.Store {
	if g.store != nil {
		return g.store
	}
	return g.deps.Store
}

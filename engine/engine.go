package engine

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	qcluster "github.com/qunchat/qun/cluster"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// Errors of the engine's lifecycle.
var (
	ErrNotStarted = errors.New("engine: not started")
	ErrStarted    = errors.New("engine: already started")
	ErrClosed     = errors.New("engine: closed")
)

// Engine is one Qun node: a cluster member hosting group and user grains, a
// delivery hub, a Pebble store, and the client TCP frontend.
type Engine struct {
	cfg    Config
	log    *slog.Logger
	auth   Authenticator
	secret []byte
	host   *MemoryHost // default for nil hooks
	hooks  Hooks       // with defaults filled in

	store persistence.Store
	node  *qcluster.Node
	hub   *actors.Hub
	index *actors.IndexActor
	deps  *actors.Deps
	ln    net.Listener

	mu      sync.Mutex
	conns   map[*conn]struct{}
	started bool
	closing atomic.Bool
	closed  chan struct{}
	wg      sync.WaitGroup // accept loop and connections
	reqs    sync.WaitGroup // requests in flight
	stats   counters
}

type counters struct {
	conns, slow, badFrames, requests atomic.Int64
}

// New validates cfg and returns an engine that is not yet started.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, log: log, conns: map[*conn]struct{}{}, closed: make(chan struct{})}
	e.host = NewMemoryHost(cfg.DefaultTier)
	e.hooks = cfg.Hooks
	if e.hooks.Profiles == nil {
		e.hooks.Profiles = e.host
	}
	if e.hooks.Social == nil {
		e.hooks.Social = e.host
	}
	if e.hooks.Moderation == nil {
		e.hooks.Moderation = e.host
	}
	if e.hooks.Tiers == nil {
		e.hooks.Tiers = e.host
	}
	return e, nil
}

// Host is the in-memory host behind every hook the config left nil: fill it
// with profiles, follows, tiers and moderation rules.
func (e *Engine) Host() *MemoryHost { return e.host }

// Start opens the store, joins the cluster, starts the hub and listens for
// clients. It returns once clients can connect.
func (e *Engine) Start(ctx context.Context) (err error) {
	e.mu.Lock()
	if e.started {
		e.mu.Unlock()
		return ErrStarted
	}
	e.started = true
	e.mu.Unlock()
	defer func() {
		if err != nil {
			e.teardown()
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	e.secret = e.cfg.Secret
	if len(e.secret) == 0 {
		if e.cfg.DataDir != "" {
			if e.secret, err = LoadOrCreateSecret(e.cfg.DataDir); err != nil {
				return err
			}
		} else {
			raw := make([]byte, 32)
			_, _ = rand.Read(raw)
			e.secret = raw
		}
	}
	e.auth = e.cfg.Hooks.Auth
	if e.auth == nil {
		e.auth = JWTAuth{Secret: e.secret}
	}
	if e.cfg.DataDir == "" {
		e.store = persistence.NewMemory()
	} else {
		if err := os.MkdirAll(e.cfg.DataDir, 0o700); err != nil {
			return fmt.Errorf("engine: data dir: %w", err)
		}
		opts := persistence.DefaultOptions()
		opts.Logger = e.log.With("component", "pebble")
		st, err := persistence.OpenPebble(filepath.Join(e.cfg.DataDir, "pebble"), opts)
		if err != nil {
			return fmt.Errorf("engine: open store: %w", err)
		}
		e.store = st
	}
	e.deps = &actors.Deps{
		Store: e.store, Group: e.cfg.Group, IdleTimeout: e.cfg.GrainIdle, WatchTTL: e.cfg.WatchTTL,
		Logger: e.log.With("component", "actors"),
	}
	if err := e.deps.EnsureDefaults().Validate(); err != nil {
		return err
	}
	rhost, rport, err := splitHostPort(e.cfg.RemoteAddr)
	if err != nil {
		return err
	}
	ncfg := qcluster.DefaultNodeConfig()
	ncfg.RemoteHost, ncfg.RemotePort = rhost, rport
	ncfg.Gossip.BindAddr = e.cfg.GossipAddr
	ncfg.Gossip.Seeds = e.cfg.Join
	ncfg.Kinds = []*pcluster.Kind{actors.GroupKind(e.deps), actors.UserKind(e.deps)}
	ncfg.RequestTimeout = e.cfg.RequestTimeout
	ncfg.Logger = e.log.With("component", "cluster")
	ncfg.ProtoActorLogLevel = slog.LevelWarn
	if e.cfg.Verbose {
		ncfg.ProtoActorLogLevel = slog.LevelInfo
	}
	if e.node, err = qcluster.StartNode(ncfg); err != nil {
		return fmt.Errorf("engine: start cluster node: %w", err)
	}
	if e.hub, err = actors.StartHub(e.node.System, e.node.Cluster, e.deps); err != nil {
		return fmt.Errorf("engine: start hub: %w", err)
	}
	if err := e.startIndex(); err != nil {
		return fmt.Errorf("engine: start index: %w", err)
	}
	if e.ln, err = net.Listen("tcp", e.cfg.Listen); err != nil {
		return fmt.Errorf("engine: listen: %w", err)
	}
	e.wg.Add(1)
	go e.acceptLoop()
	e.log.Info("qun node started", "listen", e.ln.Addr().String(), "gossip", e.node.Provider.GossipAddr(), "remote", e.node.Address(), "data", e.cfg.DataDir)
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	var port int
	if _, err := fmt.Sscanf(p, "%d", &port); err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("engine: bad port in %q", addr)
	}
	return h, port, nil
}

// Addr is the client listen address (useful with port 0).
func (e *Engine) Addr() net.Addr {
	if e.ln == nil {
		return nil
	}
	return e.ln.Addr()
}

// GossipAddr is the memberlist address other nodes join.
func (e *Engine) GossipAddr() string {
	if e.node == nil {
		return ""
	}
	return e.node.Provider.GossipAddr()
}

// Secret is the token secret in use.
func (e *Engine) Secret() []byte { return e.secret }

// MintToken signs a token for user with the engine's secret and TokenTTL.
func (e *Engine) MintToken(user string) (string, error) {
	return MintToken(e.secret, user, e.cfg.TokenTTL)
}

// Stats are the engine's counters.
type Stats struct {
	Conns        int   // open client connections
	ConnsTotal   int64 // accepted since start
	SlowConsumer int64 // connections closed as slow consumers
	BadFrames    int64 // connections closed for a bad frame
	Requests     int64 // requests handled
	Groups       int   // groups watched by this node's hub
	Grains       int64 // group and user grains active on this node
	Store        persistence.Stats
}

// Stats returns the current counters.
func (e *Engine) Stats() Stats {
	e.mu.Lock()
	n := len(e.conns)
	e.mu.Unlock()
	s := Stats{Conns: n, ConnsTotal: e.stats.conns.Load(), SlowConsumer: e.stats.slow.Load(), BadFrames: e.stats.badFrames.Load(), Requests: e.stats.requests.Load()}
	if e.hub != nil {
		s.Groups = e.hub.Stats().Groups
	}
	if e.node != nil {
		s.Grains = e.node.Cluster.VirtualActorCount()
	}
	if e.store != nil {
		s.Store = e.store.Stats()
	}
	return s
}

// Close stops accepting clients, lets requests in flight finish (their
// commits included), closes connections, leaves the cluster and closes the
// store. It is safe to call more than once.
func (e *Engine) Close() error {
	if !e.closing.CompareAndSwap(false, true) {
		<-e.closed
		return nil
	}
	defer close(e.closed)
	if e.ln != nil {
		e.ln.Close()
	}
	// Stop reading new requests; let the ones in flight finish.
	e.mu.Lock()
	for c := range e.conns {
		c.stopReading()
	}
	e.mu.Unlock()
	waitTimeout(&e.reqs, e.cfg.RequestTimeout+time.Second)
	e.mu.Lock()
	for c := range e.conns {
		c.closeWith(wire.CodeShuttingDown, "server shutting down")
	}
	e.mu.Unlock()
	waitTimeout(&e.wg, 5*time.Second)
	return e.teardown()
}

func (e *Engine) teardown() error {
	var errs []error
	if e.hub != nil {
		e.hub.Stop()
	}
	e.stopIndex()
	if e.node != nil {
		errs = append(errs, e.node.Stop(false))
	}
	if e.store != nil {
		errs = append(errs, e.store.Close())
	}
	return errors.Join(errs...)
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}

// ---- grain calls ----

func resultErr(r *pb.Result) error {
	if r.Code == 0 {
		return nil
	}
	return &wire.Error{Code: wire.Code(r.Code), Msg: r.Error}
}

// request calls a grain and waits, retrying as Proto.Actor does.
func (e *Engine) request(kind, id string, c *pb.Call) ([]byte, error) {
	if e.node == nil {
		return nil, ErrNotStarted
	}
	res, err := e.node.Cluster.Request(id, kind, c, pcluster.WithTimeout(e.cfg.RequestTimeout))
	return e.result(res, err)
}

func (e *Engine) result(res any, err error) ([]byte, error) {
	if err != nil {
		if errors.Is(err, actor.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			return nil, wire.Errorf(wire.CodeTimeout, "request timed out")
		}
		return nil, wire.Errorf(wire.CodeUnavailable, "request failed: %v", err)
	}
	r, ok := res.(*pb.Result)
	if !ok {
		return nil, wire.Errorf(wire.CodeInternal, "unexpected reply %T", res)
	}
	if err := resultErr(r); err != nil {
		return nil, err
	}
	return r.Body, nil
}

// future sends a call without waiting, so that calls issued in order from
// one goroutine reach the grain in that order. wait resolves it; a call that
// met a stopped grain is retried with request.
type future struct {
	e    *Engine
	f    actor.Future
	kind string
	id   string
	c    *pb.Call
}

func (e *Engine) future(kind, id string, c *pb.Call) *future {
	f, err := e.node.Cluster.RequestFuture(id, kind, c, pcluster.WithTimeout(e.cfg.RequestTimeout))
	if err != nil {
		f = nil
	}
	return &future{e: e, f: f, kind: kind, id: id, c: c}
}

func (f *future) wait() ([]byte, error) {
	if f.f == nil {
		return f.e.request(f.kind, f.id, f.c)
	}
	res, err := f.f.Result()
	if errors.Is(err, actor.ErrDeadLetter) {
		f.e.node.Cluster.PidCache.Remove(f.id, f.kind)
		return f.e.request(f.kind, f.id, f.c)
	}
	return f.e.result(res, err)
}

func marshalArgs(v any) []byte {
	b, err := wire.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("engine: marshal %T: %v", v, err)) // only our own types are marshalled here
	}
	return b
}

func decodeInto(b []byte, v any) error {
	if err := wire.Decode(b, v); err != nil {
		return wire.Errorf(wire.CodeInternal, "bad reply: %v", err)
	}
	return nil
}

// groupOf extracts the group id from a request's arguments.
func groupOf(args []byte) (string, error) {
	var a wire.GroupArgs
	if len(args) == 0 {
		return "", wire.Errorf(wire.CodeBadRequest, "missing arguments")
	}
	if err := wire.Decode(args, &a); err != nil {
		return "", wire.Errorf(wire.CodeBadRequest, "arguments: %v", err)
	}
	if err := validGroupID(a.Group); err != nil {
		return "", err
	}
	return a.Group, nil
}

// Group ids are "g" followed by 16 base32 characters, or host-chosen ids of
// up to 64 bytes of [A-Za-z0-9_-].
func validGroupID(g string) error {
	if g == "" || len(g) > 64 {
		return wire.Errorf(wire.CodeBadRequest, "invalid group id")
	}
	for i := 0; i < len(g); i++ {
		c := g[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return wire.Errorf(wire.CodeBadRequest, "invalid group id %q", g)
		}
	}
	return nil
}

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func newGroupID() string {
	raw := make([]byte, 10)
	_, _ = rand.Read(raw)
	return "g" + b32.EncodeToString(raw)
}

// pushWait pushes with flow control when the pusher supports it.
func pushWait(p pusher, frame []byte) bool {
	if w, ok := p.(interface{ PushWait([]byte) bool }); ok {
		return w.PushWait(frame)
	}
	return p.Push(frame)
}

// pusher receives frames produced by a request for the caller's own
// connection (resync, catch-up after a join); nil for embedded calls.
type pusher interface {
	Push(frame []byte) bool
}

// do runs one operation for user. args are msgpack bytes (a client's own for
// wire requests). It returns the msgpack result body.
func (e *Engine) do(ctx context.Context, user string, op wire.Op, args []byte, out pusher) ([]byte, error) {
	if e.closing.Load() && out == nil {
		return nil, ErrClosed
	}
	if !directGroupOps[op] {
		e.stats.requests.Add(1) // direct calls count themselves
	}
	if directGroupOps[op] {
		f, err := e.direct(ctx, user, op, args)
		if err != nil {
			return nil, err
		}
		return f.wait()
	}
	if r, handled, err := e.doRules(ctx, user, op, args, out); handled {
		return r, err
	}
	switch op {
	case wire.OpMarkRead, wire.OpPinGroup, wire.OpShowOnProfile:
		return e.request(actors.KindUser, user, &pb.Call{Op: uint32(op), User: user, Args: args})
	case wire.OpCreateGroup:
		return e.createGroup(user, args)
	case wire.OpJoin:
		return e.join(user, args, out)
	case wire.OpLeave:
		return e.leave(user, args)
	case wire.OpMyGroups:
		return e.myGroups(user)
	case wire.OpResync:
		return e.resync(ctx, user, args, out)
	case wire.OpSearch:
		return e.search(args)
	case wire.OpNearby:
		return e.nearby(args)
	case wire.OpProfileGroups:
		return e.profileCards(user, args)
	}
	return nil, wire.Errorf(wire.CodeUnknownOp, "unknown operation %d", uint16(op))
}

func (e *Engine) createGroup(user string, args []byte) ([]byte, error) {
	var a wire.CreateGroupArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), e.cfg.RequestTimeout)
	defer cancel()
	if e.cfg.CreateMinFriends > 0 {
		n, err := e.hooks.Social.MutualFollows(ctx, user)
		if err != nil {
			return nil, hookErr("social graph", err)
		}
		if n < e.cfg.CreateMinFriends {
			return nil, wire.Errorf(wire.CodeNotAllowed, "creating a group needs %d mutual-follow friend(s); you have %d", e.cfg.CreateMinFriends, n)
		}
	}
	tier, err := e.hooks.Tiers.Tier(ctx, user)
	if err != nil {
		return nil, hookErr("tiers", err)
	}
	facts, err := e.facts(ctx, user)
	if err != nil {
		return nil, err
	}
	id := newGroupID()
	if _, err := e.request(actors.KindUser, user, &pb.Call{Op: uint32(actors.OpUserReserve), User: user,
		Args: marshalArgs(actors.UserGroupArgs{Group: id, Name: a.Name, Joined: time.Now().UnixMilli(), Limit: tier.MaxOwnedGroups})}); err != nil {
		return nil, err
	}
	host := marshalArgs(actors.HostFacts{MaxMembers: tier.MaxMembers, Profiles: facts})
	body, err := e.request(actors.KindGroup, id, &pb.Call{Op: uint32(wire.OpCreateGroup), User: user, Args: args, Host: host})
	if err != nil {
		// Give the reserved slot back.
		_, _ = e.request(actors.KindUser, user, &pb.Call{Op: uint32(actors.OpUserRemove), User: user, Args: marshalArgs(actors.UserGroupArgs{Group: id})})
		return nil, err
	}
	e.hub.SubscribeNow(user, id)
	return body, nil
}

func (e *Engine) addUserGroup(user, group, name string, seq uint64) error {
	_, err := e.request(actors.KindUser, user, &pb.Call{Op: uint32(actors.OpUserAdd), User: user,
		Args: marshalArgs(actors.UserGroupArgs{Group: group, Name: name, Joined: time.Now().UnixMilli(), Seq: seq})})
	return err
}

func (e *Engine) join(user string, args []byte, out pusher) ([]byte, error) {
	var a wire.JoinArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	g := a.Group
	if a.Code != "" {
		cg, ok := groupOfCode(a.Code)
		if !ok || (g != "" && g != cg) {
			return nil, wire.Errorf(wire.CodeInvalidCode, "invite code is unknown, expired, used up or revoked")
		}
		g = cg
		args = marshalArgs(wire.JoinArgs{Group: g, Code: a.Code})
	}
	if err := validGroupID(g); err != nil {
		return nil, err
	}
	host, err := e.hostFacts(user)
	if err != nil {
		return nil, err
	}
	body, err := e.request(actors.KindGroup, g, &pb.Call{Op: uint32(wire.OpJoin), User: user, Args: args, Host: host})
	if err != nil {
		return nil, err
	}
	var res wire.JoinResult
	if err := decodeInto(body, &res); err != nil {
		return nil, err
	}
	if err := e.addUserGroup(user, g, res.Name, res.Seq); err != nil {
		return nil, err
	}
	e.hub.SubscribeNow(user, g)
	if out != nil {
		// Messages that became durable between the join and the watch were
		// not pushed here: send them now.
		e.catchUp(user, g, res.Seq, out)
	}
	return body, nil
}

func (e *Engine) leave(user string, args []byte) ([]byte, error) {
	g, err := groupOf(args)
	if err != nil {
		return nil, err
	}
	body, err := e.request(actors.KindGroup, g, &pb.Call{Op: uint32(wire.OpLeave), User: user, Args: args})
	if err != nil {
		return nil, err
	}
	if _, err := e.request(actors.KindUser, user, &pb.Call{Op: uint32(actors.OpUserRemove), User: user,
		Args: marshalArgs(actors.UserGroupArgs{Group: g})}); err != nil {
		return nil, err
	}
	e.hub.Unsubscribe(user, g)
	return body, nil
}

// userGroups lists the ids of a user's groups.
func (e *Engine) userGroups(user string) ([]actors.UserGroup, error) {
	body, err := e.request(actors.KindUser, user, &pb.Call{Op: uint32(actors.OpUserGroups), User: user})
	if err != nil {
		return nil, err
	}
	var res actors.UserGroupsResult
	if err := decodeInto(body, &res); err != nil {
		return nil, err
	}
	return res.Groups, nil
}

func (e *Engine) myGroups(user string) ([]byte, error) {
	ugs, err := e.userGroups(user)
	if err != nil {
		return nil, err
	}
	out := make([]wire.MyGroup, len(ugs))
	keep := make([]bool, len(ugs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, ug := range ugs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			mg := wire.MyGroup{Group: ug.Group, Name: ug.Name, ReadSeq: ug.ReadSeq, Pinned: ug.Pinned}
			body, err := e.request(actors.KindGroup, ug.Group, &pb.Call{Op: uint32(actors.OpSummary), User: user})
			var s actors.GroupSummary
			if err == nil && decodeInto(body, &s) == nil {
				if !s.Member {
					// Removed, or the group was dissolved: drop it from the list.
					_ = e.userCall(user, actors.OpUserRemove, actors.UserGroupArgs{Group: ug.Group})
					return
				}
				mg.Name, mg.LastSeq, mg.LastTime = s.Info.Name, s.Info.LastSeq, s.Info.LastTime
				if mg.LastSeq > mg.ReadSeq {
					mg.Unread = mg.LastSeq - mg.ReadSeq
				}
			} else if wire.CodeOf(err) == wire.CodeNoSuchGroup {
				_ = e.userCall(user, actors.OpUserRemove, actors.UserGroupArgs{Group: ug.Group})
				return
			}
			out[i], keep[i] = mg, true
		}()
	}
	wg.Wait()
	res := wire.MyGroupsResult{Groups: make([]wire.MyGroup, 0, len(out))}
	for i := range out {
		if keep[i] {
			res.Groups = append(res.Groups, out[i])
		}
	}
	sort.SliceStable(res.Groups, func(i, j int) bool {
		a, b := res.Groups[i], res.Groups[j]
		if a.Pinned != b.Pinned {
			return a.Pinned
		}
		if a.LastTime != b.LastTime {
			return a.LastTime > b.LastTime
		}
		return a.Group < b.Group
	})
	return wire.Marshal(&res)
}

// MaxResyncGroups bounds the groups named in one resync.
const MaxResyncGroups = 4096

func (e *Engine) resync(ctx context.Context, user string, args []byte, out pusher) ([]byte, error) {
	var a wire.ResyncArgs
	if err := parseArgs(args, &a); err != nil {
		return nil, err
	}
	if len(a.Groups) > MaxResyncGroups {
		return nil, wire.Errorf(wire.CodeBadRequest, "more than %d groups", MaxResyncGroups)
	}
	ids := make([]string, 0, len(a.Groups))
	for g := range a.Groups {
		ids = append(ids, g)
	}
	sort.Strings(ids)
	res := wire.ResyncResult{Groups: make([]wire.ResyncGroup, 0, len(ids))}
	for _, g := range ids {
		if ctx.Err() != nil {
			break
		}
		res.Groups = append(res.Groups, e.resyncGroup(user, g, a.Groups[g], out))
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
		body, err := e.request(actors.KindGroup, g, &pb.Call{Op: uint32(wire.OpHistory), User: user,
			Args: marshalArgs(wire.HistoryArgs{Group: g, After: wire.After(after), Limit: e.cfg.Group.PageMax})})
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

func orEmpty(b []byte) []byte {
	if len(b) == 0 {
		return []byte{0x80}
	}
	return b
}

// direct hands a direct group operation to its grain without waiting, so
// that calls issued in order from one goroutine arrive in that order.
func (e *Engine) direct(ctx context.Context, user string, op wire.Op, args []byte) (*future, error) {
	g, err := groupOf(args)
	if err != nil {
		return nil, err
	}
	if op == wire.OpSend {
		if err := e.checkText(ctx, g, user, args); err != nil {
			return nil, err
		}
	}
	e.stats.requests.Add(1)
	return e.future(actors.KindGroup, g, &pb.Call{Op: uint32(op), User: user, Args: args}), nil
}

// parseArgs decodes a request's arguments (absent = empty map) into v.
func parseArgs(args []byte, v any) error {
	if err := wire.Decode(orEmpty(args), v); err != nil {
		return wire.Errorf(wire.CodeBadRequest, "arguments: %v", err)
	}
	return nil
}

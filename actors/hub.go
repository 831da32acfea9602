package actors

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors/pb"
)

// Conn is a client connection as the hub sees it.
type Conn interface {
	// User is the authenticated user id.
	User() string
	// Push enqueues a complete frame without blocking. It returns false when
	// the connection's outbound queue is full; the connection then closes
	// itself as a slow consumer (the client resyncs when it returns).
	Push(frame []byte) bool
}

// Hub is a node's delivery actor: it holds the node's live connections by
// group and writes each pushed frame to every subscribed connection. Groups
// send one message per node, not one per member.
type Hub struct {
	pid    *actor.PID
	system *actor.ActorSystem
	cl     *cluster.Cluster
	deps   *Deps
	watch  chan string // groups whose watch to renew or establish
	stop   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once

	delivered atomic.Uint64 // see Delivered
	// Live rooms (hub_room.go).
	reports   chan hubReport
	roomStats roomCounters
}

type hubAttach struct {
	c      Conn
	groups []string
	user   string // with c == nil: subscribe this user's connections
	reply  chan []string
}
type hubDetach struct{ c Conn }
type hubRenew struct{}

// HubStats is a snapshot of the hub's counters.
type HubStats struct {
	Conns, Groups int
}
type hubStatsReq struct{ ch chan HubStats }

// StartHub spawns the node's hub.
func StartHub(system *actor.ActorSystem, cl *cluster.Cluster, d *Deps) (*Hub, error) {
	h := &Hub{system: system, cl: cl, deps: d, watch: make(chan string, 1<<16), stop: make(chan struct{})}
	props := actor.PropsFromProducer(func() actor.Actor {
		return &hubActor{h: h, groups: map[string]map[Conn]struct{}{}, users: map[string]map[Conn]struct{}{}, conns: map[Conn]map[string]struct{}{}}
	})
	pid, err := system.Root.SpawnNamed(props, HubName)
	if err != nil {
		return nil, err
	}
	h.pid = pid
	h.startRooms()
	for i := 0; i < 4; i++ {
		h.wg.Add(1)
		go h.watcher()
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		t := time.NewTicker(d.WatchTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-h.stop:
				return
			case <-t.C:
				system.Root.Send(pid, hubRenew{})
			}
		}
	}()
	return h, nil
}

// PID is the hub's address.
func (h *Hub) PID() *actor.PID { return h.pid }

// Attach registers a connection, subscribes it to groups, and makes sure
// this node watches each of them before it returns, so that a resync issued
// afterwards leaves no window in which a message is neither pushed nor read.
func (h *Hub) Attach(c Conn, groups []string) {
	h.attach(&hubAttach{c: c, groups: groups, reply: make(chan []string, 1)})
}

// SubscribeNow subscribes a user's local connections to a group and waits
// until this node watches the group (used after a join).
func (h *Hub) SubscribeNow(user, group string) {
	h.attach(&hubAttach{user: user, groups: []string{group}, reply: make(chan []string, 1)})
}

func (h *Hub) attach(m *hubAttach) {
	h.system.Root.Send(h.pid, m)
	var fresh []string
	select {
	case fresh = <-m.reply:
	case <-time.After(10 * time.Second):
		return
	}
	h.WatchNow(fresh)
}

// WatchNow registers this hub as a watcher of each group and waits for the
// answers (bounded by the cluster request timeout).
func (h *Hub) WatchNow(groups []string) {
	if len(groups) == 0 {
		return
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, _ = h.cl.Request(g, KindGroup, &pb.Watch{Group: g, HubAddress: h.pid.Address, HubId: h.pid.Id}, cluster.WithTimeout(5*time.Second))
		}()
	}
	wg.Wait()
}

// Detach forgets a connection.
func (h *Hub) Detach(c Conn) { h.system.Root.Send(h.pid, &hubDetach{c: c}) }

// Subscribe subscribes a user's local connections to a group without
// waiting (SubscribeNow waits for the watch).
func (h *Hub) Subscribe(user, group string) {
	h.system.Root.Send(h.pid, &pb.Subscribe{User: user, Group: group})
}

// Unsubscribe unsubscribes a user's local connections from a group.
func (h *Hub) Unsubscribe(user, group string) {
	h.system.Root.Send(h.pid, &pb.Subscribe{User: user, Group: group, Stop: true})
}

// Delivered is the number of group pushes handed to connections (one per
// connection per delivered frame); it reads an atomic, without asking the hub.
func (h *Hub) Delivered() uint64 { return h.delivered.Load() }

// Stats asks the hub for its counters.
func (h *Hub) Stats() HubStats {
	ch := make(chan HubStats, 1)
	h.system.Root.Send(h.pid, &hubStatsReq{ch: ch})
	select {
	case s := <-ch:
		return s
	case <-time.After(5 * time.Second):
		return HubStats{}
	}
}

// Stop stops the hub and its watch workers.
func (h *Hub) Stop() {
	h.once.Do(func() {
		close(h.stop)
		h.wg.Wait()
		_ = h.system.Root.StopFuture(h.pid).Wait()
	})
}

func (h *Hub) watcher() {
	defer h.wg.Done()
	addr, id := h.pid.Address, h.pid.Id
	for {
		select {
		case <-h.stop:
			return
		case g := <-h.watch:
			_, _ = h.cl.Request(g, KindGroup, &pb.Watch{Group: g, HubAddress: addr, HubId: id}, cluster.WithTimeout(5*time.Second))
		}
	}
}

func (h *Hub) requestWatch(group string) {
	select {
	case h.watch <- group:
	default: // full: the next renewal retries
	}
}

type hubActor struct {
	h       *Hub
	groups  map[string]map[Conn]struct{}
	users   map[string]map[Conn]struct{}
	conns   map[Conn]map[string]struct{}
	rooms   map[string]*hubRoom // live rooms with local viewers (hub_room.go)
	traffic map[string]uint64   // deliveries per watched group (hubtraffic.go)
}

func (a *hubActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *pb.Deliver:
		a.deliver(m)
	case *hubTopReq:
		m.ch <- a.top(m.n)
	case *hubAttach:
		var fresh []string
		if m.c == nil {
			for c := range a.users[m.user] {
				for _, g := range m.groups {
					if a.sub(c, g) {
						fresh = append(fresh, g)
					}
				}
			}
			m.reply <- fresh
			return
		}
		if _, ok := a.conns[m.c]; !ok {
			a.conns[m.c] = map[string]struct{}{}
			u := m.c.User()
			if a.users[u] == nil {
				a.users[u] = map[Conn]struct{}{}
			}
			a.users[u][m.c] = struct{}{}
		}
		for _, g := range m.groups {
			if a.sub(m.c, g) {
				fresh = append(fresh, g)
			}
		}
		m.reply <- fresh
	case *hubDetach:
		gs, ok := a.conns[m.c]
		if !ok {
			return
		}
		for g := range gs {
			a.unsub(m.c, g)
		}
		delete(a.conns, m.c)
		u := m.c.User()
		delete(a.users[u], m.c)
		if len(a.users[u]) == 0 {
			delete(a.users, u)
		}
	case *pb.Subscribe:
		for c := range a.users[m.User] {
			if m.Stop {
				a.unsub(c, m.Group)
			} else if a.sub(c, m.Group) {
				a.h.requestWatch(m.Group)
			}
		}
	case hubRenew:
		for g := range a.groups {
			a.h.requestWatch(g)
		}
	case *hubStatsReq:
		m.ch <- HubStats{Conns: len(a.conns), Groups: len(a.groups)}
	default:
		a.receiveRoom(m)
	}
}

// sub subscribes c to g and reports whether g is newly watched by this node
// (the caller must then register the watch).
func (a *hubActor) sub(c Conn, g string) bool {
	gs, ok := a.conns[c]
	if !ok {
		return false
	}
	if _, ok := gs[g]; ok {
		return false
	}
	gs[g] = struct{}{}
	set := a.groups[g]
	fresh := set == nil
	if fresh {
		set = map[Conn]struct{}{}
		a.groups[g] = set
	}
	set[c] = struct{}{}
	return fresh
}

func (a *hubActor) unsub(c Conn, g string) {
	if gs, ok := a.conns[c]; ok {
		delete(gs, g)
	}
	set := a.groups[g]
	if set == nil {
		return
	}
	delete(set, c)
	if len(set) == 0 {
		// No stop is sent: an asynchronous stop could overtake a newer
		// watch from a connection that arrives meanwhile, and leave the
		// group unwatched. The group forgets this hub when the lease runs
		// out; until then a delivery here finds no subscriber and is dropped.
		delete(a.groups, g)
		delete(a.traffic, g)
	}
}

func (a *hubActor) deliver(d *pb.Deliver) {
	if len(d.OnlyUsers) > 0 { // a notice: to these users' connections, subscribed or not
		for _, u := range d.OnlyUsers {
			for c := range a.users[u] {
				c.Push(d.Frame)
			}
		}
		return
	}
	if isRoomBatch(d.Frame) {
		a.deliverRoom(d)
		return
	}
	for _, u := range d.AddUsers {
		for c := range a.users[u] {
			a.sub(c, d.Group) // this hub already watches d.Group
		}
	}
	for c := range a.groups[d.Group] {
		c.Push(d.Frame)
	}
	a.h.delivered.Add(uint64(len(a.groups[d.Group]))) // one add per delivery, by the hub's goroutine alone
	a.count(d.Group, len(a.groups[d.Group]))
	for _, u := range d.RemoveUsers {
		for c := range a.users[u] {
			a.unsub(c, d.Group)
		}
	}
	if d.Closed {
		for c := range a.groups[d.Group] {
			a.unsub(c, d.Group)
		}
	}
}

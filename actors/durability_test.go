package actors

import (
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// hubBox is a recording hub: the Deliver messages a grain sends to it.
type hubBox struct{ ch chan *pb.Deliver }

func (h hubBox) SendUserMessage(_ *actor.PID, m any) {
	if d, ok := actor.UnwrapEnvelopeMessage(m).(*pb.Deliver); ok {
		h.ch <- d
	}
}
func (hubBox) SendSystemMessage(*actor.PID, any) {}
func (hubBox) Stop(*actor.PID)                   {}

// durableGrain starts a group grain over a gated store with a recording
// hub watching it, and creates group g1 (released, so the group exists).
func durableGrain(t *testing.T, idle time.Duration) (*actor.ActorSystem, *actor.PID, *gatedStore, answerBox, hubBox) {
	t.Helper()
	store := &gatedStore{Store: persistence.NewMemory()}
	d := (&Deps{Store: store, IdleTimeout: idle}).EnsureDefaults()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	t.Cleanup(sys.Shutdown)
	grain := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &groupGrain{deps: d} }))
	sys.Root.Send(grain, &cluster.ClusterInit{Identity: cluster.NewClusterIdentity("g1", KindGroup)})
	box := answerBox{ch: make(chan *pb.BatchResult, 64)}
	reply, _ := sys.ProcessRegistry.Add(box, "answers")
	hub := hubBox{ch: make(chan *pb.Deliver, 64)}
	hubPID, _ := sys.ProcessRegistry.Add(hub, "hub")
	t.Cleanup(func() { sys.ProcessRegistry.Remove(reply); sys.ProcessRegistry.Remove(hubPID) })

	sys.Root.Send(grain, &pb.Batch{
		Calls:        []*pb.Call{{Op: uint32(wire.OpCreateGroup), User: "owner", Args: args(t, wire.CreateGroupArgs{Name: "g"})}},
		Corr:         []uint64{1},
		ReplyAddress: reply.Address, ReplyId: reply.Id,
	})
	waitHolding(t, store, 1)
	store.release()
	if r := box.next(t); r.Results[0].Code != 0 {
		t.Fatalf("create: code %d", r.Results[0].Code)
	}
	if _, err := sys.Root.RequestFuture(grain, &pb.Watch{Group: "g1", HubAddress: hubPID.Address, HubId: hubPID.Id}, 10*time.Second).Result(); err != nil {
		t.Fatalf("watch: %v", err)
	}
	return sys, grain, store, box, hub
}

func waitHolding(t *testing.T, s *gatedStore, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for s.holding() < n {
		if time.Now().After(deadline) {
			t.Fatalf("store holds %d commits, want %d", s.holding(), n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// TestNothingSeenBeforeDurable: while the store holds a commit, no member
// is pushed a message and no sender is acknowledged; once it is released,
// every acknowledgement and every push comes, pushes in seq order.
func TestNothingSeenBeforeDurable(t *testing.T) {
	sys, grain, store, box, hub := durableGrain(t, time.Minute)
	reply := actor.NewPID(sys.Address(), "answers")
	const n = 5
	calls := make([]*pb.Call, n)
	corr := make([]uint64, n)
	for i := range calls {
		text := string(rune('a' + i))
		calls[i] = &pb.Call{Op: uint32(wire.OpSend), User: "owner", Args: args(t, wire.SendArgs{Group: "g1", CMID: text, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: text}}})}
		corr[i] = uint64(10 + i)
	}
	sys.Root.Send(grain, &pb.Batch{Calls: calls, Corr: corr, ReplyAddress: reply.Address, ReplyId: reply.Id})
	waitHolding(t, store, 1)
	// A read through the grain's mailbox: everything sent before it has
	// been handled, so anything it would push or answer early is queued.
	if _, err := sys.Root.RequestFuture(grain, &pb.Watch{Group: "g1", HubAddress: sys.Address(), HubId: "hub"}, 10*time.Second).Result(); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-box.ch:
		t.Fatalf("acknowledged %v before the commit was durable", r.Corr)
	case d := <-hub.ch:
		t.Fatalf("pushed seqs %d..%d before the commit was durable", d.FirstSeq, d.LastSeq)
	default:
	}
	store.release()
	acked := 0
	for acked < n {
		r := box.next(t)
		for _, res := range r.Results {
			if res.Code != 0 {
				t.Fatalf("send refused: %d", res.Code)
			}
		}
		acked += len(r.Corr)
	}
	var next uint64
	deadline := time.After(10 * time.Second)
	for pushed := 0; pushed < n; {
		select {
		case d := <-hub.ch:
			if next != 0 && d.FirstSeq != next {
				t.Fatalf("push starts at seq %d, want %d", d.FirstSeq, next)
			}
			pushed += int(d.LastSeq - d.FirstSeq + 1)
			next = d.LastSeq + 1
		case <-deadline:
			t.Fatal("pushes missing after the release")
		}
	}
}

// TestPassivationWaitsForItsSnapshot: an idle grain that snapshots before
// passivating stays up until the snapshot is settled, so no new activation
// can read the stream while that write is in flight.
func TestPassivationWaitsForItsSnapshot(t *testing.T) {
	sys, grain, store, box, _ := durableGrain(t, 50*time.Millisecond)
	reply := actor.NewPID(sys.Address(), "answers")
	sys.Root.Send(grain, &pb.Batch{
		Calls:        []*pb.Call{{Op: uint32(wire.OpSend), User: "owner", Args: args(t, wire.SendArgs{Group: "g1", CMID: "x", Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: "x"}}})}},
		Corr:         []uint64{7},
		ReplyAddress: reply.Address, ReplyId: reply.Id,
	})
	waitHolding(t, store, 1)
	store.release()
	box.next(t)
	// Unwatch so that idleness is reached; the snapshot commit is then held.
	sys.Root.Send(grain, &pb.Watch{Group: "g1", HubAddress: sys.Address(), HubId: "hub", Stop: true})
	waitHolding(t, store, 1)
	if _, alive := sys.ProcessRegistry.GetLocal(grain.Id); !alive {
		t.Fatal("grain stopped with its snapshot still in flight")
	}
	store.release()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, alive := sys.ProcessRegistry.GetLocal(grain.Id); !alive {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("grain did not passivate once its snapshot was settled")
		}
		time.Sleep(5 * time.Millisecond)
	}
	snap, ok, err := store.LoadSnapshot(groupStream("g1"))
	if err != nil || !ok || snap.Seq == 0 {
		t.Fatalf("snapshot after passivation: %v %v %v", snap.Seq, ok, err)
	}
}

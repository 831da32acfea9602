package actors

import (
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// gatedStore holds every commit until release.
type gatedStore struct {
	persistence.Store
	mu   sync.Mutex
	held []func()
}

func (s *gatedStore) Commit(b *persistence.Batch, done func(error)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.held = append(s.held, func() { s.Store.Commit(b, done) })
}

func (s *gatedStore) holding() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}

func (s *gatedStore) release() {
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.mu.Unlock()
	for _, f := range held {
		f()
	}
}

// answerBox is a reply process that collects BatchResults.
type answerBox struct{ ch chan *pb.BatchResult }

func (a answerBox) SendUserMessage(_ *actor.PID, m any) {
	if r, ok := actor.UnwrapEnvelopeMessage(m).(*pb.BatchResult); ok {
		a.ch <- r
	}
}
func (answerBox) SendSystemMessage(*actor.PID, any) {}
func (answerBox) Stop(*actor.PID)                   {}

func (a answerBox) next(t *testing.T) *pb.BatchResult {
	t.Helper()
	select {
	case r := <-a.ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no answer")
		return nil
	}
}

// TestBatchAnswersOnceDurable: a grain runs a batch's calls in order, in
// one store commit; a refusal is answered at once, and every write's
// answer waits for the commit, then all of them come in one message.
func TestBatchAnswersOnceDurable(t *testing.T) {
	store := &gatedStore{Store: persistence.NewMemory()}
	d := (&Deps{Store: store}).EnsureDefaults()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	defer sys.Shutdown()
	grain := sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &groupGrain{deps: d} }))
	defer sys.Root.Stop(grain)
	sys.Root.Send(grain, &cluster.ClusterInit{Identity: cluster.NewClusterIdentity("g1", KindGroup)})
	box := answerBox{ch: make(chan *pb.BatchResult, 16)}
	reply, _ := sys.ProcessRegistry.Add(box, "answers")
	defer sys.ProcessRegistry.Remove(reply)

	send := func(user, text string) *pb.Call {
		return &pb.Call{Op: uint32(wire.OpSend), User: user, Args: args(t, wire.SendArgs{Group: "g1", CMID: text, Type: wire.MsgText, Body: wire.Body{Text: &wire.TextBody{Text: text}}})}
	}
	sys.Root.Send(grain, &pb.Batch{
		Calls: []*pb.Call{
			{Op: uint32(wire.OpCreateGroup), User: "owner", Args: args(t, wire.CreateGroupArgs{Name: "g"})},
			send("owner", "a"),
			send("stranger", "no"), // not a member: refused at once
			send("owner", "b"),
			send("owner", "c"),
		},
		Corr:         []uint64{11, 12, 13, 14, 15},
		ReplyAddress: reply.Address, ReplyId: reply.Id,
	})
	refusal := box.next(t)
	if len(refusal.Corr) != 1 || refusal.Corr[0] != 13 || refusal.Results[0].Code != uint32(wire.CodeNotMember) {
		t.Fatalf("first answer %v, want the stranger's refusal alone", refusal)
	}
	for i := 0; store.holding() == 0; i++ { // the flush follows the batch in the mailbox
		if i == 1000 {
			t.Fatal("nothing handed to the store")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := store.holding(); n != 1 {
		t.Fatalf("%d commits for one batch, want 1", n)
	}
	select {
	case r := <-box.ch:
		t.Fatalf("answered %v before the commit was durable", r.Corr)
	default:
	}
	store.release()
	r := box.next(t)
	if len(r.Corr) != 4 || len(r.Results) != 4 {
		t.Fatalf("durable answers %v: want the four writes in one message", r.Corr)
	}
	var last uint64
	for i, want := range []uint64{11, 12, 14, 15} {
		if r.Corr[i] != want || r.Results[i].Code != 0 {
			t.Fatalf("answer %d: corr %d code %d, want corr %d ok", i, r.Corr[i], r.Results[i].Code, want)
		}
		var seq wire.SeqResult // create and send both answer with the seq
		if err := wire.Decode(r.Results[i].Body, &seq); err != nil || seq.Seq <= last {
			t.Fatalf("answer %d: seq %d after %d (%v)", i, seq.Seq, last, err)
		}
		last = seq.Seq
	}
}

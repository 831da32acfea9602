package actors

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/persistence"
	"github.com/qunchat/qun/wire"
)

// IndexActor is a node's running discovery index (actor IndexName).
type IndexActor struct {
	pid    *actor.PID
	system *actor.ActorSystem
	once   sync.Once
}

// StartIndex spawns the node's index actor, which first rebuilds the index
// from the store's index keys (IndexKey) (entries that do not decode are logged and
// skipped). It returns once the index is built. Entries sent while it
// rebuilds wait in its mailbox and are applied after the rebuild.
func StartIndex(system *actor.ActorSystem, store persistence.Store, logger *slog.Logger) (*IndexActor, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ready := make(chan error, 1)
	props := actor.PropsFromProducer(func() actor.Actor {
		return &indexActor{store: store, log: logger, ready: ready}
	})
	pid, err := system.Root.SpawnNamed(props, IndexName)
	if err != nil {
		return nil, fmt.Errorf("actors: spawn index: %w", err)
	}
	select {
	case err = <-ready:
	case <-time.After(5 * time.Minute):
		err = errors.New("index rebuild timed out")
	}
	if err != nil {
		_ = system.Root.StopFuture(pid).Wait()
		return nil, fmt.Errorf("actors: start index: %w", err)
	}
	return &IndexActor{pid: pid, system: system}, nil
}

// PID is the index actor's address.
func (ia *IndexActor) PID() *actor.PID { return ia.pid }

// Stop stops the index actor and waits for it. Idempotent.
func (ia *IndexActor) Stop() {
	ia.once.Do(func() { _ = ia.system.Root.StopFuture(ia.pid).Wait() })
}

type indexActor struct {
	store persistence.Store
	log   *slog.Logger
	ready chan error
	idx   *Index
}

// rebuildIndex loads every index entry of the store.
func rebuildIndex(store persistence.Store, log *slog.Logger) (*Index, error) {
	idx := NewIndex()
	bad := 0
	err := store.Scan(indexKeyPrefix, func(key string, value []byte) bool {
		var e IndexEntry
		group := strings.TrimPrefix(key, indexKeyPrefix)
		if err := wire.Decode(value, &e); err != nil {
			bad++
			log.Warn("skipping bad index entry", slog.String("key", key), slog.Any("err", err))
			return true
		}
		if e.Group == "" {
			e.Group = group
		}
		if e.Group != group {
			bad++
			log.Warn("skipping index entry under another group's key", slog.String("key", key), slog.String("group", e.Group))
			return true
		}
		_ = idx.Put(e)
		return true
	})
	if err != nil {
		return nil, err
	}
	if bad > 0 {
		log.Warn("index rebuilt with bad entries skipped", slog.Int("groups", idx.Len()), slog.Int("skipped", bad))
	}
	return idx, nil
}

func (a *indexActor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		idx, err := rebuildIndex(a.store, a.log)
		if err != nil {
			a.log.Error("index rebuild failed", slog.Any("err", err))
			idx = NewIndex()
		}
		a.idx = idx
		select {
		case a.ready <- err:
		default: // a restart after StartIndex returned
		}
	case *pb.Call:
		body, err := a.handle(m)
		if ctx.Sender() == nil {
			if err != nil {
				a.log.Warn("index call failed", slog.Int("op", int(m.Op)), slog.Any("err", err))
			}
			return
		}
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) {
				we = wire.Errorf(wire.CodeInternal, "%v", err)
			}
			ctx.Respond(&pb.Result{Code: uint32(we.Code), Error: we.Msg})
			return
		}
		ctx.Respond(&pb.Result{Body: body})
	}
}

func (a *indexActor) handle(c *pb.Call) ([]byte, error) {
	var cards []wire.GroupCard
	var err error
	switch wire.Op(c.Op) {
	case OpIndexPut:
		e, werr := wire.Args[IndexEntry](c.Args)
		if werr != nil {
			return nil, werr
		}
		if err := a.idx.Put(e); err != nil {
			return nil, wire.Errorf(wire.CodeBadRequest, "%v", err)
		}
		return wire.Marshal(wire.Empty{})
	case OpIndexSearch:
		cards, err = query(c.Args, a.idx.Search)
	case OpIndexNearby:
		cards, err = query(c.Args, a.idx.Nearby)
	case OpIndexGet:
		cards, err = query(c.Args, func(g IndexGetArgs) ([]wire.GroupCard, error) { return a.idx.Get(g.Groups) })
	case OpIndexByOwner:
		cards, err = query(c.Args, func(u wire.UserArgs) ([]wire.GroupCard, error) { return a.idx.ByOwner(u.User), nil })
	case OpIndexShops:
		cards, err = query(c.Args, func(u wire.UserArgs) ([]wire.GroupCard, error) { return a.idx.Shops(u.User), nil })
	default:
		return nil, wire.Errorf(wire.CodeUnknownOp, "unknown index operation %d", c.Op)
	}
	if err != nil {
		return nil, err
	}
	return wire.Marshal(&wire.SearchResult{Groups: cards})
}

// query decodes a query's arguments into T and runs it.
func query[T any](args []byte, run func(T) ([]wire.GroupCard, error)) ([]wire.GroupCard, error) {
	a, err := wire.Args[T](args)
	if err != nil {
		return nil, err
	}
	return run(a)
}

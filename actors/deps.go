package actors

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/qunchat/qun/persistence"
)

// Deps is what the grains of one node share. The engine builds it, calls
// EnsureDefaults, then Validate.
type Deps struct {
	// Store is the node's store. Required.
	Store persistence.Store
	// Group bounds group behaviour. Default DefaultGroupConfig().
	Group GroupConfig
	// IdleTimeout passivates a grain that received nothing for this long and
	// has no watching hub. Default 2 minutes.
	IdleTimeout time.Duration
	// WatchTTL is how long a group remembers a hub that stopped renewing its
	// watch. Hubs renew every WatchTTL/3. Default 30 s.
	WatchTTL time.Duration
	// Logger receives errors; nothing is logged on hot paths. Default discard.
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Stats counts grains by kind, if set (metrics). Default nil: none.
	Stats *GrainStats
	// OnHostEvent receives host events (offline pushes, diversion reports)
	// once their message is durable. It is called from the grain, so it
	// must not block. Default: drop them.
	OnHostEvent func(HostEvent)
	// StoreFor, when set, returns the store one grain activation of kind
	// (KindGroup, KindUser) and id reads and persists through, asked once
	// when the activation starts (the engine binds it to the grain's shard
	// and leader epoch). Default nil, or a nil result: Store.
	StoreFor func(kind, id string) persistence.Store
}

// storeFor returns the store of a new activation of (kind, id).
func (d *Deps) storeFor(kind, id string) persistence.Store {
	if d.StoreFor != nil {
		if s := d.StoreFor(kind, id); s != nil {
			return s
		}
	}
	return d.Store
}

// EnsureDefaults fills every unset field with its documented default and
// returns d.
func (d *Deps) EnsureDefaults() *Deps {
	if d.Group.MaxMembers == 0 && d.Group.PageMax == 0 {
		d.Group = DefaultGroupConfig()
	}
	if d.IdleTimeout <= 0 {
		d.IdleTimeout = 2 * time.Minute
	}
	if d.WatchTTL <= 0 {
		d.WatchTTL = 30 * time.Second
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.OnHostEvent == nil {
		d.OnHostEvent = func(HostEvent) {}
	}
	return d
}

// Validate reports a missing or bad field. It changes nothing.
func (d *Deps) Validate() error {
	switch {
	case d.Store == nil:
		return fmt.Errorf("actors: Deps.Store is required")
	case d.IdleTimeout <= 0:
		return fmt.Errorf("actors: Deps.IdleTimeout %v <= 0", d.IdleTimeout)
	case d.WatchTTL <= 0:
		return fmt.Errorf("actors: Deps.WatchTTL %v <= 0", d.WatchTTL)
	case d.Logger == nil || d.Now == nil:
		return fmt.Errorf("actors: Deps.Logger and Deps.Now are required (see EnsureDefaults)")
	}
	return d.Group.Validate()
}

// grainKind is the cluster kind of grains made by grain.
func grainKind(kind string, grain func() actor.Actor) *cluster.Kind {
	return cluster.NewKind(kind, actor.PropsFromProducer(grain, actor.WithDispatcher(warm)))
}

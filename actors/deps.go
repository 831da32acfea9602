package actors

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/qunchat/qun/persistence"
)

// Kind names of the grains, as registered with the cluster.
const (
	KindGroup = "group"
	KindUser  = "user"
)

// Deps is what the grains of one node share. The engine builds it.
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
}

// Validate fills defaults and reports a bad field.
func (d *Deps) Validate() error {
	if d.Store == nil {
		return fmt.Errorf("actors: Deps.Store is required")
	}
	if d.Group.MaxMembers == 0 && d.Group.PageMax == 0 {
		d.Group = DefaultGroupConfig()
	}
	if err := d.Group.Validate(); err != nil {
		return err
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
	return nil
}

func groupStream(id string) string { return "g/" + id }
func userKey(id string) string     { return "u/" + id }

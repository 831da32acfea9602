package actors

import "sync/atomic"

// GrainStats counts this node's grains by kind, for metrics. The grains
// update it from their own goroutines on start, stop and passivation (never
// per message); readers load it at any time.
type GrainStats struct {
	active, passivated [2]atomic.Int64 // [0] groups, [1] users
}

const (
	statGroup = 0
	statUser  = 1
)

// ActiveGroups is the number of group grains running on this node.
func (s *GrainStats) ActiveGroups() int64 { return s.active[statGroup].Load() }

// ActiveUsers is the number of user grains running on this node.
func (s *GrainStats) ActiveUsers() int64 { return s.active[statUser].Load() }

// PassivatedGroups is how many group grains stopped for being idle.
func (s *GrainStats) PassivatedGroups() int64 { return s.passivated[statGroup].Load() }

// PassivatedUsers is how many user grains stopped for being idle.
func (s *GrainStats) PassivatedUsers() int64 { return s.passivated[statUser].Load() }

func (s *GrainStats) started(k int) {
	if s != nil {
		s.active[k].Add(1)
	}
}

func (s *GrainStats) stopped(k int) {
	if s != nil {
		s.active[k].Add(-1)
	}
}

func (s *GrainStats) passivate(k int) {
	if s != nil {
		s.passivated[k].Add(1)
	}
}

package engine

import (
	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors"
)

// BatchCounts is how many batch messages the engines of this test process
// sent to group grains, and how many calls they carried (batch.go).
func BatchCounts() (batches, calls int64) { return batchesSent.Load(), batchedCalls.Load() }

// StaleGroupPID makes e's PID cache name, for group, a process of this node
// that does not exist, as after the grain stopped.
func StaleGroupPID(e *Engine, group string) {
	e.node.Cluster.PidCache.Set(group, actors.KindGroup, actor.NewPID(e.node.System.Address(), "gone"+e.node.System.ProcessRegistry.NextID()))
}

// MuteGroupPID makes e's PID cache name, for group, a process of this node
// that swallows every message, as a grain that never answers.
func MuteGroupPID(e *Engine, group string) {
	pid, _ := e.node.System.ProcessRegistry.Add(mute{}, "mute"+e.node.System.ProcessRegistry.NextID())
	e.node.Cluster.PidCache.Set(group, actors.KindGroup, pid)
}

// ForgetGroupPID drops group from e's PID cache.
func ForgetGroupPID(e *Engine, group string) { e.node.Cluster.PidCache.Remove(group, actors.KindGroup) }

type mute struct{}

func (mute) SendUserMessage(*actor.PID, any)   {}
func (mute) SendSystemMessage(*actor.PID, any) {}
func (mute) Stop(*actor.PID)                   {}

package cluster

import (
	"os"
	"testing"

	"github.com/qunchat/qun/internal/leaktest"
)

func TestMain(m *testing.M) {
	if seed, ok := os.LookupEnv(childEnv); ok {
		// This process is a cluster node started by TestNodesAcrossProcesses.
		os.Exit(childMain(seed))
	}
	// No goroutine is ignored. protoactor starts throttle goroutines that
	// sleep out their period after shutdown (actor/throttler.go: dead
	// letters 1 s, request log 2 s, pubsub 1 s; gossip 60 s, which StartNode
	// never starts because protoactor's gossip is off and Node.Stop does not
	// call Cluster.Shutdown). leaktest.Main gives those a bounded time to end
	// before goleak looks.
	leaktest.Main(m)
}

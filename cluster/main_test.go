package cluster

import (
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
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
	// call Cluster.Shutdown). settleM gives those a bounded time to end
	// before goleak looks.
	goleak.VerifyTestMain(settleM{m})
}

// settleM runs the tests, then polls (up to 5 s) until no unexpected
// goroutine is left, so that goleak's own short retry sees a settled process.
type settleM struct{ m *testing.M }

func (s settleM) Run() int {
	code := s.m.Run()
	deadline := time.Now().Add(5 * time.Second)
	for goleak.Find() != nil && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	return code
}

package cluster

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"
)

func TestRoutingIDs(t *testing.T) {
	for _, c := range []struct {
		id string
		n  int
	}{{"a1b2", 0}, {"a1b2", 1}, {"node-x.y_z", 12}} {
		r := routingID(c.id, c.n)
		if (c.n == 0) != (r == c.id) {
			t.Errorf("routingID(%q, %d) = %q", c.id, c.n, r)
		}
		if got := MemberIDOf(r); got != c.id {
			t.Errorf("MemberIDOf(%q) = %q, want %q", r, got, c.id)
		}
	}
	var a admissions
	a.alive("x") // first sight: admission 0
	if a.of("x") != 0 {
		t.Fatal("a first admission is numbered 0")
	}
	for i := 1; i <= 3; i++ {
		a.left("x")
		a.alive("x")
		a.alive("x") // updates while alive start nothing
		if a.of("x") != i {
			t.Fatalf("after return %d: admission %d", i, a.of("x"))
		}
	}
}

// TestPausedMemberIsReadmitted stops a member's process (SIGSTOP) past the
// suspicion timeout, so that memberlist declares it dead and protoactor
// blocks its routing id, then resumes it (SIGCONT): it must be routed to
// again (in protoactor's topology and hosting grains) without a restart.
func TestPausedMemberIsReadmitted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	a := startTestNode(t)
	b := startChildNode(t, a.Provider.GossipAddr())
	waitFor(t, 15*time.Second, "A to see 2 members", sees(a, 2))
	ids := make([]string, 64)
	for i := range ids {
		ids[i] = fmt.Sprintf("room-%d", i)
	}
	for round := 1; round <= 2; round++ { // the second pause blocks the first re-admission's id
		if err := b.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		paused := time.Now()
		waitFor(t, 20*time.Second, "A to declare the paused member dead", sees(a, 1))
		t.Logf("round %d: paused member declared dead after %v", round, time.Since(paused).Round(time.Millisecond))
		if perHost := countHosts(echoAll(t, a, ids, 15*time.Second)); perHost[a.Address()] != len(ids) {
			t.Fatalf("while B is paused, placement %v: want all on %s", perHost, a.Address())
		}
		if err := b.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		resumed := time.Now()
		waitFor(t, 20*time.Second, "A to route to the resumed member again", func() bool {
			return sees(a, 2)() && slices.Contains(a.MemberIDs(), b.id)
		})
		t.Logf("round %d: resumed member re-admitted after %v", round, time.Since(resumed).Round(time.Millisecond))
		perHost := countHosts(echoAll(t, a, ids, 15*time.Second))
		if perHost[b.addr] == 0 {
			t.Fatalf("round %d: after SIGCONT, placement %v: want grains on the resumed %s too", round, perHost, b.addr)
		}
	}
	b.stop(t, true)
	stopTestNode(t, a, true)
}

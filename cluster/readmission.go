package cluster

import (
	"strconv"
	"strings"
)

// Re-admission of a member that was declared dead and came back.
//
// protoactor blocks, forever, the id of every member that leaves its
// topology (MemberList.UpdateClusterTopology puts each departed member in
// the remote's BlockList, and getTopologyChanges filters blocked ids out of
// every later topology; the BlockList has no way to unblock). A member
// paused past memberlist's suspicion timeout (SIGSTOP, a long GC or VM
// pause, a partition) is declared dead, then refutes and is alive again in
// memberlist, but protoactor would never route to it again: the cluster
// stays split until that node restarts under a new id.
//
// The provider therefore hands protoactor a routing id per admission: the
// member's own id the first time, "<id>~<n>" after its n-th return from
// the dead. A blocked admission id never comes back; the next admission is
// a new id protoactor has never blocked. Nothing else changes: the actor
// system id, the memberlist name and the metadata keep the member's id,
// and Node.MemberIDs maps routing ids back to member ids.

// admissionSep separates a member id from its admission number; it is not
// a valid node id byte (validateNodeID), so the mapping is unambiguous.
const admissionSep = "~"

// routingID is the id protoactor knows a member by in its admission n.
func routingID(id string, n int) string {
	if n == 0 {
		return id
	}
	return id + admissionSep + strconv.Itoa(n)
}

// MemberIDOf returns the member id of a routing id handed to protoactor
// (the member id itself, or "<id>~<n>" for a re-admitted member).
func MemberIDOf(routing string) string {
	id, _, _ := strings.Cut(routing, admissionSep)
	return id
}

// admissions tracks, per memberlist node name, how many times the node came
// back after leaving the live view. Guarded by Provider.nodesMu.
type admissions struct {
	departed map[string]bool // left the live view (dead or left) and not back yet
	count    map[string]int  // returns from the dead so far
}

// left records that name left the live view.
func (a *admissions) left(name string) {
	if a.departed == nil {
		a.departed = map[string]bool{}
	}
	a.departed[name] = true
}

// alive records that name is in the live view; a return after a departure
// starts a new admission.
func (a *admissions) alive(name string) {
	if !a.departed[name] {
		return
	}
	delete(a.departed, name)
	if a.count == nil {
		a.count = map[string]int{}
	}
	a.count[name]++
}

// of returns name's current admission number.
func (a *admissions) of(name string) int { return a.count[name] }

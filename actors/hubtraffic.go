package actors

import (
	"cmp"
	"slices"
	"time"
)

// GroupTraffic is one group's deliveries on this node's hub: frames handed
// to connections (one per connection per frame) since the hub began
// watching the group.
type GroupTraffic struct {
	Group      string
	Deliveries uint64
}

type hubTopReq struct {
	n  int
	ch chan []GroupTraffic
}

// count adds n deliveries to g (the hub actor's goroutine only).
func (a *hubActor) count(g string, n int) {
	if a.traffic == nil {
		a.traffic = map[string]uint64{}
	}
	a.traffic[g] += uint64(n)
}

// top is the n groups with the most deliveries, most first.
func (a *hubActor) top(n int) []GroupTraffic {
	out := make([]GroupTraffic, 0, len(a.traffic))
	for g, d := range a.traffic {
		out = append(out, GroupTraffic{Group: g, Deliveries: d})
	}
	slices.SortFunc(out, func(x, y GroupTraffic) int {
		return cmp.Or(cmp.Compare(y.Deliveries, x.Deliveries), cmp.Compare(x.Group, y.Group))
	})
	return out[:min(n, len(out))]
}

// TopGroups asks the hub for the n groups with the most deliveries on this
// node (nil if the hub does not answer within 5 s).
func (h *Hub) TopGroups(n int) []GroupTraffic {
	ch := make(chan []GroupTraffic, 1)
	h.system.Root.Send(h.pid, &hubTopReq{n: n, ch: ch})
	select {
	case t := <-ch:
		return t
	case <-time.After(5 * time.Second):
		return nil
	}
}

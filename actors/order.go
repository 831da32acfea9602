package actors

import "github.com/qunchat/qun/wire"

// Order groups: created by the host from an order (buyer, merchant, rider),
// idempotent on the order id; host events drive it; the rider joins when
// assigned and leaves on delivery; OrderArchiveAfter after delivery or
// cancellation the group is archived (history kept, no sends).

type orderState struct {
	ID        string `msgpack:"id"`
	Buyer     string `msgpack:"buyer"`
	Merchant  string `msgpack:"merchant"`
	Rider     string `msgpack:"rider,omitempty"`
	Status    string `msgpack:"status"`
	ArchiveAt int64  `msgpack:"archive_at,omitempty"`
	Archived  bool   `msgpack:"archived,omitempty"`
}

// Order statuses (OrderEventArgs.Event, and "created", "archived").
const (
	OrderCreated   = "created"
	OrderAssigned  = "assigned"
	OrderPickedUp  = "picked_up"
	OrderDelivered = "delivered"
	OrderCancelled = "cancelled"
	OrderArchived  = "archived"
)

// OrderGroupID is the group of order id.
func OrderGroupID(order string) string { return "order-" + order }

// ValidOrderID: 1..MaxOrderIDLen bytes of [A-Za-z0-9_-].
func ValidOrderID(id string) bool {
	if id == "" || len(id) > MaxOrderIDLen-len("order-") {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// OrderGroupResult answers OpCreateOrderGroup inside the engine: the group
// and who must have it in their list.
type OrderGroupResult struct {
	Group   string   `msgpack:"g"`
	Seq     uint64   `msgpack:"seq"`
	Name    string   `msgpack:"name"`
	Members []string `msgpack:"members"`
	Created bool     `msgpack:"created"`
}

func (g *GroupMachine) createOrderGroup(r *req[wire.OrderGroupArgs]) Effects {
	a := &r.args
	if !ValidOrderID(a.Order) || !validID(a.Buyer, maxTargetLen) || !validID(a.Merchant, maxTargetLen) ||
		(a.Rider != "" && !validID(a.Rider, maxTargetLen)) || a.Buyer == a.Merchant || a.Rider == a.Buyer || a.Rider == a.Merchant {
		return fail(wire.CodeBadRequest, "order, buyer and merchant are required and distinct (rider too, if given)")
	}
	if g.st.Exists {
		o := g.order()
		if o == nil || o.ID != a.Order {
			return fail(wire.CodeConflict, "group %q is not order %q's", g.st.ID, a.Order)
		}
		// Idempotent: the same order again answers with its group.
		return ok(OrderGroupResult{Group: g.st.ID, Seq: g.st.LastSeq, Name: g.st.Name, Members: g.Members()})
	}
	name := "Order " + a.Order
	recs := []record{g.newRecord(r.Now, sysMsg(wire.EventCreated, a.Merchant, "", name), &change{Name: name, Join: wire.JoinInvite, MaxMembers: 10})}
	members := []string{a.Merchant, a.Buyer}
	recs = append(recs, g.newRecord(r.Now, sysMsg(wire.EventInvited, a.Merchant, a.Buyer, ""), nil))
	if a.Rider != "" {
		members = append(members, a.Rider)
		recs = append(recs, g.newRecord(r.Now, sysMsg(wire.EventInvited, a.Merchant, a.Rider, ""), nil))
	}
	o := &orderState{ID: a.Order, Buyer: a.Buyer, Merchant: a.Merchant, Rider: a.Rider, Status: OrderCreated}
	recs = append(recs, g.orderRecord(r.Now, o))
	e := okAfter(OrderGroupResult{Group: g.st.ID, Seq: recs[len(recs)-1].Msg.Seq, Name: name, Members: members, Created: true}, recs...)
	e.AddUsers = members
	e.GroupName = name
	return e
}

func (g *GroupMachine) order() *orderState {
	if c := g.st.Commerce; c != nil {
		return c.Order
	}
	return nil
}

func (g *GroupMachine) orderRecord(now int64, o *orderState) record {
	ev := &wire.CommerceEvent{Order: o.ID, Status: o.Status}
	return g.commerceRecord(now, wire.EventOrder, "", o.Rider, o.Status, ev, &commerceChange{Order: o})
}

// OrderEventResult answers OpOrderEvent inside the engine: who joined and
// who left, for their lists.
type OrderEventResult struct {
	Seq    uint64 `msgpack:"seq"`
	Name   string `msgpack:"name"`
	Joined string `msgpack:"joined,omitempty"`
	Left   string `msgpack:"left,omitempty"`
}

func (g *GroupMachine) orderEvent(r *req[wire.OrderEventArgs]) Effects {
	a := &r.args
	cur := g.order()
	switch {
	case cur == nil:
		return fail(wire.CodeNotFound, "group %q is not an order group", g.st.ID)
	case cur.ID != a.Order:
		return fail(wire.CodeWrongGroup, "group %q is not order %q's", g.st.ID, a.Order)
	case cur.Archived:
		return fail(wire.CodeReadOnly, "order %q is archived", cur.ID)
	case cur.Status == OrderDelivered || cur.Status == OrderCancelled:
		return fail(wire.CodeConflict, "order %q is already %s", cur.ID, cur.Status)
	}
	o := *cur
	o.Status = a.Event
	var recs []record
	res := OrderEventResult{Name: g.st.Name}
	switch a.Event {
	case OrderAssigned:
		if !validID(a.Rider, maxTargetLen) || a.Rider == o.Buyer || a.Rider == o.Merchant {
			return fail(wire.CodeBadRequest, "assigned needs a rider who is neither buyer nor merchant")
		}
		if o.Rider != "" && o.Rider != a.Rider && g.IsMember(o.Rider) {
			recs = append(recs, g.newRecord(r.Now, sysMsg(wire.EventKicked, o.Merchant, o.Rider, "reassigned"), nil))
			res.Left = o.Rider
		}
		o.Rider = a.Rider
		if !g.IsMember(a.Rider) {
			recs = append(recs, g.newRecord(r.Now, sysMsg(wire.EventInvited, o.Merchant, a.Rider, ""), nil))
			res.Joined = a.Rider
		}
	case OrderPickedUp:
	case OrderDelivered, OrderCancelled:
		if o.Rider != "" && g.IsMember(o.Rider) {
			recs = append(recs, g.newRecord(r.Now, sysMsg(wire.EventLeft, o.Rider, o.Rider, a.Event), nil))
			res.Left = o.Rider
		}
		o.ArchiveAt = r.Now + g.cfg.Commerce.OrderArchiveAfter
		if o.ArchiveAt <= r.Now {
			o.ArchiveAt = r.Now + 1
		}
	default:
		return fail(wire.CodeBadRequest, "event must be assigned, picked_up, delivered or cancelled")
	}
	recs = append(recs, g.orderRecord(r.Now, &o))
	res.Seq = recs[len(recs)-1].Msg.Seq
	e := okAfter(res, recs...)
	if res.Joined != "" {
		e.AddUsers = []string{res.Joined}
	}
	if res.Left != "" {
		e.RemoveUsers = []string{res.Left}
	}
	return e
}

func (g *GroupMachine) archiveOrder(now int64) record {
	o := *g.order()
	o.Status, o.Archived = OrderArchived, true
	return g.orderRecord(now, &o)
}

// writable refuses sends to an archived order group.
func (g *GroupMachine) writable() *wire.Error {
	if o := g.order(); o != nil && o.Archived {
		return wire.Errorf(wire.CodeReadOnly, "order group %q is archived: history only", g.st.ID)
	}
	return nil
}

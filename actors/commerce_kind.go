package actors

import "github.com/qunchat/qun/wire"

// Shop and order groups are group kinds (wire.KindShop, wire.KindOrder),
// kept where fan groups keep theirs (fanState.Kind) and shown the same way:
// group_info, my_groups and discovery cards carry the kind, and the index
// lists a merchant's shop page by it.
//
// Before kinds, a shop was a flag in the commerce state and an order group
// was a group with an order; both still load. Old journal records map
// onto kinds as they replay (a shop setting sets the kind, an order record
// makes an order group), and Restore moves an old snapshot's flag over
// (migrateKind).

func (g *GroupMachine) kind() wire.GroupKind { return g.st.Fan.Kind }

func (g *GroupMachine) isShop() bool { return g.st.Fan.Kind == wire.KindShop }

func (g *GroupMachine) isOrder() bool { return g.st.Fan.Kind == wire.KindOrder }

// applyShop is apply's part of the shop setting: only an ordinary group
// becomes a shop, and only a shop goes back.
func (g *GroupMachine) applyShop(on bool) {
	switch {
	case on && g.st.Fan.Kind == wire.KindUser:
		g.st.Fan.Kind = wire.KindShop
	case !on && g.st.Fan.Kind == wire.KindShop:
		g.st.Fan.Kind = wire.KindUser
	}
	g.reindex = true
}

// shopAllowed refuses the shop setting on a group of another kind.
func (g *GroupMachine) shopAllowed(on bool) *wire.Error {
	if k := g.kind(); on && k != wire.KindUser && k != wire.KindShop {
		return wire.Errorf(wire.CodeNotAllowed, "group %q is a %s group; only an ordinary group can become a shop", g.st.ID, kindName(k))
	}
	return nil
}

// migrateKind moves a snapshot written before kinds onto them.
func (g *GroupMachine) migrateKind() {
	c := g.st.Commerce
	if c == nil {
		return
	}
	if c.Shop && g.st.Fan.Kind == wire.KindUser {
		g.st.Fan.Kind = wire.KindShop
	}
	c.Shop = false // the kind holds it now (and the flag is no longer written)
	if c.Order != nil && g.st.Fan.Kind == wire.KindUser {
		g.st.Fan.Kind = wire.KindOrder
	}
}

func kindName(k wire.GroupKind) string {
	switch k {
	case wire.KindUser:
		return "user"
	case wire.KindFan:
		return "fan"
	case wire.KindShop:
		return "shop"
	case wire.KindOrder:
		return "order"
	}
	return "special"
}

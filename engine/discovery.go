package engine

import (
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// Discovery. Every node runs one index actor (actors.IndexName) holding the
// entries of the groups whose grains ran there. A query is validated once
// here, asked of every member's index in parallel, and the answers are
// merged: sorted again, deduplicated by group id (a group whose grain moved
// may be known to two nodes; the first after sorting wins), and cut to the
// limit. A member that does not answer is left out (partial results); only
// when none answers does the query fail with CodeUnavailable.

// startIndex rebuilds this node's index from the store and spawns its actor.
// Call it right after the cluster node starts, before clients connect.
func (e *Engine) startIndex() error {
	ix, err := actors.StartIndex(e.node.System, e.store, e.log.With("component", "index"))
	if err != nil {
		return err
	}
	e.index = ix
	return nil
}

// stopIndex stops the index actor (before the node stops).
func (e *Engine) stopIndex() {
	if e.index != nil {
		e.index.Stop()
	}
}

// indexPIDs are the index actors of this node and of every member protoactor
// currently routes to.
func (e *Engine) indexPIDs() []*actor.PID {
	self := e.node.System.Address()
	pids := []*actor.PID{actor.NewPID(self, actors.IndexName)}
	seen := map[string]bool{self: true}
	routed := e.node.MemberIDs()
	for _, m := range e.node.Provider.Members() {
		addr := m.Address()
		if m.Self || seen[addr] {
			continue
		}
		if _, ok := slices.BinarySearch(routed, m.ID); !ok {
			continue // blocked by protoactor, or not yet in its topology
		}
		seen[addr] = true
		pids = append(pids, actor.NewPID(addr, actors.IndexName))
	}
	return pids
}

// askIndexes sends one index operation to every member's index at once and
// returns the cards of those that answered.
func (e *Engine) askIndexes(op wire.Op, args any) ([][]wire.GroupCard, error) {
	if e.node == nil {
		return nil, ErrNotStarted
	}
	b := marshalArgs(args)
	pids := e.indexPIDs()
	futures := make([]actor.Future, len(pids))
	for i, pid := range pids {
		futures[i] = e.node.System.Root.RequestFuture(pid, &pb.Call{Op: uint32(op), Args: b}, discoveryTimeout(e.cfg.RequestTimeout))
	}
	out := make([][]wire.GroupCard, 0, len(pids))
	var first error
	for i, f := range futures {
		res, err := f.Result()
		body, err := e.result(res, err)
		var r wire.SearchResult
		if err == nil {
			err = decodeInto(body, &r)
		}
		if err != nil {
			if first == nil {
				first = err
			}
			e.log.Debug("index did not answer", "index", pids[i].String(), "op", uint16(op), "err", err)
			continue
		}
		out = append(out, r.Groups)
	}
	if len(out) == 0 {
		return nil, wire.Errorf(wire.CodeUnavailable, "no discovery index answered: %v", first)
	}
	return out, nil
}

func concatCards(lists [][]wire.GroupCard) []wire.GroupCard {
	n := 0
	for _, l := range lists {
		n += len(l)
	}
	out := make([]wire.GroupCard, 0, n)
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func limitCards(cards []wire.GroupCard, limit int) []wire.GroupCard {
	cards = actors.DedupCards(cards)
	if len(cards) > limit {
		cards = cards[:limit]
	}
	return cards
}

// query decodes a discovery query into a, validates it, asks every node's
// index, and merges the answers: sorted by sortCards, deduplicated, cut to
// *limit (read after validate, which fills the default).
func (e *Engine) query(args []byte, a any, validate func() error, op wire.Op, sortCards func([]wire.GroupCard), limit *int) ([]byte, error) {
	if err := parseArgs(args, a); err != nil {
		return nil, err
	}
	if err := validate(); err != nil {
		return nil, err
	}
	lists, err := e.askIndexes(op, a)
	if err != nil {
		return nil, err
	}
	cards := concatCards(lists)
	sortCards(cards)
	res := wire.SearchResult{Groups: limitCards(cards, *limit)}
	if n := wire.Fit(res.Groups, e.cfg.Group.MaxReplyBytes); n < len(res.Groups) {
		res.Groups, res.More = res.Groups[:n], true
	}
	return wire.Marshal(&res)
}

// search runs wire.OpSearch: SearchArgs → SearchResult.
func (e *Engine) search(r request) ([]byte, error) {
	var a wire.SearchArgs
	return e.query(r.args, &a, func() error { return actors.ValidateSearch(&a) }, actors.OpIndexSearch,
		func(c []wire.GroupCard) { actors.SortSearch(c, a.Query) }, &a.Limit)
}

// nearby runs wire.OpNearby: NearbyArgs → SearchResult, nearest first.
func (e *Engine) nearby(r request) ([]byte, error) {
	var a wire.NearbyArgs
	return e.query(r.args, &a, func() error { return actors.ValidateNearby(&a) }, actors.OpIndexNearby,
		actors.SortNearby, &a.Limit)
}

// cards returns the discovery cards of the named groups that exist (not
// dissolved; searchable or not), in the order named, each once. Groups no
// index knows are left out. At most actors.MaxIndexGet groups.
func (e *Engine) cards(groups []string) ([]wire.GroupCard, error) {
	if len(groups) > actors.MaxIndexGet {
		return nil, wire.Errorf(wire.CodeBadRequest, "more than %d groups", actors.MaxIndexGet)
	}
	if len(groups) == 0 {
		return []wire.GroupCard{}, nil
	}
	lists, err := e.askIndexes(actors.OpIndexGet, &actors.IndexGetArgs{Groups: groups})
	if err != nil {
		return nil, err
	}
	byGroup := make(map[string]wire.GroupCard, len(groups))
	for _, l := range lists {
		for _, c := range l {
			if _, ok := byGroup[c.Group]; !ok {
				byGroup[c.Group] = c
			}
		}
	}
	out := make([]wire.GroupCard, 0, len(byGroup))
	for _, g := range groups {
		if c, ok := byGroup[g]; ok {
			out = append(out, c)
			delete(byGroup, g)
		}
	}
	return out, nil
}

// ownedCards returns the searchable groups user owns (a creator's fan
// groups), by member count (more first), then group id.
func (e *Engine) ownedCards(user string) ([]wire.GroupCard, error) {
	lists, err := e.askIndexes(actors.OpIndexByOwner, &wire.UserArgs{User: user})
	if err != nil {
		return nil, err
	}
	cards := concatCards(lists)
	actors.SortByMembers(cards)
	return actors.DedupCards(cards), nil
}

// profileCards runs wire.OpProfileGroups: UserArgs (an empty user means the
// caller) → SearchResult. It lists the groups the user chose to show on
// their profile, in the user grain's order, then the searchable groups they
// own (a creator's fan groups) not already listed. Dissolved groups, and
// groups no index knows, are left out.
func (e *Engine) profileCards(r request) ([]byte, error) {
	caller := r.user
	var a wire.UserArgs
	if err := parseArgs(r.args, &a); err != nil {
		return nil, err
	}
	if a.User == "" {
		a.User = caller
	}
	if err := ValidUserID(a.User); err != nil {
		return nil, wire.Errorf(wire.CodeBadRequest, "invalid user id")
	}
	body, err := e.request(actors.KindUser, a.User, &pb.Call{Op: uint32(wire.OpProfileGroups), User: caller, Args: marshalArgs(&a)})
	if err != nil {
		return nil, err
	}
	var shown actors.UserGroupsResult
	if err := decodeInto(body, &shown); err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(shown.Groups))
	for _, g := range shown.Groups {
		ids = append(ids, g.Group)
	}
	if len(ids) > actors.MaxIndexGet {
		ids = ids[:actors.MaxIndexGet]
	}
	cards, err := e.cards(ids)
	if err != nil {
		return nil, err
	}
	owned, err := e.ownedCards(a.User)
	if err != nil {
		return nil, err
	}
	res := wire.SearchResult{Groups: actors.DedupCards(append(cards, owned...))}
	if n := wire.Fit(res.Groups, e.cfg.Group.MaxReplyBytes); n < len(res.Groups) {
		res.Groups, res.More = res.Groups[:n], true
	}
	return wire.Marshal(&res)
}

// discoveryTimeout bounds how long a query waits for one node's index: a
// dead node that gossip has not noticed yet must not stall every search.
func discoveryTimeout(request time.Duration) time.Duration {
	if request > time.Second {
		return time.Second
	}
	return request
}

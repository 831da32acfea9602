package actors

import (
	"encoding/hex"
	"sort"

	"github.com/qunchat/qun/internal/lottery"
	"github.com/qunchat/qun/wire"
)

// Lotteries (抽奖): open with a committed seed, enter until the deadline,
// drawn once at the deadline by Tick (the due-time index wakes the grain),
// winners announced with the revealed seed.

type lotteryState struct {
	ID       string   `msgpack:"id"`
	By       string   `msgpack:"by"`
	Prize    string   `msgpack:"prize"`
	Winners  int      `msgpack:"winners"`
	Deadline int64    `msgpack:"deadline"`
	Rule     string   `msgpack:"rule"`
	Seed     []byte   `msgpack:"seed"` // secret until the draw
	SeedHash string   `msgpack:"hash"`
	Drawn    bool     `msgpack:"drawn,omitempty"`
	Won      []string `msgpack:"won,omitempty"`
}

// Lottery entry rules.
const (
	RuleAny     = "any"
	RulePosted  = "posted"
	RuleFollows = "follows"
)

func (g *GroupMachine) openLottery(r *req[wire.OpenLotteryArgs]) Effects {
	a, cfg := &r.args, g.cfg.Commerce
	rule := a.Rule
	if rule == "" {
		rule = RuleAny
	}
	switch {
	case rule != RuleAny && rule != RulePosted && rule != RuleFollows:
		return fail(wire.CodeBadRequest, "rule must be any, posted or follows")
	case a.Prize == "" || !validText(a.Prize, MaxGreetingLen):
		return fail(wire.CodeBadRequest, "prize must be 1..%d bytes of UTF-8", MaxGreetingLen)
	case a.Winners < 1 || a.Winners > cfg.MaxWinners:
		return fail(wire.CodeBadRequest, "winners must be 1..%d", cfg.MaxWinners)
	case a.Deadline <= r.Now || a.Deadline > r.Now+cfg.MaxLotteryAhead:
		return fail(wire.CodeBadRequest, "deadline must be in the future, at most %d ms ahead", cfg.MaxLotteryAhead)
	case len(r.host.Seed) < 16:
		return fail(wire.CodeInternal, "no lottery seed from the engine")
	}
	open := 0
	if c := g.st.Commerce; c != nil {
		for _, l := range c.Lotteries {
			if !l.Drawn {
				open++
			}
		}
	}
	if open >= cfg.MaxOpen {
		return fail(wire.CodeLimitReached, "a group has at most %d open lotteries", cfg.MaxOpen)
	}
	id := r.host.ID
	if g.refOf(id) != nil || g.hasRef(id) {
		return fail(wire.CodeInternal, "bad lottery id from the engine")
	}
	l := &lotteryState{ID: id, By: r.User, Prize: a.Prize, Winners: a.Winners, Deadline: a.Deadline, Rule: rule,
		Seed: r.host.Seed, SeedHash: lottery.Hash(r.host.Seed)}
	ev := &wire.CommerceEvent{Lottery: id, Prize: l.Prize, Count: l.Winners, Deadline: l.Deadline, Rule: rule, SeedHash: l.SeedHash}
	rec := g.commerceRecord(r.Now, wire.EventLotteryOpened, r.User, "", l.Prize, ev, &commerceChange{Lottery: l})
	return okAfter(wire.LotteryResult{Lottery: id, SeedHash: l.SeedHash, Seq: rec.Msg.Seq}, rec)
}

func (g *GroupMachine) lottery(id string) (*lotteryState, *wire.Error) {
	if err := g.refOf(id); err != nil {
		return nil, err
	}
	if c := g.st.Commerce; c != nil {
		if l := c.Lotteries[id]; l != nil {
			return l, nil
		}
	}
	return nil, g.pruned(id, "lottery")
}

func (g *GroupMachine) enterLottery(r *req[wire.LotteryArgs]) Effects {
	l, err := g.lottery(r.args.Lottery)
	if err != nil {
		return refuse(err)
	}
	if l.Drawn || l.Deadline <= r.Now {
		return fail(wire.CodeLotteryClosed, "lottery %q is closed", l.ID)
	}
	switch l.Rule {
	case RulePosted:
		if g.st.Members[r.User].LastDay == 0 {
			return fail(wire.CodeNotEligible, "only members who sent a message in the group may enter")
		}
	case RuleFollows:
		if !r.host.Follows {
			return fail(wire.CodeNotEligible, "only members who follow %q may enter", g.st.Owner)
		}
	}
	rt := g.crt()
	if rt.entries[l.ID][r.User] {
		return ok(wire.Empty{})
	}
	if rt.entries[l.ID] == nil {
		rt.entries[l.ID] = map[string]bool{}
	}
	rt.entries[l.ID][r.User] = true
	return okAux(wire.Empty{}, AuxWrite{Key: auxEntry + l.ID + "/" + r.User, Value: []byte{1}})
}

// entrants is the canonical entry list of a lottery.
func (g *GroupMachine) entrants(id string) []string {
	m := g.crt().entries[id]
	out := make([]string, 0, len(m))
	for u := range m {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// draw records the draw of l: deterministic from its seed and entries, so a
// redraw after a crash (before the record was durable) picks the same
// winners.
func (g *GroupMachine) draw(now int64, l *lotteryState) record {
	entries := g.entrants(l.ID)
	won := lottery.Draw(l.Seed, entries, l.Winners)
	ev := &wire.CommerceEvent{Lottery: l.ID, Prize: l.Prize, Winners: won, Seed: hex.EncodeToString(l.Seed),
		SeedHash: l.SeedHash, Count: len(entries)}
	return g.commerceRecord(now, wire.EventLotteryDrawn, l.By, "", l.Prize, ev, &commerceChange{Draw: &drawChange{Lottery: l.ID, Winners: won}})
}

func (g *GroupMachine) lotteryInfo(r *req[wire.LotteryArgs]) Effects {
	l, err := g.lottery(r.args.Lottery)
	if err != nil {
		return refuse(err)
	}
	res := wire.LotteryInfo{Lottery: l.ID, Prize: l.Prize, Winners: l.Winners, Deadline: l.Deadline, Rule: l.Rule,
		SeedHash: l.SeedHash, Entries: len(g.crt().entries[l.ID]), Entered: g.crt().entries[l.ID][r.User], Drawn: l.Drawn}
	if l.Drawn {
		res.Won, res.Seed = l.Won, hex.EncodeToString(l.Seed)
		res.Entrants = g.entrants(l.ID)
		if len(res.Entrants) > maxMembersPage {
			res.Entrants = res.Entrants[:maxMembersPage]
		}
	}
	return g.okDurable(res)
}

package actors

import (
	"fmt"
	"strings"

	"github.com/qunchat/qun/wire"
)

// SnapshotDue reports whether enough events passed since the last snapshot:
// SnapshotEvery, or as many as the dedup window holds if that is more, since
// a snapshot carries the whole window (up to DedupMax entries): each event
// then pays for at most one entry's encoding.
func (g *GroupMachine) SnapshotDue() bool {
	return g.sinceSnap >= max(g.cfg.SnapshotEvery, len(g.dedup)) || g.snapshotForced()
}

// SnapshotStale reports whether any event was applied since the last
// snapshot (or restore), so that a snapshot would hold something new.
func (g *GroupMachine) SnapshotStale() bool { return g.sinceSnap > 0 }

// Snapshot encodes the state (as of LastSeq) and resets the snapshot counter.
func (g *GroupMachine) Snapshot() ([]byte, uint64, error) {
	g.st.Dedup = make([]dedupEntry, 0, len(g.dedup))
	for _, e := range g.dedupQ[g.dedupHead:] { // already in seq order
		if cur, ok := g.dedup[dedupKey{e.User, e.CMID}]; ok && cur.Seq == e.Seq {
			g.st.Dedup = append(g.st.Dedup, e)
		}
	}
	b, err := wire.Marshal(&g.st)
	g.st.Dedup = nil
	if err != nil {
		return nil, 0, err
	}
	g.sinceSnap = 0
	if g.com != nil {
		g.com.snapNow = false
	}
	return b, g.st.LastSeq, nil
}

// Restore loads a snapshot. Everything in it is durable.
func (g *GroupMachine) Restore(b []byte) error {
	var st groupState
	if err := wire.Decode(b, &st); err != nil {
		return fmt.Errorf("actors: snapshot: %w", err)
	}
	g.dedup = make(map[dedupKey]dedupEntry, len(st.Dedup))
	g.dedupQ, g.dedupHead = g.dedupQ[:0], 0
	for _, e := range st.Dedup { // snapshots hold them in seq order
		g.dedup[dedupKey{e.User, e.CMID}] = e
		g.dedupQ = append(g.dedupQ, e)
	}
	st.Dedup = nil
	g.st = st
	g.initMaps()
	g.migrateKind()
	g.durable = st.LastSeq
	g.sinceSnap = 0
	g.oweFromState()
	return nil
}

// Replay applies a durable journal record during recovery.
func (g *GroupMachine) Replay(data []byte) error {
	var r record
	if err := wire.Decode(data, &r); err != nil {
		return fmt.Errorf("actors: journal: %w", err)
	}
	if r.Msg.Seq != g.st.LastSeq+1 {
		return fmt.Errorf("actors: journal seq %d after %d", r.Msg.Seq, g.st.LastSeq)
	}
	g.apply(&r)
	g.durable = g.st.LastSeq
	return nil
}

// LoadAux restores one aux key (relative to AuxPrefix) during activation.
func (g *GroupMachine) LoadAux(key string, value []byte) error {
	switch {
	case isChatterKey(key):
		return g.loadChatter(value)
	case strings.HasPrefix(key, auxInvite):
		var v inviteState
		if err := wire.Decode(value, &v); err != nil {
			return err
		}
		g.invites[key[len(auxInvite):]] = &v
	case strings.HasPrefix(key, auxRequest):
		var v wire.JoinRequest
		if err := wire.Decode(value, &v); err != nil {
			return err
		}
		g.pending[key[len(auxRequest):]] = &v
	case strings.HasPrefix(key, auxAck):
		var v uint64
		if err := wire.Decode(value, &v); err != nil {
			return err
		}
		g.acks[key[len(auxAck):]] = v
	default:
		_, err := g.loadCommerceAux(key, value)
		return err
	}
	return nil
}

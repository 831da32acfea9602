package replication

import (
	"context"

	"go.etcd.io/raft/v3"
)

// sendSnapshot streams a snapshot to a follower on its own goroutine and
// reports the outcome to raft.
func (n *Node) sendSnapshot(env Envelope, out *outSnap) {
	n.snapWG.Add(1)
	go func() {
		defer n.snapWG.Done()
		defer out.view.Close()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			select {
			case <-n.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		var ranges [][2][]byte
		err := n.deps.Applier.Ranges(env.Shard, out.view, func(lo, hi []byte) error {
			ranges = append(ranges, [2][]byte{append([]byte(nil), lo...), append([]byte(nil), hi...)})
			return nil
		})
		if err == nil {
			err = n.deps.Transport.SendSnapshot(ctx, env.Msg.GetTo(), env.Shard, env.Msg, func(yield func(k, v []byte) error) error {
				for _, rg := range ranges {
					var yerr error
					if err := out.view.RawScan(rg[0], rg[1], func(k, v []byte) bool {
						yerr = yield(k, v)
						return yerr == nil
					}); err != nil {
						return err
					}
					if yerr != nil {
						return yerr
					}
				}
				return nil
			})
		}
		status := raft.SnapshotFinish
		if err != nil {
			status = raft.SnapshotFailure
			n.log.Warn("replication: snapshot send failed", "shard", env.Shard, "to", env.Msg.GetTo(), "err", err)
		}
		to := env.Msg.GetTo()
		n.control(func() {
			if r := n.replicas[env.Shard]; r != nil {
				r.rn.ReportSnapshot(to, status)
			}
		})
	}()
}

package replication

import (
	"context"
	"encoding/binary"
	"hash/crc64"

	"github.com/qunchat/qun/persistence"
)

// ShardChecksum is a digest of one local replica's state machine data (every
// key and value in the Applier's Ranges of the shard) at its applied index.
// Two replicas of a shard that report the same Applied index must report
// the same Sum: that is the replica consistency check of the fault tests
// and of operations.
type ShardChecksum struct {
	Shard   uint32
	Applied uint64 // the applied index the data is taken at
	Term    uint64 // the applied entry's term
	Keys    int    // number of keys digested
	Sum     uint64 // CRC-64 (ECMA) over length-prefixed keys and values, in key order
}

var checksumTable = crc64.MakeTable(crc64.ECMA)

// Checksums digests the data of every local replica. The point-in-time
// view and the applied indexes are taken together on the loop between two
// rounds, when Pebble holds exactly the applied state of every replica;
// the digest is then computed on the caller's goroutine. Compare replicas
// only where their Applied indexes are equal (poll until they are, e.g.
// once writes stop).
func (n *Node) Checksums(ctx context.Context) ([]ShardChecksum, error) {
	type taken struct {
		view persistence.RawView
		out  []ShardChecksum
		err  error
	}
	ch := make(chan taken, 1)
	n.control(func() {
		var t taken
		t.view, t.err = n.store.RawView()
		if t.err == nil {
			for s := uint32(0); s < n.shards; s++ {
				if r := n.replicas[s]; r != nil {
					t.out = append(t.out, ShardChecksum{Shard: s, Applied: r.applied.index, Term: r.applied.term})
				}
			}
		}
		ch <- t
	})
	var t taken
	select {
	case t = <-ch:
	case <-n.done:
		return nil, ErrClosed
	case <-ctx.Done():
		go func() { // the control func still runs: close its view
			if t := <-ch; t.view != nil {
				_ = t.view.Close()
			}
		}()
		return nil, ctx.Err()
	}
	if t.err != nil {
		return nil, t.err
	}
	defer t.view.Close()
	for i := range t.out {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		sum, keys, err := digestShard(n.deps.Applier, t.out[i].Shard, t.view)
		if err != nil {
			return nil, err
		}
		t.out[i].Sum, t.out[i].Keys = sum, keys
	}
	return t.out, nil
}

// digestShard hashes every key and value in applier's ranges of shard.
func digestShard(applier Applier, shard uint32, view persistence.RawReader) (sum uint64, keys int, err error) {
	var ranges [][2][]byte
	err = applier.Ranges(shard, view, func(lo, hi []byte) error {
		ranges = append(ranges, [2][]byte{append([]byte(nil), lo...), append([]byte(nil), hi...)})
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	var lenBuf [binary.MaxVarintLen64]byte
	for _, rg := range ranges {
		err := view.RawScan(rg[0], rg[1], func(k, v []byte) bool {
			sum = crc64.Update(sum, checksumTable, lenBuf[:binary.PutUvarint(lenBuf[:], uint64(len(k)))])
			sum = crc64.Update(sum, checksumTable, k)
			sum = crc64.Update(sum, checksumTable, lenBuf[:binary.PutUvarint(lenBuf[:], uint64(len(v)))])
			sum = crc64.Update(sum, checksumTable, v)
			keys++
			return true
		})
		if err != nil {
			return 0, 0, err
		}
	}
	return sum, keys, nil
}

package replication

import (
	"encoding/binary"

	"github.com/qunchat/qun/persistence"
)

// Raw keys of the replication layer, all under persistence.RawTag ('r'):
//
//	'r' 'c'                          cluster: shards (4 bytes) + store id (8)
//	'r' 'l' shard(4) index(8)        raft log entry (raftpb.Entry)
//	'r' 'h' shard(4)                 hard state (raftpb.HardState)
//	'r' 't' shard(4)                 truncated: index (8) + term (8)
//	'r' 'a' shard(4)                 applied: index (8) + term (8) + ConfState
//	'r' 'd' shard(4) kind(1) name    StoreApplier's index of the shard's data
//
// Shard and index are big-endian, so a shard's log is one contiguous range
// in index order.
const (
	subCluster   = 'c'
	subLog       = 'l'
	subHard      = 'h'
	subTruncated = 't'
	subApplied   = 'a'
	subData      = 'd'
)

func clusterKey() []byte { return []byte{persistence.RawTag, subCluster} }

func shardKey(sub byte, shard uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{persistence.RawTag, sub}, shard)
}

func logKey(shard uint32, index uint64) []byte {
	return binary.BigEndian.AppendUint64(shardKey(subLog, shard), index)
}

// logBounds returns the key range of shard's log entries [from, to).
func logBounds(shard uint32, from, to uint64) (lo, hi []byte) {
	return logKey(shard, from), logKey(shard, to)
}

// dataIndexPrefix is the prefix of the StoreApplier's index of a shard.
func dataIndexPrefix(shard uint32) []byte { return shardKey(subData, shard) }

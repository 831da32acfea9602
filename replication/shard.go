package replication

import "slices"

// ShardOf returns the shard of a group or user id: FNV-1a(id) mod shards.
// Group and user ids are hashed the same way; callers that want them on
// different shards prefix the id with its kind ("g/", "u/").
func ShardOf(id string, shards uint32) uint32 {
	h := uint32(2166136261) // FNV-1a, 32 bits, without an allocation
	for i := 0; i < len(id); i++ {
		h ^= uint32(id[i])
		h *= 16777619
	}
	return h % shards
}

// Placement returns the store ids of shard's replicas at bootstrap:
// replicas consecutive peers of the sorted peer list, starting at
// shard mod len(peers), so shards spread evenly over the peers.
func Placement(shard uint32, peers []uint64, replicas int) []uint64 {
	p := slices.Clone(peers)
	slices.Sort(p)
	if replicas > len(p) {
		replicas = len(p)
	}
	out := make([]uint64, 0, replicas)
	for i := 0; i < replicas; i++ {
		out = append(out, p[(int(shard)+i)%len(p)])
	}
	return out
}

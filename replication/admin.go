package replication

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/qunchat/qun/persistence"
)

// Campaign makes the local replica of shard start an election.
func (n *Node) Campaign(shard uint32) {
	n.control(func() {
		if r := n.replicas[shard]; r != nil {
			_ = r.rn.Campaign()
		}
	})
}

// TransferLeader asks the local leader of shard to hand leadership to store to.
func (n *Node) TransferLeader(shard uint32, to uint64) {
	n.control(func() {
		if r := n.replicas[shard]; r != nil {
			r.rn.TransferLeader(to)
		}
	})
}

// ChangeReplicas proposes, on the local leader of shard, adding voters and
// removing voters in one joint-consensus change (left automatically). Use
// it to replace a replica whose store is gone by a new store. done runs on
// the loop goroutine once the change is proposed (not applied).
func (n *Node) ChangeReplicas(shard uint32, add, remove []uint64, done func(error)) {
	n.control(func() {
		r := n.replicas[shard]
		if r == nil || !r.lead {
			done(ErrNotLeader)
			return
		}
		cc := &pb.ConfChangeV2{}
		for _, id := range remove {
			cc.Changes = append(cc.Changes, &pb.ConfChangeSingle{Type: pb.ConfChangeRemoveNode.Enum(), NodeId: proto.Uint64(id)})
		}
		for _, id := range add {
			cc.Changes = append(cc.Changes, &pb.ConfChangeSingle{Type: pb.ConfChangeAddNode.Enum(), NodeId: proto.Uint64(id)})
		}
		err := r.rn.ProposeConfChange(cc)
		if errors.Is(err, raft.ErrProposalDropped) {
			err = ErrBackpressure
		}
		done(err)
	})
}

// Bootstrapped reports whether r (a node's store) already holds a cluster
// record, and then the store id and shard count it was bootstrapped with:
// New ignores Config.Peers on such a store and requires that StoreID.
func Bootstrapped(r persistence.RawReader) (storeID uint64, shards uint32, ok bool, err error) {
	v, ok, err := r.RawGet(clusterKey())
	if err != nil || !ok {
		return 0, 0, false, err
	}
	if len(v) != 12 {
		return 0, 0, false, fmt.Errorf("%w: cluster record of %d bytes", ErrCorrupt, len(v))
	}
	return binary.BigEndian.Uint64(v[4:]), binary.BigEndian.Uint32(v), true, nil
}

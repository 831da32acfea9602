package replication

import (
	"encoding/binary"
	"fmt"

	"github.com/qunchat/qun/persistence"
	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// logStorage is the raft.Storage of one replica. Pebble holds the durable
// copy (raw keys, see keys.go), written by the node loop in each round's
// batch; the retained log is mirrored in a raft.MemoryStorage that serves
// raft's reads. Truncation bounds the mirror (Config.MaxLogEntries).
//
// InitialState returns the ConfState as of the applied index (raft requires
// it to reflect every applied conf change), and Snapshot returns a snapshot
// at the applied index built on demand by the replica (snap).
type logStorage struct {
	*raft.MemoryStorage
	hard *pb.HardState
	cs   *pb.ConfState
	snap func() (*pb.Snapshot, error)
}

func (s *logStorage) InitialState() (*pb.HardState, *pb.ConfState, error) {
	hs := s.hard
	if hs == nil {
		hs = &pb.HardState{}
	}
	cs := s.cs
	if cs == nil {
		cs = &pb.ConfState{}
	}
	return hs, cs, nil
}

func (s *logStorage) Snapshot() (*pb.Snapshot, error) { return s.snap() }

// appliedState is the persisted apply point of a replica.
type appliedState struct {
	index, term uint64
	cs          *pb.ConfState
}

func encodeApplied(a appliedState) []byte {
	b := binary.BigEndian.AppendUint64(nil, a.index)
	b = binary.BigEndian.AppendUint64(b, a.term)
	cs, _ := proto.Marshal(a.cs)
	return append(b, cs...)
}

func decodeApplied(v []byte) (appliedState, error) {
	if len(v) < 16 {
		return appliedState{}, fmt.Errorf("%w: applied state of %d bytes", ErrCorrupt, len(v))
	}
	a := appliedState{index: binary.BigEndian.Uint64(v), term: binary.BigEndian.Uint64(v[8:]), cs: &pb.ConfState{}}
	if err := proto.Unmarshal(v[16:], a.cs); err != nil {
		return appliedState{}, fmt.Errorf("%w: applied conf state: %w", ErrCorrupt, err)
	}
	return a, nil
}

func encodeIndexTerm(index, term uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, index), term)
}

// loadReplica rebuilds a replica's storage from Pebble. ok is false when the
// shard has no replica on this store.
func loadReplica(r persistence.RawReader, shard uint32) (st *logStorage, applied appliedState, ok bool, err error) {
	av, ok, err := r.RawGet(shardKey(subApplied, shard))
	if err != nil || !ok {
		return nil, appliedState{}, false, err
	}
	if applied, err = decodeApplied(av); err != nil {
		return nil, appliedState{}, false, err
	}
	var tIndex, tTerm uint64
	tv, ok, err := r.RawGet(shardKey(subTruncated, shard))
	if err != nil {
		return nil, appliedState{}, false, err
	}
	if ok {
		if len(tv) != 16 {
			return nil, appliedState{}, false, fmt.Errorf("%w: truncated state of %d bytes", ErrCorrupt, len(tv))
		}
		tIndex, tTerm = binary.BigEndian.Uint64(tv), binary.BigEndian.Uint64(tv[8:])
	}
	ms := raft.NewMemoryStorage()
	if tIndex > 0 {
		if err := ms.ApplySnapshot(&pb.Snapshot{Metadata: &pb.SnapshotMetadata{
			Index: proto.Uint64(tIndex), Term: proto.Uint64(tTerm), ConfState: applied.cs}}); err != nil {
			return nil, appliedState{}, false, fmt.Errorf("replication: shard %d restore: %w", shard, err)
		}
	}
	st = &logStorage{MemoryStorage: ms, cs: applied.cs}
	hv, ok, err := r.RawGet(shardKey(subHard, shard))
	if err != nil {
		return nil, appliedState{}, false, err
	}
	if ok {
		st.hard = &pb.HardState{}
		if err := proto.Unmarshal(hv, st.hard); err != nil {
			return nil, appliedState{}, false, fmt.Errorf("%w: hard state: %w", ErrCorrupt, err)
		}
		if err := ms.SetHardState(st.hard); err != nil {
			return nil, appliedState{}, false, err
		}
	}
	lo, hi := logBounds(shard, tIndex+1, ^uint64(0))
	var ents []*pb.Entry
	var derr error
	err = r.RawScan(lo, hi, func(k, v []byte) bool {
		e := &pb.Entry{}
		if derr = proto.Unmarshal(v, e); derr != nil {
			derr = fmt.Errorf("%w: log entry: %w", ErrCorrupt, derr)
			return false
		}
		ents = append(ents, e)
		return true
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return nil, appliedState{}, false, err
	}
	if len(ents) > 0 {
		if err := ms.Append(ents); err != nil {
			return nil, appliedState{}, false, fmt.Errorf("replication: shard %d log: %w", shard, err)
		}
	}
	return st, applied, true, nil
}

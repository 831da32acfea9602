package replication

import (
	"context"

	pb "go.etcd.io/raft/v3/raftpb"
)

// Envelope is one raft message of a shard.
type Envelope struct {
	Shard uint32
	Msg   *pb.Message
}

// KV is one key/value pair of a streamed snapshot (full Pebble keys).
type KV struct {
	Key, Value []byte
}

// Handler receives what a Transport gets from peers. Node implements it.
// Its methods never block on the node loop.
type Handler interface {
	// HandleMessages takes raft messages from store from.
	HandleMessages(from uint64, envs []Envelope)
	// HandleSnapshot takes a whole streamed snapshot: its data, then the
	// MsgSnap that installs it.
	HandleSnapshot(from uint64, shard uint32, msg *pb.Message, kvs []KV)
	// Unreachable reports that messages to store to could not be sent.
	Unreachable(to uint64)
}

// Transport carries raft messages between stores. A Node takes ownership
// of its Transport: New calls Start and Close closes it.
type Transport interface {
	// Start begins delivering to h.
	Start(h Handler) error
	// Send queues envs for store to and returns at once. It may drop them
	// (raft retransmits) and then reports Unreachable.
	Send(to uint64, envs []Envelope)
	// SendSnapshot streams a snapshot to store to: every pair each yields,
	// in chunks, then msg. It blocks until sent or failed.
	SendSnapshot(ctx context.Context, to uint64, shard uint32, msg *pb.Message, each func(yield func(k, v []byte) error) error) error
	// Close stops the transport and waits for its goroutines.
	Close() error
}

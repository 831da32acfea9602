package replication

import (
	"encoding/binary"
	"fmt"
)

// Data of a normal raft entry. An empty entry is a new leader's first entry
// (raft appends it at becomeLeader). Otherwise the first byte is the kind:
//
//	entryCommand:  proposer store (uvarint), proposal id (uvarint),
//	               epoch (uvarint), then the application's command bytes
//	entryTruncate: index (uvarint): truncate the log up to and including it
const (
	entryCommand  = 1
	entryTruncate = 2
)

// maxHeader is the longest command header: kind plus three uvarints.
const maxHeader = 1 + 3*binary.MaxVarintLen64

type command struct {
	proposer, id, epoch uint64
	data                []byte
}

func encodeCommand(c command) []byte {
	b := make([]byte, 0, maxHeader+len(c.data))
	b = append(b, entryCommand)
	b = binary.AppendUvarint(b, c.proposer)
	b = binary.AppendUvarint(b, c.id)
	b = binary.AppendUvarint(b, c.epoch)
	return append(b, c.data...)
}

func encodeTruncate(index uint64) []byte {
	return binary.AppendUvarint([]byte{entryTruncate}, index)
}

// decodeEntry returns the kind and, for a command, its fields (data aliases
// b); for a truncation, the index in c.id.
func decodeEntry(b []byte) (kind byte, c command, err error) {
	if len(b) == 0 {
		return 0, command{}, fmt.Errorf("%w: empty entry", ErrCorrupt)
	}
	kind, b = b[0], b[1:]
	next := func() uint64 {
		if err != nil {
			return 0
		}
		v, n := binary.Uvarint(b)
		if n <= 0 {
			err = fmt.Errorf("%w: entry header", ErrCorrupt)
			return 0
		}
		b = b[n:]
		return v
	}
	switch kind {
	case entryCommand:
		c.proposer, c.id, c.epoch = next(), next(), next()
		c.data = b
	case entryTruncate:
		c.id = next()
	default:
		err = fmt.Errorf("%w: entry kind %d", ErrCorrupt, kind)
	}
	return kind, c, err
}

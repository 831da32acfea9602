package replication

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Transport frames, after the handshake: length (4 bytes, big-endian, of the
// payload), CRC-32C of the payload (4 bytes), payload. The length is checked
// against the reader's bound before anything is allocated.
//
// Payloads:
//
//	frameMessages: count, then per message: shard, length, raftpb.Message
//	frameChunk:    count, then per pair: key length, key, value length, value
//	frameSnapMsg:  shard, then the MsgSnap (rest of the payload)
//
// (counts, shards and lengths are uvarints; counts and lengths are bounded
// by the bytes left in the payload).
const (
	frameMessages = 1
	frameChunk    = 2
	frameSnapMsg  = 3

	frameHeader = 8
	// maxFrame is the largest frame payload accepted. Raft messages are
	// bounded by Config.MaxSizePerMsg (1 MiB by default) and snapshot chunks
	// by Config.SnapshotChunkBytes.
	maxFrame = 64 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// appendFrame appends a frame holding payload built by fill.
func appendFrame(dst []byte, fill func([]byte) []byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, frameHeader)...)
	dst = fill(dst)
	payload := dst[start+frameHeader:]
	binary.BigEndian.PutUint32(dst[start:], uint32(len(payload)))
	binary.BigEndian.PutUint32(dst[start+4:], crc32.Checksum(payload, crcTable))
	return dst
}

// readFrame reads one frame into buf (grown as needed) and returns its
// payload.
func readFrame(r io.Reader, buf []byte, limit int) ([]byte, []byte, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, buf, err
	}
	n := binary.BigEndian.Uint32(h[:])
	if uint64(n) > uint64(limit) {
		return nil, buf, fmt.Errorf("%w: %d bytes > %d", ErrFrameTooLarge, n, limit)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, buf, err
	}
	if crc32.Checksum(buf, crcTable) != binary.BigEndian.Uint32(h[4:]) {
		return nil, buf, fmt.Errorf("%w: frame checksum", ErrCorrupt)
	}
	return buf, buf, nil
}

// appendMessages appends the payload of a frameMessages frame.
func appendMessages(dst []byte, envs []Envelope) ([]byte, error) {
	dst = append(dst, frameMessages)
	dst = binary.AppendUvarint(dst, uint64(len(envs)))
	opts := proto.MarshalOptions{}
	for _, e := range envs {
		dst = binary.AppendUvarint(dst, uint64(e.Shard))
		size := opts.Size(e.Msg)
		dst = binary.AppendUvarint(dst, uint64(size))
		var err error
		if dst, err = opts.MarshalAppend(dst, e.Msg); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// decodeMessages decodes a frameMessages payload (after its type byte).
// Shards are range-checked against shards.
func decodeMessages(p []byte, shards uint32) ([]Envelope, error) {
	d := decoder{p: p}
	n := d.count()
	envs := make([]Envelope, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		shard := d.uvarint()
		b := d.bytes()
		if d.err != nil {
			break
		}
		if shard >= uint64(shards) {
			return nil, fmt.Errorf("%w: shard %d out of range", ErrCorrupt, shard)
		}
		m := &pb.Message{}
		if err := proto.Unmarshal(b, m); err != nil {
			return nil, fmt.Errorf("%w: raft message: %w", ErrCorrupt, err)
		}
		envs = append(envs, Envelope{Shard: uint32(shard), Msg: m})
	}
	if d.err == nil && len(d.p) != 0 {
		d.err = fmt.Errorf("%w: trailing bytes in messages frame", ErrCorrupt)
	}
	if d.err != nil {
		return nil, d.err
	}
	return envs, nil
}

// decodeChunk decodes a frameChunk payload (after its type byte), copying
// keys and values out of p.
func decodeChunk(p []byte) ([]KV, int, error) {
	d := decoder{p: p}
	n := d.count()
	kvs := make([]KV, 0, n)
	size := 0
	for i := 0; i < n && d.err == nil; i++ {
		k, v := d.bytes(), d.bytes()
		if d.err == nil {
			kvs = append(kvs, KV{Key: append([]byte(nil), k...), Value: append([]byte(nil), v...)})
			size += len(k) + len(v)
		}
	}
	if d.err == nil && len(d.p) != 0 {
		d.err = fmt.Errorf("%w: trailing bytes in chunk frame", ErrCorrupt)
	}
	return kvs, size, d.err
}

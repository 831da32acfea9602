package persistence

import "encoding/binary"

// Key layout in the Pebble keyspace (all user keys start with one tag byte):
//
//	journal:  'j' + stream + 0x00 + seq (8 bytes, big-endian)
//	snapshot: 's' + stream            value: seq (8 bytes, big-endian) + data
//	kv:       'k' + key               value: the value
//
// Stream names cannot contain 0x00, so a stream's journal is exactly the key
// range [journalStart(stream), journalEnd(stream)) and no other stream's
// journal keys fall into it.
const (
	tagJournal  = 'j'
	tagSnapshot = 's'
	tagKV       = 'k'
	seqLen      = 8
)

// appendJournalPrefix appends 'j' + stream + 0x00.
func appendJournalPrefix(dst []byte, stream string) []byte {
	dst = append(dst, tagJournal)
	dst = append(dst, stream...)
	return append(dst, 0)
}

func appendJournalKey(dst []byte, stream string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(appendJournalPrefix(dst, stream), seq)
}

// appendJournalEnd appends the exclusive upper bound of the stream's journal:
// 'j' + stream + 0x01.
func appendJournalEnd(dst []byte, stream string) []byte {
	dst = append(dst, tagJournal)
	dst = append(dst, stream...)
	return append(dst, 1)
}

func appendSnapshotKey(dst []byte, stream string) []byte {
	dst = append(dst, tagSnapshot)
	return append(dst, stream...)
}

func appendKVKey(dst []byte, key string) []byte {
	dst = append(dst, tagKV)
	return append(dst, key...)
}

// prefixEnd returns the smallest key greater than every key with the prefix,
// or nil if there is none (the prefix is all 0xff).
func prefixEnd(prefix []byte) []byte {
	end := append([]byte(nil), prefix...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

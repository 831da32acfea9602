package actors

import (
	"github.com/vmihailenco/msgpack/v5"

	"github.com/qunchat/qun/wire"
)

// Decode once, encode once: a message is encoded when its record is
// written, and those bytes are what the journal holds, what a push frame
// carries and what a history page returns. The types below have the same
// field names and order as the wire types they stand for (wire.Push,
// wire.HistoryResult) and as record, so their encodings are byte for byte
// those of the decoded forms (checked by TestEncodedMatchesWire).

// RawMessage is one wire.Message as msgpack bytes.
type RawMessage = msgpack.RawMessage

// journalRecord is a record with its message already encoded.
type journalRecord struct {
	Msg    RawMessage `msgpack:"m"`
	Change *change    `msgpack:"c,omitempty"`
}

// journalMessage reads only the message of a journal record.
type journalMessage struct {
	Msg RawMessage `msgpack:"m"`
}

// HistoryPage is OpHistory's result with each message kept encoded: its
// bytes are those of the equivalent wire.HistoryResult. A caller that only
// forwards the messages (a resync) decodes the page into this type and
// splices Msgs into a push frame with PushFrame.
type HistoryPage struct {
	Msgs    []RawMessage `msgpack:"msgs"`
	More    bool         `msgpack:"more"`
	LastSeq uint64       `msgpack:"last_seq"`
}

// rawPush is a wire.Push with its messages encoded.
type rawPush struct {
	Group string       `msgpack:"g"`
	Msgs  []RawMessage `msgpack:"msgs"`
}

// AppendMsgpack implements wire.Appender, as msgpack encodes the struct:
// each message's bytes as they are.
func (p rawPush) AppendMsgpack(b []byte) ([]byte, error) {
	b = append(wire.AppendMapHeader(b, 2), 0xa1, 'g')
	b = wire.AppendString(b, p.Group)
	b = append(b, 0xa4, 'm', 's', 'g', 's')
	if p.Msgs == nil {
		return wire.AppendNil(b), nil
	}
	b = wire.AppendArrayHeader(b, len(p.Msgs))
	for _, m := range p.Msgs {
		b = append(b, m...)
	}
	return b, nil
}

// PushFrame returns the push frame of group holding msgs, encoded messages
// in ascending seq; the same bytes as wire.EncodeFrame(wire.FramePush,
// &wire.Push{...}) of the decoded messages.
func PushFrame(group string, msgs []RawMessage) ([]byte, error) {
	return wire.EncodeFrame(wire.FramePush, &rawPush{Group: group, Msgs: msgs})
}

// MessageSeq reads the seq of an encoded message.
func MessageSeq(m RawMessage) (uint64, error) {
	var v struct {
		Seq uint64 `msgpack:"seq"`
	}
	err := wire.Decode(m, &v)
	return v.Seq, err
}

// encodeRecord encodes a record's message once, and the journal entry
// around those bytes.
func encodeRecord(r *record) (msg RawMessage, entry []byte, err error) {
	if r.Change == nil {
		// The common record, a message alone: {"m": msg} in one buffer, the
		// message a slice of the entry.
		if entry, err = r.Msg.AppendMsgpack(append(make([]byte, 0, 256), 0x81, 0xa1, 'm')); err != nil {
			return nil, nil, err
		}
		return RawMessage(entry[3:len(entry):len(entry)]), entry, nil
	}
	if msg, err = wire.Marshal(&r.Msg); err != nil {
		return nil, nil, err
	}
	entry, err = wire.Marshal(&journalRecord{Msg: msg, Change: r.Change})
	return msg, entry, err
}

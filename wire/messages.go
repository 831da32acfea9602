package wire

import (
	"fmt"
	"unicode/utf8"

	"github.com/vmihailenco/msgpack/v5"
)

// Raw holds one msgpack value that is decoded later, into the concrete type
// its operation names. Encoding an empty Raw writes nil; encoding bytes that
// are not exactly one valid msgpack value is an error, so a frame can never
// carry a malformed embedded value.
type Raw []byte

// EncodeMsgpack implements msgpack.CustomEncoder.
func (r Raw) EncodeMsgpack(enc *msgpack.Encoder) error {
	if len(r) == 0 {
		return enc.EncodeNil()
	}
	if err := Validate(r); err != nil {
		return fmt.Errorf("wire: raw value: %w", err)
	}
	return enc.Encode(msgpack.RawMessage(r))
}

// DecodeMsgpack implements msgpack.CustomDecoder.
func (r *Raw) DecodeMsgpack(dec *msgpack.Decoder) error {
	m, err := dec.DecodeRaw()
	*r = Raw(m)
	return err
}

// Hello is the client's first frame.
type Hello struct {
	Version int    `msgpack:"v"`
	Token   string `msgpack:"token"`
	Client  string `msgpack:"client,omitempty"` // free text, e.g. "qun-cli/1"
}

// Welcome answers a valid Hello.
type Welcome struct {
	Version     int    `msgpack:"v"`
	User        string `msgpack:"user"`
	Session     string `msgpack:"session"`
	MaxFrame    int    `msgpack:"max_frame"`
	MaxInFlight int    `msgpack:"max_inflight"`
	Time        int64  `msgpack:"time"` // server time, unix milliseconds
}

// Request is a client call. Args holds the op's argument map (see the *Args
// types); it is decoded only after the op is known, into that op's type.
type Request struct {
	ID   uint32 `msgpack:"id"`
	Op   Op     `msgpack:"op"`
	Args Raw    `msgpack:"args"`
}

// Reply answers a Request with the same ID. Body holds the op's result map.
type Reply struct {
	ID   uint32 `msgpack:"id"`
	Body Raw    `msgpack:"body"`
}

// ErrorFrame answers a Request that failed (ID set), or announces that the
// connection is being closed (ID 0).
type ErrorFrame struct {
	ID         uint32 `msgpack:"id"`
	Code       Code   `msgpack:"code"`
	Msg        string `msgpack:"msg"`
	RetryAfter int64  `msgpack:"retry_after,omitempty"` // rate_limited: ms until a retry may pass
}

// Push carries one or more consecutive messages of one group, ascending seq.
type Push struct {
	Group string    `msgpack:"g"`
	Msgs  []Message `msgpack:"msgs"`
}

// Gap tells the client that messages From..To of Group will not be pushed:
// it must fetch them with OpHistory.
type Gap struct {
	Group string `msgpack:"g"`
	From  uint64 `msgpack:"from"`
	To    uint64 `msgpack:"to"`
}

// Ping and Pong carry an opaque value echoed back.
type Ping struct {
	N uint64 `msgpack:"n"`
}

// MsgType says which field of Body is set. Append-only.
type MsgType uint8

// Message types.
const (
	MsgText   MsgType = 1 // Body.Text
	MsgSystem MsgType = 2 // Body.System: membership and group events, rendered by clients
)

// Message is one entry of a group's history.
type Message struct {
	Seq    uint64  `msgpack:"seq"`            // per group, from 1, +1 each, never reused
	Time   int64   `msgpack:"ts"`             // server time, unix milliseconds
	Sender string  `msgpack:"from"`           // user id ("" for system events without an actor)
	CMID   string  `msgpack:"cmid,omitempty"` // the sender's client message id
	Type   MsgType `msgpack:"type"`
	Body   Body    `msgpack:"body"`
	Lane   Lane    `msgpack:"lane,omitempty"` // rooms: the message's priority lane
}

// Body is a tagged union: exactly the field named by the message's Type is set.
// New message kinds add a field and a MsgType; old clients ignore unknown keys.
type Body struct {
	Text   *TextBody   `msgpack:"text,omitempty"`
	System *SystemBody `msgpack:"sys,omitempty"`
	// Rich bodies (rich.go).
	Image    *ImageBody    `msgpack:"img,omitempty"`
	Video    *VideoBody    `msgpack:"video,omitempty"`
	Live     *LiveBody     `msgpack:"live,omitempty"`
	Product  *ProductBody  `msgpack:"product,omitempty"`
	Sticker  *StickerBody  `msgpack:"sticker,omitempty"`
	Location *LocationBody `msgpack:"loc,omitempty"`
	Link     *LinkBody     `msgpack:"link,omitempty"`
	Custom   *CustomBody   `msgpack:"custom,omitempty"`
	Recalled *RecalledBody `msgpack:"recalled,omitempty"`
}

// TextBody is a text message.
type TextBody struct {
	Text     string   `msgpack:"t"`
	Mentions []string `msgpack:"at,omitempty"`
}

// SystemBody is a group event. Event names are stable (see docs/protocol.md).
type SystemBody struct {
	Event  string `msgpack:"e"`
	Actor  string `msgpack:"actor,omitempty"`
	Target string `msgpack:"target,omitempty"`
	Text   string `msgpack:"t,omitempty"`
	Until  int64  `msgpack:"until,omitempty"` // unix ms, for timed events (mute)
}

// System event names (see docs/protocol.md). Stable: clients render them.
const (
	EventCreated     = "created"      // Actor created the group
	EventJoined      = "joined"       // Actor joined
	EventLeft        = "left"         // Actor left
	EventUpdated     = "updated"      // profile or settings changed; Text names the fields
	EventRole        = "role"         // Target's role changed; Text "admin" or "member"
	EventKicked      = "kicked"       // Actor removed Target
	EventBanned      = "banned"       // Actor banned Target (removed if a member)
	EventUnbanned    = "unbanned"     //
	EventMuted       = "muted"        // Target muted Until (unix ms)
	EventUnmuted     = "unmuted"      //
	EventMuteAll     = "mute_all"     // Text "on" or "off"
	EventOwner       = "owner"        // ownership passed from Actor to Target
	EventDissolved   = "dissolved"    // the group is closed
	EventInvited     = "invited"      // Actor added Target
	EventAnnounce    = "announcement" // Text is the announcement
	EventPinned      = "pinned"       // Text is the pinned seq
	EventUnpinned    = "unpinned"     //
	EventJoinRequest = "join_request" // sent only to owner and admins as a notice
)

// Check reports whether the body matches the type and is within limits.
func (m *Message) Check(maxText int) error {
	switch m.Type {
	case MsgText:
		if m.Body.Text == nil || m.Body.fields() != 1 {
			return Errorf(CodeBadRequest, "text message needs body.text only")
		}
		if m.Body.Text.Text == "" {
			return Errorf(CodeBadRequest, "empty text")
		}
		if len(m.Body.Text.Text) > maxText {
			return Errorf(CodeBadRequest, "text longer than %d bytes", maxText)
		}
		if !utf8.ValidString(m.Body.Text.Text) || !utf8.ValidString(m.CMID) {
			return Errorf(CodeBadRequest, "text is not valid UTF-8")
		}
		if err := checkMentions(m.Body.Text.Mentions); err != nil {
			return err
		}
		return nil
	case MsgSystem, MsgRecalled:
		return Errorf(CodeBadRequest, "message type %d cannot be sent by clients", m.Type)
	default:
		if !utf8.ValidString(m.CMID) {
			return Errorf(CodeBadRequest, "cmid is not valid UTF-8")
		}
		if err := m.checkRich(); err != nil {
			return err
		}
		return nil
	}
}

// Notice tells one user about something that is not a group message: a
// join request to review (to owner and admins), the outcome of their own
// request, removal from a group.
type Notice struct {
	Kind  string `msgpack:"kind"` // "join_request", "approved", "rejected", "removed"
	Group string `msgpack:"g"`
	User  string `msgpack:"user,omitempty"` // whom it is about
	By    string `msgpack:"by,omitempty"`
	Text  string `msgpack:"t,omitempty"`
}

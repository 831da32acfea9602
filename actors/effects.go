package actors

import (
	"fmt"

	"github.com/qunchat/qun/wire"
)

// Command is one input to a state machine.
type Command struct {
	Now  int64 // unix ms, from the grain's clock
	User string
	Op   wire.Op
	Args []byte // msgpack
	Host []byte // msgpack HostFacts
}

// Gender as the host's profile hook reports it.
const (
	GenderUnknown uint8 = 0
	GenderMale    uint8 = 1
	GenderFemale  uint8 = 2
)

// UserFacts are a user's profile facts the group keeps for its stats.
type UserFacts struct {
	Gender    uint8 `msgpack:"gender,omitempty"`
	BirthYear int   `msgpack:"birth_year,omitempty"`
}

// HostFacts are what the engine learned from the host's hooks before a call.
type HostFacts struct {
	MaxMembers int                  `msgpack:"max_members,omitempty"` // create: the owner's tier
	Profiles   map[string]UserFacts `msgpack:"profiles,omitempty"`    // joiners' profiles
	Code       string               `msgpack:"code,omitempty"`        // create_invite: the new code
	Year       int                  `msgpack:"year,omitempty"`        // the current year, for ages
	Fan        *FanFacts            `msgpack:"fan,omitempty"`         // join, fan card: the caller as a fan of the owner
	Message    *wire.Message        `msgpack:"msg,omitempty"`         // recall: the message as the journal holds it
}

// GroupSummary answers OpSummary.
type GroupSummary struct {
	Info   wire.GroupInfo `msgpack:"info"`
	Member bool           `msgpack:"member"`
	// Mentions are the seqs of messages that mention the caller (the
	// engine counts those after the caller's read position).
	Mentions []uint64 `msgpack:"mentions,omitempty"`
}

// HistoryQuery is a journal read the grain performs for a history page.
type HistoryQuery struct {
	From, To uint64 // inclusive seq bounds, both within the durable range
	Limit    int
	Reverse  bool // read newest first (from To down), then return ascending
	LastSeq  uint64
	// Room: merge Chatter (retained room chatter in range) with the journal.
	Room    bool
	Chatter []chatterEntry
}

// Effects is what the state machine asks the grain to carry out.
type Effects struct {
	// Records to persist, with seqs assigned, in order. Their messages are
	// pushed to online members once durable, never before.
	Records []record
	// Reply is the msgpack result body, or Err the failure.
	Reply []byte
	Err   *wire.Error
	// ReplyAfter: the reply goes out only once every seq <= ReplyAfter is
	// durable (0 = at once).
	ReplyAfter uint64
	// Read, if set, is a history read; the grain answers with its result.
	Read *HistoryQuery
	// AddUsers and RemoveUsers change live subscriptions along with the push.
	AddUsers, RemoveUsers []string
	// Aux writes group state that is not history (invite codes, join
	// requests, announcement acks) to KV keys under the group's prefix. With
	// ReplyBatch the reply waits until these are durable.
	Aux        []AuxWrite
	ReplyBatch bool
	// DropHistory deletes the journal before the records are written
	// (dissolve with DeleteOnDissolve).
	DropHistory bool
	// Closed: the group is gone; hubs unsubscribe everyone after the push.
	Closed bool
	// GroupName is the group's name, set when a user joined (join, apply,
	// review): the engine records it in the user's list without a second
	// call. It travels in pb.Result.GroupName, never to clients.
	GroupName string
	// Notice, if set, goes to the listed users' live connections.
	Notice   *wire.Notice
	NoticeTo []string
	// Rewrites replace journal records already written (a recalled
	// message's tombstone); they are persisted with Records, never pushed.
	Rewrites []record
	// HostEvents go to the host (Deps.OnHostEvent) once Records are durable:
	// offline pushes, diversion reports.
	HostEvents []HostEvent
}

// AuxWrite sets (or with a nil Value, deletes) one aux key, relative to the
// group's aux prefix.
type AuxWrite struct {
	Key   string
	Value []byte
}

// refuse answers with err.
func refuse(err *wire.Error) Effects { return Effects{Err: err} }

func fail(code wire.Code, format string, args ...any) Effects {
	return refuse(wire.Errorf(code, format, args...))
}

// failAux refuses but still writes aux (lapsed entries found on the way);
// the refusal then waits for them to be durable.
func failAux(aux []AuxWrite, code wire.Code, format string, args ...any) Effects {
	e := fail(code, format, args...)
	e.Aux, e.ReplyBatch = aux, len(aux) > 0
	return e
}

func ok(v any) Effects {
	b, err := wire.Marshal(v)
	if err != nil {
		return fail(wire.CodeInternal, "encode reply: %v", err)
	}
	return Effects{Reply: b}
}

// okAux replies once the aux writes are durable.
func okAux(v any, aux ...AuxWrite) Effects {
	e := ok(v)
	e.Aux, e.ReplyBatch = aux, true
	return e
}

// okAfter replies once the records are durable.
func okAfter(v any, recs ...record) Effects {
	e := ok(v)
	e.Records = recs
	if len(recs) > 0 {
		e.ReplyAfter = recs[len(recs)-1].Msg.Seq
	}
	return e
}

func mustMarshal(v any) []byte {
	b, err := wire.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("actors: marshal %T: %v", v, err)) // only our own types
	}
	return b
}

// record is one journal entry: the message clients see plus the state change
// it stands for.
type record struct {
	Msg    wire.Message `msgpack:"m"`
	Change *change      `msgpack:"c,omitempty"`
	raw    RawMessage   // Msg already encoded (room chatter), or nil
}

type change struct {
	Name          string           `msgpack:"name,omitempty"`
	Join          wire.JoinPolicy  `msgpack:"join,omitempty"`
	MaxMembers    int              `msgpack:"max,omitempty"`
	Role          wire.Role        `msgpack:"role,omitempty"`
	Facts         UserFacts        `msgpack:"facts,omitempty"`
	Profile       *wire.Profile    `msgpack:"profile,omitempty"`
	JoinSet       *wire.JoinPolicy `msgpack:"join_set,omitempty"`
	MembersInvite *bool            `msgpack:"members_invite,omitempty"`
	Seq           uint64           `msgpack:"seq,omitempty"`  // pinned/unpinned message
	Fan           *fanChange       `msgpack:"fan,omitempty"`  // fans.go
	Room          *roomState       `msgpack:"room,omitempty"` // room opened or reconfigured
}

// none is the argument type of ops that take no arguments.
type none struct{}

// req is a command that passed its op's checks, with its arguments (of type
// T) and the host facts decoded.
type req[T any] struct {
	Command
	args T
	host HostFacts
}

// HostEvent is something the host is told once it is durable: an offline
// push for members (strong announcement, mention) or a diversion report.
type HostEvent struct {
	Kind  string   // HostPush or HostFlag
	Group string   //
	Seq   uint64   // the message it is about
	Users []string // HostPush: whom to push to (the engine keeps those not online)
	From  string   // the message's sender
	Text  string   // HostPush: what to show; HostFlag: the kinds matched
}

// Host event kinds.
const (
	HostPush = "push"
	HostFlag = "flag"
)

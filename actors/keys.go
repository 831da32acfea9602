package actors

// Storage keys: every key and stream name actors writes, in one place. The
// store treats them as opaque bytes (persistence adds its own one-byte tags
// for journal, snapshot and KV).
//
//	g/<group>             journal and snapshot stream of a group
//	ga/<group>/i/<code>   an invite code (aux KV)
//	ga/<group>/r/<user>   a pending join request (aux KV)
//	ga/<group>/a/<user>   the announcement a member acknowledged (aux KV)
//	ga/<group>/c/<slot>   a live room's retained chatter message (aux KV)
//	u/<user>              a user's state (KV)
//	ix/<group>            a group's discovery entry (KV)
const (
	groupStreamPrefix = "g/"
	groupAuxPrefix    = "ga/"
	userKeyPrefix     = "u/"
	indexKeyPrefix    = "ix/"
)

// Aux key prefixes, relative to AuxPrefix(group).
const (
	auxInvite  = "i/"
	auxRequest = "r/"
	auxAck     = "a/"
	auxChatter = "c/" // a live room's chatter ring slot (room_state.go)
)

// groupStream is the journal and snapshot stream of a group.
func groupStream(id string) string { return groupStreamPrefix + id }

// userKey is the KV key of a user's state.
func userKey(id string) string { return userKeyPrefix + id }

// AuxPrefix is the KV prefix of a group's aux state.
func AuxPrefix(group string) string { return groupAuxPrefix + group + "/" }

// IndexKey is the KV key of a group's index entry.
func IndexKey(group string) string { return indexKeyPrefix + group }

// Names the grains and per-node actors are registered under.
const (
	KindGroup = "group"     // cluster kind of group grains
	KindUser  = "user"      // cluster kind of user grains
	HubName   = "qun-hub"   // every node's hub, so groups address it by PID on any node
	IndexName = "qun-index" // every node's discovery index
)

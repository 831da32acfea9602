package actors

import "github.com/qunchat/qun/wire"

// Discovery: every node runs one index actor (IndexName). A group grain,
// whenever its profile, settings or member count change durably, writes its
// IndexEntry under the KV key IndexKey(group) in the same batch, and sends
// the entry to its own node's index actor. A node rebuilds its index from
// the "ix/" keys at start. A query is asked of every node's index in
// parallel and the answers are merged, so the design holds for a cluster.

// IndexName is the actor name of every node's discovery index.
const IndexName = "qun-index"

// Index operations, carried in a pb.Call to the index actor.
const (
	OpIndexPut     wire.Op = 1200 // args: IndexEntry → Empty
	OpIndexSearch  wire.Op = 1201 // args: wire.SearchArgs → wire.SearchResult
	OpIndexNearby  wire.Op = 1202 // args: wire.NearbyArgs → wire.SearchResult
	OpIndexGet     wire.Op = 1203 // args: IndexGetArgs → wire.SearchResult (cards of the named groups known here)
	OpIndexByOwner wire.Op = 1204 // args: wire.UserArgs → wire.SearchResult (searchable groups the user owns)
)

// IndexGetArgs names groups whose cards are wanted.
type IndexGetArgs struct {
	Groups []string `msgpack:"groups"`
}

// IndexEntry is what discovery knows of a group.
type IndexEntry struct {
	Group      string          `msgpack:"g"`
	Name       string          `msgpack:"name"`
	Avatar     string          `msgpack:"avatar,omitempty"`
	Category   string          `msgpack:"category,omitempty"`
	City       string          `msgpack:"city,omitempty"`
	Owner      string          `msgpack:"owner"`
	Lat        float64         `msgpack:"lat,omitempty"`
	Lng        float64         `msgpack:"lng,omitempty"`
	HasLoc     bool            `msgpack:"has_loc,omitempty"`
	Members    int             `msgpack:"members"`
	Join       wire.JoinPolicy `msgpack:"join"`
	Searchable bool            `msgpack:"searchable"`
	Dissolved  bool            `msgpack:"dissolved,omitempty"` // remove from the index
}

// IndexKey is the KV key of a group's index entry.
func IndexKey(group string) string { return "ix/" + group }

// Card renders an entry for clients.
func (e *IndexEntry) Card() wire.GroupCard {
	return wire.GroupCard{Group: e.Group, Name: e.Name, Avatar: e.Avatar, Category: e.Category, City: e.City,
		Owner: e.Owner, Members: e.Members, Join: e.Join}
}

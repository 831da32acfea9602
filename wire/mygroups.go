package wire

// The caller's own chat list: groups, read positions, pinned groups and what shows on their profile.

// MyGroup is one entry of the caller's group list.
type MyGroup struct {
	Group    string `msgpack:"g"`
	Name     string `msgpack:"name"`
	LastSeq  uint64 `msgpack:"last_seq"`
	ReadSeq  uint64 `msgpack:"read_seq"`
	Unread   uint64 `msgpack:"unread"`
	LastTime int64  `msgpack:"last_ts"`
	Pinned   bool   `msgpack:"pinned,omitempty"`
	// Mentioned counts messages after ReadSeq that mention the caller
	// (by name or @all).
	Mentioned int `msgpack:"mentioned,omitempty"`
	// Kind is the group's kind (absent: an ordinary group).
	Kind GroupKind `msgpack:"kind,omitempty"`
}

// MyGroupsResult lists the caller's groups, pinned first, then by last activity.
type MyGroupsResult struct {
	Groups []MyGroup `msgpack:"groups"`
	More   bool      `msgpack:"more,omitempty"` // the list was cut to fit max_frame (pinned, then most recent, first)
}

// MarkReadArgs moves the caller's read position in a group forward.
type MarkReadArgs struct {
	Group string `msgpack:"g"`
	Seq   uint64 `msgpack:"seq"`
}

// PinGroupArgs pins a group to the top of the caller's own chat list.
type PinGroupArgs struct {
	Group string `msgpack:"g"`
	On    bool   `msgpack:"on"`
}

// ShowOnProfileArgs chooses whether one of the caller's groups shows on their profile.
type ShowOnProfileArgs struct {
	Group string `msgpack:"g"`
	Show  bool   `msgpack:"show"`
}

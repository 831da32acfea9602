package wire

// The group's state as clients read and change it: info, profile and settings.

// Empty is an argument or result with no fields.
type Empty struct{}

// GroupArgs names a group.
type GroupArgs struct {
	Group string `msgpack:"g"`
}

// SeqResult is the seq of the system event an operation wrote.
type SeqResult struct {
	Seq uint64 `msgpack:"seq"`
}

// GroupInfo describes a group.
type GroupInfo struct {
	Group     string     `msgpack:"g"`
	Name      string     `msgpack:"name"`
	Owner     string     `msgpack:"owner"`
	Created   int64      `msgpack:"created"`
	Members   int        `msgpack:"members"`
	MaxMember int        `msgpack:"max_members"`
	LastSeq   uint64     `msgpack:"last_seq"`
	LastTime  int64      `msgpack:"last_ts"`
	Join      JoinPolicy `msgpack:"join"`
	// Added for group rules.
	Avatar        string        `msgpack:"avatar,omitempty"`
	Description   string        `msgpack:"desc,omitempty"`
	Category      string        `msgpack:"category,omitempty"`
	Location      *GeoArgs      `msgpack:"loc,omitempty"`
	Searchable    bool          `msgpack:"searchable"`
	MembersInvite bool          `msgpack:"members_invite"`
	MuteAll       bool          `msgpack:"mute_all"`
	Admins        []string      `msgpack:"admins,omitempty"`
	Announcement  *Announcement `msgpack:"announcement,omitempty"`
	Pins          []uint64      `msgpack:"pins,omitempty"`
	Dissolved     bool          `msgpack:"dissolved,omitempty"`
	YourRole      *Role         `msgpack:"your_role,omitempty"`   // absent for non-members
	MutedUntil    int64         `msgpack:"muted_until,omitempty"` // the caller's own mute
	// Fan groups (fans.go): the kind, and a fan group's threshold.
	Kind      GroupKind  `msgpack:"kind,omitempty"`
	Threshold *Threshold `msgpack:"threshold,omitempty"`
}

// Profile is a group's public profile. In UpdateGroupArgs a nil field is
// left unchanged.
type Profile struct {
	Name        *string  `msgpack:"name,omitempty"`
	Avatar      *string  `msgpack:"avatar,omitempty"`
	Description *string  `msgpack:"desc,omitempty"`
	Category    *string  `msgpack:"category,omitempty"`
	Location    *GeoArgs `msgpack:"loc,omitempty"`
	Searchable  *bool    `msgpack:"searchable,omitempty"`
}

// GeoArgs is a point with an optional city.
type GeoArgs struct {
	Lat  float64 `msgpack:"lat"`
	Lng  float64 `msgpack:"lng"`
	City string  `msgpack:"city,omitempty"`
}

// UpdateGroupArgs changes profile and settings (owner and admins).
type UpdateGroupArgs struct {
	Group         string      `msgpack:"g"`
	Profile       Profile     `msgpack:"profile"`
	Join          *JoinPolicy `msgpack:"join,omitempty"`
	MembersInvite *bool       `msgpack:"members_invite,omitempty"` // may plain members invite friends
}

package wire

// Discovery: searchable groups by text, category, place and owner.

// SearchArgs finds searchable groups by name substring and/or category.
type SearchArgs struct {
	Query    string `msgpack:"q,omitempty"`
	Category string `msgpack:"category,omitempty"`
	Limit    int    `msgpack:"limit,omitempty"` // default 20, max 100
}

// NearbyArgs finds searchable groups within RadiusKm of a point, nearest first.
type NearbyArgs struct {
	Lat      float64 `msgpack:"lat"`
	Lng      float64 `msgpack:"lng"`
	RadiusKm float64 `msgpack:"radius_km"`
	Limit    int     `msgpack:"limit,omitempty"`
}

// GroupCard is a group as discovery shows it.
type GroupCard struct {
	Group      string     `msgpack:"g"`
	Name       string     `msgpack:"name"`
	Avatar     string     `msgpack:"avatar,omitempty"`
	Category   string     `msgpack:"category,omitempty"`
	City       string     `msgpack:"city,omitempty"`
	Owner      string     `msgpack:"owner"`
	Members    int        `msgpack:"members"`
	Join       JoinPolicy `msgpack:"join"`
	DistanceKm float64    `msgpack:"distance_km,omitempty"`
	Kind       GroupKind  `msgpack:"kind,omitempty"` // KindFan, KindShop, ... (absent: an ordinary group)
}

// SearchResult lists groups.
type SearchResult struct {
	Groups []GroupCard `msgpack:"groups"`
	More   bool        `msgpack:"more,omitempty"` // cards were left out to fit max_frame
}

// UserArgs names a user.
type UserArgs struct {
	User string `msgpack:"user"`
}

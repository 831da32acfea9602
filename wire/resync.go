package wire

// Resync: a reconnecting client catches up from the last seq it holds per group.

// ResyncArgs states the last seq the client holds for each group.
type ResyncArgs struct {
	Groups map[string]uint64 `msgpack:"groups"`
}

// ResyncGroup says where a group stands after a resync.
type ResyncGroup struct {
	Group   string `msgpack:"g"`
	LastSeq uint64 `msgpack:"last_seq"`
	Sent    int    `msgpack:"sent"`          // messages pushed before this reply
	Gap     bool   `msgpack:"gap,omitempty"` // a Gap frame was sent: fetch history
	Code    Code   `msgpack:"code,omitempty"`
}

// ResyncResult answers a resync after the missed messages were pushed.
type ResyncResult struct {
	Groups []ResyncGroup `msgpack:"groups"`
}

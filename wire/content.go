package wire

// Content: messages sent and paged, members, announcements, pins and stats.

// SendArgs posts a message. CMID is the sender's client message id: a retry
// with the same CMID returns the first seq and posts nothing new.
type SendArgs struct {
	Group string  `msgpack:"g"`
	CMID  string  `msgpack:"cmid"`
	Type  MsgType `msgpack:"type"`
	Body  Body    `msgpack:"body"`
}

// SendResult is sent only after the message is durable.
type SendResult struct {
	Seq  uint64 `msgpack:"seq"`
	Time int64  `msgpack:"ts"`
	Dup  bool   `msgpack:"dup,omitempty"` // true if this CMID was already posted
}

// HistoryArgs pages a group's history. With After present (even 0): the
// messages after that seq, ascending. Without it: the newest messages before
// Before (absent or 0 = latest), returned ascending. Limit defaults to 50 and
// is capped at 200 (and by the frame size).
type HistoryArgs struct {
	Group  string  `msgpack:"g"`
	After  *uint64 `msgpack:"after,omitempty"`
	Before uint64  `msgpack:"before,omitempty"`
	Limit  int     `msgpack:"limit,omitempty"`
}

// After returns a pointer to seq, for HistoryArgs.After.
func After(seq uint64) *uint64 { return &seq }

// HistoryResult is one page. More says whether further messages exist in the
// direction of the page.
type HistoryResult struct {
	Msgs    []Message `msgpack:"msgs"`
	More    bool      `msgpack:"more"`
	LastSeq uint64    `msgpack:"last_seq"`
}

// MembersArgs pages the member list, ordered by user id, starting after After.
type MembersArgs struct {
	Group string `msgpack:"g"`
	After string `msgpack:"after,omitempty"`
	Limit int    `msgpack:"limit,omitempty"`
}

// Member is one member of a group.
type Member struct {
	User   string `msgpack:"user"`
	Role   Role   `msgpack:"role"`
	Joined int64  `msgpack:"joined"`
}

// MembersResult is one page of members.
type MembersResult struct {
	Members []Member `msgpack:"members"`
	Total   int      `msgpack:"total"`
	Next    string   `msgpack:"next,omitempty"` // pass as After for the next page; "" at the end
}

// AnnounceArgs publishes the group's announcement.
type AnnounceArgs struct {
	Group string `msgpack:"g"`
	Text  string `msgpack:"text"`
}

// Announcement is the group's current announcement.
type Announcement struct {
	Seq  uint64 `msgpack:"seq"`
	Text string `msgpack:"text"`
	By   string `msgpack:"by"`
	At   int64  `msgpack:"at"`
	// Strong marks a strong-notification announcement (announce_strong).
	Strong bool `msgpack:"strong,omitempty"`
}

// AnnounceStateResult says who has not acknowledged the announcement.
type AnnounceStateResult struct {
	Announcement *Announcement `msgpack:"announcement"`
	Acked        int           `msgpack:"acked"`
	Unacked      []string      `msgpack:"unacked"`
}

// PinArgs pins (or unpins) a message of the group.
type PinArgs struct {
	Group string `msgpack:"g"`
	Seq   uint64 `msgpack:"seq"`
	Unpin bool   `msgpack:"unpin,omitempty"`
}

// GroupStats is what a group's page shows.
type GroupStats struct {
	Group         string  `msgpack:"g"`
	Members       int     `msgpack:"members"`
	Female        int     `msgpack:"female"`
	Active7d      int     `msgpack:"active_7d"`      // members who posted in the last 7 days
	AverageAge    float64 `msgpack:"average_age"`    // over members whose birth year is known
	MsgsYesterday int     `msgpack:"msgs_yesterday"` // messages posted yesterday (UTC day)
	MsgsToday     int     `msgpack:"msgs_today"`
}

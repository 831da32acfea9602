package wire

// Fan groups and creator tools: their operations are in ops.go (100-139),
// their errors 300-319 here. Append-only.

// Errors of fan groups and creator tools (300-319).
const (
	CodeDiverted     Code = 300 // the group's diversion policy blocks contact details
	CodeRecallWindow Code = 301 // the recall window of the message has passed
	CodeNotReviewed  Code = 302 // the host's review hook has not passed the group for sharing
)

func init() {
	for c, n := range map[Code]string{
		CodeDiverted: "diverted", CodeRecallWindow: "recall_window", CodeNotReviewed: "not_reviewed",
	} {
		codeNames[c] = n
	}
}

// System event names of fan groups and creator tools.
const (
	EventFanSettings    = "fan_settings"        // the owner changed the threshold or homepage order; Text describes it
	EventStrongAnnounce = "strong_announcement" // Text is the announcement; members must acknowledge it
	EventRecalled       = "recalled"            // Actor recalled message Text (a seq) of Target
	EventDivert         = "divert_policy"       // Text is the new policy
)

// GroupKind says what a group is. Append-only.
type GroupKind uint8

// Group kinds.
const (
	KindUser GroupKind = 0 // an ordinary user group
	KindFan  GroupKind = 1 // a creator's fan group
)

// Bounds of thresholds.
const (
	MaxFollowDays = 3650
	MaxFanLevel   = 100
	MaxFanOrder   = 1000
	MaxNoticeID   = 64
)

// Threshold is what a fan must meet to join a fan group; any combination,
// on top of the group's join policy (approval, invite code).
type Threshold struct {
	Follow     bool `msgpack:"follow,omitempty"`      // follows the creator
	FollowDays int  `msgpack:"follow_days,omitempty"` // has followed for at least this many days (implies Follow)
	Level      int  `msgpack:"level,omitempty"`       // fan-club level at least this
}

// Check bounds the threshold.
func (t Threshold) Check() *Error {
	if t.FollowDays < 0 || t.FollowDays > MaxFollowDays || t.Level < 0 || t.Level > MaxFanLevel {
		return Errorf(CodeBadRequest, "follow_days must be 0..%d and level 0..%d", MaxFollowDays, MaxFanLevel)
	}
	return nil
}

// Words describes the threshold for people.
func (t Threshold) Words() string {
	var parts []string
	switch {
	case t.FollowDays > 0:
		parts = append(parts, "followed the creator for "+itoa(uint64(t.FollowDays))+" days")
	case t.Follow:
		parts = append(parts, "follows the creator")
	}
	if t.Level > 0 {
		parts = append(parts, "fan-club level "+itoa(uint64(t.Level))+"+")
	}
	if len(parts) == 0 {
		return "anyone"
	}
	if len(parts) == 2 {
		return parts[0] + " and " + parts[1]
	}
	return parts[0]
}

// CreateFanGroupArgs creates a fan group owned by the caller (a creator).
type CreateFanGroupArgs struct {
	Name      string     `msgpack:"name"`
	Avatar    string     `msgpack:"avatar,omitempty"`
	Join      JoinPolicy `msgpack:"join,omitempty"`
	Threshold Threshold  `msgpack:"threshold"`
	Order     int        `msgpack:"order,omitempty"` // place on the homepage, ascending
}

// SetFanGroupArgs changes a fan group's threshold or homepage order. Nil
// fields stay as they are. Tightening a threshold never evicts members.
type SetFanGroupArgs struct {
	Group     string     `msgpack:"g"`
	Threshold *Threshold `msgpack:"threshold,omitempty"`
	Order     *int       `msgpack:"order,omitempty"`
}

// FanGroupsArgs names the creator whose fan groups to list.
type FanGroupsArgs struct {
	Creator string `msgpack:"creator"`
}

// FanCard is a fan group as the creator's homepage shows it to one viewer.
type FanCard struct {
	Group      string     `msgpack:"g"`
	Name       string     `msgpack:"name"`
	Avatar     string     `msgpack:"avatar,omitempty"`
	Members    int        `msgpack:"members"`
	MaxMembers int        `msgpack:"max_members"`
	Join       JoinPolicy `msgpack:"join"`
	Threshold  Threshold  `msgpack:"threshold"`
	Words      string     `msgpack:"words"` // the threshold and join policy in words
	Order      int        `msgpack:"order"`
	Member     bool       `msgpack:"member,omitempty"` // the viewer is already a member
	MayJoin    bool       `msgpack:"may_join"`         // the viewer meets the threshold and the group has room
	Why        string     `msgpack:"why,omitempty"`    // why not, when MayJoin is false
}

// FanGroupsResult is a creator's fan groups in the creator's order.
type FanGroupsResult struct {
	Creator string    `msgpack:"creator"`
	Groups  []FanCard `msgpack:"groups"`
}

// Notice kinds of creator notices.
const (
	NoticeLive    = "live"    // a live stream started
	NoticePreview = "preview" // a live stream will start at Start
	NoticeVideo   = "video"   // a new video was posted
)

// CreatorNoticeArgs posts one rich message to every fan group of the
// creator. ID makes the call idempotent: a retry with the same ID posts
// nothing new. Room or Video names what the notice is about.
type CreatorNoticeArgs struct {
	ID    string `msgpack:"id"`
	Kind  string `msgpack:"kind"` // NoticeLive, NoticePreview, NoticeVideo
	Room  string `msgpack:"room,omitempty"`
	Video string `msgpack:"video,omitempty"`
	Title string `msgpack:"title"`
	Cover string `msgpack:"cover,omitempty"`
	Start int64  `msgpack:"start,omitempty"` // preview: unix ms
	Dur   int    `msgpack:"dur,omitempty"`   // video: seconds
}

// Message returns the rich message a notice posts.
func (a *CreatorNoticeArgs) Message() (Message, *Error) {
	var m Message
	switch a.Kind {
	case NoticeLive, NoticePreview:
		if a.Kind == NoticePreview && a.Start <= 0 {
			return m, Errorf(CodeBadRequest, "a preview needs its start time")
		}
		m = Message{Type: MsgLive, Body: Body{Live: &LiveBody{Room: a.Room, Title: a.Title, Cover: a.Cover, Live: a.Kind == NoticeLive, Start: a.Start}}}
	case NoticeVideo:
		m = Message{Type: MsgVideo, Body: Body{Video: &VideoBody{ID: a.Video, Title: a.Title, Cover: a.Cover, Duration: a.Dur}}}
	default:
		return m, Errorf(CodeBadRequest, "notice kind must be live, preview or video")
	}
	if a.ID == "" || len(a.ID) > MaxNoticeID {
		return m, Errorf(CodeBadRequest, "notice id must be 1..%d bytes", MaxNoticeID)
	}
	return m, m.checkRich()
}

// NoticeGroup is where one notice landed.
type NoticeGroup struct {
	Group string `msgpack:"g"`
	Seq   uint64 `msgpack:"seq,omitempty"`
	Dup   bool   `msgpack:"dup,omitempty"`  // posted by an earlier call with the same id
	Code  Code   `msgpack:"code,omitempty"` // the group refused (e.g. dissolved)
}

// CreatorNoticeResult lists every fan group the notice was posted to.
type CreatorNoticeResult struct {
	Groups []NoticeGroup `msgpack:"groups"`
}

// RecallArgs recalls a message.
type RecallArgs struct {
	Group string `msgpack:"g"`
	Seq   uint64 `msgpack:"seq"`
}

// DivertPolicy is what a group does with contact details in messages.
// Append-only.
type DivertPolicy uint8

// Diversion policies.
const (
	DivertDefault DivertPolicy = 0 // the server's default (mask unless configured)
	DivertAllow   DivertPolicy = 1
	DivertFlag    DivertPolicy = 2 // delivered, reported to the host
	DivertMask    DivertPolicy = 3 // the matched span replaced by ＊
	DivertBlock   DivertPolicy = 4 // refused with CodeDiverted
)

// SetDivertArgs sets a group's diversion policy.
type SetDivertArgs struct {
	Group  string       `msgpack:"g"`
	Policy DivertPolicy `msgpack:"policy"`
}

// ShareCard is what a member shares outside the platform.
type ShareCard struct {
	Code   string            `msgpack:"code"`   // a short invite code
	Links  map[string]string `msgpack:"links"`  // "wechat", "qq", "weibo" → deep-link text
	Card   GroupCard         `msgpack:"card"`   // the group's public card
	Expire int64             `msgpack:"expire"` // when the code lapses, unix ms
}

// FanFollow is one follow edge a standalone server is told about.
type FanFollow struct {
	Fan     string `msgpack:"fan" json:"fan"`
	Creator string `msgpack:"creator" json:"creator"`
	Since   int64  `msgpack:"since" json:"since"` // unix ms
}

// FanLevel is one fan-club level.
type FanLevel struct {
	Fan     string `msgpack:"fan" json:"fan"`
	Creator string `msgpack:"creator" json:"creator"`
	Level   int    `msgpack:"level" json:"level"`
}

// HostFactsArgs seeds the in-memory host of a standalone server.
type HostFactsArgs struct {
	Follows []FanFollow `msgpack:"follows,omitempty" json:"follows,omitempty"`
	Levels  []FanLevel  `msgpack:"levels,omitempty" json:"levels,omitempty"`
}

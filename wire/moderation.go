package wire

// Moderation: roles, kicks, bans, mutes, ownership transfer and dissolution.

// Role of a member. Append-only.
type Role uint8

// Roles.
const (
	RoleMember Role = 0
	RoleAdmin  Role = 1
	RoleOwner  Role = 2
)

func (r Role) String() string {
	switch r {
	case RoleOwner:
		return "owner"
	case RoleAdmin:
		return "admin"
	}
	return "member"
}

// TargetArgs names a member to act on.
type TargetArgs struct {
	Group    string `msgpack:"g"`
	User     string `msgpack:"user"`
	Role     Role   `msgpack:"role,omitempty"`     // OpSetRole
	Duration int64  `msgpack:"duration,omitempty"` // OpMute, milliseconds
}

// MuteAllArgs turns group-wide mute on or off.
type MuteAllArgs struct {
	Group string `msgpack:"g"`
	On    bool   `msgpack:"on"`
}

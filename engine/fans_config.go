package engine

import "slices"

// FanConfig configures fan groups and creator tools (Config.Fans). The
// group-level rules (recall window, @all quota, default diversion policy)
// are in Config.Group.Fans.
type FanConfig struct {
	// MaxFanGroups is how many fan groups a creator may own when the tier
	// hook's Tier.MaxFanGroups is 0. Default 50.
	MaxFanGroups int
	// MaxFanMembers is a fan group's member limit when the tier hook's
	// Tier.MaxFanMembers is 0. Default 2000.
	MaxFanMembers int
	// Admins may call set_host_facts, which fills the in-memory host's
	// follow edges and fan-club levels (a standalone qund has no social
	// graph). Default none: the op is refused.
	Admins []string
	// NoticeParallel bounds the fan groups a creator notice is posted to at
	// once. Default 64.
	NoticeParallel int
	// ShareLink is the deep-link prefix share_card puts before an invite
	// code in the texts for WeChat, QQ and Weibo. Default "qun://join?code=".
	ShareLink string
	// HostEventQueue bounds host events (offline pushes, diversion
	// reports) waiting for their hooks; past it they are dropped and
	// counted. Default 4096.
	HostEventQueue int
}

// DefaultFanConfig returns the defaults documented on FanConfig.
func DefaultFanConfig() FanConfig {
	return FanConfig{MaxFanGroups: 50, MaxFanMembers: 2000, NoticeParallel: 64, HostEventQueue: 4096, ShareLink: "qun://join?code="}
}

func (c FanConfig) validate(bad func(string, ...any) error) error {
	switch {
	case c.MaxFanGroups < 0 || c.MaxFanMembers < 2:
		return bad("Fans: MaxFanGroups %d >= 0, MaxFanMembers %d >= 2", c.MaxFanGroups, c.MaxFanMembers)
	case c.NoticeParallel < 1 || c.HostEventQueue < 1:
		return bad("Fans: NoticeParallel and HostEventQueue must be >= 1")
	case slices.ContainsFunc(c.Admins, func(u string) bool { return ValidUserID(u) != nil }):
		return bad("Fans.Admins holds an invalid user id")
	}
	return nil
}

// fanTier resolves a tier's fan-group limits against the config.
func (c FanConfig) fanTier(t Tier) (groups, members int) {
	groups, members = t.MaxFanGroups, t.MaxFanMembers
	if groups == 0 {
		groups = c.MaxFanGroups
	}
	if groups < 0 {
		groups = 0
	}
	if members <= 0 {
		members = c.MaxFanMembers
	}
	return groups, members
}

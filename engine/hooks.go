package engine

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/wire"
)

// Authenticator turns a client's token into a user id. Errors should be
// *wire.Error with CodeUnauthenticated or CodeTokenExpired.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (user string, err error)
}

// Gender as a host reports it.
const (
	GenderUnknown = actors.GenderUnknown
	GenderMale    = actors.GenderMale
	GenderFemale  = actors.GenderFemale
)

// UserProfile is what Qun needs to know of a user from the host: the facts
// behind group stats (Gender: GenderUnknown, GenderMale or GenderFemale;
// BirthYear: 0 = unknown). It is the very type the group grain stores with
// a membership (actors.UserFacts), so there is one definition.
type UserProfile = actors.UserFacts

// Profiles is the host's user-profile service.
type Profiles interface {
	Profile(ctx context.Context, user string) (UserProfile, error)
}

// SocialGraph is the host's follow graph.
type SocialGraph interface {
	// MutualFollows counts the users who follow user and whom user follows.
	MutualFollows(ctx context.Context, user string) (int, error)
	// Friends reports whether a and b follow each other.
	Friends(ctx context.Context, a, b string) (bool, error)
}

// Moderation is the host's content and trust service. A refusal is a
// non-nil error; its text is shown to the user with CodeRejected.
type Moderation interface {
	// MayIssueInvite says whether user may create an invite code for group
	// (a host may refuse groups it has not reviewed).
	MayIssueInvite(ctx context.Context, group, user string) error
	// CheckText says whether user may post text in group.
	CheckText(ctx context.Context, group, user, text string) error
}

// Tier is what a user may create: ordinary users own at most 4 groups of
// 200; a creator or merchant tier may own 50 groups of 2000.
type Tier struct {
	MaxOwnedGroups int
	MaxMembers     int
	// MaxFanGroups and MaxFanMembers bound the creator's fan groups, counted
	// apart from ordinary groups: 0 means Config.MaxFanGroups and
	// Config.MaxFanMembers (default 50 groups of 2000), a negative
	// MaxFanGroups none.
	MaxFanGroups  int
	MaxFanMembers int
}

// Tiers is the host's account-tier service.
type Tiers interface {
	Tier(ctx context.Context, user string) (Tier, error)
}

// Hooks connect Qun to the host platform. Every nil field gets a working
// default: JWT tokens with the engine's secret, and the engine's MemoryHost
// (see Engine.Host) for the rest.
type Hooks struct {
	Auth       Authenticator
	Profiles   Profiles
	Social     SocialGraph
	Moderation Moderation
	Tiers      Tiers
	// Payments and Coupons serve red packets and coupons (payments.go).
	Payments Payments
	Coupons  CouponIssuer
	// Fan groups and creator tools (fans_hooks.go).
	Fans    FanFacts      // follow edges and fan-club levels: fan-group thresholds
	Push    OfflinePusher // offline pushes: strong announcements, mentions
	Reports DivertReports // messages the diversion policy flagged
	Share   ShareReview   // which groups may be shared outside the platform
}

// MemoryHost is the in-memory default of every host hook: profiles, a
// follow graph, moderation (blocked words, groups refused invite codes) and
// tiers, filled by the embedder (or tests) through its setters. It keeps
// nothing across restarts. Safe for concurrent use.
type MemoryHost struct {
	mu          sync.RWMutex
	defaultTier Tier
	profiles    map[string]UserProfile
	follows     map[string]map[string]bool // follower → followed
	tiers       map[string]Tier
	blocked     []string
	noInvites   map[string]bool
	ledger      memoryLedger // payments.go
	fan         memoryFans   // fans_hooks.go
}

// NewMemoryHost returns an empty host whose users get defaultTier.
func NewMemoryHost(defaultTier Tier) *MemoryHost {
	return &MemoryHost{defaultTier: defaultTier, profiles: map[string]UserProfile{}, follows: map[string]map[string]bool{},
		tiers: map[string]Tier{}, noInvites: map[string]bool{},
		ledger: memoryLedger{balances: map[string]int64{}, applied: map[string]bool{}, refuse: map[string]bool{}}}
}

// SetProfile records a user's profile.
func (h *MemoryHost) SetProfile(user string, p UserProfile) {
	h.mu.Lock()
	h.profiles[user] = p
	h.mu.Unlock()
}

// Follow records that a follows b.
func (h *MemoryHost) Follow(a, b string) {
	h.mu.Lock()
	if h.follows[a] == nil {
		h.follows[a] = map[string]bool{}
	}
	h.follows[a][b] = true
	h.fan.followed(a, b, time.Now())
	h.mu.Unlock()
}

// Befriend makes a and b follow each other.
func (h *MemoryHost) Befriend(a, b string) { h.Follow(a, b); h.Follow(b, a) }

// SetTier gives a user a tier other than the default.
func (h *MemoryHost) SetTier(user string, t Tier) {
	h.mu.Lock()
	h.tiers[user] = t
	h.mu.Unlock()
}

// BlockWords makes CheckText refuse texts containing any of words.
func (h *MemoryHost) BlockWords(words ...string) {
	h.mu.Lock()
	h.blocked = append(h.blocked, words...)
	h.mu.Unlock()
}

// RefuseInvites makes MayIssueInvite refuse group (or allow it again).
func (h *MemoryHost) RefuseInvites(group string, refuse bool) {
	h.mu.Lock()
	h.noInvites[group] = refuse
	h.mu.Unlock()
}

// Profile implements Profiles.
func (h *MemoryHost) Profile(_ context.Context, user string) (UserProfile, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.profiles[user], nil
}

// MutualFollows implements SocialGraph.
func (h *MemoryHost) MutualFollows(_ context.Context, user string) (int, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	for b := range h.follows[user] {
		if h.follows[b][user] {
			n++
		}
	}
	return n, nil
}

// Friends implements SocialGraph.
func (h *MemoryHost) Friends(_ context.Context, a, b string) (bool, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.follows[a][b] && h.follows[b][a], nil
}

// MayIssueInvite implements Moderation.
func (h *MemoryHost) MayIssueInvite(_ context.Context, group, _ string) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.noInvites[group] {
		return wire.Errorf(wire.CodeRejected, "this group has not been reviewed for invite codes yet")
	}
	return nil
}

// CheckText implements Moderation.
func (h *MemoryHost) CheckText(_ context.Context, _, _, text string) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, w := range h.blocked {
		if w != "" && strings.Contains(text, w) {
			return wire.Errorf(wire.CodeRejected, "the message contains blocked content")
		}
	}
	return nil
}

// Tier implements Tiers.
func (h *MemoryHost) Tier(_ context.Context, user string) (Tier, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if t, ok := h.tiers[user]; ok {
		return t, nil
	}
	return h.defaultTier, nil
}

// hasBlocked reports whether CheckText can refuse anything.
func (h *MemoryHost) hasBlocked() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.blocked) > 0
}

// What the engine asks the hooks before a grain call. Hooks run on request
// goroutines, never in a grain.

// hookErr turns a host hook's failure into a client error.
func hookErr(hook string, err error) error {
	if we, ok := err.(*wire.Error); ok {
		return we
	}
	return wire.Errorf(wire.CodeUnavailable, "host %s hook failed", hook)
}

// refusal turns a moderation hook's refusal into a client error.
func refusal(err error) error {
	if we, ok := err.(*wire.Error); ok {
		return we
	}
	return wire.Errorf(wire.CodeRejected, "%v", err)
}

// moderatesText reports whether the moderation hook may refuse a text: the
// default MemoryHost refuses nothing until a word is blocked, and the send
// path then skips decoding the text.
func (e *Engine) moderatesText() bool {
	m, ok := e.hooks.Moderation.(*MemoryHost)
	return !ok || m.hasBlocked()
}

// checkText asks the moderation hook about a text message.
func (e *Engine) checkText(ctx context.Context, g, user string, body *wire.TextBody) error {
	if body == nil {
		return nil
	}
	if err := e.hooks.Moderation.CheckText(ctx, g, user, body.Text); err != nil {
		return refusal(err)
	}
	return nil
}

// facts reads the profiles of users for a group's stats.
func (e *Engine) facts(ctx context.Context, users ...string) (map[string]UserProfile, error) {
	out := make(map[string]UserProfile, len(users))
	for _, u := range users {
		p, err := e.hooks.Profiles.Profile(ctx, u)
		if err != nil {
			return nil, hookErr("profiles", err)
		}
		out[u] = p
	}
	return out, nil
}

// inviteCode asks the moderation hook whether user may issue an invite code
// for g, and makes the code.
func (e *Engine) inviteCode(r request, g string) ([]byte, error) {
	if err := e.hooks.Moderation.MayIssueInvite(r.ctx, g, r.user); err != nil {
		return nil, refusal(err)
	}
	code := actors.InviteCodePrefix(g) + strings.ToUpper(newGroupID()[1:9])
	return marshalArgs(actors.HostFacts{Code: code}), nil
}

// thisYear gives the group grain the current year, for members' ages.
func thisYear(*Engine, request, string) ([]byte, error) {
	return marshalArgs(actors.HostFacts{Year: time.Now().UTC().Year()}), nil
}

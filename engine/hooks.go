package engine

import (
	"context"
	"strings"
	"sync"

	"github.com/qunchat/qun/wire"
)

// Authenticator turns a client's token into a user id. Errors should be
// *wire.Error with CodeUnauthenticated or CodeTokenExpired.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (user string, err error)
}

// Gender as a host reports it.
const (
	GenderUnknown uint8 = 0
	GenderMale    uint8 = 1
	GenderFemale  uint8 = 2
)

// UserProfile is what Qun needs to know of a user from the host: the facts
// behind group stats.
type UserProfile struct {
	Gender    uint8 // GenderUnknown, GenderMale, GenderFemale
	BirthYear int   // 0 = unknown
}

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
}

// NewMemoryHost returns an empty host whose users get defaultTier.
func NewMemoryHost(defaultTier Tier) *MemoryHost {
	return &MemoryHost{defaultTier: defaultTier, profiles: map[string]UserProfile{}, follows: map[string]map[string]bool{},
		tiers: map[string]Tier{}, noInvites: map[string]bool{}}
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

// hasBlocked reports whether CheckText can refuse anything (so the send
// path skips decoding when it cannot).
func (h *MemoryHost) hasBlocked() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.blocked) > 0
}

package engine

import (
	"context"
	"time"

	"github.com/qunchat/qun/wire"
)

// Host hooks of fan groups and creator tools, and their in-memory defaults
// in MemoryHost.

// FanFacts is the host's knowledge of fans: follow edges with their start,
// and fan-club levels. Asked on join and apply of a fan group with a
// threshold, and for each card of fan_groups.
type FanFacts interface {
	// FollowSince reports whether fan follows creator, and since when.
	FollowSince(ctx context.Context, fan, creator string) (since time.Time, follows bool, err error)
	// FanLevel is fan's fan-club level with creator (0: none).
	FanLevel(ctx context.Context, fan, creator string) (int, error)
}

// PushNote is one offline push: a member who has no connection is told
// about a message.
type PushNote struct {
	Users []string // whom to push to: members with no live connection to this node
	Group string
	Seq   uint64 // the message
	From  string // who sent it
	Kind  string // "mention" or "announcement"
	Text  string // the strong announcement's text, or "mentioned you"
}

// OfflinePusher sends offline pushes (APNs, vendor push channels).
type OfflinePusher interface {
	OfflinePush(ctx context.Context, n PushNote) error
}

// DivertReport is a message the group's diversion policy ("flag") let
// through and reports.
type DivertReport struct {
	Group string
	Seq   uint64
	From  string
	Kinds string // comma-separated: "wechat", "phone", "qq", "qr"
}

// DivertReports receives diversion reports (for the host's trust and
// safety review).
type DivertReports interface {
	DivertFlagged(ctx context.Context, r DivertReport) error
}

// ShareReview says which groups may be shared outside the platform
// (share_card); a refusal reaches the client as not_reviewed (302).
type ShareReview interface {
	MayShare(ctx context.Context, group, user string) error
}

// memoryFans is MemoryHost's fan data, guarded by MemoryHost.mu.
type memoryFans struct {
	since   map[[2]string]time.Time // (fan, creator) → follow start
	levels  map[[2]string]int
	pushes  []PushNote
	reports []DivertReport
	noShare map[string]bool
}

func (m *memoryFans) followed(fan, creator string, at time.Time) {
	if m.since == nil {
		m.since = map[[2]string]time.Time{}
	}
	if _, ok := m.since[[2]string{fan, creator}]; !ok {
		m.since[[2]string{fan, creator}] = at
	}
}

// SetFollowSince records that fan has followed creator since t (a follow
// edge with its start; Follow records one starting now).
func (h *MemoryHost) SetFollowSince(fan, creator string, t time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.follows[fan] == nil {
		h.follows[fan] = map[string]bool{}
	}
	h.follows[fan][creator] = true
	h.fan.followed(fan, creator, t)
	h.fan.since[[2]string{fan, creator}] = t
}

// SetFanLevel records fan's fan-club level with creator.
func (h *MemoryHost) SetFanLevel(fan, creator string, level int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fan.levels == nil {
		h.fan.levels = map[[2]string]int{}
	}
	h.fan.levels[[2]string{fan, creator}] = level
}

// RefuseShare makes MayShare refuse group (or allow it again).
func (h *MemoryHost) RefuseShare(group string, refuse bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fan.noShare == nil {
		h.fan.noShare = map[string]bool{}
	}
	h.fan.noShare[group] = refuse
}

// SetHostFacts adds the follow edges and levels of a (set_host_facts or
// --host-facts file).
func (h *MemoryHost) SetHostFacts(a wire.HostFactsArgs) {
	for _, f := range a.Follows {
		h.SetFollowSince(f.Fan, f.Creator, time.UnixMilli(f.Since))
	}
	for _, l := range a.Levels {
		h.SetFanLevel(l.Fan, l.Creator, l.Level)
	}
}

// FollowSince implements FanFacts.
func (h *MemoryHost) FollowSince(_ context.Context, fan, creator string) (time.Time, bool, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if !h.follows[fan][creator] {
		return time.Time{}, false, nil
	}
	return h.fan.since[[2]string{fan, creator}], true, nil
}

// FanLevel implements FanFacts.
func (h *MemoryHost) FanLevel(_ context.Context, fan, creator string) (int, error) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.fan.levels[[2]string{fan, creator}], nil
}

// maxRecorded bounds the pushes and reports MemoryHost keeps.
const maxRecorded = 10000

// OfflinePush implements OfflinePusher: it records the push (see Pushes).
func (h *MemoryHost) OfflinePush(_ context.Context, n PushNote) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.fan.pushes) < maxRecorded {
		h.fan.pushes = append(h.fan.pushes, n)
	}
	return nil
}

// Pushes returns the offline pushes recorded so far (at most 10 000).
func (h *MemoryHost) Pushes() []PushNote {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]PushNote(nil), h.fan.pushes...)
}

// DivertFlagged implements DivertReports: it records the report (see
// Reports).
func (h *MemoryHost) DivertFlagged(_ context.Context, r DivertReport) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.fan.reports) < maxRecorded {
		h.fan.reports = append(h.fan.reports, r)
	}
	return nil
}

// Reports returns the diversion reports recorded so far (at most 10 000).
func (h *MemoryHost) Reports() []DivertReport {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]DivertReport(nil), h.fan.reports...)
}

// MayShare implements ShareReview: every group passes unless refused with
// RefuseShare.
func (h *MemoryHost) MayShare(_ context.Context, group, _ string) error {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.fan.noShare[group] {
		return wire.Errorf(wire.CodeNotReviewed, "this group has not passed review for sharing")
	}
	return nil
}

// fanHookDefaults fills the creator-tool hooks the config left nil.
func (e *Engine) fanHookDefaults() {
	if e.hooks.Fans == nil {
		e.hooks.Fans = e.host
	}
	if e.hooks.Push == nil {
		e.hooks.Push = e.host
	}
	if e.hooks.Reports == nil {
		e.hooks.Reports = e.host
	}
	if e.hooks.Share == nil {
		e.hooks.Share = e.host
	}
}

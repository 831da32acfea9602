package engine

import (
	"sort"
	"sync"

	"github.com/qunchat/qun/actors"
	"github.com/qunchat/qun/actors/pb"
	"github.com/qunchat/qun/wire"
)

// My groups: the caller's chat list, kept by their user grain (ids, names,
// read positions, pins) and completed from each group grain's summary.

// userGroups lists a user's groups as their user grain keeps them.
func (e *Engine) userGroups(user string) ([]actors.UserGroup, error) {
	body, err := e.request(actors.KindUser, user, &pb.Call{Op: uint32(actors.OpUserGroups), User: user})
	if err != nil {
		return nil, err
	}
	var res actors.UserGroupsResult
	if err := decodeInto(body, &res); err != nil {
		return nil, err
	}
	return res.Groups, nil
}

// toUser runs an operation on the caller's own list in their user grain
// (mark_read, pin_group, show_on_profile).
func toUser(e *Engine, r request) ([]byte, error) {
	return e.request(actors.KindUser, r.user, &pb.Call{Op: uint32(r.op), User: r.user, Args: r.args})
}

// myGroups runs wire.OpMyGroups: pinned first, then by last activity. A
// group the user is no longer a member of (removed, dissolved) is dropped
// from their list here.
func (e *Engine) myGroups(r request) ([]byte, error) {
	user := r.user
	ugs, err := e.userGroups(user)
	if err != nil {
		return nil, err
	}
	out := make([]wire.MyGroup, len(ugs))
	keep := make([]bool, len(ugs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i, ug := range ugs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			mg := wire.MyGroup{Group: ug.Group, Name: ug.Name, ReadSeq: ug.ReadSeq, Pinned: ug.Pinned}
			body, err := e.groupCall(user, actors.OpSummary, ug.Group, nil, nil)
			var s actors.GroupSummary
			if err == nil && decodeInto(body, &s) == nil {
				if !s.Member {
					// Removed, or the group was dissolved: drop it from the list.
					_ = e.userCall(user, actors.OpUserRemove, actors.UserGroupArgs{Group: ug.Group})
					return
				}
				mg.Name, mg.LastSeq, mg.LastTime, mg.Kind = s.Info.Name, s.Info.LastSeq, s.Info.LastTime, s.Info.Kind
				if mg.LastSeq > mg.ReadSeq {
					mg.Unread = mg.LastSeq - mg.ReadSeq
				}
				for _, seq := range s.Mentions {
					if seq > mg.ReadSeq {
						mg.Mentioned++
					}
				}
			} else if wire.CodeOf(err) == wire.CodeNoSuchGroup {
				_ = e.userCall(user, actors.OpUserRemove, actors.UserGroupArgs{Group: ug.Group})
				return
			}
			out[i], keep[i] = mg, true
		}()
	}
	wg.Wait()
	res := wire.MyGroupsResult{Groups: make([]wire.MyGroup, 0, len(out))}
	for i := range out {
		if keep[i] {
			res.Groups = append(res.Groups, out[i])
		}
	}
	sort.SliceStable(res.Groups, func(i, j int) bool {
		a, b := res.Groups[i], res.Groups[j]
		if a.Pinned != b.Pinned {
			return a.Pinned
		}
		if a.LastTime != b.LastTime {
			return a.LastTime > b.LastTime
		}
		return a.Group < b.Group
	})
	if n := wire.Fit(res.Groups, e.cfg.Group.MaxReplyBytes); n < len(res.Groups) {
		res.Groups, res.More = res.Groups[:n], true
	}
	return wire.Marshal(&res)
}

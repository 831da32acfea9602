package actors

import (
	"sort"
	"strings"

	"github.com/qunchat/qun/wire"
)

// Profile: what a group shows of itself, and changes to it.

func (g *GroupMachine) groupInfo(r *req[none]) Effects {
	in := g.info()
	m := g.st.Members[r.User]
	if m == nil { // the announcement and pins are for members
		in.Announcement, in.Pins = nil, nil
	} else {
		role := m.Role
		in.YourRole = &role
		if m.MutedUntil > r.Now {
			in.MutedUntil = m.MutedUntil
		}
	}
	return ok(in)
}

func (g *GroupMachine) summary(r *req[none]) Effects {
	return ok(GroupSummary{Info: g.info(), Member: g.IsMember(r.User) && !g.st.Dissolved, Mentions: g.mentionsOf(r.User)})
}

func (g *GroupMachine) info() wire.GroupInfo {
	in := wire.GroupInfo{
		Group: g.st.ID, Name: g.st.Name, Owner: g.st.Owner, Created: g.st.Created,
		Members: len(g.st.Members), MaxMember: g.st.MaxMembers, LastSeq: g.st.LastSeq,
		LastTime: g.st.LastTime, Join: g.st.Join,
		Avatar: g.st.Avatar, Description: g.st.Desc, Category: g.st.Category, Searchable: g.st.Searchable,
		MembersInvite: g.st.MembersInvite, MuteAll: g.st.MuteAll, Announcement: g.st.Announcement,
		Pins: g.st.Pins, Dissolved: g.st.Dissolved,
	}
	if g.st.HasLoc {
		in.Location = &wire.GeoArgs{Lat: g.st.Lat, Lng: g.st.Lng, City: g.st.City}
	}
	in.Kind = g.kind()
	if g.isFan() {
		thr := g.st.Fan.Threshold
		in.Threshold = &thr
	}
	for u, m := range g.st.Members {
		if m.Role == wire.RoleAdmin {
			in.Admins = append(in.Admins, u)
		}
	}
	sort.Strings(in.Admins)
	return in
}

func (g *GroupMachine) update(r *req[wire.UpdateGroupArgs]) Effects {
	a := &r.args
	p := a.Profile
	var fields []string
	if p.Name != nil {
		if *p.Name == "" || !validText(*p.Name, MaxNameLen) {
			return fail(wire.CodeBadRequest, "group name must be 1..%d bytes of UTF-8", MaxNameLen)
		}
		fields = append(fields, "name")
	}
	if p.Avatar != nil {
		if !validText(*p.Avatar, MaxAvatarLen) || (*p.Avatar != "" && !strings.HasPrefix(*p.Avatar, "https://") && !strings.HasPrefix(*p.Avatar, "http://")) {
			return fail(wire.CodeBadRequest, "avatar must be an http(s) URL of at most %d bytes", MaxAvatarLen)
		}
		fields = append(fields, "avatar")
	}
	if p.Description != nil {
		if !validText(*p.Description, MaxDescLen) {
			return fail(wire.CodeBadRequest, "description longer than %d bytes", MaxDescLen)
		}
		fields = append(fields, "desc")
	}
	if p.Category != nil {
		if !g.validCategory(*p.Category) {
			return fail(wire.CodeBadRequest, "unknown category %q", *p.Category)
		}
		fields = append(fields, "category")
	}
	if l := p.Location; l != nil {
		if l.Lat < -90 || l.Lat > 90 || l.Lng < -180 || l.Lng > 180 || l.Lat != l.Lat || l.Lng != l.Lng || !validText(l.City, MaxCityLen) {
			return fail(wire.CodeBadRequest, "location out of range")
		}
		fields = append(fields, "location")
	}
	if p.Searchable != nil {
		fields = append(fields, "searchable")
	}
	if a.Join != nil {
		if *a.Join > wire.JoinInvite {
			return fail(wire.CodeBadRequest, "unknown join policy %d", *a.Join)
		}
		fields = append(fields, "join")
	}
	if a.MembersInvite != nil {
		fields = append(fields, "members_invite")
	}
	if len(fields) == 0 {
		return fail(wire.CodeBadRequest, "nothing to change")
	}
	return g.event(r.Now, sysMsg(wire.EventUpdated, r.User, "", strings.Join(fields, ",")),
		&change{Profile: &p, JoinSet: a.Join, MembersInvite: a.MembersInvite})
}

func (g *GroupMachine) validCategory(cat string) bool {
	if cat == "" {
		return true
	}
	if len(g.cfg.Categories) == 0 {
		return validText(cat, MaxCategoryLen)
	}
	for _, k := range g.cfg.Categories {
		if k == cat {
			return true
		}
	}
	return false
}

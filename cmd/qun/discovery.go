package main

import (
	"strconv"

	"github.com/qunchat/qun/wire"
)

// My lists and discovery: pinning a group to the top of my list, showing
// groups on my profile, search and nearby.

var discoveryCommands = []command{
	{name: "top", args: "GROUP on|off", min: 2, max: 2, help: "pin a group to the top of my list",
		run: onOff(func(x *cli, on bool) (uint64, error) { return noSeq(x.c.PinGroup(x.ctx, x.pos[0], on)) },
			"{1} is pinned to the top of your groups", "{1} is no longer pinned")},
	{name: "show", args: "GROUP on|off", min: 2, max: 2, help: "show a group on my profile",
		run: onOff(func(x *cli, on bool) (uint64, error) { return noSeq(x.c.ShowOnProfile(x.ctx, x.pos[0], on)) },
			"{1} is shown on your profile", "{1} is hidden from your profile")},
	{name: "profile", args: "USER", min: 1, max: 1, help: "the groups USER shows on their profile",
		run: call(func(x *cli) ([]wire.GroupCard, error) { return x.c.ProfileGroups(x.ctx, x.pos[0]) }, printCards)},
	{name: "search", args: "[--category C] [--limit N] [QUERY...]", min: 0, max: -1,
		help: "find searchable groups by name and/or category", run: call(search, printCards)},
	{name: "nearby", args: "LAT LNG [--radius KM] [--limit N]", min: 2, max: 2,
		help: "find searchable groups near a point, nearest first", run: call(nearby, printCards)},
}

func search(x *cli) ([]wire.GroupCard, error) {
	a := wire.SearchArgs{Query: x.rest(0), Category: x.o.category}
	if a.Query == "" && a.Category == "" {
		return nil, usagef("usage: qun search [--category C] [QUERY...]: give a query, a category or both")
	}
	if x.o.set("limit") {
		a.Limit = x.o.limit
	}
	return x.c.Search(x.ctx, a)
}

func nearby(x *cli) ([]wire.GroupCard, error) {
	lat, err1 := strconv.ParseFloat(x.pos[0], 64)
	lng, err2 := strconv.ParseFloat(x.pos[1], 64)
	if err1 != nil || err2 != nil {
		return nil, usagef("usage: qun nearby LAT LNG [--radius KM]: LAT and LNG are numbers, e.g. 31.23 121.47")
	}
	a := wire.NearbyArgs{Lat: lat, Lng: lng, RadiusKm: x.o.radius}
	if x.o.set("limit") {
		a.Limit = x.o.limit
	}
	return x.c.Nearby(x.ctx, a)
}

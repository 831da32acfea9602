package actors

import "github.com/qunchat/qun/wire"

// Internal operation codes (>= 1000), carried in pb.Call between the engine
// and the grains. They never appear on the client wire.
const (
	// Group grain.
	OpSummary wire.Op = 1000 // → GroupSummary (for "my groups")

	// User grain.
	OpUserGroups   wire.Op = 1100 // → UserGroupsResult (ids only, for subscribing)
	OpUserAdd      wire.Op = 1101 // UserGroupArgs
	OpUserRemove   wire.Op = 1102 // UserGroupArgs
	OpUserReserve  wire.Op = 1103 // UserGroupArgs{Limit}: add a group the user owns, if under the limit
	OpUserSetOwner wire.Op = 1104 // UserGroupArgs{Owner}: mark or unmark a group as owned

	// Index actor.
	OpIndexPut     wire.Op = 1200 // IndexEntry → Empty
	OpIndexSearch  wire.Op = 1201 // wire.SearchArgs → wire.SearchResult
	OpIndexNearby  wire.Op = 1202 // wire.NearbyArgs → wire.SearchResult
	OpIndexGet     wire.Op = 1203 // IndexGetArgs → wire.SearchResult (cards of the named groups known here)
	OpIndexByOwner wire.Op = 1204 // wire.UserArgs → wire.SearchResult (searchable groups the user owns)

	// Group grain, live rooms (room.go).
	OpRoomReport wire.Op = 1300 // RoomReportArgs → RoomReportResult: a hub's viewer count, the room's total
)

// Internal operation codes of fan groups and creator tools (1900-1919).
const (
	OpFanOwner      wire.Op = 1900 // group: → FanOwner (whose fan facts a join needs)
	OpFanCard       wire.Op = 1901 // group: HostFacts.Fan of the viewer → wire.FanCard
	OpPostNotice    wire.Op = 1902 // group: wire.CreatorNoticeArgs → wire.NoticeGroup (owner of a fan group)
	OpUserFanGroups wire.Op = 1903 // user (public): → UserGroupsResult (the fan groups the user owns)
)

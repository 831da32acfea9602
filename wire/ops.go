package wire

// Op is a request operation code. Append-only: never renumber or reuse.
// Adding an operation is one constant here, its name in opNames, and its
// argument and result types in the file of its concept.
type Op uint16

// Operations, each with its argument and result types.
const (
	OpCreateGroup   Op = 1  // CreateGroupArgs → CreateGroupResult
	OpGroupInfo     Op = 2  // GroupArgs → GroupInfo
	OpJoin          Op = 3  // JoinArgs → JoinResult
	OpLeave         Op = 4  // GroupArgs → SeqResult
	OpSend          Op = 5  // SendArgs → SendResult
	OpHistory       Op = 6  // HistoryArgs → HistoryResult
	OpMembers       Op = 7  // MembersArgs → MembersResult
	OpMyGroups      Op = 8  // Empty → MyGroupsResult
	OpMarkRead      Op = 9  // MarkReadArgs → Empty
	OpResync        Op = 10 // ResyncArgs → ResyncResult (missed messages arrive as Push/Gap frames first)
	OpUpdateGroup   Op = 11 // UpdateGroupArgs → SeqResult
	OpSetRole       Op = 12 // TargetArgs{Role} → SeqResult (owner only; admin or member)
	OpKick          Op = 13 // TargetArgs → SeqResult
	OpBan           Op = 14 // TargetArgs → SeqResult (removes the member if present)
	OpUnban         Op = 15 // TargetArgs → SeqResult
	OpMute          Op = 16 // TargetArgs{Duration} → SeqResult (Duration 0 = unmute)
	OpMuteAll       Op = 17 // MuteAllArgs → SeqResult
	OpTransferOwner Op = 18 // TargetArgs → SeqResult
	OpDissolve      Op = 19 // GroupArgs → SeqResult
	OpApply         Op = 20 // ApplyArgs → ApplyResult (join a group that needs approval)
	OpReview        Op = 21 // ReviewArgs → SeqResult (approve: seq of the join; reject: 0)
	OpListRequests  Op = 22 // GroupArgs → RequestsResult
	OpCreateInvite  Op = 23 // CreateInviteArgs → InviteResult
	OpRevokeInvite  Op = 24 // RevokeInviteArgs → Empty
	OpInvite        Op = 25 // InviteArgs → SeqResult (adds friends directly)
	OpAnnounce      Op = 26 // AnnounceArgs → SeqResult
	OpAckAnnounce   Op = 27 // GroupArgs → Empty
	OpAnnounceState Op = 28 // GroupArgs → AnnounceStateResult (owner/admins)
	OpPin           Op = 29 // PinArgs → SeqResult
	OpPinGroup      Op = 30 // PinGroupArgs → Empty (the caller's own chat list)
	OpSearch        Op = 31 // SearchArgs → SearchResult
	OpNearby        Op = 32 // NearbyArgs → SearchResult
	OpProfileGroups Op = 33 // UserArgs → SearchResult (groups a user shows on their profile)
	OpShowOnProfile Op = 34 // ShowOnProfileArgs → Empty
	OpGroupStats    Op = 35 // GroupArgs → GroupStats
	OpListInvites   Op = 36 // GroupArgs → InvitesResult

	// Fan groups and creator tools (fans.go), 100-139.
	OpCreateFanGroup Op = 100 // CreateFanGroupArgs → CreateGroupResult
	OpSetFanGroup    Op = 101 // SetFanGroupArgs → SeqResult (owner)
	OpFanGroups      Op = 102 // FanGroupsArgs → FanGroupsResult (a creator's homepage list)
	OpNotifyCreator  Op = 103 // CreatorNoticeArgs → CreatorNoticeResult (every fan group of the caller)
	OpAnnounceStrong Op = 104 // AnnounceArgs → SeqResult (a strong-notification announcement)
	OpRecall         Op = 105 // RecallArgs → SeqResult
	OpSetDivert      Op = 106 // SetDivertArgs → SeqResult (owner and admins)
	OpShareCard      Op = 107 // GroupArgs → ShareCard
	OpSetHostFacts   Op = 108 // HostFactsArgs → Empty (standalone qund with --admin only)
)

// opNames are the stable names of the operations (logs, docs, the CLI).
var opNames = [...]string{
	OpCreateGroup: "create_group", OpGroupInfo: "group_info", OpJoin: "join", OpLeave: "leave",
	OpSend: "send", OpHistory: "history", OpMembers: "members", OpMyGroups: "my_groups",
	OpMarkRead: "mark_read", OpResync: "resync",
	OpUpdateGroup: "update_group", OpSetRole: "set_role", OpKick: "kick", OpBan: "ban", OpUnban: "unban",
	OpMute: "mute", OpMuteAll: "mute_all", OpTransferOwner: "transfer_owner", OpDissolve: "dissolve",
	OpApply: "apply", OpReview: "review", OpListRequests: "list_requests", OpCreateInvite: "create_invite",
	OpRevokeInvite: "revoke_invite", OpInvite: "invite", OpAnnounce: "announce", OpAckAnnounce: "ack_announcement",
	OpAnnounceState: "announcement_state", OpPin: "pin", OpPinGroup: "pin_group", OpSearch: "search",
	OpNearby: "nearby", OpProfileGroups: "profile_groups", OpShowOnProfile: "show_on_profile",
	OpGroupStats: "group_stats", OpListInvites: "list_invites",
	OpCreateFanGroup: "create_fan_group", OpSetFanGroup: "set_fan_group", OpFanGroups: "fan_groups",
	OpNotifyCreator: "notify_creator", OpAnnounceStrong: "announce_strong", OpRecall: "recall",
	OpSetDivert: "set_divert", OpShareCard: "share_card", OpSetHostFacts: "set_host_facts",
	OpOpenRoom: "open_room", OpCloseRoom: "close_room", OpWatchRoom: "watch_room", OpLeaveRoom: "leave_room",
	OpRoomSend: "room_send", OpRoomConfig: "room_config",
}

func (o Op) String() string {
	if int(o) < len(opNames) && opNames[o] != "" {
		return opNames[o]
	}
	return "op_" + itoa(uint64(o))
}

func itoa(v uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}

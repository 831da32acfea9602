/**
 * Every operation of docs/protocol.md section 6, one row each: its number,
 * its result decoder, and whether it is idempotent (it may be repeated
 * after a lost connection without changing anything). A new op is a row
 * here plus a line in OpTypes.
 */
import * as d from "./decode.js";
import * as rd from "./richdecode.js";
import * as md from "./roomdecode.js";
import * as cd from "./commercedecode.js";
import type * as C from "./commercetypes.js";
import type * as M from "./roomtypes.js";
import type * as R from "./richtypes.js";
import type * as T from "./types.js";

/** Argument and result types of each op, by the protocol's op name. */
export interface OpTypes {
  create_group: [T.CreateGroupArgs, T.CreateGroupResult];
  group_info: [T.GroupArgs, T.GroupInfo];
  join: [T.JoinArgs, T.JoinResult];
  leave: [T.GroupArgs, T.SeqResult];
  send: [T.SendArgs, T.SendResult];
  history: [T.HistoryArgs, T.HistoryResult];
  members: [T.MembersArgs, T.MembersResult];
  my_groups: [T.Empty, T.MyGroupsResult];
  mark_read: [T.MarkReadArgs, T.Empty];
  resync: [T.ResyncArgs, T.ResyncResult];
  update_group: [T.UpdateGroupArgs, T.SeqResult];
  set_role: [T.TargetArgs, T.SeqResult];
  kick: [T.TargetArgs, T.SeqResult];
  ban: [T.TargetArgs, T.SeqResult];
  unban: [T.TargetArgs, T.SeqResult];
  mute: [T.TargetArgs, T.SeqResult];
  mute_all: [T.MuteAllArgs, T.SeqResult];
  transfer_owner: [T.TargetArgs, T.SeqResult];
  dissolve: [T.GroupArgs, T.SeqResult];
  apply: [T.ApplyArgs, T.ApplyResult];
  review: [T.ReviewArgs, T.SeqResult];
  list_requests: [T.GroupArgs, T.RequestsResult];
  create_invite: [T.CreateInviteArgs, T.InviteResult];
  revoke_invite: [T.RevokeInviteArgs, T.Empty];
  invite: [T.InviteArgs, T.SeqResult];
  announce: [T.AnnounceArgs, T.SeqResult];
  ack_announcement: [T.GroupArgs, T.Empty];
  announcement_state: [T.GroupArgs, T.AnnounceStateResult];
  pin: [T.PinArgs, T.SeqResult];
  pin_group: [T.PinGroupArgs, T.Empty];
  search: [T.SearchArgs, T.SearchResult];
  nearby: [T.NearbyArgs, T.SearchResult];
  profile_groups: [T.UserArgs, T.SearchResult];
  show_on_profile: [T.ShowOnProfileArgs, T.Empty];
  group_stats: [T.GroupArgs, T.GroupStats];
  list_invites: [T.GroupArgs, T.InvitesResult];
  create_fan_group: [R.CreateFanGroupArgs, T.CreateGroupResult];
  set_fan_group: [R.SetFanGroupArgs, T.SeqResult];
  fan_groups: [R.FanGroupsArgs, R.FanGroupsResult];
  notify_creator: [R.CreatorNoticeArgs, R.CreatorNoticeResult];
  announce_strong: [T.AnnounceArgs, T.SeqResult];
  recall: [R.RecallArgs, T.SeqResult];
  set_divert: [R.SetDivertArgs, T.SeqResult];
  share_card: [T.GroupArgs, R.ShareCard];
  set_host_facts: [R.HostFactsArgs, T.Empty];
  open_room: [M.OpenRoomArgs, M.OpenRoomResult];
  close_room: [T.GroupArgs, T.SeqResult];
  watch_room: [M.WatchRoomArgs, M.RoomInfo];
  leave_room: [T.GroupArgs, T.Empty];
  room_send: [M.RoomSendArgs, T.SendResult];
  room_config: [M.RoomConfigArgs, T.SeqResult];
  send_packet: [C.SendPacketArgs, C.PacketResult];
  claim_packet: [C.PacketArgs, C.ClaimResult];
  packet_info: [C.PacketArgs, C.PacketInfo];
  recall_packet: [C.PacketArgs, T.SeqResult];
  commerce_settings: [C.CommerceSettingsArgs, T.SeqResult];
  open_lottery: [C.OpenLotteryArgs, C.LotteryResult];
  enter_lottery: [C.LotteryArgs, T.Empty];
  lottery_info: [C.LotteryArgs, C.LotteryInfo];
  post_coupon: [C.PostCouponArgs, C.CouponResult];
  claim_coupon: [C.CouponArgs, T.SeqResult];
  coupon_info: [C.CouponArgs, C.CouponInfo];
  create_order_group: [C.OrderGroupArgs, T.CreateGroupResult];
  order_event: [C.OrderEventArgs, T.SeqResult];
  balance: [T.UserArgs, C.BalanceResult];
  grant: [C.GrantArgs, C.BalanceResult];
  shop_groups: [T.UserArgs, T.SearchResult];
}

export type OpName = keyof OpTypes;
export type OpArgs<K extends OpName> = OpTypes[K][0];
export type OpResult<K extends OpName> = OpTypes[K][1];

export interface OpSpec<K extends OpName> {
  /** The op number sent in Request.op. */
  op: number;
  decode: (v: unknown, path: string) => OpResult<K>;
  /** Repeating it changes nothing more than doing it once (reads, set-to-state ops): safe to retry after a lost connection or a 5xx. */
  idempotent: boolean;
}

export const ops: { readonly [K in OpName]: OpSpec<K> } = {
  create_group: { op: 1, decode: d.createGroupResult, idempotent: false },
  group_info: { op: 2, decode: d.groupInfo, idempotent: true },
  join: { op: 3, decode: d.joinResult, idempotent: false },
  leave: { op: 4, decode: d.seqResult, idempotent: false },
  send: { op: 5, decode: d.sendResult, idempotent: false },
  history: { op: 6, decode: d.historyResult, idempotent: true },
  members: { op: 7, decode: d.membersResult, idempotent: true },
  my_groups: { op: 8, decode: d.myGroupsResult, idempotent: true },
  mark_read: { op: 9, decode: d.empty, idempotent: true },
  resync: { op: 10, decode: d.resyncResult, idempotent: false },
  update_group: { op: 11, decode: d.seqResult, idempotent: false },
  set_role: { op: 12, decode: d.seqResult, idempotent: false },
  kick: { op: 13, decode: d.seqResult, idempotent: false },
  ban: { op: 14, decode: d.seqResult, idempotent: false },
  unban: { op: 15, decode: d.seqResult, idempotent: false },
  mute: { op: 16, decode: d.seqResult, idempotent: false },
  mute_all: { op: 17, decode: d.seqResult, idempotent: false },
  transfer_owner: { op: 18, decode: d.seqResult, idempotent: false },
  dissolve: { op: 19, decode: d.seqResult, idempotent: false },
  apply: { op: 20, decode: d.applyResult, idempotent: false },
  review: { op: 21, decode: d.seqResult, idempotent: false },
  list_requests: { op: 22, decode: d.requestsResult, idempotent: true },
  create_invite: { op: 23, decode: d.inviteResult, idempotent: false },
  revoke_invite: { op: 24, decode: d.empty, idempotent: false },
  invite: { op: 25, decode: d.seqResult, idempotent: false },
  announce: { op: 26, decode: d.seqResult, idempotent: false },
  ack_announcement: { op: 27, decode: d.empty, idempotent: true },
  announcement_state: { op: 28, decode: d.announceStateResult, idempotent: true },
  pin: { op: 29, decode: d.seqResult, idempotent: false },
  pin_group: { op: 30, decode: d.empty, idempotent: true },
  search: { op: 31, decode: d.searchResult, idempotent: true },
  nearby: { op: 32, decode: d.searchResult, idempotent: true },
  profile_groups: { op: 33, decode: d.searchResult, idempotent: true },
  show_on_profile: { op: 34, decode: d.empty, idempotent: true },
  group_stats: { op: 35, decode: d.groupStats, idempotent: true },
  list_invites: { op: 36, decode: d.invitesResult, idempotent: true },
  create_fan_group: { op: 100, decode: d.createGroupResult, idempotent: false },
  set_fan_group: { op: 101, decode: d.seqResult, idempotent: false },
  fan_groups: { op: 102, decode: rd.fanGroupsResult, idempotent: true },
  // Idempotent on its id: a retry posts nothing new and answers dup.
  notify_creator: { op: 103, decode: rd.creatorNoticeResult, idempotent: true },
  announce_strong: { op: 104, decode: d.seqResult, idempotent: false },
  recall: { op: 105, decode: d.seqResult, idempotent: false },
  set_divert: { op: 106, decode: d.seqResult, idempotent: false },
  share_card: { op: 107, decode: rd.shareCard, idempotent: false },
  set_host_facts: { op: 108, decode: d.empty, idempotent: true },
  // Opening an open room of the caller returns it (existed).
  open_room: { op: 140, decode: md.openRoomResult, idempotent: true },
  close_room: { op: 141, decode: d.seqResult, idempotent: false },
  // Watching is per connection: watch again after a reconnect.
  watch_room: { op: 142, decode: md.roomInfo, idempotent: true },
  leave_room: { op: 143, decode: d.empty, idempotent: true },
  room_send: { op: 144, decode: d.sendResult, idempotent: false },
  room_config: { op: 145, decode: d.seqResult, idempotent: false },
  // Idempotent only with a cmid: the same caller and cmid name the same packet, paid once.
  send_packet: { op: 170, decode: cd.packetResult, idempotent: false },
  // A second claim answers the first share with dup set.
  claim_packet: { op: 171, decode: cd.claimResult, idempotent: true },
  packet_info: { op: 172, decode: cd.packetInfo, idempotent: true },
  recall_packet: { op: 173, decode: d.seqResult, idempotent: false },
  commerce_settings: { op: 174, decode: d.seqResult, idempotent: false },
  open_lottery: { op: 175, decode: cd.lotteryResult, idempotent: false },
  enter_lottery: { op: 176, decode: d.empty, idempotent: true },
  lottery_info: { op: 177, decode: cd.lotteryInfo, idempotent: true },
  post_coupon: { op: 178, decode: cd.couponResult, idempotent: false },
  claim_coupon: { op: 179, decode: d.seqResult, idempotent: false },
  coupon_info: { op: 180, decode: cd.couponInfo, idempotent: true },
  // Idempotent on the order id.
  create_order_group: { op: 181, decode: d.createGroupResult, idempotent: true },
  order_event: { op: 182, decode: d.seqResult, idempotent: false },
  balance: { op: 183, decode: cd.balanceResult, idempotent: true },
  grant: { op: 184, decode: cd.balanceResult, idempotent: false },
  shop_groups: { op: 185, decode: d.searchResult, idempotent: true },
};

/** Op names in op-number order. */
export const opNames = Object.keys(ops) as OpName[];

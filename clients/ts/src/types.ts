/**
 * The bodies of protocol version 1, with the protocol's own key names
 * (docs/protocol.md sections 4–6). Integers are exact `number`s (see
 * codec.ts); times (`ms`) are Unix milliseconds of the server clock.
 *
 * Args: a key marked `?` is optional and is left out of the msgpack map
 * when undefined (where presence matters, e.g. HistoryArgs.after or
 * Profile fields, undefined means "absent"). Results: a key that the
 * protocol marks *optional* is `?` when its absence means something (e.g.
 * GroupInfo.your_role); optional arrays are always present (possibly empty).
 */
import type { GroupKind, JoinPolicy, Lane, Role } from "./codes.js";
import type { CommerceEvent } from "./commercetypes.js";
import type * as R from "./richtypes.js";

// ---- frames ----

export interface Hello {
  v: number;
  token: string;
  client?: string;
}

export interface Welcome {
  v: number;
  user: string;
  session: string;
  max_frame: number;
  max_inflight: number;
  time: number;
}

export interface Push {
  g: string;
  msgs: Message[];
}

export interface Gap {
  g: string;
  from: number;
  to: number;
}

export type NoticeKind = "join_request" | "approved" | "rejected" | "removed" | (string & {});

export interface Notice {
  kind: NoticeKind;
  g: string;
  user?: string;
  by?: string;
  t?: string;
}

// ---- messages ----

export interface TextBody {
  t: string;
  at?: string[];
}

export interface SystemBody {
  e: string;
  actor?: string;
  target?: string;
  t?: string;
  until?: number;
  /** Commerce events (red_packet, packet_claimed, …): their details. */
  com?: CommerceEvent;
}

/**
 * A tagged union: exactly the field named by the message's type is set
 * (MessageType in codes.ts). Rich bodies (types 100-108) are in
 * richtypes.ts.
 */
export interface Body {
  text?: TextBody;
  sys?: SystemBody;
  img?: R.ImageBody;
  video?: R.VideoBody;
  live?: R.LiveBody;
  product?: R.ProductBody;
  sticker?: R.StickerBody;
  loc?: R.LocationBody;
  link?: R.LinkBody;
  custom?: R.CustomBody;
  recalled?: R.RecalledBody;
}

export interface Message {
  seq: number;
  ts: number;
  from: string;
  cmid?: string;
  /** 1 text, 2 system, 100-108 rich (MessageType); an unknown type must still count as seen. */
  type: number;
  body: Body;
  /** Live rooms: the message's priority lane (0 normal, absent in plain groups). */
  lane?: Lane | number;
}

// ---- shared ----

export type Empty = Record<string, never>;

export interface GroupArgs {
  g: string;
}

export interface SeqResult {
  seq: number;
}

export interface GeoArgs {
  lat: number;
  lng: number;
  city?: string;
}

export interface Announcement {
  seq: number;
  text: string;
  by: string;
  at: number;
  /** A strong-notification announcement (announce_strong). */
  strong?: boolean;
}

export interface Invite {
  code: string;
  creator: string;
  expires: number;
  max_uses: number;
  uses: number;
}

export interface GroupCard {
  g: string;
  name: string;
  avatar?: string;
  category?: string;
  city?: string;
  owner: string;
  members: number;
  join: JoinPolicy | number;
  distance_km?: number;
}

export interface SearchResult {
  groups: GroupCard[];
  /** Cards were left out to fit max_frame. */
  more?: boolean;
}

// ---- op arguments and results ----

export interface CreateGroupArgs {
  name: string;
  join?: JoinPolicy;
}
export interface CreateGroupResult {
  g: string;
  seq: number;
}

export interface GroupInfo {
  g: string;
  name: string;
  owner: string;
  created: number;
  members: number;
  max_members: number;
  last_seq: number;
  last_ts: number;
  join: JoinPolicy | number;
  avatar?: string;
  desc?: string;
  category?: string;
  loc?: GeoArgs;
  searchable: boolean;
  members_invite: boolean;
  mute_all: boolean;
  admins: string[];
  announcement?: Announcement;
  pins: number[];
  dissolved: boolean;
  /** Absent when the caller is not a member. */
  your_role?: Role | number;
  /** Absent when the caller is not muted. */
  muted_until?: number;
  /** 0 user group, 1 fan group, 2 shop group, 3 order group (GroupKind). */
  kind: GroupKind | number;
  /** A fan group's threshold; absent for user groups. */
  threshold?: R.Threshold;
}

export interface JoinArgs {
  g: string;
  code?: string;
}
export interface JoinResult {
  seq: number;
  name: string;
}

export interface SendArgs {
  g: string;
  cmid: string;
  type: number;
  body: Body;
}
export interface SendResult {
  seq: number;
  ts: number;
  dup: boolean;
}

export interface HistoryArgs {
  g: string;
  /** Present (even 0): forward mode, seqs after this one. */
  after?: number;
  /** Backward mode (after absent): seqs before this one, 0/absent = latest. */
  before?: number;
  limit?: number;
}
export interface HistoryResult {
  msgs: Message[];
  more: boolean;
  last_seq: number;
}

export interface MembersArgs {
  g: string;
  after?: string;
  limit?: number;
}
export interface Member {
  user: string;
  role: Role | number;
  joined: number;
}
export interface MembersResult {
  members: Member[];
  total: number;
  next?: string;
}

export interface MyGroup {
  g: string;
  name: string;
  last_seq: number;
  read_seq: number;
  unread: number;
  last_ts: number;
  pinned: boolean;
  /** Messages after read_seq that mention the caller (by id or "@all"). */
  mentioned: number;
}
export interface MyGroupsResult {
  groups: MyGroup[];
  /** The list was cut to fit max_frame (pinned, then most recent, first). */
  more?: boolean;
}

export interface MarkReadArgs {
  g: string;
  seq: number;
}

export interface ResyncArgs {
  groups: Record<string, number>;
}
export interface ResyncGroup {
  g: string;
  last_seq: number;
  sent: number;
  gap: boolean;
  /** Non-zero if this group failed (e.g. 203 not_member). */
  code: number;
}
export interface ResyncResult {
  groups: ResyncGroup[];
}

export interface Profile {
  name?: string;
  avatar?: string;
  desc?: string;
  category?: string;
  loc?: GeoArgs;
  searchable?: boolean;
}
export interface UpdateGroupArgs {
  g: string;
  profile: Profile;
  join?: JoinPolicy;
  members_invite?: boolean;
}

export interface TargetArgs {
  g: string;
  user: string;
  /** set_role only: 1 admin, 0 member. */
  role?: Role;
  /** mute only: milliseconds; 0 or absent unmutes. */
  duration?: number;
}

export interface MuteAllArgs {
  g: string;
  on: boolean;
}

export interface ApplyArgs {
  g: string;
  note?: string;
}
export interface ApplyResult {
  joined: boolean;
  seq?: number;
  expires?: number;
}

export interface ReviewArgs {
  g: string;
  user: string;
  approve: boolean;
}

export interface JoinRequest {
  user: string;
  note?: string;
  at: number;
  expires: number;
}
export interface RequestsResult {
  requests: JoinRequest[];
  /** More are pending than fit one reply (oldest first). */
  more?: boolean;
}

export interface CreateInviteArgs {
  g: string;
  ttl?: number;
  max_uses?: number;
}
export interface InviteResult {
  invite: Invite;
}

export interface RevokeInviteArgs {
  g: string;
  code: string;
}

export interface InviteArgs {
  g: string;
  users: string[];
}

export interface AnnounceArgs {
  g: string;
  text: string;
}

export interface AnnounceStateResult {
  /** Absent (nil on the wire) when the group has no announcement. */
  announcement?: Announcement;
  acked: number;
  unacked: string[];
}

export interface PinArgs {
  g: string;
  seq: number;
  unpin?: boolean;
}

export interface PinGroupArgs {
  g: string;
  on: boolean;
}

export interface SearchArgs {
  q?: string;
  category?: string;
  limit?: number;
}

export interface NearbyArgs {
  lat: number;
  lng: number;
  radius_km: number;
  limit?: number;
}

export interface UserArgs {
  user: string;
}

export interface ShowOnProfileArgs {
  g: string;
  show: boolean;
}

export interface GroupStats {
  g: string;
  members: number;
  female: number;
  active_7d: number;
  average_age: number;
  msgs_yesterday: number;
  msgs_today: number;
}

export interface InvitesResult {
  invites: Invite[];
}

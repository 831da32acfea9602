/**
 * Live rooms (docs/protocol.md, "Live rooms"; wire/room.go), with the
 * protocol's own key names. A room is a group of kind room whose id starts
 * with "room-"; viewers watch without joining, messages carry a lane, and
 * pushes to viewers arrive merged as RoomPush frames (type 140).
 */
import type { Lane } from "./codes.js";
import type { Body, Message } from "./types.js";

export interface OpenRoomArgs {
  /** The live stream id, [A-Za-z0-9_-], at most 59 bytes; the room id is "room-" + stream. */
  stream: string;
  name?: string;
  /** Merge window in ms (0..1000); absent = the server default, 0 = off. */
  window_ms?: number;
}

export interface OpenRoomResult {
  /** The room id. */
  g: string;
  seq: number;
  /** The caller had already opened it. */
  existed: boolean;
}

export interface WatchRoomArgs {
  g: string;
  /** Present (even 0): the messages after this seq are pushed first (a resync). */
  after?: number;
}

export interface RoomInfo {
  g: string;
  name: string;
  owner: string;
  last_seq: number;
  online: number;
  window_ms: number;
  slow_mode_s: number;
  closed: boolean;
  /** Oldest seq whose chatter may still be retained. */
  chatter_from: number;
  /** Messages pushed before this reply (with after). */
  sent: number;
  /** A Gap frame was sent first. */
  gap: boolean;
}

export interface RoomSendArgs {
  g: string;
  cmid: string;
  type: number;
  body: Body;
  lane: Lane;
}

/** Undefined fields stay as they are. */
export interface RoomConfigArgs {
  g: string;
  window_ms?: number;
  /** One message per N seconds per viewer; 0 = off. */
  slow_mode_s?: number;
}

/** A room's messages merged over its window (frame type 140). */
export interface RoomPush {
  g: string;
  msgs: Message[];
  /** Chatter messages this connection was not sent since its previous RoomPush. */
  skipped: number;
  /** The room's viewer count, when not 0. */
  online: number;
}

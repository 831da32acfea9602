/** Checked decoders of the live-room results and frames (roomtypes.ts). */
import { Reader } from "./codec.js";
import { message } from "./decode.js";
import type * as M from "./roomtypes.js";

type D<V> = (v: unknown, path: string) => V;

export const openRoomResult: D<M.OpenRoomResult> = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), seq: r.uint("seq"), existed: r.bool("existed") };
};

export const roomInfo: D<M.RoomInfo> = (v, p) => {
  const r = Reader.of(v, p);
  return {
    g: r.str("g"),
    name: r.str("name"),
    owner: r.str("owner"),
    last_seq: r.uint("last_seq"),
    online: r.uint("online", 32),
    window_ms: r.uint("window_ms", 32),
    slow_mode_s: r.uint("slow_mode_s", 32),
    closed: r.bool("closed"),
    chatter_from: r.uint("chatter_from"),
    sent: r.uint("sent", 32),
    gap: r.bool("gap"),
  };
};

export const roomPush: D<M.RoomPush> = (v, p) => {
  const r = Reader.of(v, p);
  return { g: r.str("g"), msgs: r.arr("msgs", message), skipped: r.uint("skipped", 32), online: r.uint("online", 32) };
};

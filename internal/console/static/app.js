// Qun web console: a single page on the TypeScript client's browser bundle.
// Routes (location.hash): #/signin, #/groups, #/chat/G, #/info/G, #/ops.
// User text is only ever put in the page as text (textContent), never HTML.
import { Session, webSocketConnector, QunError } from "/static/qun.js";

const wsUrl = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
const st = {
  session: null,
  user: "",
  groups: new Map(), // g -> MyGroup (unread kept live)
  msgs: new Map(), // g -> Map(seq -> Message)
  more: new Map(), // g -> older history exists
  open: "", // group of the chat view
  opsTimer: 0,
};
const $ = (sel) => document.querySelector(sel);
const view = () => $("#view");

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
}
const show = (...kids) => view().replaceChildren(...kids);
const json = (v) => JSON.stringify(v, (_, x) => (typeof x === "bigint" ? x.toString() : x));
const time = (ms) => (ms ? new Date(Number(ms)).toLocaleString() : "");
function errText(e) {
  return e instanceof QunError ? `${e.codeName || "error"} (${e.code}): ${e.message}` : String(e && e.message ? e.message : e);
}
function setStatus(on) {
  const s = $("#status");
  s.textContent = on ? "online" : "offline";
  s.classList.toggle("online", on);
}

// ---- session ----

async function signIn(token) {
  const s = new Session({ connect: webSocketConnector({ url: wsUrl }), token, maxReconnectAttempts: 20 });
  s.on("connected", () => setStatus(true));
  s.on("disconnected", () => setStatus(false));
  s.on("message", (g, m) => onMessage(g, m));
  s.on("removed", (g) => {
    st.groups.delete(g);
    if (location.hash === "#/groups") renderGroups();
  });
  const w = await s.start();
  st.session = s;
  st.user = w.user;
  sessionStorage.setItem("qun.token", token);
  $("#me").textContent = "signed in as " + w.user;
  $("#nav").hidden = false;
  await loadGroups();
}

function signOut() {
  st.session?.close();
  st.session = null;
  st.groups.clear();
  st.msgs.clear();
  sessionStorage.removeItem("qun.token");
  $("#nav").hidden = true;
  setStatus(false);
  location.hash = "#/signin";
}

async function loadGroups() {
  const r = await st.session.myGroups({});
  st.groups = new Map(r.groups.map((g) => [g.g, g]));
}

function store(g, m) {
  let box = st.msgs.get(g);
  if (!box) st.msgs.set(g, (box = new Map()));
  const fresh = !box.has(m.seq);
  box.set(m.seq, m);
  return fresh;
}

function onMessage(g, m) {
  const fresh = store(g, m);
  let mg = st.groups.get(g);
  if (!mg) {
    mg = { g, name: g, last_seq: 0, read_seq: 0, unread: 0, last_ts: 0, pinned: false };
    st.groups.set(g, mg);
  }
  mg.last_seq = Math.max(mg.last_seq, m.seq);
  mg.last_ts = m.ts;
  if (st.open === g && location.hash.startsWith("#/chat/")) {
    if (fresh) appendMessage(g, m, true);
    markRead(g, m.seq);
  } else if (fresh && m.from !== st.user && m.seq > mg.read_seq) {
    mg.unread++;
    if (location.hash === "#/groups") renderGroups();
  }
}

function markRead(g, seq) {
  const mg = st.groups.get(g);
  if (mg) {
    mg.read_seq = Math.max(mg.read_seq, seq);
    mg.unread = 0;
  }
  st.session.markRead({ g, seq }).catch(() => {});
}

// ---- pages ----

function renderSignIn(msg) {
  const input = el("textarea", { id: "signin-token", rows: 3, placeholder: "a Qun token: `qun token USER`, or your platform's" });
  const out = el("p", { class: "error", id: "signin-error" }, msg || "");
  const go = el("button", { id: "signin-go", type: "submit" }, "Sign in");
  const form = el("form", {
    onsubmit: async (ev) => {
      ev.preventDefault();
      go.disabled = true;
      out.textContent = "";
      try {
        await signIn(input.value.trim());
        location.hash = "#/groups";
      } catch (e) {
        out.textContent = "Sign-in failed: " + errText(e);
      } finally {
        go.disabled = false;
      }
    },
  }, input, el("div", { class: "row" }, go));
  show(el("div", { class: "panel", id: "signin" }, el("h1", {}, "Sign in to Qun"), el("p", { class: "muted" }, "Connects to " + wsUrl), form, out));
}

function renderGroups() {
  const list = el("ul", { class: "groups", id: "groups" });
  const sorted = [...st.groups.values()].sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.last_ts - a.last_ts);
  for (const g of sorted) {
    list.append(
      el("li", { "data-g": g.g, onclick: () => (location.hash = "#/chat/" + g.g) },
        el("span", { class: "name" }, g.name || g.g),
        el("span", { class: "muted" }, time(g.last_ts)),
        el("span", { class: "badge" + (g.unread ? "" : " zero"), title: "unread" }, g.unread),
      ),
    );
  }
  if (!sorted.length) list.append(el("li", { class: "muted" }, "No groups yet: create one or join one by id."));
  const name = el("input", { type: "text", id: "create-name", placeholder: "new group name" });
  const gid = el("input", { type: "text", id: "join-id", placeholder: "group id to join" });
  const out = el("p", { class: "error" });
  const act = (f) => async (ev) => {
    ev.preventDefault();
    out.textContent = "";
    try {
      const g = await f();
      await loadGroups();
      location.hash = "#/chat/" + g;
    } catch (e) {
      out.textContent = errText(e);
    }
  };
  show(
    el("div", { class: "panel" }, el("h1", {}, "My groups"), list),
    el("div", { class: "panel" },
      el("form", { class: "row", onsubmit: act(async () => (await st.session.createGroup({ name: name.value })).g) }, name, el("button", { type: "submit" }, "Create")),
      el("form", { class: "row", onsubmit: act(async () => (await st.session.join({ g: gid.value.trim() }), gid.value.trim())) }, gid, el("button", { type: "submit" }, "Join")),
      out,
    ),
  );
}

function describe(m) {
  if (m.type === 1 && m.body.text) return m.body.text.t;
  if (m.type === 2 && m.body.sys) {
    const s = m.body.sys;
    return [s.actor, s.e.replace(/_/g, " "), s.target !== s.actor ? s.target : "", s.t ? `“${s.t}”` : ""].filter(Boolean).join(" ");
  }
  return `message type ${m.type}: ${json(m.body)}`;
}

function messageNode(g, m) {
  const kind = m.type === 1 ? (m.from === st.user ? "msg mine" : "msg") : m.type === 2 ? "msg sys" : "msg other-type";
  const pin = el("button", { class: "pin", title: "pin", onclick: () => st.session.pin({ g, seq: m.seq }).catch((e) => alert(errText(e))) }, "📌");
  return el("div", { class: kind, "data-seq": m.seq, title: time(m.ts) },
    el("span", { class: "seq" }, "#" + m.seq),
    m.type !== 2 ? el("span", { class: "from" }, m.from) : null,
    el("span", { class: "body" }, describe(m)),
    m.type === 1 ? pin : null,
  );
}

function appendMessage(g, m, scroll) {
  const box = $("#msgs");
  if (!box) return;
  // keep seq order: insert before the first later message
  const later = [...box.children].find((c) => Number(c.dataset.seq) > m.seq);
  box.insertBefore(messageNode(g, m), later || null);
  if (scroll) box.scrollTop = box.scrollHeight;
}

async function loadOlder(g) {
  const box = st.msgs.get(g);
  const oldest = box && box.size ? Math.min(...box.keys()) : 0;
  const args = { g, limit: 30 };
  if (oldest) args.before = oldest;
  const r = await st.session.history(args);
  for (const m of r.msgs) store(g, m);
  st.more.set(g, r.more);
  return r;
}

async function renderChat(g) {
  st.open = g;
  const mg = st.groups.get(g);
  const head = el("div", { class: "row" },
    el("h1", { class: "grow" }, mg ? mg.name : g),
    el("a", { href: "#/info/" + g }, "Group info"),
  );
  const ann = el("div", { id: "announcement" });
  const msgs = el("div", { class: "msgs", id: "msgs" });
  const older = el("button", { class: "plain", id: "older", type: "button" }, "Load older messages");
  const input = el("input", { type: "text", id: "chat-input", placeholder: "Write a message", autocomplete: "off" });
  const out = el("p", { class: "error", id: "chat-error" });
  const form = el("form", {
    class: "row",
    onsubmit: async (ev) => {
      ev.preventDefault();
      const text = input.value;
      if (!text.trim()) return;
      input.value = "";
      out.textContent = "";
      try {
        await st.session.sendText(g, text);
      } catch (e) {
        out.textContent = errText(e);
        input.value = text;
      }
    },
  }, input, el("button", { type: "submit", id: "chat-send" }, "Send"));
  show(el("div", { class: "panel chat" }, head, ann, el("div", { class: "row" }, older), msgs, form, out));
  const fill = () => {
    const all = [...(st.msgs.get(g)?.values() || [])].sort((a, b) => a.seq - b.seq);
    msgs.replaceChildren(...all.map((m) => messageNode(g, m)));
    older.hidden = st.more.get(g) === false;
  };
  older.onclick = async () => {
    const top = msgs.scrollHeight;
    await loadOlder(g).catch((e) => (out.textContent = errText(e)));
    fill();
    msgs.scrollTop = msgs.scrollHeight - top; // stay where the reader was
  };
  msgs.addEventListener("scroll", () => {
    if (msgs.scrollTop === 0 && st.more.get(g)) older.click();
  });
  try {
    if (!st.msgs.get(g)?.size || st.more.get(g) === undefined) await loadOlder(g);
    const info = await st.session.groupInfo({ g });
    if (info.announcement) ann.replaceChildren(el("div", { class: "announce" }, "📣 ", info.announcement.text, el("span", { class: "muted" }, " — " + info.announcement.by)));
  } catch (e) {
    out.textContent = errText(e);
  }
  fill();
  msgs.scrollTop = msgs.scrollHeight;
  const last = Math.max(0, ...(st.msgs.get(g)?.keys() || [0]));
  if (last) markRead(g, last);
}

async function renderInfo(g) {
  const out = el("p", { class: "error" });
  show(el("div", { class: "panel" }, el("p", { class: "muted" }, "Loading…")));
  try {
    const [info, mem, stats] = await Promise.all([
      st.session.groupInfo({ g }),
      st.session.members({ g, limit: 100 }),
      st.session.groupStats({ g }).catch(() => null),
    ]);
    const roles = ["member", "admin", "owner"];
    const members = el("table", { id: "members" }, el("tr", {}, el("th", {}, "member"), el("th", {}, "role"), el("th", {}, "joined")),
      mem.members.map((m) => el("tr", {}, el("td", {}, m.user), el("td", {}, roles[m.role] ?? m.role), el("td", {}, time(m.joined)))));
    const pins = el("ul", { id: "pins" });
    for (const seq of info.pins || []) {
      const m = st.msgs.get(g)?.get(seq);
      pins.append(el("li", {}, "#" + seq + " ", m ? describe(m) : ""));
    }
    if (!(info.pins || []).length) pins.append(el("li", { class: "muted" }, "no pinned messages"));
    const annText = el("input", { type: "text", id: "announce-text", placeholder: "announcement (owner and admins)" });
    const canAdmin = info.your_role === 1 || info.your_role === 2;
    show(
      el("div", { class: "panel" },
        el("div", { class: "row" }, el("h1", { class: "grow" }, info.name), el("a", { href: "#/chat/" + g }, "Back to chat")),
        el("table", { id: "info" },
          [["id", info.g], ["owner", info.owner], ["created", time(info.created)], ["members", `${info.members} / ${info.max_members}`],
           ["messages", info.last_seq], ["join policy", info.join], ["description", info.desc || ""], ["muted all", info.mute_all ? "yes" : "no"]]
            .map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))),
      ),
      el("div", { class: "grid" },
        el("div", { class: "panel" }, el("h2", {}, "Announcement"),
          info.announcement ? el("div", { class: "announce" }, info.announcement.text, el("div", { class: "muted" }, "by " + info.announcement.by + ", " + time(info.announcement.at))) : el("p", { class: "muted" }, "none"),
          canAdmin ? el("form", { class: "row", onsubmit: async (ev) => {
            ev.preventDefault();
            try { await st.session.announce({ g, text: annText.value }); renderInfo(g); } catch (e) { out.textContent = errText(e); }
          } }, annText, el("button", { type: "submit" }, "Announce")) : null),
        el("div", { class: "panel" }, el("h2", {}, "Pinned"), pins),
        el("div", { class: "panel", id: "stats" }, el("h2", {}, "Stats"),
          stats ? el("table", {}, [["members", stats.members], ["active in 7 days", stats.active_7d], ["messages today", stats.msgs_today], ["messages yesterday", stats.msgs_yesterday]]
            .map(([k, v]) => el("tr", {}, el("th", {}, k), el("td", {}, v)))) : el("p", { class: "muted" }, "not available")),
      ),
      el("div", { class: "panel" }, el("h2", {}, `Members (${mem.total})`), members),
      out,
    );
  } catch (e) {
    show(el("div", { class: "panel" }, el("p", { class: "error" }, errText(e))));
  }
}

function renderOps() {
  const tok = el("input", { type: "password", id: "ops-token", placeholder: "admin token (if qund has one)", value: sessionStorage.getItem("qun.opsToken") || "" });
  const body = el("div", { id: "ops" }, el("p", { class: "muted" }, "Loading…"));
  show(el("div", { class: "panel" }, el("h1", {}, "Operator"), el("div", { class: "row" }, tok, el("span", { class: "muted" }, "refreshes every 2 s"))), body);
  let prev = null;
  const tick = async () => {
    sessionStorage.setItem("qun.opsToken", tok.value);
    try {
      const r = await fetch("/api/ops", { headers: tok.value ? { Authorization: "Bearer " + tok.value } : {} });
      if (!r.ok) throw new Error(`${r.status}: ${await r.text()}`);
      const d = await r.json();
      body.replaceChildren(...opsView(d, prev));
      prev = d;
    } catch (e) {
      body.replaceChildren(el("p", { class: "error" }, String(e.message || e)));
    }
  };
  clearInterval(st.opsTimer);
  st.opsTimer = setInterval(() => (location.hash === "#/ops" ? tick() : clearInterval(st.opsTimer)), 2000);
  tick();
}

function sum(d, name) {
  return (d?.metrics || []).filter((m) => m.name === name).reduce((a, m) => a + m.value, 0);
}

function opsView(d, prev) {
  const dt = prev ? (d.at - prev.at) / 1000 : 0;
  const rate = (name) => (dt > 0 ? ((sum(d, name) - sum(prev, name)) / dt).toFixed(1) : "…");
  const card = (label, v, id) => el("div", { class: "panel", id }, el("div", { class: "muted" }, label), el("div", { class: "big" }, v));
  return [
    el("div", { class: "grid" },
      card("connections (tcp / websocket)", `${d.connections.tcp} / ${d.connections.websocket}`, "ops-conns"),
      card("requests / s", rate("qun_requests_total")),
      card("deliveries / s", rate("qun_deliveries_total")),
      card("ready", d.ready),
    ),
    el("div", { class: "panel" }, el("h2", {}, "Cluster nodes"),
      el("table", { id: "ops-nodes" }, el("tr", {}, el("th", {}, "member"), el("th", {}, "address"), el("th", {}, "state"), el("th", {}, "")),
        d.members.map((m) => el("tr", {}, el("td", {}, m.member), el("td", {}, m.address), el("td", {}, m.state), el("td", {}, m.self ? "this node" : ""))))),
    el("div", { class: "panel" }, el("h2", {}, "Top groups by traffic (this node)"),
      el("table", { id: "ops-top" }, el("tr", {}, el("th", {}, "group"), el("th", {}, "deliveries")),
        d.top.length ? d.top.map((t) => el("tr", {}, el("td", {}, t.group), el("td", {}, t.deliveries))) : el("tr", {}, el("td", { class: "muted" }, "no traffic yet")))),
    el("div", { class: "panel" }, el("h2", {}, "Metrics (qun_*)"),
      el("table", { id: "ops-metrics" }, d.metrics.map((m) => el("tr", {}, el("td", {}, m.name + (m.labels ? "{" + m.labels + "}" : "")), el("td", {}, Number.isInteger(m.value) ? m.value : m.value.toFixed(4)))))),
  ];
}

// ---- router ----

async function route() {
  const h = location.hash || "#/";
  clearInterval(st.opsTimer);
  if (h !== "#/ops" && !h.startsWith("#/chat/")) st.open = "";
  if (!st.session) {
    const saved = sessionStorage.getItem("qun.token");
    if (saved && h !== "#/signin") {
      try {
        await signIn(saved);
      } catch (e) {
        return renderSignIn("Sign-in failed: " + errText(e));
      }
    } else if (h !== "#/ops") {
      return renderSignIn();
    }
  }
  const [, page, arg] = h.split("/");
  switch (page) {
    case "chat":
      return renderChat(decodeURIComponent(arg));
    case "info":
      return renderInfo(decodeURIComponent(arg));
    case "ops":
      return renderOps();
    case "groups":
      await loadGroups().catch(() => {});
      return renderGroups();
    default:
      location.hash = st.session ? "#/groups" : "#/signin";
  }
}

$("#signout").addEventListener("click", signOut);
window.addEventListener("hashchange", route);
route();

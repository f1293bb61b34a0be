// HTTP tests of src/server/activity-routes.ts through app.handle: heartbeats, sessions, messages, acks and events, with a fake clock.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { App } from "../../src/server/app.ts";
import { createEventLog, createMessageStore, createSessionStore } from "../../src/storage/activity-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";
import { runPrune } from "../../src/jobs/prune.ts";
import { activityApp, callApp, HEAD, TOKEN } from "../helpers/activity-app.ts";

const ADMIN = "admin-token-0123456789";
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const C = "cccccccc-3333-4333-8333-333333333333";
let dir: string;
let db: CoordDatabase;
let now: number;
let app: App;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coord-activity-"));
  db = openDatabase(join(dir, "coord.db"));
  now = Date.parse("2026-01-05T20:00:00Z");
  app = activityApp(db, ADMIN, () => now);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = { repo: "o/r", token: TOKEN, commit_sha: HEAD };
const q = new URLSearchParams(auth).toString();
const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => callApp(app, method, path, body, headers);
const beat = (session_id: string, state: string, extra: Record<string, unknown> = {}) =>
  call("POST", "/heartbeat", { ...auth, session_id, branch: `claude/${session_id.slice(0, 1)}`, state, ...extra });
const claim = (session_id: string, task_id: string) => call("POST", "/claim", { ...auth, session_id, task_id, branch: `claude/${session_id.slice(0, 1)}` });
const inbox = (session_id: string, unread = false) => call("GET", `/messages?${q}${unread ? "&unread=true" : ""}`, undefined, { "x-session-id": session_id });
const send = (body: Record<string, unknown>, headers: Record<string, string> = {}) => call("POST", "/messages", { ...auth, subject: "s", body: "b", ...body }, headers);

describe("heartbeats and sessions", () => {
  test("the first heartbeat registers; later ones update what they name; the answer counts unread messages", async () => {
    expect(await beat(A, "registered")).toEqual({ status: 200, body: { status: "ok", session: "aaaaaaaa", state: "registered", unread: 0 } });
    await beat(A, "working", { task_id: "t1", progress: 30, note: "on it" });
    await send({ session_id: B, broadcast: true });
    expect((await beat(A, "stuck", { stuck: { reason: "main is red", context: "ci #42", options: ["wait", "fix it"] } })).body.unread).toBe(1);
    const s = (await call("GET", `/sessions?${q}`)).body.sessions;
    expect(s).toEqual([
      {
        session: "aaaaaaaa",
        branch: "claude/a",
        state: "stuck",
        task_id: "t1",
        progress: 30,
        note: "on it",
        stuck: { reason: "main is red", context: "ci #42", options: ["wait", "fix it"] },
        pr_url: null,
        worktree: null,
        plan: null,
        first_seen: "2026-01-05T20:00:00Z",
        last_heartbeat: "2026-01-05T20:00:00Z",
        state_since: "2026-01-05T20:00:00Z",
        stale: false,
      },
    ]);
  });

  test("a heartbeat's worktree is listed, kept by later heartbeats that do not name it, and a too-long one is 400 naming the field", async () => {
    expect((await beat(A, "registered", { task_id: "t1", worktree: "/srv/repo-worktrees/t1" })).status).toBe(200);
    expect((await beat(A, "working", { progress: 10 })).status).toBe(200);
    const s = (await call("GET", `/sessions?${q}`)).body.sessions;
    expect(s.map((x: { session: string; state: string; worktree: string | null }) => [x.session, x.state, x.worktree])).toEqual([["aaaaaaaa", "working", "/srv/repo-worktrees/t1"]]);
    const long = await beat(A, "working", { worktree: `/${"x".repeat(1024)}` });
    expect([long.status, long.body.status, long.body.field]).toEqual([400, "invalid_request", "worktree"]);
    expect((await call("GET", `/sessions?${q}`)).body.sessions[0].worktree).toBe("/srv/repo-worktrees/t1");
  });

  test("the stale flag appears after 30 minutes without a heartbeat, and the session keeps its claim", async () => {
    await claim(A, "t1");
    await beat(A, "working", { task_id: "t1" });
    now += 30 * 60_000;
    expect((await call("GET", `/sessions?${q}`)).body.sessions[0].stale).toBe(false);
    now += 1;
    expect((await call("GET", `/sessions?${q}`)).body.sessions[0].stale).toBe(true);
    expect((await call("GET", `/claims?${q}`)).body.active.map((c: { task_id: string }) => c.task_id)).toEqual(["t1"]);
    now += 86_400_000;
    expect((await call("GET", `/sessions?${q}`)).body.sessions).toEqual([]);
  });

  const bad: [string, Record<string, unknown>, number, string][] = [
    ["an unknown state", { state: "sleeping" }, 400, "state"],
    ["stuck without a reason", { state: "stuck" }, 400, "stuck.reason"],
    ["progress 101", { state: "working", progress: 101 }, 400, "progress"],
    ["eleven stuck options", { state: "stuck", stuck: { reason: "r", options: Array(11).fill("o") } }, 400, "stuck.options"],
    ["a pr_url that is not http(s)", { state: "complete", pr_url: "javascript:alert(1)" }, 400, "pr_url"],
    ["a note over 500 characters", { state: "working", note: "n".repeat(501) }, 400, "note"],
  ];
  for (const [name, extra, status, field] of bad) {
    test(`${name} is ${status} naming '${field}', and nothing is stored`, async () => {
      const r = await call("POST", "/heartbeat", { ...auth, session_id: A, branch: "b", ...extra });
      expect([r.status, r.body.status, r.body.field]).toEqual([status, "invalid_request", field]);
      expect(db.sqlite.query("SELECT COUNT(*) AS n FROM sessions").get()).toEqual({ n: 0 });
    });
  }

  test("a stale token is refused before anything is stored", async () => {
    const r = await call("POST", "/heartbeat", { ...auth, commit_sha: "2".repeat(40), session_id: A, branch: "b", state: "working" });
    expect([r.status, r.body.status]).toEqual([401, "stale_token"]);
    expect(db.sqlite.query("SELECT COUNT(*) AS n FROM sessions").get()).toEqual({ n: 0 });
  });
});

describe("session ids are credentials (SPEC §16)", () => {
  const SHORT = "aaaaaaaa-1111-4"; // 15 characters
  const shortMessage = "Invalid request body: field 'session_id' must be a session id of at least 16 characters, such as Claude Code's session UUID.";
  const routes: [string, string, Record<string, unknown>][] = [
    ["heartbeat", "/heartbeat", { branch: "b", state: "working" }],
    ["claim", "/claim", { task_id: "t", branch: "b" }],
    ["complete", "/complete", { task_id: "t" }],
    ["a message's sender", "/messages", { broadcast: true, subject: "s", body: "b" }],
    ["ack", "/messages/ack", { ids: [1] }],
  ];
  for (const [name, path, extra] of routes) {
    test(`a session id of 15 characters is 400 naming session_id on ${name}, and nothing is stored`, async () => {
      const r = await call("POST", path, { ...auth, session_id: SHORT, ...extra });
      expect(r).toEqual({ status: 400, body: { status: "invalid_request", message: shortMessage, field: "session_id" } });
      for (const table of ["sessions", "claims", "messages", "message_reads"]) expect(db.sqlite.query(`SELECT COUNT(*) AS n FROM ${table}`).get()).toEqual({ n: 0 });
    });
  }

  test("an X-Session-Id of 15 characters is 400 naming the header; 16 characters are accepted", async () => {
    expect(await inbox(SHORT)).toEqual({ status: 400, body: { status: "invalid_request", message: "Invalid request: header 'X-Session-Id' must be a session id of 16 to 200 characters.", field: "X-Session-Id" } });
    expect(await inbox(`${SHORT}x`)).toEqual({ status: 200, body: { messages: [] } });
  });

  test("to_session and X-Session-Id with control characters are 400 naming them", async () => {
    const fix = "must not contain control characters (such as NUL), bidirectional-override characters or invalid Unicode";
    expect(await send({ session_id: A, to_session: "aaaa\u0000aaa" })).toEqual({ status: 400, body: { status: "invalid_request", message: `Invalid request body: field 'to_session' ${fix}.`, field: "to_session" } });
    expect(await inbox(`${A}\u0085`)).toEqual({ status: 400, body: { status: "invalid_request", message: `Invalid request: header 'X-Session-Id' ${fix}.`, field: "X-Session-Id" } });
    expect(db.sqlite.query("SELECT COUNT(*) AS n FROM messages").get()).toEqual({ n: 0 });
  });

  test("a new session id with a live session's prefix is 409 session_prefix_taken on heartbeat, claim and send; the first session keeps its messages and its prefix", async () => {
    const SQUAT = "aaaaaaaa-squatter-0000";
    await beat(A, "working");
    await beat(B, "working");
    await send({ session_id: B, to_session: "aaaaaaaa", subject: "for A" });
    const taken = {
      status: 409,
      body: {
        status: "session_prefix_taken",
        message: "Another live session already uses the prefix 'aaaaaaaa'; a session id's first 8 characters must be its own in this repository. Start a new session (a new session id).",
        session: "aaaaaaaa",
      },
    };
    expect(await beat(SQUAT, "working")).toEqual(taken);
    expect(await claim(SQUAT, "task-x")).toEqual(taken);
    expect(await send({ session_id: SQUAT, broadcast: true, subject: "I am A" })).toEqual(taken);
    expect(db.sqlite.query("SELECT session_id FROM sessions ORDER BY session_id").all()).toEqual([{ session_id: A }, { session_id: B }]);
    expect(db.sqlite.query("SELECT COUNT(*) AS n FROM claims").get()).toEqual({ n: 0 });
    expect(db.sqlite.query("SELECT COUNT(*) AS n FROM messages").get()).toEqual({ n: 1 });
    expect((await send({ session_id: B, to_session: "aaaaaaaa", subject: "still A" })).body.to).toEqual(["aaaaaaaa"]);
    expect((await inbox(A)).body.messages.map((m: { subject: string }) => m.subject)).toEqual(["for A", "still A"]);
    expect((await inbox(SQUAT)).body.messages).toEqual([]);
    expect((await beat(A, "planning")).status).toBe(200);
  });

  test("live means seen within 24 hours or holding a live claim: a silent claim holder keeps its prefix, a silent session without one frees it", async () => {
    await beat(A, "working");
    await claim(B, "task-b");
    now += 86_400_000 + 1;
    expect((await beat("bbbbbbbb-new-session-0000", "working")).body.status).toBe("session_prefix_taken");
    expect((await claim("bbbbbbbb-new-session-0000", "task-y")).body.status).toBe("session_prefix_taken");
    expect(await beat("aaaaaaaa-new-session-0000", "working")).toEqual({ status: 200, body: { status: "ok", session: "aaaaaaaa", state: "working", unread: 0 } });
  });
});

describe("messages", () => {
  beforeEach(async () => {
    await beat(A, "working");
    await beat(B, "working");
    await beat(C, "working", { branch: "claude/shared" });
    await claim(B, "task-b");
  });

  test("each address form reaches exactly its recipients; the sender does not get its own broadcast", async () => {
    expect(await send({ session_id: A, to_task: "task-b", subject: "api", body: "I changed the API" })).toEqual({ status: 200, body: { status: "sent", ids: [1], to: ["bbbbbbbb"] } });
    expect((await send({ session_id: A, to_branch: "claude/shared" })).body.to).toEqual(["cccccccc"]);
    expect((await send({ session_id: A, to_session: "bbbbbbbb" })).body.to).toEqual(["bbbbbbbb"]);
    expect((await send({ session_id: A, broadcast: true, subject: "main is red" })).body.to).toEqual(["broadcast"]);
    const b = (await inbox(B)).body.messages.map((m: { from: string; to: string; subject: string }) => [m.from, m.to, m.subject]);
    expect(b).toEqual([
      ["aaaaaaaa", "bbbbbbbb", "api"],
      ["aaaaaaaa", "bbbbbbbb", "s"],
      ["aaaaaaaa", "broadcast", "main is red"],
    ]);
    expect((await inbox(C)).body.messages.map((m: { to: string }) => m.to)).toEqual(["cccccccc", "broadcast"]);
    expect((await inbox(A)).body.messages).toEqual([]);
  });

  test("to_session with 9, 12 or 20 leading characters of a live session's id answers exactly as a random string of that length; 8 characters and the full id deliver", async () => {
    const D = "dddddddd-4444-4444-8444-444444444444";
    await beat(D, "working");
    for (const n of [9, 12, 20]) {
      const leading = await send({ session_id: A, to_session: D.slice(0, n) });
      const random = await send({ session_id: A, to_session: "q".repeat(n) });
      expect(leading.status).toBe(random.status);
      expect(JSON.stringify(leading.body).replace(D.slice(0, n), "X")).toBe(JSON.stringify(random.body).replace("q".repeat(n), "X"));
    }
    expect(db.sqlite.query("SELECT COUNT(*) AS n FROM messages").get()).toEqual({ n: 0 });
    expect((await send({ session_id: A, to_session: "dddddddd" })).body).toEqual({ status: "sent", ids: [1], to: ["dddddddd"] });
    expect((await send({ session_id: A, to_session: D })).body).toEqual({ status: "sent", ids: [2], to: ["dddddddd"] });
    expect(db.sqlite.query("SELECT to_session FROM messages").all()).toEqual([{ to_session: D }, { to_session: D }]);
  });

  const bad: [string, Record<string, unknown>, number, string][] = [
    ["no target", {}, 400, "invalid_request"],
    ["two targets", { broadcast: true, to_task: "task-b" }, 400, "invalid_request"],
    ["a short prefix", { to_session: "aaaa" }, 400, "invalid_request"],
    ["a task nobody holds", { to_task: "nobody" }, 404, "not_found"],
    ["an empty body", { broadcast: true, body: "" }, 400, "invalid_request"],
    ["a body over 8000 bytes", { broadcast: true, body: "x".repeat(8001) }, 413, "payload_too_large"],
  ];
  for (const [name, target, status, code] of bad) {
    test(`${name}: ${status} ${code}, nothing stored`, async () => {
      const r = await send({ session_id: A, ...target });
      expect([r.status, r.body.status]).toEqual([status, code]);
      expect(db.sqlite.query("SELECT COUNT(*) AS n FROM messages").get()).toEqual({ n: 0 });
    });
  }

  test("a session's send needs its session_id; the human sends with the admin token only; a wrong admin token is 401", async () => {
    expect((await send({ to_session: "bbbbbbbb" })).body).toEqual({ status: "invalid_request", message: "Invalid request body: field 'session_id' is required (the sender).", field: "session_id" });
    const human = await send({ repo: "o/r", token: undefined, commit_sha: undefined, to_session: "bbbbbbbb", subject: "guidance", body: "use option 2" }, { authorization: `Bearer ${ADMIN}` });
    expect(human.body).toEqual({ status: "sent", ids: [1], to: ["bbbbbbbb"] });
    expect((await inbox(B)).body.messages.map((m: { from: string; subject: string }) => [m.from, m.subject])).toEqual([["human", "guidance"]]);
    const wrong = await send({ to_session: "bbbbbbbb" }, { authorization: "Bearer not-the-admin-token" });
    expect([wrong.status, wrong.body.status]).toEqual([401, "unauthorized"]);
    expect((await call("GET", `/messages?repo=o/r`, undefined, { authorization: `Bearer ${ADMIN}` })).body.messages.map((m: { subject: string }) => m.subject)).toEqual(["guidance"]);
  });

  test("inbox --unread and ack: only the reader's own messages are marked, twice is a no-op", async () => {
    await send({ session_id: A, to_session: "bbbbbbbb", subject: "one" });
    await send({ session_id: A, broadcast: true, subject: "two" });
    const ids = (await inbox(B, true)).body.messages.map((m: { id: number }) => m.id);
    expect(ids).toEqual([1, 2]);
    expect((await call("POST", "/messages/ack", { ...auth, session_id: C, ids: [1] })).body).toEqual({ status: "acked", acked: 0 });
    expect((await call("POST", "/messages/ack", { ...auth, session_id: B, ids: [1, 2, 999] })).body).toEqual({ status: "acked", acked: 2 });
    expect((await call("POST", "/messages/ack", { ...auth, session_id: B, ids: [1] })).body).toEqual({ status: "acked", acked: 0 });
    expect((await inbox(B, true)).body.messages).toEqual([]);
    expect((await inbox(B)).body.messages.map((m: { read: boolean }) => m.read)).toEqual([true, true]);
    expect((await inbox(C, true)).body.messages.map((m: { subject: string }) => m.subject)).toEqual(["two"]);
    expect((await call("POST", "/messages/ack", { ...auth, session_id: B, ids: [] })).status).toBe(400);
  });

  test("the inbox needs X-Session-Id from a session; it never travels in the URL", async () => {
    const r = await call("GET", `/messages?${q}`);
    expect([r.status, r.body.field]).toEqual([400, "X-Session-Id"]);
  });

  test("the prune job forgets silent sessions, old messages with their read marks, and old events", async () => {
    await send({ session_id: A, broadcast: true });
    await call("POST", "/messages/ack", { ...auth, session_id: B, ids: [1] });
    const stores = { sessions: createSessionStore(db), messages: createMessageStore(db), events: createEventLog(db) };
    const r = { session_retention_ms: 7 * 86_400_000, message_retention_ms: 7 * 86_400_000, event_retention_ms: 3_600_000 };
    expect(await runPrune(stores, now + 3_600_000 - 1, r)).toEqual({ sessions: 0, messages: 0, events: 0 });
    expect((await runPrune(stores, now + 3_600_001, r)).events).toBeGreaterThan(0);
    expect(await runPrune(stores, now + 7 * 86_400_000 + 1, r)).toEqual({ sessions: 3, messages: 1, events: 0 });
    expect(db.sqlite.query("SELECT COUNT(*) AS n FROM message_reads").get()).toEqual({ n: 0 });
  });
});

describe("GET /events", () => {
  async function readEvents(res: Response, count: number, timeout_ms = 3000): Promise<{ id: number; event: string; data: Record<string, unknown> }[]> {
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = "";
    const out: { id: number; event: string; data: Record<string, unknown> }[] = [];
    const deadline = Date.now() + timeout_ms;
    while (out.length < count && Date.now() < deadline) {
      const r = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => ({ done: true, value: undefined }))]);
      if (r.done || !r.value) break;
      buf += dec.decode(r.value);
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const f = Object.fromEntries(block.split("\n").filter((l) => !l.startsWith(":")).map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 2)]));
        if (f.event) out.push({ id: Number(f.id), event: f.event, data: JSON.parse(f.data ?? "null") });
      }
    }
    await reader.cancel();
    return out;
  }

  test("claimed, heartbeat, message, completed and expired events arrive live (a claim and a completion each with the session's heartbeat), and Last-Event-ID replays what was missed", async () => {
    const ctl = new AbortController();
    const res = await app.handle(new Request(`http://localhost/events?${q}`, { signal: ctl.signal }));
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/event-stream; charset=utf-8"]);
    await claim(A, "t1");
    await send({ session_id: B, to_task: "t1", subject: "hi" });
    await call("POST", "/complete", { ...auth, session_id: A, task_id: "t1" });
    await claim(B, "t2");
    await call("DELETE", "/claim", { repo: "o/r", task_id: "t2" }, { authorization: `Bearer ${ADMIN}` });
    const got = await readEvents(res, 8);
    ctl.abort();
    expect(got.map((e) => [e.event, e.data.task_id ?? e.data.to, e.data.state])).toEqual([
      ["claimed", "t1", undefined],
      ["heartbeat", "t1", "working"],
      ["message", "aaaaaaaa", undefined],
      ["completed", "t1", undefined],
      ["heartbeat", "t1", "complete"],
      ["claimed", "t2", undefined],
      ["heartbeat", "t2", "working"],
      ["expired", "t2", undefined],
    ]);
    expect(JSON.stringify(got)).not.toContain(A);
    // A repo-token subscriber sees that a message was sent, not its text; the human (admin token) sees it all.
    expect(got[2]!.data).toEqual({ id: 1, from: "bbbbbbbb", to: "aaaaaaaa", sent_at: "2026-01-05T20:00:00Z", read: false });
    const human = await app.handle(new Request(`http://localhost/events?repo=o/r&last_event_id=${got[1]!.id}`, { headers: { authorization: `Bearer ${ADMIN}` } }));
    expect((await readEvents(human, 1))[0]!.data).toMatchObject({ subject: "hi", body: "b" });
    const replay = await app.handle(new Request(`http://localhost/events?${q}`, { headers: { "last-event-id": String(got[2]!.id) } }));
    expect((await readEvents(replay, 5)).map((e) => e.event)).toEqual(["completed", "heartbeat", "claimed", "heartbeat", "expired"]);
    const viaQuery = await app.handle(new Request(`http://localhost/events?${q}&last_event_id=${got[6]!.id}`));
    expect((await readEvents(viaQuery, 1)).map((e) => e.event)).toEqual(["expired"]);
  });

  test("events need the repo token or the admin token", async () => {
    expect((await call("GET", "/events?repo=o/r")).body).toEqual({ status: "invalid_request", message: "Invalid request query: field 'token' is required.", field: "token" });
    const admin = await app.handle(new Request("http://localhost/events?repo=o/r", { headers: { authorization: `Bearer ${ADMIN}` } }));
    expect(admin.status).toBe(200);
    await admin.body!.cancel();
  });
});

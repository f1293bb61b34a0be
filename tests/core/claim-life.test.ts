// Tests of a claim's life around its session (src/core/claim-life.ts, and expiry in claims.ts): release, operator expiry and handover on the real SQLite store, each in one transaction.
import { afterEach, describe, expect, test } from "bun:test";
import { handOver, releaseClaim } from "../../src/core/claim-life.ts";
import { claimTask, completeTask, DEFAULT_POLICY, expireClaim, listClaims } from "../../src/core/claims.ts";
import { CoordError } from "../../src/core/errors.ts";
import { ackMessages, sendMessage } from "../../src/core/messages.ts";
import { DEFAULT_SESSION_POLICY, recordHeartbeat, type SessionRecord } from "../../src/core/sessions.ts";
import { createEventLog, createMessageStore, createSessionStore } from "../../src/storage/activity-store.ts";
import { createClaimStore } from "../../src/storage/claim-store.ts";
import { type CoordDatabase, openDatabase } from "../../src/storage/db.ts";

const T0 = Date.parse("2026-01-05T20:00:00Z");
const at = (ms: number) => () => ms;
const OLD = "aaaaaaaa-1111-4111-8111-111111111111";
const NEW = "bbbbbbbb-2222-4222-8222-222222222222";
const OTHER = "cccccccc-3333-4333-8333-333333333333";
const R = "o/r";
const opened: CoordDatabase[] = [];
afterEach(() => {
  for (const db of opened.splice(0)) db.close();
});

function open() {
  const db = openDatabase(":memory:");
  opened.push(db);
  const store = createClaimStore(db);
  const sessions = createSessionStore(db);
  const session = async (id: string): Promise<SessionRecord | undefined> => (await sessions.listSessions(R, 0)).find((s) => s.session_id === id);
  return { db, store, session, messages: createMessageStore(db) };
}
type World = ReturnType<typeof open>;
const claim = (w: World, session_id: string, task_id: string, ms = T0) =>
  claimTask(w.store, { repo: R, session_id, task_id, branch: "claude/w", plan_file: "context/plan.json" }, at(ms), DEFAULT_POLICY);
const heartbeat = (w: World, session_id: string, state: "working" | "stuck", task_id: string | null, ms = T0) =>
  recordHeartbeat(w.store, { repo: R, session_id, branch: "claude/w", state, task_id, progress: 40, note: "n", ...(state === "stuck" ? { stuck: { reason: "which db?" } } : {}) }, at(ms));
const send = (w: World, from_session: string | null, target: { to_session: string } | { broadcast: true }, subject: string) =>
  sendMessage(w.store, { repo: R, from_session, target, subject, body: "b" }, at(T0), { claims: DEFAULT_POLICY, sessions: DEFAULT_SESSION_POLICY });
const rejection = async (p: Promise<unknown>): Promise<CoordError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof CoordError) return e;
    throw e;
  }
  throw new Error("expected a CoordError");
};

describe("release", () => {
  test("a released task is listed with outcome freed, and the session record drops the task, in one transaction with its events", async () => {
    const w = open();
    await claim(w, OLD, "t1");
    await heartbeat(w, OLD, "working", "t1");
    const c = await releaseClaim(w.store, { repo: R, session_id: OLD, task_id: "t1" }, at(T0 + 1000), DEFAULT_POLICY);
    expect([c.completion_reason, c.outcome]).toEqual(["released", "freed"]);
    expect((await listClaims(w.store, R, T0 + 2000, DEFAULT_POLICY)).recently_completed.map((x) => [x.task_id, x.completion_reason, x.outcome])).toEqual([["t1", "released", "freed"]]);
    const rec = (await w.session(OLD))!;
    expect([rec.state, rec.task_id, rec.progress, rec.note, rec.last_heartbeat_ms]).toEqual(["registered", null, null, "released task 't1'", T0]);
    expect((await createEventLog(w.db).since(R, 0, 10)).map((e) => e.type)).toEqual(["claimed", "heartbeat", "heartbeat", "released"]);
  });

  test("releasing another session's claim is forbidden and a task nobody holds is not found; nothing changes", async () => {
    const w = open();
    await claim(w, OLD, "t1");
    expect((await rejection(releaseClaim(w.store, { repo: R, session_id: NEW, task_id: "t1" }, at(T0), DEFAULT_POLICY))).code).toBe("forbidden");
    expect((await rejection(releaseClaim(w.store, { repo: R, session_id: OLD, task_id: "t2" }, at(T0), DEFAULT_POLICY))).code).toBe("not_found");
    expect((await listClaims(w.store, R, T0, DEFAULT_POLICY)).active.map((x) => x.task_id)).toEqual(["t1"]);
  });
});

describe("operator expiry", () => {
  test("an expired claim is freed and its session no longer shows the task; a session on another task is untouched", async () => {
    const w = open();
    await claim(w, OLD, "t1");
    await heartbeat(w, OLD, "stuck", "t1");
    await claim(w, OTHER, "t9");
    const c = await expireClaim(w.store, R, { task_id: "t1" }, at(T0 + 5), DEFAULT_POLICY);
    expect([c.completion_reason, c.outcome]).toEqual(["admin_expired", "freed"]);
    const rec = (await w.session(OLD))!;
    expect([rec.state, rec.task_id, rec.note]).toEqual(["stuck", null, "claim on task 't1' expired by an operator"]);
    expect((await w.session(OTHER))!.task_id).toBe("t9");
  });
});

describe("handover", () => {
  test("the new session takes the claim with a new fence, the state and the unread direct messages; the old id is fenced out", async () => {
    const w = open();
    const first = await claim(w, OLD, "t1");
    await heartbeat(w, OLD, "working", "t1");
    await heartbeat(w, OTHER, "working", null);
    const direct = (await send(w, null, { to_session: OLD }, "from the human")).stored[0]!;
    const seen = (await send(w, OTHER, { broadcast: true }, "old broadcast")).stored[0]!;
    const unseen = (await send(w, OTHER, { broadcast: true }, "new broadcast")).stored[0]!;
    await ackMessages(w.store, { repo: R, session_id: OLD, ids: [seen.id] }, at(T0));
    const r = await handOver(w.store, { repo: R, from_session_id: OLD, session_id: NEW }, at(T0 + 10), DEFAULT_POLICY);
    expect(r).toEqual({ status: "handed_over", task_id: "t1", fence: first.fence + 1, state: "working", messages: 1 });
    expect((await w.messages.inbox(R, NEW, { unread_only: true, limit: 10 })).map((e) => e.message.id)).toEqual([direct.id, unseen.id]);
    const rec = (await w.session(NEW))!;
    expect([rec.state, rec.task_id, rec.progress, rec.note]).toEqual(["working", "t1", 40, "n"]);
    const old = (await w.session(OLD))!;
    expect([old.state, old.note]).toEqual(["cancelled", "handed over to bbbbbbbb"]);
    expect((await rejection(completeTask(w.store, { repo: R, session_id: OLD, task_id: "t1" }, at(T0 + 20), DEFAULT_POLICY))).code).toBe("forbidden");
    expect((await completeTask(w.store, { repo: R, session_id: NEW, task_id: "t1" }, at(T0 + 20), DEFAULT_POLICY)).fence).toBe(first.fence + 1);
    expect((await rejection(handOver(w.store, { repo: R, from_session_id: OLD, session_id: OTHER }, at(T0 + 30), DEFAULT_POLICY))).code).toBe("not_found");
  });

  test("a session with state but no claim hands over its state; task_id and fence are null", async () => {
    const w = open();
    await heartbeat(w, OLD, "stuck", null);
    expect(await handOver(w.store, { repo: R, from_session_id: OLD, session_id: NEW }, at(T0 + 10), DEFAULT_POLICY)).toEqual({ status: "handed_over", task_id: null, fence: null, state: "stuck", messages: 0 });
    expect((await w.session(NEW))!.stuck).toEqual({ reason: "which db?", context: null, options: [] });
  });

  test("an old session with no claim and no state is not found; the same id twice is invalid; a new session holding a claim keeps it, and nothing changes", async () => {
    const w = open();
    expect((await rejection(handOver(w.store, { repo: R, from_session_id: OLD, session_id: NEW }, at(T0), DEFAULT_POLICY))).code).toBe("not_found");
    await claim(w, OLD, "t1");
    expect((await rejection(handOver(w.store, { repo: R, from_session_id: OLD, session_id: OLD }, at(T0), DEFAULT_POLICY))).code).toBe("invalid_request");
    await claim(w, NEW, "t2");
    const e = await rejection(handOver(w.store, { repo: R, from_session_id: OLD, session_id: NEW }, at(T0), DEFAULT_POLICY));
    expect([e.code, (e.details.current_claim as { task_id: string }).task_id]).toEqual(["session_has_claim", "t2"]);
    expect((await listClaims(w.store, R, T0, DEFAULT_POLICY)).active.map((x) => [x.task_id, x.session])).toEqual([
      ["t1", "aaaaaaaa"],
      ["t2", "bbbbbbbb"],
    ]);
  });
});

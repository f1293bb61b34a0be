// Tests of the session rules (src/core/sessions.ts): every state transition, field keeping, stuck, progress, the stale flag, and the heartbeat use case's transaction.
import { describe, expect, test } from "bun:test";
import { claimTask, completeTask, DEFAULT_POLICY } from "../../src/core/claims.ts";
import { CoordError } from "../../src/core/errors.ts";
import { applyHeartbeat, DEFAULT_SESSION_POLICY, listSessionViews, recordHeartbeat, SESSION_STATES, sessionView, type HeartbeatInput, type SessionRecord, type SessionState } from "../../src/core/sessions.ts";
import { clockAt } from "../helpers/clock.ts";
import { MemoryStore } from "../helpers/memory-store.ts";

const T0 = Date.parse("2026-01-05T20:00:00Z");
const base = (state: SessionState, over: Partial<HeartbeatInput> = {}): HeartbeatInput => ({
  repo: "o/r",
  session_id: "aaaaaaaa-1111",
  branch: "claude/a",
  state,
  ...(state === "stuck" ? { stuck: { reason: "tests fail on main", options: ["wait", "fix main"] } } : {}),
  ...over,
});
function codeOf(fn: () => unknown): { code: string; field: unknown } | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof CoordError) return { code: e.code, field: e.details.field };
    throw e;
  }
  return undefined;
}

describe("every state transition", () => {
  for (const from of SESSION_STATES) {
    for (const to of SESSION_STATES) {
      test(`${from} → ${to}`, () => {
        const first = applyHeartbeat(undefined, base(from, { task_id: "t1", progress: 40, note: "n", pr_url: from === "complete" ? "https://x/pr/1" : undefined }), T0);
        const next = applyHeartbeat(first, base(to), T0 + 1000);
        expect(next.state).toBe(to);
        expect(next.stuck).toEqual(to === "stuck" ? { reason: "tests fail on main", context: null, options: ["wait", "fix main"] } : null);
        expect([next.task_id, next.progress, next.note]).toEqual(["t1", 40, "n"]);
        expect(next.pr_url).toBe(from === "complete" ? "https://x/pr/1" : null);
        expect([next.first_seen_ms, next.last_heartbeat_ms]).toEqual([T0, T0 + 1000]);
      });
    }
  }
});

describe("heartbeat fields", () => {
  test("the first heartbeat registers; later ones replace what they name and keep the rest", () => {
    const a = applyHeartbeat(undefined, base("registered"), T0);
    expect(a).toEqual({ repo: "o/r", session_id: "aaaaaaaa-1111", branch: "claude/a", state: "registered", task_id: null, progress: null, note: null, stuck: null, pr_url: null, worktree: null, plan: null, first_seen_ms: T0, last_heartbeat_ms: T0, state_since_ms: T0 });
    const b = applyHeartbeat(a, base("working", { task_id: "t1", progress: 10 }), T0 + 1);
    const c = applyHeartbeat(b, base("working", { note: "halfway", progress: 50 }), T0 + 2);
    expect([c.task_id, c.progress, c.note]).toEqual(["t1", 50, "halfway"]);
    const d = applyHeartbeat(c, base("complete", { pr_url: "https://github.com/o/r/pull/7", progress: 100 }), T0 + 3);
    expect([d.state, d.pr_url, d.progress, d.note]).toEqual(["complete", "https://github.com/o/r/pull/7", 100, "halfway"]);
    expect(applyHeartbeat(d, base("working", { note: null }), T0 + 4).note).toBeNull();
  });

  test("state_since is when the state began: a heartbeat repeating the state keeps it, a new state moves it; the plan is kept until replaced", () => {
    const a = applyHeartbeat(undefined, base("planning"), T0);
    const b = applyHeartbeat(a, base("planning_complete", { plan: "1. tests 2. code" }), T0 + 10);
    const c = applyHeartbeat(b, base("planning_complete"), T0 + 20);
    expect([a.state_since_ms, b.state_since_ms, c.state_since_ms, c.plan]).toEqual([T0, T0 + 10, T0 + 10, "1. tests 2. code"]);
    const d = applyHeartbeat(c, base("working"), T0 + 30);
    expect([d.state_since_ms, d.plan]).toEqual([T0 + 30, "1. tests 2. code"]);
    expect(sessionView(d, T0 + 40, DEFAULT_SESSION_POLICY).state_since).toBe(new Date(T0 + 30).toISOString().replace(/\.\d{3}Z$/, "Z"));
  });

  const bad: [string, HeartbeatInput, string][] = [
    ["stuck without a reason", { ...base("working"), state: "stuck" }, "stuck.reason"],
    ["stuck with a blank reason", base("stuck", { stuck: { reason: "  " } }), "stuck.reason"],
    ["stuck info with another state", base("working", { stuck: { reason: "x" } }), "stuck"],
    ["progress over 100", base("working", { progress: 101 }), "progress"],
    ["negative progress", base("working", { progress: -1 }), "progress"],
    ["fractional progress", base("working", { progress: 2.5 }), "progress"],
  ];
  for (const [name, hb, field] of bad) {
    test(`${name} is invalid_request naming '${field}'`, () => {
      expect(codeOf(() => applyHeartbeat(undefined, hb, T0))).toEqual({ code: "invalid_request", field });
    });
  }
});

describe("listing and the stale flag (fake clock)", () => {
  const rec = (id: string, state: SessionState, last: number): SessionRecord => ({
    ...applyHeartbeat(undefined, base(state, { session_id: id }), last),
  });
  test("stale exactly after 30 minutes without a heartbeat; listed for 24 hours; stuck first, then newest", () => {
    const s = [rec("old-session", "working", T0 - 86_400_001), rec("quiet-session", "working", T0 - 30 * 60_000 - 1), rec("fresh-session", "working", T0 - 30 * 60_000), rec("stuck-session", "stuck", T0 - 3_600_000)];
    const views = listSessionViews(s, T0, DEFAULT_SESSION_POLICY);
    expect(views.map((v) => [v.session, v.stale])).toEqual([
      ["stuck-se", true],
      ["fresh-se", false],
      ["quiet-se", true],
    ]);
    expect(JSON.stringify(views)).not.toContain("stuck-session");
  });
});

describe("the heartbeat use case and the claim rules keep the session and its event in one transaction", () => {
  const A = "aaaaaaaa-1111-4111-8111-111111111111";
  const claimReq = (task_id: string) => ({ repo: "o/r", session_id: A, task_id, branch: "claude/a", plan_file: "" });

  test("recordHeartbeat stores the session and its heartbeat event at the transaction's time and counts unread messages", async () => {
    const store = new MemoryStore();
    const r = await recordHeartbeat(store, base("working", { session_id: A, task_id: "t1", progress: 30 }), clockAt(T0 + 5));
    expect([r.session.state, r.session.last_heartbeat_ms, r.unread]).toEqual(["working", T0 + 5, 0]);
    expect([...store.sessions.values()]).toEqual([r.session]);
    expect(store.events.map((e) => [e.type, e.at_ms, (e.data as { session: string; progress: number }).session, (e.data as { progress: number }).progress])).toEqual([["heartbeat", T0 + 5, "aaaaaaaa", 30]]);
  });

  test("a refused heartbeat stores no session and logs no event", async () => {
    const store = new MemoryStore();
    await expect(recordHeartbeat(store, { ...base("working", { session_id: A }), progress: 101 }, clockAt(T0))).rejects.toMatchObject({ code: "invalid_request", details: { field: "progress" } });
    expect([store.sessions.size, store.events.length]).toEqual([0, 0]);
  });

  test("a granted claim sets the session working on the task (clearing progress, note and PR); a completion sets it complete keeping them", async () => {
    const store = new MemoryStore();
    await recordHeartbeat(store, base("complete", { session_id: A, task_id: "old", progress: 100, note: "done", pr_url: "https://x/pull/1" }), clockAt(T0));
    await claimTask(store, claimReq("t1"), clockAt(T0 + 1), DEFAULT_POLICY);
    const s = () => {
      const r = [...store.sessions.values()][0]!;
      return [r.state, r.task_id, r.progress, r.note, r.pr_url, r.last_heartbeat_ms - T0];
    };
    expect(s()).toEqual(["working", "t1", null, null, null, 1]);
    await recordHeartbeat(store, base("working", { session_id: A, progress: 90, pr_url: "https://x/pull/9" }), clockAt(T0 + 2));
    await completeTask(store, { repo: "o/r", session_id: A, task_id: "t1" }, clockAt(T0 + 3), DEFAULT_POLICY);
    expect(s()).toEqual(["complete", "t1", 90, null, "https://x/pull/9", 3]);
  });

  test("a refused claim or completion leaves the session as it was", async () => {
    const store = new MemoryStore();
    await recordHeartbeat(store, base("planning", { session_id: A }), clockAt(T0));
    await claimTask(store, { ...claimReq("t1"), session_id: "bbbbbbbb-2222" }, clockAt(T0), DEFAULT_POLICY);
    await expect(claimTask(store, claimReq("t1"), clockAt(T0 + 1), DEFAULT_POLICY)).rejects.toMatchObject({ code: "conflict" });
    await expect(completeTask(store, { repo: "o/r", session_id: A, task_id: "t1" }, clockAt(T0 + 2), DEFAULT_POLICY)).rejects.toMatchObject({ code: "forbidden" });
    expect(store.sessions.get(`o/r\0${A}`)).toMatchObject({ state: "planning", last_heartbeat_ms: T0 });
  });
});

// Table-driven tests of the claim rules (src/core/claims.ts) over an in-memory store and a fake clock.
import { describe, expect, test } from "bun:test";
import {
  claimTask,
  completeRemovedBranches,
  completeTask,
  DEFAULT_POLICY,
  expireClaim,
  listClaims,
  sweepClaims,
} from "../../src/core/claims.ts";
import { CoordError } from "../../src/core/errors.ts";
import { clockAt } from "../helpers/clock.ts";
import { MemoryStore } from "../helpers/memory-store.ts";

const T0 = Date.parse("2026-01-05T20:00:00Z");
const DAY = 86_400_000;
const A = "aaaaaaaa-1111-4111-8111-111111111111";
const B = "bbbbbbbb-2222-4222-8222-222222222222";
const req = (session_id: string, task_id: string, branch = `claude/${task_id}`) => ({ repo: "o/r", session_id, task_id, branch, plan_file: "context/plan.json" });

async function codeOf(fn: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof CoordError) return e.code;
    throw e;
  }
  return undefined;
}

describe("claimTask", () => {
  const cases: { name: string; setup: [string, string, number][]; claim: [string, string]; at: number; expect: string }[] = [
    { name: "an unclaimed task is granted", setup: [], claim: [A, "t1"], at: T0, expect: "claimed" },
    { name: "a second session claiming a claimed task gets conflict", setup: [[A, "t1", T0]], claim: [B, "t1"], at: T0 + 1, expect: "conflict" },
    { name: "the same session claiming the same task again is idempotent", setup: [[A, "t1", T0]], claim: [A, "t1"], at: T0 + 5, expect: "claimed" },
    { name: "the same session claiming another task gets session_has_claim", setup: [[A, "t1", T0]], claim: [A, "t2"], at: T0 + 1, expect: "session_has_claim" },
    { name: "a claim past the 10-day TTL counts as expired for another session", setup: [[A, "t1", T0]], claim: [B, "t1"], at: T0 + 10 * DAY, expect: "claimed" },
    { name: "a claim one ms before the TTL still conflicts", setup: [[A, "t1", T0]], claim: [B, "t1"], at: T0 + 10 * DAY - 1, expect: "conflict" },
    { name: "a session whose claim expired may claim another task", setup: [[A, "t1", T0]], claim: [A, "t2"], at: T0 + 10 * DAY, expect: "claimed" },
    { name: "the same task in another repo is independent", setup: [[A, "t1", T0]], claim: [B, "t1"], at: T0, expect: "claimed-other-repo" },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const store = new MemoryStore();
      for (const [s, t, at] of c.setup) await claimTask(store, req(s, t), clockAt(at), DEFAULT_POLICY);
      const r = c.expect === "claimed-other-repo" ? { ...req(c.claim[0], c.claim[1]), repo: "o/other" } : req(c.claim[0], c.claim[1]);
      const got = await codeOf(() => claimTask(store, r, clockAt(c.at), DEFAULT_POLICY));
      expect(got ?? "claimed").toBe(c.expect === "claimed-other-repo" ? "claimed" : c.expect);
    });
  }

  test("conflict names the holder by its 8-character prefix, branch and time, never the full id", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "t1", "claude/one"), clockAt(T0), DEFAULT_POLICY);
    try {
      await claimTask(store, req(B, "t1"), clockAt(T0 + 1000), DEFAULT_POLICY);
      throw new Error("no conflict");
    } catch (e) {
      expect((e as CoordError).details).toEqual({
        task_id: "t1",
        claimed_by: { session: "aaaaaaaa", branch: "claude/one", claimed_at: "2026-01-05T20:00:00Z" },
      });
      expect(JSON.stringify((e as CoordError).details)).not.toContain(A);
    }
  });

  test("fences strictly increase and an idempotent re-claim returns the same fence", async () => {
    const store = new MemoryStore();
    const f1 = await claimTask(store, req(A, "t1"), clockAt(T0), DEFAULT_POLICY);
    const f2 = await claimTask(store, req(B, "t2"), clockAt(T0), DEFAULT_POLICY);
    const again = await claimTask(store, req(A, "t1"), clockAt(T0 + 1), DEFAULT_POLICY);
    expect([f1.fence, f2.fence, again.fence]).toEqual([1, 2, 1]);
    expect([f1.created, again.created]).toEqual([true, false]);
    expect(store.rows.length).toBe(2);
  });

  test("a session claiming its own task after the claim expired gets a new claim with a new fence, the old one deleted", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "t1"), clockAt(T0), DEFAULT_POLICY);
    const again = await claimTask(store, req(A, "t1"), clockAt(T0 + 10 * DAY), DEFAULT_POLICY);
    expect([again.fence, again.created]).toEqual([2, true]);
    expect(store.rows.map((r) => [r.task_id, r.session_id, r.fence, r.completed_at_ms])).toEqual([["t1", A, 2, null]]);
  });

  test("an expired claim is deleted when the task is claimed again, not kept as completed", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "t1"), clockAt(T0), DEFAULT_POLICY);
    await claimTask(store, req(B, "t1"), clockAt(T0 + 11 * DAY), DEFAULT_POLICY);
    expect(store.rows.map((r) => [r.session_id, r.completed_at_ms])).toEqual([[B, null]]);
  });

  test("a rejected claim stores nothing", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "t1"), clockAt(T0), DEFAULT_POLICY);
    const before = JSON.stringify(store.rows);
    expect(await codeOf(() => claimTask(store, req(A, "t2"), clockAt(T0), DEFAULT_POLICY))).toBe("session_has_claim");
    expect(JSON.stringify(store.rows)).toBe(before);
    expect(store.fence).toBe(1);
  });
});

describe("completeTask", () => {
  const cases = [
    { name: "the owner completes its claim", by: A, task: "t1", expect: "completed" },
    { name: "another session completing it gets forbidden", by: B, task: "t1", expect: "forbidden" },
    { name: "completing an unclaimed task gets not_found", by: A, task: "nope", expect: "not_found" },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const store = new MemoryStore();
      await claimTask(store, req(A, "t1"), clockAt(T0), DEFAULT_POLICY);
      const got = await codeOf(() => completeTask(store, { repo: "o/r", session_id: c.by, task_id: c.task }, clockAt(T0 + 60_000), DEFAULT_POLICY));
      expect(got ?? "completed").toBe(c.expect);
      expect(store.rows[0]!.completion_reason).toBe(c.expect === "completed" ? "client_completed" : null);
    });
  }

  test("a completed claim is listed under recently_completed for 24 hours, then not", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "t1", "claude/x"), clockAt(T0), DEFAULT_POLICY);
    await completeTask(store, { repo: "o/r", session_id: A, task_id: "t1" }, clockAt(T0 + 1000), DEFAULT_POLICY);
    expect(await listClaims(store, "o/r", T0 + 2000, DEFAULT_POLICY)).toEqual({
      active: [],
      recently_completed: [
        {
          session: "aaaaaaaa",
          task_id: "t1",
          branch: "claude/x",
          plan_file: "context/plan.json",
          claimed_at: "2026-01-05T20:00:00Z",
          completed_at: "2026-01-05T20:00:01Z",
          completion_reason: "client_completed",
          outcome: "done",
          pr_url: null,
          fence: 1,
        },
      ],
    });
    expect((await listClaims(store, "o/r", T0 + 1000 + DAY, DEFAULT_POLICY)).recently_completed).toEqual([]);
  });

  test("after completing, the session may claim another task", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "t1"), clockAt(T0), DEFAULT_POLICY);
    await completeTask(store, { repo: "o/r", session_id: A, task_id: "t1" }, clockAt(T0 + 1), DEFAULT_POLICY);
    expect((await claimTask(store, req(A, "t2"), clockAt(T0 + 2), DEFAULT_POLICY)).fence).toBe(2);
  });
});

describe("expireClaim", () => {
  const C = "aaaaaaaa-9999-4999-8999-999999999999";
  const cases: { name: string; target: { task_id: string } | { session: string }; expect: string }[] = [
    { name: "by task", target: { task_id: "t2" }, expect: "t2" },
    { name: "by a full session id", target: { session: B }, expect: "t2" },
    { name: "by an 8-character prefix naming one session", target: { session: "bbbbbbbb" }, expect: "t2" },
    { name: "by a prefix shorter than 8 characters is invalid", target: { session: "bbbb" }, expect: "invalid_request" },
    { name: "by a prefix that matches two sessions is ambiguous", target: { session: "aaaaaaaa" }, expect: "ambiguous" },
    { name: "by 9 leading characters is invalid, like any 9 characters", target: { session: B.slice(0, 9) }, expect: "invalid_request" },
    { name: "by 20 leading characters is not_found, like any 20 characters", target: { session: B.slice(0, 20) }, expect: "not_found" },
    { name: "by a task nobody holds is not_found", target: { task_id: "zzz" }, expect: "not_found" },
    { name: "by a prefix nobody has is not_found", target: { session: "cccccccc" }, expect: "not_found" },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const store = new MemoryStore();
      await claimTask(store, req(A, "t1"), clockAt(T0), DEFAULT_POLICY);
      await claimTask(store, req(B, "t2"), clockAt(T0), DEFAULT_POLICY);
      await claimTask(store, req(C, "t3"), clockAt(T0), DEFAULT_POLICY);
      let got: string;
      try {
        got = (await expireClaim(store, "o/r", c.target, clockAt(T0 + 5), DEFAULT_POLICY)).task_id;
      } catch (e) {
        got = (e as CoordError).code;
      }
      expect(got).toBe(c.expect);
      const expired = store.rows.filter((r) => r.completion_reason === "admin_expired").map((r) => r.task_id);
      expect(expired).toEqual(c.expect === "t2" ? ["t2"] : []);
    });
  }
});

describe("branch removal and the sweep", () => {
  test("completeRemovedBranches completes exactly the claims on removed branches", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "t1", "claude/gone"), clockAt(T0), DEFAULT_POLICY);
    await claimTask(store, req(B, "t2", "claude/alive"), clockAt(T0), DEFAULT_POLICY);
    const done = await completeRemovedBranches(store, "o/r", new Map([["claude/gone", { closed_unmerged: false }], ["claude/unrelated", { closed_unmerged: false }]]), clockAt(T0 + 10));
    expect(done.map((c) => [c.task_id, c.completion_reason])).toEqual([["t1", "branch_removed"]]);
    expect(store.rows.map((r) => r.completion_reason)).toEqual(["branch_removed", null]);
  });

  test("the sweep deletes active claims past the TTL and completions past 24 hours, and nothing else", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "old"), clockAt(T0), DEFAULT_POLICY);
    await claimTask(store, req(B, "done"), clockAt(T0 + 5 * DAY), DEFAULT_POLICY);
    await completeTask(store, { repo: "o/r", session_id: B, task_id: "done" }, clockAt(T0 + 5 * DAY), DEFAULT_POLICY);
    await claimTask(store, req(B, "fresh"), clockAt(T0 + 9 * DAY), DEFAULT_POLICY);
    expect(await sweepClaims(store, T0 + 10 * DAY, DEFAULT_POLICY)).toEqual({ expired: 1, forgotten: 1 });
    expect(store.rows.map((r) => r.task_id)).toEqual(["fresh"]);
  });

  test("listings hide an expired claim before the sweep runs", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "old"), clockAt(T0), DEFAULT_POLICY);
    expect((await listClaims(store, "o/r", T0 + 10 * DAY - 1, DEFAULT_POLICY)).active.length).toBe(1);
    expect((await listClaims(store, "o/r", T0 + 10 * DAY, DEFAULT_POLICY)).active.length).toBe(0);
    expect(store.rows.length).toBe(1);
  });
});

describe("every change is logged as an event in its own transaction", () => {
  test("claimed, completed, expired and branch-removed completions log one event each, a grant (also a re-claim) and a completion the session's heartbeat; refusals log none", async () => {
    const store = new MemoryStore();
    await claimTask(store, req(A, "t1", "claude/one"), clockAt(T0), DEFAULT_POLICY);
    await claimTask(store, req(A, "t1", "claude/one"), clockAt(T0 + 1), DEFAULT_POLICY);
    expect(await codeOf(() => claimTask(store, req(B, "t1"), clockAt(T0 + 2), DEFAULT_POLICY))).toBe("conflict");
    await completeTask(store, { repo: "o/r", session_id: A, task_id: "t1" }, clockAt(T0 + 3), DEFAULT_POLICY);
    await claimTask(store, req(B, "t2", "claude/two"), clockAt(T0 + 4), DEFAULT_POLICY);
    await expireClaim(store, "o/r", { task_id: "t2" }, clockAt(T0 + 5), DEFAULT_POLICY);
    await claimTask(store, req(B, "t3", "claude/gone"), clockAt(T0 + 6), DEFAULT_POLICY);
    await completeRemovedBranches(store, "o/r", new Map([["claude/gone", { closed_unmerged: false }]]), clockAt(T0 + 7));
    expect(store.events.map((e) => [e.type, (e.data as { task_id: string }).task_id, e.at_ms - T0])).toEqual([
      ["claimed", "t1", 0],
      ["heartbeat", "t1", 0],
      ["heartbeat", "t1", 1],
      ["completed", "t1", 3],
      ["heartbeat", "t1", 3],
      ["claimed", "t2", 4],
      ["heartbeat", "t2", 4],
      ["expired", "t2", 5],
      ["claimed", "t3", 6],
      ["heartbeat", "t3", 6],
      ["completed", "t3", 7],
    ]);
    expect(store.events[0]!.data).toEqual({ session: "aaaaaaaa", task_id: "t1", branch: "claude/one", plan_file: "context/plan.json", claimed_at: "2026-01-05T20:00:00Z", fence: 1 });
    expect((store.events[10]!.data as { completion_reason: string }).completion_reason).toBe("branch_removed");
  });
});

// The SQLite claim store: unique indexes as compare-and-swap, fences, transactions, listings and sweeps.

import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { claimTask, completeTask, DEFAULT_POLICY, expireClaim, listClaims, sweepClaims } from "../../src/core/claims.ts";
import type { ClaimRecord, ClaimStore, NewClaim } from "../../src/core/store.ts";
import { createClaimStore, isUniqueViolation } from "../../src/storage/claim-store.ts";
import { openDatabase, type CoordDatabase } from "../../src/storage/db.ts";
import { tempDirs } from "./temp-dir.ts";

const newDir = tempDirs("storage-claims");
const open: CoordDatabase[] = [];

afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function openStore(path = join(newDir(), "coord.db")): { db: CoordDatabase; store: ClaimStore; path: string } {
  const db = openDatabase(path);
  open.push(db);
  return { db, store: createClaimStore(db), path };
}

function claim(over: Partial<NewClaim> = {}): NewClaim {
  return {
    repo: "acme/app",
    task_id: "task-1",
    session_id: "session-aaaaaaaa",
    branch: "feature/one",
    plan_file: "plans/one.json",
    fence: 0,
    claimed_at_ms: 1_000,
    ...over,
  };
}

/** Grants a claim the way core does: a fresh fence, then the insert, in one transaction. */
function grant(store: ClaimStore, over: Partial<NewClaim> = {}): ClaimRecord {
  return store.transact((tx) => tx.insertActive(claim({ ...over, fence: tx.nextFence() })));
}

function countRows(db: CoordDatabase): number {
  return db.sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM claims").get()!.n;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("the partial unique indexes (compare-and-swap in the database)", () => {
  test("a second active claim of the same task in the same repo is rejected by the database and nothing is stored", () => {
    const { db, store } = openStore();
    const e = thrown(() =>
      store.transact((tx) => {
        tx.insertActive(claim({ session_id: "session-one", fence: tx.nextFence() }));
        tx.insertActive(claim({ session_id: "session-two", fence: tx.nextFence() }));
      }),
    );
    expect(isUniqueViolation(e)).toBe(true);
    expect((e as Error).message).toContain("claims.repo, claims.task_id");
    expect(countRows(db)).toBe(0);
  });

  test("a second active claim of the same session in the same repo is rejected by the database and nothing is stored", () => {
    const { db, store } = openStore();
    const e = thrown(() =>
      store.transact((tx) => {
        tx.insertActive(claim({ task_id: "task-1", fence: tx.nextFence() }));
        tx.insertActive(claim({ task_id: "task-2", fence: tx.nextFence() }));
      }),
    );
    expect(isUniqueViolation(e)).toBe(true);
    expect((e as Error).message).toContain("claims.repo, claims.session_id");
    expect(countRows(db)).toBe(0);
  });

  test("a violation in a later transaction leaves the earlier claim alone", () => {
    const { db, store } = openStore();
    const first = grant(store);
    const e = thrown(() => grant(store, { session_id: "session-other" }));
    expect(isUniqueViolation(e)).toBe(true);
    expect(store.listAllActive()).toEqual([first]);
    expect(countRows(db)).toBe(1);
  });

  test("completed claims of the same task and session do not block a new active claim", () => {
    const { store } = openStore();
    for (let i = 0; i < 3; i++) {
      const c = grant(store, { claimed_at_ms: 1_000 + i });
      store.transact((tx) => tx.markCompleted(c.id, "client_completed", 2_000 + i));
    }
    const active = grant(store, { claimed_at_ms: 5_000 });
    expect(store.listActive("acme/app", 0)).toEqual([active]);
    expect(store.listCompleted("acme/app", 0)).toHaveLength(3);
  });

  test("the same task and session are independent across repos", () => {
    const { store } = openStore();
    grant(store, { repo: "acme/app" });
    grant(store, { repo: "acme/lib" });
    expect(store.listAllActive().map((c) => c.repo)).toEqual(["acme/app", "acme/lib"]);
  });

  test("isUniqueViolation is false for other errors", () => {
    const { store } = openStore();
    expect(isUniqueViolation(new Error("UNIQUE constraint failed"))).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
    const e = thrown(() => store.transact((tx) => tx.markCompleted(999, "client_completed", 1)));
    expect(isUniqueViolation(e)).toBe(false);
  });
});

describe("fences", () => {
  test("fences strictly increase, starting at 1", () => {
    const { store } = openStore();
    const fences = [0, 1, 2, 3, 4].map((i) => grant(store, { task_id: `t${i}`, session_id: `s${i}` }).fence);
    expect(fences).toEqual([1, 2, 3, 4, 5]);
  });

  test("fences survive closing and reopening the database and are not reused after every claim is deleted", () => {
    const first = openStore();
    grant(first.store, { task_id: "t1", session_id: "s1", claimed_at_ms: 10 });
    const c2 = grant(first.store, { task_id: "t2", session_id: "s2", claimed_at_ms: 20 });
    first.store.transact((tx) => tx.markCompleted(c2.id, "admin_expired", 30));
    expect(first.store.deleteActiveClaimedBefore(1_000)).toBe(1);
    expect(first.store.deleteCompletedBefore(1_000)).toBe(1);
    expect(countRows(first.db)).toBe(0);
    first.db.close();

    const again = openStore(first.path);
    expect(grant(again.store, { task_id: "t3", session_id: "s3" }).fence).toBe(3);
    again.store.transact((tx) => {
      const c = tx.activeByTask("acme/app", "t3")!;
      tx.deleteClaim(c.id);
    });
    expect(grant(again.store, { task_id: "t4", session_id: "s4" }).fence).toBe(4);
  });

  test("a fence taken in a rolled-back transaction is handed out again (the counter rolls back with it)", () => {
    const { db, store } = openStore();
    expect(grant(store, { task_id: "t1", session_id: "s1" }).fence).toBe(1);
    const e = thrown(() =>
      store.transact((tx) => {
        expect(tx.nextFence()).toBe(2);
        tx.insertActive(claim({ task_id: "t2", session_id: "s2", fence: 2 }));
        throw new Error("rule failed");
      }),
    );
    expect((e as Error).message).toBe("rule failed");
    expect(countRows(db)).toBe(1);
    expect(grant(store, { task_id: "t3", session_id: "s3" }).fence).toBe(2);
  });
});

describe("transact", () => {
  test("returns the callback's value and commits", () => {
    const { store } = openStore();
    const c = store.transact((tx) => tx.insertActive(claim({ fence: tx.nextFence() })));
    expect(c).toEqual({ ...claim({ fence: 1 }), id: c.id, completed_at_ms: null, completion_reason: null });
    expect(store.transact((tx) => tx.activeByTask("acme/app", "task-1"))).toEqual(c);
  });

  test("a callback that throws rolls back every write and the error is rethrown unchanged", () => {
    const { db, store } = openStore();
    const kept = grant(store, { task_id: "kept", session_id: "kept-session" });
    const boom = new Error("boom");
    const e = thrown(() =>
      store.transact((tx) => {
        tx.markCompleted(kept.id, "client_completed", 5_000);
        tx.insertActive(claim({ fence: tx.nextFence() }));
        throw boom;
      }),
    );
    expect(e).toBe(boom);
    expect(countRows(db)).toBe(1);
    expect(store.listAllActive()).toEqual([kept]);
  });

  test("an async callback is rejected with a clear error and its writes are rolled back", async () => {
    const { db, store } = openStore();
    let tx: Parameters<Parameters<ClaimStore["transact"]>[0]>[0] | undefined;
    const e = thrown(() =>
      store.transact(async (t) => {
        tx = t;
        t.insertActive(claim({ fence: t.nextFence() }));
        await Promise.resolve();
        t.insertActive(claim({ task_id: "after-await", session_id: "s-after", fence: 99 }));
      }),
    );
    expect(e).toBeInstanceOf(TypeError);
    expect((e as Error).message).toContain("returned a Promise");
    await Bun.sleep(0);
    expect(countRows(db)).toBe(0);
    expect(() => tx!.nextFence()).toThrow("used after its transaction ended");
  });

  test("markCompleted throws for an id that is not an active claim", () => {
    const { store } = openStore();
    const c = grant(store);
    store.transact((tx) => tx.markCompleted(c.id, "branch_removed", 2_000));
    expect(() => store.transact((tx) => tx.markCompleted(c.id, "client_completed", 3_000))).toThrow(
      `no active claim has id ${c.id}`,
    );
    expect(store.listCompleted("acme/app", 0)).toEqual([
      { ...c, completed_at_ms: 2_000, completion_reason: "branch_removed" },
    ]);
  });

  test("the database refuses an unknown completion reason", () => {
    const { store } = openStore();
    const c = grant(store);
    expect(() => store.transact((tx) => tx.markCompleted(c.id, "nope" as "client_completed", 2_000))).toThrow(
      "CHECK constraint failed",
    );
  });
});

describe("reads and sweeps", () => {
  /** Repo acme/app: a@100 active, b@200 active, c@300 completed@400, d@350 completed@500; acme/lib: e@150 active, f completed@450. */
  function seed(store: ClaimStore) {
    const a = grant(store, { task_id: "a", session_id: "sess-aaaa-1", claimed_at_ms: 100 });
    const b = grant(store, { task_id: "b", session_id: "sess-bbbb-1", claimed_at_ms: 200 });
    const c = grant(store, { task_id: "c", session_id: "sess-cccc-1", claimed_at_ms: 300 });
    const d = grant(store, { task_id: "d", session_id: "sess-dddd-1", claimed_at_ms: 350 });
    const e = grant(store, { repo: "acme/lib", task_id: "e", session_id: "sess-eeee-1", claimed_at_ms: 150 });
    const f = grant(store, { repo: "acme/lib", task_id: "f", session_id: "sess-ffff-1", claimed_at_ms: 160 });
    store.transact((tx) => {
      tx.markCompleted(d.id, "admin_expired", 500);
      tx.markCompleted(c.id, "client_completed", 400);
      tx.markCompleted(f.id, "branch_removed", 450);
    });
    const done = (r: ClaimRecord, at: number, reason: ClaimRecord["completion_reason"]) => ({
      ...r,
      completed_at_ms: at,
      completion_reason: reason,
    });
    return { a, b, c: done(c, 400, "client_completed"), d: done(d, 500, "admin_expired"), e, f: done(f, 450, "branch_removed") };
  }

  test("listActive gives the repo's active claims claimed at or after the bound, oldest first", () => {
    const { store } = openStore();
    const { a, b } = seed(store);
    expect(store.listActive("acme/app", 0)).toEqual([a, b]);
    expect(store.listActive("acme/app", 100)).toEqual([a, b]);
    expect(store.listActive("acme/app", 101)).toEqual([b]);
    expect(store.listActive("acme/app", 201)).toEqual([]);
    expect(store.listActive("other/repo", 0)).toEqual([]);
  });

  test("listCompleted gives the repo's completed claims completed at or after the bound, oldest completion first", () => {
    const { store } = openStore();
    const { c, d, f } = seed(store);
    expect(store.listCompleted("acme/app", 0)).toEqual([c, d]);
    expect(store.listCompleted("acme/app", 400)).toEqual([c, d]);
    expect(store.listCompleted("acme/app", 401)).toEqual([d]);
    expect(store.listCompleted("acme/lib", 0)).toEqual([f]);
  });

  test("listAllActive gives every repo's active claims, oldest first", () => {
    const { store } = openStore();
    const { a, b, e } = seed(store);
    expect(store.listAllActive()).toEqual([a, e, b]);
  });

  test("activeByTask and activeBySession see only active claims", () => {
    const { store } = openStore();
    const { a } = seed(store);
    store.transact((tx) => {
      expect(tx.activeByTask("acme/app", "a")).toEqual(a);
      expect(tx.activeByTask("acme/app", "c")).toBeUndefined();
      expect(tx.activeByTask("acme/lib", "a")).toBeUndefined();
      expect(tx.activeBySession("acme/app", "sess-aaaa-1")).toEqual(a);
      expect(tx.activeBySession("acme/app", "sess-cccc-1")).toBeUndefined();
      expect(tx.activeBySession("acme/app", "sess-aaaa")).toBeUndefined();
    });
  });

  test("activeBySessionPrefix matches the start of active session ids in the repo, case-sensitively and literally", () => {
    const { store } = openStore();
    const { a, b } = seed(store);
    const pct = grant(store, { task_id: "p", session_id: "50%_off-xyz", claimed_at_ms: 600 });
    store.transact((tx) => {
      expect(tx.activeBySessionPrefix("acme/app", "sess-")).toEqual([a, b]);
      expect(tx.activeBySessionPrefix("acme/app", "sess-aaaa")).toEqual([a]);
      expect(tx.activeBySessionPrefix("acme/app", "sess-aaaa-1")).toEqual([a]);
      expect(tx.activeBySessionPrefix("acme/app", "SESS-AAAA")).toEqual([]);
      expect(tx.activeBySessionPrefix("acme/app", "sess-cccc")).toEqual([]); // completed
      expect(tx.activeBySessionPrefix("acme/app", "sess-eeee")).toEqual([]); // other repo
      expect(tx.activeBySessionPrefix("acme/app", "sess_")).toEqual([]); // _ is not a wildcard
      expect(tx.activeBySessionPrefix("acme/app", "%")).toEqual([]); // % is not a wildcard
      expect(tx.activeBySessionPrefix("acme/app", "50%_")).toEqual([pct]);
    });
  });

  test("deleteActiveClaimedBefore deletes only active claims claimed strictly before the bound, in every repo", () => {
    const { store } = openStore();
    const { b, c, d, f } = seed(store);
    expect(store.deleteActiveClaimedBefore(200)).toBe(2); // a@100 and e@150; not b@200, not completed c
    expect(store.listAllActive()).toEqual([b]);
    expect(store.listCompleted("acme/app", 0)).toEqual([c, d]);
    expect(store.listCompleted("acme/lib", 0)).toEqual([f]);
    expect(store.deleteActiveClaimedBefore(200)).toBe(0);
  });

  test("deleteCompletedBefore deletes only completed claims completed strictly before the bound, in every repo", () => {
    const { store } = openStore();
    const { a, b, d, e } = seed(store);
    expect(store.deleteCompletedBefore(500)).toBe(2); // c@400 and f@450; not d@500
    expect(store.listCompleted("acme/app", 0)).toEqual([d]);
    expect(store.listCompleted("acme/lib", 0)).toEqual([]);
    expect(store.listAllActive()).toEqual([a, e, b]);
  });
});

describe("core's claim rules on the SQLite store", () => {
  test("claim, idempotent re-claim, conflict, session_has_claim, complete, expire by prefix, list and sweep", () => {
    const { store } = openStore();
    const policy = DEFAULT_POLICY;
    const req = { repo: "acme/app", session_id: "session-1-secret", task_id: "t1", branch: "b1", plan_file: "plans/a.json" };
    const granted = claimTask(store, req, 1_000, policy);
    expect({ fence: granted.fence, created: granted.created }).toEqual({ fence: 1, created: true });
    expect(claimTask(store, req, 2_000, policy)).toMatchObject({ fence: 1, created: false });
    expect(() => claimTask(store, { ...req, session_id: "session-2-secret" }, 3_000, policy)).toThrow(
      expect.objectContaining({ code: "conflict" }),
    );
    expect(() => claimTask(store, { ...req, task_id: "t2" }, 3_000, policy)).toThrow(
      expect.objectContaining({ code: "session_has_claim" }),
    );
    expect(claimTask(store, { ...req, session_id: "session-2-secret", task_id: "t2" }, 4_000, policy).fence).toBe(2);
    expect(() => expireClaim(store, "acme/app", { session: "session-" }, 5_000, policy)).toThrow(
      expect.objectContaining({ code: "ambiguous" }),
    );
    completeTask(store, req, 5_000, policy);
    expireClaim(store, "acme/app", { session: "session-2" }, 6_000, policy);
    const listing = listClaims(store, "acme/app", 7_000, policy);
    expect(listing.active).toEqual([]);
    expect(listing.recently_completed.map((c) => [c.task_id, c.completion_reason, c.session])).toEqual([
      ["t1", "client_completed", "session-"],
      ["t2", "admin_expired", "session-"],
    ]);
    expect(claimTask(store, req, 8_000, policy).fence).toBe(3);
    expect(sweepClaims(store, 8_000 + policy.claim_ttl_ms, policy)).toEqual({ expired: 1, forgotten: 2 });
  });
});

describe("listings kept in memory between writes", () => {
  const T = Date.parse("2026-01-05T20:00:00Z");
  const req = (session_id: string, task_id: string) => ({ repo: "o/r", session_id, task_id, branch: "b", plan_file: "" });
  const tasks = (store: ClaimStore) => store.listActive("o/r", 0).map((c) => c.task_id);

  test("a write through another connection (another service process) is seen at the next listing", () => {
    const one = openStore();
    const two = openStore(one.path);
    claimTask(one.store, req("s1", "t1"), T, DEFAULT_POLICY);
    expect(tasks(one.store)).toEqual(["t1"]);
    expect(tasks(two.store)).toEqual(["t1"]);
    claimTask(two.store, req("s2", "t2"), T + 1, DEFAULT_POLICY);
    expect(tasks(one.store)).toEqual(["t1", "t2"]);
    completeTask(one.store, { repo: "o/r", session_id: "s2", task_id: "t2" }, T + 2, DEFAULT_POLICY);
    expect(tasks(two.store)).toEqual(["t1"]);
    expect(two.store.listCompleted("o/r", 0).map((c) => c.task_id)).toEqual(["t2"]);
    expect(one.store.deleteCompletedBefore(T + 3)).toBe(1);
    expect(two.store.listCompleted("o/r", 0)).toEqual([]);
  });

  test("a write through this store and a failed transaction leave the listing exact", () => {
    const { store } = openStore();
    expect(tasks(store)).toEqual([]);
    claimTask(store, req("s1", "t1"), T, DEFAULT_POLICY);
    expect(tasks(store)).toEqual(["t1"]);
    expect(() => claimTask(store, req("s1", "t2"), T, DEFAULT_POLICY)).toThrow("already has an active claim");
    expect(tasks(store)).toEqual(["t1"]);
    expect(store.deleteActiveClaimedBefore(T + 1)).toBe(1);
    expect(tasks(store)).toEqual([]);
    expect(store.listActive("o/r", T + 1)).toEqual([]);
  });

  test("the since bound filters cached rows by time", () => {
    const { store } = openStore();
    claimTask(store, req("s1", "t1"), T, DEFAULT_POLICY);
    claimTask(store, req("s2", "t2"), T + 10, DEFAULT_POLICY);
    expect(store.listActive("o/r", T + 5).map((c) => c.task_id)).toEqual(["t2"]);
    expect(listClaims(store, "o/r", T + DEFAULT_POLICY.claim_ttl_ms + 5, DEFAULT_POLICY).active.map((c) => c.task_id)).toEqual(["t2"]);
  });
});
